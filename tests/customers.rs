//! The customer pages over real HTTP: the new and edit forms with their checks and the
//! duplicate warning, the card and its log, archive, delete, bulk tags, the list's search,
//! filters, sorting and pages, the front page and the global search. The company's language
//! is Finnish, so the texts checked are the Finnish ones of `src/i18n/fi.txt`.

mod common;

use common::page::*;
use common::*;

// ---- helpers ----

/// Posts the new-customer form as a browser does.
fn post_new(c: &Client, fields: &[(&str, &str)]) -> Response {
    c.post_form("/customers/new", "/customers/new", fields)
}

/// Creates a customer through the form and returns its id; the form must be accepted at once.
fn add_customer(c: &Client, fields: &[(&str, &str)]) -> i64 {
    let resp = post_new(c, fields);
    assert_eq!(resp.status, 303, "{}", resp.body);
    id_from_location(resp.location(), "/customers/")
}

fn named(c: &Client, name: &str) -> i64 {
    add_customer(c, &[("name", name)])
}

/// The text of the `<textarea id="f-{name}">` of a form page, unescaped.
fn textarea_value(body: &str, name: &str) -> String {
    let marker = format!("<textarea id=\"f-{name}\"");
    let at = body
        .find(&marker)
        .unwrap_or_else(|| panic!("no textarea {name}"));
    let rest = &body[at..];
    let start = rest.find('>').unwrap() + 1;
    let end = rest.find("</textarea>").unwrap();
    unescape(&rest[start..end])
}

/// The error shown under a textarea, if any.
fn textarea_error(body: &str, name: &str) -> Option<String> {
    let at = body.find(&format!("<textarea id=\"f-{name}\""))?;
    let rest = &body[at..];
    let rest = &rest[rest.find("</textarea>")?..];
    let marker = format!("<p class=\"error\" id=\"f-{name}-error\">");
    if !rest.trim_start_matches("</textarea>").starts_with(&marker) {
        return None;
    }
    let at = rest.find(&marker)? + marker.len();
    Some(unescape(&rest[at..at + rest[at..].find('<')?]))
}

/// The customer names of a list page's table, in order.
fn list_names(body: &str) -> Vec<String> {
    let Some(tbody) = body.split("<tbody>").nth(1) else {
        return Vec::new();
    };
    let tbody = tbody.split("</tbody>").next().unwrap();
    tbody
        .split("<a href=\"/customers/")
        .skip(1)
        .map(|s| unescape(s.split_once('>').unwrap().1.split("</a>").next().unwrap()))
        .collect()
}

fn list(c: &Client, query: &str) -> Vec<String> {
    let resp = c.get(&format!("/customers{query}"));
    assert_eq!(resp.status, 200, "{query}: {}", resp.body);
    list_names(&resp.body)
}

fn customer_log(c: &Client, id: i64) -> Vec<(String, String)> {
    let page = c.get(&format!("/customers/{id}?tab=log"));
    assert_eq!(page.status, 200, "{}", page.body);
    events(&page.body)
}

/// The href of the pager link with `rel`, unescaped.
fn pager_link(body: &str, rel: &str) -> Option<String> {
    let at = body.find(&format!("rel=\"{rel}\""))?;
    let before = &body[..at];
    let start = before.rfind("href=\"")? + 6;
    Some(unescape(&before[start..before[start..].find('"')? + start]))
}

/// The value a browser would send for a `<select>`: the selected option, else the first.
fn selected_option(body: &str, name: &str) -> String {
    let at = body
        .find(&format!("<select id=\"f-{name}\""))
        .unwrap_or_else(|| panic!("no select {name}"));
    let select = &body[at..at + body[at..].find("</select>").unwrap()];
    let options: Vec<&str> = select.split("<option ").skip(1).collect();
    let chosen = options
        .iter()
        .find(|o| o.split('>').next().unwrap().contains(" selected"))
        .or(options.first())
        .expect("an option");
    let v = chosen.find("value=\"").unwrap() + 7;
    unescape(&chosen[v..v + chosen[v..].find('"').unwrap()])
}

/// A token for the API, made on the account page.
fn api_token(c: &Client) -> String {
    make_api_token(c, "testit")
}

/// Every field of the customer form, as the edit form would post them.
fn full_form<'a>(name: &'a str, phone: &'a str, city: &'a str) -> Vec<(&'a str, &'a str)> {
    vec![
        ("name", name),
        ("business_id", ""),
        ("email", ""),
        ("phone", phone),
        ("website", ""),
        ("street", ""),
        ("postal_code", ""),
        ("city", city),
        ("country", "FI"),
        ("einvoice_address", ""),
        ("einvoice_operator", ""),
        ("notes", ""),
        ("tags", ""),
        ("owner_id", ""),
    ]
}

// ---- create and the card ----

#[test]
fn new_customers_get_numbers_from_1001_and_every_field_shows_on_the_card() {
    let (_server, admin) = TestServer::with_admin();
    let admin_id = user_id(&admin, "admin");
    let resp = post_new(
        &admin,
        &[
            ("name", "Kahvila Äijälä Oy"),
            ("business_id", "0112038-9"),
            ("email", "info@aijala.fi"),
            ("phone", "040 123 4567"),
            ("website", "https://aijala.fi"),
            ("street", "Kauppakatu 1"),
            ("postal_code", "40100"),
            ("city", "Jyväskylä"),
            ("country", "fi"),
            ("einvoice_address", "003701120389"),
            ("einvoice_operator", "003721291126"),
            ("notes", "Avoinna arkisin."),
            ("tags", "VIP, Kahvilat"),
            ("owner_id", &admin_id),
        ],
    );
    assert_eq!(resp.status, 303, "{}", resp.body);
    let id = id_from_location(resp.location(), "/customers/");
    assert_eq!(resp.location(), format!("/customers/{id}"));

    let card = admin.get(&format!("/customers/{id}"));
    assert_eq!(card.status, 200);
    assert_eq!(flash(&card.body).as_deref(), Some("Asiakas lisättiin."));
    assert!(
        card.body.contains("<h1>Kahvila Äijälä Oy</h1>"),
        "{}",
        card.body
    );
    for (label, value) in [
        ("Asiakasnumero", "1001"),
        ("Y-tunnus", "0112038-9"),
        ("Sähköposti", "info@aijala.fi"),
        ("Puhelin", "040 123 4567"),
        ("Verkkosivut", "https://aijala.fi"),
        ("Osoite", "Kauppakatu 1, 40100 Jyväskylä"),
        ("Maa", "Suomi"),
        ("Verkkolaskuosoite", "003701120389"),
        ("Verkkolaskuoperaattori", "Maventa (003721291126)"),
        ("Vastuuhenkilö", "Aino Admin"),
    ] {
        assert_eq!(detail(&card.body, label).as_deref(), Some(value), "{label}");
    }
    assert!(card.body.contains("<span class=\"tag\">Kahvilat</span>"));
    assert!(card.body.contains("<span class=\"tag\">VIP</span>"));
    assert!(card.body.contains("Avoinna arkisin."));

    // The second one gets the next number; the list shows both with their numbers.
    let second = named(&admin, "Toinen Asiakas Oy");
    let card = admin.get(&format!("/customers/{second}"));
    assert_eq!(detail(&card.body, "Asiakasnumero").as_deref(), Some("1002"));
    // An empty country is Finland.
    assert_eq!(detail(&card.body, "Maa").as_deref(), Some("Suomi"));
    let page = admin.get("/customers?sort=number");
    assert_eq!(
        list_names(&page.body),
        ["Kahvila Äijälä Oy", "Toinen Asiakas Oy"]
    );
    assert!(page.body.contains("<td>1001</td>"));
    assert!(page.body.contains("<td>1002</td>"));
}

#[test]
fn new_customer_form_offers_every_field_and_the_user_as_owner() {
    let (_server, admin) = TestServer::with_admin();
    let admin_id = user_id(&admin, "admin");
    let form = admin.get("/customers/new");
    assert_eq!(form.status, 200);
    assert!(form.body.contains("<h1>Lisää asiakas</h1>"));
    for name in [
        "name",
        "business_id",
        "email",
        "phone",
        "website",
        "street",
        "postal_code",
        "city",
        "country",
        "einvoice_address",
        "einvoice_operator",
        "tags",
    ] {
        assert!(
            form.body.contains(&format!("name=\"{name}\"")),
            "{name} missing"
        );
    }
    assert!(form.body.contains("name=\"notes\""));
    assert_eq!(input_value(&form.body, "country"), "FI");
    assert!(
        form.body.contains(&format!(
            "<option value=\"{admin_id}\" selected>Aino Admin</option>"
        )),
        "the new customer's owner is the user: {}",
        form.body
    );
}

#[test]
fn business_id_in_vat_and_loose_forms_is_normalised() {
    let (_server, admin) = TestServer::with_admin();
    let id = add_customer(
        &admin,
        &[("name", "Alv-muoto Oy"), ("business_id", "FI01120389")],
    );
    let card = admin.get(&format!("/customers/{id}"));
    assert_eq!(detail(&card.body, "Y-tunnus").as_deref(), Some("0112038-9"));
    let edit = admin.get(&format!("/customers/{id}/edit"));
    assert_eq!(input_value(&edit.body, "business_id"), "0112038-9");
    // The list shows it normalised too, and other loose forms are accepted.
    let other = add_customer(
        &admin,
        &[("name", "Välilyönnit Oy"), ("business_id", " 1572860 - 0 ")],
    );
    let card = admin.get(&format!("/customers/{other}"));
    assert_eq!(detail(&card.body, "Y-tunnus").as_deref(), Some("1572860-0"));
    let page = admin.get("/customers");
    assert!(page.body.contains("<td>0112038-9</td>"));
    assert!(page.body.contains("<td>1572860-0</td>"));
}

#[test]
fn business_id_with_a_wrong_check_digit_comes_back_at_the_field_with_the_input_kept() {
    let (_server, admin) = TestServer::with_admin();
    let resp = post_new(
        &admin,
        &[
            ("name", "Tarkiste Oy"),
            ("business_id", "0112038-8"),
            ("email", "tarkiste@example.fi"),
            ("city", "Oulu"),
            ("notes", "Tärkeä asiakas"),
        ],
    );
    assert_eq!(resp.status, 422, "{}", resp.body);
    assert!(resp.body.contains("Korjaa alla merkityt kentät."));
    assert_eq!(
        field_error(&resp.body, "business_id").as_deref(),
        Some("Y-tunnuksen tarkiste on väärä; tarkista tunnus.")
    );
    assert!(resp
        .body
        .contains("name=\"business_id\" type=\"text\" value=\"0112038-8\""));
    assert!(resp.body.contains("aria-invalid=\"true\""));
    assert_eq!(input_value(&resp.body, "business_id"), "0112038-8");
    assert_eq!(input_value(&resp.body, "name"), "Tarkiste Oy");
    assert_eq!(input_value(&resp.body, "email"), "tarkiste@example.fi");
    assert_eq!(input_value(&resp.body, "city"), "Oulu");
    assert_eq!(textarea_value(&resp.body, "notes"), "Tärkeä asiakas");
    // The form posts to itself again with a fresh CSRF token.
    assert!(resp.body.contains("action=\"/customers/new\""));
    assert!(!resp.csrf().is_empty());
    assert!(
        list(&admin, "?archived=all").is_empty(),
        "nothing was created"
    );
}

#[test]
fn business_id_in_a_bad_format_comes_back_at_the_field_with_the_input_kept() {
    let (_server, admin) = TestServer::with_admin();
    for bad in ["12345-6", "abc", "0112O38-9", "1234567-89", "123456789"] {
        let resp = post_new(
            &admin,
            &[
                ("name", "Muoto Oy"),
                ("business_id", bad),
                ("city", "Turku"),
            ],
        );
        assert_eq!(resp.status, 422, "{bad}: {}", resp.body);
        assert_eq!(
            field_error(&resp.body, "business_id").as_deref(),
            Some("Y-tunnuksessa on seitsemän numeroa, väliviiva ja tarkiste, esim. 0112038-9."),
            "{bad}"
        );
        assert_eq!(input_value(&resp.body, "business_id"), bad);
        assert_eq!(input_value(&resp.body, "city"), "Turku");
    }
    assert!(list(&admin, "?archived=all").is_empty());
}

#[test]
fn a_duplicate_business_id_is_a_409_field_error_with_the_input_kept() {
    let (_server, admin) = TestServer::with_admin();
    let first = add_customer(
        &admin,
        &[("name", "Ensimmäinen Oy"), ("business_id", "0112038-9")],
    );
    // Even when the user confirms past the duplicate warning, the business ID stays unique.
    let resp = post_new(
        &admin,
        &[
            ("name", "Toinen Oy"),
            ("business_id", "FI01120389"),
            ("city", "Lahti"),
            ("confirm_duplicate", "1"),
        ],
    );
    assert_eq!(resp.status, 409, "{}", resp.body);
    assert_eq!(
        field_error(&resp.body, "business_id").as_deref(),
        Some("Toisella asiakkaalla on jo tämä Y-tunnus.")
    );
    assert_eq!(input_value(&resp.body, "business_id"), "FI01120389");
    assert_eq!(input_value(&resp.body, "name"), "Toinen Oy");
    assert_eq!(input_value(&resp.body, "city"), "Lahti");
    assert_eq!(list(&admin, "?archived=all"), ["Ensimmäinen Oy"]);

    // Editing another customer to the same business ID is refused the same way.
    let second = named(&admin, "Kolmas Oy");
    let mut form = full_form("Kolmas Oy", "", "Lahti");
    form[1] = ("business_id", "0112038-9");
    let edit = format!("/customers/{second}/edit");
    let resp = admin.post_form(&edit, &edit, &form);
    assert_eq!(resp.status, 409, "{}", resp.body);
    assert_eq!(
        field_error(&resp.body, "business_id").as_deref(),
        Some("Toisella asiakkaalla on jo tämä Y-tunnus.")
    );
    assert_eq!(input_value(&resp.body, "business_id"), "0112038-9");
    assert_eq!(input_value(&resp.body, "city"), "Lahti");
    let card = admin.get(&format!("/customers/{second}"));
    assert_eq!(detail(&card.body, "Y-tunnus"), None, "nothing was saved");
    // Saving the first customer with its own business ID is no conflict.
    let mut own = full_form("Ensimmäinen Oy", "", "");
    own[1] = ("business_id", "0112038-9");
    let edit = format!("/customers/{first}/edit");
    assert_eq!(admin.post_form(&edit, &edit, &own).status, 303);
}

#[test]
fn a_customer_without_a_name_is_refused_at_the_field() {
    let (_server, admin) = TestServer::with_admin();
    for name in ["", "   "] {
        let resp = post_new(
            &admin,
            &[
                ("name", name),
                ("email", "nimeton@example.fi"),
                ("phone", "09 123"),
            ],
        );
        assert_eq!(resp.status, 422, "{}", resp.body);
        assert_eq!(
            field_error(&resp.body, "name").as_deref(),
            Some("Anna asiakkaan nimi.")
        );
        assert_eq!(input_value(&resp.body, "email"), "nimeton@example.fi");
        assert_eq!(input_value(&resp.body, "phone"), "09 123");
    }
    assert!(list(&admin, "?archived=all").is_empty());
}

#[test]
fn other_bad_fields_come_back_with_their_own_messages() {
    let (_server, admin) = TestServer::with_admin();
    let resp = post_new(
        &admin,
        &[
            ("name", "Virheellinen Oy"),
            ("email", "ei-osoite"),
            ("country", "Suomi"),
            ("einvoice_address", "12"),
            ("einvoice_operator", "0037-21"),
            ("owner_id", "99999"),
        ],
    );
    assert_eq!(resp.status, 422, "{}", resp.body);
    for (field, message) in [
        ("email", "Tämä ei näytä sähköpostiosoitteelta."),
        ("country", "Käytä kaksikirjaimista maakoodia, esim. FI."),
        (
            "einvoice_address",
            "Käytä OVT-tunnusta (0037 ja kahdeksan numeroa) tai IBANia.",
        ),
        (
            "einvoice_operator",
            "Anna operaattoritunnus, vain kirjaimia ja numeroita.",
        ),
    ] {
        assert_eq!(
            field_error(&resp.body, field).as_deref(),
            Some(message),
            "{field}"
        );
    }
    assert_eq!(input_value(&resp.body, "email"), "ei-osoite");
    assert_eq!(input_value(&resp.body, "country"), "Suomi");
    assert!(list(&admin, "?archived=all").is_empty());
    // An owner who does not exist is refused too (a form can be posted by hand).
    let resp = post_new(&admin, &[("name", "Omistaja Oy"), ("owner_id", "99999")]);
    assert_eq!(resp.status, 422, "{}", resp.body);
    assert_eq!(
        field_error(&resp.body, "owner_id").as_deref(),
        Some("Valitse vastuuhenkilö listasta.")
    );
}

#[test]
fn a_10000_character_name_is_refused_and_10000_characters_of_notes_are_kept() {
    let (_server, admin) = TestServer::with_admin();
    let long_name = "a".repeat(10_000);
    let resp = post_new(&admin, &[("name", &long_name), ("city", "Pori")]);
    assert_eq!(resp.status, 422);
    assert_eq!(
        field_error(&resp.body, "name").as_deref(),
        Some("Tämä on liian pitkä.")
    );
    assert_eq!(input_value(&resp.body, "name"), long_name);
    assert_eq!(input_value(&resp.body, "city"), "Pori");
    // 200 characters is the limit; 201 is too many.
    let at_limit = "ä".repeat(200);
    named(&admin, &at_limit);
    let resp = post_new(&admin, &[("name", &"ö".repeat(201))]);
    assert_eq!(resp.status, 422);

    // Notes may be 10,000 characters (counted as characters, not bytes).
    let notes = "ä".repeat(10_000);
    let id = add_customer(
        &admin,
        &[("name", "Pitkät muistiinpanot Oy"), ("notes", &notes)],
    );
    let card = admin.get(&format!("/customers/{id}"));
    assert_eq!(card.status, 200);
    assert!(card.body.contains(&notes));
    let edit = admin.get(&format!("/customers/{id}/edit"));
    assert_eq!(textarea_value(&edit.body, "notes"), notes);
    let too_many = "b".repeat(10_001);
    let resp = post_new(&admin, &[("name", "Liian pitkät Oy"), ("notes", &too_many)]);
    assert_eq!(resp.status, 422);
    assert_eq!(
        textarea_error(&resp.body, "notes").as_deref(),
        Some("Tämä on liian pitkä.")
    );
    assert!(resp
        .body
        .contains("<textarea id=\"f-notes\" name=\"notes\" rows=\"4\" aria-invalid=\"true\" aria-describedby=\"f-notes-error\">"));
    assert_eq!(textarea_value(&resp.body, "notes"), too_many);
    // The same on the edit form: refused, never a 500.
    let mut form = full_form(&long_name, "", "");
    form[11] = ("notes", &too_many);
    let path = format!("/customers/{id}/edit");
    let resp = admin.post_form(&path, &path, &form);
    assert_eq!(resp.status, 422);
    assert_eq!(
        field_error(&resp.body, "name").as_deref(),
        Some("Tämä on liian pitkä.")
    );
    assert_eq!(
        list(&admin, "?archived=all&sort=number"),
        [at_limit.as_str(), "Pitkät muistiinpanot Oy"]
    );
}

#[test]
fn html_in_every_field_is_escaped_on_the_list_card_edit_form_and_search() {
    let (_server, admin) = TestServer::with_admin();
    let name = "<script>alert('nimi')</script> \"Oy\" & Co";
    let email = "\"><script>alert(2)</script>@x.fi";
    let phone = "<b>040</b>";
    // A website that is no web address is refused at its field, the input kept escaped.
    let bad_site = "javascript:alert(3)\"><img src=x onerror=alert(3)>";
    let resp = post_new(&admin, &[("name", "Sivusto Oy"), ("website", bad_site)]);
    assert_eq!(resp.status, 422);
    assert_eq!(input_value(&resp.body, "website"), bad_site);
    assert!(!resp.body.contains("<img src=x"));
    let website = "esimerkki.fi/?a=1&b='x'";
    let street = "<img src=x onerror=alert(4)>";
    let postal = "<i>00100</i>";
    let city = "<u>Oulu</u>";
    let notes = "</textarea><script>alert(5)</script>";
    let tag = "<em>vip</em>";
    let id = add_customer(
        &admin,
        &[
            ("name", name),
            ("email", email),
            ("phone", phone),
            ("website", website),
            ("street", street),
            ("postal_code", postal),
            ("city", city),
            ("notes", notes),
            ("tags", tag),
        ],
    );
    let raw = [
        "<script>alert",
        "<b>040",
        "<img src=x",
        "<i>00100",
        "<u>Oulu",
        "<em>vip",
        "</textarea><script>",
        "\"><script>",
        "href=\"javascript:",
    ];
    let pages = [
        ("list", admin.get("/customers")),
        ("card", admin.get(&format!("/customers/{id}"))),
        ("edit", admin.get(&format!("/customers/{id}/edit"))),
        ("log", admin.get(&format!("/customers/{id}?tab=log"))),
        ("front", admin.get("/")),
        ("search", admin.get("/search?q=alert")),
        ("list search", admin.get("/customers?q=alert")),
    ];
    for (what, page) in &pages {
        assert_eq!(page.status, 200, "{what}");
        for bad in raw {
            assert!(
                !page.body.contains(bad),
                "{what} shows {bad} raw: {}",
                page.body
            );
        }
        assert!(
            page.body.contains("&lt;script&gt;alert("),
            "{what} shows the name escaped: {}",
            page.body
        );
    }
    let list_page = &pages[0].1.body;
    assert_eq!(list_names(list_page), [name]);
    assert!(list_page.contains("&lt;b&gt;040&lt;/b&gt;"));
    assert!(list_page.contains("&lt;u&gt;Oulu&lt;/u&gt;"));
    assert!(list_page.contains("&lt;em&gt;vip&lt;/em&gt;"));
    let card = &pages[1].1.body;
    assert_eq!(detail(card, "Sähköposti").as_deref(), Some(email));
    assert_eq!(
        detail(card, "Verkkosivut").as_deref(),
        Some(format!("https://{website}").as_str())
    );
    assert_eq!(
        detail(card, "Osoite").as_deref(),
        Some(format!("{street}, {postal} {city}").as_str())
    );
    assert!(card.contains("&lt;/textarea&gt;&lt;script&gt;alert(5)&lt;/script&gt;"));
    // The edit form gives back exactly what was typed.
    let edit = &pages[2].1.body;
    assert_eq!(input_value(edit, "name"), name);
    assert_eq!(input_value(edit, "email"), email);
    assert_eq!(input_value(edit, "website"), format!("https://{website}"));
    assert_eq!(input_value(edit, "street"), street);
    assert_eq!(input_value(edit, "postal_code"), postal);
    assert_eq!(input_value(edit, "tags"), tag);
    assert_eq!(textarea_value(edit, "notes"), notes);

    // A rejected business ID with markup in it comes back escaped in its field, and so does a
    // duplicate warning's list of look-alikes.
    let resp = post_new(
        &admin,
        &[("name", name), ("business_id", "<script>alert(6)</script>")],
    );
    assert_eq!(resp.status, 422);
    assert!(!resp.body.contains("<script>alert"));
    assert_eq!(
        input_value(&resp.body, "business_id"),
        "<script>alert(6)</script>"
    );
    let resp = post_new(&admin, &[("name", name)]);
    assert_eq!(resp.status, 200, "{}", resp.body);
    assert!(resp.body.contains("Samankaltaisia asiakkaita on jo."));
    assert!(!resp.body.contains("<script>alert"));
}

// ---- the duplicate warning ----

#[test]
fn same_folded_name_warns_with_links_and_creates_nothing_until_confirmed() {
    let (_server, admin) = TestServer::with_admin();
    let existing = add_customer(
        &admin,
        &[("name", "Kahvila Äijälä Oy"), ("city", "Jyväskylä")],
    );
    let typed = [
        ("name", "kahvila aijala"),
        ("city", "Tampere"),
        ("phone", "050 555 1234"),
        ("notes", "Uusi toimipiste?"),
    ];
    let resp = post_new(&admin, &typed);
    assert_eq!(resp.status, 200, "{}", resp.body);
    assert!(resp.body.contains(
        "Samankaltaisia asiakkaita on jo. Tarkista, ettet lisää samaa asiakasta kahdesti:"
    ));
    assert!(
        resp.body.contains(&format!(
            "<a href=\"/customers/{existing}\">Kahvila Äijälä Oy</a> (1001)"
        )),
        "{}",
        resp.body
    );
    assert!(resp.body.contains("name=\"confirm_duplicate\""));
    assert!(resp.body.contains("Lisää silti"));
    assert!(resp.body.contains("<strong>sama nimi</strong>"));
    assert_eq!(input_value(&resp.body, "name"), "kahvila aijala");
    assert_eq!(input_value(&resp.body, "city"), "Tampere");
    assert_eq!(input_value(&resp.body, "phone"), "050 555 1234");
    assert_eq!(textarea_value(&resp.body, "notes"), "Uusi toimipiste?");
    assert_eq!(list(&admin, "?archived=all"), ["Kahvila Äijälä Oy"]);

    // The same again with other company forms and case: still a warning.
    for variant in [
        "KAHVILA ÄIJÄLÄ",
        "Oy Kahvila Äijälä Ab",
        "kahvila  äijälä, oy",
    ] {
        let resp = post_new(&admin, &[("name", variant)]);
        assert_eq!(resp.status, 200, "{variant}");
        assert!(
            resp.body.contains("Samankaltaisia asiakkaita on jo."),
            "{variant}"
        );
    }
    assert_eq!(list(&admin, "?archived=all").len(), 1);

    // Confirmed: created.
    let mut confirmed = typed.to_vec();
    confirmed.push(("confirm_duplicate", "1"));
    let resp = post_new(&admin, &confirmed);
    assert_eq!(resp.status, 303, "{}", resp.body);
    let second = id_from_location(resp.location(), "/customers/");
    assert_ne!(second, existing);
    let card = admin.get(&format!("/customers/{second}"));
    assert_eq!(detail(&card.body, "Osoite").as_deref(), Some("Tampere"));
    assert_eq!(list(&admin, "?archived=all").len(), 2);
    // A different name is no duplicate.
    let resp = post_new(&admin, &[("name", "Kahvila Äijälän Leipomo")]);
    assert_eq!(resp.status, 303);
}

#[test]
fn same_email_or_business_id_warns_too() {
    let (_server, admin) = TestServer::with_admin();
    let alfa = add_customer(
        &admin,
        &[
            ("name", "Alfa Oy"),
            ("business_id", "0112038-9"),
            ("email", "info@alfa.fi"),
        ],
    );
    let link = format!("<a href=\"/customers/{alfa}\">Alfa Oy</a>");

    // The same e-mail address in another case.
    let resp = post_new(&admin, &[("name", "Beta Oy"), ("email", "INFO@alfa.fi")]);
    assert_eq!(resp.status, 200, "{}", resp.body);
    assert!(resp.body.contains("Samankaltaisia asiakkaita on jo."));
    assert!(resp.body.contains(&link), "{}", resp.body);
    assert!(resp.body.contains("info@alfa.fi"));
    assert_eq!(input_value(&resp.body, "email"), "INFO@alfa.fi");
    assert_eq!(list(&admin, "?archived=all"), ["Alfa Oy"]);
    let resp = post_new(
        &admin,
        &[
            ("name", "Beta Oy"),
            ("email", "INFO@alfa.fi"),
            ("confirm_duplicate", "1"),
        ],
    );
    assert_eq!(resp.status, 303, "{}", resp.body);

    // The same business ID, typed in another form.
    let resp = post_new(
        &admin,
        &[("name", "Gamma Oy"), ("business_id", "FI01120389")],
    );
    assert_ne!(
        resp.status, 303,
        "a second customer with the business ID was created"
    );
    // A hard stop that names the customer with the business ID; nothing to confirm past.
    assert_eq!(resp.status, 409);
    assert!(resp.body.contains(&link), "{}", resp.body);
    assert!(!resp.body.contains("confirm_duplicate"));
    assert_eq!(input_value(&resp.body, "name"), "Gamma Oy");
    assert_eq!(input_value(&resp.body, "business_id"), "FI01120389");
    assert_eq!(
        list(&admin, "?archived=all&sort=number"),
        ["Alfa Oy", "Beta Oy"]
    );
}

// ---- edit, log, archive, delete ----

#[test]
fn editing_saves_and_logs_a_customer_updated_event_naming_the_changed_fields() {
    let (_server, admin) = TestServer::with_admin();
    let id = add_customer(&admin, &[("name", "Muokattava Oy"), ("city", "Oulu")]);
    let edit = admin.get(&format!("/customers/{id}/edit"));
    assert_eq!(edit.status, 200);
    assert!(edit.body.contains("<h1>Muokkaa: Muokattava Oy</h1>"));
    assert_eq!(input_value(&edit.body, "name"), "Muokattava Oy");
    assert_eq!(input_value(&edit.body, "city"), "Oulu");
    assert_eq!(input_value(&edit.body, "phone"), "");

    let path = format!("/customers/{id}/edit");
    let resp = admin.post_form(
        &path,
        &path,
        &full_form("Muokattava Oy", "040 123 4567", "Tampere"),
    );
    assert_eq!(resp.status, 303, "{}", resp.body);
    assert_eq!(resp.location(), format!("/customers/{id}"));
    let card = admin.get(&format!("/customers/{id}"));
    assert_eq!(flash(&card.body).as_deref(), Some("Tallennettu."));
    assert_eq!(
        detail(&card.body, "Puhelin").as_deref(),
        Some("040 123 4567")
    );
    assert_eq!(detail(&card.body, "Osoite").as_deref(), Some("Tampere"));

    let log = customer_log(&admin, id);
    assert_eq!(log.len(), 2, "{log:?}");
    assert_eq!(log[0].0, "Asiakasta muutettu");
    assert!(
        log[0].1.starts_with("Asiakas Muokattava Oy: "),
        "{}",
        log[0].1
    );
    assert!(
        log[0].1.contains("Puhelin muutettiin: — → 040 123 4567"),
        "{}",
        log[0].1
    );
    assert!(
        log[0]
            .1
            .contains("Postitoimipaikka muutettiin: Oulu → Tampere"),
        "{}",
        log[0].1
    );
    assert!(
        !log[0].1.contains("Nimi"),
        "unchanged fields are not named: {}",
        log[0].1
    );
    assert_eq!(log[1].0, "Asiakas lisätty");
    assert_eq!(log[1].1, "Asiakas Muokattava Oy (1001) lisättiin.");

    // Saving without changes logs nothing.
    let resp = admin.post_form(
        &path,
        &path,
        &full_form("Muokattava Oy", "040 123 4567", "Tampere"),
    );
    assert_eq!(resp.status, 303);
    assert_eq!(customer_log(&admin, id).len(), 2);
    // A rename and notes: the notes are named, not quoted.
    let mut form = full_form("Muokattu Oy", "040 123 4567", "Tampere");
    form[11] = ("notes", "salainen muistiinpano");
    let resp = admin.post_form(&path, &path, &form);
    assert_eq!(resp.status, 303);
    let log = customer_log(&admin, id);
    assert_eq!(log.len(), 3);
    assert!(
        log[0]
            .1
            .contains("Nimi muutettiin: Muokattava Oy → Muokattu Oy"),
        "{}",
        log[0].1
    );
    assert!(
        log[0].1.contains("Muistiinpanot muokattiin"),
        "{}",
        log[0].1
    );
    assert!(!log[0].1.contains("salainen"), "{}", log[0].1);

    // A bad value on the edit form comes back at the field; nothing is saved or logged.
    let mut bad = full_form("Muokattu Oy", "040 999", "Tampere");
    bad[2] = ("email", "ei-osoite");
    let resp = admin.post_form(&path, &path, &bad);
    assert_eq!(resp.status, 422);
    assert_eq!(
        field_error(&resp.body, "email").as_deref(),
        Some("Tämä ei näytä sähköpostiosoitteelta.")
    );
    assert_eq!(input_value(&resp.body, "phone"), "040 999");
    assert!(resp
        .body
        .contains(&format!("action=\"/customers/{id}/edit\"")));
    assert_eq!(customer_log(&admin, id).len(), 3);
    let card = admin.get(&format!("/customers/{id}"));
    assert_eq!(
        detail(&card.body, "Puhelin").as_deref(),
        Some("040 123 4567")
    );
    // An unknown customer's edit form is a 404.
    assert_eq!(admin.get("/customers/99999/edit").status, 404);
    assert_eq!(admin.get("/customers/99999").status, 404);
    assert_eq!(admin.get("/customers/abc").status, 404);
}

#[test]
fn editing_a_customer_whose_owner_was_deactivated_keeps_the_owner() {
    let (_server, admin) = TestServer::with_admin();
    add_user(&admin, "bertta", "user", "bertan-salasana");
    let bertta = user_id(&admin, "bertta");
    let id = add_customer(&admin, &[("name", "Bertan Oy"), ("owner_id", &bertta)]);
    // Bertta leaves the company: her account is deactivated (the active box left empty).
    let user_page = format!("/settings/users/{bertta}");
    let resp = admin.post_form(
        &user_page,
        &user_page,
        &[("name", "bertta Testinen"), ("email", ""), ("role", "user")],
    );
    assert_eq!(resp.status, 303, "{}", resp.body);
    let card = admin.get(&format!("/customers/{id}"));
    assert_eq!(
        detail(&card.body, "Vastuuhenkilö").as_deref(),
        Some("bertta Testinen")
    );
    // Someone fixes the customer's phone number on the edit form and saves it as it is.
    let edit = admin.get(&format!("/customers/{id}/edit"));
    let owner = selected_option(&edit.body, "owner_id");
    let mut form = full_form("Bertan Oy", "040 1", "");
    form[13] = ("owner_id", &owner);
    let path = format!("/customers/{id}/edit");
    let resp = admin.post_form(&path, &path, &form);
    assert_eq!(resp.status, 303, "{}", resp.body);
    let card = admin.get(&format!("/customers/{id}"));
    assert_eq!(detail(&card.body, "Puhelin").as_deref(), Some("040 1"));
    assert_eq!(
        detail(&card.body, "Vastuuhenkilö").as_deref(),
        Some("bertta Testinen"),
        "saving the edit form unchanged dropped the owner: the form offered no option for a \
         deactivated owner, so the browser sent the first one, \"no owner\""
    );
}

#[test]
fn archiving_hides_a_customer_from_the_default_list_and_restoring_brings_it_back() {
    let (_server, admin) = TestServer::with_admin();
    let a = named(&admin, "Arkistoitava Oy");
    named(&admin, "Aktiivinen Oy");
    let card_path = format!("/customers/{a}");
    let resp = admin.post_form(
        &card_path,
        &format!("{card_path}/archive"),
        &[("archived", "1")],
    );
    assert_eq!(resp.status, 303, "{}", resp.body);
    assert_eq!(resp.location(), card_path);
    let card = admin.get(&card_path);
    assert_eq!(flash(&card.body).as_deref(), Some("Asiakas arkistoitiin."));
    assert!(card
        .body
        .contains("<span class=\"badge\">arkistoitu</span>"));
    assert!(card.body.contains("Palauta arkistosta"));

    assert_eq!(list(&admin, ""), ["Aktiivinen Oy"]);
    assert_eq!(list(&admin, "?archived=false"), ["Aktiivinen Oy"]);
    assert_eq!(list(&admin, "?archived=true"), ["Arkistoitava Oy"]);
    assert_eq!(
        list(&admin, "?archived=all"),
        ["Aktiivinen Oy", "Arkistoitava Oy"]
    );
    // The archived row is marked in the "all" list.
    assert!(admin
        .get("/customers?archived=all")
        .body
        .contains("<tr class=\"inactive\">"));
    let log = customer_log(&admin, a);
    assert_eq!(log[0].0, "Asiakas arkistoitu");
    assert_eq!(log[0].1, "Asiakas Arkistoitava Oy arkistoitiin.");

    let resp = admin.post_form(
        &card_path,
        &format!("{card_path}/archive"),
        &[("archived", "0")],
    );
    assert_eq!(resp.status, 303);
    let card = admin.get(&card_path);
    assert_eq!(
        flash(&card.body).as_deref(),
        Some("Asiakas palautettiin arkistosta.")
    );
    assert!(!card.body.contains("class=\"badge\""));
    assert!(card.body.contains(">Arkistoi<"));
    assert_eq!(list(&admin, ""), ["Aktiivinen Oy", "Arkistoitava Oy"]);
    assert!(list(&admin, "?archived=true").is_empty());
    let log = customer_log(&admin, a);
    assert_eq!(log[0].1, "Asiakas Arkistoitava Oy palautettiin arkistosta.");
    // Archiving an unknown customer is a 404.
    let resp = admin.post_form("/", "/customers/99999/archive", &[("archived", "1")]);
    assert_eq!(resp.status, 404);
}

#[test]
fn deleting_a_customer_needs_an_admin_and_goes_through_the_confirmation_page() {
    let (server, admin) = TestServer::with_admin();
    add_user(&admin, "bertta", "user", "bertan-salasana");
    let bertta = server.client();
    assert_eq!(bertta.login("bertta", "bertan-salasana").status, 303);
    let id = add_customer(&admin, &[("name", "Poistettava Oy")]);
    let card_path = format!("/customers/{id}");
    let contact = admin.post_form(
        &card_path,
        &format!("{card_path}/contacts"),
        &[
            ("first_name", "Jäävä"),
            ("last_name", "Kontakti"),
            ("role", "Myyjä"),
        ],
    );
    assert_eq!(contact.status, 303, "{}", contact.body);
    let contact_id = {
        let card = admin.get(&card_path);
        let at = card.body.find("<a href=\"/contacts/").unwrap() + "<a href=\"/contacts/".len();
        card.body[at..]
            .split('"')
            .next()
            .unwrap()
            .parse::<i64>()
            .unwrap()
    };

    // A plain user sees no delete button, and neither the page nor the post works for them.
    let their_card = bertta.get(&card_path);
    assert_eq!(their_card.status, 200);
    assert!(their_card
        .body
        .contains(&format!("href=\"{card_path}/edit\"")));
    assert!(!their_card
        .body
        .contains(&format!("href=\"{card_path}/delete\"")));
    let page = bertta.get(&format!("{card_path}/delete"));
    assert_eq!(page.status, 403);
    assert!(page.body.contains("Ei sallittu"));
    let post = bertta.post_form(&card_path, &format!("{card_path}/delete"), &[]);
    assert_eq!(post.status, 403);
    assert_eq!(bertta.get(&card_path).status, 200, "still there");

    // The admin: the card links to the confirmation page, which explains and asks.
    let card = admin.get(&card_path);
    assert!(card.body.contains(&format!("href=\"{card_path}/delete\"")));
    let page = admin.get(&format!("{card_path}/delete"));
    assert_eq!(page.status, 200);
    assert!(
        page.body.contains("<h1>Poista: Poistettava Oy</h1>"),
        "{}",
        page.body
    );
    assert!(
        page.body.contains("Sen kontakti jää rekisteriin"),
        "{}",
        page.body
    );
    assert!(page
        .body
        .contains(&format!("action=\"{card_path}/delete\"")));
    assert!(page.body.contains("Poista lopullisesti"));
    // A GET of the confirmation page deletes nothing.
    assert_eq!(admin.get(&card_path).status, 200);
    let resp = admin.post_form(
        &format!("{card_path}/delete"),
        &format!("{card_path}/delete"),
        &[],
    );
    assert_eq!(resp.status, 303, "{}", resp.body);
    assert_eq!(resp.location(), "/customers");
    let after = admin.get("/customers");
    assert_eq!(flash(&after.body).as_deref(), Some("Asiakas poistettiin."));
    assert!(list_names(&after.body).is_empty());
    assert!(list(&admin, "?archived=all").is_empty());
    assert_eq!(admin.get(&card_path).status, 404);
    assert_eq!(admin.get(&format!("{card_path}/delete")).status, 404);
    let again = admin.post_form("/", &format!("{card_path}/delete"), &[]);
    assert_eq!(again.status, 404);

    // The contact stays, without the link; the log keeps what happened.
    let contact_card = admin.get(&format!("/contacts/{contact_id}"));
    assert_eq!(contact_card.status, 200);
    assert!(contact_card
        .body
        .contains("Ei liitetty yhteenkään asiakkaaseen."));
    let log = admin.get("/log");
    let summaries: Vec<String> = events(&log.body).into_iter().map(|e| e.1).collect();
    assert!(
        summaries.contains(&"Asiakas Poistettava Oy (1001) poistettiin.".to_string()),
        "{summaries:?}"
    );
    assert!(
        summaries.contains(&"Asiakas Poistettava Oy (1001) lisättiin.".to_string()),
        "{summaries:?}"
    );
    let found = admin.get("/log?q=poistettava");
    assert!(events(&found.body).len() >= 2, "{}", found.body);
}

// ---- bulk tags ----

#[test]
fn bulk_tagging_adds_and_removes_a_tag_on_the_selected_rows_only() {
    let (_server, admin) = TestServer::with_admin();
    let a = named(&admin, "Alfa Oy");
    let b = named(&admin, "Beta Oy");
    let c = named(&admin, "Gamma Oy");
    let page = admin.get("/customers");
    assert!(page.body.contains("action=\"/customers/tags\""));
    assert!(page.body.contains(&format!("name=\"id\" value=\"{a}\"")));
    let (sa, sb) = (a.to_string(), b.to_string());
    let resp = admin.post_form(
        "/customers",
        "/customers/tags",
        &[
            ("id", &sa),
            ("id", &sb),
            ("tag", "  VIP  "),
            ("action", "add"),
            ("back", "/customers?sort=-name"),
        ],
    );
    assert_eq!(resp.status, 303, "{}", resp.body);
    assert_eq!(resp.location(), "/customers?sort=-name");
    let after = admin.get(resp.location());
    assert_eq!(flash(&after.body).as_deref(), Some("Tunniste lisättiin."));
    assert_eq!(list(&admin, "?tag=VIP"), ["Alfa Oy", "Beta Oy"]);
    let card = admin.get(&format!("/customers/{c}"));
    assert!(!card.body.contains("<span class=\"tag\">VIP</span>"));
    let card = admin.get(&format!("/customers/{a}"));
    assert!(card.body.contains("<span class=\"tag\">VIP</span>"));
    // Adding again changes nothing (no doubled tag).
    let resp = admin.post_form(
        "/customers",
        "/customers/tags",
        &[
            ("id", &sa),
            ("tag", "vip"),
            ("action", "add"),
            ("back", "/customers"),
        ],
    );
    assert_eq!(resp.status, 303);
    let card = admin.get(&format!("/customers/{a}"));
    assert_eq!(
        card.body.matches("<span class=\"tag\">").count(),
        1,
        "{}",
        card.body
    );
    // The tag filter offers it.
    assert!(admin
        .get("/customers")
        .body
        .contains("<option value=\"VIP\">VIP</option>"));

    // Remove from one, in another case.
    let resp = admin.post_form(
        "/customers",
        "/customers/tags",
        &[
            ("id", &sa),
            ("tag", "vip"),
            ("action", "remove"),
            ("back", "/customers"),
        ],
    );
    assert_eq!(resp.status, 303);
    assert_eq!(
        flash(&admin.get("/customers").body).as_deref(),
        Some("Tunniste poistettiin.")
    );
    assert_eq!(list(&admin, "?tag=VIP"), ["Beta Oy"]);
    let log = customer_log(&admin, a);
    assert!(
        log[0].1.contains("Tunnisteet muutettiin: VIP → —"),
        "{log:?}"
    );
    assert!(
        log[1].1.contains("Tunnisteet muutettiin: — → VIP"),
        "{log:?}"
    );

    // Nothing selected, or no tag: a message, nothing changes.
    for fields in [
        vec![("tag", "Uusi"), ("action", "add"), ("back", "/customers")],
        vec![
            ("id", sb.as_str()),
            ("tag", "  "),
            ("action", "add"),
            ("back", "/customers"),
        ],
    ] {
        let resp = admin.post_form("/customers", "/customers/tags", &fields);
        assert_eq!(resp.status, 303);
        assert_eq!(
            flash(&admin.get("/customers").body).as_deref(),
            Some("Valitse vähintään yksi rivi ja kirjoita tunniste.")
        );
    }
    assert!(list(&admin, "?tag=Uusi").is_empty());
    // `back` only ever leads to the customer list.
    let resp = admin.post_form(
        "/customers",
        "/customers/tags",
        &[
            ("id", &sb),
            ("tag", "X"),
            ("action", "add"),
            ("back", "https://evil.example/"),
        ],
    );
    assert_eq!(resp.status, 303);
    assert_eq!(resp.location(), "/customers");
    // A too long tag is refused, not a 500; unknown ids are skipped.
    let resp = admin.post_form(
        "/customers",
        "/customers/tags",
        &[
            ("id", &sb),
            ("tag", &"t".repeat(51)),
            ("action", "add"),
            ("back", "/customers"),
        ],
    );
    assert_eq!(resp.status, 422, "{}", resp.body);
    let resp = admin.post_form(
        "/customers",
        "/customers/tags",
        &[
            ("id", "99999"),
            ("id", "x"),
            ("tag", "Y"),
            ("action", "add"),
            ("back", "/customers"),
        ],
    );
    assert_eq!(resp.status, 303);
}

// ---- the list ----

#[test]
fn list_search_finds_by_name_without_accents_number_business_id_email_phone_and_city() {
    let (_server, admin) = TestServer::with_admin();
    add_customer(
        &admin,
        &[
            ("name", "Järvinen Rakennus Oy"),
            ("business_id", "0112038-9"),
            ("email", "info@jarvirakennus.fi"),
            ("phone", "040 123 4567"),
            ("city", "Jyväskylä"),
        ],
    );
    add_customer(
        &admin,
        &[
            ("name", "Muu Yritys Oy"),
            ("email", "muu@example.fi"),
            ("phone", "050 999 8888"),
            ("city", "Oulu"),
        ],
    );
    for q in [
        "jarvinen",
        "Järvinen",
        "JÄRVINEN",
        "järv",
        "rakennus",
        "1001",
        "0112038-9",
        "0112038",
        "info@jarvirakennus.fi",
        "info@jarvirakennus",
        "0401234567",
        "040 123 4567",
        "jyvaskyla",
        "Jyväskylä",
    ] {
        let query = serde_urlencoded::to_string([("q", q)]).unwrap();
        assert_eq!(
            list(&admin, &format!("?{query}")),
            ["Järvinen Rakennus Oy"],
            "{q}"
        );
    }
    for q in ["oulu", "1002", "0509998888", "muu@example.fi"] {
        let query = serde_urlencoded::to_string([("q", q)]).unwrap();
        assert_eq!(list(&admin, &format!("?{query}")), ["Muu Yritys Oy"], "{q}");
    }
    let none = admin.get("/customers?q=tuntematon");
    assert_eq!(none.status, 200);
    assert!(list_names(&none.body).is_empty());
    assert!(none.body.contains("Ei osumia."));
    // The search box keeps what was searched.
    let page = admin.get("/customers?q=jarvinen");
    assert!(
        page.body.contains("name=\"q\" value=\"jarvinen\""),
        "{}",
        page.body
    );
    // Characters that mean something to the search engine are just text.
    for q in [
        "\"",
        "*",
        "jarvinen*",
        "NEAR(a b)",
        "a OR b",
        "'; DROP TABLE customers; --",
        "(",
        "^x",
        "-",
    ] {
        let query = serde_urlencoded::to_string([("q", q)]).unwrap();
        let resp = admin.get(&format!("/customers?{query}"));
        assert_eq!(resp.status, 200, "{q}: {}", resp.body);
    }
    assert_eq!(list(&admin, "?archived=all").len(), 2);
}

#[test]
fn list_filters_by_tag_owner_and_archived() {
    let (_server, admin) = TestServer::with_admin();
    add_user(&admin, "bertta", "user", "bertan-salasana");
    let me = user_id(&admin, "admin");
    let bertta = user_id(&admin, "bertta");
    add_customer(
        &admin,
        &[
            ("name", "Adminin Oy"),
            ("owner_id", &me),
            ("tags", "VIP, Tampere"),
        ],
    );
    add_customer(
        &admin,
        &[
            ("name", "Bertan Oy"),
            ("owner_id", &bertta),
            ("tags", "Tampere"),
        ],
    );
    let archived = add_customer(
        &admin,
        &[
            ("name", "Arkistoitu Oy"),
            ("owner_id", &bertta),
            ("tags", "VIP"),
        ],
    );
    add_customer(&admin, &[("name", "Omistajaton Oy")]);
    let card = format!("/customers/{archived}");
    assert_eq!(
        admin
            .post_form(&card, &format!("{card}/archive"), &[("archived", "1")])
            .status,
        303
    );

    assert_eq!(list(&admin, &format!("?owner_id={me}")), ["Adminin Oy"]);
    assert_eq!(list(&admin, &format!("?owner_id={bertta}")), ["Bertan Oy"]);
    assert_eq!(
        list(&admin, &format!("?owner_id={bertta}&archived=all")),
        ["Arkistoitu Oy", "Bertan Oy"]
    );
    assert_eq!(list(&admin, "?tag=VIP"), ["Adminin Oy"]);
    assert_eq!(list(&admin, "?tag=VIP&archived=true"), ["Arkistoitu Oy"]);
    assert_eq!(list(&admin, "?tag=Tampere"), ["Adminin Oy", "Bertan Oy"]);
    assert!(list(&admin, &format!("?tag=VIP&owner_id={bertta}")).is_empty());
    assert!(list(&admin, "?tag=Olematon").is_empty());
    assert_eq!(list(&admin, "?archived=all").len(), 4);
    assert_eq!(list(&admin, "").len(), 3);
    assert!(list(&admin, "?owner_id=99999").is_empty());
    // The filter form shows the chosen values.
    let page = admin.get(&format!(
        "/customers?tag=VIP&owner_id={bertta}&archived=all"
    ));
    assert!(
        page.body
            .contains("<option value=\"VIP\" selected>VIP</option>"),
        "{}",
        page.body
    );
    assert!(page
        .body
        .contains(&format!("<option value=\"{bertta}\" selected>")));
    assert!(page.body.contains("<option value=\"all\" selected>"));
}

#[test]
fn list_sorts_by_every_sort_value() {
    let (_server, admin) = TestServer::with_admin();
    for name in ["Bravo Oy", "alfa Oy", "Charlie Oy"] {
        named(&admin, name);
    }
    assert_eq!(
        list(&admin, ""),
        ["alfa Oy", "Bravo Oy", "Charlie Oy"],
        "by name by default"
    );
    assert_eq!(
        list(&admin, "?sort=name"),
        ["alfa Oy", "Bravo Oy", "Charlie Oy"]
    );
    assert_eq!(
        list(&admin, "?sort=-name"),
        ["Charlie Oy", "Bravo Oy", "alfa Oy"]
    );
    assert_eq!(
        list(&admin, "?sort=number"),
        ["Bravo Oy", "alfa Oy", "Charlie Oy"]
    );
    assert_eq!(
        list(&admin, "?sort=created_at"),
        ["Bravo Oy", "alfa Oy", "Charlie Oy"]
    );
    assert_eq!(
        list(&admin, "?sort=-created_at"),
        ["Charlie Oy", "alfa Oy", "Bravo Oy"]
    );
    let page = admin.get("/customers?sort=-created_at");
    assert!(page
        .body
        .contains("<option value=\"-created_at\" selected>Uusimmat ensin</option>"));
}

#[test]
fn a_bad_sort_archived_owner_or_paging_value_is_a_400_page_not_a_500() {
    let (_server, admin) = TestServer::with_admin();
    named(&admin, "Alfa Oy");
    for query in [
        "?sort=hinta",
        "?sort=name%27--",
        "?sort=due_date",
        "?archived=maybe",
        "?archived=1",
        "?owner_id=x",
        "?limit=abc",
        "?limit=-1",
        "?offset=-5",
        "?offset=%F0%9F%92%A9",
    ] {
        let resp = admin.get(&format!("/customers{query}"));
        assert_eq!(resp.status, 400, "{query}: {}", resp.body);
        assert!(
            resp.header("content-type")
                .unwrap_or("")
                .starts_with("text/html"),
            "{query}"
        );
        assert!(
            resp.body.contains("<h1>Pyyntöä ei hyväksytty</h1>"),
            "{query}: {}",
            resp.body
        );
    }
    // A huge limit is clamped, not refused.
    assert_eq!(list(&admin, "?limit=100000"), ["Alfa Oy"]);
}

#[test]
fn long_lists_page_with_next_and_previous_links_and_limit_and_offset() {
    let (server, admin) = TestServer::with_admin();
    let token = api_token(&admin);
    let api = server.client();
    for n in 1..=55 {
        let body = serde_json::json!({ "name": format!("Asiakas {n:02}") }).to_string();
        let resp = api.api("POST", "/api/v1/customers", Some(&token), Some(&body));
        assert_eq!(resp.status, 201, "{}", resp.body);
    }
    let first = admin.get("/customers");
    let names = list_names(&first.body);
    assert_eq!(names.len(), 50);
    assert_eq!(names[0], "Asiakas 01");
    assert_eq!(names[49], "Asiakas 50");
    assert_eq!(pager_link(&first.body, "prev"), None);
    // The pager goes by position (the last row's sort keys), not by offset.
    let next = pager_link(&first.body, "next").expect("a next link");
    assert!(
        next.contains("after=") && !next.contains("offset"),
        "{next}"
    );
    let second = admin.get(&next);
    assert_eq!(second.status, 200);
    assert_eq!(
        list_names(&second.body),
        [
            "Asiakas 51",
            "Asiakas 52",
            "Asiakas 53",
            "Asiakas 54",
            "Asiakas 55"
        ]
    );
    assert_eq!(pager_link(&second.body, "next"), None);
    let prev = pager_link(&second.body, "prev").expect("a previous link");
    assert!(prev.contains("before="), "{prev}");
    let back = admin.get(&prev);
    assert_eq!(list_names(&back.body), names);
    assert_eq!(pager_link(&back.body, "prev"), None);

    // limit and offset, kept with the filters in the pager's links.
    let page = admin.get("/customers?limit=10&offset=20&sort=name");
    let names = list_names(&page.body);
    assert_eq!(names.len(), 10);
    assert_eq!(names[0], "Asiakas 21");
    assert_eq!(names[9], "Asiakas 30");
    let next = pager_link(&page.body, "next").unwrap();
    assert!(
        next.contains("after=") && next.contains("limit=10") && next.contains("sort=name"),
        "{next}"
    );
    assert_eq!(list_names(&admin.get(&next).body)[0], "Asiakas 31");
    let prev = pager_link(&page.body, "prev").unwrap();
    assert!(
        prev.contains("before=") && !prev.contains("offset"),
        "{prev}"
    );
    assert_eq!(list_names(&admin.get(&prev).body)[0], "Asiakas 11");
    // A position that is not one of this list's is a 400, and so is one with an offset.
    assert_eq!(admin.get("/customers?after=%5B1%5D&sort=name").status, 400);
    assert_eq!(admin.get("/customers?after=nonsense").status, 400);
    assert_eq!(admin.get(&format!("{next}&offset=10")).status, 400);
    // Exactly a page's worth: no next link. Past the end: empty, no error.
    let last = admin.get("/customers?limit=5&offset=50");
    assert_eq!(list_names(&last.body).len(), 5);
    assert_eq!(pager_link(&last.body, "next"), None);
    let past = admin.get("/customers?offset=500");
    assert_eq!(past.status, 200);
    assert!(list_names(&past.body).is_empty());
    // A search pages too.
    let searched = admin.get("/customers?q=asiakas&limit=20");
    assert_eq!(list_names(&searched.body).len(), 20);
    let next = pager_link(&searched.body, "next").unwrap();
    assert!(next.contains("q=asiakas"), "{next}");
}

// ---- front page and global search ----

#[test]
fn the_front_page_lists_the_newest_customers_and_contacts() {
    let (_server, admin) = TestServer::with_admin();
    let front = admin.get("/");
    assert!(front.body.contains("Ei vielä asiakkaita."));
    assert!(front.body.contains("Ei vielä kontakteja."));
    let mut ids = Vec::new();
    for n in 1..=11 {
        ids.push(named(&admin, &format!("Etusivun Asiakas {n}")));
    }
    let card = format!("/customers/{}", ids[10]);
    let resp = admin.post_form(
        &card,
        &format!("{card}/contacts"),
        &[
            ("first_name", "Uusin"),
            ("last_name", "Kontakti"),
            ("role", "Omistaja"),
        ],
    );
    assert_eq!(resp.status, 303);
    let front = admin.get("/");
    assert!(front.body.contains("<h2>Uusimmat asiakkaat</h2>"));
    assert!(front.body.contains("<h2>Uusimmat kontaktit</h2>"));
    assert!(front.body.contains(&format!(
        "<a href=\"/customers/{}\">Etusivun Asiakas 11</a>",
        ids[10]
    )));
    assert!(front.body.contains(&format!(
        "<a href=\"/customers/{}\">Etusivun Asiakas 2</a>",
        ids[1]
    )));
    assert!(
        !front
            .body
            .contains(&format!("href=\"/customers/{}\"", ids[0])),
        "only the ten newest"
    );
    assert!(
        front.body.find("Etusivun Asiakas 11").unwrap()
            < front.body.find("Etusivun Asiakas 10").unwrap()
    );
    assert!(front.body.contains(">Uusin Kontakti</a>"));
    assert!(!front.body.contains("Ei vielä asiakkaita."));
    assert!(!front.body.contains("Ei vielä kontakteja."));
    // The log on the front page has the events too.
    assert!(front
        .body
        .contains("Asiakas Etusivun Asiakas 11 (1011) lisättiin."));
}

#[test]
fn the_global_search_finds_customers_and_contacts() {
    let (_server, admin) = TestServer::with_admin();
    let customer = add_customer(
        &admin,
        &[
            ("name", "Järvinen Oy"),
            ("city", "Kuopio"),
            ("phone", "017 555 0000"),
        ],
    );
    let other = named(&admin, "Toinen Oy");
    let card = format!("/customers/{other}");
    let resp = admin.post_form(
        &card,
        &format!("{card}/contacts"),
        &[
            ("first_name", "Jaana"),
            ("last_name", "Järvinen"),
            ("email", "jaana@toinen.fi"),
            ("role", "Hallituksen jäsen"),
        ],
    );
    assert_eq!(resp.status, 303);
    let found = admin.get("/search?q=jarvinen");
    assert_eq!(found.status, 200);
    assert!(found.body.contains("<h1>Haku</h1>"));
    assert!(
        found.body.contains("Tulokset haulle \"jarvinen\"")
            || found.body.contains("Tulokset haulle &quot;jarvinen&quot;")
    );
    assert!(
        found.body.contains(&format!(
            "<a href=\"/customers/{customer}\">Järvinen Oy</a>"
        )),
        "{}",
        found.body
    );
    assert!(found.body.contains(">Jaana Järvinen</a>"), "{}", found.body);
    assert!(found.body.contains("jaana@toinen.fi"));
    // Toinen Oy is not a customer hit; it shows only as the company of the contact hit.
    let customer_hits = found.body.split("<h2>Kontaktit</h2>").next().unwrap();
    assert!(!customer_hits.contains(&format!("href=\"/customers/{other}\">Toinen Oy")));
    // The header's search box keeps the words.
    assert!(found
        .body
        .contains("id=\"global-search\" type=\"search\" name=\"q\" value=\"jarvinen\""));
    // The contact's e-mail and the customer's city find them too; archived customers are found.
    assert!(admin
        .get("/search?q=jaana%40toinen.fi")
        .body
        .contains(">Jaana Järvinen</a>"));
    let path = format!("/customers/{customer}");
    admin.post_form(&path, &format!("{path}/archive"), &[("archived", "1")]);
    assert!(admin
        .get("/search?q=kuopio")
        .body
        .contains(">Järvinen Oy</a>"));
    // Nothing to search, nothing found, odd characters: answered, never a 500.
    let empty = admin.get("/search?q=");
    assert_eq!(empty.status, 200);
    assert!(empty.body.contains("Kirjoita hakusana hakukenttään."));
    let none = admin.get("/search?q=tuntematon");
    assert_eq!(none.status, 200);
    assert_eq!(none.body.matches("Ei osumia.").count(), 1, "{}", none.body);
    for q in ["%22", "*", "NEAR%28", "%27", "-"] {
        assert_eq!(admin.get(&format!("/search?q={q}")).status, 200, "{q}");
    }
}

#[test]
fn a_global_search_of_only_punctuation_finds_nothing_rather_than_everything() {
    let (_server, admin) = TestServer::with_admin();
    let id = named(&admin, "Alfa Oy");
    let card = format!("/customers/{id}");
    admin.post_form(
        &card,
        &format!("{card}/contacts"),
        &[("first_name", "Maija"), ("last_name", "Mäki"), ("role", "")],
    );
    for q in ["*", "-", "%22%22", "...", "%26"] {
        let page = admin.get(&format!("/search?q={q}"));
        assert_eq!(page.status, 200, "{q}");
        assert!(
            !page.body.contains(">Alfa Oy</a>") && !page.body.contains(">Maija Mäki</a>"),
            "a search for {q:?} lists every customer and contact as a result: {}",
            page.body
        );
        assert_eq!(page.body.matches("Ei osumia.").count(), 1, "{q}");
    }
}

#[test]
fn every_link_on_the_customer_list_and_card_leads_somewhere() {
    let (_server, admin) = TestServer::with_admin();
    let id = add_customer(&admin, &[("name", "Linkki Oy"), ("tags", "VIP")]);
    let card = format!("/customers/{id}");
    admin.post_form(
        &card,
        &format!("{card}/contacts"),
        &[("first_name", "Liisa"), ("role", "Myyjä")],
    );
    let mut broken = Vec::new();
    for page in [
        "/customers",
        card.as_str(),
        &format!("{card}?tab=log"),
        "/customers/new",
    ] {
        let body = admin.get(page).body;
        for href in body
            .split("href=\"")
            .skip(1)
            .map(|s| unescape(s.split('"').next().unwrap()))
        {
            // Assets and the exports (the import/export module's) are checked elsewhere.
            if !href.starts_with('/')
                || href.starts_with("/assets/")
                || href.contains(".csv")
                || href.contains(".vcf")
            {
                continue;
            }
            let status = admin.get(&href).status;
            if status != 200 {
                broken.push(format!("{page} → {href}: {status}"));
            }
        }
    }
    assert!(broken.is_empty(), "broken links: {broken:#?}");
}

// ---- permissions ----

#[test]
fn a_readonly_user_gets_403_on_every_customer_post_and_sees_no_write_buttons() {
    let (server, admin) = TestServer::with_admin();
    add_user(&admin, "lukija", "readonly", "lukijan-salasana");
    let reader = server.client();
    assert_eq!(reader.login("lukija", "lukijan-salasana").status, 303);
    let id = add_customer(&admin, &[("name", "Luettava Oy"), ("city", "Vaasa")]);
    let card = format!("/customers/{id}");
    let resp = admin.post_form(
        &card,
        &format!("{card}/contacts"),
        &[("first_name", "Kalle"), ("role", "Myyjä")],
    );
    assert_eq!(resp.status, 303);
    let contact = {
        let body = admin.get(&card).body;
        let at = body.find("<a href=\"/contacts/").unwrap() + "<a href=\"/contacts/".len();
        body[at..].split('"').next().unwrap().to_string()
    };

    // Reading works; no buttons that would only end in a 403.
    let page = reader.get(&card);
    assert_eq!(page.status, 200);
    assert!(page.body.contains("Luettava Oy"));
    assert!(page.body.contains(">Kalle</a>"));
    for button in [
        format!("href=\"{card}/edit\""),
        format!("action=\"{card}/archive\""),
        format!("href=\"{card}/delete\""),
        format!("action=\"{card}/contacts\""),
        format!("action=\"{card}/contacts/{contact}/unlink\""),
    ] {
        assert!(!page.body.contains(&button), "{button}");
    }
    let list_page = reader.get("/customers");
    assert_eq!(list_names(&list_page.body), ["Luettava Oy"]);
    assert!(!list_page.body.contains("href=\"/customers/new\""));
    assert!(!list_page.body.contains("name=\"id\""));

    let sid = id.to_string();
    let posts: Vec<(String, Vec<(&str, &str)>)> = vec![
        ("/customers/new".into(), vec![("name", "Lukijan Oy")]),
        (
            "/customers/tags".into(),
            vec![
                ("id", &sid),
                ("tag", "X"),
                ("action", "add"),
                ("back", "/customers"),
            ],
        ),
        (format!("{card}/edit"), full_form("Muutettu Oy", "", "")),
        (format!("{card}/archive"), vec![("archived", "1")]),
        (format!("{card}/delete"), vec![]),
        (
            format!("{card}/contacts"),
            vec![("first_name", "Uusi"), ("role", "X")],
        ),
        (
            format!("{card}/contacts"),
            vec![("contact_id", &contact), ("role", "X")],
        ),
        (
            format!("{card}/contacts/{contact}/role"),
            vec![("role", "Johtaja")],
        ),
        (format!("{card}/contacts/{contact}/unlink"), vec![]),
    ];
    for (path, fields) in &posts {
        let resp = reader.post_form("/", path, fields);
        assert_eq!(resp.status, 403, "{path}: {}", resp.body);
        assert!(
            resp.body.contains("Sinulla ei ole oikeutta tähän."),
            "{path}"
        );
    }
    // Nothing changed.
    assert_eq!(list(&admin, "?archived=all"), ["Luettava Oy"]);
    let page = admin.get(&card);
    assert!(
        page.body
            .contains(&format!("id=\"role-{contact}\">Myyjä</td>")),
        "{}",
        page.body
    );
    assert!(!page.body.contains("class=\"tag\""));
    assert_eq!(
        customer_log(&admin, id).len(),
        3,
        "created, contact created, linked"
    );
}

#[test]
fn odd_unicode_in_any_field_is_never_a_500() {
    let (_server, admin) = TestServer::with_admin();
    let fields = [
        "name",
        "business_id",
        "email",
        "phone",
        "website",
        "street",
        "postal_code",
        "city",
        "country",
        "einvoice_address",
        "einvoice_operator",
        "notes",
        "tags",
        "owner_id",
    ];
    let odd = [
        "ääää",
        "0112ä38-9",
        "FIäää",
        "0037123456ää",
        "ÄB12345678901234",
        "𝄞𝄞𝄞𝄞𝄞𝄞𝄞𝄞",
        "\u{0}\u{1f}",
        "a\u{301}",
    ];
    for field in fields {
        for value in odd {
            let mut form = vec![("name", "Outo Oy")];
            if field == "name" {
                form.clear();
            }
            form.push((field, value));
            let resp = admin.post_form("/customers/new", "/customers/new", &form);
            assert!(resp.status < 500, "{field}={value:?}: {}", resp.status);
        }
    }
}

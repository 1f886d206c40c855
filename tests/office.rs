//! The register as a Finnish office uses it: honest duplicates and merges field by field,
//! the card's contacts and roles, the fields people expect (country, website, e-invoice
//! operator), readonly users' pages, and the small things (tokens after a redirect, searches
//! that find nothing, the API docs, the command line on an empty database).

mod common;

use common::*;

fn count(server: &TestServer, table: &str) -> i64 {
    rusqlite::Connection::open(&server.db)
        .unwrap()
        .query_row(&format!("SELECT count(*) FROM {table}"), [], |r| r.get(0))
        .unwrap()
}

/// Adds a customer through the form (confirming past any look-alike warning) and returns
/// its id.
fn add_customer(c: &Client, fields: &[(&str, &str)]) -> i64 {
    let mut all = fields.to_vec();
    all.push(("confirm_duplicate", "1"));
    let resp = c.post_form("/customers/new", "/customers/new", &all);
    assert_eq!(resp.status, 303, "{}", resp.body);
    resp.location()
        .trim_start_matches("/customers/")
        .parse()
        .unwrap()
}

// ---- small things ----

#[test]
fn creating_an_api_token_redirects_and_shows_it_once() {
    let (server, admin) = TestServer::with_admin();
    let resp = admin.post_form("/account", "/account/tokens", &[("name", "kirjanpito")]);
    assert_eq!(resp.status, 303);
    assert_eq!(resp.location(), "/account#tokens");
    let page = admin.get("/account");
    assert!(page.body.contains("id=\"new-token\""), "{}", page.body);
    assert!(page.body.contains("API-avain luotiin"));
    // A reload shows no token and makes none.
    let again = admin.get("/account");
    assert!(!again.body.contains("id=\"new-token\""));
    assert_eq!(count(&server, "api_tokens"), 1);
    // The token shown works.
    let token = make_api_token(&admin, "toinen");
    assert_eq!(
        admin.api("GET", "/api/v1/me", Some(&token), None).status,
        200
    );
}

#[test]
fn a_search_that_finds_nothing_says_so_and_contact_hits_name_their_companies() {
    let (_server, admin) = TestServer::with_admin();
    let nothing = admin.get("/search?q=olematon");
    assert_eq!(nothing.status, 200);
    assert_eq!(
        nothing.body.matches("Ei osumia.").count(),
        1,
        "{}",
        nothing.body
    );
    let id = add_customer(&admin, &[("name", "Kahvila Äijälä Oy")]);
    let resp = admin.post_form(
        &format!("/customers/{id}"),
        &format!("/customers/{id}/contacts"),
        &[
            ("first_name", "Maija"),
            ("last_name", "Virtanen"),
            ("role", "Toimitusjohtaja"),
        ],
    );
    assert_eq!(resp.status, 303, "{}", resp.body);
    let found = admin.get("/search?q=virtanen");
    let hits = found.body.split("contact-hits").nth(1).unwrap();
    let hits = hits.split("</ul>").next().unwrap();
    assert!(hits.contains("Maija Virtanen"), "{hits}");
    assert!(
        hits.contains(&format!(
            "<a href=\"/customers/{id}\">Kahvila Äijälä Oy</a> (Toimitusjohtaja)"
        )),
        "{hits}"
    );
}

#[test]
fn user_list_on_an_empty_database_says_there_are_no_users() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("minicrm.db");
    let out = minicrm(&db).args(["user", "list"]).output().unwrap();
    assert!(out.status.success());
    assert_eq!(stdout(&out), "");
    assert!(stderr(&out).contains("no users yet"), "{}", stderr(&out));
}

#[test]
fn the_api_docs_render_code_and_an_example_request_per_route() {
    let (server, admin) = TestServer::with_admin();
    let docs = admin.get("/api/v1/docs");
    assert_eq!(docs.status, 200);
    // Descriptions' `code` is set as code: no backtick is left in the page's text.
    let text_only: String = docs
        .body
        .split("<pre")
        .enumerate()
        .map(|(i, part)| {
            if i == 0 {
                part
            } else {
                part.split("</pre>").nth(1).unwrap_or("")
            }
        })
        .collect();
    assert!(!text_only.contains('`'), "a raw backtick in the docs page");
    assert!(docs.body.contains("<code>after</code>"));
    let routes = docs.body.matches("class=\"card endpoint\"").count();
    assert!(routes > 20, "{routes}");
    assert_eq!(docs.body.matches("<pre class=\"example\">").count(), routes);
    let host = format!("http://{}/api/v1", server.addr);
    assert!(docs.body.contains("-X POST"));
    assert!(docs.body.contains(&format!("'{host}/customers/1'")));
    assert!(docs.body.contains("-d '{"));
    assert!(docs
        .body
        .contains(&format!("'{host}/ytj?business_id=0112038-9'")));
}

// ---- fields people expect ----

#[test]
fn country_is_picked_by_name_and_stored_as_its_code() {
    let (server, admin) = TestServer::with_admin();
    let form = admin.get("/customers/new");
    assert!(form.body.contains("<option value=\"SE\">Ruotsi</option>"));
    assert!(form.body.contains("<option value=\"DE\">Saksa</option>"));
    assert_eq!(page::input_value(&form.body, "country"), "FI");
    let id = add_customer(&admin, &[("name", "Svenska Ab"), ("country", "SE")]);
    let stored: String = rusqlite::Connection::open(&server.db)
        .unwrap()
        .query_row("SELECT country FROM customers WHERE id = ?1", [id], |r| {
            r.get(0)
        })
        .unwrap();
    assert_eq!(stored, "SE");
    let card = admin.get(&format!("/customers/{id}"));
    assert_eq!(page::detail(&card.body, "Maa").as_deref(), Some("Ruotsi"));
    // In English the names are English.
    let en = admin.post_form("/account", "/account/language", &[("language", "en")]);
    assert_eq!(en.status, 303);
    let card = admin.get(&format!("/customers/{id}"));
    assert_eq!(
        page::detail(&card.body, "Country").as_deref(),
        Some("Sweden")
    );
    // A code the list does not know (from the API, an import) is kept and shown as it is.
    let token = make_api_token(&admin, "maat");
    let resp = admin.api(
        "POST",
        "/api/v1/customers",
        Some(&token),
        Some(r#"{"name": "Kosovo Oy", "country": "XK"}"#),
    );
    assert_eq!(resp.status, 201, "{}", resp.body);
    let other = resp.json()["id"].as_i64().unwrap();
    let edit = admin.get(&format!("/customers/{other}/edit"));
    assert_eq!(page::input_value(&edit.body, "country"), "XK");
    let card = admin.get(&format!("/customers/{other}"));
    assert_eq!(page::detail(&card.body, "Country").as_deref(), Some("XK"));
}

#[test]
fn a_website_gets_https_and_one_that_is_no_address_is_refused() {
    let (_server, admin) = TestServer::with_admin();
    let id = add_customer(
        &admin,
        &[("name", "Verkko Oy"), ("website", "www.verkko.fi")],
    );
    let card = admin.get(&format!("/customers/{id}"));
    assert_eq!(
        page::detail(&card.body, "Verkkosivut").as_deref(),
        Some("https://www.verkko.fi")
    );
    assert!(card.body.contains("href=\"https://www.verkko.fi\""));
    for bad in ["www verkko fi", "ei ole", "javascript:alert(1)", "verkko"] {
        let resp = admin.post_form(
            "/customers/new",
            "/customers/new",
            &[("name", "Huono Oy"), ("website", bad)],
        );
        assert_eq!(resp.status, 422, "{bad}");
        assert_eq!(
            page::field_error(&resp.body, "website").as_deref(),
            Some("Anna verkko-osoite, esim. www.yritys.fi (ilman välilyöntejä)."),
            "{bad}"
        );
        assert_eq!(page::input_value(&resp.body, "website"), bad);
    }
    let token = make_api_token(&admin, "sivut");
    let resp = admin.api(
        "PATCH",
        &format!("/api/v1/customers/{id}"),
        Some(&token),
        Some(r#"{"website": "www verkko fi"}"#),
    );
    assert_eq!(resp.status, 422);
    assert!(resp.json()["error"]["fields"]["website"].is_string());
}

#[test]
fn the_einvoice_operator_is_offered_from_a_list_and_shown_by_name() {
    let (_server, admin) = TestServer::with_admin();
    let form = admin.get("/customers/new");
    assert!(form.body.contains("list=\"einvoice-operators\""));
    assert!(form
        .body
        .contains("<option value=\"003721291126\">Maventa</option>"));
    assert!(form.body.contains("<option value=\"OKOYFIHH\">OP</option>"));
    let known = add_customer(
        &admin,
        &[
            ("name", "Laskutus Oy"),
            ("einvoice_operator", "003721291126"),
        ],
    );
    let card = admin.get(&format!("/customers/{known}"));
    assert_eq!(
        page::detail(&card.body, "Verkkolaskuoperaattori").as_deref(),
        Some("Maventa (003721291126)")
    );
    // Any other operator ID is still taken and shown as typed.
    let other = add_customer(
        &admin,
        &[
            ("name", "Toinen Lasku Oy"),
            ("einvoice_operator", "003799999999"),
        ],
    );
    let card = admin.get(&format!("/customers/{other}"));
    assert_eq!(
        page::detail(&card.body, "Verkkolaskuoperaattori").as_deref(),
        Some("003799999999")
    );
}

// ---- readonly users ----

/// The links and forms on a page that would change the register.
fn write_actions(body: &str) -> Vec<String> {
    let main = body.split("<main").nth(1).unwrap_or(body);
    let mut found = Vec::new();
    for part in main.split("href=\"").skip(1) {
        let href = part.split('"').next().unwrap();
        let path = href.split(['?', '#']).next().unwrap();
        if path.ends_with("/new")
            || path.ends_with("/edit")
            || path.ends_with("/delete")
            || path.ends_with("/merge")
        {
            found.push(href.to_string());
        }
    }
    for part in main.split("method=\"post\" action=\"").skip(1) {
        found.push(format!("POST {}", part.split('"').next().unwrap()));
    }
    found
}

#[test]
fn readonly_users_see_no_write_buttons_and_get_a_clear_page_instead_of_a_form() {
    let (server, admin) = TestServer::with_admin();
    let customer = add_customer(&admin, &[("name", "Kahvila Äijälä Oy")]);
    let card = format!("/customers/{customer}");
    let resp = admin.post_form(
        &card,
        &format!("{card}/contacts"),
        &[
            ("first_name", "Maija"),
            ("last_name", "Mäki"),
            ("role", "Omistaja"),
        ],
    );
    assert_eq!(resp.status, 303);
    let contact = admin
        .get(&card)
        .body
        .split("href=\"/contacts/")
        .nth(1)
        .unwrap()
        .split('"')
        .next()
        .unwrap()
        .to_string();
    let admin_id = user_id(&admin, "admin");
    let resp = admin.post_form(
        "/tasks/new",
        "/tasks/new",
        &[
            ("description", "Soita Maijalle"),
            ("assignee_id", &admin_id),
            ("due_date", "2097-01-02"),
            ("customer_id", &customer.to_string()),
        ],
    );
    assert_eq!(resp.status, 303, "{}", resp.body);
    let task = resp.location().to_string();
    add_user(&admin, "lukija", "readonly", "lukijan-salasana-1");
    let reader = server.client();
    assert_eq!(reader.login("lukija", "lukijan-salasana-1").status, 303);
    for page in [
        "/".to_string(),
        "/customers".into(),
        card.clone(),
        format!("{card}?tab=tasks"),
        "/contacts".into(),
        format!("/contacts/{contact}"),
        "/tasks".into(),
        task.clone(),
        "/customers/duplicates".into(),
        "/contacts/duplicates".into(),
        "/search?q=maija".into(),
    ] {
        let resp = reader.get(&page);
        assert_eq!(resp.status, 200, "{page}");
        assert_eq!(write_actions(&resp.body), Vec::<String>::new(), "{page}");
    }
    // The same pages offer them to a user who may write.
    assert!(!write_actions(&admin.get(&card).body).is_empty());
    // An add or edit address is a page that says why, not a form.
    for page in [
        "/customers/new".to_string(),
        format!("{card}/edit"),
        format!("/contacts/{contact}/edit"),
        "/tasks/new".into(),
    ] {
        let resp = reader.get(&page);
        assert_eq!(resp.status, 403, "{page}");
        assert!(resp.body.contains("<h1>Vain lukuoikeus</h1>"), "{page}");
        assert!(!resp.body.contains("<form class=\"wide\""), "{page}");
    }
}

#[test]
fn readonly_users_are_not_offered_as_owners() {
    let (_server, admin) = TestServer::with_admin();
    add_user(&admin, "lukija", "readonly", "lukijan-salasana-1");
    add_user(&admin, "myyja", "user", "myyjan-salasana-1");
    let reader = user_id(&admin, "lukija");
    let seller = user_id(&admin, "myyja");
    for page in ["/customers/new", "/customers"] {
        let body = admin.get(page).body;
        let owners = body.split("id=\"f-owner_id\"").nth(1).unwrap();
        let owners = owners.split("</select>").next().unwrap();
        assert!(owners.contains(&format!("value=\"{seller}\"")), "{page}");
        assert!(!owners.contains(&format!("value=\"{reader}\"")), "{page}");
    }
}

// ---- duplicates that tell the truth ----

#[test]
fn a_business_id_in_use_is_a_hard_stop_that_names_the_customer_who_has_it() {
    let (_server, admin) = TestServer::with_admin();
    let alfa = add_customer(&admin, &[("name", "Alfa Oy"), ("business_id", "0112038-9")]);
    let holder = format!(
        "Y-tunnus 0112038-9 on jo asiakkaalla <a href=\"/customers/{alfa}\">Alfa Oy</a> (1001)."
    );
    for confirm in [false, true] {
        let mut fields = vec![("name", "Gamma Oy"), ("business_id", "FI01120389")];
        if confirm {
            fields.push(("confirm_duplicate", "1"));
        }
        let resp = admin.post_form("/customers/new", "/customers/new", &fields);
        assert_eq!(resp.status, 409, "{}", resp.body);
        assert!(resp.body.contains(&holder), "{}", resp.body);
        assert!(!resp.body.contains("name=\"confirm_duplicate\""));
        assert_eq!(page::input_value(&resp.body, "name"), "Gamma Oy");
    }
    // Editing another customer to that business ID stops the same way.
    let beta = add_customer(&admin, &[("name", "Beta Oy")]);
    let resp = admin.post_form(
        &format!("/customers/{beta}/edit"),
        &format!("/customers/{beta}/edit"),
        &[
            ("name", "Beta Oy"),
            ("business_id", "0112038-9"),
            ("country", "FI"),
        ],
    );
    assert_eq!(resp.status, 409);
    assert!(resp.body.contains(&holder), "{}", resp.body);
}

#[test]
fn a_look_alike_warning_says_what_matched_with_add_anyway_beside_it() {
    let (_server, admin) = TestServer::with_admin();
    add_customer(&admin, &[("name", "Alfa Oy"), ("email", "info@alfa.fi")]);
    let resp = admin.post_form(
        "/customers/new",
        "/customers/new",
        &[("name", "Beeta Oy"), ("email", "INFO@alfa.fi")],
    );
    assert_eq!(resp.status, 200);
    let warning = resp.body.split("class=\"warning\"").nth(1).unwrap();
    let warning = warning.split("</div>").next().unwrap();
    assert!(
        warning.contains("<strong>sama sähköpostiosoite</strong>"),
        "{warning}"
    );
    assert!(!warning.contains("sama nimi"), "{warning}");
    assert!(
        warning.contains(
            "<button type=\"submit\" name=\"confirm_duplicate\" value=\"1\">Lisää silti</button>"
        ),
        "{warning}"
    );
    // The same on the customer card's new-contact form.
    let id = add_customer(&admin, &[("name", "Gamma Oy")]);
    let card = format!("/customers/{id}");
    let person = [
        ("first_name", "Maija"),
        ("last_name", "Mäki"),
        ("email", "maija@gamma.fi"),
    ];
    assert_eq!(
        admin
            .post_form(&card, &format!("{card}/contacts"), &person)
            .status,
        303
    );
    let again = admin.post_form(&card, &format!("{card}/contacts"), &person);
    assert_eq!(again.status, 200);
    assert!(again
        .body
        .contains("<strong>sama nimi</strong>, <strong>sama sähköpostiosoite</strong>"));
    let mut confirmed = person.to_vec();
    confirmed.push(("confirm_duplicate", "1"));
    assert_eq!(
        admin
            .post_form(&card, &format!("{card}/contacts"), &confirmed)
            .status,
        303
    );
}

#[test]
fn the_duplicate_finder_never_pairs_two_different_business_ids() {
    let (server, admin) = TestServer::with_admin();
    let one = add_customer(&admin, &[("name", "Alfa Oy"), ("business_id", "0112038-9")]);
    let two = add_customer(&admin, &[("name", "Alfa Ab"), ("business_id", "1234567-1")]);
    let page = admin.get("/customers/duplicates");
    assert!(!page.body.contains("/customers/merge?"), "{}", page.body);
    // A third without a business ID may be either one.
    let three = add_customer(&admin, &[("name", "ALFA")]);
    let page = admin.get("/customers/duplicates");
    assert!(page
        .body
        .contains(&format!("/customers/merge?a={one}&amp;b={three}")));
    assert!(page
        .body
        .contains(&format!("/customers/merge?a={two}&amp;b={three}")));
    assert!(!page
        .body
        .contains(&format!("/customers/merge?a={one}&amp;b={two}")));
    // Compared by hand, the two are refused: no merge form, and a post writes nothing.
    let form = admin.get(&format!("/customers/merge?a={one}&b={two}"));
    assert!(form.body.contains("eri Y-tunnukset"), "{}", form.body);
    assert!(!form.body.contains("name=\"pair\""));
    let resp = admin.post_form(
        "/customers/duplicates",
        "/customers/merge",
        &[("pair", &format!("{one}:{two}"))],
    );
    assert_eq!(resp.status, 422);
    assert_eq!(count(&server, "customers"), 3);
}

#[test]
fn merging_customers_takes_each_field_from_the_record_chosen() {
    let (server, admin) = TestServer::with_admin();
    let a = add_customer(
        &admin,
        &[
            ("name", "Beta Oy"),
            ("email", "a@beta.fi"),
            ("phone", "040 1"),
            ("city", ""),
        ],
    );
    let b = add_customer(
        &admin,
        &[
            ("name", "Beta Ab"),
            ("email", "b@beta.fi"),
            ("phone", "040 2"),
            ("city", "Oulu"),
        ],
    );
    let form = admin.get(&format!("/customers/merge?a={a}&b={b}"));
    assert_eq!(form.status, 200);
    for field in ["name", "email", "phone", "city"] {
        assert!(
            form.body.contains(&format!("name=\"pick_{field}\"")),
            "{field}"
        );
    }
    // Equal fields (here the country) offer no choice.
    assert!(!form.body.contains("name=\"pick_country\""));
    let resp = admin.post_form(
        &format!("/customers/merge?a={a}&b={b}"),
        "/customers/merge",
        &[
            ("pair", &format!("{a}:{b}")),
            ("pick_name", &a.to_string()),
            ("pick_email", &b.to_string()),
            ("pick_phone", &a.to_string()),
        ],
    );
    assert_eq!(resp.status, 303, "{}", resp.body);
    assert_eq!(resp.location(), format!("/customers/{a}"));
    let card = admin.get(&format!("/customers/{a}"));
    assert_eq!(
        page::detail(&card.body, "Sähköposti").as_deref(),
        Some("b@beta.fi")
    );
    assert_eq!(
        page::detail(&card.body, "Puhelin").as_deref(),
        Some("040 1")
    );
    // Not chosen: the kept one's empty city takes the other's.
    assert!(card.body.contains("Oulu"));
    assert!(card.body.contains("<h1>Beta Oy"));
    assert_eq!(count(&server, "customers"), 1);
    // A choice that names neither record is a bad request that writes nothing.
    let c = add_customer(&admin, &[("name", "Gamma Oy")]);
    let resp = admin.post_form(
        "/customers/duplicates",
        "/customers/merge",
        &[("pair", &format!("{a}:{c}")), ("pick_email", "999999")],
    );
    assert_eq!(resp.status, 400);
    assert_eq!(count(&server, "customers"), 2);
}

#[test]
fn the_contact_merge_shows_each_ones_companies_and_chooses_field_by_field() {
    let (_server, admin) = TestServer::with_admin();
    let alfa = add_customer(&admin, &[("name", "Alfa Oy")]);
    let beta = add_customer(&admin, &[("name", "Beta Oy")]);
    let add = |customer: i64, email: &str, role: &str| {
        let card = format!("/customers/{customer}");
        let resp = admin.post_form(
            &card,
            &format!("{card}/contacts"),
            &[
                ("first_name", "Maija"),
                ("last_name", "Mäki"),
                ("email", email),
                ("role", role),
                ("confirm_duplicate", "1"),
            ],
        );
        assert_eq!(resp.status, 303, "{}", resp.body);
    };
    add(alfa, "maija@alfa.fi", "Toimitusjohtaja");
    add(beta, "maija@beta.fi", "");
    let dupes = admin.get("/contacts/duplicates");
    let href = dupes
        .body
        .split("href=\"/contacts/merge?")
        .nth(1)
        .unwrap()
        .split('"')
        .next()
        .unwrap()
        .replace("&amp;", "&");
    let form = admin.get(&format!("/contacts/merge?{href}"));
    assert_eq!(form.status, 200);
    assert!(form
        .body
        .contains(&format!("<a href=\"/customers/{alfa}\">Alfa Oy</a>")));
    assert!(form.body.contains(" — Toimitusjohtaja"));
    assert!(form
        .body
        .contains(&format!("<a href=\"/customers/{beta}\">Beta Oy</a>")));
    assert!(form.body.contains("name=\"pick_email\""));
    let ids: Vec<i64> = href
        .split('&')
        .map(|p| p.split('=').nth(1).unwrap().parse().unwrap())
        .collect();
    let (kept, removed) = (ids[0], ids[1]);
    let resp = admin.post_form(
        &format!("/contacts/merge?{href}"),
        "/contacts/merge",
        &[
            ("pair", &format!("{kept}:{removed}")),
            ("pick_email", &removed.to_string()),
        ],
    );
    assert_eq!(resp.status, 303, "{}", resp.body);
    let card = admin.get(&format!("/contacts/{kept}"));
    assert_eq!(
        page::detail(&card.body, "Sähköposti").as_deref(),
        Some("maija@beta.fi")
    );
    assert!(card.body.contains("Alfa Oy") && card.body.contains("Beta Oy"));
}

// ---- the card's contacts and roles ----

#[test]
fn a_role_is_text_with_an_edit_page_and_unlinking_asks_and_logs_the_role() {
    let (_server, admin) = TestServer::with_admin();
    let id = add_customer(&admin, &[("name", "Alfa Oy")]);
    let card = format!("/customers/{id}");
    let resp = admin.post_form(
        &card,
        &format!("{card}/contacts"),
        &[
            ("first_name", "Maija"),
            ("last_name", "Mäki"),
            ("phone", "040 123 4567"),
            ("email", "maija@alfa.fi"),
            ("role", "Toimitusjohtaja"),
        ],
    );
    assert_eq!(resp.status, 303);
    let page = admin.get(&card);
    let contact: i64 = page
        .body
        .split("href=\"/contacts/")
        .nth(1)
        .unwrap()
        .split('"')
        .next()
        .unwrap()
        .parse()
        .unwrap();
    let table = page
        .body
        .split("section class=\"card\" id=\"contacts\"")
        .nth(1)
        .unwrap();
    let table = table.split("</table>").next().unwrap();
    // The role is text; the e-mail and phone are links; the actions are links to pages.
    assert!(
        table.contains(&format!(
            "<td class=\"role\" id=\"role-{contact}\">Toimitusjohtaja</td>"
        )),
        "{table}"
    );
    assert!(!table.contains("<input"), "{table}");
    assert!(table.contains("href=\"mailto:maija@alfa.fi\""));
    assert!(table.contains("href=\"tel:0401234567\""));
    let role_page = format!("{card}/contacts/{contact}/role");
    assert!(
        table.contains(&format!("href=\"{role_page}?back=")),
        "{table}"
    );
    // The role's own page changes it and returns to the card.
    let form = admin.get(&format!("{role_page}?back=%2Fcustomers%2F{id}"));
    assert_eq!(form.status, 200);
    assert_eq!(page::input_value(&form.body, "role"), "Toimitusjohtaja");
    let resp = admin.post_form(
        &format!("{role_page}?back=%2Fcustomers%2F{id}"),
        &role_page,
        &[("role", "Hallituksen puheenjohtaja"), ("back", &card)],
    );
    assert_eq!(resp.status, 303);
    assert_eq!(resp.location(), card);
    assert!(admin.get(&card).body.contains(&format!(
        "id=\"role-{contact}\">Hallituksen puheenjohtaja</td>"
    )));
    // Unlinking asks first, naming the role; the GET changes nothing.
    let unlink = format!("{card}/contacts/{contact}/unlink");
    let ask = admin.get(&format!("{unlink}?back=%2Fcontacts%2F{contact}"));
    assert_eq!(ask.status, 200);
    assert!(ask
        .body
        .contains("Irrotetaanko Maija Mäki asiakkaasta Alfa Oy?"));
    assert!(ask
        .body
        .contains("<strong>Hallituksen puheenjohtaja</strong>"));
    assert!(
        ask.body.contains(&format!("href=\"/contacts/{contact}\"")),
        "cancel goes back"
    );
    assert!(admin.get(&card).body.contains("Maija Mäki"));
    let resp = admin.post_form(
        &format!("{unlink}?back=%2Fcontacts%2F{contact}"),
        &unlink,
        &[("back", &format!("/contacts/{contact}"))],
    );
    assert_eq!(resp.status, 303);
    assert_eq!(resp.location(), format!("/contacts/{contact}"));
    let log = admin.get(&format!("{card}?tab=log"));
    let events = page::events(&log.body);
    assert!(
        events.iter().any(|(_, s)| s
            == "Maija Mäki irrotettiin asiakkaasta Alfa Oy (rooli oli Hallituksen puheenjohtaja)."),
        "{events:?}"
    );
    // A link that is not there is a 404, on both pages.
    assert_eq!(admin.get(&unlink).status, 404);
    assert_eq!(admin.get(&role_page).status, 404);
}

//! The contact pages over real HTTP: creating contacts from their own form and in place from a
//! customer's card, linking from either card, one contact at several customers with a role in
//! each, changing roles, unlinking, the duplicate warning, deleting, the log, and the readonly
//! role. Texts are the Finnish ones of `src/i18n/fi.txt` (the company's language).

mod common;

use common::page::*;
use common::*;

// ---- helpers ----

/// Creates a customer through its form and returns its id.
fn customer(c: &Client, name: &str) -> i64 {
    let resp = c.post_form("/customers/new", "/customers/new", &[("name", name)]);
    assert_eq!(resp.status, 303, "{}", resp.body);
    id_from_location(resp.location(), "/customers/")
}

/// Creates a contact from /contacts/new and returns its id.
fn contact(c: &Client, fields: &[(&str, &str)]) -> i64 {
    let resp = c.post_form("/contacts/new", "/contacts/new", fields);
    assert_eq!(resp.status, 303, "{}", resp.body);
    id_from_location(resp.location(), "/contacts/")
}

/// Posts the customer card's contact form (a new contact made in place, or `contact_id`).
fn add_on_card(c: &Client, customer: i64, fields: &[(&str, &str)]) -> Response {
    let card = format!("/customers/{customer}");
    c.post_form(&card, &format!("{card}/contacts"), fields)
}

/// Creates a contact in place on the customer's card; returns the new contact's id.
fn new_on_card(c: &Client, customer: i64, first: &str, last: &str, role: &str) -> i64 {
    let before = contact_ids(c);
    let resp = add_on_card(
        c,
        customer,
        &[("first_name", first), ("last_name", last), ("role", role)],
    );
    assert_eq!(resp.status, 303, "{}", resp.body);
    assert_eq!(resp.location(), format!("/customers/{customer}#contacts"));
    let after = contact_ids(c);
    let new: Vec<i64> = after
        .into_iter()
        .filter(|id| !before.contains(id))
        .collect();
    assert_eq!(new.len(), 1, "one contact made");
    new[0]
}

/// The ids of every contact on the contact list (newest first).
fn contact_ids(c: &Client) -> Vec<i64> {
    let page = c.get("/contacts?sort=-created_at&limit=500");
    assert_eq!(page.status, 200);
    let Some(tbody) = page.body.split("<tbody>").nth(1) else {
        return Vec::new();
    };
    tbody
        .split("</tbody>")
        .next()
        .unwrap()
        .split("<tr")
        .filter_map(|row| row.split("<a href=\"/contacts/").nth(1))
        .map(|s| s.split('"').next().unwrap().parse().unwrap())
        .collect()
}

/// The names of the contacts on a contact list page, in order.
fn contact_names(body: &str) -> Vec<String> {
    let Some(tbody) = body.split("<tbody>").nth(1) else {
        return Vec::new();
    };
    tbody
        .split("</tbody>")
        .next()
        .unwrap()
        .split("<tr")
        .filter_map(|row| row.split("<a href=\"/contacts/").nth(1))
        .map(|s| unescape(s.split_once('>').unwrap().1.split("</a>").next().unwrap()))
        .collect()
}

/// The role shown in the cell `id="role-{id}"` on a card (a contact's id on a customer's card,
/// a customer's id on a contact's card).
fn role_on(body: &str, id: i64) -> Option<String> {
    let marker = format!("id=\"role-{id}\">");
    let at = body.find(&marker)? + marker.len();
    Some(unescape(&body[at..at + body[at..].find("</td>").unwrap()]))
}

fn log_of(c: &Client, card: &str) -> Vec<(String, String)> {
    let page = c.get(&format!("{card}?tab=log"));
    assert_eq!(page.status, 200, "{}", page.body);
    events(&page.body)
}

/// The part of a customer card that lists its contacts.
fn contacts_section(body: &str) -> &str {
    let start = body.find("id=\"contacts\"").expect("a contacts section");
    let rest = &body[start..];
    let end = rest.find("</table>").unwrap_or(rest.len());
    &rest[..end]
}

// ---- creating ----

#[test]
fn a_contact_made_on_the_new_contact_form_shows_on_its_card_and_the_list() {
    let (_server, admin) = TestServer::with_admin();
    let form = admin.get("/contacts/new");
    assert_eq!(form.status, 200);
    assert!(form.body.contains("<h1>Lisää kontakti</h1>"));
    assert!(
        !form.body.contains("name=\"role\""),
        "no role without a customer"
    );
    let resp = admin.post_form(
        "/contacts/new",
        "/contacts/new",
        &[
            ("first_name", "Maija"),
            ("last_name", "Meikäläinen"),
            ("title", "Talousjohtaja"),
            ("email", "maija@example.fi"),
            ("phone", "040 111 2222"),
            ("tags", "Päättäjä, Golf"),
            ("notes", "Tavattu messuilla."),
        ],
    );
    assert_eq!(resp.status, 303, "{}", resp.body);
    let id = id_from_location(resp.location(), "/contacts/");
    assert_eq!(resp.location(), format!("/contacts/{id}"));
    let card = admin.get(resp.location());
    assert_eq!(card.status, 200);
    assert_eq!(flash(&card.body).as_deref(), Some("Kontakti lisättiin."));
    assert!(card.body.contains("<h1>Maija Meikäläinen</h1>"));
    assert_eq!(
        detail(&card.body, "Titteli").as_deref(),
        Some("Talousjohtaja")
    );
    assert_eq!(
        detail(&card.body, "Sähköposti").as_deref(),
        Some("maija@example.fi")
    );
    assert_eq!(
        detail(&card.body, "Puhelin").as_deref(),
        Some("040 111 2222")
    );
    assert!(card.body.contains("<span class=\"tag\">Golf</span>"));
    assert!(card.body.contains("<span class=\"tag\">Päättäjä</span>"));
    assert!(card.body.contains("Tavattu messuilla."));
    assert!(card.body.contains("Ei liitetty yhteenkään asiakkaaseen."));
    let list = admin.get("/contacts");
    assert_eq!(contact_names(&list.body), ["Maija Meikäläinen"]);
    assert!(list.body.contains("maija@example.fi"));
    // Only a first or only a last name is enough.
    contact(&admin, &[("first_name", "Cher")]);
    contact(&admin, &[("last_name", "Virtanen")]);
    assert_eq!(contact_ids(&admin).len(), 3);
    assert_eq!(admin.get("/contacts/99999").status, 404);
}

#[test]
fn the_new_contact_form_of_a_customer_links_the_contact_with_its_role() {
    let (_server, admin) = TestServer::with_admin();
    let alfa = customer(&admin, "Alfa Oy");
    let page = format!("/contacts/new?customer_id={alfa}");
    let form = admin.get(&page);
    assert_eq!(form.status, 200);
    assert!(form
        .body
        .contains(&format!("name=\"customer_id\" value=\"{alfa}\"")));
    assert!(form.body.contains("name=\"role\""));
    let resp = admin.post_form(
        &page,
        "/contacts/new",
        &[
            ("customer_id", &alfa.to_string()),
            ("role", "Toimitusjohtaja"),
            ("first_name", "Matti"),
            ("last_name", "Virtanen"),
        ],
    );
    assert_eq!(resp.status, 303, "{}", resp.body);
    let id = id_from_location(resp.location(), "/contacts/");
    let card = admin.get(&format!("/contacts/{id}"));
    assert!(card
        .body
        .contains(&format!("<a href=\"/customers/{alfa}\">Alfa Oy</a>")));
    assert_eq!(
        role_on(&card.body, alfa).as_deref(),
        Some("Toimitusjohtaja")
    );
    let customer_card = admin.get(&format!("/customers/{alfa}"));
    assert!(contacts_section(&customer_card.body)
        .contains(&format!("<a href=\"/contacts/{id}\">Matti Virtanen</a>")));
    assert_eq!(
        role_on(&customer_card.body, id).as_deref(),
        Some("Toimitusjohtaja")
    );
}

#[test]
fn a_contact_for_a_missing_customer_is_refused_with_the_reason_shown() {
    let (_server, admin) = TestServer::with_admin();
    let resp = admin.post_form(
        "/contacts/new?customer_id=99999",
        "/contacts/new",
        &[
            ("customer_id", "99999"),
            ("role", "Myyjä"),
            ("first_name", "Orpo"),
            ("last_name", "Kontakti"),
        ],
    );
    assert_eq!(resp.status, 422, "{}", resp.body);
    assert!(resp.body.contains("Asiakasta ei ole."), "{}", resp.body);
    assert_eq!(input_value(&resp.body, "first_name"), "Orpo");
    assert!(contact_ids(&admin).is_empty());
}

#[test]
fn a_contact_without_a_name_or_with_a_bad_email_comes_back_with_the_input_kept() {
    let (_server, admin) = TestServer::with_admin();
    let resp = admin.post_form(
        "/contacts/new",
        "/contacts/new",
        &[
            ("first_name", "  "),
            ("last_name", ""),
            ("email", "nimeton@example.fi"),
            ("title", "Hallituksen jäsen"),
        ],
    );
    assert_eq!(resp.status, 422, "{}", resp.body);
    assert!(resp.body.contains("Korjaa alla merkityt kentät."));
    assert_eq!(
        field_error(&resp.body, "last_name").as_deref(),
        Some("Anna etu- tai sukunimi.")
    );
    assert_eq!(input_value(&resp.body, "email"), "nimeton@example.fi");
    assert_eq!(input_value(&resp.body, "title"), "Hallituksen jäsen");
    let resp = admin.post_form(
        "/contacts/new",
        "/contacts/new",
        &[("first_name", "Väärä"), ("email", "ei osoite")],
    );
    assert_eq!(resp.status, 422);
    assert_eq!(
        field_error(&resp.body, "email").as_deref(),
        Some("Tämä ei näytä sähköpostiosoitteelta.")
    );
    assert_eq!(input_value(&resp.body, "first_name"), "Väärä");
    // Too long: refused at the field, never a 500.
    let long = "x".repeat(10_000);
    let resp = admin.post_form(
        "/contacts/new",
        "/contacts/new",
        &[("first_name", &long), ("notes", &long)],
    );
    assert_eq!(resp.status, 422);
    assert_eq!(
        field_error(&resp.body, "first_name").as_deref(),
        Some("Tämä on liian pitkä.")
    );
    assert!(contact_ids(&admin).is_empty());
}

#[test]
fn a_new_contact_is_created_in_place_from_the_customer_card() {
    let (_server, admin) = TestServer::with_admin();
    let alfa = customer(&admin, "Alfa Oy");
    let card = admin.get(&format!("/customers/{alfa}"));
    assert!(card.body.contains("Ei vielä kontakteja."));
    assert!(card.body.contains("Tai luo uusi kontakti"));
    let resp = add_on_card(
        &admin,
        alfa,
        &[
            ("first_name", "Maija"),
            ("last_name", "Meikäläinen"),
            ("email", "maija@alfa.fi"),
            ("phone", "040 123 0000"),
            ("role", "Toimitusjohtaja"),
        ],
    );
    assert_eq!(resp.status, 303, "{}", resp.body);
    assert_eq!(resp.location(), format!("/customers/{alfa}#contacts"));
    let card = admin.get(&format!("/customers/{alfa}"));
    assert_eq!(flash(&card.body).as_deref(), Some("Kontakti lisättiin."));
    let ids = contact_ids(&admin);
    assert_eq!(ids.len(), 1);
    let id = ids[0];
    let section = contacts_section(&card.body);
    assert!(
        section.contains(&format!("<a href=\"/contacts/{id}\">Maija Meikäläinen</a>")),
        "{section}"
    );
    assert!(section.contains("maija@alfa.fi"));
    assert!(section.contains("040 123 0000"));
    assert_eq!(role_on(&card.body, id).as_deref(), Some("Toimitusjohtaja"));
    let contact_card = admin.get(&format!("/contacts/{id}"));
    assert!(contact_card
        .body
        .contains(&format!("<a href=\"/customers/{alfa}\">Alfa Oy</a>")));
    assert_eq!(
        role_on(&contact_card.body, alfa).as_deref(),
        Some("Toimitusjohtaja")
    );
    assert_eq!(
        detail(&contact_card.body, "Sähköposti").as_deref(),
        Some("maija@alfa.fi")
    );

    // A bad new contact comes back on the card with its error and the input kept.
    let resp = add_on_card(
        &admin,
        alfa,
        &[
            ("first_name", ""),
            ("last_name", ""),
            ("email", "x@y.fi"),
            ("role", "Myyjä"),
        ],
    );
    assert_eq!(resp.status, 422, "{}", resp.body);
    assert!(resp.body.contains("<h1>Alfa Oy</h1>"));
    assert_eq!(
        field_error(&resp.body, "last_name").as_deref(),
        Some("Anna etu- tai sukunimi.")
    );
    assert_eq!(input_value(&resp.body, "email"), "x@y.fi");
    assert_eq!(input_value(&resp.body, "role"), "Myyjä");
    let long_role = "r".repeat(101);
    let resp = add_on_card(
        &admin,
        alfa,
        &[
            ("first_name", "Pitkä"),
            ("last_name", "Rooli"),
            ("role", &long_role),
        ],
    );
    assert_eq!(resp.status, 422, "{}", resp.body);
    assert_eq!(
        field_error(&resp.body, "role").as_deref(),
        Some("Tämä on liian pitkä.")
    );
    assert_eq!(contact_ids(&admin).len(), 1, "nothing more was created");
    // On an unknown customer: 404.
    let resp = admin.post_form(
        "/",
        "/customers/99999/contacts",
        &[("first_name", "Ei"), ("role", "")],
    );
    assert_eq!(resp.status, 404);
    assert_eq!(contact_ids(&admin).len(), 1);
}

// ---- linking ----

#[test]
fn an_existing_contact_is_linked_from_the_customer_card() {
    let (_server, admin) = TestServer::with_admin();
    let alfa = customer(&admin, "Alfa Oy");
    let id = contact(
        &admin,
        &[
            ("first_name", "Kalle"),
            ("last_name", "Kirjanpitäjä"),
            ("email", "kalle@tilit.fi"),
        ],
    );
    // The card finds the contact to link.
    let found = admin.get(&format!("/customers/{alfa}?find=kirjanp"));
    assert_eq!(found.status, 200);
    assert!(
        found
            .body
            .contains(&format!("name=\"contact_id\" value=\"{id}\"")),
        "{}",
        found.body
    );
    assert!(found.body.contains("Kalle Kirjanpitäjä (kalle@tilit.fi)"));
    let nothing = admin.get(&format!("/customers/{alfa}?find=tuntematon"));
    assert!(nothing.body.contains("Ei osumia."));

    let resp = add_on_card(
        &admin,
        alfa,
        &[("contact_id", &id.to_string()), ("role", "Kirjanpitäjä")],
    );
    assert_eq!(resp.status, 303, "{}", resp.body);
    assert_eq!(resp.location(), format!("/customers/{alfa}#contacts"));
    let card = admin.get(&format!("/customers/{alfa}"));
    assert_eq!(flash(&card.body).as_deref(), Some("Kontakti liitettiin."));
    assert_eq!(role_on(&card.body, id).as_deref(), Some("Kirjanpitäjä"));
    assert_eq!(contact_ids(&admin), [id], "no new contact");
    // An unknown contact: 404, nothing linked.
    let resp = add_on_card(&admin, alfa, &[("contact_id", "99999"), ("role", "X")]);
    assert_eq!(resp.status, 404);
}

#[test]
fn a_customer_is_linked_from_the_contact_card() {
    let (_server, admin) = TestServer::with_admin();
    let alfa = customer(&admin, "Alfa Oy");
    let id = contact(
        &admin,
        &[("first_name", "Liisa"), ("last_name", "Linkitettävä")],
    );
    let card_path = format!("/contacts/{id}");
    let found = admin.get(&format!("{card_path}?find=alfa"));
    assert_eq!(found.status, 200);
    assert!(found
        .body
        .contains(&format!("action=\"{card_path}/customers\"")));
    assert!(
        found
            .body
            .contains(&format!("name=\"customer_id\" value=\"{alfa}\"")),
        "{}",
        found.body
    );
    assert!(found.body.contains("Alfa Oy (1001)"));

    let resp = admin.post_form(
        &card_path,
        &format!("{card_path}/customers"),
        &[
            ("customer_id", &alfa.to_string()),
            ("role", "Hallituksen jäsen"),
        ],
    );
    assert_eq!(resp.status, 303, "{}", resp.body);
    assert_eq!(resp.location(), format!("{card_path}#customers"));
    let card = admin.get(&card_path);
    assert_eq!(flash(&card.body).as_deref(), Some("Kontakti liitettiin."));
    assert!(card
        .body
        .contains(&format!("<a href=\"/customers/{alfa}\">Alfa Oy</a>")));
    assert_eq!(
        role_on(&card.body, alfa).as_deref(),
        Some("Hallituksen jäsen")
    );
    let customer_card = admin.get(&format!("/customers/{alfa}"));
    assert_eq!(
        role_on(&customer_card.body, id).as_deref(),
        Some("Hallituksen jäsen")
    );

    // No customer, or one that does not exist: the reason on the card, nothing linked.
    for bad in ["", "99999", "abc"] {
        let resp = admin.post_form(
            &card_path,
            &format!("{card_path}/customers"),
            &[("customer_id", bad), ("role", "X")],
        );
        assert_eq!(resp.status, 422, "{bad:?}: {}", resp.body);
        assert!(resp.body.contains("Asiakasta ei ole."), "{bad:?}");
        assert!(resp.body.contains("<h1>Liisa Linkitettävä</h1>"));
    }
    let card = admin.get(&card_path);
    assert_eq!(card.body.matches("id=\"role-").count(), 1);
    // An unknown contact: 404.
    let resp = admin.post_form(
        "/",
        "/contacts/99999/customers",
        &[("customer_id", &alfa.to_string()), ("role", "")],
    );
    assert_eq!(resp.status, 404);
}

#[test]
fn one_contact_at_two_customers_with_different_roles_shows_on_both_cards() {
    let (_server, admin) = TestServer::with_admin();
    let alfa = customer(&admin, "Alfa Oy");
    let beta = customer(&admin, "Beta Oy");
    let id = new_on_card(&admin, alfa, "Maija", "Meikäläinen", "Toimitusjohtaja");
    let resp = add_on_card(
        &admin,
        beta,
        &[
            ("contact_id", &id.to_string()),
            ("role", "Hallituksen jäsen"),
        ],
    );
    assert_eq!(resp.status, 303, "{}", resp.body);

    let alfa_card = admin.get(&format!("/customers/{alfa}"));
    let beta_card = admin.get(&format!("/customers/{beta}"));
    for card in [&alfa_card, &beta_card] {
        assert!(contacts_section(&card.body)
            .contains(&format!("<a href=\"/contacts/{id}\">Maija Meikäläinen</a>")));
    }
    assert_eq!(
        role_on(&alfa_card.body, id).as_deref(),
        Some("Toimitusjohtaja")
    );
    assert_eq!(
        role_on(&beta_card.body, id).as_deref(),
        Some("Hallituksen jäsen")
    );
    let contact_card = admin.get(&format!("/contacts/{id}"));
    assert!(contact_card
        .body
        .contains(&format!("<a href=\"/customers/{alfa}\">Alfa Oy</a>")));
    assert!(contact_card
        .body
        .contains(&format!("<a href=\"/customers/{beta}\">Beta Oy</a>")));
    assert_eq!(
        role_on(&contact_card.body, alfa).as_deref(),
        Some("Toimitusjohtaja")
    );
    assert_eq!(
        role_on(&contact_card.body, beta).as_deref(),
        Some("Hallituksen jäsen")
    );
    // The list shows both customers with the roles; it is still one contact.
    let list = admin.get("/contacts");
    assert_eq!(contact_names(&list.body), ["Maija Meikäläinen"]);
    assert!(list.body.contains(&format!(
        "<a href=\"/customers/{alfa}\">Alfa Oy</a> (Toimitusjohtaja), <a href=\"/customers/{beta}\">Beta Oy</a> (Hallituksen jäsen)"
    )), "{}", list.body);
    // The list filtered by customer.
    let only_beta = admin.get(&format!("/contacts?customer_id={beta}"));
    assert!(
        only_beta.body.contains("<h1>Kontaktit: Beta Oy</h1>"),
        "{}",
        only_beta.body
    );
    assert_eq!(contact_names(&only_beta.body), ["Maija Meikäläinen"]);
    let gamma = customer(&admin, "Gamma Oy");
    assert!(contact_names(&admin.get(&format!("/contacts?customer_id={gamma}")).body).is_empty());
}

#[test]
fn a_role_is_changed_from_either_card_and_logged() {
    let (_server, admin) = TestServer::with_admin();
    let alfa = customer(&admin, "Alfa Oy");
    let id = new_on_card(&admin, alfa, "Maija", "Meikäläinen", "Toimitusjohtaja");
    let card = format!("/customers/{alfa}");
    let role_path = format!("{card}/contacts/{id}/role");
    // The card shows the role as text with a link to its own page.
    assert!(admin
        .get(&card)
        .body
        .contains(&format!("href=\"{role_path}?back=")));
    let resp = admin.post_form(&card, &role_path, &[("role", "Hallituksen puheenjohtaja")]);
    assert_eq!(resp.status, 303, "{}", resp.body);
    assert_eq!(resp.location(), format!("{card}#contacts"));
    let page = admin.get(&card);
    assert_eq!(flash(&page.body).as_deref(), Some("Tallennettu."));
    assert_eq!(
        role_on(&page.body, id).as_deref(),
        Some("Hallituksen puheenjohtaja")
    );

    // From the contact's card, which asks to come back to itself.
    let contact_card = format!("/contacts/{id}");
    let resp = admin.post_form(
        &contact_card,
        &role_path,
        &[("role", "Osakas"), ("back", &contact_card)],
    );
    assert_eq!(resp.status, 303);
    assert_eq!(resp.location(), contact_card);
    assert_eq!(
        role_on(&admin.get(&contact_card).body, alfa).as_deref(),
        Some("Osakas")
    );
    // `back` never leads off the site.
    let resp = admin.post_form(
        &card,
        &role_path,
        &[("role", "Osakas 2"), ("back", "//evil.example/x")],
    );
    assert_eq!(resp.status, 303);
    assert_eq!(resp.location(), format!("{card}#contacts"));

    let log = log_of(&admin, &contact_card);
    assert_eq!(log[0].0, "Kontaktia muutettu");
    assert_eq!(
        log[0].1,
        "Maija Meikäläinen, Alfa Oy: rooli muutettiin: Osakas → Osakas 2."
    );
    assert_eq!(
        log[1].1,
        "Maija Meikäläinen, Alfa Oy: rooli muutettiin: Hallituksen puheenjohtaja → Osakas."
    );
    assert_eq!(
        log[2].1,
        "Maija Meikäläinen, Alfa Oy: rooli muutettiin: Toimitusjohtaja → Hallituksen puheenjohtaja."
    );
    // The same role again changes and logs nothing; an empty role is allowed.
    admin.post_form(&card, &role_path, &[("role", "Osakas 2")]);
    assert_eq!(log_of(&admin, &contact_card).len(), log.len());
    admin.post_form(&card, &role_path, &[("role", "")]);
    assert_eq!(role_on(&admin.get(&card).body, id).as_deref(), Some(""));
    assert!(log_of(&admin, &contact_card)[0]
        .1
        .ends_with("Osakas 2 → —."));
}

#[test]
fn unlinking_removes_the_contact_from_the_customer_but_keeps_the_contact() {
    let (_server, admin) = TestServer::with_admin();
    let alfa = customer(&admin, "Alfa Oy");
    let beta = customer(&admin, "Beta Oy");
    let id = new_on_card(&admin, alfa, "Maija", "Meikäläinen", "Toimitusjohtaja");
    add_on_card(
        &admin,
        beta,
        &[("contact_id", &id.to_string()), ("role", "Osakas")],
    );
    let card = format!("/customers/{alfa}");
    let unlink = format!("{card}/contacts/{id}/unlink");
    // The card links to a page that asks first.
    assert!(admin
        .get(&card)
        .body
        .contains(&format!("href=\"{unlink}?back=")));
    let resp = admin.post_form(&card, &unlink, &[]);
    assert_eq!(resp.status, 303, "{}", resp.body);
    assert_eq!(resp.location(), format!("{card}#contacts"));
    let page = admin.get(&card);
    assert_eq!(
        flash(&page.body).as_deref(),
        Some("Kontakti irrotettiin asiakkaasta.")
    );
    assert!(!page.body.contains(&format!("href=\"/contacts/{id}\"")));
    assert!(page.body.contains("Ei vielä kontakteja."));
    // Still at Beta, still a contact.
    assert_eq!(
        role_on(&admin.get(&format!("/customers/{beta}")).body, id).as_deref(),
        Some("Osakas")
    );
    let contact_card = admin.get(&format!("/contacts/{id}"));
    assert_eq!(contact_card.status, 200);
    assert!(!contact_card
        .body
        .contains(&format!("href=\"/customers/{alfa}\"")));
    // Unlinking from the contact's card comes back there.
    let contact_path = format!("/contacts/{id}");
    let resp = admin.post_form(
        &contact_path,
        &format!("/customers/{beta}/contacts/{id}/unlink"),
        &[("back", &contact_path)],
    );
    assert_eq!(resp.status, 303);
    assert_eq!(resp.location(), contact_path);
    assert!(admin
        .get(&contact_path)
        .body
        .contains("Ei liitetty yhteenkään asiakkaaseen."));
    // Unlinking what is not linked: 404.
    assert_eq!(admin.post_form(&card, &unlink, &[]).status, 404);
    assert_eq!(
        admin
            .post_form("/", "/customers/99999/contacts/1/unlink", &[])
            .status,
        404
    );
    assert_eq!(contact_ids(&admin), [id]);
}

// ---- the duplicate warning ----

#[test]
fn a_contact_with_the_same_email_is_warned_about_before_it_is_created() {
    let (_server, admin) = TestServer::with_admin();
    let first = contact(
        &admin,
        &[
            ("first_name", "Matti"),
            ("last_name", "Virtanen"),
            ("email", "matti@alfa.fi"),
        ],
    );
    let typed = [
        ("first_name", "M."),
        ("last_name", "Virtanen"),
        ("email", "MATTI@alfa.fi"),
        ("phone", "040 1"),
    ];
    let resp = admin.post_form("/contacts/new", "/contacts/new", &typed);
    assert_eq!(resp.status, 200, "{}", resp.body);
    assert!(resp.body.contains(
        "Samankaltaisia kontakteja on jo. Tarkista, ettet lisää samaa henkilöä kahdesti:"
    ));
    assert!(
        resp.body.contains(&format!(
            "<a href=\"/contacts/{first}\">Matti Virtanen</a> (matti@alfa.fi)"
        )),
        "{}",
        resp.body
    );
    assert!(resp.body.contains("name=\"confirm_duplicate\""));
    assert_eq!(input_value(&resp.body, "first_name"), "M.");
    assert_eq!(input_value(&resp.body, "email"), "MATTI@alfa.fi");
    assert_eq!(input_value(&resp.body, "phone"), "040 1");
    assert_eq!(contact_ids(&admin), [first], "nothing created");
    let mut confirmed = typed.to_vec();
    confirmed.push(("confirm_duplicate", "1"));
    let resp = admin.post_form("/contacts/new", "/contacts/new", &confirmed);
    assert_eq!(resp.status, 303, "{}", resp.body);
    assert_eq!(contact_ids(&admin).len(), 2);

    // The same from a customer's card.
    let alfa = customer(&admin, "Alfa Oy");
    let on_card = [
        ("first_name", "Toinen"),
        ("last_name", "Henkilö"),
        ("email", "matti@alfa.fi"),
        ("role", "Myyjä"),
    ];
    let resp = add_on_card(&admin, alfa, &on_card);
    assert_eq!(resp.status, 200, "{}", resp.body);
    assert!(resp.body.contains("Samankaltaisia kontakteja on jo."));
    assert!(resp
        .body
        .contains(&format!("<a href=\"/contacts/{first}\">")));
    assert_eq!(input_value(&resp.body, "first_name"), "Toinen");
    assert_eq!(input_value(&resp.body, "role"), "Myyjä");
    assert_eq!(contact_ids(&admin).len(), 2);
    let mut confirmed = on_card.to_vec();
    confirmed.push(("confirm_duplicate", "1"));
    assert_eq!(add_on_card(&admin, alfa, &confirmed).status, 303);
    assert_eq!(contact_ids(&admin).len(), 3);
}

#[test]
fn the_same_name_at_the_same_customer_warns_but_not_at_another_customer() {
    let (_server, admin) = TestServer::with_admin();
    let alfa = customer(&admin, "Alfa Oy");
    let beta = customer(&admin, "Beta Oy");
    let first = new_on_card(&admin, alfa, "Matti", "Virtanen", "Myyjä");

    let resp = add_on_card(
        &admin,
        alfa,
        &[
            ("first_name", "matti"),
            ("last_name", "VIRTANEN"),
            ("role", "Ostaja"),
        ],
    );
    assert_eq!(resp.status, 200, "{}", resp.body);
    assert!(resp.body.contains("Samankaltaisia kontakteja on jo."));
    assert!(resp
        .body
        .contains(&format!("<a href=\"/contacts/{first}\">Matti Virtanen</a>")));
    assert_eq!(input_value(&resp.body, "last_name"), "VIRTANEN");
    assert_eq!(contact_ids(&admin), [first]);
    // From the new-contact form of the same customer too.
    let page = format!("/contacts/new?customer_id={alfa}");
    let resp = admin.post_form(
        &page,
        "/contacts/new",
        &[
            ("customer_id", &alfa.to_string()),
            ("role", ""),
            ("first_name", "Matti"),
            ("last_name", "Virtanen"),
        ],
    );
    assert_eq!(resp.status, 200, "{}", resp.body);
    assert!(resp.body.contains("Samankaltaisia kontakteja on jo."));
    assert_eq!(contact_ids(&admin), [first]);

    // Another customer's Matti Virtanen is another person: no warning.
    let resp = add_on_card(
        &admin,
        beta,
        &[
            ("first_name", "Matti"),
            ("last_name", "Virtanen"),
            ("role", "Ostaja"),
        ],
    );
    assert_eq!(resp.status, 303, "{}", resp.body);
    // Nor without a customer.
    contact(
        &admin,
        &[("first_name", "Matti"), ("last_name", "Virtanen")],
    );
    assert_eq!(contact_ids(&admin).len(), 3);
    // Confirmed, a second one at Alfa is made.
    let resp = add_on_card(
        &admin,
        alfa,
        &[
            ("first_name", "Matti"),
            ("last_name", "Virtanen"),
            ("role", "Ostaja"),
            ("confirm_duplicate", "1"),
        ],
    );
    assert_eq!(resp.status, 303);
    assert_eq!(contact_ids(&admin).len(), 4);
    assert_eq!(
        contacts_section(&admin.get(&format!("/customers/{alfa}")).body)
            .matches(">Matti Virtanen</a>")
            .count(),
        2
    );
}

#[test]
fn the_same_name_with_finnish_letters_in_another_case_is_a_duplicate_too() {
    let (_server, admin) = TestServer::with_admin();
    let alfa = customer(&admin, "Alfa Oy");
    let first = new_on_card(&admin, alfa, "Åsa", "Mäkelä", "Myyjä");
    // The same person typed in capitals: Ä, Å and Ö have cases as much as A does.
    let resp = add_on_card(
        &admin,
        alfa,
        &[
            ("first_name", "ÅSA"),
            ("last_name", "MÄKELÄ"),
            ("role", "Ostaja"),
        ],
    );
    assert_eq!(
        contact_ids(&admin).len(),
        1,
        "a second Åsa Mäkelä was created at Alfa without a warning"
    );
    assert_eq!(resp.status, 200, "{}", resp.body);
    assert!(resp.body.contains("Samankaltaisia kontakteja on jo."));
    assert!(resp
        .body
        .contains(&format!("<a href=\"/contacts/{first}\">Åsa Mäkelä</a>")));
}

// ---- edit and delete ----

#[test]
fn editing_a_contact_saves_logs_and_keeps_its_links() {
    let (_server, admin) = TestServer::with_admin();
    let alfa = customer(&admin, "Alfa Oy");
    let id = new_on_card(&admin, alfa, "Maija", "Meikäläinen", "Toimitusjohtaja");
    let path = format!("/contacts/{id}/edit");
    let form = admin.get(&path);
    assert_eq!(form.status, 200);
    assert!(form
        .body
        .contains("<h1>Muokkaa kontaktia: Maija Meikäläinen</h1>"));
    assert_eq!(input_value(&form.body, "first_name"), "Maija");
    assert!(!form.body.contains("name=\"customer_id\""));
    let resp = admin.post_form(
        &path,
        &path,
        &[
            ("first_name", "Maija"),
            ("last_name", "Meikäläinen-Virtanen"),
            ("title", ""),
            ("email", ""),
            ("phone", "050 123"),
            ("tags", ""),
            ("notes", ""),
        ],
    );
    assert_eq!(resp.status, 303, "{}", resp.body);
    assert_eq!(resp.location(), format!("/contacts/{id}"));
    let card = admin.get(&format!("/contacts/{id}"));
    assert_eq!(flash(&card.body).as_deref(), Some("Tallennettu."));
    assert!(card.body.contains("<h1>Maija Meikäläinen-Virtanen</h1>"));
    assert_eq!(detail(&card.body, "Puhelin").as_deref(), Some("050 123"));
    assert_eq!(
        role_on(&card.body, alfa).as_deref(),
        Some("Toimitusjohtaja"),
        "the link stays"
    );
    let log = log_of(&admin, &format!("/contacts/{id}"));
    assert_eq!(log[0].0, "Kontaktia muutettu");
    assert!(
        log[0]
            .1
            .contains("Sukunimi muutettiin: Meikäläinen → Meikäläinen-Virtanen"),
        "{}",
        log[0].1
    );
    assert!(
        log[0].1.contains("Puhelin muutettiin: — → 050 123"),
        "{}",
        log[0].1
    );
    // A bad edit comes back with the input kept and saves nothing.
    let resp = admin.post_form(
        &path,
        &path,
        &[("first_name", ""), ("last_name", ""), ("phone", "060")],
    );
    assert_eq!(resp.status, 422);
    assert_eq!(input_value(&resp.body, "phone"), "060");
    assert_eq!(
        detail(&admin.get(&format!("/contacts/{id}")).body, "Puhelin").as_deref(),
        Some("050 123")
    );
    assert_eq!(admin.get("/contacts/99999/edit").status, 404);
}

#[test]
fn deleting_a_contact_goes_through_the_confirmation_page_and_the_log_keeps_it() {
    let (_server, admin) = TestServer::with_admin();
    let alfa = customer(&admin, "Alfa Oy");
    let id = new_on_card(&admin, alfa, "Poistuva", "Henkilö", "Myyjä");
    let card = format!("/contacts/{id}");
    assert!(admin
        .get(&card)
        .body
        .contains(&format!("href=\"{card}/delete\"")));
    let page = admin.get(&format!("{card}/delete"));
    assert_eq!(page.status, 200);
    assert!(
        page.body
            .contains("<h1>Poista kontakti: Poistuva Henkilö</h1>"),
        "{}",
        page.body
    );
    assert!(page
        .body
        .contains("Kontakti ja sen liitokset asiakkaisiin poistetaan."));
    assert!(page.body.contains(&format!("action=\"{card}/delete\"")));
    assert!(page.body.contains("Poista lopullisesti"));
    assert_eq!(
        admin.get(&card).status,
        200,
        "the page alone deletes nothing"
    );

    let resp = admin.post_form(&format!("{card}/delete"), &format!("{card}/delete"), &[]);
    assert_eq!(resp.status, 303, "{}", resp.body);
    assert_eq!(resp.location(), "/contacts");
    let list = admin.get("/contacts");
    assert_eq!(flash(&list.body).as_deref(), Some("Kontakti poistettiin."));
    assert!(contact_names(&list.body).is_empty());
    assert_eq!(admin.get(&card).status, 404);
    assert_eq!(admin.get(&format!("{card}/delete")).status, 404);
    assert_eq!(
        admin.post_form("/", &format!("{card}/delete"), &[]).status,
        404
    );
    let customer_card = admin.get(&format!("/customers/{alfa}"));
    assert!(!customer_card
        .body
        .contains(&format!("href=\"/contacts/{id}\"")));
    let summaries: Vec<String> = events(&admin.get("/log").body)
        .into_iter()
        .map(|e| e.1)
        .collect();
    assert!(
        summaries.contains(&"Kontakti Poistuva Henkilö poistettiin.".to_string()),
        "{summaries:?}"
    );
    assert!(
        summaries.contains(&"Kontakti Poistuva Henkilö lisättiin.".to_string()),
        "{summaries:?}"
    );
}

// ---- the log ----

#[test]
fn the_log_records_contact_created_linked_with_the_role_and_unlinked() {
    let (_server, admin) = TestServer::with_admin();
    let alfa = customer(&admin, "Alfa Oy");
    let beta = customer(&admin, "Beta Oy");
    let id = contact(
        &admin,
        &[("first_name", "Maija"), ("last_name", "Meikäläinen")],
    );
    add_on_card(
        &admin,
        alfa,
        &[("contact_id", &id.to_string()), ("role", "Toimitusjohtaja")],
    );
    let contact_path = format!("/contacts/{id}");
    admin.post_form(
        &contact_path,
        &format!("{contact_path}/customers"),
        &[("customer_id", &beta.to_string()), ("role", "")],
    );
    admin.post_form("/", &format!("/customers/{alfa}/contacts/{id}/unlink"), &[]);

    let log = log_of(&admin, &contact_path);
    let expected = [
        (
            "Kontaktin liitos poistettu",
            "Maija Meikäläinen irrotettiin asiakkaasta Alfa Oy (rooli oli Toimitusjohtaja).",
        ),
        (
            "Kontakti liitetty",
            "Maija Meikäläinen liitettiin asiakkaaseen Beta Oy roolilla —.",
        ),
        (
            "Kontakti liitetty",
            "Maija Meikäläinen liitettiin asiakkaaseen Alfa Oy roolilla Toimitusjohtaja.",
        ),
        ("Kontakti lisätty", "Kontakti Maija Meikäläinen lisättiin."),
    ];
    let got: Vec<(&str, &str)> = log.iter().map(|(k, s)| (k.as_str(), s.as_str())).collect();
    assert_eq!(got, expected);
    // The customers' logs have their own link events.
    let alfa_log = log_of(&admin, &format!("/customers/{alfa}"));
    let alfa_kinds: Vec<&str> = alfa_log.iter().map(|e| e.0.as_str()).collect();
    assert_eq!(
        alfa_kinds,
        [
            "Kontaktin liitos poistettu",
            "Kontakti liitetty",
            "Asiakas lisätty"
        ]
    );
    let beta_log = log_of(&admin, &format!("/customers/{beta}"));
    assert_eq!(
        beta_log[0].1,
        "Maija Meikäläinen liitettiin asiakkaaseen Beta Oy roolilla —."
    );
    // A contact made on a card is logged at that customer too.
    let gamma = customer(&admin, "Gamma Oy");
    new_on_card(&admin, gamma, "Kalle", "Kortilta", "Myyjä");
    let gamma_log = log_of(&admin, &format!("/customers/{gamma}"));
    let gamma_summaries: Vec<&str> = gamma_log.iter().map(|e| e.1.as_str()).collect();
    assert_eq!(
        gamma_summaries,
        [
            "Kalle Kortilta liitettiin asiakkaaseen Gamma Oy roolilla Myyjä.",
            "Kontakti Kalle Kortilta lisättiin.",
            "Asiakas Gamma Oy (1003) lisättiin.",
        ]
    );
    // The log's search finds the events by the contact's name, without accents.
    let found = admin.get("/log?q=meikalainen");
    assert!(events(&found.body).len() >= 4, "{}", found.body);
}

// ---- lists, escaping, links ----

#[test]
fn the_contact_list_searches_filters_and_refuses_bad_values() {
    let (_server, admin) = TestServer::with_admin();
    let alfa = customer(&admin, "Alfa Oy");
    contact(
        &admin,
        &[
            ("first_name", "Jaana"),
            ("last_name", "Järvinen"),
            ("email", "jaana@example.fi"),
            ("phone", "040 765 4321"),
            ("title", "Ostopäällikkö"),
            ("tags", "Golf"),
        ],
    );
    new_on_card(&admin, alfa, "Pekka", "Peloton", "Myyjä");
    let names = |q: &str| contact_names(&admin.get(&format!("/contacts?{q}")).body);
    for q in [
        "q=jarvinen",
        "q=J%C3%84RVINEN",
        "q=jaana%40example.fi",
        "q=0407654321",
        "q=ostop%C3%A4%C3%A4llikk%C3%B6",
        "tag=Golf",
    ] {
        assert_eq!(names(q), ["Jaana Järvinen"], "{q}");
    }
    assert_eq!(names(&format!("customer_id={alfa}")), ["Pekka Peloton"]);
    assert_eq!(names(""), ["Jaana Järvinen", "Pekka Peloton"]);
    assert_eq!(names("sort=-name"), ["Pekka Peloton", "Jaana Järvinen"]);
    assert_eq!(
        names("sort=-created_at"),
        ["Pekka Peloton", "Jaana Järvinen"]
    );
    assert_eq!(
        names("sort=created_at"),
        ["Jaana Järvinen", "Pekka Peloton"]
    );
    assert!(admin
        .get("/contacts?q=tuntematon")
        .body
        .contains("Ei osumia."));
    for bad in [
        "sort=number",
        "sort=x",
        "customer_id=abc",
        "limit=x",
        "offset=-1",
    ] {
        let resp = admin.get(&format!("/contacts?{bad}"));
        assert_eq!(resp.status, 400, "{bad}");
        assert!(resp.body.contains("<h1>Pyyntöä ei hyväksytty</h1>"));
    }
    for q in ["%22", "*", "NEAR%28", "-"] {
        assert_eq!(admin.get(&format!("/contacts?q={q}")).status, 200, "{q}");
    }
}

#[test]
fn html_in_contact_fields_and_roles_is_escaped_everywhere() {
    let (_server, admin) = TestServer::with_admin();
    let alfa = customer(&admin, "<b>Alfa</b> Oy");
    let resp = add_on_card(
        &admin,
        alfa,
        &[
            ("first_name", "<script>alert(1)</script>"),
            ("last_name", "\"><img src=x onerror=alert(2)>"),
            ("email", "<i>x</i>@x.fi"),
            ("phone", "<u>040</u>"),
            ("role", "\"><script>alert(3)</script>"),
        ],
    );
    assert_eq!(resp.status, 303, "{}", resp.body);
    let id = contact_ids(&admin)[0];
    let path = format!("/contacts/{id}");
    for page in [
        format!("/customers/{alfa}"),
        path.clone(),
        format!("{path}/edit"),
        format!("{path}/delete"),
        format!("{path}?tab=log"),
        format!("/customers/{alfa}?tab=log"),
        "/contacts".into(),
        "/".into(),
        "/search?q=alert".into(),
        format!("/customers/{alfa}?find=alert"),
    ] {
        let resp = admin.get(&page);
        assert_eq!(resp.status, 200, "{page}");
        for raw in [
            "<script>alert",
            "<img src=x",
            "<i>x</i>",
            "<u>040",
            "<b>Alfa",
        ] {
            assert!(!resp.body.contains(raw), "{page} shows {raw} raw");
        }
    }
    let card = admin.get(&format!("/customers/{alfa}"));
    assert_eq!(
        role_on(&card.body, id).as_deref(),
        Some("\"><script>alert(3)</script>")
    );
    let edit = admin.get(&format!("{path}/edit"));
    assert_eq!(
        input_value(&edit.body, "last_name"),
        "\"><img src=x onerror=alert(2)>"
    );
}

#[test]
fn every_link_on_the_contact_list_and_card_leads_somewhere() {
    let (_server, admin) = TestServer::with_admin();
    let alfa = customer(&admin, "Alfa Oy");
    let id = new_on_card(&admin, alfa, "Liisa", "Linkki", "Myyjä");
    let card = format!("/contacts/{id}");
    let mut broken = Vec::new();
    for page in [
        "/contacts".to_string(),
        card.clone(),
        format!("{card}?tab=log"),
        format!("{card}/edit"),
        "/contacts/new".into(),
    ] {
        let body = admin.get(&page).body;
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
fn a_readonly_user_gets_403_on_every_contact_post_and_nothing_changes() {
    let (server, admin) = TestServer::with_admin();
    add_user(&admin, "lukija", "readonly", "lukijan-salasana");
    let reader = server.client();
    assert_eq!(reader.login("lukija", "lukijan-salasana").status, 303);
    let alfa = customer(&admin, "Alfa Oy");
    let beta = customer(&admin, "Beta Oy");
    let id = new_on_card(&admin, alfa, "Maija", "Meikäläinen", "Toimitusjohtaja");
    let other = contact(
        &admin,
        &[("first_name", "Vapaa"), ("last_name", "Kontakti")],
    );

    let card = reader.get(&format!("/contacts/{id}"));
    assert_eq!(card.status, 200);
    assert!(card.body.contains("<h1>Maija Meikäläinen</h1>"));
    assert!(
        card.body.contains("Toimitusjohtaja"),
        "the role is shown as text"
    );
    assert!(!card.body.contains(&format!("href=\"/contacts/{id}/edit\"")));
    assert!(!card
        .body
        .contains(&format!("href=\"/contacts/{id}/delete\"")));
    assert!(!card.body.contains("/role\""));
    assert!(!reader
        .get("/contacts")
        .body
        .contains("href=\"/contacts/new\""));
    let customer_card = reader.get(&format!("/customers/{alfa}"));
    assert!(customer_card.body.contains(">Maija Meikäläinen</a>"));
    assert!(
        customer_card
            .body
            .contains(&format!("id=\"role-{id}\">Toimitusjohtaja</td>")),
        "{}",
        customer_card.body
    );

    let (salfa, sbeta, sother) = (alfa.to_string(), beta.to_string(), other.to_string());
    let posts: Vec<(String, Vec<(&str, &str)>)> = vec![
        (
            "/contacts/new".into(),
            vec![("first_name", "Lukijan"), ("last_name", "Kontakti")],
        ),
        (
            "/contacts/new".into(),
            vec![
                ("first_name", "Lukijan"),
                ("customer_id", &salfa),
                ("role", "X"),
            ],
        ),
        (
            format!("/contacts/{id}/edit"),
            vec![("first_name", "Muutettu"), ("last_name", "Nimi")],
        ),
        (format!("/contacts/{id}/delete"), vec![]),
        (
            format!("/contacts/{id}/customers"),
            vec![("customer_id", &sbeta), ("role", "X")],
        ),
        (
            format!("/customers/{alfa}/contacts"),
            vec![("first_name", "Uusi"), ("role", "X")],
        ),
        (
            format!("/customers/{beta}/contacts"),
            vec![("contact_id", &sother), ("role", "X")],
        ),
        (
            format!("/customers/{alfa}/contacts/{id}/role"),
            vec![("role", "Muu")],
        ),
        (format!("/customers/{alfa}/contacts/{id}/unlink"), vec![]),
    ];
    for (path, fields) in &posts {
        let resp = reader.post_form("/", path, fields);
        assert_eq!(resp.status, 403, "{path}: {}", resp.body);
        assert!(
            resp.body.contains("Sinulla ei ole oikeutta tähän."),
            "{path}"
        );
    }
    assert_eq!(contact_ids(&admin).len(), 2);
    let card = admin.get(&format!("/contacts/{id}"));
    assert!(card.body.contains("<h1>Maija Meikäläinen</h1>"));
    assert_eq!(
        role_on(&card.body, alfa).as_deref(),
        Some("Toimitusjohtaja")
    );
    assert!(!card.body.contains(&format!("href=\"/customers/{beta}\"")));
    assert!(
        contacts_section(&admin.get(&format!("/customers/{beta}")).body)
            .contains("Ei vielä kontakteja.")
    );
    // A logged-out browser is sent to the login, never served.
    let stranger = server.client();
    let resp = stranger.get(&format!("/contacts/{id}"));
    assert_eq!(resp.status, 303);
    assert!(resp.location().starts_with("/login"));
}

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
            ("due_date", "2030-01-02"),
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

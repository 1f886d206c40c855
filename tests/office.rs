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

//! A person's data on request (GDPR): the export (API and the card's download) holds the
//! contact, their links, events and tasks; the erasure is for administrators, confirmed,
//! logged as `contact.erased`, and afterwards no search finds the person.

mod common;

use serde_json::{json, Value};

use common::page::field_error;
use common::*;

fn token(client: &Client) -> String {
    make_api_token(client, "gdpr")
}

fn call(admin: &Client, token: &str, method: &str, path: &str, body: Option<Value>) -> Response {
    let body = body.map(|b| b.to_string());
    admin.api(
        method,
        &format!("/api/v1{path}"),
        Some(token),
        body.as_deref(),
    )
}

fn created(resp: Response) -> i64 {
    assert_eq!(resp.status, 201, "{}", resp.body);
    resp.json()["id"].as_i64().unwrap()
}

fn found(admin: &Client, token: &str, q: &str) -> Vec<Value> {
    let query = serde_urlencoded::to_string([("q", q)]).unwrap();
    let resp = call(admin, token, "GET", &format!("/events?{query}"), None);
    assert_eq!(resp.status, 200, "{}", resp.body);
    resp.json()["items"].as_array().unwrap().clone()
}

#[test]
fn a_person_is_exported_and_then_erased_so_no_search_finds_them() {
    let (server, admin) = TestServer::with_admin();
    let t = token(&admin);
    let me = call(&admin, &t, "GET", "/me", None).json()["id"]
        .as_i64()
        .unwrap();
    let alfa = created(call(
        &admin,
        &t,
        "POST",
        "/customers",
        Some(json!({"name": "Alfa Oy"})),
    ));
    let pia = created(call(
        &admin,
        &t,
        "POST",
        "/contacts",
        Some(
            json!({"first_name": "Pia", "last_name": "Pelto", "email": "pia@pelto.fi",
                    "phone": "040 1234567", "customers": [{"customer_id": alfa, "role": "CEO"}]}),
        ),
    ));
    created(call(
        &admin,
        &t,
        "POST",
        "/events",
        Some(json!({"kind": "call", "summary": "Soitto: Pia kysyi tarjousta", "contact_id": pia})),
    ));
    // Named in an event of the customer only, in another case.
    created(call(
        &admin,
        &t,
        "POST",
        "/events",
        Some(
            json!({"kind": "note", "summary": "PIA PELTO (040 1234567) lupasi palata", "customer_id": alfa}),
        ),
    ));
    created(call(
        &admin,
        &t,
        "POST",
        "/tasks",
        Some(
            json!({"description": "Tarjous Pialle", "assignee_id": me, "due_date": "2030-01-02", "contact_id": pia}),
        ),
    ));
    assert!(found(&admin, &t, "pelto").len() >= 3);

    // The export: API and the card's download.
    let doc = call(&admin, &t, "GET", &format!("/contacts/{pia}/export"), None);
    assert_eq!(doc.status, 200, "{}", doc.body);
    let doc = doc.json();
    assert_eq!(doc["contact"]["email"], "pia@pelto.fi");
    assert_eq!(doc["customers"][0]["customer_name"], "Alfa Oy");
    assert_eq!(doc["customers"][0]["role"], "CEO");
    assert_eq!(doc["tasks"][0]["description"], "Tarjous Pialle");
    let kinds: Vec<&str> = doc["events"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["kind"].as_str().unwrap())
        .collect();
    for kind in ["contact.created", "contact.linked", "call", "task.created"] {
        assert!(kinds.contains(&kind), "{kind}: {kinds:?}");
    }
    let card = admin.get(&format!("/contacts/{pia}"));
    assert!(card
        .body
        .contains(&format!("href=\"/contacts/{pia}/export\"")));
    let download = admin.get(&format!("/contacts/{pia}/export"));
    assert_eq!(download.status, 200);
    assert!(download
        .header("content-disposition")
        .unwrap()
        .starts_with("attachment"));
    assert_eq!(
        serde_json::from_str::<Value>(&download.body).unwrap()["contact"]["id"],
        json!(pia)
    );

    // Not for users who are not administrators.
    add_user(&admin, "kaisa", "user", ADMIN_PASSWORD);
    let user = server.client();
    assert_eq!(user.login("kaisa", ADMIN_PASSWORD).status, 303);
    assert_eq!(user.get(&format!("/contacts/{pia}/export")).status, 403);
    assert_eq!(user.get(&format!("/contacts/{pia}/erase")).status, 403);
    assert!(!user
        .get(&format!("/contacts/{pia}"))
        .body
        .contains("/erase\""));

    // Erasing needs the confirmation.
    let page = format!("/contacts/{pia}/erase");
    let resp = admin.post_form(&page, &page, &[]);
    assert_eq!(resp.status, 422);
    assert!(
        field_error(&resp.body, "confirm").is_some(),
        "{}",
        resp.body
    );
    assert_eq!(
        call(&admin, &t, "GET", &format!("/contacts/{pia}"), None).status,
        200
    );
    let resp = admin.post_form(&page, &page, &[("confirm", "yes")]);
    assert_eq!(resp.status, 303, "{}", resp.body);
    assert_eq!(
        call(&admin, &t, "GET", &format!("/contacts/{pia}"), None).status,
        404
    );

    // No search finds them; the log says what happened without naming them.
    for q in ["pelto", "pia", "pia@pelto.fi", "1234567", "\"pia pelto\""] {
        assert!(
            found(&admin, &t, q).is_empty(),
            "{q}: {:?}",
            found(&admin, &t, q)
        );
    }
    let erased = call(&admin, &t, "GET", "/events?kind=contact.erased", None).json();
    let items = erased["items"].as_array().unwrap();
    assert_eq!(items.len(), 1, "{erased}");
    assert_eq!(items[0]["customer_id"], json!(alfa));
    assert_eq!(items[0]["user_id"], json!(me));
    let log = admin.get("/log").body;
    assert!(!log.to_lowercase().contains("pelto"), "{log}");
    assert!(
        log.contains("[poistettu] ([poistettu]) lupasi palata"),
        "{log}"
    );
    let search = admin.get("/search?q=pelto").body;
    assert!(!search.contains("Pelto"), "{search}");
}

#[test]
fn the_api_erases_only_when_confirmed() {
    let (_server, admin) = TestServer::with_admin();
    let t = token(&admin);
    let p = created(call(
        &admin,
        &t,
        "POST",
        "/contacts",
        Some(json!({"first_name": "Olli", "last_name": "Oja"})),
    ));
    let resp = call(
        &admin,
        &t,
        "POST",
        &format!("/contacts/{p}/erase"),
        Some(json!({})),
    );
    assert_eq!(resp.status, 422, "{}", resp.body);
    assert!(resp.json()["error"]["fields"]["confirm"].is_string());
    let resp = call(
        &admin,
        &t,
        "POST",
        &format!("/contacts/{p}/erase"),
        Some(json!({"confirm": true})),
    );
    assert_eq!(resp.status, 200, "{}", resp.body);
    assert_eq!(resp.json()["contact_id"], json!(p));
    let again = call(
        &admin,
        &t,
        "POST",
        &format!("/contacts/{p}/erase"),
        Some(json!({"confirm": true})),
    );
    assert_eq!(again.status, 404);
    assert_eq!(
        call(&admin, &t, "GET", &format!("/contacts/{p}/export"), None).status,
        404
    );
    assert!(found(&admin, &t, "oja").is_empty());
}

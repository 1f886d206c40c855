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
    // Named in another customer's event beside someone of the same first name.
    let beta = created(call(
        &admin,
        &t,
        "POST",
        "/customers",
        Some(json!({"name": "Beta Oy"})),
    ));
    created(call(
        &admin,
        &t,
        "POST",
        "/events",
        Some(
            json!({"kind": "meeting", "summary": "Pia Pelto ja Pia Virtanen Olympia-hallissa", "customer_id": beta}),
        ),
    ));
    created(call(
        &admin,
        &t,
        "POST",
        "/tasks",
        Some(
            json!({"description": "Tarjous Pialle", "assignee_id": me, "due_date": "2097-01-02", "contact_id": pia}),
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
    for q in ["pelto", "pia@pelto.fi", "1234567", "\"pia pelto\""] {
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
    // The other Pia, and Olympia, are left as they were.
    assert!(
        log.contains("[poistettu] ja Pia Virtanen Olympia-hallissa"),
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

/// `POST /api/v1/documents` of one file linked to a contact; its id.
fn upload_for(admin: &Client, token: &str, contact: i64, name: &str, bytes: &[u8]) -> i64 {
    const B: &str = "----minicrmPrivacyBoundary";
    let mut body = format!(
        "--{B}\r\nContent-Disposition: form-data; name=\"contact_id\"\r\n\r\n{contact}\r\n\
         --{B}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"{name}\"\r\n\
         Content-Type: application/octet-stream\r\n\r\n"
    )
    .into_bytes();
    body.extend_from_slice(bytes);
    body.extend_from_slice(format!("\r\n--{B}--\r\n").as_bytes());
    let auth = format!("Bearer {token}");
    let resp = admin.request(
        "POST",
        "/api/v1/documents",
        &[
            ("Authorization", &auth),
            (
                "Content-Type",
                &format!("multipart/form-data; boundary={B}"),
            ),
        ],
        body,
    );
    assert_eq!(resp.status, 201, "{}", resp.body);
    resp.json()["items"][0]["id"].as_i64().unwrap()
}

#[test]
fn the_export_holds_the_persons_documents_and_the_erasure_lists_them() {
    use std::io::Read;
    let (_server, admin) = TestServer::with_admin();
    let t = token(&admin);
    let pia = created(call(
        &admin,
        &t,
        "POST",
        "/contacts",
        Some(json!({"first_name": "Pia", "last_name": "Pelto"})),
    ));
    let other = created(call(
        &admin,
        &t,
        "POST",
        "/contacts",
        Some(json!({"first_name": "Olli", "last_name": "Muu"})),
    ));
    let binary: Vec<u8> = (0..70_000u32).map(|i| (i * 7 % 251) as u8).collect();
    let cv = upload_for(&admin, &t, pia, "../ansioluettelo.pdf", &binary);
    let contract = upload_for(&admin, &t, pia, "sopimus.txt", b"Pian sopimus");
    let others = upload_for(&admin, &t, other, "muu.txt", b"ei Pian");

    // The JSON lists her documents, and only hers.
    let json = call(&admin, &t, "GET", &format!("/contacts/{pia}/export"), None).json();
    let ids: Vec<i64> = json["documents"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| d["id"].as_i64().unwrap())
        .collect();
    assert_eq!(ids, vec![contract, cv]);
    assert_eq!(json["documents"][1]["filename"], "ansioluettelo.pdf");

    // The ZIP: the JSON and each file byte for byte, named safely.
    let card = admin.get(&format!("/contacts/{pia}"));
    assert!(card
        .body
        .contains(&format!("href=\"/contacts/{pia}/export.zip\"")));
    let resp = admin.get(&format!("/contacts/{pia}/export.zip"));
    assert_eq!(resp.status, 200);
    assert_eq!(resp.header("content-type"), Some("application/zip"));
    assert!(resp
        .header("content-disposition")
        .unwrap()
        .contains(&format!("contact-{pia}.zip")));
    let mut zip = zip::ZipArchive::new(std::io::Cursor::new(resp.bytes.clone())).unwrap();
    let mut names: Vec<String> = zip.file_names().map(str::to_string).collect();
    names.sort();
    let mut expected = vec![
        format!("contact-{pia}.json"),
        format!("documents/{contract}-sopimus.txt"),
        format!("documents/{cv}-ansioluettelo.pdf"),
    ];
    expected.sort();
    assert_eq!(names, expected);
    let mut got = Vec::new();
    zip.by_name(&format!("documents/{cv}-ansioluettelo.pdf"))
        .unwrap()
        .read_to_end(&mut got)
        .unwrap();
    assert_eq!(got, binary);
    let mut inner = String::new();
    zip.by_name(&format!("contact-{pia}.json"))
        .unwrap()
        .read_to_string(&mut inner)
        .unwrap();
    let inner: Value = serde_json::from_str(&inner).unwrap();
    assert_eq!(inner["contact"]["last_name"], "Pelto");

    // The erasure's confirmation lists her documents with their pages and deletes.
    let confirm = admin.get(&format!("/contacts/{pia}/erase"));
    assert_eq!(confirm.status, 200);
    for d in [cv, contract] {
        assert!(
            confirm.body.contains(&format!("href=\"/documents/{d}\"")),
            "{d}"
        );
        assert!(confirm
            .body
            .contains(&format!("href=\"/documents/{d}/delete\"")));
    }
    assert!(!confirm
        .body
        .contains(&format!("href=\"/documents/{others}\"")));
    // A person without documents: the page says so; an unknown one is a 404, ZIP or not.
    assert!(admin
        .get(&format!("/contacts/{other}/erase"))
        .body
        .contains("muu.txt"));
    assert_eq!(admin.get("/contacts/999999/export.zip").status, 404);
    assert_eq!(admin.get("/contacts/x/export.zip").status, 404);
    // Administrators only.
    add_user(&admin, "lukija", "readonly", ADMIN_PASSWORD);
    let reader = _server.client();
    reader.login("lukija", ADMIN_PASSWORD);
    assert_eq!(
        reader.get(&format!("/contacts/{pia}/export.zip")).status,
        403
    );
}

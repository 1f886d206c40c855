//! Documents through the real server: uploads (API and page), exact bytes back, the size
//! limit, multipart edge cases, Range and ETag, safe headers and previews, versions, delete,
//! search, suggestions under Incoming, the cards' tab, and a copy of the database file that
//! serves every document.

mod common;

use common::*;
use serde_json::{json, Value};

const MIB: usize = 1024 * 1024;

fn token(client: &Client) -> String {
    make_api_token(client, "docs")
}

/// One part of a multipart body: its `Content-Disposition` parameters and its bytes.
struct Part {
    disposition: String,
    content_type: Option<&'static str>,
    bytes: Vec<u8>,
}

fn field(name: &str, value: &str) -> Part {
    Part {
        disposition: format!("name=\"{name}\""),
        content_type: None,
        bytes: value.as_bytes().to_vec(),
    }
}

fn file(name: &str, content_type: &'static str, bytes: &[u8]) -> Part {
    Part {
        disposition: format!("name=\"file\"; filename=\"{name}\""),
        content_type: Some(content_type),
        bytes: bytes.to_vec(),
    }
}

const BOUNDARY: &str = "----minicrmTestBoundary7MA4YWxk";

fn body_of(parts: &[Part], final_boundary: bool) -> Vec<u8> {
    let mut out = Vec::new();
    for p in parts {
        out.extend(
            format!(
                "--{BOUNDARY}\r\nContent-Disposition: form-data; {}\r\n",
                p.disposition
            )
            .as_bytes(),
        );
        if let Some(t) = p.content_type {
            out.extend(format!("Content-Type: {t}\r\n").as_bytes());
        }
        out.extend(b"\r\n");
        out.extend(&p.bytes);
        out.extend(b"\r\n");
    }
    if final_boundary {
        out.extend(format!("--{BOUNDARY}--\r\n").as_bytes());
    }
    out
}

fn content_type() -> String {
    format!("multipart/form-data; boundary={BOUNDARY}")
}

/// `POST /api/v1/documents` with these parts.
fn upload(c: &Client, token: &str, parts: &[Part]) -> Response {
    let auth = format!("Bearer {token}");
    c.request(
        "POST",
        "/api/v1/documents",
        &[("Authorization", &auth), ("Content-Type", &content_type())],
        body_of(parts, true),
    )
}

fn upload_one(c: &Client, token: &str, part: Part) -> Value {
    let resp = upload(c, token, &[part]);
    assert_eq!(resp.status, 201, "{}", resp.body);
    resp.json()["items"][0].clone()
}

/// Bytes that look like trouble to a multipart reader: NULs, CRLFs, boundary look-alikes.
fn awkward_bytes(n: usize) -> Vec<u8> {
    let mut out = Vec::with_capacity(n);
    let mut x: u32 = 12345;
    while out.len() < n {
        x = x.wrapping_mul(1_103_515_245).wrapping_add(12345);
        match x % 97 {
            // The boundary but its last character: a real one cannot be in the content.
            0 => out.extend(format!("\r\n--{}!", &BOUNDARY[..BOUNDARY.len() - 1]).as_bytes()),
            1 => out.extend(b"\r\n--"),
            _ => out.push((x >> 16) as u8),
        }
    }
    out.truncate(n);
    out
}

fn sha256_hex(bytes: &[u8]) -> String {
    use sha2::Digest;
    sha2::Sha256::digest(bytes)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

fn get(c: &Client, token: &str, path: &str) -> Response {
    c.api("GET", path, Some(token), None)
}

fn count(db: &std::path::Path, sql: &str) -> i64 {
    rusqlite::Connection::open(db)
        .unwrap()
        .query_row(sql, [], |r| r.get(0))
        .unwrap()
}

#[test]
fn files_go_in_and_come_back_byte_for_byte_with_safe_headers() {
    let (server, admin) = TestServer::with_admin();
    let t = token(&admin);
    let c = server.client();
    let small = awkward_bytes(200_000);
    let resp = upload(
        &c,
        &t,
        &[
            file("tarjous.bin", "application/octet-stream", &small),
            file(
                "muistio.txt",
                "text/plain",
                "Kahvinkeitin ja Äijälä\r\n".as_bytes(),
            ),
        ],
    );
    assert_eq!(resp.status, 201, "{}", resp.body);
    let items = resp.json()["items"].as_array().unwrap().clone();
    assert_eq!(items.len(), 2);
    let doc = &items[0];
    for key in [
        "id",
        "title",
        "filename",
        "content_type",
        "size",
        "sha256",
        "customer_id",
        "contact_id",
        "incoming",
        "source",
        "email_from",
        "email_subject",
        "email_date",
        "version",
        "created_at",
        "updated_at",
    ] {
        assert!(doc.get(key).is_some(), "{key} missing: {doc}");
    }
    assert_eq!(doc["title"], "tarjous.bin");
    assert_eq!(doc["size"], 200_000);
    assert_eq!(doc["sha256"], sha256_hex(&small));
    assert_eq!(doc["incoming"], true);
    assert_eq!(doc["source"], "api");
    assert_eq!(doc["version"], 1);
    assert_eq!(items[1]["content_type"], "text/plain");

    let id = doc["id"].as_i64().unwrap();
    let got = get(&c, &t, &format!("/api/v1/documents/{id}/content"));
    assert_eq!(got.status, 200);
    assert!(got.bytes == small, "the bytes differ");
    assert_eq!(got.header("content-length"), Some("200000"));
    assert_eq!(got.header("content-type"), Some("application/octet-stream"));
    assert_eq!(
        got.header("etag").unwrap(),
        format!("\"{}\"", sha256_hex(&small))
    );
    assert_eq!(got.header("x-content-type-options"), Some("nosniff"));
    assert_eq!(
        got.header("content-disposition"),
        Some("attachment; filename=\"tarjous.bin\"")
    );
    assert!(got
        .header("content-security-policy")
        .unwrap()
        .starts_with("sandbox"));

    let list = get(&c, &t, "/api/v1/documents?incoming=true").json();
    assert_eq!(list["items"].as_array().unwrap().len(), 2);
    let one = get(&c, &t, &format!("/api/v1/documents/{id}"));
    assert_eq!(one.json()["filename"], "tarjous.bin");
    // The text of the text file is searchable, accents or not.
    let found = get(&c, &t, "/api/v1/documents?q=aijala").json();
    assert_eq!(found["items"][0]["filename"], "muistio.txt");
    let by_name = get(&c, &t, "/api/v1/documents?q=tarjous").json();
    assert_eq!(by_name["items"][0]["id"], id);
}

#[test]
fn a_file_at_the_limit_is_kept_and_one_byte_more_is_413_with_nothing_stored() {
    let (server, admin) = TestServer::with_admin();
    let t = token(&admin);
    let c = server.client();
    let exact = awkward_bytes(25 * MIB);
    let doc = upload_one(&c, &t, file("iso.bin", "application/octet-stream", &exact));
    let got = get(&c, &t, &format!("/api/v1/documents/{}/content", doc["id"]));
    assert_eq!(got.status, 200);
    assert!(got.bytes == exact, "the 25 MiB file came back different");

    let before = count(&server.db, "SELECT count(*) FROM document_versions");
    let over = awkward_bytes(25 * MIB + 1);
    let resp = upload(
        &c,
        &t,
        &[file("liian-iso.bin", "application/octet-stream", &over)],
    );
    assert_eq!(resp.status, 413, "{}", resp.body);
    assert_eq!(resp.json()["error"]["code"], "too_large");
    // A good file beside it does not slip in either: all or nothing.
    let resp = upload(
        &c,
        &t,
        &[
            file("pieni.txt", "text/plain", b"pieni"),
            file("liian-iso.bin", "application/octet-stream", &over),
        ],
    );
    assert_eq!(resp.status, 413);
    assert_eq!(
        count(&server.db, "SELECT count(*) FROM document_versions"),
        before
    );
    assert_eq!(count(&server.db, "SELECT count(*) FROM documents"), 1);
}

#[test]
fn the_limit_is_a_setting_and_the_page_says_what_went_wrong() {
    let (server, admin) = TestServer::with_admin();
    let t = token(&admin);
    let c = server.client();
    rusqlite::Connection::open(&server.db)
        .unwrap()
        .execute(
            "INSERT INTO settings(key, value) VALUES ('document_max_mb', '1')
             ON CONFLICT(key) DO UPDATE SET value = excluded.value",
            [],
        )
        .unwrap();
    upload_one(
        &c,
        &t,
        file("yksi.bin", "application/octet-stream", &awkward_bytes(MIB)),
    );
    let resp = upload(
        &c,
        &t,
        &[file(
            "kaksi.bin",
            "application/octet-stream",
            &awkward_bytes(MIB + 1),
        )],
    );
    assert_eq!(resp.status, 413);

    // The page: a form post with its CSRF token, a clear message in the user's language.
    let csrf = admin.get("/documents").csrf();
    let body = body_of(
        &[
            field("csrf", &csrf),
            field("back", "/documents"),
            file(
                "kaksi.bin",
                "application/octet-stream",
                &awkward_bytes(MIB + 1),
            ),
        ],
        true,
    );
    let page = admin.request(
        "POST",
        "/documents/upload",
        &[("Content-Type", &content_type())],
        body,
    );
    assert_eq!(page.status, 413, "{}", page.body);
    assert!(
        page.body.contains("1 Mt") || page.body.contains("1 MB"),
        "{}",
        page.body
    );
    assert_eq!(count(&server.db, "SELECT count(*) FROM documents"), 1);
    // The settings page shows the setting.
    assert!(admin
        .get("/settings")
        .body
        .contains("name=\"document_max_mb\""));
}

#[test]
fn multipart_edge_cases_are_handled_or_refused_with_a_4xx() {
    let (server, admin) = TestServer::with_admin();
    let t = token(&admin);
    let c = server.client();
    // Non-ASCII names: RFC 5987 `filename*` wins over `filename`; raw UTF-8 is taken as is.
    let encoded = Part {
        disposition:
            "name=\"file\"; filename=\"x.txt\"; filename*=UTF-8''%C3%A4ij%C3%A4%20tarjous.txt"
                .into(),
        content_type: Some("text/plain"),
        bytes: b"1".to_vec(),
    };
    let raw = Part {
        disposition: "name=\"file\"; filename=\"Öljy €.pdf\"".into(),
        content_type: Some("application/pdf"),
        bytes: b"%PDF-1.4\n".to_vec(),
    };
    let resp = upload(&c, &t, &[encoded, raw]);
    assert_eq!(resp.status, 201, "{}", resp.body);
    let items = resp.json()["items"].clone();
    assert_eq!(items[0]["filename"], "äijä tarjous.txt");
    assert_eq!(items[1]["filename"], "Öljy €.pdf");
    let got = get(
        &c,
        &t,
        &format!("/api/v1/documents/{}/content", items[1]["id"]),
    );
    assert_eq!(
        got.header("content-disposition"),
        Some("attachment; filename=\"Oljy-.pdf\"; filename*=UTF-8''%C3%96ljy%20%E2%82%AC.pdf")
    );

    let auth = format!("Bearer {t}");
    let headers = [
        ("Authorization", auth.as_str()),
        ("Content-Type", &content_type()),
    ];
    let before = count(&server.db, "SELECT count(*) FROM documents");
    // No final boundary.
    let cut = body_of(&[file("a.txt", "text/plain", b"abc")], false);
    let resp = c.request("POST", "/api/v1/documents", &headers, cut);
    assert_eq!(resp.status, 400, "{}", resp.body);
    assert_eq!(resp.json()["error"]["code"], "bad_request");
    // Part headers of a megabyte.
    let huge = Part {
        disposition: format!("name=\"file\"; filename=\"{}.txt\"", "a".repeat(MIB)),
        content_type: Some("text/plain"),
        bytes: b"x".to_vec(),
    };
    let resp = c.request(
        "POST",
        "/api/v1/documents",
        &headers,
        body_of(&[huge], true),
    );
    assert_eq!(resp.status, 400, "{}", resp.body);
    // A body that is not multipart at all, and no file.
    let resp = c.request(
        "POST",
        "/api/v1/documents",
        &[("Authorization", &auth), ("Content-Type", "text/plain")],
        b"hello".to_vec(),
    );
    assert_eq!(resp.status, 415);
    let resp = c.request(
        "POST",
        "/api/v1/documents",
        &headers,
        body_of(&[field("title", "ei tiedostoa")], true),
    );
    assert_eq!(resp.status, 422, "{}", resp.body);
    // A file in another field is refused, not dropped.
    let other = Part {
        disposition: "name=\"liite\"; filename=\"a.txt\"".into(),
        content_type: None,
        bytes: b"x".to_vec(),
    };
    let resp = c.request(
        "POST",
        "/api/v1/documents",
        &headers,
        body_of(&[other], true),
    );
    assert_eq!(resp.status, 400);
    // An unknown customer is a 422 at the field.
    let resp = upload(
        &c,
        &t,
        &[
            field("customer_id", "999999"),
            file("a.txt", "text/plain", b"x"),
        ],
    );
    assert_eq!(resp.status, 422, "{}", resp.body);
    assert!(resp.json()["error"]["fields"]["customer_id"].is_string());
    assert_eq!(count(&server.db, "SELECT count(*) FROM documents"), before);
}

#[test]
fn ranges_and_etags() {
    let (server, admin) = TestServer::with_admin();
    let t = token(&admin);
    let c = server.client();
    let bytes: Vec<u8> = (0..100u8).collect();
    let doc = upload_one(
        &c,
        &t,
        file("luvut.bin", "application/octet-stream", &bytes),
    );
    let path = format!("/api/v1/documents/{}/content", doc["id"]);
    let etag = format!("\"{}\"", doc["sha256"].as_str().unwrap());
    let with = |name: &str, value: &str| {
        server
            .client()
            .with_header(name, value)
            .api("GET", &path, Some(&t), None)
    };

    let part = with("Range", "bytes=10-19");
    assert_eq!(part.status, 206);
    assert_eq!(part.bytes, bytes[10..20]);
    assert_eq!(part.header("content-range"), Some("bytes 10-19/100"));
    assert_eq!(part.header("content-length"), Some("10"));
    let tail = with("Range", "bytes=-5");
    assert_eq!((tail.status, tail.bytes.as_slice()), (206, &bytes[95..]));
    let open = with("Range", "bytes=98-");
    assert_eq!((open.status, open.bytes.as_slice()), (206, &bytes[98..]));
    for bad in ["bytes=100-", "bytes=50-10", "bytes=abc"] {
        let resp = with("Range", bad);
        assert_eq!(resp.status, 416, "{bad}");
        assert_eq!(resp.header("content-range"), Some("bytes */100"));
    }
    let cached = with("If-None-Match", &etag);
    assert_eq!(cached.status, 304);
    assert!(cached.bytes.is_empty());
    assert_eq!(with("If-None-Match", "\"other\"").status, 200);
    // `If-Range` with a stale tag: the whole file.
    let stale = server
        .client()
        .with_header("Range", "bytes=0-1")
        .with_header("If-Range", "\"old\"")
        .api("GET", &path, Some(&t), None);
    assert_eq!((stale.status, stale.bytes.len()), (200, 100));
}

#[test]
fn names_and_titles_never_run_as_html_and_only_pdfs_and_images_preview_inline() {
    let (server, admin) = TestServer::with_admin();
    let t = token(&admin);
    let c = server.client();
    let html = upload_one(
        &c,
        &t,
        Part {
            disposition: "name=\"file\"; filename=\"<script>alert(1)</script>.html\"".into(),
            content_type: Some("text/html"),
            bytes: b"<script>alert(document.cookie)</script>".to_vec(),
        },
    );
    let id = html["id"].as_i64().unwrap();
    let patched = c.api(
        "PATCH",
        &format!("/api/v1/documents/{id}"),
        Some(&t),
        Some(&json!({"title": "<img src=x onerror=alert(2)>"}).to_string()),
    );
    assert_eq!(patched.status, 200, "{}", patched.body);
    for page in [
        admin.get("/documents"),
        admin.get(&format!("/documents/{id}")),
        admin.get("/documents?incoming=1"),
    ] {
        assert_eq!(page.status, 200);
        assert!(!page.body.contains("<script>alert"), "{}", page.body);
        assert!(!page.body.contains("<img src=x"), "{}", page.body);
        assert!(page.body.contains("&lt;img src=x"));
    }
    // HTML, even asked for as a preview, is an attachment in a sandbox.
    for path in [
        format!("/documents/{id}/preview"),
        format!("/documents/{id}/download"),
    ] {
        let resp = admin.get(&path);
        assert_eq!(resp.status, 200);
        let disposition = resp.header("content-disposition").unwrap();
        assert!(disposition.starts_with("attachment;"), "{disposition}");
        assert!(
            !disposition.contains('<') || disposition.contains("filename*"),
            "{disposition}"
        );
        assert!(resp
            .header("content-security-policy")
            .unwrap()
            .starts_with("sandbox;"));
        assert_eq!(resp.header("x-content-type-options"), Some("nosniff"));
    }
    let svg = upload_one(
        &c,
        &t,
        file("kuva.svg", "image/svg+xml", b"<svg onload=alert(1)/>"),
    );
    let resp = admin.get(&format!("/documents/{}/preview", svg["id"]));
    assert!(resp
        .header("content-disposition")
        .unwrap()
        .starts_with("attachment;"));
    let page = admin.get(&format!("/documents/{}", svg["id"]));
    assert!(!page.body.contains("<iframe"));

    let pdf = upload_one(
        &c,
        &t,
        file("tarjous.pdf", "application/pdf", b"%PDF-1.4\n%%EOF"),
    );
    let page = admin.get(&format!("/documents/{}", pdf["id"]));
    assert!(
        page.body.contains(&format!(
            "<iframe class=\"preview\" src=\"/documents/{}/preview\"",
            pdf["id"]
        )),
        "{}",
        page.body
    );
    let resp = admin.get(&format!("/documents/{}/preview", pdf["id"]));
    assert_eq!(resp.status, 200);
    assert_eq!(resp.header("content-type"), Some("application/pdf"));
    assert!(resp
        .header("content-disposition")
        .unwrap()
        .starts_with("inline;"));
    let csp = resp.header("content-security-policy").unwrap();
    assert!(
        csp.starts_with("sandbox;")
            && csp.contains("default-src 'none'")
            && csp.contains("frame-ancestors 'self'"),
        "{csp}"
    );
    assert_eq!(resp.header("x-frame-options"), Some("SAMEORIGIN"));
    // The API's content is always an attachment.
    let api = get(&c, &t, &format!("/api/v1/documents/{}/content", pdf["id"]));
    assert!(api
        .header("content-disposition")
        .unwrap()
        .starts_with("attachment;"));
}

#[test]
fn versions_are_kept_and_each_is_downloadable() {
    let (server, admin) = TestServer::with_admin();
    let t = token(&admin);
    let c = server.client();
    let doc = upload_one(&c, &t, file("sopimus.txt", "text/plain", b"versio yksi"));
    let id = doc["id"].as_i64().unwrap();
    let auth = format!("Bearer {t}");
    let resp = c.request(
        "PUT",
        &format!("/api/v1/documents/{id}/content"),
        &[("Authorization", &auth), ("Content-Type", &content_type())],
        body_of(
            &[file(
                "sopimus-v2.txt",
                "text/plain",
                b"versio kaksi, allekirjoitettu",
            )],
            true,
        ),
    );
    assert_eq!(resp.status, 200, "{}", resp.body);
    assert_eq!(resp.json()["version"], 2);
    assert_eq!(resp.json()["filename"], "sopimus-v2.txt");
    let versions = get(&c, &t, &format!("/api/v1/documents/{id}/versions")).json();
    let list = versions["items"].as_array().unwrap();
    assert_eq!(list.len(), 2);
    assert_eq!(list[0]["version"], 2);
    assert_eq!(list[1]["filename"], "sopimus.txt");
    assert_eq!(
        get(&c, &t, &format!("/api/v1/documents/{id}/content")).body,
        "versio kaksi, allekirjoitettu"
    );
    assert_eq!(
        get(&c, &t, &format!("/api/v1/documents/{id}/content?version=1")).body,
        "versio yksi"
    );
    assert_eq!(
        get(
            &c,
            &t,
            &format!("/api/v1/documents/{id}/versions/1/content")
        )
        .body,
        "versio yksi"
    );
    assert_eq!(
        get(
            &c,
            &t,
            &format!("/api/v1/documents/{id}/versions/3/content")
        )
        .status,
        404
    );
    assert_eq!(
        get(&c, &t, &format!("/api/v1/documents/{id}/content?version=x")).status,
        400
    );
    // The new text is what search finds; the page lists both versions.
    assert_eq!(
        get(&c, &t, "/api/v1/documents?q=allekirjoitettu").json()["items"][0]["id"],
        id
    );
    assert!(get(&c, &t, "/api/v1/documents?q=yksi").json()["items"]
        .as_array()
        .unwrap()
        .is_empty());
    let page = admin.get(&format!("/documents/{id}"));
    assert!(page
        .body
        .contains(&format!("/documents/{id}/download?version=1")));
    let kinds = count(
        &server.db,
        "SELECT count(*) FROM events WHERE kind = 'document.new_version'",
    );
    assert_eq!(kinds, 1);
}

#[test]
fn delete_takes_every_version_and_is_logged_and_readonly_users_cannot() {
    let (server, admin) = TestServer::with_admin();
    let t = token(&admin);
    let c = server.client();
    let doc = upload_one(&c, &t, file("pois.txt", "text/plain", b"x"));
    let id = doc["id"].as_i64().unwrap();
    add_user(&admin, "lukija", "readonly", "lukija-salasana-pitkä");
    let reader = server.client();
    assert_eq!(reader.login("lukija", "lukija-salasana-pitkä").status, 303);
    let rt = token(&reader);
    assert_eq!(
        c.api(
            "DELETE",
            &format!("/api/v1/documents/{id}"),
            Some(&rt),
            None
        )
        .status,
        403
    );
    assert_eq!(reader.get(&format!("/documents/{id}/download")).status, 200);

    // The page asks first, then deletes.
    let confirm = admin.get(&format!("/documents/{id}/delete"));
    assert_eq!(confirm.status, 200);
    let resp = admin.post_raw(
        &format!("/documents/{id}/delete"),
        &[("csrf", &confirm.csrf())],
    );
    assert_eq!(resp.status, 303);
    assert_eq!(get(&c, &t, &format!("/api/v1/documents/{id}")).status, 404);
    assert_eq!(
        get(&c, &t, &format!("/api/v1/documents/{id}/content")).status,
        404
    );
    assert_eq!(
        count(&server.db, "SELECT count(*) FROM document_versions"),
        0
    );
    assert_eq!(
        count(
            &server.db,
            "SELECT count(*) FROM events WHERE kind = 'document.deleted'"
        ),
        1
    );
    let other = upload_one(&c, &t, file("toinen.txt", "text/plain", b"y"));
    assert_eq!(
        c.api(
            "DELETE",
            &format!("/api/v1/documents/{}", other["id"]),
            Some(&t),
            None
        )
        .status,
        204
    );
}

/// A customer made through the API; its id.
fn customer(c: &Client, t: &str, body: Value) -> i64 {
    let resp = c.api(
        "POST",
        "/api/v1/customers",
        Some(t),
        Some(&body.to_string()),
    );
    assert_eq!(resp.status, 201, "{}", resp.body);
    resp.json()["id"].as_i64().unwrap()
}

fn contact(c: &Client, t: &str, body: Value) -> i64 {
    let resp = c.api("POST", "/api/v1/contacts", Some(t), Some(&body.to_string()));
    assert_eq!(resp.status, 201, "{}", resp.body);
    resp.json()["id"].as_i64().unwrap()
}

/// The suggestions are kept between views of Incoming only while nothing changes: a customer
/// added after the document is suggested at the next view.
#[test]
fn an_incoming_suggestion_follows_the_register() {
    let (server, admin) = TestServer::with_admin();
    let t = token(&admin);
    let c = server.client();
    upload_one(
        &c,
        &t,
        file(
            "tilaus.txt",
            "text/plain",
            "Tilaaja: Uusi Asiakas Oy, Y-tunnus 0112038-9".as_bytes(),
        ),
    );
    // Every worker looks the page up at least once with no such customer.
    for _ in 0..16 {
        let page = admin.get("/documents?incoming=1");
        assert_eq!(page.status, 200);
        assert!(!page.body.contains("class=\"suggestion\""), "{}", page.body);
    }
    customer(
        &c,
        &t,
        json!({"name": "Uusi Asiakas Oy", "business_id": "0112038-9"}),
    );
    for _ in 0..16 {
        let page = admin.get("/documents?incoming=1");
        assert!(page.body.contains("class=\"suggestion\""), "{}", page.body);
        assert!(page.body.contains("Uusi Asiakas Oy"));
    }
}

#[test]
fn incoming_suggests_the_customer_and_one_click_assigns_it() {
    let (server, admin) = TestServer::with_admin();
    let t = token(&admin);
    let c = server.client();
    let nokia = customer(
        &c,
        &t,
        json!({"name": "Esimerkki Oy", "business_id": "0112038-9"}),
    );
    let other = customer(&c, &t, json!({"name": "Muu Oy", "number": "A-77"}));
    // A business ID in the title, another in a text file's text, a customer number in the title.
    let by_title = upload_one(
        &c,
        &t,
        Part {
            disposition: "name=\"file\"; filename=\"lasku.pdf\"".into(),
            content_type: Some("application/pdf"),
            bytes: b"%PDF-1.4".to_vec(),
        },
    );
    let patched = c.api(
        "PATCH",
        &format!("/api/v1/documents/{}", by_title["id"]),
        Some(&t),
        Some(r#"{"title": "Lasku Y-tunnus 0112038-9"}"#),
    );
    assert_eq!(patched.json()["incoming"], true);
    let by_text = upload_one(
        &c,
        &t,
        file(
            "tilaus.txt",
            "text/plain",
            "Tilaaja: Esimerkki Oy, Y-tunnus 0112038-9".as_bytes(),
        ),
    );
    let by_number = upload(
        &c,
        &t,
        &[
            field("title", "Asiakasnumero A-77 tarjous"),
            file("t.txt", "text/plain", b"x"),
        ],
    )
    .json()["items"][0]
        .clone();

    let page = admin.get("/documents?incoming=1");
    assert_eq!(page.status, 200);
    assert_eq!(
        page.body.matches("Esimerkki Oy").count(),
        2,
        "{}",
        page.body
    );
    assert!(page.body.contains("Muu Oy"));
    assert!(page
        .body
        .contains(&format!("action=\"/documents/{}/assign\"", by_text["id"])));
    // One click: the suggestion's form, posted as the browser does.
    let resp = admin.post_raw(
        &format!("/documents/{}/assign", by_text["id"]),
        &[
            ("csrf", &page.csrf()),
            ("customer_id", &nokia.to_string()),
            ("back", "/documents?incoming=1"),
        ],
    );
    assert_eq!(resp.status, 303);
    assert_eq!(resp.location(), "/documents?incoming=1");
    let assigned = get(&c, &t, &format!("/api/v1/documents/{}", by_text["id"])).json();
    assert_eq!(
        (
            assigned["incoming"].clone(),
            assigned["customer_id"].clone()
        ),
        (json!(false), json!(nokia))
    );
    assert_eq!(
        count(
            &server.db,
            "SELECT count(*) FROM events WHERE kind = 'document.assigned'"
        ),
        1
    );
    let incoming = get(&c, &t, "/api/v1/documents?incoming=true").json();
    let ids: Vec<i64> = incoming["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| d["id"].as_i64().unwrap())
        .collect();
    assert_eq!(
        ids,
        [
            by_number["id"].as_i64().unwrap(),
            by_title["id"].as_i64().unwrap()
        ]
    );
    // The document's page offers the suggestion too, and the customer in its picker.
    let card = admin.get(&format!("/documents/{}", by_number["id"]));
    assert!(
        card.body.contains(&format!("<option value=\"{other}\"")),
        "{}",
        card.body
    );
}

#[test]
fn clearing_both_links_puts_a_document_back_under_incoming_and_a_rename_does_not() {
    let (server, admin) = TestServer::with_admin();
    let t = token(&admin);
    let c = server.client();
    let cust = customer(&c, &t, json!({"name": "Linkki Oy"}));
    let doc = upload_one(&c, &t, file("sopimus.txt", "text/plain", b"sopimus"));
    let path = format!("/api/v1/documents/{}", doc["id"]);
    let patch = |body: Value| {
        let resp = c.api("PATCH", &path, Some(&t), Some(&body.to_string()));
        assert_eq!(resp.status, 200, "{}", resp.body);
        resp.json()
    };
    assert_eq!(patch(json!({"customer_id": cust}))["incoming"], false);
    // One link cleared, the other kept: still assigned.
    let person = contact(
        &c,
        &t,
        json!({"first_name": "Leena", "last_name": "Linkki", "customers": [{"customer_id": cust}]}),
    );
    let both = patch(json!({"contact_id": person}));
    assert_eq!(both["incoming"], false);
    assert_eq!(patch(json!({"customer_id": null}))["incoming"], false);
    // Both cleared: back under Incoming, and the log says it was unlinked.
    let back = patch(json!({"contact_id": null}));
    assert_eq!(back["incoming"], true);
    let incoming = get(&c, &t, "/api/v1/documents?incoming=true").json();
    assert_eq!(incoming["items"][0]["id"], doc["id"]);
    let events = get(&c, &t, &format!("/api/v1/events?contact_id={person}")).json();
    assert!(
        events["items"][0]["summary"]
            .as_str()
            .unwrap()
            .contains("sopimus.txt"),
        "{events}"
    );

    // A document whose customer is deleted stays out of Incoming, also when renamed.
    let kept = upload(
        &c,
        &t,
        &[
            field("customer_id", &cust.to_string()),
            file("pidetty.txt", "text/plain", b"p"),
        ],
    )
    .json()["items"][0]
        .clone();
    let resp = c.api(
        "DELETE",
        &format!("/api/v1/customers/{cust}"),
        Some(&t),
        None,
    );
    assert_eq!(resp.status, 204, "{}", resp.body);
    let renamed = c.api(
        "PATCH",
        &format!("/api/v1/documents/{}", kept["id"]),
        Some(&t),
        Some(r#"{"title": "Uusi nimi"}"#),
    );
    assert_eq!(renamed.json()["incoming"], false, "{}", renamed.body);
}

#[test]
fn the_cards_list_their_documents_and_a_customers_delete_keeps_them() {
    let (server, admin) = TestServer::with_admin();
    let t = token(&admin);
    let c = server.client();
    let cust = customer(&c, &t, json!({"name": "Kortti Oy"}));
    let person = contact(
        &c,
        &t,
        json!({"first_name": "Kaisa", "last_name": "Kortti", "customers": [{"customer_id": cust, "role": "CEO"}]}),
    );
    let own = upload(
        &c,
        &t,
        &[
            field("customer_id", &cust.to_string()),
            file("asiakkaan.txt", "text/plain", b"a"),
        ],
    )
    .json()["items"][0]
        .clone();
    assert_eq!(own["incoming"], false);
    // Uploaded from the contact's card: linked to the contact at once.
    let card = admin.get(&format!("/contacts/{person}?tab=documents"));
    assert_eq!(card.status, 200);
    assert!(card.body.contains("action=\"/documents/upload\""));
    let body = body_of(
        &[
            field("csrf", &card.csrf()),
            field("contact_id", &person.to_string()),
            field("back", &format!("/contacts/{person}?tab=documents")),
            file("kontaktin.txt", "text/plain", b"k"),
            file("toinen.txt", "text/plain", b"t"),
        ],
        true,
    );
    let resp = admin.request(
        "POST",
        "/documents/upload",
        &[("Content-Type", &content_type())],
        body,
    );
    assert_eq!(resp.status, 303, "{}", resp.body);
    assert_eq!(resp.location(), format!("/contacts/{person}?tab=documents"));
    let contact_tab = admin.get(&format!("/contacts/{person}?tab=documents"));
    assert!(
        contact_tab.body.contains("kontaktin.txt") && !contact_tab.body.contains("asiakkaan.txt")
    );
    // The customer's tab: its own and its contacts'.
    let customer_tab = admin.get(&format!("/customers/{cust}?tab=documents"));
    for name in ["asiakkaan.txt", "kontaktin.txt", "toinen.txt"] {
        assert!(
            customer_tab.body.contains(name),
            "{name}: {}",
            customer_tab.body
        );
    }
    // A page upload without its CSRF token is refused.
    let body = body_of(&[file("x.txt", "text/plain", b"x")], true);
    let resp = admin.request(
        "POST",
        "/documents/upload",
        &[("Content-Type", &content_type())],
        body,
    );
    assert_eq!(resp.status, 403);

    assert_eq!(
        c.api(
            "DELETE",
            &format!("/api/v1/customers/{cust}"),
            Some(&t),
            None
        )
        .status,
        204
    );
    let kept = get(&c, &t, &format!("/api/v1/documents/{}", own["id"])).json();
    assert_eq!(kept["customer_id"], Value::Null);
    assert_eq!(kept["incoming"], false);
    assert_eq!(
        get(&c, &t, "/api/v1/documents?q=asiakkaan").json()["items"][0]["id"],
        own["id"]
    );
}

#[test]
fn a_copy_of_the_stopped_servers_file_serves_every_document() {
    let (mut server, admin) = TestServer::with_admin();
    let t = token(&admin);
    let c = server.client();
    let files: Vec<(String, Vec<u8>)> = (0..4)
        .map(|i| {
            (
                format!("tiedosto-{i}.bin"),
                awkward_bytes(10_000 + i * 300_000),
            )
        })
        .collect();
    let mut ids = Vec::new();
    for (name, bytes) in &files {
        ids.push(
            upload_one(&c, &t, file(name, "application/octet-stream", bytes))["id"]
                .as_i64()
                .unwrap(),
        );
    }
    server.stop();
    let copy_dir = tempfile::tempdir().unwrap();
    let copy = copy_dir.path().join("kopio.db");
    std::fs::copy(&server.db, &copy).unwrap();
    let again = TestServer::start_with(|config| config.db_path = copy.clone());
    let c = again.client();
    assert_eq!(c.login("admin", ADMIN_PASSWORD).status, 303);
    for (id, (name, bytes)) in ids.iter().zip(&files) {
        let got = c.get(&format!("/documents/{id}/download"));
        assert_eq!(got.status, 200, "{name}");
        assert!(got.bytes == *bytes, "{name} differs in the copy");
    }
}

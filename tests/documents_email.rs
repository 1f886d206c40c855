//! E-mail in, through the real server: `POST /api/v1/documents/email`, `.eml` files uploaded on
//! the Incoming page, the watched folder and the IMAP mailbox (a real Dovecot on loopback) all
//! end as incoming documents with the exact bytes of each attachment and the message's From,
//! Subject and Date; a message without attachments is kept whole.

mod common;

use common::dovecot::{Dovecot, USER};
use common::*;
use serde_json::Value;

const MIB: usize = 1024 * 1024;

/// The PDF attached to the test message.
fn pdf() -> Vec<u8> {
    let mut bytes = b"%PDF-1.4\n% tarjous\n".to_vec();
    bytes.extend((0..=255u8).cycle().take(3000));
    bytes
}

/// The text attached in quoted-printable, decoded: the soft line break is gone.
const PRICE_LIST: &str = "Hinta \u{20ac} 12=12, p\u{e4}iv\u{e4} \u{f6} ja softbreak";

fn base64_lines(bytes: &[u8]) -> String {
    const ABC: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = String::new();
    for chunk in bytes.chunks(3) {
        let n = chunk
            .iter()
            .enumerate()
            .fold(0u32, |n, (i, b)| n | u32::from(*b) << (16 - 8 * i));
        for i in 0..4 {
            out.push(if i <= chunk.len() {
                ABC[(n >> (18 - 6 * i) & 63) as usize] as char
            } else {
                '='
            });
        }
    }
    let lines: Vec<&str> = out
        .as_bytes()
        .chunks(76)
        .map(|l| std::str::from_utf8(l).unwrap())
        .collect();
    lines.join("\r\n")
}

/// A message from Ville Väisänen with two attachments: a PDF in base64 named by RFC 2047's
/// B encoding ("Tarjous äö.pdf"), and a text in quoted-printable named by its Q encoding
/// ("Hinnasto öä.txt").
fn two_attachments(subject_q: &str) -> Vec<u8> {
    format!(
        "From: =?UTF-8?Q?Ville_V=C3=A4is=C3=A4nen?= <ville@asiakas.fi>\r\n\
         To: crm@yritys.fi\r\n\
         Subject: =?UTF-8?Q?{subject_q}?=\r\n\
         Date: Tue, 01 Dec 2026 14:30:00 +0200\r\n\
         MIME-Version: 1.0\r\n\
         Content-Type: multipart/mixed; boundary=\"raja\"\r\n\
         \r\n\
         --raja\r\n\
         Content-Type: text/plain; charset=utf-8\r\n\
         \r\n\
         Liitteen\u{e4} tarjous ja hinnasto.\r\n\
         --raja\r\n\
         Content-Type: application/pdf; name=\"=?UTF-8?B?VGFyam91cyDDpMO2LnBkZg==?=\"\r\n\
         Content-Disposition: attachment; filename=\"=?UTF-8?B?VGFyam91cyDDpMO2LnBkZg==?=\"\r\n\
         Content-Transfer-Encoding: base64\r\n\
         \r\n\
         {}\r\n\
         --raja\r\n\
         Content-Type: text/plain; charset=utf-8; name=\"=?UTF-8?Q?Hinnasto_=C3=B6=C3=A4.txt?=\"\r\n\
         Content-Disposition: attachment; filename=\"=?UTF-8?Q?Hinnasto_=C3=B6=C3=A4.txt?=\"\r\n\
         Content-Transfer-Encoding: quoted-printable\r\n\
         \r\n\
         Hinta =E2=82=AC 12=3D12, p=C3=A4iv=C3=A4 =C3=B6 ja soft=\r\n\
         break\r\n\
         --raja--\r\n",
        base64_lines(&pdf()),
    )
    .into_bytes()
}

/// A message with no attachment at all.
fn no_attachments() -> Vec<u8> {
    b"From: Liisa <liisa@example.fi>\r\n\
      Subject: Soittopyynt\xc3\xb6\r\n\
      Date: Wed, 02 Dec 2026 08:00:00 +0000\r\n\
      Content-Type: text/plain; charset=utf-8\r\n\
      \r\n\
      Soittakaa huomenna.\r\n"
        .to_vec()
}

fn token(client: &Client) -> String {
    make_api_token(client, "email")
}

fn post_email(c: &Client, token: &str, content_type: &str, body: Vec<u8>) -> Response {
    let auth = format!("Bearer {token}");
    c.request(
        "POST",
        "/api/v1/documents/email",
        &[("Authorization", &auth), ("Content-Type", content_type)],
        body,
    )
}

fn get(c: &Client, token: &str, path: &str) -> Response {
    c.api("GET", path, Some(token), None)
}

fn incoming(c: &Client, token: &str) -> Vec<Value> {
    let list = get(c, token, "/api/v1/documents?incoming=true&sort=created_at");
    assert_eq!(list.status, 200, "{}", list.body);
    list.json()["items"].as_array().unwrap().clone()
}

/// The two documents of `two_attachments`, checked: names, exact bytes, sender etc.
fn check_two(c: &Client, token: &str, docs: &[Value], source: &str, subject: &str) {
    assert_eq!(docs.len(), 2, "{docs:?}");
    let expected: [(&str, &str, Vec<u8>); 2] = [
        ("Tarjous \u{e4}\u{f6}.pdf", "application/pdf", pdf()),
        (
            "Hinnasto \u{f6}\u{e4}.txt",
            "text/plain",
            PRICE_LIST.as_bytes().to_vec(),
        ),
    ];
    for (doc, (name, content_type, bytes)) in docs.iter().zip(expected) {
        assert_eq!(doc["filename"], name, "{doc}");
        assert_eq!(doc["title"], name);
        assert_eq!(doc["content_type"], content_type);
        assert_eq!(doc["incoming"], true);
        assert_eq!(doc["source"], source);
        assert_eq!(
            doc["email_from"],
            "Ville V\u{e4}is\u{e4}nen <ville@asiakas.fi>"
        );
        assert_eq!(doc["email_subject"], subject);
        assert_eq!(doc["email_date"], "2026-12-01T12:30:00Z");
        assert_eq!(doc["size"], bytes.len());
        let content = get(
            c,
            token,
            &format!("/api/v1/documents/{}/content", doc["id"]),
        );
        assert_eq!(content.status, 200);
        assert_eq!(content.bytes, bytes, "the exact bytes of {name}");
    }
}

#[test]
fn a_message_posted_to_the_api_becomes_one_incoming_document_per_attachment() {
    let (server, admin) = TestServer::with_admin();
    let t = token(&admin);
    let c = server.client();
    let resp = post_email(
        &c,
        &t,
        "message/rfc822",
        two_attachments("Tarjouspyynt=C3=B6"),
    );
    assert_eq!(resp.status, 201, "{}", resp.body);
    let items = resp.json()["items"].as_array().unwrap().clone();
    check_two(&c, &t, &items, "email", "Tarjouspyynt\u{f6}");
    assert_eq!(incoming(&c, &t).len(), 2);

    // No attachment: the message itself, byte for byte, as an `.eml` document.
    let resp = post_email(&c, &t, "message/rfc822; charset=utf-8", no_attachments());
    assert_eq!(resp.status, 201, "{}", resp.body);
    let items = resp.json()["items"].as_array().unwrap().clone();
    assert_eq!(items.len(), 1);
    let eml = &items[0];
    assert!(eml["filename"].as_str().unwrap().ends_with(".eml"), "{eml}");
    assert_eq!(eml["content_type"], "message/rfc822");
    assert_eq!(eml["email_subject"], "Soittopyynt\u{f6}");
    assert_eq!(eml["email_from"], "Liisa <liisa@example.fi>");
    let content = get(&c, &t, &format!("/api/v1/documents/{}/content", eml["id"]));
    assert_eq!(content.bytes, no_attachments());
    // The log says each was added.
    let events = get(&c, &t, "/api/v1/events?kind=document.added").json();
    assert_eq!(events["items"].as_array().unwrap().len(), 3, "{events}");
}

#[test]
fn the_api_refuses_what_is_not_a_message_or_too_large_with_the_error_shape() {
    let (server, admin) = TestServer::with_admin();
    let t = token(&admin);
    let c = server.client();

    let junk = post_email(&c, &t, "message/rfc822", b"\x00\x01\x02 ei viesti".to_vec());
    assert_eq!(junk.status, 422, "{}", junk.body);
    assert_eq!(junk.json()["error"]["code"], "validation");
    assert!(junk.json()["error"]["message"].is_string());
    let empty = post_email(&c, &t, "message/rfc822", Vec::new());
    assert_eq!(empty.status, 422, "{}", empty.body);

    let wrong_type = post_email(&c, &t, "text/plain", two_attachments("x"));
    assert_eq!(wrong_type.status, 415, "{}", wrong_type.body);
    assert_eq!(wrong_type.json()["error"]["code"], "unsupported_media_type");

    // Over the limit (1 MB here): 413 and nothing stored.
    rusqlite::Connection::open(&server.db)
        .unwrap()
        .execute(
            "INSERT INTO settings(key, value) VALUES ('document_max_mb', '1')
             ON CONFLICT(key) DO UPDATE SET value = excluded.value",
            [],
        )
        .unwrap();
    let mut big = two_attachments("Iso");
    big.extend(std::iter::repeat_n(b'x', MIB));
    let resp = post_email(&c, &t, "message/rfc822", big);
    assert_eq!(resp.status, 413, "{}", resp.body);
    assert_eq!(resp.json()["error"]["code"], "too_large");

    // A readonly user may not.
    add_user(&admin, "lukija", "readonly", "lukijan-salasana-1");
    let reader = server.client();
    reader.login("lukija", "lukijan-salasana-1");
    let rt = token(&reader);
    let resp = post_email(&c, &rt, "message/rfc822", two_attachments("x"));
    assert_eq!(resp.status, 403, "{}", resp.body);
    assert!(incoming(&c, &t).is_empty());
}

const BOUNDARY: &str = "----minicrmEmailBoundary";

/// A multipart form body: text fields, then `file` parts.
fn form_body(fields: &[(&str, &str)], files: &[(&str, &[u8])]) -> Vec<u8> {
    let mut out = Vec::new();
    for (name, value) in fields {
        out.extend(
            format!(
                "--{BOUNDARY}\r\nContent-Disposition: form-data; name=\"{name}\"\r\n\r\n{value}\r\n"
            )
            .as_bytes(),
        );
    }
    for (name, bytes) in files {
        out.extend(
            format!(
                "--{BOUNDARY}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"{name}\"\r\nContent-Type: message/rfc822\r\n\r\n"
            )
            .as_bytes(),
        );
        out.extend(*bytes);
        out.extend(b"\r\n");
    }
    out.extend(format!("--{BOUNDARY}--\r\n").as_bytes());
    out
}

fn upload_emails(admin: &Client, files: &[(&str, &[u8])]) -> Response {
    let page = admin.get("/documents?incoming=1");
    assert_eq!(page.status, 200);
    assert!(
        page.body.contains("action=\"/documents/email\""),
        "Incoming has the .eml form"
    );
    let csrf = page.csrf();
    admin.request(
        "POST",
        "/documents/email",
        &[(
            "Content-Type",
            &format!("multipart/form-data; boundary={BOUNDARY}"),
        )],
        form_body(&[("csrf", &csrf)], files),
    )
}

#[test]
fn eml_files_uploaded_on_the_incoming_page_show_under_incoming_with_sender_and_subject() {
    let (server, admin) = TestServer::with_admin();
    let t = token(&admin);

    // A file that is not a message: the page names it and says why; nothing is stored, also
    // not from the good file beside it.
    let two = two_attachments("Tarjouspyynt=C3=B6");
    let refused = upload_emails(
        &admin,
        &[("tarjous.eml", &two), ("rikki.eml", b"\x00\x01 ei viesti")],
    );
    assert_eq!(refused.status, 422, "{}", refused.body);
    assert!(refused.body.contains("rikki.eml"), "{}", refused.body);
    assert!(
        refused.body.contains("Tämä ei ole sähköpostiviesti"),
        "{}",
        refused.body
    );
    assert!(refused.body.contains("action=\"/documents/email\""));
    assert!(incoming(&server.client(), &t).is_empty());

    let no_att = no_attachments();
    let resp = upload_emails(&admin, &[("tarjous.eml", &two), ("soitto.eml", &no_att)]);
    assert_eq!(resp.status, 303, "{}", resp.body);
    assert_eq!(resp.location(), "/documents?incoming=1");
    let docs = incoming(&server.client(), &t);
    assert_eq!(docs.len(), 3, "{docs:?}");
    check_two(
        &server.client(),
        &t,
        &docs[..2],
        "email",
        "Tarjouspyynt\u{f6}",
    );
    assert_eq!(docs[2]["content_type"], "message/rfc822");

    let page = admin.get("/documents?incoming=1");
    assert!(page
        .body
        .contains("Sähköpostien liitteet ovat nyt Saapuneissa."));
    for text in [
        "Tarjous äö.pdf",
        "Hinnasto öä.txt",
        "Tarjouspyyntö",
        "Soittopyyntö",
        "ville@asiakas.fi",
        // The message's date in the company's time zone (Helsinki).
        "1.12.2026 14.30",
    ] {
        assert!(page.body.contains(text), "{text} on the Incoming page");
    }

    // Too large for the limit: the page says so, with the limit.
    rusqlite::Connection::open(&server.db)
        .unwrap()
        .execute(
            "INSERT INTO settings(key, value) VALUES ('document_max_mb', '1')
             ON CONFLICT(key) DO UPDATE SET value = excluded.value",
            [],
        )
        .unwrap();
    let big = vec![b'x'; MIB + 1];
    let resp = upload_emails(&admin, &[("iso.eml", &big)]);
    assert_eq!(resp.status, 413, "{}", resp.body);
    assert!(resp.body.contains("1 Mt"), "{}", resp.body);
    assert_eq!(incoming(&server.client(), &t).len(), 3);
}

/// A time on the tests' clock, `secs` seconds after a fixed start.
fn at(secs: i64) -> String {
    chrono::DateTime::from_timestamp(1_796_000_000 + secs, 0)
        .unwrap()
        .to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
}

#[test]
fn files_dropped_into_the_watched_folder_become_incoming_documents_and_move_to_imported() {
    let (server, admin) = TestServer::with_admin();
    let t = token(&admin);
    let c = server.client();
    // The default folder: `inbox/` beside the database.
    let inbox = server.dir.path().join("inbox");
    std::fs::create_dir_all(&inbox).unwrap();
    let scan = b"%PDF-1.4\n% skannattu lasku\n".repeat(100);
    std::fs::write(inbox.join("tarjous.eml"), two_attachments("Kansio")).unwrap();
    std::fs::write(inbox.join("skannaus.pdf"), &scan).unwrap();

    // The first look sees the files; only unchanged at a later look are they taken.
    let first = c.get(&format!("/_test/inbox/folder?now={}", at(0)));
    assert_eq!(first.status, 200, "{}", first.body);
    assert_eq!(first.json()["imported"].as_array().unwrap().len(), 0);
    assert!(incoming(&c, &t).is_empty());
    let second = c.get(&format!("/_test/inbox/folder?now={}", at(10)));
    assert_eq!(second.status, 200, "{}", second.body);
    assert_eq!(
        second.json()["imported"],
        serde_json::json!(["skannaus.pdf", "tarjous.eml"])
    );

    let docs = incoming(&c, &t);
    assert_eq!(docs.len(), 3, "{docs:?}");
    let (from_mail, scanned): (Vec<Value>, Vec<Value>) =
        docs.into_iter().partition(|d| d["email_from"].is_string());
    check_two(&c, &t, &from_mail, "folder", "Kansio");
    assert_eq!(scanned.len(), 1);
    let scanned = &scanned[0];
    assert_eq!(scanned["filename"], "skannaus.pdf");
    assert_eq!(scanned["source"], "folder");
    assert_eq!(scanned["content_type"], "application/pdf");
    assert_eq!(scanned["email_subject"], Value::Null);
    let content = get(
        &c,
        &t,
        &format!("/api/v1/documents/{}/content", scanned["id"]),
    );
    assert_eq!(content.bytes, scan);

    // Moved out of the way; the folder is empty but for its sub-folders.
    assert!(inbox.join("imported/tarjous.eml").is_file());
    assert!(inbox.join("imported/skannaus.pdf").is_file());
    assert!(!inbox.join("tarjous.eml").exists());
    assert!(!inbox.join("failed").exists());
    // Incoming shows where they came from.
    let page = admin.get("/documents?incoming=1").body;
    assert!(page.contains("skannaus.pdf") && page.contains("Kansio"));
}

/// The settings form's fields pointing the inbox at the test Dovecot.
fn imap_settings(port: &str) -> Vec<(&str, &str)> {
    vec![
        ("company_name", "Testi Oy"),
        ("default_language", "fi"),
        ("inbox_folder", "inbox"),
        ("imap_host", "127.0.0.1"),
        ("imap_port", port),
        ("imap_security", "none"),
        ("imap_user", USER),
        ("imap_password", common::dovecot::PASSWORD),
        ("imap_folder", "INBOX"),
    ]
}

/// The settings page's row of the mailbox job, once it has run (at most 20 s: the first turn
/// runs at start).
fn imap_job_row_after_a_run(admin: &Client) -> String {
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(20);
    loop {
        let page = admin.get("/settings").body;
        let at = page
            .find("data-job=\"jobs.inbox_imap\"")
            .expect("the mailbox job on the settings page");
        let row = &page[at..at + page[at..].find("</tr>").unwrap()];
        if row.contains("OK") || std::time::Instant::now() > deadline {
            return row.to_string();
        }
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
}

#[test]
fn a_message_in_the_imap_mailbox_becomes_incoming_documents_once_also_after_a_restart() {
    let imap = Dovecot::start();
    imap.append(&two_attachments("Postilaatikosta"));
    let (mut first, admin) = TestServer::with_admin();
    let t = token(&admin);
    let port = imap.port.to_string();
    let saved = admin.post_form("/settings", "/settings", &imap_settings(&port));
    assert_eq!(saved.status, 303, "{}", saved.body);

    let c = first.client();
    let poll = c.get(&format!("/_test/inbox/imap?now={}", at(0)));
    assert_eq!(poll.status, 200, "{}", poll.body);
    assert_eq!(poll.json()["imported"], serde_json::json!([1]));
    let docs = incoming(&c, &t);
    check_two(&c, &t, &docs, "email", "Postilaatikosta");
    // Again: nothing new.
    let again = c.get(&format!("/_test/inbox/imap?now={}", at(60)));
    assert_eq!(again.json()["imported"], serde_json::json!([]));

    // A restart on the same database: the mailbox job's first turn runs at start and imports
    // nothing twice; a new message still comes in.
    first.stop();
    let db = first.db.clone();
    let second = TestServer::start_with(|config| config.db_path = db);
    let admin = second.client();
    assert_eq!(admin.login("admin", ADMIN_PASSWORD).status, 303);
    let row = imap_job_row_after_a_run(&admin);
    assert!(row.contains("OK"), "{row}");
    let c = second.client();
    assert_eq!(incoming(&c, &t).len(), 2);

    imap.append(&no_attachments());
    let poll = c.get(&format!("/_test/inbox/imap?now={}", at(120)));
    assert_eq!(poll.status, 200, "{}", poll.body);
    assert_eq!(poll.json()["imported"], serde_json::json!([2]));
    let docs = incoming(&c, &t);
    assert_eq!(docs.len(), 3, "{docs:?}");
    assert_eq!(docs[2]["email_subject"], "Soittopyynt\u{f6}");
    assert_eq!(docs[2]["source"], "email");
}

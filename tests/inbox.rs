//! The inbox's settings over real HTTP: the watched folder and the IMAP mailbox are saved from
//! the settings page, the password is never sent back, and "test the connection" logs in to a
//! real Dovecot on loopback, saying plainly when the password is wrong.

mod common;

use common::dovecot::{Dovecot, PASSWORD, USER};
use common::page::unescape;
use common::*;

/// The settings form's fields with these IMAP values (the rest as a new company has them).
fn settings_fields<'a>(
    port: &'a str,
    security: &'a str,
    password: &'a str,
) -> Vec<(&'a str, &'a str)> {
    vec![
        ("company_name", "Testi Oy"),
        ("default_language", "fi"),
        ("inbox_folder", "/srv/skannaukset"),
        ("imap_host", "127.0.0.1"),
        ("imap_port", port),
        ("imap_security", security),
        ("imap_user", USER),
        ("imap_password", password),
        ("imap_folder", "INBOX"),
    ]
}

/// The connection test's message on a settings page, as text.
fn imap_notice(body: &str) -> String {
    let at = body
        .find("id=\"imap-test\"")
        .expect("a connection test message");
    let text = &body[at..];
    let text = &text[text.find('>').unwrap() + 1..text.find("</p>").unwrap()];
    unescape(text)
}

#[test]
fn the_inbox_settings_are_saved_and_the_password_never_shown() {
    let (_server, admin) = TestServer::with_admin();
    let page = admin.get("/settings");
    assert!(page.body.contains("value=\"inbox\""), "the default folder");
    assert!(page.body.contains("value=\"INBOX\""));

    let fields = settings_fields("", "starttls", "hyvin salainen");
    let saved = admin.post_form("/settings", "/settings", &fields);
    assert_eq!(saved.status, 303, "{}", saved.body);
    let page = admin.get("/settings").body;
    assert!(page.contains("value=\"/srv/skannaukset\""));
    assert!(page.contains("value=\"crm@yritys.fi\""));
    assert!(page.contains("<option value=\"starttls\" selected"));
    assert!(
        !page.contains("hyvin salainen"),
        "the password is never sent back"
    );

    // A port out of range and no user: the form comes back with the input and the messages.
    let mut bad = settings_fields("70000", "tls", "");
    bad.retain(|(k, _)| *k != "imap_user");
    bad.push(("imap_user", ""));
    let page = admin.post_form("/settings", "/settings", &bad);
    assert_eq!(page.status, 422);
    assert!(page.body.contains("value=\"70000\""));
    assert!(page.body.contains("Anna portin numero 1–65535"));
    assert!(page.body.contains("Anna postilaatikon käyttäjätunnus."));
}

#[test]
fn the_connection_test_says_when_the_password_is_wrong_and_counts_the_messages_when_right() {
    let imap = Dovecot::start();
    let (_server, admin) = TestServer::with_admin();
    let port = imap.port.to_string();

    let wrong = admin.post_form(
        "/settings",
        "/settings/imap-test",
        &settings_fields(&port, "none", "väärä salasana"),
    );
    assert_eq!(wrong.status, 200);
    let notice = imap_notice(&wrong.body);
    assert!(notice.starts_with("Yhteys ei onnistunut:"), "{notice}");
    assert!(
        notice.contains("refused the login of crm@yritys.fi"),
        "{notice}"
    );
    assert!(!wrong.body.contains("väärä salasana"));
    // Nothing was saved by the test.
    assert!(!admin.get("/settings").body.contains("value=\"127.0.0.1\""));

    let right = admin.post_form(
        "/settings",
        "/settings/imap-test",
        &settings_fields(&port, "none", PASSWORD),
    );
    assert_eq!(
        imap_notice(&right.body),
        "Yhteys toimii: kansiossa INBOX on 0 viestiä."
    );

    // Saved with the password, then tested without typing it again: the saved one is used.
    let saved = admin.post_form(
        "/settings",
        "/settings",
        &settings_fields(&port, "none", PASSWORD),
    );
    assert_eq!(saved.status, 303);
    let again = admin.post_form(
        "/settings",
        "/settings/imap-test",
        &settings_fields(&port, "none", ""),
    );
    assert!(imap_notice(&again.body).starts_with("Yhteys toimii"));

    let unreachable = admin.post_form(
        "/settings",
        "/settings/imap-test",
        &settings_fields("1", "none", ""),
    );
    let notice = imap_notice(&unreachable.body);
    assert!(
        notice.contains("cannot reach the IMAP server 127.0.0.1:1"),
        "{notice}"
    );
}

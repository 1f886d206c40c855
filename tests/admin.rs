//! The admin pages: users, login history, settings and backups.

mod common;

use common::*;

#[test]
fn admin_adds_a_user_and_bad_input_comes_back_at_the_fields() {
    let (server, admin) = TestServer::with_admin();
    let bad = admin.post_form(
        "/settings/users/new",
        "/settings/users/new",
        &[
            ("username", "matti meikä"),
            ("name", ""),
            ("email", "x"),
            ("role", "boss"),
            ("password", "123"),
            ("password_again", "123"),
        ],
    );
    assert_eq!(bad.status, 422);
    for message in [
        "Käytä vain kirjaimia",
        "Anna nimi.",
        "Tämä ei näytä sähköpostiosoitteelta.",
        "Valitse rooli.",
        "vähintään 10 merkkiä",
    ] {
        assert!(bad.body.contains(message), "{message}: {}", bad.body);
    }
    assert!(bad.body.contains("value=\"matti meikä\""));
    let taken = admin.post_form(
        "/settings/users/new",
        "/settings/users/new",
        &[
            ("username", "Admin"),
            ("name", "Toinen"),
            ("email", ""),
            ("role", "user"),
            ("password", "0123456789"),
            ("password_again", "0123456789"),
        ],
    );
    assert_eq!(taken.status, 409);
    assert!(taken.body.contains("Käyttäjätunnus on jo käytössä."));
    let long = "x".repeat(10_000);
    let too_long = admin.post_form(
        "/settings/users/new",
        "/settings/users/new",
        &[
            ("username", "pitka"),
            ("name", &long),
            ("email", ""),
            ("role", "user"),
            ("password", "0123456789"),
            ("password_again", "0123456789"),
        ],
    );
    assert_eq!(too_long.status, 422);
    add_user(&admin, "bertta", "user", "bertan-salasana");
    let list = admin.get("/settings/users");
    assert!(list.body.contains("bertta") && list.body.contains("Käyttäjä"));
    assert!(!list.body.contains("pitka"));
    assert_eq!(
        server.client().login("bertta", "bertan-salasana").status,
        303
    );
}

#[test]
fn the_last_active_admin_cannot_be_demoted_or_deactivated() {
    let (_server, admin) = TestServer::with_admin();
    let id = user_id(&admin, "admin");
    let path = format!("/settings/users/{id}");
    let resp = admin.post_form(
        &path,
        &path,
        &[
            ("name", "Aino Admin"),
            ("email", ""),
            ("role", "user"),
            ("active", "1"),
        ],
    );
    assert_eq!(resp.status, 422);
    assert!(resp
        .body
        .contains("ainakin yksi käytössä oleva pääkäyttäjä"));
    let resp = admin.post_form(
        &path,
        &path,
        &[("name", "Aino Admin"), ("email", ""), ("role", "admin")],
    );
    assert_eq!(resp.status, 422);
    assert_eq!(admin.get("/settings/users").status, 200);
}

#[test]
fn admin_edits_a_user_and_resets_the_password() {
    let (server, admin) = TestServer::with_admin();
    add_user(&admin, "bertta", "user", "bertan-salasana");
    let id = user_id(&admin, "bertta");
    let path = format!("/settings/users/{id}");
    let edit = admin.get(&path);
    assert!(edit.body.contains("value=\"bertta Testinen\""));
    let mismatch = admin.post_form(
        &path,
        &path,
        &[
            ("name", "Bertta B"),
            ("email", ""),
            ("role", "readonly"),
            ("active", "1"),
            ("password", "uusi-salasana-9"),
            ("password_again", "eri-salasana-9"),
        ],
    );
    assert_eq!(mismatch.status, 422);
    let ok = admin.post_form(
        &path,
        &path,
        &[
            ("name", "Bertta B"),
            ("email", "b@example.fi"),
            ("role", "readonly"),
            ("active", "1"),
            ("password", "uusi-salasana-9"),
            ("password_again", "uusi-salasana-9"),
        ],
    );
    assert_eq!(ok.status, 303, "{}", ok.body);
    assert_eq!(
        server.client().login("bertta", "bertan-salasana").status,
        422
    );
    let c = server.client();
    assert_eq!(c.login("bertta", "uusi-salasana-9").status, 303);
    assert!(c.get("/account").body.contains("Vain luku"));
    // The changes are in the log, naming what changed.
    let log = admin.get("/log");
    assert!(
        log.body
            .contains("Käyttäjä bertta: Koko nimi muutettiin: bertta Testinen → Bertta B"),
        "{}",
        log.body
    );
    assert!(log.body.contains("Rooli muutettiin: Käyttäjä → Vain luku"));
    assert!(log.body.contains("Käyttäjä bertta: salasana vaihdettiin."));
}

#[test]
fn admins_see_the_login_history() {
    let (server, admin) = TestServer::with_admin();
    server.client().login("admin", "wrong password 1");
    let history = admin.get("/settings/logins");
    assert_eq!(history.status, 200);
    assert!(history.body.contains("Epäonnistui"));
    assert!(history.body.contains("Onnistui"));
    assert!(history.body.contains("127.0.0.1"));
}

#[test]
fn settings_are_saved_logged_and_bad_numbers_come_back_at_the_field() {
    let (_server, admin) = TestServer::with_admin();
    let fields = |idle: &'static str| {
        vec![
            ("company_name", "Uusi Nimi Oy"),
            ("default_language", "en"),
            ("session_idle_hours", idle),
            ("remember_days", "30"),
            ("lockout_attempts", "5"),
            ("lockout_minutes", "15"),
            ("backup_interval_hours", "12"),
            ("backup_keep", "3"),
        ]
    };
    let bad = admin.post_form("/settings", "/settings", &fields("zero"));
    assert_eq!(bad.status, 422);
    assert!(bad.body.contains("Anna kokonaisluku sallitulta väliltä."));
    assert!(bad.body.contains("value=\"zero\""), "input kept");
    assert!(bad.body.contains("value=\"Uusi Nimi Oy\""));
    assert!(
        !admin.get("/").body.contains("Uusi Nimi Oy"),
        "nothing saved"
    );
    let ok = admin.post_form("/settings", "/settings", &fields("4"));
    assert_eq!(ok.status, 303);
    let page = admin.get("/settings");
    // The company default is now English, and this user follows it.
    assert!(page.body.contains("Saved."), "flash shown once");
    assert!(page.body.contains("value=\"Uusi Nimi Oy\"") && page.body.contains("value=\"4\""));
    assert!(!admin.get("/settings").body.contains("Saved."));
    // Logged naming the settings by their labels, in the reader's language (now English);
    // the words of the company's language at the time still find it.
    let log = admin.get("/log").body;
    assert!(
        log.contains("Settings changed: Company name, Default language, Log out after"),
        "{log}"
    );
    let found = admin.get("/log?q=asetuksia+oletuskieli").body;
    assert!(found.contains("Settings changed: "), "{found}");
}

#[test]
fn backups_page_lists_copies_and_downloads_a_fresh_one() {
    let (server, admin) = TestServer::with_admin();
    let safety = minicrm::db::backup::snapshot_before_migration(&server.db, 1, 2).unwrap();
    let safety_name = safety.file_name().unwrap().to_string_lossy().to_string();
    let page = admin.get("/settings/backups");
    assert_eq!(page.status, 200);
    assert!(page.body.contains("Lataa tuore varmuuskopio"));
    let fresh = admin.get("/settings/backups/download");
    assert_eq!(fresh.status, 200);
    assert_eq!(
        fresh.header("content-type"),
        Some("application/vnd.sqlite3")
    );
    assert!(fresh
        .header("content-disposition")
        .unwrap()
        .starts_with("attachment; filename=\"minicrm-"));
    assert!(
        fresh.header("content-length").is_some(),
        "sent with its length, not chunked"
    );
    let bytes = &fresh.bytes;
    assert!(bytes.starts_with(b"SQLite format 3\0"));
    // No leftover files from the download.
    let dir = minicrm::db::backup::dir_for(&server.db);
    let hidden: Vec<_> = std::fs::read_dir(&dir)
        .unwrap()
        .filter_map(|e| e.ok())
        .filter(|e| e.file_name().to_string_lossy().starts_with('.'))
        .collect();
    assert!(hidden.is_empty());
    // A listed copy downloads by its name; anything else is 404.
    assert!(page.body.contains(&safety_name), "{}", page.body);
    let copy = admin.get(&format!("/settings/backups/file/{safety_name}"));
    assert_eq!(copy.status, 200);
    assert!(copy.bytes.starts_with(b"SQLite format 3\0"));
    assert_eq!(
        admin.get("/settings/backups/file/..%2Fminicrm.db").status,
        404
    );
    assert_eq!(admin.get("/settings/backups/file/nothing.db").status, 404);
}

//! The first-run wizard, logins, sessions, lockout and language, over real HTTP.

mod common;

use common::*;

#[test]
fn a_new_database_sends_every_page_to_the_setup_wizard() {
    let server = TestServer::start();
    let c = server.client();
    for path in ["/", "/customers", "/login", "/settings"] {
        let resp = c.get(path);
        assert_eq!(resp.status, 303, "{path}");
        assert_eq!(resp.location(), "/setup", "{path}");
    }
    let page = c.get("/setup");
    assert_eq!(page.status, 200);
    assert!(
        page.body.contains("Tervetuloa minicrm"),
        "Finnish by default: {}",
        page.body
    );
}

#[test]
fn setup_wizard_rejects_bad_input_keeping_it_and_writing_nothing() {
    let server = TestServer::start();
    let c = server.client();
    let resp = c.post_form(
        "/setup",
        "/setup",
        &[
            ("company_name", ""),
            ("language", "fi"),
            ("username", "ville"),
            ("name", "Ville <b>Virtanen</b>"),
            ("email", "not-an-email"),
            ("password", "short"),
            ("password_again", "short"),
        ],
    );
    assert_eq!(resp.status, 422);
    assert!(resp.body.contains("Anna yrityksen nimi."), "{}", resp.body);
    assert!(resp
        .body
        .contains("Salasanan on oltava vähintään 10 merkkiä pitkä."));
    assert!(resp.body.contains("Tämä ei näytä sähköpostiosoitteelta."));
    // Kept input, escaped; the password is not sent back.
    assert!(resp.body.contains("value=\"ville\""));
    assert!(resp
        .body
        .contains("value=\"Ville &lt;b&gt;Virtanen&lt;/b&gt;\""));
    assert!(!resp.body.contains("value=\"short\""));
    assert!(resp.body.contains("aria-invalid=\"true\""));
    // Nothing was written: the wizard is still there.
    assert_eq!(c.get("/").location(), "/setup");
    let mismatch = c.post_form(
        "/setup",
        "/setup",
        &[
            ("company_name", "Oy"),
            ("language", "en"),
            ("username", "ville"),
            ("name", "Ville"),
            ("email", ""),
            ("password", "0123456789a"),
            ("password_again", "0123456789b"),
        ],
    );
    assert_eq!(mismatch.status, 422);
    assert!(
        mismatch.body.contains("The passwords do not match."),
        "shown in the chosen language: {}",
        mismatch.body
    );
}

#[test]
fn setup_wizard_creates_the_admin_logs_in_and_shows_the_front_page() {
    let server = TestServer::start();
    let c = server.client();
    c.setup("Kahvila Äijälä Oy", "fi", "aino", ADMIN_PASSWORD);
    let front = c.get("/");
    assert_eq!(front.status, 200);
    assert!(front.body.contains("Kahvila Äijälä Oy"));
    assert!(front.body.contains("Hei, Aino Admin!"));
    assert!(front.body.contains("Ei vielä asiakkaita."));
    // The wizard is closed for good, also to a second visitor.
    assert_eq!(c.get("/setup").location(), "/");
    let other = server.client();
    assert_eq!(other.get("/setup").location(), "/");
    let again = other.post_form(
        "/login",
        "/setup",
        &[
            ("company_name", "Evil"),
            ("language", "en"),
            ("username", "evil"),
            ("name", "E"),
            ("password", "0123456789"),
            ("password_again", "0123456789"),
        ],
    );
    assert_eq!(again.status, 303);
    assert_eq!(other.login("evil", "0123456789").status, 422);
}

#[test]
fn login_with_wrong_password_says_so_and_keeps_the_username() {
    let (server, _admin) = TestServer::with_admin();
    let c = server.client();
    let resp = c.login("admin", "wrong password!");
    assert_eq!(resp.status, 422);
    assert!(
        resp.body.contains("Väärä käyttäjätunnus tai salasana."),
        "{}",
        resp.body
    );
    assert!(resp.body.contains("value=\"admin\""));
    assert!(!c.cookies.borrow().contains_key("minicrm_session"));
    assert_eq!(c.get("/").status, 303);
}

#[test]
fn login_sets_a_safe_session_cookie_and_logout_ends_it() {
    let (server, _admin) = TestServer::with_admin();
    let c = server.client();
    let resp = c.post_form(
        "/login",
        "/login",
        &[
            ("username", "ADMIN"),
            ("password", ADMIN_PASSWORD),
            ("next", "/settings"),
        ],
    );
    assert_eq!(resp.status, 303, "{}", resp.body);
    assert_eq!(resp.location(), "/settings");
    let cookie = resp
        .headers
        .iter()
        .find(|(n, v)| n == "set-cookie" && v.starts_with("minicrm_session="))
        .unwrap()
        .1
        .clone();
    assert!(
        cookie.contains("HttpOnly") && cookie.contains("SameSite=Lax"),
        "{cookie}"
    );
    assert!(
        !cookie.contains("Max-Age"),
        "without remember me the cookie ends with the browser: {cookie}"
    );
    let token = c.cookies.borrow()["minicrm_session"].clone();
    // The database keeps only a hash of the token.
    let conn = rusqlite::Connection::open(&server.db).unwrap();
    let stored: i64 = conn
        .query_row(
            "SELECT count(*) FROM sessions WHERE hex(token_hash) = upper(?1)",
            [&token],
            |r| r.get(0),
        )
        .unwrap();
    assert_eq!(stored, 0);
    assert_eq!(c.get("/").status, 200);
    let out = c.post_form("/", "/logout", &[]);
    assert_eq!(out.location(), "/login");
    // The old token no longer works, even if replayed.
    let replay = server.client();
    replay
        .cookies
        .borrow_mut()
        .insert("minicrm_session".into(), token);
    assert_eq!(replay.get("/").status, 303);
}

#[test]
fn an_open_redirect_after_login_goes_home_instead() {
    let (server, _admin) = TestServer::with_admin();
    let c = server.client();
    let resp = c.post_form(
        "/login",
        "/login",
        &[
            ("username", "admin"),
            ("password", ADMIN_PASSWORD),
            ("next", "//evil.example/"),
        ],
    );
    assert_eq!(resp.location(), "/");
}

#[test]
fn remember_me_gives_a_thirty_day_cookie() {
    let (server, _admin) = TestServer::with_admin();
    let c = server.client();
    let resp = c.post_form(
        "/login",
        "/login",
        &[
            ("username", "admin"),
            ("password", ADMIN_PASSWORD),
            ("remember", "1"),
        ],
    );
    let cookie = resp
        .headers
        .iter()
        .find(|(n, v)| n == "set-cookie" && v.starts_with("minicrm_session="))
        .unwrap()
        .1
        .clone();
    assert!(
        cookie.contains(&format!("Max-Age={}", 30 * 86400)),
        "{cookie}"
    );
}

#[test]
fn an_idle_session_expires() {
    let (server, c) = TestServer::with_admin();
    assert_eq!(c.get("/").status, 200);
    // Nine hours of silence, told to the database directly.
    let conn = rusqlite::Connection::open(&server.db).unwrap();
    conn.execute("UPDATE sessions SET last_seen_at = last_seen_at - 9 * 3600, created_at = created_at - 9 * 3600", []).unwrap();
    assert_eq!(c.get("/settings").status, 303);
    assert!(c.get("/settings").location().starts_with("/login"));
}

#[test]
fn five_failed_logins_lock_the_username_even_for_the_right_password() {
    let (server, _admin) = TestServer::with_admin();
    let c = server.client();
    for _ in 0..5 {
        assert_eq!(c.login("admin", "not the password").status, 422);
    }
    let locked = c.login("admin", ADMIN_PASSWORD);
    assert_eq!(locked.status, 429);
    assert!(locked.body.contains("15 minuutiksi"), "{}", locked.body);
    assert!(!c.cookies.borrow().contains_key("minicrm_session"));
    // Fifteen minutes later it opens again.
    let conn = rusqlite::Connection::open(&server.db).unwrap();
    conn.execute("UPDATE login_attempts SET at = at - 16 * 60", [])
        .unwrap();
    assert_eq!(c.login("admin", ADMIN_PASSWORD).status, 303);
}

#[test]
fn five_failed_logins_from_one_ip_lock_that_ip_for_every_username() {
    let (server, admin) = TestServer::with_admin();
    add_user(&admin, "bertta", "user", "bertan-salasana");
    let c = server.client();
    for n in 0..5 {
        assert_eq!(
            c.login(&format!("guess{n}"), "whatever password").status,
            422
        );
    }
    assert_eq!(c.login("bertta", "bertan-salasana").status, 429);
}

#[test]
fn lockout_numbers_are_settings() {
    let (server, admin) = TestServer::with_admin();
    let page = admin.get("/settings");
    let resp = admin.post_raw(
        "/settings",
        &[
            ("csrf", &page.csrf()),
            ("company_name", "Testi Oy"),
            ("default_language", "fi"),
            ("session_idle_hours", "8"),
            ("remember_days", "30"),
            ("lockout_attempts", "2"),
            ("lockout_minutes", "45"),
            ("backup_interval_hours", "24"),
            ("backup_keep", "7"),
        ],
    );
    assert_eq!(resp.status, 303, "{}", resp.body);
    let c = server.client();
    c.login("admin", "wrong one here");
    c.login("admin", "wrong one here");
    let locked = c.login("admin", ADMIN_PASSWORD);
    assert_eq!(locked.status, 429);
    assert!(locked.body.contains("45 minuutiksi"));
}

#[test]
fn language_comes_from_the_user_then_the_browser_then_the_company() {
    let (server, admin) = TestServer::with_admin();
    // Company default is Finnish; an English browser gets English before login.
    let english = server
        .client()
        .with_header("Accept-Language", "en-GB,en;q=0.9");
    assert!(english.get("/login").body.contains("Log in"));
    let plain = server.client();
    assert!(plain.get("/login").body.contains("Kirjaudu sisään"));
    // The user's own choice beats the browser.
    let resp = admin.post_form("/account", "/account/language", &[("language", "en")]);
    assert_eq!(resp.status, 303);
    let front = admin.get("/");
    assert!(
        front.body.contains("Front page") && front.body.contains("lang=\"en\""),
        "{}",
        front.body
    );
    let finnish_browser = server.client().with_header("Accept-Language", "fi");
    finnish_browser.login("admin", ADMIN_PASSWORD);
    assert!(finnish_browser.get("/").body.contains("Hello, Aino Admin!"));
    // Back to following the browser.
    admin.post_form("/account", "/account/language", &[("language", "")]);
    assert!(finnish_browser.get("/").body.contains("Hei, Aino Admin!"));
    let bad = admin.post_form("/account", "/account/language", &[("language", "sv")]);
    assert_eq!(bad.status, 422);
}

#[test]
fn password_change_checks_the_old_one_and_ends_other_sessions() {
    let (server, admin) = TestServer::with_admin();
    let other = server.client();
    assert_eq!(other.login("admin", ADMIN_PASSWORD).status, 303);
    let wrong = admin.post_form(
        "/account",
        "/account/password",
        &[
            ("current_password", "nope nope nope"),
            ("password", "uusi-salasana-1"),
            ("password_again", "uusi-salasana-1"),
        ],
    );
    assert_eq!(wrong.status, 422);
    assert!(wrong.body.contains("Nykyinen salasana on väärä."));
    let short = admin.post_form(
        "/account",
        "/account/password",
        &[
            ("current_password", ADMIN_PASSWORD),
            ("password", "lyhyt"),
            ("password_again", "lyhyt"),
        ],
    );
    assert_eq!(short.status, 422);
    let ok = admin.post_form(
        "/account",
        "/account/password",
        &[
            ("current_password", ADMIN_PASSWORD),
            ("password", "uusi-salasana-1"),
            ("password_again", "uusi-salasana-1"),
        ],
    );
    assert_eq!(ok.status, 303);
    assert_eq!(admin.get("/").status, 200, "this session lives on");
    assert_eq!(other.get("/").status, 303, "the other session ended");
    assert_eq!(
        server.client().login("admin", "uusi-salasana-1").status,
        303
    );
}

//! Reminders by e-mail, over real HTTP to the in-process server and real SMTP to a small server
//! the test starts on loopback (`common::smtp`): the message goes to the task's person, in their
//! language, with a link to the task; a refusing or absent server is retried after the back-off
//! once the job's clock has moved on, and the failure shows on the settings page and as a
//! warning on admins' front page; nothing is sent twice across a restart; the test button; the
//! job's counts; the SMTP settings' checks. The job's clock is set through the test route, as in
//! `tests/tasks.rs`.

mod common;

use chrono::{Duration, Utc};
use serde_json::{json, Value};

use common::smtp::SmtpSink;
use common::tasks::{day, setup, Setup};
use common::*;

fn token(client: &Client) -> String {
    make_api_token(client, "testit")
}

/// A moment a year ahead, where every reminder of the tests' tasks is due; `plus` minutes on.
fn later(plus: i64) -> String {
    let base = (Utc::now() + Duration::days(400)).date_naive();
    let t = base.and_hms_opt(12, 0, 0).unwrap().and_utc() + Duration::minutes(plus);
    t.to_rfc3339()
}

/// One turn of the reminder job at `now`.
fn turn(client: &Client, now: &str) -> Value {
    let resp = client.get(&format!(
        "/_test/reminders/deliver?now={}",
        now.replace('+', "%2B")
    ));
    assert_eq!(resp.status, 200, "{}", resp.body);
    resp.json()
}

/// Saves the SMTP settings (server on loopback, no security) with the company's basics.
fn set_smtp(admin: &Client, port: u16, public_url: &str) {
    let port = port.to_string();
    let resp = admin.post_form(
        "/settings",
        "/settings",
        &[
            ("company_name", "Testi Oy"),
            ("default_language", "fi"),
            ("smtp_host", "127.0.0.1"),
            ("smtp_port", &port),
            ("smtp_security", "none"),
            ("smtp_user", ""),
            ("smtp_password", ""),
            ("smtp_from", "crm@testi.fi"),
            ("public_url", public_url),
        ],
    );
    assert_eq!(resp.status, 303, "{}", resp.body);
}

fn create(s: &Setup, body: Value) -> i64 {
    let resp = s.admin.api(
        "POST",
        "/api/v1/tasks",
        Some(&s.token),
        Some(&body.to_string()),
    );
    assert_eq!(resp.status, 201, "{}", resp.body);
    resp.json()["id"].as_i64().unwrap()
}

/// Adds a user with an e-mail address who reads the app in English; returns their id.
fn english_user(s: &Setup) -> i64 {
    let resp = s.admin.post_form(
        "/settings/users/new",
        "/settings/users/new",
        &[
            ("username", "emma"),
            ("name", "Emma English"),
            ("email", "emma@example.com"),
            ("role", "user"),
            ("password", ADMIN_PASSWORD),
            ("password_again", ADMIN_PASSWORD),
        ],
    );
    assert_eq!(resp.status, 303, "{}", resp.body);
    let emma = s.server.client();
    assert_eq!(emma.login("emma", ADMIN_PASSWORD).status, 303);
    let resp = emma.post_form("/account", "/account/language", &[("language", "en")]);
    assert_eq!(resp.status, 303, "{}", resp.body);
    user_id(&s.admin, "emma").parse().unwrap()
}

#[test]
fn a_reminder_goes_to_its_person_in_their_language_with_a_link_to_the_task() {
    let s = setup();
    let sink = SmtpSink::start();
    set_smtp(&s.admin, sink.port(), "");
    let emma = english_user(&s);
    let mine = create(
        &s,
        json!({"description": "Soita tarjouksesta\nLisätiedot", "assignee_id": s.me, "due_date": day(10),
               "customer_id": s.customer}),
    );
    let hers = create(
        &s,
        json!({"description": "Call about the offer", "assignee_id": emma, "due_date": day(12),
               "remind_days_before": null}),
    );
    let done = turn(&s.admin, &later(0));
    assert_eq!(done["delivered"], 3, "{done}");
    assert_eq!(done["emailed"], 3, "{done}");
    let messages = sink.wait_for(3);
    assert_eq!(messages.len(), 3);
    let to_me: Vec<_> = messages
        .iter()
        .filter(|m| m.to == ["aino@example.fi"])
        .collect();
    assert_eq!(to_me.len(), 2, "{messages:#?}");
    for m in &to_me {
        assert_eq!(m.from, "crm@testi.fi");
        assert_eq!(
            m.header("Subject").as_deref(),
            Some("Muistutus: Soita tarjouksesta")
        );
        let text = m.text();
        assert!(text.contains("Hei Aino Admin,"), "{text}");
        assert!(text.contains("Asiakas Oy"), "{text}");
        assert!(text.contains("Lisätiedot"), "{text}");
        assert!(
            text.contains(&s.server.url(&format!("/tasks/{mine}"))),
            "{text}"
        );
    }
    let to_her: Vec<_> = messages
        .iter()
        .filter(|m| m.to == ["emma@example.com"])
        .collect();
    assert_eq!(to_her.len(), 1, "{messages:#?}");
    assert_eq!(
        to_her[0].header("Subject").as_deref(),
        Some("Reminder: Call about the offer")
    );
    let text = to_her[0].text();
    assert!(text.contains("Hello Emma English,"), "{text}");
    assert!(text.contains("due today"), "{text}");
    assert!(
        text.contains(&s.server.url(&format!("/tasks/{hers}"))),
        "{text}"
    );
    // The next turn sends nothing again; the settings page counts what went out.
    let again = turn(&s.admin, &later(5));
    assert_eq!(
        (again["delivered"].as_i64(), again["emailed"].as_i64()),
        (Some(0), Some(0))
    );
    assert_eq!(sink.messages().len(), 3);

    // The public address, when set, starts the links.
    set_smtp(&s.admin, sink.port(), "https://crm.example.fi/");
    create(
        &s,
        json!({"description": "Julkinen linkki", "assignee_id": s.me, "due_date": day(10), "remind_days_before": null}),
    );
    assert_eq!(turn(&s.admin, &later(10))["emailed"], 1);
    let last = sink.wait_for(4).pop().unwrap();
    assert!(
        last.text().contains("https://crm.example.fi/tasks/"),
        "{}",
        last.text()
    );
}

#[test]
fn a_person_without_an_address_is_skipped_not_retried() {
    let s = setup();
    let sink = SmtpSink::start();
    set_smtp(&s.admin, sink.port(), "");
    add_user(&s.admin, "noaddress", "user", ADMIN_PASSWORD);
    let id: i64 = user_id(&s.admin, "noaddress").parse().unwrap();
    create(
        &s,
        json!({"description": "Ei osoitetta", "assignee_id": id, "due_date": day(10), "remind_days_before": null}),
    );
    let done = turn(&s.admin, &later(0));
    assert_eq!(done["delivered"], 1, "{done}");
    assert_eq!(done["email_skipped"], 1, "{done}");
    assert_eq!(turn(&s.admin, &later(120))["email_skipped"], 0);
    assert_eq!(sink.connections(), 0);
}

#[test]
fn a_refusing_server_is_retried_after_the_back_off_and_admins_are_warned_meanwhile() {
    let s = setup();
    let sink = SmtpSink::start();
    sink.set_refusing(true);
    set_smtp(&s.admin, sink.port(), "");
    add_user(&s.admin, "kayttaja", "user", ADMIN_PASSWORD);
    create(
        &s,
        json!({"description": "Yritä uudelleen", "assignee_id": s.me, "due_date": day(10)}),
    );
    let first = turn(&s.admin, &later(0));
    assert_eq!(first["delivered"], 2, "{first}");
    assert_eq!(first["email_failed"], 2, "{first}");
    assert_eq!(first["emailed"], 0, "{first}");

    let settings = s.admin.get("/settings");
    assert!(settings.body.contains("email-failing"), "{}", settings.body);
    assert!(settings.body.contains("554"), "{}", settings.body);
    let front = s.admin.get("/");
    assert!(front.body.contains("email-failing"), "{}", front.body);
    assert!(front.body.contains("/settings#email"));
    // Only admins are warned.
    let user = s.server.client();
    assert_eq!(user.login("kayttaja", ADMIN_PASSWORD).status, 303);
    assert!(!user.get("/").body.contains("email-failing"));

    // The server works again, but nothing is tried before the back-off has passed.
    sink.set_refusing(false);
    let early = turn(&s.admin, &later(0));
    assert_eq!(
        (early["emailed"].as_i64(), early["email_failed"].as_i64()),
        (Some(0), Some(0))
    );
    let retried = turn(&s.admin, &later(2));
    assert_eq!(retried["emailed"], 2, "{retried}");
    assert_eq!(sink.wait_for(2).len(), 2);
    assert!(!s.admin.get("/settings").body.contains("email-failing"));
    assert!(!s.admin.get("/").body.contains("email-failing"));

    // A server that is not listening at all: the turn stops at the first failure (the others
    // would fail alike), and goes on once the settings point to a working server.
    let closed = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    set_smtp(&s.admin, closed, "");
    create(
        &s,
        json!({"description": "Ei kuuntele", "assignee_id": s.me, "due_date": day(10)}),
    );
    let down = turn(&s.admin, &later(10));
    assert_eq!(down["delivered"], 2, "{down}");
    assert_eq!(down["email_failed"], 1, "{down}");
    let settings = s.admin.get("/settings");
    assert!(
        settings.body.contains("cannot reach the SMTP server"),
        "{}",
        settings.body
    );
    set_smtp(&s.admin, sink.port(), "");
    let up = turn(&s.admin, &later(12));
    assert_eq!(up["emailed"], 2, "{up}");
    assert_eq!(sink.wait_for(4).len(), 4);
}

#[test]
fn nothing_is_emailed_twice_across_a_restart() {
    let mut s = setup();
    let sink = SmtpSink::start();
    set_smtp(&s.admin, sink.port(), "");
    create(
        &s,
        json!({"description": "Kerran", "assignee_id": s.me, "due_date": day(10), "customer_id": s.customer}),
    );
    let now = later(0);
    assert_eq!(turn(&s.admin, &now)["emailed"], 2);
    s.server.stop();
    let db = s.server.db.clone();
    let again = TestServer::start_with(|c| c.db_path = db);
    let client = again.client();
    assert_eq!(client.login("admin", ADMIN_PASSWORD).status, 303);
    let second = turn(&client, &later(60));
    assert_eq!(
        (second["delivered"].as_i64(), second["emailed"].as_i64()),
        (Some(0), Some(0))
    );
    assert_eq!(sink.messages().len(), 2);
    let log = client.api(
        "GET",
        &format!(
            "/api/v1/events?customer_id={}&kind=reminder.delivered",
            s.customer
        ),
        Some(&s.token),
        None,
    );
    assert_eq!(log.json()["items"].as_array().map(Vec::len), Some(2));
}

#[test]
fn the_test_button_sends_to_the_admin_and_says_at_once_how_it_went() {
    let (server, admin) = TestServer::with_admin();
    // Before a server is set there is nothing to try.
    let off = admin.post_form("/settings", "/settings/test-email", &[]);
    assert_eq!(off.status, 422, "{}", off.body);
    assert!(off.body.contains("test-email-failed"));
    let sink = SmtpSink::start();
    set_smtp(&admin, sink.port(), "");
    let settings = admin.get("/settings");
    assert!(
        settings.body.contains("aino@example.fi"),
        "the button names the address"
    );
    let sent = admin.post_form("/settings", "/settings/test-email", &[]);
    assert_eq!(sent.status, 303, "{}", sent.body);
    assert_eq!(sent.location(), "/settings#email");
    assert!(admin
        .get("/settings")
        .body
        .contains("Testiviesti lähetettiin"));
    let m = sink.wait_for(1).remove(0);
    assert_eq!(m.to, ["aino@example.fi"]);
    assert!(m.text().contains("Testi Oy"), "{}", m.text());
    // A refusing server: the page says why, at once.
    sink.set_refusing(true);
    let failed = admin.post_form("/settings", "/settings/test-email", &[]);
    assert_eq!(failed.status, 502, "{}", failed.body);
    assert!(failed.body.contains("554"), "{}", failed.body);
    // Only admins have the button.
    add_user(&admin, "kayttaja", "user", ADMIN_PASSWORD);
    let user = server.client();
    assert_eq!(user.login("kayttaja", ADMIN_PASSWORD).status, 303);
    let resp = user.post_form("/", "/settings/test-email", &[]);
    assert_eq!(resp.status, 403);
}

#[test]
fn smtp_settings_are_checked_and_the_password_is_never_shown() {
    let (server, admin) = TestServer::with_admin();
    let post = |fields: &[(&str, &str)]| {
        let mut all = vec![("company_name", "Testi Oy"), ("default_language", "fi")];
        all.extend_from_slice(fields);
        admin.post_form("/settings", "/settings", &all)
    };
    let bad = post(&[
        ("smtp_host", "smtp example"),
        ("smtp_port", "99999"),
        ("smtp_security", "maybe"),
        ("smtp_from", "not-an-address"),
        ("public_url", "ftp://x"),
    ]);
    assert_eq!(bad.status, 422, "{}", bad.body);
    for field in [
        "smtp_host",
        "smtp_port",
        "smtp_security",
        "smtp_from",
        "public_url",
    ] {
        assert!(
            bad.body.contains(&format!("id=\"f-{field}-error\""))
                || bad.body.contains(&format!("f-{field}-error")),
            "{field} has no error: {}",
            bad.body
        );
    }
    assert!(bad.body.contains("smtp example"), "the input comes back");
    let no_sender = post(&[
        ("smtp_host", "smtp.example.fi"),
        ("smtp_security", "starttls"),
    ]);
    assert_eq!(no_sender.status, 422);
    let ok = post(&[
        ("smtp_host", "smtp.example.fi"),
        ("smtp_security", "starttls"),
        ("smtp_user", "crm"),
        ("smtp_password", "salainen-sana-123"),
        ("smtp_from", "crm@example.fi"),
    ]);
    assert_eq!(ok.status, 303, "{}", ok.body);
    let page = admin.get("/settings");
    assert!(!page.body.contains("salainen-sana-123"));
    assert!(page.body.contains("smtp.example.fi"));
    // Saving with the password field empty keeps it.
    let again = post(&[
        ("smtp_host", "smtp.example.fi"),
        ("smtp_security", "tls"),
        ("smtp_user", "crm"),
        ("smtp_password", ""),
        ("smtp_from", "crm@example.fi"),
    ]);
    assert_eq!(again.status, 303);
    let conn = rusqlite::Connection::open(&server.db).unwrap();
    let stored: String = conn
        .query_row(
            "SELECT value FROM settings WHERE key = 'smtp_password'",
            [],
            |r| r.get(0),
        )
        .unwrap();
    assert_eq!(stored, "salainen-sana-123");
}

#[test]
fn the_settings_page_counts_what_the_running_job_delivered_and_emailed() {
    let server =
        TestServer::start_with(|c| c.reminder_every = std::time::Duration::from_millis(50));
    let admin = server.client();
    admin.setup("Testi Oy", "fi", "admin", ADMIN_PASSWORD);
    let sink = SmtpSink::start();
    set_smtp(&admin, sink.port(), "");
    // Set the company's zone to UTC so that "today" is the test's.
    let resp = admin.post_form(
        "/settings",
        "/settings",
        &[
            ("company_name", "Testi Oy"),
            ("default_language", "fi"),
            ("time_zone", "UTC"),
        ],
    );
    assert_eq!(resp.status, 303, "{}", resp.body);
    let token = token(&admin);
    let me = my_id(&admin, &token);
    // Due today at 00:30: its reminder (an hour before) is due at once, by the real clock. A
    // task made across midnight is due yesterday and gets no reminder: it is made again.
    loop {
        let today = Utc::now().format("%Y-%m-%d").to_string();
        let resp = admin.api(
            "POST",
            "/api/v1/tasks",
            Some(&token),
            Some(
                &json!({"description": "Heti", "assignee_id": me, "due_date": today,
                        "due_time": "00:30"})
                .to_string(),
            ),
        );
        assert_eq!(resp.status, 201, "{}", resp.body);
        if Utc::now().format("%Y-%m-%d").to_string() == today {
            break;
        }
        let id = resp.json()["id"].clone();
        let resp = admin.api("DELETE", &format!("/api/v1/tasks/{id}"), Some(&token), None);
        assert_eq!(resp.status, 204, "{}", resp.body);
    }
    assert_eq!(sink.wait_for(1).len(), 1);
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(30);
    loop {
        let page = admin.get("/settings");
        let row = page
            .body
            .split("data-job=\"jobs.reminders\"")
            .nth(1)
            .unwrap_or("")
            .split("</tr>")
            .next()
            .unwrap_or("")
            .to_string();
        // The page reads the database in one snapshot, taken at its first read, and the
        // jobs' counts from memory afterwards: the counts may come a page before the sent row.
        if row.contains("toimitettu 1")
            && row.contains("sähköpostilla 1")
            && page.body.contains("class=\"sent\">1<")
        {
            break;
        }
        assert!(std::time::Instant::now() < deadline, "{}", page.body);
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
}

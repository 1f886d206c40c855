//! The server's background work over real HTTP: both jobs run at start and show their last run
//! on the settings page, and a failing job shows its error there; a flood of oversized
//! requests is answered and closed at once, and the server still answers. And the
//! company's time zone: times stored in UTC show in it (Europe/Helsinki unless changed).

mod common;

use std::io::{Read, Write};
use std::net::TcpStream;
use std::sync::atomic::AtomicBool;
use std::sync::Arc;
use std::time::{Duration, Instant};

use minicrm::config::ServeConfig;

use common::page::{field_error, input_value, unescape};
use common::*;

/// The settings page's row for one job, as text without tags.
fn job_row(body: &str, name: &str) -> Option<String> {
    let marker = format!("data-job=\"{name}\"");
    let at = body.find(&marker)?;
    let row = &body[at..at + body[at..].find("</tr>")?];
    let mut text = String::new();
    let mut in_tag = false;
    for c in row.chars() {
        match c {
            '<' => {
                in_tag = true;
                text.push(' ');
            }
            '>' => in_tag = false,
            c if !in_tag => text.push(c),
            _ => {}
        }
    }
    Some(unescape(&text))
}

/// Reads `/settings` until `done` holds for both jobs' rows, for at most ten seconds (the
/// first turn runs at start, so it is normally there at once).
fn settings_when(admin: &Client, done: impl Fn(&str) -> bool) -> (String, String) {
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let page = admin.get("/settings");
        assert_eq!(page.status, 200);
        let rows = (
            job_row(&page.body, "jobs.session_cleanup").expect("a session clean-up row"),
            job_row(&page.body, "jobs.backups").expect("a backups row"),
        );
        if (done(&rows.0) && done(&rows.1)) || Instant::now() > deadline {
            return rows;
        }
        std::thread::sleep(Duration::from_millis(50));
    }
}

#[test]
fn the_settings_page_shows_both_jobs_with_their_last_run_after_start() {
    let (_server, admin) = TestServer::with_admin();
    let (sessions, backups) = settings_when(&admin, |row| row.contains("OK"));
    for row in [&sessions, &backups] {
        assert!(row.contains("OK"), "{row}");
        assert!(!row.contains("Ei vielä ajettu"), "{row}");
        // The last run and the next one, as Finnish times (`30.11.2026 07.25`).
        let times = row
            .split_whitespace()
            .filter(|w| w.len() == 5 && w.as_bytes()[2] == b'.')
            .count();
        assert_eq!(times, 2, "{row}");
    }
    assert!(sessions.contains("Vanhentuneiden istuntojen siivous"));
    assert!(backups.contains("Ajastetut varmuuskopiot"));
}

#[test]
fn a_failing_job_shows_its_error_and_the_other_job_still_runs() {
    // A file where the backups folder should be: the backup job cannot write its copy.
    // The jobs look again soon: the turn at start finds a new, empty database, which has
    // nothing to back up; a later turn, after the set-up, tries and fails.
    let server = TestServer::start_with(|config| {
        let blocker = config.db_path.parent().unwrap().join("backups");
        std::fs::write(blocker, "not a folder").unwrap();
        config.backup_check_every = Duration::from_millis(100);
    });
    let admin = server.client();
    admin.setup("Testi Oy", "fi", "admin", ADMIN_PASSWORD);
    let (sessions, backups) = settings_when(&admin, |row| {
        !row.contains("Ei vielä ajettu") && (row.contains("Vanhentuneiden") || !row.contains("OK"))
    });
    assert!(sessions.contains("OK"), "{sessions}");
    assert!(!backups.contains("OK"), "{backups}");
    assert!(
        backups.contains("File exists") || backups.contains("i/o"),
        "{backups}"
    );
}

#[test]
fn the_jobs_are_for_admins_only() {
    let (server, admin) = TestServer::with_admin();
    add_user(&admin, "bertta", "user", "bertan-salasana");
    let user = server.client();
    assert_eq!(user.login("bertta", "bertan-salasana").status, 303);
    let page = user.get("/settings");
    assert_eq!(page.status, 200);
    assert!(!page.body.contains("data-job="));
}

/// Reads one response's head from a raw connection: up to the blank line.
fn read_head(stream: &mut TcpStream) -> String {
    let mut head = Vec::new();
    let mut byte = [0u8; 1];
    while !head.ends_with(b"\r\n\r\n") {
        match stream.read(&mut byte) {
            Ok(1) => head.push(byte[0]),
            _ => break,
        }
    }
    String::from_utf8_lossy(&head).to_lowercase()
}

#[test]
fn a_flood_of_oversized_requests_is_answered_and_closed_without_reading_and_the_server_still_answers(
) {
    let dir = tempfile::tempdir().unwrap();
    let mut config = ServeConfig::new(dir.path().join("minicrm.db"));
    config.addr = "127.0.0.1:0".into();
    config.workers = 4;
    config.max_body = 1024;
    let running = minicrm::server::start(config, Arc::new(AtomicBool::new(false))).unwrap();
    let addr = running.addr;
    // Each announces 100 MB, sends a little and then nothing: anything that waited to read the
    // rest would wait for ever.
    let request = format!(
        "POST /login HTTP/1.1\r\nHost: {addr}\r\nContent-Type: application/x-www-form-urlencoded\r\n\
         Content-Length: 100000000\r\n\r\n{}",
        "a".repeat(2000)
    );
    let mut clients: Vec<TcpStream> = (0..20)
        .map(|_| {
            let mut stream = TcpStream::connect(addr).unwrap();
            stream
                .set_read_timeout(Some(Duration::from_secs(20)))
                .unwrap();
            stream.write_all(request.as_bytes()).unwrap();
            stream
        })
        .collect();
    for stream in &mut clients {
        let head = read_head(stream);
        assert!(head.starts_with("http/1.1 413"), "{head}");
        assert!(head.contains("connection: close"), "{head}");
        // The server closes its side at once, while the client still holds its own open.
        let mut rest = Vec::new();
        stream
            .read_to_end(&mut rest)
            .expect("closed by the server, not timed out");
    }
    let page = Client::new(running.url()).get("/setup");
    assert_eq!(page.status, 200);
    running.stop();
}

/// The first `<time datetime="…">shown</time>` of a page: the stored UTC text and what shows.
fn first_time(body: &str) -> (String, String) {
    let at = body
        .find("<time datetime=\"")
        .expect("a <time> on the page")
        + 16;
    let rest = &body[at..];
    let stored = rest[..rest.find('"').unwrap()].to_string();
    let shown = &rest[rest.find('>').unwrap() + 1..];
    (stored, unescape(&shown[..shown.find("</time>").unwrap()]))
}

fn save_time_zone(admin: &Client, zone: &str) -> Response {
    admin.post_form(
        "/settings",
        "/settings",
        &[
            ("company_name", "Testi Oy"),
            ("default_language", "fi"),
            ("customer_number_prefix", ""),
            ("time_zone", zone),
            ("session_idle_hours", "8"),
            ("remember_days", "30"),
            ("lockout_attempts", "5"),
            ("lockout_minutes", "15"),
            ("backup_interval_hours", "24"),
            ("backup_keep", "7"),
        ],
    )
}

#[test]
fn an_event_created_now_shows_the_helsinki_time_on_the_customer_log() {
    let (_server, admin) = TestServer::with_admin();
    let created = admin.post_form(
        "/customers/new",
        "/customers/new",
        &[("name", "Aikavyöhyke Oy")],
    );
    assert_eq!(created.status, 303, "{}", created.body);
    let card = created.location().to_string();
    let log = admin.get(&format!("{card}?tab=log"));
    assert_eq!(log.status, 200);
    let (stored, shown) = first_time(&log.body);
    let at = chrono::DateTime::parse_from_rfc3339(&stored)
        .unwrap()
        .to_utc();
    assert!(
        (chrono::Utc::now() - at).num_seconds().abs() < 60,
        "{stored}"
    );
    let helsinki = at.with_timezone(&chrono_tz::Europe::Helsinki);
    assert_eq!(shown, helsinki.format("%-d.%-m.%Y %H.%M").to_string());
    assert_ne!(shown, at.format("%-d.%-m.%Y %H.%M").to_string());

    // Another zone shows the same moment differently; a made-up one is refused at the field.
    let bad = save_time_zone(&admin, "Europe/Tampere");
    assert_eq!(bad.status, 422);
    assert!(
        field_error(&bad.body, "time_zone").is_some(),
        "{}",
        bad.body
    );
    assert_eq!(save_time_zone(&admin, "america/new_york").status, 303);
    let settings = admin.get("/settings");
    assert_eq!(input_value(&settings.body, "time_zone"), "America/New_York");
    let log = admin.get(&format!("{card}?tab=log"));
    let new_york = at.with_timezone(&chrono_tz::America::New_York);
    let (_, shown) = first_time(&log.body);
    assert_eq!(shown, new_york.format("%-d.%-m.%Y %H.%M").to_string());
}

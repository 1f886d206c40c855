//! The server's background jobs over real HTTP: both jobs run at start and show their last run
//! on the settings page; a failing job shows its error there.

mod common;

use std::time::{Duration, Instant};

use common::page::unescape;
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
    let server = TestServer::start_with(|config| {
        let blocker = config.db_path.parent().unwrap().join("backups");
        std::fs::write(blocker, "not a folder").unwrap();
    });
    let admin = server.client();
    admin.setup("Testi Oy", "fi", "admin", ADMIN_PASSWORD);
    let (sessions, backups) = settings_when(&admin, |row| !row.contains("Ei vielä ajettu"));
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

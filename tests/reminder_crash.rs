//! Exactly once under `kill -9`: the real `minicrm serve` delivers hundreds of reminders that
//! are due and e-mails them to a loopback SMTP server; it is killed (SIGKILL) while delivering
//! and again while e-mailing, and started again each time on the same file. In the end every
//! reminder is delivered in the app exactly once (one `reminder.delivered` event each) and
//! e-mailed at least once and at most twice (only an e-mail on its way at a kill may go twice).

mod common;

use std::collections::HashMap;
use std::path::Path;
use std::process::{Child, Stdio};
use std::time::{Duration, Instant};

use rusqlite::{params, Connection, OpenFlags};

use common::smtp::SmtpSink;
use common::*;

/// Reminders due at once when the binary starts: two delivery batches (of 500) and then the
/// e-mails.
const N: i64 = 520;

fn serve(db: &Path) -> Child {
    minicrm(db)
        .args(["serve", "--addr", "127.0.0.1:0", "--workers", "1"])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap()
}

fn count(db: &Path, sql: &str) -> i64 {
    let conn = Connection::open_with_flags(db, OpenFlags::SQLITE_OPEN_READ_ONLY).unwrap();
    conn.busy_timeout(Duration::from_secs(10)).unwrap();
    conn.query_row(sql, [], |r| r.get(0)).unwrap()
}

/// Polls until `done` says yes (a minute at most; the binary works at its own pace).
fn wait_until(what: &str, mut done: impl FnMut() -> bool) {
    let deadline = Instant::now() + Duration::from_secs(120);
    while !done() {
        assert!(Instant::now() < deadline, "timed out waiting for {what}");
        std::thread::sleep(Duration::from_millis(5));
    }
}

const DELIVERED_EVENTS: &str = "SELECT count(*) FROM events WHERE kind = 'reminder.delivered'";
const UNDELIVERED: &str = "SELECT count(*) FROM reminders WHERE delivered_at IS NULL";
const UNSENT: &str = "SELECT (SELECT count(*) FROM reminders WHERE delivered_at IS NULL) + \
     (SELECT count(*) FROM reminder_emails WHERE state <> 'sent')";

#[test]
fn a_killed_server_delivers_each_reminder_once_and_emails_it_at_most_twice() {
    let sink = SmtpSink::start();
    // The company, the admin (aino@example.fi) and the SMTP settings, by the in-process server.
    let (mut server, admin) = TestServer::with_admin();
    let port = sink.port().to_string();
    let resp = admin.post_form(
        "/settings",
        "/settings",
        &[
            ("company_name", "Testi Oy"),
            ("default_language", "fi"),
            ("smtp_host", "127.0.0.1"),
            ("smtp_port", &port),
            ("smtp_security", "none"),
            ("smtp_from", "crm@testi.fi"),
        ],
    );
    assert_eq!(resp.status, 303, "{}", resp.body);
    server.stop();
    let db = server.db.clone();

    // N open tasks, each with one reminder whose time has long come.
    {
        let mut conn = Connection::open(&db).unwrap();
        let tx = conn.transaction().unwrap();
        let me: i64 = tx
            .query_row("SELECT id FROM users WHERE username = 'admin'", [], |r| {
                r.get(0)
            })
            .unwrap();
        let due = (chrono::Utc::now() + chrono::Duration::days(30))
            .format("%Y-%m-%d")
            .to_string();
        for i in 0..N {
            tx.execute(
                "INSERT INTO tasks(description, assignee_id, due_date, created_at, updated_at)
                 VALUES (?1, ?2, ?3, '2026-01-01T00:00:00Z', '2026-01-01T00:00:00Z')",
                params![format!("Tehtävä {i}"), me, due],
            )
            .unwrap();
            tx.execute(
                "INSERT INTO reminders(task_id, user_id, kind, remind_at)
                 VALUES (last_insert_rowid(), ?1, 'due', '2026-01-01T06:00:00Z')",
                [me],
            )
            .unwrap();
        }
        tx.commit().unwrap();
    }

    // Killed while delivering: as soon as the first batch is in.
    let mut child = serve(&db);
    wait_until("the first delivered batch", || {
        count(&db, DELIVERED_EVENTS) > 0
    });
    child.kill().unwrap();
    child.wait().unwrap();

    // Killed while e-mailing: once some of the e-mails have gone.
    let mut child = serve(&db);
    wait_until("the first e-mails", || sink.messages().len() >= 20);
    child.kill().unwrap();
    child.wait().unwrap();

    // Started again, it finishes.
    let mut child = serve(&db);
    wait_until("every reminder delivered and e-mailed", || {
        count(&db, UNSENT) == 0
    });
    child.kill().unwrap();
    child.wait().unwrap();

    assert_eq!(count(&db, UNDELIVERED), 0);
    assert_eq!(count(&db, DELIVERED_EVENTS), N, "one event per reminder");
    assert_eq!(
        count(
            &db,
            "SELECT count(*) FROM (SELECT task_id FROM events WHERE kind = 'reminder.delivered'
             GROUP BY task_id HAVING count(*) = 1)"
        ),
        N,
        "each task's reminder delivered exactly once"
    );
    let mut per_task: HashMap<String, usize> = HashMap::new();
    for m in sink.messages() {
        assert_eq!(m.to, ["aino@example.fi"]);
        let text = m.text();
        let link = text
            .split("/tasks/")
            .nth(1)
            .and_then(|rest| rest.split_whitespace().next())
            .unwrap_or_else(|| panic!("no link in {text}"))
            .to_string();
        *per_task.entry(link).or_default() += 1;
    }
    assert_eq!(per_task.len() as i64, N, "every reminder e-mailed");
    let twice = per_task.values().filter(|n| **n == 2).count();
    assert!(per_task.values().all(|n| *n <= 2), "{per_task:?}");
    assert!(
        twice <= 2,
        "only an e-mail on its way at a kill goes twice: {twice}"
    );
}

//! E-mailing reminders: an outbox beside the in-app delivery. When the reminder job delivers a
//! reminder in the app and an SMTP server is set, the same transaction queues an e-mail for it
//! (`queue`, a `reminder_emails` row). The job then sends what is queued (`send_due`), one
//! reminder at a time, to the task's person in their language with a link to the task:
//!
//! 1. **claim** (one transaction): the oldest row whose `next_try` has come becomes `sending`
//!    with `attempts + 1`, `tried_at` and a `next_try` one lease ahead, so no other turn takes
//!    it while it is on its way;
//! 2. **send** through `mail` (every SMTP step times out after a few seconds);
//! 3. **record** (one transaction): `sent`, or the error with a `next_try` after a back-off
//!    that doubles from a minute up to an hour; after `MAX_ATTEMPTS` the row is `failed`.
//!
//! A crash between 2 and 3 leaves the row `sending`: the server takes such claims again when it
//! starts (`release_claims`), and a claim whose lease ran out is due anyway. So an e-mail is
//! sent at least once and, at worst, twice (never more: the claim is written before each send;
//! this is the price of not holding a transaction open over the network). The in-app delivery stays exactly once whatever happens here. A person without
//! an address, an inactive person or a task done meanwhile is `skipped` (with the reason), not
//! retried. One failing reminder does not hold up the others; a server that cannot be reached
//! ends the turn (the rest would fail alike) and the job comes back at its next turn. A turn
//! sends for at most `TURN_BUDGET`, so that the reminders due meanwhile are not held up long;
//! with more to send the job runs again at its thread's next turn.

use std::time::{Duration, Instant};

use chrono::{DateTime, NaiveDate, SecondsFormat, TimeDelta, Utc};
use rusqlite::{params, Connection, OptionalExtension};

use super::store;
use super::Task;
use crate::db;
use crate::db::Tx;
use crate::error::Result;
use crate::i18n::Lang;
use crate::mail::{self, Mail, SendError};
use crate::settings::{self, Settings};

/// Tries before a reminder's e-mail is given up (about a day with the back-off below).
pub(crate) const MAX_ATTEMPTS: i64 = 30;
/// How long a claimed e-mail is left to its sender before another turn takes it again.
const LEASE: TimeDelta = TimeDelta::minutes(10);
/// The longest one turn keeps sending; what is left goes at the next turn.
const TURN_BUDGET: Duration = Duration::from_secs(10);
/// Error texts are kept this short.
const ERROR_MAX: usize = 500;

fn stamp(t: DateTime<Utc>) -> String {
    t.to_rfc3339_opts(SecondsFormat::Secs, true)
}

/// The wait after the `attempts`-th failed try: 1, 2, 4 … minutes, at most an hour.
pub(crate) fn back_off(attempts: i64) -> TimeDelta {
    let minutes = 1i64 << attempts.clamp(1, 7).saturating_sub(1);
    TimeDelta::minutes(minutes.min(60))
}

/// Queues the e-mail of a reminder just delivered, in the delivering transaction.
pub(crate) fn queue(tx: &Tx, reminder: i64, now: &str) -> rusqlite::Result<()> {
    tx.prepare_cached(
        "INSERT OR IGNORE INTO reminder_emails(reminder_id, next_try) VALUES (?1, ?2)",
    )?
    .execute(params![reminder, now])?;
    Ok(())
}

// The outbox's reads, each served by one of its partial indexes (a test below checks).
const NEXT_DUE_SQL: &str = "SELECT e.reminder_id, e.attempts, r.kind, r.task_id, r.user_id
     FROM reminder_emails e JOIN reminders r ON r.id = e.reminder_id
     WHERE e.state IN ('pending', 'sending') AND e.next_try <= ?1
     ORDER BY e.next_try, e.reminder_id LIMIT 1";
const FAILING_SQL: &str = "SELECT error, tried_at, next_try FROM reminder_emails
     WHERE state IN ('pending', 'sending') AND error IS NOT NULL
     ORDER BY tried_at DESC, reminder_id DESC LIMIT 1";
const WAITING_SQL: &str =
    "SELECT count(*) FROM reminder_emails WHERE state IN ('pending', 'sending')";
const LAST_SENT_SQL: &str = "SELECT max(sent_at) FROM reminder_emails WHERE sent_at IS NOT NULL";
const DAY_COUNTS_SQL: &str = "SELECT state, count(*) FROM reminder_emails
     WHERE tried_at >= ?1 AND tried_at IS NOT NULL GROUP BY state";

/// What one turn did.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq, serde::Serialize)]
pub(crate) struct Run {
    pub sent: u64,
    pub failed: u64,
    pub skipped: u64,
    /// The turn's time ran out with e-mails perhaps still due.
    pub more: bool,
}

/// A claimed reminder: the e-mail to send, or why there is none.
enum Claim {
    Send {
        reminder: i64,
        attempts: i64,
        mail: Mail,
    },
    Skipped,
}

/// The person a reminder is for, as the e-mail needs them.
struct Person {
    name: String,
    email: String,
    active: bool,
    language: Option<Lang>,
}

fn person(tx: &Tx, user: i64) -> rusqlite::Result<Option<Person>> {
    tx.prepare_cached("SELECT name, email, active, language FROM users WHERE id = ?1")?
        .query_row([user], |r| {
            Ok(Person {
                name: r.get(0)?,
                email: r.get(1)?,
                active: r.get(2)?,
                language: r.get::<_, Option<String>>(3)?.and_then(|l| Lang::parse(&l)),
            })
        })
        .optional()
}

/// Sends the queued e-mails whose time has come at `now`; links point under `base`
/// (`http://host:port`). Nothing happens while no SMTP server is set: the queue waits.
pub(crate) fn send_due(conn: &mut Connection, now: DateTime<Utc>, base: &str) -> Result<Run> {
    let settings = settings::load(conn)?;
    let mut run = Run::default();
    if !settings.smtp.configured() {
        return Ok(run);
    }
    let started = Instant::now();
    loop {
        if started.elapsed() >= TURN_BUDGET {
            run.more = true;
            break;
        }
        let claim = db::write(conn, |tx| claim(tx, now, &settings, base))?;
        let (reminder, attempts, mail) = match claim {
            None => break,
            Some(Claim::Skipped) => {
                run.skipped += 1;
                continue;
            }
            Some(Claim::Send {
                reminder,
                attempts,
                mail,
            }) => (reminder, attempts, mail),
        };
        match mail::send(&settings.smtp, &settings.company_name, &mail) {
            Ok(()) => {
                db::write(conn, |tx| record_sent(tx, reminder, now))?;
                run.sent += 1;
            }
            Err(e) => {
                log::warn!("the e-mail of reminder {reminder} was not sent: {e}");
                let give_up = attempts >= MAX_ATTEMPTS || matches!(e, SendError::BadRecipient(_));
                db::write(conn, |tx| {
                    record_failure(tx, reminder, attempts, &e, give_up, now)
                })?;
                run.failed += 1;
                if e.is_connection() {
                    break;
                }
            }
        }
    }
    Ok(run)
}

/// Takes the next e-mail due: marks the try and leases it, and composes it; or records why it
/// is skipped.
fn claim(tx: &Tx, now: DateTime<Utc>, settings: &Settings, base: &str) -> Result<Option<Claim>> {
    let at = stamp(now);
    let next: Option<(i64, i64, String, i64, i64)> = tx
        .prepare_cached(NEXT_DUE_SQL)?
        .query_row([&at], |r| {
            Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?, r.get(4)?))
        })
        .optional()?;
    let Some((reminder, attempts, kind, task_id, user)) = next else {
        return Ok(None);
    };
    let attempts = attempts + 1;
    tx.prepare_cached(
        "UPDATE reminder_emails SET state = 'sending', attempts = ?2, tried_at = ?3, next_try = ?4
         WHERE reminder_id = ?1",
    )?
    .execute(params![reminder, attempts, at, stamp(now + LEASE)])?;
    let task = store::by_id(tx, task_id)?;
    let person = person(tx, user)?;
    let skip = match (&task, &person) {
        (None, _) => Some("the task no longer exists"),
        (Some(t), _) if t.is_done() => Some("the task is done"),
        (_, None) => Some("the person no longer exists"),
        (_, Some(p)) if !p.active => Some("the person's account is not active"),
        (_, Some(p)) if p.email.trim().is_empty() => Some("the person has no e-mail address"),
        _ => None,
    };
    if let Some(reason) = skip {
        tx.prepare_cached(
            "UPDATE reminder_emails SET state = 'skipped', error = ?2 WHERE reminder_id = ?1",
        )?
        .execute(params![reminder, reason])?;
        return Ok(Some(Claim::Skipped));
    }
    let (Some(task), Some(person)) = (task, person) else {
        return Ok(None);
    };
    let lang = person.language.unwrap_or(settings.default_language);
    let mail = compose(&task, &kind, &person, lang, settings, base);
    Ok(Some(Claim::Send {
        reminder,
        attempts,
        mail,
    }))
}

/// The reminder e-mail: what is due when, for whom, and the link to the task.
fn compose(
    task: &Task,
    kind: &str,
    person: &Person,
    lang: Lang,
    settings: &Settings,
    base: &str,
) -> Mail {
    let first = task.description.lines().next().unwrap_or("").trim();
    let title: String = if first.chars().count() > 80 {
        format!("{}…", first.chars().take(79).collect::<String>())
    } else {
        first.to_string()
    };
    let date = NaiveDate::parse_from_str(&task.due_date, "%Y-%m-%d")
        .map(|d| lang.date(d))
        .unwrap_or_else(|_| task.due_date.clone());
    let when = match &task.due_time {
        Some(time) => format!("{date} {time}"),
        None => date,
    };
    let lead = if kind == "before" {
        lang.tf("email.reminder_before", &[("when", &when)])
    } else {
        lang.tf("email.reminder_due", &[("when", &when)])
    };
    let mut body = format!(
        "{}\n\n{lead}\n\n{}\n",
        lang.tf("email.greeting", &[("name", &person.name)]),
        task.description.trim_end()
    );
    let whom: Vec<&str> = [task.customer_name.as_deref(), task.contact_name.as_deref()]
        .into_iter()
        .flatten()
        .collect();
    if !whom.is_empty() {
        body.push_str(&format!(
            "{}: {}\n",
            lang.t("tasks.customer"),
            whom.join(", ")
        ));
    }
    body.push_str(&format!(
        "\n{}\n{}/tasks/{}\n\n-- \n{}\n",
        lang.t("email.open_task"),
        base.trim_end_matches('/'),
        task.id,
        lang.tf("email.footer", &[("company", &settings.company_name)])
    ));
    Mail {
        to: person.email.trim().to_string(),
        subject: lang.tf("email.reminder_subject", &[("task", &title)]),
        body,
    }
}

fn record_sent(tx: &Tx, reminder: i64, now: DateTime<Utc>) -> Result<()> {
    tx.prepare_cached(
        "UPDATE reminder_emails SET state = 'sent', sent_at = ?2, error = NULL WHERE reminder_id = ?1",
    )?
    .execute(params![reminder, stamp(now)])?;
    Ok(())
}

fn record_failure(
    tx: &Tx,
    reminder: i64,
    attempts: i64,
    error: &SendError,
    give_up: bool,
    now: DateTime<Utc>,
) -> Result<()> {
    let text: String = error.to_string().chars().take(ERROR_MAX).collect();
    tx.prepare_cached(
        "UPDATE reminder_emails SET state = ?2, error = ?3, next_try = ?4 WHERE reminder_id = ?1",
    )?
    .execute(params![
        reminder,
        if give_up { "failed" } else { "pending" },
        text,
        stamp(now + back_off(attempts)),
    ])?;
    Ok(())
}

/// Makes the claims of a server that stopped while sending due at once; called when the
/// server starts, before its first turn, when no claim can be on its way.
pub(crate) fn release_claims(conn: &mut Connection, now: DateTime<Utc>) -> Result<usize> {
    // The `IN` repeats the partial index's condition, so that the index finds the rows.
    db::write(conn, |tx| {
        Ok(tx
            .prepare_cached(
                "UPDATE reminder_emails SET state = 'pending', next_try = ?1
                 WHERE state IN ('pending', 'sending') AND state = 'sending'",
            )?
            .execute([stamp(now)])?)
    })
}

/// Makes every waiting e-mail due at once (after the SMTP settings were fixed and a test
/// e-mail went through, nobody should wait out the back-off).
pub(crate) fn retry_now(conn: &mut Connection, now: DateTime<Utc>) -> Result<usize> {
    db::write(conn, |tx| {
        Ok(tx
            .prepare_cached(
                "UPDATE reminder_emails SET next_try = ?1
                 WHERE state IN ('pending', 'sending') AND state = 'pending' AND next_try > ?1",
            )?
            .execute([stamp(now)])?)
    })
}

/// The newest failure of an e-mail that still waits for another try.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Failure {
    pub error: String,
    pub tried_at: String,
    pub next_try: String,
}

/// The e-mail delivery's health, for the settings page.
#[derive(Debug, Clone, Default)]
pub(crate) struct Status {
    /// Queued and not sent yet (including those waiting after a failure).
    pub waiting: i64,
    /// The newest failure of one still waiting: e-mail delivery is failing.
    pub failing: Option<Failure>,
    pub last_sent: Option<String>,
    /// In the 24 hours before now: sent, skipped, given up.
    pub sent_day: i64,
    pub skipped_day: i64,
    pub failed_day: i64,
}

/// Whether e-mail delivery is failing: the newest failure of an e-mail that still waits.
pub(crate) fn failing(conn: &Connection) -> rusqlite::Result<Option<Failure>> {
    conn.prepare_cached(FAILING_SQL)?
        .query_row([], |r| {
            Ok(Failure {
                error: r.get(0)?,
                tried_at: r.get::<_, Option<String>>(1)?.unwrap_or_default(),
                next_try: r.get(2)?,
            })
        })
        .optional()
}

pub(crate) fn status(conn: &Connection, now: DateTime<Utc>) -> rusqlite::Result<Status> {
    let waiting = conn
        .prepare_cached(WAITING_SQL)?
        .query_row([], |r| r.get(0))?;
    let last_sent = conn
        .prepare_cached(LAST_SENT_SQL)?
        .query_row([], |r| r.get(0))?;
    let mut status = Status {
        waiting,
        failing: failing(conn)?,
        last_sent,
        ..Status::default()
    };
    let since = stamp(now - TimeDelta::days(1));
    let mut stmt = conn.prepare_cached(DAY_COUNTS_SQL)?;
    let counts = stmt.query_map([since], |r| Ok((r.get::<_, String>(0)?, r.get(1)?)))?;
    for row in counts {
        let (state, n) = row?;
        match state.as_str() {
            "sent" => status.sent_day = n,
            "skipped" => status.skipped_day = n,
            "failed" => status.failed_day = n,
            _ => {}
        }
    }
    Ok(status)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_outbox_is_read_through_its_indexes_never_whole() {
        let dir = tempfile::tempdir().unwrap();
        let conn = crate::db::open(&dir.path().join("e.db")).unwrap();
        for sql in [
            NEXT_DUE_SQL,
            FAILING_SQL,
            WAITING_SQL,
            LAST_SENT_SQL,
            DAY_COUNTS_SQL,
        ] {
            let n = sql.matches('?').count();
            let args = vec!["2026-01-01T00:00:00Z"; n];
            let plan: Vec<String> = conn
                .prepare(&format!("EXPLAIN QUERY PLAN {sql}"))
                .unwrap()
                .query_map(rusqlite::params_from_iter(args), |r| r.get(3))
                .unwrap()
                .collect::<rusqlite::Result<_>>()
                .unwrap();
            let whole = plan
                .iter()
                .any(|l| l.starts_with("SCAN") && !l.contains("USING") && !l.contains("INDEX"));
            assert!(!whole, "{sql}: {plan:?}");
        }
    }

    #[test]
    fn the_back_off_doubles_from_a_minute_to_an_hour() {
        let minutes: Vec<i64> = (1..=9).map(|n| back_off(n).num_minutes()).collect();
        assert_eq!(minutes, [1, 2, 4, 8, 16, 32, 60, 60, 60]);
        assert_eq!(back_off(0).num_minutes(), 1);
        assert_eq!(back_off(1000).num_minutes(), 60);
    }
}

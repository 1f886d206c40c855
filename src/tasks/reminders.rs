//! Delivering reminders, once each: the reminder job (`deliver_due`, registered in
//! `server/run.rs`) marks every reminder whose time has come delivered and logs
//! `reminder.delivered`, in one transaction, so a reminder is delivered exactly once even when
//! the server stops half-way. When an SMTP server is set, the same transaction queues the
//! reminder's e-mail, which `email` sends after (at least once, at worst twice). The app shows delivered reminders until they are dismissed: on
//! the front page, with a count in the header (`badge_count`) and in `GET /api/v1/reminders`.

use chrono::{DateTime, SecondsFormat, Utc};
use rusqlite::{params, Connection, Row};
use serde::Serialize;

use super::{email, store};
use crate::db;
use crate::error::{Error, Result};
use crate::log::{self, EventKind, NewEvent, Sentence};

/// A reminder with what it reminds of, as the front page and the API show it.
#[derive(Debug, Clone, Serialize)]
pub struct DueReminder {
    pub id: i64,
    pub task_id: i64,
    pub user_id: i64,
    pub kind: String,
    pub remind_at: String,
    pub delivered_at: Option<String>,
    pub dismissed_at: Option<String>,
    pub description: String,
    pub due_date: String,
    pub due_time: Option<String>,
    pub customer_id: Option<i64>,
    pub customer_name: Option<String>,
    pub contact_id: Option<i64>,
    pub contact_name: Option<String>,
}

/// Which of a user's reminders whose time has come.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum State {
    /// Not delivered yet (the job has not run since).
    Pending,
    Delivered,
    All,
}

const DUE_COLUMNS: &str =
    "r.id, r.task_id, r.user_id, r.kind, r.remind_at, r.delivered_at, r.dismissed_at, \
    t.description, t.due_date, t.due_time, t.customer_id, \
    (SELECT c.name FROM customers c WHERE c.id = t.customer_id), t.contact_id, \
    (SELECT trim(p.first_name || ' ' || p.last_name) FROM contacts p WHERE p.id = t.contact_id)";

fn due_from_row(r: &Row) -> rusqlite::Result<DueReminder> {
    Ok(DueReminder {
        id: r.get(0)?,
        task_id: r.get(1)?,
        user_id: r.get(2)?,
        kind: r.get(3)?,
        remind_at: r.get(4)?,
        delivered_at: r.get(5)?,
        dismissed_at: r.get(6)?,
        description: r.get(7)?,
        due_date: r.get(8)?,
        due_time: r.get(9)?,
        customer_id: r.get(10)?,
        customer_name: r.get(11)?,
        contact_id: r.get(12)?,
        contact_name: r.get(13)?,
    })
}

/// Where a page of a user's reminders begins.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Start {
    /// This many reminders in.
    Offset(i64),
    /// Past this reminder (its `remind_at` and id): the `next_after` of the page before.
    After(String, i64),
}

/// The SQL of a user's reminders whose time has come and that are not dismissed, newest first:
/// `state` is `pending`, `delivered` or `all`; `after`, whether the page begins after a
/// position (`?5` the time, `?6` the id) rather than an offset.
///
/// The page's reminders are found in the indexes alone (an offset walks index entries, not
/// rows and their tasks), then read with their tasks.
pub fn of_user_sql(state: &str, after: bool) -> String {
    // A delivered reminder's time has come by the job's clock, whatever the caller's says.
    let (delivered, pending) = if after {
        // One upper bound on `remind_at` for the index; the ties at it go by id.
        (
            "r.delivered_at IS NOT NULL AND ?2 IS NOT NULL AND r.remind_at <= ?5 \
             AND (r.remind_at < ?5 OR r.id < ?6)",
            "r.delivered_at IS NULL AND r.remind_at <= min(?2, ?5) \
             AND (r.remind_at < ?5 OR r.id < ?6)",
        )
    } else {
        (
            "r.delivered_at IS NOT NULL AND ?2 IS NOT NULL",
            "r.delivered_at IS NULL AND r.remind_at <= ?2",
        )
    };
    let ids = |state: &str| {
        format!(
            "SELECT r.id AS id, r.remind_at AS at FROM reminders r
             WHERE r.user_id = ?1 AND r.dismissed_at IS NULL AND {state}"
        )
    };
    let page = match state {
        "pending" => ids(pending),
        "delivered" => ids(delivered),
        // Each from its own index, merged newest first: one index of both would walk back
        // through every reminder still to come.
        _ => format!("{} UNION ALL {}", ids(delivered), ids(pending)),
    };
    format!(
        "SELECT {DUE_COLUMNS} FROM ({page} ORDER BY 2 DESC, 1 DESC LIMIT ?3 OFFSET ?4) page
         JOIN reminders r ON r.id = page.id JOIN tasks t ON t.id = r.task_id
         ORDER BY page.at DESC, page.id DESC"
    )
}

/// A user's reminders whose time has come and that are not dismissed, newest first.
pub(crate) fn of_user(
    conn: &Connection,
    user: i64,
    state: State,
    now: DateTime<Utc>,
    limit: i64,
    start: &Start,
) -> rusqlite::Result<Vec<DueReminder>> {
    let state = match state {
        State::Pending => "pending",
        State::Delivered => "delivered",
        State::All => "all",
    };
    let now = now.to_rfc3339_opts(SecondsFormat::Secs, true);
    match start {
        Start::Offset(offset) => conn
            .prepare_cached(&of_user_sql(state, false))?
            .query_map(params![user, now, limit, offset], due_from_row)?
            .collect(),
        Start::After(at, id) => conn
            .prepare_cached(&of_user_sql(state, true))?
            .query_map(params![user, now, limit, 0, at, id], due_from_row)?
            .collect(),
    }
}

/// The badge counts this far; "99+" is as useful as the exact number.
const BADGE_BOUND: i64 = 100;

/// Delivered reminders the user has not dismissed, counted up to a bound.
pub(crate) fn badge_count(conn: &Connection, user: i64) -> rusqlite::Result<i64> {
    conn.prepare_cached(
        "SELECT count(*) FROM (SELECT 1 FROM reminders r WHERE r.user_id = ?1
           AND r.dismissed_at IS NULL AND r.delivered_at IS NOT NULL LIMIT ?2)",
    )?
    .query_row(params![user, BADGE_BOUND], |r| r.get(0))
}

/// How many reminders one transaction delivers; the job goes on until none are left.
const BATCH: i64 = 500;

/// Delivers every reminder whose time has come by `now`, each once: marked delivered and logged
/// in one transaction. Returns how many were delivered.
pub(crate) fn deliver_due(conn: &mut Connection, now: DateTime<Utc>) -> Result<usize> {
    let stamp = now.to_rfc3339_opts(SecondsFormat::Secs, true);
    let mut total = 0;
    loop {
        let delivered = db::write(conn, |tx| -> Result<usize> {
            let due: Vec<(i64, i64, i64, String)> = tx
                .prepare_cached(
                    "SELECT r.id, r.task_id, r.user_id, r.kind FROM reminders r
                     WHERE r.delivered_at IS NULL AND r.remind_at <= ?1 ORDER BY r.remind_at, r.id LIMIT ?2",
                )?
                .query_map(params![stamp, BATCH], |r| {
                    Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?))
                })?
                .collect::<rusqlite::Result<_>>()?;
            // E-mail goes out for reminders delivered while a server is set.
            let by_email = crate::settings::load(tx)?.smtp.configured();
            let mut n = 0;
            for (id, task_id, user, kind) in due {
                let marked = tx
                    .prepare_cached(
                        "UPDATE reminders SET delivered_at = ?2 WHERE id = ?1 AND delivered_at IS NULL",
                    )?
                    .execute(params![id, stamp])?;
                let Some(task) = store::by_id(tx, task_id)? else {
                    continue;
                };
                if marked == 0 {
                    continue;
                }
                let name: String = tx
                    .query_row("SELECT name FROM users WHERE id = ?1", [user], |r| r.get(0))
                    .unwrap_or_default();
                let key = if kind == "before" {
                    "summary.reminder_before"
                } else {
                    "summary.reminder_due"
                };
                let first = task.description.lines().next().unwrap_or("");
                let summary = Sentence::new(key)
                    .text("name", &name)
                    .text("task", format!("{} {first}", task.due_date));
                let mut e = NewEvent::said(EventKind::ReminderDelivered, summary);
                e.task_id = Some(task.id);
                e.customer_id = task.customer_id;
                e.contact_id = task.contact_id;
                e.search_text = task.description.clone();
                log::append(tx, &e)?;
                if by_email {
                    email::queue(tx, id, &stamp)?;
                }
                n += 1;
            }
            Ok(n)
        })?;
        total += delivered;
        if (delivered as i64) < BATCH {
            return Ok(total);
        }
    }
}

/// What one turn of the reminder job did.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq, Serialize)]
pub(crate) struct Turn {
    pub delivered: usize,
    pub emailed: u64,
    pub email_failed: u64,
    pub email_skipped: u64,
    /// E-mails may be left that the turn had no time for.
    pub more: bool,
}

impl Turn {
    /// What the jobs record: the counts the settings page adds up, and whether to
    /// come back at once.
    pub(crate) fn done(&self) -> crate::jobs::Done {
        crate::jobs::Done {
            counts: vec![
                ("jobs.delivered", self.delivered as u64),
                ("jobs.emailed", self.emailed),
                ("jobs.email_failed", self.email_failed),
                ("jobs.email_skipped", self.email_skipped),
            ],
            more: self.more,
        }
    }
}

/// One turn of the reminder job at `now`: delivers what is due in the app, then sends the
/// e-mails whose time has come, with links under `base`.
pub(crate) fn run_turn(conn: &mut Connection, now: DateTime<Utc>, base: &str) -> Result<Turn> {
    let delivered = deliver_due(conn, now)?;
    let mail = email::send_due(conn, now, base)?;
    Ok(Turn {
        delivered,
        emailed: mail.sent,
        email_failed: mail.failed,
        email_skipped: mail.skipped,
        more: mail.more,
    })
}

/// Dismisses one of the user's reminders (again is fine); another user's is not found.
pub(crate) fn dismiss(conn: &mut Connection, id: i64, user: i64, now: DateTime<Utc>) -> Result<()> {
    let stamp = now.to_rfc3339_opts(SecondsFormat::Secs, true);
    db::write(conn, |tx| -> Result<()> {
        let found = tx
            .prepare_cached("SELECT count(*) FROM reminders WHERE id = ?1 AND user_id = ?2")?
            .query_row(params![id, user], |r| r.get::<_, i64>(0))?;
        if found == 0 {
            return Err(Error::NotFound);
        }
        tx.prepare_cached(
            "UPDATE reminders SET dismissed_at = ?3 WHERE id = ?1 AND user_id = ?2 AND dismissed_at IS NULL",
        )?
        .execute(params![id, user, stamp])?;
        Ok(())
    })
}

//! SQL for tasks, their groups and their reminders' schedule, each change with its log event.

use chrono::{DateTime, NaiveDate, NaiveTime, SecondsFormat, Utc};
use rusqlite::{params, Connection, OptionalExtension, Row};

use super::list::Tasks;
use super::schedule::{self, Rules};
use super::{Reminder, Task, TaskInput};
use crate::db::Tx;
use crate::error::{text_error, valid, Error, FieldError, Result};
use crate::log::{self, EventKind, NewEvent, Sentence};
use crate::register::list;
use crate::users::UserId;

pub(super) const COLUMNS: &str = "tk.id, tk.description, tk.assignee_id, \
    (SELECT g.path FROM task_groups g WHERE g.id = tk.group_id), \
    tk.due_date, tk.due_time, tk.customer_id, tk.contact_id, tk.done_at, tk.remind_days_before, \
    tk.created_at, tk.updated_at, \
    (SELECT u.name FROM users u WHERE u.id = tk.assignee_id), \
    (SELECT c.name FROM customers c WHERE c.id = tk.customer_id), \
    (SELECT trim(p.first_name || ' ' || p.last_name) FROM contacts p WHERE p.id = tk.contact_id), \
    (SELECT group_concat(r.id || char(30) || r.kind || char(30) || r.remind_at || char(30) || \
       coalesce(r.delivered_at, '') || char(30) || coalesce(r.dismissed_at, ''), char(31)) \
     FROM reminders r WHERE r.task_id = tk.id)";

pub(super) fn from_row(r: &Row) -> rusqlite::Result<Task> {
    let reminders: Option<String> = r.get(15)?;
    let opt = |s: &str| (!s.is_empty()).then(|| s.to_string());
    let mut reminders: Vec<Reminder> = reminders
        .unwrap_or_default()
        .split('\u{1f}')
        .filter_map(|one| {
            let parts: Vec<&str> = one.split('\u{1e}').collect();
            let [id, kind, at, delivered, dismissed] = parts[..] else {
                return None;
            };
            Some(Reminder {
                id: id.parse().ok()?,
                kind: kind.to_string(),
                remind_at: at.to_string(),
                delivered_at: opt(delivered),
                dismissed_at: opt(dismissed),
            })
        })
        .collect();
    reminders.sort_by(|a, b| a.remind_at.cmp(&b.remind_at).then(a.id.cmp(&b.id)));
    let done_at: Option<String> = r.get(8)?;
    Ok(Task {
        id: r.get(0)?,
        description: r.get(1)?,
        assignee_id: r.get(2)?,
        group: r.get(3)?,
        due_date: r.get(4)?,
        due_time: r.get(5)?,
        customer_id: r.get(6)?,
        contact_id: r.get(7)?,
        status: if done_at.is_some() { "done" } else { "open" },
        done_at,
        remind_days_before: r.get(9)?,
        created_at: r.get(10)?,
        updated_at: r.get(11)?,
        assignee_name: r.get::<_, Option<String>>(12)?.unwrap_or_default(),
        customer_name: r.get(13)?,
        contact_name: r.get(14)?,
        reminders,
    })
}

pub(crate) fn by_id(conn: &Connection, id: i64) -> rusqlite::Result<Option<Task>> {
    list::by_id::<Tasks>(conn, id)
}

fn rfc3339(t: DateTime<Utc>) -> String {
    t.to_rfc3339_opts(SecondsFormat::Secs, true)
}

// ---- groups ----

/// A group as settings lists it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Group {
    pub id: i64,
    pub path: String,
}

/// Every group, by path (parents before their children).
pub(crate) fn groups(conn: &Connection) -> rusqlite::Result<Vec<Group>> {
    conn.prepare_cached("SELECT id, path FROM task_groups ORDER BY path COLLATE NOCASE LIMIT 1000")?
        .query_map([], |r| {
            Ok(Group {
                id: r.get(0)?,
                path: r.get(1)?,
            })
        })?
        .collect()
}

/// A path cleaned up: parts trimmed, empty parts dropped (`" Myynti / Puhelut/"`).
pub(crate) fn normalise_path(path: &str) -> String {
    path.split('/')
        .map(str::trim)
        .filter(|p| !p.is_empty())
        .collect::<Vec<_>>()
        .join("/")
}

fn group_id(conn: &Connection, path: &str) -> rusqlite::Result<Option<i64>> {
    conn.prepare_cached("SELECT id FROM task_groups WHERE path = ?1")?
        .query_row([path], |r| r.get(0))
        .optional()
}

/// Adds a group and its missing parents (`Myynti/Puhelut` adds `Myynti` too).
pub(crate) fn add_group(tx: &Tx, path: &str) -> Result<()> {
    let path = normalise_path(path);
    if path.is_empty() {
        return Err(Error::field("path", "tasks.group_required"));
    }
    if let Some(e) = text_error("path", &path, 200, false) {
        return Err(Error::Validation {
            key: e.key,
            fields: vec![e],
        });
    }
    let parts: Vec<&str> = path.split('/').collect();
    for n in 1..=parts.len() {
        tx.prepare_cached(
            "INSERT INTO task_groups(path) VALUES (?1) ON CONFLICT(path) DO NOTHING",
        )?
        .execute([parts[..n].join("/")])?;
    }
    Ok(())
}

/// Deletes a group and its subgroups; their tasks keep no group.
pub(crate) fn delete_group(tx: &Tx, id: i64) -> Result<()> {
    let path: String = tx
        .query_row("SELECT path FROM task_groups WHERE id = ?1", [id], |r| {
            r.get(0)
        })
        .optional()?
        .ok_or(Error::NotFound)?;
    tx.execute(
        "DELETE FROM task_groups WHERE path = ?1 OR substr(path, 1, length(?1) + 1) = ?1 || '/'",
        [path],
    )?;
    Ok(())
}

// ---- validation ----

/// A task's fields after validation.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Fields {
    pub description: String,
    pub assignee_id: i64,
    pub group_id: Option<i64>,
    pub due_date: NaiveDate,
    pub due_time: Option<NaiveTime>,
    pub customer_id: Option<i64>,
    pub contact_id: Option<i64>,
    pub remind_days_before: Option<u32>,
}

pub(crate) const DESCRIPTION_MAX: usize = 2000;

/// Checks the input against the stored task (`base`, on an edit) and the rows it names.
pub(crate) fn validate(
    conn: &Connection,
    input: &TaskInput,
    base: Option<&Task>,
) -> Result<Fields> {
    let mut errors = Vec::new();
    let mut err = |field: &'static str, key: &'static str| errors.push(FieldError { field, key });
    let description = match &input.description {
        Some(d) => d.trim().to_string(),
        None => base.map(|b| b.description.clone()).unwrap_or_default(),
    };
    if description.is_empty() {
        err("description", "tasks.description_required");
    } else if let Some(e) = text_error("description", &description, DESCRIPTION_MAX, true) {
        err(e.field, e.key);
    }
    let assignee_id = input.assignee_id.or(base.map(|b| b.assignee_id));
    match assignee_id {
        None => err("assignee_id", "tasks.assignee_required"),
        Some(id) => {
            let user: Option<(bool, String)> = conn
                .prepare_cached("SELECT active, role FROM users WHERE id = ?1")?
                .query_row([id], |r| Ok((r.get(0)?, r.get(1)?)))
                .optional()?;
            // An edit may keep a user who has since left or changed role; a new choice must be
            // active and able to write, or they could not mark the task done.
            let kept = base.is_some_and(|b| b.assignee_id == id);
            match user {
                None => err("assignee_id", "tasks.assignee_missing"),
                Some((false, _)) if !kept => err("assignee_id", "tasks.assignee_missing"),
                Some((_, role)) if role == "readonly" && !kept => {
                    err("assignee_id", "tasks.assignee_readonly")
                }
                _ => {}
            }
        }
    }
    let group = match &input.group {
        Some(g) => g.as_deref().map(normalise_path).filter(|p| !p.is_empty()),
        None => base.and_then(|b| b.group.clone()),
    };
    let group_id = match &group {
        Some(path) => {
            let id = group_id(conn, path)?;
            if id.is_none() {
                err("group", "tasks.group_missing");
            }
            id
        }
        None => None,
    };
    let date_text = match &input.due_date {
        Some(d) => d.trim().to_string(),
        None => base.map(|b| b.due_date.clone()).unwrap_or_default(),
    };
    let due_date = NaiveDate::parse_from_str(&date_text, "%Y-%m-%d").ok();
    if date_text.is_empty() {
        err("due_date", "tasks.date_required");
    } else if due_date.is_none() {
        err("due_date", "tasks.date_invalid");
    }
    let time_text = match &input.due_time {
        Some(t) => t.as_deref().unwrap_or("").trim().to_string(),
        None => base.and_then(|b| b.due_time.clone()).unwrap_or_default(),
    };
    let due_time = crate::settings::parse_time(&time_text);
    if !time_text.is_empty() && due_time.is_none() {
        err("due_time", "tasks.time_invalid");
    }
    let customer_id = match input.customer_id {
        Some(c) => c,
        None => base.and_then(|b| b.customer_id),
    };
    if let Some(c) = customer_id {
        if crate::customers::store::by_id(conn, crate::customers::CustomerId(c))?.is_none() {
            err("customer_id", "contacts.customer_missing");
        }
    }
    let contact_id = match input.contact_id {
        Some(c) => c,
        None => base.and_then(|b| b.contact_id),
    };
    if let Some(p) = contact_id {
        match crate::contacts::store::by_id(conn, crate::contacts::ContactId(p))? {
            None => err("contact_id", "tasks.contact_missing"),
            Some(contact) => {
                if customer_id
                    .is_some_and(|c| !contact.customers.iter().any(|l| l.customer_id == c))
                {
                    err("contact_id", "tasks.contact_not_of_customer");
                }
            }
        }
    }
    let days = match input.remind_days_before {
        Some(d) => d,
        None => match base {
            Some(b) => b.remind_days_before,
            None => Some(i64::from(crate::settings::load(conn)?.remind_days_before)),
        },
    };
    let remind_days_before = match days {
        Some(d) if !(0..=365).contains(&d) => {
            err("remind_days_before", "tasks.days_invalid");
            None
        }
        Some(d) => Some(d as u32),
        None => None,
    };
    let fields = Fields {
        description,
        assignee_id: assignee_id.unwrap_or_default(),
        group_id,
        due_date: due_date.unwrap_or_default(),
        due_time,
        customer_id,
        contact_id,
        remind_days_before,
    };
    valid(fields, errors)
}

// ---- writes ----

fn event(kind: EventKind, summary: Sentence, task: &Task, by: Option<UserId>) -> NewEvent {
    let mut e = NewEvent::said(kind, summary);
    e.task_id = Some(task.id);
    e.customer_id = task.customer_id;
    e.contact_id = task.contact_id;
    e.user_id = by.map(|u| u.0);
    e.search_text = [
        Some(task.description.as_str()),
        task.customer_name.as_deref(),
        task.contact_name.as_deref(),
    ]
    .into_iter()
    .flatten()
    .collect::<Vec<_>>()
    .join(" ");
    e
}

/// A task's one-line name in the log: its date and description.
fn title(task: &Task) -> String {
    let first = task.description.lines().next().unwrap_or("");
    format!("{} {first}", task.due_date)
}

fn log_task(tx: &Tx, kind: EventKind, key: &str, task: &Task, by: Option<UserId>) -> Result<()> {
    let summary = Sentence::new(key).text("task", title(task));
    log::append(tx, &event(kind, summary, task, by))?;
    Ok(())
}

/// The company's scheduling rules, as settings hold them now.
pub(crate) fn rules(conn: &Connection) -> rusqlite::Result<Rules> {
    let s = crate::settings::load(conn)?;
    Ok(Rules {
        tz: s.time_zone,
        workday_start: s.workday_start,
    })
}

/// Makes the task's undelivered reminders what its date, time, lead and state call for: a
/// done task has none; a reminder already delivered for the same moment is not made again.
pub(crate) fn reschedule(tx: &Tx, id: i64, now: DateTime<Utc>) -> Result<()> {
    tx.prepare_cached("DELETE FROM reminders WHERE task_id = ?1 AND delivered_at IS NULL")?
        .execute([id])?;
    let task = by_id(tx, id)?.ok_or(Error::NotFound)?;
    if task.is_done() {
        return Ok(());
    }
    let (Ok(date), time) = (
        NaiveDate::parse_from_str(&task.due_date, "%Y-%m-%d"),
        task.due_time
            .as_deref()
            .and_then(crate::settings::parse_time),
    ) else {
        return Ok(());
    };
    let days = task.remind_days_before.map(|d| d.max(0) as u32);
    for (kind, at) in schedule::reminders(date, time, days, rules(tx)?, now) {
        let at = rfc3339(at);
        let delivered = task
            .reminders
            .iter()
            .any(|r| r.kind == kind.as_str() && r.remind_at == at && r.delivered_at.is_some());
        if !delivered {
            tx.prepare_cached(
                "INSERT INTO reminders (task_id, user_id, kind, remind_at) VALUES (?1, ?2, ?3, ?4)",
            )?
            .execute(params![id, task.assignee_id, kind.as_str(), at])?;
        }
    }
    Ok(())
}

fn time_text(t: Option<NaiveTime>) -> Option<String> {
    t.map(|t| t.format("%H:%M").to_string())
}

/// Creates a task, schedules its reminders and logs it.
pub(crate) fn create(
    tx: &Tx,
    input: &TaskInput,
    by: Option<UserId>,
    now: DateTime<Utc>,
) -> Result<i64> {
    let f = validate(tx, input, None)?;
    let stamp = rfc3339(now);
    tx.prepare_cached(
        "INSERT INTO tasks (description, assignee_id, group_id, due_date, due_time, customer_id, contact_id,
                            remind_days_before, created_by, created_at, updated_at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?10)",
    )?
    .execute(params![
        f.description,
        f.assignee_id,
        f.group_id,
        f.due_date.format("%Y-%m-%d").to_string(),
        time_text(f.due_time),
        f.customer_id,
        f.contact_id,
        f.remind_days_before,
        by.map(|u| u.0),
        stamp
    ])?;
    let id = tx.last_insert_rowid();
    if input.status.as_deref() == Some("done") {
        tx.execute(
            "UPDATE tasks SET done = 1, done_at = ?2 WHERE id = ?1",
            params![id, stamp],
        )?;
    }
    reschedule(tx, id, now)?;
    let task = by_id(tx, id)?.ok_or(Error::NotFound)?;
    log_task(
        tx,
        EventKind::TaskCreated,
        "summary.task_created",
        &task,
        by,
    )?;
    Ok(id)
}

/// Changes a task (only the given fields), reschedules its reminders and logs what changed;
/// a `status` in the input marks it done or reopens it.
pub(crate) fn update(
    tx: &Tx,
    id: i64,
    input: &TaskInput,
    by: Option<UserId>,
    now: DateTime<Utc>,
) -> Result<()> {
    let before = by_id(tx, id)?.ok_or(Error::NotFound)?;
    let f = validate(tx, input, Some(&before))?;
    let status = match input.status.as_deref() {
        None => None,
        Some("open") => Some(false),
        Some("done") => Some(true),
        Some(_) => return Err(Error::field("status", "tasks.status_invalid")),
    };
    tx.prepare_cached(
        "UPDATE tasks SET description = ?2, assignee_id = ?3, group_id = ?4, due_date = ?5, due_time = ?6,
                customer_id = ?7, contact_id = ?8, remind_days_before = ?9, updated_at = ?10 WHERE id = ?1",
    )?
    .execute(params![
        id,
        f.description,
        f.assignee_id,
        f.group_id,
        f.due_date.format("%Y-%m-%d").to_string(),
        time_text(f.due_time),
        f.customer_id,
        f.contact_id,
        f.remind_days_before,
        rfc3339(now)
    ])?;
    let after = by_id(tx, id)?.ok_or(Error::NotFound)?;
    let changed = after.description != before.description
        || after.assignee_id != before.assignee_id
        || after.group != before.group
        || after.due_date != before.due_date
        || after.due_time != before.due_time
        || after.customer_id != before.customer_id
        || after.contact_id != before.contact_id
        || after.remind_days_before != before.remind_days_before;
    if changed {
        // The assignee's reminders follow the assignee.
        tx.prepare_cached(
            "UPDATE reminders SET user_id = ?2 WHERE task_id = ?1 AND delivered_at IS NULL",
        )?
        .execute(params![id, f.assignee_id])?;
        log_task(
            tx,
            EventKind::TaskUpdated,
            "summary.task_updated",
            &after,
            by,
        )?;
    }
    match status {
        Some(done) if done != before.is_done() => set_done(tx, id, done, by, now)?,
        _ => reschedule(tx, id, now)?,
    }
    Ok(())
}

/// Marks a task done (its undelivered reminders go) or open again (they are scheduled anew).
pub(crate) fn set_done(
    tx: &Tx,
    id: i64,
    done: bool,
    by: Option<UserId>,
    now: DateTime<Utc>,
) -> Result<()> {
    let before = by_id(tx, id)?.ok_or(Error::NotFound)?;
    if before.is_done() == done {
        return Ok(());
    }
    let stamp = rfc3339(now);
    tx.prepare_cached("UPDATE tasks SET done = ?2, done_at = ?3, updated_at = ?4 WHERE id = ?1")?
        .execute(params![id, done, done.then_some(stamp.as_str()), stamp])?;
    reschedule(tx, id, now)?;
    let (kind, key) = if done {
        (EventKind::TaskDone, "summary.task_done")
    } else {
        (EventKind::TaskReopened, "summary.task_reopened")
    };
    log_task(tx, kind, key, &before, by)
}

/// Deletes a task with its reminders; its log events stay.
pub(crate) fn delete(tx: &Tx, id: i64, by: Option<UserId>) -> Result<()> {
    let before = by_id(tx, id)?.ok_or(Error::NotFound)?;
    log_task(
        tx,
        EventKind::TaskDeleted,
        "summary.task_deleted",
        &before,
        by,
    )?;
    tx.execute("DELETE FROM tasks WHERE id = ?1", [id])?;
    Ok(())
}

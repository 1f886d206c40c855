//! The calendar feed: a user's open tasks as iCalendar (RFC 5545), with a VALARM for each
//! reminder still to come, for phones and desktop calendars to subscribe to at
//! `/calendar/{token}.ics` (the token is secret, per user, stored hashed; see
//! `users::store::set_calendar_token`). `minicrm export tasks --format ics` writes the same for
//! every open task. Written by hand: CRLF line ends, lines folded at 75 octets, text escaped.

use std::io::Write;

use chrono::{DateTime, Duration, NaiveDate, NaiveTime, Utc};
use rusqlite::Connection;

use super::schedule::local_moment;
use super::{store, Task};
use crate::error::{Error, Result};
use crate::http::{Ctx, Resp};
use crate::settings::Settings;

/// How long a task with a time of day lasts in the calendar.
const TIMED_LENGTH_MINUTES: i64 = 30;

/// Escapes a TEXT value: backslash, comma, semicolon and line ends.
pub(crate) fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '\\' => out.push_str("\\\\"),
            ',' => out.push_str("\\,"),
            ';' => out.push_str("\\;"),
            '\r' => {
                if chars.peek() == Some(&'\n') {
                    chars.next();
                }
                out.push_str("\\n");
            }
            '\n' => out.push_str("\\n"),
            c if c.is_control() => {}
            c => out.push(c),
        }
    }
    out
}

/// One content line, folded so that no line is longer than 75 octets (continuations start
/// with a space), never inside a UTF-8 character, ended with CRLF.
pub(crate) fn fold(line: &str) -> String {
    let mut out = String::with_capacity(line.len() + line.len() / 70 * 3 + 2);
    let mut width = 0;
    for c in line.chars() {
        if width + c.len_utf8() > 75 {
            out.push_str("\r\n ");
            width = 1;
        }
        out.push(c);
        width += c.len_utf8();
    }
    out.push_str("\r\n");
    out
}

fn utc_stamp(t: DateTime<Utc>) -> String {
    t.format("%Y%m%dT%H%M%SZ").to_string()
}

fn parse_utc(text: &str) -> Option<DateTime<Utc>> {
    DateTime::parse_from_rfc3339(text)
        .ok()
        .map(|t| t.with_timezone(&Utc))
}

/// Builds a calendar line by line.
struct Ics(String);

impl Ics {
    fn line(&mut self, line: &str) {
        self.0.push_str(&fold(line));
    }

    fn text(&mut self, name: &str, value: &str) {
        self.line(&format!("{name}:{}", escape(value)));
    }
}

/// What a task's lines need besides the task.
pub(crate) struct Context<'a> {
    pub settings: &'a Settings,
    /// `http://host:port`, for links to the tasks; `None` leaves them out.
    pub base: Option<&'a str>,
    pub now: DateTime<Utc>,
}

fn start(ics: &mut Ics, name: &str) {
    ics.line("BEGIN:VCALENDAR");
    ics.line("VERSION:2.0");
    ics.line("PRODID:-//minicrm//minicrm tasks//EN");
    ics.line("CALSCALE:GREGORIAN");
    ics.line("METHOD:PUBLISH");
    ics.text("X-WR-CALNAME", name);
}

fn event(ics: &mut Ics, task: &Task, cx: &Context) {
    let Ok(date) = NaiveDate::parse_from_str(&task.due_date, "%Y-%m-%d") else {
        return;
    };
    let time = task
        .due_time
        .as_deref()
        .and_then(|t| NaiveTime::parse_from_str(t, "%H:%M").ok());
    let first = task.description.lines().next().unwrap_or("").trim();
    let summary = match &task.customer_name {
        Some(customer) => format!("{first} – {customer}"),
        None => first.to_string(),
    };
    let link = cx.base.map(|b| format!("{b}/tasks/{}", task.id));
    ics.line("BEGIN:VEVENT");
    ics.line(&format!("UID:task-{}@minicrm", task.id));
    ics.line(&format!("DTSTAMP:{}", utc_stamp(cx.now)));
    if let Some(modified) = parse_utc(&task.updated_at) {
        ics.line(&format!("LAST-MODIFIED:{}", utc_stamp(modified)));
    }
    match time {
        Some(t) => {
            let at = local_moment(cx.settings.time_zone, date.and_time(t));
            ics.line(&format!("DTSTART:{}", utc_stamp(at)));
            ics.line(&format!(
                "DTEND:{}",
                utc_stamp(at + Duration::minutes(TIMED_LENGTH_MINUTES))
            ));
        }
        None => {
            ics.line(&format!("DTSTART;VALUE=DATE:{}", date.format("%Y%m%d")));
            let next = date + Duration::days(1);
            ics.line(&format!("DTEND;VALUE=DATE:{}", next.format("%Y%m%d")));
        }
    }
    ics.text("SUMMARY", &summary);
    let mut description = task.description.clone();
    if let Some(contact) = &task.contact_name {
        description.push_str(&format!("\n{contact}"));
    }
    if let Some(link) = &link {
        description.push_str(&format!("\n\n{link}"));
    }
    ics.text("DESCRIPTION", &description);
    if let Some(link) = &link {
        ics.line(&format!("URL:{link}"));
    }
    if let Some(group) = &task.group {
        ics.text("CATEGORIES", group);
    }
    ics.line("TRANSP:TRANSPARENT");
    for r in &task.reminders {
        if r.delivered_at.is_some() || r.dismissed_at.is_some() {
            continue;
        }
        let Some(at) = parse_utc(&r.remind_at) else {
            continue;
        };
        ics.line("BEGIN:VALARM");
        ics.line("ACTION:DISPLAY");
        ics.text("DESCRIPTION", &summary);
        ics.line(&format!("TRIGGER;VALUE=DATE-TIME:{}", utc_stamp(at)));
        ics.line("END:VALARM");
    }
    ics.line("END:VEVENT");
}

/// Which open tasks a calendar holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Span {
    /// Every one: the command line's export, written to a file as it goes.
    All,
    /// Those due on or after the day, the first [`FEED_MAX`] by date: the served feed, which
    /// is held whole in memory until sent and fetched again every few minutes by every
    /// calendar subscribed to it.
    From(NaiveDate),
}

/// The most tasks a served feed holds (some 800 KiB of calendar at most).
pub(crate) const FEED_MAX: i64 = 1000;

/// How far back a served feed begins: open tasks overdue longer stay on the task list.
const FEED_PAST_DAYS: i64 = 30;

/// The ids of open tasks, of one assignee or everyone's, by date.
fn open_task_ids(
    conn: &Connection,
    assignee: Option<i64>,
    span: Span,
) -> rusqlite::Result<Vec<i64>> {
    use rusqlite::types::Value;
    let mut sql = String::from("SELECT id FROM tasks WHERE done = 0");
    let mut args: Vec<Value> = Vec::new();
    if let Some(user) = assignee {
        sql.push_str(" AND assignee_id = ?");
        args.push(Value::Integer(user));
    }
    if let Span::From(day) = span {
        sql.push_str(" AND due_date >= ?");
        args.push(Value::Text(day.format("%Y-%m-%d").to_string()));
    }
    sql.push_str(" ORDER BY due_date, due_time, id");
    if let Span::From(_) = span {
        sql.push_str(" LIMIT ?");
        args.push(Value::Integer(FEED_MAX));
    }
    conn.prepare_cached(&sql)?
        .query_map(rusqlite::params_from_iter(args), |r| r.get(0))?
        .collect()
}

/// Writes the open tasks of `assignee` (everyone's with `None`) in `span` as one calendar.
/// Returns how many tasks it holds.
pub(crate) fn write_feed(
    conn: &Connection,
    assignee: Option<i64>,
    span: Span,
    name: &str,
    cx: &Context,
    out: &mut dyn Write,
) -> Result<usize> {
    let mut ics = Ics(String::new());
    start(&mut ics, name);
    out.write_all(ics.0.as_bytes())?;
    let ids = open_task_ids(conn, assignee, span)?;
    for &id in &ids {
        if let Some(task) = store::by_id(conn, id)? {
            let mut ics = Ics(String::new());
            event(&mut ics, &task, cx);
            out.write_all(ics.0.as_bytes())?;
        }
    }
    out.write_all(b"END:VCALENDAR\r\n")?;
    Ok(ids.len())
}

/// `GET /calendar/{token}.ics` — open to anyone holding the token: the token's user's open
/// tasks. An unknown token (or an inactive user's) is not found.
pub(crate) fn feed(ctx: &mut Ctx, token: &str) -> Result<Resp> {
    let (user, name) =
        crate::users::store::by_calendar_token(ctx.conn, token)?.ok_or(Error::NotFound)?;
    let base = ctx.header("host").map(|h| format!("http://{h}"));
    let cx = Context {
        settings: &ctx.settings,
        base: base.as_deref(),
        now: Utc::now(),
    };
    let title = format!("{} – {name}", ctx.settings.company_name);
    let mut body = Vec::new();
    let from = super::pages::today(ctx) - Duration::days(FEED_PAST_DAYS);
    write_feed(
        ctx.conn,
        Some(user.0),
        Span::From(from),
        title.trim_start_matches(" – "),
        &cx,
        &mut body,
    )?;
    Ok(Resp::new(200, "text/calendar; charset=utf-8", body)
        .with_header("Cache-Control", "private, max-age=300"))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A served feed holds the open tasks due from a month back, the first thousand by date;
    /// the export every open task.
    #[test]
    fn a_served_feed_holds_a_bounded_span_of_open_tasks() {
        let (_dir, conn) = crate::db::temporary();
        let today = NaiveDate::from_ymd_opt(2026, 11, 30).unwrap();
        let day = |offset: i64| {
            (today + Duration::days(offset))
                .format("%Y-%m-%d")
                .to_string()
        };
        conn.execute_batch(
            "INSERT INTO users (id, username, name, role, password_hash, created_at, updated_at)
             VALUES (1, 'aino', 'Aino', 'admin', 'x', 'x', 'x');",
        )
        .unwrap();
        let add = |due: &str, done: bool| {
            conn.execute(
                "INSERT INTO tasks (description, assignee_id, due_date, done, created_at, updated_at)
                 VALUES ('Soita', 1, ?1, ?2, 'x', 'x')",
                rusqlite::params![due, done],
            )
            .unwrap();
            conn.last_insert_rowid()
        };
        let forgotten = add(&day(-40), false);
        let overdue = add(&day(-20), false);
        add(&day(-10), true);
        for n in 0..FEED_MAX + 5 {
            add(&day(n % 300), false);
        }
        let served = open_task_ids(&conn, Some(1), Span::From(today - Duration::days(30))).unwrap();
        assert_eq!(served.len(), FEED_MAX as usize);
        assert_eq!(served[0], overdue);
        assert!(!served.contains(&forgotten));
        let all = open_task_ids(&conn, None, Span::All).unwrap();
        assert_eq!(all.len(), FEED_MAX as usize + 7);
        assert_eq!(all[0], forgotten);
    }

    #[test]
    fn text_is_escaped() {
        assert_eq!(escape("a\\b, c; d\r\ne\nf"), "a\\\\b\\, c\\; d\\ne\\nf");
    }

    #[test]
    fn long_lines_fold_at_75_octets_between_characters() {
        let line = format!("SUMMARY:{}", "ä".repeat(100));
        let folded = fold(&line);
        assert!(folded.ends_with("\r\n"));
        let lines: Vec<&str> = folded.trim_end_matches("\r\n").split("\r\n").collect();
        assert!(lines.len() > 2, "{lines:?}");
        for (i, l) in lines.iter().enumerate() {
            assert!(l.len() <= 75, "{l:?}");
            assert_eq!(i > 0, l.starts_with(' '), "{l:?}");
        }
        let unfolded: String = lines
            .iter()
            .enumerate()
            .map(|(i, l)| if i == 0 { *l } else { &l[1..] })
            .collect();
        assert_eq!(unfolded, line);
        assert_eq!(fold("SHORT:x"), "SHORT:x\r\n");
    }

    #[test]
    fn an_event_has_the_required_properties_and_alarms() {
        let task = Task {
            id: 7,
            description: "Call, about the offer; soon\nSecond line".into(),
            assignee_id: 1,
            group: None,
            due_date: "2026-03-10".into(),
            due_time: Some("14:00".into()),
            customer_id: Some(3),
            contact_id: None,
            status: "open",
            done_at: None,
            remind_days_before: Some(1),
            reminders: vec![super::super::Reminder {
                id: 1,
                kind: "before".into(),
                remind_at: "2026-03-09T06:00:00Z".into(),
                delivered_at: None,
                dismissed_at: None,
            }],
            created_at: "2026-03-01T10:00:00Z".into(),
            updated_at: "2026-03-01T10:00:00Z".into(),
            assignee_name: "A".into(),
            customer_name: Some("Asiakas Oy".into()),
            contact_name: None,
        };
        let settings = Settings::default();
        let cx = Context {
            settings: &settings,
            base: Some("http://127.0.0.1:8080"),
            now: DateTime::parse_from_rfc3339("2026-03-02T10:00:00Z")
                .unwrap()
                .with_timezone(&Utc),
        };
        let mut ics = Ics(String::new());
        event(&mut ics, &task, &cx);
        let text = ics.0;
        for want in [
            "BEGIN:VEVENT\r\n",
            "UID:task-7@minicrm\r\n",
            "DTSTAMP:20260302T100000Z\r\n",
            // 14:00 in Helsinki in winter is 12:00 UTC.
            "DTSTART:20260310T120000Z\r\n",
            "SUMMARY:Call\\, about the offer\\; soon – Asiakas Oy\r\n",
            "URL:http://127.0.0.1:8080/tasks/7\r\n",
            "TRIGGER;VALUE=DATE-TIME:20260309T060000Z\r\n",
            "END:VEVENT\r\n",
        ] {
            assert!(text.contains(want), "{want:?} missing in {text}");
        }
    }
}

//! The log narrowed: by customer (with or without its contacts), contact, kind, person and
//! dates, with or without a search. Pages go newest first by the event id, by position
//! (`after=` / `before=` an id) or by offset, as the whole log's do.
//!
//! Which index leads: a customer or contact has few events, so their index drives and the
//! search (if any) is checked per event by its rowid; otherwise the search drives (its index
//! yields matches newest first) and the other filters are checked per match; dates without a
//! search walk the index of the time, newest first by time (an old range is reached at once,
//! not after every newer event); otherwise SQLite picks the index of the kind or person, or
//! walks the log from its newest end.

use chrono::{NaiveDate, TimeZone};
use chrono_tz::Tz;
use rusqlite::types::Value;
use rusqlite::OptionalExtension;

use super::search::{self, Query};
use super::store::{self, event_from_row, EventKind, EventPage, Position, EVENT_COLUMNS};
use crate::error::{deep_offset_error, Error, Result, DEEP_OFFSET};

/// What a page of the log is narrowed to.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct LogFilter {
    pub customer: Option<i64>,
    /// With `customer`: also the events of its contacts.
    pub with_contacts: bool,
    pub contact: Option<i64>,
    pub kind: Option<EventKind>,
    pub user: Option<i64>,
    /// From this moment on (RFC 3339, UTC), inclusive.
    pub from: Option<String>,
    /// Before this moment (RFC 3339, UTC).
    pub to: Option<String>,
}

impl LogFilter {
    pub fn is_empty(&self) -> bool {
        *self == LogFilter::default()
            || *self
                == LogFilter {
                    with_contacts: true,
                    ..LogFilter::default()
                }
    }

    /// Sets the dates from `YYYY-MM-DD` texts, both days included, in the company's time
    /// zone; a text that is not a date is an error at its field.
    pub(crate) fn set_dates(&mut self, from: &str, to: &str, tz: Tz) -> Result<()> {
        let day = |text: &str, field: &'static str| -> Result<Option<NaiveDate>> {
            match text.trim() {
                "" => Ok(None),
                t => NaiveDate::parse_from_str(t, "%Y-%m-%d")
                    .map(Some)
                    .map_err(|_| Error::field(field, "log.date_invalid")),
            }
        };
        let start = |d: NaiveDate| -> String {
            let local = d.and_hms_opt(0, 0, 0).unwrap_or_default();
            tz.from_local_datetime(&local)
                .earliest()
                .map(|t| t.with_timezone(&chrono::Utc))
                .unwrap_or_else(|| local.and_utc())
                .to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
        };
        self.from = day(from, "from")?.map(start);
        self.to = day(to, "to")?.and_then(|d| d.succ_opt()).map(start);
        Ok(())
    }

    /// Whether a page walks the log by time (the index of `at`), newest first: dates without
    /// a search or a customer or contact. By the id, an old range would be reached only after
    /// every newer event; by its index, the page reads its own rows and no more.
    pub fn by_time(&self, search: bool) -> bool {
        !search
            && self.customer.is_none()
            && self.contact.is_none()
            && (self.from.is_some() || self.to.is_some())
    }

    /// How many times a page's statement takes the position's id (`filtered_sql`).
    pub fn position_binds(&self, search: bool) -> usize {
        if self.by_time(search) {
            2
        } else {
            1
        }
    }

    /// The SQL conditions and their values, in order.
    fn conditions(&self) -> (Vec<&'static str>, Vec<Value>) {
        let mut sql = Vec::new();
        let mut args = Vec::new();
        if let Some(c) = self.customer {
            if self.with_contacts {
                sql.push(
                    "(e.customer_id = ? OR e.contact_id IN \
                     (SELECT contact_id FROM customer_contacts WHERE customer_id = ?))",
                );
                args.extend([Value::Integer(c), Value::Integer(c)]);
            } else {
                sql.push("e.customer_id = ?");
                args.push(Value::Integer(c));
            }
        }
        if let Some(p) = self.contact {
            sql.push("e.contact_id = ?");
            args.push(Value::Integer(p));
        }
        // When the dates lead (`by_time`), a kind or person is checked per event of the
        // range (`+` keeps SQLite from walking their index and sorting all they match).
        let by_time = self.by_time(false);
        if let Some(k) = self.kind {
            sql.push(if by_time { "+e.kind = ?" } else { "e.kind = ?" });
            args.push(Value::Text(k.as_str().into()));
        }
        if let Some(u) = self.user {
            sql.push(if by_time {
                "+e.user_id = ?"
            } else {
                "e.user_id = ?"
            });
            args.push(Value::Integer(u));
        }
        if let Some(from) = &self.from {
            sql.push("e.at >= ?");
            args.push(Value::Text(from.clone()));
        }
        if let Some(to) = &self.to {
            sql.push("e.at < ?");
            args.push(Value::Text(to.clone()));
        }
        (sql, args)
    }
}

/// Which way a filtered page reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Dir {
    /// Newest first, `LIMIT ? OFFSET ?`.
    Offset,
    /// Older than the id `?`, newest first.
    Older,
    /// Newer than the id `?`, oldest first (the page before).
    Newer,
}

/// The SQL of a filtered page and the values of its conditions; the caller binds, in order,
/// the FTS query (with `search`), these values, the position's id (`Older`, `Newer`; as many
/// times as `LogFilter::position_binds` says), the limit and (`Offset`) the offset. Newest
/// first by id, or by time when the dates lead (`LogFilter::by_time`).
pub fn filtered_sql(filter: &LogFilter, search: bool, dir: Dir) -> (String, Vec<Value>) {
    let (mut conds, args) = filter.conditions();
    let by_record = filter.customer.is_some() || filter.contact.is_some();
    let (from, key) = match (search, by_record) {
        // CROSS JOIN keeps the record's index leading; the index checks each event's rowid.
        (true, true) => (
            "events e CROSS JOIN events_fts ON events_fts.rowid = e.id",
            "e.id",
        ),
        (true, false) => (
            "events_fts JOIN events e ON e.id = events_fts.rowid",
            "events_fts.rowid",
        ),
        (false, _) => ("events e", "e.id"),
    };
    if search {
        conds.insert(0, "events_fts MATCH ?");
    }
    let by_time = filter.by_time(search);
    // By time the position is the event's (at, id), looked up by its id; the bound on `at`
    // alone lets the index seek to it.
    let at_of = "(SELECT x.at FROM events x WHERE x.id = ?)";
    let at_id_of = "(SELECT x.at, x.id FROM events x WHERE x.id = ?)";
    let bound = match (dir, by_time) {
        (Dir::Offset, _) => None,
        (Dir::Older, false) => Some(format!("{key} < ?")),
        (Dir::Newer, false) => Some(format!("{key} > ?")),
        (Dir::Older, true) => Some(format!("e.at <= {at_of} AND (e.at, e.id) < {at_id_of}")),
        (Dir::Newer, true) => Some(format!("e.at >= {at_of} AND (e.at, e.id) > {at_id_of}")),
    };
    // The position then bounds the walk on its side instead of the date on that side, which
    // stays a check (`+`): of two bounds on one side SQLite seeks to one only.
    let all_conds = conds.iter().map(|c| match (by_time, dir, *c) {
        (true, Dir::Older, "e.at < ?") => "+e.at < ?",
        (true, Dir::Newer, "e.at >= ?") => "+e.at >= ?",
        (_, _, c) => c,
    });
    let mut all: Vec<String> = all_conds.map(str::to_string).collect();
    all.extend(bound);
    let way = if dir == Dir::Newer { "ASC" } else { "DESC" };
    let order = if by_time {
        format!("e.at {way}, e.id {way}")
    } else {
        format!("{key} {way}")
    };
    let tail = if dir == Dir::Offset {
        "LIMIT ? OFFSET ?"
    } else {
        "LIMIT ?"
    };
    (
        format!(
            "SELECT {EVENT_COLUMNS} FROM {from} WHERE {} ORDER BY {order} {tail}",
            if all.is_empty() {
                "1".to_string()
            } else {
                all.join(" AND ")
            }
        ),
        args,
    )
}

/// A page of the log: the events matching `text` (read by `search::parse`) and `filter`,
/// with the search as read (for the page's message and highlights).
pub(crate) fn page(
    conn: &rusqlite::Connection,
    text: &str,
    filter: &LogFilter,
    limit: i64,
    position: Position,
) -> Result<(EventPage, Query)> {
    let text = text.trim();
    if text.chars().count() > search::MAX_QUERY_CHARS {
        return Err(Error::field("q", "log.query_too_long"));
    }
    let query = if text.is_empty() {
        Query::default()
    } else {
        search::parse(conn, "events_fts", text)?
    };
    if !text.is_empty() && query.fts.is_none() {
        return Ok((EventPage::default(), query));
    }
    let mut page = if filter.is_empty() {
        store::page_of(conn, query.fts.clone(), limit, position)?
    } else {
        filtered(conn, query.fts.as_deref(), filter, limit, position)?
    };
    store::name_links(conn, &mut page.events)?;
    Ok((page, query))
}

fn filtered(
    conn: &rusqlite::Connection,
    fts: Option<&str>,
    filter: &LogFilter,
    limit: i64,
    position: Position,
) -> Result<EventPage> {
    let run = |dir: Dir, at: Option<i64>, limit: i64, offset: i64| -> Result<Vec<store::Event>> {
        let (sql, conds) = filtered_sql(filter, fts.is_some(), dir);
        let mut args: Vec<Value> = fts.map(|q| Value::Text(q.into())).into_iter().collect();
        args.extend(conds);
        for _ in 0..filter.position_binds(fts.is_some()) {
            args.extend(at.map(Value::Integer));
        }
        args.push(Value::Integer(limit));
        if dir == Dir::Offset {
            args.push(Value::Integer(offset));
        }
        Ok(conn
            .prepare_cached(&sql)?
            .query_map(rusqlite::params_from_iter(args), event_from_row)?
            .collect::<rusqlite::Result<_>>()?)
    };
    let ask = limit + 1;
    let (mut events, older, newer) = match position {
        Position::Offset(offset) => {
            if offset > DEEP_OFFSET && !run(Dir::Offset, None, 1, DEEP_OFFSET)?.is_empty() {
                return Err(deep_offset_error());
            }
            let events = run(Dir::Offset, None, ask, offset)?;
            let older = events.len() as i64 > limit;
            (events, older, offset > 0)
        }
        Position::After(id) => {
            let events = run(Dir::Older, Some(id), ask, 0)?;
            let older = events.len() as i64 > limit;
            (events, older, true)
        }
        Position::Before(id) => {
            let mut events = run(Dir::Newer, Some(id), ask, 0)?;
            let newer = events.len() as i64 > limit;
            events.truncate(limit.max(0) as usize);
            events.reverse();
            (events, true, newer)
        }
    };
    events.truncate(limit.max(0) as usize);
    Ok(EventPage {
        events,
        older,
        newer,
    })
}

/// One event by id, with its links named.
pub(crate) fn event_by_id(conn: &rusqlite::Connection, id: i64) -> Result<Option<store::Event>> {
    let event = conn
        .prepare_cached(&format!(
            "SELECT {EVENT_COLUMNS} FROM events e WHERE e.id = ?1"
        ))?
        .query_row([id], event_from_row)
        .optional()?;
    let mut events: Vec<store::Event> = event.into_iter().collect();
    store::name_links(conn, &mut events)?;
    Ok(events.pop())
}

//! The customer log's storage. `append` is the one way an event is written; every write path
//! calls it inside its own transaction (it takes a `Transaction`, so it cannot be called outside
//! one), which makes "every change is in the log" hold by construction. Events are never edited
//! or deleted (a trigger refuses deletes).

use rusqlite::{params, Transaction};
use serde::Serialize;

keyed_enum! {
    /// What happened. The text forms are the API's `kind` values.
    #[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
    pub enum EventKind {
        CustomerCreated = "customer.created",
        CustomerUpdated = "customer.updated",
        CustomerArchived = "customer.archived",
        CustomerDeleted = "customer.deleted",
        ContactCreated = "contact.created",
        ContactUpdated = "contact.updated",
        ContactLinked = "contact.linked",
        ContactUnlinked = "contact.unlinked",
        ContactDeleted = "contact.deleted",
        DocumentAdded = "document.added",
        DocumentUpdated = "document.updated",
        DocumentAssigned = "document.assigned",
        DocumentNewVersion = "document.new_version",
        DocumentDeleted = "document.deleted",
        TaskCreated = "task.created",
        TaskUpdated = "task.updated",
        TaskDone = "task.done",
        TaskReopened = "task.reopened",
        TaskDeleted = "task.deleted",
        ReminderDelivered = "reminder.delivered",
        Note = "note",
        Call = "call",
        Meeting = "meeting",
        Email = "email",
        Invoice = "invoice",
        Payment = "payment",
        UserCreated = "user.created",
        UserUpdated = "user.updated",
        SettingsUpdated = "settings.updated",
    }
}

impl EventKind {
    /// What the log shows for this kind, in the reader's language.
    pub(crate) fn label(self, lang: crate::i18n::Lang) -> &'static str {
        lang.t(&format!("kind.{}", self.as_str()))
    }
}

/// An event to append. Build it with `NewEvent::new(kind, summary)` and the `with_*` links.
#[derive(Debug, Clone)]
pub(crate) struct NewEvent {
    pub kind: EventKind,
    pub summary: String,
    pub user_id: Option<i64>,
    pub customer_id: Option<i64>,
    pub contact_id: Option<i64>,
    pub document_id: Option<i64>,
    pub task_id: Option<i64>,
    pub amount: Option<String>,
    pub currency: Option<String>,
    pub reference: Option<String>,
    /// Names of the linked customer, contact or document, so a search for them finds the event.
    pub search_text: String,
    /// When it happened; `None` is now. Events recorded afterwards (a call yesterday) set it.
    pub at: Option<String>,
}

impl NewEvent {
    pub(crate) fn new(kind: EventKind, summary: impl Into<String>) -> NewEvent {
        NewEvent {
            kind,
            summary: summary.into(),
            user_id: None,
            customer_id: None,
            contact_id: None,
            document_id: None,
            task_id: None,
            amount: None,
            currency: None,
            reference: None,
            search_text: String::new(),
            at: None,
        }
    }

    pub(crate) fn by(mut self, user_id: i64) -> NewEvent {
        self.user_id = Some(user_id);
        self
    }
}

/// A stored event, as the API shows it.
#[derive(Debug, Clone, Serialize)]
pub struct Event {
    pub id: i64,
    pub at: String,
    pub kind: String,
    pub customer_id: Option<i64>,
    pub contact_id: Option<i64>,
    pub document_id: Option<i64>,
    pub task_id: Option<i64>,
    pub user_id: Option<i64>,
    pub summary: String,
    pub amount: Option<String>,
    pub currency: Option<String>,
    pub reference: Option<String>,
}

/// The language event summaries are written in: the company's default language at the time.
/// (A summary is a sentence kept as it was written, like an entry in a paper log.)
pub(crate) fn summary_lang(conn: &rusqlite::Connection) -> rusqlite::Result<crate::i18n::Lang> {
    Ok(crate::settings::load(conn)?.default_language)
}

/// "Phone changed from A to B" for an update's summary; `label` is the field's i18n key.
pub(crate) fn changed(lang: crate::i18n::Lang, label: &str, from: &str, to: &str) -> String {
    let or_dash = |v: &str| {
        if v.is_empty() {
            "—".to_string()
        } else {
            v.to_string()
        }
    };
    lang.tf(
        "summary.changed",
        &[
            ("field", lang.t(label)),
            ("from", &or_dash(from)),
            ("to", &or_dash(to)),
        ],
    )
}

/// Appends one event in the caller's transaction and returns its id.
pub(crate) fn append(tx: &Transaction, event: &NewEvent) -> rusqlite::Result<i64> {
    let at = event.at.clone().unwrap_or_else(crate::now_rfc3339);
    tx.prepare_cached(
        "INSERT INTO events (at, kind, customer_id, contact_id, document_id, task_id, user_id,
                             summary, amount, currency, reference, search_text)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12)",
    )?
    .execute(params![
        at,
        event.kind.as_str(),
        event.customer_id,
        event.contact_id,
        event.document_id,
        event.task_id,
        event.user_id,
        event.summary,
        event.amount,
        event.currency,
        event.reference,
        event.search_text,
    ])?;
    Ok(tx.last_insert_rowid())
}

/// Adds a full-text condition on `alias.id` against the FTS table `fts` for the search text
/// `q` to a list query. Text with no words (only punctuation) finds nothing, not everything.
///
/// `broad` is for a search that matches a large share of the rows: then the list should walk
/// its order index and keep the rows that match (`+` keeps SQLite from driving the query from
/// the matches), instead of reading every match and sorting them all.
pub(crate) fn add_fts_filter(
    sql: &mut String,
    args: &mut Vec<rusqlite::types::Value>,
    q: &str,
    fts: &str,
    alias: &str,
    broad: bool,
) {
    match fts_query(q) {
        Some(query) => {
            let plus = if broad { "+" } else { "" };
            sql.push_str(&format!(
                " AND {plus}{alias}.id IN (SELECT rowid FROM {fts} WHERE {fts} MATCH ?)"
            ));
            args.push(rusqlite::types::Value::Text(query));
        }
        None if !q.trim().is_empty() => sql.push_str(" AND 0"),
        None => {}
    }
}

/// How many matches make a search "broad" (see `add_fts_filter`): below it, sorting the
/// matches is cheaper than walking an index; above it, walking is.
pub(crate) const BROAD_SEARCH: i64 = 1000;

/// Whether the search text matches at least `BROAD_SEARCH` rows of the FTS table `fts`
/// (counting stops there, so this is cheap whatever the answer).
pub(crate) fn is_broad(conn: &rusqlite::Connection, fts: &str, q: &str) -> rusqlite::Result<bool> {
    let Some(query) = fts_query(q) else {
        return Ok(false);
    };
    let n: i64 = conn
        .prepare_cached(&format!(
            "SELECT count(*) FROM (SELECT 1 FROM {fts} WHERE {fts} MATCH ?1 LIMIT ?2)"
        ))?
        .query_row(params![query, BROAD_SEARCH], |r| r.get(0))?;
    Ok(n >= BROAD_SEARCH)
}

/// Turns free text into an FTS5 query that cannot be a syntax error: each word becomes a quoted
/// prefix term (`"asiak"*`), all of which must match.
pub(crate) fn fts_query(text: &str) -> Option<String> {
    let terms: Vec<String> = text
        .split(|c: char| !c.is_alphanumeric())
        .filter(|w| !w.is_empty())
        .map(|w| format!("\"{w}\"*"))
        .collect();
    (!terms.is_empty()).then(|| terms.join(" "))
}

const EVENT_COLUMNS: &str = "e.id, e.at, e.kind, e.customer_id, e.contact_id, e.document_id, \
    e.task_id, e.user_id, e.summary, e.amount, e.currency, e.reference";

/// The SQL of `search`: matches newest first. Ordering by the FTS rowid (the event id) lets
/// the index hand out matches in that order and stop at the limit, instead of sorting them all.
pub fn search_sql() -> String {
    format!(
        "SELECT {EVENT_COLUMNS} FROM events_fts JOIN events e ON e.id = events_fts.rowid
         WHERE events_fts MATCH ?1 ORDER BY events_fts.rowid DESC LIMIT ?2 OFFSET ?3"
    )
}

/// Events matching a full-text query, newest first.
pub fn search(
    conn: &rusqlite::Connection,
    text: &str,
    limit: i64,
    offset: i64,
) -> rusqlite::Result<Vec<Event>> {
    let Some(query) = fts_query(text) else {
        return Ok(Vec::new());
    };
    conn.prepare_cached(&search_sql())?
        .query_map(params![query, limit, offset], event_from_row)?
        .collect()
}

/// The SQL of `for_customer`.
pub fn for_customer_sql() -> String {
    format!("SELECT {EVENT_COLUMNS} FROM events e WHERE e.customer_id = ?1 ORDER BY e.id DESC LIMIT ?2 OFFSET ?3")
}

/// A customer's events, newest first.
pub fn for_customer(
    conn: &rusqlite::Connection,
    customer_id: i64,
    limit: i64,
    offset: i64,
) -> rusqlite::Result<Vec<Event>> {
    conn.prepare_cached(&for_customer_sql())?
        .query_map(params![customer_id, limit, offset], event_from_row)?
        .collect()
}

/// A contact's events, newest first.
pub(crate) fn for_contact(
    conn: &rusqlite::Connection,
    contact_id: i64,
    limit: i64,
    offset: i64,
) -> rusqlite::Result<Vec<Event>> {
    conn.prepare_cached(&format!(
        "SELECT {EVENT_COLUMNS} FROM events e WHERE e.contact_id = ?1 ORDER BY e.id DESC LIMIT ?2 OFFSET ?3"
    ))?
    .query_map(params![contact_id, limit, offset], event_from_row)?
    .collect()
}

/// The newest events, one page of them.
pub(crate) fn newest(
    conn: &rusqlite::Connection,
    limit: i64,
    offset: i64,
) -> rusqlite::Result<Vec<Event>> {
    conn.prepare_cached(&format!(
        "SELECT {EVENT_COLUMNS} FROM events e ORDER BY e.id DESC LIMIT ?1 OFFSET ?2"
    ))?
    .query_map(params![limit, offset], event_from_row)?
    .collect()
}

fn event_from_row(r: &rusqlite::Row) -> rusqlite::Result<Event> {
    Ok(Event {
        id: r.get(0)?,
        at: r.get(1)?,
        kind: r.get(2)?,
        customer_id: r.get(3)?,
        contact_id: r.get(4)?,
        document_id: r.get(5)?,
        task_id: r.get(6)?,
        user_id: r.get(7)?,
        summary: r.get(8)?,
        amount: r.get(9)?,
        currency: r.get(10)?,
        reference: r.get(11)?,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn db() -> (tempfile::TempDir, rusqlite::Connection) {
        let dir = tempfile::tempdir().unwrap();
        let conn = crate::db::open(&dir.path().join("log.db")).unwrap();
        (dir, conn)
    }

    #[test]
    fn kinds_round_trip_through_their_names_and_have_labels() {
        for kind in EventKind::ALL {
            assert_eq!(EventKind::parse(kind.as_str()), Some(*kind));
            for lang in crate::i18n::Lang::ALL {
                assert_ne!(
                    kind.label(lang),
                    "[?]",
                    "{kind:?} has no {} label",
                    lang.code()
                );
            }
        }
        assert_eq!(EventKind::parse("customer.exploded"), None);
    }

    #[test]
    fn appended_events_are_found_accent_and_case_insensitively() {
        let (_dir, mut conn) = db();
        crate::db::write(&mut conn, |tx| {
            let mut e = NewEvent::new(EventKind::Note, "Tapaaminen Café Järvisen kanssa");
            e.customer_id = Some(7);
            e.search_text = "Järvinen Oy".into();
            append(tx, &e)?;
            let mut e = NewEvent::new(EventKind::Invoice, "Lasku lähetetty");
            e.reference = Some("INV-2026-042".into());
            e.amount = Some("125.50".into());
            append(tx, &e)
        })
        .unwrap();
        let found = |q: &str| {
            search(&conn, q, 10, 0)
                .unwrap()
                .into_iter()
                .map(|e| e.kind)
                .collect::<Vec<_>>()
        };
        assert_eq!(found("cafe"), ["note"]);
        assert_eq!(found("JARVINEN"), ["note"]);
        assert_eq!(found("järvi"), ["note"]);
        assert_eq!(found("lahetetty"), ["invoice"]);
        assert_eq!(found("INV-2026"), ["invoice"]);
        assert!(found("nothing-here").is_empty());
        assert!(found("\" OR * ( ").is_empty());
    }

    #[test]
    fn events_cannot_be_deleted() {
        let (_dir, mut conn) = db();
        crate::db::write(&mut conn, |tx| {
            append(tx, &NewEvent::new(EventKind::Call, "Soitto"))
        })
        .unwrap();
        let err = conn.execute("DELETE FROM events", []).unwrap_err();
        assert!(err.to_string().contains("append-only"), "{err}");
        let count: i64 = conn
            .query_row("SELECT count(*) FROM events", [], |r| r.get(0))
            .unwrap();
        assert_eq!(count, 1);
    }

    #[test]
    fn an_event_in_a_failed_transaction_is_not_written() {
        let (_dir, mut conn) = db();
        let result: Result<(), crate::Error> = crate::db::write(&mut conn, |tx| {
            append(tx, &NewEvent::new(EventKind::Note, "half done"))?;
            Err(crate::Error::NotFound)
        });
        assert!(result.is_err());
        assert!(search(&conn, "half", 10, 0).unwrap().is_empty());
    }
}

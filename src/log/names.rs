//! The names an event's links have now: who did it, its customer, contact, task and document, looked
//! up by key when a page shows the event (the event keeps only the ids, so a renamed customer
//! shows its new name); and the look-ups of the log's filters.

use rusqlite::OptionalExtension;
use serde::Serialize;

use super::store::Event;

/// The names an event's links have now; `None` for no link, or one to a deleted record.
#[derive(Debug, Clone, Default, Serialize)]
pub struct LinkNames {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub user_name: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub customer_name: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub contact_name: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub task_title: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub document_title: Option<String>,
}

/// Looks up the names of the events' people and records, each by its key (a page of events
/// is a few dozen look-ups, whatever the size of the tables).
pub(crate) fn name_links(
    conn: &rusqlite::Connection,
    events: &mut [Event],
) -> rusqlite::Result<()> {
    fn one(
        conn: &rusqlite::Connection,
        sql: &str,
        id: Option<i64>,
    ) -> rusqlite::Result<Option<String>> {
        match id {
            None => Ok(None),
            Some(id) => conn
                .prepare_cached(sql)?
                .query_row([id], |r| r.get(0))
                .optional(),
        }
    }
    for e in events {
        e.names = LinkNames {
            user_name: one(conn, "SELECT name FROM users WHERE id = ?1", e.user_id)?,
            customer_name: one(conn, "SELECT name FROM customers WHERE id = ?1", e.customer_id)?,
            contact_name: one(
                conn,
                "SELECT trim(first_name || ' ' || last_name) FROM contacts WHERE id = ?1",
                e.contact_id,
            )?,
            // A task's first line names it.
            task_title: one(
                conn,
                "SELECT substr(description, 1, coalesce(nullif(instr(description, char(10)), 0) - 1, 200)) FROM tasks WHERE id = ?1",
                e.task_id,
            )?,
            document_title: one(conn, "SELECT title FROM documents WHERE id = ?1", e.document_id)?,
        };
    }
    Ok(())
}

impl Event {
    /// The event's sentence in `lang`: written out from its data, else the stored summary.
    pub(crate) fn text(&self, lang: crate::i18n::Lang) -> String {
        match &self.sentence {
            Some(s) => s.render(lang),
            None => self.summary.clone(),
        }
    }
}

/// A customer's id by its number (`1001`, `A-1001`).
pub(crate) fn customer_by_number(
    conn: &rusqlite::Connection,
    number: &str,
) -> rusqlite::Result<Option<i64>> {
    conn.prepare_cached("SELECT id FROM customers WHERE number = ?1")?
        .query_row([number], |r| r.get(0))
        .optional()
}

/// Every user by id and name, by name: the person filter's choices (a company has a few).
pub(crate) fn user_names(conn: &rusqlite::Connection) -> rusqlite::Result<Vec<(i64, String)>> {
    conn.prepare_cached("SELECT id, name FROM users ORDER BY name COLLATE NOCASE LIMIT 1000")?
        .query_map([], |r| Ok((r.get(0)?, r.get(1)?)))?
        .collect()
}

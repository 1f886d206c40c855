//! `inbox_messages`: what the folder and the mailbox have imported, and the one place that
//! imports an arrival exactly once.

use rusqlite::{params, Connection, OptionalExtension};

use super::{Arrival, Sink};
use crate::db;
use crate::db::Tx;
use crate::error::Result;

/// Where a remembered arrival came from (the `source` column).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Source {
    Folder,
    Imap,
}

impl Source {
    fn as_str(self) -> &'static str {
        match self {
            Source::Folder => "folder",
            Source::Imap => "imap",
        }
    }
}

/// What [`take_once`] did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Taken {
    Imported,
    /// It had been imported before (a crash came between the import and the clean-up after it).
    AlreadyImported,
}

pub(crate) fn is_imported(tx: &Tx, source: Source, key: &str) -> Result<bool> {
    Ok(tx
        .prepare_cached("SELECT 1 FROM inbox_messages WHERE source = ?1 AND key = ?2")?
        .query_row(params![source.as_str(), key], |_| Ok(()))
        .optional()?
        .is_some())
}

/// Whether `key` was imported, read outside a write (to skip fetching what is done).
pub(crate) fn was_imported(conn: &Connection, source: Source, key: &str) -> Result<bool> {
    Ok(conn
        .prepare_cached("SELECT 1 FROM inbox_messages WHERE source = ?1 AND key = ?2")?
        .query_row(params![source.as_str(), key], |_| Ok(()))
        .optional()?
        .is_some())
}

fn record(tx: &Tx, source: Source, key: &str, now: i64) -> Result<()> {
    tx.prepare_cached("INSERT INTO inbox_messages(source, key, imported_at) VALUES (?1, ?2, ?3)")?
        .execute(params![source.as_str(), key, now])?;
    Ok(())
}

/// Hands `arrival` to `sink` and records `key` as imported, in one write transaction; does
/// nothing when `key` is recorded already. So an arrival is stored exactly once however often
/// this is called, and a failure (of the sink or the write) stores and records nothing.
pub(crate) fn take_once(
    conn: &mut Connection,
    source: Source,
    key: &str,
    now: i64,
    arrival: &Arrival,
    sink: &mut Sink,
) -> Result<Taken> {
    db::write(conn, |tx| {
        if is_imported(tx, source, key)? {
            return Ok(Taken::AlreadyImported);
        }
        sink(tx, arrival)?;
        record(tx, source, key, now)?;
        Ok(Taken::Imported)
    })
}

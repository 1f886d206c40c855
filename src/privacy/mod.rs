//! A person's data on request (GDPR): everything the register holds about a contact, as one
//! JSON document, and the erasure of the contact — the record goes, and their name, e-mail
//! and phone are replaced in the log's texts, so no search finds them any more. Both are for
//! administrators; the erasure is confirmed and logged as `contact.erased`.

pub(crate) mod api;
pub(crate) mod pages;

use rusqlite::Connection;
use serde_json::{json, Value};

use crate::contacts::{store as contacts, Contact, ContactId};
use crate::db::Tx;
use crate::error::{Error, Result};
use crate::i18n::Lang;
use crate::log::audit::erase_words;
use crate::log::store::{name_links, EventKind, NewEvent};
use crate::log::{self, Sentence};
use crate::users::UserId;

/// The most events an export or erasure reads for one person. A person with more is a
/// register's mistake more than a person; the export says it was cut.
const MAX_EVENTS: i64 = 100_000;

/// The ids of the contact's events: those linked to them.
fn event_ids(conn: &Connection, id: ContactId) -> rusqlite::Result<Vec<i64>> {
    conn.prepare_cached("SELECT id FROM events WHERE contact_id = ?1 ORDER BY id LIMIT ?2")?
        .query_map(rusqlite::params![id.0, MAX_EVENTS], |r| r.get(0))?
        .collect()
}

/// The ids of the events whose texts hold `phrase` (by the full-text index, as a phrase).
fn mentioning(conn: &Connection, phrase: &str) -> rusqlite::Result<Vec<i64>> {
    let words: Vec<&str> = phrase
        .split(|c: char| !c.is_alphanumeric())
        .filter(|w| !w.is_empty())
        .collect();
    if words.is_empty() {
        return Ok(Vec::new());
    }
    conn.prepare_cached(
        "SELECT rowid FROM events_fts WHERE events_fts MATCH ?1 ORDER BY rowid LIMIT ?2",
    )?
    .query_map(
        rusqlite::params![format!("\"{}\"", words.join(" ")), MAX_EVENTS],
        |r| r.get(0),
    )?
    .collect()
}

/// What identifies the person in a text, longest first: the name both ways round, the
/// e-mail, the phone, and with `own` (the events about them) each name alone of three letters
/// or more. Another person's event that mentions them loses only what surely is them, never
/// a first name it may share with someone else.
fn identifying_words(p: &Contact, own: bool) -> Vec<String> {
    let mut words: Vec<String> = vec![
        format!("{} {}", p.first_name, p.last_name),
        format!("{} {}", p.last_name, p.first_name),
        p.email.clone(),
        p.phone.clone(),
    ]
    .into_iter()
    .map(|w| w.trim().to_string())
    .filter(|w| w.chars().count() >= 2)
    .collect();
    if own {
        words.extend(
            [&p.first_name, &p.last_name]
                .into_iter()
                .map(|w| w.trim().to_string())
                .filter(|w| w.chars().count() >= 3),
        );
    }
    words.sort_by_key(|w| std::cmp::Reverse(w.chars().count()));
    words.dedup();
    words
}

/// The most documents an export lists (and its ZIP holds) for one person.
const MAX_DOCUMENTS: i64 = 1000;

/// The documents linked to the person, newest first (by the index of the contact).
pub(crate) fn documents(
    conn: &Connection,
    id: ContactId,
) -> Result<Vec<crate::documents::Document>> {
    let mut query = crate::documents::list::ListQuery::new(crate::documents::list::Sort::Newest);
    query.filter.contact_id = Some(id.0);
    query.limit = MAX_DOCUMENTS;
    Ok(crate::register::list::page(conn, &query)?.0)
}

/// Everything about a contact as one JSON document: the contact, their customers and roles,
/// their events, their tasks, the list of their documents (the files themselves come in the
/// page's ZIP, `pages::export_zip`).
pub(crate) fn export(conn: &Connection, id: ContactId, lang: Lang) -> Result<Value> {
    let p = contacts::by_id(conn, id)?.ok_or(Error::NotFound)?;
    let links: Vec<Value> = p
        .customers
        .iter()
        .zip(&p.customer_names)
        .map(|(l, name)| json!({"customer_id": l.customer_id, "customer_name": name, "role": l.role}))
        .collect();
    let mut events = Vec::new();
    let mut read = conn.prepare_cached(
        "SELECT id FROM events WHERE contact_id = ?1 AND id > ?2 ORDER BY id LIMIT 1000",
    )?;
    let mut after = 0;
    // In batches, so a long history does not sit in one statement's sort.
    loop {
        let batch: Vec<i64> = read
            .query_map(rusqlite::params![id.0, after], |r| r.get(0))?
            .collect::<rusqlite::Result<_>>()?;
        let Some(last) = batch.last().copied() else {
            break;
        };
        for eid in batch {
            if let Some(mut e) = log::filter::event_by_id(conn, eid)? {
                e.summary = e.text(lang);
                events.push(e);
            }
        }
        after = last;
        if events.len() as i64 >= MAX_EVENTS {
            break;
        }
    }
    name_links(conn, &mut events)?;
    let task_ids: Vec<i64> = conn
        .prepare_cached("SELECT id FROM tasks WHERE contact_id = ?1 ORDER BY id LIMIT 10000")?
        .query_map([id.0], |r| r.get(0))?
        .collect::<rusqlite::Result<_>>()?;
    let mut tasks = Vec::new();
    for t in task_ids {
        tasks.extend(crate::tasks::store::by_id(conn, t)?);
    }
    Ok(json!({
        "exported_at": crate::now_rfc3339(),
        "contact": p,
        "customers": links,
        "events": events,
        "tasks": tasks,
        "documents": documents(conn, id)?,
    }))
}

/// What an erasure did.
#[derive(Debug, Clone, serde::Serialize)]
pub(crate) struct Erased {
    pub contact_id: i64,
    /// Events whose texts named the person and were rewritten.
    pub events_changed: usize,
}

/// Erases a contact: their names, e-mail and phone are replaced in the texts of every event
/// about them or naming them, the record and its links go, and `contact.erased` is logged
/// without naming them.
pub(crate) fn erase(tx: &Tx, id: ContactId, by: UserId) -> Result<Erased> {
    let p = contacts::by_id(tx, id)?.ok_or(Error::NotFound)?;
    let own = event_ids(tx, id)?;
    let mut others = Vec::new();
    for phrase in [p.full_name(), p.email.clone(), p.phone.clone()] {
        others.extend(mentioning(tx, &phrase)?);
    }
    others.sort_unstable();
    others.dedup();
    others.retain(|e| !own.contains(e));
    let lang = log::summary_lang(tx)?;
    let erased = lang.t("privacy.erased_text");
    let changed = erase_words(tx, &own, &identifying_words(&p, true), erased)?
        + erase_words(tx, &others, &identifying_words(&p, false), erased)?;
    // The record goes without the delete's own event, which would name them again.
    tx.execute("DELETE FROM contacts WHERE id = ?1", [id.0])?;
    let customers: Vec<i64> = p.customers.iter().map(|l| l.customer_id).collect();
    let mut event = NewEvent::said(
        EventKind::ContactErased,
        Sentence::new("summary.contact_erased").text("id", id.0.to_string()),
    )
    .by(by.0);
    event.contact_id = Some(id.0);
    // One event in each customer's log, as a delete does (or one on its own).
    if customers.is_empty() {
        log::append(tx, &event)?;
    }
    for c in customers {
        let mut e = event.clone();
        e.customer_id = Some(c);
        log::append(tx, &e)?;
    }
    Ok(Erased {
        contact_id: id.0,
        events_changed: changed,
    })
}

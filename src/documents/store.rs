//! SQL for documents and their versions, each change with its log event. The bytes go in
//! through `blob::fill` (a chunk at a time) inside the caller's transaction, so a failed
//! upload stores nothing.

use std::io::Read;

use rusqlite::{params, Connection, OptionalExtension, Row};

use super::list::Documents;
use super::{blob, extract, Document, DocumentId, DocumentInput, EmailMeta, Source, Version};
use crate::contacts::ContactId;
use crate::customers::CustomerId;
use crate::db::Tx;
use crate::error::{text_error, valid, Error, FieldError, Result};
use crate::log::{self, EventKind, NewEvent, Sentence};
use crate::register::list;
use crate::users::UserId;

/// The longest title and file name, in characters.
const MAX_TITLE: usize = 200;
const MAX_FILE_NAME: usize = 255;

/// A document to add: its details and where it came from; the bytes come beside it.
#[derive(Debug, Clone)]
pub(crate) struct NewDocument {
    /// Empty: the file name.
    pub title: String,
    pub file_name: String,
    pub content_type: String,
    pub source: Source,
    /// From, subject and date, for source `Email`.
    pub email: Option<EmailMeta>,
    pub customer_id: Option<CustomerId>,
    pub contact_id: Option<ContactId>,
}

pub(super) const COLUMNS: &str = "d.id, d.title, d.file_name, d.content_type, d.size, d.sha256, \
    d.customer_id, d.contact_id, d.incoming, d.source, d.email_from, d.email_subject, \
    d.email_date, d.version, d.created_at, d.updated_at, \
    (SELECT c.name FROM customers c WHERE c.id = d.customer_id), \
    (SELECT trim(p.first_name || ' ' || p.last_name) FROM contacts p WHERE p.id = d.contact_id)";

pub(super) fn from_row(r: &Row) -> rusqlite::Result<Document> {
    let source: String = r.get(9)?;
    Ok(Document {
        id: r.get(0)?,
        title: r.get(1)?,
        file_name: r.get(2)?,
        content_type: r.get(3)?,
        size: r.get(4)?,
        sha256: r.get(5)?,
        customer_id: r.get(6)?,
        contact_id: r.get(7)?,
        incoming: r.get(8)?,
        source: Source::parse(&source).unwrap_or(Source::Upload),
        email_from: r.get(10)?,
        email_subject: r.get(11)?,
        email_date: r.get(12)?,
        version: r.get(13)?,
        created_at: r.get(14)?,
        updated_at: r.get(15)?,
        customer_name: r.get(16)?,
        contact_name: r.get(17)?,
    })
}

pub(crate) fn by_id(conn: &Connection, id: DocumentId) -> rusqlite::Result<Option<Document>> {
    list::by_id::<Documents>(conn, id.0)
}

/// A file name as kept: the last segment of a path, no control characters, at most
/// `MAX_FILE_NAME` characters; "document" when nothing is left.
pub(crate) fn clean_file_name(name: &str) -> String {
    let last = name.rsplit(['/', '\\']).next().unwrap_or("");
    let cleaned: String = last
        .chars()
        .filter(|c| !c.is_control())
        .take(MAX_FILE_NAME)
        .collect();
    let cleaned = cleaned.trim();
    if cleaned.is_empty() || cleaned == "." || cleaned == ".." {
        "document".into()
    } else {
        cleaned.to_string()
    }
}

/// A content type as kept: the media type alone, lower case, when it is a well-formed
/// `type/subtype`; else (or when it says nothing, `application/octet-stream`) what the file
/// name's extension says.
pub(crate) fn clean_content_type(given: &str, file_name: &str) -> String {
    let essence = given
        .split(';')
        .next()
        .unwrap_or("")
        .trim()
        .to_ascii_lowercase();
    let token = |s: &str| {
        !s.is_empty()
            && s.len() <= 100
            && s.bytes()
                .all(|b| b.is_ascii_alphanumeric() || b"!#$&^_.+-".contains(&b))
    };
    let well_formed = essence
        .split_once('/')
        .is_some_and(|(t, s)| token(t) && token(s));
    if well_formed && essence != "application/octet-stream" {
        return essence;
    }
    let by_extension = match extract::extension(file_name).as_str() {
        "pdf" => "application/pdf",
        "png" => "image/png",
        "jpg" | "jpeg" => "image/jpeg",
        "gif" => "image/gif",
        "webp" => "image/webp",
        "txt" | "text" | "log" => "text/plain",
        "csv" => "text/csv",
        "md" => "text/markdown",
        "html" | "htm" => "text/html",
        "svg" => "image/svg+xml",
        "docx" => "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
        "xlsx" => "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        "odt" => "application/vnd.oasis.opendocument.text",
        "ods" => "application/vnd.oasis.opendocument.spreadsheet",
        "eml" => "message/rfc822",
        "zip" => "application/zip",
        _ => "application/octet-stream",
    };
    by_extension.to_string()
}

fn exists(conn: &Connection, sql: &str, id: i64) -> rusqlite::Result<bool> {
    Ok(conn
        .prepare_cached(sql)?
        .query_row([id], |_| Ok(()))
        .optional()?
        .is_some())
}

/// The errors of a customer and a contact that do not exist.
fn check_links(
    conn: &Connection,
    customer: Option<i64>,
    contact: Option<i64>,
    errors: &mut Vec<FieldError>,
) -> rusqlite::Result<()> {
    if let Some(id) = customer {
        if !exists(conn, "SELECT 1 FROM customers WHERE id = ?1", id)? {
            errors.push(FieldError {
                field: "customer_id",
                key: "documents.no_such_customer",
            });
        }
    }
    if let Some(id) = contact {
        if !exists(conn, "SELECT 1 FROM contacts WHERE id = ?1", id)? {
            errors.push(FieldError {
                field: "contact_id",
                key: "documents.no_such_contact",
            });
        }
    }
    Ok(())
}

/// A title as kept: trimmed; empty becomes the file name (cut to the longest title).
fn title_or_name(title: &str, file_name: &str) -> String {
    match title.trim() {
        "" => file_name.chars().take(MAX_TITLE).collect(),
        t => t.to_string(),
    }
}

/// The log event of a change to `doc`, linked to its customer and contact.
fn event(kind: EventKind, summary: Sentence, doc: &Document, by: Option<UserId>) -> NewEvent {
    let mut e = NewEvent::said(kind, summary);
    e.user_id = by.map(|u| u.0);
    e.customer_id = doc.customer_id;
    e.contact_id = doc.contact_id;
    e.document_id = Some(doc.id);
    e.search_text = doc.title.clone();
    e
}

/// Stores the bytes (streamed from `content`, `size` bytes, hex SHA-256 `sha256` already
/// computed) and the row, logs `document.added`, all inside `tx`. A file over the company's
/// limit (`document_max_mb`) is refused with 413 and nothing is stored.
pub(crate) fn add(
    tx: &Tx,
    new: &NewDocument,
    content: &mut dyn Read,
    size: u64,
    sha256: &str,
    by: Option<UserId>,
) -> Result<DocumentId> {
    let limit = crate::settings::load(tx)?.document_max_bytes();
    if size > limit {
        return Err(Error::TooLarge(limit));
    }
    let file_name = clean_file_name(&new.file_name);
    let content_type = clean_content_type(&new.content_type, &file_name);
    let title = title_or_name(&new.title, &file_name);
    let customer = new.customer_id.map(|c| c.0);
    let contact = new.contact_id.map(|c| c.0);
    let mut errors: Vec<FieldError> = text_error("title", &title, MAX_TITLE, false)
        .into_iter()
        .collect();
    check_links(tx, customer, contact, &mut errors)?;
    valid((), errors)?;
    let email = new.email.clone().unwrap_or_default();
    let opt = |s: &str| (!s.trim().is_empty()).then(|| s.trim().to_string());
    let now = crate::now_rfc3339();
    tx.prepare_cached(
        "INSERT INTO documents (title, customer_id, contact_id, incoming, source, email_from,
             email_subject, email_date, version, file_name, content_type, size, sha256,
             created_by, created_at, updated_at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, 1, ?9, ?10, ?11, ?12, ?13, ?14, ?14)",
    )?
    .execute(params![
        title,
        customer,
        contact,
        customer.is_none() && contact.is_none(),
        new.source.as_str(),
        opt(&email.from),
        opt(&email.subject),
        opt(&email.date),
        file_name,
        content_type,
        size as i64,
        sha256,
        by.map(|u| u.0),
        now,
    ])?;
    let id = tx.last_insert_rowid();
    store_version(
        tx,
        id,
        1,
        &file_name,
        &content_type,
        content,
        size,
        sha256,
        by,
        &now,
    )?;
    index(tx, id)?;
    let doc = by_id(tx, DocumentId(id))?.ok_or(Error::NotFound)?;
    let summary = Sentence::new("summary.document_added").text("title", &doc.title);
    log::append(tx, &event(EventKind::DocumentAdded, summary, &doc, by))?;
    Ok(DocumentId(id))
}

/// Writes version `version` of document `id` with its bytes, and its text for search.
#[allow(clippy::too_many_arguments)]
fn store_version(
    tx: &Tx,
    id: i64,
    version: i64,
    file_name: &str,
    content_type: &str,
    content: &mut dyn Read,
    size: u64,
    sha256: &str,
    by: Option<UserId>,
    now: &str,
) -> Result<()> {
    tx.prepare_cached(
        "INSERT INTO document_versions (document_id, version, file_name, content_type, size,
             sha256, created_by, created_at, content)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, zeroblob(?5))",
    )?
    .execute(params![
        id,
        version,
        file_name,
        content_type,
        size as i64,
        sha256,
        by.map(|u| u.0),
        now
    ])?;
    let row = tx.last_insert_rowid();
    blob::fill(tx, "document_versions", "content", row, content, size)?;
    // The text is read back from the database, only from files small enough to read whole.
    let text = if size <= extract::MAX_INPUT {
        let mut bytes = Vec::with_capacity(size as usize);
        blob::read_into(tx, "document_versions", "content", row, &mut bytes)?;
        extract::text_of(&bytes, file_name, content_type)
    } else {
        String::new()
    };
    tx.prepare_cached(
        "INSERT INTO document_texts (document_id, text) VALUES (?1, ?2)
         ON CONFLICT(document_id) DO UPDATE SET text = excluded.text",
    )?
    .execute(params![id, text])?;
    Ok(())
}

/// Writes the document's row of the search index again: title, file name and text.
fn index(tx: &Tx, id: i64) -> rusqlite::Result<()> {
    tx.prepare_cached("DELETE FROM documents_fts WHERE rowid = ?1")?
        .execute([id])?;
    tx.prepare_cached(
        "INSERT INTO documents_fts (rowid, title, file_name, body)
         SELECT d.id, d.title, d.file_name, coalesce(t.text, '')
         FROM documents d LEFT JOIN document_texts t ON t.document_id = d.id WHERE d.id = ?1",
    )?
    .execute([id])?;
    Ok(())
}

/// A new version of document `id` (its number one more than the last); the document shows it
/// from now on, the old ones stay downloadable. Logs `document.new_version`.
#[allow(clippy::too_many_arguments)]
pub(crate) fn new_version(
    tx: &Tx,
    id: DocumentId,
    file_name: &str,
    content_type: &str,
    content: &mut dyn Read,
    size: u64,
    sha256: &str,
    by: Option<UserId>,
) -> Result<Document> {
    let limit = crate::settings::load(tx)?.document_max_bytes();
    if size > limit {
        return Err(Error::TooLarge(limit));
    }
    let before = by_id(tx, id)?.ok_or(Error::NotFound)?;
    let file_name = clean_file_name(file_name);
    let content_type = clean_content_type(content_type, &file_name);
    let version = before.version + 1;
    let now = crate::now_rfc3339();
    store_version(
        tx,
        id.0,
        version,
        &file_name,
        &content_type,
        content,
        size,
        sha256,
        by,
        &now,
    )?;
    tx.prepare_cached(
        "UPDATE documents SET version = ?2, file_name = ?3, content_type = ?4, size = ?5,
             sha256 = ?6, updated_at = ?7 WHERE id = ?1",
    )?
    .execute(params![
        id.0,
        version,
        file_name,
        content_type,
        size as i64,
        sha256,
        now
    ])?;
    index(tx, id.0)?;
    let doc = by_id(tx, id)?.ok_or(Error::NotFound)?;
    let summary = Sentence::new("summary.document_new_version")
        .text("title", &doc.title)
        .text("version", version.to_string());
    log::append(tx, &event(EventKind::DocumentNewVersion, summary, &doc, by))?;
    Ok(doc)
}

/// Changes the title, customer and contact. Setting a customer or a contact takes the document
/// out of Incoming (logged `document.assigned`), clearing both puts it back (logged
/// `document.updated`, "unlinked"); a new title alone is `document.updated`.
pub(crate) fn update(
    tx: &Tx,
    id: DocumentId,
    input: &DocumentInput,
    by: Option<UserId>,
) -> Result<Document> {
    let before = by_id(tx, id)?.ok_or(Error::NotFound)?;
    let title = match &input.title {
        Some(t) => title_or_name(t, &before.file_name),
        None => before.title.clone(),
    };
    let customer = input.customer_id.unwrap_or(before.customer_id);
    let contact = input.contact_id.unwrap_or(before.contact_id);
    let mut errors: Vec<FieldError> = text_error("title", &title, MAX_TITLE, false)
        .into_iter()
        .collect();
    let new_customer = customer.filter(|c| Some(*c) != before.customer_id);
    let new_contact = contact.filter(|c| Some(*c) != before.contact_id);
    check_links(tx, new_customer, new_contact, &mut errors)?;
    valid((), errors)?;
    let links_changed = customer != before.customer_id || contact != before.contact_id;
    if title == before.title && !links_changed {
        return Ok(before);
    }
    // Clearing both links puts the document back under Incoming, to be assigned again; a
    // document whose customer was deleted stays where it is until someone changes its links.
    let incoming = if links_changed {
        customer.is_none() && contact.is_none()
    } else {
        before.incoming
    };
    tx.prepare_cached(
        "UPDATE documents SET title = ?2, customer_id = ?3, contact_id = ?4, incoming = ?5,
             updated_at = ?6 WHERE id = ?1",
    )?
    .execute(params![
        id.0,
        title,
        customer,
        contact,
        incoming,
        crate::now_rfc3339()
    ])?;
    index(tx, id.0)?;
    let doc = by_id(tx, id)?.ok_or(Error::NotFound)?;
    if links_changed && (customer.is_some() || contact.is_some()) {
        let to = [doc.customer_name.as_deref(), doc.contact_name.as_deref()]
            .into_iter()
            .flatten()
            .collect::<Vec<_>>()
            .join(", ");
        let summary = Sentence::new("summary.document_assigned")
            .text("title", &doc.title)
            .text("to", &to);
        log::append(tx, &event(EventKind::DocumentAssigned, summary, &doc, by))?;
    }
    if title != before.title || (links_changed && customer.is_none() && contact.is_none()) {
        let summary = if title != before.title {
            Sentence::new("summary.document_renamed")
                .text("from", &before.title)
                .text("to", &doc.title)
        } else {
            Sentence::new("summary.document_unlinked").text("title", &doc.title)
        };
        let mut e = event(EventKind::DocumentUpdated, summary, &doc, by);
        // An unlinked document's event still names where it was.
        e.customer_id = doc.customer_id.or(before.customer_id);
        e.contact_id = doc.contact_id.or(before.contact_id);
        log::append(tx, &e)?;
    }
    Ok(doc)
}

/// Deletes a document with every version of its bytes; its log events stay.
pub(crate) fn delete(tx: &Tx, id: DocumentId, by: Option<UserId>) -> Result<()> {
    let doc = by_id(tx, id)?.ok_or(Error::NotFound)?;
    let summary = Sentence::new("summary.document_deleted")
        .text("title", &doc.title)
        .text("file", &doc.file_name);
    log::append(tx, &event(EventKind::DocumentDeleted, summary, &doc, by))?;
    tx.prepare_cached("DELETE FROM documents WHERE id = ?1")?
        .execute([id.0])?;
    Ok(())
}

const VERSION_COLUMNS: &str =
    "id, version, file_name, content_type, size, sha256, created_by, created_at";

fn version_from_row(r: &Row) -> rusqlite::Result<Version> {
    Ok(Version {
        row: r.get(0)?,
        version: r.get(1)?,
        file_name: r.get(2)?,
        content_type: r.get(3)?,
        size: r.get(4)?,
        sha256: r.get(5)?,
        created_by: r.get(6)?,
        created_at: r.get(7)?,
    })
}

/// Every version of a document, newest first.
pub(crate) fn versions(conn: &Connection, id: DocumentId) -> rusqlite::Result<Vec<Version>> {
    conn.prepare_cached(&format!(
        "SELECT {VERSION_COLUMNS} FROM document_versions WHERE document_id = ?1
         ORDER BY version DESC"
    ))?
    .query_map([id.0], version_from_row)?
    .collect()
}

/// One version of a document; `None` for the current one.
pub(crate) fn version(
    conn: &Connection,
    id: DocumentId,
    version: Option<i64>,
) -> rusqlite::Result<Option<Version>> {
    let sql = format!(
        "SELECT {VERSION_COLUMNS} FROM document_versions WHERE document_id = ?1
         AND version = coalesce(?2, (SELECT d.version FROM documents d WHERE d.id = ?1))"
    );
    conn.prepare_cached(&sql)?
        .query_row(params![id.0, version], version_from_row)
        .optional()
}

/// The text kept for search (the start of it, for the details page).
pub(crate) fn text(conn: &Connection, id: DocumentId) -> rusqlite::Result<String> {
    Ok(conn
        .prepare_cached("SELECT text FROM document_texts WHERE document_id = ?1")?
        .query_row([id.0], |r| r.get(0))
        .optional()?
        .unwrap_or_default())
}

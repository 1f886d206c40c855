//! Documents: files kept inside the database (the one-file invariant), linked to a customer
//! and a contact, or waiting under Incoming (Saapuneet) until someone assigns them. The bytes
//! go in and out in chunks through SQLite's incremental BLOB I/O (`blob`), never whole in
//! memory; every version is kept; the text of text, .docx, .odt and PDF files is searchable
//! (`extract`); Incoming suggests the customer a file belongs to (`suggest`).

pub(crate) mod api;
pub(crate) mod blob;
pub(crate) mod email;
pub(crate) mod extract;
pub mod list;
pub(crate) mod pages;
pub(crate) mod serve;
pub(crate) mod store;
pub mod suggest;

use serde::{Deserialize, Serialize};

use crate::customers::double_option;

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(transparent)]
pub struct DocumentId(pub i64);

keyed_enum! {
    /// Where a document came from.
    #[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
    #[serde(rename_all = "lowercase")]
    pub enum Source {
        Upload = "upload",
        Email = "email",
        Folder = "folder",
        Api = "api",
    }
}

/// Where an e-mailed document came from: the message's From, Subject and Date.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct EmailMeta {
    pub from: String,
    pub subject: String,
    /// RFC 3339, or unix seconds as text; kept as given.
    pub date: String,
}

/// A document as the pages and the API show it: its current version's file.
#[derive(Debug, Clone, Serialize)]
pub struct Document {
    pub id: i64,
    pub title: String,
    #[serde(rename = "filename")]
    pub file_name: String,
    pub content_type: String,
    pub size: i64,
    pub sha256: String,
    pub customer_id: Option<i64>,
    pub contact_id: Option<i64>,
    pub incoming: bool,
    pub source: Source,
    pub email_from: Option<String>,
    pub email_subject: Option<String>,
    pub email_date: Option<String>,
    pub version: i64,
    pub created_at: String,
    pub updated_at: String,
    #[serde(skip)]
    pub customer_name: Option<String>,
    #[serde(skip)]
    pub contact_name: Option<String>,
}

/// One version of a document's file.
#[derive(Debug, Clone, Serialize)]
pub struct Version {
    /// The row of the bytes (`document_versions.id`).
    #[serde(skip)]
    pub row: i64,
    pub version: i64,
    #[serde(rename = "filename")]
    pub file_name: String,
    pub content_type: String,
    pub size: i64,
    pub sha256: String,
    pub created_by: Option<i64>,
    pub created_at: String,
}

/// What a `PATCH` or the details form changes; `None` leaves a field, `Some(None)` clears it.
#[derive(Debug, Clone, Default, Deserialize)]
pub(crate) struct DocumentInput {
    pub title: Option<String>,
    #[serde(default, deserialize_with = "double_option")]
    pub customer_id: Option<Option<i64>>,
    #[serde(default, deserialize_with = "double_option")]
    pub contact_id: Option<Option<i64>>,
}

//! E-mail and dropped files in: what the inbox takes in (an uploaded `.eml`,
//! `POST /api/v1/documents/email`, the watched folder, the IMAP mailbox) stored as incoming
//! documents. Each file of an arrival becomes its own document, with the message's From,
//! Subject and Date when it came in a message. The inbox parses and remembers; this module only
//! stores, in the transaction the inbox hands over (documents → inbox, never back).

use std::io::Read;

use chrono::{DateTime, SecondsFormat};
use serde_json::json;
use sha2::{Digest, Sha256};

use super::store::{self, NewDocument};
use super::{DocumentId, EmailMeta, Source};
use crate::db;
use crate::error::{Error, Result};
use crate::http::{Ctx, Resp};
use crate::inbox::message::MailMeta;
use crate::inbox::{self, Arrival, Via};
use crate::users::UserId;

/// The `source` a document gets from how it came in: the watched folder is `folder` (also for
/// an `.eml` dropped there), a message from anywhere else is `email`.
fn source_of(via: Via) -> Source {
    match via {
        Via::Folder => Source::Folder,
        Via::Upload | Via::Api | Via::Imap => Source::Email,
    }
}

/// The message's sender, subject and date as documents keep them (the date in RFC 3339, UTC).
fn email_meta(meta: &MailMeta) -> EmailMeta {
    EmailMeta {
        from: meta.from.clone(),
        subject: meta.subject.clone(),
        date: meta
            .date
            .and_then(|secs| DateTime::from_timestamp(secs, 0))
            .map(|d| d.to_rfc3339_opts(SecondsFormat::Secs, true))
            .unwrap_or_default(),
    }
}

/// Stores every file of `arrival` as an incoming document in `tx`, added by `by` (`None` for
/// the background jobs). A file over the company's limit fails the whole arrival (413).
pub(crate) fn store_arrival(
    tx: &crate::db::Tx,
    arrival: &Arrival,
    by: Option<UserId>,
) -> Result<Vec<DocumentId>> {
    let email = arrival.email.map(email_meta);
    let mut ids = Vec::with_capacity(arrival.files.len());
    for file in arrival.files {
        let new = NewDocument {
            title: String::new(),
            file_name: file.file_name.clone(),
            content_type: file.content_type.clone(),
            source: source_of(arrival.via),
            email: email.clone(),
            customer_id: None,
            contact_id: None,
        };
        let sha256 = crate::auth::hex(&Sha256::digest(&file.bytes));
        let mut content: &[u8] = &file.bytes;
        ids.push(store::add(
            tx,
            &new,
            &mut content,
            file.bytes.len() as u64,
            &sha256,
            by,
        )?);
    }
    Ok(ids)
}

/// The sink of the server's inbox jobs (`INBOX_SINK` in `server/run.rs`).
pub(crate) fn inbox_sink(tx: &crate::db::Tx, arrival: &Arrival) -> Result<()> {
    store_arrival(tx, arrival, None).map(|_| ())
}

/// Reads a message of at most `limit` bytes from `body`: `Error::TooLarge` beyond it.
pub(crate) fn read_message(body: impl Read, limit: u64) -> Result<Vec<u8>> {
    let mut raw = Vec::new();
    body.take(limit + 1).read_to_end(&mut raw)?;
    if raw.len() as u64 > limit {
        return Err(Error::TooLarge(limit));
    }
    Ok(raw)
}

/// Imports messages given by a person or a program in one transaction: all of them or, when
/// one is refused, none. Each is a name (for the error) and a reader of its raw bytes, read
/// only when its turn comes, so that one message at a time is in memory. An error names the
/// message it is about.
pub(crate) fn import_messages(
    ctx: &mut Ctx,
    messages: Vec<(String, Box<dyn Read + '_>)>,
    via: Via,
) -> std::result::Result<Vec<DocumentId>, (String, Error)> {
    let by = ctx.user().map_err(|e| (String::new(), e))?.id;
    let limit = inbox::message_limit(&ctx.settings);
    let mut failed_on = String::new();
    db::write(ctx.conn, |tx| {
        let mut ids = Vec::new();
        for (name, body) in messages {
            failed_on = name;
            let raw = read_message(body, limit as u64)?;
            inbox::import_message(tx, &raw, via, limit, &mut |tx, arrival| {
                ids.extend(store_arrival(tx, arrival, Some(by))?);
                Ok(())
            })?;
        }
        Ok(ids)
    })
    .map_err(|e| (failed_on, e))
}

/// `POST /api/v1/documents/email`: the body is one raw message (`message/rfc822`); every
/// attachment becomes an incoming document (the whole message when it has none) → 201
/// `{"items": [...]}`.
pub(crate) fn api_create(ctx: &mut Ctx) -> Result<Resp> {
    let ctype = ctx
        .header("content-type")
        .unwrap_or("")
        .to_ascii_lowercase();
    if ctype.split(';').next().unwrap_or("").trim() != "message/rfc822" {
        return Err(Error::UnsupportedMediaType);
    }
    let body = ctx.take_body();
    let ids = import_messages(ctx, vec![(String::new(), body)], Via::Api).map_err(|(_, e)| e)?;
    let mut items = Vec::with_capacity(ids.len());
    for id in ids {
        items.push(store::by_id(ctx.conn, id)?.ok_or(Error::NotFound)?);
    }
    Ok(Resp::json(201, &json!({ "items": items })))
}

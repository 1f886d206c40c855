//! Demo documents: one small text file (a quote, a few hundred bytes) for every `EVERY`
//! customers, linked to the customer; one in ten of them came by e-mail and waits under
//! Incoming, its subject naming the customer's business ID so that the suggestion finds it.
//! Written with the same columns the documents store writes, its search row included.

use rusqlite::{params, Connection};

use super::words::{stamp, Ev};
use crate::i18n::Lang;
use crate::log::EventKind;

/// One customer in this many gets a document: a million customers add 20,000 small files.
pub(super) const EVERY: u64 = 50;

/// The document of one customer.
pub(super) struct Demo<'a> {
    pub customer: i64,
    pub name: &'a str,
    pub number: &'a str,
    pub business_id: Option<&'a str>,
    pub email: &'a str,
    /// When it was added (unix seconds).
    pub at: i64,
    /// Came by e-mail, not yet linked.
    pub incoming: bool,
}

const INSERT_DOCUMENT: &str = "INSERT INTO documents (title, customer_id, contact_id, incoming,
    source, email_from, email_subject, email_date, version, file_name, content_type, size, sha256,
    created_by, created_at, updated_at)
    VALUES (?1, ?2, NULL, ?3, ?4, ?5, ?6, ?7, 1, ?8, 'text/plain', ?9, ?10, ?11, ?7, ?7)";
const INSERT_VERSION: &str = "INSERT INTO document_versions (document_id, version, file_name,
    content_type, size, sha256, created_by, created_at, content)
    VALUES (?1, 1, ?2, 'text/plain', ?3, ?4, ?5, ?6, ?7)";
const INSERT_TEXT: &str = "INSERT INTO document_texts (document_id, text) VALUES (?1, ?2)";
const INSERT_SEARCH: &str =
    "INSERT INTO documents_fts (rowid, title, file_name, body) VALUES (?1, ?2, ?3, ?4)";

/// Writes the document and returns its `document.added` event, for the chunk's log.
pub(super) fn write(
    tx: &Connection,
    d: &Demo,
    by: Option<i64>,
    lang: Lang,
) -> rusqlite::Result<Ev> {
    let fi = lang == Lang::Fi;
    let title = if fi {
        format!("Tarjous – {}", d.name)
    } else {
        format!("Quote – {}", d.name)
    };
    let file_name = if fi {
        format!("tarjous-{}.txt", d.number)
    } else {
        format!("quote-{}.txt", d.number)
    };
    let bid = d.business_id.unwrap_or("");
    let text = if fi {
        format!(
            "Tarjous\n\nAsiakas: {} ({bid})\nAsiakasnumero: {}\n\nTarjoamme huoltosopimuksen ajalle 1.1.–31.12. \
             Hinta 1 200,00 € + alv 25,5 %.\nTarjous on voimassa 30 päivää.\n",
            d.name, d.number
        )
    } else {
        format!(
            "Quote\n\nCustomer: {} ({bid})\nCustomer number: {}\n\nWe offer a service agreement for \
             1 Jan – 31 Dec. Price EUR 1,200.00 + VAT 25.5%.\nThe offer is valid for 30 days.\n",
            d.name, d.number
        )
    };
    let sha = {
        use sha2::Digest;
        crate::auth::hex(&sha2::Sha256::digest(text.as_bytes()))
    };
    let at = stamp(d.at);
    let (customer, source, from, subject) = if d.incoming {
        let subject = if fi {
            format!("Tarjouspyyntö, Y-tunnus {bid}")
        } else {
            format!("Request for a quote, business ID {bid}")
        };
        (None, "email", Some(d.email), Some(subject))
    } else {
        (Some(d.customer), "upload", None, None)
    };
    tx.prepare_cached(INSERT_DOCUMENT)?.execute(params![
        title,
        customer,
        d.incoming,
        source,
        from,
        subject,
        at,
        file_name,
        text.len() as i64,
        sha,
        by,
    ])?;
    let id = tx.last_insert_rowid();
    tx.prepare_cached(INSERT_VERSION)?.execute(params![
        id,
        file_name,
        text.len() as i64,
        sha,
        by,
        at,
        text.as_bytes()
    ])?;
    tx.prepare_cached(INSERT_TEXT)?.execute(params![id, text])?;
    tx.prepare_cached(INSERT_SEARCH)?
        .execute(params![id, title, file_name, text])?;
    Ok(Ev {
        at: d.at,
        kind: EventKind::DocumentAdded,
        // An incoming document is linked to no one yet.
        customer,
        contact: None,
        user: by,
        summary: lang.tf("summary.document_added", &[("title", &title)]),
        amount: None,
        reference: None,
        search: title.clone(),
        task: None,
        document: Some(id),
    })
}

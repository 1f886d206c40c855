//! The match Incoming suggests for a document, strongest evidence first: the sender's address
//! is a contact's or a customer's; a business ID (valid check digit) in the subject, title or
//! text is a customer's; the sender's domain is a customer's e-mail domain or website (not
//! for free mail services); a customer number named as one ("asiakasnumero 1001") in the
//! subject or title. Every look-up is one indexed query.

use rusqlite::{Connection, OptionalExtension};

use super::Document;
use crate::customers::BusinessId;
use crate::error::is_email;

/// Why a match is suggested.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Reason {
    ContactEmail,
    CustomerEmail,
    BusinessId,
    Domain,
    CustomerNumber,
}

impl Reason {
    /// The i18n key of the reason.
    pub(crate) fn key(self) -> &'static str {
        match self {
            Reason::ContactEmail => "documents.reason_contact_email",
            Reason::CustomerEmail => "documents.reason_customer_email",
            Reason::BusinessId => "documents.reason_business_id",
            Reason::Domain => "documents.reason_domain",
            Reason::CustomerNumber => "documents.reason_customer_number",
        }
    }
}

/// A customer's or a contact's id and name.
pub(crate) type Named = (i64, String);

/// A customer (and maybe a contact) a document probably belongs to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Suggestion {
    pub customer: Option<Named>,
    pub contact: Option<Named>,
    pub reason: Reason,
}

/// Mail services whose domain says nothing about the sender's company.
const FREE_MAIL: &[&str] = &[
    "gmail.com",
    "googlemail.com",
    "outlook.com",
    "hotmail.com",
    "hotmail.fi",
    "live.com",
    "live.fi",
    "msn.com",
    "yahoo.com",
    "yahoo.fi",
    "icloud.com",
    "me.com",
    "aol.com",
    "proton.me",
    "protonmail.com",
    "gmx.com",
    "gmx.net",
    "luukku.com",
    "suomi24.fi",
    "elisanet.fi",
    "kolumbus.fi",
    "dnainternet.net",
    "saunalahti.fi",
    "netti.fi",
    "pp.inet.fi",
    "welho.com",
    "mail.com",
    "zoho.com",
    "yandex.com",
];

/// The words that announce a customer number in a subject.
const NUMBER_WORDS: &[&str] = &[
    "asiakasnumero",
    "asiakasnro",
    "asiakasnro.",
    "asnro",
    "as.nro",
    "customer",
    "asiakas",
];

/// The address in a From header (`Name <a@b.fi>` or `a@b.fi`), lower case.
pub(crate) fn sender_address(from: &str) -> Option<String> {
    let inner = match (from.rfind('<'), from.rfind('>')) {
        (Some(open), Some(close)) if open < close => &from[open + 1..close],
        _ => from,
    };
    let address = inner.trim().to_lowercase();
    is_email(&address).then_some(address)
}

/// The business IDs (`1234567-8`, valid check digit) in a text, in order, without repeats.
pub(crate) fn business_ids(text: &str) -> Vec<BusinessId> {
    let bytes = text.as_bytes();
    let mut out: Vec<BusinessId> = Vec::new();
    let mut i = 0;
    while i + 9 <= bytes.len() {
        let window = &bytes[i..i + 9];
        let boundary_before = i == 0 || !bytes[i - 1].is_ascii_digit();
        let boundary_after = bytes.get(i + 9).is_none_or(|b| !b.is_ascii_digit());
        let shaped = window[..7].iter().all(u8::is_ascii_digit)
            && window[7] == b'-'
            && window[8].is_ascii_digit();
        if shaped && boundary_before && boundary_after {
            if let Ok(id) = BusinessId::parse(&text[i..i + 9]) {
                if !out.contains(&id) {
                    out.push(id);
                }
            }
            i += 9;
        } else {
            i += 1;
        }
    }
    out
}

/// Customer numbers a text names after a word such as "asiakasnumero" (`asiakasnumero: 1001`).
fn customer_numbers(text: &str) -> Vec<String> {
    let words: Vec<String> = text
        .split(|c: char| c.is_whitespace() || c == ':' || c == '#' || c == ',')
        .filter(|w| !w.is_empty())
        .map(str::to_lowercase)
        .collect();
    let mut out = Vec::new();
    for pair in words.windows(2) {
        let number = pair[1].trim_matches(|c: char| !c.is_alphanumeric());
        if NUMBER_WORDS.contains(&pair[0].as_str())
            && number.chars().any(|c| c.is_ascii_digit())
            && number.len() <= 30
        {
            out.push(number.to_uppercase());
        }
    }
    out
}

// The conditions customers are found by, each answered by an index of customers.
const BY_EMAIL: &str = "c.email = ?1 COLLATE NOCASE AND c.email <> ''";
const BY_BUSINESS_ID: &str = "c.business_id = ?1";
const BY_EMAIL_DOMAIN: &str =
    "lower(substr(c.email, instr(c.email, '@') + 1)) = ?1 AND c.email <> ''";
const BY_WEBSITE: &str =
    "c.website COLLATE NOCASE IN (SELECT value FROM json_each(?1)) AND c.website <> ''";
const BY_NUMBER: &str = "c.number = ?1";

const CONTACT_BY_EMAIL: &str =
    "SELECT p.id, trim(p.first_name || ' ' || p.last_name) FROM contacts p
     WHERE p.email = ?1 COLLATE NOCASE AND p.email <> '' ORDER BY p.id LIMIT 1";
const CUSTOMER_OF_CONTACT: &str = "SELECT c.id, c.name FROM customer_contacts cc
     JOIN customers c ON c.id = cc.customer_id WHERE cc.contact_id = ?1 ORDER BY c.archived, c.id LIMIT 1";

/// The statements that find the first customer by `condition`: the oldest active one, else the
/// oldest archived one. Two walks in id order (the order of each index's entries for one
/// value), so that neither reads the row of every match to sort them: a company's shared
/// address or its domain may stand for a hundred customers. The `+` keeps the planner from
/// walking every active customer's row instead.
fn customer_sql(condition: &str) -> [String; 2] {
    let select = format!("SELECT c.id, c.name FROM customers c WHERE {condition}");
    [
        format!("{select} AND +c.archived = 0 ORDER BY c.id LIMIT 1"),
        format!("{select} ORDER BY c.id LIMIT 1"),
    ]
}

/// Every statement the suggestions run, for the query-plan test.
pub fn lookup_sql() -> Vec<String> {
    let mut out: Vec<String> = [
        BY_EMAIL,
        BY_BUSINESS_ID,
        BY_EMAIL_DOMAIN,
        BY_WEBSITE,
        BY_NUMBER,
    ]
    .iter()
    .flat_map(|c| customer_sql(c))
    .collect();
    out.push(CONTACT_BY_EMAIL.into());
    out.push(CUSTOMER_OF_CONTACT.into());
    out
}

fn customer_where(
    conn: &Connection,
    condition: &str,
    arg: &dyn rusqlite::ToSql,
) -> rusqlite::Result<Option<Named>> {
    for sql in customer_sql(condition) {
        let found = conn
            .prepare_cached(&sql)?
            .query_row([arg], |r| Ok((r.get(0)?, r.get(1)?)))
            .optional()?;
        if found.is_some() {
            return Ok(found);
        }
    }
    Ok(None)
}

/// The contact with this e-mail address and its first customer.
fn contact_by_email(
    conn: &Connection,
    address: &str,
) -> rusqlite::Result<Option<(Named, Option<Named>)>> {
    let contact: Option<Named> = conn
        .prepare_cached(CONTACT_BY_EMAIL)?
        .query_row([address], |r| Ok((r.get(0)?, r.get(1)?)))
        .optional()?;
    let Some(contact) = contact else {
        return Ok(None);
    };
    let customer = conn
        .prepare_cached(CUSTOMER_OF_CONTACT)?
        .query_row([contact.0], |r| Ok((r.get(0)?, r.get(1)?)))
        .optional()?;
    Ok(Some((contact, customer)))
}

/// The addresses a website of `domain` is written as (`firma.fi`, `https://www.firma.fi/`, …).
fn website_forms(domain: &str) -> Vec<String> {
    let mut out = Vec::new();
    for host in [domain.to_string(), format!("www.{domain}")] {
        for scheme in ["", "http://", "https://"] {
            for slash in ["", "/"] {
                out.push(format!("{scheme}{host}{slash}"));
            }
        }
    }
    out
}

/// The best match for a document: from its sender, subject, title and `text` (its searchable
/// text); `None` when nothing points anywhere.
pub(crate) fn suggest(
    conn: &Connection,
    doc: &Document,
    text: &str,
) -> rusqlite::Result<Option<Suggestion>> {
    let sender = doc.email_from.as_deref().and_then(sender_address);
    if let Some(address) = &sender {
        if let Some((contact, customer)) = contact_by_email(conn, address)? {
            return Ok(Some(Suggestion {
                customer,
                contact: Some(contact),
                reason: Reason::ContactEmail,
            }));
        }
        let found = customer_where(conn, BY_EMAIL, address)?;
        if let Some(customer) = found {
            return Ok(Some(customer_only(customer, Reason::CustomerEmail)));
        }
    }
    let subject = doc.email_subject.clone().unwrap_or_default();
    // The text's start is enough: an ID that matters is on the first page.
    let head: String = text.chars().take(20_000).collect();
    for id in business_ids(&format!("{subject}\n{}\n{head}", doc.title)) {
        if let Some(customer) = customer_where(conn, BY_BUSINESS_ID, &id.as_str())? {
            return Ok(Some(customer_only(customer, Reason::BusinessId)));
        }
    }
    if let Some(domain) = sender
        .as_deref()
        .and_then(|a| a.split_once('@'))
        .map(|(_, d)| d)
    {
        if !FREE_MAIL.contains(&domain) {
            let by_email = customer_where(conn, BY_EMAIL_DOMAIN, &domain)?;
            let found = match by_email {
                Some(c) => Some(c),
                None => {
                    let forms = serde_json::to_string(&website_forms(domain)).unwrap_or_default();
                    customer_where(conn, BY_WEBSITE, &forms)?
                }
            };
            if let Some(customer) = found {
                return Ok(Some(customer_only(customer, Reason::Domain)));
            }
        }
    }
    for number in customer_numbers(&format!("{subject} {}", doc.title)) {
        if let Some(customer) = customer_where(conn, BY_NUMBER, &number)? {
            return Ok(Some(customer_only(customer, Reason::CustomerNumber)));
        }
    }
    Ok(None)
}

fn customer_only(customer: Named, reason: Reason) -> Suggestion {
    Suggestion {
        customer: Some(customer),
        contact: None,
        reason,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::documents::store::{self, NewDocument};
    use crate::documents::{DocumentId, EmailMeta, Source};

    /// A document e-mailed from `from`, added as the inbox adds one.
    fn mailed(conn: &mut Connection, from: &str, subject: &str) -> Document {
        let new = NewDocument {
            title: String::new(),
            file_name: "liite.pdf".into(),
            content_type: "application/pdf".into(),
            source: Source::Email,
            email: Some(EmailMeta {
                from: from.into(),
                subject: subject.into(),
                date: "2026-11-22T09:15:00Z".into(),
            }),
            customer_id: None,
            contact_id: None,
        };
        let id = crate::db::write(conn, |tx| {
            store::add(tx, &new, &mut &b"%PDF-1.4"[..], 8, "00", None)
        })
        .unwrap();
        store::by_id(conn, id).unwrap().unwrap()
    }

    #[test]
    fn the_sender_points_to_a_contact_a_customer_or_a_domain() {
        let dir = tempfile::tempdir().unwrap();
        let mut conn = crate::db::open(&dir.path().join("s.db")).unwrap();
        conn.execute_batch(
            "INSERT INTO customers (id, number, name, name_key, email, website, created_at, updated_at) VALUES
                (1, '1001', 'Firma Oy', 'firma', 'info@firma.fi', '', 'x', 'x'),
                (2, '1002', 'Rakennus Oy', 'rakennus', '', 'https://www.rakennus.fi/', 'x', 'x'),
                (3, '1003', 'Asiakas Oy', 'asiakas', '', '', 'x', 'x');
             INSERT INTO contacts (id, first_name, last_name, email, created_at, updated_at) VALUES
                (7, 'Pekka', 'Puupää', 'pekka@asiakas.fi', 'x', 'x');
             INSERT INTO customer_contacts (customer_id, contact_id, role) VALUES (3, 7, '');",
        )
        .unwrap();
        let cases = [
            (
                "Pekka <Pekka@Asiakas.FI>",
                Some((Some(3), Some(7), Reason::ContactEmail)),
            ),
            (
                "info@firma.fi",
                Some((Some(1), None, Reason::CustomerEmail)),
            ),
            (
                "Laskutus <laskutus@firma.fi>",
                Some((Some(1), None, Reason::Domain)),
            ),
            ("x@rakennus.fi", Some((Some(2), None, Reason::Domain))),
            ("joku@gmail.com", None),
        ];
        for (from, want) in cases {
            let doc = mailed(&mut conn, from, "Tarjous");
            assert!(doc.incoming);
            assert_eq!(doc.source, Source::Email);
            assert_eq!(doc.email_from.as_deref(), Some(from));
            let got = suggest(&conn, &doc, "").unwrap();
            let got = got.map(|s| (s.customer.map(|c| c.0), s.contact.map(|c| c.0), s.reason));
            assert_eq!(got, want, "{from}");
        }
        // A customer number named in the subject.
        let doc = mailed(&mut conn, "joku@gmail.com", "Asiakasnro 1002: lasku");
        let got = suggest(&conn, &doc, "").unwrap().unwrap();
        assert_eq!(
            (got.customer.unwrap().0, got.reason),
            (2, Reason::CustomerNumber)
        );
        let added: i64 = conn
            .query_row(
                "SELECT count(*) FROM events WHERE kind = 'document.added'",
                [],
                |r| r.get(0),
            )
            .unwrap();
        assert_eq!(added, 6);
        assert!(store::by_id(&conn, DocumentId(999)).unwrap().is_none());
    }

    #[test]
    fn senders_business_ids_and_numbers_are_read_from_text() {
        assert_eq!(
            sender_address("Aino Asiakas <Aino@Firma.FI>").as_deref(),
            Some("aino@firma.fi")
        );
        assert_eq!(
            sender_address("aino@firma.fi").as_deref(),
            Some("aino@firma.fi")
        );
        assert_eq!(sender_address("ei osoitetta"), None);
        let ids = business_ids("Lasku 0112038-9 ja 0112038-8 ja 10112038-9 sekä 0112038-9.");
        assert_eq!(
            ids.iter().map(BusinessId::as_str).collect::<Vec<_>>(),
            ["0112038-9"]
        );
        assert_eq!(
            customer_numbers("Re: Asiakasnumero: 1001, tilaus"),
            ["1001"]
        );
        assert_eq!(customer_numbers("Lasku 2024"), Vec::<String>::new());
    }
}

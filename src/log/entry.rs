//! Entries people record themselves: a note, call, meeting or e-mail, or an invoice or payment
//! (from the form, the API or an invoicing program), at the time it happened. The app's own
//! kinds (`customer.deleted`, …) are written only by the app.

use chrono::{DateTime, NaiveDateTime, TimeZone, Utc};
use chrono_tz::Tz;
use rusqlite::{Connection, OptionalExtension};
use serde::Deserialize;

use super::store::{append, EventKind, NewEvent};
use crate::db::Tx;
use crate::error::{text_error, valid, Error, FieldError, Result};

/// The kinds a person may record, in the order the form offers them.
pub const MANUAL_KINDS: [EventKind; 6] = [
    EventKind::Note,
    EventKind::Call,
    EventKind::Meeting,
    EventKind::Email,
    EventKind::Invoice,
    EventKind::Payment,
];

/// The longest text of an entry.
const TEXT_MAX: usize = 10_000;

/// An entry as it comes in (the API's JSON; the form fills the same).
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EntryInput {
    #[serde(default)]
    pub kind: String,
    /// RFC 3339; the form's local `YYYY-MM-DDTHH:MM` is turned into this first. None: now.
    #[serde(default)]
    pub at: Option<String>,
    #[serde(default)]
    pub summary: String,
    #[serde(default)]
    pub customer_id: Option<i64>,
    #[serde(default)]
    pub contact_id: Option<i64>,
    #[serde(default)]
    pub amount: Option<String>,
    #[serde(default)]
    pub currency: Option<String>,
    #[serde(default)]
    pub reference: Option<String>,
}

/// `1 234,50`, `-12.5` or `100` as a decimal text with a point (`1234.50`, `-12.5`, `100`);
/// `None` when it is not a number of at most two decimals.
pub(crate) fn decimal(text: &str) -> Option<String> {
    let t: String = text
        .trim()
        .chars()
        .filter(|c| !c.is_whitespace() && *c != '\u{a0}')
        .map(|c| if c == ',' { '.' } else { c })
        .collect();
    let digits = t.strip_prefix('-').unwrap_or(&t);
    let (whole, cents) = digits.split_once('.').unwrap_or((digits, ""));
    let ok = !whole.is_empty()
        && whole.len() <= 15
        && whole.chars().all(|c| c.is_ascii_digit())
        && cents.len() <= 2
        && cents.chars().all(|c| c.is_ascii_digit())
        && !(digits.contains('.') && cents.is_empty());
    ok.then_some(t)
}

/// A time from the form (`YYYY-MM-DDTHH:MM` in the company's zone) or the API (RFC 3339), as
/// the log keeps times (RFC 3339 UTC, to the second).
pub(crate) fn parse_time(text: &str, tz: Tz) -> Option<String> {
    let text = text.trim();
    let utc = if let Ok(t) = DateTime::parse_from_rfc3339(text) {
        t.with_timezone(&Utc)
    } else {
        let local = NaiveDateTime::parse_from_str(text, "%Y-%m-%dT%H:%M")
            .or_else(|_| NaiveDateTime::parse_from_str(text, "%Y-%m-%dT%H:%M:%S"))
            .ok()?;
        tz.from_local_datetime(&local)
            .earliest()?
            .with_timezone(&Utc)
    };
    use chrono::Datelike;
    (1900..=2200)
        .contains(&utc.year())
        .then(|| utc.to_rfc3339_opts(chrono::SecondsFormat::Secs, true))
}

/// Checks an entry and records it in the log; returns the event's id.
pub(crate) fn record(tx: &Tx, input: &EntryInput, by: Option<i64>, tz: Tz) -> Result<i64> {
    let event = prepare(tx, input, by, tz)?;
    Ok(append(tx, &event)?)
}

/// Checks an entry as `record` does, writing nothing (an import's check of its rows).
pub(crate) fn check(conn: &Connection, input: &EntryInput) -> Result<()> {
    prepare(conn, input, None, chrono_tz::UTC).map(|_| ())
}

/// The event of an entry, or the errors at its fields.
fn prepare(tx: &Connection, input: &EntryInput, by: Option<i64>, tz: Tz) -> Result<NewEvent> {
    let mut errors = Vec::new();
    let mut err = |field: &'static str, key: &'static str| errors.push(FieldError { field, key });
    let kind = match EventKind::parse(input.kind.trim()) {
        Some(k) if MANUAL_KINDS.contains(&k) => Some(k),
        Some(_) => {
            err("kind", "log.kind_not_manual");
            None
        }
        None => {
            err("kind", "log.kind_invalid");
            None
        }
    };
    let money = matches!(kind, Some(EventKind::Invoice | EventKind::Payment));
    let summary = input.summary.trim().to_string();
    if let Some(e) = text_error("summary", &summary, TEXT_MAX, true) {
        err(e.field, e.key);
    } else if summary.is_empty() && !money {
        err("summary", "log.text_required");
    }
    let at = match input.at.as_deref().map(str::trim) {
        None | Some("") => None,
        Some(t) => match parse_time(t, tz) {
            Some(at) => Some(at),
            None => {
                err("at", "log.time_invalid");
                None
            }
        },
    };
    let blank = |v: &Option<String>| {
        v.as_deref()
            .map(str::trim)
            .filter(|v| !v.is_empty())
            .map(str::to_string)
    };
    let amount = match blank(&input.amount) {
        None => {
            if money {
                err("amount", "log.amount_required");
            }
            None
        }
        Some(a) => match decimal(&a) {
            Some(d) => Some(d),
            None => {
                err("amount", "log.amount_invalid");
                None
            }
        },
    };
    let currency = match blank(&input.currency).map(|c| c.to_ascii_uppercase()) {
        Some(c) if c.len() == 3 && c.chars().all(|ch| ch.is_ascii_uppercase()) => Some(c),
        Some(_) => {
            err("currency", "log.currency_invalid");
            None
        }
        None => amount.as_ref().map(|_| "EUR".to_string()),
    };
    let reference = blank(&input.reference);
    if let Some(r) = &reference {
        if let Some(e) = text_error("reference", r, 100, false) {
            err(e.field, e.key);
        }
    }
    let customer_name: Option<String> = match input.customer_id {
        None => None,
        Some(id) => {
            let name = tx
                .query_row("SELECT name FROM customers WHERE id = ?1", [id], |r| {
                    r.get(0)
                })
                .optional()?;
            if name.is_none() {
                err("customer_id", "log.customer_missing");
            }
            name
        }
    };
    let contact_name: Option<String> = match input.contact_id {
        None => None,
        Some(id) => {
            let name = tx
                .query_row(
                    "SELECT trim(first_name || ' ' || last_name) FROM contacts WHERE id = ?1",
                    [id],
                    |r| r.get(0),
                )
                .optional()?;
            if name.is_none() {
                err("contact_id", "log.contact_missing");
            }
            name
        }
    };
    let kind = valid(kind, errors)?.ok_or(Error::NotFound)?;
    let mut event = NewEvent::new(kind, summary);
    event.at = at;
    event.user_id = by;
    event.customer_id = input.customer_id;
    event.contact_id = input.contact_id;
    event.amount = amount;
    event.currency = currency;
    event.reference = reference;
    // The names find the entry in a search, as they do the app's own events.
    event.search_text = [customer_name, contact_name]
        .into_iter()
        .flatten()
        .collect::<Vec<_>>()
        .join(" ");
    Ok(event)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn amounts_read_finnish_and_english_decimals() {
        assert_eq!(decimal("1 234,50").as_deref(), Some("1234.50"));
        assert_eq!(decimal("-12.5").as_deref(), Some("-12.5"));
        assert_eq!(decimal("100").as_deref(), Some("100"));
        for bad in ["", "abc", "1,234.50", "1.", ".5", "1.234", "12e3", "--1"] {
            assert_eq!(decimal(bad), None, "{bad}");
        }
    }

    #[test]
    fn times_from_the_form_are_in_the_company_zone() {
        let tz: Tz = "Europe/Helsinki".parse().unwrap();
        assert_eq!(
            parse_time("2026-11-22T11:15", tz).as_deref(),
            Some("2026-11-22T09:15:00Z")
        );
        assert_eq!(
            parse_time("2026-11-22T09:15:00+00:00", tz).as_deref(),
            Some("2026-11-22T09:15:00Z")
        );
        assert_eq!(parse_time("eilen", tz), None);
        assert_eq!(parse_time("9999-01-01T00:00", tz), None);
    }

    #[test]
    fn system_kinds_and_bad_values_are_refused_at_their_fields() {
        let dir = tempfile::tempdir().unwrap();
        let mut conn = crate::db::open(&dir.path().join("e.db")).unwrap();
        let tz = chrono_tz::UTC;
        let refuse = |conn: &mut rusqlite::Connection, input: EntryInput| -> Vec<&'static str> {
            match crate::db::write(conn, |tx| record(tx, &input, None, tz)) {
                Err(e) => e.fields().iter().map(|f| f.field).collect(),
                Ok(id) => panic!("recorded {id}"),
            }
        };
        let system = EntryInput {
            kind: "customer.deleted".into(),
            summary: "x".into(),
            ..EntryInput::default()
        };
        assert_eq!(refuse(&mut conn, system), ["kind"]);
        let invoice = EntryInput {
            kind: "invoice".into(),
            amount: Some("12,3,4".into()),
            currency: Some("euro".into()),
            customer_id: Some(99),
            ..EntryInput::default()
        };
        assert_eq!(
            refuse(&mut conn, invoice),
            ["amount", "currency", "customer_id"]
        );
        let ok = EntryInput {
            kind: "payment".into(),
            amount: Some("125,50".into()),
            reference: Some("INV-7".into()),
            ..EntryInput::default()
        };
        let id = crate::db::write(&mut conn, |tx| record(tx, &ok, None, tz)).unwrap();
        let (amount, currency): (String, String) = conn
            .query_row(
                "SELECT amount, currency FROM events WHERE id = ?1",
                [id],
                |r| Ok((r.get(0)?, r.get(1)?)),
            )
            .unwrap();
        assert_eq!((amount.as_str(), currency.as_str()), ("125.50", "EUR"));
    }
}

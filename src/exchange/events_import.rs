//! Invoices and payments from a CSV file into the customer log (`minicrm import events` and the
//! log page's import): one row an event, the customer by number or business ID. The file is
//! read as Excel writes it (`exchange::table::read_csv`: BOM, `;`, Windows-1252); every row is
//! checked first, against a read snapshot, and any bad row stops the import with the row
//! numbers and reasons; then all rows are written in one transaction (`log::entry::record`,
//! the same check as the form and the API), or none.

use chrono::{NaiveDate, NaiveTime};
use chrono_tz::Tz;
use rusqlite::{Connection, OptionalExtension};

use super::table::{read_csv, Table};
use crate::customers::business_id::BusinessId;
use crate::db;
use crate::error::Error;
use crate::i18n::Lang;
use crate::log::entry::{self, EntryInput};

/// The most row errors a failed import lists (the rest are counted).
const MAX_ERRORS: usize = 20;

/// The columns, each with the header names it is known by (lower case, in English and
/// Finnish).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Column {
    Kind,
    Date,
    Customer,
    Amount,
    Currency,
    Reference,
    Text,
}

const HEADERS: &[(Column, &[&str])] = &[
    (Column::Kind, &["kind", "type", "laji", "tyyppi"]),
    (
        Column::Date,
        &["date", "at", "time", "päivämäärä", "päiväys", "pvm", "aika"],
    ),
    (
        Column::Customer,
        &[
            "customer",
            "customer_number",
            "customer number",
            "business_id",
            "business id",
            "asiakas",
            "asiakasnumero",
            "asiakasnro",
            "y-tunnus",
            "ytunnus",
        ],
    ),
    (Column::Amount, &["amount", "sum", "summa", "määrä"]),
    (Column::Currency, &["currency", "valuutta"]),
    (
        Column::Reference,
        &[
            "reference",
            "invoice_number",
            "invoice number",
            "viite",
            "viitenumero",
            "laskunumero",
            "laskun numero",
        ],
    ),
    (
        Column::Text,
        &[
            "text",
            "summary",
            "description",
            "teksti",
            "selite",
            "kuvaus",
        ],
    ),
];

/// What a checked file holds.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct Summary {
    pub invoices: usize,
    pub payments: usize,
}

/// Why a file was not imported. Messages are in the caller's language.
#[derive(Debug)]
pub(crate) enum ImportError {
    /// The file as a whole: not CSV, no such columns.
    File(String),
    /// Rows with what is wrong with each (at most `MAX_ERRORS`), and how many rows were bad.
    Rows(Vec<String>, usize),
    Db(Error),
}

impl From<rusqlite::Error> for ImportError {
    fn from(e: rusqlite::Error) -> Self {
        ImportError::Db(e.into())
    }
}

impl From<Error> for ImportError {
    fn from(e: Error) -> Self {
        ImportError::Db(e)
    }
}

/// `invoice`, `lasku`, `payment`, `maksu` (any case) as the log's kind.
fn kind_of(text: &str) -> Option<&'static str> {
    match text.trim().to_lowercase().as_str() {
        "invoice" | "lasku" => Some("invoice"),
        "payment" | "maksu" | "suoritus" => Some("payment"),
        _ => None,
    }
}

/// A date with an optional time, as Finnish and English spreadsheets write them: `2026-11-20`,
/// `20.11.2026`, either with ` 14:30` or ` 14.30` (seconds allowed), or RFC 3339. As the
/// entry form's local time (`YYYY-MM-DDTHH:MM:SS`), or RFC 3339 as given.
fn local_time(text: &str) -> Option<String> {
    let text = text.trim();
    if chrono::DateTime::parse_from_rfc3339(text).is_ok() {
        return Some(text.to_string());
    }
    let (day, time) = match text.split_once([' ', 'T']) {
        Some((d, t)) => (d, Some(t.trim())),
        None => (text, None),
    };
    let date = NaiveDate::parse_from_str(day, "%Y-%m-%d")
        .or_else(|_| NaiveDate::parse_from_str(day, "%d.%m.%Y"))
        .ok()?;
    let time = match time {
        None | Some("") => NaiveTime::MIN,
        Some(t) => {
            let t = t.replace('.', ":");
            ["%H:%M:%S", "%H:%M"]
                .iter()
                .find_map(|f| NaiveTime::parse_from_str(&t, f).ok())?
        }
    };
    Some(date.and_time(time).format("%Y-%m-%dT%H:%M:%S").to_string())
}

/// The customer a row names: its customer number, else its business ID.
fn customer_of(conn: &Connection, text: &str) -> rusqlite::Result<Option<i64>> {
    let text = text.trim();
    let by_number = conn
        .prepare_cached("SELECT id FROM customers WHERE number = ?1")?
        .query_row([text], |r| r.get(0))
        .optional()?;
    if by_number.is_some() {
        return Ok(by_number);
    }
    match BusinessId::parse(text) {
        Ok(id) => conn
            .prepare_cached("SELECT id FROM customers WHERE business_id = ?1")?
            .query_row([id.as_str()], |r| r.get(0))
            .optional(),
        Err(_) => Ok(None),
    }
}

/// Which column of the table holds each field.
fn columns(table: &Table, lang: Lang) -> Result<Vec<(Column, usize)>, ImportError> {
    let mut found: Vec<(Column, usize)> = Vec::new();
    for (i, header) in table.headers.iter().enumerate() {
        let h = header.trim().to_lowercase();
        if let Some((column, _)) = HEADERS
            .iter()
            .find(|(_, names)| names.contains(&h.as_str()))
        {
            if found.iter().any(|(c, _)| c == column) {
                return Err(ImportError::File(
                    lang.tf("events_import.column_twice", &[("column", header.trim())]),
                ));
            }
            found.push((*column, i));
        }
    }
    let missing: Vec<&str> = [
        (Column::Kind, "kind/laji"),
        (Column::Date, "date/päivämäärä"),
        (Column::Customer, "customer/asiakas"),
        (Column::Amount, "amount/summa"),
    ]
    .iter()
    .filter(|(c, _)| !found.iter().any(|(f, _)| f == c))
    .map(|(_, name)| *name)
    .collect();
    if !missing.is_empty() {
        return Err(ImportError::File(lang.tf(
            "events_import.columns_missing",
            &[("columns", &missing.join(", "))],
        )));
    }
    Ok(found)
}

/// Reads and checks every row; the entries to record, each with its row number.
fn check(
    conn: &Connection,
    bytes: Vec<u8>,
    lang: Lang,
) -> Result<Vec<(usize, EntryInput)>, ImportError> {
    let table = read_csv(bytes).map_err(|e| ImportError::File(e.message(lang)))?;
    let columns = columns(&table, lang)?;
    let mut entries = Vec::new();
    let mut errors = Vec::new();
    let mut bad = 0;
    for row in table.rows() {
        let cell = |c: Column| {
            columns
                .iter()
                .find(|(f, _)| *f == c)
                .map_or("", |(_, i)| row.cell(*i))
                .trim()
                .to_string()
        };
        if row.cells.iter().all(|c| c.trim().is_empty()) {
            continue;
        }
        let mut wrong: Vec<String> = Vec::new();
        let kind = kind_of(&cell(Column::Kind));
        if kind.is_none() {
            wrong.push(lang.tf(
                "events_import.kind_invalid",
                &[("value", &cell(Column::Kind))],
            ));
        }
        let at = local_time(&cell(Column::Date));
        if at.is_none() {
            wrong.push(lang.tf(
                "events_import.date_invalid",
                &[("value", &cell(Column::Date))],
            ));
        }
        let customer = customer_of(conn, &cell(Column::Customer))?;
        if customer.is_none() {
            wrong.push(lang.tf(
                "events_import.customer_missing",
                &[("value", &cell(Column::Customer))],
            ));
        }
        let amount = entry::decimal(&cell(Column::Amount));
        if amount.is_none() {
            wrong.push(lang.tf(
                "events_import.amount_invalid",
                &[("value", &cell(Column::Amount))],
            ));
        }
        let currency = cell(Column::Currency);
        let input = EntryInput {
            kind: kind.unwrap_or_default().to_string(),
            at,
            summary: cell(Column::Text),
            customer_id: customer,
            contact_id: None,
            amount,
            currency: (!currency.is_empty()).then_some(currency),
            reference: Some(cell(Column::Reference)).filter(|r| !r.is_empty()),
        };
        // The rest (currency, lengths) as the form checks them, written nowhere.
        if wrong.is_empty() {
            if let Err(e) = entry::check(conn, &input) {
                wrong.extend(e.fields().iter().map(|f| lang.t(f.key).to_string()));
            }
        }
        if wrong.is_empty() {
            entries.push((row.line, input));
        } else {
            bad += 1;
            if errors.len() < MAX_ERRORS {
                errors.push(lang.tf(
                    "events_import.row_error",
                    &[
                        ("row", &row.line.to_string()),
                        ("errors", &wrong.join("; ")),
                    ],
                ));
            }
        }
    }
    if bad > 0 {
        return Err(ImportError::Rows(errors, bad));
    }
    if entries.is_empty() {
        return Err(ImportError::File(
            lang.t("events_import.no_rows").to_string(),
        ));
    }
    Ok(entries)
}

/// Imports the file's invoices and payments, all or none; with `dry_run` only checks them.
/// `by`: the user recorded as their author (none from the command line).
pub(crate) fn import(
    conn: &mut Connection,
    bytes: Vec<u8>,
    by: Option<i64>,
    tz: Tz,
    lang: Lang,
    dry_run: bool,
) -> Result<Summary, ImportError> {
    // The check reads a snapshot and holds no lock; the write checks again in its transaction.
    let entries = {
        let tx = conn.transaction()?;
        let entries = check(&tx, bytes, lang)?;
        tx.finish()?;
        entries
    };
    let summary = Summary {
        invoices: entries.iter().filter(|(_, e)| e.kind == "invoice").count(),
        payments: entries.iter().filter(|(_, e)| e.kind == "payment").count(),
    };
    if dry_run {
        return Ok(summary);
    }
    db::write(conn, |tx| {
        for (line, input) in &entries {
            if let Err(e) = entry::record(tx, input, by, tz) {
                return Err(match e {
                    Error::Validation { fields, .. } => ImportError::Rows(
                        vec![lang.tf(
                            "events_import.row_error",
                            &[
                                ("row", &line.to_string()),
                                (
                                    "errors",
                                    &fields
                                        .iter()
                                        .map(|f| lang.t(f.key))
                                        .collect::<Vec<_>>()
                                        .join("; "),
                                ),
                            ],
                        )],
                        1,
                    ),
                    other => ImportError::Db(other),
                });
            }
        }
        Ok(())
    })?;
    Ok(summary)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates_read_as_finnish_and_english_spreadsheets_write_them() {
        assert_eq!(local_time("2026-11-20").unwrap(), "2026-11-20T00:00:00");
        assert_eq!(
            local_time("20.11.2026 14.30").unwrap(),
            "2026-11-20T14:30:00"
        );
        assert_eq!(
            local_time("1.2.2026 8:05:09").unwrap(),
            "2026-02-01T08:05:09"
        );
        assert_eq!(
            local_time("2026-11-20T08:00:00Z").unwrap(),
            "2026-11-20T08:00:00Z"
        );
        for bad in ["", "huomenna", "31.2.2026", "2026-11-20 25:00", "20.11.26x"] {
            assert!(local_time(bad).is_none(), "{bad}");
        }
    }

    #[test]
    fn kinds_in_either_language() {
        assert_eq!(kind_of(" Lasku "), Some("invoice"));
        assert_eq!(kind_of("MAKSU"), Some("payment"));
        assert_eq!(kind_of("payment"), Some("payment"));
        assert_eq!(kind_of("note"), None);
    }
}

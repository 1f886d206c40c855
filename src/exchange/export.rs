//! Exports of customers and contacts as CSV (as Finnish Excel opens it: UTF-8 BOM, `;`), JSON
//! and vCard, shared by `minicrm export` and the downloads. Rows are read a batch at a time
//! through the stores' list queries, each batch a short read, so a big register neither fills
//! the memory nor holds a read lock that would keep writers waiting.

use std::collections::HashMap;
use std::io::{self, Seek, Write};

use rusqlite::Connection;

use super::fields::{Field, Kind};
use super::vcard;
use crate::contacts::list as contact_list;
use crate::contacts::Contact;
use crate::customers::list as customer_list;
use crate::customers::store as customers;
use crate::customers::Customer;
use crate::error::{Error, Result};
use crate::i18n::Lang;
use crate::register::list::{self, ListQuery, Register};

/// Rows read per query. Each batch is its own short read, so writers are never held up for a
/// whole export; each starts where the one before ended (by position), at the cost of a seek.
pub(crate) const BATCH: i64 = 1000;

/// Calls `each` for every row of the list query (its limit and position are ignored), every
/// match of a search included.
pub(crate) fn for_each<R: Register>(
    conn: &Connection,
    query: &ListQuery<R>,
    mut each: impl FnMut(&R::Row) -> Result<()>,
) -> Result<usize> {
    let mut batch = query.clone();
    batch.limit = BATCH;
    batch.offset = 0;
    batch.cursor = None;
    batch.complete = true;
    let mut count = 0;
    loop {
        let page = list::page_at(conn, &batch)?;
        for row in &page.rows {
            each(row)?;
        }
        count += page.rows.len();
        match (page.more, page.last) {
            (true, Some(keys)) => {
                batch.cursor = Some(list::Cursor {
                    keys,
                    before: false,
                })
            }
            _ => return Ok(count),
        }
    }
}

fn yes_no(value: bool, lang: Lang) -> &'static str {
    match (lang, value) {
        (Lang::Fi, true) => "kyllä",
        (Lang::Fi, false) => "ei",
        (Lang::En, true) => "yes",
        (Lang::En, false) => "no",
    }
}

pub(crate) fn csv_writer<W: Write>(mut out: W) -> io::Result<csv::Writer<W>> {
    out.write_all(b"\xEF\xBB\xBF")?;
    Ok(csv::WriterBuilder::new()
        .delimiter(b';')
        .terminator(csv::Terminator::CRLF)
        .from_writer(out))
}

pub(crate) fn csv_err(e: csv::Error) -> Error {
    match e.into_kind() {
        csv::ErrorKind::Io(e) => Error::Io(e),
        other => Error::Internal(format!("csv: {other:?}")),
    }
}

fn customer_cell(c: &Customer, field: Field, lang: Lang) -> String {
    match field {
        Field::Number => c.number.clone(),
        Field::Name => c.name.clone(),
        Field::BusinessId => c.business_id.clone().unwrap_or_default(),
        Field::Email => c.email.clone(),
        Field::Phone => c.phone.clone(),
        Field::Website => c.website.clone(),
        Field::Street => c.street.clone(),
        Field::PostalCode => c.postal_code.clone(),
        Field::City => c.city.clone(),
        Field::Country => c.country.clone(),
        Field::EinvoiceAddress => c.einvoice_address.clone(),
        Field::EinvoiceOperator => c.einvoice_operator.clone(),
        Field::Tags => c.tags.join(", "),
        Field::Notes => c.notes.clone(),
        Field::Archived => yes_no(c.archived, lang).into(),
        _ => String::new(),
    }
}

/// Customer numbers of the ids, remembered (a contact export asks for the same ones often).
struct CustomerNames<'c> {
    conn: &'c Connection,
    known: HashMap<i64, (String, String)>,
}

impl<'c> CustomerNames<'c> {
    fn new(conn: &'c Connection) -> Self {
        CustomerNames {
            conn,
            known: HashMap::new(),
        }
    }

    /// (name, number) of a customer.
    fn get(&mut self, id: i64) -> Result<Option<(String, String)>> {
        if let Some(found) = self.known.get(&id) {
            return Ok(Some(found.clone()));
        }
        if self.known.len() > 10_000 {
            self.known.clear();
        }
        let found = customers::names(self.conn, &[id])?
            .into_iter()
            .next()
            .map(|(_, name, number)| (name, number));
        if let Some(found) = &found {
            self.known.insert(id, found.clone());
        }
        Ok(found)
    }
}

/// Whether Excel would run this cell as a formula: it starts with `=`, `@`, a tab or a carriage
/// return, or with `+`/`-` unless the whole cell is a number. A number here is a digit after
/// the sign and then only digits, spaces and decimal or thousands marks (`-5`, `+1.5`,
/// `+358 40 123 4567`): with no letters and no operators it can call nothing. Anything else
/// after a sign (`+1+cmd|' /C calc'!A0`, `-2+3+…`, `+A1`) is guarded. A lone sign is text.
pub(crate) fn looks_like_formula(text: &str) -> bool {
    let mut chars = text.chars();
    match chars.next() {
        Some('=') | Some('@') | Some('\t') | Some('\r') => true,
        Some('+') | Some('-') => {
            let rest = chars.as_str();
            let number = rest.starts_with(|c: char| c.is_ascii_digit())
                && rest
                    .chars()
                    .all(|c| c.is_ascii_digit() || matches!(c, ' ' | '.' | ','));
            !rest.is_empty() && !number
        }
        _ => false,
    }
}

/// A cell as Excel may open it safely: a formula-like value gets an apostrophe in front, so a
/// customer named `=HYPERLINK(…)` is shown as text, not run (CSV injection). The importer takes
/// the apostrophe off again.
pub(crate) fn excel_safe(text: String) -> String {
    if looks_like_formula(&text) {
        format!("'{text}")
    } else {
        text
    }
}

/// Customers as rows of text, the header first (the cells as stored: each format guards them
/// as it needs); returns how many customers.
fn customer_rows(
    conn: &Connection,
    query: &customer_list::ListQuery,
    lang: Lang,
    row: &mut dyn FnMut(Vec<String>) -> Result<()>,
) -> Result<usize> {
    let fields = Kind::Customers.export_fields();
    row(fields.iter().map(|f| f.header(lang).to_string()).collect())?;
    for_each(conn, query, |c| {
        row(fields.iter().map(|f| customer_cell(c, *f, lang)).collect())
    })
}

/// Contacts as rows of text, the header first; returns how many. `customer` holds the linked
/// customers' numbers (several separated by ` | `, with the roles in `role` in the same
/// order), `organisation` the first one's name for reading (the import links by `customer`
/// when it is there).
fn contact_rows(
    conn: &Connection,
    query: &contact_list::ListQuery,
    lang: Lang,
    row: &mut dyn FnMut(Vec<String>) -> Result<()>,
) -> Result<usize> {
    let fields = Kind::Contacts.export_fields();
    row(fields.iter().map(|f| f.header(lang).to_string()).collect())?;
    let mut names = CustomerNames::new(conn);
    for_each(conn, query, |p| {
        let mut numbers = Vec::new();
        let mut roles = Vec::new();
        let mut organisation = String::new();
        for link in &p.customers {
            if let Some((name, number)) = names.get(link.customer_id)? {
                if organisation.is_empty() {
                    organisation = name;
                }
                numbers.push(number);
                roles.push(link.role.clone());
            }
        }
        let roles = if roles.iter().all(String::is_empty) {
            String::new()
        } else {
            roles.join(" | ")
        };
        let record: Vec<String> = fields
            .iter()
            .map(|f| match f {
                Field::FirstName => p.first_name.clone(),
                Field::LastName => p.last_name.clone(),
                Field::Email => p.email.clone(),
                Field::Phone => p.phone.clone(),
                Field::Title => p.title.clone(),
                Field::Organisation => organisation.clone(),
                Field::Tags => p.tags.join(", "),
                Field::Notes => p.notes.clone(),
                Field::Customer => numbers.join(" | "),
                Field::Role => roles.clone(),
                _ => String::new(),
            })
            .collect();
        row(record)
    })
}

/// Rows as CSV for Excel: BOM, `;`, formula-like cells guarded ([`excel_safe`]).
pub(crate) fn write_csv<W: Write>(
    out: W,
    rows: impl FnOnce(&mut dyn FnMut(Vec<String>) -> Result<()>) -> Result<usize>,
) -> Result<usize> {
    let mut w = csv_writer(out)?;
    let n = rows(&mut |record| {
        w.write_record(record.into_iter().map(excel_safe))
            .map_err(csv_err)
    })?;
    w.flush()?;
    Ok(n)
}

/// Customers as CSV; returns how many.
pub(crate) fn customers_csv<W: Write>(
    conn: &Connection,
    query: &customer_list::ListQuery,
    lang: Lang,
    out: W,
) -> Result<usize> {
    write_csv(out, |row| customer_rows(conn, query, lang, row))
}

/// Contacts as CSV; returns how many.
pub(crate) fn contacts_csv<W: Write>(
    conn: &Connection,
    query: &contact_list::ListQuery,
    lang: Lang,
    out: W,
) -> Result<usize> {
    write_csv(out, |row| contact_rows(conn, query, lang, row))
}

/// The most rows an Excel sheet holds, the header included.
const XLSX_MAX_ROWS: u32 = 1_048_576;
/// The most characters an Excel cell holds.
const XLSX_MAX_CHARS: usize = 32_767;

fn xlsx_err(e: rust_xlsxwriter::XlsxError) -> Error {
    Error::Internal(format!("xlsx: {e}"))
}

/// Rows as an Excel workbook of one sheet named `sheet`: every cell a text cell (so nothing is
/// run as a formula and `040 123` keeps its zero), the header bold and frozen. The workbook is
/// built in memory, then written to `out`.
fn write_xlsx<W: Write>(
    mut out: W,
    sheet: &str,
    rows: impl FnOnce(&mut dyn FnMut(Vec<String>) -> Result<()>) -> Result<usize>,
) -> Result<usize> {
    let mut book = rust_xlsxwriter::Workbook::new();
    let bold = rust_xlsxwriter::Format::new().set_bold();
    let ws = book.add_worksheet();
    ws.set_name(sheet).map_err(xlsx_err)?;
    let mut next: u32 = 0;
    let n = rows(&mut |record| {
        if next >= XLSX_MAX_ROWS {
            return Err(Error::Internal(
                "more rows than an Excel sheet holds; export as CSV".into(),
            ));
        }
        for (column, text) in record.iter().enumerate() {
            if text.is_empty() {
                continue;
            }
            let text = match text.char_indices().nth(XLSX_MAX_CHARS) {
                Some((at, _)) => &text[..at],
                None => text.as_str(),
            };
            let column = column as u16;
            if next == 0 {
                ws.write_string_with_format(next, column, text, &bold)
            } else {
                ws.write_string(next, column, text)
            }
            .map_err(xlsx_err)?;
        }
        next += 1;
        Ok(())
    })?;
    ws.set_freeze_panes(1, 0).map_err(xlsx_err)?;
    ws.autofit();
    let bytes = book.save_to_buffer().map_err(xlsx_err)?;
    out.write_all(&bytes)?;
    Ok(n)
}

fn sheet_name(kind: Kind, lang: Lang) -> &'static str {
    match (kind, lang) {
        (Kind::Customers, Lang::Fi) => "Asiakkaat",
        (Kind::Customers, Lang::En) => "Customers",
        (Kind::Contacts, Lang::Fi) => "Kontaktit",
        (Kind::Contacts, Lang::En) => "Contacts",
    }
}

/// Customers as an Excel workbook (`.xlsx`); returns how many.
pub(crate) fn customers_xlsx<W: Write>(
    conn: &Connection,
    query: &customer_list::ListQuery,
    lang: Lang,
    out: W,
) -> Result<usize> {
    write_xlsx(out, sheet_name(Kind::Customers, lang), |row| {
        customer_rows(conn, query, lang, row)
    })
}

/// Contacts as an Excel workbook (`.xlsx`); returns how many.
pub(crate) fn contacts_xlsx<W: Write>(
    conn: &Connection,
    query: &contact_list::ListQuery,
    lang: Lang,
    out: W,
) -> Result<usize> {
    write_xlsx(out, sheet_name(Kind::Contacts, lang), |row| {
        contact_rows(conn, query, lang, row)
    })
}

/// A JSON array, one item a line.
fn json_item<W: Write, T: serde::Serialize>(out: &mut W, first: &mut bool, item: &T) -> Result<()> {
    out.write_all(if *first { b"[\n" } else { b",\n" })?;
    *first = false;
    serde_json::to_writer(&mut *out, item).map_err(|e| Error::Internal(format!("json: {e}")))?;
    Ok(())
}

fn json_end<W: Write>(out: &mut W, first: bool) -> Result<()> {
    out.write_all(if first { b"[]\n" } else { b"\n]\n" })?;
    Ok(())
}

pub(crate) fn customers_json<W: Write>(
    conn: &Connection,
    query: &customer_list::ListQuery,
    mut out: W,
) -> Result<usize> {
    let mut first = true;
    let n = for_each(conn, query, |c| json_item(&mut out, &mut first, c))?;
    json_end(&mut out, first)?;
    out.flush()?;
    Ok(n)
}

pub(crate) fn contacts_json<W: Write>(
    conn: &Connection,
    query: &contact_list::ListQuery,
    mut out: W,
) -> Result<usize> {
    let mut first = true;
    let n = for_each(conn, query, |c| json_item(&mut out, &mut first, c))?;
    json_end(&mut out, first)?;
    out.flush()?;
    Ok(n)
}

/// One contact as a vCard 4.0, with its first customer as ORG.
pub(crate) fn contact_vcard(contact: &Contact) -> String {
    let mut out = String::new();
    vcard::write_card(&mut out, contact, first_customer(contact));
    out
}

/// The name of a contact's first customer, its vCard's ORG.
fn first_customer(contact: &Contact) -> Option<&str> {
    contact.customer_names.first().map(String::as_str)
}

/// Contacts as vCards 4.0, one after another; returns how many.
pub(crate) fn contacts_vcard<W: Write>(
    conn: &Connection,
    query: &contact_list::ListQuery,
    mut out: W,
) -> Result<usize> {
    let mut card = String::new();
    let n = for_each(conn, query, |p| {
        card.clear();
        vcard::write_card(&mut card, p, first_customer(p));
        out.write_all(card.as_bytes())?;
        Ok(())
    })?;
    out.flush()?;
    Ok(n)
}

/// An output that stays in memory while small and moves to an unnamed temporary file when it
/// grows, so a download of a big register does not fill the memory.
pub(crate) enum Spill {
    Memory(Vec<u8>),
    File(std::fs::File, u64),
}

impl Spill {
    pub(crate) const MEMORY_LIMIT: usize = 4 * 1024 * 1024;

    pub(crate) fn new() -> Spill {
        Spill::Memory(Vec::new())
    }

    fn to_file(bytes: &[u8]) -> io::Result<std::fs::File> {
        let path =
            std::env::temp_dir().join(format!("minicrm-export-{}.tmp", crate::auth::random_hex(8)));
        let mut file = std::fs::OpenOptions::new()
            .read(true)
            .write(true)
            .create_new(true)
            .open(&path)?;
        // The open handle keeps the bytes; the name goes at once (on Windows it stays until
        // the download ends and the temporary folder is cleaned).
        let _ = std::fs::remove_file(&path);
        file.write_all(bytes)?;
        Ok(file)
    }

    /// The finished output as a response body.
    pub(crate) fn into_body(self) -> io::Result<crate::http::Body> {
        match self {
            Spill::Memory(bytes) => Ok(crate::http::Body::Bytes(bytes)),
            Spill::File(mut file, len) => {
                file.flush()?;
                file.seek(io::SeekFrom::Start(0))?;
                Ok(crate::http::Body::File(file, len))
            }
        }
    }
}

impl Default for Spill {
    fn default() -> Self {
        Spill::new()
    }
}

impl Write for Spill {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        match self {
            Spill::Memory(bytes) if bytes.len() + buf.len() > Self::MEMORY_LIMIT => {
                let mut file = Self::to_file(bytes)?;
                file.write_all(buf)?;
                let len = (bytes.len() + buf.len()) as u64;
                *self = Spill::File(file, len);
                Ok(buf.len())
            }
            Spill::Memory(bytes) => {
                bytes.extend_from_slice(buf);
                Ok(buf.len())
            }
            Spill::File(file, len) => {
                file.write_all(buf)?;
                *len += buf.len() as u64;
                Ok(buf.len())
            }
        }
    }

    fn flush(&mut self) -> io::Result<()> {
        match self {
            Spill::Memory(_) => Ok(()),
            Spill::File(file, _) => file.flush(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::customers::CustomerInput;
    use crate::exchange::fields::Mapping;
    use crate::exchange::import::{self, Options};
    use crate::exchange::table::read_csv;

    #[test]
    fn customer_csv_has_a_bom_semicolons_and_round_trips() {
        let (_d, mut conn) = crate::db::temporary();
        let input = CustomerInput {
            name: Some("Kahvila \"Äijälä\"; Oy".into()),
            business_id: Some("0112038-9".into()),
            notes: Some("Rivi 1\nRivi 2".into()),
            tags: Some(vec!["VIP".into(), "Tampere".into()]),
            ..CustomerInput::default()
        };
        crate::db::write(&mut conn, |tx| customers::create(tx, &input, None)).unwrap();
        for lang in Lang::ALL {
            let mut out = Vec::new();
            let mut query = customer_list::ListQuery::new(customer_list::Sort::Name);
            query.filter.archived = customer_list::Archived::All;
            assert_eq!(customers_csv(&conn, &query, lang, &mut out).unwrap(), 1);
            assert!(out.starts_with(b"\xEF\xBB\xBF"));
            let text = String::from_utf8(out.clone()).unwrap();
            let header = text.lines().next().unwrap();
            assert!(header.contains(';') && !header.contains(','), "{header}");
            assert!(text.contains("Tampere, VIP"), "{text}");
            let table = read_csv(out.clone()).unwrap();
            let mapping = Mapping::detect(Kind::Customers, &table.headers);
            assert!(mapping.ignored(&table.headers).is_empty());
            let r = import::run(
                &mut conn,
                Kind::Customers,
                &table,
                &mapping,
                &Options::default(),
                &mut |_, _| {},
            )
            .unwrap();
            assert_eq!((r.created, r.updated, r.unchanged), (0, 0, 1), "{lang:?}");
        }
    }

    #[test]
    fn xlsx_export_opens_back_and_imports_unchanged() {
        let (_d, mut conn) = crate::db::temporary();
        let input = CustomerInput {
            name: Some("=Äijälä Oy".into()),
            business_id: Some("0112038-9".into()),
            phone: Some("040 123 4567".into()),
            ..CustomerInput::default()
        };
        crate::db::write(&mut conn, |tx| customers::create(tx, &input, None)).unwrap();
        let mut query = customer_list::ListQuery::new(customer_list::Sort::Name);
        query.filter.archived = customer_list::Archived::All;
        let mut out = Vec::new();
        assert_eq!(
            customers_xlsx(&conn, &query, Lang::Fi, &mut out).unwrap(),
            1
        );
        let table = crate::exchange::read_file("asiakkaat.xlsx", out.clone()).unwrap();
        assert_eq!(table.headers[0], Field::Number.header(Lang::Fi));
        let mapping = Mapping::detect(Kind::Customers, &table.headers);
        let name = mapping.column(Field::Name).unwrap();
        let phone = mapping.column(Field::Phone).unwrap();
        // Text cells: no formula guard needed, the phone number's zero kept.
        assert_eq!(
            (
                table.rows_vec()[0].cell(name),
                table.rows_vec()[0].cell(phone)
            ),
            ("=Äijälä Oy", "040 123 4567")
        );
        let r = import::run(
            &mut conn,
            Kind::Customers,
            &table,
            &mapping,
            &Options::default(),
            &mut |_, _| {},
        )
        .unwrap();
        assert_eq!((r.created, r.updated, r.unchanged), (0, 0, 1));
    }

    #[test]
    fn formula_like_cells_are_defused_and_phone_numbers_kept() {
        assert_eq!(
            excel_safe("=HYPERLINK(\"http://x\")".into()),
            "'=HYPERLINK(\"http://x\")"
        );
        assert_eq!(excel_safe("@SUM(A1)".into()), "'@SUM(A1)");
        assert_eq!(excel_safe("+A1".into()), "'+A1");
        assert_eq!(excel_safe("+358 40 123 4567".into()), "+358 40 123 4567");
        assert_eq!(excel_safe("-5".into()), "-5");
        assert_eq!(excel_safe("Kahvila Oy".into()), "Kahvila Oy");
        assert_eq!(excel_safe("-".into()), "-");
        for attack in [
            "+1+cmd|' /C calc'!A0",
            "-2+3+cmd|' /C calc'!A0",
            "-1-1",
            "+1(2)",
            "- 5",
            "+1e3",
            "\t=1",
            "\r=1",
        ] {
            assert_eq!(excel_safe(attack.into()), format!("'{attack}"), "{attack}");
        }
        for number in ["+1.5", "-0,25", "+358401234567", "-1 000,50"] {
            assert_eq!(excel_safe(number.into()), number, "{number}");
        }
    }

    #[test]
    fn spill_moves_to_a_file_when_big() {
        let mut s = Spill::new();
        s.write_all(&vec![b'x'; Spill::MEMORY_LIMIT]).unwrap();
        assert!(matches!(s, Spill::Memory(_)));
        s.write_all(b"yz").unwrap();
        assert!(matches!(s, Spill::File(_, n) if n == Spill::MEMORY_LIMIT as u64 + 2));
        let crate::http::Body::File(mut file, _) = s.into_body().unwrap() else {
            panic!()
        };
        let mut back = Vec::new();
        std::io::Read::read_to_end(&mut file, &mut back).unwrap();
        assert_eq!(back.len(), Spill::MEMORY_LIMIT + 2);
        assert!(back.ends_with(b"xyz"));
    }
}

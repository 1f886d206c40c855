//! The import of customers and contacts, shared by `minicrm import` and the import page.
//!
//! One transaction for the whole file (so a failure or a dry run writes nothing), one
//! savepoint per row (so `skip_invalid` drops a bad row whole). Every change goes through the
//! stores, which validate and log it like a form would.

use rusqlite::Connection;

use super::fields::{Field, Kind, Mapping};
use super::table::{Format, Row, Table};
use crate::contacts::store as contacts;
use crate::contacts::{Contact, ContactInput};
use crate::customers::store as customers;
use crate::customers::{BusinessId, CustomerId, CustomerInput};
use crate::error::{Error, FieldError};
use crate::i18n::Lang;
use crate::register::tags;
use crate::users::UserId;

#[derive(Debug, Clone, Default)]
pub(crate) struct Options {
    /// Report what would happen and write nothing.
    pub dry_run: bool,
    /// Import the good rows and report the bad ones, instead of stopping at the first.
    pub skip_invalid: bool,
    /// Who imports (for the log); `None` from the command line.
    pub by: Option<UserId>,
}

/// What a row did (or would do, in a dry run).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Action {
    Created,
    Updated,
    /// Matched an existing one whose fields already were as the row says.
    Unchanged,
}

#[derive(Debug, Clone)]
pub(crate) struct Outcome {
    pub line: usize,
    pub action: Action,
    /// The customer's or contact's name, to show in a report.
    pub label: String,
}

/// What was wrong with one row.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Problem {
    /// The store refused the row: its message key and the fields at fault, with the cells'
    /// values where a column gave them.
    Invalid {
        key: &'static str,
        fields: Vec<FieldError>,
        values: Vec<(&'static str, String)>,
    },
    CustomerNotFound(String),
    BadYesNo(String),
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct RowError {
    pub format: Format,
    pub line: usize,
    pub problem: Problem,
}

impl RowError {
    /// "Row 3: Business ID "1234567-8": The check digit … ".
    pub(crate) fn message(&self, kind: Kind, lang: Lang) -> String {
        let place = match self.format {
            Format::Csv => lang.tf("exchange.at_row", &[("row", &self.line.to_string())]),
            Format::Vcard => lang.tf("exchange.at_card", &[("line", &self.line.to_string())]),
        };
        format!("{place}: {}", self.reason(kind, lang))
    }

    /// The reason alone, without the row.
    pub(crate) fn reason(&self, kind: Kind, lang: Lang) -> String {
        match &self.problem {
            Problem::Invalid {
                key,
                fields,
                values,
            } if !fields.is_empty() => {
                let parts: Vec<String> = fields
                    .iter()
                    .map(|f| {
                        let label = Field::from_store_name(kind, f.field)
                            .map_or(f.field, |field| lang.t(field.label_key()));
                        match values.iter().find(|(name, _)| *name == f.field) {
                            Some((_, value)) => format!("{label} \"{value}\": {}", lang.t(f.key)),
                            None => format!("{label}: {}", lang.t(f.key)),
                        }
                    })
                    .collect();
                parts.join("; ")
            }
            Problem::Invalid { key, .. } => lang.t(key).to_string(),
            Problem::CustomerNotFound(reference) => {
                lang.tf("exchange.customer_not_found", &[("customer", reference)])
            }
            Problem::BadYesNo(value) => lang.tf("exchange.bad_yes_no", &[("value", value)]),
        }
    }
}

#[derive(Debug, Clone)]
pub(crate) struct Report {
    pub dry_run: bool,
    pub created: usize,
    pub updated: usize,
    pub unchanged: usize,
    pub outcomes: Vec<Outcome>,
    pub skipped: Vec<RowError>,
}

impl Report {
    fn new(dry_run: bool) -> Report {
        Report {
            dry_run,
            created: 0,
            updated: 0,
            unchanged: 0,
            outcomes: Vec::new(),
            skipped: Vec::new(),
        }
    }

    /// The one-line summary, in English for the command line.
    pub(crate) fn summary_en(&self) -> String {
        let skipped = if self.skipped.is_empty() {
            String::new()
        } else {
            format!(", skipped {}", self.skipped.len())
        };
        if self.dry_run {
            format!(
                "dry run: would create {}, update {}, leave {} unchanged{skipped}; nothing was written",
                self.created, self.updated, self.unchanged
            )
        } else {
            format!(
                "created {}, updated {}, unchanged {}{skipped}",
                self.created, self.updated, self.unchanged
            )
        }
    }
}

/// Why an import stopped.
#[derive(Debug)]
pub(crate) enum ImportError {
    /// A bad row, without `skip_invalid`: nothing was written.
    Row(RowError),
    /// The database failed: nothing was written.
    Db(Error),
}

/// A row's failure: its own problem, or the database's.
enum Fail {
    Row(Problem),
    Db(Error),
}

impl From<rusqlite::Error> for Fail {
    fn from(e: rusqlite::Error) -> Fail {
        Fail::Db(e.into())
    }
}

/// A store error: the row's fault unless the database failed.
fn store_fail(err: Error, values: &[(&'static str, String)]) -> Fail {
    match err {
        Error::Validation { key, fields } | Error::Conflict { key, fields } => {
            let values = values
                .iter()
                .filter(|(name, _)| fields.iter().any(|f| f.field == *name))
                .cloned()
                .collect();
            Fail::Row(Problem::Invalid {
                key,
                fields,
                values,
            })
        }
        Error::NotFound => Fail::Row(Problem::Invalid {
            key: "error.not_found",
            fields: Vec::new(),
            values: Vec::new(),
        }),
        other => Fail::Db(other),
    }
}

/// How `db::write` is left: committed, rolled back on purpose (dry run), or on a failure.
enum Stop {
    DryRun(Report),
    Row(RowError),
    Db(Error),
}

impl From<rusqlite::Error> for Stop {
    fn from(e: rusqlite::Error) -> Stop {
        Stop::Db(e.into())
    }
}

/// Imports the rows of `table` as `kind` with the columns of `mapping`. `progress` is called
/// with the number of rows done.
pub(crate) fn run(
    conn: &mut Connection,
    kind: Kind,
    table: &Table,
    mapping: &Mapping,
    options: &Options,
    progress: &mut dyn FnMut(usize),
) -> Result<Report, ImportError> {
    let result = crate::db::write(conn, |tx| {
        let mut report = Report::new(options.dry_run);
        for (done, row) in table.rows.iter().enumerate() {
            tx.execute_batch("SAVEPOINT import_row")?;
            let cells = Cells { row, mapping };
            let result = match kind {
                Kind::Customers => customer_row(tx, &cells, options.by),
                Kind::Contacts => contact_row(tx, &cells, options.by),
            };
            match result {
                Ok((action, label)) => {
                    tx.execute_batch("RELEASE import_row")?;
                    match action {
                        Action::Created => report.created += 1,
                        Action::Updated => report.updated += 1,
                        Action::Unchanged => report.unchanged += 1,
                    }
                    report.outcomes.push(Outcome {
                        line: row.line,
                        action,
                        label,
                    });
                }
                Err(Fail::Row(problem)) => {
                    tx.execute_batch("ROLLBACK TO import_row; RELEASE import_row")?;
                    let err = RowError {
                        format: table.format,
                        line: row.line,
                        problem,
                    };
                    if !options.skip_invalid {
                        return Err(Stop::Row(err));
                    }
                    report.skipped.push(err);
                }
                Err(Fail::Db(e)) => return Err(Stop::Db(e)),
            }
            progress(done + 1);
        }
        if options.dry_run {
            Err(Stop::DryRun(report))
        } else {
            Ok(report)
        }
    });
    match result {
        Ok(report) | Err(Stop::DryRun(report)) => Ok(report),
        Err(Stop::Row(err)) => Err(ImportError::Row(err)),
        Err(Stop::Db(err)) => Err(ImportError::Db(err)),
    }
}

/// A row's cells by field.
struct Cells<'a> {
    row: &'a Row,
    mapping: &'a Mapping,
}

impl Cells<'_> {
    /// The trimmed cell of a field; `None` when there is no such column or the cell is empty
    /// (an empty cell never changes what is stored).
    fn get(&self, field: Field) -> Option<&str> {
        let column = self.mapping.column(field)?;
        Some(self.row.cell(column).trim()).filter(|t| !t.is_empty())
    }

    fn text(&self, field: Field) -> Option<String> {
        self.get(field).map(str::to_string)
    }

    /// Notes keep their inner line breaks; only the ends are trimmed.
    fn notes(&self) -> Option<String> {
        let column = self.mapping.column(Field::Notes)?;
        let text = self.row.cell(column).trim().replace("\r\n", "\n");
        Some(text).filter(|t| !t.is_empty())
    }

    /// The (store field name, cell) pairs of the row, to quote in error messages.
    fn values(&self) -> Vec<(&'static str, String)> {
        self.mapping
            .columns
            .iter()
            .enumerate()
            .filter_map(|(i, f)| f.map(|f| (f.key(), self.row.cell(i).trim().to_string())))
            .filter(|(_, v)| !v.is_empty() && v.chars().count() <= 80)
            .collect()
    }
}

/// A cell's value as an error message quotes it: at most 80 characters, so a report never
/// carries a huge cell back.
fn quote(text: &str) -> String {
    match text.char_indices().nth(80) {
        Some((at, _)) => format!("{}…", &text[..at]),
        None => text.to_string(),
    }
}

/// `yes`/`no` in English or Finnish, as a spreadsheet might write it.
pub(crate) fn parse_yes_no(text: &str) -> Option<bool> {
    match text.trim().to_lowercase().as_str() {
        "yes" | "y" | "true" | "1" | "x" | "kyllä" | "kylla" | "k" => Some(true),
        "no" | "n" | "false" | "0" | "ei" | "e" => Some(false),
        _ => None,
    }
}

fn customer_row(
    tx: &rusqlite::Transaction,
    cells: &Cells,
    by: Option<UserId>,
) -> Result<(Action, String), Fail> {
    let archived = match cells.get(Field::Archived) {
        Some(text) => {
            Some(parse_yes_no(text).ok_or_else(|| Fail::Row(Problem::BadYesNo(quote(text))))?)
        }
        None => None,
    };
    let input = CustomerInput {
        number: cells.text(Field::Number),
        name: cells.text(Field::Name),
        business_id: cells.text(Field::BusinessId),
        email: cells.text(Field::Email),
        phone: cells.text(Field::Phone),
        website: cells.text(Field::Website),
        street: cells.text(Field::Street),
        postal_code: cells.text(Field::PostalCode),
        city: cells.text(Field::City),
        country: cells.text(Field::Country),
        einvoice_address: cells.text(Field::EinvoiceAddress),
        einvoice_operator: cells.text(Field::EinvoiceOperator),
        notes: cells.notes(),
        tags: cells.get(Field::Tags).map(tags::parse_list),
        owner_id: None,
        archived,
    };
    let values = cells.values();
    let fail = |e: Error| store_fail(e, &values);
    // The same customer: by business ID, else by customer number.
    let mut existing = match cells
        .get(Field::BusinessId)
        .and_then(|t| BusinessId::parse(t).ok())
    {
        Some(bid) => customers::by_business_id(tx, &bid)?,
        None => None,
    };
    if existing.is_none() {
        if let Some(number) = cells.get(Field::Number) {
            existing = customers::by_number(tx, number)?;
        }
    }
    match existing {
        None => {
            let id = customers::create(tx, &input, by).map_err(fail)?;
            let name = customers::by_id(tx, id)?
                .map(|c| c.name)
                .unwrap_or_default();
            Ok((Action::Created, name))
        }
        Some(before) => {
            let after =
                crate::customers::validate::validate(&input, Some(&before)).map_err(fail)?;
            let same =
                crate::customers::validate::validate(&CustomerInput::default(), Some(&before))
                    .is_ok_and(|now| now == after);
            if same {
                return Ok((Action::Unchanged, before.name));
            }
            customers::update(tx, before.id, &input, by).map_err(fail)?;
            Ok((Action::Updated, after.name))
        }
    }
}

/// The customers a contact row links to: references (customer numbers or business IDs)
/// separated by `|` or `,`, each with its role (one role for all, or one per customer
/// separated by `|`).
fn row_links(tx: &rusqlite::Transaction, cells: &Cells) -> Result<Vec<(CustomerId, String)>, Fail> {
    let Some(refs) = cells.get(Field::Customer) else {
        return Ok(Vec::new());
    };
    let refs: Vec<&str> = refs
        .split(['|', ','])
        .map(str::trim)
        .filter(|r| !r.is_empty())
        .collect();
    if refs.len() > contacts::MAX_LINKS {
        let key = "contacts.too_many_customers";
        return Err(Fail::Row(Problem::Invalid {
            key,
            fields: vec![FieldError {
                field: "customer_id",
                key,
            }],
            values: Vec::new(),
        }));
    }
    let role_cell = cells.get(Field::Role).unwrap_or("");
    let roles: Vec<&str> = role_cell.split('|').map(str::trim).collect();
    let mut links = Vec::new();
    for (i, reference) in refs.iter().enumerate() {
        let customer = match customers::by_number(tx, reference)? {
            Some(c) => Some(c),
            None => match BusinessId::parse(reference) {
                Ok(bid) => customers::by_business_id(tx, &bid)?,
                Err(_) => None,
            },
        };
        let customer =
            customer.ok_or_else(|| Fail::Row(Problem::CustomerNotFound(quote(reference))))?;
        let role = if refs.len() > 1 && roles.len() == refs.len() {
            roles[i]
        } else {
            role_cell
        };
        links.push((customer.id, role.to_string()));
    }
    Ok(links)
}

/// The one customer whose name folds to the same as `name` (`Kahvila Äijälä Oy` and
/// `KAHVILA AIJALA`), if exactly one does.
fn customer_by_name(tx: &rusqlite::Transaction, name: &str) -> Result<Option<CustomerId>, Fail> {
    let probe = CustomerInput {
        name: Some(name.to_string()),
        ..CustomerInput::default()
    };
    let Ok(fields) = crate::customers::validate::validate(&probe, None) else {
        return Ok(None);
    };
    let found = customers::look_alikes(tx, &fields, None)?;
    Ok(match found.as_slice() {
        [one] => Some(one.id),
        _ => None,
    })
}

/// Links a contact to its row's customers; an empty role keeps an existing link's role.
/// Returns whether anything changed.
fn apply_links(
    tx: &rusqlite::Transaction,
    contact: &Contact,
    links: &[(CustomerId, String)],
    by: Option<UserId>,
    values: &[(&'static str, String)],
) -> Result<bool, Fail> {
    let mut changed = false;
    for (customer, role) in links {
        let current = contact
            .customers
            .iter()
            .find(|l| l.customer_id == customer.0);
        let needed = match current {
            None => true,
            Some(link) => !role.is_empty() && link.role != *role,
        };
        if needed {
            contacts::link(tx, *customer, contact.id, role, by)
                .map_err(|e| store_fail(e, values))?;
            changed = true;
        }
    }
    Ok(changed)
}

fn contact_row(
    tx: &rusqlite::Transaction,
    cells: &Cells,
    by: Option<UserId>,
) -> Result<(Action, String), Fail> {
    let mut input = ContactInput {
        first_name: cells.text(Field::FirstName),
        last_name: cells.text(Field::LastName),
        email: cells.text(Field::Email),
        phone: cells.text(Field::Phone),
        title: cells.text(Field::Title),
        notes: cells.notes(),
        tags: cells.get(Field::Tags).map(tags::parse_list),
        customers: None,
    };
    if input.first_name.is_none() && input.last_name.is_none() {
        if let Some(full) = cells.get(Field::FullName) {
            // "First Last": the last word is the last name.
            match full.rsplit_once(char::is_whitespace) {
                Some((first, last)) => {
                    input.first_name = Some(first.trim().to_string());
                    input.last_name = Some(last.trim().to_string());
                }
                None => input.last_name = Some(full.to_string()),
            }
        }
    }
    let values = cells.values();
    let mut links = row_links(tx, cells)?;
    if cells.get(Field::Customer).is_none() {
        if let Some(id) = cells
            .get(Field::Organisation)
            .map(|org| customer_by_name(tx, org))
            .transpose()?
            .flatten()
        {
            links.push((id, cells.get(Field::Role).unwrap_or("").to_string()));
        }
    }
    let existing = match cells.get(Field::Email) {
        Some(email) => contacts::by_email(tx, email)?,
        None => None,
    };
    match existing {
        None => {
            let id = contacts::create(tx, &input, by).map_err(|e| store_fail(e, &values))?;
            let created = contacts::by_id(tx, id)?.ok_or(Fail::Db(Error::NotFound))?;
            apply_links(tx, &created, &links, by, &values)?;
            Ok((Action::Created, created.full_name()))
        }
        Some(before) => {
            let after =
                contacts::validate(&input, Some(&before)).map_err(|e| store_fail(e, &values))?;
            let same = contacts::validate(&ContactInput::default(), Some(&before))
                .is_ok_and(|now| now == after);
            if !same {
                contacts::update(tx, before.id, &input, by).map_err(|e| store_fail(e, &values))?;
            }
            let linked = apply_links(tx, &before, &links, by, &values)?;
            let action = if same && !linked {
                Action::Unchanged
            } else {
                Action::Updated
            };
            Ok((action, after.full_name()))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::exchange::table::read_csv;

    fn import(
        conn: &mut Connection,
        kind: Kind,
        csv: &str,
        options: &Options,
    ) -> Result<Report, ImportError> {
        let table = read_csv(csv.as_bytes()).unwrap();
        let mapping = Mapping::detect(kind, &table.headers);
        run(conn, kind, &table, &mapping, options, &mut |_| {})
    }

    fn count(conn: &Connection, table: &str) -> i64 {
        conn.query_row(&format!("SELECT count(*) FROM {table}"), [], |r| r.get(0))
            .unwrap()
    }

    const CUSTOMERS: &str = "Nimi;Y-tunnus;Puhelin;Tunnisteet;Lempiväri\nKahvila Äijälä Oy;0112038-9;040 1;VIP, Tampere;sininen\nMuu Oy;;;;\n";

    #[test]
    fn creates_then_matches_by_business_id_and_number() {
        let (_d, mut conn) = crate::db::temporary();
        let r = import(&mut conn, Kind::Customers, CUSTOMERS, &Options::default()).unwrap();
        assert_eq!((r.created, r.updated, r.unchanged), (2, 0, 0));
        let c = customers::by_number(&conn, "1001").unwrap().unwrap();
        assert_eq!(c.tags, ["Tampere", "VIP"]);
        let r = import(&mut conn, Kind::Customers, CUSTOMERS, &Options::default()).unwrap();
        // The second "Muu Oy" has no business ID nor number: a new customer.
        assert_eq!((r.created, r.updated, r.unchanged), (1, 0, 1));
        let r = import(
            &mut conn,
            Kind::Customers,
            "number;phone;name\n1001;040 2;\n1002;;Muu Yritys Oy\n",
            &Options::default(),
        )
        .unwrap();
        assert_eq!((r.created, r.updated, r.unchanged), (0, 2, 0));
        let c = customers::by_number(&conn, "1001").unwrap().unwrap();
        assert_eq!(
            (c.phone.as_str(), c.name.as_str()),
            ("040 2", "Kahvila Äijälä Oy")
        );
        assert_eq!(
            c.tags,
            ["Tampere", "VIP"],
            "an empty cell or a missing column changes nothing"
        );
        assert_eq!(count(&conn, "customers"), 3);
    }

    #[test]
    fn dry_run_writes_nothing_and_a_bad_row_stops_everything() {
        let (_d, mut conn) = crate::db::temporary();
        let r = import(
            &mut conn,
            Kind::Customers,
            CUSTOMERS,
            &Options {
                dry_run: true,
                ..Options::default()
            },
        )
        .unwrap();
        assert_eq!((r.created, r.dry_run), (2, true));
        assert_eq!(count(&conn, "customers"), 0);
        assert_eq!(count(&conn, "events"), 0);
        let bad = "nimi;ytunnus\nA Oy;0112038-9\nB Oy;1234567-8\nC Oy;\n";
        let err = import(&mut conn, Kind::Customers, bad, &Options::default()).unwrap_err();
        let ImportError::Row(err) = err else {
            panic!("{err:?}")
        };
        assert_eq!(err.line, 3);
        let text = err.message(Kind::Customers, Lang::En);
        assert!(
            text.starts_with("Row 3: Business ID \"1234567-8\": "),
            "{text}"
        );
        assert!(
            err.message(Kind::Customers, Lang::Fi)
                .starts_with("Rivi 3: Y-tunnus"),
            "{}",
            err.message(Kind::Customers, Lang::Fi)
        );
        assert_eq!(count(&conn, "customers"), 0);
        let r = import(
            &mut conn,
            Kind::Customers,
            bad,
            &Options {
                skip_invalid: true,
                ..Options::default()
            },
        )
        .unwrap();
        assert_eq!((r.created, r.skipped.len(), r.skipped[0].line), (2, 1, 3));
        assert_eq!(count(&conn, "customers"), 2);
    }

    #[test]
    fn contacts_update_by_email_and_link_to_customers() {
        let (_d, mut conn) = crate::db::temporary();
        import(
            &mut conn,
            Kind::Customers,
            "name;business_id\nAlfa Oy;0112038-9\nBeta Oy;\n",
            &Options::default(),
        )
        .unwrap();
        let csv = "Etunimi;Sukunimi;Sähköposti;Asiakas;Rooli\nMatti;Meikäläinen;matti@alfa.fi;0112038-9;Toimitusjohtaja\nLiisa;;liisa@beta.fi;1001 | 1002;Hallitus | Myynti\n";
        let r = import(&mut conn, Kind::Contacts, csv, &Options::default()).unwrap();
        assert_eq!(r.created, 2);
        let m = contacts::by_email(&conn, "MATTI@alfa.fi").unwrap().unwrap();
        assert_eq!(m.customers[0].role, "Toimitusjohtaja");
        let l = contacts::by_email(&conn, "liisa@beta.fi").unwrap().unwrap();
        assert_eq!(
            l.customers
                .iter()
                .map(|c| c.role.as_str())
                .collect::<Vec<_>>(),
            ["Hallitus", "Myynti"]
        );
        let r = import(&mut conn, Kind::Contacts, csv, &Options::default()).unwrap();
        assert_eq!((r.created, r.updated, r.unchanged), (0, 0, 2));
        let r = import(
            &mut conn,
            Kind::Contacts,
            "email;title;customer;role\nmatti@alfa.fi;CEO;1002;\n",
            &Options::default(),
        )
        .unwrap();
        assert_eq!(r.updated, 1);
        let m = contacts::by_email(&conn, "matti@alfa.fi").unwrap().unwrap();
        assert_eq!(
            (
                m.title.as_str(),
                m.customers.len(),
                m.customers[0].role.as_str()
            ),
            ("CEO", 2, "Toimitusjohtaja")
        );
        assert_eq!(count(&conn, "contacts"), 2);
        let err = import(
            &mut conn,
            Kind::Contacts,
            "nimi;asiakas\nPekka Puu;9999\n",
            &Options::default(),
        )
        .unwrap_err();
        let ImportError::Row(err) = err else { panic!() };
        assert!(
            err.message(Kind::Contacts, Lang::En).contains("9999"),
            "{}",
            err.message(Kind::Contacts, Lang::En)
        );
        let r = import(
            &mut conn,
            Kind::Contacts,
            "nimi;yritys;rooli\nPekka Puu;BETA;Hallitus\nSaara Sarvi;Gamma Oy;\n",
            &Options::default(),
        )
        .unwrap();
        assert_eq!((r.created, r.outcomes[0].label.as_str()), (2, "Pekka Puu"));
        let beta = customers::by_number(&conn, "1002").unwrap().unwrap().id;
        let linked = contacts::of_customer(&conn, beta).unwrap();
        assert!(
            linked
                .iter()
                .any(|(c, role)| c.last_name == "Puu" && role == "Hallitus"),
            "{linked:?}"
        );
    }

    #[test]
    fn yes_and_no_in_both_languages() {
        assert_eq!(parse_yes_no("Kyllä"), Some(true));
        assert_eq!(parse_yes_no("no"), Some(false));
        assert_eq!(parse_yes_no("ehkä"), None);
    }
}

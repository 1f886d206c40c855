//! The import of customers and contacts, shared by `minicrm import` and the import page.
//!
//! Two passes (see [`run`]): a check of every row against a read snapshot, without the write
//! lock (a dry run is only this), then the write: one transaction for the whole file (so a
//! failure writes nothing), one savepoint per row (so `skip_invalid` drops a bad row whole).
//! Every change goes through the stores, which validate and log it like a form would.

use std::collections::HashMap;

use rusqlite::Connection;

use super::fields::{Field, Kind, Mapping};
use super::table::{Format, Row, Table};
use crate::contacts::store as contacts;
use crate::contacts::{Contact, ContactId, ContactInput, Link};
use crate::customers::store as customers;
use crate::customers::{BusinessId, Customer, CustomerId, CustomerInput};
use crate::error::{Error, FieldError};
use crate::i18n::Lang;
use crate::register::tags;
use crate::users::UserId;

mod apply;
mod plan;

use apply::Apply;
use plan::Plan;

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
            Format::Csv | Format::Sheet => {
                lang.tf("exchange.at_row", &[("row", &self.line.to_string())])
            }
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

/// How the import loop stopped early.
enum Stop {
    Row(RowError),
    Db(Error),
}

impl From<rusqlite::Error> for Stop {
    fn from(e: rusqlite::Error) -> Stop {
        Stop::Db(e.into())
    }
}

impl From<Stop> for ImportError {
    fn from(stop: Stop) -> ImportError {
        match stop {
            Stop::Row(err) => ImportError::Row(err),
            Stop::Db(err) => ImportError::Db(err),
        }
    }
}

/// Which pass of an import `progress` is told about.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Phase {
    /// Checking every row against a snapshot, without the write lock (all a dry run does).
    Check,
    /// Writing, in the one write transaction.
    Write,
}

/// Imports the rows of `table` as `kind` with the columns of `mapping`. `progress` is called
/// with the phase and the number of its rows done.
///
/// Two passes, so that the write lock is held only while writing (docs/ARCHITECTURE.md, "Concurrency"): first every row
/// is checked against a read snapshot, without the write lock ([`Plan`]; a dry run stops
/// there). A bad row then stops the import (unless `skip_invalid`) before anything waits for or
/// blocks a writer. Then the rows are written in one transaction through the stores, which
/// check everything again, so a change made by someone else in between is still caught and the
/// import stays all or nothing.
pub(crate) fn run(
    conn: &mut Connection,
    kind: Kind,
    table: &Table,
    mapping: &Mapping,
    options: &Options,
    progress: &mut dyn FnMut(Phase, usize),
) -> Result<Report, ImportError> {
    let planned = {
        // A deferred transaction that only reads: one consistent snapshot, no write lock.
        let snapshot = conn.transaction().map_err(|e| ImportError::Db(e.into()))?;
        let mut plan = Plan::new(&snapshot);
        let mut report = Report::new(true);
        import_rows(
            &mut plan,
            kind,
            table,
            mapping,
            options,
            &mut report,
            &mut |n| progress(Phase::Check, n),
        )?;
        report
    };
    if options.dry_run {
        return Ok(planned);
    }
    let written = crate::db::write(conn, |tx| {
        let mut apply = Apply { tx };
        let mut report = Report::new(false);
        import_rows(
            &mut apply,
            kind,
            table,
            mapping,
            options,
            &mut report,
            &mut |n| progress(Phase::Write, n),
        )?;
        Ok::<_, Stop>(report)
    })?;
    Ok(written)
}

/// The loop both passes share: each row through `target`, as one unit (a failed row leaves
/// nothing behind), counted in `report`.
fn import_rows(
    target: &mut impl Target,
    kind: Kind,
    table: &Table,
    mapping: &Mapping,
    options: &Options,
    report: &mut Report,
    progress: &mut dyn FnMut(usize),
) -> Result<(), Stop> {
    for (done, row) in table.rows.iter().enumerate() {
        target.begin_row()?;
        let cells = Cells { row, mapping };
        let result = match kind {
            Kind::Customers => customer_row(target, &cells, options.by),
            Kind::Contacts => contact_row(target, &cells, options.by),
        };
        match result {
            Ok((action, label)) => {
                target.end_row(true)?;
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
                target.end_row(false)?;
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
    Ok(())
}

/// Where a row's changes go: into the database ([`Apply`]), or into a [`Plan`] that only works
/// out what they would be. The row functions below are written once against this.
trait Target {
    /// Starts a row; `end_row(false)` undoes everything the row did.
    fn begin_row(&mut self) -> rusqlite::Result<()>;
    fn end_row(&mut self, keep: bool) -> rusqlite::Result<()>;
    fn customer_by_business_id(&self, bid: &BusinessId) -> Result<Option<Customer>, Fail>;
    fn customer_by_number(&self, number: &str) -> Result<Option<Customer>, Fail>;
    fn customer_by_name(&self, name: &str) -> Result<Option<CustomerId>, Fail>;
    fn contact_by_email(&self, email: &str) -> Result<Option<Contact>, Fail>;
    /// Creates a customer and returns its name as stored.
    fn create_customer(
        &mut self,
        input: &CustomerInput,
        by: Option<UserId>,
        values: &Values,
    ) -> Result<String, Fail>;
    fn update_customer(
        &mut self,
        before: &Customer,
        input: &CustomerInput,
        by: Option<UserId>,
        values: &Values,
    ) -> Result<(), Fail>;
    fn create_contact(
        &mut self,
        input: &ContactInput,
        by: Option<UserId>,
        values: &Values,
    ) -> Result<Contact, Fail>;
    fn update_contact(
        &mut self,
        before: &Contact,
        input: &ContactInput,
        by: Option<UserId>,
        values: &Values,
    ) -> Result<(), Fail>;
    /// Links a contact to a customer with a role (or changes the role).
    fn link(
        &mut self,
        customer: CustomerId,
        contact: &Contact,
        role: &str,
        by: Option<UserId>,
        values: &Values,
    ) -> Result<(), Fail>;
}

/// The cells of a row by store field name, quoted in error messages.
type Values = [(&'static str, String)];

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
    target: &mut impl Target,
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
    // The same customer: by business ID, else by customer number.
    let mut existing = match cells
        .get(Field::BusinessId)
        .and_then(|t| BusinessId::parse(t).ok())
    {
        Some(bid) => target.customer_by_business_id(&bid)?,
        None => None,
    };
    if existing.is_none() {
        if let Some(number) = cells.get(Field::Number) {
            existing = target.customer_by_number(number)?;
        }
    }
    match existing {
        None => {
            let name = target.create_customer(&input, by, &values)?;
            Ok((Action::Created, name))
        }
        Some(before) => {
            let after = crate::customers::validate::validate(&input, Some(&before))
                .map_err(|e| store_fail(e, &values))?;
            let same =
                crate::customers::validate::validate(&CustomerInput::default(), Some(&before))
                    .is_ok_and(|now| now == after);
            if same {
                return Ok((Action::Unchanged, before.name));
            }
            target.update_customer(&before, &input, by, &values)?;
            Ok((Action::Updated, after.name))
        }
    }
}

/// The customers a contact row links to: references (customer numbers or business IDs)
/// separated by `|` or `,`, each with its role (one role for all, or one per customer
/// separated by `|`).
fn row_links(target: &impl Target, cells: &Cells) -> Result<Vec<(CustomerId, String)>, Fail> {
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
        let customer = match target.customer_by_number(reference)? {
            Some(c) => Some(c),
            None => match BusinessId::parse(reference) {
                Ok(bid) => target.customer_by_business_id(&bid)?,
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
fn customer_by_name(conn: &Connection, name: &str) -> Result<Option<CustomerId>, Fail> {
    let probe = CustomerInput {
        name: Some(name.to_string()),
        ..CustomerInput::default()
    };
    let Ok(fields) = crate::customers::validate::validate(&probe, None) else {
        return Ok(None);
    };
    let found = customers::look_alikes(conn, &fields, None)?;
    Ok(match found.as_slice() {
        [one] => Some(one.id),
        _ => None,
    })
}

/// Links a contact to its row's customers; an empty role keeps an existing link's role.
/// Returns whether anything changed.
fn apply_links(
    target: &mut impl Target,
    contact: &Contact,
    links: &[(CustomerId, String)],
    by: Option<UserId>,
    values: &Values,
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
            target.link(*customer, contact, role, by, values)?;
            changed = true;
        }
    }
    Ok(changed)
}

fn contact_row(
    target: &mut impl Target,
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
    let mut links = row_links(target, cells)?;
    if cells.get(Field::Customer).is_none() {
        if let Some(id) = cells
            .get(Field::Organisation)
            .map(|org| target.customer_by_name(org))
            .transpose()?
            .flatten()
        {
            links.push((id, cells.get(Field::Role).unwrap_or("").to_string()));
        }
    }
    let existing = match cells.get(Field::Email) {
        Some(email) => target.contact_by_email(email)?,
        None => None,
    };
    match existing {
        None => {
            let created = target.create_contact(&input, by, &values)?;
            apply_links(target, &created, &links, by, &values)?;
            Ok((Action::Created, created.full_name()))
        }
        Some(before) => {
            let after =
                contacts::validate(&input, Some(&before)).map_err(|e| store_fail(e, &values))?;
            let same = contacts::validate(&ContactInput::default(), Some(&before))
                .is_ok_and(|now| now == after);
            if !same {
                target.update_contact(&before, &input, by, &values)?;
            }
            let linked = apply_links(target, &before, &links, by, &values)?;
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
mod tests;

//! The import of customers and contacts, shared by `minicrm import` and the import page.
//!
//! Two passes (see [`run`]): a check of every row against a read snapshot, without the write
//! lock (a dry run is only this), then the write: one transaction for the whole file (so a
//! failure writes nothing), one savepoint per row (so `skip_invalid` drops a bad row whole).
//! Every change goes through the stores, which validate and log it like a form would.

use std::collections::HashMap;

use crate::log::{EventKind, NewEvent, Sentence};
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
mod rows;

use apply::Apply;
use plan::Plan;
use rows::*;

#[derive(Debug, Clone)]
pub(crate) struct Options {
    /// Report what would happen and write nothing.
    pub dry_run: bool,
    /// Import the good rows and report the bad ones, instead of stopping at the first.
    pub skip_invalid: bool,
    /// Who imports (for the log); `None` from the command line.
    pub by: Option<UserId>,
    /// How many rows the report keeps in detail (the rest are only counted): a page shows a
    /// few, and a report of every row of a big file would take more memory than the file.
    pub detail: usize,
    /// The file's name, for the log's entry of the import.
    pub file: String,
    /// What to do with a row (by its line) that only looks like an existing record (the same
    /// name, no business ID, number or e-mail to be sure by): update it (the default), add a
    /// new one, or leave the row out.
    pub choices: HashMap<usize, Choice>,
}

/// The choice for a row that only looks like an existing record.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Choice {
    Update,
    Add,
    Skip,
}

impl Choice {
    pub(crate) const ALL: [Choice; 3] = [Choice::Update, Choice::Add, Choice::Skip];

    pub(crate) fn as_str(self) -> &'static str {
        match self {
            Choice::Update => "update",
            Choice::Add => "add",
            Choice::Skip => "skip",
        }
    }

    pub(crate) fn parse(text: &str) -> Option<Choice> {
        Choice::ALL.into_iter().find(|c| c.as_str() == text)
    }
}

impl Default for Options {
    fn default() -> Options {
        Options {
            dry_run: false,
            skip_invalid: false,
            by: None,
            detail: usize::MAX,
            file: String::new(),
            choices: HashMap::new(),
        }
    }
}

/// What a row did (or would do, in a dry run).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Action {
    Created,
    Updated,
    /// Matched an existing one whose fields already were as the row says.
    Unchanged,
    /// Left out by the admin's choice ([`Choice::Skip`]).
    Skipped,
}

#[derive(Debug, Clone)]
pub(crate) struct Outcome {
    pub line: usize,
    pub action: Action,
    /// The customer's or contact's name, to show in a report.
    pub label: String,
    /// What an update changes, field by field (empty for a new one).
    pub changes: Vec<Change>,
}

/// One field an update changes: the value stored and the value it gets. `Archived` holds
/// `yes`/`no`, tags are joined with `, `.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Change {
    pub field: Field,
    pub old: String,
    pub new: String,
}

/// A value in the form two spellings of the same thing share: phone numbers without spaces
/// and with `0` for `+358`, e-mail addresses in lower case, web addresses without the scheme,
/// `www.` and a trailing `/`, other text with single spaces.
pub(crate) fn normalised(field: Field, text: &str) -> String {
    let text = text.split_whitespace().collect::<Vec<_>>().join(" ");
    match field {
        Field::Phone => {
            let digits: String = text
                .chars()
                .filter(|c| !matches!(c, ' ' | '-' | '(' | ')' | '.' | '/'))
                .collect();
            match digits
                .strip_prefix("+358")
                .or_else(|| digits.strip_prefix("00358"))
            {
                Some(rest) => format!("0{}", rest.trim_start_matches('0')),
                None => digits,
            }
        }
        Field::Email => text.to_lowercase(),
        Field::Website => {
            let lower = text.to_lowercase();
            let bare = lower
                .strip_prefix("https://")
                .or_else(|| lower.strip_prefix("http://"))
                .unwrap_or(&lower);
            let bare = bare.strip_prefix("www.").unwrap_or(bare);
            bare.trim_end_matches('/').to_string()
        }
        Field::BusinessId => BusinessId::parse(&text)
            .map(|b| b.as_str().to_string())
            .unwrap_or(text),
        Field::Country => text.to_uppercase(),
        _ => text,
    }
}

/// Takes out of `given` a value that is the stored one in another spelling, so it changes
/// nothing.
fn keep_stored(field: Field, given: &mut Option<String>, stored: &str) {
    if given
        .as_deref()
        .is_some_and(|g| normalised(field, g) == normalised(field, stored))
    {
        *given = None;
    }
}

/// The fields that differ between two versions, as text.
fn changes(pairs: &[(Field, String, String)]) -> Vec<Change> {
    pairs
        .iter()
        .filter(|(_, old, new)| old != new)
        .map(|(field, old, new)| Change {
            field: *field,
            old: old.clone(),
            new: new.clone(),
        })
        .collect()
}

fn customer_changes(
    now: &crate::customers::validate::Fields,
    after: &crate::customers::validate::Fields,
) -> Vec<Change> {
    let bid = |f: &crate::customers::validate::Fields| {
        f.business_id
            .as_ref()
            .map(|b| b.as_str().to_string())
            .unwrap_or_default()
    };
    let yes_no = |b: bool| if b { "yes" } else { "no" }.to_string();
    changes(&[
        (Field::Name, now.name.clone(), after.name.clone()),
        (Field::BusinessId, bid(now), bid(after)),
        (Field::Email, now.email.clone(), after.email.clone()),
        (Field::Phone, now.phone.clone(), after.phone.clone()),
        (Field::Website, now.website.clone(), after.website.clone()),
        (Field::Street, now.street.clone(), after.street.clone()),
        (
            Field::PostalCode,
            now.postal_code.clone(),
            after.postal_code.clone(),
        ),
        (Field::City, now.city.clone(), after.city.clone()),
        (Field::Country, now.country.clone(), after.country.clone()),
        (
            Field::EinvoiceAddress,
            now.einvoice_address.clone(),
            after.einvoice_address.clone(),
        ),
        (
            Field::EinvoiceOperator,
            now.einvoice_operator.clone(),
            after.einvoice_operator.clone(),
        ),
        (Field::Tags, now.tags.join(", "), after.tags.join(", ")),
        (Field::Notes, now.notes.clone(), after.notes.clone()),
        (
            Field::Archived,
            yes_no(now.archived),
            yes_no(after.archived),
        ),
    ])
}

fn contact_changes(now: &contacts::Fields, after: &contacts::Fields) -> Vec<Change> {
    changes(&[
        (
            Field::FirstName,
            now.first_name.clone(),
            after.first_name.clone(),
        ),
        (
            Field::LastName,
            now.last_name.clone(),
            after.last_name.clone(),
        ),
        (Field::Email, now.email.clone(), after.email.clone()),
        (Field::Phone, now.phone.clone(), after.phone.clone()),
        (Field::Title, now.title.clone(), after.title.clone()),
        (Field::Tags, now.tags.join(", "), after.tags.join(", ")),
        (Field::Notes, now.notes.clone(), after.notes.clone()),
    ])
}

/// The customer a row without a matching business ID or number is, by the look-alike rules of
/// the forms: the same folded name (`Kahvila Äijälä Oy` = `KAHVILA AIJALA`), unless its
/// business ID or e-mail address says it is another one. Of several, the one with the same
/// e-mail address, else the oldest.
fn pick_look_alike(
    row: &crate::customers::validate::Fields,
    candidates: Vec<Customer>,
) -> Option<Customer> {
    let key = crate::customers::name_key(&row.name);
    if key.is_empty() {
        return None;
    }
    let same_email =
        |c: &Customer| !row.email.is_empty() && c.email.eq_ignore_ascii_case(&row.email);
    let mut fitting: Vec<Customer> = candidates
        .into_iter()
        .filter(|c| crate::customers::name_key(&c.name) == key)
        .filter(|c| match (&row.business_id, &c.business_id) {
            (Some(a), Some(b)) => a.as_str() == b,
            _ => true,
        })
        .filter(|c| row.email.is_empty() || c.email.is_empty() || same_email(c))
        .collect();
    // Stored ones first (new ones in a plan have negative ids), then in the order made.
    fitting.sort_by_key(|c| (!same_email(c), c.id.0 < 0, c.id.0.abs()));
    fitting.into_iter().next()
}

/// The key contacts are the same by when they have no e-mail: the name, case folded.
pub(crate) fn person_key(first: &str, last: &str) -> String {
    format!(
        "{}\u{1f}{}",
        first.trim().to_lowercase(),
        last.trim().to_lowercase()
    )
}

/// The stored contacts of `customers` named `key` ([`person_key`]), each as `planned` has it
/// (a check pass's changes; as stored for the write pass).
fn stored_named_at(
    conn: &Connection,
    key: &str,
    customers: &[CustomerId],
    planned: impl Fn(Contact) -> Result<Contact, Fail>,
) -> Result<Vec<Contact>, Fail> {
    let mut found = Vec::new();
    for customer in customers {
        for (c, _) in contacts::of_customer(conn, *customer)? {
            let c = planned(c)?;
            if named_at(&c, key, customers) {
                found.push(c);
            }
        }
    }
    Ok(found)
}

/// Whether `c` is a contact named `key` ([`person_key`]) at one of `customers`.
fn named_at(c: &Contact, key: &str, customers: &[CustomerId]) -> bool {
    person_key(&c.first_name, &c.last_name) == key
        && c.customers
            .iter()
            .any(|l| customers.iter().any(|id| id.0 == l.customer_id))
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
    /// The first rows done ([`Options::detail`] of them).
    pub outcomes: Vec<Outcome>,
    /// Rows left out by the admin's choice.
    pub left_out: usize,
    /// The first rows that only look like an existing record ([`Options::detail`] of them),
    /// whose choice the preview offers.
    pub look_alikes: Vec<Outcome>,
    /// The first rows skipped ([`Options::detail`] of them), of `skipped_count`.
    pub skipped: Vec<RowError>,
    pub skipped_count: usize,
}

impl Report {
    fn new(dry_run: bool) -> Report {
        Report {
            dry_run,
            created: 0,
            updated: 0,
            unchanged: 0,
            left_out: 0,
            look_alikes: Vec::new(),
            outcomes: Vec::new(),
            skipped: Vec::new(),
            skipped_count: 0,
        }
    }

    /// Rows done (created, updated, unchanged or left out).
    pub(crate) fn done(&self) -> usize {
        self.created + self.updated + self.unchanged + self.left_out
    }

    /// The one-line summary, in English for the command line.
    pub(crate) fn summary_en(&self) -> String {
        let skipped = match self.skipped_count {
            0 => String::new(),
            n => format!(", skipped {n}"),
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
        let mut plan = Plan::new(&snapshot).map_err(|e| ImportError::Db(e.into()))?;
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
        // The import as such, besides each record's own event.
        let key = match kind {
            Kind::Customers => "summary.imported_customers",
            Kind::Contacts => "summary.imported_contacts",
        };
        let summary = Sentence::new(key)
            .text("file", options.file.as_str())
            .text("created", report.created.to_string())
            .text("updated", report.updated.to_string());
        let mut event = NewEvent::said(EventKind::Imported, summary);
        event.user_id = options.by.map(|u| u.0);
        crate::log::append(tx, &event)?;
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
    for (done, row) in table.rows().enumerate() {
        target.begin_row()?;
        let cells = Cells { row: &row, mapping };
        let choice = options.choices.get(&row.line).copied();
        let result = match kind {
            Kind::Customers => customer_row(target, &cells, options.by, choice),
            Kind::Contacts => contact_row(target, &cells, options.by, choice),
        };
        match result {
            Ok(Done {
                action,
                label,
                changes,
                look_alike,
            }) => {
                target.end_row(true)?;
                match action {
                    Action::Created => report.created += 1,
                    Action::Updated => report.updated += 1,
                    Action::Unchanged => report.unchanged += 1,
                    Action::Skipped => report.left_out += 1,
                }
                let outcome = Outcome {
                    line: row.line,
                    action,
                    label,
                    changes,
                };
                if look_alike && report.look_alikes.len() < options.detail {
                    report.look_alikes.push(outcome.clone());
                }
                if report.outcomes.len() < options.detail {
                    report.outcomes.push(outcome);
                }
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
                report.skipped_count += 1;
                if report.skipped.len() < options.detail {
                    report.skipped.push(err);
                }
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
    /// The customer a row is by the forms' look-alike rules ([`pick_look_alike`]).
    fn customer_look_alike(
        &self,
        row: &crate::customers::validate::Fields,
    ) -> Result<Option<Customer>, Fail>;
    fn contact_by_email(&self, email: &str) -> Result<Option<Contact>, Fail>;
    /// The contact of this name (case-insensitive) at one of `customers`, as the forms warn of
    /// it; the oldest of several.
    fn contact_by_name_at(
        &self,
        first: &str,
        last: &str,
        customers: &[CustomerId],
    ) -> Result<Option<Contact>, Fail>;
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

#[cfg(test)]
mod tests;

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
/// Two passes, so that the write lock is held only while writing (invariant 8): first every row
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

/// The write pass: every change through the stores, in the import's transaction, one
/// savepoint per row.
struct Apply<'a> {
    tx: &'a rusqlite::Transaction<'a>,
}

impl Target for Apply<'_> {
    fn begin_row(&mut self) -> rusqlite::Result<()> {
        self.tx.execute_batch("SAVEPOINT import_row")
    }

    fn end_row(&mut self, keep: bool) -> rusqlite::Result<()> {
        let sql = if keep {
            "RELEASE import_row"
        } else {
            "ROLLBACK TO import_row; RELEASE import_row"
        };
        self.tx.execute_batch(sql)
    }

    fn customer_by_business_id(&self, bid: &BusinessId) -> Result<Option<Customer>, Fail> {
        Ok(customers::by_business_id(self.tx, bid)?)
    }

    fn customer_by_number(&self, number: &str) -> Result<Option<Customer>, Fail> {
        Ok(customers::by_number(self.tx, number)?)
    }

    fn customer_by_name(&self, name: &str) -> Result<Option<CustomerId>, Fail> {
        customer_by_name(self.tx, name)
    }

    fn contact_by_email(&self, email: &str) -> Result<Option<Contact>, Fail> {
        Ok(contacts::by_email(self.tx, email)?)
    }

    fn create_customer(
        &mut self,
        input: &CustomerInput,
        by: Option<UserId>,
        values: &Values,
    ) -> Result<String, Fail> {
        let id = customers::create(self.tx, input, by).map_err(|e| store_fail(e, values))?;
        Ok(customers::by_id(self.tx, id)?
            .map(|c| c.name)
            .unwrap_or_default())
    }

    fn update_customer(
        &mut self,
        before: &Customer,
        input: &CustomerInput,
        by: Option<UserId>,
        values: &Values,
    ) -> Result<(), Fail> {
        customers::update(self.tx, before.id, input, by).map_err(|e| store_fail(e, values))
    }

    fn create_contact(
        &mut self,
        input: &ContactInput,
        by: Option<UserId>,
        values: &Values,
    ) -> Result<Contact, Fail> {
        let id = contacts::create(self.tx, input, by).map_err(|e| store_fail(e, values))?;
        contacts::by_id(self.tx, id)?.ok_or(Fail::Db(Error::NotFound))
    }

    fn update_contact(
        &mut self,
        before: &Contact,
        input: &ContactInput,
        by: Option<UserId>,
        values: &Values,
    ) -> Result<(), Fail> {
        contacts::update(self.tx, before.id, input, by).map_err(|e| store_fail(e, values))
    }

    fn link(
        &mut self,
        customer: CustomerId,
        contact: &Contact,
        role: &str,
        by: Option<UserId>,
        values: &Values,
    ) -> Result<(), Fail> {
        contacts::link(self.tx, customer, contact.id, role, by).map_err(|e| store_fail(e, values))
    }
}

/// The check pass (and all a dry run does): reads one snapshot and keeps in memory what the
/// rows so far would have created or changed, so a later row of the same file sees them (a
/// repeated business ID updates the customer an earlier row created). It checks what the stores
/// check on create, update and link (the store's own `validate` and `check_link`, and the
/// uniqueness of business IDs and customer numbers), writes nothing and takes no write lock.
///
/// Two things it cannot know, which only the write pass finds: the number a new customer will
/// be given (so a later row cannot refer to it), and changes others make in between.
struct Plan<'a> {
    conn: &'a Connection,
    /// Customers created (negative ids) or changed by the rows so far, as they would be.
    customers: HashMap<i64, Customer>,
    /// Business ID and number → id, for `customers`.
    by_business_id: HashMap<String, i64>,
    by_number: HashMap<String, i64>,
    contacts: HashMap<i64, Contact>,
    /// Lower-cased e-mail → the lowest id, for the contacts created in the plan.
    new_by_email: HashMap<String, i64>,
    /// The id the next new record gets (counting down from -1, never a real id).
    next_id: i64,
    /// What the current row replaced, to put back if it fails.
    undo: Vec<Undo>,
}

enum Undo {
    Customer(i64, Option<Customer>),
    Contact(i64, Option<Contact>),
}

impl<'a> Plan<'a> {
    fn new(conn: &'a Connection) -> Plan<'a> {
        Plan {
            conn,
            customers: HashMap::new(),
            by_business_id: HashMap::new(),
            by_number: HashMap::new(),
            contacts: HashMap::new(),
            new_by_email: HashMap::new(),
            next_id: -1,
            undo: Vec::new(),
        }
    }

    fn new_id(&mut self) -> i64 {
        let id = self.next_id;
        self.next_id -= 1;
        id
    }

    /// Puts a customer (or its absence) in the plan, keeping the lookups right.
    fn set_customer(&mut self, id: i64, customer: Option<Customer>) {
        if let Some(old) = self.customers.remove(&id) {
            if let Some(bid) = &old.business_id {
                if self.by_business_id.get(bid) == Some(&id) {
                    self.by_business_id.remove(bid);
                }
            }
            if self.by_number.get(&old.number) == Some(&id) {
                self.by_number.remove(&old.number);
            }
        }
        if let Some(c) = customer {
            if let Some(bid) = &c.business_id {
                self.by_business_id.insert(bid.clone(), id);
            }
            if !c.number.is_empty() {
                self.by_number.insert(c.number.clone(), id);
            }
            self.customers.insert(id, c);
        }
    }

    fn put_customer(&mut self, customer: Customer) {
        let id = customer.id.0;
        self.undo
            .push(Undo::Customer(id, self.customers.get(&id).cloned()));
        self.set_customer(id, Some(customer));
    }

    fn set_contact(&mut self, id: i64, contact: Option<Contact>) {
        if let Some(old) = self.contacts.remove(&id) {
            let key = old.email.to_lowercase();
            if self.new_by_email.get(&key) == Some(&id) {
                self.new_by_email.remove(&key);
            }
        }
        if let Some(c) = contact {
            if id < 0 && !c.email.is_empty() {
                // The lowest id of a new contact is the one created first (ids count down).
                let key = c.email.to_lowercase();
                let first = self
                    .new_by_email
                    .get(&key)
                    .map_or(id, |&other| other.max(id));
                self.new_by_email.insert(key, first);
            }
            self.contacts.insert(id, c);
        }
    }

    fn put_contact(&mut self, contact: Contact) {
        let id = contact.id.0;
        self.undo
            .push(Undo::Contact(id, self.contacts.get(&id).cloned()));
        self.set_contact(id, Some(contact));
    }

    /// A stored customer as the plan has it: changed, or as stored.
    fn planned_customer(&self, stored: Option<Customer>) -> Option<Customer> {
        stored.map(|c| self.customers.get(&c.id.0).cloned().unwrap_or(c))
    }
}

/// A customer as `fields` would store it.
fn customer_from(
    id: CustomerId,
    number: String,
    fields: &crate::customers::validate::Fields,
    base: Option<&Customer>,
) -> Customer {
    Customer {
        id,
        number,
        name: fields.name.clone(),
        business_id: fields.business_id.as_ref().map(|b| b.as_str().to_string()),
        email: fields.email.clone(),
        phone: fields.phone.clone(),
        website: fields.website.clone(),
        street: fields.street.clone(),
        postal_code: fields.postal_code.clone(),
        city: fields.city.clone(),
        country: fields.country.clone(),
        einvoice_address: fields.einvoice_address.clone(),
        einvoice_operator: fields.einvoice_operator.clone(),
        notes: fields.notes.clone(),
        tags: fields.tags.clone(),
        owner_id: fields.owner_id,
        archived: fields.archived,
        created_at: base.map(|b| b.created_at.clone()).unwrap_or_default(),
        updated_at: base.map(|b| b.updated_at.clone()).unwrap_or_default(),
    }
}

/// A contact as `fields` would store it.
fn contact_from(id: ContactId, fields: &contacts::Fields, base: Option<&Contact>) -> Contact {
    Contact {
        id,
        first_name: fields.first_name.clone(),
        last_name: fields.last_name.clone(),
        email: fields.email.clone(),
        phone: fields.phone.clone(),
        title: fields.title.clone(),
        notes: fields.notes.clone(),
        tags: fields.tags.clone(),
        customers: base.map(|b| b.customers.clone()).unwrap_or_default(),
        created_at: base.map(|b| b.created_at.clone()).unwrap_or_default(),
        updated_at: base.map(|b| b.updated_at.clone()).unwrap_or_default(),
    }
}

/// The conflict `customers::store` reports for a taken business ID or number.
fn taken(field: &'static str, key: &'static str) -> Error {
    Error::Conflict {
        key,
        fields: vec![FieldError { field, key }],
    }
}

impl Target for Plan<'_> {
    fn begin_row(&mut self) -> rusqlite::Result<()> {
        self.undo.clear();
        Ok(())
    }

    fn end_row(&mut self, keep: bool) -> rusqlite::Result<()> {
        let undo = std::mem::take(&mut self.undo);
        if !keep {
            for step in undo.into_iter().rev() {
                match step {
                    Undo::Customer(id, before) => self.set_customer(id, before),
                    Undo::Contact(id, before) => self.set_contact(id, before),
                }
            }
        }
        Ok(())
    }

    fn customer_by_business_id(&self, bid: &BusinessId) -> Result<Option<Customer>, Fail> {
        if let Some(id) = self.by_business_id.get(bid.as_str()) {
            return Ok(self.customers.get(id).cloned());
        }
        // A stored one the plan changed no longer has this business ID (else it would be
        // found above).
        Ok(customers::by_business_id(self.conn, bid)?
            .filter(|c| !self.customers.contains_key(&c.id.0)))
    }

    fn customer_by_number(&self, number: &str) -> Result<Option<Customer>, Fail> {
        if let Some(id) = self.by_number.get(number.trim()) {
            return Ok(self.customers.get(id).cloned());
        }
        Ok(self.planned_customer(customers::by_number(self.conn, number)?))
    }

    fn customer_by_name(&self, name: &str) -> Result<Option<CustomerId>, Fail> {
        // Only a contact import asks, and it creates or changes no customers.
        customer_by_name(self.conn, name)
    }

    fn contact_by_email(&self, email: &str) -> Result<Option<Contact>, Fail> {
        if let Some(stored) = contacts::by_email(self.conn, email)? {
            return Ok(Some(
                self.contacts.get(&stored.id.0).cloned().unwrap_or(stored),
            ));
        }
        let key = email.trim().to_lowercase();
        Ok(self
            .new_by_email
            .get(&key)
            .and_then(|id| self.contacts.get(id))
            .cloned())
    }

    fn create_customer(
        &mut self,
        input: &CustomerInput,
        _by: Option<UserId>,
        values: &Values,
    ) -> Result<String, Fail> {
        let fail = |e: Error| store_fail(e, values);
        // What `customers::store::create` checks, in its order.
        let fields = crate::customers::validate::validate(input, None).map_err(fail)?;
        if let Some(bid) = &fields.business_id {
            if self.customer_by_business_id(bid)?.is_some() {
                return Err(fail(taken("business_id", "customers.business_id_taken")));
            }
        }
        if let Some(owner) = fields.owner_id {
            if crate::users::store::user_by_id(self.conn, UserId(owner))?.is_none() {
                return Err(fail(Error::field("owner_id", "customers.owner_invalid")));
            }
        }
        let number = input.number.as_deref().map(str::trim).unwrap_or("");
        if number.chars().count() > 30 {
            return Err(fail(Error::field("number", "form.too_long")));
        }
        if !number.is_empty() && self.customer_by_number(number)?.is_some() {
            return Err(fail(taken("number", "customers.number_taken")));
        }
        let id = CustomerId(self.new_id());
        self.put_customer(customer_from(id, number.to_string(), &fields, None));
        Ok(fields.name)
    }

    fn update_customer(
        &mut self,
        before: &Customer,
        input: &CustomerInput,
        _by: Option<UserId>,
        values: &Values,
    ) -> Result<(), Fail> {
        let fail = |e: Error| store_fail(e, values);
        let fields = crate::customers::validate::validate(input, Some(before)).map_err(fail)?;
        if let Some(bid) = &fields.business_id {
            if self
                .customer_by_business_id(bid)?
                .is_some_and(|other| other.id != before.id)
            {
                return Err(fail(taken("business_id", "customers.business_id_taken")));
            }
        }
        if let Some(owner) = fields.owner_id {
            if crate::users::store::user_by_id(self.conn, UserId(owner))?.is_none() {
                return Err(fail(Error::field("owner_id", "customers.owner_invalid")));
            }
        }
        self.put_customer(customer_from(
            before.id,
            before.number.clone(),
            &fields,
            Some(before),
        ));
        Ok(())
    }

    fn create_contact(
        &mut self,
        input: &ContactInput,
        _by: Option<UserId>,
        values: &Values,
    ) -> Result<Contact, Fail> {
        let fields = contacts::validate(input, None).map_err(|e| store_fail(e, values))?;
        let mut contact = contact_from(ContactId(self.new_id()), &fields, None);
        for link in input.customers.iter().flatten() {
            contacts::check_link(self.conn, link).map_err(|e| store_fail(e, values))?;
            contact.customers.push(link.clone());
        }
        self.put_contact(contact.clone());
        Ok(contact)
    }

    fn update_contact(
        &mut self,
        before: &Contact,
        input: &ContactInput,
        _by: Option<UserId>,
        values: &Values,
    ) -> Result<(), Fail> {
        let fields = contacts::validate(input, Some(before)).map_err(|e| store_fail(e, values))?;
        self.put_contact(contact_from(before.id, &fields, Some(before)));
        Ok(())
    }

    fn link(
        &mut self,
        customer: CustomerId,
        contact: &Contact,
        role: &str,
        _by: Option<UserId>,
        values: &Values,
    ) -> Result<(), Fail> {
        let link = Link {
            customer_id: customer.0,
            role: role.trim().to_string(),
        };
        contacts::check_link(self.conn, &link).map_err(|e| store_fail(e, values))?;
        let mut changed = self
            .contacts
            .get(&contact.id.0)
            .cloned()
            .unwrap_or_else(|| contact.clone());
        match changed
            .customers
            .iter_mut()
            .find(|l| l.customer_id == customer.0)
        {
            Some(existing) => existing.role = link.role,
            None => changed.customers.push(link),
        }
        self.put_contact(changed);
        Ok(())
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
        run(conn, kind, &table, &mapping, options, &mut |_, _| {})
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

    /// What a report says, to compare a dry run with the import itself.
    fn summary(r: &Report) -> (usize, usize, usize, Vec<String>, Vec<usize>) {
        let rows = r
            .outcomes
            .iter()
            .map(|o| format!("{} {:?} {}", o.line, o.action, o.label))
            .collect();
        let skipped = r.skipped.iter().map(|e| e.line).collect();
        (r.created, r.updated, r.unchanged, rows, skipped)
    }

    #[test]
    fn a_dry_run_foretells_the_import_row_by_row() {
        let (_d, mut conn) = crate::db::temporary();
        import(
            &mut conn,
            Kind::Customers,
            "number;name;business_id\n5001;Alfa Oy;0112038-9\n5002;Beta Oy;\n",
            &Options::default(),
        )
        .unwrap();
        // A business ID repeated in the file (the second row updates the first), a number
        // and business ID of two customers (the business ID wins), a number given twice, a bad
        // row between good ones.
        let customers_csv = "number;name;business_id;phone\n\
            ;Gamma Oy;1572860-0;040 1\n\
            ;Gamma Oy;1572860-0;040 2\n\
            5002;;0112038-9;\n\
            6001;Delta Oy;;\n\
            6001;Delta Oy;;050 3\n\
            ;;;040 9\n\
            5001;Alfa Oy;0112038-9;\n";
        // Contacts: one created and then updated by e-mail, a link with a too long role (the
        // created contact must be undone with its row), links by number and business ID.
        let long_role = "x".repeat(200);
        let contacts_csv = format!(
            "first_name;last_name;email;customer;role\n\
             Matti;Meikäläinen;matti@alfa.fi;5001;Johtaja\n\
             Matti;Meikäläinen;MATTI@alfa.fi;5002;Myynti\n\
             Liisa;Virta;liisa@beta.fi;5002;{long_role}\n\
             Liisa;Virta;liisa@beta.fi;0112038-9;\n\
             Pekka;Puu;;9999;\n"
        );
        for (kind, csv, bad_rows) in [
            (Kind::Customers, customers_csv.to_string(), vec![7]),
            (Kind::Contacts, contacts_csv, vec![4, 6]),
        ] {
            let options = Options {
                skip_invalid: true,
                ..Options::default()
            };
            let dry = Options {
                dry_run: true,
                ..options.clone()
            };
            let foretold = import(&mut conn, kind, &csv, &dry).unwrap();
            let done = import(&mut conn, kind, &csv, &options).unwrap();
            assert_eq!(summary(&foretold), summary(&done), "{kind:?}");
            assert_eq!(summary(&done).4, bad_rows, "{kind:?}");
        }
        let liisa = contacts::by_email(&conn, "liisa@beta.fi").unwrap().unwrap();
        assert_eq!(liisa.customers.len(), 1);
    }

    #[test]
    fn a_dry_run_takes_no_write_lock_and_a_bad_file_stops_before_taking_it() {
        let (dir, mut conn) = crate::db::temporary();
        let path = dir.path().join("minicrm.db");
        let mut other = crate::db::connect(&path, std::time::Duration::ZERO).unwrap();
        let held = other
            .transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)
            .unwrap();
        held.execute("INSERT INTO settings(key, value) VALUES ('held', '1')", [])
            .unwrap();
        // Nothing here may wait for the lock: any wait would fail at once.
        conn.busy_timeout(std::time::Duration::ZERO).unwrap();
        let dry = Options {
            dry_run: true,
            ..Options::default()
        };
        let r = import(&mut conn, Kind::Customers, CUSTOMERS, &dry).unwrap();
        assert_eq!(r.created, 2);
        let bad = "nimi;ytunnus\nA Oy;0112038-9\nB Oy;1234567-8\n";
        let err = import(&mut conn, Kind::Customers, bad, &Options::default()).unwrap_err();
        assert!(
            matches!(err, ImportError::Row(RowError { line: 3, .. })),
            "{err:?}"
        );
        // A good file needs the lock: busy, said so, nothing written.
        let err = import(&mut conn, Kind::Customers, CUSTOMERS, &Options::default()).unwrap_err();
        assert!(matches!(err, ImportError::Db(Error::Busy)), "{err:?}");
        held.rollback().unwrap();
        let r = import(&mut conn, Kind::Customers, CUSTOMERS, &Options::default()).unwrap();
        assert_eq!(r.created, 2);
    }

    #[test]
    fn yes_and_no_in_both_languages() {
        assert_eq!(parse_yes_no("Kyllä"), Some(true));
        assert_eq!(parse_yes_no("no"), Some(false));
        assert_eq!(parse_yes_no("ehkä"), None);
    }
}

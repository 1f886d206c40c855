//! The check pass: every row checked against a read snapshot, with nothing written and no
//! write lock, so a dry run holds nobody up and a bad file stops before the write.

use rusqlite::{params, OptionalExtension};

use super::*;

/// The check pass (and all a dry run does): reads one snapshot and keeps what the rows so far
/// would have created or changed, so a later row of the same file sees them (a repeated
/// business ID updates the customer an earlier row created). It checks what the stores check on
/// create, update and link (the store's own `validate` and `check_link`, and the uniqueness of
/// business IDs and customer numbers), writes nothing to the register and takes no write lock.
///
/// The planned records are kept in temporary tables of the connection ([`TEMP_TABLES`]), not
/// in memory: SQLite's temporary database is private to the connection, spills to disk past a
/// small cache and locks nothing of the register's file, and the snapshot's rollback at the
/// end of the pass empties it. A 100,000-row file would otherwise hold 100,000 records.
///
/// Two things it cannot know, which only the write pass finds: the number a new customer will
/// be given (so a later row cannot refer to it), and changes others make in between.
pub(super) struct Plan<'a> {
    conn: &'a Connection,
    /// The id the next new record gets (counting down from -1, never a real id).
    next_id: i64,
    /// What the current row replaced, to put back if it fails.
    undo: Vec<Undo>,
}

pub(super) enum Undo {
    Customer(i64, Option<Customer>),
    Contact(i64, Option<Contact>),
}

/// The planned records: each as JSON, with the keys the rows look them up by. A new contact's
/// `email_key` finds the first one made with that address (ids count down, so the highest).
const TEMP_TABLES: &str = "
    CREATE TEMP TABLE plan_customers (
        id INTEGER PRIMARY KEY, business_id TEXT, number TEXT, name_key TEXT NOT NULL,
        record TEXT NOT NULL);
    CREATE INDEX temp.plan_customers_business_id ON plan_customers(business_id);
    CREATE INDEX temp.plan_customers_number ON plan_customers(number);
    CREATE INDEX temp.plan_customers_name_key ON plan_customers(name_key);
    CREATE TEMP TABLE plan_contacts (
        id INTEGER PRIMARY KEY, email_key TEXT, name_key TEXT NOT NULL, record TEXT NOT NULL);
    CREATE INDEX temp.plan_contacts_email_key ON plan_contacts(email_key, id);
    CREATE INDEX temp.plan_contacts_name_key ON plan_contacts(name_key);";

fn record<T: serde::de::DeserializeOwned>(json: String) -> rusqlite::Result<T> {
    serde_json::from_str(&json).map_err(|e| rusqlite::Error::ToSqlConversionFailure(Box::new(e)))
}

fn json<T: serde::Serialize>(value: &T) -> rusqlite::Result<String> {
    serde_json::to_string(value).map_err(|e| rusqlite::Error::ToSqlConversionFailure(Box::new(e)))
}

impl<'a> Plan<'a> {
    /// A plan on `conn`, which must be inside the snapshot's transaction (its rollback drops
    /// the temporary tables again).
    pub(super) fn new(conn: &'a Connection) -> rusqlite::Result<Plan<'a>> {
        conn.execute_batch(TEMP_TABLES)?;
        Ok(Plan {
            conn,
            next_id: -1,
            undo: Vec::new(),
        })
    }

    fn new_id(&mut self) -> i64 {
        let id = self.next_id;
        self.next_id -= 1;
        id
    }

    fn customer(&self, id: i64) -> rusqlite::Result<Option<Customer>> {
        self.customer_where("id = ?1", id)
    }

    fn customer_where(
        &self,
        condition: &str,
        key: impl rusqlite::ToSql,
    ) -> rusqlite::Result<Option<Customer>> {
        let sql = format!("SELECT record FROM plan_customers WHERE {condition} LIMIT 1");
        self.conn
            .prepare_cached(&sql)?
            .query_row([key], |r| r.get(0))
            .optional()?
            .map(record)
            .transpose()
    }

    fn contact(&self, id: i64) -> rusqlite::Result<Option<Contact>> {
        self.conn
            .prepare_cached("SELECT record FROM plan_contacts WHERE id = ?1")?
            .query_row([id], |r| r.get(0))
            .optional()?
            .map(record)
            .transpose()
    }

    /// Puts a customer (or its absence) in the plan.
    fn set_customer(&mut self, id: i64, customer: Option<Customer>) -> rusqlite::Result<()> {
        self.conn
            .prepare_cached("DELETE FROM plan_customers WHERE id = ?1")?
            .execute([id])?;
        if let Some(c) = customer {
            self.conn
                .prepare_cached(
                    "INSERT INTO plan_customers(id, business_id, number, name_key, record)
                     VALUES (?1, ?2, NULLIF(?3, ''), ?4, ?5)",
                )?
                .execute(params![
                    id,
                    c.business_id,
                    c.number,
                    crate::customers::name_key(&c.name),
                    json(&c)?
                ])?;
        }
        Ok(())
    }

    fn put_customer(&mut self, customer: Customer) -> rusqlite::Result<()> {
        let id = customer.id.0;
        self.undo.push(Undo::Customer(id, self.customer(id)?));
        self.set_customer(id, Some(customer))
    }

    fn set_contact(&mut self, id: i64, contact: Option<Contact>) -> rusqlite::Result<()> {
        self.conn
            .prepare_cached("DELETE FROM plan_contacts WHERE id = ?1")?
            .execute([id])?;
        if let Some(c) = contact {
            // Only new contacts are found by e-mail here; stored ones are found in the store.
            let email_key = (id < 0 && !c.email.is_empty()).then(|| c.email.to_lowercase());
            self.conn
                .prepare_cached(
                    "INSERT INTO plan_contacts(id, email_key, name_key, record)
                     VALUES (?1, ?2, ?3, ?4)",
                )?
                .execute(params![
                    id,
                    email_key,
                    person_key(&c.first_name, &c.last_name),
                    json(&c)?
                ])?;
        }
        Ok(())
    }

    fn put_contact(&mut self, contact: Contact) -> rusqlite::Result<()> {
        let id = contact.id.0;
        self.undo.push(Undo::Contact(id, self.contact(id)?));
        self.set_contact(id, Some(contact))
    }

    /// A stored customer as the plan has it: changed, or as stored.
    fn planned_customer(&self, stored: Option<Customer>) -> rusqlite::Result<Option<Customer>> {
        match stored {
            Some(c) => Ok(Some(self.customer(c.id.0)?.unwrap_or(c))),
            None => Ok(None),
        }
    }
}

/// A customer as `fields` would store it.
pub(super) fn customer_from(
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
pub(super) fn contact_from(
    id: ContactId,
    fields: &contacts::Fields,
    base: Option<&Contact>,
) -> Contact {
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
        customer_names: base.map(|b| b.customer_names.clone()).unwrap_or_default(),
        created_at: base.map(|b| b.created_at.clone()).unwrap_or_default(),
        updated_at: base.map(|b| b.updated_at.clone()).unwrap_or_default(),
    }
}

/// The conflict `customers::store` reports for a taken business ID or number.
pub(super) fn taken(field: &'static str, key: &'static str) -> Error {
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
                    Undo::Customer(id, before) => self.set_customer(id, before)?,
                    Undo::Contact(id, before) => self.set_contact(id, before)?,
                }
            }
        }
        Ok(())
    }

    fn customer_by_business_id(&self, bid: &BusinessId) -> Result<Option<Customer>, Fail> {
        if let Some(c) = self.customer_where("business_id = ?1", bid.as_str())? {
            return Ok(Some(c));
        }
        // A stored one the plan changed no longer has this business ID (else it would be
        // found above).
        match customers::by_business_id(self.conn, bid)? {
            Some(c) if self.customer(c.id.0)?.is_none() => Ok(Some(c)),
            _ => Ok(None),
        }
    }

    fn customer_by_number(&self, number: &str) -> Result<Option<Customer>, Fail> {
        if let Some(c) = self.customer_where("number = ?1", number.trim())? {
            return Ok(Some(c));
        }
        Ok(self.planned_customer(customers::by_number(self.conn, number)?)?)
    }

    fn customer_by_name(&self, name: &str) -> Result<Option<CustomerId>, Fail> {
        // Only a contact import asks, and it creates or changes no customers.
        customer_by_name(self.conn, name)
    }

    fn customer_look_alike(
        &self,
        row: &crate::customers::validate::Fields,
    ) -> Result<Option<Customer>, Fail> {
        // Stored ones as the plan has them, and the ones the plan made or renamed.
        let mut candidates = Vec::new();
        for c in customers::look_alikes(self.conn, row, None)? {
            candidates.push(self.customer(c.id.0)?.unwrap_or(c));
        }
        let key = crate::customers::name_key(&row.name);
        let mut same_name = self.conn.prepare_cached(
            "SELECT record FROM plan_customers WHERE name_key = ?1 ORDER BY id DESC",
        )?;
        for json in same_name.query_map([key], |r| r.get::<_, String>(0))? {
            let c: Customer = record(json?)?;
            if !candidates.iter().any(|other| other.id == c.id) {
                candidates.push(c);
            }
        }
        Ok(pick_look_alike(row, candidates))
    }

    fn contact_by_email(&self, email: &str) -> Result<Option<Contact>, Fail> {
        if let Some(stored) = contacts::by_email(self.conn, email)? {
            return Ok(Some(self.contact(stored.id.0)?.unwrap_or(stored)));
        }
        let first_new = self
            .conn
            .prepare_cached(
                "SELECT record FROM plan_contacts WHERE email_key = ?1 ORDER BY id DESC LIMIT 1",
            )?
            .query_row([email.trim().to_lowercase()], |r| r.get(0))
            .optional()?;
        Ok(first_new.map(record).transpose()?)
    }

    fn contact_by_name_at(
        &self,
        first: &str,
        last: &str,
        customers: &[CustomerId],
    ) -> Result<Option<Contact>, Fail> {
        let key = person_key(first, last);
        // Stored ones as the plan has them, and the ones the plan made or linked.
        let mut found = stored_named_at(self.conn, &key, customers, |c| {
            Ok(self.contact(c.id.0)?.unwrap_or(c))
        })?;
        let mut planned = self
            .conn
            .prepare_cached("SELECT record FROM plan_contacts WHERE name_key = ?1")?;
        for json in planned.query_map([&key], |r| r.get::<_, String>(0))? {
            let c: Contact = record(json?)?;
            if named_at(&c, &key, customers) {
                found.push(c);
            }
        }
        // Stored ones first, then in the order made (new ids count down from -1).
        Ok(found.into_iter().min_by_key(|c| (c.id.0 < 0, c.id.0.abs())))
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
        self.put_customer(customer_from(id, number.to_string(), &fields, None))?;
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
        ))?;
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
        self.put_contact(contact.clone())?;
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
        self.put_contact(contact_from(before.id, &fields, Some(before)))?;
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
            .contact(contact.id.0)?
            .unwrap_or_else(|| contact.clone());
        match changed
            .customers
            .iter_mut()
            .find(|l| l.customer_id == customer.0)
        {
            Some(existing) => existing.role = link.role,
            None => changed.customers.push(link),
        }
        self.put_contact(changed)?;
        Ok(())
    }
}

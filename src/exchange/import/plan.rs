//! The check pass: every row checked against a read snapshot, with nothing written and no
//! write lock, so a dry run holds nobody up and a bad file stops before the write.

use super::*;

/// The check pass (and all a dry run does): reads one snapshot and keeps in memory what the
/// rows so far would have created or changed, so a later row of the same file sees them (a
/// repeated business ID updates the customer an earlier row created). It checks what the stores
/// check on create, update and link (the store's own `validate` and `check_link`, and the
/// uniqueness of business IDs and customer numbers), writes nothing and takes no write lock.
///
/// Two things it cannot know, which only the write pass finds: the number a new customer will
/// be given (so a later row cannot refer to it), and changes others make in between.
pub(super) struct Plan<'a> {
    conn: &'a Connection,
    /// Customers created (negative ids) or changed by the rows so far, as they would be.
    customers: HashMap<i64, Customer>,
    /// Business ID and number → id, for `customers`.
    by_business_id: HashMap<String, i64>,
    by_number: HashMap<String, i64>,
    /// Folded name → ids, for `customers`.
    by_name: HashMap<String, Vec<i64>>,
    contacts: HashMap<i64, Contact>,
    /// Lower-cased e-mail → the lowest id, for the contacts created in the plan.
    new_by_email: HashMap<String, i64>,
    /// The id the next new record gets (counting down from -1, never a real id).
    next_id: i64,
    /// What the current row replaced, to put back if it fails.
    undo: Vec<Undo>,
}

pub(super) enum Undo {
    Customer(i64, Option<Customer>),
    Contact(i64, Option<Contact>),
}

impl<'a> Plan<'a> {
    pub(super) fn new(conn: &'a Connection) -> Plan<'a> {
        Plan {
            conn,
            customers: HashMap::new(),
            by_business_id: HashMap::new(),
            by_number: HashMap::new(),
            by_name: HashMap::new(),
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
            if let Some(ids) = self.by_name.get_mut(&crate::customers::name_key(&old.name)) {
                ids.retain(|&other| other != id);
            }
        }
        if let Some(c) = customer {
            if let Some(bid) = &c.business_id {
                self.by_business_id.insert(bid.clone(), id);
            }
            if !c.number.is_empty() {
                self.by_number.insert(c.number.clone(), id);
            }
            self.by_name
                .entry(crate::customers::name_key(&c.name))
                .or_default()
                .push(id);
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

    fn customer_look_alike(
        &self,
        row: &crate::customers::validate::Fields,
    ) -> Result<Option<Customer>, Fail> {
        // Stored ones as the plan has them, and the ones the plan made or renamed.
        let mut candidates: Vec<Customer> = customers::look_alikes(self.conn, row, None)?
            .into_iter()
            .map(|c| self.customers.get(&c.id.0).cloned().unwrap_or(c))
            .collect();
        let key = crate::customers::name_key(&row.name);
        for id in self.by_name.get(&key).into_iter().flatten() {
            if !candidates.iter().any(|c| c.id.0 == *id) {
                candidates.extend(self.customers.get(id).cloned());
            }
        }
        Ok(pick_look_alike(row, candidates))
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

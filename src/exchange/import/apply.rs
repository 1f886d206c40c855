//! The write pass: each checked row written through the stores, in one transaction.

use super::*;

/// The write pass: every change through the stores, in the import's transaction, one
/// savepoint per row.
pub(super) struct Apply<'a> {
    pub(super) tx: &'a crate::db::Tx<'a>,
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

    fn customer_look_alike(
        &self,
        row: &crate::customers::validate::Fields,
    ) -> Result<Option<Customer>, Fail> {
        Ok(pick_look_alike(
            row,
            customers::look_alikes(self.tx, row, None)?,
        ))
    }

    fn contact_by_email(&self, email: &str) -> Result<Option<Contact>, Fail> {
        Ok(contacts::by_email(self.tx, email)?)
    }

    fn contact_by_name_at(
        &self,
        first: &str,
        last: &str,
        customers: &[CustomerId],
    ) -> Result<Option<Contact>, Fail> {
        let key = person_key(first, last);
        let found = stored_named_at(self.tx, &key, customers, Ok)?;
        Ok(found.into_iter().min_by_key(|c| c.id))
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

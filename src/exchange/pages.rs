//! Downloads (CSV, vCard) and the import page.

use crate::error::{Error, Result};
use crate::http::form::Form;
use crate::http::{Ctx, Resp};

/// `GET /customers.csv?…` — the customer list's current filter as CSV.
pub fn customers_csv(_ctx: &mut Ctx) -> Result<Resp> {
    Err(Error::NotFound)
}

/// `GET /contacts.csv?…` — the contact list's current filter as CSV.
pub fn contacts_csv(_ctx: &mut Ctx) -> Result<Resp> {
    Err(Error::NotFound)
}

/// `GET /contacts/{id}.vcf` (also under `/api/v1`).
pub fn contact_vcard(_ctx: &mut Ctx, _id: i64) -> Result<Resp> {
    Err(Error::NotFound)
}

/// `GET /contacts.vcf?customer_id=` — a customer's contacts, or all (also under `/api/v1`).
pub fn contacts_vcard(_ctx: &mut Ctx) -> Result<Resp> {
    Err(Error::NotFound)
}

/// `GET /settings/import`.
pub fn import_form(_ctx: &mut Ctx) -> Result<Resp> {
    Err(Error::NotFound)
}

/// `POST /settings/import` (multipart: the file, the kind, the mapping, dry run or import).
pub fn import_submit(_ctx: &mut Ctx, _form: Form) -> Result<Resp> {
    Err(Error::NotFound)
}

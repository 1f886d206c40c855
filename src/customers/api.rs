//! `/api/v1/customers`: the same store functions as the pages, answering JSON.

use super::list::{Customers, Sort};
use super::store;
use super::{CustomerId, CustomerInput};
use crate::db;
use crate::error::{Error, Result};
use crate::http::{Ctx, Resp};
use crate::register;

pub(crate) fn list(ctx: &mut Ctx) -> Result<Resp> {
    register::api_list::<Customers>(ctx, Sort::Newest)
}

pub(crate) fn create(ctx: &mut Ctx) -> Result<Resp> {
    let by = ctx.user()?.id;
    let input: CustomerInput = ctx.json()?;
    if input.name.is_none() {
        return Err(Error::field("name", "customers.name_required"));
    }
    let id = db::write_grouped(ctx.conn, move |tx| store::create(tx, &input, Some(by)))?;
    let created = store::by_id(ctx.conn, id)?.ok_or(Error::NotFound)?;
    Ok(Resp::json(201, &created).with_header("Location", format!("/api/v1/customers/{}", id.0)))
}

pub(crate) fn get(ctx: &mut Ctx, id: i64) -> Result<Resp> {
    let c = store::by_id(ctx.conn, CustomerId(id))?.ok_or(Error::NotFound)?;
    Ok(Resp::json(200, &c))
}

pub(crate) fn patch(ctx: &mut Ctx, id: i64) -> Result<Resp> {
    let by = ctx.user()?.id;
    let input: CustomerInput = ctx.json()?;
    if input.number.is_some() {
        return Err(Error::field("number", "customers.number_fixed"));
    }
    db::write_grouped(ctx.conn, move |tx| {
        store::update(tx, CustomerId(id), &input, Some(by))
    })?;
    get(ctx, id)
}

/// Deleting a customer is for administrators, as on the pages.
pub(crate) fn delete(ctx: &mut Ctx, id: i64) -> Result<Resp> {
    let by = ctx.user()?.id;
    db::write(ctx.conn, |tx| store::delete(tx, CustomerId(id), Some(by)))?;
    Ok(Resp::new(204, "application/json", Vec::new()))
}

//! `/api/v1/contacts`.

use super::pages::list_query;
use super::store::{self, Sort};
use super::{ContactId, ContactInput};
use crate::customers::api::list_answer;
use crate::db;
use crate::error::{Error, Result};
use crate::http::{Ctx, Resp};

pub fn list(ctx: &mut Ctx) -> Result<Resp> {
    let query = list_query(&ctx.query, Sort::Newest)?;
    let (rows, more) = store::page(ctx.conn, &query)?;
    Ok(list_answer(&rows, more, query.offset, query.limit))
}

pub fn create(ctx: &mut Ctx) -> Result<Resp> {
    let by = ctx.user()?.id;
    let input: ContactInput = ctx.json()?;
    let id = db::write(ctx.conn, |tx| store::create(tx, &input, Some(by)))?;
    let created = store::by_id(ctx.conn, id)?.ok_or(Error::NotFound)?;
    Ok(Resp::json(201, &created).with_header("Location", format!("/api/v1/contacts/{}", id.0)))
}

pub fn get(ctx: &mut Ctx, id: i64) -> Result<Resp> {
    let p = store::by_id(ctx.conn, ContactId(id))?.ok_or(Error::NotFound)?;
    Ok(Resp::json(200, &p))
}

/// Changes the given fields. Links change through `/customers/{id}/contacts/{contact_id}`.
pub fn patch(ctx: &mut Ctx, id: i64) -> Result<Resp> {
    let by = ctx.user()?.id;
    let input: ContactInput = ctx.json()?;
    if input.customers.is_some() {
        return Err(Error::field("customers", "contacts.links_elsewhere"));
    }
    db::write(ctx.conn, |tx| {
        store::update(tx, ContactId(id), &input, Some(by))
    })?;
    get(ctx, id)
}

pub fn delete(ctx: &mut Ctx, id: i64) -> Result<Resp> {
    let by = ctx.user()?.id;
    db::write(ctx.conn, |tx| store::delete(tx, ContactId(id), Some(by)))?;
    Ok(Resp::new(204, "application/json", Vec::new()))
}

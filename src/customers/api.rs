//! `/api/v1/customers`: the same store functions as the pages, answering JSON.

use serde::Deserialize;
use serde_json::json;

use super::pages::list_query;
use super::store::{self, Sort};
use super::{CustomerId, CustomerInput};
use crate::contacts::store as contacts;
use crate::contacts::ContactId;
use crate::db;
use crate::error::{Error, Result};
use crate::http::{Ctx, Resp};

/// `{"items": [...], "next_offset": n|null}`.
pub fn list_answer<T: serde::Serialize>(items: &[T], more: bool, offset: i64, limit: i64) -> Resp {
    Resp::json(
        200,
        &json!({"items": items, "next_offset": more.then_some(offset + limit)}),
    )
}

pub fn list(ctx: &mut Ctx) -> Result<Resp> {
    let query = list_query(&ctx.query, Sort::Newest)?;
    let (rows, more) = store::page(ctx.conn, &query)?;
    Ok(list_answer(&rows, more, query.offset, query.limit))
}

pub fn create(ctx: &mut Ctx) -> Result<Resp> {
    let by = ctx.user()?.id;
    let input: CustomerInput = ctx.json()?;
    if input.name.is_none() {
        return Err(Error::field("name", "customers.name_required"));
    }
    let id = db::write(ctx.conn, |tx| store::create(tx, &input, Some(by)))?;
    let created = store::by_id(ctx.conn, id)?.ok_or(Error::NotFound)?;
    Ok(Resp::json(201, &created).with_header("Location", format!("/api/v1/customers/{}", id.0)))
}

pub fn get(ctx: &mut Ctx, id: i64) -> Result<Resp> {
    let c = store::by_id(ctx.conn, CustomerId(id))?.ok_or(Error::NotFound)?;
    Ok(Resp::json(200, &c))
}

pub fn patch(ctx: &mut Ctx, id: i64) -> Result<Resp> {
    let by = ctx.user()?.id;
    let input: CustomerInput = ctx.json()?;
    if input.number.is_some() {
        return Err(Error::field("number", "customers.number_fixed"));
    }
    db::write(ctx.conn, |tx| {
        store::update(tx, CustomerId(id), &input, Some(by))
    })?;
    get(ctx, id)
}

/// Deleting a customer is for administrators, as on the pages.
pub fn delete(ctx: &mut Ctx, id: i64) -> Result<Resp> {
    let by = ctx.admin()?.id;
    db::write(ctx.conn, |tx| store::delete(tx, CustomerId(id), Some(by)))?;
    Ok(Resp::new(204, "application/json", Vec::new()))
}

/// The customer's contacts, each with its `role` here.
pub fn contacts(ctx: &mut Ctx, id: i64) -> Result<Resp> {
    store::by_id(ctx.conn, CustomerId(id))?.ok_or(Error::NotFound)?;
    let items: Vec<serde_json::Value> = contacts::of_customer(ctx.conn, CustomerId(id))?
        .into_iter()
        .map(|(contact, role)| {
            let mut value = serde_json::to_value(contact).unwrap_or_default();
            value["role"] = role.into();
            value
        })
        .collect();
    Ok(Resp::json(200, &json!({ "items": items })))
}

#[derive(Deserialize, Default)]
struct RoleBody {
    #[serde(default)]
    role: String,
}

/// `PUT /customers/{id}/contacts/{contact_id}` links, or changes the role.
pub fn link(ctx: &mut Ctx, id: i64, contact: i64) -> Result<Resp> {
    let by = ctx.user()?.id;
    let body: RoleBody = if ctx.body.is_empty() {
        RoleBody::default()
    } else {
        ctx.json()?
    };
    db::write(ctx.conn, |tx| {
        contacts::link(tx, CustomerId(id), ContactId(contact), &body.role, Some(by))
    })?;
    let c = contacts::by_id(ctx.conn, ContactId(contact))?.ok_or(Error::NotFound)?;
    Ok(Resp::json(200, &c))
}

pub fn unlink(ctx: &mut Ctx, id: i64, contact: i64) -> Result<Resp> {
    let by = ctx.user()?.id;
    db::write(ctx.conn, |tx| {
        contacts::unlink(tx, CustomerId(id), ContactId(contact), Some(by))
    })?;
    Ok(Resp::new(204, "application/json", Vec::new()))
}

//! `/api/v1/contacts`, and a customer's contacts under `/api/v1/customers/{id}/contacts`.

use serde::Deserialize;
use serde_json::json;

use super::list::{Contacts, Sort};
use super::store;
use super::{ContactId, ContactInput};
use crate::customers::store as customers;
use crate::customers::CustomerId;
use crate::db;
use crate::error::{Error, Result};
use crate::http::{Ctx, Resp};
use crate::register;

pub(crate) fn list(ctx: &mut Ctx) -> Result<Resp> {
    register::api_list::<Contacts>(ctx, Sort::Newest)
}

pub(crate) fn create(ctx: &mut Ctx) -> Result<Resp> {
    let by = ctx.user()?.id;
    let input: ContactInput = ctx.json()?;
    let id = db::write_grouped(ctx.conn, move |tx| store::create(tx, &input, Some(by)))?;
    let created = store::by_id(ctx.conn, id)?.ok_or(Error::NotFound)?;
    Ok(Resp::json(201, &created).with_header("Location", format!("/api/v1/contacts/{}", id.0)))
}

pub(crate) fn get(ctx: &mut Ctx, id: i64) -> Result<Resp> {
    let p = store::by_id(ctx.conn, ContactId(id))?.ok_or(Error::NotFound)?;
    Ok(Resp::json(200, &p))
}

/// Changes the given fields. `customers`, when given, becomes the contact's whole list of links:
/// links not in it go, new ones come, roles change; each change is logged as the customer's
/// link routes log it, and all of it is one write.
pub(crate) fn patch(ctx: &mut Ctx, id: i64) -> Result<Resp> {
    let by = ctx.user()?.id;
    let input: ContactInput = ctx.json()?;
    if let Some(links) = &input.customers {
        store::check_link_count(links)?;
    }
    db::write_grouped(ctx.conn, move |tx| {
        store::update(tx, ContactId(id), &input, Some(by))?;
        match &input.customers {
            Some(links) => store::set_links(tx, ContactId(id), links, Some(by)),
            None => Ok(()),
        }
    })?;
    get(ctx, id)
}

pub(crate) fn delete(ctx: &mut Ctx, id: i64) -> Result<Resp> {
    let by = ctx.user()?.id;
    db::write(ctx.conn, |tx| store::delete(tx, ContactId(id), Some(by)))?;
    Ok(Resp::new(204, "application/json", Vec::new()))
}

/// The customer's contacts, each with its `role` here.
pub(crate) fn of_customer(ctx: &mut Ctx, id: i64) -> Result<Resp> {
    customers::by_id(ctx.conn, CustomerId(id))?.ok_or(Error::NotFound)?;
    let items: Vec<serde_json::Value> = store::of_customer(ctx.conn, CustomerId(id))?
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
pub(crate) fn link(ctx: &mut Ctx, id: i64, contact: i64) -> Result<Resp> {
    let by = ctx.user()?.id;
    let body: RoleBody = if ctx.body.is_empty() {
        RoleBody::default()
    } else {
        ctx.json()?
    };
    db::write(ctx.conn, |tx| {
        store::link(tx, CustomerId(id), ContactId(contact), &body.role, Some(by))
    })?;
    let c = store::by_id(ctx.conn, ContactId(contact))?.ok_or(Error::NotFound)?;
    Ok(Resp::json(200, &c))
}

pub(crate) fn unlink(ctx: &mut Ctx, id: i64, contact: i64) -> Result<Resp> {
    let by = ctx.user()?.id;
    db::write(ctx.conn, |tx| {
        store::unlink(tx, CustomerId(id), ContactId(contact), Some(by))
    })?;
    Ok(Resp::new(204, "application/json", Vec::new()))
}

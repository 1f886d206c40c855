//! `/api/v1/tasks` and `/api/v1/reminders`.

use chrono::Utc;
use rusqlite::types::Value;

use super::list::{Sort, Tasks};
use super::reminders::{self, Start, State};
use super::store;
use super::TaskInput;
use crate::db;
use crate::error::{deep_offset_error, Error, Result, DEEP_OFFSET};
use crate::http::form::page_params;
use crate::http::{Ctx, Resp};
use crate::register;
use crate::register::list::{cursor_with_offset, id_param, unknown_value, Cursor};

pub(crate) fn list(ctx: &mut Ctx) -> Result<Resp> {
    super::pages::prepare_query(ctx, false)?;
    register::api_list::<Tasks>(ctx, Sort::Due)
}

pub(crate) fn create(ctx: &mut Ctx) -> Result<Resp> {
    let by = ctx.user()?.id;
    let input: TaskInput = ctx.json()?;
    let id = db::write_grouped(ctx.conn, move |tx| {
        store::create(tx, &input, Some(by), Utc::now())
    })?;
    let created = store::by_id(ctx.conn, id)?.ok_or(Error::NotFound)?;
    Ok(Resp::json(201, &created).with_header("Location", format!("/api/v1/tasks/{id}")))
}

pub(crate) fn get(ctx: &mut Ctx, id: i64) -> Result<Resp> {
    let t = store::by_id(ctx.conn, id)?.ok_or(Error::NotFound)?;
    Ok(Resp::json(200, &t))
}

/// Changes the given fields; `status` marks the task done or reopens it.
pub(crate) fn patch(ctx: &mut Ctx, id: i64) -> Result<Resp> {
    let by = ctx.user()?.id;
    let input: TaskInput = ctx.json()?;
    db::write_grouped(ctx.conn, move |tx| {
        store::update(tx, id, &input, Some(by), Utc::now())
    })?;
    get(ctx, id)
}

pub(crate) fn delete(ctx: &mut Ctx, id: i64) -> Result<Resp> {
    let by = ctx.user()?.id;
    db::write(ctx.conn, |tx| store::delete(tx, id, Some(by)))?;
    Ok(Resp::new(204, "application/json", Vec::new()))
}

/// `GET /reminders?user_id=&state=`: reminders whose time has come and that are not dismissed.
pub(crate) fn reminders(ctx: &mut Ctx) -> Result<Resp> {
    let user = match id_param(&ctx.query, "user_id")? {
        Some(id) => id,
        None => ctx.user()?.id.0,
    };
    let state = match ctx.query.get("state") {
        "" | "all" => State::All,
        "pending" => State::Pending,
        "delivered" => State::Delivered,
        _ => return Err(unknown_value("state")),
    };
    let (limit, offset) = page_params(&ctx.query)?;
    if !ctx.query.get("before").is_empty() {
        return Err(Error::BadRequest(
            "The reminders page on with `after` only (newest first).".into(),
        ));
    }
    let start = match ctx.query.get("after") {
        "" => Start::Offset(offset),
        _ if offset != 0 => return Err(cursor_with_offset()),
        after => match Cursor::decode(after, 2, "after")?.as_slice() {
            [Value::Text(at), Value::Integer(id)] => Start::After(at.clone(), *id),
            _ => return Err(Cursor::not_a_position("after")),
        },
    };
    let now = Utc::now();
    // An offset is walked in the index, so past `DEEP_OFFSET` only a list that ends sooner
    // is answered, as the registers' lists do.
    if offset > DEEP_OFFSET
        && !reminders::of_user(ctx.conn, user, state, now, 1, &Start::Offset(DEEP_OFFSET))?
            .is_empty()
    {
        return Err(deep_offset_error());
    }
    let mut items = reminders::of_user(ctx.conn, user, state, now, limit + 1, &start)?;
    let more = items.len() as i64 > limit;
    items.truncate(limit as usize);
    let next_after = more
        .then(|| items.last())
        .flatten()
        .map(|r| Cursor::encode(&[Value::Text(r.remind_at.clone()), Value::Integer(r.id)]));
    let next_offset = (more && matches!(start, Start::Offset(_))).then_some(offset + limit);
    Ok(register::page_answer(&items, next_offset, next_after))
}

/// `POST /reminders/{id}/dismiss`: one of the caller's own reminders.
pub(crate) fn dismiss(ctx: &mut Ctx, id: i64) -> Result<Resp> {
    let me = ctx.user()?.id.0;
    reminders::dismiss(ctx.conn, id, me, Utc::now())?;
    Ok(Resp::new(204, "application/json", Vec::new()))
}

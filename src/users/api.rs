//! `/api/v1/me` and `/api/v1/users`.

use serde_json::json;

use super::store;
use crate::error::Result;
use crate::http::form::page_params;
use crate::http::{Ctx, Resp};

pub(crate) fn me(ctx: &mut Ctx) -> Result<Resp> {
    Ok(Resp::json(200, ctx.user()?))
}

/// Every user, for assignee pickers; ordered by name.
pub(crate) fn list(ctx: &mut Ctx) -> Result<Resp> {
    let (limit, offset) = page_params(&ctx.query)?;
    let users = store::users_page(ctx.conn, limit + 1, offset)?;
    let more = users.len() as i64 > limit;
    let items: Vec<_> = users.into_iter().take(limit as usize).collect();
    let next = more.then_some(offset + limit);
    Ok(Resp::json(
        200,
        &json!({"items": items, "next_offset": next}),
    ))
}

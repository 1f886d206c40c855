//! The register machinery every register (customers, contacts, and later documents and tasks)
//! plugs into: tags, list queries and answers, the duplicate-confirm flow, merges.

pub(crate) mod card;
pub(crate) mod form;
pub mod list;
pub(crate) mod merge;
pub(crate) mod page;
mod search;
pub(crate) mod tags;

use serde_json::json;

use crate::error::Result;
use crate::http::{Ctx, Resp};
use list::{ListQuery, Register};

/// A register's list as the API answers it, newest first unless `sort=` says otherwise.
pub(crate) fn api_list<R: Register>(ctx: &mut Ctx, newest: R::Sort) -> Result<Resp>
where
    R::Row: serde::Serialize,
{
    let query = ListQuery::<R>::from_form(&ctx.query, newest)?;
    let page = list::page_at(ctx.conn, &query)?;
    let next_offset = (page.more && query.cursor.is_none()).then_some(query.offset + query.limit);
    Ok(Resp::json(
        200,
        &json!({"items": page.rows, "next_offset": next_offset, "next_after": page.next_after()}),
    ))
}

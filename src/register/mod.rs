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
    Ok(page_answer(&page.rows, next_offset, page.next_after()))
}

/// A page of a list as the API answers it: its items, and where the next page begins by
/// offset (when the page was asked for by offset) and by position; both null on the last.
pub(crate) fn page_answer<T: serde::Serialize>(
    items: &[T],
    next_offset: Option<i64>,
    next_after: Option<String>,
) -> Resp {
    Resp::json(
        200,
        &json!({"items": items, "next_offset": next_offset, "next_after": next_after}),
    )
}

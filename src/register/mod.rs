//! The register machinery every register (customers, contacts, and later documents and tasks)
//! plugs into: tags, list queries and answers, the duplicate-confirm flow, merges.

pub mod tags;

use serde_json::json;

use crate::http::Resp;

/// `{"items": [...], "next_offset": n|null}`.
pub fn list_answer<T: serde::Serialize>(items: &[T], more: bool, offset: i64, limit: i64) -> Resp {
    Resp::json(
        200,
        &json!({"items": items, "next_offset": more.then_some(offset + limit)}),
    )
}

//! The document list: what documents declare to the shared register list. Every filter and
//! order has its index (`schema.sql`, `tests/query_plans.rs`).

use rusqlite::types::Value;
use rusqlite::Row;

use super::store::{from_row, COLUMNS};
use super::Document;
use crate::error::Result;
use crate::http::form::Form;
use crate::register::list::{self, id_param, unknown_value, Key, Register, SortSpec, ID};

/// The document register, as the list machinery sees it.
pub struct Documents;

/// What a document list is narrowed to besides search.
#[derive(Debug, Clone, Default)]
pub struct Filter {
    /// Only those under Incoming (true) or only assigned ones (false).
    pub incoming: Option<bool>,
    pub customer_id: Option<i64>,
    pub contact_id: Option<i64>,
    /// A customer's documents and its contacts' (the customer card's tab).
    pub with_contacts_of: Option<i64>,
}

/// The orders a document list can have.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Sort {
    Newest,
    Oldest,
    Title,
    TitleDesc,
}

pub type ListQuery = list::ListQuery<Documents>;

/// `incoming=`: `true`/`1`, `false`/`0`, or empty for both.
fn incoming_param(q: &Form) -> Result<Option<bool>> {
    match q.get("incoming").trim() {
        "" | "all" => Ok(None),
        "true" | "1" => Ok(Some(true)),
        "false" | "0" => Ok(Some(false)),
        _ => Err(unknown_value("incoming")),
    }
}

impl Register for Documents {
    type Row = Document;
    type Filter = Filter;
    type Sort = Sort;
    const PATH: &'static str = "/documents";
    const TABLE: &'static str = "documents";
    const ALIAS: &'static str = "d";
    const COLUMNS: &'static str = COLUMNS;
    const FTS: &'static str = "documents_fts";
    const TAGS: (&'static str, &'static str) = ("document_tags", "document_id");
    #[rustfmt::skip]
    const SORTS: &'static [SortSpec<Sort>] = &[
        SortSpec { sort: Sort::Newest, key: "-created_at", label: "sort.newest", keys: &[ID], desc: true },
        SortSpec { sort: Sort::Oldest, key: "created_at", label: "sort.oldest", keys: &[ID], desc: false },
        SortSpec { sort: Sort::Title, key: "title", label: "documents.sort_title", keys: &[Key::nocase("title"), ID], desc: false },
        SortSpec { sort: Sort::TitleDesc, key: "-title", label: "documents.sort_title_desc", keys: &[Key::nocase("title"), ID], desc: true },
    ];

    fn from_row(row: &Row) -> rusqlite::Result<Document> {
        from_row(row)
    }

    fn filter_from(q: &Form) -> Result<Filter> {
        Ok(Filter {
            incoming: incoming_param(q)?,
            customer_id: id_param(q, "customer_id")?,
            contact_id: id_param(q, "contact_id")?,
            with_contacts_of: id_param(q, "with_contacts_of")?,
        })
    }

    fn filter_sql(filter: &Filter, sql: &mut String, args: &mut Vec<Value>) {
        if let Some(incoming) = filter.incoming {
            sql.push_str(" AND d.incoming = ?");
            args.push(Value::Integer(incoming.into()));
        }
        if let Some(customer) = filter.customer_id {
            sql.push_str(" AND d.customer_id = ?");
            args.push(Value::Integer(customer));
        }
        if let Some(contact) = filter.contact_id {
            sql.push_str(" AND d.contact_id = ?");
            args.push(Value::Integer(contact));
        }
        if let Some(customer) = filter.with_contacts_of {
            // The ids from the two indexes (the customer's, its contacts'), never an OR that a
            // planner may answer by reading every document.
            sql.push_str(
                " AND d.id IN (SELECT x.id FROM documents x WHERE x.customer_id = ? \
                 UNION ALL SELECT y.id FROM customer_contacts cc \
                 JOIN documents y ON y.contact_id = cc.contact_id WHERE cc.customer_id = ?)",
            );
            args.push(Value::Integer(customer));
            args.push(Value::Integer(customer));
        }
    }

    fn narrow(filter: &Filter) -> bool {
        filter.customer_id.is_some()
            || filter.contact_id.is_some()
            || filter.with_contacts_of.is_some()
    }
}

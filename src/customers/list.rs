//! The customer list: what customers declare to the shared register list (columns, search
//! index, tags, filters and sorts).

use rusqlite::types::Value;
use rusqlite::{Connection, Row};

use super::store::{from_row, COLUMNS};
use super::Customer;
use crate::error::Result;
use crate::http::form::Form;
use crate::register::list::{self, id_param, unknown_value, Key, Register, SortSpec, ID};

/// The customer register, as the list machinery sees it.
pub struct Customers;

/// What a customer list is narrowed to besides search and tag.
#[derive(Debug, Clone, Default)]
pub struct Filter {
    pub owner_id: Option<i64>,
    pub archived: Archived,
}

/// Which customers a list shows by their archive state.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Archived {
    #[default]
    Active,
    Archived,
    All,
}

impl Archived {
    const VALUES: [(Archived, &'static str); 3] = [
        (Archived::Active, "false"),
        (Archived::Archived, "true"),
        (Archived::All, "all"),
    ];

    pub(crate) fn parse(text: &str) -> Option<Archived> {
        match text {
            "" => Some(Archived::Active),
            v => Archived::VALUES
                .iter()
                .find(|(_, s)| *s == v)
                .map(|(a, _)| *a),
        }
    }

    pub fn as_str(self) -> &'static str {
        Archived::VALUES
            .iter()
            .find(|(a, _)| *a == self)
            .map_or("false", |(_, s)| s)
    }
}

/// The orders a customer list can have.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Sort {
    Name,
    NameDesc,
    Number,
    Newest,
    Oldest,
}

pub type ListQuery = list::ListQuery<Customers>;

impl Register for Customers {
    type Row = Customer;
    type Filter = Filter;
    type Sort = Sort;
    const PATH: &'static str = "/customers";
    const TABLE: &'static str = "customers";
    const ALIAS: &'static str = "c";
    const COLUMNS: &'static str = COLUMNS;
    const FTS: &'static str = "customers_fts";
    const TAGS: (&'static str, &'static str) = ("customer_tags", "customer_id");
    const SEARCH_KEYS: Option<&'static str> = Some("customers_search_keys");
    #[rustfmt::skip]
    const SORTS: &'static [SortSpec<Sort>] = &[
        SortSpec { sort: Sort::Name, key: "name", label: "sort.name", keys: &[Key::nocase("name"), ID], desc: false },
        SortSpec { sort: Sort::NameDesc, key: "-name", label: "sort.name_desc", keys: &[Key::nocase("name"), ID], desc: true },
        SortSpec { sort: Sort::Number, key: "number", label: "sort.number", keys: &[Key::nullable("number_seq"), Key::plain("number"), ID], desc: false },
        SortSpec { sort: Sort::Newest, key: "-created_at", label: "sort.newest", keys: &[ID], desc: true },
        SortSpec { sort: Sort::Oldest, key: "created_at", label: "sort.oldest", keys: &[ID], desc: false },
    ];

    fn from_row(row: &Row) -> rusqlite::Result<Customer> {
        from_row(row)
    }

    fn filter_from(q: &Form) -> Result<Filter> {
        Ok(Filter {
            owner_id: id_param(q, "owner_id")?,
            archived: Archived::parse(q.get("archived"))
                .ok_or_else(|| unknown_value("archived"))?,
        })
    }

    fn filter_sql(filter: &Filter, sql: &mut String, args: &mut Vec<Value>) {
        match filter.archived {
            Archived::Active => sql.push_str(" AND c.archived = 0"),
            Archived::Archived => sql.push_str(" AND c.archived = 1"),
            Archived::All => {}
        }
        if let Some(owner) = filter.owner_id {
            sql.push_str(" AND c.owner_id = ?");
            args.push(Value::Integer(owner));
        }
    }

    fn filter_needs_table(filter: &Filter) -> bool {
        filter.owner_id.is_some()
    }

    fn tag_filter_sql(filter: &Filter, sql: &mut String) {
        match filter.archived {
            Archived::Active => sql.push_str(" AND x.archived = 0"),
            Archived::Archived => sql.push_str(" AND x.archived = 1"),
            Archived::All => {}
        }
    }
}

/// The newest customers, archived too, for the front page.
pub(crate) fn newest(conn: &Connection, limit: i64) -> Result<Vec<Customer>> {
    let mut query = ListQuery::new(Sort::Newest);
    query.limit = limit;
    query.filter.archived = Archived::All;
    list::page(conn, &query).map(|(rows, _)| rows)
}

//! The contact list: what contacts declare to the shared register list.

use rusqlite::types::Value;
use rusqlite::{Connection, Row};

use super::store::{from_row, COLUMNS};
use super::Contact;
use crate::error::Result;
use crate::http::form::Form;
use crate::register::list::{self, id_param, Key, Register, SortSpec, ID};

/// The contact register, as the list machinery sees it.
pub struct Contacts;

/// What a contact list is narrowed to besides search and tag.
#[derive(Debug, Clone, Default)]
pub struct Filter {
    /// Only the contacts of this customer.
    pub customer_id: Option<i64>,
}

/// The orders a contact list can have.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Sort {
    Name,
    NameDesc,
    Newest,
    Oldest,
}

pub type ListQuery = list::ListQuery<Contacts>;

impl Register for Contacts {
    type Row = Contact;
    type Filter = Filter;
    type Sort = Sort;
    const PATH: &'static str = "/contacts";
    const TABLE: &'static str = "contacts";
    const ALIAS: &'static str = "p";
    const COLUMNS: &'static str = COLUMNS;
    const FTS: &'static str = "contacts_fts";
    const TAGS: (&'static str, &'static str) = ("contact_tags", "contact_id");
    const SEARCH_KEYS: Option<&'static str> = Some("contacts_search_keys");
    #[rustfmt::skip]
    const SORTS: &'static [SortSpec<Sort>] = &[
        SortSpec { sort: Sort::Name, key: "name", label: "sort.name", keys: &[Key::nocase("last_name"), Key::nocase("first_name"), ID], desc: false },
        SortSpec { sort: Sort::NameDesc, key: "-name", label: "sort.name_desc", keys: &[Key::nocase("last_name"), Key::nocase("first_name"), ID], desc: true },
        SortSpec { sort: Sort::Newest, key: "-created_at", label: "sort.newest", keys: &[ID], desc: true },
        SortSpec { sort: Sort::Oldest, key: "created_at", label: "sort.oldest", keys: &[ID], desc: false },
    ];

    fn from_row(row: &Row) -> rusqlite::Result<Contact> {
        from_row(row)
    }

    fn filter_from(q: &Form) -> Result<Filter> {
        Ok(Filter {
            customer_id: id_param(q, "customer_id")?,
        })
    }

    fn filter_sql(filter: &Filter, sql: &mut String, args: &mut Vec<Value>) {
        if let Some(customer) = filter.customer_id {
            sql.push_str(" AND p.id IN (SELECT cc.contact_id FROM customer_contacts cc WHERE cc.customer_id = ?)");
            args.push(Value::Integer(customer));
        }
    }

    fn narrow(filter: &Filter) -> bool {
        filter.customer_id.is_some()
    }

    fn filter_needs_table(filter: &Filter) -> bool {
        filter.customer_id.is_some()
    }
}

/// The newest contacts, for the front page.
pub(crate) fn newest(conn: &Connection, limit: i64) -> Result<Vec<Contact>> {
    let mut query = ListQuery::new(Sort::Newest);
    query.limit = limit;
    list::page(conn, &query).map(|(rows, _)| rows)
}

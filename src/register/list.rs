//! The list query every register shares: full-text search, tag, the register's own filters, a
//! sort from its table of sorts, and a page. A register declares its table, columns and sorts
//! (`Register`); this module writes the SQL, so the page, the API, the export and the
//! query-plan test all run the very same statement.

use rusqlite::types::Value;
use rusqlite::{Connection, Row};

use crate::error::{Error, Result};
use crate::http::form::{page_params, Form};

/// One way a list can be ordered: its URL value (`-name`), label and SQL.
pub struct SortSpec<S> {
    pub sort: S,
    /// The `sort=` value; a leading `-` reads "descending".
    pub key: &'static str,
    /// The i18n key of its label in the sort picker.
    pub label: &'static str,
    pub order_by: &'static str,
    /// Whether the order is by id, which follows the matches' own order (no broad-search walk).
    pub by_id: bool,
}

/// What a register declares to get lists: its table, columns, search index, tags and sorts.
pub trait Register: Sized + 'static {
    type Row;
    /// The register's own filters (owner, archive state, customer, …).
    type Filter: Clone + Default + std::fmt::Debug;
    type Sort: Copy + Eq + std::fmt::Debug + 'static;

    /// The list page's path (`/customers`); the card of a record is `{PATH}/{id}`.
    const PATH: &'static str;
    /// `customers c`: the table and its alias in every list statement.
    const TABLE: &'static str;
    const ALIAS: &'static str;
    /// The selected columns, `from_row`'s order.
    const COLUMNS: &'static str;
    /// The FTS5 table whose rowid is the record's id.
    const FTS: &'static str;
    /// The tag link table and its record column (`customer_tags`, `customer_id`).
    const TAGS: (&'static str, &'static str);
    const SORTS: &'static [SortSpec<Self::Sort>];

    fn from_row(row: &Row) -> rusqlite::Result<Self::Row>;
    /// The filters from the URL; a value the list does not know is an error.
    fn filter_from(query: &Form) -> Result<Self::Filter>;
    /// Appends the filters' conditions (` AND …`) and their arguments.
    fn filter_sql(filter: &Self::Filter, sql: &mut String, args: &mut Vec<Value>);
}

fn spec<R: Register>(sort: R::Sort) -> &'static SortSpec<R::Sort> {
    R::SORTS
        .iter()
        .find(|s| s.sort == sort)
        .expect("every sort of a register is in its SORTS table")
}

/// A sort by its URL value.
pub(crate) fn sort_by_key<R: Register>(key: &str) -> Option<R::Sort> {
    R::SORTS.iter().find(|s| s.key == key).map(|s| s.sort)
}

/// The URL value of a sort.
pub fn sort_key<R: Register>(sort: R::Sort) -> &'static str {
    spec::<R>(sort).key
}

/// The first record whose `condition` (on the register's alias, one `?1`) holds, by id.
pub(crate) fn find_one<R: Register>(
    conn: &Connection,
    condition: &str,
    value: impl rusqlite::ToSql,
) -> rusqlite::Result<Option<R::Row>> {
    use rusqlite::OptionalExtension;
    let (table, a, columns) = (R::TABLE, R::ALIAS, R::COLUMNS);
    conn.prepare_cached(&format!(
        "SELECT {columns} FROM {table} {a} WHERE {condition} ORDER BY {a}.id LIMIT 1"
    ))?
    .query_row([value], R::from_row)
    .optional()
}

/// The record with this id.
pub(crate) fn by_id<R: Register>(conn: &Connection, id: i64) -> rusqlite::Result<Option<R::Row>> {
    find_one::<R>(conn, &format!("{}.id = ?1", R::ALIAS), id)
}

/// What a list asks for.
#[derive(Debug)]
pub struct ListQuery<R: Register> {
    pub q: String,
    pub tag: String,
    pub filter: R::Filter,
    pub sort: R::Sort,
    pub limit: i64,
    pub offset: i64,
}

impl<R: Register> Clone for ListQuery<R> {
    fn clone(&self) -> Self {
        ListQuery {
            q: self.q.clone(),
            tag: self.tag.clone(),
            filter: self.filter.clone(),
            sort: self.sort,
            limit: self.limit,
            offset: self.offset,
        }
    }
}

impl<R: Register> ListQuery<R> {
    /// Everything, in `sort` order, first page.
    pub(crate) fn new(sort: R::Sort) -> ListQuery<R> {
        ListQuery {
            q: String::new(),
            tag: String::new(),
            filter: R::Filter::default(),
            sort,
            limit: 50,
            offset: 0,
        }
    }

    /// The first `limit` matches of a search (the pickers that find a record to link).
    pub fn search(q: &str, sort: R::Sort, limit: i64) -> ListQuery<R> {
        ListQuery {
            q: q.to_string(),
            limit,
            ..ListQuery::new(sort)
        }
    }

    /// The list's query from the URL; a bad value is a 400, not a silent default. Pages sort
    /// by name, the API newest first: the caller says which is the default.
    pub(crate) fn from_form(q: &Form, default_sort: R::Sort) -> Result<ListQuery<R>> {
        let (limit, offset) = page_params(q)?;
        Ok(ListQuery {
            q: q.get("q").trim().to_string(),
            tag: q.get("tag").trim().to_string(),
            filter: R::filter_from(q)?,
            sort: match q.get("sort") {
                "" => default_sort,
                v => sort_by_key::<R>(v).ok_or_else(|| unknown_value("sort"))?,
            },
            limit,
            offset,
        })
    }
}

/// The 400 for a list parameter with a value the list does not know.
pub(crate) fn unknown_value(name: &str) -> Error {
    Error::BadRequest(format!("`{name}` has a value this list does not know."))
}

/// An optional id parameter (`owner_id=`, `customer_id=`): empty is none, anything but a number
/// is a 400.
pub(crate) fn id_param(q: &Form, name: &str) -> Result<Option<i64>> {
    match q.get(name).trim() {
        "" => Ok(None),
        v => v.parse().map(Some).map_err(|_| unknown_value(name)),
    }
}

/// `SELECT … FROM … WHERE …` of a list, without order and page.
fn select_where<R: Register>(
    query: &ListQuery<R>,
    broad: bool,
    columns: &str,
) -> (String, Vec<Value>) {
    let (table, a) = (R::TABLE, R::ALIAS);
    let mut sql = format!("SELECT {columns} FROM {table} {a} WHERE 1 = 1");
    let mut args: Vec<Value> = Vec::new();
    crate::log::store::add_fts_filter(&mut sql, &mut args, &query.q, R::FTS, a, broad);
    R::filter_sql(&query.filter, &mut sql, &mut args);
    if !query.tag.trim().is_empty() {
        let (tags, column) = R::TAGS;
        sql.push_str(&format!(
            " AND {a}.id IN (SELECT x.{column} FROM {tags} x JOIN tags t ON t.id = x.tag_id WHERE t.name = ?)"
        ));
        args.push(Value::Text(query.tag.trim().to_string()));
    }
    (sql, args)
}

/// The SQL and parameters of a list query. `broad` is for a search that matches many rows
/// (`log::store::is_broad`): the list then walks its order index instead of sorting every match.
pub fn list_sql<R: Register>(query: &ListQuery<R>, broad: bool) -> (String, Vec<Value>) {
    let (mut sql, mut args) = select_where(query, broad, R::COLUMNS);
    sql.push_str(&format!(
        " ORDER BY {} LIMIT ? OFFSET ?",
        spec::<R>(query.sort).order_by
    ));
    args.push(Value::Integer(query.limit));
    args.push(Value::Integer(query.offset));
    (sql, args)
}

/// One page of a list. Asks for one row more than shown, so the caller knows whether a next
/// page exists without counting.
pub fn page<R: Register>(
    conn: &Connection,
    query: &ListQuery<R>,
) -> rusqlite::Result<(Vec<R::Row>, bool)> {
    let mut ask = query.clone();
    ask.limit = query.limit + 1;
    let broad =
        !spec::<R>(query.sort).by_id && crate::log::store::is_broad(conn, R::FTS, &query.q)?;
    let (sql, args) = list_sql(&ask, broad);
    crate::db::page_of(conn, &sql, args, query.limit, R::from_row)
}

/// How many rows a list has, counted up to a bound so that it stays fast at any size.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Count {
    Exact(i64),
    /// At least this many (the bound); the list has more.
    AtLeast(i64),
}

/// Counting stops here: "1 000+" is as useful as the exact number and costs nothing.
pub const COUNT_BOUND: i64 = 1000;

/// The SQL of `count`: the list's own conditions, at most `COUNT_BOUND + 1` rows.
pub(crate) fn count_sql<R: Register>(query: &ListQuery<R>) -> (String, Vec<Value>) {
    let column = format!("{}.id", R::ALIAS);
    let (inner, mut args) = select_where(query, false, &column);
    args.push(Value::Integer(COUNT_BOUND + 1));
    (format!("SELECT count(*) FROM ({inner} LIMIT ?)"), args)
}

/// The list's size, exact up to `COUNT_BOUND`.
pub(crate) fn count<R: Register>(
    conn: &Connection,
    query: &ListQuery<R>,
) -> rusqlite::Result<Count> {
    let (sql, args) = count_sql(query);
    let n: i64 = conn
        .prepare_cached(&sql)?
        .query_row(rusqlite::params_from_iter(args), |r| r.get(0))?;
    Ok(if n > COUNT_BOUND {
        Count::AtLeast(COUNT_BOUND)
    } else {
        Count::Exact(n)
    })
}

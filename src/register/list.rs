//! The list query every register shares: full-text search, tag, the register's own filters, a
//! sort from its table of sorts, and a page. A register declares its table, columns and sorts
//! (`Register`); this module writes the SQL, so the page, the API, the export and the
//! query-plan test all run the very same statements.
//!
//! Every page costs about the same at any depth and any size of register:
//!
//! - Pages go by position (keyset): `after` / `before` a row, given as a cursor that holds the
//!   row's sort keys, so the next page starts with an index seek instead of skipping rows.
//!   `offset` still works up to `DEEP_OFFSET`; past that a list longer than that refuses it.
//! - A tag's list walks the tag table's own index in list order: the tag tables keep copies of
//!   the sort columns (`name`, `archived`, …, kept by triggers) for that.
//! - A search reads the ids of its newest `SEARCH_CAP` matches from the full-text index once,
//!   and the list sorts those; when there are more, the list says the search should be
//!   narrower (`Page::many`). Past them, in id order, the list walks the full-text index in id
//!   order and so reaches every match. An export sees every match in any order.

use rusqlite::types::Value;
use rusqlite::{Connection, Row};

pub use super::search::{search, Search};
use crate::error::{deep_offset_error, Error, Result, DEEP_OFFSET};
use crate::http::form::{page_params, Form};
use crate::log::store::SEARCH_CAP;

/// One column of a list's order.
pub struct Key {
    /// The column's name, the same in the register's table and its tag table (`id` is the
    /// record's id, whatever the tag table calls it).
    pub column: &'static str,
    /// Compared case-insensitively, as its index is.
    pub nocase: bool,
    /// May be NULL (which sorts first).
    pub nullable: bool,
}

impl Key {
    pub const fn plain(column: &'static str) -> Key {
        Key {
            column,
            nocase: false,
            nullable: false,
        }
    }

    pub const fn nocase(column: &'static str) -> Key {
        Key {
            column,
            nocase: true,
            nullable: false,
        }
    }

    pub const fn nullable(column: &'static str) -> Key {
        Key {
            column,
            nocase: false,
            nullable: true,
        }
    }
}

/// The record's id, the last key of every order (no two rows tie).
pub const ID: Key = Key::plain("id");

/// One way a list can be ordered: its URL value (`-name`), label and columns.
pub struct SortSpec<S> {
    pub sort: S,
    /// The `sort=` value; a leading `-` reads "descending".
    pub key: &'static str,
    /// The i18n key of its label in the sort picker.
    pub label: &'static str,
    /// The order's columns, most significant first; the last is `ID`. An index must give
    /// this order (the query-plan test checks), in the table and in the tag table.
    pub keys: &'static [Key],
    /// Every key descending.
    pub desc: bool,
}

impl<S> SortSpec<S> {
    /// Ordered by id alone, which the full-text index can give too.
    fn by_id(&self) -> bool {
        self.keys.len() == 1
    }
}

/// What a register declares to get lists: its table, columns, search index, tags and sorts.
pub trait Register: Sized + 'static {
    type Row: Send + 'static;
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
    /// The FTS5 table whose rowid is the record's id (with prefix indexes of 2 and 3).
    const FTS: &'static str;
    /// The tag link table and its record column (`customer_tags`, `customer_id`). The table
    /// also holds a copy of each sort key column of its record, under the same name.
    const TAGS: (&'static str, &'static str);
    const SORTS: &'static [SortSpec<Self::Sort>];
    /// An index that begins with the id and holds every column the sorts and the filters
    /// read, or `None`. A search sorts its newest matches from it: they lie a few hundred
    /// apart among the rows, so reading their rows costs a page each (two hundred pages, read
    /// again after every write empties the connection's cache), and the narrow entries of
    /// this index hold some eighty to a page.
    const SEARCH_KEYS: Option<&'static str> = None;

    fn from_row(row: &Row) -> rusqlite::Result<Self::Row>;
    /// The filters from the URL; a value the list does not know is an error.
    fn filter_from(query: &Form) -> Result<Self::Filter>;
    /// Appends the filters' conditions (` AND …`) and their arguments.
    fn filter_sql(filter: &Self::Filter, sql: &mut String, args: &mut Vec<Value>);
    /// Appends the conditions of the filters that the tag table's copies of the record's
    /// columns answer (alias `x`), so that a tag's list walks the tag table's index.
    fn tag_filter_sql(_filter: &Self::Filter, _sql: &mut String) {}
    /// Whether the filters alone leave only a few rows (one customer's contacts): the list
    /// then starts from those rather than from a tag.
    fn narrow(_filter: &Self::Filter) -> bool {
        false
    }
    /// Whether some filter needs the register's own table, beyond what `tag_filter_sql`
    /// answers from the tag table: otherwise counting a tag's list reads the tag table alone.
    fn filter_needs_table(_filter: &Self::Filter) -> bool {
        true
    }
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

/// A position in a list: the sort keys of a row, and which side of it the page is on.
#[derive(Debug, Clone, PartialEq)]
pub struct Cursor {
    pub keys: Vec<Value>,
    /// The page is the rows before it (the previous page); otherwise those after it.
    pub before: bool,
}

impl Cursor {
    /// The `after=` / `before=` text of a row's keys: a JSON array (`["Alfa Oy",12]`).
    pub fn encode(keys: &[Value]) -> String {
        let values: Vec<serde_json::Value> = keys
            .iter()
            .map(|v| match v {
                Value::Integer(i) => (*i).into(),
                Value::Real(f) => (*f).into(),
                Value::Text(t) => t.clone().into(),
                Value::Null | Value::Blob(_) => serde_json::Value::Null,
            })
            .collect();
        serde_json::Value::Array(values).to_string()
    }

    /// The keys of an `after=` / `before=` text, which must have `n` of them.
    pub(crate) fn decode(text: &str, n: usize, name: &str) -> Result<Vec<Value>> {
        let bad = || Cursor::not_a_position(name);
        let values: Vec<serde_json::Value> = serde_json::from_str(text).map_err(|_| bad())?;
        if values.len() != n {
            return Err(bad());
        }
        values
            .into_iter()
            .map(|v| match v {
                serde_json::Value::Null => Ok(Value::Null),
                serde_json::Value::String(s) => Ok(Value::Text(s)),
                serde_json::Value::Number(n) => n.as_i64().map(Value::Integer).ok_or_else(bad),
                _ => Err(bad()),
            })
            .collect()
    }

    /// The 400 for an `after=` / `before=` (`name`) that is not a position in the list.
    pub(crate) fn not_a_position(name: &str) -> Error {
        Error::BadRequest(format!(
            "`{name}` is not a position in this list: give the `next_after` of a page (or the pager's link) as it was, with the same sort."
        ))
    }
}

/// The 400 for a position (`after`, `before`) given with an `offset`.
pub(crate) fn cursor_with_offset() -> Error {
    Error::BadRequest(
        "`after` and `before` do not go with `offset`: the position is the page's start.".into(),
    )
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
    /// Page by position instead of `offset`.
    pub cursor: Option<Cursor>,
    /// Every match of a search, however many (exports); lists show at most `SEARCH_CAP`.
    pub complete: bool,
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
            cursor: self.cursor.clone(),
            complete: self.complete,
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
            cursor: None,
            complete: false,
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
        let sort = match q.get("sort") {
            "" => default_sort,
            v => sort_by_key::<R>(v).ok_or_else(|| unknown_value("sort"))?,
        };
        let keys = spec::<R>(sort).keys.len();
        let cursor = match (q.get("after"), q.get("before")) {
            ("", "") => None,
            (after, "") => Some(Cursor {
                keys: Cursor::decode(after, keys, "after")?,
                before: false,
            }),
            ("", before) => Some(Cursor {
                keys: Cursor::decode(before, keys, "before")?,
                before: true,
            }),
            _ => {
                return Err(Error::BadRequest(
                    "Give `after` or `before`, not both.".into(),
                ))
            }
        };
        if cursor.is_some() && offset != 0 {
            return Err(cursor_with_offset());
        }
        Ok(ListQuery {
            q: q.get("q").trim().to_string(),
            tag: q.get("tag").trim().to_string(),
            filter: R::filter_from(q)?,
            sort,
            limit,
            offset,
            cursor,
            complete: false,
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

/// Which table a list statement walks first.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Driver {
    /// The register's table, by the index of the order (or the search's matches, sorted).
    Table,
    /// The tag table, by its index of the tag and the order.
    Tag,
    /// The full-text index, in id order.
    Stream,
}

fn driver<R: Register>(query: &ListQuery<R>, search: &Search) -> Driver {
    let tag = !query.tag.trim().is_empty();
    let spec = spec::<R>(query.sort);
    // In id order the index gives every match; the newest `SEARCH_CAP` already read serve
    // the first pages newest first (and all of them when there are no more).
    let within_newest =
        spec.desc && query.cursor.is_none() && query.offset + query.limit < SEARCH_CAP;
    match search {
        Search::Match { many, .. }
            if spec.by_id()
                && !tag
                && !R::narrow(&query.filter)
                && (query.complete || (*many && !within_newest)) =>
        {
            Driver::Stream
        }
        Search::All if tag && !R::narrow(&query.filter) => Driver::Tag,
        _ => Driver::Table,
    }
}

/// A sort key as SQL over the table the statement walks first.
fn key_sql<R: Register>(driver: Driver, key: &Key) -> String {
    let column = match (driver, key.column) {
        (Driver::Stream, "id") => format!("{}.rowid", R::FTS),
        (Driver::Tag, "id") => format!("x.{}", R::TAGS.1),
        (Driver::Tag, c) => format!("x.{c}"),
        (Driver::Table | Driver::Stream, c) => format!("{}.{c}", R::ALIAS),
    };
    if key.nocase {
        format!("{column} COLLATE NOCASE")
    } else {
        column
    }
}

/// ` FROM … WHERE …` of a list, without position, order and page. `rows`: the statement
/// reads the records (a count or a probe of a tag's list may not need to).
fn from_where<R: Register>(
    query: &ListQuery<R>,
    search: &Search,
    driver: Driver,
    rows: bool,
) -> (String, Vec<Value>) {
    let (table, a, fts) = (R::TABLE, R::ALIAS, R::FTS);
    let (tags, column) = R::TAGS;
    let tag = query.tag.trim();
    let mut args: Vec<Value> = Vec::new();
    let mut sql = match driver {
        Driver::Table => match (search, R::SEARCH_KEYS) {
            (Search::Match { .. }, Some(index)) if !query.complete => {
                format!(" FROM {table} {a} INDEXED BY {index} WHERE 1 = 1")
            }
            _ => format!(" FROM {table} {a} WHERE 1 = 1"),
        },
        Driver::Tag => {
            args.push(Value::Text(tag.to_string()));
            let tag_only = !rows && !R::filter_needs_table(&query.filter);
            let mut sql = if tag_only {
                format!(" FROM {tags} x WHERE x.tag_id = (SELECT id FROM tags WHERE name = ?)")
            } else {
                format!(
                    " FROM {tags} x CROSS JOIN {table} {a} ON {a}.id = x.{column} \
                     WHERE x.tag_id = (SELECT id FROM tags WHERE name = ?)"
                )
            };
            R::tag_filter_sql(&query.filter, &mut sql);
            if tag_only {
                return (sql, args);
            }
            sql
        }
        Driver::Stream => {
            if let Search::Match { query: text, .. } = search {
                args.push(Value::Text(text.clone()));
            }
            format!(
                " FROM {fts} CROSS JOIN {table} {a} ON {a}.id = {fts}.rowid WHERE {fts} MATCH ?"
            )
        }
    };
    match search {
        Search::All => {}
        Search::Nothing => sql.push_str(" AND 0"),
        Search::Match { .. } if driver == Driver::Stream => {}
        Search::Match { query: text, .. } if query.complete => {
            sql.push_str(&format!(
                " AND {a}.id IN (SELECT rowid FROM {fts} WHERE {fts} MATCH ?)"
            ));
            args.push(Value::Text(text.clone()));
        }
        Search::Match { newest, .. } => {
            sql.push_str(&format!(" AND {a}.id IN (SELECT value FROM json_each(?))"));
            args.push(Value::Text(newest.clone()));
        }
    }
    R::filter_sql(&query.filter, &mut sql, &mut args);
    if !tag.is_empty() && driver != Driver::Tag {
        sql.push_str(&format!(
            " AND EXISTS (SELECT 1 FROM {tags} x WHERE x.{column} = {a}.id \
             AND x.tag_id = (SELECT id FROM tags WHERE name = ?))"
        ));
        args.push(Value::Text(tag.to_string()));
    }
    (sql, args)
}

/// The conditions, in walking order, that take the rows past the cursor, each an index range
/// that starts at the cursor: first the rows that tie with it on every key but the last
/// (`name = ? AND id > ?`), then those that tie on one key fewer, and so on, then the rows
/// beyond its first key (`name > ?`). A single condition `name >= ? AND (…)` would seek to the
/// first key only and then step over every row that ties on it (thirty thousand Virtanens).
/// A first key that may be NULL (NULL sorts first) is compared with `IS NULL`, and the walk
/// toward the NULLs ends with them.
fn positions(
    keys: &[String],
    nullable: bool,
    values: &[Value],
    greater: bool,
) -> Vec<(String, Vec<Value>)> {
    let op = if greater { ">" } else { "<" };
    let first_null = nullable && values[0] == Value::Null;
    let mut out = Vec::new();
    for depth in (0..keys.len()).rev() {
        let mut parts = Vec::new();
        let mut args = Vec::new();
        for (i, (k, v)) in keys.iter().zip(values).enumerate().take(depth) {
            if i == 0 && first_null {
                parts.push(format!("{k} IS NULL"));
            } else {
                parts.push(format!("{k} = ?"));
                args.push(v.clone());
            }
        }
        let k = &keys[depth];
        if depth == 0 && first_null {
            // Beyond NULL: every non-NULL key, or nothing below it.
            if !greater {
                continue;
            }
            parts.push(format!("{k} IS NOT NULL"));
        } else {
            parts.push(format!("{k} {op} ?"));
            args.push(values[depth].clone());
        }
        out.push((parts.join(" AND "), args));
    }
    if nullable && !first_null && !greater {
        out.push((format!("{} IS NULL", keys[0]), Vec::new()));
    }
    out
}

/// The statements of a list page, run in turn until the page is full (one without a
/// position, one per key with one; see `positions`): SQL and arguments, the last two of which are the limit
/// and the offset. Each selects `COLUMNS` and then the row's sort keys (for its cursor).
///
/// A list that sorts what it finds (a search's matches in any order but by id, or a narrow
/// filter's few rows) sorts only the ids and keys, in a subquery, and reads the whole rows of
/// the page alone: `COLUMNS` has subqueries (the tags) that would otherwise run for every row
/// sorted.
pub fn list_sql<R: Register>(query: &ListQuery<R>, search: &Search) -> Vec<(String, Vec<Value>)> {
    let spec = spec::<R>(query.sort);
    let driver = driver(query, search);
    let keys: Vec<String> = spec.keys.iter().map(|k| key_sql::<R>(driver, k)).collect();
    let reversed = query.cursor.as_ref().is_some_and(|c| c.before);
    let desc = spec.desc != reversed;
    let order = |keys: &[String]| -> String {
        keys.iter()
            .map(|k| if desc { format!("{k} DESC") } else { k.clone() })
            .collect::<Vec<_>>()
            .join(", ")
    };
    let (from_where, args) = from_where(query, search, driver, true);
    let sorts = driver == Driver::Table
        && (matches!(search, Search::Match { .. }) || R::narrow(&query.filter));
    let (a, table) = (R::ALIAS, R::TABLE);
    let (head, tail) = if sorts {
        let aliased: Vec<String> = keys
            .iter()
            .enumerate()
            .map(|(i, k)| format!("{k} AS k{i}"))
            .collect();
        let outer: Vec<String> = spec
            .keys
            .iter()
            .enumerate()
            .map(|(i, k)| {
                if k.nocase {
                    format!("pg.k{i} COLLATE NOCASE")
                } else {
                    format!("pg.k{i}")
                }
            })
            .collect();
        (
            format!("SELECT {a}.id AS page_id, {}{from_where}", aliased.join(", ")),
            format!(
                " ORDER BY {} LIMIT ? OFFSET ?) AS pg CROSS JOIN {table} {a} ON {a}.id = pg.page_id ORDER BY {}",
                order(&keys),
                order(&outer)
            ),
        )
    } else {
        (
            format!("SELECT {}, {}{from_where}", R::COLUMNS, keys.join(", ")),
            format!(" ORDER BY {} LIMIT ? OFFSET ?", order(&keys)),
        )
    };
    let page = [Value::Integer(query.limit), Value::Integer(query.offset)];
    let statements = match &query.cursor {
        None => vec![(String::new(), Vec::new())],
        Some(cursor) => positions(&keys, spec.keys[0].nullable, &cursor.keys, !desc),
    };
    statements
        .into_iter()
        .map(|(condition, condition_args)| {
            let mut sql = head.clone();
            if !condition.is_empty() {
                sql.push_str(&format!(" AND {condition}"));
            }
            sql.push_str(&tail);
            if sorts {
                let plain: Vec<String> = (0..keys.len()).map(|i| format!("pg.k{i}")).collect();
                sql = format!("SELECT {}, {} FROM ({sql}", R::COLUMNS, plain.join(", "));
            }
            let mut all = args.clone();
            all.extend(condition_args);
            all.extend(page.iter().cloned());
            (sql, all)
        })
        .collect()
}

/// The SQL of "is there a row at `offset`": the list's walk, reading no row.
fn probe_sql<R: Register>(query: &ListQuery<R>, search: &Search) -> (String, Vec<Value>) {
    let spec = spec::<R>(query.sort);
    let driver = driver(query, search);
    let order: Vec<String> = spec
        .keys
        .iter()
        .map(|k| {
            let k = key_sql::<R>(driver, k);
            if spec.desc {
                format!("{k} DESC")
            } else {
                k
            }
        })
        .collect();
    let (from_where, mut args) = from_where(query, search, driver, false);
    args.push(Value::Integer(DEEP_OFFSET));
    (
        format!(
            "SELECT 1{from_where} ORDER BY {} LIMIT 1 OFFSET ?",
            order.join(", ")
        ),
        args,
    )
}

/// One page of a list and where it is.
#[derive(Debug)]
pub struct Page<T> {
    pub rows: Vec<T>,
    /// Rows follow the page (a next page).
    pub more: bool,
    /// Rows come before the page (a previous page).
    pub earlier: bool,
    /// The sort keys of the first and last row: `before=` the first is the previous page,
    /// `after=` the last the next one.
    pub first: Option<Vec<Value>>,
    pub last: Option<Vec<Value>>,
    /// The search matches more than `SEARCH_CAP` rows: in any order but by id the list holds
    /// only the newest that many.
    pub many: bool,
}

impl<T> Page<T> {
    /// The `after=` of the next page, when there is one.
    pub fn next_after(&self) -> Option<String> {
        self.last
            .as_deref()
            .filter(|_| self.more)
            .map(Cursor::encode)
    }

    /// The `before=` of the previous page, when there is one.
    pub fn previous_before(&self) -> Option<String> {
        self.first
            .as_deref()
            .filter(|_| self.earlier)
            .map(Cursor::encode)
    }
}

/// One page of a list. Asks for one row more than shown, so the caller knows whether a next
/// page exists without counting.
pub(crate) fn page_at<R: Register>(
    conn: &Connection,
    query: &ListQuery<R>,
) -> Result<Page<R::Row>> {
    let search = search::<R>(conn, &query.q, query.complete)?;
    page_with(conn, query, &search)
}

fn page_with<R: Register>(
    conn: &Connection,
    query: &ListQuery<R>,
    search: &Search,
) -> Result<Page<R::Row>> {
    let nkeys = spec::<R>(query.sort).keys.len();
    if query.cursor.is_none() && query.offset > DEEP_OFFSET {
        // Answer only when the list ends before the offset walk would get long.
        let (sql, args) = probe_sql(query, search);
        let found = conn
            .prepare_cached(&sql)?
            .query(rusqlite::params_from_iter(args))?
            .next()?
            .is_some();
        if found {
            return Err(deep_offset_error());
        }
    }
    let want = query.limit + 1;
    let mut rows: Vec<(R::Row, Vec<Value>)> = Vec::new();
    for (sql, mut args) in list_sql(query, search) {
        let left = want - rows.len() as i64;
        if left <= 0 {
            break;
        }
        let at = args.len() - 2;
        args[at] = Value::Integer(left);
        let mut stmt = conn.prepare_cached(&sql)?;
        let found = stmt.query_map(rusqlite::params_from_iter(args), |row| {
            let n = row.as_ref().column_count();
            let keys = (n - nkeys..n)
                .map(|i| row.get::<_, Value>(i))
                .collect::<rusqlite::Result<Vec<Value>>>()?;
            Ok((R::from_row(row)?, keys))
        })?;
        for row in found {
            rows.push(row?);
        }
    }
    let beyond = rows.len() as i64 > query.limit;
    rows.truncate(query.limit.max(0) as usize);
    let (more, earlier) = match &query.cursor {
        None => (beyond, query.offset > 0),
        Some(c) if c.before => {
            rows.reverse();
            (true, beyond)
        }
        Some(_) => (beyond, true),
    };
    let first = rows.first().map(|(_, k)| k.clone());
    let last = rows.last().map(|(_, k)| k.clone());
    Ok(Page {
        rows: rows.into_iter().map(|(r, _)| r).collect(),
        more,
        earlier,
        first,
        last,
        many: !query.complete && matches!(search, Search::Match { many: true, .. }),
    })
}

/// One page of a list and whether more rows follow.
pub fn page<R: Register>(conn: &Connection, query: &ListQuery<R>) -> Result<(Vec<R::Row>, bool)> {
    page_at(conn, query).map(|p| (p.rows, p.more))
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
pub fn count_sql<R: Register>(query: &ListQuery<R>, search: &Search) -> (String, Vec<Value>) {
    let driver = driver(query, search);
    let (from_where, mut args) = from_where(query, search, driver, false);
    args.push(Value::Integer(COUNT_BOUND + 1));
    (
        format!("SELECT count(*) FROM (SELECT 1{from_where} LIMIT ?)"),
        args,
    )
}

fn count_with<R: Register>(
    conn: &Connection,
    query: &ListQuery<R>,
    search: &Search,
) -> Result<Count> {
    if matches!(search, Search::Match { many: true, .. }) && !query.complete {
        return Ok(Count::AtLeast(SEARCH_CAP));
    }
    let (sql, args) = count_sql(query, search);
    let n: i64 = conn
        .prepare_cached(&sql)?
        .query_row(rusqlite::params_from_iter(args), |r| r.get(0))?;
    Ok(if n > COUNT_BOUND {
        Count::AtLeast(COUNT_BOUND)
    } else {
        Count::Exact(n)
    })
}

/// A page of a list and the list's size (the list pages show both), searching once.
pub(crate) fn page_and_count<R: Register>(
    conn: &Connection,
    query: &ListQuery<R>,
) -> Result<(Page<R::Row>, Count)> {
    let search = search::<R>(conn, &query.q, query.complete)?;
    let page = page_with(conn, query, &search)?;
    let count = count_with(conn, query, &search)?;
    Ok((page, count))
}

//! A list's search text made ready for its SQL: the full-text match, and whether it matches
//! more rows than a list sorts (then the list says so and takes the newest). Recent searches
//! are kept per connection until the database changes.

use rusqlite::Connection;

use super::list::Register;
use crate::db::Memo;
use crate::log::store::{fts_match, newest_matches, SEARCH_CAP};

/// A list's search, ready for the SQL.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Search {
    /// No search text: every row.
    All,
    /// Text without words: no row.
    Nothing,
    /// The FTS5 query; the ids of its newest `SEARCH_CAP` matches as a JSON array; and
    /// whether it matches more than those.
    Match {
        query: String,
        newest: String,
        many: bool,
    },
}

/// The search of a list's text (`log::store::fts_match`), with whether it matches many.
///
/// A list (not `complete`) first tries the words as typed, whole: when they alone match more
/// rows than a list sorts, the list is of those. The words they begin could only add more
/// rows to a list that already asks for a narrower search, and finding them means merging
/// the postings of every word with that beginning (4 ms for `tampere` among a million
/// customers, against 0.1 ms for the word itself). Fewer matches, and the words are taken as
/// beginnings, so `virt` finds Virtanen. An export (`complete`) takes every match.
pub fn search<R: Register>(conn: &Connection, q: &str, complete: bool) -> rusqlite::Result<Search> {
    if q.trim().is_empty() {
        return Ok(Search::All);
    }
    let Some(query) = fts_match(conn, R::FTS, q, true)? else {
        return Ok(Search::Nothing);
    };
    if complete {
        // An export reads every match through the index; the newest are not needed.
        return Ok(Search::Match {
            query,
            newest: "[]".into(),
            many: false,
        });
    }
    let whole = whole_words(q);
    if whole != query {
        let (newest, many) = recent_or_read(conn, R::FTS, &whole)?;
        if many {
            return Ok(Search::Match {
                query: whole,
                newest,
                many,
            });
        }
    }
    let (newest, many) = recent_or_read(conn, R::FTS, &query)?;
    Ok(Search::Match {
        query,
        newest,
        many,
    })
}

/// A search's newest matches (`Search::Match::newest`, `many`) by index and FTS query.
type Searches = Memo<(&'static str, String), (String, bool)>;

thread_local! {
    /// The last few searches read on this thread's connection. The next page of a search, or
    /// the same search again, finds its matches here instead of reading the postings of
    /// every word a prefix begins again (2–3 ms for a common name in a big register).
    static RECENT: std::cell::RefCell<Searches> = const { std::cell::RefCell::new(Memo::new(8)) };
}

/// The JSON array of the newest `SEARCH_CAP` ids `query` matches in `fts`, and whether it
/// matches more: from `RECENT` when the database has not changed since, else read.
fn recent_or_read(
    conn: &Connection,
    fts: &'static str,
    query: &str,
) -> rusqlite::Result<(String, bool)> {
    RECENT.with(|recent| {
        recent
            .borrow_mut()
            .get_or_read(conn, (fts, query.to_string()), || {
                let mut ids = newest_matches(conn, fts, query)?;
                let many = ids.len() as i64 > SEARCH_CAP;
                ids.truncate(SEARCH_CAP as usize);
                let newest = serde_json::to_string(&ids).unwrap_or_else(|_| "[]".into());
                Ok((newest, many))
            })
    })
}

/// The words of `q`, each a whole word, all of them required.
fn whole_words(q: &str) -> String {
    crate::log::store::words(q)
        .map(|w| format!("\"{w}\""))
        .collect::<Vec<_>>()
        .join(" AND ")
}

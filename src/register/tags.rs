//! Tags, shared by customers and contacts: free words such as "VIP" or "Tampere", suggested
//! from the ones already in use.

use std::collections::HashSet;

use rusqlite::{params, Connection};

use crate::db::Tx;
use crate::error::{has_control, Error, Result};

/// Which register a tag is put on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Tagged {
    Customer,
    Contact,
}

impl Tagged {
    /// The link table and its owner column (fixed strings, never input).
    fn table(self) -> (&'static str, &'static str) {
        match self {
            Tagged::Customer => ("customer_tags", "customer_id"),
            Tagged::Contact => ("contact_tags", "contact_id"),
        }
    }
}

pub(crate) const MAX_TAGS: usize = 30;
pub(crate) const MAX_TAG_LENGTH: usize = 50;

/// Cleans a list of tags: trimmed, no empty ones, no repeats (case-insensitively), sorted.
/// A list longer than [`MAX_TAGS`] is refused before any of it is looked at, so a hostile
/// list costs nothing; repeats are found by a set, never by comparing every pair.
pub(crate) fn normalise(tags: &[String]) -> Result<Vec<String>> {
    if tags.len() > MAX_TAGS {
        return Err(Error::field("tags", "tags.too_many"));
    }
    let mut seen: HashSet<String> = HashSet::with_capacity(tags.len());
    let mut out: Vec<String> = Vec::with_capacity(tags.len());
    for tag in tags {
        // A line break or a tab inside a tag is refused, not folded into a space.
        if has_control(tag.trim()) {
            return Err(Error::field("tags", "form.control_chars"));
        }
        let tag = tag.split_whitespace().collect::<Vec<_>>().join(" ");
        if tag.chars().count() > MAX_TAG_LENGTH {
            return Err(Error::field("tags", "tags.too_long"));
        }
        if tag.is_empty() || !seen.insert(tag.to_lowercase()) {
            continue;
        }
        out.push(tag);
    }
    out.sort_by_key(|t| t.to_lowercase());
    Ok(out)
}

/// Tags typed in one box, separated by commas.
pub(crate) fn parse_list(text: &str) -> Vec<String> {
    text.split(',')
        .map(|t| t.trim().to_string())
        .filter(|t| !t.is_empty())
        .collect()
}

fn tag_id(tx: &Tx, name: &str) -> rusqlite::Result<i64> {
    tx.prepare_cached("INSERT INTO tags(name) VALUES (?1) ON CONFLICT(name) DO NOTHING")?
        .execute([name])?;
    tx.prepare_cached("SELECT id FROM tags WHERE name = ?1")?
        .query_row([name], |r| r.get(0))
}

/// Replaces the tags of one customer or contact.
pub(crate) fn set(tx: &Tx, on: Tagged, owner: i64, tags: &[String]) -> rusqlite::Result<()> {
    let (table, column) = on.table();
    tx.prepare_cached(&format!("DELETE FROM {table} WHERE {column} = ?1"))?
        .execute([owner])?;
    for tag in tags {
        let id = tag_id(tx, tag)?;
        tx.prepare_cached(&format!(
            "INSERT OR IGNORE INTO {table}({column}, tag_id) VALUES (?1, ?2)"
        ))?
        .execute(params![owner, id])?;
    }
    Ok(())
}

/// Every tag name, for suggestions and filters (a small table: tags are words people pick).
pub(crate) fn all(conn: &Connection) -> rusqlite::Result<Vec<String>> {
    conn.prepare_cached("SELECT name FROM tags ORDER BY name COLLATE NOCASE LIMIT 1000")?
        .query_map([], |r| r.get(0))?
        .collect()
}

/// Splits a record's copy of its tag names (`tag_names`: char(31) between, empty without
/// tags) back into tags, in name order (`COLLATE NOCASE`).
pub(crate) fn split_names(text: &str) -> Vec<String> {
    let mut tags: Vec<String> = text
        .split('\u{1f}')
        .filter(|t| !t.is_empty())
        .map(str::to_string)
        .collect();
    tags.sort_by_cached_key(|t| t.to_ascii_lowercase());
    tags
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_rows_tags_come_in_name_order_whatever_order_sql_gives() {
        let names = "vip\u{1f}Asiakas\u{1f}Öljy\u{1f}b2b";
        assert_eq!(split_names(names), ["Asiakas", "b2b", "vip", "Öljy"]);
        assert!(split_names("").is_empty());
    }

    #[test]
    fn normalise_trims_dedupes_and_sorts() {
        let tags = normalise(&[
            "  VIP ".into(),
            "tampere".into(),
            "vip".into(),
            "".into(),
            "Iso  asiakas".into(),
        ])
        .unwrap();
        assert_eq!(tags, ["Iso asiakas", "tampere", "VIP"]);
        assert!(normalise(&["x".repeat(51)]).is_err());
        assert!(
            normalise(&["a\u{1f}b".into()]).is_err(),
            "the list queries' separator"
        );
        assert!(normalise(&(0..31).map(|n| n.to_string()).collect::<Vec<_>>()).is_err());
        assert!(normalise(&["a\nb".into()]).is_err(), "a line break inside");
        assert!(normalise(&["a\u{0}b".into()]).is_err());
        assert_eq!(normalise(&[" a \n".into()]).unwrap(), ["a"]);
    }

    #[test]
    fn a_list_over_the_limit_is_refused_whole() {
        let err = normalise(&vec!["x".to_string(); MAX_TAGS + 1]).unwrap_err();
        assert_eq!(err.fields()[0].key, "tags.too_many");
        // Many distinct tags: refused at once, not compared pair by pair.
        let many: Vec<String> = (0..100_000).map(|n| format!("t{n}")).collect();
        assert_eq!(normalise(&many).unwrap_err().fields()[0].field, "tags");
        let thirty: Vec<String> = (0..MAX_TAGS).map(|n| format!("T{n}")).collect();
        assert_eq!(normalise(&thirty).unwrap().len(), MAX_TAGS);
    }
}

//! Tags, shared by customers and contacts: free words such as "VIP" or "Tampere", suggested
//! from the ones already in use.

use rusqlite::{params, Connection, Transaction};

use crate::error::{Error, Result};

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
pub(crate) fn normalise(tags: &[String]) -> Result<Vec<String>> {
    let mut out: Vec<String> = Vec::new();
    for tag in tags {
        let tag = tag.split_whitespace().collect::<Vec<_>>().join(" ");
        if tag.is_empty() || out.iter().any(|t| t.to_lowercase() == tag.to_lowercase()) {
            continue;
        }
        if tag.chars().count() > MAX_TAG_LENGTH {
            return Err(Error::field("tags", "tags.too_long"));
        }
        if tag.chars().any(char::is_control) {
            return Err(Error::field("tags", "form.control_chars"));
        }
        out.push(tag);
    }
    if out.len() > MAX_TAGS {
        return Err(Error::field("tags", "tags.too_many"));
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

fn tag_id(tx: &Transaction, name: &str) -> rusqlite::Result<i64> {
    tx.prepare_cached("INSERT INTO tags(name) VALUES (?1) ON CONFLICT(name) DO NOTHING")?
        .execute([name])?;
    tx.query_row("SELECT id FROM tags WHERE name = ?1", [name], |r| r.get(0))
}

/// Replaces the tags of one customer or contact.
pub(crate) fn set(
    tx: &Transaction,
    on: Tagged,
    owner: i64,
    tags: &[String],
) -> rusqlite::Result<()> {
    let (table, column) = on.table();
    tx.execute(&format!("DELETE FROM {table} WHERE {column} = ?1"), [owner])?;
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

/// Splits the `group_concat(name, char(31))` of a list query back into tags.
pub(crate) fn split_concat(text: Option<String>) -> Vec<String> {
    text.map(|t| t.split('\u{1f}').map(str::to_string).collect())
        .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

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
    }
}

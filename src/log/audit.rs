//! The only changes the log allows after the fact, each in its caller's transaction and
//! named in `events_unlock` while it runs (the database refuses any other update: see the
//! trigger `events_no_update`): a merge moving events to the kept record, and the erasure of
//! a person's name, e-mail and phone from the texts of the events (GDPR).

use rusqlite::params;

use super::sentence::Sentence;
use crate::db::Tx;

/// Why the log is changed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Audited {
    /// A merge moves the removed record's events to the kept one.
    Merge,
    /// A person's data is erased from the texts.
    Erase,
}

impl Audited {
    fn reason(self) -> &'static str {
        match self {
            Audited::Merge => "merge",
            Audited::Erase => "erase",
        }
    }
}

/// Runs `change` with the log opened for `why` (and only that), then closes it again.
pub(crate) fn audited<T>(
    tx: &Tx,
    why: Audited,
    change: impl FnOnce(&Tx) -> rusqlite::Result<T>,
) -> rusqlite::Result<T> {
    tx.execute(
        "INSERT INTO events_unlock (reason) VALUES (?1)",
        [why.reason()],
    )?;
    let result = change(tx);
    tx.execute(
        "DELETE FROM events_unlock WHERE reason = ?1",
        [why.reason()],
    )?;
    result
}

/// `text` with every occurrence of each of `words` (case-insensitively) that starts a word
/// replaced by `with`. A match may run on into the word (Finnish inflects names: `Pialle`),
/// but never starts inside one (`Olympia` keeps its `pia`).
pub(crate) fn scrub(text: &str, words: &[String], with: &str) -> String {
    let mut out = text.to_string();
    for word in words.iter().filter(|w| !w.trim().is_empty()) {
        let lower_word: Vec<char> = word.to_lowercase().chars().collect();
        let chars: Vec<char> = out.chars().collect();
        let lower: Vec<char> = chars
            .iter()
            .map(|c| c.to_lowercase().next().unwrap_or(*c))
            .collect();
        let mut result = String::with_capacity(out.len());
        let mut i = 0;
        while i < chars.len() {
            let starts_word = i == 0 || !chars[i - 1].is_alphanumeric();
            if starts_word && lower[i..].starts_with(&lower_word) {
                result.push_str(with);
                i += lower_word.len();
            } else {
                result.push(chars[i]);
                i += 1;
            }
        }
        out = result;
    }
    out
}

/// Rewrites the texts of the events `ids` with `words` (a person's names, e-mail, phone)
/// replaced by `with`; returns how many changed. The full-text index follows by its trigger.
pub(crate) fn erase_words(
    tx: &Tx,
    ids: &[i64],
    words: &[String],
    with: &str,
) -> rusqlite::Result<usize> {
    audited(tx, Audited::Erase, |tx| {
        let mut read =
            tx.prepare_cached("SELECT summary, search_text, data FROM events WHERE id = ?1")?;
        let mut write = tx.prepare_cached(
            "UPDATE events SET summary = ?2, search_text = ?3, data = ?4 WHERE id = ?1",
        )?;
        let mut changed = 0;
        for id in ids {
            let (summary, search_text, data): (String, String, Option<String>) =
                read.query_row([id], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))?;
            let new_data = data.as_deref().map(|d| match Sentence::from_json(Some(d)) {
                Some(mut s) => {
                    s.edit_texts(&|t| scrub(t, words, with));
                    s.to_json()
                }
                None => scrub(d, words, with),
            });
            let new_summary = scrub(&summary, words, with);
            let new_search = scrub(&search_text, words, with);
            if new_summary != summary || new_search != search_text || new_data != data {
                write.execute(params![id, new_summary, new_search, new_data])?;
                changed += 1;
            }
        }
        Ok(changed)
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::log::store::{append, EventKind, NewEvent};

    #[test]
    fn words_are_replaced_case_insensitively() {
        let words = vec!["Pia Pelto".to_string(), "pia@pelto.fi".to_string()];
        assert_eq!(
            scrub("Soitto PIA PELTO:lle (Pia@Pelto.fi)", &words, "[poistettu]"),
            "Soitto [poistettu]:lle ([poistettu])"
        );
        assert_eq!(scrub("Ei mitään", &words, "x"), "Ei mitään");
        let names = vec!["Pia".to_string()];
        assert_eq!(
            scrub("Pialle ja Olympia, pia.", &names, "[x]"),
            "[x]lle ja Olympia, [x]."
        );
    }

    #[test]
    fn events_cannot_be_changed_but_by_the_audited_changes() {
        let dir = tempfile::tempdir().unwrap();
        let mut conn = crate::db::open(&dir.path().join("a.db")).unwrap();
        let id = crate::db::write(&mut conn, |tx| {
            let mut e = NewEvent::new(EventKind::Call, "Soitto Pia Pellolle");
            e.contact_id = Some(3);
            e.amount = Some("1".into());
            append(tx, &e)
        })
        .unwrap();
        for sql in [
            "UPDATE events SET summary = 'muutettu'",
            "UPDATE events SET contact_id = 4",
            "UPDATE events SET at = '2000-01-01T00:00:00Z'",
        ] {
            let err = conn.execute(sql, []).unwrap_err();
            assert!(err.to_string().contains("append-only"), "{sql}: {err}");
        }
        // A merge may move the event, but not touch its text or amount.
        let tx = conn.transaction().unwrap();
        audited(&Tx::of(&tx), Audited::Merge, |tx| {
            tx.execute("UPDATE events SET contact_id = 4", [])?;
            assert!(tx.execute("UPDATE events SET summary = 'x'", []).is_err());
            assert!(tx.execute("UPDATE events SET amount = '2'", []).is_err());
            Ok(())
        })
        .unwrap();
        tx.commit().unwrap();
        // The erasure may change the texts, not the links.
        let tx = conn.transaction().unwrap();
        let n = erase_words(&Tx::of(&tx), &[id], &["Pia Pellolle".into()], "[poistettu]").unwrap();
        assert_eq!(n, 1);
        assert!(audited(&Tx::of(&tx), Audited::Erase, |tx| tx
            .execute("UPDATE events SET contact_id = 5", []))
        .is_err());
        tx.commit().unwrap();
        let (summary, contact): (String, i64) = conn
            .query_row("SELECT summary, contact_id FROM events", [], |r| {
                Ok((r.get(0)?, r.get(1)?))
            })
            .unwrap();
        assert_eq!((summary.as_str(), contact), ("Soitto [poistettu]", 4));
        // Closed again after each.
        assert!(conn
            .execute("UPDATE events SET contact_id = 6", [])
            .is_err());
        let unlocked: i64 = conn
            .query_row("SELECT count(*) FROM events_unlock", [], |r| r.get(0))
            .unwrap();
        assert_eq!(unlocked, 0);
        // The search no longer finds the words.
        assert!(crate::log::store::search(&conn, "pellolle", 10, 0)
            .unwrap()
            .is_empty());
    }
}

//! The customer log's storage. `append` is the one way an event is written; every write path
//! calls it inside its own transaction (it takes a `db::Tx`, so it cannot be called outside
//! one), which makes "every change is in the log" hold by construction. Events are never edited
//! or deleted (a trigger refuses deletes).

use rusqlite::{params, OptionalExtension};
use serde::Serialize;

pub(crate) use super::names::{name_links, LinkNames};
use super::sentence::Sentence;
use crate::db::Tx;

keyed_enum! {
    /// What happened. The text forms are the API's `kind` values.
    #[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
    pub enum EventKind {
        CustomerCreated = "customer.created",
        CustomerUpdated = "customer.updated",
        CustomerArchived = "customer.archived",
        CustomerDeleted = "customer.deleted",
        ContactCreated = "contact.created",
        ContactUpdated = "contact.updated",
        ContactLinked = "contact.linked",
        ContactUnlinked = "contact.unlinked",
        ContactDeleted = "contact.deleted",
        ContactErased = "contact.erased",
        DocumentAdded = "document.added",
        DocumentUpdated = "document.updated",
        DocumentAssigned = "document.assigned",
        DocumentNewVersion = "document.new_version",
        DocumentDeleted = "document.deleted",
        TaskCreated = "task.created",
        TaskUpdated = "task.updated",
        TaskDone = "task.done",
        TaskReopened = "task.reopened",
        TaskDeleted = "task.deleted",
        ReminderDelivered = "reminder.delivered",
        Note = "note",
        Call = "call",
        Meeting = "meeting",
        Email = "email",
        Invoice = "invoice",
        Payment = "payment",
        UserCreated = "user.created",
        UserUpdated = "user.updated",
        SettingsUpdated = "settings.updated",
        /// A file imported into the register (each record has its own event too).
        Imported = "import",
    }
}

impl EventKind {
    /// What the log shows for this kind, in the reader's language.
    pub(crate) fn label(self, lang: crate::i18n::Lang) -> &'static str {
        lang.t(&format!("kind.{}", self.as_str()))
    }
}

/// An event to append: `NewEvent::said(kind, sentence)` for what the app did (the sentence is
/// written out when shown), `NewEvent::new(kind, text)` for what a person wrote (a note).
#[derive(Debug, Clone)]
pub(crate) struct NewEvent {
    pub kind: EventKind,
    /// A person's own text; for a sentence, `append` writes it in the company's language.
    pub summary: String,
    pub sentence: Option<Sentence>,
    pub user_id: Option<i64>,
    pub customer_id: Option<i64>,
    pub contact_id: Option<i64>,
    pub document_id: Option<i64>,
    pub task_id: Option<i64>,
    pub amount: Option<String>,
    pub currency: Option<String>,
    pub reference: Option<String>,
    /// Names of the linked customer, contact or document, so a search for them finds the event.
    pub search_text: String,
    /// When it happened; `None` is now. Events recorded afterwards (a call yesterday) set it.
    pub at: Option<String>,
}

impl NewEvent {
    pub(crate) fn new(kind: EventKind, summary: impl Into<String>) -> NewEvent {
        NewEvent {
            kind,
            summary: summary.into(),
            sentence: None,
            user_id: None,
            customer_id: None,
            contact_id: None,
            document_id: None,
            task_id: None,
            amount: None,
            currency: None,
            reference: None,
            search_text: String::new(),
            at: None,
        }
    }

    /// What the app did, as a sentence kept as data.
    pub(crate) fn said(kind: EventKind, sentence: Sentence) -> NewEvent {
        let mut e = NewEvent::new(kind, String::new());
        e.sentence = Some(sentence);
        e
    }

    pub(crate) fn by(mut self, user_id: i64) -> NewEvent {
        self.user_id = Some(user_id);
        self
    }
}

/// A stored event, as the API shows it.
#[derive(Debug, Clone, Serialize)]
pub struct Event {
    pub id: i64,
    pub at: String,
    pub kind: String,
    pub customer_id: Option<i64>,
    pub contact_id: Option<i64>,
    pub document_id: Option<i64>,
    pub task_id: Option<i64>,
    pub user_id: Option<i64>,
    pub summary: String,
    pub amount: Option<String>,
    pub currency: Option<String>,
    pub reference: Option<String>,
    /// What the event says, as data (`None` for a person's text and for events from before).
    #[serde(skip)]
    pub(crate) sentence: Option<Sentence>,
    /// The names of who did it and what it links to, as they are now (`name_links`).
    #[serde(flatten)]
    pub names: LinkNames,
}

/// The language event summaries are written in: the company's default language at the time.
/// (A summary is a sentence kept as it was written, like an entry in a paper log.)
pub(crate) fn summary_lang(conn: &rusqlite::Connection) -> rusqlite::Result<crate::i18n::Lang> {
    crate::settings::default_language(conn)
}

/// Appends one event in the caller's transaction and returns its id.
///
/// A sentence is stored as data and, for the API, the search and older readers, written out in
/// the company's language as the summary; its other languages go to the search text, so a
/// search finds the words whichever language the reader types in.
pub(crate) fn append(tx: &Tx, event: &NewEvent) -> rusqlite::Result<i64> {
    let at = event.at.clone().unwrap_or_else(crate::now_rfc3339);
    let mut summary = event.summary.clone();
    let mut search_text = event.search_text.clone();
    if let Some(sentence) = &event.sentence {
        let lang = summary_lang(tx)?;
        summary = sentence.render(lang);
        for other in crate::i18n::Lang::ALL.into_iter().filter(|l| *l != lang) {
            search_text.push(' ');
            search_text.push_str(&sentence.render(other));
        }
    }
    let data = event.sentence.as_ref().map(Sentence::to_json);
    tx.prepare_cached(
        "INSERT INTO events (at, kind, customer_id, contact_id, document_id, task_id, user_id,
                             summary, amount, currency, reference, search_text, data)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13)",
    )?
    .execute(params![
        at,
        event.kind.as_str(),
        event.customer_id,
        event.contact_id,
        event.document_id,
        event.task_id,
        event.user_id,
        summary,
        event.amount,
        event.currency,
        event.reference,
        search_text.trim(),
        data,
    ])?;
    Ok(tx.last_insert_rowid())
}

/// The most matches a list search sorts: the newest this many, four pages. More than this and
/// the list says so and asks for a narrower search, instead of reading and sorting every
/// match. Each costs a read of its row (a page of the file when the row is not cached): the
/// contact list of a common surname took 1.6–1.75 ms of the server's time at 500, 1.1 at 200.
pub const SEARCH_CAP: i64 = 200;

/// How many indexed words one typed word may stand for as a prefix (`lasku` → `lasku`,
/// `laskun`, `laskut`, …) before it is left to the index to find them all.
const MAX_EXPANSION: usize = 16;

/// Turns free text into an FTS5 query that cannot be a syntax error and stays cheap on a big
/// index: every word must match, and
///
/// - a word of one letter matches that word only (`a`; as a prefix it would gather the
///   postings of every word in `a` into memory before the first row: a fifth of a second and
///   a hundred MiB in a big register);
/// - with `short_prefixes` (the registers' indexes, which have prefix indexes of 2 and 3
///   characters) any longer word is a prefix (`"oy"*`), which the index answers from its
///   prefix index or by merging the postings of the words it begins;
/// - without (the log: ten million events, no prefix index) a word of two letters matches
///   that word only, and a longer one the indexed words it begins, written out
///   (`("lasku" OR "laskun")`, found in the index's vocabulary) when there are at most
///   `MAX_EXPANSION` of them, else that word only: merging the postings of every word that
///   begins `lahti` takes 20 ms and megabytes there, for each statement that asks.
///
/// `None`: the text has no words (only punctuation) and so matches nothing.
pub(crate) fn fts_match(
    conn: &rusqlite::Connection,
    fts: &str,
    text: &str,
    short_prefixes: bool,
) -> rusqlite::Result<Option<String>> {
    let mut terms = Vec::new();
    for word in words(text) {
        terms.push(word_term(conn, fts, word, short_prefixes)?);
    }
    Ok((!terms.is_empty()).then(|| terms.join(" AND ")))
}

/// One word of a search as an FTS5 term, by the rules of `fts_match`.
pub(super) fn word_term(
    conn: &rusqlite::Connection,
    fts: &str,
    word: &str,
    short_prefixes: bool,
) -> rusqlite::Result<String> {
    let letters = word.chars().count();
    Ok(if letters == 1 || (!short_prefixes && letters == 2) {
        format!("\"{word}\"")
    } else if short_prefixes {
        format!("\"{word}\"*")
    } else {
        match fold(word) {
            Some(folded) => expansion(conn, fts, &folded)?.unwrap_or(format!("\"{word}\"")),
            // A letter this does not fold as the tokenizer does: the index finds it.
            None => format!("\"{word}\"*"),
        }
    })
}

/// The words of a search text: runs of letters and digits.
pub(crate) fn words(text: &str) -> impl Iterator<Item = &str> {
    text.split(|c: char| !c.is_alphanumeric())
        .filter(|w| !w.is_empty())
}

thread_local! {
    /// The words that prefixes stood for, as last looked up on this thread's connection: a
    /// look-up seeks the index's vocabulary once per word (17 seeks for a common beginning).
    static EXPANSIONS: std::cell::RefCell<crate::db::Memo<(String, String), Option<String>>> =
        const { std::cell::RefCell::new(crate::db::Memo::new(32)) };
}

/// The indexed words that begin with `prefix`, as an FTS5 OR of exact words; `None` when there
/// are more than `MAX_EXPANSION` of them.
fn expansion(
    conn: &rusqlite::Connection,
    fts: &str,
    prefix: &str,
) -> rusqlite::Result<Option<String>> {
    EXPANSIONS.with(|memo| {
        memo.borrow_mut()
            .get_or_read(conn, (fts.to_string(), prefix.to_string()), || {
                look_up_expansion(conn, fts, prefix)
            })
    })
}

fn look_up_expansion(
    conn: &rusqlite::Connection,
    fts: &str,
    prefix: &str,
) -> rusqlite::Result<Option<String>> {
    // The vocabulary of the index, one row per occurrence; `term >= x LIMIT 1` is a seek, so
    // stepping from word to word costs a seek each, whatever the number of occurrences.
    let vocab = format!("{fts}_vocabulary");
    conn.execute_batch(&format!(
        "CREATE VIRTUAL TABLE IF NOT EXISTS temp.{vocab} USING fts5vocab(main, {fts}, instance)"
    ))?;
    let mut next = conn.prepare_cached(&format!(
        "SELECT term FROM temp.{vocab} WHERE term >= ?1 LIMIT 1"
    ))?;
    let mut found: Vec<String> = Vec::new();
    let mut from = prefix.to_string();
    while found.len() <= MAX_EXPANSION {
        let term: Option<String> = next.query_row([&from], |r| r.get(0)).optional()?;
        match term {
            Some(term) if term.starts_with(prefix) => {
                // The next word after `term`: no word holds the byte 0, so `term` + 0x01 is
                // the least text above `term` and below any longer word it begins.
                from = format!("{term}\u{1}");
                found.push(term);
            }
            _ => break,
        }
    }
    if found.len() > MAX_EXPANSION {
        return Ok(None);
    }
    if found.is_empty() {
        return Ok(Some(format!("\"{prefix}\"")));
    }
    let alternatives: Vec<String> = found.iter().map(|t| format!("\"{t}\"")).collect();
    Ok(Some(format!("({})", alternatives.join(" OR "))))
}

/// A word as the index keeps it (`unicode61 remove_diacritics 2`): lower case, the accents of
/// Latin letters taken off. `None` for a letter this does not know how the tokenizer folds;
/// the caller then leaves the prefix to the index.
pub(crate) fn fold(word: &str) -> Option<String> {
    const FROM: &str =
        "àáâãäåāăąçćĉċčďèéêëēĕėęěĝğġģĥìíîïĩīĭįĵķĺļľñńņňòóôõöōŏőŕŗřśŝşšţťùúûüũūŭůűųŵýÿŷźżž";
    const TO: &str =
        "aaaaaaaaacccccdeeeeeeeeegggghiiiiiiiijklllnnnnoooooooorrrssssttuuuuuuuuuuwyyyzzz";
    let mut out = String::with_capacity(word.len());
    for c in word.chars().flat_map(char::to_lowercase) {
        if c.is_ascii_alphanumeric() {
            out.push(c);
        } else if let Some(i) = FROM.chars().position(|f| f == c) {
            out.push(TO.chars().nth(i)?);
        } else {
            return None;
        }
    }
    Some(out)
}

/// The ids of the newest `SEARCH_CAP + 1` rows of `fts` that the FTS query `query` matches,
/// newest first: the list of a search in any order but by id sorts these (and says there are
/// more when there are `SEARCH_CAP + 1`). One read of the index serves the page and its count.
pub(crate) fn newest_matches(
    conn: &rusqlite::Connection,
    fts: &str,
    query: &str,
) -> rusqlite::Result<Vec<i64>> {
    conn.prepare_cached(&format!(
        "SELECT rowid FROM {fts} WHERE {fts} MATCH ?1 ORDER BY rowid DESC LIMIT ?2"
    ))?
    .query_map(params![query, SEARCH_CAP + 1], |r| r.get(0))?
    .collect()
}

/// The full-text indexes, each with the segments FTS5 writes at every commit.
const SEARCH_INDEXES: [&str; 3] = ["customers_fts", "contacts_fts", "events_fts"];

/// Sets how many segments on a level make the search indexes merge by themselves: 0 (never;
/// the server's job merges) but for bulk loads, which write big segments and merge best as
/// they go.
pub(crate) fn set_search_automerge(
    conn: &rusqlite::Connection,
    segments: u32,
) -> rusqlite::Result<()> {
    for fts in SEARCH_INDEXES {
        conn.execute(
            &format!("INSERT INTO {fts}({fts}, rank) VALUES ('automerge', ?1)"),
            [segments],
        )?;
    }
    Ok(())
}

/// Merges the search indexes' segments a little at a time until no level holds four
/// (`usermerge`) or `rounds` rounds are done; returns how many rounds did work. Each round is
/// one short write per index that merges some `MERGE_PAGES` pages: a request's write waits at
/// most for one of them (a round of 64 pages of all three indexes in one write held the
/// others up for a tenth of a second at a million customers). The indexes do not merge by
/// themselves (`automerge` 0, see schema.sql): FTS5 would merge a level in the commit that
/// happens to complete it, a few megabytes in one request.
pub(crate) fn merge_search_indexes(
    conn: &mut rusqlite::Connection,
    rounds: usize,
) -> crate::error::Result<usize> {
    let mut worked = 0;
    for _ in 0..rounds {
        let mut changed = false;
        for fts in SEARCH_INDEXES {
            changed |= crate::db::write(conn, |tx| {
                let before = tx.total_changes();
                tx.prepare_cached(&format!(
                    "INSERT INTO {fts}({fts}, rank) VALUES ('merge', ?1)"
                ))?
                .execute([MERGE_PAGES])?;
                // FTS5 counts a step that merged nothing as fewer than two changes.
                Ok::<_, rusqlite::Error>(tx.total_changes() - before >= 2)
            })?;
        }
        if !changed {
            break;
        }
        worked += 1;
    }
    Ok(worked)
}

/// How many pages one merge step of one index writes, about.
const MERGE_PAGES: i64 = 16;

pub(super) const EVENT_COLUMNS: &str =
    "e.id, e.at, e.kind, e.customer_id, e.contact_id, e.document_id, \
    e.task_id, e.user_id, e.summary, e.amount, e.currency, e.reference, e.data";

/// The SQL of `search`: matches newest first. Ordering by the FTS rowid (the event id) lets
/// the index hand out matches in that order and stop at the limit, instead of sorting them all.
pub fn search_sql() -> String {
    format!(
        "SELECT {EVENT_COLUMNS} FROM events_fts JOIN events e ON e.id = events_fts.rowid
         WHERE events_fts MATCH ?1 ORDER BY events_fts.rowid DESC LIMIT ?2 OFFSET ?3"
    )
}

/// The SQL of a page of matches older (`older`) or newer than the event `?2`, nearest first.
/// The rowid bound goes to the index, which starts there.
pub fn search_from_sql(older: bool) -> String {
    let (cmp, order) = if older { ("<", "DESC") } else { (">", "ASC") };
    format!(
        "SELECT {EVENT_COLUMNS} FROM events_fts JOIN events e ON e.id = events_fts.rowid
         WHERE events_fts MATCH ?1 AND events_fts.rowid {cmp} ?2 ORDER BY events_fts.rowid {order} LIMIT ?3"
    )
}

/// The SQL of a page of the whole log older (`older`) or newer than the event `?1`.
pub fn newest_from_sql(older: bool) -> String {
    let (cmp, order) = if older { ("<", "DESC") } else { (">", "ASC") };
    format!(
        "SELECT {EVENT_COLUMNS} FROM events e WHERE e.id {cmp} ?1 ORDER BY e.id {order} LIMIT ?2"
    )
}

/// The FTS query of a log search (the log's index has no prefix indexes; see `fts_match`).
pub(crate) fn log_match(
    conn: &rusqlite::Connection,
    text: &str,
) -> rusqlite::Result<Option<String>> {
    fts_match(conn, "events_fts", text, false)
}

/// Events matching a full-text query, newest first.
pub fn search(
    conn: &rusqlite::Connection,
    text: &str,
    limit: i64,
    offset: i64,
) -> rusqlite::Result<Vec<Event>> {
    let Some(query) = log_match(conn, text)? else {
        return Ok(Vec::new());
    };
    let mut events = conn
        .prepare_cached(&search_sql())?
        .query_map(params![query, limit, offset], event_from_row)?
        .collect::<rusqlite::Result<Vec<_>>>()?;
    name_links(conn, &mut events)?;
    Ok(events)
}

/// Where a page of the log starts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Position {
    /// The first events after skipping this many (bounded: see `error::DEEP_OFFSET`).
    Offset(i64),
    /// The events older than this one (the next page).
    After(i64),
    /// The events newer than this one (the previous page).
    Before(i64),
}

/// One page of the log, newest first, and whether there are events on either side of it.
#[derive(Debug, Clone, Default)]
pub struct EventPage {
    pub events: Vec<Event>,
    /// Older events follow (a next page).
    pub older: bool,
    /// Newer events come before (a previous page).
    pub newer: bool,
}

/// The ids of up to `n` events matching `query` below the id `before`, newest first.
///
/// FTS5 reads a long doclist backwards from a bound deep inside it slowly (25 ms for a common
/// word half-way into ten million events), but seeks forwards at once. So this reads forwards,
/// in windows of ids below the bound: each window four times wider than the one before while
/// they hold too few matches, and a window holding more than `CHUNK` split in halves, upper
/// half first, so no read goes past `CHUNK` rows.
fn older_matches(
    conn: &rusqlite::Connection,
    query: &str,
    before: i64,
    n: usize,
) -> rusqlite::Result<Vec<i64>> {
    const CHUNK: i64 = 1000;
    let mut read = conn.prepare_cached(
        "SELECT rowid FROM events_fts WHERE events_fts MATCH ?1 AND rowid >= ?2 AND rowid < ?3
         ORDER BY rowid LIMIT ?4",
    )?;
    fn window(
        read: &mut rusqlite::CachedStatement,
        query: &str,
        (lo, hi): (i64, i64),
        n: usize,
        out: &mut Vec<i64>,
    ) -> rusqlite::Result<()> {
        if out.len() >= n || lo >= hi {
            return Ok(());
        }
        let ids: Vec<i64> = read
            .query_map(params![query, lo, hi, CHUNK + 1], |r| r.get(0))?
            .collect::<rusqlite::Result<_>>()?;
        if ids.len() as i64 <= CHUNK || hi - lo <= CHUNK {
            out.extend(ids.iter().rev().take(n - out.len()));
            return Ok(());
        }
        let mid = lo + (hi - lo) / 2;
        window(read, query, (mid, hi), n, out)?;
        window(read, query, (lo, mid), n, out)
    }
    let mut out = Vec::new();
    let (mut hi, mut width) = (before, (4 * n as i64).max(64));
    while out.len() < n && hi > 0 {
        let lo = hi.saturating_sub(width).max(0);
        window(&mut read, query, (lo, hi), n, &mut out)?;
        hi = lo;
        width = width.saturating_mul(4);
    }
    Ok(out)
}

/// A page of the log, or of the events matching `text` when it is not empty. Paging by
/// position (`After`, `Before`) costs the same at any depth; an `Offset` past
/// `DEEP_OFFSET` into a log longer than that is refused with the cursor to use instead.
#[cfg(test)]
pub(crate) fn page(
    conn: &rusqlite::Connection,
    text: &str,
    limit: i64,
    position: Position,
) -> crate::error::Result<EventPage> {
    let text = text.trim();
    if text.is_empty() {
        return page_of(conn, None, limit, position);
    }
    match log_match(conn, text)? {
        Some(q) => page_of(conn, Some(q), limit, position),
        None => Ok(EventPage::default()),
    }
}

/// A page of the whole log (`query` `None`) or of the events matching the FTS query `query`.
pub(crate) fn page_of(
    conn: &rusqlite::Connection,
    query: Option<String>,
    limit: i64,
    position: Position,
) -> crate::error::Result<EventPage> {
    use crate::error::{deep_offset_error, DEEP_OFFSET};
    let ask = limit + 1;
    let run = |sql: &str, args: Vec<rusqlite::types::Value>| -> rusqlite::Result<Vec<Event>> {
        conn.prepare_cached(sql)?
            .query_map(rusqlite::params_from_iter(args), event_from_row)?
            .collect()
    };
    use rusqlite::types::Value::{Integer, Text};
    let (mut events, older, newer) = match position {
        Position::Offset(offset) => {
            // Is there a row that deep? Asked of the index alone (the full-text index or the
            // table's ids), without reading the events skipped on the way.
            if offset > DEEP_OFFSET {
                let (sql, args) = match &query {
                    Some(q) => (
                        "SELECT 1 FROM events_fts WHERE events_fts MATCH ?1 LIMIT 1 OFFSET ?2",
                        vec![Text(q.clone()), Integer(DEEP_OFFSET)],
                    ),
                    None => (
                        "SELECT 1 FROM events ORDER BY id DESC LIMIT 1 OFFSET ?1",
                        vec![Integer(DEEP_OFFSET)],
                    ),
                };
                let deep = conn
                    .prepare_cached(sql)?
                    .exists(rusqlite::params_from_iter(args))?;
                if deep {
                    return Err(deep_offset_error());
                }
            }
            let events = match &query {
                Some(q) => run(&search_sql(), vec![Text(q.clone()), Integer(ask), Integer(offset)])?,
                None => run(
                    &format!("SELECT {EVENT_COLUMNS} FROM events e ORDER BY e.id DESC LIMIT ?1 OFFSET ?2"),
                    vec![Integer(ask), Integer(offset)],
                )?,
            };
            let older = events.len() as i64 > limit;
            (events, older, offset > 0)
        }
        Position::After(id) | Position::Before(id) => {
            let is_after = matches!(position, Position::After(_));
            let mut events = match &query {
                Some(q) if is_after => {
                    let mut by_id = conn.prepare_cached(&format!(
                        "SELECT {EVENT_COLUMNS} FROM events e WHERE e.id = ?1"
                    ))?;
                    let mut events = Vec::new();
                    for id in older_matches(conn, q, id, ask as usize)? {
                        if let Some(e) = by_id.query_row([id], event_from_row).optional()? {
                            events.push(e);
                        }
                    }
                    events
                }
                Some(q) => run(
                    &search_from_sql(false),
                    vec![Text(q.clone()), Integer(id), Integer(ask)],
                )?,
                None => run(&newest_from_sql(is_after), vec![Integer(id), Integer(ask)])?,
            };
            let beyond = events.len() as i64 > limit;
            events.truncate(limit.max(0) as usize);
            if is_after {
                (events, beyond, true)
            } else {
                events.reverse();
                (events, true, beyond)
            }
        }
    };
    events.truncate(limit.max(0) as usize);
    Ok(EventPage {
        events,
        older,
        newer,
    })
}

/// The SQL of `for_customer`.
pub fn for_customer_sql() -> String {
    format!("SELECT {EVENT_COLUMNS} FROM events e WHERE e.customer_id = ?1 ORDER BY e.id DESC LIMIT ?2 OFFSET ?3")
}

/// A customer's events, newest first.
pub fn for_customer(
    conn: &rusqlite::Connection,
    customer_id: i64,
    limit: i64,
    offset: i64,
) -> rusqlite::Result<Vec<Event>> {
    let mut events = conn
        .prepare_cached(&for_customer_sql())?
        .query_map(params![customer_id, limit, offset], event_from_row)?
        .collect::<rusqlite::Result<Vec<_>>>()?;
    name_links(conn, &mut events)?;
    Ok(events)
}

/// A contact's events, newest first.
#[cfg(test)]
pub(crate) fn for_contact(
    conn: &rusqlite::Connection,
    contact_id: i64,
    limit: i64,
    offset: i64,
) -> rusqlite::Result<Vec<Event>> {
    conn.prepare_cached(&format!(
        "SELECT {EVENT_COLUMNS} FROM events e WHERE e.contact_id = ?1 ORDER BY e.id DESC LIMIT ?2 OFFSET ?3"
    ))?
    .query_map(params![contact_id, limit, offset], event_from_row)?
    .collect()
}

/// The newest events, one page of them.
pub(crate) fn newest(
    conn: &rusqlite::Connection,
    limit: i64,
    offset: i64,
) -> rusqlite::Result<Vec<Event>> {
    let mut events = conn
        .prepare_cached(&format!(
            "SELECT {EVENT_COLUMNS} FROM events e ORDER BY e.id DESC LIMIT ?1 OFFSET ?2"
        ))?
        .query_map(params![limit, offset], event_from_row)?
        .collect::<rusqlite::Result<Vec<_>>>()?;
    name_links(conn, &mut events)?;
    Ok(events)
}

pub(super) fn event_from_row(r: &rusqlite::Row) -> rusqlite::Result<Event> {
    Ok(Event {
        id: r.get(0)?,
        at: r.get(1)?,
        kind: r.get(2)?,
        customer_id: r.get(3)?,
        contact_id: r.get(4)?,
        document_id: r.get(5)?,
        task_id: r.get(6)?,
        user_id: r.get(7)?,
        summary: r.get(8)?,
        amount: r.get(9)?,
        currency: r.get(10)?,
        reference: r.get(11)?,
        sentence: Sentence::from_json(r.get_ref(12)?.as_str_or_null()?),
        names: LinkNames::default(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn db() -> (tempfile::TempDir, rusqlite::Connection) {
        let dir = tempfile::tempdir().unwrap();
        let conn = crate::db::open(&dir.path().join("log.db")).unwrap();
        (dir, conn)
    }

    #[test]
    fn kinds_round_trip_through_their_names_and_have_labels() {
        for kind in EventKind::ALL {
            assert_eq!(EventKind::parse(kind.as_str()), Some(*kind));
            for lang in crate::i18n::Lang::ALL {
                assert_ne!(
                    kind.label(lang),
                    "[?]",
                    "{kind:?} has no {} label",
                    lang.code()
                );
            }
        }
        assert_eq!(EventKind::parse("customer.exploded"), None);
    }

    #[test]
    fn appended_events_are_found_accent_and_case_insensitively() {
        let (_dir, mut conn) = db();
        crate::db::write(&mut conn, |tx| {
            let mut e = NewEvent::new(EventKind::Note, "Tapaaminen Café Järvisen kanssa");
            e.customer_id = Some(7);
            e.search_text = "Järvinen Oy".into();
            append(tx, &e)?;
            let mut e = NewEvent::new(EventKind::Invoice, "Lasku lähetetty");
            e.reference = Some("INV-2026-042".into());
            e.amount = Some("125.50".into());
            append(tx, &e)
        })
        .unwrap();
        let found = |q: &str| {
            search(&conn, q, 10, 0)
                .unwrap()
                .into_iter()
                .map(|e| e.kind)
                .collect::<Vec<_>>()
        };
        assert_eq!(found("cafe"), ["note"]);
        assert_eq!(found("JARVINEN"), ["note"]);
        assert_eq!(found("järvi"), ["note"]);
        assert_eq!(found("lahetetty"), ["invoice"]);
        assert_eq!(found("INV-2026"), ["invoice"]);
        assert!(found("nothing-here").is_empty());
        assert!(found("\" OR * ( ").is_empty());
    }

    #[test]
    fn the_log_pages_by_position_as_by_offset() {
        let (_dir, mut conn) = db();
        crate::db::write(&mut conn, |tx| {
            for i in 0..2600 {
                // Dense at first, then sparse: windows grow and split.
                let word = if i < 2200 || i % 50 == 0 {
                    "Lasku"
                } else {
                    "Soitto"
                };
                append(
                    tx,
                    &NewEvent::new(EventKind::Note, format!("{word} {i} Oy")),
                )?;
            }
            Ok::<_, rusqlite::Error>(())
        })
        .unwrap();
        for q in ["", "lasku", "las", "oy", "soitto"] {
            let mut by_offset = Vec::new();
            let mut offset = 0;
            loop {
                let page = page(&conn, q, 97, Position::Offset(offset)).unwrap();
                by_offset.extend(page.events.iter().map(|e| e.id));
                if !page.older {
                    break;
                }
                offset += 97;
            }
            let mut by_position = Vec::new();
            let mut at = Position::Offset(0);
            let mut pages = Vec::new();
            loop {
                let page = page(&conn, q, 97, at).unwrap();
                by_position.extend(page.events.iter().map(|e| e.id));
                pages.push(page.events.iter().map(|e| e.id).collect::<Vec<_>>());
                match page.events.last() {
                    Some(last) if page.older => at = Position::After(last.id),
                    _ => break,
                }
            }
            assert_eq!(by_position, by_offset, "{q:?}");
            assert!(!by_offset.is_empty(), "{q:?}");
            if pages.len() > 2 {
                let back = page(&conn, q, 97, Position::Before(pages[2][0])).unwrap();
                let ids: Vec<i64> = back.events.iter().map(|e| e.id).collect();
                assert_eq!(ids, pages[1], "{q:?}");
                assert!(back.newer && back.older);
            }
        }
    }

    /// An offset past `DEEP_OFFSET` is refused when the log (or the search) goes that deep,
    /// and answered, empty, when it does not.
    #[test]
    fn a_deep_offset_is_refused_only_where_the_log_goes_that_deep() {
        use crate::error::DEEP_OFFSET;
        let (_dir, mut conn) = db();
        crate::db::write(&mut conn, |tx| {
            for i in 0..=DEEP_OFFSET + 1 {
                let text = if i == 0 { "Harvinainen" } else { "Muistio" };
                append(tx, &NewEvent::new(EventKind::Note, format!("{text} {i}")))?;
            }
            Ok::<_, rusqlite::Error>(())
        })
        .unwrap();
        let deep = Position::Offset(DEEP_OFFSET + 1);
        for query in [None, Some("\"muistio\"".to_string())] {
            let err = page_of(&conn, query.clone(), 50, deep).unwrap_err();
            assert!(err.to_string().contains("after"), "{query:?}: {err}");
        }
        let rare = page_of(&conn, Some("\"harvinainen\"".into()), 50, deep).unwrap();
        assert!(rare.events.is_empty());
        let last = page_of(&conn, None, 50, Position::Offset(DEEP_OFFSET)).unwrap();
        assert_eq!(last.events.len(), 2);
    }

    #[test]
    fn the_search_indexes_merge_in_steps_of_their_own() {
        let (_dir, mut conn) = db();
        for i in 0..12 {
            crate::db::write(&mut conn, |tx| {
                append(tx, &NewEvent::new(EventKind::Note, format!("Muistio {i}")))
            })
            .unwrap();
        }
        // Twelve commits, twelve segments: the writes merged none of them.
        let segments = |conn: &rusqlite::Connection| -> i64 {
            conn.query_row(
                "SELECT count(DISTINCT segid) FROM events_fts_idx",
                [],
                |r| r.get(0),
            )
            .unwrap()
        };
        assert_eq!(segments(&conn), 12);
        assert!(merge_search_indexes(&mut conn, 20).unwrap() > 0);
        assert!(segments(&conn) < 4, "{}", segments(&conn));
        assert_eq!(merge_search_indexes(&mut conn, 20).unwrap(), 0);
        assert_eq!(search(&conn, "muistio", 50, 0).unwrap().len(), 12);
    }

    #[test]
    fn events_cannot_be_deleted() {
        let (_dir, mut conn) = db();
        crate::db::write(&mut conn, |tx| {
            append(tx, &NewEvent::new(EventKind::Call, "Soitto"))
        })
        .unwrap();
        let err = conn.execute("DELETE FROM events", []).unwrap_err();
        assert!(err.to_string().contains("append-only"), "{err}");
        let count: i64 = conn
            .query_row("SELECT count(*) FROM events", [], |r| r.get(0))
            .unwrap();
        assert_eq!(count, 1);
    }

    #[test]
    fn an_event_in_a_failed_transaction_is_not_written() {
        let (_dir, mut conn) = db();
        let result: Result<(), crate::Error> = crate::db::write(&mut conn, |tx| {
            append(tx, &NewEvent::new(EventKind::Note, "half done"))?;
            Err(crate::Error::NotFound)
        });
        assert!(result.is_err());
        assert!(search(&conn, "half", 10, 0).unwrap().is_empty());
    }
}

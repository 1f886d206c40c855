//! `minicrm demo-data`: realistic synthetic Finnish small-business data, for trying the product
//! and for benchmarks.
//!
//! Everything comes from one small PRNG (splitmix64) seeded with `--seed`, so the same seed and
//! count on the same database give the same data. The timeline (two years of history) ends at
//! the start of `--until` (default: today, UTC); fix it to get identical data on another day.
//!
//! Speed matters (N = 1,000,000 must take minutes): rows go in through prepared statements,
//! 10,000 customers per transaction, with `synchronous = OFF` and a large page cache during the
//! load only. The events are the same columns `log::append` writes, with the same summaries and
//! `search_text` (customer and contact names), so the log and its search work as for real
//! data. The full-text indexes get exactly what the schema's triggers would write, but one
//! statement per chunk instead of one per row (see `FtsFill`). At the end `ANALYZE` (sampled)
//! gives the query planner statistics.
//!
//! Tasks: about one customer in three gets a task in the past, done (a record of what
//! happened: `task.created` and `task.done` in the log), and one in seven an open task due in
//! the 30 days after `--until`, with its reminders scheduled as the app would (lead time, time
//! zone and working day from the settings). A million customers so get ~450,000 tasks.
//!
//! An interrupted run keeps the chunks it committed, each complete (customers with their
//! contacts, tags, tasks, events, documents and index entries). One customer in
//! `documents::EVERY` gets a small text document (a quote), so a million customers add only a
//! few MB of them.

use std::io::IsTerminal;
use std::path::Path;
use std::time::Instant;

use chrono::NaiveDate;
use clap::Args;
use indicatif::{ProgressBar, ProgressStyle};
use rusqlite::{Connection, OptionalExtension, TransactionBehavior};

use super::CliError;

mod documents;
mod gen;
mod words;

use gen::*;

#[derive(Args)]
pub(crate) struct DemoArgs {
    /// How many customers to add (each with ~3 contacts and ~10 log events).
    #[arg(long, default_value_t = 200)]
    pub customers: u64,
    /// Seed of the generator: the same seed and count give the same data.
    #[arg(long, default_value_t = 1)]
    pub seed: u64,
    /// The day the two years of generated history end (YYYY-MM-DD; default today, UTC).
    #[arg(long, value_name = "YYYY-MM-DD")]
    pub until: Option<NaiveDate>,
}

/// Customers written per transaction: big enough for speed, small enough that a running
/// server waits at most a moment for the write lock.
const CHUNK: u64 = 10_000;

pub(crate) fn run(db: &Path, args: DemoArgs) -> Result<(), CliError> {
    let started = Instant::now();
    let mut conn = crate::db::open(db)?;
    let until = args
        .until
        .unwrap_or_else(|| chrono::Utc::now().date_naive());
    let bar = if std::io::stderr().is_terminal() && args.customers > 0 {
        let bar = ProgressBar::new(args.customers);
        bar.set_style(
            ProgressStyle::with_template(
                "{elapsed_precise} [{wide_bar}] {human_pos}/{human_len} customers ({rate}, {eta} left)",
            )
            .map_err(|e| CliError(e.to_string()))?
            .with_key(
                "rate",
                |state: &indicatif::ProgressState, w: &mut dyn std::fmt::Write| {
                    let _ = write!(w, "{:.0}/s", state.per_sec());
                },
            )
            .progress_chars("=> "),
        );
        bar
    } else {
        ProgressBar::hidden()
    };
    let stats = generate(&mut conn, args.customers, args.seed, until, &bar)
        .map_err(|e| CliError(format!("could not write the demo data: {e}")))?;
    bar.finish_and_clear();
    drop(conn);
    let size = std::fs::metadata(db).map(|m| m.len()).unwrap_or(0);
    println!(
        "added {} customers, {} contacts ({} links), {} tasks ({} reminders), {} documents and {} log events to {} in {:.1} s (file size {:.1} MB)",
        stats.customers,
        stats.contacts,
        stats.links,
        stats.tasks,
        stats.reminders,
        stats.documents,
        stats.events,
        db.display(),
        started.elapsed().as_secs_f64(),
        size as f64 / 1_000_000.0
    );
    Ok(())
}

/// What one run added.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Stats {
    pub customers: u64,
    pub contacts: u64,
    pub links: u64,
    pub events: u64,
    pub tasks: u64,
    pub reminders: u64,
    pub documents: u64,
}

/// Adds `n` customers with their contacts, tags and events to an open database.
pub(crate) fn generate(
    conn: &mut Connection,
    n: u64,
    seed: u64,
    until: NaiveDate,
    bar: &ProgressBar,
) -> rusqlite::Result<Stats> {
    if n == 0 {
        return Ok(Stats::default());
    }
    conn.execute_batch("PRAGMA synchronous = OFF; PRAGMA cache_size = -262144;")?;
    // The search indexes merge as the chunks go in (the server leaves it to its job).
    crate::log::store::set_search_automerge(conn, 4)?;
    let result = load(conn, n, seed, until, bar);
    // Back to the settings every connection runs with (db::configure), success or not.
    let restored = conn
        .execute_batch("PRAGMA synchronous = FULL; PRAGMA cache_size = -2000;")
        .and_then(|_| crate::log::store::set_search_automerge(conn, 0));
    let stats = result?;
    restored?;
    Ok(stats)
}

fn load(
    conn: &mut Connection,
    n: u64,
    seed: u64,
    until: NaiveDate,
    bar: &ProgressBar,
) -> rusqlite::Result<Stats> {
    let mut gen = Gen::new(conn, n, seed, until)?;
    let fills = fts_fills(conn)?;
    let mut stats = Stats::default();
    let mut done = 0;
    while done < n {
        let size = CHUNK.min(n - done);
        let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
        let mut marks = Vec::new();
        for fill in &fills {
            marks.push(tx.query_row(
                &format!("SELECT coalesce(max(id), 0) FROM {}", fill.table),
                [],
                |r| r.get::<_, i64>(0),
            )?);
            tx.execute_batch(&format!("DROP TRIGGER {}", fill.trigger))?;
        }
        gen.chunk(&tx, done, size, &mut stats, bar)?;
        for (fill, mark) in fills.iter().zip(marks) {
            tx.execute(&fill.fill_sql, [mark])?;
            tx.execute_batch(&fill.create_sql)?;
        }
        tx.commit()?;
        done += size;
        bar.set_position(done);
    }
    // Fresh statistics for the query planner, cheaply (a sample of each index).
    conn.execute_batch("PRAGMA analysis_limit = 1000; ANALYZE;")?;
    Ok(stats)
}

/// A full-text trigger that the load replaces, chunk by chunk, with one statement.
///
/// FTS5 writes its pending terms to disk at every statement savepoint, and every INSERT into
/// customers, contacts or events opens one (it fires a trigger and may abort), so filling the
/// index row by row through the triggers writes a tiny segment per row and spends most of the
/// load merging them. Instead each chunk's transaction drops the `*_fts_insert` triggers,
/// writes its rows, indexes them with the trigger's own INSERT turned into one INSERT … SELECT
/// over the new rows, and creates the triggers again from their stored SQL. It is one
/// transaction, so no other connection ever sees the triggers missing, and the schema ends up
/// byte for byte as it was.
struct FtsFill {
    trigger: &'static str,
    table: &'static str,
    create_sql: String,
    fill_sql: String,
}

/// The triggers to replace, read from the schema. A trigger whose body is not the single
/// `INSERT … VALUES (…)` this expects is left alone (slower, still correct).
fn fts_fills(conn: &Connection) -> rusqlite::Result<Vec<FtsFill>> {
    let mut fills = Vec::new();
    for (trigger, table) in [
        ("customers_fts_insert", "customers"),
        ("contacts_fts_insert", "contacts"),
        ("events_fts_insert", "events"),
    ] {
        let sql: Option<String> = conn
            .query_row(
                "SELECT sql FROM sqlite_master WHERE type = 'trigger' AND name = ?1",
                [trigger],
                |r| r.get(0),
            )
            .optional()?;
        let Some(create_sql) = sql else { continue };
        if let Some(fill_sql) = fill_sql(&create_sql, table) {
            fills.push(FtsFill {
                trigger,
                table,
                create_sql,
                fill_sql,
            });
        }
    }
    Ok(fills)
}

/// `CREATE TRIGGER … BEGIN INSERT INTO x(cols) VALUES (exprs of new.*); END` becomes
/// `INSERT INTO x(cols) SELECT exprs FROM table AS new WHERE new.id > ?1`.
fn fill_sql(trigger_sql: &str, table: &str) -> Option<String> {
    let body = trigger_sql.split_once("BEGIN")?.1;
    let body = body.trim_end().strip_suffix("END")?.trim();
    let statement = body.strip_suffix(';')?.trim();
    if statement.contains(';') || !statement.starts_with("INSERT INTO") {
        return None;
    }
    let (head, values) = statement.split_once("VALUES")?;
    let exprs = values.trim().strip_prefix('(')?.strip_suffix(')')?;
    Some(format!(
        "{} SELECT {exprs} FROM {table} AS new WHERE new.id > ?1",
        head.trim_end()
    ))
}

// ---- Randomness ----

#[cfg(test)]
mod tests {
    use std::collections::HashSet;

    use super::words::*;
    use super::*;
    use crate::customers::BusinessId;
    use crate::i18n::Lang;

    #[test]
    fn every_full_text_trigger_becomes_one_statement() {
        let dir = tempfile::tempdir().unwrap();
        let conn = crate::db::open(&dir.path().join("f.db")).unwrap();
        let fills = fts_fills(&conn).unwrap();
        assert_eq!(fills.len(), 3);
        assert_eq!(
            fills[2].fill_sql,
            "INSERT INTO events_fts(rowid, summary, search_text, reference) SELECT new.id, \
             new.summary, new.search_text, coalesce(new.reference, '') FROM events AS new \
             WHERE new.id > ?1"
        );
        for fill in &fills {
            conn.prepare(&fill.fill_sql).unwrap();
        }
    }

    #[test]
    fn every_word_list_reads_from_the_data_file() {
        // Reading a list checks that it exists and that each row has its number of fields.
        let sizes = [
            FIRST_NAMES.len(),
            SURNAMES.len(),
            TRADES.len(),
            NATURE.len(),
            ENGLISH.len(),
            CITIES.len(),
            STREET_ROOTS.len(),
            STREET_ENDS.len(),
            EMAIL_LOCALS.len(),
            OPERATORS.len(),
            ROLES.len(),
            SHARED_ROLES.len(),
            CUSTOMER_NOTES.len(),
            NOTES.len(),
            CALLS.len(),
            MEETINGS.len(),
            EMAILS.len(),
            TASKS.len(),
        ];
        assert_eq!(
            sizes,
            [80, 79, 46, 35, 13, 40, 34, 11, 6, 9, 17, 4, 5, 8, 6, 5, 5, 8]
        );
        assert!(rows("trades", 2).all(|r| matches!(r[1], "yes" | "no")));
        for (fi, en) in CALLS
            .iter()
            .chain(&*MEETINGS)
            .chain(&*EMAILS)
            .chain(&*TASKS)
        {
            assert!(fi.contains("{p}") && en.contains("{p}"), "{fi} / {en}");
        }
    }

    #[test]
    fn stamps_are_rfc3339_utc() {
        assert_eq!(stamp(0), "1970-01-01T00:00:00Z");
        assert_eq!(stamp(1_700_000_000), "2023-11-14T22:13:20Z");
        assert_eq!(stamp(951_782_400), "2000-02-29T00:00:00Z");
    }

    #[test]
    fn office_time_avoids_weekends() {
        let mut rng = Rng(1);
        for day in 19_000..19_100 {
            let t = office_time(&mut rng, day);
            let weekday = (t.div_euclid(DAY) + 3).rem_euclid(7);
            assert!(weekday < 5, "{}", stamp(t));
        }
    }

    #[test]
    fn reference_numbers_have_the_731_check_digit() {
        // Valid Finnish reference numbers.
        assert_eq!(reference_number(123), "1232");
        assert_eq!(reference_number(100), "1009");
    }

    #[test]
    fn genitives_of_simple_surnames() {
        assert_eq!(genitive("Virtanen").as_deref(), Some("Virtasen"));
        assert_eq!(genitive("Mäkelä").as_deref(), Some("Mäkelän"));
        assert_eq!(genitive("Niemi"), None);
    }

    #[test]
    fn money_in_both_languages() {
        assert_eq!(
            money(Lang::Fi, 124_050),
            ("1240.50".into(), "1 240,50 €".into())
        );
        assert_eq!(money(Lang::En, 5_000), ("50.00".into(), "EUR 50.00".into()));
    }

    #[test]
    fn business_ids_are_unique_and_valid() {
        let dir = tempfile::tempdir().unwrap();
        let conn = crate::db::open(&dir.path().join("b.db")).unwrap();
        let mut ids = BusinessIds::new(&conn, &mut Rng(7)).unwrap();
        let mut seen = HashSet::new();
        for _ in 0..20_000 {
            let id = ids.next().unwrap();
            assert_eq!(BusinessId::parse(id.as_str()).unwrap(), id);
            assert!(seen.insert(id));
        }
    }
}

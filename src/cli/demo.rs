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
//! An interrupted run keeps the chunks it committed, each complete (customers with their
//! contacts, tags, events and index entries). Documents and tasks are not generated: the
//! schema has no tables for them yet.

use std::collections::HashSet;
use std::io::IsTerminal;
use std::path::Path;
use std::sync::LazyLock;
use std::time::Instant;

use chrono::NaiveDate;
use clap::Args;
use indicatif::{ProgressBar, ProgressStyle};
use rusqlite::{params, Connection, OptionalExtension, TransactionBehavior};

use super::CliError;
use crate::customers::{name_key, BusinessId};
use crate::i18n::Lang;
use crate::log::EventKind;

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
        "added {} customers, {} contacts ({} links) and {} log events to {} in {:.1} s (file size {:.1} MB)",
        stats.customers,
        stats.contacts,
        stats.links,
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

/// splitmix64: tiny, fast, and good enough for test data.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// A number in `0..n` (`n` > 0).
    fn below(&mut self, n: u64) -> u64 {
        ((self.next() as u128 * n as u128) >> 64) as u64
    }

    /// A number in `lo..=hi`.
    fn between(&mut self, lo: u64, hi: u64) -> u64 {
        lo + self.below(hi - lo + 1)
    }

    /// A float in `[0, 1)`.
    fn unit(&mut self) -> f64 {
        (self.next() >> 11) as f64 / (1u64 << 53) as f64
    }

    fn chance(&mut self, p: f64) -> bool {
        self.unit() < p
    }

    fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        &items[self.below(items.len() as u64) as usize]
    }

    /// One of `items` by their weights.
    fn weighted<'a, T>(&mut self, items: &'a [(T, u32)]) -> &'a T {
        let total: u64 = items.iter().map(|(_, w)| u64::from(*w)).sum();
        let mut at = self.below(total);
        for (item, w) in items {
            if at < u64::from(*w) {
                return item;
            }
            at -= u64::from(*w);
        }
        &items[items.len() - 1].0
    }

    /// One of `items` by the weight `weight` gives each.
    fn weighted_by<'a, T>(&mut self, items: &'a [T], weight: impl Fn(&T) -> u32) -> &'a T {
        let total: u64 = items.iter().map(|i| u64::from(weight(i))).sum();
        let mut at = self.below(total);
        for item in items {
            if at < u64::from(weight(item)) {
                return item;
            }
            at -= u64::from(weight(item));
        }
        &items[items.len() - 1]
    }

    /// `n` digits as text (the first one not zero when `lead` is set).
    fn digits(&mut self, n: usize, lead: bool) -> String {
        let mut s = String::with_capacity(n);
        for i in 0..n {
            let d = if i == 0 && lead {
                self.between(1, 9)
            } else {
                self.below(10)
            };
            s.push(char::from(b'0' + d as u8));
        }
        s
    }
}

// ---- Business IDs ----

/// Hands out unique, valid business IDs in a seed-dependent order, skipping those already in
/// the database (so a second run never collides) and numbers that have no check digit.
/// Realistic numbers (0100000–3399999) come first, then the rest of the seven-digit space.
struct BusinessIds {
    used: HashSet<u32>,
    ranges: [(u32, u32, u64, u64); 3],
    range: usize,
    step: u64,
}

impl BusinessIds {
    fn new(conn: &Connection, rng: &mut Rng) -> rusqlite::Result<BusinessIds> {
        let mut used = HashSet::new();
        let mut stmt =
            conn.prepare("SELECT business_id FROM customers WHERE business_id IS NOT NULL")?;
        let mut rows = stmt.query([])?;
        while let Some(row) = rows.next()? {
            let id: String = row.get(0)?;
            if let Ok(n) = id.get(..7).unwrap_or("").parse::<u32>() {
                used.insert(n);
            }
        }
        // An affine map x -> (a x + b) mod size is a permutation when gcd(a, size) = 1; every
        // size here has only the prime factors 2, 3, 5 and 11.
        let mut range = |lo: u32, hi: u32| {
            let size = u64::from(hi - lo);
            let mut a = size / 2 + rng.below(size / 3);
            while [2, 3, 5, 11].iter().any(|p| a % p == 0) {
                a += 1;
            }
            (lo, hi, a, rng.below(size))
        };
        let ranges = [
            range(100_000, 3_400_000),
            range(3_400_000, 10_000_000),
            range(0, 100_000),
        ];
        Ok(BusinessIds {
            used,
            ranges,
            range: 0,
            step: 0,
        })
    }

    fn next(&mut self) -> Option<BusinessId> {
        while self.range < self.ranges.len() {
            let (lo, hi, a, b) = self.ranges[self.range];
            let size = u64::from(hi - lo);
            while self.step < size {
                let n = lo + ((a * self.step + b) % size) as u32;
                self.step += 1;
                if self.used.contains(&n) {
                    continue;
                }
                if let Some(id) = BusinessId::from_number(n) {
                    self.used.insert(n);
                    return Some(id);
                }
            }
            self.range += 1;
            self.step = 0;
        }
        None
    }
}

// ---- Time ----

const DAY: i64 = 86_400;

/// `(year, month, day)` of a day counted from 1970-01-01 (Howard Hinnant's algorithm).
fn civil_from_days(days: i64) -> (i64, u32, u32) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let m = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    let y = yoe + era * 400 + i64::from(m <= 2);
    (y, m, d)
}

/// Unix seconds as RFC 3339 UTC text, the form of every `*_at` text column.
fn stamp(t: i64) -> String {
    let (y, m, d) = civil_from_days(t.div_euclid(DAY));
    let s = t.rem_euclid(DAY);
    format!(
        "{y:04}-{m:02}-{d:02}T{:02}:{:02}:{:02}Z",
        s / 3600,
        s / 60 % 60,
        s % 60
    )
}

fn date_of(t: i64) -> NaiveDate {
    let (y, m, d) = civil_from_days(t.div_euclid(DAY));
    NaiveDate::from_ymd_opt(y as i32, m, d).unwrap_or_default()
}

/// A moment in office hours (08–18 Finnish time) on `day`, or on the Friday before when `day`
/// is a weekend.
fn office_time(rng: &mut Rng, day: i64) -> i64 {
    let day = match (day + 3).rem_euclid(7) {
        5 => day - 1, // Saturday
        6 => day - 2, // Sunday
        _ => day,
    };
    day * DAY + 6 * 3600 + rng.below(10 * 3600) as i64
}

// ---- Word lists ----

#[derive(Clone, Copy, PartialEq, Eq)]
enum Form {
    Oy,
    Oyj,
    Ky,
    Ay,
    Tmi,
}

const FORMS: &[(Form, u32)] = &[
    (Form::Oy, 66),
    (Form::Tmi, 15),
    (Form::Ky, 10),
    (Form::Ay, 4),
    (Form::Oyj, 1),
];

/// The names and texts below are in `demo_names.txt`, read when first used.
const NAMES_FILE: &str = include_str!("demo_names.txt");

static FIRST_NAMES: LazyLock<Vec<&str>> = LazyLock::new(|| words("first_names"));
static SURNAMES: LazyLock<Vec<&str>> = LazyLock::new(|| words("surnames"));
/// Trades, and whether they join a word in front into one compound (`Koivu` + `rakennus`).
static TRADES: LazyLock<Vec<(&str, bool)>> =
    LazyLock::new(|| rows("trades", 2).map(|r| (r[0], r[1] == "yes")).collect());
static NATURE: LazyLock<Vec<&str>> = LazyLock::new(|| words("nature"));
static ENGLISH: LazyLock<Vec<&str>> = LazyLock::new(|| words("english"));
/// City, its genitive, postal codes from..to, telephone area code, weight (about population).
type City = (&'static str, &'static str, u32, u32, &'static str, u32);
static CITIES: LazyLock<Vec<City>> = LazyLock::new(|| {
    rows("cities", 6)
        .map(|r| (r[0], r[1], number(r[2]), number(r[3]), r[4], number(r[5])))
        .collect()
});
static STREET_ROOTS: LazyLock<Vec<&str>> = LazyLock::new(|| words("street_roots"));
static STREET_ENDS: LazyLock<Vec<&str>> = LazyLock::new(|| words("street_ends"));
static EMAIL_LOCALS: LazyLock<Vec<(&str, u32)>> = LazyLock::new(|| {
    rows("email_locals", 2)
        .map(|r| (r[0], number(r[1])))
        .collect()
});
/// Real-looking e-invoice operator IDs (OVT codes and bank BICs).
static OPERATORS: LazyLock<Vec<&str>> = LazyLock::new(|| words("operators"));
/// Roles in Finnish and English.
static ROLES: LazyLock<Vec<(&str, &str)>> = LazyLock::new(|| pairs("roles"));
/// Roles of a contact linked to a second customer (board seats, outside accountants).
static SHARED_ROLES: LazyLock<Vec<(&str, &str)>> = LazyLock::new(|| pairs("shared_roles"));
static CUSTOMER_NOTES: LazyLock<Vec<(&str, &str)>> = LazyLock::new(|| pairs("customer_notes"));
/// Log entries in Finnish and English; `{p}` in calls, meetings and e-mails is the contact.
static NOTES: LazyLock<Vec<(&str, &str)>> = LazyLock::new(|| pairs("notes"));
static CALLS: LazyLock<Vec<(&str, &str)>> = LazyLock::new(|| pairs("calls"));
static MEETINGS: LazyLock<Vec<(&str, &str)>> = LazyLock::new(|| pairs("meetings"));
static EMAILS: LazyLock<Vec<(&str, &str)>> = LazyLock::new(|| pairs("emails"));

/// The rows of the list `[name]` in `demo_names.txt`, each split at `|` into `fields` fields;
/// blank lines and `#` comments are skipped. A missing list or a row of another shape is a
/// mistake in the file, which the unit tests catch.
fn rows(name: &str, fields: usize) -> impl Iterator<Item = Vec<&'static str>> + '_ {
    let header = format!("[{name}]");
    let mut lines = NAMES_FILE.lines().skip_while(move |l| *l != header);
    assert!(lines.next().is_some(), "demo_names.txt has no [{name}]");
    lines
        .take_while(|l| !l.starts_with('['))
        .filter(|l| !l.is_empty() && !l.starts_with('#'))
        .map(move |l| {
            let row: Vec<&str> = l.split('|').collect();
            assert_eq!(row.len(), fields, "demo_names.txt: {l:?} in [{name}]");
            row
        })
}

fn words(name: &str) -> Vec<&'static str> {
    rows(name, 1).map(|r| r[0]).collect()
}

fn pairs(name: &str) -> Vec<(&'static str, &'static str)> {
    rows(name, 2).map(|r| (r[0], r[1])).collect()
}

fn number(field: &str) -> u32 {
    field
        .parse()
        .unwrap_or_else(|_| panic!("demo_names.txt: {field:?} is not a number"))
}

const MOBILE_PREFIXES: &[&str] = &["040", "050", "044", "045", "041", "046"];

/// Customer tags: name and the share of customers that get it.
const CUSTOMER_TAGS: &[(&str, f64)] = &[
    ("VIP", 0.05),
    ("Jälleenmyyjä", 0.08),
    ("Kumppani", 0.05),
    ("Sopimusasiakas", 0.12),
    ("Tukkuasiakas", 0.05),
    ("Julkinen sektori", 0.03),
    ("Vientiasiakas", 0.03),
    ("Maksumuistutus", 0.02),
];
/// City tags, given to a quarter of the customers in that city.
const CITY_TAGS: &[&str] = &["Helsinki", "Tampere", "Turku", "Oulu"];
const NEW_CUSTOMER_TAG: &str = "Uusi asiakas";
const CONTACT_TAGS: &[(&str, f64)] = &[("Uutiskirje", 0.15), ("Joulukortti", 0.10)];
const DECISION_MAKER_TAG: &str = "Päättäjä";

fn head_role(form: Form) -> (&'static str, &'static str) {
    match form {
        Form::Oy | Form::Oyj => ("Toimitusjohtaja", "CEO"),
        Form::Ky => ("Vastuunalainen yhtiömies", "General Partner"),
        Form::Ay => ("Yhtiömies", "Partner"),
        Form::Tmi => ("Yrittäjä", "Owner"),
    }
}

#[derive(Clone, Copy)]
enum Activity {
    Note,
    Call,
    Meeting,
    Email,
    Invoice,
}

const ACTIVITIES: &[(Activity, u32)] = &[
    (Activity::Note, 22),
    (Activity::Call, 26),
    (Activity::Meeting, 12),
    (Activity::Email, 22),
    (Activity::Invoice, 18),
];

// ---- Text helpers ----

/// Lower-case ASCII letters and digits only, for e-mail addresses and domains.
fn fold_ascii(text: &str) -> String {
    text.chars()
        .flat_map(char::to_lowercase)
        .filter_map(|c| match c {
            'ä' | 'å' | 'á' | 'à' | 'â' => Some('a'),
            'ö' | 'ø' | 'ó' | 'ò' | 'ô' => Some('o'),
            'é' | 'è' | 'ê' | 'ë' => Some('e'),
            'ü' | 'ú' | 'ù' => Some('u'),
            c if c.is_ascii_alphanumeric() => Some(c),
            _ => None,
        })
        .collect()
}

/// The genitive of a surname for the simple cases (`Virtanen` → `Virtasen`, `Mäkelä` →
/// `Mäkelän`); `None` for the rest, which the names then avoid.
fn genitive(surname: &str) -> Option<String> {
    if let Some(stem) = surname.strip_suffix("nen") {
        Some(format!("{stem}sen"))
    } else if surname.ends_with(['a', 'ä', 'o', 'u']) {
        Some(format!("{surname}n"))
    } else {
        None
    }
}

/// A Finnish reference number (viitenumero): the base and its 7-3-1 check digit.
fn reference_number(base: u64) -> String {
    let digits = base.to_string();
    let sum: u32 = digits
        .bytes()
        .rev()
        .zip([7u32, 3, 1].iter().cycle())
        .map(|(d, w)| u32::from(d - b'0') * w)
        .sum();
    format!("{digits}{}", (10 - sum % 10) % 10)
}

/// An amount in cents as the events' `amount` text (`1240.50`) and as a summary shows it.
fn money(lang: Lang, cents: u64) -> (String, String) {
    let euros = cents / 100;
    let rest = cents % 100;
    let mut grouped = String::new();
    let text = euros.to_string();
    let sep = if lang == Lang::Fi { ' ' } else { ',' };
    for (i, c) in text.chars().enumerate() {
        if i > 0 && (text.len() - i) % 3 == 0 {
            grouped.push(sep);
        }
        grouped.push(c);
    }
    let shown = match lang {
        Lang::Fi => format!("{grouped},{rest:02} €"),
        Lang::En => format!("EUR {grouped}.{rest:02}"),
    };
    (format!("{euros}.{rest:02}"), shown)
}

/// The Finnish or English one of a pair.
fn text(lang: Lang, pair: &(&'static str, &'static str)) -> &'static str {
    match lang {
        Lang::Fi => pair.0,
        Lang::En => pair.1,
    }
}

// ---- The generator ----

/// An event waiting to be written at the end of its chunk.
struct Ev {
    at: i64,
    kind: EventKind,
    customer: i64,
    contact: Option<i64>,
    user: Option<i64>,
    summary: String,
    amount: Option<String>,
    reference: Option<String>,
    search: String,
}

struct Gen {
    rng: Rng,
    lang: Lang,
    n: u64,
    users: Vec<i64>,
    prefix: String,
    next_seq: i64,
    next_invoice: u64,
    business_ids: BusinessIds,
    tag_ids: Vec<(String, i64)>,
    /// First day of the history and the day it ends (exclusive), in days since 1970.
    first_day: i64,
    end_day: i64,
    /// Contacts of recent customers that a later one may share: (id, full name).
    recent: Vec<(i64, String)>,
}

const INSERT_CUSTOMER: &str = "INSERT INTO customers (number, number_seq, name, name_key, business_id, email, phone,
    website, street, postal_code, city, country, einvoice_address, einvoice_operator, notes, owner_id, archived,
    created_at, updated_at)
    VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, 'FI', ?12, ?13, ?14, ?15, ?16, ?17, ?17)";
const INSERT_CONTACT: &str = "INSERT INTO contacts (first_name, last_name, email, phone, title, notes, created_at, updated_at)
    VALUES (?1, ?2, ?3, ?4, ?5, '', ?6, ?6)";
const INSERT_LINK: &str =
    "INSERT INTO customer_contacts (customer_id, contact_id, role) VALUES (?1, ?2, ?3)";
const INSERT_CUSTOMER_TAG: &str = "INSERT INTO customer_tags (customer_id, tag_id) VALUES (?1, ?2)";
const INSERT_CONTACT_TAG: &str = "INSERT INTO contact_tags (contact_id, tag_id) VALUES (?1, ?2)";
/// The columns and order of `log::append`.
const INSERT_EVENT: &str =
    "INSERT INTO events (at, kind, customer_id, contact_id, document_id, task_id, user_id,
    summary, amount, currency, reference, search_text)
    VALUES (?1, ?2, ?3, ?4, NULL, NULL, ?5, ?6, ?7, ?8, ?9, ?10)";
const NUMBER_TAKEN: &str = "SELECT EXISTS (SELECT 1 FROM customers WHERE number = ?1)";

impl Gen {
    fn new(conn: &mut Connection, n: u64, seed: u64, until: NaiveDate) -> rusqlite::Result<Gen> {
        // Mix the seed so that seeds 1, 2, 3 start far apart.
        let mut rng = Rng(seed ^ 0x6D69_6E69_6372_6D00);
        rng.next();
        let lang = crate::log::summary_lang(conn)?;
        let settings = crate::settings::load(conn)?;
        let users: Vec<i64> = conn
            .prepare("SELECT id FROM users WHERE active = 1 AND role <> 'readonly' ORDER BY id")?
            .query_map([], |r| r.get(0))?
            .collect::<rusqlite::Result<_>>()?;
        let next_seq: i64 = conn.query_row(
            "SELECT coalesce(max(number_seq), ?1 - 1) + 1 FROM customers",
            [crate::customers::store::FIRST_NUMBER],
            |r| r.get(0),
        )?;
        let invoices: u64 = conn.query_row(
            "SELECT count(*) FROM events WHERE kind = 'invoice'",
            [],
            |r| r.get::<_, i64>(0),
        )? as u64;
        let business_ids = BusinessIds::new(conn, &mut rng)?;
        let mut tag_ids = Vec::new();
        crate::db::write(conn, |tx| -> rusqlite::Result<()> {
            let names = CUSTOMER_TAGS
                .iter()
                .map(|(t, _)| *t)
                .chain(CITY_TAGS.iter().copied())
                .chain([NEW_CUSTOMER_TAG, DECISION_MAKER_TAG])
                .chain(CONTACT_TAGS.iter().map(|(t, _)| *t));
            for name in names {
                tx.execute(
                    "INSERT INTO tags (name) VALUES (?1) ON CONFLICT (name) DO NOTHING",
                    [name],
                )?;
                let id: i64 =
                    tx.query_row("SELECT id FROM tags WHERE name = ?1", [name], |r| r.get(0))?;
                tag_ids.push((name.to_string(), id));
            }
            Ok(())
        })?;
        let end_day = until
            .signed_duration_since(NaiveDate::from_ymd_opt(1970, 1, 1).unwrap_or_default())
            .num_days();
        Ok(Gen {
            rng,
            lang,
            n,
            users,
            prefix: settings.customer_number_prefix,
            next_seq,
            next_invoice: 10_001 + invoices,
            business_ids,
            tag_ids,
            first_day: end_day - 730,
            end_day,
            recent: Vec::new(),
        })
    }

    fn tag(&self, name: &str) -> i64 {
        self.tag_ids
            .iter()
            .find(|(t, _)| t == name)
            .map(|(_, id)| *id)
            .unwrap_or_default()
    }

    fn user(&mut self) -> Option<i64> {
        if self.users.is_empty() {
            None
        } else {
            Some(*self.rng.pick(&self.users))
        }
    }

    fn mobile(&mut self) -> String {
        let prefix = *self.rng.pick(MOBILE_PREFIXES);
        format!(
            "{prefix} {} {}",
            self.rng.digits(3, true),
            self.rng.digits(4, false)
        )
    }

    fn surname_with_genitive(&mut self) -> (String, String) {
        loop {
            let s = *self.rng.pick(&SURNAMES);
            if let Some(g) = genitive(s) {
                return (s.to_string(), g);
            }
        }
    }

    /// A company name without its form, and whether it names a person (`Tmi Jari Virtanen`).
    fn company_name(
        &mut self,
        form: Form,
        city_genitive: &str,
    ) -> (String, Option<(String, String)>) {
        let rng = &mut self.rng;
        if form == Form::Tmi && rng.chance(0.5) {
            let first = rng.pick(&FIRST_NAMES).to_string();
            let last = rng.pick(&SURNAMES).to_string();
            return (format!("{first} {last}"), Some((first, last)));
        }
        if matches!(form, Form::Ky | Form::Ay) && rng.chance(0.4) {
            let a = *rng.pick(&SURNAMES);
            let mut b = *rng.pick(&SURNAMES);
            while b == a {
                b = *rng.pick(&SURNAMES);
            }
            return (format!("{a} & {b}"), None);
        }
        let trade = *self.rng.pick(&TRADES);
        let name = match self.rng.below(100) {
            0..=29 => format!("{} {}", self.surname_with_genitive().1, trade.0),
            30..=49 => {
                let mut trade = trade;
                while !trade.1 {
                    trade = *self.rng.pick(&TRADES);
                }
                format!("{}{}", self.rng.pick(&NATURE), trade.0.to_lowercase())
            }
            50..=64 => format!("{city_genitive} {}", trade.0),
            65..=77 => format!("{} {}", self.rng.pick(&NATURE), self.rng.pick(&ENGLISH)),
            78..=92 => format!("{} {}", trade.0, self.rng.pick(&SURNAMES)),
            93..=96 => format!("{} {} ja Pojat", self.surname_with_genitive().1, trade.0),
            _ => format!("Suomen {}", trade.0),
        };
        (name, None)
    }

    /// Writes customers `from..from + count` (of this run) and everything that belongs to them.
    fn chunk(
        &mut self,
        tx: &Connection,
        from: u64,
        count: u64,
        stats: &mut Stats,
        bar: &ProgressBar,
    ) -> rusqlite::Result<()> {
        let mut insert_customer = tx.prepare_cached(INSERT_CUSTOMER)?;
        let mut insert_contact = tx.prepare_cached(INSERT_CONTACT)?;
        let mut insert_link = tx.prepare_cached(INSERT_LINK)?;
        let mut insert_customer_tag = tx.prepare_cached(INSERT_CUSTOMER_TAG)?;
        let mut insert_contact_tag = tx.prepare_cached(INSERT_CONTACT_TAG)?;
        let mut insert_event = tx.prepare_cached(INSERT_EVENT)?;
        let mut number_taken = tx.prepare_cached(NUMBER_TAKEN)?;
        let mut events: Vec<Ev> = Vec::with_capacity(count as usize * 12);
        let end_ts = self.end_day * DAY;
        let lang = self.lang;

        for i in from..from + count {
            if i % 500 == 0 {
                bar.set_position(i);
            }
            // -- The customer --
            let form = *self.rng.weighted(FORMS);
            let city = *self.rng.weighted_by(&CITIES, |c| c.5);
            let (base, person) = self.company_name(form, city.1);
            let name = match form {
                Form::Oy => format!("{base} Oy"),
                Form::Oyj => format!("{base} Oyj"),
                Form::Ky => format!("{base} Ky"),
                Form::Ay => format!("{base} Ay"),
                Form::Tmi => format!("Tmi {base}"),
            };
            let key = name_key(&name);
            let words: Vec<String> = key.split_whitespace().map(fold_ascii).collect();
            let joined = if words.len() > 1 && self.rng.chance(0.25) {
                words.join("-")
            } else {
                words.concat()
            };
            let joined = if joined.len() > 30 {
                words.iter().take(2).cloned().collect::<Vec<_>>().concat()
            } else {
                joined
            };
            let tld = if self.rng.chance(0.9) { "fi" } else { "com" };
            let domain = format!("{joined}.{tld}");
            let email = if !self.rng.chance(0.9) {
                String::new()
            } else if let Some((first, last)) = &person {
                format!("{}.{}@{domain}", fold_ascii(first), fold_ascii(last))
            } else {
                format!("{}@{domain}", self.rng.weighted(&EMAIL_LOCALS))
            };
            let website_share = if form == Form::Tmi { 0.4 } else { 0.75 };
            let website = if self.rng.chance(website_share) {
                format!("https://www.{domain}")
            } else {
                String::new()
            };
            let phone = match self.rng.below(100) {
                0..=44 => format!(
                    "{} {} {}",
                    city.4,
                    self.rng.digits(4, true),
                    self.rng.digits(3, false)
                ),
                45..=89 => self.mobile(),
                _ => String::new(),
            };
            let street = if self.rng.chance(0.03) {
                format!("PL {}", self.rng.between(1, 999))
            } else {
                let root = *self.rng.pick(&STREET_ROOTS);
                let end = *self.rng.pick(&STREET_ENDS);
                let root = if root.ends_with("katu") {
                    root.to_string()
                } else {
                    format!("{root}{end}")
                };
                let mut street = format!("{root} {}", self.rng.between(1, 60));
                if self.rng.chance(0.3) {
                    let stair = char::from(b'A' + self.rng.below(4) as u8);
                    street.push_str(&format!(" {stair} {}", self.rng.between(1, 40)));
                }
                street
            };
            let postal = city.2 + 10 * self.rng.below(u64::from((city.3 - city.2) / 10 + 1)) as u32;
            let postal_code = format!("{postal:05}");
            let business_id = self.business_ids.next();
            let big = matches!(form, Form::Oy | Form::Oyj);
            let (einvoice_address, einvoice_operator) = match &business_id {
                Some(id) if self.rng.chance(if big { 0.35 } else { 0.1 }) => (
                    format!("0037{}", id.as_str().replace('-', "")),
                    self.rng.pick(&OPERATORS).to_string(),
                ),
                _ => (String::new(), String::new()),
            };
            let notes = if self.rng.chance(0.1) {
                text(lang, self.rng.pick(&CUSTOMER_NOTES)).to_string()
            } else {
                String::new()
            };
            let owner = if self.rng.chance(0.75) {
                self.user()
            } else {
                None
            };
            let archived = self.rng.chance(0.04);
            // Customers join in order over the two years, a few each working day.
            let span = (self.end_day - self.first_day) as f64;
            let day = self.first_day + (span * (i as f64 + self.rng.unit()) / self.n as f64) as i64;
            let created = office_time(&mut self.rng, day);
            let mut seq = self.next_seq;
            let number = loop {
                let number = format!("{}{seq}", self.prefix);
                if !number_taken.query_row([&number], |r| r.get::<_, bool>(0))? {
                    break number;
                }
                seq += 1;
            };
            self.next_seq = seq + 1;
            let created_at = stamp(created);
            insert_customer.execute(params![
                number,
                seq,
                name,
                key,
                business_id.as_ref().map(BusinessId::as_str),
                email,
                phone,
                website,
                street,
                postal_code,
                city.0,
                einvoice_address,
                einvoice_operator,
                notes,
                owner,
                archived,
                created_at,
            ])?;
            let customer = tx.last_insert_rowid();
            stats.customers += 1;

            for (tag, share) in CUSTOMER_TAGS {
                if self.rng.chance(*share) {
                    insert_customer_tag.execute([customer, self.tag(tag)])?;
                }
            }
            if CITY_TAGS.contains(&city.0) && self.rng.chance(0.25) {
                insert_customer_tag.execute([customer, self.tag(city.0)])?;
            }
            if created > end_ts - 90 * DAY && self.rng.chance(0.5) {
                insert_customer_tag.execute([customer, self.tag(NEW_CUSTOMER_TAG)])?;
            }

            let by = owner.or_else(|| self.user());
            events.push(Ev {
                at: created,
                kind: EventKind::CustomerCreated,
                customer,
                contact: None,
                user: by,
                summary: lang.tf(
                    "summary.customer_created",
                    &[("name", &name), ("number", &number)],
                ),
                amount: None,
                reference: None,
                search: name.clone(),
            });

            // -- Its contacts --
            let how_many = match form {
                Form::Tmi => 1 + u64::from(self.rng.chance(0.3)),
                Form::Ky | Form::Ay => self.rng.between(1, 3),
                Form::Oy => *self
                    .rng
                    .weighted(&[(1, 5), (2, 15), (3, 30), (4, 30), (5, 20)]),
                Form::Oyj => self.rng.between(4, 6),
            };
            let mut at = created;
            let mut own: Vec<(i64, String)> = Vec::new();
            let mut roles_taken: Vec<&str> = Vec::new();
            for k in 0..how_many {
                let (first, last) = match (&person, k) {
                    (Some((f, l)), 0) => (f.clone(), l.clone()),
                    _ => (
                        self.rng.pick(&FIRST_NAMES).to_string(),
                        self.rng.pick(&SURNAMES).to_string(),
                    ),
                };
                let role = if k == 0 {
                    text(lang, &head_role(form))
                } else {
                    let mut role = text(lang, self.rng.pick(&ROLES));
                    while roles_taken.contains(&role) {
                        role = text(lang, self.rng.pick(&ROLES));
                    }
                    role
                };
                roles_taken.push(role);
                let contact_email = if self.rng.chance(0.85) {
                    format!("{}.{}@{domain}", fold_ascii(&first), fold_ascii(&last))
                } else {
                    String::new()
                };
                let contact_phone = if self.rng.chance(0.9) {
                    self.mobile()
                } else {
                    String::new()
                };
                at += 60 * self.rng.between(2, 15) as i64;
                insert_contact.execute(params![
                    first,
                    last,
                    contact_email,
                    contact_phone,
                    role,
                    stamp(at)
                ])?;
                let contact = tx.last_insert_rowid();
                stats.contacts += 1;
                insert_link.execute(params![customer, contact, role])?;
                stats.links += 1;
                if k == 0 && self.rng.chance(0.5) {
                    insert_contact_tag.execute([contact, self.tag(DECISION_MAKER_TAG)])?;
                }
                for (tag, share) in CONTACT_TAGS {
                    if self.rng.chance(*share) {
                        insert_contact_tag.execute([contact, self.tag(tag)])?;
                    }
                }
                let full = format!("{first} {last}");
                let search = format!("{full} {name}");
                events.push(Ev {
                    at,
                    kind: EventKind::ContactCreated,
                    customer,
                    contact: Some(contact),
                    user: by,
                    summary: lang.tf("summary.contact_created", &[("name", &full)]),
                    amount: None,
                    reference: None,
                    search: search.clone(),
                });
                events.push(Ev {
                    at,
                    kind: EventKind::ContactLinked,
                    customer,
                    contact: Some(contact),
                    user: by,
                    summary: lang.tf(
                        "summary.contact_linked",
                        &[("name", &full), ("customer", &name), ("role", role)],
                    ),
                    amount: None,
                    reference: None,
                    search,
                });
                own.push((contact, full));
            }

            // -- A contact shared with an earlier customer (a board seat, an accountant) --
            if !self.recent.is_empty() && self.rng.chance(0.07) {
                let (contact, full) =
                    self.recent[self.rng.below(self.recent.len() as u64) as usize].clone();
                let role = text(lang, self.rng.pick(&SHARED_ROLES));
                insert_link.execute(params![customer, contact, role])?;
                stats.links += 1;
                at += 60 * self.rng.between(2, 15) as i64;
                events.push(Ev {
                    at,
                    kind: EventKind::ContactLinked,
                    customer,
                    contact: Some(contact),
                    user: by,
                    summary: lang.tf(
                        "summary.contact_linked",
                        &[("name", &full), ("customer", &name), ("role", role)],
                    ),
                    amount: None,
                    reference: None,
                    search: format!("{full} {name}"),
                });
            }
            for c in &own {
                if self.recent.len() < 64 {
                    self.recent.push(c.clone());
                } else {
                    let slot = self.rng.below(64) as usize;
                    self.recent[slot] = c.clone();
                }
            }

            // -- What happened with the customer since --
            let days_left = self.end_day - created.div_euclid(DAY) - 1;
            let activities = if days_left > 0 {
                self.rng.between(1, 5)
            } else {
                0
            };
            for _ in 0..activities {
                let day = created.div_euclid(DAY) + 1 + self.rng.below(days_left as u64) as i64;
                let mut t = office_time(&mut self.rng, day);
                if t < created + 3600 {
                    // A weekend moved it back before the customer existed: later that day.
                    t = created + 3600 + self.rng.below(4 * 3600) as i64;
                }
                let user = if self.rng.chance(0.7) {
                    by
                } else {
                    self.user()
                };
                let person = own[self.rng.below(own.len() as u64) as usize].clone();
                let with_person = |template: &str| template.replace("{p}", &person.1);
                let (kind, summary, contact) = match *self.rng.weighted(ACTIVITIES) {
                    Activity::Note => (
                        EventKind::Note,
                        text(lang, self.rng.pick(&NOTES)).to_string(),
                        None,
                    ),
                    Activity::Call => (
                        EventKind::Call,
                        with_person(text(lang, self.rng.pick(&CALLS))),
                        Some(person.0),
                    ),
                    Activity::Meeting => (
                        EventKind::Meeting,
                        with_person(text(lang, self.rng.pick(&MEETINGS))),
                        Some(person.0),
                    ),
                    Activity::Email => (
                        EventKind::Email,
                        with_person(text(lang, self.rng.pick(&EMAILS))),
                        Some(person.0),
                    ),
                    Activity::Invoice => {
                        // Log-uniform between 40 € and 15,000 €, often in whole euros.
                        let euros = (40f64.ln() + self.rng.unit() * (15_000f64 / 40.0).ln()).exp();
                        let mut cents = (euros * 100.0) as u64;
                        if self.rng.chance(0.6) {
                            cents -= cents % 100;
                        }
                        let invoice = self.next_invoice;
                        self.next_invoice += 1;
                        let reference = reference_number(invoice);
                        let (amount, shown) = money(lang, cents);
                        let due = lang.date(date_of(t + 14 * DAY));
                        let summary = match lang {
                            Lang::Fi => {
                                format!("Lasku {invoice} lähetetty: {shown}, eräpäivä {due}.")
                            }
                            Lang::En => format!("Invoice {invoice} sent: {shown}, due {due}."),
                        };
                        events.push(Ev {
                            at: t,
                            kind: EventKind::Invoice,
                            customer,
                            contact: None,
                            user,
                            summary,
                            amount: Some(amount.clone()),
                            reference: Some(reference.clone()),
                            search: name.clone(),
                        });
                        // Most invoices are paid, some late, the newest not yet.
                        let paid = t + DAY * self.rng.between(5, 45) as i64;
                        if paid < end_ts && self.rng.chance(0.9) {
                            let summary = match lang {
                                Lang::Fi => format!("Maksu laskulle {invoice} saapui: {shown}."),
                                Lang::En => {
                                    format!("Payment received for invoice {invoice}: {shown}.")
                                }
                            };
                            events.push(Ev {
                                at: office_time(&mut self.rng, paid.div_euclid(DAY)).max(t + 3600),
                                kind: EventKind::Payment,
                                customer,
                                contact: None,
                                user: None,
                                summary,
                                amount: Some(amount),
                                reference: Some(reference),
                                search: name.clone(),
                            });
                        }
                        continue;
                    }
                };
                let search = match contact {
                    Some(_) => format!("{} {name}", person.1),
                    None => name.clone(),
                };
                events.push(Ev {
                    at: t,
                    kind,
                    customer,
                    contact,
                    user,
                    summary,
                    amount: None,
                    reference: None,
                    search,
                });
            }
        }

        // The log reads newest first by id: write the chunk's events in time order (stable, so
        // one customer's events keep their order).
        events.sort_by_key(|e| e.at);
        for e in &events {
            insert_event.execute(params![
                stamp(e.at),
                e.kind.as_str(),
                e.customer,
                e.contact,
                e.user,
                e.summary,
                e.amount,
                e.amount.as_ref().map(|_| "EUR"),
                e.reference,
                e.search,
            ])?;
        }
        stats.events += events.len() as u64;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

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
        ];
        assert_eq!(
            sizes,
            [80, 79, 46, 35, 13, 40, 34, 11, 6, 9, 17, 4, 5, 8, 6, 5, 5]
        );
        assert!(rows("trades", 2).all(|r| matches!(r[1], "yes" | "no")));
        for (fi, en) in CALLS.iter().chain(&*MEETINGS).chain(&*EMAILS) {
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

//! The demo data's raw material: a seeded random source, business IDs, dates, and the Finnish
//! word lists of `names.txt`.

use std::collections::HashSet;
use std::sync::LazyLock;

use chrono::NaiveDate;
use rusqlite::Connection;

use crate::customers::BusinessId;
use crate::i18n::Lang;
use crate::log::EventKind;

/// splitmix64: tiny, fast, and good enough for test data.
pub(super) struct Rng(pub(super) u64);

impl Rng {
    pub(super) fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// A number in `0..n` (`n` > 0).
    pub(super) fn below(&mut self, n: u64) -> u64 {
        ((self.next() as u128 * n as u128) >> 64) as u64
    }

    /// A number in `lo..=hi`.
    pub(super) fn between(&mut self, lo: u64, hi: u64) -> u64 {
        lo + self.below(hi - lo + 1)
    }

    /// A float in `[0, 1)`.
    pub(super) fn unit(&mut self) -> f64 {
        (self.next() >> 11) as f64 / (1u64 << 53) as f64
    }

    pub(super) fn chance(&mut self, p: f64) -> bool {
        self.unit() < p
    }

    pub(super) fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        &items[self.below(items.len() as u64) as usize]
    }

    /// One of `items` by their weights.
    pub(super) fn weighted<'a, T>(&mut self, items: &'a [(T, u32)]) -> &'a T {
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
    pub(super) fn weighted_by<'a, T>(
        &mut self,
        items: &'a [T],
        weight: impl Fn(&T) -> u32,
    ) -> &'a T {
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
    pub(super) fn digits(&mut self, n: usize, lead: bool) -> String {
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
pub(super) struct BusinessIds {
    pub(super) used: HashSet<u32>,
    pub(super) ranges: [(u32, u32, u64, u64); 3],
    pub(super) range: usize,
    pub(super) step: u64,
}

impl BusinessIds {
    pub(super) fn new(conn: &Connection, rng: &mut Rng) -> rusqlite::Result<BusinessIds> {
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

    pub(super) fn next(&mut self) -> Option<BusinessId> {
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

pub(super) const DAY: i64 = 86_400;

/// `(year, month, day)` of a day counted from 1970-01-01 (Howard Hinnant's algorithm).
pub(super) fn civil_from_days(days: i64) -> (i64, u32, u32) {
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
pub(super) fn stamp(t: i64) -> String {
    let (y, m, d) = civil_from_days(t.div_euclid(DAY));
    let s = t.rem_euclid(DAY);
    format!(
        "{y:04}-{m:02}-{d:02}T{:02}:{:02}:{:02}Z",
        s / 3600,
        s / 60 % 60,
        s % 60
    )
}

pub(super) fn date_of(t: i64) -> NaiveDate {
    let (y, m, d) = civil_from_days(t.div_euclid(DAY));
    NaiveDate::from_ymd_opt(y as i32, m, d).unwrap_or_default()
}

/// A moment in office hours (08–18 Finnish time) on `day`, or on the Friday before when `day`
/// is a weekend.
pub(super) fn office_time(rng: &mut Rng, day: i64) -> i64 {
    let day = match (day + 3).rem_euclid(7) {
        5 => day - 1, // Saturday
        6 => day - 2, // Sunday
        _ => day,
    };
    day * DAY + 6 * 3600 + rng.below(10 * 3600) as i64
}

// ---- Word lists ----

#[derive(Clone, Copy, PartialEq, Eq)]
pub(super) enum Form {
    Oy,
    Oyj,
    Ky,
    Ay,
    Tmi,
}

pub(super) const FORMS: &[(Form, u32)] = &[
    (Form::Oy, 66),
    (Form::Tmi, 15),
    (Form::Ky, 10),
    (Form::Ay, 4),
    (Form::Oyj, 1),
];

/// The names and texts below are in `demo_names.txt`, read when first used.
pub(super) const NAMES_FILE: &str = include_str!("names.txt");

pub(super) static FIRST_NAMES: LazyLock<Vec<&str>> = LazyLock::new(|| words("first_names"));
pub(super) static SURNAMES: LazyLock<Vec<&str>> = LazyLock::new(|| words("surnames"));
/// Trades, and whether they join a word in front into one compound (`Koivu` + `rakennus`).
pub(super) static TRADES: LazyLock<Vec<(&str, bool)>> =
    LazyLock::new(|| rows("trades", 2).map(|r| (r[0], r[1] == "yes")).collect());
pub(super) static NATURE: LazyLock<Vec<&str>> = LazyLock::new(|| words("nature"));
pub(super) static ENGLISH: LazyLock<Vec<&str>> = LazyLock::new(|| words("english"));
/// City, its genitive, postal codes from..to, telephone area code, weight (about population).
pub(super) type City = (&'static str, &'static str, u32, u32, &'static str, u32);
pub(super) static CITIES: LazyLock<Vec<City>> = LazyLock::new(|| {
    rows("cities", 6)
        .map(|r| (r[0], r[1], number(r[2]), number(r[3]), r[4], number(r[5])))
        .collect()
});
pub(super) static STREET_ROOTS: LazyLock<Vec<&str>> = LazyLock::new(|| words("street_roots"));
pub(super) static STREET_ENDS: LazyLock<Vec<&str>> = LazyLock::new(|| words("street_ends"));
pub(super) static EMAIL_LOCALS: LazyLock<Vec<(&str, u32)>> = LazyLock::new(|| {
    rows("email_locals", 2)
        .map(|r| (r[0], number(r[1])))
        .collect()
});
/// Real-looking e-invoice operator IDs (OVT codes and bank BICs).
pub(super) static OPERATORS: LazyLock<Vec<&str>> = LazyLock::new(|| words("operators"));
/// Roles in Finnish and English.
pub(super) static ROLES: LazyLock<Vec<(&str, &str)>> = LazyLock::new(|| pairs("roles"));
/// Roles of a contact linked to a second customer (board seats, outside accountants).
pub(super) static SHARED_ROLES: LazyLock<Vec<(&str, &str)>> =
    LazyLock::new(|| pairs("shared_roles"));
pub(super) static CUSTOMER_NOTES: LazyLock<Vec<(&str, &str)>> =
    LazyLock::new(|| pairs("customer_notes"));
/// Log entries in Finnish and English; `{p}` in calls, meetings and e-mails is the contact.
pub(super) static NOTES: LazyLock<Vec<(&str, &str)>> = LazyLock::new(|| pairs("notes"));
pub(super) static CALLS: LazyLock<Vec<(&str, &str)>> = LazyLock::new(|| pairs("calls"));
pub(super) static MEETINGS: LazyLock<Vec<(&str, &str)>> = LazyLock::new(|| pairs("meetings"));
pub(super) static EMAILS: LazyLock<Vec<(&str, &str)>> = LazyLock::new(|| pairs("emails"));
pub(super) static TASKS: LazyLock<Vec<(&str, &str)>> = LazyLock::new(|| pairs("tasks"));

/// The rows of the list `[name]` in `demo_names.txt`, each split at `|` into `fields` fields;
/// blank lines and `#` comments are skipped. A missing list or a row of another shape is a
/// mistake in the file, which the unit tests catch.
pub(super) fn rows(name: &str, fields: usize) -> impl Iterator<Item = Vec<&'static str>> + '_ {
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

pub(super) fn words(name: &str) -> Vec<&'static str> {
    rows(name, 1).map(|r| r[0]).collect()
}

pub(super) fn pairs(name: &str) -> Vec<(&'static str, &'static str)> {
    rows(name, 2).map(|r| (r[0], r[1])).collect()
}

pub(super) fn number(field: &str) -> u32 {
    field
        .parse()
        .unwrap_or_else(|_| panic!("demo_names.txt: {field:?} is not a number"))
}

pub(super) const MOBILE_PREFIXES: &[&str] = &["040", "050", "044", "045", "041", "046"];

/// Customer tags: name and the share of customers that get it.
pub(super) const CUSTOMER_TAGS: &[(&str, f64)] = &[
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
pub(super) const CITY_TAGS: &[&str] = &["Helsinki", "Tampere", "Turku", "Oulu"];
pub(super) const NEW_CUSTOMER_TAG: &str = "Uusi asiakas";
pub(super) const CONTACT_TAGS: &[(&str, f64)] = &[("Uutiskirje", 0.15), ("Joulukortti", 0.10)];
pub(super) const DECISION_MAKER_TAG: &str = "Päättäjä";

pub(super) fn head_role(form: Form) -> (&'static str, &'static str) {
    match form {
        Form::Oy | Form::Oyj => ("Toimitusjohtaja", "CEO"),
        Form::Ky => ("Vastuunalainen yhtiömies", "General Partner"),
        Form::Ay => ("Yhtiömies", "Partner"),
        Form::Tmi => ("Yrittäjä", "Owner"),
    }
}

#[derive(Clone, Copy)]
pub(super) enum Activity {
    Note,
    Call,
    Meeting,
    Email,
    Invoice,
}

pub(super) const ACTIVITIES: &[(Activity, u32)] = &[
    (Activity::Note, 22),
    (Activity::Call, 26),
    (Activity::Meeting, 12),
    (Activity::Email, 22),
    (Activity::Invoice, 18),
];

// ---- Text helpers ----

/// Lower-case ASCII letters and digits only, for e-mail addresses and domains.
pub(super) fn fold_ascii(text: &str) -> String {
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
pub(super) fn genitive(surname: &str) -> Option<String> {
    if let Some(stem) = surname.strip_suffix("nen") {
        Some(format!("{stem}sen"))
    } else if surname.ends_with(['a', 'ä', 'o', 'u']) {
        Some(format!("{surname}n"))
    } else {
        None
    }
}

/// A Finnish reference number (viitenumero): the base and its 7-3-1 check digit.
pub(super) fn reference_number(base: u64) -> String {
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
pub(super) fn money(lang: Lang, cents: u64) -> (String, String) {
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
pub(super) fn text(lang: Lang, pair: &(&'static str, &'static str)) -> &'static str {
    match lang {
        Lang::Fi => pair.0,
        Lang::En => pair.1,
    }
}

// ---- The generator ----

/// An event waiting to be written at the end of its chunk.
pub(super) struct Ev {
    pub(super) at: i64,
    pub(super) kind: EventKind,
    pub(super) customer: Option<i64>,
    pub(super) contact: Option<i64>,
    pub(super) user: Option<i64>,
    pub(super) summary: String,
    pub(super) amount: Option<String>,
    pub(super) reference: Option<String>,
    pub(super) task: Option<i64>,
    pub(super) search: String,
    pub(super) document: Option<i64>,
}

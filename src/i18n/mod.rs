//! Finnish and English text. Every UI string lives in `fi.txt` and `en.txt` under the same key;
//! a test fails if a key is in one file only or if the code uses a key neither file has.
//! Dates are `22.11.2026` in Finnish and ISO `2026-11-22` in English; times are shown in the
//! company's time zone (a setting), whatever the server's own zone.

use std::collections::HashMap;
use std::sync::OnceLock;

use chrono::{DateTime, NaiveDate, Utc};
use chrono_tz::Tz;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub(crate) enum Lang {
    #[default]
    Fi,
    En,
}

pub(crate) const FI_TEXT: &str = include_str!("fi.txt");
pub(crate) const EN_TEXT: &str = include_str!("en.txt");

/// Parses a catalog: `key = text` lines; blank lines and `#` comments are skipped.
pub(crate) fn parse_catalog(text: &'static str) -> HashMap<&'static str, &'static str> {
    text.lines()
        .map(str::trim)
        .filter(|l| !l.is_empty() && !l.starts_with('#'))
        .filter_map(|l| l.split_once(" = "))
        .map(|(k, v)| (k.trim(), v.trim()))
        .collect()
}

fn catalog(lang: Lang) -> &'static HashMap<&'static str, &'static str> {
    static FI: OnceLock<HashMap<&str, &str>> = OnceLock::new();
    static EN: OnceLock<HashMap<&str, &str>> = OnceLock::new();
    match lang {
        Lang::Fi => FI.get_or_init(|| parse_catalog(FI_TEXT)),
        Lang::En => EN.get_or_init(|| parse_catalog(EN_TEXT)),
    }
}

/// The catalog's own copy of a one-time message key (`flash.…`), if there is such a text.
pub(crate) fn flash_key(key: &str) -> Option<&'static str> {
    catalog(Lang::En)
        .get_key_value(key)
        .map(|(k, _)| *k)
        .filter(|k| k.starts_with("flash."))
}

impl Lang {
    pub(crate) const ALL: [Lang; 2] = [Lang::Fi, Lang::En];

    pub(crate) fn code(self) -> &'static str {
        match self {
            Lang::Fi => "fi",
            Lang::En => "en",
        }
    }

    pub(crate) fn parse(code: &str) -> Option<Lang> {
        match code.trim().to_ascii_lowercase().as_str() {
            "fi" => Some(Lang::Fi),
            "en" => Some(Lang::En),
            _ => None,
        }
    }

    /// The language's own name, for pickers.
    pub(crate) fn native_name(self) -> &'static str {
        match self {
            Lang::Fi => "suomi",
            Lang::En => "English",
        }
    }

    /// The first supported language in an `Accept-Language` header, honouring q-values.
    pub(crate) fn from_accept_language(header: &str) -> Option<Lang> {
        let mut best: Option<(f32, Lang)> = None;
        for part in header.split(',') {
            let mut bits = part.split(';');
            let tag = bits.next().unwrap_or("").trim();
            let q = bits
                .find_map(|b| b.trim().strip_prefix("q="))
                .and_then(|q| q.parse::<f32>().ok())
                .unwrap_or(1.0);
            let primary = tag.split('-').next().unwrap_or("");
            if let Some(lang) = Lang::parse(primary) {
                if q > 0.0 && best.is_none_or(|(bq, _)| q > bq) {
                    best = Some((q, lang));
                }
            }
        }
        best.map(|(_, l)| l)
    }

    /// The text for `key`. A missing key shows the key itself, so a gap is visible, never a crash.
    pub(crate) fn t(self, key: &str) -> &'static str {
        match catalog(self).get(key) {
            Some(text) => text,
            None => {
                // The test suite keeps this path dead; a gap shows, it never crashes.
                log::warn!("missing {} text for key {key}", self.code());
                "[?]"
            }
        }
    }

    /// The text for `key` with `{name}` placeholders filled in.
    /// Placeholders are filled in one pass, so a value that itself contains `{name}` (a
    /// customer called "Evil {number}") is kept as typed.
    pub(crate) fn tf(self, key: &str, args: &[(&str, &str)]) -> String {
        let mut rest = self.t(key);
        let mut out = String::with_capacity(rest.len());
        while let Some(open) = rest.find('{') {
            out.push_str(&rest[..open]);
            let after = &rest[open + 1..];
            match after.find('}').map(|close| (&after[..close], close)) {
                Some((name, close)) if args.iter().any(|(n, _)| *n == name) => {
                    out.push_str(
                        args.iter()
                            .find(|(n, _)| *n == name)
                            .map(|(_, v)| *v)
                            .unwrap_or(""),
                    );
                    rest = &after[close + 1..];
                }
                _ => {
                    out.push('{');
                    rest = after;
                }
            }
        }
        out.push_str(rest);
        out
    }

    /// A whole number with thousands grouped: `1 000` in Finnish, `1,000` in English.
    pub(crate) fn number(self, n: i64) -> String {
        let digits = n.unsigned_abs().to_string();
        let sep = match self {
            Lang::Fi => "\u{a0}",
            Lang::En => ",",
        };
        let mut out = String::new();
        for (i, c) in digits.chars().enumerate() {
            if i > 0 && (digits.len() - i) % 3 == 0 {
                out.push_str(sep);
            }
            out.push(c);
        }
        if n < 0 {
            out.insert(0, '-');
        }
        out
    }

    pub(crate) fn date(self, d: NaiveDate) -> String {
        match self {
            Lang::Fi => d.format("%-d.%-m.%Y").to_string(),
            Lang::En => d.format("%Y-%m-%d").to_string(),
        }
    }

    /// A moment in the time zone `tz` (the company's).
    pub(crate) fn datetime(self, t: DateTime<Utc>, tz: Tz) -> String {
        let local = t.with_timezone(&tz);
        match self {
            Lang::Fi => local.format("%-d.%-m.%Y %H.%M").to_string(),
            Lang::En => local.format("%Y-%m-%d %H:%M").to_string(),
        }
    }

    /// Like `datetime`, for a unix-seconds column.
    pub(crate) fn datetime_unix(self, secs: i64, tz: Tz) -> String {
        DateTime::from_timestamp(secs, 0)
            .map(|t| self.datetime(t, tz))
            .unwrap_or_default()
    }

    /// Like `datetime`, for an RFC 3339 text column.
    pub(crate) fn datetime_text(self, text: &str, tz: Tz) -> String {
        DateTime::parse_from_rfc3339(text)
            .map(|t| self.datetime(t.with_timezone(&Utc), tz))
            .unwrap_or_else(|_| text.to_string())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finnish_dates_use_day_month_year_with_dots() {
        let d = NaiveDate::from_ymd_opt(2026, 11, 22).unwrap();
        assert_eq!(Lang::Fi.date(d), "22.11.2026");
        assert_eq!(Lang::En.date(d), "2026-11-22");
        let d = NaiveDate::from_ymd_opt(2026, 3, 5).unwrap();
        assert_eq!(Lang::Fi.date(d), "5.3.2026");
    }

    #[test]
    fn stored_utc_times_show_in_helsinki_time_summer_and_winter() {
        let helsinki = chrono_tz::Europe::Helsinki;
        // Summer time (UTC+3), then winter time (UTC+2).
        assert_eq!(
            Lang::Fi.datetime_text("2026-07-15T01:34:00Z", helsinki),
            "15.7.2026 04.34"
        );
        assert_eq!(
            Lang::Fi.datetime_text("2026-01-15T02:34:00Z", helsinki),
            "15.1.2026 04.34"
        );
        assert_eq!(
            Lang::En.datetime_text("2026-11-30T22:30:00Z", helsinki),
            "2026-12-01 00:30"
        );
        // Across the spring change (03.00 → 04.00 on 29.3.2026) and the autumn one.
        assert_eq!(
            Lang::Fi.datetime_text("2026-03-29T00:59:00Z", helsinki),
            "29.3.2026 02.59"
        );
        assert_eq!(
            Lang::Fi.datetime_text("2026-03-29T01:00:00Z", helsinki),
            "29.3.2026 04.00"
        );
        assert_eq!(
            Lang::Fi.datetime_unix(1_792_890_000, helsinki), // 2026-10-25T01:00:00Z
            "25.10.2026 03.00"
        );
        assert_eq!(
            Lang::Fi.datetime_text("2026-07-15T01:34:00+00:00", chrono_tz::UTC),
            "15.7.2026 01.34"
        );
        assert_eq!(Lang::Fi.datetime_text("not a time", helsinki), "not a time");
    }

    #[test]
    fn placeholders_fill_in_one_pass() {
        let text = Lang::En.tf(
            "summary.customer_created",
            &[("name", "Evil {number}"), ("number", "1001")],
        );
        assert_eq!(text, "Customer Evil {number} (1001) was added.");
        assert_eq!(Lang::En.tf("front.greeting", &[("name", "{")]), "Hello, {!");
    }

    #[test]
    fn accept_language_picks_the_best_supported_language() {
        assert_eq!(Lang::from_accept_language("en-US,en;q=0.9"), Some(Lang::En));
        assert_eq!(
            Lang::from_accept_language("sv;q=1, fi;q=0.8, en;q=0.5"),
            Some(Lang::Fi)
        );
        assert_eq!(Lang::from_accept_language("de, fr"), None);
        assert_eq!(
            Lang::from_accept_language("fi;q=0.2, en;q=0.7"),
            Some(Lang::En)
        );
    }

    #[test]
    fn numbers_group_thousands_in_each_language() {
        assert_eq!(Lang::Fi.number(1000), "1\u{a0}000");
        assert_eq!(Lang::En.number(1234567), "1,234,567");
        assert_eq!(Lang::En.number(999), "999");
        assert_eq!(Lang::Fi.number(-12000), "-12\u{a0}000");
    }

    #[test]
    fn every_key_exists_in_both_languages() {
        let fi = parse_catalog(FI_TEXT);
        let en = parse_catalog(EN_TEXT);
        let only_fi: Vec<_> = fi.keys().filter(|k| !en.contains_key(*k)).collect();
        let only_en: Vec<_> = en.keys().filter(|k| !fi.contains_key(*k)).collect();
        assert!(only_fi.is_empty(), "keys only in fi.txt: {only_fi:?}");
        assert!(only_en.is_empty(), "keys only in en.txt: {only_en:?}");
        for (k, v) in fi.iter().chain(en.iter()) {
            assert!(!v.is_empty(), "empty text for {k}");
        }
    }
}

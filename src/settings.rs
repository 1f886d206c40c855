//! Settings live as key/value rows; `Settings` is their typed form with the defaults filled in.

use chrono_tz::Tz;
use rusqlite::{params, Connection, Transaction};

use crate::error::{Error, Result};
use crate::i18n::Lang;

#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Settings {
    pub company_name: String,
    pub default_language: Lang,
    /// A session without "remember me" ends after this many hours without a request.
    pub session_idle_hours: u32,
    /// A "remember me" session lasts this many days.
    pub remember_days: u32,
    /// Failed logins per username or per IP that lock further attempts …
    pub lockout_attempts: u32,
    /// … for this many minutes.
    pub lockout_minutes: u32,
    /// Hours between scheduled backups; 0 turns them off.
    pub backup_interval_hours: u32,
    /// How many scheduled backups to keep.
    pub backup_keep: u32,
    /// Put before assigned customer numbers ("AS-" gives "AS-1001"); may be empty.
    pub customer_number_prefix: String,
    /// The zone every time is shown in; times are stored in UTC.
    pub time_zone: Tz,
    /// A new task's reminder lead time in days (0: no advance reminder).
    pub remind_days_before: u32,
    /// When the working day starts, in the company's time zone: reminders go out then.
    pub workday_start: chrono::NaiveTime,
    /// The business register's (YTJ v3) base URL for the customer form's look-up; empty turns
    /// it off. `--ytj-url` overrides it.
    pub ytj_url: String,
    /// The largest document file, in MiB (413 beyond it). The server's body limit
    /// (`--max-body-mb`) caps every upload too.
    pub document_max_mb: u32,
}

/// Where the business register's open data API is, unless set otherwise.
pub(crate) const DEFAULT_YTJ_URL: &str = "https://avoindata.prh.fi/opendata-ytj-api/v3";

impl Default for Settings {
    fn default() -> Settings {
        Settings {
            company_name: String::new(),
            default_language: Lang::Fi,
            session_idle_hours: 8,
            remember_days: 30,
            lockout_attempts: 5,
            lockout_minutes: 15,
            backup_interval_hours: 24,
            backup_keep: 7,
            customer_number_prefix: String::new(),
            time_zone: chrono_tz::Europe::Helsinki,
            remind_days_before: 1,
            workday_start: chrono::NaiveTime::from_hms_opt(8, 0, 0).expect("08:00 is a time"),
            ytj_url: DEFAULT_YTJ_URL.to_string(),
            document_max_mb: 25,
        }
    }
}

/// Limits for the numeric settings, checked on save: (key, min, max).
pub(crate) const NUMBER_RANGES: &[(&str, u32, u32)] = &[
    ("session_idle_hours", 1, 24 * 30),
    ("remember_days", 1, 365),
    ("lockout_attempts", 1, 100),
    ("lockout_minutes", 1, 24 * 60),
    ("backup_interval_hours", 0, 24 * 365),
    ("backup_keep", 1, 1000),
    ("remind_days_before", 0, 365),
    ("document_max_mb", 1, 1024),
];

/// Reads every setting in one query (it runs on every request).
pub(crate) fn load(conn: &Connection) -> rusqlite::Result<Settings> {
    let stored: std::collections::HashMap<String, String> = conn
        .prepare_cached("SELECT key, value FROM settings")?
        .query_map([], |r| Ok((r.get(0)?, r.get(1)?)))?
        .collect::<rusqlite::Result<_>>()?;
    let get = |key: &str| stored.get(key).cloned();
    let number = |key: &str, default: u32| get(key).and_then(|v| v.parse().ok()).unwrap_or(default);
    let d = Settings::default();
    Ok(Settings {
        company_name: get("company_name").unwrap_or(d.company_name),
        default_language: get("default_language")
            .and_then(|v| Lang::parse(&v))
            .unwrap_or(d.default_language),
        session_idle_hours: number("session_idle_hours", d.session_idle_hours),
        remember_days: number("remember_days", d.remember_days),
        lockout_attempts: number("lockout_attempts", d.lockout_attempts),
        lockout_minutes: number("lockout_minutes", d.lockout_minutes),
        backup_interval_hours: number("backup_interval_hours", d.backup_interval_hours),
        backup_keep: number("backup_keep", d.backup_keep),
        customer_number_prefix: get("customer_number_prefix").unwrap_or(d.customer_number_prefix),
        time_zone: get("time_zone")
            .and_then(|v| parse_time_zone(&v))
            .unwrap_or(d.time_zone),
        remind_days_before: number("remind_days_before", d.remind_days_before),
        workday_start: get("workday_start")
            .and_then(|v| parse_time(&v))
            .unwrap_or(d.workday_start),
        ytj_url: get("ytj_url").unwrap_or(d.ytj_url),
        document_max_mb: number("document_max_mb", d.document_max_mb),
    })
}

/// A time of day written `HH:MM` (or `H:MM`).
pub(crate) fn parse_time(text: &str) -> Option<chrono::NaiveTime> {
    chrono::NaiveTime::parse_from_str(text.trim(), "%H:%M").ok()
}

/// A time zone of the tz database by its name (`Europe/Helsinki`), in any letter case.
pub(crate) fn parse_time_zone(text: &str) -> Option<Tz> {
    let text = text.trim();
    text.parse().ok().or_else(|| {
        chrono_tz::TZ_VARIANTS
            .iter()
            .find(|tz| tz.name().eq_ignore_ascii_case(text))
            .copied()
    })
}

fn put(tx: &Transaction, key: &str, value: &str) -> rusqlite::Result<()> {
    tx.execute(
        "INSERT INTO settings(key, value) VALUES (?1, ?2)
         ON CONFLICT(key) DO UPDATE SET value = excluded.value",
        params![key, value],
    )?;
    Ok(())
}

impl Settings {
    /// The largest document file, in bytes.
    pub(crate) fn document_max_bytes(&self) -> u64 {
        u64::from(self.document_max_mb) * 1024 * 1024
    }

    /// The settings as key/value pairs, in a fixed order.
    fn pairs(&self) -> Vec<(&'static str, String)> {
        vec![
            ("company_name", self.company_name.clone()),
            ("default_language", self.default_language.code().into()),
            ("session_idle_hours", self.session_idle_hours.to_string()),
            ("remember_days", self.remember_days.to_string()),
            ("lockout_attempts", self.lockout_attempts.to_string()),
            ("lockout_minutes", self.lockout_minutes.to_string()),
            (
                "backup_interval_hours",
                self.backup_interval_hours.to_string(),
            ),
            ("backup_keep", self.backup_keep.to_string()),
            (
                "customer_number_prefix",
                self.customer_number_prefix.clone(),
            ),
            ("time_zone", self.time_zone.name().into()),
            ("remind_days_before", self.remind_days_before.to_string()),
            (
                "workday_start",
                self.workday_start.format("%H:%M").to_string(),
            ),
            ("ytj_url", self.ytj_url.clone()),
            ("document_max_mb", self.document_max_mb.to_string()),
        ]
    }

    pub(crate) fn number(&self, key: &str) -> Option<u32> {
        self.pairs()
            .into_iter()
            .find(|(k, _)| *k == key)
            .and_then(|(_, v)| v.parse().ok())
    }

    /// Sets a numeric setting by key from form text, checking its range.
    pub(crate) fn set_number(&mut self, key: &'static str, text: &str) -> Result<()> {
        let (_, min, max) = NUMBER_RANGES
            .iter()
            .find(|(k, _, _)| *k == key)
            .ok_or_else(|| Error::Internal(format!("unknown setting {key}")))?;
        let value: u32 = text
            .trim()
            .parse()
            .ok()
            .filter(|v| (*min..=*max).contains(v))
            .ok_or(Error::field(key, "settings.number_out_of_range"))?;
        let slot = match key {
            "session_idle_hours" => &mut self.session_idle_hours,
            "remember_days" => &mut self.remember_days,
            "lockout_attempts" => &mut self.lockout_attempts,
            "lockout_minutes" => &mut self.lockout_minutes,
            "backup_interval_hours" => &mut self.backup_interval_hours,
            "remind_days_before" => &mut self.remind_days_before,
            "document_max_mb" => &mut self.document_max_mb,
            _ => &mut self.backup_keep,
        };
        *slot = value;
        Ok(())
    }

    /// Sets the time zone from form text: a name of the tz database.
    pub(crate) fn set_time_zone(&mut self, text: &str) -> Result<()> {
        self.time_zone =
            parse_time_zone(text).ok_or(Error::field("time_zone", "settings.time_zone_invalid"))?;
        Ok(())
    }

    /// Sets the start of the working day from form text `HH:MM`.
    pub(crate) fn set_workday_start(&mut self, text: &str) -> Result<()> {
        self.workday_start = parse_time(text).ok_or(Error::field(
            "workday_start",
            "settings.workday_start_invalid",
        ))?;
        Ok(())
    }

    /// Sets the register's URL from form text: empty (off), or an http(s) URL.
    pub(crate) fn set_ytj_url(&mut self, text: &str) -> Result<()> {
        let url = text.trim();
        let ok = url.is_empty()
            || ((url.starts_with("http://") || url.starts_with("https://"))
                && url.len() <= 500
                && !url.contains(|c: char| c.is_whitespace() || c.is_control()));
        if !ok {
            return Err(Error::field("ytj_url", "settings.ytj_url_invalid"));
        }
        self.ytj_url = url.to_string();
        Ok(())
    }

    /// Names of the settings that differ from `other`, for the log.
    pub(crate) fn changed_keys(&self, other: &Settings) -> Vec<&'static str> {
        self.pairs()
            .into_iter()
            .zip(other.pairs())
            .filter(|(a, b)| a.1 != b.1)
            .map(|(a, _)| a.0)
            .collect()
    }
}

/// Saves every setting in the caller's transaction.
pub(crate) fn save(tx: &Transaction, settings: &Settings) -> rusqlite::Result<()> {
    for (key, value) in settings.pairs() {
        put(tx, key, &value)?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_until_saved_then_the_saved_values() {
        let dir = tempfile::tempdir().unwrap();
        let mut conn = crate::db::open(&dir.path().join("s.db")).unwrap();
        assert_eq!(load(&conn).unwrap(), Settings::default());
        let mut s = Settings {
            company_name: "Oy Esimerkki Ab".into(),
            default_language: Lang::En,
            ..Settings::default()
        };
        s.set_number("lockout_attempts", " 3 ").unwrap();
        crate::db::write(&mut conn, |tx| save(tx, &s)).unwrap();
        assert_eq!(load(&conn).unwrap(), s);
        assert_eq!(
            s.changed_keys(&Settings::default()),
            ["company_name", "default_language", "lockout_attempts"]
        );
    }

    #[test]
    fn numbers_out_of_range_are_field_errors() {
        let mut s = Settings::default();
        for bad in ["0", "-1", "abc", "", "101"] {
            let err = s.set_number("lockout_attempts", bad).unwrap_err();
            assert_eq!(err.fields()[0].field, "lockout_attempts");
        }
        assert_eq!(s.lockout_attempts, 5);
        s.set_number("backup_interval_hours", "0").unwrap();
        assert_eq!(s.backup_interval_hours, 0);
    }

    #[test]
    fn the_time_zone_is_a_tz_database_name_helsinki_by_default() {
        let mut s = Settings::default();
        assert_eq!(s.time_zone.name(), "Europe/Helsinki");
        s.set_time_zone(" america/new_york ").unwrap();
        assert_eq!(s.time_zone, chrono_tz::America::New_York);
        for bad in ["", "Helsinki", "Europe/Tampere", "UTC+2"] {
            let err = s.set_time_zone(bad).unwrap_err();
            assert_eq!(err.fields()[0].field, "time_zone", "{bad}");
        }
        assert_eq!(s.time_zone, chrono_tz::America::New_York);
        assert_eq!(s.changed_keys(&Settings::default()), ["time_zone"]);
    }
}

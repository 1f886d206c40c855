//! Settings live as key/value rows; `Settings` is their typed form with the defaults filled in.

use chrono_tz::Tz;
use rusqlite::{params, Connection, OptionalExtension};

use crate::db::Tx;
use crate::error::{has_control, text_error, valid, Error, FieldError, Result};
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
    /// The SMTP server reminders are e-mailed through; an empty host turns e-mail off.
    pub smtp: Smtp,
    /// The address people open the app at (`https://crm.example.fi`), for links in e-mails;
    /// empty: the server's own listening address.
    pub public_url: String,
    /// The watched folder of the inbox (scan to folder); relative to the database's folder
    /// unless absolute; empty turns it off.
    pub inbox_folder: String,
    /// The IMAP mailbox whose messages come in as documents; an empty host turns it off.
    pub imap_host: String,
    /// 0: the usual port of `imap_security` (993 for TLS, 143 otherwise).
    pub imap_port: u16,
    pub imap_security: ImapSecurity,
    pub imap_user: String,
    pub imap_password: Secret,
    pub imap_folder: String,
    /// The largest document file, in MiB (413 beyond it). The server's body limit
    /// (`--max-body-mb`) caps every upload too.
    pub document_max_mb: u32,
}

keyed_enum! {
    /// How the connection to the SMTP server is protected.
    #[derive(Debug, Clone, Copy, PartialEq, Eq)]
    pub(crate) enum SmtpSecurity {
        /// Plain first, then upgraded with STARTTLS, which is required (port 587).
        StartTls = "starttls",
        /// TLS from the first byte (SMTPS, port 465).
        Tls = "tls",
        /// Plain SMTP (a relay on the same machine or LAN).
        None = "none",
    }
}

impl SmtpSecurity {
    /// The port used when none is set.
    pub(crate) fn default_port(self) -> u16 {
        match self {
            SmtpSecurity::None => 25,
            SmtpSecurity::StartTls => 587,
            SmtpSecurity::Tls => 465,
        }
    }
}

keyed_enum! {
    /// How the IMAP connection is protected.
    #[derive(Debug, Clone, Copy, PartialEq, Eq)]
    pub(crate) enum ImapSecurity {
        /// TLS from the first byte (IMAPS, port 993).
        Tls = "tls",
        /// Plain at first, then `STARTTLS` (port 143).
        StartTls = "starttls",
        /// No encryption at all: only for a server on the same machine or a trusted network.
        Plain = "none",
    }
}

impl ImapSecurity {
    pub(crate) fn default_port(self) -> u16 {
        match self {
            ImapSecurity::Tls => 993,
            ImapSecurity::StartTls | ImapSecurity::Plain => 143,
        }
    }
}

/// A password kept for logging in elsewhere (the SMTP server, the IMAP mailbox): it must be
/// stored as it is, so it is at least never printed by `{:?}` nor shown back on the settings page.
#[derive(Clone, Default, PartialEq, Eq)]
pub(crate) struct Secret(pub String);

impl std::fmt::Debug for Secret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(if self.0.is_empty() { "\"\"" } else { "\"***\"" })
    }
}

/// The SMTP server's settings.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Smtp {
    /// Empty: no e-mail is sent.
    pub host: String,
    /// `None`: the security's usual port.
    pub port: Option<u16>,
    pub security: SmtpSecurity,
    /// Empty: no login.
    pub user: String,
    pub password: Secret,
    /// The sender's address (`crm@example.fi`).
    pub from: String,
}

impl Default for Smtp {
    fn default() -> Smtp {
        Smtp {
            host: String::new(),
            port: None,
            security: SmtpSecurity::StartTls,
            user: String::new(),
            password: Secret::default(),
            from: String::new(),
        }
    }
}

impl Smtp {
    /// Whether e-mail is on: a server and a sender are set.
    pub(crate) fn configured(&self) -> bool {
        !self.host.is_empty() && !self.from.is_empty()
    }

    pub(crate) fn port(&self) -> u16 {
        self.port.unwrap_or(self.security.default_port())
    }
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
            smtp: Smtp::default(),
            public_url: String::new(),
            inbox_folder: "inbox".to_string(),
            imap_host: String::new(),
            imap_port: 0,
            imap_security: ImapSecurity::Tls,
            imap_user: String::new(),
            imap_password: Secret::default(),
            imap_folder: "INBOX".to_string(),
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

thread_local! {
    /// The settings as last read on this thread's connection. Every request needs them;
    /// parsing them (a time zone by its name among hundreds) took a tenth of a list page's
    /// time.
    static LOADED: std::cell::RefCell<crate::db::Memo<(), Settings>> =
        const { std::cell::RefCell::new(crate::db::Memo::new(1)) };
}

/// Every setting, read in one query (it runs on every request), or as last read when the
/// database has not changed since.
pub(crate) fn load(conn: &Connection) -> rusqlite::Result<Settings> {
    LOADED.with(|loaded| loaded.borrow_mut().get_or_read(conn, (), || read(conn)))
}

/// One stored setting, read alone: for what a write needs inside its transaction, where the
/// settings as a whole would be read and parsed again (what a transaction reads is not kept).
fn stored(conn: &Connection, key: &str) -> rusqlite::Result<Option<String>> {
    conn.prepare_cached("SELECT value FROM settings WHERE key = ?1")?
        .query_row([key], |r| r.get(0))
        .optional()
}

/// The company's default language (every log entry's summary is written in it).
pub(crate) fn default_language(conn: &Connection) -> rusqlite::Result<Lang> {
    Ok(stored(conn, "default_language")?
        .and_then(|v| Lang::parse(&v))
        .unwrap_or(Settings::default().default_language))
}

/// The prefix of new customer numbers.
pub(crate) fn customer_number_prefix(conn: &Connection) -> rusqlite::Result<String> {
    Ok(stored(conn, "customer_number_prefix")?
        .unwrap_or(Settings::default().customer_number_prefix))
}

fn read(conn: &Connection) -> rusqlite::Result<Settings> {
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
        smtp: Smtp {
            host: get("smtp_host").unwrap_or(d.smtp.host),
            port: get("smtp_port").and_then(|v| v.parse().ok()),
            security: get("smtp_security")
                .and_then(|v| SmtpSecurity::parse(&v))
                .unwrap_or(d.smtp.security),
            user: get("smtp_user").unwrap_or(d.smtp.user),
            password: Secret(get("smtp_password").unwrap_or_default()),
            from: get("smtp_from").unwrap_or(d.smtp.from),
        },
        public_url: get("public_url").unwrap_or(d.public_url),
        inbox_folder: get("inbox_folder").unwrap_or(d.inbox_folder),
        imap_host: get("imap_host").unwrap_or(d.imap_host),
        imap_port: get("imap_port")
            .and_then(|v| v.parse().ok())
            .unwrap_or(d.imap_port),
        imap_security: get("imap_security")
            .and_then(|v| ImapSecurity::parse(&v))
            .unwrap_or(d.imap_security),
        imap_user: get("imap_user").unwrap_or(d.imap_user),
        imap_password: get("imap_password").map(Secret).unwrap_or(d.imap_password),
        imap_folder: get("imap_folder").unwrap_or(d.imap_folder),
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

/// An http(s) URL of reasonable length, with no spaces or control characters.
fn is_http_url(url: &str) -> bool {
    (url.starts_with("http://") || url.starts_with("https://"))
        && url.len() <= 500
        && !url.contains(|c: char| c.is_whitespace() || c.is_control())
}

/// An e-mail address as SMTP takes it (`name@example.fi`).
pub(crate) fn valid_address(text: &str) -> bool {
    text.parse::<lettre::Address>().is_ok()
}

/// The SMTP fields of the settings form, as typed.
pub(crate) struct SmtpForm<'a> {
    pub host: &'a str,
    pub port: &'a str,
    pub security: &'a str,
    pub user: &'a str,
    pub password: &'a str,
    pub from: &'a str,
    pub public_url: &'a str,
}

fn put(tx: &Tx, key: &str, value: &str) -> rusqlite::Result<()> {
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
            ("smtp_host", self.smtp.host.clone()),
            (
                "smtp_port",
                self.smtp.port.map(|p| p.to_string()).unwrap_or_default(),
            ),
            ("smtp_security", self.smtp.security.as_str().into()),
            ("smtp_user", self.smtp.user.clone()),
            ("smtp_password", self.smtp.password.0.clone()),
            ("smtp_from", self.smtp.from.clone()),
            ("public_url", self.public_url.clone()),
            ("inbox_folder", self.inbox_folder.clone()),
            ("imap_host", self.imap_host.clone()),
            ("imap_port", self.imap_port.to_string()),
            ("imap_security", self.imap_security.as_str().into()),
            ("imap_user", self.imap_user.clone()),
            ("imap_password", self.imap_password.0.clone()),
            ("imap_folder", self.imap_folder.clone()),
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
        if !url.is_empty() && !is_http_url(url) {
            return Err(Error::field("ytj_url", "settings.ytj_url_invalid"));
        }
        self.ytj_url = url.to_string();
        Ok(())
    }

    /// Sets the SMTP server from the form's text fields, checking each; the password field
    /// left empty keeps the stored one, and no user means no password. Returns every field
    /// error found.
    pub(crate) fn set_smtp(&mut self, form: &SmtpForm<'_>) -> Vec<FieldError> {
        let mut errors = Vec::new();
        let mut error = |field, key| errors.push(FieldError { field, key });
        let host = form.host.trim();
        if host.len() > 253 || host.contains(|c: char| c.is_whitespace() || c.is_control()) {
            error("smtp_host", "settings.smtp_host_invalid");
        }
        self.smtp.host = host.to_string();
        self.smtp.port = match form.port.trim() {
            "" => None,
            text => match text.parse::<u16>() {
                Ok(port) if port > 0 => Some(port),
                _ => {
                    error("smtp_port", "settings.smtp_port_invalid");
                    None
                }
            },
        };
        match SmtpSecurity::parse(form.security.trim()) {
            Some(security) => self.smtp.security = security,
            None => error("smtp_security", "settings.smtp_security_invalid"),
        }
        let user = form.user.trim();
        if has_control(user) || user.chars().count() > 200 {
            error("smtp_user", "form.control_chars");
        }
        self.smtp.user = user.to_string();
        if has_control(form.password) || form.password.chars().count() > 500 {
            error("smtp_password", "form.control_chars");
        } else if user.is_empty() {
            self.smtp.password = Secret::default();
        } else if !form.password.is_empty() {
            self.smtp.password = Secret(form.password.to_string());
        }
        let from = form.from.trim();
        if from.is_empty() && !host.is_empty() {
            error("smtp_from", "settings.smtp_from_required");
        } else if !from.is_empty() && !valid_address(from) {
            error("smtp_from", "settings.smtp_from_invalid");
        }
        self.smtp.from = from.to_string();
        let url = form.public_url.trim().trim_end_matches('/');
        if !url.is_empty() && !is_http_url(url) {
            error("public_url", "settings.public_url_invalid");
        }
        self.public_url = url.to_string();
        errors
    }

    /// The address links in e-mails start with: the `public_url` setting, else `default`
    /// (the server's own address).
    pub(crate) fn link_base(&self, default: &str) -> String {
        let base = if self.public_url.is_empty() {
            default
        } else {
            &self.public_url
        };
        base.trim_end_matches('/').to_string()
    }

    /// Sets the inbox's watched folder from form text: a path, or empty (off).
    pub(crate) fn set_inbox_folder(&mut self, text: &str) -> Result<()> {
        let folder = text.trim();
        if has_control(folder) || folder.chars().count() > 500 {
            return Err(Error::field(
                "inbox_folder",
                "settings.inbox_folder_invalid",
            ));
        }
        self.inbox_folder = folder.to_string();
        Ok(())
    }

    /// Sets the IMAP mailbox from form text. An empty `password` keeps the saved one (the
    /// form never shows it). With a host, the user and the folder are required.
    pub(crate) fn set_imap(&mut self, form: &ImapForm) -> Result<()> {
        let mut errors = Vec::new();
        let host = form.host.trim();
        if host.chars().count() > 255
            || host.contains(|c: char| c.is_whitespace() || c.is_control())
        {
            errors.push(FieldError {
                field: "imap_host",
                key: "settings.imap_host_invalid",
            });
        }
        let port = form.port.trim();
        let port = match port {
            "" => Some(0),
            p => p.parse::<u16>().ok().filter(|p| *p > 0),
        };
        if port.is_none() {
            errors.push(FieldError {
                field: "imap_port",
                key: "settings.imap_port_invalid",
            });
        }
        let security = ImapSecurity::parse(form.security.trim());
        if security.is_none() {
            errors.push(FieldError {
                field: "imap_security",
                key: "settings.imap_security_invalid",
            });
        }
        let user = form.user.trim();
        let folder = form.folder.trim();
        for (field, value) in [
            ("imap_user", user),
            ("imap_folder", folder),
            ("imap_password", form.password),
        ] {
            if let Some(e) = text_error(field, value, 200, false) {
                errors.push(e);
            }
        }
        if !host.is_empty() {
            if user.is_empty() {
                errors.push(FieldError {
                    field: "imap_user",
                    key: "settings.imap_user_required",
                });
            }
            if folder.is_empty() {
                errors.push(FieldError {
                    field: "imap_folder",
                    key: "settings.imap_folder_required",
                });
            }
        }
        valid((), errors)?;
        self.imap_host = host.to_string();
        self.imap_port = port.unwrap_or(0);
        self.imap_security = security.unwrap_or(ImapSecurity::Tls);
        self.imap_user = user.to_string();
        self.imap_folder = folder.to_string();
        if !form.password.is_empty() {
            self.imap_password = Secret(form.password.to_string());
        }
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

/// The IMAP fields of the settings form, as typed.
#[derive(Debug, Clone, Copy, Default)]
pub(crate) struct ImapForm<'a> {
    pub host: &'a str,
    pub port: &'a str,
    pub security: &'a str,
    pub user: &'a str,
    pub password: &'a str,
    pub folder: &'a str,
}

/// Saves every setting in the caller's transaction.
pub(crate) fn save(tx: &Tx, settings: &Settings) -> rusqlite::Result<()> {
    for (key, value) in settings.pairs() {
        put(tx, key, &value)?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The settings a connection read stay until the database changes: by another
    /// connection, or by this one, committed or not.
    #[test]
    fn settings_read_again_after_any_change() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("crm.db");
        let conn = crate::db::open(&path).unwrap();
        let other = crate::db::open(&path).unwrap();
        assert_eq!(
            load(&conn).unwrap().company_name,
            Settings::default().company_name
        );
        let set = |c: &Connection, name: &str| {
            c.execute(
                "INSERT INTO settings(key, value) VALUES ('company_name', ?1)
                 ON CONFLICT(key) DO UPDATE SET value = excluded.value",
                [name],
            )
            .unwrap();
        };
        set(&other, "Toinen Oy");
        assert_eq!(load(&conn).unwrap().company_name, "Toinen Oy");
        set(&conn, "Oma Oy");
        assert_eq!(load(&conn).unwrap().company_name, "Oma Oy");
        conn.execute_batch("BEGIN").unwrap();
        set(&conn, "Kesken Oy");
        assert_eq!(load(&conn).unwrap().company_name, "Kesken Oy");
        conn.execute_batch("ROLLBACK").unwrap();
        assert_eq!(load(&conn).unwrap().company_name, "Oma Oy");
        assert_eq!(load(&other).unwrap().company_name, "Oma Oy");
    }

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

    fn smtp_form<'a>(user: &'a str, password: &'a str) -> SmtpForm<'a> {
        SmtpForm {
            host: "smtp.example.fi",
            port: "",
            security: "starttls",
            user,
            password,
            from: "crm@example.fi",
            public_url: "https://crm.example.fi/",
        }
    }

    #[test]
    fn the_smtp_password_is_kept_when_left_empty_and_never_printed() {
        let mut s = Settings::default();
        assert!(!s.smtp.configured());
        assert!(s.set_smtp(&smtp_form("crm", "salainen")).is_empty());
        assert!(s.smtp.configured());
        assert_eq!(s.smtp.port(), 587);
        assert_eq!(s.public_url, "https://crm.example.fi");
        assert!(s.set_smtp(&smtp_form("crm", "")).is_empty());
        assert_eq!(s.smtp.password.0, "salainen");
        assert!(!format!("{s:?}").contains("salainen"));
        // No user, no password.
        assert!(s.set_smtp(&smtp_form("", "")).is_empty());
        assert_eq!(s.smtp.password, Secret::default());
        let bad = SmtpForm {
            port: "0",
            security: "ssl",
            from: "crm",
            ..smtp_form("crm", "x\n")
        };
        let fields: Vec<&str> = s.set_smtp(&bad).iter().map(|e| e.field).collect();
        assert_eq!(
            fields,
            ["smtp_port", "smtp_security", "smtp_password", "smtp_from"]
        );
    }

    #[test]
    fn the_imap_mailbox_needs_a_user_and_folder_and_keeps_the_password_unless_one_is_typed() {
        let mut s = Settings::default();
        assert_eq!(s.inbox_folder, "inbox");
        let form = ImapForm {
            host: " imap.example.fi ",
            port: "",
            security: "starttls",
            user: "crm@yritys.fi",
            password: "salainen ä",
            folder: "INBOX",
        };
        s.set_imap(&form).unwrap();
        assert_eq!((s.imap_host.as_str(), s.imap_port), ("imap.example.fi", 0));
        assert_eq!(s.imap_security, ImapSecurity::StartTls);
        s.set_imap(&ImapForm {
            password: "",
            port: "1143",
            ..form
        })
        .unwrap();
        assert_eq!(s.imap_password, Secret("salainen ä".into()));
        assert_eq!(s.imap_port, 1143);
        assert_eq!(format!("{:?}", s.imap_password), "\"***\"");
        let err = s
            .set_imap(&ImapForm {
                user: "",
                folder: " ",
                port: "70000",
                security: "ssl",
                ..form
            })
            .unwrap_err();
        let fields: Vec<&str> = err.fields().iter().map(|e| e.field).collect();
        assert_eq!(
            fields,
            ["imap_port", "imap_security", "imap_user", "imap_folder"]
        );
        assert_eq!(s.imap_port, 1143, "nothing changed");
        let dir = tempfile::tempdir().unwrap();
        let mut conn = crate::db::open(&dir.path().join("s.db")).unwrap();
        crate::db::write(&mut conn, |tx| save(tx, &s)).unwrap();
        assert_eq!(load(&conn).unwrap(), s);
        assert!(s.set_inbox_folder("in\nbox").is_err());
        s.set_inbox_folder("  ").unwrap();
        assert_eq!(s.inbox_folder, "");
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

//! How the server runs: where, with how many workers, and its limits.

use std::path::PathBuf;
use std::time::Duration;

#[derive(Debug, Clone)]
pub struct ServeConfig {
    pub db_path: PathBuf,
    /// `HOST:PORT` to listen on; port 0 picks a free one (the tests use it).
    pub addr: String,
    /// Worker threads answering requests; a slow request holds only its own.
    pub workers: usize,
    /// Largest request body accepted, checked before reading (413 beyond it).
    pub max_body: u64,
    /// Read/write timeout of each connection: a client silent this long is dropped.
    pub io_timeout: Duration,
    /// The longest a connection may take to send a whole request body, however it trickles in
    /// (read on the connection's own thread, never a worker's).
    pub body_deadline: Duration,
    /// Extra `Host` values (`name` or `name:port`) accepted besides the listening address and
    /// the loopback names; needed when the server is reached by a LAN name.
    pub allowed_hosts: Vec<String>,
    /// Marks every cookie `Secure` (sent over HTTPS only): for a server behind a TLS proxy.
    pub secure_cookies: bool,
    /// How often the backup schedule is looked at.
    pub backup_check_every: Duration,
    /// How often the reminder job delivers the reminders whose time has come and sends their
    /// e-mails.
    pub reminder_every: Duration,
    /// The business register's (YTJ) base URL, over the `ytj_url` setting when given; empty
    /// turns the look-up off.
    pub ytj_url: Option<String>,
    /// Adds `GET /_test/panic`, a handler that panics, so the tests can check that a panic is
    /// answered with a 500 and the worker lives on. Never set by the command line.
    pub test_routes: bool,
}

impl ServeConfig {
    pub(crate) const DEFAULT_ADDR: &'static str = "127.0.0.1:8080";
    pub(crate) const DEFAULT_MAX_BODY: u64 = 26 * 1024 * 1024;

    pub fn new(db_path: PathBuf) -> ServeConfig {
        ServeConfig {
            db_path,
            addr: Self::DEFAULT_ADDR.into(),
            workers: 8,
            max_body: Self::DEFAULT_MAX_BODY,
            io_timeout: Duration::from_secs(30),
            body_deadline: Duration::from_secs(300),
            allowed_hosts: Vec::new(),
            secure_cookies: false,
            backup_check_every: Duration::from_secs(600),
            reminder_every: Duration::from_secs(30),
            ytj_url: None,
            test_routes: false,
        }
    }

    /// Where uploads wait while a request reads them: `uploads/` beside the database, on the
    /// same disk as the file they end up in.
    pub(crate) fn spool_dir(&self) -> PathBuf {
        self.db_path
            .parent()
            .filter(|d| !d.as_os_str().is_empty())
            .unwrap_or(std::path::Path::new("."))
            .join("uploads")
    }
}

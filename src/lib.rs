//! minicrm: a customer register for small businesses, in one executable and one SQLite file.
//!
//! `main.rs` only parses the command line; everything else lives here so that the integration
//! tests can start the real server in-process on a free port.

pub mod api;
pub mod assets;
pub mod cli;
pub mod config;
pub mod contacts;
pub mod customers;
pub mod db;
pub mod error;
pub mod exchange;
pub mod home;
pub mod http;
pub mod i18n;
pub mod log;
pub mod settings;
pub mod tags;
pub mod users;
pub mod views;

pub use error::Error;

/// The current time as RFC 3339 UTC text, the form every `*_at` text column holds.
pub fn now_rfc3339() -> String {
    chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
}

/// The current time in unix seconds, for the columns that count seconds.
pub fn now_unix() -> i64 {
    chrono::Utc::now().timestamp()
}

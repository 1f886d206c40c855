//! minicrm: a customer register for small businesses, in one executable and one SQLite file.
//!
//! `main.rs` only parses the command line; everything else lives here so that the integration
//! tests can start the real server in-process on a free port. The layers and where each kind of
//! code goes: `docs/ARCHITECTURE.md`.

/// An enum whose variants each have one text form, declared as one table: the variants, `ALL`
/// in order, `as_str` and `parse` all come from it, so a new variant cannot miss one of them.
macro_rules! keyed_enum {
    ($(#[$meta:meta])* $vis:vis enum $name:ident { $($(#[$vmeta:meta])* $variant:ident = $key:literal,)+ }) => {
        $(#[$meta])*
        $vis enum $name { $($(#[$vmeta])* $variant,)+ }

        impl $name {
            /// Every variant, in declaration order.
            #[allow(dead_code)]
            pub const ALL: &'static [$name] = &[$($name::$variant,)+];

            /// The text form (stored in the database, used in URLs and the API).
            pub fn as_str(self) -> &'static str {
                match self { $($name::$variant => $key,)+ }
            }

            /// The variant of a text form, if it is one.
            pub fn parse(text: &str) -> Option<$name> {
                match text { $($key => Some($name::$variant),)+ _ => None }
            }
        }
    };
}

// Entry points: the command line and the web server with its route tables.
pub mod cli;
pub mod server;

// Features: each owns its tables, pages and API handlers.
mod admin;
pub mod contacts;
pub mod customers;
pub mod documents;
mod exchange;
pub mod home;
mod inbox;
mod privacy;
pub mod tasks;
pub mod users;
mod ytj;

// Core: used by every feature, uses none.
mod assets;
pub mod auth;
pub mod config;
pub mod db;
pub mod error;
pub mod http;
mod i18n;
pub(crate) mod jobs;
pub mod log;
mod mail;
pub mod register;
mod settings;
mod views;

pub(crate) use error::Error;

/// The current time as RFC 3339 UTC text, the form every `*_at` text column holds.
pub(crate) fn now_rfc3339() -> String {
    chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
}

/// The current time in unix seconds, for the columns that count seconds.
pub(crate) fn now_unix() -> i64 {
    chrono::Utc::now().timestamp()
}

//! The request and its answer as every feature sees them: the context (`Ctx`), responses,
//! forms, CSRF, and errors turned into pages or JSON. The server that produces them lives in
//! `server`, above the features.

pub(crate) mod csrf;
pub(crate) mod errors;
pub mod form;
pub(crate) mod multipart;
pub(crate) mod request;
pub(crate) mod response;
pub(crate) mod shown_once;

pub(crate) use request::Ctx;
pub use request::Method;
pub(crate) use response::{BlobRange, Body, Resp};

use std::sync::Arc;

use crate::config::ServeConfig;
use crate::jobs;

/// What every worker shares.
pub(crate) struct App {
    pub config: ServeConfig,
    /// Lower-cased `host:port` values accepted in `Host` and `Origin`.
    pub allowed_hosts: Vec<String>,
    /// Where the app is reached when the `public_url` setting is empty (`http://host:port`,
    /// from the listening address), for links in e-mails.
    pub default_base: String,
    /// The background jobs' last and next runs, written by the jobs' threads.
    pub jobs: Arc<jobs::Health>,
    /// What features above the core hand in to core pages (set by the server).
    pub hooks: Hooks,
    /// Secrets waiting to be shown once on the page after a redirect.
    pub shown_once: shown_once::ShownOnce,
}

/// The record a card shows, for a module that hands in one of its tabs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum CardOf {
    Customer(i64),
    Contact(i64),
}

/// A tab's content, loaded, waiting for the page's frame to be drawn.
pub(crate) type TabView = Box<dyn Fn(&crate::views::Frame) -> maud::Markup>;

/// Loads a card's tab for the record.
pub(crate) type TabHook = fn(&mut Ctx<'_>, CardOf) -> crate::error::Result<TabView>;

/// How many reminders wait for the user (the badge in the header).
pub(crate) type CountHook = fn(&rusqlite::Connection, i64) -> rusqlite::Result<i64>;

/// Features' contributions to the core's pages, so that the core names no feature: the server
/// fills them in at start (`server/run.rs`).
#[derive(Default)]
pub(crate) struct Hooks {
    /// The Tasks tab of the customer and contact cards.
    pub tasks_tab: Option<TabHook>,
    /// The Documents tab of the customer and contact cards.
    pub documents_tab: Option<TabHook>,
    /// The number on the reminder badge.
    pub reminder_count: Option<CountHook>,
}

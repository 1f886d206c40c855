//! The request and its answer as every feature sees them: the context (`Ctx`), responses,
//! forms, CSRF, and errors turned into pages or JSON. The server that produces them lives in
//! `server`, above the features.

pub(crate) mod csrf;
pub(crate) mod errors;
pub mod form;
pub(crate) mod request;
pub(crate) mod response;

pub(crate) use request::Ctx;
pub use request::Method;
pub(crate) use response::{Body, Resp};

use std::sync::Arc;

use crate::config::ServeConfig;
use crate::jobs;

/// What every worker shares.
pub(crate) struct App {
    pub config: ServeConfig,
    /// Lower-cased `host:port` values accepted in `Host` and `Origin`.
    pub allowed_hosts: Vec<String>,
    /// The background jobs' last and next runs, written by the jobs thread.
    pub jobs: Arc<jobs::Health>,
}

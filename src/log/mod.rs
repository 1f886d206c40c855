//! The customer log: events and their search. Storage is here; the log pages and the events API
//! arrive with the log module.

pub mod store;

pub use store::{append, changed, summary_lang, Event, EventKind, NewEvent};

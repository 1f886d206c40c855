//! The customer log: events and their search. `append` is the one way an event is written,
//! always inside the caller's transaction.

pub mod store;
pub(crate) mod view;

pub(crate) use store::{append, changed, summary_lang, NewEvent};
pub use store::{Event, EventKind};

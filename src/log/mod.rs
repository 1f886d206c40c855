//! The customer log: events and their search. `append` is the one way an event is written,
//! always inside the caller's transaction.

pub(crate) mod api;
pub(crate) mod audit;
pub(crate) mod entry;
pub mod filter;
pub(crate) mod names;
pub(crate) mod pages;
pub mod search;
pub(crate) mod sentence;
pub mod store;
pub(crate) mod view;

pub(crate) use sentence::{Change, Sentence};
pub(crate) use store::{append, summary_lang, NewEvent};
pub use store::{Event, EventKind};

//! The inbox: e-mail messages and dropped files turned into incoming documents, fed four ways —
//! an uploaded `.eml`, `POST /api/v1/documents/email`, a watched folder and an IMAP mailbox.
//!
//! The inbox does not store documents itself: it hands each arrival to a caller-given sink
//! (the documents module's store), inside the transaction that also records the arrival here,
//! so that a message is imported exactly once even across a crash.

pub(crate) mod message;

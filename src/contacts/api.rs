//! JSON API of contacts.

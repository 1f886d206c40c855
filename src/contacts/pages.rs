//! Pages of contacts.

//! JSON API of customers.

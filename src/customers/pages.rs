//! Pages of customers.

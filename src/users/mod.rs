//! Users, roles, passwords, sessions, API tokens and login history.

pub mod api;
pub mod pages;
pub mod password;
pub mod session;
pub mod store;

pub use crate::auth::{Role, User, UserId};

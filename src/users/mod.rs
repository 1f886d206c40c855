//! Users, roles, passwords, sessions, API tokens and login history.

pub(crate) mod api;
pub(crate) mod pages;
pub mod password;
pub(crate) mod session;
pub(crate) mod store;

pub(crate) use crate::auth::{Role, User, UserId};

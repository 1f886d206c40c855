//! The web server: tiny_http with a worker pool, the request context, responses, forms,
//! authentication and the one route table.

pub mod auth;
pub mod form;
pub mod request;
pub mod response;
pub mod router;
pub mod server;

pub use request::{Ctx, Method};
pub use response::{Body, Resp};
pub use server::{start, App, Running, StartError};

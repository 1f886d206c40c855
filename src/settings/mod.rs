//! Company-wide settings and the settings pages (company, security, backups).

pub mod pages;
pub mod store;

pub use store::Settings;

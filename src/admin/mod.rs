//! The administrator's pages: company settings, security, backups and background jobs.

pub(crate) mod pages;

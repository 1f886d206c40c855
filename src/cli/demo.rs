//! `minicrm demo-data`: realistic synthetic Finnish small-business data.

use std::path::Path;

use clap::Args;

use super::CliError;

#[derive(Args)]
pub struct DemoArgs {}

pub fn run(_db: &Path, _args: DemoArgs) -> Result<(), CliError> {
    Err(CliError("not built yet".into()))
}

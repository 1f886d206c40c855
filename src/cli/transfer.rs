//! `minicrm import` and `minicrm export`.

use std::path::Path;

use clap::Args;

use super::CliError;

#[derive(Args)]
pub struct ImportArgs {}

#[derive(Args)]
pub struct ExportArgs {}

pub fn import(_db: &Path, _args: ImportArgs) -> Result<(), CliError> {
    Err(CliError("not built yet".into()))
}

pub fn export(_db: &Path, _args: ExportArgs) -> Result<(), CliError> {
    Err(CliError("not built yet".into()))
}

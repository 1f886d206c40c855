//! The command line; its commands and flags are listed in README.md. Each command is a plain
//! function; errors are one sentence on stderr and exit code 1 (clap's usage errors exit 2).

mod admin;
mod demo;
mod serve;
mod transfer;

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand};

#[derive(Parser)]
#[command(
    name = "minicrm",
    version,
    about = "A customer register for small businesses, in one file."
)]
pub(crate) struct Cli {
    /// The database file (default: minicrm.db in the user's data directory).
    #[arg(long, env = "MINICRM_DB", global = true)]
    db: Option<PathBuf>,
    #[command(subcommand)]
    command: Option<Command>,
}

#[derive(Subcommand)]
enum Command {
    /// Start the web app (the default command).
    Serve(serve::ServeArgs),
    /// Manage users.
    #[command(subcommand)]
    User(admin::UserCommand),
    /// Manage API tokens.
    #[command(subcommand)]
    Token(admin::TokenCommand),
    /// Write a consistent copy of the database to DEST, safe while the server runs.
    Backup {
        dest: PathBuf,
        /// Overwrite DEST if it exists.
        #[arg(long)]
        force: bool,
    },
    /// Check the database's integrity; exit 1 with a list of problems.
    Check,
    /// Import customers or contacts from a CSV file (or contacts from a vCard file).
    Import(transfer::ImportArgs),
    /// Export customers, contacts, tasks or the log.
    Export(transfer::ExportArgs),
    /// Fill the database with realistic synthetic data (for trying out and benchmarks).
    DemoData(demo::DemoArgs),
}

/// A command's failure: the sentence to print.
#[derive(Debug)]
pub(crate) struct CliError(pub String);

impl CliError {
    /// Another write held the database longer than a command waits: say so, not "server error".
    pub(crate) fn busy() -> CliError {
        CliError(
            "the database is busy with another write (the server or another minicrm command is \
             importing, merging or saving); nothing was changed. Try again in a moment."
                .into(),
        )
    }
}

impl<E: std::error::Error + 'static> From<E> for CliError {
    fn from(e: E) -> CliError {
        if is_busy(&e) {
            CliError::busy()
        } else {
            CliError(e.to_string())
        }
    }
}

/// Whether an error, or one it was caused by, is a busy database.
fn is_busy(e: &(dyn std::error::Error + 'static)) -> bool {
    let mut cause = Some(e);
    while let Some(e) = cause {
        if e.downcast_ref::<rusqlite::Error>()
            .is_some_and(crate::db::is_busy)
            || matches!(e.downcast_ref::<crate::Error>(), Some(crate::Error::Busy))
        {
            return true;
        }
        cause = e.source();
    }
    false
}

pub fn main() -> ExitCode {
    let cli = Cli::parse();
    env_logger::Builder::from_env(env_logger::Env::new().filter_or("MINICRM_LOG", "info"))
        .format_target(false)
        .init();
    let db = match cli.db.clone().or_else(crate::db::default_path) {
        Some(db) => db,
        None => {
            eprintln!(
                "minicrm: no data directory found for this user; give the database with --db PATH."
            );
            return ExitCode::from(1);
        }
    };
    let result = match cli.command {
        None => serve::run(&db, serve::ServeArgs::from_env()),
        Some(Command::Serve(args)) => serve::run(&db, args),
        Some(Command::User(cmd)) => admin::user(&db, cmd),
        Some(Command::Token(cmd)) => admin::token(&db, cmd),
        Some(Command::Backup { dest, force }) => admin::backup(&db, &dest, force),
        Some(Command::Check) => admin::check(&db),
        Some(Command::Import(args)) => transfer::import(&db, args),
        Some(Command::Export(args)) => transfer::export(&db, args),
        Some(Command::DemoData(args)) => demo::run(&db, args),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(CliError(message)) => {
            eprintln!("minicrm: {message}");
            ExitCode::from(1)
        }
    }
}

//! The administrative commands: users, tokens, backup and check. They work while the server
//! runs: each is one short transaction on the same file.

use std::io::{BufRead, IsTerminal};
use std::path::Path;

use clap::Subcommand;

use super::CliError;
use crate::db;
use crate::error::Error;
use crate::i18n::Lang;
use crate::users::store::{self, NewUser};
use crate::users::Role;

#[derive(Subcommand)]
pub(crate) enum UserCommand {
    /// Create a user. On a new database, an admin made here ends the set-up wizard.
    Add {
        #[arg(long)]
        username: String,
        #[arg(long)]
        name: String,
        #[arg(long, default_value = "")]
        email: String,
        #[arg(long, default_value = "user", value_parser = ["admin", "user", "readonly"])]
        role: String,
        /// Read the password from the first line of stdin instead of prompting.
        #[arg(long)]
        password_stdin: bool,
    },
    /// Set a user's password.
    Passwd {
        username: String,
        #[arg(long)]
        password_stdin: bool,
    },
    /// List the users, one a line.
    List,
}

#[derive(Subcommand)]
pub(crate) enum TokenCommand {
    /// Create an API token for a user and print it (the only time it is shown).
    Create {
        #[arg(long)]
        user: String,
        #[arg(long, default_value = "")]
        name: String,
    },
}

/// A store error as one sentence, in English, field reasons included.
fn sentence(err: Error) -> CliError {
    if matches!(err, Error::Busy) {
        return CliError::busy();
    }
    let reasons: Vec<String> = err
        .fields()
        .iter()
        .map(|f| format!("{}: {}", f.field.replace('_', " "), Lang::En.t(f.key)))
        .collect();
    if reasons.is_empty() {
        CliError(err.message(Lang::En))
    } else {
        CliError(reasons.join("; "))
    }
}

/// The password from stdin's first line, or asked twice on a terminal.
fn read_password(from_stdin: bool) -> Result<(String, String), CliError> {
    if from_stdin {
        let mut line = String::new();
        std::io::stdin().lock().read_line(&mut line)?;
        let password = line.trim_end_matches(['\n', '\r']).to_string();
        return Ok((password.clone(), password));
    }
    if !std::io::stdin().is_terminal() {
        return Err(CliError(
            "no terminal to ask the password on; pipe it in with --password-stdin.".into(),
        ));
    }
    let first = rpassword::prompt_password("Password: ")?;
    let again = rpassword::prompt_password("Password again: ")?;
    Ok((first, again))
}

pub(crate) fn user(db_path: &Path, cmd: UserCommand) -> Result<(), CliError> {
    let mut conn = db::open(db_path)?;
    match cmd {
        UserCommand::Add {
            username,
            name,
            email,
            role,
            password_stdin,
        } => {
            let (password, password_again) = read_password(password_stdin)?;
            let new = NewUser {
                username,
                name,
                email,
                role: Role::parse(role.trim()),
                password,
                password_again,
            };
            let id =
                db::write(&mut conn, |tx| store::create_user(tx, &new, None)).map_err(sentence)?;
            println!("created user {} (id {}, {role})", new.username.trim(), id.0);
        }
        UserCommand::Passwd {
            username,
            password_stdin,
        } => {
            let user = store::user_by_username(&conn, &username)?.ok_or_else(|| {
                CliError(format!(
                    "there is no user {username}; see `minicrm user list`."
                ))
            })?;
            let (password, again) = read_password(password_stdin)?;
            let mut errors = Vec::new();
            store::check_new_password(&password, &again, &mut errors);
            if !errors.is_empty() {
                return Err(sentence(Error::Validation {
                    key: "form.fix_errors",
                    fields: errors,
                }));
            }
            db::write(&mut conn, |tx| {
                store::set_password(tx, user.id, &password, None)
            })
            .map_err(sentence)?;
            println!(
                "password of {} changed; their sessions were ended",
                user.username
            );
        }
        UserCommand::List => {
            let users = store::users_page(&conn, i64::MAX, 0)?;
            if users.is_empty() {
                eprintln!(
                    "minicrm: no users yet: add the first with `minicrm user add`, or open the server in a browser to set it up."
                );
            }
            for u in users {
                let state = if u.active { "active" } else { "inactive" };
                println!(
                    "{}\t{}\t{}\t{}\t{}\t{state}",
                    u.id.0,
                    u.username,
                    u.name,
                    u.email,
                    u.role.as_str()
                );
            }
        }
    }
    Ok(())
}

pub(crate) fn token(db_path: &Path, cmd: TokenCommand) -> Result<(), CliError> {
    let mut conn = db::open(db_path)?;
    let TokenCommand::Create { user, name } = cmd;
    let found = store::user_by_username(&conn, &user)?
        .filter(|u| u.active)
        .ok_or_else(|| {
            CliError(format!(
                "there is no active user {user}; see `minicrm user list`."
            ))
        })?;
    let token =
        db::write(&mut conn, |tx| store::create_token(tx, found.id, &name)).map_err(sentence)?;
    println!(
        "API token for {} (shown only now; send it as `Authorization: Bearer <token>`):",
        found.username
    );
    println!("{token}");
    Ok(())
}

pub(crate) fn backup(db_path: &Path, dest: &Path, force: bool) -> Result<(), CliError> {
    let conn = db::open_read_only(db_path)?;
    if dest.exists() {
        let same = std::fs::canonicalize(dest)? == std::fs::canonicalize(db_path)?;
        if same {
            return Err(CliError(format!(
                "{} is the database itself; choose another file for the backup.",
                dest.display()
            )));
        }
        if !force {
            return Err(CliError(format!(
                "{} already exists; choose another name or add --force to overwrite it.",
                dest.display()
            )));
        }
    }
    // Written beside DEST and renamed into place, so a failed copy never leaves DEST half
    // written or, with --force, gone.
    let name = dest
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let partial = dest.with_file_name(format!(".{name}.partial"));
    let _ = std::fs::remove_file(&partial);
    // `VACUUM INTO` writes only the copy, but `query_only` refuses it all the same.
    conn.pragma_update(None, "query_only", false)?;
    db::backup::write_copy(&conn, &partial)
        .map_err(|e| CliError(format!("could not write {}: {e}", dest.display())))?;
    std::fs::rename(&partial, dest)?;
    let size = std::fs::metadata(dest)?.len();
    println!("backup written to {} ({size} bytes)", dest.display());
    Ok(())
}

/// Every problem `check` finds, as sentences.
pub(crate) fn problems(conn: &rusqlite::Connection) -> rusqlite::Result<Vec<String>> {
    let mut problems = Vec::new();
    let mut stmt = conn.prepare("PRAGMA integrity_check")?;
    for row in stmt.query_map([], |r| r.get::<_, String>(0))? {
        let row = row?;
        if row != "ok" {
            problems.push(format!("integrity: {row}"));
        }
    }
    let mut stmt = conn.prepare("PRAGMA foreign_key_check")?;
    for row in stmt.query_map([], |r| {
        Ok((
            r.get::<_, String>(0)?,
            r.get::<_, Option<i64>>(1)?,
            r.get::<_, String>(2)?,
        ))
    })? {
        let (table, rowid, parent) = row?;
        problems.push(format!(
            "foreign key: row {} of {table} points to a missing {parent}",
            rowid.unwrap_or(0)
        ));
    }
    let version = db::schema_version(conn)?;
    if version != db::SCHEMA_VERSION {
        problems.push(format!(
            "schema version is {version}, this minicrm expects {}; start the server once to upgrade it",
            db::SCHEMA_VERSION
        ));
    }
    Ok(problems)
}

pub(crate) fn check(db_path: &Path) -> Result<(), CliError> {
    let conn = db::open_read_only(db_path)?;
    let problems = problems(&conn)?;
    if problems.is_empty() {
        println!(
            "{}: all is well (schema version {})",
            db_path.display(),
            db::SCHEMA_VERSION
        );
        Ok(())
    } else {
        for p in &problems {
            println!("{p}");
        }
        Err(CliError(format!(
            "{} problem(s) found in {}",
            problems.len(),
            db_path.display()
        )))
    }
}

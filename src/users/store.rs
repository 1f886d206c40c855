//! SQL for users, sessions, API tokens and login attempts. Tokens are 32 random bytes; only
//! their SHA-256 is stored, so a copy of the database does not hand out logins.

use rusqlite::{params, Connection, OptionalExtension, Row};

use super::{password, Role, User, UserId};
use crate::auth::{random_hex, token_hash, Session};
use crate::db::Tx;
use crate::error::{has_control, Error, FieldError, Result};
use crate::i18n::Lang;
use crate::log::{self, Change, EventKind, NewEvent, Sentence};

const USER_COLUMNS: &str = "id, username, name, email, role, active, language";

fn user_from_row(r: &Row) -> rusqlite::Result<User> {
    user_at(r, 0)
}

/// A user from `USER_COLUMNS` starting at column `i` of a row.
fn user_at(r: &Row, i: usize) -> rusqlite::Result<User> {
    let role: String = r.get(i + 4)?;
    let language: Option<String> = r.get(i + 6)?;
    Ok(User {
        id: UserId(r.get(i)?),
        username: r.get(i + 1)?,
        name: r.get(i + 2)?,
        email: r.get(i + 3)?,
        role: Role::parse(&role).unwrap_or(Role::Readonly),
        active: r.get(i + 5)?,
        language: language.and_then(|l| Lang::parse(&l)),
    })
}

/// `USER_COLUMNS` qualified with the `u.` alias, for joins.
fn user_columns_u() -> String {
    USER_COLUMNS
        .split(", ")
        .map(|c| format!("u.{c}"))
        .collect::<Vec<_>>()
        .join(", ")
}

/// What a form or the CLI gives to create a user.
#[derive(Debug, Clone, Default)]
pub(crate) struct NewUser {
    pub username: String,
    pub name: String,
    pub email: String,
    pub role: Option<Role>,
    pub password: String,
    pub password_again: String,
}

/// What an admin may change about a user.
#[derive(Debug, Clone)]
pub(crate) struct UserEdit {
    pub name: String,
    pub email: String,
    pub role: Role,
    pub active: bool,
}

fn check_username(username: &str) -> Option<&'static str> {
    let ok_char = |c: char| c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-' | '@');
    if username.is_empty() {
        Some("users.username_required")
    } else if username.len() > 64 || !username.chars().all(ok_char) {
        Some("users.username_invalid")
    } else {
        None
    }
}

fn check_name_and_email(name: &str, email: &str, errors: &mut Vec<FieldError>) {
    if name.trim().is_empty() {
        errors.push(FieldError {
            field: "name",
            key: "users.name_required",
        });
    } else if has_control(name.trim()) {
        errors.push(FieldError {
            field: "name",
            key: "form.control_chars",
        });
    } else if name.chars().count() > 200 {
        errors.push(FieldError {
            field: "name",
            key: "users.name_too_long",
        });
    }
    if !email.is_empty()
        && (email.len() > 254
            || !email.contains('@')
            || email.contains(char::is_whitespace)
            || has_control(email))
    {
        errors.push(FieldError {
            field: "email",
            key: "users.email_invalid",
        });
    }
}

fn invalid(fields: Vec<FieldError>) -> Result<()> {
    if fields.is_empty() {
        Ok(())
    } else {
        Err(Error::Validation {
            key: "form.fix_errors",
            fields,
        })
    }
}

/// Checks a new password and its repetition.
pub(crate) fn check_new_password(password: &str, again: &str, errors: &mut Vec<FieldError>) {
    if let Err(key) = password::check_strength(password) {
        errors.push(FieldError {
            field: "password",
            key,
        });
    } else if password != again {
        errors.push(FieldError {
            field: "password_again",
            key: "users.passwords_differ",
        });
    }
}

/// Creates a user after checking every field; a taken username is a conflict on `username`.
pub(crate) fn create_user(tx: &Tx, new: &NewUser, by: Option<UserId>) -> Result<UserId> {
    let username = new.username.trim();
    let mut errors = Vec::new();
    if let Some(key) = check_username(username) {
        errors.push(FieldError {
            field: "username",
            key,
        });
    }
    check_name_and_email(&new.name, new.email.trim(), &mut errors);
    if new.role.is_none() {
        errors.push(FieldError {
            field: "role",
            key: "users.role_invalid",
        });
    }
    check_new_password(&new.password, &new.password_again, &mut errors);
    invalid(errors)?;
    if user_by_username(tx, username)?.is_some() {
        return Err(Error::Conflict {
            key: "users.username_taken",
            fields: vec![FieldError {
                field: "username",
                key: "users.username_taken",
            }],
        });
    }
    let hash = password::hash(&new.password)?;
    let now = crate::now_rfc3339();
    let role = new.role.unwrap_or(Role::User);
    tx.execute(
        "INSERT INTO users (username, name, email, role, password_hash, created_at, updated_at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?6)",
        params![
            username,
            new.name.trim(),
            new.email.trim(),
            role.as_str(),
            hash,
            now
        ],
    )?;
    let id = UserId(tx.last_insert_rowid());
    let summary = Sentence::new("summary.user_created")
        .text("username", username)
        .text("name", new.name.trim())
        .key("role", role.key());
    let mut event = NewEvent::said(EventKind::UserCreated, summary);
    event.user_id = by.or(Some(id)).map(|u| u.0);
    log::append(tx, &event)?;
    Ok(id)
}

/// Changes a user's details. Refuses to leave the register without an active admin.
pub(crate) fn update_user(tx: &Tx, id: UserId, edit: &UserEdit, by: UserId) -> Result<()> {
    let before = user_by_id(tx, id)?.ok_or(Error::NotFound)?;
    let mut errors = Vec::new();
    check_name_and_email(&edit.name, edit.email.trim(), &mut errors);
    invalid(errors)?;
    let loses_admin =
        before.role == Role::Admin && before.active && (edit.role != Role::Admin || !edit.active);
    if loses_admin && active_admin_count(tx)? <= 1 {
        return Err(Error::field("role", "users.last_admin"));
    }
    tx.execute(
        "UPDATE users SET name = ?2, email = ?3, role = ?4, active = ?5, updated_at = ?6 WHERE id = ?1",
        params![id.0, edit.name.trim(), edit.email.trim(), edit.role.as_str(), edit.active, crate::now_rfc3339()],
    )?;
    if !edit.active {
        tx.execute("DELETE FROM sessions WHERE user_id = ?1", [id.0])?;
    }
    let mut changes = Vec::new();
    let mut changed = |label: &str, from: &str, to: &str| {
        if from != to {
            changes.push(Change::value(label, from, to));
        }
    };
    changed("users.name", &before.name, edit.name.trim());
    changed("users.email", &before.email, edit.email.trim());
    if before.role != edit.role {
        changes.push(Change::keys(
            "users.role",
            before.role.key(),
            edit.role.key(),
        ));
    }
    if before.active != edit.active {
        let key = if edit.active {
            "summary.reactivated"
        } else {
            "summary.deactivated"
        };
        changes.push(Change::said(key));
    }
    if !changes.is_empty() {
        let summary = Sentence::new("summary.user_updated")
            .text("username", &before.username)
            .changes("changes", changes);
        log::append(
            tx,
            &NewEvent::said(EventKind::UserUpdated, summary).by(by.0),
        )?;
    }
    Ok(())
}

/// Sets a new password (already checked) and ends the user's other sessions.
pub(crate) fn set_password(
    tx: &Tx,
    id: UserId,
    new_password: &str,
    keep_session: Option<&[u8]>,
) -> Result<()> {
    let hash = password::hash(new_password)?;
    let changed = tx.execute(
        "UPDATE users SET password_hash = ?2, updated_at = ?3 WHERE id = ?1",
        params![id.0, hash, crate::now_rfc3339()],
    )?;
    if changed == 0 {
        return Err(Error::NotFound);
    }
    tx.execute(
        "DELETE FROM sessions WHERE user_id = ?1 AND token_hash IS NOT ?2",
        params![id.0, keep_session],
    )?;
    let username = user_by_id(tx, id)?.map(|u| u.username).unwrap_or_default();
    let summary = Sentence::new("summary.password_changed").text("username", &username);
    let event = NewEvent::said(EventKind::UserUpdated, summary);
    log::append(tx, &event.by(id.0))?;
    Ok(())
}

pub(crate) fn set_language(tx: &Tx, id: UserId, lang: Option<Lang>) -> Result<()> {
    tx.execute(
        "UPDATE users SET language = ?2, updated_at = ?3 WHERE id = ?1",
        params![id.0, lang.map(Lang::code), crate::now_rfc3339()],
    )?;
    Ok(())
}

pub(crate) fn user_by_id(conn: &Connection, id: UserId) -> rusqlite::Result<Option<User>> {
    conn.prepare_cached(&format!("SELECT {USER_COLUMNS} FROM users WHERE id = ?1"))?
        .query_row([id.0], user_from_row)
        .optional()
}

pub(crate) fn user_by_username(
    conn: &Connection,
    username: &str,
) -> rusqlite::Result<Option<User>> {
    conn.prepare_cached(&format!(
        "SELECT {USER_COLUMNS} FROM users WHERE username = ?1"
    ))?
    .query_row([username.trim()], user_from_row)
    .optional()
}

/// The user and their password hash, for a login.
fn user_with_hash(conn: &Connection, username: &str) -> rusqlite::Result<Option<(User, String)>> {
    conn.prepare_cached(&format!(
        "SELECT {USER_COLUMNS}, password_hash FROM users WHERE username = ?1"
    ))?
    .query_row([username.trim()], |r| Ok((user_from_row(r)?, r.get(7)?)))
    .optional()
}

/// Users ordered by name, one page of them.
pub(crate) fn users_page(
    conn: &Connection,
    limit: i64,
    offset: i64,
) -> rusqlite::Result<Vec<User>> {
    conn.prepare_cached(&format!(
        "SELECT {USER_COLUMNS} FROM users ORDER BY name COLLATE NOCASE, id LIMIT ?1 OFFSET ?2"
    ))?
    .query_map([limit, offset], user_from_row)?
    .collect()
}

/// Whether the register has an active administrator; until it has, it is in set-up mode.
pub(crate) fn any_admin(conn: &Connection) -> rusqlite::Result<bool> {
    // Asked on every request: cached, so not parsed each time.
    conn.prepare_cached("SELECT EXISTS (SELECT 1 FROM users WHERE role = 'admin' AND active = 1)")?
        .query_row([], |r| r.get(0))
}

fn active_admin_count(conn: &Connection) -> rusqlite::Result<i64> {
    conn.query_row(
        "SELECT count(*) FROM users WHERE role = 'admin' AND active = 1",
        [],
        |r| r.get(0),
    )
}

/// Checks a username and password. `Ok(None)` for a wrong pair or an inactive user.
pub(crate) fn check_login(
    conn: &Connection,
    username: &str,
    password: &str,
) -> rusqlite::Result<Option<User>> {
    match user_with_hash(conn, username)? {
        Some((user, hash)) => {
            Ok((password::verify(password, &hash) && user.active).then_some(user))
        }
        None => {
            password::verify(password, password::dummy_hash());
            Ok(None)
        }
    }
}

// ---- sessions ----

/// Starts a session and returns its cookie token (shown to the browser once, stored hashed).
pub(crate) fn create_session(tx: &Tx, user: UserId, remember: bool) -> rusqlite::Result<String> {
    let token = random_hex(32);
    let now = crate::now_unix();
    tx.execute(
        "INSERT INTO sessions (token_hash, user_id, csrf_token, remember, created_at, last_seen_at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?5)",
        params![token_hash(&token), user.0, random_hex(32), remember, now],
    )?;
    Ok(token)
}

/// The session for a cookie token and its active user, if the session exists.
pub(crate) fn session_by_token(
    conn: &Connection,
    token: &str,
) -> rusqlite::Result<Option<(Session, User)>> {
    conn.prepare_cached(&format!(
        "SELECT s.token_hash, s.csrf_token, s.remember, s.created_at, s.last_seen_at,
                {}
         FROM sessions s JOIN users u ON u.id = s.user_id
         WHERE s.token_hash = ?1 AND u.active = 1",
        user_columns_u()
    ))?
    .query_row([token_hash(token)], |r| {
        let session = Session {
            token_hash: r.get(0)?,
            csrf_token: r.get(1)?,
            remember: r.get(2)?,
            created_at: r.get(3)?,
            last_seen_at: r.get(4)?,
        };
        Ok((session, user_at(r, 5)?))
    })
    .optional()
}

pub(crate) fn touch_session(
    conn: &Connection,
    token_hash: &[u8],
    now: i64,
) -> rusqlite::Result<()> {
    conn.execute(
        "UPDATE sessions SET last_seen_at = ?2 WHERE token_hash = ?1",
        params![token_hash, now],
    )?;
    Ok(())
}

pub(crate) fn delete_session(conn: &Connection, token_hash: &[u8]) -> rusqlite::Result<()> {
    conn.execute("DELETE FROM sessions WHERE token_hash = ?1", [token_hash])?;
    Ok(())
}

/// Removes sessions that have expired, so the table does not grow without end.
pub(crate) fn delete_expired_sessions(
    conn: &Connection,
    idle_before: i64,
    remembered_before: i64,
) -> rusqlite::Result<usize> {
    conn.execute(
        "DELETE FROM sessions WHERE (remember = 0 AND last_seen_at < ?1) OR (remember = 1 AND created_at < ?2)",
        params![idle_before, remembered_before],
    )
}

// ---- API tokens ----

#[derive(Debug, Clone)]
pub(crate) struct ApiToken {
    pub id: i64,
    pub name: String,
    pub created_at: String,
    pub last_used_at: Option<String>,
}

/// Creates an API token for a user and returns it; this is the only time it is readable.
pub(crate) fn create_token(tx: &Tx, user: UserId, name: &str) -> Result<String> {
    if name.chars().count() > 100 {
        return Err(Error::field("name", "tokens.name_too_long"));
    }
    if has_control(name.trim()) {
        return Err(Error::field("name", "form.control_chars"));
    }
    let token = format!("mcrm_{}", random_hex(32));
    tx.execute(
        "INSERT INTO api_tokens (user_id, name, token_hash, created_at) VALUES (?1, ?2, ?3, ?4)",
        params![
            user.0,
            name.trim(),
            token_hash(&token),
            crate::now_rfc3339()
        ],
    )?;
    Ok(token)
}

pub(crate) fn tokens_of(conn: &Connection, user: UserId) -> rusqlite::Result<Vec<ApiToken>> {
    conn.prepare_cached("SELECT id, name, created_at, last_used_at FROM api_tokens WHERE user_id = ?1 ORDER BY id DESC")?
        .query_map([user.0], |r| {
            Ok(ApiToken {
                id: r.get(0)?,
                name: r.get(1)?,
                created_at: r.get(2)?,
                last_used_at: r.get(3)?,
            })
        })?
        .collect()
}

pub(crate) fn delete_token(tx: &Tx, user: UserId, id: i64) -> Result<()> {
    match tx.execute(
        "DELETE FROM api_tokens WHERE id = ?1 AND user_id = ?2",
        params![id, user.0],
    )? {
        0 => Err(Error::NotFound),
        _ => Ok(()),
    }
}

/// The active user a bearer token belongs to, and the token's id when its last use is due to
/// be recorded (at most once a minute; see [`touch_token`]).
pub(crate) fn user_by_token(
    conn: &Connection,
    token: &str,
) -> rusqlite::Result<Option<(User, Option<i64>)>> {
    let hash = token_hash(token);
    let found = conn
        .prepare_cached(&format!(
            "SELECT t.id, t.last_used_at, {} FROM api_tokens t JOIN users u ON u.id = t.user_id
             WHERE t.token_hash = ?1 AND u.active = 1",
            user_columns_u()
        ))?
        .query_row([&hash], |r| {
            let id: i64 = r.get(0)?;
            let last: Option<String> = r.get(1)?;
            Ok((id, last, user_at(r, 2)?))
        })
        .optional()?;
    let Some((id, last, user)) = found else {
        return Ok(None);
    };
    let now = crate::now_rfc3339();
    // RFC 3339 text compares in time order; the first 16 characters are the minute.
    let due = last.as_deref().map(|l| &l[..l.len().min(16)]) != Some(&now[..16]);
    Ok(Some((user, due.then_some(id))))
}

/// Records that a token was used now.
pub(crate) fn touch_token(conn: &Connection, id: i64) -> rusqlite::Result<()> {
    conn.prepare_cached("UPDATE api_tokens SET last_used_at = ?2 WHERE id = ?1")?
        .execute(params![id, crate::now_rfc3339()])?;
    Ok(())
}

// ---- login attempts ----

#[derive(Debug, Clone)]
pub(crate) struct LoginAttempt {
    pub at: i64,
    pub username: String,
    pub ip: String,
    pub success: bool,
}

/// Records a login attempt and returns its id.
pub(crate) fn record_attempt(
    conn: &Connection,
    username: &str,
    user: Option<UserId>,
    ip: &str,
    success: bool,
) -> rusqlite::Result<i64> {
    let username: String = username.trim().chars().take(100).collect();
    conn.execute(
        "INSERT INTO login_attempts (at, username, user_id, ip, success) VALUES (?1, ?2, ?3, ?4, ?5)",
        params![crate::now_unix(), username, user.map(|u| u.0), ip, success],
    )?;
    Ok(conn.last_insert_rowid())
}

/// Turns an attempt recorded as failed before its password check into a success.
pub(crate) fn attempt_succeeded(
    conn: &Connection,
    attempt: i64,
    user: UserId,
) -> rusqlite::Result<()> {
    conn.execute(
        "UPDATE login_attempts SET success = 1, user_id = ?2 WHERE id = ?1",
        params![attempt, user.0],
    )?;
    Ok(())
}

/// Failed attempts for a username and for an IP since `since` (unix seconds), each counted
/// from its last successful login.
pub(crate) fn recent_failures(
    conn: &Connection,
    username: &str,
    ip: &str,
    since: i64,
) -> rusqlite::Result<(i64, i64)> {
    let by_user = conn
        .prepare_cached(
            "SELECT count(*) FROM login_attempts WHERE username = ?1 AND success = 0 AND at >= max(?2,
               coalesce((SELECT max(at) FROM login_attempts WHERE username = ?1 AND success = 1), 0))",
        )?
        .query_row(params![username.trim(), since], |r| r.get(0))?;
    let by_ip = conn
        .prepare_cached(
            "SELECT count(*) FROM login_attempts WHERE ip = ?1 AND success = 0 AND at >= max(?2,
               coalesce((SELECT max(at) FROM login_attempts WHERE ip = ?1 AND success = 1), 0))",
        )?
        .query_row(params![ip, since], |r| r.get(0))?;
    Ok((by_user, by_ip))
}

/// Login history, newest first.
pub(crate) fn login_history(
    conn: &Connection,
    limit: i64,
    offset: i64,
) -> rusqlite::Result<Vec<LoginAttempt>> {
    conn.prepare_cached(
        "SELECT at, username, ip, success FROM login_attempts ORDER BY id DESC LIMIT ?1 OFFSET ?2",
    )?
    .query_map([limit, offset], |r| {
        Ok(LoginAttempt {
            at: r.get(0)?,
            username: r.get(1)?,
            ip: r.get(2)?,
            success: r.get(3)?,
        })
    })?
    .collect()
}

/// Makes the user a new calendar feed token, replacing the old one (whose link stops
/// working), and returns it: shown once, stored as its hash.
pub(crate) fn set_calendar_token(tx: &Tx, user: UserId) -> Result<String> {
    let token = format!("cal_{}", random_hex(20));
    tx.execute(
        "UPDATE users SET calendar_token_hash = ?2 WHERE id = ?1",
        params![user.0, token_hash(&token)],
    )?;
    Ok(token)
}

/// Whether the user has a calendar feed link.
pub(crate) fn has_calendar_token(conn: &Connection, user: UserId) -> rusqlite::Result<bool> {
    conn.prepare_cached("SELECT calendar_token_hash IS NOT NULL FROM users WHERE id = ?1")?
        .query_row([user.0], |r| r.get(0))
}

/// The active user (id and name) whose calendar feed token this is.
pub(crate) fn by_calendar_token(
    conn: &Connection,
    token: &str,
) -> rusqlite::Result<Option<(UserId, String)>> {
    conn.prepare_cached("SELECT id, name FROM users WHERE calendar_token_hash = ?1 AND active = 1")?
        .query_row([token_hash(token)], |r| Ok((UserId(r.get(0)?), r.get(1)?)))
        .optional()
}

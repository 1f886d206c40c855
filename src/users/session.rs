//! Who is asking: the browser's session or the API client's bearer token, and the login with
//! its brute-force lockout.

use super::store;
use super::User;
use crate::error::{Error, Result};
use crate::http::csrf::clear_cookie;
use crate::http::request::{Ctx, SESSION_COOKIE};

/// Finds the session of the browser's cookie, ending it when expired.
pub(crate) fn resolve_session(ctx: &mut Ctx) -> Result<()> {
    let Some(token) = ctx.cookie(SESSION_COOKIE).map(str::to_string) else {
        return Ok(());
    };
    let Some((session, user)) = store::session_by_token(ctx.conn, &token)? else {
        ctx.cookies_out.push(clear_cookie(SESSION_COOKIE));
        return Ok(());
    };
    let now = crate::now_unix();
    let expired = if session.remember {
        now - session.created_at > i64::from(ctx.settings.remember_days) * 86_400
    } else {
        now - session.last_seen_at > i64::from(ctx.settings.session_idle_hours) * 3_600
    };
    if expired {
        // Bookkeeping: when another write holds the database, the row is left for the
        // clean-up job; the browser is logged out all the same.
        crate::db::try_write(ctx.conn, |tx| {
            store::delete_session(tx, &session.token_hash)
        })?;
        ctx.cookies_out.push(clear_cookie(SESSION_COOKIE));
        return Ok(());
    }
    // One write a minute at most, not one per page view; skipped, never waited for, while
    // another write holds the database, so a page view never waits or fails on it.
    if now - session.last_seen_at >= 60 {
        crate::db::try_write(ctx.conn, |tx| {
            store::touch_session(tx, &session.token_hash, now)
        })?;
    }
    ctx.user = Some(user);
    ctx.session = Some(session);
    Ok(())
}

/// Finds the user of an `Authorization: Bearer` token; a missing or bad token is a 401.
pub(crate) fn resolve_bearer(ctx: &mut Ctx) -> Result<()> {
    let header = ctx.header("authorization").unwrap_or("").trim().to_string();
    let token = header
        .strip_prefix("Bearer ")
        .or_else(|| header.strip_prefix("bearer "))
        .map(str::trim)
        .filter(|t| !t.is_empty())
        .ok_or(Error::Unauthorized)?;
    let (user, token_id) = store::user_by_token(ctx.conn, token)?.ok_or(Error::Unauthorized)?;
    // The token's last use is recorded at most once a minute, and skipped (never waited for)
    // while another write holds the database.
    if let Some(id) = token_id {
        crate::db::try_write(ctx.conn, |tx| store::touch_token(tx, id))?;
    }
    ctx.user = Some(user);
    Ok(())
}

/// Why a login failed; each has its own message.
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum LoginError {
    Wrong,
    LockedOut { minutes: u32 },
}

/// Checks a login against the lockout and the password, records the attempt, and on success
/// starts a session and sets its cookie.
///
/// The lockout is atomic: one short IMMEDIATE transaction counts the recent failures and records
/// this attempt as failed before the password is checked, so of any number of parallel attempts
/// at most `lockout_attempts` get a real check. The slow argon2 check runs outside the write
/// lock; a success then turns its own row into a success.
pub(crate) fn login(
    ctx: &mut Ctx,
    username: &str,
    password: &str,
    remember: bool,
) -> Result<Result<User, LoginError>> {
    let settings = &ctx.settings;
    let since = crate::now_unix() - i64::from(settings.lockout_minutes) * 60;
    let limit = i64::from(settings.lockout_attempts);
    let ip = ctx.ip.clone();
    let (attempt, locked) = crate::db::write(ctx.conn, |tx| {
        let (by_user, by_ip) = store::recent_failures(tx, username, &ip, since)?;
        let attempt = store::record_attempt(tx, username, None, &ip, false)?;
        Ok::<_, Error>((attempt, by_user >= limit || by_ip >= limit))
    })?;
    if locked {
        let minutes = settings.lockout_minutes;
        return Ok(Err(LoginError::LockedOut { minutes }));
    }
    let Some(user) = store::check_login(ctx.conn, username, password)? else {
        return Ok(Err(LoginError::Wrong));
    };
    let remember_days = settings.remember_days;
    let token = crate::db::write(ctx.conn, |tx| {
        store::attempt_succeeded(tx, attempt, user.id)?;
        store::create_session(tx, user.id, remember)
    })?;
    let max_age = if remember {
        format!("; Max-Age={}", u64::from(remember_days) * 86_400)
    } else {
        String::new()
    };
    ctx.cookies_out.push(format!(
        "{SESSION_COOKIE}={token}; Path=/; HttpOnly; SameSite=Lax{max_age}"
    ));
    Ok(Ok(user))
}

/// Ends the current session.
pub(crate) fn logout(ctx: &mut Ctx) -> Result<()> {
    if let Some(session) = ctx.session.take() {
        crate::db::write(ctx.conn, |tx| {
            store::delete_session(tx, &session.token_hash)
        })?;
    }
    ctx.user = None;
    ctx.cookies_out.push(clear_cookie(SESSION_COOKIE));
    Ok(())
}

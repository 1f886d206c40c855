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
        crate::db::write(ctx.conn, |tx| {
            store::delete_session(tx, &session.token_hash)
        })?;
        ctx.cookies_out.push(clear_cookie(SESSION_COOKIE));
        return Ok(());
    }
    // One write a minute at most, not one per page view.
    if now - session.last_seen_at >= 60 {
        crate::db::write(ctx.conn, |tx| {
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
    ctx.user = Some(store::user_by_token(ctx.conn, token)?.ok_or(Error::Unauthorized)?);
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
pub(crate) fn login(
    ctx: &mut Ctx,
    username: &str,
    password: &str,
    remember: bool,
) -> Result<Result<User, LoginError>> {
    let settings = &ctx.settings;
    let since = crate::now_unix() - i64::from(settings.lockout_minutes) * 60;
    let (by_user, by_ip) = store::recent_failures(ctx.conn, username, &ctx.ip, since)?;
    let limit = i64::from(settings.lockout_attempts);
    let ip = ctx.ip.clone();
    let failed = |conn: &mut rusqlite::Connection| {
        crate::db::write(conn, |tx| {
            store::record_attempt(tx, username, None, &ip, false)
        })
    };
    if by_user >= limit || by_ip >= limit {
        let minutes = settings.lockout_minutes;
        failed(ctx.conn)?;
        return Ok(Err(LoginError::LockedOut { minutes }));
    }
    let Some(user) = store::check_login(ctx.conn, username, password)? else {
        failed(ctx.conn)?;
        return Ok(Err(LoginError::Wrong));
    };
    let remember_days = settings.remember_days;
    let token = crate::db::write(ctx.conn, |tx| {
        store::record_attempt(tx, username, Some(user.id), &ctx.ip, true)?;
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

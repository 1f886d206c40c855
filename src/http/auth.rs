//! Who is asking: Host and Origin checks, sessions, bearer tokens, CSRF, the login with its
//! brute-force lockout, and the language of the answer.

use std::net::SocketAddr;

use super::form::Form;
use super::request::{Ctx, ANON_CSRF_COOKIE, SESSION_COOKIE};
use crate::error::{Error, Result};
use crate::i18n::Lang;
use crate::users::store;
use crate::users::User;

/// The `Host` values the server answers to: the listening address, loopback names when it
/// listens on loopback or on all interfaces, and the configured extra names.
pub fn allowed_hosts(bound: SocketAddr, configured_addr: &str, extra: &[String]) -> Vec<String> {
    let port = bound.port();
    let mut hosts = vec![bound.to_string()];
    if bound.ip().is_loopback() || bound.ip().is_unspecified() {
        hosts.extend([
            format!("localhost:{port}"),
            format!("127.0.0.1:{port}"),
            format!("[::1]:{port}"),
        ]);
    }
    if let Some((name, _)) = configured_addr.rsplit_once(':') {
        hosts.push(format!("{name}:{port}"));
    }
    for name in extra {
        let name = name.trim();
        if name.is_empty() {
            continue;
        }
        if name
            .rsplit_once(':')
            .is_some_and(|(_, p)| p.parse::<u16>().is_ok())
            && !name.ends_with(']')
        {
            hosts.push(name.to_string());
        } else {
            hosts.push(format!("{name}:{port}"));
        }
    }
    if port == 80 {
        let bare: Vec<String> = hosts
            .iter()
            .filter_map(|h| h.strip_suffix(":80").map(String::from))
            .collect();
        hosts.extend(bare);
    }
    let mut hosts: Vec<String> = hosts.into_iter().map(|h| h.to_ascii_lowercase()).collect();
    hosts.sort();
    hosts.dedup();
    hosts
}

/// Refuses a request whose `Host` is not ours (DNS rebinding), and a write whose `Origin` is
/// another site's.
pub fn check_host_and_origin(ctx: &Ctx) -> Result<()> {
    let allowed = &ctx.app.allowed_hosts;
    let host = ctx.header("host").unwrap_or("").trim().to_ascii_lowercase();
    if !allowed.contains(&host) {
        return Err(Error::BadHost);
    }
    if ctx.method.is_write() {
        if let Some(origin) = ctx.header("origin") {
            let origin = origin.trim().to_ascii_lowercase();
            let ok = origin
                .strip_prefix("http://")
                .or_else(|| origin.strip_prefix("https://"))
                .is_some_and(|h| allowed.iter().any(|a| a == h));
            if !ok {
                return Err(Error::Csrf);
            }
        }
    }
    Ok(())
}

/// Finds the session of the browser's cookie, ending it when expired.
pub fn resolve_session(ctx: &mut Ctx) -> Result<()> {
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
pub fn resolve_bearer(ctx: &mut Ctx) -> Result<()> {
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

/// The user's own language, else the browser's, else the company default.
pub fn choose_lang(ctx: &Ctx) -> Lang {
    ctx.user
        .as_ref()
        .and_then(|u| u.language)
        .or_else(|| {
            ctx.header("accept-language")
                .and_then(Lang::from_accept_language)
        })
        .unwrap_or(ctx.settings.default_language)
}

/// Checks the form's `csrf` field against the session's token, or before a login against the
/// double-submit cookie. Compared in constant time.
pub fn check_csrf(ctx: &Ctx, form: &Form) -> Result<()> {
    let expected = match &ctx.session {
        Some(session) => Some(session.csrf_token.as_str()),
        None => ctx.cookie(ANON_CSRF_COOKIE),
    };
    let given = form.get("csrf");
    match expected {
        Some(expected)
            if !given.is_empty() && constant_time_eq(expected.as_bytes(), given.as_bytes()) =>
        {
            Ok(())
        }
        _ => Err(Error::Csrf),
    }
}

fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

pub fn clear_cookie(name: &str) -> String {
    format!("{name}=; Path=/; Max-Age=0; HttpOnly; SameSite=Lax")
}

/// Why a login failed; each has its own message.
#[derive(Debug, PartialEq, Eq)]
pub enum LoginError {
    Wrong,
    LockedOut { minutes: u32 },
}

/// Checks a login against the lockout and the password, records the attempt, and on success
/// starts a session and sets its cookie.
pub fn login(
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
pub fn logout(ctx: &mut Ctx) -> Result<()> {
    if let Some(session) = ctx.session.take() {
        crate::db::write(ctx.conn, |tx| {
            store::delete_session(tx, &session.token_hash)
        })?;
    }
    ctx.user = None;
    ctx.cookies_out.push(clear_cookie(SESSION_COOKIE));
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn loopback_server_answers_to_loopback_names_only() {
        let hosts = allowed_hosts("127.0.0.1:8080".parse().unwrap(), "127.0.0.1:8080", &[]);
        assert!(hosts.contains(&"localhost:8080".to_string()));
        assert!(hosts.contains(&"127.0.0.1:8080".to_string()));
        assert!(!hosts.iter().any(|h| h.contains("evil")));
        let hosts = allowed_hosts(
            "0.0.0.0:80".parse().unwrap(),
            "0.0.0.0:80",
            &["crm.example.fi".into()],
        );
        assert!(hosts.contains(&"crm.example.fi:80".to_string()));
        assert!(hosts.contains(&"crm.example.fi".to_string()));
    }

    #[test]
    fn constant_time_eq_compares_whole_strings() {
        assert!(constant_time_eq(b"abc", b"abc"));
        assert!(!constant_time_eq(b"abc", b"abd"));
        assert!(!constant_time_eq(b"abc", b"ab"));
    }
}

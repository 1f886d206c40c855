//! CSRF: every page write carries the session's token (or before a login the double-submit
//! cookie's) in its `csrf` field.

use super::form::Form;
use super::request::{Ctx, ANON_CSRF_COOKIE};
use crate::error::{Error, Result};

/// Checks the form's `csrf` field against the session's token, or before a login against the
/// double-submit cookie. Compared in constant time.
pub(crate) fn check_csrf(ctx: &Ctx, form: &Form) -> Result<()> {
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

pub(crate) fn clear_cookie(name: &str) -> String {
    format!("{name}=; Path=/; Max-Age=0; HttpOnly; SameSite=Lax")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn constant_time_eq_compares_whole_strings() {
        assert!(constant_time_eq(b"abc", b"abc"));
        assert!(!constant_time_eq(b"abc", b"abd"));
        assert!(!constant_time_eq(b"abc", b"ab"));
    }
}

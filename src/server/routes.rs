//! A route: method, path pattern, who may use it, and the handler. Both tables (`pages.rs` and
//! `api.rs`) are lists of these, so the guard of every route is written where the route is, and
//! a test can walk them all.

use crate::error::{Error, Result};
use crate::http::form::Form;
use crate::http::{Ctx, Method, Resp};

/// Who may use a route. Checked before the handler runs, so no handler can forget.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Access {
    /// Anyone, logged in or not (the set-up wizard, the login).
    Anyone,
    /// Any logged-in user, readonly included (reading, and one's own account).
    LoggedIn,
    /// A user who may change the register: `user` and `admin`.
    Writer,
    /// Administrators only.
    Admin,
}

impl Access {
    /// Whether `user` may use a route guarded so: 401 without a user, 403 with too small a role.
    pub(crate) fn check(self, user: Option<&crate::auth::User>) -> Result<()> {
        use crate::auth::Role;
        let role = match (self, user) {
            (Access::Anyone, _) => return Ok(()),
            (_, None) => return Err(Error::Unauthorized),
            (_, Some(user)) => user.role,
        };
        let allowed = match self {
            Access::Anyone | Access::LoggedIn => true,
            Access::Writer => role.can_write(),
            Access::Admin => role == Role::Admin,
        };
        if allowed {
            Ok(())
        } else {
            Err(Error::Forbidden)
        }
    }
}

/// The path parameters a pattern captured (`{id}` segments), in order.
pub(crate) struct Params<'p>(Vec<&'p str>);

impl Params<'_> {
    /// The `n`th captured segment as a record id; anything else is a 404.
    pub(crate) fn id(&self, n: usize) -> Result<i64> {
        self.0
            .get(n)
            .and_then(|s| s.parse().ok())
            .ok_or(Error::NotFound)
    }

    /// The `n`th captured segment as text.
    pub(crate) fn text(&self, n: usize) -> &str {
        self.0.get(n).copied().unwrap_or("")
    }
}

pub(crate) type Handler = fn(&mut Ctx, &Params, Form) -> Result<Resp>;

pub struct Route {
    pub method: Method,
    /// `/customers/{id}/edit`; a segment may be `{name}` or `{name}.ext`.
    pub pattern: &'static str,
    pub access: Access,
    pub(crate) handler: Handler,
    /// Takes a file upload: the body is left unread, up to the configured upload limit, for
    /// the handler to stream (`Ctx::multipart`); a page route's CSRF token is in it and the
    /// handler checks it. Other routes' bodies are small and read whole before the handler.
    pub upload: bool,
}

/// A route of a table; `const` so the tables are plain statics.
pub(crate) const fn route(
    method: Method,
    pattern: &'static str,
    access: Access,
    handler: Handler,
) -> Route {
    Route {
        method,
        pattern,
        access,
        handler,
        upload: false,
    }
}

/// A route that takes a file upload (see [`Route::upload`]).
pub(crate) const fn upload(
    method: Method,
    pattern: &'static str,
    access: Access,
    handler: Handler,
) -> Route {
    Route {
        upload: true,
        ..route(method, pattern, access, handler)
    }
}

/// What a path found in a table.
pub(crate) enum Found<'t, 'p> {
    Route(&'t Route, Params<'p>),
    /// The path is known, but not with this method.
    OtherMethod,
    None,
}

/// The route for `method` on `path` (`HEAD` matches `GET` routes). The path belongs to the first
/// pattern of `table` that matches it, so a literal or suffixed pattern listed before a bare
/// capture keeps its path: `PATCH /contacts/7.vcf` is a 405 of `/contacts/{id}.vcf`, not a
/// `PATCH /contacts/{id}` with the id `7.vcf`.
pub(crate) fn find<'t, 'p>(table: &'t [Route], method: Method, path: &'p str) -> Found<'t, 'p> {
    let method = if method == Method::Head {
        Method::Get
    } else {
        method
    };
    let mut owner: Option<&str> = None;
    for route in table {
        if owner.is_some_and(|pattern| pattern != route.pattern) {
            continue;
        }
        if let Some(params) = matches(route.pattern, path) {
            if route.method == method {
                return Found::Route(route, params);
            }
            owner = Some(route.pattern);
        }
    }
    if owner.is_some() {
        Found::OtherMethod
    } else {
        Found::None
    }
}

fn matches<'p>(pattern: &str, path: &'p str) -> Option<Params<'p>> {
    let mut want = pattern.trim_start_matches('/').split('/');
    let mut have = path.trim_start_matches('/').split('/');
    let mut params = Vec::new();
    loop {
        match (want.next(), have.next()) {
            (None, None) => return Some(Params(params)),
            (Some(w), Some(h)) => {
                if let Some(capture) = w.strip_prefix('{') {
                    let (_, suffix) = capture.split_once('}')?;
                    let value = h.strip_suffix(suffix)?;
                    if value.is_empty() {
                        return None;
                    }
                    params.push(value);
                } else if w != h {
                    return None;
                }
            }
            _ => return None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ok(_: &mut Ctx, _: &Params, _: Form) -> Result<Resp> {
        Ok(Resp::redirect("/"))
    }

    const TABLE: &[Route] = &[
        route(Method::Get, "/contacts/new", Access::Writer, ok),
        route(Method::Get, "/contacts/{id}.vcf", Access::LoggedIn, ok),
        route(Method::Get, "/contacts/{id}", Access::LoggedIn, ok),
        route(Method::Post, "/contacts/{id}/edit", Access::Writer, ok),
        route(Method::Put, "/contacts/{id}", Access::Writer, ok),
    ];

    fn found(method: Method, path: &str) -> Option<(&'static str, Vec<String>)> {
        match find(TABLE, method, path) {
            Found::Route(r, p) => Some((r.pattern, p.0.iter().map(|s| s.to_string()).collect())),
            _ => None,
        }
    }

    #[test]
    fn literal_routes_come_before_captures_and_suffixes_are_stripped() {
        assert_eq!(
            found(Method::Get, "/contacts/new").unwrap().0,
            "/contacts/new"
        );
        assert_eq!(
            found(Method::Get, "/contacts/7.vcf").unwrap(),
            ("/contacts/{id}.vcf", vec!["7".to_string()])
        );
        assert_eq!(
            found(Method::Head, "/contacts/7").unwrap(),
            ("/contacts/{id}", vec!["7".to_string()])
        );
        assert!(found(Method::Get, "/contacts/7/edit/x").is_none());
        assert!(found(Method::Get, "/contacts/").is_none());
    }

    #[test]
    fn a_known_path_with_another_method_is_told_apart_from_an_unknown_one() {
        assert!(matches!(
            find(TABLE, Method::Delete, "/contacts/7"),
            Found::OtherMethod
        ));
        assert!(matches!(find(TABLE, Method::Get, "/nowhere"), Found::None));
    }

    #[test]
    fn a_path_belongs_to_the_first_pattern_that_matches_it() {
        assert_eq!(
            found(Method::Put, "/contacts/7").unwrap(),
            ("/contacts/{id}", vec!["7".to_string()])
        );
        for path in ["/contacts/7.vcf", "/contacts/new"] {
            assert!(
                matches!(find(TABLE, Method::Put, path), Found::OtherMethod),
                "{path}"
            );
        }
    }
}

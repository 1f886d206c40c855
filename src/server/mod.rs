//! The web server, the top of the program: the worker pool (`run`), the two route tables
//! (`pages`, `api`) and the checks every request passes before its handler: Host and Origin,
//! who is asking, set-up mode, CSRF, and the route's guard.

pub mod api;
mod hosts;
mod openapi;
pub mod pages;
pub mod routes;
mod run;

pub use run::{start, Running, StartError};

use routes::{Found, Route};

use crate::error::{Error, Result};
use crate::http::errors::render_error;
use crate::http::form::Form;
use crate::http::{csrf, Ctx, Method, Resp};
use crate::users::session;

/// Answers one request; errors become pages or JSON here.
pub(crate) fn handle(ctx: &mut Ctx) -> Resp {
    let mut resp = match dispatch(ctx) {
        Ok(resp) => resp,
        Err(err) => render_error(ctx, &err),
    };
    let secure = ctx.app.config.secure_cookies;
    for cookie in std::mem::take(&mut ctx.cookies_out) {
        // Behind a TLS proxy the browser is told to send the cookies over HTTPS only.
        let cookie = if secure {
            format!("{cookie}; Secure")
        } else {
            cookie
        };
        resp.headers.push(("Set-Cookie".into(), cookie));
    }
    resp
}

fn dispatch(ctx: &mut Ctx) -> Result<Resp> {
    hosts::check_host_and_origin(ctx)?;
    let path = ctx.path.clone();
    if let Some(rest) = path.strip_prefix("/assets/") {
        let name = rest.split_once('/').map(|(_, name)| name).unwrap_or("");
        return match ctx.method {
            Method::Get | Method::Head => Resp::asset(name).ok_or(Error::NotFound),
            _ => Err(Error::NotFound),
        };
    }
    if path == "/_test/panic" && ctx.app.config.test_routes {
        panic!("a handler panicked on purpose");
    }
    // Tests set the reminder job's clock: a turn of the job at `now` (RFC 3339) delivers what
    // is due then and sends the e-mails whose time has come.
    if path == "/_test/reminders/deliver" && ctx.app.config.test_routes {
        let now = chrono::DateTime::parse_from_rfc3339(ctx.query.get("now"))
            .map_err(|_| Error::BadRequest("`now` is an RFC 3339 time.".into()))?
            .with_timezone(&chrono::Utc);
        let base = crate::settings::load(ctx.conn)?.link_base(&ctx.app.default_base);
        let turn = crate::tasks::reminders::run_turn(ctx.conn, now, &base)?;
        return Ok(Resp::json(200, &turn));
    }
    // Tests drive the inbox's jobs on their clock: a turn of the watched folder (files settle
    // between two turns some seconds apart) or of the IMAP mailbox, at `now`.
    if path.starts_with("/_test/inbox/") && ctx.app.config.test_routes {
        return test_inbox_turn(ctx, &path);
    }
    if path == "/favicon.ico" {
        return Resp::asset("favicon.svg").ok_or(Error::NotFound);
    }
    ctx.settings = crate::settings::load(ctx.conn)?;
    match path.strip_prefix("/api/v1") {
        Some(rest) => dispatch_api(ctx, rest),
        None if ctx.is_api() => Err(Error::NotFound),
        None => dispatch_page(ctx, &path),
    }
}

fn dispatch_page(ctx: &mut Ctx, path: &str) -> Result<Resp> {
    session::resolve_session(ctx)?;
    ctx.lang = ctx.choose_lang();
    // Every page write carries a form with a valid CSRF token, checked before anything else.
    let form = if ctx.method.is_write() {
        read_form(ctx)?
    } else {
        Form::default()
    };
    if path != "/setup" && !crate::users::store::any_admin(ctx.conn)? {
        return Ok(Resp::redirect("/setup"));
    }
    let (route, params) = match routes::find(pages::PAGES, ctx.method, path) {
        Found::Route(route, params) => (route, params),
        found => return Err(no_route(ctx, &found)),
    };
    if let Err(err) = guard(ctx, route) {
        // A readonly user who opens an add or edit page (a bookmark, a link from elsewhere)
        // gets a page that says why, not a form they could not send.
        let readonly = ctx.user.as_ref().is_some_and(|u| !u.role.can_write());
        if readonly && route.access == routes::Access::Writer && ctx.method == Method::Get {
            return Ok(crate::http::errors::read_only_page(ctx));
        }
        return Err(err);
    }
    (route.handler)(ctx, &params, form)
}

fn dispatch_api(ctx: &mut Ctx, path: &str) -> Result<Resp> {
    let found = routes::find(api::API, ctx.method, path);
    // The description of the API is readable with a token or from a logged-in browser.
    if matches!(&found, Found::Route(r, _) if matches!(r.pattern, "/openapi.json" | "/docs")) {
        session::resolve_session(ctx)?;
        ctx.lang = ctx.choose_lang();
    }
    // Without a valid token every path is a 401, known or not.
    if ctx.user.is_none() {
        session::resolve_bearer(ctx)?;
    }
    match found {
        Found::Route(route, params) => {
            guard(ctx, route)?;
            (route.handler)(ctx, &params, Form::default())
        }
        found => Err(no_route(ctx, &found)),
    }
}

/// Why no route answers: a login first; a readonly user's write is refused as any write of
/// theirs is; else a known path with another method (405) or no such path (404).
fn no_route(ctx: &Ctx, found: &Found) -> Error {
    match (&ctx.user, found) {
        (None, _) => Error::Unauthorized,
        (Some(user), _) if ctx.method.is_write() && !user.role.can_write() => Error::Forbidden,
        (_, Found::OtherMethod) => Error::MethodNotAllowed,
        _ => Error::NotFound,
    }
}

fn guard(ctx: &Ctx, route: &Route) -> Result<()> {
    route.access.check(ctx.user.as_ref())
}

/// The largest body of a request that uploads no file: forms and JSON are small, and a worker
/// reads them into memory, so a huge one is refused (413) rather than held.
const FORM_BODY_LIMIT: u64 = 1024 * 1024;

/// Whether `method path` is an upload route, whose body the handler streams.
pub fn takes_upload(method: Method, path: &str) -> bool {
    let found = match path.strip_prefix("/api/v1") {
        Some(rest) => routes::find(api::API, method, rest),
        None => routes::find(pages::PAGES, method, path),
    };
    matches!(found, Found::Route(route, _) if route.upload)
}

/// Whether a request's body is left for its handler to stream: an upload route's, unless it
/// is a plain form or JSON (the import page's later steps post a form without the file).
pub fn streams_body(method: Method, path: &str, content_type: &str) -> bool {
    let small = ["application/x-www-form-urlencoded", "application/json"]
        .iter()
        .any(|t| content_type.to_ascii_lowercase().starts_with(t));
    !small && takes_upload(method, path)
}

/// Whether a request's body is streamed by its handler ([`streams_body`]), and its limit: the
/// configured one for uploads, else the form limit. One look-up in the route tables.
pub fn body_plan(method: Method, path: &str, content_type: &str, configured: u64) -> (bool, u64) {
    if streams_body(method, path, content_type) {
        (true, configured)
    } else {
        (false, configured.min(FORM_BODY_LIMIT))
    }
}

/// Reads a posted form and checks its CSRF token; every page write passes here.
fn read_form(ctx: &Ctx) -> Result<Form> {
    if ctx.body_stream.is_some() {
        return Ok(Form::default());
    }
    let form = ctx.form()?;
    csrf::check_csrf(ctx, &form)?;
    Ok(form)
}

/// `/_test/inbox/folder?now=` and `/_test/inbox/imap?now=`: one turn of the inbox job at `now`
/// (RFC 3339) with the server's own sink; the folder's watcher is kept per database between
/// calls, as the job keeps its own.
fn test_inbox_turn(ctx: &mut Ctx, path: &str) -> Result<Resp> {
    use std::collections::HashMap;
    use std::sync::Mutex;
    static WATCHERS: Mutex<Option<HashMap<std::path::PathBuf, crate::inbox::folder::Watcher>>> =
        Mutex::new(None);
    let now = chrono::DateTime::parse_from_rfc3339(ctx.query.get("now"))
        .map_err(|_| Error::BadRequest("`now` is an RFC 3339 time.".into()))?
        .with_timezone(&chrono::Utc);
    let sink = run::INBOX_SINK.ok_or(Error::NotFound)?;
    match path {
        "/_test/inbox/folder" => {
            let db = ctx.app.config.db_path.clone();
            let mut watchers = WATCHERS.lock().unwrap_or_else(|e| e.into_inner());
            let watcher = watchers
                .get_or_insert_with(HashMap::new)
                .entry(db.clone())
                .or_default();
            let report = crate::inbox::folder_turn(watcher, ctx.conn, &db, now, sink)?;
            Ok(Resp::json(
                200,
                &serde_json::json!({
                    "imported": report.imported,
                    "failed": report.failed.iter().map(|(name, _)| name).collect::<Vec<_>>(),
                    "waiting": report.waiting,
                }),
            ))
        }
        "/_test/inbox/imap" => {
            let report = crate::inbox::imap_turn(ctx.conn, now, sink)?;
            Ok(Resp::json(
                200,
                &serde_json::json!({ "imported": report.imported, "flagged": report.flagged }),
            ))
        }
        _ => Err(Error::NotFound),
    }
}

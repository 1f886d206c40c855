//! The one route table: method + path → handler, readable top to bottom. Before it come the
//! checks every request passes: Host/Origin, login, set-up mode, CSRF and the readonly role.

use maud::html;

use super::auth;
use super::form::Form;
use super::request::{Ctx, Method};
use super::response::Resp;
use crate::error::{Error, Result};
use crate::i18n::Lang;
use crate::views::{self, Frame, Section};
use crate::{api, assets, contacts, customers, exchange, home, settings, users};

/// Answers one request; errors become pages or JSON here.
pub fn handle(ctx: &mut Ctx) -> Resp {
    let mut resp = match dispatch(ctx) {
        Ok(resp) => resp,
        Err(err) => render_error(ctx, &err),
    };
    for cookie in std::mem::take(&mut ctx.cookies_out) {
        resp.headers.push(("Set-Cookie".into(), cookie));
    }
    resp
}

fn dispatch(ctx: &mut Ctx) -> Result<Resp> {
    auth::check_host_and_origin(ctx)?;
    let method = match ctx.method {
        Method::Head => Method::Get,
        m => m,
    };
    let path = ctx.path.clone();
    if let Some(rest) = path.strip_prefix("/assets/") {
        let name = rest.split_once('/').map(|(_, name)| name).unwrap_or("");
        return match method {
            Method::Get => assets::serve(name).ok_or(Error::NotFound),
            _ => Err(Error::NotFound),
        };
    }
    if path == "/_test/panic" && ctx.app.config.test_routes {
        panic!("a handler panicked on purpose");
    }
    if path == "/favicon.ico" {
        return assets::serve("favicon.svg").ok_or(Error::NotFound);
    }
    ctx.settings = settings::store::load(ctx.conn)?;
    if ctx.is_api() {
        return api::dispatch(ctx, method);
    }
    auth::resolve_session(ctx)?;
    ctx.lang = auth::choose_lang(ctx);
    let segs: Vec<&str> = path.trim_start_matches('/').split('/').collect();

    // Pages anyone may open: the first-run wizard and the login.
    let form = if method.is_write() {
        Some(read_form(ctx)?)
    } else {
        None
    };
    let setup_mode = !users::store::any_admin(ctx.conn)?;
    match (method, segs.as_slice(), form) {
        (Method::Get, ["setup"], _) => users::pages::setup_form(ctx),
        (Method::Post, ["setup"], Some(form)) => users::pages::setup_submit(ctx, form),
        (_, _, _) if setup_mode => Ok(Resp::redirect("/setup")),
        (Method::Get, ["login"], _) => users::pages::login_form(ctx),
        (Method::Post, ["login"], Some(form)) => users::pages::login_submit(ctx, form),
        (_, _, form) => {
            let Some(user) = &ctx.user else {
                return Ok(redirect_to_login(&ctx.path, method));
            };
            // Readonly users may change only their own password, language and tokens.
            let self_service = matches!(segs.first(), Some(&"account") | Some(&"logout"));
            if method.is_write() && !self_service && !user.role.can_write() {
                return Err(Error::Forbidden);
            }
            route(ctx, method, &segs, form.unwrap_or_default())
        }
    }
}

/// Every page behind the login.
fn route(ctx: &mut Ctx, method: Method, segs: &[&str], form: Form) -> Result<Resp> {
    use Method::{Get, Post};
    match (method, segs) {
        (Get, [""]) => home::front(ctx),
        (Get, ["customers"]) => customers::pages::list(ctx),
        (Get, ["customers.csv"]) => exchange::pages::customers_csv(ctx),
        (Post, ["customers", "tags"]) => customers::pages::bulk_tags(ctx, form),
        (Get, ["customers", "new"]) => customers::pages::new_form(ctx),
        (Post, ["customers", "new"]) => customers::pages::create(ctx, form),
        (Get, ["customers", "duplicates"]) => customers::merge::duplicates_page(ctx),
        (Get, ["customers", "merge"]) => customers::merge::merge_form(ctx),
        (Post, ["customers", "merge"]) => customers::merge::merge_submit(ctx, form),
        (Get, ["customers", id]) => customers::pages::card(ctx, id_of(id)?),
        (Get, ["customers", id, "edit"]) => customers::pages::edit_form(ctx, id_of(id)?),
        (Post, ["customers", id, "edit"]) => customers::pages::save(ctx, id_of(id)?, form),
        (Post, ["customers", id, "archive"]) => customers::pages::archive(ctx, id_of(id)?, form),
        (Get, ["customers", id, "delete"]) => customers::pages::delete_confirm(ctx, id_of(id)?),
        (Post, ["customers", id, "delete"]) => customers::pages::delete(ctx, id_of(id)?),
        (Post, ["customers", id, "contacts"]) => {
            customers::pages::add_contact(ctx, id_of(id)?, form)
        }
        (Post, ["customers", id, "contacts", contact, "role"]) => {
            customers::pages::set_role(ctx, id_of(id)?, id_of(contact)?, form)
        }
        (Post, ["customers", id, "contacts", contact, "unlink"]) => {
            customers::pages::unlink(ctx, id_of(id)?, id_of(contact)?, form)
        }

        (Get, ["contacts"]) => contacts::pages::list(ctx),
        (Get, ["contacts.csv"]) => exchange::pages::contacts_csv(ctx),
        (Get, ["contacts.vcf"]) => exchange::pages::contacts_vcard(ctx),
        (Get, ["contacts", "new"]) => contacts::pages::new_form(ctx),
        (Post, ["contacts", "new"]) => contacts::pages::create(ctx, form),
        (Get, ["contacts", "duplicates"]) => contacts::merge::duplicates_page(ctx),
        (Get, ["contacts", "merge"]) => contacts::merge::merge_form(ctx),
        (Post, ["contacts", "merge"]) => contacts::merge::merge_submit(ctx, form),
        (Get, ["contacts", id]) => match id.strip_suffix(".vcf") {
            Some(id) => exchange::pages::contact_vcard(ctx, id_of(id)?),
            None => contacts::pages::card(ctx, id_of(id)?),
        },
        (Get, ["contacts", id, "edit"]) => contacts::pages::edit_form(ctx, id_of(id)?),
        (Post, ["contacts", id, "edit"]) => contacts::pages::save(ctx, id_of(id)?, form),
        (Get, ["contacts", id, "delete"]) => contacts::pages::delete_confirm(ctx, id_of(id)?),
        (Post, ["contacts", id, "delete"]) => contacts::pages::delete(ctx, id_of(id)?),
        (Post, ["contacts", id, "customers"]) => contacts::pages::link(ctx, id_of(id)?, form),
        (Get, ["documents"]) => home::section(ctx, Section::Documents),
        (Get, ["tasks"]) => home::section(ctx, Section::Tasks),
        (Get, ["log"]) => home::section(ctx, Section::Log),
        (Get, ["search"]) => home::search(ctx),

        (Post, ["logout"]) => users::pages::logout(ctx),
        (Get, ["account"]) => users::pages::account(ctx),
        (Post, ["account", "password"]) => users::pages::change_password(ctx, form),
        (Post, ["account", "language"]) => users::pages::change_language(ctx, form),
        (Post, ["account", "tokens"]) => users::pages::create_token(ctx, form),
        (Post, ["account", "tokens", id, "delete"]) => users::pages::delete_token(ctx, id_of(id)?),

        (Get, ["settings"]) => settings::pages::index(ctx),
        (Post, ["settings"]) => settings::pages::save(ctx, form),
        (Get, ["settings", "users"]) => users::pages::user_list(ctx),
        (Get, ["settings", "users", "new"]) => users::pages::user_new(ctx),
        (Post, ["settings", "users", "new"]) => users::pages::user_create(ctx, form),
        (Get, ["settings", "users", id]) => users::pages::user_edit(ctx, id_of(id)?),
        (Post, ["settings", "users", id]) => users::pages::user_save(ctx, id_of(id)?, form),
        (Get, ["settings", "logins"]) => users::pages::login_history(ctx),
        (Get, ["settings", "import"]) => exchange::pages::import_form(ctx),
        (Post, ["settings", "import"]) => exchange::pages::import_submit(ctx, form),
        (Get, ["settings", "backups"]) => settings::pages::backups(ctx),
        (Get, ["settings", "backups", "download"]) => settings::pages::download_fresh(ctx),
        (Get, ["settings", "backups", "file", name]) => settings::pages::download_file(ctx, name),
        _ => Err(Error::NotFound),
    }
}

fn id_of(segment: &str) -> Result<i64> {
    segment.parse().map_err(|_| Error::NotFound)
}

/// Pages that take a file upload (`multipart/form-data`). Their handlers parse the body and
/// check its CSRF token themselves; the route table gives them an empty form.
const MULTIPART_PAGES: &[&str] = &["/settings/import"];

/// Reads a posted form and checks its CSRF token; every page write passes here.
fn read_form(ctx: &Ctx) -> Result<Form> {
    let multipart = ctx
        .header("content-type")
        .is_some_and(|t| t.to_ascii_lowercase().starts_with("multipart/form-data"));
    if multipart && MULTIPART_PAGES.contains(&ctx.path.as_str()) {
        return Ok(Form::default());
    }
    let form = ctx.form()?;
    auth::check_csrf(ctx, &form)?;
    Ok(form)
}

fn redirect_to_login(path: &str, method: Method) -> Resp {
    if method == Method::Get && path != "/" {
        let next: String =
            percent_encoding::utf8_percent_encode(path, percent_encoding::NON_ALPHANUMERIC)
                .to_string();
        Resp::redirect(&format!("/login?next={next}"))
    } else {
        Resp::redirect("/login")
    }
}

/// An error as the JSON shape (API) or a page in the user's language.
fn render_error(ctx: &mut Ctx, err: &Error) -> Resp {
    if err.is_internal() {
        log::error!("{} {}: {err}", ctx.method_name(), ctx.path);
    }
    if ctx.is_api() {
        return json_error(err);
    }
    if matches!(err, Error::Unauthorized) {
        return redirect_to_login(&ctx.path, ctx.method);
    }
    let frame = Frame::new(ctx, Section::None);
    let title = error_title(frame.lang, err);
    let body = html! {
        h1 { (title) }
        p { (err.message(frame.lang)) }
        p { a href="/" { (frame.t("error.back_to_front")) } }
    };
    Resp::html(views::layout(&frame, title, body)).with_status(err.status())
}

fn error_title(lang: Lang, err: &Error) -> &'static str {
    match err.status() {
        404 => lang.t("error.title_not_found"),
        403 => lang.t("error.title_forbidden"),
        500 => lang.t("error.title_internal"),
        _ => lang.t("error.title_bad_request"),
    }
}

/// The API's error body: `{"error": {"code", "message", "fields"}}`, messages in English.
pub fn json_error(err: &Error) -> Resp {
    let mut error = serde_json::json!({"code": err.code(), "message": err.message(Lang::En)});
    if !err.fields().is_empty() {
        let fields: serde_json::Map<String, serde_json::Value> = err
            .fields()
            .iter()
            .map(|f| (f.field.to_string(), Lang::En.t(f.key).into()))
            .collect();
        error["fields"] = fields.into();
    }
    let mut resp = Resp::json(err.status(), &serde_json::json!({ "error": error }));
    if matches!(err, Error::Unauthorized) {
        resp = resp.with_header("WWW-Authenticate", "Bearer");
    }
    resp
}

/// An error answered before a request context exists (body too large, a panic): JSON for the
/// API, else a small page in the browser's language.
pub fn bare_error(path: &str, headers: &[(String, String)], err: &Error) -> Resp {
    if path.starts_with("/api/") {
        return json_error(err);
    }
    let lang = headers
        .iter()
        .find(|(n, _)| n.eq_ignore_ascii_case("accept-language"))
        .and_then(|(_, v)| Lang::from_accept_language(v))
        .unwrap_or_default();
    let title = error_title(lang, err);
    let page = html! {
        (maud::DOCTYPE)
        html lang=(lang.code()) {
            head { meta charset="utf-8"; title { (title) " — minicrm" } link rel="stylesheet" href=(assets::url("style.css")); }
            body { main { h1 { (title) } p { (err.message(lang)) } p { a href="/" { (lang.t("error.back_to_front")) } } } }
        }
    };
    Resp::html(page)
        .with_status(err.status())
        .with_header("Connection", "close")
}

//! Errors as answers: the JSON error shape for the API, a page in the reader's language for the
//! browser, and a bare page for errors met before a request context exists.

use maud::html;

use super::request::{Ctx, Method};
use super::response::Resp;
use crate::assets;
use crate::error::Error;
use crate::i18n::Lang;
use crate::views::{self, Section};

pub(crate) fn redirect_to_login(path: &str, method: Method) -> Resp {
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
pub(crate) fn render_error(ctx: &mut Ctx, err: &Error) -> Resp {
    if err.is_internal() {
        log::error!("{} {}: {err}", ctx.method_name(), ctx.path);
    } else if matches!(err, Error::Busy) {
        log::warn!("{} {}: {err}; answered 503", ctx.method_name(), ctx.path);
    }
    if ctx.is_api() {
        return json_error(err);
    }
    if matches!(err, Error::Unauthorized) {
        return redirect_to_login(&ctx.path, ctx.method);
    }
    let frame = ctx.frame(Section::None);
    let title = error_title(frame.lang, err);
    let body = html! {
        h1 { (title) }
        p { (err.message(frame.lang)) }
        p { a href="/" { (frame.t("error.back_to_front")) } }
    };
    Resp::html(views::layout(&frame, title, body)).with_status(err.status())
}

/// What a readonly user sees on a page that changes the register (an add or edit form): what
/// their role allows and whom to ask, with a way back to the section. Answered 403.
pub(crate) fn read_only_page(ctx: &mut Ctx) -> Resp {
    let section = ctx
        .path
        .split('/')
        .nth(1)
        .filter(|s| ["customers", "contacts", "tasks"].contains(s))
        .map(|s| format!("/{s}"))
        .unwrap_or_else(|| "/".to_string());
    let frame = ctx.frame(Section::None);
    let title = frame.t("error.title_read_only");
    let body = html! {
        div.narrow {
            h1 { (title) }
            p { (frame.t("error.read_only")) }
            p { a href=(section) { (frame.t("error.read_only_back")) } }
        }
    };
    Resp::html(views::layout(&frame, title, body)).with_status(403)
}

fn error_title(lang: Lang, err: &Error) -> &'static str {
    match err.status() {
        404 => lang.t("error.title_not_found"),
        403 => lang.t("error.title_forbidden"),
        500 => lang.t("error.title_internal"),
        502 => lang.t("error.title_upstream"),
        503 => lang.t("error.title_busy"),
        _ => lang.t("error.title_bad_request"),
    }
}

/// The API's error body: `{"error": {"code", "message", "fields"}}`, messages in English.
pub(crate) fn json_error(err: &Error) -> Resp {
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
pub(crate) fn bare_error(path: &str, headers: &[(String, String)], err: &Error) -> Resp {
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

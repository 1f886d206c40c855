//! The JSON API under `/api/v1`: bearer-token auth, its route table, the OpenAPI document and
//! the human-readable docs page built from it.

mod openapi;

use maud::html;

use crate::error::{Error, Result};
use crate::http::auth;
use crate::http::{Ctx, Method, Resp};
use crate::views::{self, Frame, Section};
use crate::{contacts, customers, exchange, users};

pub fn dispatch(ctx: &mut Ctx, method: Method) -> Result<Resp> {
    let path = ctx.path.clone();
    let Some(rest) = path.strip_prefix("/api/v1/") else {
        return Err(Error::NotFound);
    };
    let segs: Vec<&str> = rest.split('/').collect();
    // The description of the API is readable with a token or from a logged-in browser.
    if method == Method::Get && matches!(segs.as_slice(), ["openapi.json"] | ["docs"]) {
        auth::resolve_session(ctx)?;
        if ctx.user.is_none() {
            auth::resolve_bearer(ctx)?;
        }
        ctx.lang = auth::choose_lang(ctx);
        return match segs.as_slice() {
            ["openapi.json"] => Ok(Resp::json(200, &openapi::document())),
            _ => docs(ctx),
        };
    }
    auth::resolve_bearer(ctx)?;
    if method.is_write() && !ctx.user()?.role.can_write() {
        return Err(Error::Forbidden);
    }
    use Method::{Delete, Get, Patch, Post, Put};
    let id = |segment: &str| segment.parse::<i64>().map_err(|_| Error::NotFound);
    match (method, segs.as_slice()) {
        (Get, ["me"]) => users::api::me(ctx),
        (Get, ["users"]) => users::api::list(ctx),

        (Get, ["customers"]) => customers::api::list(ctx),
        (Post, ["customers"]) => customers::api::create(ctx),
        (Get, ["customers", c]) => customers::api::get(ctx, id(c)?),
        (Patch, ["customers", c]) => customers::api::patch(ctx, id(c)?),
        (Delete, ["customers", c]) => customers::api::delete(ctx, id(c)?),
        (Get, ["customers", c, "contacts"]) => customers::api::contacts(ctx, id(c)?),
        (Put, ["customers", c, "contacts", p]) => customers::api::link(ctx, id(c)?, id(p)?),
        (Delete, ["customers", c, "contacts", p]) => customers::api::unlink(ctx, id(c)?, id(p)?),

        (Get, ["contacts"]) => contacts::api::list(ctx),
        (Post, ["contacts"]) => contacts::api::create(ctx),
        (Get, ["contacts.vcf"]) => exchange::pages::contacts_vcard(ctx),
        (Get, ["contacts", p]) => match p.strip_suffix(".vcf") {
            Some(p) => exchange::pages::contact_vcard(ctx, id(p)?),
            None => contacts::api::get(ctx, id(p)?),
        },
        (Patch, ["contacts", p]) => contacts::api::patch(ctx, id(p)?),
        (Delete, ["contacts", p]) => contacts::api::delete(ctx, id(p)?),
        _ => Err(Error::NotFound),
    }
}

/// Every route of the OpenAPI document with its summary, parameters and answers.
fn docs(ctx: &mut Ctx) -> Result<Resp> {
    let doc = openapi::document();
    let frame = Frame::new(ctx, Section::Settings);
    let f = &frame;
    let empty = serde_json::Map::new();
    let paths = doc["paths"].as_object().unwrap_or(&empty);
    let body = html! {
        h1 { (f.t("apidocs.title")) }
        p { (f.t("apidocs.intro")) " " a href="/api/v1/openapi.json" { "openapi.json" } }
        p.hint { (f.t("apidocs.auth")) }
        @for (path, ops) in paths {
            @for (verb, op) in ops.as_object().unwrap_or(&empty) {
                section.card.endpoint {
                    h2 { code { (verb.to_uppercase()) " /api/v1" (path) } }
                    p { (op["summary"].as_str().unwrap_or("")) }
                    @if let Some(params) = op["parameters"].as_array() {
                        ul {
                            @for p in params {
                                li { code { (p["name"].as_str().unwrap_or("")) } " — " (p["description"].as_str().unwrap_or("")) }
                            }
                        }
                    }
                    p.hint {
                        @for (status, answer) in op["responses"].as_object().unwrap_or(&empty) {
                            code { (status) } " " (answer["description"].as_str().unwrap_or("")) ". "
                        }
                    }
                }
            }
        }
    };
    Ok(Resp::html(views::layout(f, f.t("apidocs.title"), body)))
}

//! The API table under `/api/v1`: method + path → who may use it → handler. Clients send an
//! `Authorization: Bearer` token; the description (`openapi.json`, `docs`) is also readable from
//! a logged-in browser.

use maud::html;

use super::openapi;
use super::routes::{route, upload, Access::*, Route};
use crate::error::Result;
use crate::http::Method::{Delete, Get, Patch, Post, Put};
use crate::http::{Ctx, Resp};
use crate::views::{self, Section};
use crate::{contacts, customers, documents, exchange, log, privacy, tasks, users, ytj};

/// Paths relative to `/api/v1`.
#[rustfmt::skip]
pub static API: &[Route] = &[
    route(Get, "/openapi.json", LoggedIn, |_, _, _| Ok(Resp::json(200, &openapi::document()))),
    route(Get, "/docs", LoggedIn, |c, _, _| docs(c)),
    route(Get, "/me", LoggedIn, |c, _, _| users::api::me(c)),
    route(Get, "/users", LoggedIn, |c, _, _| users::api::list(c)),
    route(Get, "/customers", LoggedIn, |c, _, _| customers::api::list(c)),
    route(Post, "/customers", Writer, |c, _, _| customers::api::create(c)),
    route(Get, "/customers/{id}", LoggedIn, |c, p, _| customers::api::get(c, p.id(0)?)),
    route(Patch, "/customers/{id}", Writer, |c, p, _| customers::api::patch(c, p.id(0)?)),
    route(Delete, "/customers/{id}", Admin, |c, p, _| customers::api::delete(c, p.id(0)?)),
    route(Get, "/customers/{id}/contacts", LoggedIn, |c, p, _| contacts::api::of_customer(c, p.id(0)?)),
    route( Put, "/customers/{id}/contacts/{contact}", Writer, |c, p, _| contacts::api::link(c, p.id(0)?, p.id(1)?), ), route( Delete, "/customers/{id}/contacts/{contact}", Writer, |c, p, _| contacts::api::unlink(c, p.id(0)?, p.id(1)?), ), route(Get, "/contacts", LoggedIn, |c, _, _| contacts::api::list(c)), route(Post, "/contacts", Writer, |c, _, _| contacts::api::create(c)),
    route(Get, "/contacts.vcf", LoggedIn, |c, _, _| exchange::pages::contacts_vcard(c)),
    route(Get, "/contacts/{id}.vcf", LoggedIn, |c, p, _| exchange::pages::contact_vcard(c, p.id(0)?)),
    route(Get, "/contacts/{id}", LoggedIn, |c, p, _| contacts::api::get(c, p.id(0)?)),
    route(Get, "/contacts/{id}/export", Admin, |c, p, _| privacy::api::export_contact(c, p.id(0)?)),
    route(Post, "/contacts/{id}/erase", Admin, |c, p, _| privacy::api::erase_contact(c, p.id(0)?)),
    route(Patch, "/contacts/{id}", Writer, |c, p, _| contacts::api::patch(c, p.id(0)?)),
    route(Delete, "/contacts/{id}", Writer, |c, p, _| contacts::api::delete(c, p.id(0)?)),
    route(Get, "/documents", LoggedIn, |c, _, _| documents::api::list(c)),
    upload(Post, "/documents", Writer, |c, _, _| documents::api::create(c)),
    // Before `/documents/{id}`, whose pattern would take `email` for an id.
    upload(Post, "/documents/email", Writer, |c, _, _| documents::email::api_create(c)),
    route(Get, "/documents/{id}", LoggedIn, |c, p, _| documents::api::get(c, p.id(0)?)),
    route(Patch, "/documents/{id}", Writer, |c, p, _| documents::api::patch(c, p.id(0)?)),
    route(Delete, "/documents/{id}", Writer, |c, p, _| documents::api::delete(c, p.id(0)?)),
    route(Get, "/documents/{id}/content", LoggedIn, |c, p, _| documents::api::content(c, p.id(0)?)),
    upload(Put, "/documents/{id}/content", Writer, |c, p, _| documents::api::put_content(c, p.id(0)?)),
    route(Get, "/documents/{id}/versions", LoggedIn, |c, p, _| documents::api::versions(c, p.id(0)?)),
    route(Get, "/documents/{id}/versions/{version}/content", LoggedIn, |c, p, _| documents::api::versioned_content(c, p.id(0)?, Some(p.id(1)?))),
    route(Get, "/tasks", LoggedIn, |c, _, _| tasks::api::list(c)),
    route(Post, "/tasks", Writer, |c, _, _| tasks::api::create(c)),
    route(Get, "/tasks/{id}", LoggedIn, |c, p, _| tasks::api::get(c, p.id(0)?)),
    route(Patch, "/tasks/{id}", Writer, |c, p, _| tasks::api::patch(c, p.id(0)?)),
    route(Delete, "/tasks/{id}", Writer, |c, p, _| tasks::api::delete(c, p.id(0)?)),
    route(Get, "/events", LoggedIn, |c, _, _| log::api::list(c)),
    route(Post, "/events", Writer, |c, _, _| log::api::create(c)),
    route(Get, "/events/{id}", LoggedIn, |c, p, _| log::api::get(c, p.id(0)?)),
    route(Get, "/ytj", LoggedIn, |c, _, _| ytj::api::lookup(c)),
    route(Get, "/reminders", LoggedIn, |c, _, _| tasks::api::reminders(c)),
    route(Post, "/reminders/{id}/dismiss", LoggedIn, |c, p, _| tasks::api::dismiss(c, p.id(0)?)),
];

/// Every route of the OpenAPI document with its summary, parameters, answers and an example
/// request (`curl`, against the address the page was opened at).
fn docs(ctx: &mut Ctx) -> Result<Resp> {
    let doc = openapi::document();
    let origin = format!("http://{}", ctx.header("host").unwrap_or("127.0.0.1:8080"));
    let frame = ctx.frame(Section::Settings);
    let f = &frame;
    let empty = serde_json::Map::new();
    let paths = doc["paths"].as_object().unwrap_or(&empty);
    let text = |v: &serde_json::Value| views::with_code(v.as_str().unwrap_or(""));
    let body = html! {
        h1 { (f.t("apidocs.title")) }
        p { (f.t("apidocs.intro")) " " a href="/api/v1/openapi.json" { "openapi.json" } }
        p.hint { (f.t("apidocs.auth")) }
        @for (path, ops) in paths {
            @for (verb, op) in ops.as_object().unwrap_or(&empty) {
                section.card.endpoint {
                    h2 { code { (verb.to_uppercase()) " /api/v1" (path) } }
                    p { (text(&op["summary"])) }
                    @if let Some(params) = op["parameters"].as_array() {
                        ul {
                            @for p in params {
                                li { code { (p["name"].as_str().unwrap_or("")) } " — " (text(&p["description"])) }
                            }
                        }
                    }
                    @if let Some(schema) = op["requestBody"]["content"]["application/json"]["schema"].as_object() {
                        @if let Some(about) = schema.get("description") { p { (text(about)) } }
                    }
                    p.hint {
                        @for (status, answer) in op["responses"].as_object().unwrap_or(&empty) {
                            code { (status) } " " (text(&answer["description"])) ". "
                        }
                    }
                    p.example-label { (f.t("apidocs.example")) }
                    pre.example { code { (curl_example(&origin, verb, path, op)) } }
                }
            }
        }
    };
    Ok(Resp::html(views::layout(f, f.t("apidocs.title"), body)))
}

/// A `curl` command for one route: ids in the path as 1, the example query and body of the
/// OpenAPI document, and the token from `$TOKEN`.
fn curl_example(origin: &str, verb: &str, path: &str, op: &serde_json::Value) -> String {
    let mut url = String::new();
    let mut in_param = false;
    for c in path.chars() {
        match c {
            '{' => in_param = true,
            '}' => {
                in_param = false;
                url.push('1');
            }
            c if !in_param => url.push(c),
            _ => {}
        }
    }
    if let Some(query) = op["x-example-query"].as_str() {
        url = format!("{url}?{query}");
    }
    let mut lines = vec![format!("curl -H \"Authorization: Bearer $TOKEN\"")];
    if verb != "get" {
        lines.push(format!("-X {}", verb.to_uppercase()));
    }
    if let Some(example) = op["requestBody"]["content"]["application/json"].get("example") {
        lines.push("-H \"Content-Type: application/json\"".into());
        lines.push(format!("-d '{example}'"));
    }
    lines.push(format!("'{origin}/api/v1{url}'"));
    lines.join(" \\\n  ")
}

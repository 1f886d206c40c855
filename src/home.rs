//! The front page, the sections whose modules are still to come, the log list and the global
//! search.

use maud::{html, Markup};

use crate::error::Result;
use crate::http::form::page_params;
use crate::http::{Ctx, Resp};
use crate::log::store::{self as events, Event, EventKind};
use crate::views::{self, layout, Frame, Section};

pub fn front(ctx: &mut Ctx) -> Result<Resp> {
    let newest_events = events::newest(ctx.conn, 10, 0)?;
    let frame = Frame::new(ctx, Section::Front);
    let f = &frame;
    let greeting = f.lang.tf(
        "front.greeting",
        &[(
            "name",
            &f.user.as_ref().map(|u| u.name.clone()).unwrap_or_default(),
        )],
    );
    let body = html! {
        h1 { (greeting) }
        div.grid {
            section.card { h2 { (f.t("front.reminders")) } (views::empty(f.t("front.no_reminders"))) }
            section.card { h2 { (f.t("front.tasks")) } (views::empty(f.t("front.no_tasks"))) }
            section.card { h2 { (f.t("front.newest_customers")) } (views::empty(f.t("front.no_customers"))) }
            section.card { h2 { (f.t("front.newest_contacts")) } (views::empty(f.t("front.no_contacts"))) }
        }
        section.card {
            h2 { (f.t("front.newest_events")) }
            (event_list(f, &newest_events))
        }
    };
    Ok(Resp::html(layout(f, f.t("nav.front"), body)))
}

/// A list of log events: when, what, who did it.
pub fn event_list(f: &Frame, list: &[Event]) -> Markup {
    html! {
        @if list.is_empty() {
            (views::empty(f.t("log.none")))
        } @else {
            ol.events {
                @for e in list {
                    li {
                        time datetime=(e.at) { (f.lang.datetime_text(&e.at)) }
                        " "
                        span.kind { (EventKind::parse(&e.kind).map(|k| k.label(f.lang)).unwrap_or(&e.kind)) }
                        " "
                        span.summary { (e.summary) }
                    }
                }
            }
        }
    }
}

/// Customers, contacts, documents and tasks: their modules fill these pages; until then each
/// says so plainly instead of answering 404 from the header's own links.
pub fn section(ctx: &mut Ctx, section: Section) -> Result<Resp> {
    if section == Section::Log {
        return log_page(ctx);
    }
    let (title, empty) = match section {
        Section::Customers => ("nav.customers", "front.no_customers"),
        Section::Contacts => ("nav.contacts", "front.no_contacts"),
        Section::Documents => ("nav.documents", "section.no_documents"),
        _ => ("nav.tasks", "front.no_tasks"),
    };
    let frame = Frame::new(ctx, section);
    let f = &frame;
    let body = html! {
        h1 { (f.t(title)) }
        (views::empty(f.t(empty)))
    };
    Ok(Resp::html(layout(f, f.t(title), body)))
}

/// The customer log: newest first, or the events matching the search box.
fn log_page(ctx: &mut Ctx) -> Result<Resp> {
    let (limit, offset) = page_params(&ctx.query)?;
    let q = ctx.query.get("q").trim().to_string();
    let list = if q.is_empty() {
        events::newest(ctx.conn, limit, offset)?
    } else {
        events::search(ctx.conn, &q, limit, offset)?
    };
    let frame = Frame::new(ctx, Section::Log);
    let f = &frame;
    let base = if q.is_empty() {
        "/log".to_string()
    } else {
        format!(
            "/log?{}",
            serde_urlencoded::to_string([("q", &q)]).unwrap_or_default()
        )
    };
    let body = html! {
        h1 { (f.t("nav.log")) }
        form.inline role="search" method="get" action="/log" {
            label for="log-q" { (f.t("log.search")) }
            input #log-q type="search" name="q" value=(q);
            button type="submit" { (f.t("search.button")) }
        }
        (event_list(f, &list))
        (views::pager(f, &base, offset, limit, list.len()))
    };
    Ok(Resp::html(layout(f, f.t("nav.log"), body)))
}

/// One box over everything; today that is the customer log.
pub fn search(ctx: &mut Ctx) -> Result<Resp> {
    let q = ctx.query.get("q").trim().to_string();
    let found = events::search(ctx.conn, &q, 50, 0)?;
    let frame = Frame::new(ctx, Section::None);
    let f = &frame;
    let body = html! {
        h1 { (f.t("search.title")) }
        @if q.is_empty() {
            p { (f.t("search.type_something")) }
        } @else {
            p { (f.lang.tf("search.results_for", &[("q", &q)])) }
            h2 { (f.t("nav.log")) }
            (event_list(f, &found))
        }
    };
    Ok(Resp::html(layout(f, f.t("search.title"), body)))
}

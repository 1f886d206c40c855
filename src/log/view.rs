//! How the customer log reads on a page: events newest first, each a sentence in the reader's
//! language with when, what, who did it and links to what it concerns.

use maud::{html, Markup};

use super::search::marked;
use super::store::{Event, EventKind};
use crate::views::{empty, Frame};

/// A list of log events: when, what, who did it.
pub(crate) fn event_list(f: &Frame, list: &[Event]) -> Markup {
    event_list_marked(f, list, &[])
}

/// A list of log events with the words that begin with one of `highlight` (folded) marked.
pub(crate) fn event_list_marked(f: &Frame, list: &[Event], highlight: &[String]) -> Markup {
    html! {
        @if list.is_empty() {
            (empty(f.t("log.none")))
        } @else {
            ol.events {
                @for e in list {
                    (event_item(f, e, highlight))
                }
            }
        }
    }
}

fn event_item(f: &Frame, e: &Event, highlight: &[String]) -> Markup {
    let text = e.text(f.lang);
    let kind = EventKind::parse(&e.kind);
    html! {
        li.event id=(format!("event-{}", e.id)) {
            time datetime=(e.at) { (f.datetime_text(&e.at)) }
            " "
            span.kind { (kind.map(|k| k.label(f.lang)).unwrap_or(&e.kind)) }
            " "
            span.summary {
                @for (piece, hit) in marked(&text, highlight) {
                    @if hit { mark { (piece) } } @else { (piece) }
                }
            }
            @if e.amount.is_some() || e.reference.is_some() {
                " "
                span.money {
                    @if let Some(amount) = &e.amount {
                        span.amount { (amount) " " (e.currency.as_deref().unwrap_or("")) }
                    }
                    @if let Some(reference) = &e.reference {
                        " " span.reference { (f.t("log.reference")) ": " (reference) }
                    }
                }
            }
            div.meta {
                @if let Some(who) = &e.names.user_name {
                    span.who { (f.lang.tf("log.by", &[("name", who)])) }
                }
                @if let (Some(id), Some(name)) = (e.customer_id, &e.names.customer_name) {
                    " " a.customer href=(format!("/customers/{id}")) { (name) }
                }
                @if let (Some(id), Some(name)) = (e.contact_id, &e.names.contact_name) {
                    " " a.contact href=(format!("/contacts/{id}")) { (name) }
                }
                @if let (Some(id), Some(title)) = (e.task_id, &e.names.task_title) {
                    " " a.task href=(format!("/tasks/{id}")) { (title) }
                }
                @if let (Some(id), Some(title)) = (e.document_id, &e.names.document_title) {
                    " " a.document href=(format!("/documents/{id}")) { (title) }
                }
            }
        }
    }
}

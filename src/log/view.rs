//! How the customer log reads on a page: events newest first, each with when, what and the
//! summary.

use maud::{html, Markup};

use super::store::{Event, EventKind};
use crate::views::{empty, Frame};

/// A list of log events: when, what, who did it.
pub(crate) fn event_list(f: &Frame, list: &[Event]) -> Markup {
    html! {
        @if list.is_empty() {
            (empty(f.t("log.none")))
        } @else {
            ol.events {
                @for e in list {
                    li {
                        time datetime=(e.at) { (f.datetime_text(&e.at)) }
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

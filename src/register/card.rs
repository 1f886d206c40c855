//! What every card shares besides its details: the tab bar and the documents, tasks and log
//! tabs. The card's own feature loads the tab (its log is the customer's or the contact's) and
//! draws its details; modules that add a tab hand its content in here.

use maud::{html, Markup};
use rusqlite::Connection;

use crate::error::Result;
use crate::http::form::page_params;
use crate::http::{CardOf, Ctx, TabView};
use crate::log::view::event_list;
use crate::log::Event;
use crate::views::{empty, pager, CardTab, Frame};

/// A tab of a card, loaded: what it shows besides the details.
pub(crate) enum TabContent {
    Details,
    /// One page of the record's log; one event more than the page when a next page exists.
    Log {
        events: Vec<Event>,
        offset: i64,
        limit: i64,
    },
    /// The documents of the record, handed in by the documents module (none without it).
    Documents(Option<TabView>),
    /// The tasks of the record, handed in by the tasks module (none without it).
    Tasks(Option<TabView>),
}

impl TabContent {
    /// The tab the URL asks for, loaded; `events(conn, limit, offset)` reads the record's log.
    pub(crate) fn load(
        ctx: &mut Ctx,
        of: CardOf,
        events: impl FnOnce(&Connection, i64, i64) -> rusqlite::Result<Vec<Event>>,
    ) -> Result<TabContent> {
        Ok(match CardTab::parse(ctx.query.get("tab")) {
            CardTab::Details => TabContent::Details,
            CardTab::Log => {
                let (limit, offset) = page_params(&ctx.query)?;
                TabContent::Log {
                    events: events(ctx.conn, limit + 1, offset)?,
                    offset,
                    limit,
                }
            }
            CardTab::Documents => match ctx.app.hooks.documents_tab {
                Some(load) => TabContent::Documents(Some(load(ctx, of)?)),
                None => TabContent::Documents(None),
            },
            CardTab::Tasks => match ctx.app.hooks.tasks_tab {
                Some(load) => TabContent::Tasks(Some(load(ctx, of)?)),
                None => TabContent::Tasks(None),
            },
        })
    }

    pub(crate) fn tab(&self) -> CardTab {
        match self {
            TabContent::Details => CardTab::Details,
            TabContent::Log { .. } => CardTab::Log,
            TabContent::Documents(_) => CardTab::Documents,
            TabContent::Tasks(_) => CardTab::Tasks,
        }
    }

    /// The tab's content under the card at `base`; `None` for details, which each card draws.
    pub(crate) fn render(&self, f: &Frame, base: &str) -> Option<Markup> {
        match self {
            TabContent::Details => None,
            TabContent::Log {
                events,
                offset,
                limit,
            } => Some(html! {
                (event_list(f, &events[..events.len().min(*limit as usize)]))
                (pager(f, &format!("{base}?tab=log"), *offset, *limit, events.len() as i64 > *limit))
            }),
            TabContent::Documents(Some(view)) => Some(view(f)),
            TabContent::Documents(None) => Some(empty(f.t("section.no_documents"))),
            TabContent::Tasks(Some(view)) => Some(view(f)),
            TabContent::Tasks(None) => Some(empty(f.t("front.no_tasks"))),
        }
    }
}

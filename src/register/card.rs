//! What every card shares besides its details: the tab bar and the documents, tasks and log
//! tabs. The card's own feature loads the tab (its log is the customer's or the contact's) and
//! draws its details; modules that add a tab hand its content in here.

use maud::Markup;

use crate::error::Result;
use crate::http::{CardOf, Ctx, TabView};
use crate::log::pages::{self as log_pages, LogView, Scope};
use crate::views::{empty, CardTab, Frame};

/// A tab of a card, loaded: what it shows besides the details.
pub(crate) enum TabContent {
    Details,
    /// The log's view narrowed to the record: search, filters, paging and the entry form.
    Log(Box<LogView>),
    /// The documents of the record, handed in by the documents module (none without it).
    Documents(Option<TabView>),
    /// The tasks of the record, handed in by the tasks module (none without it).
    Tasks(Option<TabView>),
}

impl TabContent {
    /// The tab the URL asks for, loaded.
    pub(crate) fn load(ctx: &mut Ctx, of: CardOf) -> Result<TabContent> {
        Ok(match CardTab::parse(ctx.query.get("tab")) {
            CardTab::Details => TabContent::Details,
            CardTab::Log => {
                let scope = match of {
                    CardOf::Customer(id) => Scope::Customer(id),
                    CardOf::Contact(id) => Scope::Contact(id),
                };
                TabContent::Log(Box::new(log_pages::load(ctx, scope)?))
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
            TabContent::Log(_) => CardTab::Log,
            TabContent::Documents(_) => CardTab::Documents,
            TabContent::Tasks(_) => CardTab::Tasks,
        }
    }

    /// The tab's content; `None` for details, which each card draws.
    pub(crate) fn render(&self, f: &Frame) -> Option<Markup> {
        match self {
            TabContent::Details => None,
            TabContent::Log(view) => Some(log_pages::render(f, view)),
            TabContent::Documents(Some(view)) => Some(view(f)),
            TabContent::Documents(None) => Some(empty(f.t("section.no_documents"))),
            TabContent::Tasks(Some(view)) => Some(view(f)),
            TabContent::Tasks(None) => Some(empty(f.t("front.no_tasks"))),
        }
    }
}

//! The front page, the sections whose modules are still to come, the log list and the global
//! search.

use maud::html;

use crate::auth::Role;
use crate::contacts::list as contacts;
use crate::customers::list as customers;
use crate::documents::list as documents;
use crate::error::Result;
use crate::http::{Ctx, Resp};
use crate::log::store as events;
use crate::log::view::{event_list, event_list_marked};
use crate::register;
use crate::tasks::list as tasks;
use crate::views::{self, layout, Section};

pub(crate) fn front(ctx: &mut Ctx) -> Result<Resp> {
    let newest_events = events::newest(ctx.conn, 10, 0)?;
    let newest_customers = customers::newest(ctx.conn, 10)?;
    let newest_contacts = contacts::newest(ctx.conn, 10)?;
    let task_cards = crate::tasks::pages::front_cards(ctx)?;
    // Admins are told while reminder e-mails fail, so that nobody trusts a silent inbox.
    let is_admin = ctx.user.as_ref().is_some_and(|u| u.role == Role::Admin);
    let email_failing = match is_admin && ctx.settings.smtp.configured() {
        true => crate::tasks::email::failing(ctx.conn)?,
        false => None,
    };
    let frame = ctx.frame(Section::Front);
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
        @if let Some(failure) = &email_failing {
            div.warning.email-failing role="alert" {
                p {
                    strong { (f.t("email.failing_front")) } " "
                    a href="/settings#email" { (f.t("email.see_settings")) }
                }
                p { code { (failure.error) } }
            }
        }
        div.grid {
            (task_cards(f))
            section.card {
                h2 { (f.t("front.newest_customers")) }
                @if newest_customers.is_empty() {
                    (views::empty(f.t("front.no_customers")))
                } @else {
                    ul.plain { @for c in &newest_customers { li { a href=(format!("/customers/{}", c.id.0)) { (c.name) } } } }
                }
            }
            section.card {
                h2 { (f.t("front.newest_contacts")) }
                @if newest_contacts.is_empty() {
                    (views::empty(f.t("front.no_contacts")))
                } @else {
                    ul.plain { @for p in &newest_contacts { li { a href=(format!("/contacts/{}", p.id.0)) { (p.full_name()) } } } }
                }
            }
        }
        section.card {
            h2 { (f.t("front.newest_events")) }
            (event_list(f, &newest_events))
        }
    };
    Ok(Resp::html(layout(f, f.t("nav.front"), body)))
}

/// How many hits each group of the search page shows; its link leads to the whole list.
const GROUP: usize = 10;
/// How many of a register's newest matches the search ranks. The list statement behind them
/// sorts at most `SEARCH_CAP` ids from the full-text index, so the cost is bounded whatever
/// the register's size; ranking a bounded set in memory keeps it so.
const CANDIDATES: i64 = 20;

/// How well a hit's main text (`primary`: a name, a title) answers the words typed, folded as
/// the index folds them: 3 the whole text, 2 its beginning, 1 each word begins one of its
/// words, 0 matched elsewhere (e-mail, city, a document's text). Higher first.
fn score(words: &[String], phrase: &str, primary: &[&str]) -> u8 {
    let folded: Vec<String> = primary
        .iter()
        .map(|t| {
            crate::log::store::words(t)
                .filter_map(crate::log::store::fold)
                .collect::<Vec<_>>()
                .join(" ")
        })
        .collect();
    if folded.iter().any(|t| !t.is_empty() && t == phrase) {
        3
    } else if folded
        .iter()
        .any(|t| !phrase.is_empty() && t.starts_with(phrase))
    {
        2
    } else if !words.is_empty()
        && words.iter().all(|w| {
            folded
                .iter()
                .any(|t| t.split(' ').any(|x| x.starts_with(w.as_str())))
        })
    {
        1
    } else {
        0
    }
}

/// The hits ordered best first, newest first among equals (the candidates come newest first
/// and the sort is stable), and whether there are more than the group shows.
fn best<T>(mut hits: Vec<T>, more: bool, rank: impl Fn(&T) -> u8) -> (Vec<T>, bool) {
    hits.sort_by_key(|h| std::cmp::Reverse(rank(h)));
    let more = more || hits.len() > GROUP;
    hits.truncate(GROUP);
    (hits, more)
}

/// The register lists the search page reads its candidates from (`tests/query_plans.rs`
/// checks their plans; the log's is `log::store::search_sql`).
pub struct SearchLists {
    pub customers: customers::ListQuery,
    pub contacts: contacts::ListQuery,
    pub documents: documents::ListQuery,
    pub tasks: tasks::ListQuery,
}

/// The newest `CANDIDATES` matches of `q` in each register: archived customers too, tasks
/// open or done.
pub fn search_lists(q: &str, today: chrono::NaiveDate) -> SearchLists {
    let mut customer_query = customers::ListQuery::search(q, customers::Sort::Newest, CANDIDATES);
    customer_query.filter.archived = customers::Archived::All;
    let mut task_query = tasks::ListQuery::search(q, tasks::Sort::DueDesc, CANDIDATES);
    task_query.filter.today = Some(today);
    SearchLists {
        customers: customer_query,
        contacts: contacts::ListQuery::search(q, contacts::Sort::Newest, CANDIDATES),
        documents: documents::ListQuery::search(q, documents::Sort::Newest, CANDIDATES),
        tasks: task_query,
    }
}

/// One box over customers, contacts, documents, tasks and the log: each group its best
/// matches first, at most `GROUP` of them, with a link to the whole list of its matches.
pub(crate) fn search(ctx: &mut Ctx) -> Result<Resp> {
    let q = ctx.query.get("q").trim().to_string();
    let words: Vec<String> = crate::log::store::words(&q)
        .filter_map(crate::log::store::fold)
        .collect();
    let phrase = words.join(" ");
    let searching = !q.is_empty();
    // The log: the newest matches are the best (a log is read by time).
    let mut found = if searching {
        events::search(ctx.conn, &q, GROUP as i64 + 1, 0)?
    } else {
        Vec::new()
    };
    let more_events = found.len() > GROUP;
    found.truncate(GROUP);

    let lists = search_lists(&q, crate::tasks::pages::today(ctx));
    let (customers, more_customers) = match searching {
        true => register::list::page(ctx.conn, &lists.customers)?,
        false => (Vec::new(), false),
    };
    let (customers, more_customers) = best(customers, more_customers, |c| {
        score(
            &words,
            &phrase,
            &[&c.name, &c.number, c.business_id.as_deref().unwrap_or("")],
        )
    });

    let (people, more_people) = match searching {
        true => register::list::page(ctx.conn, &lists.contacts)?,
        false => (Vec::new(), false),
    };
    let (people, more_people) = best(people, more_people, |p| {
        let reversed = format!("{} {}", p.last_name, p.first_name);
        score(&words, &phrase, &[&p.full_name(), &reversed])
    });

    let (docs, more_docs) = match searching {
        true => register::list::page(ctx.conn, &lists.documents)?,
        false => (Vec::new(), false),
    };
    let (docs, more_docs) = best(docs, more_docs, |d| {
        score(&words, &phrase, &[&d.title, &d.file_name])
    });

    let (task_hits, more_tasks) = match searching {
        true => register::list::page(ctx.conn, &lists.tasks)?,
        false => (Vec::new(), false),
    };
    // Open tasks before done ones among equally good matches.
    let (task_hits, more_tasks) = best(task_hits, more_tasks, |t| {
        score(&words, &phrase, &[&t.description]) * 2 + u8::from(!t.is_done())
    });

    let nothing = customers.is_empty()
        && people.is_empty()
        && docs.is_empty()
        && task_hits.is_empty()
        && found.is_empty();
    let encoded = serde_urlencoded::to_string([("q", &q)]).unwrap_or_default();
    let frame = ctx.frame(Section::None);
    let f = &frame;
    let all_link = |more: bool, href: String, key: &str| {
        html! { @if more { p.all-hits { a href=(href) { (f.t(key)) } } } }
    };
    let body = html! {
        h1 { (f.t("search.title")) }
        @if !searching {
            p { (f.t("search.type_something")) }
        } @else if nothing {
            p { (f.lang.tf("search.results_for", &[("q", &q)])) }
            (views::empty(f.t("search.no_matches")))
        } @else {
            p { (f.lang.tf("search.results_for", &[("q", &q)])) }
            nav.search-groups aria-label=(f.t("search.groups")) {
                ul.plain {
                    li { a href="#hits-customers" { (f.t("nav.customers")) " (" (customers.len()) (if more_customers { "+" } else { "" }) ")" } }
                    li { a href="#hits-contacts" { (f.t("nav.contacts")) " (" (people.len()) (if more_people { "+" } else { "" }) ")" } }
                    li { a href="#hits-documents" { (f.t("nav.documents")) " (" (docs.len()) (if more_docs { "+" } else { "" }) ")" } }
                    li { a href="#hits-tasks" { (f.t("nav.tasks")) " (" (task_hits.len()) (if more_tasks { "+" } else { "" }) ")" } }
                    li { a href="#hits-log" { (f.t("nav.log")) " (" (found.len()) (if more_events { "+" } else { "" }) ")" } }
                }
            }
            section.search-group #hits-customers {
                h2 { (f.t("nav.customers")) }
                @if customers.is_empty() { (views::empty(f.t("search.no_matches"))) } @else {
                    ul.plain { @for c in &customers { li { a href=(format!("/customers/{}", c.id.0)) { (c.name) } " " span.muted { (c.number) " " (c.city) } } } }
                    (all_link(more_customers, format!("/customers?archived=all&{encoded}"), "search.all_customers"))
                }
            }
            section.search-group #hits-contacts {
                h2 { (f.t("nav.contacts")) }
                @if people.is_empty() { (views::empty(f.t("search.no_matches"))) } @else {
                    ul.plain.contact-hits {
                        @for p in &people {
                            li {
                                a href=(format!("/contacts/{}", p.id.0)) { (p.full_name()) }
                                // Its companies, so two people of the same name tell apart.
                                @for (i, (l, company)) in p.customers.iter().zip(&p.customer_names).enumerate() {
                                    (if i == 0 { ", " } else { "; " })
                                    a href=(format!("/customers/{}", l.customer_id)) { (company) }
                                    @if !l.role.is_empty() { " (" (l.role) ")" }
                                }
                                @if !p.email.is_empty() { " " span.muted { (p.email) } }
                            }
                        }
                    }
                    (all_link(more_people, format!("/contacts?{encoded}"), "search.all_contacts"))
                }
            }
            section.search-group #hits-documents {
                h2 { (f.t("nav.documents")) }
                @if docs.is_empty() { (views::empty(f.t("search.no_matches"))) } @else {
                    ul.plain.document-hits {
                        @for d in &docs {
                            li {
                                a href=(format!("/documents/{}", d.id)) { (d.title) }
                                " " span.muted { (d.file_name) }
                                @if let (Some(id), Some(name)) = (d.customer_id, &d.customer_name) {
                                    ", " a href=(format!("/customers/{id}")) { (name) }
                                }
                                @if let (Some(id), Some(name)) = (d.contact_id, &d.contact_name) {
                                    ", " a href=(format!("/contacts/{id}")) { (name) }
                                }
                                @if d.incoming { " " span.badge { (f.t("documents.incoming")) } }
                            }
                        }
                    }
                    (all_link(more_docs, format!("/documents?{encoded}"), "search.all_documents"))
                }
            }
            section.search-group #hits-tasks {
                h2 { (f.t("nav.tasks")) }
                @if task_hits.is_empty() { (views::empty(f.t("search.no_matches"))) } @else {
                    ul.plain.task-hits {
                        @for t in &task_hits {
                            li {
                                a href=(format!("/tasks/{}", t.id)) { (t.description) }
                                " " span.muted { (t.due_date) " " (t.assignee_name) }
                                @if let (Some(id), Some(name)) = (t.customer_id, &t.customer_name) {
                                    ", " a href=(format!("/customers/{id}")) { (name) }
                                }
                                @if t.is_done() { " " span.badge { (f.t("tasks.done")) } }
                            }
                        }
                    }
                    (all_link(more_tasks, format!("/tasks?status=all&{encoded}"), "search.all_tasks"))
                }
            }
            section.search-group #hits-log {
                h2 { (f.t("nav.log")) }
                @if found.is_empty() { (views::empty(f.t("search.no_matches"))) } @else {
                    (event_list_marked(f, &found, &words))
                    (all_link(more_events, format!("/log?{encoded}"), "search.all_events"))
                }
            }
        }
    };
    Ok(Resp::html(layout(f, f.t("search.title"), body)))
}

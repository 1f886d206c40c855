//! The front page, the sections whose modules are still to come, the log list and the global
//! search.

use maud::html;

use crate::auth::Role;
use crate::contacts::list as contacts;
use crate::customers::list as customers;
use crate::error::Result;
use crate::http::{Ctx, Resp};
use crate::log::store as events;
use crate::log::view::event_list;
use crate::register;
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

/// One box over customers, contacts and the log (documents and tasks join when they exist).
pub(crate) fn search(ctx: &mut Ctx) -> Result<Resp> {
    let q = ctx.query.get("q").trim().to_string();
    let found = events::search(ctx.conn, &q, 20, 0)?;
    // The newest matches first: the index gives them in that order, so the page reads ten
    // rows however many match; the links go to the whole lists, sorted by name.
    let mut customer_query = customers::ListQuery::new(customers::Sort::Newest);
    customer_query.q = q.clone();
    customer_query.filter.archived = customers::Archived::All;
    customer_query.limit = 10;
    let (customers, more_customers) = if q.is_empty() {
        (Vec::new(), false)
    } else {
        register::list::page(ctx.conn, &customer_query)?
    };
    let mut contact_query = contacts::ListQuery::new(contacts::Sort::Newest);
    contact_query.q = q.clone();
    contact_query.limit = 10;
    let (people, more_people) = if q.is_empty() {
        (Vec::new(), false)
    } else {
        register::list::page(ctx.conn, &contact_query)?
    };
    // A contact hit names its companies, so two people of the same name tell apart.
    let mut company_ids: Vec<i64> = people
        .iter()
        .flat_map(|p| p.customers.iter().map(|l| l.customer_id))
        .collect();
    company_ids.sort_unstable();
    company_ids.dedup();
    let companies = crate::customers::store::names(ctx.conn, &company_ids)?;
    let company = |id: i64| {
        companies
            .iter()
            .find(|c| c.0 == id)
            .map_or("", |c| c.1.as_str())
    };
    let nothing = customers.is_empty() && people.is_empty() && found.is_empty();
    let encoded = serde_urlencoded::to_string([("q", &q)]).unwrap_or_default();
    let frame = ctx.frame(Section::None);
    let f = &frame;
    let body = html! {
        h1 { (f.t("search.title")) }
        @if q.is_empty() {
            p { (f.t("search.type_something")) }
        } @else if nothing {
            p { (f.lang.tf("search.results_for", &[("q", &q)])) }
            (views::empty(f.t("search.no_matches")))
        } @else {
            p { (f.lang.tf("search.results_for", &[("q", &q)])) }
            h2 { (f.t("nav.customers")) }
            @if customers.is_empty() { (views::empty(f.t("search.no_matches"))) } @else {
                ul.plain { @for c in &customers { li { a href=(format!("/customers/{}", c.id.0)) { (c.name) } " " span.muted { (c.number) " " (c.city) } } } }
                @if more_customers { p { a href=(format!("/customers?archived=all&{encoded}")) { (f.t("search.all_customers")) } } }
            }
            h2 { (f.t("nav.contacts")) }
            @if people.is_empty() { (views::empty(f.t("search.no_matches"))) } @else {
                ul.plain.contact-hits {
                    @for p in &people {
                        li {
                            a href=(format!("/contacts/{}", p.id.0)) { (p.full_name()) }
                            @for (i, l) in p.customers.iter().enumerate() {
                                (if i == 0 { ", " } else { "; " })
                                a href=(format!("/customers/{}", l.customer_id)) { (company(l.customer_id)) }
                                @if !l.role.is_empty() { " (" (l.role) ")" }
                            }
                            @if !p.email.is_empty() { " " span.muted { (p.email) } }
                        }
                    }
                }
                @if more_people { p { a href=(format!("/contacts?{encoded}")) { (f.t("search.all_contacts")) } } }
            }
            h2 { (f.t("nav.log")) }
            @if found.is_empty() { (views::empty(f.t("search.no_matches"))) } @else { (event_list(f, &found)) }
        }
    };
    Ok(Resp::html(layout(f, f.t("search.title"), body)))
}

//! The log's pages: `/log` (search, filters, paging by position, the entry form) and the same
//! view on the customer's and the contact's cards, narrowed to them; `/log/new` records an
//! entry (the form re-renders there with the input and the messages when it is rejected).

use maud::{html, Markup};

use super::entry::{self, EntryInput, MANUAL_KINDS};
use super::filter::{self, LogFilter};
use super::search::{Query, MAX_QUERY_CHARS};
use super::store::{EventKind, EventPage, Position};
use super::view::event_list_marked;
use crate::db;
use crate::error::{Error, FieldError, Result};
use crate::http::form::{page_params, Form};
use crate::http::{Ctx, Resp};
use crate::views::{self, csrf_input, form_error, layout, Field, Frame, Section};

/// Whose log a view shows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Scope {
    All,
    Customer(i64),
    Contact(i64),
}

/// A loaded view of the log: the page of events and what it was asked with.
pub(crate) struct LogView {
    scope: Scope,
    values: Form,
    query: Query,
    page: EventPage,
    /// A filter that could not be read (shown at its field; the list is then empty).
    error: Option<Error>,
    users: Vec<(i64, String)>,
    /// The customer the page is narrowed to, by name.
    customer: Option<(i64, String)>,
    /// Where the view is (`/log`, `/customers/7`), with the query that keeps its tab.
    path: String,
}

/// Reads the filters of the query string; a bad one is a validation error at its field.
pub(crate) fn read_filter(ctx: &Ctx, scope: Scope) -> Result<LogFilter> {
    let q = &ctx.query;
    let mut errors: Vec<FieldError> = Vec::new();
    let mut id = |name: &'static str| -> Option<i64> {
        match q.get(name).trim() {
            "" => None,
            v => v.parse().ok().or_else(|| {
                errors.push(FieldError {
                    field: name,
                    key: "log.filter_invalid",
                });
                None
            }),
        }
    };
    let mut filter = LogFilter {
        customer: id("customer_id"),
        contact: id("contact_id"),
        user: id("user_id"),
        with_contacts: matches!(q.get("include_contacts"), "true" | "1" | "on"),
        ..LogFilter::default()
    };
    match q.get("kind").trim() {
        "" => {}
        k => match EventKind::parse(k) {
            Some(kind) => filter.kind = Some(kind),
            None => errors.push(FieldError {
                field: "kind",
                key: "log.filter_invalid",
            }),
        },
    }
    // The customer by its number, as people know it.
    let number = q.get("customer").trim();
    if !number.is_empty() {
        match super::names::customer_by_number(ctx.conn, number)? {
            Some(c) => filter.customer = Some(c),
            None => errors.push(FieldError {
                field: "customer",
                key: "log.customer_unknown",
            }),
        }
    }
    match scope {
        Scope::All => {}
        Scope::Customer(c) => filter.customer = Some(c),
        Scope::Contact(p) => filter.contact = Some(p),
    }
    if let Err(e) = filter.set_dates(q.get("from"), q.get("to"), ctx.settings.time_zone) {
        errors.extend(e.fields().iter().cloned());
    }
    if q.get("q").trim().chars().count() > MAX_QUERY_CHARS {
        errors.push(FieldError {
            field: "q",
            key: "log.query_too_long",
        });
    }
    crate::error::valid(filter, errors)
}

/// The position of the page the query asks for: `after=` / `before=` an event, or `offset=`.
pub(crate) fn position(query: &Form) -> Result<(i64, Position)> {
    let (limit, offset) = page_params(query)?;
    let event_id = |name: &str| -> Result<Option<i64>> {
        match query.get(name) {
            "" => Ok(None),
            v => v
                .parse()
                .map(Some)
                .map_err(|_| Error::BadRequest(format!("`{name}` must be the id of an event."))),
        }
    };
    let position = match (event_id("after")?, event_id("before")?, offset) {
        (None, None, offset) => Position::Offset(offset),
        (Some(id), None, 0) => Position::After(id),
        (None, Some(id), 0) => Position::Before(id),
        _ => {
            return Err(Error::BadRequest(
                "Give one of `after`, `before` and `offset`.".into(),
            ))
        }
    };
    Ok((limit, position))
}

/// Loads the view the query string asks for, narrowed to `scope`.
pub(crate) fn load(ctx: &mut Ctx, scope: Scope) -> Result<LogView> {
    let (limit, position) = position(&ctx.query)?;
    let (query, page, error) = match read_filter(ctx, scope) {
        Ok(filter) => {
            let (page, query) =
                filter::page(ctx.conn, ctx.query.get("q"), &filter, limit, position)?;
            (query, page, None)
        }
        Err(e @ Error::Validation { .. }) => (Query::default(), EventPage::default(), Some(e)),
        Err(e) => return Err(e),
    };
    let customer = match (scope, ctx.query.get("customer").trim()) {
        (Scope::All, number) if !number.is_empty() => {
            super::names::customer_by_number(ctx.conn, number)?.map(|id| (id, number.to_string()))
        }
        _ => None,
    };
    Ok(LogView {
        scope,
        values: ctx.query.clone(),
        query,
        page,
        error,
        users: super::names::user_names(ctx.conn)?,
        customer,
        path: ctx.path.clone(),
    })
}

/// The view: the search and filter form, the events, the pager and (for writers) the form to
/// record an entry.
pub(crate) fn render(f: &Frame, v: &LogView) -> Markup {
    let errors = v.error.as_ref().map(Error::fields).unwrap_or(&[]);
    let base = {
        let rest = v.values.encode_without(&["offset", "after", "before"]);
        if rest.is_empty() {
            v.path.clone()
        } else {
            format!("{}?{rest}", v.path)
        }
    };
    let id_of = |e: Option<&super::store::Event>| e.map(|e| e.id.to_string());
    let previous = id_of(v.page.events.first())
        .filter(|_| v.page.newer)
        .map(|id| views::with_query(&base, "before", &id));
    let next = id_of(v.page.events.last())
        .filter(|_| v.page.older)
        .map(|id| views::with_query(&base, "after", &id));
    let mut kinds: Vec<(&str, &str)> = vec![("", f.t("log.any_kind"))];
    kinds.extend(EventKind::ALL.iter().map(|k| (k.as_str(), k.label(f.lang))));
    let user_ids: Vec<String> = v.users.iter().map(|(id, _)| id.to_string()).collect();
    let mut people: Vec<(&str, &str)> = vec![("", f.t("log.anyone"))];
    people.extend(
        user_ids
            .iter()
            .map(String::as_str)
            .zip(v.users.iter().map(|(_, n)| n.as_str())),
    );
    let can_write = f.user.as_ref().is_some_and(|u| u.role.can_write());
    let narrowed_to_customer = matches!(v.scope, Scope::Customer(_)) || v.customer.is_some();
    html! {
        section.log {
            form.log-filter role="search" method="get" action=(v.path) {
                @if v.scope != Scope::All { input type="hidden" name="tab" value="log"; }
                (form_error(f, v.error.as_ref()))
                (Field::text("q", "log.search", v.values.get("q")).kind("search").hint("log.search_hint").render(f, errors))
                div.filters {
                    // Its own id: the entry form below has a `kind` too.
                    div.field.invalid[errors.iter().any(|e| e.field == "kind")] {
                        label for="log-kind" { (f.t("log.kind")) }
                        select #log-kind name="kind" {
                            @for (value, text) in &kinds {
                                option value=(value) selected[*value == v.values.get("kind")] { (text) }
                            }
                        }
                    }
                    (views::select(f, "user_id", "log.person", &people, v.values.get("user_id"), errors))
                    (Field::text("from", "log.from", v.values.get("from")).kind("date").render(f, errors))
                    (Field::text("to", "log.to", v.values.get("to")).kind("date").render(f, errors))
                    @if v.scope == Scope::All {
                        (Field::text("customer", "log.customer_number", v.values.get("customer")).render(f, errors))
                        @if !v.values.get("contact_id").is_empty() {
                            input type="hidden" name="contact_id" value=(v.values.get("contact_id"));
                        }
                        @if !v.values.get("customer_id").is_empty() {
                            input type="hidden" name="customer_id" value=(v.values.get("customer_id"));
                        }
                    }
                    @if narrowed_to_customer || !v.values.get("customer_id").is_empty() {
                        (views::checkbox(f, "include_contacts", "log.include_contacts", matches!(v.values.get("include_contacts"), "true" | "1" | "on")))
                    }
                }
                button type="submit" { (f.t("search.button")) }
                @if v.scope == Scope::All && !v.values.encode_without(&["offset", "after", "before", "limit"]).is_empty() {
                    " " a href="/log" { (f.t("log.clear")) }
                }
            }
            @if v.query.plain {
                p.notice role="status" { (f.t("log.read_as_words")) }
            }
            (event_list_marked(f, &v.page.events, &v.query.highlight))
            (views::pager_links(f, previous, next))
            p.export { a href=(format!("/log.csv{}", export_query(v))) { (f.t("log.export_csv")) } }
            @if can_write && v.scope == Scope::All {
                p.import { a href="/log/import" { (f.t("events_import.link")) } }
            }
            @if can_write {
                details.new-entry open[false] {
                    summary { (f.t("log.new_entry")) }
                    (entry_form(f, &entry_defaults(v), &[], &base))
                }
            }
        }
    }
}

/// The query string of the CSV export of what the view shows.
fn export_query(v: &LogView) -> String {
    let mut values = Form::from_pairs(Vec::<(String, String)>::new());
    for name in [
        "q",
        "kind",
        "user_id",
        "from",
        "to",
        "customer",
        "customer_id",
        "contact_id",
        "include_contacts",
    ] {
        if !v.values.get(name).is_empty() {
            values.set(name, v.values.get(name));
        }
    }
    match v.scope {
        Scope::All => {}
        Scope::Customer(id) => values.set("customer_id", id.to_string()),
        Scope::Contact(id) => values.set("contact_id", id.to_string()),
    }
    let text = values.encode_without(&[]);
    if text.is_empty() {
        String::new()
    } else {
        format!("?{text}")
    }
}

/// The entry form's starting values on a view: the record it is narrowed to.
fn entry_defaults(v: &LogView) -> Form {
    let mut values = Form::from_pairs([("kind", "note")]);
    match v.scope {
        Scope::Customer(id) => values.set("customer_id", id.to_string()),
        Scope::Contact(id) => values.set("contact_id", id.to_string()),
        Scope::All => {
            if let Some((id, _)) = v.customer {
                values.set("customer_id", id.to_string());
            }
        }
    }
    values
}

/// The form to record an entry; `back` is where the browser returns after saving.
pub(crate) fn entry_form(f: &Frame, values: &Form, errors: &[FieldError], back: &str) -> Markup {
    let kinds: Vec<(&str, &str)> = MANUAL_KINDS
        .iter()
        .map(|k| (k.as_str(), k.label(f.lang)))
        .collect();
    html! {
        form.entry method="post" action="/log/new" novalidate {
            (csrf_input(f))
            input type="hidden" name="back" value=(back);
            @for name in ["customer_id", "contact_id"] {
                @if !values.get(name).is_empty() {
                    input type="hidden" name=(name) value=(values.get(name));
                }
            }
            (views::select(f, "kind", "log.kind", &kinds, values.get("kind"), errors))
            (Field::text("at", "log.at", values.get("at")).kind("datetime-local").hint("log.at_hint").render(f, errors))
            (views::textarea(f, "summary", "log.text", values.get("summary"), errors))
            div.money {
                (Field::text("amount", "log.amount", values.get("amount")).hint("log.amount_hint").render(f, errors))
                (Field::text("currency", "log.currency", values.get("currency")).render(f, errors))
                (Field::text("reference", "log.reference", values.get("reference")).render(f, errors))
            }
            @for name in ["customer_id", "contact_id"] {
                @if let Some(e) = errors.iter().find(|e| e.field == name) {
                    p.error { (f.t(e.key)) }
                }
            }
            button.primary type="submit" { (f.t("log.save_entry")) }
        }
    }
}

/// `GET /log`.
pub(crate) fn log_page(ctx: &mut Ctx) -> Result<Resp> {
    let view = load(ctx, Scope::All)?;
    let frame = ctx.frame(Section::Log);
    let f = &frame;
    let status = view.error.as_ref().map(Error::status).unwrap_or(200);
    let body = html! {
        h1 { (f.t("nav.log")) }
        (render(f, &view))
    };
    Ok(Resp::html(layout(f, f.t("nav.log"), body)).with_status(status))
}

/// A path on this site to return to: a relative path, never another site (`//host`).
fn safe_back(back: &str) -> &str {
    if back.starts_with('/') && !back.starts_with("//") && !back.contains('\\') {
        back
    } else {
        "/log"
    }
}

fn input_of(form: &Form) -> EntryInput {
    let id = |name: &str| form.get(name).trim().parse().ok();
    let text = |name: &str| Some(form.get(name).to_string()).filter(|v| !v.trim().is_empty());
    EntryInput {
        kind: form.get("kind").to_string(),
        at: text("at"),
        summary: form.get("summary").to_string(),
        customer_id: id("customer_id"),
        contact_id: id("contact_id"),
        amount: text("amount"),
        currency: text("currency"),
        reference: text("reference"),
    }
}

/// `GET /log/new`: the entry form on a page of its own (`?customer_id=` / `contact_id=`).
pub(crate) fn entry_page(ctx: &mut Ctx) -> Result<Resp> {
    let mut values = ctx.query.clone();
    if values.get("kind").is_empty() {
        values.set("kind", "note");
    }
    let back = safe_back(ctx.query.get("back")).to_string();
    entry_form_page(ctx, &values, None, &back)
}

fn entry_form_page(
    ctx: &mut Ctx,
    values: &Form,
    error: Option<&Error>,
    back: &str,
) -> Result<Resp> {
    let frame = ctx.frame(Section::Log);
    let f = &frame;
    let errors = error.map(Error::fields).unwrap_or(&[]);
    let body = html! {
        h1 { (f.t("log.new_entry")) }
        (form_error(f, error))
        (entry_form(f, values, errors, back))
        p { a href=(back) { (f.t("form.cancel")) } }
    };
    let status = error.map(Error::status).unwrap_or(200);
    Ok(Resp::html(layout(f, f.t("log.new_entry"), body)).with_status(status))
}

/// `POST /log/new`: records the entry and goes back; a rejected one comes back with its input.
pub(crate) fn entry_submit(ctx: &mut Ctx, form: Form) -> Result<Resp> {
    let by = ctx.user()?.id.0;
    let back = safe_back(form.get("back")).to_string();
    let input = input_of(&form);
    let tz = ctx.settings.time_zone;
    match db::write_grouped(ctx.conn, move |tx| entry::record(tx, &input, Some(by), tz)) {
        Ok(_) => {
            ctx.flash("flash.entry_saved");
            Ok(Resp::redirect(&back))
        }
        Err(e @ Error::Validation { .. }) => entry_form_page(ctx, &form, Some(&e), &back),
        Err(e) => Err(e),
    }
}

//! Task pages: the list (mine or everyone's; open, done, overdue, today, this week; by group,
//! customer, person), the add and edit forms (pre-filled from a card), a task's page with
//! one-click done/reopen, delete, the cards' Tasks tab, the front page's cards, and the groups
//! in settings.

use chrono::{NaiveDate, Utc};
use maud::{html, Markup};
use rusqlite::Connection;

use super::list::{ListQuery, Sort, Status, Tasks};
use super::reminders::{self, DueReminder, Start, State};
use super::store::{self, Group};
use super::{Task, TaskInput};
use crate::auth::{User, UserId};
use crate::customers::list as customer_list;
use crate::customers::{Customer, CustomerId};
use crate::db;
use crate::db::Tx;
use crate::error::{Error, FieldError, Result};
use crate::http::form::Form;
use crate::http::{CardOf, Ctx, Resp, TabView};
use crate::i18n::Lang;
use crate::register::form::{delete_page, form_target, Editable, FormPage};
use crate::register::page::{Column, ListRow, Listed};
use crate::register::{self, list};
use crate::views::{self, csrf_input, detail, layout, select, textarea, Field, Frame, Section};

/// The company's today.
pub(crate) fn today(ctx: &Ctx) -> NaiveDate {
    Utc::now()
        .with_timezone(&ctx.settings.time_zone)
        .date_naive()
}

/// Fills in what the list's URL leaves to the server: `assignee_id=me` is the user, `today`
/// is the company's, and the page shows open tasks unless it says otherwise.
pub(crate) fn prepare_query(ctx: &mut Ctx, page: bool) -> Result<()> {
    let me = ctx.user()?.id.0;
    if ctx.query.get("assignee_id") == "me" {
        ctx.query.set("assignee_id", me.to_string());
    }
    if page && !ctx.query.has("status") {
        ctx.query.set("status", "open");
    }
    let today = today(ctx).format("%Y-%m-%d").to_string();
    ctx.query.set("today", today);
    Ok(())
}

/// `GET /tasks`.
pub(crate) fn list_page(ctx: &mut Ctx) -> Result<Resp> {
    prepare_query(ctx, true)?;
    register::page::list::<Tasks>(ctx)
}

/// The users an assignee is chosen from: (id, name), active ones by name.
fn users(conn: &Connection) -> rusqlite::Result<Vec<User>> {
    let mut all = crate::users::store::users_page(conn, 1000, 0)?;
    all.retain(|u| u.active);
    Ok(all)
}

/// What the list loads besides its rows.
pub(crate) struct TasksExtra {
    today: NaiveDate,
    lang: Lang,
    csrf: String,
    can_write: bool,
    users: Vec<User>,
    groups: Vec<Group>,
    me: i64,
    back: String,
}

fn time_of(t: &Task) -> String {
    match &t.due_time {
        Some(time) => format!("{} {time}", t.due_date),
        None => t.due_date.clone(),
    }
}

fn is_overdue(t: &Task, today: NaiveDate) -> bool {
    !t.is_done() && t.due_date < today.format("%Y-%m-%d").to_string()
}

/// The one-click done / reopen button.
fn toggle_button(lang: Lang, csrf: &str, t: &Task, back: &str) -> Markup {
    let (action, label) = if t.is_done() {
        ("reopen", "tasks.reopen")
    } else {
        ("done", "tasks.mark_done")
    };
    html! {
        form.inline-form method="post" action=(format!("/tasks/{}/{action}", t.id)) {
            input type="hidden" name="csrf" value=(csrf);
            input type="hidden" name="back" value=(back);
            button.link type="submit" { (lang.t(label)) }
        }
    }
}

/// Where the task is for: its customer and contact, as links.
fn for_whom(t: &Task) -> Markup {
    html! {
        @if let (Some(id), Some(name)) = (t.customer_id, &t.customer_name) {
            a href=(format!("/customers/{id}")) { (name) }
        }
        @if let (Some(id), Some(name)) = (t.contact_id, &t.contact_name) {
            @if t.customer_id.is_some() { ", " }
            a href=(format!("/contacts/{id}")) { (name) }
        }
    }
}

fn date_cell(t: &Task, today: NaiveDate, lang: Lang) -> Markup {
    html! {
        @if is_overdue(t, today) {
            span.overdue { (time_of(t)) " " span.badge { (lang.t("tasks.overdue")) } }
        } @else {
            (time_of(t))
        }
    }
}

impl Listed for Tasks {
    type Extra = TasksExtra;
    const SECTION: Section = Section::Tasks;
    const TITLE: &'static str = "nav.tasks";
    const ADD: &'static str = "tasks.add";
    const SEARCH_HINT: &'static str = "tasks.search_hint";
    const PAGE_SORT: Sort = Sort::Due;
    const SHARED_ACTIONS: bool = false;
    const HEADINGS: &'static [Column<Sort>] = &[
        Column::sorted("tasks.due", Sort::Due, Some(Sort::DueDesc)),
        Column::plain("tasks.description"),
        Column::plain("tasks.assignee"),
        Column::plain("tasks.group"),
        Column::plain("tasks.customer"),
        Column::plain("tasks.status"),
    ];

    fn extra(ctx: &mut Ctx, _: &ListQuery, _: &[Task]) -> Result<TasksExtra> {
        let query = ctx.query.encode_without(&["today"]);
        Ok(TasksExtra {
            today: today(ctx),
            lang: ctx.lang,
            csrf: ctx.csrf_token(),
            can_write: ctx.user.as_ref().is_some_and(|u| u.role.can_write()),
            users: users(ctx.conn)?,
            groups: store::groups(ctx.conn)?,
            me: ctx.user()?.id.0,
            back: if query.is_empty() {
                "/tasks".into()
            } else {
                format!("/tasks?{query}")
            },
        })
    }

    fn filters(f: &Frame, query: &ListQuery, extra: &TasksExtra) -> Markup {
        let me = extra.me.to_string();
        let ids: Vec<String> = extra.users.iter().map(|u| u.id.0.to_string()).collect();
        let mut people = vec![
            ("", f.t("tasks.everyone")),
            (me.as_str(), f.t("tasks.mine")),
        ];
        for (u, id) in extra.users.iter().zip(&ids) {
            if u.id.0 != extra.me {
                people.push((id.as_str(), u.name.as_str()));
            }
        }
        let assignee = query
            .filter
            .assignee_id
            .map(|a| a.to_string())
            .unwrap_or_default();
        let status = match query.filter.status {
            Status::All => "all",
            Status::Open => "open",
            Status::Done => "done",
        };
        let when = match query.filter.when {
            super::list::When::Any => "",
            super::list::When::Overdue => "overdue",
            super::list::When::Today => "today",
            super::list::When::Week => "week",
        };
        let mut groups = vec![("", f.t("tasks.any_group"))];
        groups.extend(
            extra
                .groups
                .iter()
                .map(|g| (g.path.as_str(), g.path.as_str())),
        );
        html! {
            (select(f, "assignee_id", "tasks.assignee", &people, &assignee, &[]))
            (select(f, "status", "tasks.status", &[("open", f.t("tasks.open")), ("done", f.t("tasks.done")), ("all", f.t("tasks.all"))], status, &[]))
            (select(f, "when", "tasks.when", &[("", f.t("tasks.any_time")), ("overdue", f.t("tasks.overdue")), ("today", f.t("tasks.today")), ("week", f.t("tasks.this_week"))], when, &[]))
            (select(f, "group", "tasks.group", &groups, &query.filter.group, &[]))
            @if let Some(id) = query.filter.customer_id { input type="hidden" name="customer_id" value=(id); }
            @if let Some(id) = query.filter.contact_id { input type="hidden" name="contact_id" value=(id); }
        }
    }

    fn more_actions(f: &Frame, _: &ListQuery) -> Markup {
        html! {
            a href="/tasks?assignee_id=me" { (f.t("tasks.mine")) } " · "
            a href="/tasks?when=overdue" { (f.t("tasks.overdue")) } " · "
            a href="/tasks?when=today" { (f.t("tasks.today")) } " · "
            a href="/tasks?when=week" { (f.t("tasks.this_week")) } " · "
            a href="/tasks?status=done" { (f.t("tasks.done")) }
        }
    }

    fn row(t: Task, extra: &TasksExtra) -> ListRow {
        let lang = extra.lang;
        ListRow {
            id: t.id,
            name: t.description.clone(),
            inactive: t.is_done(),
            cells: vec![
                date_cell(&t, extra.today, lang),
                html! { a href=(format!("/tasks/{}", t.id)) { (t.description) } },
                html! { (t.assignee_name) },
                html! { (t.group.clone().unwrap_or_default()) },
                for_whom(&t),
                html! {
                    (lang.t(if t.is_done() { "tasks.done" } else { "tasks.open" }))
                    @if extra.can_write { " " (toggle_button(lang, &extra.csrf, &t, &extra.back)) }
                },
            ],
        }
    }
}

/// `GET /tasks/new`, pre-filled from the URL (`customer_id`, `contact_id`, `due_date`).
pub(crate) fn new_form(ctx: &mut Ctx) -> Result<Resp> {
    let me = ctx.user()?.id.0;
    let mut customer = ctx.query.get("customer_id").to_string();
    let contact = ctx.query.get("contact_id").to_string();
    // A task from a contact's card is for the contact's (first) customer.
    if customer.is_empty() {
        if let Ok(id) = contact.parse::<i64>() {
            if let Some(p) =
                crate::contacts::store::by_id(ctx.conn, crate::contacts::ContactId(id))?
            {
                if let Some(l) = p.customers.first() {
                    customer = l.customer_id.to_string();
                }
            }
        }
    }
    let values = Form::from_pairs([
        ("assignee_id", me.to_string()),
        ("customer_id", customer),
        ("contact_id", contact),
        ("due_date", {
            let d = ctx.query.get("due_date");
            if d.is_empty() {
                today(ctx).format("%Y-%m-%d").to_string()
            } else {
                d.to_string()
            }
        }),
        (
            "remind_days_before",
            ctx.settings.remind_days_before.to_string(),
        ),
    ]);
    Tasks::form_page(ctx, None, &values, None, &[])
}

// ---- the customer picker of the task form ----
//
// Without JavaScript the form picks a customer in steps, each a submit of the same form that
// comes back with everything typed so far: "Find" looks the text up (a customer number, else
// a name search); one match is taken, several are offered as buttons, none is an error at the
// field. Once a customer is chosen, its contacts are offered and "Change" clears the choice.
// Saving with text in the field and no customer chosen looks it up the same way first.

/// How many matches of a name search the form offers.
const CUSTOMER_MATCHES: i64 = 8;

/// What the form's customer field comes to.
enum Picked {
    /// Go on and save the form as it now is.
    Save(Form),
    /// Show the form again (a step of the picker, or no single match).
    Again(Form, Option<Error>, Vec<Customer>),
}

/// The customers the text in the field means: the one with that number, else name matches.
fn find_customers(conn: &Connection, text: &str) -> Result<Vec<Customer>> {
    for number in [text.to_string(), text.to_uppercase()] {
        if let Some(c) = crate::customers::store::by_number(conn, &number)? {
            return Ok(vec![c]);
        }
    }
    let query = customer_list::ListQuery::search(text, customer_list::Sort::Name, CUSTOMER_MATCHES);
    Ok(list::page(conn, &query)?.0)
}

fn customer_error(key: &'static str) -> Error {
    Error::Validation {
        key: "form.fix_errors",
        fields: vec![FieldError {
            field: "customer_q",
            key,
        }],
    }
}

/// Works out the form's customer from its picker fields.
fn pick_customer(conn: &Connection, mut form: Form) -> Result<Picked> {
    if let Ok(id) = form.get("customer_pick").parse::<i64>() {
        form.set("customer_id", id.to_string());
        form.set("customer_q", "");
        form.set("contact_id", "");
        return Ok(Picked::Again(form, None, Vec::new()));
    }
    let step = form.get("customer_step").to_string();
    if step == "change" {
        form.set("customer_id", "");
        form.set("contact_id", "");
        return Ok(Picked::Again(form, None, Vec::new()));
    }
    let text = form.get("customer_q").trim().to_string();
    if text.is_empty() {
        return Ok(match step.as_str() {
            "find" => Picked::Again(form, None, Vec::new()),
            _ => Picked::Save(form),
        });
    }
    let mut found = find_customers(conn, &text)?;
    match found.len() {
        0 => Ok(Picked::Again(
            form,
            Some(customer_error("tasks.customer_none")),
            Vec::new(),
        )),
        1 => {
            let customer = found.remove(0);
            form.set("customer_id", customer.id.0.to_string());
            form.set("customer_q", "");
            form.set("contact_id", "");
            Ok(match step.as_str() {
                "find" => Picked::Again(form, None, Vec::new()),
                _ => Picked::Save(form),
            })
        }
        _ => Ok(Picked::Again(
            form,
            Some(customer_error("tasks.customer_many")),
            found,
        )),
    }
}

/// `POST /tasks/new`: a step of the customer picker, or the save.
pub(crate) fn create(ctx: &mut Ctx, form: Form) -> Result<Resp> {
    match pick_customer(ctx.conn, form)? {
        Picked::Save(form) => register::form::create::<Tasks>(ctx, form),
        Picked::Again(form, error, found) => task_form(ctx, None, &form, error.as_ref(), &found),
    }
}

/// `POST /tasks/{id}/edit`: a step of the customer picker, or the save.
pub(crate) fn save(ctx: &mut Ctx, id: i64, form: Form) -> Result<Resp> {
    let task = store::by_id(ctx.conn, id)?.ok_or(Error::NotFound)?;
    match pick_customer(ctx.conn, form)? {
        Picked::Save(form) => register::form::save::<Tasks>(ctx, id, form),
        Picked::Again(form, error, found) => {
            task_form(ctx, Some(&task), &form, error.as_ref(), &found)
        }
    }
}

/// The customer part of the task form: the chosen customer with its contacts, or the field to
/// find one (with the matches to pick from).
fn customer_fields(
    f: &Frame,
    values: &Form,
    customer: Option<&Customer>,
    contacts: &[(String, String)],
    found: &[Customer],
    errors: &[FieldError],
) -> Markup {
    let mut contact_options = vec![("", f.t("tasks.no_contact"))];
    contact_options.extend(
        contacts
            .iter()
            .map(|(id, name)| (id.as_str(), name.as_str())),
    );
    html! {
        fieldset.customer-picker {
            legend { (f.t("tasks.customer")) }
            @if let Some(c) = customer {
                input type="hidden" name="customer_id" value=(c.id.0);
                p.chosen-customer {
                    a href=(format!("/customers/{}", c.id.0)) { (c.name) }
                    " " span.muted { (c.number) }
                    " "
                    button.link type="submit" name="customer_step" value="change" formnovalidate { (f.t("tasks.customer_change")) }
                }
                (select(f, "contact_id", "tasks.contact", &contact_options, values.get("contact_id"), errors))
            } @else {
                (Field::text("customer_q", "tasks.customer_q", values.get("customer_q")).kind("search").hint("tasks.customer_q_hint").render(f, errors))
                button type="submit" name="customer_step" value="find" formnovalidate { (f.t("tasks.customer_find")) }
                @if !found.is_empty() {
                    ul.found.customer-matches {
                        @for c in found {
                            li {
                                button type="submit" name="customer_pick" value=(c.id.0) formnovalidate { (c.name) }
                                " " span.muted { (c.number) @if !c.city.is_empty() { ", " (c.city) } }
                            }
                        }
                    }
                }
            }
        }
    }
}

impl Editable for Tasks {
    type Input = TaskInput;
    const CREATED: &'static str = "flash.task_created";

    fn input_of(form: &Form) -> TaskInput {
        let opt_text = |name: &str| {
            let v = form.get(name).trim();
            Some((!v.is_empty()).then(|| v.to_string()))
        };
        let opt_id = |name: &str| Some(form.get(name).trim().parse::<i64>().ok());
        TaskInput {
            description: Some(form.get("description").to_string()),
            assignee_id: form.get("assignee_id").trim().parse().ok(),
            group: opt_text("group"),
            due_date: Some(form.get("due_date").to_string()),
            due_time: opt_text("due_time"),
            customer_id: opt_id("customer_id"),
            contact_id: opt_id("contact_id"),
            remind_days_before: match form.get("remind_days_before").trim() {
                "" => Some(None),
                // Not a number: out of range, so the form says so at the field.
                v => Some(Some(v.parse().unwrap_or(-1))),
            },
            status: None,
        }
    }

    fn values_of(t: &Task) -> Form {
        let opt = |v: Option<i64>| v.map(|v| v.to_string()).unwrap_or_default();
        Form::from_pairs([
            ("description", t.description.clone()),
            ("assignee_id", t.assignee_id.to_string()),
            ("group", t.group.clone().unwrap_or_default()),
            ("due_date", t.due_date.clone()),
            ("due_time", t.due_time.clone().unwrap_or_default()),
            ("customer_id", opt(t.customer_id)),
            ("contact_id", opt(t.contact_id)),
            ("remind_days_before", opt(t.remind_days_before)),
        ])
    }

    fn by_id(conn: &Connection, id: i64) -> Result<Option<Task>> {
        Ok(store::by_id(conn, id)?)
    }

    fn look_alikes(_: &Tx, _: &TaskInput) -> Result<Vec<Task>> {
        Ok(Vec::new())
    }

    fn create(tx: &Tx, input: &TaskInput, by: UserId) -> Result<i64> {
        store::create(tx, input, Some(by), Utc::now())
    }

    fn update(tx: &Tx, id: i64, input: &TaskInput, by: UserId) -> Result<()> {
        store::update(tx, id, input, Some(by), Utc::now())
    }

    fn form_page(
        ctx: &mut Ctx,
        existing: Option<&Task>,
        values: &Form,
        error: Option<&Error>,
        _: &[Task],
    ) -> Result<Resp> {
        task_form(ctx, existing, values, error, &[])
    }
}

/// The add (`existing` none) or edit page of a task, with the customers a search found.
fn task_form(
    ctx: &mut Ctx,
    existing: Option<&Task>,
    values: &Form,
    error: Option<&Error>,
    found: &[Customer],
) -> Result<Resp> {
    // A readonly user could not mark the task done: only those who can write are offered.
    let mut people = users(ctx.conn)?;
    people.retain(|u| u.role.can_write());
    let groups = store::groups(ctx.conn)?;
    let customer = match values.get("customer_id").parse::<i64>() {
        Ok(id) => crate::customers::store::by_id(ctx.conn, CustomerId(id))?,
        Err(_) => None,
    };
    let contacts: Vec<(String, String)> = match &customer {
        Some(c) => crate::contacts::store::of_customer(ctx.conn, c.id)?
            .iter()
            .map(|(p, _)| (p.id.0.to_string(), p.full_name()))
            .collect(),
        None => Vec::new(),
    };
    let frame = ctx.frame(Section::Tasks);
    let f = &frame;
    // A customer the store refused (none by that id) is shown at the field that finds one.
    let mut errors: Vec<FieldError> = error.map(Error::fields).unwrap_or_default().to_vec();
    if customer.is_none() {
        for e in errors.clone() {
            if e.field == "customer_id" {
                errors.push(FieldError {
                    field: "customer_q",
                    key: e.key,
                });
            }
        }
    }
    let errors = errors.as_slice();
    let ids: Vec<String> = people.iter().map(|u| u.id.0.to_string()).collect();
    let people: Vec<(&str, &str)> = people
        .iter()
        .zip(&ids)
        .map(|(u, id)| (id.as_str(), u.name.as_str()))
        .collect();
    let mut group_options = vec![("", f.t("tasks.no_group"))];
    group_options.extend(groups.iter().map(|g| (g.path.as_str(), g.path.as_str())));
    let fields = html! {
        (textarea(f, "description", "tasks.description", values.get("description"), errors))
        (select(f, "assignee_id", "tasks.assignee", &people, values.get("assignee_id"), errors))
        (select(f, "group", "tasks.group", &group_options, values.get("group"), errors))
        (Field::text("due_date", "tasks.due_date", values.get("due_date")).kind("date").required().render(f, errors))
        (Field::text("due_time", "tasks.due_time", values.get("due_time")).kind("time").hint("tasks.due_time_hint").render(f, errors))
        (customer_fields(f, values, customer.as_ref(), &contacts, found, errors))
        (Field::text("remind_days_before", "tasks.remind_days_before", values.get("remind_days_before")).kind("number").hint("tasks.remind_days_before_hint").render(f, errors))
    };
    let (title, action, cancel) =
        form_target::<Tasks>(f, existing.map(|t| (t.id, "")), "tasks.add", "tasks.edit");
    let page = FormPage {
        explain: html! {},
        title,
        action,
        cancel,
        error,
        warning: "duplicates.contact_warning",
        alikes: Vec::new(),
        fields,
    };
    Ok(register::form::form_page(f, page))
}

/// `GET /tasks/{id}`: the task, its reminders, and its buttons.
pub(crate) fn card(ctx: &mut Ctx, id: i64) -> Result<Resp> {
    let t = store::by_id(ctx.conn, id)?.ok_or(Error::NotFound)?;
    let today = today(ctx);
    let frame = ctx.frame(Section::Tasks);
    let f = &frame;
    let can_write = f.user.as_ref().is_some_and(|u| u.role.can_write());
    let base = format!("/tasks/{id}");
    let body = html! {
        div.title-row {
            h1 { (f.t("tasks.task")) ": " (t.description.lines().next().unwrap_or("")) }
            @if can_write {
                div.actions {
                    (toggle_button(f.lang, &f.csrf, &t, &base))
                    a.button href=(format!("{base}/edit")) { (f.t("tasks.edit")) }
                    a.button.danger href=(format!("{base}/delete")) { (f.t("tasks.delete")) }
                }
            }
        }
        section.card {
            dl {
                dt { (f.t("tasks.due")) } dd { (date_cell(&t, today, f.lang)) }
                (detail(f, "tasks.assignee", &t.assignee_name))
                (detail(f, "tasks.group", t.group.as_deref().unwrap_or("")))
                dt { (f.t("tasks.status")) } dd { (f.t(if t.is_done() { "tasks.done" } else { "tasks.open" })) }
                @if t.customer_id.is_some() || t.contact_id.is_some() {
                    dt { (f.t("tasks.customer")) } dd { (for_whom(&t)) }
                }
                (detail(f, "tasks.remind_days_before", &t.remind_days_before.map(|d| d.to_string()).unwrap_or_default()))
            }
            p.notes { (t.description) }
        }
        section.card #reminders {
            h2 { (f.t("tasks.reminders")) }
            @if t.reminders.is_empty() {
                (views::empty(f.t("tasks.no_reminders")))
            } @else {
                ul.plain {
                    @for r in &t.reminders {
                        li {
                            (f.t(if r.kind == "before" { "tasks.reminder_before" } else { "tasks.reminder_due" })) ": "
                            (f.datetime_text(&r.remind_at))
                            @if r.delivered_at.is_some() { " — " (f.t("tasks.delivered")) }
                        }
                    }
                }
            }
        }
    };
    Ok(Resp::html(layout(f, f.t("tasks.task"), body)))
}

/// Where to go after a one-click change: the `back` field when it is one of our pages.
fn back_to(form: &Form, id: i64) -> String {
    let back = form.get("back");
    let ours = ["/tasks", "/customers/", "/contacts/", "/?", "/#"];
    if (back == "/" || ours.iter().any(|p| back.starts_with(p))) && !back.contains("//") {
        back.to_string()
    } else {
        format!("/tasks/{id}")
    }
}

/// `POST /tasks/{id}/done` and `/reopen`: one click.
pub(crate) fn set_done(ctx: &mut Ctx, id: i64, done: bool, form: Form) -> Result<Resp> {
    let by = ctx.user()?.id;
    db::write(ctx.conn, |tx| {
        store::set_done(tx, id, done, Some(by), Utc::now())
    })?;
    ctx.flash(if done {
        "flash.task_done"
    } else {
        "flash.task_reopened"
    });
    Ok(Resp::redirect(&back_to(&form, id)))
}

pub(crate) fn delete_confirm(ctx: &mut Ctx, id: i64) -> Result<Resp> {
    let t = store::by_id(ctx.conn, id)?.ok_or(Error::NotFound)?;
    let frame = ctx.frame(Section::Tasks);
    let f = &frame;
    let name = t.description.lines().next().unwrap_or("");
    let keys = ("tasks.delete", "tasks.delete_confirm");
    Ok(delete_page::<Tasks>(f, id, name, keys, None))
}

pub(crate) fn delete(ctx: &mut Ctx, id: i64) -> Result<Resp> {
    let by = ctx.user()?.id;
    db::write(ctx.conn, |tx| store::delete(tx, id, Some(by)))?;
    ctx.flash("flash.task_deleted");
    Ok(Resp::redirect("/tasks"))
}

/// A short table of tasks with their one-click buttons.
fn task_table(f: &Frame, tasks: &[Task], today: NaiveDate, back: &str) -> Markup {
    let can_write = f.user.as_ref().is_some_and(|u| u.role.can_write());
    html! {
        div.table-wrap { table.list {
            thead { tr {
                th { (f.t("tasks.due")) } th { (f.t("tasks.description")) } th { (f.t("tasks.assignee")) }
                th { (f.t("tasks.customer")) } th { (f.t("tasks.status")) }
            } }
            tbody {
                @for t in tasks {
                    tr.inactive[t.is_done()] {
                        td { (date_cell(t, today, f.lang)) }
                        td { a href=(format!("/tasks/{}", t.id)) { (t.description) } }
                        td { (t.assignee_name) }
                        td { (for_whom(t)) }
                        td {
                            (f.t(if t.is_done() { "tasks.done" } else { "tasks.open" }))
                            @if can_write { " " (toggle_button(f.lang, &f.csrf, t, back)) }
                        }
                    }
                }
            }
        } }
    }
}

/// The Tasks tab of a customer's or a contact's card (handed to the core as a hook).
pub(crate) fn card_tab(ctx: &mut Ctx, of: CardOf) -> Result<TabView> {
    let mut query = ListQuery::new(Sort::DueDesc);
    query.limit = 100;
    let (base, new) = match of {
        CardOf::Customer(id) => {
            query.filter.customer_id = Some(id);
            (
                format!("/customers/{id}?tab=tasks"),
                format!("/tasks/new?customer_id={id}"),
            )
        }
        CardOf::Contact(id) => {
            query.filter.contact_id = Some(id);
            (
                format!("/contacts/{id}?tab=tasks"),
                format!("/tasks/new?contact_id={id}"),
            )
        }
    };
    let list_link = match of {
        CardOf::Customer(id) => format!("/tasks?customer_id={id}&status=all"),
        CardOf::Contact(id) => format!("/tasks?contact_id={id}&status=all"),
    };
    let (tasks, more) = list::page(ctx.conn, &query)?;
    let today = today(ctx);
    Ok(Box::new(move |f: &Frame| {
        let can_write = f.user.as_ref().is_some_and(|u| u.role.can_write());
        html! {
            section.card #tasks {
                div.title-row {
                    h2 { (f.t("nav.tasks")) }
                    @if can_write { a.button.primary href=(new) { (f.t("tasks.add")) } }
                }
                @if tasks.is_empty() {
                    (views::empty(f.t("front.no_tasks")))
                } @else {
                    (task_table(f, &tasks, today, &base))
                    @if more { p { a href=(list_link) { (f.t("tasks.all_of_these")) } } }
                }
            }
        }
    }))
}

/// The front page's cards: my due reminders (to dismiss) and my overdue and upcoming tasks.
pub(crate) fn front_cards(ctx: &mut Ctx) -> Result<TabView> {
    let me = ctx.user()?.id.0;
    let due: Vec<DueReminder> = reminders::of_user(
        ctx.conn,
        me,
        State::Delivered,
        Utc::now(),
        20,
        &Start::Offset(0),
    )?;
    let today = today(ctx);
    let mut query = ListQuery::new(Sort::Due);
    query.filter.assignee_id = Some(me);
    query.filter.status = Status::Open;
    query.limit = 10;
    let (mine, more) = list::page(ctx.conn, &query)?;
    Ok(Box::new(move |f: &Frame| {
        let can_write = f.user.as_ref().is_some_and(|u| u.role.can_write());
        html! {
            section.card #reminders {
                h2 { (f.t("front.reminders")) }
                @if due.is_empty() {
                    (views::empty(f.t("front.no_reminders")))
                } @else {
                    ul.plain.reminders {
                        @for r in &due {
                            li.reminder {
                                a href=(format!("/tasks/{}", r.task_id)) { (r.due_date) " " (r.description) }
                                @if let Some(name) = &r.customer_name { " — " (name) }
                                @if let Some(name) = &r.contact_name { ", " (name) }
                                " "
                                form.inline-form method="post" action=(format!("/reminders/{}/dismiss", r.id)) {
                                    (csrf_input(f))
                                    button.link type="submit" { (f.t("reminders.dismiss")) }
                                }
                            }
                        }
                    }
                }
            }
            section.card #my-tasks {
                div.title-row {
                    h2 { (f.t("front.tasks")) }
                    @if can_write { a.button href="/tasks/new" { (f.t("tasks.add")) } }
                }
                @if mine.is_empty() {
                    (views::empty(f.t("front.no_tasks")))
                } @else {
                    ul.plain {
                        @for t in &mine {
                            li {
                                (date_cell(t, today, f.lang)) " "
                                a href=(format!("/tasks/{}", t.id)) { (t.description) }
                                @if can_write { " " (toggle_button(f.lang, &f.csrf, t, "/")) }
                            }
                        }
                    }
                    @if more { p { a href="/tasks?assignee_id=me" { (f.t("tasks.all_mine")) } } }
                }
            }
        }
    }))
}

/// `POST /reminders/{id}/dismiss`.
pub(crate) fn dismiss(ctx: &mut Ctx, id: i64) -> Result<Resp> {
    let me = ctx.user()?.id.0;
    reminders::dismiss(ctx.conn, id, me, Utc::now())?;
    Ok(Resp::redirect("/#reminders"))
}

// ---- groups, in settings ----

/// `GET /settings/task-groups`.
pub(crate) fn groups_page(ctx: &mut Ctx) -> Result<Resp> {
    groups_view(ctx, None)
}

fn groups_view(ctx: &mut Ctx, error: Option<&Error>) -> Result<Resp> {
    let groups = store::groups(ctx.conn)?;
    let frame = ctx.frame(Section::Settings);
    let f = &frame;
    let errors = error.map(Error::fields).unwrap_or_default();
    let body = html! {
        h1 { (f.t("tasks.groups_title")) }
        p.hint { (f.t("tasks.groups_hint")) }
        @if groups.is_empty() {
            (views::empty(f.t("tasks.no_groups")))
        } @else {
            ul.plain.groups {
                @for g in &groups {
                    li {
                        (g.path) " "
                        form.inline-form method="post" action=(format!("/settings/task-groups/{}/delete", g.id)) {
                            (csrf_input(f))
                            button.link type="submit" { (f.t("tasks.delete_group")) }
                        }
                    }
                }
            }
        }
        (views::form_error(f, error))
        form method="post" action="/settings/task-groups" novalidate {
            (csrf_input(f))
            (Field::text("path", "tasks.group_path", "").required().hint("tasks.group_path_hint").render(f, errors))
            button.primary type="submit" { (f.t("tasks.add_group")) }
        }
    };
    let status = error.map(Error::status).unwrap_or(200);
    Ok(Resp::html(layout(f, f.t("tasks.groups_title"), body)).with_status(status))
}

/// `POST /settings/task-groups`.
pub(crate) fn add_group(ctx: &mut Ctx, form: Form) -> Result<Resp> {
    match db::write(ctx.conn, |tx| store::add_group(tx, form.get("path"))) {
        Ok(()) => {
            ctx.flash("flash.saved");
            Ok(Resp::redirect("/settings/task-groups"))
        }
        Err(err @ Error::Validation { .. }) => groups_view(ctx, Some(&err)),
        Err(err) => Err(err),
    }
}

/// `POST /settings/task-groups/{id}/delete`.
pub(crate) fn delete_group(ctx: &mut Ctx, id: i64) -> Result<Resp> {
    db::write(ctx.conn, |tx| store::delete_group(tx, id))?;
    ctx.flash("flash.saved");
    Ok(Resp::redirect("/settings/task-groups"))
}

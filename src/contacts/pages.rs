//! Contact pages: the list, the card with the contact's customers and roles, the forms with
//! the duplicate warning, and linking to a customer from the contact's side.

use maud::{html, Markup};
use rusqlite::Connection;

use super::list::{Contacts, ListQuery, Sort};
use super::store;
use super::{Contact, ContactId, ContactInput, Link};
use crate::auth::UserId;
use crate::customers::list as customer_list;
use crate::customers::store as customers;
use crate::customers::{Customer, CustomerId};
use crate::db;
use crate::db::Tx;
use crate::error::{Error, Result};
use crate::http::form::Form;
use crate::http::{CardOf, Ctx, Resp};
use crate::register::card::TabContent;
use crate::register::form::{
    delete_page, form_target, look_alike_warning, save_checking, Editable, FormPage, LookAlike,
    Match, Outcome, Taggable,
};
use crate::register::page::{Column, ListRow, Listed};
use crate::register::{self, tags};
use crate::views::{
    self, csrf_input, detail, detail_link, form_error, layout, tabs, tag_list, tags_field,
    textarea, value_link, Field, Frame, LinkKind, Section,
};

/// What the contact list loads besides its rows: the customer the list is narrowed to.
pub(crate) struct ContactsExtra {
    for_customer: Option<Customer>,
}

impl Listed for Contacts {
    type Extra = ContactsExtra;
    const SECTION: Section = Section::Contacts;
    const TITLE: &'static str = "nav.contacts";
    const ADD: &'static str = "contacts.add";
    const SEARCH_HINT: &'static str = "contacts.search_hint";
    const PAGE_SORT: Sort = Sort::Name;
    const HEADINGS: &'static [Column<Sort>] = &[
        Column::sorted("customers.name", Sort::Name, Some(Sort::NameDesc)),
        Column::plain("nav.customers"),
        Column::plain("customers.email"),
        Column::plain("customers.phone"),
        Column::plain("customers.tags"),
    ];

    fn extra(ctx: &mut Ctx, query: &ListQuery, _: &[Contact]) -> Result<ContactsExtra> {
        let for_customer = match query.filter.customer_id {
            Some(id) => customers::by_id(ctx.conn, CustomerId(id))?,
            None => None,
        };
        Ok(ContactsExtra { for_customer })
    }

    fn subtitle(extra: &ContactsExtra) -> Option<String> {
        extra.for_customer.as_ref().map(|c| c.name.clone())
    }

    fn filters(_: &Frame, query: &ListQuery, _: &ContactsExtra) -> Markup {
        html! {
            @if let Some(id) = query.filter.customer_id { input type="hidden" name="customer_id" value=(id); }
        }
    }

    fn more_actions(f: &Frame, query: &ListQuery) -> Markup {
        let vcard = match query.filter.customer_id {
            Some(id) => format!("/contacts.vcf?customer_id={id}"),
            None => "/contacts.vcf".into(),
        };
        html! { " · " a href=(vcard) { (f.t("contacts.export_vcard")) } }
    }

    fn row(p: Contact, _: &ContactsExtra) -> ListRow {
        ListRow {
            id: p.id.0,
            name: p.full_name(),
            inactive: false,
            cells: vec![
                html! { a href=(format!("/contacts/{}", p.id.0)) { (p.full_name()) } },
                html! {
                    @for (i, (l, name)) in p.customers.iter().zip(&p.customer_names).enumerate() {
                        @if i > 0 { ", " }
                        a href=(format!("/customers/{}", l.customer_id)) { (name) }
                        @if !l.role.is_empty() { " (" (l.role) ")" }
                    }
                },
                html! { (p.email) },
                html! { (p.phone) },
                html! { (tag_list(&p.tags)) },
            ],
        }
    }
}

pub(crate) fn new_form(ctx: &mut Ctx) -> Result<Resp> {
    let values = Form::from_pairs([("customer_id", ctx.query.get("customer_id").to_string())]);
    Contacts::form_page(ctx, None, &values, None, &[])
}

impl Editable for Contacts {
    type Input = ContactInput;
    const CREATED: &'static str = "flash.contact_created";

    fn input_of(form: &Form) -> ContactInput {
        let text = |name: &str| Some(form.get(name).to_string());
        let customer: Option<i64> = form.get("customer_id").parse().ok();
        ContactInput {
            first_name: text("first_name"),
            last_name: text("last_name"),
            email: text("email"),
            phone: text("phone"),
            title: text("title"),
            notes: text("notes"),
            tags: Some(tags::parse_list(form.get("tags"))),
            customers: customer.map(|id| {
                vec![Link {
                    customer_id: id,
                    role: form.get("role").to_string(),
                }]
            }),
        }
    }

    /// The edit form does not show the contact's customers, so an edit leaves them be.
    fn edit_input_of(form: &Form) -> ContactInput {
        ContactInput {
            customers: None,
            ..Self::input_of(form)
        }
    }

    fn values_of(p: &Contact) -> Form {
        Form::from_pairs([
            ("first_name", p.first_name.clone()),
            ("last_name", p.last_name.clone()),
            ("email", p.email.clone()),
            ("phone", p.phone.clone()),
            ("title", p.title.clone()),
            ("notes", p.notes.clone()),
            ("tags", p.tags.join(", ")),
        ])
    }

    fn by_id(conn: &Connection, id: i64) -> Result<Option<Contact>> {
        Ok(store::by_id(conn, ContactId(id))?)
    }

    /// The same e-mail anywhere, or the same name at one of the customers it is added to.
    fn look_alikes(tx: &Tx, input: &ContactInput) -> Result<Vec<Contact>> {
        let at: Vec<i64> = input
            .customers
            .iter()
            .flatten()
            .map(|l| l.customer_id)
            .collect();
        let fields = store::validate(input, None)?;
        Ok(store::look_alikes(tx, &fields, &at, None)?)
    }

    fn create(tx: &Tx, input: &ContactInput, by: UserId) -> Result<i64> {
        store::create(tx, input, Some(by)).map(|id| id.0)
    }

    fn update(tx: &Tx, id: i64, input: &ContactInput, by: UserId) -> Result<()> {
        store::update(tx, ContactId(id), input, Some(by))
    }

    /// The new/edit form with the user's input; `alikes` are possible duplicates to confirm past.
    fn form_page(
        ctx: &mut Ctx,
        existing: Option<&Contact>,
        values: &Form,
        error: Option<&Error>,
        alikes: &[Contact],
    ) -> Result<Resp> {
        let all_tags = tags::all(ctx.conn)?;
        let frame = ctx.frame(Section::Contacts);
        let f = &frame;
        let errors = error.map(Error::fields).unwrap_or_default();
        let text =
            |name: &'static str, label: &'static str| Field::text(name, label, values.get(name));
        let fields = html! {
            @if existing.is_none() && !values.get("customer_id").is_empty() {
                input type="hidden" name="customer_id" value=(values.get("customer_id"));
                (text("role", "contacts.role").render(f, errors))
            }
            (text("first_name", "contacts.first_name").autocomplete("given-name").render(f, errors))
            (text("last_name", "contacts.last_name").autocomplete("family-name").render(f, errors))
            (text("title", "contacts.title").render(f, errors))
            (text("email", "customers.email").kind("email").render(f, errors))
            (text("phone", "customers.phone").kind("tel").render(f, errors))
            (tags_field(f, values.get("tags"), errors, &all_tags))
            (textarea(f, "notes", "customers.notes", values.get("notes"), errors))
        };
        let name = existing.map(|p| (p.id.0, p.full_name()));
        let (title, action, cancel) = form_target::<Contacts>(
            f,
            name.as_ref().map(|(id, n)| (*id, n.as_str())),
            "contacts.add",
            "contacts.edit",
        );
        let page = FormPage {
            title,
            action,
            cancel,
            error,
            explain: html! {},
            warning: "duplicates.contact_warning",
            alikes: look_alikes_of(alikes, values),
            fields,
        };
        Ok(register::form::form_page(f, page))
    }
}

/// Possible duplicate contacts as the forms list them, each with what matched the form's
/// `values`: the e-mail address, or the name (at one of the same customers).
fn look_alikes_of(alikes: &[Contact], values: &Form) -> Vec<LookAlike> {
    let email = values.get("email").trim();
    let name = format!(
        "{} {}",
        values.get("first_name").trim(),
        values.get("last_name").trim()
    );
    alikes
        .iter()
        .map(|p| {
            let mut matched = Vec::new();
            if p.full_name().to_lowercase() == name.trim().to_lowercase() {
                matched.push(Match::Name);
            }
            if !email.is_empty() && p.email.eq_ignore_ascii_case(email) {
                matched.push(Match::Email);
            }
            LookAlike {
                href: format!("/contacts/{}", p.id.0),
                name: p.full_name(),
                details: p.email.clone(),
                matched,
            }
        })
        .collect()
}

pub(crate) fn card(ctx: &mut Ctx, id: i64) -> Result<Resp> {
    card_page(ctx, id, None)
}

fn card_page(ctx: &mut Ctx, id: i64, error: Option<&Error>) -> Result<Resp> {
    let p = store::by_id(ctx.conn, ContactId(id))?.ok_or(Error::NotFound)?;
    let find = ctx.query.get("find").trim().to_string();
    let found = if find.is_empty() {
        Vec::new()
    } else {
        let query = customer_list::ListQuery::search(&find, customer_list::Sort::Name, 20);
        register::list::page(ctx.conn, &query)?.0
    };
    let content = TabContent::load(ctx, CardOf::Contact(p.id.0))?;
    let tab = content.tab();
    let frame = ctx.frame(Section::Contacts);
    let f = &frame;
    let can_write = f.user.as_ref().is_some_and(|u| u.role.can_write());
    let base = format!("/contacts/{}", p.id.0);
    let body = html! {
        div.title-row {
            h1 { (p.full_name()) }
            div.actions {
                a.button href=(format!("{base}.vcf")) { (f.t("contacts.vcard")) }
                @if can_write {
                    a.button href=(format!("{base}/edit")) { (f.t("contacts.edit")) }
                    a.button.danger href=(format!("{base}/delete")) { (f.t("contacts.delete")) }
                }
                // A person's data on request (the privacy feature's routes).
                @if f.is_admin() {
                    a.button href=(format!("{base}/export")) { (f.t("contacts.export_data")) }
                    a.button href=(format!("{base}/export.zip")) { (f.t("contacts.export_zip")) }
                    a.button.danger href=(format!("{base}/erase")) { (f.t("contacts.erase")) }
                }
            }
        }
        (tabs(f, &base, tab))
        @if let Some(other) = content.render(f) {
            (other)
        } @else {
            {
                div.grid {
                    section.card {
                        h2 { (f.t("tabs.details")) }
                        dl {
                            (detail(f, "contacts.title", &p.title))
                            (detail_link(f, "customers.email", &p.email, LinkKind::Email))
                            (detail_link(f, "customers.phone", &p.phone, LinkKind::Phone))
                        }
                        @if !p.tags.is_empty() { p { (tag_list(&p.tags)) } }
                        @if !p.notes.is_empty() { p.notes { (p.notes) } }
                    }
                    (customers_section(f, &p, &find, &found, error))
                }
            }
        }
    };
    let status = error.map(Error::status).unwrap_or(200);
    Ok(Resp::html(layout(f, &p.full_name(), body)).with_status(status))
}

/// The contact's customers with roles to change or unlink, and the search to link one more.
fn customers_section(
    f: &Frame,
    p: &Contact,
    find: &str,
    found: &[Customer],
    error: Option<&Error>,
) -> Markup {
    let can_write = f.user.as_ref().is_some_and(|u| u.role.can_write());
    let base = format!("/contacts/{}", p.id.0);
    html! {
        section.card #customers {
            h2 { (f.t("contacts.customers")) }
            @if p.customers.is_empty() {
                (views::empty(f.t("contacts.no_customers")))
            } @else {
                div.table-wrap { table.links {
                    thead { tr { th { (f.t("customers.name")) } th { (f.t("contacts.role")) } @if can_write { th { span.visually-hidden { (f.t("contacts.actions")) } } } } }
                    tbody {
                        @for (l, name) in p.customers.iter().zip(&p.customer_names) {
                            tr {
                                td { a href=(format!("/customers/{}", l.customer_id)) { (name) } }
                                td.role id=(format!("role-{}", l.customer_id)) { (l.role) }
                                @if can_write {
                                    td.row-actions { (link_actions(f, l.customer_id, p.id.0, &base)) }
                                }
                            }
                        }
                    }
                } }
            }
            @if can_write {
                h3 { (f.t("contacts.link_to_customer")) }
                (form_error(f, error))
                form method="get" action=(base) {
                    label for="find-customer" { (f.t("contacts.find_customer")) }
                    input #find-customer type="search" name="find" value=(find);
                    button type="submit" { (f.t("search.button")) }
                }
                @if !find.is_empty() {
                    @if found.is_empty() {
                        (views::empty(f.t("customers.nothing_found")))
                    } @else {
                        ul.found {
                            @for c in found {
                                li {
                                    form.inline-form method="post" action=(format!("{base}/customers")) {
                                        (csrf_input(f))
                                        input type="hidden" name="customer_id" value=(c.id.0);
                                        (c.name) " (" (c.number) ") "
                                        label.visually-hidden for=(format!("link-role-{}", c.id.0)) { (f.t("contacts.role")) }
                                        input id=(format!("link-role-{}", c.id.0)) type="text" name="role" placeholder=(f.t("contacts.role")) size="16";
                                        button type="submit" { (f.t("contacts.link")) }
                                    }
                                }
                            }
                        }
                    }
                }
            }
        }
    }
}

/// Links this contact to a customer picked on the contact's card.
pub(crate) fn link(ctx: &mut Ctx, id: i64, form: Form) -> Result<Resp> {
    let by = ctx.user()?.id;
    store::by_id(ctx.conn, ContactId(id))?.ok_or(Error::NotFound)?;
    let found = match form.get("customer_id").parse::<i64>() {
        Ok(customer) => customers::by_id(ctx.conn, CustomerId(customer))?.map(|c| c.id.0),
        Err(_) => None,
    };
    let Some(customer) = found else {
        return card_page(
            ctx,
            id,
            Some(&Error::field("customer_id", "contacts.customer_missing")),
        );
    };
    match db::write(ctx.conn, |tx| {
        store::link(
            tx,
            CustomerId(customer),
            ContactId(id),
            form.get("role"),
            Some(by),
        )
    }) {
        Ok(()) => {
            ctx.flash("flash.contact_linked");
            Ok(Resp::redirect(&format!("/contacts/{id}#customers")))
        }
        Err(err @ Error::Validation { .. }) => card_page(ctx, id, Some(&err)),
        Err(err) => Err(err),
    }
}

pub(crate) fn delete_confirm(ctx: &mut Ctx, id: i64) -> Result<Resp> {
    let p = store::by_id(ctx.conn, ContactId(id))?.ok_or(Error::NotFound)?;
    let frame = ctx.frame(Section::Contacts);
    let f = &frame;
    let keys = ("contacts.delete", "contacts.delete_confirm");
    let explain = Some(f.t("contacts.delete_explain").to_string());
    Ok(delete_page::<Contacts>(
        f,
        id,
        &p.full_name(),
        keys,
        explain,
    ))
}

pub(crate) fn delete(ctx: &mut Ctx, id: i64) -> Result<Resp> {
    let by = ctx.user()?.id;
    db::write(ctx.conn, |tx| store::delete(tx, ContactId(id), Some(by)))?;
    ctx.flash("flash.contact_deleted");
    Ok(Resp::redirect("/contacts"))
}

// ---- the contacts on a customer's card ----

/// A customer's card with its contacts panel.
pub(crate) fn customer_card(ctx: &mut Ctx, id: i64) -> Result<Resp> {
    customer_card_with(ctx, id, None, &Form::default(), &[])
}

/// The card with the add-contact form's error, input and possible duplicates when it was
/// rejected.
fn customer_card_with(
    ctx: &mut Ctx,
    id: i64,
    error: Option<&Error>,
    values: &Form,
    alikes: &[Contact],
) -> Result<Resp> {
    let status = error.map(Error::status).unwrap_or(200);
    crate::customers::pages::card(
        ctx,
        id,
        &mut |ctx, f, c| customer_panel(ctx, f, c, error, values, alikes),
        status,
    )
}

/// The contacts of a customer with their roles, and the forms to link or add one.
fn customer_panel(
    ctx: &mut Ctx,
    f: &Frame,
    c: &Customer,
    error: Option<&Error>,
    values: &Form,
    alikes: &[Contact],
) -> Result<Markup> {
    let people = store::of_customer(ctx.conn, c.id)?;
    let find = ctx.query.get("find").trim().to_string();
    let found = if find.is_empty() {
        Vec::new()
    } else {
        let query = ListQuery::search(&find, Sort::Name, 20);
        register::list::page(ctx.conn, &query)?.0
    };
    let can_write = f.user.as_ref().is_some_and(|u| u.role.can_write());
    let base = format!("/customers/{}", c.id.0);
    let alikes = look_alikes_of(alikes, values);
    Ok(html! {
        section.card #contacts {
            h2 { (f.t("customers.contacts")) }
            @if people.is_empty() {
                (views::empty(f.t("front.no_contacts")))
            } @else {
                div.table-wrap { table.links {
                    thead { tr { th { (f.t("customers.name")) } th { (f.t("contacts.role")) } th { (f.t("customers.email")) } th { (f.t("customers.phone")) } @if can_write { th { span.visually-hidden { (f.t("contacts.actions")) } } } } }
                    tbody {
                        @for (p, role) in &people {
                            tr {
                                td { a href=(format!("/contacts/{}", p.id.0)) { (p.full_name()) } }
                                td.role id=(format!("role-{}", p.id.0)) { (role) }
                                td.email { (value_link(LinkKind::Email, &p.email)) }
                                td.phone { (value_link(LinkKind::Phone, &p.phone)) }
                                @if can_write {
                                    td.row-actions { (link_actions(f, c.id.0, p.id.0, &base)) }
                                }
                            }
                        }
                    }
                } }
            }
            p.actions {
                a href=(format!("/contacts.vcf?customer_id={}", c.id.0)) { (f.t("contacts.export_vcard")) }
            }
            @if can_write {
                (add_contact_forms(f, &base, &find, &found, error, values, &alikes))
            }
        }
    })
}

/// The forms on a customer's card to link an existing contact (found by a search) or add a
/// new one, with the rejected input, its errors and look-alikes.
fn add_contact_forms(
    f: &Frame,
    base: &str,
    find: &str,
    found: &[Contact],
    error: Option<&Error>,
    values: &Form,
    alikes: &[LookAlike],
) -> Markup {
    let errors = error.map(Error::fields).unwrap_or_default();
    html! {
        h3 { (f.t("customers.add_contact")) }
        form method="get" action=(base) {
            label for="find-contact" { (f.t("customers.find_contact")) }
            input #find-contact type="search" name="find" value=(find);
            button type="submit" { (f.t("search.button")) }
        }
        @if !find.is_empty() {
            @if found.is_empty() {
                (views::empty(f.t("customers.nothing_found")))
            } @else {
                ul.found {
                    @for p in found {
                        li {
                            form.inline-form method="post" action=(format!("{base}/contacts")) {
                                (csrf_input(f))
                                input type="hidden" name="contact_id" value=(p.id.0);
                                (p.full_name()) @if !p.email.is_empty() { " (" (p.email) ")" } " "
                                label.visually-hidden for=(format!("link-role-{}", p.id.0)) { (f.t("contacts.role")) }
                                input id=(format!("link-role-{}", p.id.0)) type="text" name="role" placeholder=(f.t("contacts.role")) size="16";
                                button type="submit" { (f.t("contacts.link")) }
                            }
                        }
                    }
                }
            }
        }
        h3 { (f.t("customers.new_contact")) }
        (form_error(f, error))
        form method="post" action=(format!("{base}/contacts")) novalidate {
            (csrf_input(f))
            (look_alike_warning(f, "duplicates.contact_warning", alikes))
            (Field::text("first_name", "contacts.first_name", values.get("first_name")).render(f, errors))
            (Field::text("last_name", "contacts.last_name", values.get("last_name")).render(f, errors))
            (Field::text("email", "customers.email", values.get("email")).kind("email").render(f, errors))
            (Field::text("phone", "customers.phone", values.get("phone")).kind("tel").render(f, errors))
            (Field::text("role", "contacts.role", values.get("role")).hint("contacts.role_hint").render(f, errors))
            button.primary type="submit" { (f.t("customers.add_contact")) }
        }
    }
}

/// Adds a contact to the customer: an existing one (`contact_id`) or a new one made here.
pub(crate) fn add_to_customer(ctx: &mut Ctx, id: i64, form: Form) -> Result<Resp> {
    let by = ctx.user()?.id;
    let customer = CustomerId(id);
    customers::by_id(ctx.conn, customer)?.ok_or(Error::NotFound)?;
    let role = form.get("role").to_string();
    if let Ok(contact) = form.get("contact_id").parse::<i64>() {
        db::write(ctx.conn, |tx| {
            store::link(tx, customer, ContactId(contact), &role, Some(by))
        })?;
        ctx.flash("flash.contact_linked");
        return Ok(Resp::redirect(&format!("/customers/{id}#contacts")));
    }
    let input = ContactInput {
        first_name: Some(form.get("first_name").into()),
        last_name: Some(form.get("last_name").into()),
        email: Some(form.get("email").into()),
        phone: Some(form.get("phone").into()),
        customers: Some(vec![Link {
            customer_id: id,
            role,
        }]),
        ..ContactInput::default()
    };
    let outcome = save_checking(
        ctx.conn,
        form.checked("confirm_duplicate"),
        input,
        move |tx, input| {
            let fields = store::validate(input, None)?;
            Ok(store::look_alikes(tx, &fields, &[id], None)?)
        },
        move |tx, input| store::create(tx, input, Some(by)),
    )?;
    match outcome {
        Outcome::Saved(_) => {
            ctx.flash("flash.contact_created");
            Ok(Resp::redirect(&format!("/customers/{id}#contacts")))
        }
        Outcome::LookAlikes(alikes) => customer_card_with(ctx, id, None, &form, &alikes),
        Outcome::Rejected(err) => customer_card_with(ctx, id, Some(&err), &form, &[]),
    }
}

/// Where to go after a change made from either card: the `back` field when it is one of our
/// cards, else the customer's card.
fn back_to(form: &Form, id: i64) -> String {
    let back = form.get("back");
    if (back.starts_with("/contacts/") || back.starts_with("/customers/")) && !back.contains("//") {
        back.to_string()
    } else {
        format!("/customers/{id}#contacts")
    }
}

/// The actions on one customer–contact link, as links to their own pages (so the table stays
/// narrow, and nothing is unlinked by one stray click): change the role, unlink. `back` is the
/// card they return to.
fn link_actions(f: &Frame, customer: i64, contact: i64, back: &str) -> Markup {
    let base = format!("/customers/{customer}/contacts/{contact}");
    let back = serde_urlencoded::to_string([("back", back)]).unwrap_or_default();
    html! {
        a href=(format!("{base}/role?{back}")) { (f.t("contacts.change_role")) }
        " · "
        a href=(format!("{base}/unlink?{back}")) { (f.t("contacts.unlink")) }
    }
}

/// The link of `contact` to customer `id` (404 when there is none): the contact, the customer
/// and the role.
fn link_of(ctx: &Ctx, id: i64, contact: i64) -> Result<(Contact, Customer, String)> {
    let person = store::by_id(ctx.conn, ContactId(contact))?.ok_or(Error::NotFound)?;
    let company = customers::by_id(ctx.conn, CustomerId(id))?.ok_or(Error::NotFound)?;
    let role = person
        .customers
        .iter()
        .find(|l| l.customer_id == id)
        .map(|l| l.role.clone())
        .ok_or(Error::NotFound)?;
    Ok((person, company, role))
}

/// `GET /customers/{id}/contacts/{contact}/role`: the form to change the contact's role there.
pub(crate) fn role_form(ctx: &mut Ctx, id: i64, contact: i64) -> Result<Resp> {
    let (person, company, role) = link_of(ctx, id, contact)?;
    let back = back_to(&ctx.query, id);
    let frame = ctx.frame(Section::Customers);
    let f = &frame;
    let title = f.lang.tf(
        "contacts.role_title",
        &[("name", &person.full_name()), ("customer", &company.name)],
    );
    let body = html! {
        div.narrow {
            h1 { (title) }
            form method="post" action=(format!("/customers/{id}/contacts/{contact}/role")) {
                (csrf_input(f))
                input type="hidden" name="back" value=(back);
                (Field::text("role", "contacts.role", &role).hint("contacts.role_hint").render(f, &[]))
                button.primary type="submit" { (f.t("form.save")) }
                " " a href=(back) { (f.t("form.cancel")) }
            }
        }
    };
    Ok(Resp::html(layout(f, &title, body)))
}

/// `GET /customers/{id}/contacts/{contact}/unlink`: asks before the link (and its role) goes.
pub(crate) fn unlink_confirm(ctx: &mut Ctx, id: i64, contact: i64) -> Result<Resp> {
    let (person, company, role) = link_of(ctx, id, contact)?;
    let back = back_to(&ctx.query, id);
    let frame = ctx.frame(Section::Customers);
    let f = &frame;
    let title = f.t("contacts.unlink_title");
    let question = f.lang.tf(
        "contacts.unlink_question",
        &[("name", &person.full_name()), ("customer", &company.name)],
    );
    let body = html! {
        div.narrow {
            h1 { (title) }
            p { (question) }
            @if !role.is_empty() { p { (f.t("contacts.role")) ": " strong { (role) } } }
            p.hint { (f.t("contacts.unlink_explain")) }
            form method="post" action=(format!("/customers/{id}/contacts/{contact}/unlink")) {
                (csrf_input(f))
                input type="hidden" name="back" value=(back);
                button.danger type="submit" { (f.t("contacts.unlink")) }
                " " a href=(back) { (f.t("form.cancel")) }
            }
        }
    };
    Ok(Resp::html(layout(f, title, body)))
}

pub(crate) fn set_role(ctx: &mut Ctx, id: i64, contact: i64, form: Form) -> Result<Resp> {
    let by = ctx.user()?.id;
    db::write(ctx.conn, |tx| {
        store::link(
            tx,
            CustomerId(id),
            ContactId(contact),
            form.get("role"),
            Some(by),
        )
    })?;
    ctx.flash("flash.saved");
    Ok(Resp::redirect(&back_to(&form, id)))
}

pub(crate) fn unlink(ctx: &mut Ctx, id: i64, contact: i64, form: Form) -> Result<Resp> {
    let by = ctx.user()?.id;
    db::write(ctx.conn, |tx| {
        store::unlink(tx, CustomerId(id), ContactId(contact), Some(by))
    })?;
    ctx.flash("flash.contact_unlinked");
    Ok(Resp::redirect(&back_to(&form, id)))
}

impl Taggable for Contacts {
    fn tags_of(row: &Contact) -> &[String] {
        &row.tags
    }

    fn with_tags(tags: Vec<String>) -> ContactInput {
        ContactInput {
            tags: Some(tags),
            ..ContactInput::default()
        }
    }
}

//! Customer pages: the list with search, filters and bulk tagging; the card; the forms with
//! the duplicate warning; archive and delete; linking contacts from the card.

use maud::{html, Markup};
use rusqlite::Connection;

use super::list::{Customers, ListQuery, Sort};
use super::store;
use super::{countries, einvoice};
use super::{Customer, CustomerId, CustomerInput};
use crate::auth::UserId;
use crate::db;
use crate::db::Tx;
use crate::error::{Error, Result};
use crate::http::form::Form;
use crate::http::{CardOf, Ctx, Resp};
use crate::register::card::TabContent;
use crate::register::form::{
    delete_page, form_target, Editable, FormPage, LookAlike, Match, Taggable,
};
use crate::register::page::{Column, ListRow, Listed};
use crate::register::{self, tags};
use crate::users::{self, User};
use crate::views::{
    csrf_input, detail, detail_link, layout, select, tabs, tag_list, tags_field, textarea, CardTab,
    Field, Frame, LinkKind, Section,
};

/// Every user, for owner pickers and names (a small table).
fn all_users(ctx: &Ctx) -> Result<Vec<User>> {
    Ok(users::store::users_page(ctx.conn, 500, 0)?)
}

/// Owner choices; the empty one reads `empty_label` ("no owner" in a form, "any" in a filter).
fn owner_options<'a>(
    f: &Frame,
    users: &'a [User],
    empty_label: &'static str,
    selected: &str,
) -> Vec<(String, &'a str)> {
    let mut options = vec![(String::new(), f.t(empty_label))];
    // Owners are people who can work with the customer: active users who may write. One
    // chosen before (since deactivated or made readonly) stays listed where chosen, so
    // saving a form does not drop them.
    options.extend(
        users
            .iter()
            .filter(|u| (u.active && u.role.can_write()) || selected == u.id.0.to_string())
            .map(|u| (u.id.0.to_string(), u.name.as_str())),
    );
    options
}

/// The owner picker; the empty choice reads `empty_label` ("no owner" in a form, "any" in a
/// filter).
fn owner_select(
    f: &Frame,
    empty_label: &'static str,
    users: &[User],
    selected: &str,
    errors: &[crate::error::FieldError],
) -> Markup {
    let options = owner_options(f, users, empty_label, selected);
    let borrowed: Vec<(&str, &str)> = options.iter().map(|(v, t)| (v.as_str(), *t)).collect();
    select(
        f,
        "owner_id",
        "customers.owner",
        &borrowed,
        selected,
        errors,
    )
}

impl Listed for Customers {
    /// Every user, for the owner filter.
    type Extra = Vec<User>;
    const SECTION: Section = Section::Customers;
    const TITLE: &'static str = "nav.customers";
    const ADD: &'static str = "customers.add";
    const SEARCH_HINT: &'static str = "customers.search_hint";
    const PAGE_SORT: Sort = Sort::Name;
    const HEADINGS: &'static [Column<Sort>] = &[
        Column::sorted("customers.number", Sort::Number, None),
        Column::sorted("customers.name", Sort::Name, Some(Sort::NameDesc)),
        Column::plain("customers.business_id"),
        Column::plain("customers.city"),
        Column::plain("customers.phone"),
        Column::plain("customers.tags"),
    ];

    fn extra(ctx: &mut Ctx, _: &ListQuery, _: &[Customer]) -> Result<Vec<User>> {
        all_users(ctx)
    }

    fn filters(f: &Frame, query: &ListQuery, users: &Vec<User>) -> Markup {
        let archived_options = [
            ("false", f.t("customers.active_only")),
            ("true", f.t("customers.archived_only")),
            ("all", f.t("customers.all")),
        ];
        let owner = query
            .filter
            .owner_id
            .map(|o| o.to_string())
            .unwrap_or_default();
        html! {
            (owner_select(f, "customers.any_owner", users, &owner, &[]))
            (select(f, "archived", "customers.show", &archived_options, query.filter.archived.as_str(), &[]))
        }
    }

    fn row(c: Customer, _: &Vec<User>) -> ListRow {
        ListRow {
            id: c.id.0,
            inactive: c.archived,
            cells: vec![
                html! { (c.number) },
                html! { a href=(format!("/customers/{}", c.id.0)) { (c.name) } },
                html! { (c.business_id.as_deref().unwrap_or("")) },
                html! { (c.city) },
                html! { (c.phone) },
                html! { (tag_list(&c.tags)) },
            ],
            name: c.name,
        }
    }
}

pub(crate) fn new_form(ctx: &mut Ctx) -> Result<Resp> {
    let me = ctx.user()?.id.0.to_string();
    let values = Form::from_pairs([("country", "FI".to_string()), ("owner_id", me)]);
    Customers::form_page(ctx, None, &values, None, &[])
}

impl Editable for Customers {
    type Input = CustomerInput;
    const CREATED: &'static str = "flash.customer_created";

    /// A form's values as input for the store.
    fn input_of(form: &Form) -> CustomerInput {
        let text = |name: &str| Some(form.get(name).to_string());
        CustomerInput {
            number: None,
            name: text("name"),
            business_id: text("business_id"),
            email: text("email"),
            phone: text("phone"),
            website: text("website"),
            street: text("street"),
            postal_code: text("postal_code"),
            city: text("city"),
            country: text("country"),
            einvoice_address: text("einvoice_address"),
            einvoice_operator: text("einvoice_operator"),
            notes: text("notes"),
            tags: Some(tags::parse_list(form.get("tags"))),
            owner_id: Some(form.get("owner_id").parse().ok()),
            archived: None,
        }
    }

    /// A customer's fields as form values.
    fn values_of(c: &Customer) -> Form {
        Form::from_pairs([
            ("name", c.name.clone()),
            ("business_id", c.business_id.clone().unwrap_or_default()),
            ("email", c.email.clone()),
            ("phone", c.phone.clone()),
            ("website", c.website.clone()),
            ("street", c.street.clone()),
            ("postal_code", c.postal_code.clone()),
            ("city", c.city.clone()),
            ("country", c.country.clone()),
            ("einvoice_address", c.einvoice_address.clone()),
            ("einvoice_operator", c.einvoice_operator.clone()),
            ("notes", c.notes.clone()),
            ("tags", c.tags.join(", ")),
            (
                "owner_id",
                c.owner_id.map(|o| o.to_string()).unwrap_or_default(),
            ),
        ])
    }

    fn by_id(conn: &Connection, id: i64) -> Result<Option<Customer>> {
        Ok(store::by_id(conn, CustomerId(id))?)
    }

    /// A business ID another customer has is no look-alike but a hard stop (the form names
    /// that customer); the same name or e-mail address is a look-alike to confirm past.
    fn look_alikes(tx: &Tx, input: &CustomerInput) -> Result<Vec<Customer>> {
        let fields = crate::customers::validate::validate(input, None)?;
        if let Some(bid) = &fields.business_id {
            store::check_business_id_free(tx, bid, None)?;
        }
        Ok(store::look_alikes(tx, &fields, None)?)
    }

    fn create(tx: &Tx, input: &CustomerInput, by: UserId) -> Result<i64> {
        store::create(tx, input, Some(by)).map(|id| id.0)
    }

    fn update(tx: &Tx, id: i64, input: &CustomerInput, by: UserId) -> Result<()> {
        store::update(tx, CustomerId(id), input, Some(by))
    }

    /// The new/edit form with the user's input; `alikes` are possible duplicates to confirm past.
    fn form_page(
        ctx: &mut Ctx,
        existing: Option<&Customer>,
        values: &Form,
        error: Option<&Error>,
        alikes: &[Customer],
    ) -> Result<Resp> {
        form_with(ctx, existing, values, error, alikes, html! {})
    }
}

/// The hard stop under a rejected business ID: which customer already has it, with a link.
fn business_id_holder(f: &Frame, holder: Option<&Customer>) -> Markup {
    html! {
        @if let Some(c) = holder {
            p.form-error.holder role="alert" {
                (f.lang.tf("duplicates.business_id_holder", &[("business_id", c.business_id.as_deref().unwrap_or(""))]))
                " " a href=(format!("/customers/{}", c.id.0)) { (c.name) } " (" (c.number) ")."
            }
        }
    }
}

/// The address of the form's "Hae YTJ:stä" button: the look-up that fills the form again.
pub(crate) fn lookup_action(existing: Option<&Customer>) -> String {
    match existing {
        Some(c) => format!("/customers/{}/ytj", c.id.0),
        None => "/customers/ytj".to_string(),
    }
}

/// The customer form, with `lookup` (what the business register look-up found: a notice or
/// the matches to pick from) under the business ID. The look-up's own button shows when the
/// look-up is on.
pub(crate) fn form_with(
    ctx: &mut Ctx,
    existing: Option<&Customer>,
    values: &Form,
    error: Option<&Error>,
    alikes: &[Customer],
    lookup: Markup,
) -> Result<Resp> {
    let ytj_on = ctx.ytj_url().is_some();
    let users = all_users(ctx)?;
    // A business ID another customer has: that customer, to name and link.
    let taken = error.is_some_and(|e| {
        e.fields()
            .iter()
            .any(|f| f.key == "customers.business_id_taken")
    });
    let holder = match super::BusinessId::parse(values.get("business_id")) {
        Ok(bid) if taken => {
            store::by_business_id(ctx.conn, &bid)?.filter(|c| existing.is_none_or(|e| e.id != c.id))
        }
        _ => None,
    };
    let all_tags = tags::all(ctx.conn)?;
    let frame = ctx.frame(Section::Customers);
    let f = &frame;
    let errors = error.map(Error::fields).unwrap_or_default();
    let text = |name: &'static str, label: &'static str| Field::text(name, label, values.get(name));
    let fields = html! {
            // Enter in a field saves: the first submit button of a form is the one Enter
            // presses, so the look-up's buttons below must not be the first.
            @if ytj_on {
                button.visually-hidden type="submit" tabindex="-1" aria-hidden="true" { (f.t("form.save")) }
            }
            fieldset {
                legend { (f.t("customers.basic")) }
                (text("name", "customers.name").required().autocomplete("organization").render(f, errors))
                (text("business_id", "customers.business_id").hint("customers.business_id_hint").render(f, errors))
                @if ytj_on {
                    div.field.ytj {
                        button type="submit" formaction=(lookup_action(existing)) formnovalidate name="ytj" value="1" { (f.t("ytj.button")) }
                        p.hint { (f.t("ytj.hint")) }
                    }
                }
                (lookup)
                (text("email", "customers.email").kind("email").render(f, errors))
                (text("phone", "customers.phone").kind("tel").render(f, errors))
                (text("website", "customers.website").hint("customers.website_hint").render(f, errors))
            }
            fieldset {
                legend { (f.t("customers.address")) }
                (text("street", "customers.street").render(f, errors))
                (text("postal_code", "customers.postal_code").render(f, errors))
                (text("city", "customers.city").render(f, errors))
                (country_select(f, values.get("country"), errors))
            }
            fieldset {
                legend { (f.t("customers.invoicing")) }
                (text("einvoice_address", "customers.einvoice_address").hint("customers.einvoice_address_hint").render(f, errors))
                (text("einvoice_operator", "customers.einvoice_operator").hint("customers.einvoice_operator_pick").list("einvoice-operators").render(f, errors))
                datalist #einvoice-operators {
                    @for (id, name) in einvoice::OPERATORS { option value=(id) { (name) } }
                }
            }
            fieldset {
                legend { (f.t("customers.other")) }
                (owner_select(f, "customers.no_owner", &users, values.get("owner_id"), errors))
                (tags_field(f, values.get("tags"), errors, &all_tags))
                (textarea(f, "notes", "customers.notes", values.get("notes"), errors))
            }
    };
    let typed_key = super::name_key(values.get("name"));
    let typed_email = values.get("email").trim();
    let alikes = alikes
        .iter()
        .map(|c| LookAlike {
            href: format!("/customers/{}", c.id.0),
            name: c.name.clone(),
            details: [
                c.number.as_str(),
                c.business_id.as_deref().unwrap_or(""),
                &c.email,
            ]
            .into_iter()
            .filter(|s| !s.is_empty())
            .collect::<Vec<_>>()
            .join(", "),
            matched: [
                (!typed_key.is_empty() && super::name_key(&c.name) == typed_key)
                    .then_some(Match::Name),
                (!typed_email.is_empty() && c.email.eq_ignore_ascii_case(typed_email))
                    .then_some(Match::Email),
            ]
            .into_iter()
            .flatten()
            .collect(),
        })
        .collect();
    let (title, action, cancel) = form_target::<Customers>(
        f,
        existing.map(|c| (c.id.0, c.name.as_str())),
        "customers.add",
        "customers.edit",
    );
    let page = FormPage {
        title,
        action,
        cancel,
        error,
        explain: business_id_holder(f, holder.as_ref()),
        warning: "duplicates.warning",
        alikes,
        fields,
    };
    Ok(register::form::form_page(f, page))
}

/// The country picker: names in the reader's language, stored as the code; a stored code the
/// list does not know is offered as it is, so saving the form keeps it.
fn country_select(f: &Frame, current: &str, errors: &[crate::error::FieldError]) -> Markup {
    let options = countries::options(f.lang, current);
    let borrowed: Vec<(&str, &str)> = options
        .iter()
        .map(|(code, name)| (code.as_str(), name.as_str()))
        .collect();
    select(
        f,
        "country",
        "customers.country",
        &borrowed,
        current,
        errors,
    )
}

/// "Street 1, 00100 Helsinki" from the parts that are filled in.
fn address_of(c: &Customer) -> String {
    let town = format!("{} {}", c.postal_code, c.city).trim().to_string();
    [c.street.as_str(), town.as_str()]
        .iter()
        .filter(|s| !s.is_empty())
        .copied()
        .collect::<Vec<_>>()
        .join(", ")
}

/// What the contacts feature shows on a customer's card: the contacts with their roles and the
/// forms to link or add one. Handed in by the route table, so customers need not know contacts.
pub(crate) type ContactsPanel<'a> = dyn FnMut(&mut Ctx, &Frame, &Customer) -> Result<Markup> + 'a;

/// The customer's card with its tabs; `status` is not 200 when the contacts panel shows a
/// rejected form.
pub(crate) fn card(
    ctx: &mut Ctx,
    id: i64,
    contacts: &mut ContactsPanel,
    status: u16,
) -> Result<Resp> {
    let c = store::by_id(ctx.conn, CustomerId(id))?.ok_or(Error::NotFound)?;
    let content = TabContent::load(ctx, CardOf::Customer(c.id.0))?;
    let tab = content.tab();
    let owner = match c.owner_id {
        Some(o) => users::store::user_by_id(ctx.conn, users::UserId(o))?.map(|u| u.name),
        None => None,
    };
    let frame = ctx.frame(Section::Customers);
    let f = &frame;
    let can_write = f.user.as_ref().is_some_and(|u| u.role.can_write());
    let base = format!("/customers/{}", c.id.0);
    let contacts_panel = if tab == CardTab::Details {
        contacts(ctx, f, &c)?
    } else {
        html! {}
    };
    let body = html! {
        div.title-row {
            h1 { (c.name) @if c.archived { " " span.badge { (f.t("customers.archived_badge")) } } }
            @if can_write {
                div.actions {
                    a.button href=(format!("{base}/edit")) { (f.t("customers.edit")) }
                    form.inline-form method="post" action=(format!("{base}/archive")) {
                        (csrf_input(f))
                        input type="hidden" name="archived" value=(if c.archived { "0" } else { "1" });
                        button type="submit" { (f.t(if c.archived { "customers.restore" } else { "customers.archive" })) }
                    }
                    @if f.is_admin() {
                        a.button.danger href=(format!("{base}/delete")) { (f.t("customers.delete")) }
                    }
                }
            }
        }
        (tabs(f, &base, tab))
        @if let Some(other) = content.render(f) {
            (other)
        } @else {
            {
                div.cols {
                    section.card {
                        h2 { (f.t("tabs.details")) }
                        dl {
                            (detail(f, "customers.number", &c.number))
                            (detail(f, "customers.business_id", c.business_id.as_deref().unwrap_or("")))
                            (detail_link(f, "customers.email", &c.email, LinkKind::Email))
                            (detail_link(f, "customers.phone", &c.phone, LinkKind::Phone))
                            (detail_link(f, "customers.website", &c.website, LinkKind::Website))
                            (detail(f, "customers.address", &address_of(&c)))
                            (detail(f, "customers.country", &countries::shown(f.lang, &c.country)))
                            (detail(f, "customers.einvoice_address", &c.einvoice_address))
                            (detail(f, "customers.einvoice_operator", &einvoice::shown(&c.einvoice_operator)))
                            (detail(f, "customers.owner", owner.as_deref().unwrap_or("")))
                        }
                        @if !c.tags.is_empty() { p { (tag_list(&c.tags)) } }
                        @if !c.notes.is_empty() { p.notes { (c.notes) } }
                    }
                    (contacts_panel)
                }
            }
        }
    };
    Ok(Resp::html(layout(f, &c.name, body)).with_status(status))
}

pub(crate) fn archive(ctx: &mut Ctx, id: i64, form: Form) -> Result<Resp> {
    let by = ctx.user()?.id;
    let archived = form.get("archived") == "1";
    let input = CustomerInput {
        archived: Some(archived),
        ..CustomerInput::default()
    };
    db::write(ctx.conn, |tx| {
        store::update(tx, CustomerId(id), &input, Some(by))
    })?;
    ctx.flash(if archived {
        "flash.customer_archived"
    } else {
        "flash.customer_restored"
    });
    Ok(Resp::redirect(&format!("/customers/{id}")))
}

pub(crate) fn delete_confirm(ctx: &mut Ctx, id: i64) -> Result<Resp> {
    let c = store::by_id(ctx.conn, CustomerId(id))?.ok_or(Error::NotFound)?;
    let people = store::contact_count(ctx.conn, c.id)?;
    let frame = ctx.frame(Section::Customers);
    let f = &frame;
    let key = match people {
        0 => "customers.delete_explain_none",
        1 => "customers.delete_explain_one",
        _ => "customers.delete_explain_many",
    };
    let explain = f.lang.tf(key, &[("contacts", &people.to_string())]);
    let keys = ("customers.delete", "customers.delete_confirm");
    Ok(delete_page::<Customers>(
        f,
        id,
        &c.name,
        keys,
        Some(explain),
    ))
}

pub(crate) fn delete(ctx: &mut Ctx, id: i64) -> Result<Resp> {
    let by = ctx.user()?.id;
    db::write(ctx.conn, |tx| store::delete(tx, CustomerId(id), Some(by)))?;
    ctx.flash("flash.customer_deleted");
    Ok(Resp::redirect("/customers"))
}

impl Taggable for Customers {
    fn tags_of(row: &Customer) -> &[String] {
        &row.tags
    }

    fn with_tags(tags: Vec<String>) -> CustomerInput {
        CustomerInput {
            tags: Some(tags),
            ..CustomerInput::default()
        }
    }
}

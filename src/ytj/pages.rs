//! The customer form's "Hae YTJ:stä" button: a submit button whose `formaction` posts the
//! whole form here. The business ID typed (or the name, when no ID is typed) is looked up and
//! the form comes back with the user's input, filled from the register when one company was
//! found, with the matches to pick from when a name search found several, or with a message at
//! the field when nothing was found or the register could not be reached. No JavaScript, and
//! nothing is saved: the user checks the form and saves it as usual.

use maud::{html, Markup};

use super::{lookup, Company, Failure, Query};
use crate::customers::business_id::BusinessId;
use crate::customers::list::Customers;
use crate::customers::pages::{form_with, lookup_action};
use crate::customers::Customer;
use crate::error::{Error, Result};
use crate::http::form::Form;
use crate::http::{Ctx, Resp};
use crate::register::form::Editable;

/// `POST /customers/ytj`: the look-up from the new-customer form.
pub(crate) fn lookup_new(ctx: &mut Ctx, form: Form) -> Result<Resp> {
    lookup_into_form(ctx, None, form)
}

/// `POST /customers/{id}/ytj`: the look-up from a customer's edit form.
pub(crate) fn lookup_edit(ctx: &mut Ctx, id: i64, form: Form) -> Result<Resp> {
    let existing = Customers::by_id(ctx.conn, id)?.ok_or(Error::NotFound)?;
    lookup_into_form(ctx, Some(&existing), form)
}

fn lookup_into_form(ctx: &mut Ctx, existing: Option<&Customer>, mut form: Form) -> Result<Resp> {
    let picked = form.get("ytj_pick").trim().to_string();
    let typed_id = form.get("business_id").trim().to_string();
    let name = form.get("name").trim().to_string();
    // A pick from the matches, else the typed business ID, else the name.
    let (query, field) = if !picked.is_empty() || !typed_id.is_empty() {
        let text = if picked.is_empty() {
            &typed_id
        } else {
            &picked
        };
        match BusinessId::parse(text) {
            Ok(id) => (Query::BusinessId(id), "business_id"),
            Err(e) => {
                return answer(
                    ctx,
                    existing,
                    &form,
                    Some(Error::field("business_id", e.key())),
                    html! {},
                )
            }
        }
    } else if !name.is_empty() && name.chars().count() <= 200 && !crate::error::has_control(&name) {
        (Query::Name(name), "name")
    } else {
        let err = Error::field("business_id", "ytj.type_something");
        return answer(ctx, existing, &form, Some(err), html! {});
    };
    let found = match ctx.ytj_url() {
        None => Err(Failure::Off),
        Some(base) => lookup(base, &query),
    };
    let lang = ctx.lang;
    match found {
        Err(failure) => answer(
            ctx,
            existing,
            &form,
            Some(Error::field(field, failure.key())),
            html! {},
        ),
        Ok(found) if found.is_empty() => answer(
            ctx,
            existing,
            &form,
            Some(Error::field(field, "ytj.not_found")),
            html! {},
        ),
        Ok(found) if found.len() == 1 => {
            let company = &found[0];
            fill(&mut form, company);
            let what = if company.company_form.is_empty() {
                company.name.clone()
            } else {
                format!("{} ({})", company.name, company.company_form)
            };
            let notice = html! {
                p.flash.ytj-filled role="status" { (lang.tf("ytj.filled", &[("company", &what)])) }
            };
            answer(ctx, existing, &form, None, notice)
        }
        Ok(found) => {
            let action = lookup_action(existing);
            let list = html! {
                div.warning.ytj-matches role="status" {
                    p { (lang.tf("ytj.matches", &[("count", &found.len().to_string())])) }
                    ul {
                        @for c in &found {
                            li {
                                button type="submit" formaction=(action) formnovalidate name="ytj_pick" value=(c.business_id) { (c.name) }
                                " " (details(c))
                            }
                        }
                    }
                }
            };
            answer(ctx, existing, &form, None, list)
        }
    }
}

/// "0112038-9, Osakeyhtiö, Helsinki": what tells a match from the others.
fn details(c: &Company) -> String {
    [c.business_id.as_str(), &c.company_form, &c.city]
        .into_iter()
        .filter(|s| !s.is_empty())
        .collect::<Vec<_>>()
        .join(", ")
}

/// The register's details over the form's: name, business ID and address, and the website when
/// the register has one. The rest of the input stays as typed.
fn fill(form: &mut Form, c: &Company) {
    form.set("name", c.name.as_str());
    form.set("business_id", c.business_id.as_str());
    form.set("street", c.street.as_str());
    form.set("postal_code", c.postal_code.as_str());
    form.set("city", c.city.as_str());
    form.set("country", "FI");
    if !c.website.is_empty() {
        form.set("website", c.website.as_str());
    }
}

/// The form again, answered 200: a look-up rejects nothing, its message is only advice.
fn answer(
    ctx: &mut Ctx,
    existing: Option<&Customer>,
    form: &Form,
    message: Option<Error>,
    lookup: Markup,
) -> Result<Resp> {
    let alikes: &[Customer] = &[];
    Ok(form_with(ctx, existing, form, message.as_ref(), alikes, lookup)?.with_status(200))
}

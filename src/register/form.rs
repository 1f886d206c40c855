//! The add/edit form every register shares: a save that first looks for look-alikes (and asks
//! before adding one), and the page that comes back with the user's input, the field errors and
//! the possible duplicates when it was not saved.

use maud::{html, Markup};
use rusqlite::{Connection, Transaction};

use crate::db;
use crate::error::{Error, Result};
use crate::http::Resp;
use crate::views::{csrf_input, form_error, layout, Frame};

/// What became of a save.
pub(crate) enum Outcome<T, A> {
    Saved(T),
    /// Not saved: these look like the record being added; the user confirms or goes there.
    LookAlikes(Vec<A>),
    /// Not saved: the input breaks a rule or clashes with existing data.
    Rejected(Error),
}

/// Saves in one transaction; unless `confirmed`, first asks `look` for look-alikes and saves
/// nothing when there are any. Validation errors and conflicts come back as `Rejected`, for the
/// form to show at its fields; anything else is a real error.
pub(crate) fn save_checking<T, A>(
    conn: &mut Connection,
    confirmed: bool,
    look: impl FnOnce(&Transaction) -> Result<Vec<A>>,
    save: impl FnOnce(&Transaction) -> Result<T>,
) -> Result<Outcome<T, A>> {
    let result = db::write(conn, |tx| {
        if !confirmed {
            let alikes = look(tx)?;
            if !alikes.is_empty() {
                return Ok(Outcome::LookAlikes(alikes));
            }
        }
        save(tx).map(Outcome::Saved)
    });
    match result {
        Err(err @ (Error::Validation { .. } | Error::Conflict { .. })) => {
            Ok(Outcome::Rejected(err))
        }
        other => other,
    }
}

/// A possible duplicate as the form lists it: a link to it, and details to tell it by.
pub(crate) struct LookAlike {
    pub href: String,
    pub name: String,
    /// Shown after the link in parentheses, when not empty.
    pub details: String,
}

/// The warning about possible duplicates (`warning` is its i18n key), with links to them.
pub(crate) fn look_alike_warning(f: &Frame, warning: &'static str, alikes: &[LookAlike]) -> Markup {
    html! {
        @if !alikes.is_empty() {
            div.warning role="alert" {
                p { (f.t(warning)) }
                ul { @for a in alikes { li { a href=(a.href) { (a.name) } @if !a.details.is_empty() { " (" (a.details) ")" } } } }
            }
        }
    }
}

/// The "add anyway" box that confirms past the warning.
pub(crate) fn confirm_box(f: &Frame, alikes: &[LookAlike]) -> Markup {
    html! {
        @if !alikes.is_empty() {
            div.field.check {
                input #f-confirm_duplicate type="checkbox" name="confirm_duplicate" value="1";
                label for="f-confirm_duplicate" { (f.t("duplicates.confirm")) }
            }
        }
    }
}

/// An add or edit form page; the register hands in its fields.
pub(crate) struct FormPage<'a> {
    pub title: String,
    pub action: String,
    /// Where "cancel" goes.
    pub cancel: String,
    pub error: Option<&'a Error>,
    /// i18n key of the duplicate warning.
    pub warning: &'static str,
    pub alikes: Vec<LookAlike>,
    pub fields: Markup,
}

/// The page, answered 200, or with the error's status when it shows a rejected input.
pub(crate) fn form_page(f: &Frame, p: FormPage) -> Resp {
    let body = html! {
        h1 { (p.title) }
        (form_error(f, p.error))
        (look_alike_warning(f, p.warning, &p.alikes))
        form.wide method="post" action=(p.action) novalidate {
            (csrf_input(f))
            (confirm_box(f, &p.alikes))
            (p.fields)
            button.primary type="submit" { (f.t("form.save")) }
            " "
            a href=(p.cancel) { (f.t("form.cancel")) }
        }
    };
    let status = p.error.map(Error::status).unwrap_or(200);
    Resp::html(layout(f, &p.title, body)).with_status(status)
}

//! The add/edit form every register shares: a save that first looks for look-alikes (and asks
//! before adding one), and the page that comes back with the user's input, the field errors and
//! the possible duplicates when it was not saved.

use maud::{html, Markup};
use rusqlite::Connection;

use super::list::Register;
use crate::auth::UserId;
use crate::db;
use crate::db::Tx;
use crate::error::{Error, Result};
use crate::http::form::Form;
use crate::http::{Ctx, Resp};
use crate::views::{csrf_input, form_error, layout, Frame};

/// A text field after an edit: the given value trimmed, or the stored one when not given (an
/// API `PATCH` leaves out what it does not change).
pub(crate) fn pick(given: &Option<String>, stored: Option<&str>) -> String {
    given
        .as_deref()
        .map(str::trim)
        .unwrap_or(stored.unwrap_or(""))
        .to_string()
}

/// The notes after an edit: many lines, so only trailing space is trimmed.
pub(crate) fn pick_notes(given: &Option<String>, stored: Option<&str>) -> String {
    match given {
        Some(n) => n.trim_end().to_string(),
        None => stored.unwrap_or("").to_string(),
    }
}

/// The tags after an edit, cleaned; a bad list adds its errors and keeps none.
pub(crate) fn pick_tags(
    given: &Option<Vec<String>>,
    stored: Option<&[String]>,
    errors: &mut Vec<crate::error::FieldError>,
) -> Vec<String> {
    match given {
        Some(t) => super::tags::normalise(t).unwrap_or_else(|e| {
            errors.extend(e.fields().iter().cloned());
            Vec::new()
        }),
        None => stored.map(<[String]>::to_vec).unwrap_or_default(),
    }
}

/// What became of a save.
pub(crate) enum Outcome<T, A> {
    Saved(T),
    /// Not saved: these look like the record being added; the user confirms or goes there.
    LookAlikes(Vec<A>),
    /// Not saved: the input breaks a rule or clashes with existing data.
    Rejected(Error),
}

/// Saves `input` in one transaction; unless `confirmed`, first asks `look` for look-alikes and
/// saves nothing when there are any. Validation errors and conflicts come back as `Rejected`,
/// for the form to show at its fields; anything else is a real error. The write may be made on
/// another worker's thread ([`db::write_grouped`]), so it owns the input.
pub(crate) fn save_checking<I, T, A>(
    conn: &mut Connection,
    confirmed: bool,
    input: I,
    look: impl FnOnce(&Tx, &I) -> Result<Vec<A>> + Send + 'static,
    save: impl FnOnce(&Tx, &I) -> Result<T> + Send + 'static,
) -> Result<Outcome<T, A>>
where
    I: Send + 'static,
    T: Send + 'static,
    A: Send + 'static,
{
    let result = db::write_grouped(conn, move |tx| {
        if !confirmed {
            let alikes = look(tx, &input)?;
            if !alikes.is_empty() {
                return Ok(Outcome::LookAlikes(alikes));
            }
        }
        save(tx, &input).map(Outcome::Saved)
    });
    match result {
        Err(err @ (Error::Validation { .. } | Error::Conflict { .. })) => {
            Ok(Outcome::Rejected(err))
        }
        other => other,
    }
}

/// What made a record look like the one being added.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Match {
    /// The same name (ignoring case, accents and, for customers, the company form).
    Name,
    Email,
}

impl Match {
    fn key(self) -> &'static str {
        match self {
            Match::Name => "duplicates.same_name",
            Match::Email => "duplicates.same_email",
        }
    }
}

/// A possible duplicate as the form lists it: a link to it, details to tell it by, and what
/// matched.
pub(crate) struct LookAlike {
    pub href: String,
    pub name: String,
    /// Shown after the link in parentheses, when not empty.
    pub details: String,
    pub matched: Vec<Match>,
}

/// The warning about possible duplicates (`warning` is its i18n key): each with a link and
/// the fields that matched, and beside them the "add anyway" button that confirms past the
/// warning. It goes inside the form it confirms, first; a hidden save button before it keeps
/// Enter in a field a plain save (Enter presses a form's first submit button).
pub(crate) fn look_alike_warning(f: &Frame, warning: &'static str, alikes: &[LookAlike]) -> Markup {
    html! {
        @if !alikes.is_empty() {
            button.visually-hidden type="submit" tabindex="-1" aria-hidden="true" { (f.t("form.save")) }
            div.warning role="alert" {
                p { (f.t(warning)) }
                ul {
                    @for a in alikes {
                        li {
                            a href=(a.href) { (a.name) }
                            @if !a.details.is_empty() { " (" (a.details) ")" }
                            @for (i, m) in a.matched.iter().enumerate() {
                                (if i == 0 { " — " } else { ", " }) strong { (f.t(m.key())) }
                            }
                        }
                    }
                }
                p.confirm {
                    button type="submit" name="confirm_duplicate" value="1" { (f.t("duplicates.confirm")) }
                    " " span.hint { (f.t("duplicates.confirm_hint")) }
                }
            }
        }
    }
}

/// The title, form action and cancel link of a register's add page (`existing` none) or of the
/// edit page of record `(id, name)`; `add` and `edit` are the titles' i18n keys (a name, when
/// there is one, follows the edit title).
pub(crate) fn form_target<R: Register>(
    f: &Frame,
    existing: Option<(i64, &str)>,
    add: &'static str,
    edit: &'static str,
) -> (String, String, String) {
    let path = R::PATH;
    match existing {
        Some((id, name)) => (
            if name.is_empty() {
                f.t(edit).to_string()
            } else {
                format!("{}: {name}", f.t(edit))
            },
            format!("{path}/{id}/edit"),
            format!("{path}/{id}"),
        ),
        None => (
            f.t(add).to_string(),
            format!("{path}/new"),
            path.to_string(),
        ),
    }
}

/// The page that asks before record `id` (named `name`) under `R::PATH` is deleted; `title` and
/// `confirm` are the i18n keys of its heading and button, `explain` what the deletion takes.
pub(crate) fn delete_page<R: Register>(
    f: &Frame,
    id: i64,
    name: &str,
    (title, confirm): (&'static str, &'static str),
    explain: Option<String>,
) -> Resp {
    let path = R::PATH;
    let body = html! {
        div.narrow {
            h1 { (f.t(title)) ": " (name) }
            @if let Some(explain) = explain { p { (explain) } }
            form method="post" action=(format!("{path}/{id}/delete")) {
                (csrf_input(f))
                button.danger type="submit" { (f.t(confirm)) }
                " " a href=(format!("{path}/{id}")) { (f.t("form.cancel")) }
            }
        }
    };
    Resp::html(layout(f, f.t(title), body))
}

/// An add or edit form page; the register hands in its fields.
pub(crate) struct FormPage<'a> {
    pub title: String,
    pub action: String,
    /// Where "cancel" goes.
    pub cancel: String,
    pub error: Option<&'a Error>,
    /// Shown under the error's message: what the register can say about it (the customer that
    /// already has the business ID, with a link).
    pub explain: Markup,
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
        (p.explain)
        form.wide method="post" action=(p.action) novalidate {
            (csrf_input(f))
            (look_alike_warning(f, p.warning, &p.alikes))
            (p.fields)
            button.primary type="submit" { (f.t("form.save")) }
            " "
            a href=(p.cancel) { (f.t("form.cancel")) }
        }
    };
    let status = p.error.map(Error::status).unwrap_or(200);
    Resp::html(layout(f, &p.title, body)).with_status(status)
}

/// What a register declares to get its add and edit pages: how a form becomes input, how a
/// record becomes form values, its store's writes and look-alike check, and its form page.
pub(crate) trait Editable: super::list::Register {
    type Input: Send + 'static;
    /// The i18n key of the message after adding one.
    const CREATED: &'static str;

    fn input_of(form: &Form) -> Self::Input;
    /// What an edit changes: the input without what the edit form does not show.
    fn edit_input_of(form: &Form) -> Self::Input {
        Self::input_of(form)
    }
    fn values_of(row: &Self::Row) -> Form;
    fn by_id(conn: &Connection, id: i64) -> Result<Option<Self::Row>>;
    /// Records that look like the one the input would add.
    fn look_alikes(tx: &Tx, input: &Self::Input) -> Result<Vec<Self::Row>>;
    fn create(tx: &Tx, input: &Self::Input, by: UserId) -> Result<i64>;
    fn update(tx: &Tx, id: i64, input: &Self::Input, by: UserId) -> Result<()>;
    /// The add (`existing` none) or edit page with `values`, the error and the look-alikes.
    fn form_page(
        ctx: &mut Ctx,
        existing: Option<&Self::Row>,
        values: &Form,
        error: Option<&Error>,
        alikes: &[Self::Row],
    ) -> Result<Resp>;
}

/// A register whose records carry tags, so its lists can tag selected rows in bulk.
pub(crate) trait Taggable: Editable {
    fn tags_of(row: &Self::Row) -> &[String];
    /// An input that changes only the tags.
    fn with_tags(tags: Vec<String>) -> Self::Input;
}

/// `POST {PATH}/new`: adds the record unless it looks like one already there (then asks).
pub(crate) fn create<R: Editable>(ctx: &mut Ctx, form: Form) -> Result<Resp> {
    let by = ctx.user()?.id;
    let input = R::input_of(&form);
    let outcome = save_checking(
        ctx.conn,
        form.checked("confirm_duplicate"),
        input,
        R::look_alikes,
        move |tx, input| R::create(tx, input, by),
    )?;
    match outcome {
        Outcome::Saved(id) => {
            ctx.flash(R::CREATED);
            Ok(Resp::redirect(&format!("{}/{id}", R::PATH)))
        }
        Outcome::LookAlikes(alikes) => R::form_page(ctx, None, &form, None, &alikes),
        Outcome::Rejected(err) => R::form_page(ctx, None, &form, Some(&err), &[]),
    }
}

/// `GET {PATH}/{id}/edit`.
pub(crate) fn edit_form<R: Editable>(ctx: &mut Ctx, id: i64) -> Result<Resp> {
    let row = R::by_id(ctx.conn, id)?.ok_or(Error::NotFound)?;
    R::form_page(ctx, Some(&row), &R::values_of(&row), None, &[])
}

/// `POST {PATH}/{id}/edit`: saves, or shows the form again with the input and the errors.
pub(crate) fn save<R: Editable>(ctx: &mut Ctx, id: i64, form: Form) -> Result<Resp> {
    let by = ctx.user()?.id;
    let row = R::by_id(ctx.conn, id)?.ok_or(Error::NotFound)?;
    let input = R::edit_input_of(&form);
    let outcome = save_checking(
        ctx.conn,
        true,
        input,
        |_, _| Ok(Vec::<()>::new()),
        move |tx, input| R::update(tx, id, input, by),
    )?;
    match outcome {
        Outcome::Rejected(err) => R::form_page(ctx, Some(&row), &form, Some(&err), &[]),
        _ => {
            ctx.flash("flash.saved");
            Ok(Resp::redirect(&format!("{}/{id}", R::PATH)))
        }
    }
}

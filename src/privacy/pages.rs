//! The contact card's "export the person's data" download and "erase the person" page.

use maud::html;

use super::{erase, export};
use crate::contacts::{store as contacts, ContactId};
use crate::db;
use crate::error::{Error, Result};
use crate::http::form::Form;
use crate::http::{Ctx, Resp};
use crate::views::{self, csrf_input, form_error, layout, Section};

/// `GET /contacts/{id}/export`: the person's data as a JSON file.
pub(crate) fn export_download(ctx: &mut Ctx, id: i64) -> Result<Resp> {
    let doc = export(ctx.conn, ContactId(id), ctx.lang)?;
    let body = serde_json::to_vec_pretty(&doc).map_err(|e| Error::Internal(e.to_string()))?;
    Ok(Resp::new(200, "application/json; charset=utf-8", body)
        .with_header(
            "Content-Disposition",
            format!("attachment; filename=\"contact-{id}.json\""),
        )
        .with_header("Cache-Control", "no-store"))
}

/// `GET /contacts/{id}/erase`: what the erasure does, and the confirmation.
pub(crate) fn erase_confirm(ctx: &mut Ctx, id: i64) -> Result<Resp> {
    erase_page(ctx, id, None)
}

fn erase_page(ctx: &mut Ctx, id: i64, error: Option<&Error>) -> Result<Resp> {
    let p = contacts::by_id(ctx.conn, ContactId(id))?.ok_or(Error::NotFound)?;
    let tasks: i64 = ctx.conn.query_row(
        "SELECT count(*) FROM (SELECT 1 FROM tasks WHERE contact_id = ?1 LIMIT 1000)",
        [id],
        |r| r.get(0),
    )?;
    let frame = ctx.frame(Section::Contacts);
    let f = &frame;
    let title = f
        .lang
        .tf("privacy.erase_title", &[("name", &p.full_name())]);
    let errors = error.map(Error::fields).unwrap_or(&[]);
    let body = html! {
        h1 { (title) }
        (form_error(f, error))
        p { (f.t("privacy.erase_explain")) }
        p { a href=(format!("/contacts/{id}/export")) { (f.t("privacy.export")) } " — " (f.t("privacy.export_first")) }
        h2 { (f.t("nav.documents")) }
        // The documents module lists the person's documents here, so the admin can delete
        // those that should go (bookkeeping documents may have to stay).
        (views::empty(f.t("privacy.no_documents")))
        @if tasks > 0 {
            p { (f.lang.tf("privacy.tasks_stay", &[("count", &tasks.to_string())])) }
        }
        form method="post" action=(format!("/contacts/{id}/erase")) {
            (csrf_input(f))
            div.field.check.invalid[!errors.is_empty()] {
                input #f-confirm type="checkbox" name="confirm" value="yes";
                label for="f-confirm" { (f.t("privacy.confirm")) }
                @if let Some(e) = errors.first() {
                    p.error id="f-confirm-error" { (f.t(e.key)) }
                }
            }
            button.danger type="submit" { (f.t("privacy.erase")) }
            " "
            a href=(format!("/contacts/{id}")) { (f.t("form.cancel")) }
        }
    };
    let status = error.map(Error::status).unwrap_or(200);
    Ok(Resp::html(layout(f, &title, body)).with_status(status))
}

/// `POST /contacts/{id}/erase`: erases when confirmed, else back to the page with a message.
pub(crate) fn erase_submit(ctx: &mut Ctx, id: i64, form: &Form) -> Result<Resp> {
    let by = ctx.user()?.id;
    if form.get("confirm") != "yes" {
        return erase_page(
            ctx,
            id,
            Some(&Error::field("confirm", "privacy.confirm_required")),
        );
    }
    db::write(ctx.conn, |tx| erase(tx, ContactId(id), by))?;
    ctx.flash("flash.contact_erased");
    Ok(Resp::redirect("/contacts"))
}

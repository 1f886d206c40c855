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

/// `GET /contacts/{id}/export.zip`: the person's data as JSON and their documents' files, in one
/// ZIP. It is written to an unnamed temporary file, each file copied from its BLOB a chunk at
/// a time, and streamed from there: never whole in memory, whatever the files' sizes.
pub(crate) fn export_zip(ctx: &mut Ctx, id: i64) -> Result<Resp> {
    use std::io::{Seek, Write};
    use zip::write::SimpleFileOptions;
    let doc = export(ctx.conn, ContactId(id), ctx.lang)?;
    let json = serde_json::to_vec_pretty(&doc).map_err(|e| Error::Internal(e.to_string()))?;
    let dir = ctx.app.config.spool_dir();
    std::fs::create_dir_all(&dir)?;
    let zip_err = |e: zip::result::ZipError| Error::Internal(format!("zip: {e}"));
    let mut zip = zip::ZipWriter::new(tempfile::tempfile_in(&dir)?);
    let deflated =
        SimpleFileOptions::default().compression_method(zip::CompressionMethod::Deflated);
    // Documents are mostly compressed already (PDF, images, .docx): stored as they are.
    let stored = SimpleFileOptions::default()
        .compression_method(zip::CompressionMethod::Stored)
        .large_file(false);
    zip.start_file(format!("contact-{id}.json"), deflated)
        .map_err(zip_err)?;
    zip.write_all(&json)?;
    for d in super::documents(ctx.conn, ContactId(id))? {
        let Some(v) =
            crate::documents::store::version(ctx.conn, crate::documents::DocumentId(d.id), None)?
        else {
            continue;
        };
        zip.start_file(zip_name(d.id, &v.file_name), stored)
            .map_err(zip_err)?;
        crate::documents::blob::read_into(
            ctx.conn,
            "document_versions",
            "content",
            v.row,
            &mut zip,
        )?;
    }
    let mut file = zip.finish().map_err(zip_err)?;
    let len = file.stream_position()?;
    file.rewind()?;
    Ok(Resp {
        status: 200,
        headers: vec![
            ("Content-Type".into(), "application/zip".into()),
            (
                "Content-Disposition".into(),
                format!("attachment; filename=\"contact-{id}.zip\""),
            ),
            ("Cache-Control".into(), "no-store".into()),
        ],
        body: crate::http::response::Body::File(file, len),
    })
}

/// A document's path in the ZIP: `documents/{id}-{file name}`, the name without any folder,
/// so no entry can point outside the folder it is unpacked into.
fn zip_name(id: i64, file_name: &str) -> String {
    let base = file_name
        .rsplit(['/', '\\'])
        .next()
        .unwrap_or("")
        .trim_start_matches('.');
    let base: String = base.chars().filter(|c| !c.is_control()).collect();
    if base.is_empty() {
        format!("documents/{id}")
    } else {
        format!("documents/{id}-{base}")
    }
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
    let documents = super::documents(ctx.conn, ContactId(id))?;
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
        p {
            a href=(format!("/contacts/{id}/export")) { (f.t("privacy.export")) } " · "
            a href=(format!("/contacts/{id}/export.zip")) { (f.t("privacy.export_zip")) }
            " — " (f.t("privacy.export_first"))
        }
        h2 { (f.t("nav.documents")) }
        // The person's documents stay unless the admin deletes them (bookkeeping documents
        // may have to stay): each links to its page and its delete.
        @if documents.is_empty() {
            (views::empty(f.t("privacy.no_documents")))
        } @else {
            p { (f.t("privacy.documents_explain")) }
            ul.plain.person-documents {
                @for d in &documents {
                    li {
                        a href=(format!("/documents/{}", d.id)) { (d.title) }
                        " " span.muted { (d.file_name) }
                        " · " a href=(format!("/documents/{}/delete", d.id)) { (f.t("documents.delete")) }
                    }
                }
            }
        }
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

//! `/api/v1/documents`: upload (multipart, several files), list, one, change, delete, the
//! bytes of the current or an older version, and a new version.

use serde_json::json;

use super::list::{Documents, Sort};
use super::serve::{self, Disposition};
use super::store::{self, NewDocument};
use super::{DocumentId, DocumentInput, Source};
use crate::contacts::ContactId;
use crate::customers::CustomerId;
use crate::db;
use crate::error::{Error, Result};
use crate::http::multipart::{FilePart, Limits};
use crate::http::{Ctx, Resp};
use crate::register;

/// The most files one upload takes.
pub(crate) const MAX_FILES: usize = 20;

/// The limits of one upload: the company's largest file, `MAX_FILES` files.
pub(crate) fn limits(ctx: &Ctx) -> Limits {
    Limits {
        file_size: ctx.settings.document_max_bytes(),
        files: MAX_FILES,
    }
}

/// An optional id field of a form (`customer_id`); anything but a number is a 422 there.
pub(crate) fn id_field(value: &str, field: &'static str) -> Result<Option<i64>> {
    match value.trim() {
        "" => Ok(None),
        v => v
            .parse()
            .map(Some)
            .map_err(|_| Error::field(field, "documents.bad_id")),
    }
}

/// Stores every file of an upload as a document, in one transaction: all or none.
pub(crate) fn store_files(
    ctx: &mut Ctx,
    files: Vec<FilePart>,
    title: &str,
    customer: Option<i64>,
    contact: Option<i64>,
    source: Source,
) -> Result<Vec<DocumentId>> {
    let by = ctx.user()?.id;
    // One title for several files would make them look alike: it names a lone file only.
    let title = if files.len() == 1 { title } else { "" };
    db::write(ctx.conn, |tx| {
        let mut ids = Vec::with_capacity(files.len());
        for mut file in files {
            let new = NewDocument {
                title: title.to_string(),
                file_name: file.name.clone(),
                content_type: file.content_type.clone().unwrap_or_default(),
                source,
                email: None,
                customer_id: customer.map(CustomerId),
                contact_id: contact.map(ContactId),
            };
            ids.push(store::add(
                tx,
                &new,
                &mut file.file,
                file.size,
                &file.sha256,
                Some(by),
            )?);
        }
        Ok(ids)
    })
}

/// Files only in `file` parts; any other file part is refused, so nothing is silently dropped.
fn file_parts(files: Vec<FilePart>) -> Result<Vec<FilePart>> {
    if files.iter().any(|f| f.field != "file") {
        return Err(Error::BadRequest("Files go in parts named `file`.".into()));
    }
    if files.is_empty() {
        return Err(Error::field("file", "documents.no_file"));
    }
    Ok(files)
}

/// `POST /documents`: `multipart/form-data` with `file` parts and optional `title`,
/// `customer_id`, `contact_id` → 201 `{"items": [...]}`.
pub(crate) fn create(ctx: &mut Ctx) -> Result<Resp> {
    let upload = ctx.multipart(limits(ctx))?;
    let customer = id_field(upload.form.get("customer_id"), "customer_id")?;
    let contact = id_field(upload.form.get("contact_id"), "contact_id")?;
    let title = upload.form.get("title").to_string();
    let files = file_parts(upload.files)?;
    let ids = store_files(ctx, files, &title, customer, contact, Source::Api)?;
    let mut items = Vec::with_capacity(ids.len());
    for id in ids {
        items.push(store::by_id(ctx.conn, id)?.ok_or(Error::NotFound)?);
    }
    Ok(Resp::json(201, &json!({ "items": items })))
}

/// Fills in what the list's URL leaves out: documents carry no tags.
pub(crate) fn prepare_query(ctx: &mut Ctx) -> Result<()> {
    if !ctx.query.get("tag").is_empty() {
        return Err(register::list::unknown_value("tag"));
    }
    Ok(())
}

pub(crate) fn list(ctx: &mut Ctx) -> Result<Resp> {
    prepare_query(ctx)?;
    register::api_list::<Documents>(ctx, Sort::Newest)
}

pub(crate) fn get(ctx: &mut Ctx, id: i64) -> Result<Resp> {
    let doc = store::by_id(ctx.conn, DocumentId(id))?.ok_or(Error::NotFound)?;
    Ok(Resp::json(200, &doc))
}

/// `PATCH /documents/{id}` `{"title", "customer_id", "contact_id"}`.
pub(crate) fn patch(ctx: &mut Ctx, id: i64) -> Result<Resp> {
    let by = ctx.user()?.id;
    let input: DocumentInput = ctx.json()?;
    let doc = db::write(ctx.conn, |tx| {
        store::update(tx, DocumentId(id), &input, Some(by))
    })?;
    Ok(Resp::json(200, &doc))
}

pub(crate) fn delete(ctx: &mut Ctx, id: i64) -> Result<Resp> {
    let by = ctx.user()?.id;
    db::write(ctx.conn, |tx| store::delete(tx, DocumentId(id), Some(by)))?;
    Ok(Resp::new(204, "application/json", Vec::new()))
}

/// `?version=` of a content URL: a version number, or the current one.
pub(crate) fn version_param(ctx: &Ctx) -> Result<Option<i64>> {
    match ctx.query.get("version").trim() {
        "" => Ok(None),
        v => v
            .parse()
            .map(Some)
            .map_err(|_| register::list::unknown_value("version")),
    }
}

/// `GET /documents/{id}/content` (`?version=n` for an older one): the exact bytes, always
/// as an attachment.
pub(crate) fn content(ctx: &mut Ctx, id: i64) -> Result<Resp> {
    let version = version_param(ctx)?;
    versioned_content(ctx, id, version)
}

/// `GET /documents/{id}/versions/{n}/content`.
pub(crate) fn versioned_content(ctx: &mut Ctx, id: i64, version: Option<i64>) -> Result<Resp> {
    let v = store::version(ctx.conn, DocumentId(id), version)?.ok_or(Error::NotFound)?;
    Ok(serve::content(ctx, &v, Disposition::Attachment))
}

/// `GET /documents/{id}/versions`, newest first.
pub(crate) fn versions(ctx: &mut Ctx, id: i64) -> Result<Resp> {
    store::by_id(ctx.conn, DocumentId(id))?.ok_or(Error::NotFound)?;
    let items = store::versions(ctx.conn, DocumentId(id))?;
    Ok(Resp::json(200, &json!({ "items": items })))
}

/// `PUT /documents/{id}/content`: multipart with one `file` part, the new version.
pub(crate) fn put_content(ctx: &mut Ctx, id: i64) -> Result<Resp> {
    let by = ctx.user()?.id;
    store::by_id(ctx.conn, DocumentId(id))?.ok_or(Error::NotFound)?;
    let mut limits = limits(ctx);
    limits.files = 1;
    let upload = ctx.multipart(limits)?;
    let mut files = file_parts(upload.files)?;
    let doc = write_version(ctx, DocumentId(id), &mut files[0], by)?;
    Ok(Resp::json(200, &doc))
}

/// Stores an uploaded file as a document's new version (the API's and the page's).
pub(crate) fn write_version(
    ctx: &mut Ctx,
    id: DocumentId,
    file: &mut FilePart,
    by: crate::auth::UserId,
) -> Result<super::Document> {
    db::write(ctx.conn, |tx| {
        store::new_version(
            tx,
            id,
            &file.name,
            file.content_type.as_deref().unwrap_or(""),
            &mut file.file,
            file.size,
            &file.sha256,
            Some(by),
        )
    })
}

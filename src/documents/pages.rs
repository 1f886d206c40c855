//! Document pages: the list (all, or Incoming with where each came from and the suggested
//! match), uploads of several files (drag-and-drop with JavaScript, a file input without),
//! a document's page (details form with the customer and contact pickers, preview, versions,
//! download, delete), and the Documents tab of the customer and contact cards.

use std::collections::HashMap;

use maud::{html, Markup};

use super::list::{Documents, ListQuery, Sort};
use super::serve::{self, Disposition};
use super::store;
use super::suggest::{self, Suggestion};
use super::{Document, DocumentId, DocumentInput, Source};
use crate::contacts::list::{self as contact_list, Contacts};
use crate::customers::list::{self as customer_list, Customers};
use crate::customers::CustomerId;
use crate::db;
use crate::error::{Error, Result};
use crate::http::form::Form;
use crate::http::{csrf, CardOf, Ctx, Resp, TabView};
use crate::i18n::Lang;
use crate::register::form::delete_page;
use crate::register::page::{Column, ListRow, Listed};
use crate::register::{self, list};
use crate::views::{self, csrf_input, detail, form_error, layout, select, Field, Frame, Section};

/// A size in bytes as people read it: `512 B`, `12 kB`, `3.4 MB`.
pub(crate) fn size_text(lang: Lang, size: i64) -> String {
    if size < 1024 {
        lang.tf("documents.size_bytes", &[("n", &size.to_string())])
    } else if size < 1024 * 1024 {
        let kb = (size + 1023) / 1024;
        lang.tf("documents.size_kb", &[("n", &lang.number(kb))])
    } else {
        let tenths = (size * 10 + 1024 * 1024 - 1) / (1024 * 1024);
        let sep = if lang == Lang::Fi { "," } else { "." };
        let n = format!("{}{sep}{}", tenths / 10, tenths % 10);
        lang.tf("documents.size_mb", &[("n", &n)])
    }
}

fn source_label(lang: Lang, source: Source) -> &'static str {
    lang.t(match source {
        Source::Upload => "documents.source_upload",
        Source::Email => "documents.source_email",
        Source::Folder => "documents.source_folder",
        Source::Api => "documents.source_api",
    })
}

/// Where a document belongs: its customer and contact, as links.
fn linked_to(d: &Document) -> Markup {
    html! {
        @if let (Some(id), Some(name)) = (d.customer_id, &d.customer_name) {
            a href=(format!("/customers/{id}")) { (name) }
        }
        @if let (Some(id), Some(name)) = (d.contact_id, &d.contact_name) {
            @if d.customer_id.is_some() { ", " }
            a href=(format!("/contacts/{id}")) { (name) }
        }
    }
}

/// Where to go after a form on a list or a card: `back` when it is one of our pages.
fn back_to(back: &str, default: &str) -> String {
    let ours = ["/documents", "/customers/", "/contacts/"];
    if ours.iter().any(|p| back.starts_with(p)) && !back.contains("//") && !back.contains('\\') {
        back.to_string()
    } else {
        default.to_string()
    }
}

/// The upload form: several files, linked at once to `customer` / `contact` when given (else
/// they go to Incoming). With JavaScript the box also takes files dropped on it.
pub(crate) fn upload_form(
    f: &Frame,
    customer: Option<i64>,
    contact: Option<i64>,
    back: &str,
) -> Markup {
    html! {
        form.upload.drop-zone method="post" action="/documents/upload" enctype="multipart/form-data" data-drop-upload {
            (csrf_input(f))
            input type="hidden" name="back" value=(back);
            @if let Some(id) = customer { input type="hidden" name="customer_id" value=(id); }
            @if let Some(id) = contact { input type="hidden" name="contact_id" value=(id); }
            div.field {
                label for="f-file" { (f.t("documents.choose_files")) }
                input #f-file type="file" name="file" multiple required;
                p.hint { (f.t("documents.drop_hint")) }
            }
            button.primary type="submit" { (f.t("documents.upload")) }
        }
    }
}

/// The form that takes e-mail messages saved as `.eml` files: their attachments go to
/// Incoming with the sender, subject and date.
pub(crate) fn email_form(f: &Frame) -> Markup {
    html! {
        form.upload #email-upload method="post" action="/documents/email" enctype="multipart/form-data" {
            (csrf_input(f))
            div.field {
                label for="f-eml" { (f.t("documents.choose_emails")) }
                input #f-eml type="file" name="file" accept=".eml,message/rfc822" multiple required;
                p.hint { (f.t("documents.email_hint")) }
            }
            button type="submit" { (f.t("documents.upload_emails")) }
        }
    }
}

/// What the list loads besides its rows: the suggestions for the Incoming rows shown.
pub(crate) struct DocumentsExtra {
    lang: Lang,
    tz: chrono_tz::Tz,
    csrf: String,
    can_write: bool,
    back: String,
    suggestions: HashMap<i64, Suggestion>,
}

/// The suggestions for the incoming documents of a page, by document id.
type Suggestions = HashMap<i64, Suggestion>;

/// What a document's suggestion is made from besides its text: its id, title, sender and
/// subject. All of them key a page's suggestions, because the page's rows were read before
/// the memo's look at the database (an edit in between must not be kept as unchanged).
type Suggested = (i64, String, Option<String>, Option<String>);

thread_local! {
    /// The suggestions of the last few Incoming pages read on this thread's connection: they
    /// change only with the database, and the Incoming page is looked at again and again.
    static SUGGESTED: std::cell::RefCell<crate::db::Memo<Vec<Suggested>, Suggestions>> =
        const { std::cell::RefCell::new(crate::db::Memo::new(4)) };
}

/// The suggestion for each incoming document of `docs`, as last read while the database has not
/// changed since. Their few hundred look-ups read in the page's read transaction
/// ([`crate::db::begin_reading`]): each on its own began and ended one, taking and releasing
/// SQLite's locks (a quarter of the Incoming page's time).
fn suggestions_for(conn: &rusqlite::Connection, docs: &[Document]) -> Result<Suggestions> {
    let incoming: Vec<&Document> = docs.iter().filter(|d| d.incoming).collect();
    let key = incoming
        .iter()
        .map(|d| {
            let (from, subject) = (d.email_from.clone(), d.email_subject.clone());
            (d.id, d.title.clone(), from, subject)
        })
        .collect();
    let read = || {
        let mut out = HashMap::new();
        for d in &incoming {
            let text = store::text(conn, DocumentId(d.id))?;
            if let Some(s) = suggest::suggest(conn, d, &text)? {
                out.insert(d.id, s);
            }
        }
        Ok(out)
    };
    Ok(SUGGESTED.with(|memo| memo.borrow_mut().get_or_read(conn, key, read))?)
}

/// The suggestion with its one-click accept button.
fn suggestion_view(
    lang: Lang,
    csrf: &str,
    id: i64,
    s: &Suggestion,
    back: &str,
    can_write: bool,
) -> Markup {
    let names: Vec<&str> = [s.customer.as_ref(), s.contact.as_ref()]
        .into_iter()
        .flatten()
        .map(|(_, name)| name.as_str())
        .collect();
    html! {
        span.suggestion {
            (lang.t("documents.suggested")) ": " strong { (names.join(", ")) }
            " (" (lang.t(s.reason.key())) ")"
            @if can_write {
                " "
                form.inline-form method="post" action=(format!("/documents/{id}/assign")) {
                    input type="hidden" name="csrf" value=(csrf);
                    input type="hidden" name="back" value=(back);
                    @if let Some((c, _)) = &s.customer { input type="hidden" name="customer_id" value=(c); }
                    @if let Some((p, _)) = &s.contact { input type="hidden" name="contact_id" value=(p); }
                    button.link type="submit" { (lang.t("documents.accept")) }
                }
            }
        }
    }
}

/// Where an incoming document came from: source, sender, subject, date.
fn origin(lang: Lang, tz: chrono_tz::Tz, d: &Document) -> Markup {
    html! {
        (source_label(lang, d.source))
        @if let Some(from) = &d.email_from { br; span.from { (from) } }
        @if let Some(subject) = &d.email_subject { br; span.subject { (subject) } }
        @if let Some(date) = &d.email_date { br; span.date { (lang.datetime_text(date, tz)) } }
    }
}

impl Listed for Documents {
    type Extra = DocumentsExtra;
    const SECTION: Section = Section::Documents;
    const TITLE: &'static str = "nav.documents";
    const ADD: &'static str = "documents.add";
    const SEARCH_HINT: &'static str = "documents.search_hint";
    const PAGE_SORT: Sort = Sort::Newest;
    const SHARED_ACTIONS: bool = false;
    const HEADINGS: &'static [Column<Sort>] = &[
        Column::sorted("documents.title", Sort::Title, Some(Sort::TitleDesc)),
        Column::plain("documents.size"),
        Column::plain("documents.linked_to"),
        Column::plain("documents.origin"),
        Column::sorted("documents.added", Sort::Newest, Some(Sort::Oldest)),
    ];

    fn extra(ctx: &mut Ctx, _: &ListQuery, rows: &[Document]) -> Result<DocumentsExtra> {
        let query = ctx.query.encode_without(&[]);
        Ok(DocumentsExtra {
            lang: ctx.lang,
            tz: ctx.settings.time_zone,
            csrf: ctx.csrf_token(),
            can_write: ctx.user.as_ref().is_some_and(|u| u.role.can_write()),
            back: if query.is_empty() {
                "/documents".into()
            } else {
                format!("/documents?{query}")
            },
            suggestions: suggestions_for(ctx.conn, rows)?,
        })
    }

    fn intro(f: &Frame, query: &ListQuery, extra: &DocumentsExtra) -> Markup {
        let incoming = query.filter.incoming == Some(true);
        html! {
            nav.tabs aria-label=(f.t("documents.tabs")) {
                ul {
                    li { a href="/documents" aria-current=[(!incoming).then_some("page")] { (f.t("documents.all")) } }
                    li { a href="/documents?incoming=1" aria-current=[incoming.then_some("page")] { (f.t("documents.incoming")) } }
                }
            }
            @if incoming { p.hint { (f.t("documents.incoming_hint")) } }
            @if extra.can_write { (upload_form(f, None, None, &extra.back)) }
            @if incoming && extra.can_write { (email_form(f)) }
        }
    }

    fn filters(f: &Frame, query: &ListQuery, _: &DocumentsExtra) -> Markup {
        let incoming = match query.filter.incoming {
            None => "",
            Some(true) => "1",
            Some(false) => "0",
        };
        html! {
            (select(f, "incoming", "documents.state", &[("", f.t("documents.all")), ("1", f.t("documents.incoming")), ("0", f.t("documents.assigned"))], incoming, &[]))
            @if let Some(id) = query.filter.customer_id { input type="hidden" name="customer_id" value=(id); }
            @if let Some(id) = query.filter.contact_id { input type="hidden" name="contact_id" value=(id); }
            @if let Some(id) = query.filter.with_contacts_of { input type="hidden" name="with_contacts_of" value=(id); }
        }
    }

    fn row(d: Document, extra: &DocumentsExtra) -> ListRow {
        let lang = extra.lang;
        let linked = if d.incoming {
            match extra.suggestions.get(&d.id) {
                Some(s) => {
                    suggestion_view(lang, &extra.csrf, d.id, s, &extra.back, extra.can_write)
                }
                None => html! { span.badge { (lang.t("documents.incoming")) } },
            }
        } else {
            linked_to(&d)
        };
        ListRow {
            id: d.id,
            name: d.title.clone(),
            inactive: false,
            cells: vec![
                html! {
                    a href=(format!("/documents/{}", d.id)) { (d.title) }
                    @if d.file_name != d.title { br; span.hint { (d.file_name) } }
                },
                html! { (size_text(lang, d.size)) },
                linked,
                origin(lang, extra.tz, &d),
                html! { (lang.datetime_text(&d.created_at, extra.tz)) },
            ],
        }
    }
}

/// `GET /documents`.
pub(crate) fn list_page(ctx: &mut Ctx) -> Result<Resp> {
    super::api::prepare_query(ctx)?;
    register::page::list::<Documents>(ctx)
}

/// `GET /documents/new`: the upload form on its own.
pub(crate) fn new_form(ctx: &mut Ctx) -> Result<Resp> {
    let customer = list::id_param(&ctx.query, "customer_id")?;
    let contact = list::id_param(&ctx.query, "contact_id")?;
    let frame = ctx.frame(Section::Documents);
    let f = &frame;
    let body = html! {
        h1 { (f.t("documents.add")) }
        (upload_form(f, customer, contact, "/documents"))
    };
    Ok(Resp::html(layout(f, f.t("documents.add"), body)))
}

/// Reads an upload route's multipart body and checks its CSRF token (the server leaves an
/// upload's body to the handler).
fn read_upload(ctx: &mut Ctx, files: usize) -> Result<crate::http::multipart::Upload> {
    let mut limits = super::api::limits(ctx);
    limits.files = files;
    let upload = ctx.multipart(limits)?;
    csrf::check_csrf(ctx, &Form::from_pairs([("csrf", upload.form.get("csrf"))]))?;
    Ok(upload)
}

/// `POST /documents/upload`: every file becomes a document, linked to the form's customer
/// and contact when it names them, else under Incoming.
pub(crate) fn upload(ctx: &mut Ctx) -> Result<Resp> {
    let upload = read_upload(ctx, super::api::MAX_FILES)?;
    let back = back_to(upload.form.get("back"), "/documents");
    let customer = super::api::id_field(upload.form.get("customer_id"), "customer_id")?;
    let contact = super::api::id_field(upload.form.get("contact_id"), "contact_id")?;
    if upload.files.is_empty() {
        ctx.flash("flash.no_file");
        return Ok(Resp::redirect(&back));
    }
    let ids = super::api::store_files(ctx, upload.files, "", customer, contact, Source::Upload)?;
    ctx.flash("flash.documents_added");
    // A lone file from the Documents page opens its page, to name it and link it.
    if ids.len() == 1 && back == "/documents" {
        return Ok(Resp::redirect(&format!("/documents/{}", ids[0].0)));
    }
    Ok(Resp::redirect(&back))
}

/// `POST /documents/email`: every `.eml` file's attachments become incoming documents (the
/// whole message when it has none), all files or none; a file that is not a message, or is too
/// large, is named on the page with the form again.
pub(crate) fn upload_email(ctx: &mut Ctx) -> Result<Resp> {
    let upload = match read_upload(ctx, super::api::MAX_FILES) {
        Ok(upload) => upload,
        Err(err @ Error::TooLarge(_)) => return email_failed(ctx, "", &err),
        Err(err) => return Err(err),
    };
    if upload.files.is_empty() {
        ctx.flash("flash.no_file");
        return Ok(Resp::redirect(INCOMING));
    }
    let messages = upload
        .files
        .into_iter()
        .map(|f| (f.name, Box::new(f.file) as Box<dyn std::io::Read>))
        .collect();
    match super::email::import_messages(ctx, messages, crate::inbox::Via::Upload) {
        Ok(_) => {
            ctx.flash("flash.emails_imported");
            Ok(Resp::redirect(INCOMING))
        }
        Err((name, err @ (Error::TooLarge(_) | Error::Validation { .. }))) => {
            email_failed(ctx, &name, &err)
        }
        Err((_, err)) => Err(err),
    }
}

const INCOMING: &str = "/documents?incoming=1";

/// The page of a refused `.eml` upload: what went wrong with which file, and the form again.
fn email_failed(ctx: &mut Ctx, file: &str, err: &Error) -> Result<Resp> {
    let frame = ctx.frame(Section::Documents);
    let f = &frame;
    let body = html! {
        h1 { (f.t("documents.upload_emails")) }
        p.form-error role="alert" {
            @if !file.is_empty() { strong { (file) } ": " }
            (err.message(f.lang))
        }
        (email_form(f))
        p { a href=(INCOMING) { (f.t("documents.back_to_incoming")) } }
    };
    Ok(Resp::html(layout(f, f.t("documents.upload_emails"), body)).with_status(err.status()))
}

/// `GET /documents/{id}`.
pub(crate) fn card(ctx: &mut Ctx, id: i64) -> Result<Resp> {
    let d = store::by_id(ctx.conn, DocumentId(id))?.ok_or(Error::NotFound)?;
    let values = Form::from_pairs([
        ("title", d.title.clone()),
        (
            "customer_id",
            d.customer_id.map(|c| c.to_string()).unwrap_or_default(),
        ),
        (
            "contact_id",
            d.contact_id.map(|c| c.to_string()).unwrap_or_default(),
        ),
    ]);
    card_with(ctx, d, &values, None)
}

/// A (customer or contact) choice of a picker: id and name.
type Choice = (String, String);

/// Adds a choice to a picker's, unless it is there already.
fn add_choice(out: &mut Vec<Choice>, id: i64, name: String) {
    let id = id.to_string();
    if !out.iter().any(|(i, _)| *i == id) {
        out.push((id, name));
    }
}

/// The customers the picker offers: the chosen one, the suggestion, and what `find` found.
fn customer_choices(
    ctx: &mut Ctx,
    chosen: Option<i64>,
    suggestion: Option<&Suggestion>,
) -> Result<Vec<Choice>> {
    let mut out: Vec<Choice> = Vec::new();
    let mut push = |id: i64, name: String| add_choice(&mut out, id, name);
    if let Some(id) = chosen {
        if let Some(c) = crate::customers::store::by_id(ctx.conn, CustomerId(id))? {
            push(id, format!("{} ({})", c.name, c.number));
        }
    }
    if let Some((id, name)) = suggestion.and_then(|s| s.customer.clone()) {
        push(id, name);
    }
    let find = ctx.query.get("find").trim().to_string();
    if !find.is_empty() {
        let query = customer_list::ListQuery::search(&find, customer_list::Sort::Name, 20);
        for c in list::page::<Customers>(ctx.conn, &query)?.0 {
            push(c.id.0, format!("{} ({})", c.name, c.number));
        }
    }
    Ok(out)
}

/// The contacts the picker offers: the chosen customer's first, then the chosen contact, the
/// suggestion's, and what `find_contact` found.
fn contact_choices(
    ctx: &mut Ctx,
    customer: Option<i64>,
    chosen: Option<i64>,
    suggestion: Option<&Suggestion>,
) -> Result<Vec<Choice>> {
    let mut out: Vec<Choice> = Vec::new();
    let mut push = |id: i64, name: String| add_choice(&mut out, id, name);
    if let Some(c) = customer {
        for (p, role) in crate::contacts::store::of_customer(ctx.conn, CustomerId(c))? {
            let name = if role.is_empty() {
                p.full_name()
            } else {
                format!("{} — {role}", p.full_name())
            };
            push(p.id.0, name);
        }
    }
    if let Some(id) = chosen {
        if let Some(p) = crate::contacts::store::by_id(ctx.conn, crate::contacts::ContactId(id))? {
            push(id, p.full_name());
        }
    }
    if let Some((id, name)) = suggestion.and_then(|s| s.contact.clone()) {
        push(id, name);
    }
    let find = ctx.query.get("find_contact").trim().to_string();
    if !find.is_empty() {
        let query = contact_list::ListQuery::search(&find, contact_list::Sort::Name, 20);
        for p in list::page::<Contacts>(ctx.conn, &query)?.0 {
            push(p.id.0, p.full_name());
        }
    }
    Ok(out)
}

/// The document's page with the details form holding `values` (and the error of a rejected
/// save at its fields).
fn card_with(ctx: &mut Ctx, d: Document, values: &Form, error: Option<&Error>) -> Result<Resp> {
    let id = d.id;
    let versions = store::versions(ctx.conn, DocumentId(id))?;
    let suggestion = if d.incoming {
        let text = store::text(ctx.conn, DocumentId(id))?;
        suggest::suggest(ctx.conn, &d, &text)?
    } else {
        None
    };
    let chosen_customer = values.get("customer_id").trim().parse::<i64>().ok();
    let chosen_contact = values.get("contact_id").trim().parse::<i64>().ok();
    let customers = customer_choices(ctx, chosen_customer, suggestion.as_ref())?;
    let contacts = contact_choices(ctx, chosen_customer, chosen_contact, suggestion.as_ref())?;
    let find = ctx.query.get("find").to_string();
    let find_contact = ctx.query.get("find_contact").to_string();
    let frame = ctx.frame(Section::Documents);
    let f = &frame;
    let can_write = f.user.as_ref().is_some_and(|u| u.role.can_write());
    let errors = error.map(Error::fields).unwrap_or_default();
    let base = format!("/documents/{id}");
    let mut customer_options = vec![("", f.t("documents.no_customer"))];
    customer_options.extend(customers.iter().map(|(i, n)| (i.as_str(), n.as_str())));
    let mut contact_options = vec![("", f.t("documents.no_contact"))];
    contact_options.extend(contacts.iter().map(|(i, n)| (i.as_str(), n.as_str())));
    let body = html! {
        div.title-row {
            h1 { (d.title) @if d.incoming { " " span.badge { (f.t("documents.incoming")) } } }
            div.actions {
                a.button href=(format!("{base}/download")) { (f.t("documents.download")) }
                @if can_write { a.button.danger href=(format!("{base}/delete")) { (f.t("documents.delete")) } }
            }
        }
        @if let (Some(s), true) = (&suggestion, can_write) {
            div.suggestion-box { (suggestion_view(f.lang, &f.csrf, id, s, &base, true)) }
        }
        div.cols {
            section.card {
                h2 { (f.t("tabs.details")) }
                dl {
                    (detail(f, "documents.file_name", &d.file_name))
                    (detail(f, "documents.content_type", &d.content_type))
                    (detail(f, "documents.size", &size_text(f.lang, d.size)))
                    (detail(f, "documents.version", &d.version.to_string()))
                    (detail(f, "documents.source", source_label(f.lang, d.source)))
                    (detail(f, "documents.email_from", d.email_from.as_deref().unwrap_or("")))
                    (detail(f, "documents.email_subject", d.email_subject.as_deref().unwrap_or("")))
                    (detail(f, "documents.email_date", &d.email_date.as_deref().map(|t| f.datetime_text(t)).unwrap_or_default()))
                    (detail(f, "documents.added", &f.datetime_text(&d.created_at)))
                    @if d.customer_id.is_some() || d.contact_id.is_some() {
                        dt { (f.t("documents.linked_to")) } dd { (linked_to(&d)) }
                    }
                }
            }
            @if can_write {
                section.card #details {
                    h2 { (f.t("documents.details_form")) }
                    (form_error(f, error))
                    form method="post" action=(base) novalidate {
                        (csrf_input(f))
                        (Field::text("title", "documents.title", values.get("title")).render(f, errors))
                        (select(f, "customer_id", "documents.customer", &customer_options, values.get("customer_id"), errors))
                        (select(f, "contact_id", "documents.contact", &contact_options, values.get("contact_id"), errors))
                        p.hint { (f.t("documents.contact_hint")) }
                        button.primary type="submit" { (f.t("form.save")) }
                    }
                    form.filters method="get" action=(base) {
                        div.field {
                            label for="f-find" { (f.t("documents.find_customer")) }
                            input #f-find type="search" name="find" value=(find);
                        }
                        div.field {
                            label for="f-find-contact" { (f.t("documents.find_contact")) }
                            input #f-find-contact type="search" name="find_contact" value=(find_contact);
                        }
                        button type="submit" { (f.t("search.button")) }
                    }
                }
            }
        }
        section.card #preview {
            h2 { (f.t("documents.preview")) }
            @if serve::is_image(&d.content_type) {
                img.preview src=(format!("{base}/preview")) alt=(d.title);
            } @else if serve::previewable(&d.content_type) {
                // No `sandbox` attribute: Chromium refuses to start its PDF viewer in a
                // sandboxed frame. The preview's own answer carries `Content-Security-Policy:
                // sandbox …` (which the viewer accepts), and only PDFs come here.
                iframe.preview src=(format!("{base}/preview")) title=(d.title) {}
            } @else {
                (views::empty(f.t("documents.no_preview")))
            }
        }
        section.card #versions {
            h2 { (f.t("documents.versions")) }
            div.table-wrap { table.list {
                thead { tr {
                    th { (f.t("documents.version")) } th { (f.t("documents.file_name")) }
                    th { (f.t("documents.size")) } th { (f.t("documents.added")) } th {}
                } }
                tbody {
                    @for v in &versions {
                        tr {
                            td { (v.version) } td { (v.file_name) } td { (size_text(f.lang, v.size)) }
                            td { (f.datetime_text(&v.created_at)) }
                            td { a href=(format!("{base}/download?version={}", v.version)) { (f.t("documents.download")) } }
                        }
                    }
                }
            } }
            @if can_write {
                form.upload method="post" action=(format!("{base}/version")) enctype="multipart/form-data" {
                    (csrf_input(f))
                    div.field {
                        label for="f-version-file" { (f.t("documents.new_version")) }
                        input #f-version-file type="file" name="file" required;
                    }
                    button type="submit" { (f.t("documents.upload_version")) }
                }
            }
        }
    };
    let status = error.map(Error::status).unwrap_or(200);
    Ok(Resp::html(layout(f, &d.title, body)).with_status(status))
}

/// The details form's input: title, customer and contact (empty clears a link).
fn input_of(form: &Form) -> Result<DocumentInput> {
    Ok(DocumentInput {
        title: form.has("title").then(|| form.get("title").to_string()),
        customer_id: Some(super::api::id_field(
            form.get("customer_id"),
            "customer_id",
        )?),
        contact_id: Some(super::api::id_field(form.get("contact_id"), "contact_id")?),
    })
}

/// `POST /documents/{id}`: saves the details, or shows the page again with the input and the
/// messages at the fields.
pub(crate) fn save(ctx: &mut Ctx, id: i64, form: Form) -> Result<Resp> {
    let by = ctx.user()?.id;
    let d = store::by_id(ctx.conn, DocumentId(id))?.ok_or(Error::NotFound)?;
    let result = input_of(&form).and_then(|input| {
        db::write(ctx.conn, |tx| {
            store::update(tx, DocumentId(id), &input, Some(by))
        })
    });
    match result {
        Ok(_) => {
            ctx.flash("flash.saved");
            Ok(Resp::redirect(&format!("/documents/{id}")))
        }
        Err(err @ Error::Validation { .. }) => card_with(ctx, d, &form, Some(&err)),
        Err(err) => Err(err),
    }
}

/// `POST /documents/{id}/assign`: one click links the document to the customer and contact
/// given (the suggestion's), taking it out of Incoming.
pub(crate) fn assign(ctx: &mut Ctx, id: i64, form: Form) -> Result<Resp> {
    let by = ctx.user()?.id;
    let input = DocumentInput {
        title: None,
        customer_id: Some(super::api::id_field(
            form.get("customer_id"),
            "customer_id",
        )?),
        contact_id: Some(super::api::id_field(form.get("contact_id"), "contact_id")?),
    };
    db::write(ctx.conn, |tx| {
        store::update(tx, DocumentId(id), &input, Some(by))
    })?;
    ctx.flash("flash.document_assigned");
    Ok(Resp::redirect(&back_to(
        form.get("back"),
        &format!("/documents/{id}"),
    )))
}

/// `POST /documents/{id}/version`: a new version from the form's file.
pub(crate) fn new_version(ctx: &mut Ctx, id: i64) -> Result<Resp> {
    let by = ctx.user()?.id;
    store::by_id(ctx.conn, DocumentId(id))?.ok_or(Error::NotFound)?;
    let mut upload = read_upload(ctx, 1)?;
    let Some(mut file) = upload.files.pop() else {
        ctx.flash("flash.no_file");
        return Ok(Resp::redirect(&format!("/documents/{id}")));
    };
    super::api::write_version(ctx, DocumentId(id), &mut file, by)?;
    ctx.flash("flash.saved");
    Ok(Resp::redirect(&format!("/documents/{id}")))
}

/// `GET /documents/{id}/download` (`?version=n`): the bytes as an attachment.
pub(crate) fn download(ctx: &mut Ctx, id: i64) -> Result<Resp> {
    super::api::content(ctx, id)
}

/// `GET /documents/{id}/preview`: PDFs and images inline, in a sandbox; anything else as an
/// attachment.
pub(crate) fn preview(ctx: &mut Ctx, id: i64) -> Result<Resp> {
    let v = store::version(ctx.conn, DocumentId(id), None)?.ok_or(Error::NotFound)?;
    Ok(serve::content(ctx, &v, Disposition::Inline))
}

pub(crate) fn delete_confirm(ctx: &mut Ctx, id: i64) -> Result<Resp> {
    let d = store::by_id(ctx.conn, DocumentId(id))?.ok_or(Error::NotFound)?;
    let frame = ctx.frame(Section::Documents);
    let f = &frame;
    let explain = Some(f.t("documents.delete_explain").to_string());
    Ok(delete_page::<Documents>(
        f,
        id,
        &d.title,
        ("documents.delete", "documents.delete_confirm"),
        explain,
    ))
}

pub(crate) fn delete(ctx: &mut Ctx, id: i64) -> Result<Resp> {
    let by = ctx.user()?.id;
    db::write(ctx.conn, |tx| store::delete(tx, DocumentId(id), Some(by)))?;
    ctx.flash("flash.document_deleted");
    Ok(Resp::redirect("/documents"))
}

/// The Documents tab of a customer's card (its documents and its contacts') or a contact's
/// card (its own), with an upload form that links the files at once.
pub(crate) fn card_tab(ctx: &mut Ctx, of: CardOf) -> Result<TabView> {
    let mut query = ListQuery::new(Sort::Newest);
    query.limit = 100;
    let (back, customer, contact, all) = match of {
        CardOf::Customer(id) => {
            query.filter.with_contacts_of = Some(id);
            (
                format!("/customers/{id}?tab=documents"),
                Some(id),
                None,
                format!("/documents?with_contacts_of={id}"),
            )
        }
        CardOf::Contact(id) => {
            query.filter.contact_id = Some(id);
            (
                format!("/contacts/{id}?tab=documents"),
                None,
                Some(id),
                format!("/documents?contact_id={id}"),
            )
        }
    };
    let (docs, more) = list::page(ctx.conn, &query)?;
    let tz = ctx.settings.time_zone;
    Ok(Box::new(move |f: &Frame| {
        let can_write = f.user.as_ref().is_some_and(|u| u.role.can_write());
        html! {
            section.card #documents {
                h2 { (f.t("nav.documents")) }
                @if can_write { (upload_form(f, customer, contact, &back)) }
                @if docs.is_empty() {
                    (views::empty(f.t("section.no_documents")))
                } @else {
                    div.table-wrap { table.list {
                        thead { tr {
                            th { (f.t("documents.title")) } th { (f.t("documents.size")) }
                            th { (f.t("documents.linked_to")) } th { (f.t("documents.added")) }
                        } }
                        tbody {
                            @for d in &docs {
                                tr {
                                    td { a href=(format!("/documents/{}", d.id)) { (d.title) } }
                                    td { (size_text(f.lang, d.size)) }
                                    td { (linked_to(d)) }
                                    td { (f.lang.datetime_text(&d.created_at, tz)) }
                                }
                            }
                        }
                    } }
                    @if more { p { a href=(all) { (f.t("documents.all_of_these")) } } }
                }
            }
        }
    }))
}

//! Downloads (CSV, vCard) and the import page.
//!
//! The import page has three steps on one address: upload (a multipart form with the file),
//! preview (the column mapping with a select per column and the first rows), and a dry run or
//! the import itself. The file stays on the server between the steps (`uploads`); the forms
//! carry only its token and the mapping, and no page shows more of it than ten rows of the
//! mapped columns, each cell cut short. Every error shows the page again with the message.

use std::collections::HashMap;
use std::io::{Read, Seek, SeekFrom};

use maud::{html, Markup};

use super::export::{self, Spill};
use super::fields::{Field, Kind, Mapping};
use super::import::{self, Action, Change, Choice, ImportError, Options, Report};
use super::table::{Format, Table};
use super::uploads;
use crate::contacts::list as contact_list;
use crate::contacts::store as contacts;
use crate::contacts::ContactId;
use crate::customers::list as customer_list;
use crate::customers::store as customers;
use crate::customers::CustomerId;
use crate::error::{Error, Result};
use crate::http::form::Form;
use crate::http::{csrf, multipart};
use crate::http::{Ctx, Resp};
use crate::i18n::Lang;
use crate::views::{csrf_input, layout, Frame, Section};

/// Rows shown in the preview.
const PREVIEW_ROWS: usize = 10;
/// Rows listed in a dry run's or an import's report.
const REPORT_ROWS: usize = 200;
/// Characters of a cell shown in the preview (and of a header or a file name anywhere).
const SHOWN_CHARS: usize = 80;

/// Text cut to [`SHOWN_CHARS`] characters, with `…` when something was left out.
fn clip(text: &str) -> String {
    match text.char_indices().nth(SHOWN_CHARS) {
        Some((at, _)) => format!("{}…", &text[..at]),
        None => text.to_string(),
    }
}

fn optional_id(query: &Form, name: &str) -> Result<Option<i64>> {
    match query.get(name).trim() {
        "" => Ok(None),
        text => text
            .parse()
            .map(Some)
            .map_err(|_| Error::BadRequest(format!("`{name}` must be a whole number."))),
    }
}

/// The customer list's filter (`q`, `tag`, `owner_id`, `archived`, `sort`), read exactly as
/// the list page reads it.
pub(crate) fn customer_query(query: &Form) -> Result<customer_list::ListQuery> {
    customer_list::ListQuery::from_form(query, customer_list::Sort::Name)
}

/// The contact list's filter (`q`, `tag`, `customer_id`, `sort`), read as the list page does.
pub(crate) fn contact_query(query: &Form) -> Result<contact_list::ListQuery> {
    contact_list::ListQuery::from_form(query, contact_list::Sort::Name)
}

/// A download's file name: `asiakkaat-2026-11-22.csv` or `customers-2026-11-22.csv`.
fn dated_name(lang: Lang, kind: Kind, extension: &str) -> String {
    let base = match (lang, kind) {
        (Lang::Fi, Kind::Customers) => "asiakkaat",
        (Lang::Fi, Kind::Contacts) => "kontaktit",
        (Lang::En, Kind::Customers) => "customers",
        (Lang::En, Kind::Contacts) => "contacts",
    };
    format!(
        "{base}-{}.{extension}",
        chrono::Local::now().format("%Y-%m-%d")
    )
}

pub(super) fn download(out: Spill, content_type: &str, file_name: &str) -> Result<Resp> {
    Ok(Resp {
        status: 200,
        headers: vec![
            ("Content-Type".into(), content_type.into()),
            (
                "Content-Disposition".into(),
                format!(
                    "attachment; filename=\"{}\"",
                    crate::http::response::safe_file_name(file_name)
                ),
            ),
            ("Cache-Control".into(), "no-store".into()),
        ],
        body: out.into_body()?,
    })
}

pub(super) const CSV_TYPE: &str = "text/csv; charset=utf-8";
const VCARD_TYPE: &str = "text/vcard; charset=utf-8";

/// `GET /customers.csv?…` — the customer list's current filter as CSV.
pub(crate) fn customers_csv(ctx: &mut Ctx) -> Result<Resp> {
    ctx.user()?;
    let query = customer_query(&ctx.query)?;
    let mut out = Spill::new();
    export::customers_csv(ctx.conn, &query, ctx.lang, &mut out)?;
    download(out, CSV_TYPE, &dated_name(ctx.lang, Kind::Customers, "csv"))
}

/// `GET /contacts.csv?…` — the contact list's current filter as CSV.
pub(crate) fn contacts_csv(ctx: &mut Ctx) -> Result<Resp> {
    ctx.user()?;
    let query = contact_query(&ctx.query)?;
    let mut out = Spill::new();
    export::contacts_csv(ctx.conn, &query, ctx.lang, &mut out)?;
    download(out, CSV_TYPE, &dated_name(ctx.lang, Kind::Contacts, "csv"))
}

const XLSX_TYPE: &str = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet";

/// `GET /customers.xlsx?…` — the customer list's current filter as an Excel workbook.
pub(crate) fn customers_xlsx(ctx: &mut Ctx) -> Result<Resp> {
    ctx.user()?;
    let query = customer_query(&ctx.query)?;
    let mut out = Spill::new();
    export::customers_xlsx(ctx.conn, &query, ctx.lang, &mut out)?;
    download(
        out,
        XLSX_TYPE,
        &dated_name(ctx.lang, Kind::Customers, "xlsx"),
    )
}

/// `GET /contacts.xlsx?…` — the contact list's current filter as an Excel workbook.
pub(crate) fn contacts_xlsx(ctx: &mut Ctx) -> Result<Resp> {
    ctx.user()?;
    let query = contact_query(&ctx.query)?;
    let mut out = Spill::new();
    export::contacts_xlsx(ctx.conn, &query, ctx.lang, &mut out)?;
    download(
        out,
        XLSX_TYPE,
        &dated_name(ctx.lang, Kind::Contacts, "xlsx"),
    )
}

/// `GET /contacts/{id}.vcf` (also under `/api/v1`).
pub(crate) fn contact_vcard(ctx: &mut Ctx, id: i64) -> Result<Resp> {
    ctx.user()?;
    let contact = contacts::by_id(ctx.conn, ContactId(id))?.ok_or(Error::NotFound)?;
    let card = export::contact_vcard(&contact);
    let name = format!("{}.vcf", contact.full_name());
    download(Spill::Memory(card.into_bytes()), VCARD_TYPE, &name)
}

/// `GET /contacts.vcf?customer_id=` — a customer's contacts, or all (also under `/api/v1`).
pub(crate) fn contacts_vcard(ctx: &mut Ctx) -> Result<Resp> {
    ctx.user()?;
    let customer = optional_id(&ctx.query, "customer_id")?;
    let name = match customer {
        Some(id) => {
            let c = customers::by_id(ctx.conn, CustomerId(id))?.ok_or(Error::NotFound)?;
            format!("{}.vcf", c.name)
        }
        None => dated_name(ctx.lang, Kind::Contacts, "vcf"),
    };
    let mut query = contact_list::ListQuery::new(contact_list::Sort::Name);
    query.filter.customer_id = customer;
    let mut out = Spill::new();
    export::contacts_vcard(ctx.conn, &query, &mut out)?;
    download(out, VCARD_TYPE, &name)
}

// ---------------------------------------------------------------------------------------------
// The import page

/// `GET /settings/import`.
pub(crate) fn import_form(ctx: &mut Ctx) -> Result<Resp> {
    let kind = Kind::parse(ctx.query.get("kind")).unwrap_or(Kind::Customers);
    let frame = ctx.frame(Section::Settings);
    Ok(Resp::html(upload_view(&frame, kind, None)))
}

/// Everything the preview needs between the steps.
struct State {
    kind: Kind,
    file_name: String,
    /// The token of the upload kept on the server (`uploads`), the only trace of the file in
    /// the form.
    upload: String,
    table: Table,
    mapping: Mapping,
    skip_invalid: bool,
    /// The admin's choices for rows that only look like existing records.
    choices: HashMap<usize, Choice>,
}

/// The mapping the admin chose (`map_0`, `map_1`, … each a field key or empty), or the
/// detected one when the form has none.
fn chosen_mapping(kind: Kind, form: &Form, table: &Table) -> Mapping {
    if table.format == Format::Vcard || !form.has("map_0") {
        return Mapping::detect(kind, &table.headers);
    }
    let columns = (0..table.headers.len())
        .map(|i| Field::parse(kind, form.get(&format!("map_{i}"))))
        .collect();
    Mapping { columns }
}

/// `POST /settings/import` (multipart: the file, the kind, the mapping, dry run or import).
pub(crate) fn import_submit(ctx: &mut Ctx, form: Form) -> Result<Resp> {
    let by = ctx.user()?.id;
    // A file comes as multipart, streamed to a temporary file; the later steps post a plain
    // form naming the kept upload (its CSRF token checked by the server like any form's).
    let (form, file) = if ctx.body_stream.is_some() {
        let limits = multipart::Limits {
            file_size: ctx.app.config.max_body,
            files: 1,
        };
        match ctx.multipart(limits) {
            Ok(mut upload) => {
                csrf::check_csrf(ctx, &Form::from_pairs([("csrf", upload.form.get("csrf"))]))?;
                (upload.form, upload.files.pop())
            }
            Err(Error::BadRequest(e)) => {
                log::info!("import: {e}");
                return Ok(upload_error(
                    ctx,
                    Kind::Customers,
                    ctx.lang.t("exchange.bad_upload").into(),
                    400,
                ));
            }
            Err(e) => return Err(e),
        }
    } else {
        (form, None)
    };
    let kind = Kind::parse(form.get("kind")).unwrap_or(Kind::Customers);
    // The import page is for a logged-in administrator: there is always a session.
    let session =
        uploads::session_key(&ctx.session.as_ref().ok_or(Error::Unauthorized)?.token_hash);
    let dir = uploads::dir(&ctx.app.config.db_path);
    let fresh = file.is_some();
    // The file's bytes, and where it is: just uploaded (kept below once it reads), or kept.
    let (kept, file_name, bytes) = match file {
        Some(mut file) => {
            let mut bytes = Vec::with_capacity(file.size as usize);
            file.file.read_to_end(&mut bytes)?;
            (Err(file.file), file.name, bytes)
        }
        None if !form.get("upload").is_empty() => {
            let token = form.get("upload").to_string();
            match uploads::load(&dir, &session, &token)? {
                Some((file_name, bytes)) => (Ok(token), file_name, bytes),
                None => {
                    return Ok(upload_error(
                        ctx,
                        kind,
                        ctx.lang.t("exchange.upload_expired").into(),
                        422,
                    ))
                }
            }
        }
        None => {
            return Ok(upload_error(
                ctx,
                kind,
                ctx.lang.t("exchange.no_file").into(),
                422,
            ))
        }
    };
    // Read (and its limits checked) before anything is kept: a file that cannot be imported
    // is not stored.
    let table = match super::read_file(&file_name, bytes) {
        Ok(table) => table,
        Err(e) => {
            let message = e.message(ctx.lang);
            return Ok(upload_error(ctx, kind, message, 422));
        }
    };
    if table.format == Format::Vcard && kind == Kind::Customers {
        return Ok(upload_error(
            ctx,
            kind,
            ctx.lang.t("exchange.vcard_customers").into(),
            422,
        ));
    }
    let token = match kept {
        Ok(token) => token,
        Err(mut file) => {
            file.seek(SeekFrom::Start(0))?;
            uploads::save(&dir, &session, &file_name, &mut file)?
        }
    };
    let mapping = if fresh {
        Mapping::detect(kind, &table.headers)
    } else {
        chosen_mapping(kind, &form, &table)
    };
    let state = State {
        kind,
        file_name,
        upload: token,
        table,
        mapping,
        skip_invalid: form.checked("skip_invalid"),
        choices: choices(&form),
    };
    let step = form.get("step");
    let lang = ctx.lang;
    let refused = if state.mapping.is_empty() {
        Some(lang.t("exchange.no_mapped_columns").to_string())
    } else {
        state.mapping.duplicate().map(|f| {
            lang.tf(
                "exchange.duplicate_mapping",
                &[("field", lang.t(f.label_key()))],
            )
        })
    };
    if step != "dry_run" && step != "import" {
        // The preview: with a usable mapping, what each row would do (a dry run that reports
        // the bad rows instead of stopping at them).
        let report = match refused {
            Some(_) => None,
            None => {
                let options = Options {
                    dry_run: true,
                    skip_invalid: true,
                    by: Some(by),
                    detail: REPORT_ROWS,
                    choices: state.choices.clone(),
                    file: state.file_name.clone(),
                };
                let mut noop = |_, _| {};
                import::run(
                    ctx.conn,
                    kind,
                    &state.table,
                    &state.mapping,
                    &options,
                    &mut noop,
                )
                .ok()
            }
        };
        let frame = ctx.frame(Section::Settings);
        return Ok(Resp::html(preview_view(
            &frame,
            &state,
            report.as_ref(),
            None,
        )));
    }
    if let Some(message) = refused {
        let frame = ctx.frame(Section::Settings);
        return Ok(Resp::html(preview_view(&frame, &state, None, Some(&message))).with_status(422));
    }
    let options = Options {
        dry_run: step == "dry_run",
        skip_invalid: state.skip_invalid,
        by: Some(by),
        detail: REPORT_ROWS,
        choices: state.choices.clone(),
        file: state.file_name.clone(),
    };
    let result = import::run(
        ctx.conn,
        kind,
        &state.table,
        &state.mapping,
        &options,
        &mut |_, _| {},
    );
    let frame = ctx.frame(Section::Settings);
    match result {
        Ok(report) if report.dry_run => Ok(Resp::html(preview_view(
            &frame,
            &state,
            Some(&report),
            None,
        ))),
        Ok(report) => {
            // Imported: the file is used up.
            if let Err(e) = uploads::remove(&dir, &session, &state.upload) {
                log::warn!("import: could not remove the upload: {e}");
            }
            Ok(Resp::html(done_view(&frame, &state, &report)))
        }
        Err(ImportError::Row(err)) => {
            let message = format!(
                "{} {}",
                err.message(kind, lang),
                lang.t("exchange.nothing_saved")
            );
            Ok(Resp::html(preview_view(&frame, &state, None, Some(&message))).with_status(422))
        }
        Err(ImportError::Db(Error::Busy)) => {
            // Another write held the database; the check pass already ran. 503, try again.
            log::warn!("import of {}: the database is busy", kind.as_str());
            let message = Error::Busy.message(lang);
            Ok(Resp::html(preview_view(&frame, &state, None, Some(&message))).with_status(503))
        }
        Err(ImportError::Db(err)) => {
            log::error!("import of {}: {err}", kind.as_str());
            let message = format!("{} {}", err.message(lang), lang.t("exchange.nothing_saved"));
            Ok(
                Resp::html(preview_view(&frame, &state, None, Some(&message)))
                    .with_status(err.status()),
            )
        }
    }
}

/// The upload page again with a message.
fn upload_error(ctx: &mut Ctx, kind: Kind, message: String, status: u16) -> Resp {
    let frame = ctx.frame(Section::Settings);
    Resp::html(upload_view(&frame, kind, Some(&message))).with_status(status)
}

fn kind_label(kind: Kind) -> &'static str {
    match kind {
        Kind::Customers => "exchange.kind_customers",
        Kind::Contacts => "exchange.kind_contacts",
    }
}

fn error_box(message: Option<&str>) -> Markup {
    html! {
        @if let Some(message) = message {
            p.form-error role="alert" { (message) }
        }
    }
}

fn upload_view(f: &Frame, kind: Kind, error: Option<&str>) -> Markup {
    let body = html! {
        h1 { (f.t("exchange.title")) }
        p { (f.t("exchange.intro")) }
        (error_box(error))
        form method="post" action="/settings/import" enctype="multipart/form-data" {
            (csrf_input(f))
            fieldset {
                legend { (f.t("exchange.kind")) }
                @for k in [Kind::Customers, Kind::Contacts] {
                    div.field.check {
                        input id=(format!("kind-{}", k.as_str())) type="radio" name="kind" value=(k.as_str()) checked[k == kind];
                        label for=(format!("kind-{}", k.as_str())) { (f.t(kind_label(k))) }
                    }
                }
            }
            div.field {
                label for="f-file" { (f.t("exchange.file")) }
                input #f-file type="file" name="file" required accept=".csv,.txt,.tsv,.xlsx,.xlsm,.ods,.xls,.vcf,.vcard,text/csv,text/vcard" aria-describedby="f-file-hint";
                p.hint #f-file-hint { (f.t("exchange.file_hint")) }
            }
            button.primary type="submit" name="step" value="preview" { (f.t("exchange.preview_button")) }
        }
        h2 { (f.t("exchange.export")) }
        p { (f.t("exchange.export_intro")) }
        ul {
            li { a href="/customers.csv?archived=all" download { (f.t("exchange.export_customers")) } }
            li { a href="/customers.xlsx?archived=all" download { (f.t("exchange.export_customers_xlsx")) } }
            li { a href="/contacts.csv" download { (f.t("exchange.export_contacts")) } }
            li { a href="/contacts.xlsx" download { (f.t("exchange.export_contacts_xlsx")) } }
            li { a href="/contacts.vcf" download { (f.t("exchange.export_vcard")) } }
        }
    };
    layout(f, f.t("exchange.title"), body)
}

/// What a row will do (a dry run, the preview) or did (the import).
fn action_label(action: Action, done: bool) -> &'static str {
    match (action, done) {
        (Action::Created, false) => "exchange.action_created",
        (Action::Updated, false) => "exchange.action_updated",
        (Action::Created, true) => "exchange.done_created",
        (Action::Updated, true) => "exchange.done_updated",
        (Action::Unchanged, _) => "exchange.action_unchanged",
        (Action::Skipped, _) => "exchange.action_skipped",
    }
}

/// The admin's choices for rows that only look like an existing record: `choice` fields of
/// `LINE:update|add|skip`; anything else is left at the default (update).
fn choices(form: &Form) -> HashMap<usize, Choice> {
    form.all("choice")
        .into_iter()
        .filter_map(|v| {
            let (line, choice) = v.split_once(':')?;
            Some((line.parse().ok()?, Choice::parse(choice)?))
        })
        .collect()
}

/// The rows that only look like an existing record, each with its choice, inside the import
/// form so the next step takes them.
fn look_alike_choices(f: &Frame, report: &Report, chosen: &HashMap<usize, Choice>) -> Markup {
    html! {
        @if !report.look_alikes.is_empty() {
            fieldset.look-alikes {
                legend { (f.t("exchange.look_alikes")) }
                p.hint { (f.t("exchange.look_alikes_hint")) }
                table {
                    thead { tr { th.num { (f.t("exchange.row")) } th { (f.t("customers.name")) } th { (f.t("exchange.choice")) } } }
                    tbody {
                        @for o in &report.look_alikes {
                            @let now = chosen.get(&o.line).copied().unwrap_or(Choice::Update);
                            tr {
                                td.num { (o.line) }
                                td { (o.label) }
                                td {
                                    select name="choice" aria-label=(f.lang.tf("exchange.choice_for", &[("row", &o.line.to_string())])) {
                                        @for c in Choice::ALL {
                                            option value=(format!("{}:{}", o.line, c.as_str())) selected[c == now] { (f.t(choice_label(c))) }
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
}

fn choice_label(choice: Choice) -> &'static str {
    match choice {
        Choice::Update => "exchange.choice_update",
        Choice::Add => "exchange.choice_add",
        Choice::Skip => "exchange.choice_skip",
    }
}

/// A changed value as the page shows it: yes/no in words, an empty one as a dash.
fn shown_value(f: &Frame, field: Field, text: &str) -> String {
    match (field, text) {
        (_, "") => "–".into(),
        (Field::Archived, "yes") => f.t("exchange.yes").into(),
        (Field::Archived, "no") => f.t("exchange.no").into(),
        _ => clip(text),
    }
}

/// An update's changes: "Puhelin: 040 1 → 050 2" a line each.
fn changes_cell(f: &Frame, changes: &[Change]) -> Markup {
    html! {
        @for (i, c) in changes.iter().enumerate() {
            @if i > 0 { br; }
            span.change {
                (f.t(c.field.label_key())) ": "
                del { (shown_value(f, c.field, &c.old)) }
                " → "
                ins { (shown_value(f, c.field, &c.new)) }
            }
        }
    }
}

fn counts(f: &Frame, key: &str, report: &Report) -> String {
    f.lang.tf(
        key,
        &[
            ("created", &report.created.to_string()),
            ("updated", &report.updated.to_string()),
            ("unchanged", &report.unchanged.to_string()),
        ],
    )
}

/// The rows of a report and the rows skipped.
fn report_lists(f: &Frame, kind: Kind, format: Format, report: &Report) -> Markup {
    let row_heading = match format {
        Format::Vcard => f.t("exchange.line"),
        Format::Csv | Format::Sheet => f.t("exchange.row"),
    };
    html! {
        @if !report.skipped.is_empty() {
            h3 { (f.lang.tf("exchange.skipped", &[("count", &report.skipped_count.to_string())])) }
            ul.errors {
                @for err in report.skipped.iter().take(REPORT_ROWS) {
                    li { (err.message(kind, f.lang)) }
                }
            }
        }
        @if !report.outcomes.is_empty() {
            table {
                thead { tr { th.num { (row_heading) } th { (f.t("exchange.action")) } th { (f.t("customers.name")) } th { (f.t("exchange.changes")) } } }
                tbody {
                    @for o in report.outcomes.iter().take(REPORT_ROWS) {
                        tr {
                            td.num { (o.line) }
                            td { (f.t(action_label(o.action, !report.dry_run))) }
                            td { (o.label) }
                            td { (changes_cell(f, &o.changes)) }
                        }
                    }
                }
            }
            @if report.done() > report.outcomes.len() {
                p.hint { (f.lang.tf("exchange.more_rows", &[("count", &(report.done() - report.outcomes.len()).to_string())])) }
            }
        }
    }
}

/// The select of one column's field.
fn mapping_select(
    f: &Frame,
    kind: Kind,
    column: usize,
    header: &str,
    chosen: Option<Field>,
) -> Markup {
    let id = format!("map-{column}");
    html! {
        label.visually-hidden for=(id) { (f.lang.tf("exchange.maps_to_column", &[("column", &clip(header))])) }
        select id=(id) name=(format!("map_{column}")) {
            option value="" selected[chosen.is_none()] { (f.t("exchange.ignore")) }
            @for field in kind.fields() {
                option value=(field.key()) selected[chosen == Some(*field)] { (f.t(field.label_key())) }
            }
        }
    }
}

fn preview_view(f: &Frame, s: &State, report: Option<&Report>, error: Option<&str>) -> Markup {
    let t = &s.table;
    let vcard = t.format == Format::Vcard;
    let summary = if vcard {
        f.lang.tf(
            "exchange.vcard_summary",
            &[
                ("file", &clip(&s.file_name)),
                ("rows", &t.len().to_string()),
            ],
        )
    } else if t.format == Format::Sheet {
        f.lang.tf(
            "exchange.sheet_summary",
            &[
                ("file", &clip(&s.file_name)),
                ("rows", &t.len().to_string()),
            ],
        )
    } else {
        let sep = match t.delimiter {
            b'\t' => "tab".to_string(),
            d => (d as char).to_string(),
        };
        f.lang.tf(
            "exchange.file_summary",
            &[
                ("file", &clip(&s.file_name)),
                ("rows", &t.len().to_string()),
                ("sep", &sep),
                ("charset", t.charset.name()),
            ],
        )
    };
    let ignored: Vec<String> = s
        .mapping
        .ignored(&t.headers)
        .into_iter()
        .map(clip)
        .collect();
    let mapped: Vec<(usize, Field)> = s
        .mapping
        .columns
        .iter()
        .enumerate()
        .filter_map(|(i, f)| f.map(|f| (i, f)))
        .collect();
    let first = t.rows().next();
    let body = html! {
        h1 { (f.t("exchange.title")) ": " (f.t(kind_label(s.kind))) }
        p { (summary) " " a href=(format!("/settings/import?kind={}", s.kind.as_str())) { (f.t("exchange.another")) } }
        (error_box(error))
        @if let Some(report) = report {
            section.card.report role="status" {
                h2 { (f.t("exchange.dry_run_title")) }
                p { (counts(f, "exchange.dry_run_result", report)) }
                (report_lists(f, s.kind, s.table.format, report))
            }
        }
        form method="post" action="/settings/import" enctype="multipart/form-data" {
            (csrf_input(f))
            input type="hidden" name="kind" value=(s.kind.as_str());
            input type="hidden" name="upload" value=(s.upload);
            @if let Some(report) = report {
                (look_alike_choices(f, report, &s.choices))
            }
            h2 { (f.t("exchange.mapping")) }
            @if !vcard && !ignored.is_empty() {
                p.hint { (f.lang.tf("exchange.ignored_columns", &[("columns", &ignored.join(", "))])) }
            }
            table.mapping {
                thead { tr { th { (f.t("exchange.column")) } th { (f.t("exchange.example")) } th { (f.t("exchange.maps_to")) } } }
                tbody {
                    @for (i, header) in t.headers.iter().enumerate() {
                        tr {
                            td { (clip(header)) }
                            td { (clip(first.as_ref().map_or("", |r| r.cell(i)))) }
                            td {
                                @if vcard {
                                    (s.mapping.columns[i].map(|field| f.t(field.label_key())).unwrap_or(f.t("exchange.ignore")))
                                } @else {
                                    (mapping_select(f, s.kind, i, header, s.mapping.columns.get(i).copied().flatten()))
                                }
                            }
                        }
                    }
                }
            }
            h2 { (f.t("exchange.preview")) }
            div.table-wrap {
                table.preview {
                    thead {
                        tr {
                            th.num { (if vcard { f.t("exchange.line") } else { f.t("exchange.row") }) }
                            @for (_, field) in &mapped { th { (f.t(field.label_key())) } }
                        }
                    }
                    tbody {
                        @for row in t.rows().take(PREVIEW_ROWS) {
                            tr {
                                td.num { (row.line) }
                                @for (i, _) in &mapped { td { (clip(row.cell(*i))) } }
                            }
                        }
                    }
                }
            }
            @if t.len() > PREVIEW_ROWS {
                p.hint { (f.lang.tf("exchange.more_rows", &[("count", &(t.len() - PREVIEW_ROWS).to_string())])) }
            }
            div.field.check {
                input #f-skip type="checkbox" name="skip_invalid" value="1" checked[s.skip_invalid];
                label for="f-skip" { (f.t("exchange.skip_invalid")) }
            }
            p.hint { (f.t("exchange.match_hint")) }
            div.actions {
                @if !vcard {
                    button type="submit" name="step" value="preview" { (f.t("exchange.refresh")) }
                }
                button type="submit" name="step" value="dry_run" { (f.t("exchange.dry_run")) }
                button.primary type="submit" name="step" value="import" { (f.t("exchange.import")) }
            }
        }
    };
    layout(f, f.t("exchange.title"), body)
}

fn done_view(f: &Frame, s: &State, report: &Report) -> Markup {
    let list = match s.kind {
        Kind::Customers => "/customers",
        Kind::Contacts => "/contacts",
    };
    let body = html! {
        h1 { (f.t("exchange.title")) ": " (f.t(kind_label(s.kind))) }
        p.flash role="status" { (counts(f, "exchange.done", report)) }
        (report_lists(f, s.kind, s.table.format, report))
        p {
            a href=(list) { (f.t(kind_label(s.kind))) } " · "
            a href=(format!("/settings/import?kind={}", s.kind.as_str())) { (f.t("exchange.another")) }
        }
    };
    layout(f, f.t("exchange.title"), body)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn file_names_are_safe_ascii() {
        assert_eq!(
            crate::http::response::safe_file_name("Matti Meikäläinen.vcf"),
            "Matti-Meikalainen.vcf"
        );
        assert_eq!(
            crate::http::response::safe_file_name("\"; rm -rf /\".vcf"),
            "rm-rf-.vcf"
        );
        assert_eq!(crate::http::response::safe_file_name("???"), "minicrm");
    }

    #[test]
    fn list_filters_parse_like_the_list_pages() {
        let q = customer_query(
            &Form::parse(b"q=aijala&tag=VIP&owner_id=3&archived=all&sort=-name").unwrap(),
        )
        .unwrap();
        assert_eq!(
            (q.q.as_str(), q.tag.as_str(), q.filter.owner_id),
            ("aijala", "VIP", Some(3))
        );
        assert_eq!(
            (q.filter.archived, q.sort),
            (customer_list::Archived::All, customer_list::Sort::NameDesc)
        );
        assert!(customer_query(&Form::parse(b"archived=maybe").unwrap()).is_err());
        assert!(customer_query(&Form::parse(b"owner_id=x").unwrap()).is_err());
        let q = contact_query(&Form::parse(b"customer_id=5").unwrap()).unwrap();
        assert_eq!(q.filter.customer_id, Some(5));
    }
}

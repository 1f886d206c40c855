//! The log's import of invoices and payments (`/log/import`): a CSV file, previewed (checked,
//! nothing written) or imported, all or none (`events_import`).

use std::io::Read;

use maud::html;

use super::events_import::{self, ImportError, Summary};
use crate::error::{Error, Result};
use crate::http::form::Form;
use crate::http::{csrf, multipart};
use crate::http::{Ctx, Resp};
use crate::views::{csrf_input, layout, Frame, Section};

/// What the page shows above its form.
enum Outcome {
    None,
    Preview(Summary),
    Failed(Vec<String>),
}

fn page(f: &Frame, outcome: &Outcome) -> maud::Markup {
    let body = html! {
        h1 { (f.t("events_import.title")) }
        p { (f.t("events_import.intro")) }
        ul.columns {
            li { code { "kind / laji" } " — " (f.t("events_import.col_kind")) }
            li { code { "date / päivämäärä" } " — " (f.t("events_import.col_date")) }
            li { code { "customer / asiakas" } " — " (f.t("events_import.col_customer")) }
            li { code { "amount / summa" } " — " (f.t("events_import.col_amount")) }
            li { code { "currency / valuutta" } " — " (f.t("events_import.col_currency")) }
            li { code { "reference / viite" } " — " (f.t("events_import.col_reference")) }
            li { code { "text / selite" } " — " (f.t("events_import.col_text")) }
        }
        @match outcome {
            Outcome::None => {}
            Outcome::Preview(s) => {
                p.notice role="status" {
                    (f.lang.tf("events_import.preview", &[
                        ("invoices", &s.invoices.to_string()),
                        ("payments", &s.payments.to_string()),
                    ]))
                }
            }
            Outcome::Failed(errors) => {
                div.form-error role="alert" {
                    p { (f.t("exchange.nothing_saved")) }
                    ul { @for e in errors { li { (e) } } }
                }
            }
        }
        form method="post" action="/log/import" enctype="multipart/form-data" {
            (csrf_input(f))
            div.field {
                label for="f-file" { (f.t("exchange.file")) }
                input #f-file type="file" name="file" required accept=".csv,.txt,text/csv";
            }
            button type="submit" name="step" value="preview" { (f.t("events_import.preview_button")) }
            " "
            button.primary type="submit" name="step" value="import" { (f.t("events_import.import_button")) }
            " "
            a href="/log" { (f.t("form.cancel")) }
        }
    };
    layout(f, f.t("events_import.title"), body)
}

/// `GET /log/import`.
pub(crate) fn form(ctx: &mut Ctx) -> Result<Resp> {
    let frame = ctx.frame(Section::Log);
    Ok(Resp::html(page(&frame, &Outcome::None)))
}

/// `POST /log/import` (multipart: `file`, `step` = `preview` or `import`).
pub(crate) fn submit(ctx: &mut Ctx, _form: Form) -> Result<Resp> {
    let by = ctx.user()?.id.0;
    let failed = |ctx: &mut Ctx, errors: Vec<String>, status: u16| {
        let frame = ctx.frame(Section::Log);
        Ok(Resp::html(page(&frame, &Outcome::Failed(errors))).with_status(status))
    };
    if ctx.body_stream.is_none() {
        let message = ctx.lang.t("exchange.bad_upload").to_string();
        return failed(ctx, vec![message], 400);
    }
    let limits = multipart::Limits {
        file_size: ctx.app.config.max_body,
        files: 1,
    };
    let mut upload = match ctx.multipart(limits) {
        Ok(upload) => upload,
        Err(Error::BadRequest(_)) => {
            let message = ctx.lang.t("exchange.bad_upload").to_string();
            return failed(ctx, vec![message], 400);
        }
        Err(e) => return Err(e),
    };
    csrf::check_csrf(ctx, &Form::from_pairs([("csrf", upload.form.get("csrf"))]))?;
    let Some(mut file) = upload.files.pop() else {
        let message = ctx.lang.t("events_import.no_file").to_string();
        return failed(ctx, vec![message], 422);
    };
    let mut bytes = Vec::with_capacity(file.size as usize);
    file.file.read_to_end(&mut bytes)?;
    let dry_run = upload.form.get("step") != "import";
    let (tz, lang) = (ctx.settings.time_zone, ctx.lang);
    match events_import::import(ctx.conn, bytes, Some(by), tz, lang, dry_run) {
        Ok(summary) if dry_run => {
            let frame = ctx.frame(Section::Log);
            Ok(Resp::html(page(&frame, &Outcome::Preview(summary))))
        }
        Ok(_) => {
            ctx.flash("events_import.done");
            Ok(Resp::redirect("/log"))
        }
        Err(ImportError::File(message)) => failed(ctx, vec![message], 422),
        Err(ImportError::Rows(mut errors, bad)) => {
            if bad > errors.len() {
                let more = (bad - errors.len()).to_string();
                errors.push(
                    ctx.lang
                        .tf("events_import.more_errors", &[("count", &more)]),
                );
            }
            failed(ctx, errors, 422)
        }
        Err(ImportError::Db(e)) => Err(e),
    }
}

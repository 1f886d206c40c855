//! The settings pages: company and security settings, and backups.

use maud::{html, Markup};

use crate::db::{self, backup};
use crate::error::{has_control, Error, FieldError, Result};
use crate::http::form::Form;
use crate::http::{Body, Ctx, Resp};
use crate::i18n::Lang;
use crate::jobs::JobStatus;
use crate::log::{self, EventKind, NewEvent};
use crate::settings::{self as store, Settings};
use crate::views::{self, csrf_input, form_error, layout, select, Field, Frame, Section};

/// The numeric settings on the form: key and label key, in display order.
const NUMBER_FIELDS: &[(&str, &str)] = &[
    ("session_idle_hours", "settings.session_idle_hours"),
    ("remember_days", "settings.remember_days"),
    ("lockout_attempts", "settings.lockout_attempts"),
    ("lockout_minutes", "settings.lockout_minutes"),
    ("backup_interval_hours", "settings.backup_interval_hours"),
    ("backup_keep", "settings.backup_keep"),
    ("remind_days_before", "settings.remind_days_before"),
    ("document_max_mb", "settings.document_max_mb"),
];

/// The form label of a setting, also used to name it in the log.
fn label_of(key: &str) -> &'static str {
    match key {
        "company_name" => "setup.company_name",
        "default_language" => "settings.default_language",
        "customer_number_prefix" => "settings.customer_number_prefix",
        "time_zone" => "settings.time_zone",
        "workday_start" => "settings.workday_start",
        "ytj_url" => "settings.ytj_url",
        _ => NUMBER_FIELDS
            .iter()
            .find(|(k, _)| *k == key)
            .map(|(_, label)| *label)
            .unwrap_or("settings.title"),
    }
}

pub(crate) fn index(ctx: &mut Ctx) -> Result<Resp> {
    let settings = ctx.settings.clone();
    let frame = ctx.frame(Section::Settings);
    let values = settings_form_values(&settings);
    let jobs = ctx.app.jobs.snapshot();
    let ytj_flag = ctx.app.config.ytj_url.is_some();
    Ok(Resp::html(index_view(
        &frame, &values, None, &jobs, ytj_flag,
    )))
}

fn settings_form_values(s: &Settings) -> Form {
    let mut pairs = vec![
        ("company_name".to_string(), s.company_name.clone()),
        (
            "default_language".to_string(),
            s.default_language.code().to_string(),
        ),
        (
            "customer_number_prefix".to_string(),
            s.customer_number_prefix.clone(),
        ),
        ("time_zone".to_string(), s.time_zone.name().to_string()),
        (
            "workday_start".to_string(),
            s.workday_start.format("%H:%M").to_string(),
        ),
        ("ytj_url".to_string(), s.ytj_url.clone()),
    ];
    for (key, _) in NUMBER_FIELDS {
        pairs.push((
            key.to_string(),
            s.number(key).unwrap_or_default().to_string(),
        ));
    }
    Form::parse(
        serde_urlencoded::to_string(&pairs)
            .unwrap_or_default()
            .as_bytes(),
    )
    .unwrap_or_default()
}

pub(crate) fn save(ctx: &mut Ctx, form: Form) -> Result<Resp> {
    let by = ctx.user()?.id;
    let before = ctx.settings.clone();
    let mut after = before.clone();
    let mut errors = Vec::new();
    let company = form.get("company_name").trim();
    if company.is_empty() {
        errors.push(FieldError {
            field: "company_name",
            key: "setup.company_required",
        });
    } else if has_control(company) {
        errors.push(FieldError {
            field: "company_name",
            key: "form.control_chars",
        });
    } else if company.chars().count() > 200 {
        errors.push(FieldError {
            field: "company_name",
            key: "setup.company_too_long",
        });
    }
    after.company_name = company.to_string();
    let prefix = form.get("customer_number_prefix").trim();
    if has_control(prefix) {
        errors.push(FieldError {
            field: "customer_number_prefix",
            key: "form.control_chars",
        });
    } else if prefix.chars().count() > 10 || prefix.contains(char::is_whitespace) {
        errors.push(FieldError {
            field: "customer_number_prefix",
            key: "settings.prefix_invalid",
        });
    }
    after.customer_number_prefix = prefix.to_string();
    match Lang::parse(form.get("default_language")) {
        Some(lang) => after.default_language = lang,
        None => errors.push(FieldError {
            field: "default_language",
            key: "setup.language_required",
        }),
    }
    // A form from before the setting existed keeps the zone as it is.
    if form.has("time_zone") {
        if let Err(e) = after.set_time_zone(form.get("time_zone")) {
            errors.extend(e.fields().iter().cloned());
        }
    }
    if form.has("workday_start") {
        if let Err(e) = after.set_workday_start(form.get("workday_start")) {
            errors.extend(e.fields().iter().cloned());
        }
    }
    if form.has("ytj_url") {
        if let Err(e) = after.set_ytj_url(form.get("ytj_url")) {
            errors.extend(e.fields().iter().cloned());
        }
    }
    for (key, _) in NUMBER_FIELDS {
        // A form from before a setting existed keeps it as it is.
        if !form.has(key) {
            continue;
        }
        if let Err(e) = after.set_number(key, form.get(key)) {
            errors.extend(e.fields().iter().cloned());
        }
    }
    if !errors.is_empty() {
        let err = Error::Validation {
            key: "form.fix_errors",
            fields: errors,
        };
        let frame = ctx.frame(Section::Settings);
        let jobs = ctx.app.jobs.snapshot();
        let ytj_flag = ctx.app.config.ytj_url.is_some();
        return Ok(
            Resp::html(index_view(&frame, &form, Some(&err), &jobs, ytj_flag)).with_status(422),
        );
    }
    let changed = after.changed_keys(&before);
    if !changed.is_empty() {
        db::write(ctx.conn, |tx| {
            // Written in the language the company used when the change was made.
            let lang = log::summary_lang(tx)?;
            store::save(tx, &after)?;
            let labels: Vec<&str> = changed.iter().map(|key| lang.t(label_of(key))).collect();
            let summary = lang.tf(
                "summary.settings_changed",
                &[("changes", &labels.join(", "))],
            );
            log::append(
                tx,
                &NewEvent::new(EventKind::SettingsUpdated, summary).by(by.0),
            )
        })?;
    }
    ctx.flash("flash.saved");
    Ok(Resp::redirect("/settings"))
}

/// The settings page; `ytj_flag` says the register's URL is set by `--ytj-url` over the setting.
fn index_view(
    f: &Frame,
    values: &Form,
    error: Option<&Error>,
    jobs: &[JobStatus],
    ytj_flag: bool,
) -> Markup {
    let errors = error.map(Error::fields).unwrap_or_default();
    let body = html! {
        h1 { (f.t("settings.title")) }
        nav.subnav aria-label=(f.t("settings.title")) {
            ul {
                li { a href="/account" { (f.t("nav.account")) } }
                @if f.is_admin() {
                    li { a href="/settings/users" { (f.t("users.title")) } }
                    li { a href="/settings/logins" { (f.t("logins.title")) } }
                    li { a href="/settings/backups" { (f.t("backups.title")) } }
                    li { a href="/settings/import" { (f.t("exchange.title")) } }
                    li { a href="/api/v1/docs" { (f.t("settings.api_docs")) } }
                }
            }
        }
        @if f.is_admin() {
            (form_error(f, error))
            form method="post" action="/settings" novalidate {
                (csrf_input(f))
                fieldset {
                    legend { (f.t("setup.company")) }
                    (Field::text("company_name", "setup.company_name", values.get("company_name")).required().render(f, errors))
                    (select(f, "default_language", "settings.default_language", &views::language_options(), values.get("default_language"), errors))
                    (Field::text("time_zone", "settings.time_zone", values.get("time_zone")).required().hint("settings.time_zone_hint").render(f, errors))
                    (Field::text("customer_number_prefix", "settings.customer_number_prefix", values.get("customer_number_prefix")).hint("settings.customer_number_prefix_hint").render(f, errors))
                }
                fieldset {
                    legend { (f.t("settings.security")) }
                    @for (key, label) in &NUMBER_FIELDS[..4] {
                        (Field::text(key, label, values.get(key)).kind("number").required().render(f, errors))
                    }
                }
                fieldset {
                    legend { (f.t("backups.title")) }
                    @for (key, label) in &NUMBER_FIELDS[4..6] {
                        (Field::text(key, label, values.get(key)).kind("number").required().render(f, errors))
                    }
                    p.hint { (f.t("settings.backup_interval_hint")) }
                }
                fieldset {
                    legend { (f.t("nav.tasks")) }
                    (Field::text("remind_days_before", "settings.remind_days_before", values.get("remind_days_before")).kind("number").required().hint("settings.remind_days_before_hint").render(f, errors))
                    (Field::text("workday_start", "settings.workday_start", values.get("workday_start")).kind("time").required().render(f, errors))
                    p { a href="/settings/task-groups" { (f.t("tasks.groups_title")) } }
                }
                fieldset {
                    legend { (f.t("nav.documents")) }
                    (Field::text("document_max_mb", "settings.document_max_mb", values.get("document_max_mb")).kind("number").required().hint("settings.document_max_mb_hint").render(f, errors))
                }
                fieldset {
                    legend { (f.t("ytj.title")) }
                    (Field::text("ytj_url", "settings.ytj_url", values.get("ytj_url")).kind("url").hint("settings.ytj_url_hint").render(f, errors))
                    @if ytj_flag { p.hint { (f.t("settings.ytj_url_flag")) } }
                }
                button.primary type="submit" { (f.t("form.save")) }
            }
            (jobs_view(f, jobs))
        } @else {
            p { (f.t("settings.admin_only")) }
        }
    };
    layout(f, f.t("settings.title"), body)
}

/// The background jobs: each one's last run, how it went, and its next run.
fn jobs_view(f: &Frame, jobs: &[JobStatus]) -> Markup {
    html! {
        section #jobs {
            h2 { (f.t("jobs.title")) }
            p.hint { (f.t("jobs.intro")) }
            div.table-wrap {
                table {
                    thead { tr { th { (f.t("jobs.job")) } th { (f.t("jobs.last_run")) } th { (f.t("jobs.result")) } th { (f.t("jobs.next_run")) } } }
                    tbody {
                        @for job in jobs {
                            tr data-job=(job.name) {
                                td { (f.t(job.name)) }
                                td.last-run {
                                    @if let Some(start) = job.last_start {
                                        time datetime=(start.to_rfc3339_opts(chrono::SecondsFormat::Secs, true)) { (f.datetime(start)) }
                                        @if let Some(took) = job.last_duration { " (" (duration_text(took)) ")" }
                                    } @else {
                                        (f.t("jobs.not_run"))
                                    }
                                }
                                td.result {
                                    @if job.running {
                                        (f.t("jobs.running"))
                                    } @else if let Some(error) = &job.last_error {
                                        span.error { (error) }
                                    } @else if job.runs > 0 {
                                        (f.t("jobs.ok"))
                                    }
                                }
                                td.next-run {
                                    @match job.next_run {
                                        Some(next) => (f.datetime(next)),
                                        None => (f.t("jobs.soon")),
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

/// A job's run time: milliseconds, or seconds with one decimal from a second up.
fn duration_text(took: std::time::Duration) -> String {
    match took.as_millis() {
        ms if ms < 1000 => format!("{ms} ms"),
        _ => format!("{:.1} s", took.as_secs_f64()),
    }
}

pub(crate) fn backups(ctx: &mut Ctx) -> Result<Resp> {
    let files = backup::list(&ctx.app.config.db_path)?;
    let dir = backup::dir_for(&ctx.app.config.db_path);
    let frame = ctx.frame(Section::Settings);
    let f = &frame;
    let body = html! {
        h1 { (f.t("backups.title")) }
        p { (f.t("backups.intro")) }
        p { a.button.primary href="/settings/backups/download" download { (f.t("backups.download_fresh")) } }
        h2 { (f.t("backups.saved")) }
        p.hint { (f.t("backups.folder")) " " code { (dir.display().to_string()) } }
        @if files.is_empty() {
            (views::empty(f.t("backups.none")))
        } @else {
            table {
                thead { tr { th { (f.t("backups.file")) } th { (f.t("backups.time")) } th.num { (f.t("backups.size")) } } }
                tbody {
                    @for file in &files {
                        tr {
                            td { a href=(format!("/settings/backups/file/{}", file.name)) download { (file.name) } }
                            td { (f.datetime(file.modified.into())) }
                            td.num { (human_size(file.size)) }
                        }
                    }
                }
            }
        }
    };
    Ok(Resp::html(layout(f, f.t("backups.title"), body)))
}

fn human_size(bytes: u64) -> String {
    match bytes {
        b if b >= 1 << 30 => format!("{:.1} GiB", b as f64 / (1u64 << 30) as f64),
        b if b >= 1 << 20 => format!("{:.1} MiB", b as f64 / (1u64 << 20) as f64),
        b => format!("{:.0} KiB", (b as f64 / 1024.0).ceil()),
    }
}

/// A file download; the name is reduced to safe characters for the header.
fn download(file: std::fs::File, size: u64, name: &str) -> Resp {
    let name = crate::http::response::safe_file_name(name);
    Resp {
        status: 200,
        headers: vec![
            ("Content-Type".into(), "application/vnd.sqlite3".into()),
            (
                "Content-Disposition".into(),
                format!("attachment; filename=\"{name}\""),
            ),
        ],
        body: Body::File(file, size),
    }
}

/// A fresh consistent copy, written, opened, unlinked (the open handle keeps the bytes) and
/// streamed: nothing is left behind and memory stays small whatever the size.
pub(crate) fn download_fresh(ctx: &mut Ctx) -> Result<Resp> {
    let path = backup::fresh_download(ctx.conn, &ctx.app.config.db_path)?;
    let file = std::fs::File::open(&path);
    let _ = std::fs::remove_file(&path);
    let file = file?;
    let size = file.metadata()?.len();
    let name = format!(
        "minicrm-{}.db",
        chrono::Utc::now()
            .with_timezone(&ctx.settings.time_zone)
            .format("%Y%m%d-%H%M%S")
    );
    Ok(download(file, size, &name))
}

pub(crate) fn download_file(ctx: &mut Ctx, name: &str) -> Result<Resp> {
    // Only names that `list` shows; never a path.
    let found = backup::find(&ctx.app.config.db_path, name)?.ok_or(Error::NotFound)?;
    let file = std::fs::File::open(&found.path)?;
    Ok(download(file, found.size, &found.name))
}

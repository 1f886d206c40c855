//! The settings pages: company and security settings, and backups.

use maud::{html, Markup};

use crate::db::{self, backup};
use crate::error::{has_control, Error, FieldError, Result};
use crate::http::form::Form;
use crate::http::{Body, Ctx, Resp};
use crate::i18n::Lang;
use crate::jobs::JobStatus;
use crate::log::{self, Change, EventKind, NewEvent, Sentence};
use crate::settings::{self as store, ImapSecurity, Settings, SmtpForm, SmtpSecurity};
use crate::tasks::email::{self as reminder_email, Status as EmailStatus};
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
        "inbox_folder" => "settings.inbox_folder",
        "imap_host" => "settings.imap_host",
        "imap_port" => "settings.imap_port",
        "imap_security" => "settings.imap_security",
        "imap_user" => "settings.imap_user",
        "imap_password" => "settings.imap_password",
        "imap_folder" => "settings.imap_folder",
        "smtp_host" => "settings.smtp_host",
        "smtp_port" => "settings.smtp_port",
        "smtp_security" => "settings.smtp_security",
        "smtp_user" => "settings.smtp_user",
        "smtp_password" => "settings.smtp_password",
        "smtp_from" => "settings.smtp_from",
        "public_url" => "settings.public_url",
        _ => NUMBER_FIELDS
            .iter()
            .find(|(k, _)| *k == key)
            .map(|(_, label)| *label)
            .unwrap_or("settings.title"),
    }
}

/// What the settings page shows below its form: the jobs, the e-mail's health, and how a test
/// e-mail just went.
struct Extra {
    jobs: Vec<JobStatus>,
    ytj_flag: bool,
    email: EmailStatus,
    smtp_on: bool,
    /// The admin's own address, where the test e-mail goes.
    my_email: String,
    /// Why the test e-mail just failed.
    test_failure: Option<String>,
    /// How the IMAP connection test just went.
    imap_notice: Option<ImapNotice>,
}

fn extra(ctx: &Ctx) -> Result<Extra> {
    Ok(Extra {
        jobs: ctx.app.jobs.snapshot(),
        ytj_flag: ctx.app.config.ytj_url.is_some(),
        email: reminder_email::status(ctx.conn, chrono::Utc::now())?,
        smtp_on: ctx.settings.smtp.configured(),
        my_email: ctx.user()?.email.clone(),
        test_failure: None,
        imap_notice: None,
    })
}

pub(crate) fn index(ctx: &mut Ctx) -> Result<Resp> {
    let settings = ctx.settings.clone();
    let extra = extra(ctx)?;
    let frame = ctx.frame(Section::Settings);
    let values = settings_form_values(&settings);
    Ok(Resp::html(index_view(&frame, &values, None, &extra)))
}

/// `POST /settings/test-email`: sends a test e-mail to the admin's own address with the saved
/// SMTP settings and says at once how it went. When it goes through, e-mails waiting after a
/// failure are tried again at the job's next turn instead of after their back-off.
pub(crate) fn test_email(ctx: &mut Ctx) -> Result<Resp> {
    let user = ctx.user()?.clone();
    let lang = ctx.lang;
    // Nothing to try with: 422, as for a form that cannot be saved; the server failed: 502.
    let outcome = if !ctx.settings.smtp.configured() {
        Err((422, lang.t("email.test_not_configured").to_string()))
    } else if user.email.trim().is_empty() {
        Err((422, lang.t("email.test_no_address").to_string()))
    } else {
        let mail = crate::mail::Mail {
            to: user.email.clone(),
            subject: lang.t("email.test_subject").to_string(),
            body: lang.tf(
                "email.test_body",
                &[
                    ("name", &user.name),
                    ("company", &ctx.settings.company_name),
                ],
            ),
        };
        crate::mail::send(&ctx.settings.smtp, &ctx.settings.company_name, &mail)
            .map_err(|e| (502, e.to_string()))
    };
    match outcome {
        Ok(()) => {
            reminder_email::retry_now(ctx.conn, chrono::Utc::now())?;
            ctx.flash("flash.test_email_sent");
            Ok(Resp::redirect("/settings#email"))
        }
        Err((status, why)) => {
            let settings = ctx.settings.clone();
            let mut extra = extra(ctx)?;
            extra.test_failure = Some(why);
            let frame = ctx.frame(Section::Settings);
            let values = settings_form_values(&settings);
            Ok(Resp::html(index_view(&frame, &values, None, &extra)).with_status(status))
        }
    }
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
        ("smtp_host".to_string(), s.smtp.host.clone()),
        (
            "smtp_port".to_string(),
            s.smtp.port.map(|p| p.to_string()).unwrap_or_default(),
        ),
        (
            "smtp_security".to_string(),
            s.smtp.security.as_str().to_string(),
        ),
        ("smtp_user".to_string(), s.smtp.user.clone()),
        ("smtp_from".to_string(), s.smtp.from.clone()),
        ("public_url".to_string(), s.public_url.clone()),
        ("inbox_folder".to_string(), s.inbox_folder.clone()),
        ("imap_host".to_string(), s.imap_host.clone()),
        (
            "imap_port".to_string(),
            match s.imap_port {
                0 => String::new(),
                port => port.to_string(),
            },
        ),
        (
            "imap_security".to_string(),
            s.imap_security.as_str().to_string(),
        ),
        ("imap_user".to_string(), s.imap_user.clone()),
        ("imap_folder".to_string(), s.imap_folder.clone()),
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
    // A form from before e-mail existed keeps the SMTP settings as they are.
    if form.has("smtp_host") {
        errors.extend(after.set_smtp(&SmtpForm {
            host: form.get("smtp_host"),
            port: form.get("smtp_port"),
            security: form.get("smtp_security"),
            user: form.get("smtp_user"),
            password: form.get("smtp_password"),
            from: form.get("smtp_from"),
            public_url: form.get("public_url"),
        }));
    }
    if form.has("inbox_folder") {
        if let Err(e) = after.set_inbox_folder(form.get("inbox_folder")) {
            errors.extend(e.fields().iter().cloned());
        }
    }
    if form.has("imap_host") {
        if let Err(e) = after.set_imap(&imap_form(&form)) {
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
        let extra = extra(ctx)?;
        let frame = ctx.frame(Section::Settings);
        return Ok(Resp::html(index_view(&frame, &form, Some(&err), &extra)).with_status(422));
    }
    let changed = after.changed_keys(&before);
    if !changed.is_empty() {
        db::write(ctx.conn, |tx| {
            store::save(tx, &after)?;
            let labels = changed
                .iter()
                .map(|key| Change::said(label_of(key)))
                .collect();
            let summary = Sentence::new("summary.settings_changed").changes("changes", labels);
            log::append(
                tx,
                &NewEvent::said(EventKind::SettingsUpdated, summary).by(by.0),
            )
        })?;
    }
    ctx.flash("flash.saved");
    Ok(Resp::redirect("/settings"))
}

/// The IMAP fields of the settings form.
fn imap_form(form: &Form) -> store::ImapForm<'_> {
    store::ImapForm {
        host: form.get("imap_host"),
        port: form.get("imap_port"),
        security: form.get("imap_security"),
        user: form.get("imap_user"),
        password: form.get("imap_password"),
        folder: form.get("imap_folder"),
    }
}

/// The encryption choices of the IMAP form.
fn imap_security_options(f: &Frame) -> Vec<(&'static str, &'static str)> {
    ImapSecurity::ALL
        .iter()
        .map(|s| {
            let label = match s {
                ImapSecurity::Tls => "settings.imap_security_tls",
                ImapSecurity::StartTls => "settings.imap_security_starttls",
                ImapSecurity::Plain => "settings.imap_security_none",
            };
            (s.as_str(), f.t(label))
        })
        .collect()
}

/// "Test the connection" on the settings page: logs in to the IMAP mailbox the form names (the
/// saved password when none is typed) and shows how it went, saving nothing. The form comes
/// back as it was typed.
pub(crate) fn imap_test(ctx: &mut Ctx, form: Form) -> Result<Resp> {
    let mut typed = ctx.settings.clone();
    let mut extra = extra(ctx)?;
    let frame = ctx.frame(Section::Settings);
    if let Err(err) = typed.set_imap(&imap_form(&form)) {
        return Ok(Resp::html(index_view(&frame, &form, Some(&err), &extra)).with_status(422));
    }
    let notice = match crate::inbox::imap::Account::from_settings(&typed) {
        None => ImapNotice::Failed(frame.t("settings.imap_test_no_host").to_string()),
        Some(account) => match crate::inbox::imap::check(&account) {
            Ok(count) => ImapNotice::Works(frame.lang.tf(
                "settings.imap_test_ok",
                &[("count", &count.to_string()), ("folder", &account.folder)],
            )),
            Err(e) => {
                ::log::warn!("the IMAP connection test failed: {e}");
                ImapNotice::Failed(
                    frame
                        .lang
                        .tf("settings.imap_test_failed", &[("error", &e.to_string())]),
                )
            }
        },
    };
    extra.imap_notice = Some(notice);
    Ok(Resp::html(index_view(&frame, &form, None, &extra)))
}

/// How the IMAP connection test went, as shown at the mailbox's fields.
enum ImapNotice {
    Works(String),
    Failed(String),
}

/// The settings page.
fn index_view(f: &Frame, values: &Form, error: Option<&Error>, extra: &Extra) -> Markup {
    let security: Vec<(&str, &str)> = SmtpSecurity::ALL
        .iter()
        .map(|s| (s.as_str(), f.t(security_label(*s))))
        .collect();
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
                    @if extra.ytj_flag { p.hint { (f.t("settings.ytj_url_flag")) } }
                }
                fieldset #smtp {
                    legend { (f.t("settings.smtp")) }
                    p.hint { (f.t("settings.smtp_hint")) }
                    (Field::text("smtp_host", "settings.smtp_host", values.get("smtp_host")).hint("settings.smtp_host_hint").render(f, errors))
                    (select(f, "smtp_security", "settings.smtp_security", &security, values.get("smtp_security"), errors))
                    (Field::text("smtp_port", "settings.smtp_port", values.get("smtp_port")).kind("number").hint("settings.smtp_port_hint").render(f, errors))
                    (Field::text("smtp_user", "settings.smtp_user", values.get("smtp_user")).autocomplete("off").render(f, errors))
                    (Field::text("smtp_password", "settings.smtp_password", "").kind("password").autocomplete("new-password").hint("settings.smtp_password_hint").render(f, errors))
                    (Field::text("smtp_from", "settings.smtp_from", values.get("smtp_from")).kind("email").hint("settings.smtp_from_hint").render(f, errors))
                    (Field::text("public_url", "settings.public_url", values.get("public_url")).kind("url").hint("settings.public_url_hint").render(f, errors))
                }
                fieldset #inbox {
                    legend { (f.t("settings.inbox")) }
                    (Field::text("inbox_folder", "settings.inbox_folder", values.get("inbox_folder")).hint("settings.inbox_folder_hint").render(f, errors))
                }
                fieldset #imap {
                    legend { (f.t("settings.imap")) }
                    p.hint { (f.t("settings.imap_hint")) }
                    (Field::text("imap_host", "settings.imap_host", values.get("imap_host")).render(f, errors))
                    (select(f, "imap_security", "settings.imap_security", &imap_security_options(f), values.get("imap_security"), errors))
                    (Field::text("imap_port", "settings.imap_port", values.get("imap_port")).kind("number").hint("settings.imap_port_hint").render(f, errors))
                    (Field::text("imap_user", "settings.imap_user", values.get("imap_user")).autocomplete("off").render(f, errors))
                    (Field::text("imap_password", "settings.imap_password", "").kind("password").autocomplete("new-password").hint("settings.imap_password_hint").render(f, errors))
                    (Field::text("imap_folder", "settings.imap_folder", values.get("imap_folder")).render(f, errors))
                    @match &extra.imap_notice {
                        Some(ImapNotice::Works(text)) => p.flash #imap-test role="status" { (text) },
                        Some(ImapNotice::Failed(text)) => p.error #imap-test role="alert" { (text) },
                        None => {}
                    }
                    button type="submit" formaction="/settings/imap-test" formnovalidate { (f.t("settings.imap_test")) }
                }
                button.primary type="submit" { (f.t("form.save")) }
            }
            (email_view(f, extra))
            (jobs_view(f, &extra.jobs))
        } @else {
            p { (f.t("settings.admin_only")) }
        }
    };
    layout(f, f.t("settings.title"), body)
}

fn security_label(s: SmtpSecurity) -> &'static str {
    match s {
        SmtpSecurity::StartTls => "settings.smtp_starttls",
        SmtpSecurity::Tls => "settings.smtp_tls",
        SmtpSecurity::None => "settings.smtp_none",
    }
}

/// The reminder e-mail's health: whether it is on, what went out in the last day, what waits,
/// the current failure, and the test button.
fn email_view(f: &Frame, extra: &Extra) -> Markup {
    let status = &extra.email;
    let count = |n: i64| f.lang.number(n);
    html! {
        section #email {
            h2 { (f.t("email.title")) }
            @if let Some(why) = &extra.test_failure {
                div.form-error.test-email-failed role="alert" {
                    p { (f.t("email.test_failed")) }
                    p { code { (why) } }
                }
            }
            @if !extra.smtp_on {
                p { (f.t("email.off")) }
            }
            @if let Some(failure) = &status.failing {
                div.warning.email-failing role="alert" {
                    p { strong { (f.t("email.failing")) } }
                    p { code { (failure.error) } }
                    p.hint {
                        (f.lang.tf("email.failing_times", &[
                            ("tried", &f.datetime_text(&failure.tried_at)),
                            ("next", &f.datetime_text(&failure.next_try)),
                        ]))
                    }
                }
            }
            dl.email-health {
                dt { (f.t("email.waiting")) } dd.waiting { (count(status.waiting)) }
                dt { (f.t("email.sent_day")) } dd.sent { (count(status.sent_day)) }
                dt { (f.t("email.skipped_day")) } dd.skipped { (count(status.skipped_day)) }
                dt { (f.t("email.failed_day")) } dd.failed { (count(status.failed_day)) }
                dt { (f.t("email.last_sent")) }
                dd.last-sent {
                    @match &status.last_sent {
                        Some(at) => (f.datetime_text(at)),
                        None => (f.t("email.never")),
                    }
                }
            }
            @if extra.smtp_on {
                form method="post" action="/settings/test-email" {
                    (csrf_input(f))
                    button type="submit" {
                        @if extra.my_email.is_empty() {
                            (f.t("email.test_button"))
                        } @else {
                            (f.lang.tf("email.test_button_to", &[("address", &extra.my_email)]))
                        }
                    }
                }
            }
        }
    }
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
                                        @if !job.counts.is_empty() {
                                            br;
                                            span.counts {
                                                (f.t("jobs.since_start")) " "
                                                @for (i, (key, n)) in job.counts.iter().enumerate() {
                                                    @if i > 0 { ", " }
                                                    (f.t(key)) " " (n)
                                                }
                                            }
                                        }
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

//! Pages: the first-run wizard, login and logout, the user's own account, and the admin pages
//! for users and the login history.

use maud::{html, Markup};

use super::session::{self as auth, LoginError};
use super::store::{self, NewUser, UserEdit};
use super::{Role, UserId};
use crate::db;
use crate::error::{has_control, Error, FieldError, Result};
use crate::http::form::{page_params, Form};
use crate::http::shown_once::Secret;
use crate::http::{Ctx, Resp};
use crate::i18n::Lang;
use crate::settings as settings_store;
use crate::views::{self, checkbox, csrf_input, form_error, layout, select, Field, Frame, Section};

/// Re-renders a form after `err`: validation and conflicts come back at the fields with a 422
/// or 409; anything else is a real error.
fn rejected(err: Error, render: impl FnOnce(&Error) -> Markup) -> Result<Resp> {
    match err {
        Error::Validation { .. } | Error::Conflict { .. } => {
            let status = err.status();
            Ok(Resp::html(render(&err)).with_status(status))
        }
        other => Err(other),
    }
}

fn role_options(lang: Lang) -> Vec<(&'static str, &'static str)> {
    Role::ALL
        .iter()
        .map(|r| (r.as_str(), r.label(lang)))
        .collect()
}

// ---- first-run set-up ----

pub(crate) fn setup_form(ctx: &mut Ctx) -> Result<Resp> {
    if store::any_admin(ctx.conn)? {
        return Ok(Resp::redirect("/"));
    }
    let frame = ctx.frame(Section::None);
    Ok(Resp::html(setup_view(&frame, &Form::default(), None)))
}

pub(crate) fn setup_submit(ctx: &mut Ctx, form: Form) -> Result<Resp> {
    let lang = Lang::parse(form.get("language"));
    let new = NewUser {
        username: form.get("username").into(),
        name: form.get("name").into(),
        email: form.get("email").into(),
        role: Some(Role::Admin),
        password: form.get("password").into(),
        password_again: form.get("password_again").into(),
    };
    let company = form.get("company_name").trim().to_string();
    let result = db::write(ctx.conn, |tx| {
        if store::any_admin(tx)? {
            return Ok(None);
        }
        let mut errors = Vec::new();
        if company.is_empty() {
            errors.push(FieldError {
                field: "company_name",
                key: "setup.company_required",
            });
        } else if has_control(&company) {
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
        if lang.is_none() {
            errors.push(FieldError {
                field: "language",
                key: "setup.language_required",
            });
        }
        // Settings first, so the admin's creation is logged in the chosen language.
        let mut settings = settings_store::load(tx)?;
        settings.company_name = company.clone();
        settings.default_language = lang.unwrap_or_default();
        settings_store::save(tx, &settings)?;
        let id = match store::create_user(tx, &new, None) {
            Ok(id) if errors.is_empty() => id,
            Ok(_) => {
                return Err(Error::Validation {
                    key: "form.fix_errors",
                    fields: errors,
                })
            }
            Err(Error::Validation { fields, .. }) | Err(Error::Conflict { fields, .. }) => {
                errors.extend(fields);
                return Err(Error::Validation {
                    key: "form.fix_errors",
                    fields: errors,
                });
            }
            Err(e) => return Err(e),
        };
        Ok(Some(id))
    });
    match result {
        Ok(Some(_)) => {
            ctx.settings = settings_store::load(ctx.conn)?;
            // The wizard's admin is logged in straight away.
            match auth::login(ctx, &new.username, &new.password, false)? {
                Ok(_) => {
                    ctx.flash("flash.setup_done");
                    Ok(Resp::redirect("/"))
                }
                Err(_) => Ok(Resp::redirect("/login")),
            }
        }
        // Someone finished the set-up first.
        Ok(None) => Ok(Resp::redirect("/login")),
        Err(err) => {
            if let Some(lang) = lang {
                ctx.lang = lang;
            }
            let frame = ctx.frame(Section::None);
            rejected(err, |e| setup_view(&frame, &form, Some(e)))
        }
    }
}

fn setup_view(f: &Frame, values: &Form, error: Option<&Error>) -> Markup {
    let errors = error.map(Error::fields).unwrap_or_default();
    let lang_value = match values.get("language") {
        "" => f.lang.code(),
        v => v,
    };
    let body = html! {
        div.narrow {
            h1 { (f.t("setup.title")) }
            p.lead { (f.t("setup.intro")) }
            (form_error(f, error))
            form method="post" action="/setup" novalidate {
                (csrf_input(f))
                fieldset {
                    legend { (f.t("setup.company")) }
                    (Field::text("company_name", "setup.company_name", values.get("company_name")).required().autocomplete("organization").render(f, errors))
                    (select(f, "language", "setup.language", &views::language_options(), lang_value, errors))
                }
                fieldset {
                    legend { (f.t("setup.admin")) }
                    (user_fields(f, values, errors))
                }
                button.primary type="submit" { (f.t("setup.submit")) }
            }
        }
    };
    layout(f, f.t("setup.title"), body)
}

/// Username, name, e-mail and the password twice: the wizard and the admin's "new user".
fn user_fields(f: &Frame, values: &Form, errors: &[FieldError]) -> Markup {
    html! {
        (Field::text("username", "users.username", values.get("username")).required().autocomplete("username").hint("users.username_hint").render(f, errors))
        (Field::text("name", "users.name", values.get("name")).required().autocomplete("name").render(f, errors))
        (Field::text("email", "users.email", values.get("email")).kind("email").autocomplete("email").render(f, errors))
        (Field::text("password", "users.password", "").kind("password").required().autocomplete("new-password").hint("users.password_hint").render(f, errors))
        (Field::text("password_again", "users.password_again", "").kind("password").required().autocomplete("new-password").render(f, errors))
    }
}

// ---- login and logout ----

/// A local path to return to after the login; anything else (another site) becomes `/`.
fn safe_next(next: &str) -> &str {
    // Control characters are refused too: browsers drop tabs and line breaks from URLs, so
    // `/\t/evil.example` would become `//evil.example`.
    if next.starts_with('/')
        && !next.starts_with("//")
        && !next.contains('\\')
        && !next.chars().any(char::is_control)
    {
        next
    } else {
        "/"
    }
}

pub(crate) fn login_form(ctx: &mut Ctx) -> Result<Resp> {
    if ctx.user.is_some() {
        return Ok(Resp::redirect("/"));
    }
    let next = ctx.query.get("next").to_string();
    let frame = ctx.frame(Section::None);
    Ok(Resp::html(login_view(&frame, "", &next, false, None)))
}

pub(crate) fn login_submit(ctx: &mut Ctx, form: Form) -> Result<Resp> {
    let username = form.get("username").trim().to_string();
    let next = form.get("next").to_string();
    let remember = form.checked("remember");
    let failure = if username.is_empty() || form.get("password").is_empty() {
        Some(LoginFailure::Empty)
    } else {
        match auth::login(ctx, &username, form.get("password"), remember)? {
            Ok(_) => None,
            Err(LoginError::Wrong) => Some(LoginFailure::Wrong),
            Err(LoginError::LockedOut { minutes }) => Some(LoginFailure::LockedOut(minutes)),
        }
    };
    let Some(failure) = failure else {
        return Ok(Resp::redirect(safe_next(&next)));
    };
    let frame = ctx.frame(Section::None);
    let (message, status) = match failure {
        LoginFailure::Empty => (frame.t("login.fill_both").to_string(), 422),
        LoginFailure::Wrong => (frame.t("login.wrong").to_string(), 422),
        // 429 Too Many Requests: the lockout, with how long it lasts.
        LoginFailure::LockedOut(minutes) => (
            frame
                .lang
                .tf("login.locked", &[("minutes", &minutes.to_string())]),
            429,
        ),
    };
    let page = login_view(&frame, &username, &next, remember, Some(&message));
    Ok(Resp::html(page).with_status(status))
}

enum LoginFailure {
    Empty,
    Wrong,
    LockedOut(u32),
}

fn login_view(
    f: &Frame,
    username: &str,
    next: &str,
    remember: bool,
    message: Option<&str>,
) -> Markup {
    let body = html! {
        div.narrow {
            h1 { (f.t("login.title")) }
            @if let Some(m) = message {
                p.form-error role="alert" { (m) }
            }
            form method="post" action="/login" {
                (csrf_input(f))
                input type="hidden" name="next" value=(next);
                (Field::text("username", "users.username", username).required().autocomplete("username").render(f, &[]))
                (Field::text("password", "users.password", "").kind("password").required().autocomplete("current-password").render(f, &[]))
                (checkbox(f, "remember", "login.remember", remember))
                button.primary type="submit" { (f.t("login.submit")) }
            }
        }
    };
    layout(f, f.t("login.title"), body)
}

pub(crate) fn logout(ctx: &mut Ctx) -> Result<Resp> {
    auth::logout(ctx)?;
    ctx.flash("flash.logged_out");
    Ok(Resp::redirect("/login"))
}

// ---- the user's own account ----

/// The account page; a token or calendar link just made (kept for this session by the post
/// that made it) shows here once.
pub(crate) fn account(ctx: &mut Ctx) -> Result<Resp> {
    let token = ctx.take_secret(Secret::ApiToken);
    let link = ctx.take_secret(Secret::CalendarLink);
    account_page_with(ctx, None, token.as_deref(), link.as_deref(), 200)
}

/// `POST /account/calendar` — a new calendar feed link (the old one stops working), shown once
/// on the account page it redirects to.
pub(crate) fn new_calendar_link(ctx: &mut Ctx) -> Result<Resp> {
    let id = ctx.user()?.id;
    let token = db::write(ctx.conn, |tx| store::set_calendar_token(tx, id))?;
    let host = ctx.header("host").unwrap_or("localhost").to_string();
    ctx.keep_secret(
        Secret::CalendarLink,
        format!("http://{host}/calendar/{token}.ics"),
    );
    ctx.flash("flash.calendar_created");
    Ok(Resp::redirect("/account#calendar"))
}

/// The account page, with a rejected form's error or a just-created token to show once.
fn account_page(
    ctx: &mut Ctx,
    error: Option<&Error>,
    new_token: Option<&str>,
    status: u16,
) -> Result<Resp> {
    account_page_with(ctx, error, new_token, None, status)
}

/// The account page, also with a just-made calendar link to show once.
fn account_page_with(
    ctx: &mut Ctx,
    error: Option<&Error>,
    new_token: Option<&str>,
    calendar_link: Option<&str>,
    status: u16,
) -> Result<Resp> {
    let user_id = ctx.user()?.id;
    let tokens = store::tokens_of(ctx.conn, user_id)?;
    let has_calendar = store::has_calendar_token(ctx.conn, user_id)?;
    let frame = ctx.frame(Section::Settings);
    let f = &frame;
    let user = ctx.user()?;
    let errors = error.map(Error::fields).unwrap_or_default();
    let current_lang = user.language.map(Lang::code).unwrap_or("");
    let mut lang_options = vec![("", f.t("account.language_auto"))];
    lang_options.extend(views::language_options());
    let body = html! {
        h1 { (f.t("account.title")) }
        p { (user.name) " (" (user.username) ") · " (user.role.label(f.lang)) }
        (form_error(f, error))
        section.card {
            h2 { (f.t("account.password")) }
            form method="post" action="/account/password" novalidate {
                (csrf_input(f))
                (Field::text("current_password", "account.current_password", "").kind("password").required().autocomplete("current-password").render(f, errors))
                (Field::text("password", "account.new_password", "").kind("password").required().autocomplete("new-password").hint("users.password_hint").render(f, errors))
                (Field::text("password_again", "users.password_again", "").kind("password").required().autocomplete("new-password").render(f, errors))
                button type="submit" { (f.t("account.change_password")) }
            }
        }
        section.card {
            h2 { (f.t("account.language")) }
            form method="post" action="/account/language" {
                (csrf_input(f))
                (select(f, "language", "account.language", &lang_options, current_lang, errors))
                button type="submit" { (f.t("form.save")) }
            }
        }
        section.card #calendar {
            h2 { (f.t("calendar.title")) }
            p.hint { (f.t("calendar.intro")) }
            @if let Some(link) = calendar_link {
                div.new-token role="status" {
                    p { (f.t("calendar.copy_now")) }
                    code #calendar-link { (link) }
                }
            } @else if has_calendar {
                p { (f.t("calendar.exists")) }
            }
            form method="post" action="/account/calendar" {
                (csrf_input(f))
                button type="submit" {
                    (f.t(if has_calendar { "calendar.regenerate" } else { "calendar.create" }))
                }
            }
        }
        section.card #tokens {
            h2 { (f.t("tokens.title")) }
            p.hint { (f.t("tokens.intro")) }
            @if let Some(token) = new_token {
                div.new-token role="status" {
                    p { (f.t("tokens.copy_now")) }
                    code #new-token { (token) }
                }
            }
            @if !tokens.is_empty() {
                table {
                    thead { tr { th { (f.t("tokens.name")) } th { (f.t("tokens.created")) } th { (f.t("tokens.last_used")) } th {} } }
                    tbody {
                        @for t in &tokens {
                            tr {
                                td { (t.name) }
                                td { (f.datetime_text(&t.created_at)) }
                                td { (t.last_used_at.as_deref().map(|d| f.datetime_text(d)).unwrap_or_default()) }
                                td {
                                    form method="post" action=(format!("/account/tokens/{}/delete", t.id)) {
                                        (csrf_input(f))
                                        button.link type="submit" { (f.t("tokens.delete")) }
                                    }
                                }
                            }
                        }
                    }
                }
            }
            form method="post" action="/account/tokens" {
                (csrf_input(f))
                (Field::text("name", "tokens.name", "").hint("tokens.name_hint").render(f, errors))
                button type="submit" { (f.t("tokens.create")) }
            }
        }
    };
    Ok(Resp::html(layout(f, f.t("account.title"), body)).with_status(status))
}

pub(crate) fn change_password(ctx: &mut Ctx, form: Form) -> Result<Resp> {
    let user = ctx.user()?.clone();
    let keep = ctx.session.as_ref().map(|s| s.token_hash.clone());
    let result = (|| {
        if store::check_login(ctx.conn, &user.username, form.get("current_password"))?.is_none() {
            return Err(Error::field(
                "current_password",
                "account.current_password_wrong",
            ));
        }
        let mut errors = Vec::new();
        store::check_new_password(
            form.get("password"),
            form.get("password_again"),
            &mut errors,
        );
        if !errors.is_empty() {
            return Err(Error::Validation {
                key: "form.fix_errors",
                fields: errors,
            });
        }
        db::write(ctx.conn, |tx| {
            store::set_password(tx, user.id, form.get("password"), keep.as_deref())
        })
    })();
    match result {
        Ok(()) => {
            ctx.flash("flash.password_changed");
            Ok(Resp::redirect("/account"))
        }
        Err(err @ (Error::Validation { .. } | Error::Conflict { .. })) => {
            let status = err.status();
            account_page(ctx, Some(&err), None, status)
        }
        Err(err) => Err(err),
    }
}

pub(crate) fn change_language(ctx: &mut Ctx, form: Form) -> Result<Resp> {
    let id = ctx.user()?.id;
    let lang = match form.get("language") {
        "" => None,
        code => {
            Some(Lang::parse(code).ok_or(Error::field("language", "account.language_invalid"))?)
        }
    };
    db::write(ctx.conn, |tx| store::set_language(tx, id, lang))?;
    ctx.flash("flash.language_changed");
    Ok(Resp::redirect("/account"))
}

pub(crate) fn create_token(ctx: &mut Ctx, form: Form) -> Result<Resp> {
    let id = ctx.user()?.id;
    match db::write(ctx.conn, |tx| store::create_token(tx, id, form.get("name"))) {
        // Post/redirect/get: a reload of the page shows the token, it does not make another.
        Ok(token) => {
            ctx.keep_secret(Secret::ApiToken, token);
            ctx.flash("flash.token_created");
            Ok(Resp::redirect("/account#tokens"))
        }
        Err(err @ Error::Validation { .. }) => account_page(ctx, Some(&err), None, 422),
        Err(err) => Err(err),
    }
}

pub(crate) fn delete_token(ctx: &mut Ctx, token_id: i64) -> Result<Resp> {
    let id = ctx.user()?.id;
    db::write(ctx.conn, |tx| store::delete_token(tx, id, token_id))?;
    ctx.flash("flash.token_deleted");
    Ok(Resp::redirect("/account"))
}

// ---- admin: users ----

pub(crate) fn user_list(ctx: &mut Ctx) -> Result<Resp> {
    let (limit, offset) = page_params(&ctx.query)?;
    // One row more than shown tells whether a next page exists.
    let mut users = store::users_page(ctx.conn, limit + 1, offset)?;
    let more = users.len() as i64 > limit;
    users.truncate(limit as usize);
    let frame = ctx.frame(Section::Settings);
    let f = &frame;
    let body = html! {
        div.title-row {
            h1 { (f.t("users.title")) }
            a.button.primary href="/settings/users/new" { (f.t("users.add")) }
        }
        table {
            thead { tr {
                th { (f.t("users.username")) } th { (f.t("users.name")) } th { (f.t("users.email")) }
                th { (f.t("users.role")) } th { (f.t("users.status")) }
            } }
            tbody {
                @for u in &users {
                    tr.inactive[!u.active] {
                        td { a href=(format!("/settings/users/{}", u.id.0)) { (u.username) } }
                        td { (u.name) }
                        td { (u.email) }
                        td { (u.role.label(f.lang)) }
                        td { (if u.active { f.t("users.active") } else { f.t("users.inactive") }) }
                    }
                }
            }
        }
        (views::pager(f, "/settings/users", offset, limit, more))
    };
    Ok(Resp::html(layout(f, f.t("users.title"), body)))
}

pub(crate) fn user_new(ctx: &mut Ctx) -> Result<Resp> {
    let frame = ctx.frame(Section::Settings);
    Ok(Resp::html(user_new_view(&frame, &Form::default(), None)))
}

pub(crate) fn user_create(ctx: &mut Ctx, form: Form) -> Result<Resp> {
    let by = ctx.user()?.id;
    let new = NewUser {
        username: form.get("username").into(),
        name: form.get("name").into(),
        email: form.get("email").into(),
        role: Role::parse(form.get("role").trim()),
        password: form.get("password").into(),
        password_again: form.get("password_again").into(),
    };
    match db::write(ctx.conn, |tx| store::create_user(tx, &new, Some(by))) {
        Ok(_) => {
            ctx.flash("flash.user_created");
            Ok(Resp::redirect("/settings/users"))
        }
        Err(err) => {
            let frame = ctx.frame(Section::Settings);
            rejected(err, |e| user_new_view(&frame, &form, Some(e)))
        }
    }
}

fn user_new_view(f: &Frame, values: &Form, error: Option<&Error>) -> Markup {
    let errors = error.map(Error::fields).unwrap_or_default();
    let role = match values.get("role") {
        "" => "user",
        r => r,
    };
    let body = html! {
        div.narrow {
            h1 { (f.t("users.add")) }
            (form_error(f, error))
            form method="post" action="/settings/users/new" novalidate {
                (csrf_input(f))
                (user_fields(f, values, errors))
                (select(f, "role", "users.role", &role_options(f.lang), role, errors))
                button.primary type="submit" { (f.t("users.add")) }
                " " a href="/settings/users" { (f.t("form.cancel")) }
            }
        }
    };
    layout(f, f.t("users.add"), body)
}

pub(crate) fn user_edit(ctx: &mut Ctx, id: i64) -> Result<Resp> {
    let user = store::user_by_id(ctx.conn, UserId(id))?.ok_or(Error::NotFound)?;
    let mut values = vec![
        ("name", user.name.clone()),
        ("email", user.email.clone()),
        ("role", user.role.as_str().to_string()),
    ];
    if user.active {
        values.push(("active", "1".into()));
    }
    let form = Form::parse(
        serde_urlencoded::to_string(&values)
            .unwrap_or_default()
            .as_bytes(),
    )?;
    let frame = ctx.frame(Section::Settings);
    Ok(Resp::html(user_edit_view(&frame, &user, &form, None)))
}

pub(crate) fn user_save(ctx: &mut Ctx, id: i64, form: Form) -> Result<Resp> {
    let by = ctx.user()?.id;
    let user = store::user_by_id(ctx.conn, UserId(id))?.ok_or(Error::NotFound)?;
    let edit = UserEdit {
        name: form.get("name").into(),
        email: form.get("email").into(),
        role: Role::parse(form.get("role").trim()).unwrap_or(user.role),
        active: form.checked("active"),
    };
    let new_password = form.get("password");
    let result = db::write(ctx.conn, |tx| {
        if Role::parse(form.get("role").trim()).is_none() {
            return Err(Error::field("role", "users.role_invalid"));
        }
        if !new_password.is_empty() {
            let mut errors = Vec::new();
            store::check_new_password(new_password, form.get("password_again"), &mut errors);
            if !errors.is_empty() {
                return Err(Error::Validation {
                    key: "form.fix_errors",
                    fields: errors,
                });
            }
        }
        store::update_user(tx, user.id, &edit, by)?;
        if !new_password.is_empty() {
            store::set_password(tx, user.id, new_password, None)?;
        }
        Ok(())
    });
    match result {
        Ok(()) => {
            ctx.flash("flash.user_saved");
            Ok(Resp::redirect("/settings/users"))
        }
        Err(err) => {
            let frame = ctx.frame(Section::Settings);
            rejected(err, |e| user_edit_view(&frame, &user, &form, Some(e)))
        }
    }
}

fn user_edit_view(f: &Frame, user: &super::User, values: &Form, error: Option<&Error>) -> Markup {
    let errors = error.map(Error::fields).unwrap_or_default();
    let body = html! {
        div.narrow {
            h1 { (f.t("users.edit")) ": " (user.username) }
            (form_error(f, error))
            form method="post" action=(format!("/settings/users/{}", user.id.0)) novalidate {
                (csrf_input(f))
                (Field::text("name", "users.name", values.get("name")).required().render(f, errors))
                (Field::text("email", "users.email", values.get("email")).kind("email").render(f, errors))
                (select(f, "role", "users.role", &role_options(f.lang), values.get("role"), errors))
                (checkbox(f, "active", "users.active_label", values.checked("active")))
                fieldset {
                    legend { (f.t("users.reset_password")) }
                    (Field::text("password", "account.new_password", "").kind("password").autocomplete("new-password").hint("users.reset_password_hint").render(f, errors))
                    (Field::text("password_again", "users.password_again", "").kind("password").autocomplete("new-password").render(f, errors))
                }
                button.primary type="submit" { (f.t("form.save")) }
                " " a href="/settings/users" { (f.t("form.cancel")) }
            }
        }
    };
    layout(f, f.t("users.edit"), body)
}

pub(crate) fn login_history(ctx: &mut Ctx) -> Result<Resp> {
    let (limit, offset) = page_params(&ctx.query)?;
    let mut attempts = store::login_history(ctx.conn, limit + 1, offset)?;
    let more = attempts.len() as i64 > limit;
    attempts.truncate(limit as usize);
    let frame = ctx.frame(Section::Settings);
    let f = &frame;
    let body = html! {
        h1 { (f.t("logins.title")) }
        @if attempts.is_empty() {
            (views::empty(f.t("logins.none")))
        } @else {
            table {
                thead { tr { th { (f.t("logins.time")) } th { (f.t("users.username")) } th { (f.t("logins.ip")) } th { (f.t("logins.result")) } } }
                tbody {
                    @for a in &attempts {
                        tr.failed[!a.success] {
                            td { (f.datetime_unix(a.at)) }
                            td { (a.username) }
                            td { (a.ip) }
                            td { (if a.success { f.t("logins.success") } else { f.t("logins.failure") }) }
                        }
                    }
                }
            }
        }
        (views::pager(f, "/settings/logins", offset, limit, more))
    };
    Ok(Resp::html(layout(f, f.t("logins.title"), body)))
}

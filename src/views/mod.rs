//! The layout and the small components every page is built from. Views take typed data and
//! never touch the database; maud escapes everything they print.

use chrono::{DateTime, Utc};
use chrono_tz::Tz;
use maud::{html, Markup, DOCTYPE};

use crate::assets;
use crate::auth::{Role, User};
use crate::error::{Error, FieldError};
use crate::i18n::Lang;

/// The sections in the header, in order.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Section {
    Front,
    Customers,
    Contacts,
    Documents,
    Tasks,
    Log,
    Settings,
    None,
}

impl Section {
    const NAV: [(Section, &'static str, &'static str); 7] = [
        (Section::Front, "/", "nav.front"),
        (Section::Customers, "/customers", "nav.customers"),
        (Section::Contacts, "/contacts", "nav.contacts"),
        (Section::Documents, "/documents", "nav.documents"),
        (Section::Tasks, "/tasks", "nav.tasks"),
        (Section::Log, "/log", "nav.log"),
        (Section::Settings, "/settings", "nav.settings"),
    ];
}

/// What the layout needs to know about the request.
pub(crate) struct Frame {
    pub lang: Lang,
    pub user: Option<User>,
    pub csrf: String,
    pub flash: Option<&'static str>,
    pub company: String,
    pub section: Section,
    pub search: String,
    /// The company's time zone, which every time on the page is shown in.
    pub tz: Tz,
    /// Delivered reminders the user has not dismissed (the header's badge).
    pub reminders: i64,
}

impl Frame {
    pub(crate) fn t(&self, key: &str) -> &'static str {
        self.lang.t(key)
    }

    /// A moment in the company's time zone.
    pub(crate) fn datetime(&self, t: DateTime<Utc>) -> String {
        self.lang.datetime(t, self.tz)
    }

    /// An RFC 3339 text column's time in the company's time zone.
    pub(crate) fn datetime_text(&self, text: &str) -> String {
        self.lang.datetime_text(text, self.tz)
    }

    /// A unix-seconds column's time in the company's time zone.
    pub(crate) fn datetime_unix(&self, secs: i64) -> String {
        self.lang.datetime_unix(secs, self.tz)
    }

    pub(crate) fn is_admin(&self) -> bool {
        self.user.as_ref().is_some_and(|u| u.role == Role::Admin)
    }
}

/// The whole page around `content`.
pub(crate) fn layout(f: &Frame, title: &str, content: Markup) -> Markup {
    let app_name = if f.company.is_empty() {
        "minicrm".to_string()
    } else {
        format!("{} · minicrm", f.company)
    };
    html! {
        (DOCTYPE)
        html lang=(f.lang.code()) {
            head {
                meta charset="utf-8";
                meta name="viewport" content="width=device-width, initial-scale=1";
                title { (title) " — " (app_name) }
                link rel="stylesheet" href=(assets::url("style.css"));
                link rel="icon" href=(assets::url("favicon.svg")) type="image/svg+xml";
                script src=(assets::url("app.js")) defer {}
            }
            body {
                a.skip href="#main" { (f.t("nav.skip")) }
                @if let Some(user) = &f.user {
                    header.top {
                        a.brand href="/" { (if f.company.is_empty() { "minicrm" } else { &f.company }) }
                        nav.sections aria-label=(f.t("nav.sections")) {
                            ul {
                                @for (section, href, key) in Section::NAV {
                                    li {
                                        @if section == f.section {
                                            a href=(href) aria-current="page" { (f.t(key)) }
                                        } @else {
                                            a href=(href) { (f.t(key)) }
                                        }
                                    }
                                }
                            }
                        }
                        div.tools {
                        @if f.reminders > 0 {
                            a.reminder-badge href="/#reminders" title=(f.t("reminders.badge")) {
                                span.visually-hidden { (f.t("reminders.badge")) ": " }
                                span.count { (f.reminders) }
                            }
                        }
                        form.search role="search" method="get" action="/search" {
                            label.visually-hidden for="global-search" { (f.t("search.label")) }
                            input #global-search type="search" name="q" value=(f.search) placeholder=(f.t("search.placeholder")) aria-keyshortcuts="/";
                            button type="submit" { (f.t("search.button")) }
                        }
                        details.user-menu {
                            summary { (user.name) }
                            ul {
                                li { a href="/account" { (f.t("nav.account")) } }
                                li {
                                    form method="post" action="/logout" {
                                        (csrf_input(f))
                                        button.link type="submit" { (f.t("nav.logout")) }
                                    }
                                }
                            }
                        }
                        }
                    }
                } @else {
                    header.top.plain { span.brand { "minicrm" } }
                }
                main #main {
                    @if let Some(key) = f.flash {
                        p.flash role="status" { (f.t(key)) }
                    }
                    (content)
                }
            }
        }
    }
}

pub(crate) fn csrf_input(f: &Frame) -> Markup {
    html! { input type="hidden" name="csrf" value=(f.csrf); }
}

/// The message above a rejected form.
pub(crate) fn form_error(f: &Frame, error: Option<&Error>) -> Markup {
    html! {
        @if let Some(err) = error {
            p.form-error role="alert" { (err.message(f.lang)) }
        }
    }
}

/// The reason a field was rejected, if it was.
fn field_error<'e>(errors: &'e [FieldError], name: &str) -> Option<&'e FieldError> {
    errors.iter().find(|e| e.field == name)
}

/// An input with its label, kept value and error message.
pub(crate) struct Field<'a> {
    pub name: &'static str,
    pub label: &'static str,
    pub value: &'a str,
    pub kind: &'static str,
    pub required: bool,
    pub autocomplete: &'static str,
    pub hint: Option<&'static str>,
    /// The id of a `<datalist>` of suggestions (a pick list that still takes any text).
    pub list: Option<&'static str>,
}

impl<'a> Field<'a> {
    pub(crate) fn text(name: &'static str, label: &'static str, value: &'a str) -> Field<'a> {
        Field {
            name,
            label,
            value,
            kind: "text",
            required: false,
            autocomplete: "off",
            hint: None,
            list: None,
        }
    }

    pub(crate) fn list(mut self, datalist_id: &'static str) -> Field<'a> {
        self.list = Some(datalist_id);
        self
    }

    pub(crate) fn kind(mut self, kind: &'static str) -> Field<'a> {
        self.kind = kind;
        self
    }

    pub(crate) fn required(mut self) -> Field<'a> {
        self.required = true;
        self
    }

    pub(crate) fn autocomplete(mut self, value: &'static str) -> Field<'a> {
        self.autocomplete = value;
        self
    }

    pub(crate) fn hint(mut self, key: &'static str) -> Field<'a> {
        self.hint = Some(key);
        self
    }

    pub(crate) fn render(&self, f: &Frame, errors: &[FieldError]) -> Markup {
        let id = format!("f-{}", self.name);
        let error = field_error(errors, self.name);
        let described = match (error.is_some(), self.hint.is_some()) {
            (true, _) => Some(format!("{id}-error")),
            (false, true) => Some(format!("{id}-hint")),
            _ => None,
        };
        // Passwords are never sent back to the browser.
        let value = if self.kind == "password" {
            ""
        } else {
            self.value
        };
        html! {
            div.field.invalid[error.is_some()] {
                label for=(id) { (f.t(self.label)) @if self.required { span.req aria-hidden="true" { " *" } } }
                input id=(id) name=(self.name) type=(self.kind) value=(value)
                    required[self.required] autocomplete=(self.autocomplete) list=[self.list]
                    aria-invalid=[error.map(|_| "true")] aria-describedby=[described];
                @if let Some(e) = error {
                    p.error id=(format!("{id}-error")) { (f.t(e.key)) }
                } @else if let Some(hint) = self.hint {
                    p.hint id=(format!("{id}-hint")) { (f.t(hint)) }
                }
            }
        }
    }
}

/// A `<select>` with its label; `options` are (value, label) pairs.
pub(crate) fn select(
    f: &Frame,
    name: &'static str,
    label: &'static str,
    options: &[(&str, &str)],
    selected: &str,
    errors: &[FieldError],
) -> Markup {
    let id = format!("f-{name}");
    let error = field_error(errors, name);
    html! {
        div.field.invalid[error.is_some()] {
            label for=(id) { (f.t(label)) }
            select id=(id) name=(name) aria-invalid=[error.map(|_| "true")] aria-describedby=[error.map(|_| format!("{id}-error"))] {
                @for (value, text) in options {
                    option value=(value) selected[*value == selected] { (text) }
                }
            }
            @if let Some(e) = error {
                p.error id=(format!("{id}-error")) { (f.t(e.key)) }
            }
        }
    }
}

pub(crate) fn checkbox(
    f: &Frame,
    name: &'static str,
    label: &'static str,
    checked: bool,
) -> Markup {
    let id = format!("f-{name}");
    html! {
        div.field.check {
            input id=(id) type="checkbox" name=(name) value="1" checked[checked];
            label for=(id) { (f.t(label)) }
        }
    }
}

/// The language choices of a picker: each language in its own name.
pub(crate) fn language_options() -> Vec<(&'static str, &'static str)> {
    crate::i18n::Lang::ALL
        .iter()
        .map(|l| (l.code(), l.native_name()))
        .collect()
}

/// `base` with one more query parameter (`name=value`, the value URL-encoded).
pub(crate) fn with_query(base: &str, name: &str, value: &str) -> String {
    let sep = if base.ends_with('?') || base.ends_with('&') {
        ""
    } else if base.contains('?') {
        "&"
    } else {
        "?"
    };
    let pair = serde_urlencoded::to_string([(name, value)]).unwrap_or_default();
    format!("{base}{sep}{pair}")
}

/// "Previous / next" links for a list at `offset`; `more` says whether rows follow the page
/// (lists fetch one row more than they show instead of counting).
pub(crate) fn pager(f: &Frame, base: &str, offset: i64, limit: i64, more: bool) -> Markup {
    pager_links(
        f,
        (offset > 0).then(|| with_query(base, "offset", &(offset - limit).max(0).to_string())),
        more.then(|| with_query(base, "offset", &(offset + limit).to_string())),
    )
}

/// "Previous / next" links to the given pages (lists that page by position give the links
/// their `before=` / `after=`).
pub(crate) fn pager_links(f: &Frame, previous: Option<String>, next: Option<String>) -> Markup {
    html! {
        nav.pager aria-label=(f.t("pager.label")) {
            @if let Some(href) = previous {
                a href=(href) rel="prev" { (f.t("pager.previous")) }
            }
            @if let Some(href) = next {
                a href=(href) rel="next" { (f.t("pager.next")) }
            }
        }
    }
}

pub(crate) fn tag_list(tags: &[String]) -> Markup {
    html! { @for t in tags { span.tag { (t) } " " } }
}

pub(crate) fn tag_datalist(tags: &[String]) -> Markup {
    html! { datalist #tag-suggestions { @for t in tags { option value=(t) {} } } }
}

pub(crate) fn textarea(
    f: &Frame,
    name: &'static str,
    label: &'static str,
    value: &str,
    errors: &[FieldError],
) -> Markup {
    let error = errors.iter().find(|e| e.field == name);
    let id = format!("f-{name}");
    html! {
        div.field.invalid[error.is_some()] {
            label for=(id) { (f.t(label)) }
            textarea id=(id) name=(name) rows="4" aria-invalid=[error.map(|_| "true")]
                aria-describedby=[error.map(|_| format!("{id}-error"))] { (value) }
            @if let Some(e) = error { p.error id=(format!("{id}-error")) { (f.t(e.key)) } }
        }
    }
}

/// The tabs of a card, in order. The URL names one with `?tab=`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum CardTab {
    Details,
    Documents,
    Tasks,
    Log,
}

impl CardTab {
    const ALL: [(CardTab, &'static str, &'static str); 4] = [
        (CardTab::Details, "details", "tabs.details"),
        (CardTab::Documents, "documents", "nav.documents"),
        (CardTab::Tasks, "tasks", "nav.tasks"),
        (CardTab::Log, "log", "nav.log"),
    ];

    /// The tab `?tab=` names; details when it names none we know.
    pub(crate) fn parse(value: &str) -> CardTab {
        CardTab::ALL
            .iter()
            .find(|(_, name, _)| *name == value)
            .map_or(CardTab::Details, |(tab, _, _)| *tab)
    }
}

/// The tab bar of a card.
pub(crate) fn tabs(f: &Frame, base: &str, current: CardTab) -> Markup {
    html! {
        nav.tabs aria-label=(f.t("tabs.label")) {
            ul {
                @for (tab, name, label) in CardTab::ALL {
                    li {
                        a href=(format!("{base}?tab={name}")) aria-current=[(tab == current).then_some("page")] { (f.t(label)) }
                    }
                }
            }
        }
    }
}

/// A definition list row, skipped when empty.
pub(crate) fn detail(f: &Frame, label: &'static str, value: &str) -> Markup {
    html! { @if !value.is_empty() { dt { (f.t(label)) } dd { (value) } } }
}

/// What kind of link a detail row's value is.
#[derive(Clone, Copy)]
pub(crate) enum LinkKind {
    Email,
    Phone,
    Website,
}

/// The address a value links to: `mailto:`, `tel:` (digits and a leading `+`), or the site
/// (`https://` added when no scheme is given; any other scheme is no link).
pub(crate) fn link_href(kind: LinkKind, value: &str) -> Option<String> {
    let value = value.trim();
    match kind {
        LinkKind::Email => crate::error::is_email(value).then(|| format!("mailto:{value}")),
        LinkKind::Phone => {
            let digits: String = value
                .chars()
                .enumerate()
                .filter(|(i, c)| c.is_ascii_digit() || (*i == 0 && *c == '+'))
                .map(|(_, c)| c)
                .collect();
            (digits.chars().filter(char::is_ascii_digit).count() >= 3)
                .then(|| format!("tel:{digits}"))
        }
        LinkKind::Website => {
            let lower = value.to_ascii_lowercase();
            if value.is_empty() || value.contains(char::is_whitespace) {
                None
            } else if lower.starts_with("https://") || lower.starts_with("http://") {
                Some(value.to_string())
            } else if lower.contains(':') {
                None
            } else {
                Some(format!("https://{value}"))
            }
        }
    }
}

/// A value as its link (e-mail, phone, website), or as text when it makes no link.
pub(crate) fn value_link(kind: LinkKind, value: &str) -> Markup {
    html! {
        @match link_href(kind, value) {
            Some(href) => a href=(href) rel=[matches!(kind, LinkKind::Website).then_some("noopener noreferrer")] { (value) },
            None => (value),
        }
    }
}

/// A definition list row whose value is a link (e-mail, phone, website), skipped when empty.
pub(crate) fn detail_link(f: &Frame, label: &'static str, value: &str, kind: LinkKind) -> Markup {
    html! {
        @if !value.is_empty() {
            dt { (f.t(label)) }
            dd { (value_link(kind, value)) }
        }
    }
}

/// The tags box: comma-separated, with the tags in use suggested.
pub(crate) fn tags_field(
    f: &Frame,
    value: &str,
    errors: &[FieldError],
    all_tags: &[String],
) -> Markup {
    let error = field_error(errors, "tags");
    html! {
        div.field.invalid[error.is_some()] {
            label for="f-tags" { (f.t("customers.tags")) }
            input #f-tags type="text" name="tags" value=(value) list="tag-suggestions"
                aria-invalid=[error.map(|_| "true")]
                aria-describedby=(if error.is_some() { "f-tags-error" } else { "f-tags-hint" });
            @if let Some(e) = error {
                p.error #f-tags-error { (f.t(e.key)) }
            } @else {
                p.hint #f-tags-hint { (f.t("customers.tags_hint")) }
            }
            (tag_datalist(all_tags))
        }
    }
}

/// A description whose `backticked` parts are code (the API's texts are written so): each
/// such part as `<code>`, the rest as text, a lone backtick as itself.
pub(crate) fn with_code(text: &str) -> Markup {
    let parts: Vec<&str> = text.split('`').collect();
    // An even number of backticks splits into an odd number of parts; otherwise the last
    // backtick has no partner and is printed as it is.
    let paired = parts.len() % 2 == 1;
    html! {
        @for (i, part) in parts.iter().enumerate() {
            @if i % 2 == 1 && (paired || i + 1 < parts.len()) {
                code { (part) }
            } @else if i % 2 == 1 {
                "`" (part)
            } @else {
                (part)
            }
        }
    }
}

/// An empty-state box.
pub(crate) fn empty(text: &str) -> Markup {
    html! { p.empty { (text) } }
}

#[cfg(test)]
mod link_tests {
    use super::{link_href, with_code, LinkKind};

    #[test]
    fn backticks_become_code() {
        assert_eq!(
            with_code("Give `after` or `offset`.").into_string(),
            "Give <code>after</code> or <code>offset</code>."
        );
        assert_eq!(
            with_code("a `b` c `d").into_string(),
            "a <code>b</code> c `d"
        );
        assert_eq!(with_code("<b>").into_string(), "&lt;b&gt;");
    }

    #[test]
    fn e_mail_phone_and_website_become_links_and_other_schemes_do_not() {
        assert_eq!(
            link_href(LinkKind::Email, "a@b.fi").as_deref(),
            Some("mailto:a@b.fi")
        );
        assert_eq!(link_href(LinkKind::Email, "not mail"), None);
        assert_eq!(
            link_href(LinkKind::Phone, "+358 40 123-4567").as_deref(),
            Some("tel:+358401234567")
        );
        assert_eq!(link_href(LinkKind::Phone, "ei ole"), None);
        assert_eq!(
            link_href(LinkKind::Website, "www.nokia.com").as_deref(),
            Some("https://www.nokia.com")
        );
        assert_eq!(
            link_href(LinkKind::Website, "http://esimerkki.fi/x").as_deref(),
            Some("http://esimerkki.fi/x")
        );
        assert_eq!(link_href(LinkKind::Website, "javascript:alert(1)"), None);
    }
}

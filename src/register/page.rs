//! The list page every register shows: title and add button, search with the register's own
//! filters, a result count, sortable column headers, "select all" with the bulk bar above the
//! rows, and the pager. The register hands in its filter fields, columns and cells.

use maud::{html, Markup};

use super::list::{sort_key, Count, ListQuery, Register};
use super::tags;
use crate::db;
use crate::error::Result;
use crate::http::form::Form;
use crate::http::{Ctx, Resp};
use crate::log::store::SEARCH_CAP;
use crate::views::{self, csrf_input, select, tag_datalist, Frame};

/// A column of a list: its heading, and the sorts a click on it asks for (ascending, then
/// descending when it is already ascending).
pub(crate) struct Column<S> {
    pub label: &'static str,
    pub sort: Option<(S, Option<S>)>,
}

impl<S> Column<S> {
    pub(crate) const fn plain(label: &'static str) -> Column<S> {
        Column { label, sort: None }
    }

    pub(crate) const fn sorted(label: &'static str, asc: S, desc: Option<S>) -> Column<S> {
        Column {
            label,
            sort: Some((asc, desc)),
        }
    }
}

/// One row: the record's id and name (for the select box's label), whether it is greyed out,
/// and its cells in column order.
pub(crate) struct ListRow {
    pub id: i64,
    pub name: String,
    pub inactive: bool,
    pub cells: Vec<Markup>,
}

/// Everything a list page shows besides what every list has.
pub(crate) struct ListPage<'a, R: Register> {
    /// i18n key of the heading; `subtitle` follows it (": Yritys Oy").
    pub title: &'static str,
    pub subtitle: Option<String>,
    /// i18n key of the add button's label; the button goes to `{PATH}/new`.
    pub add: &'static str,
    /// i18n key of the search box's hint.
    pub search_hint: &'static str,
    /// The register's own filter fields, inside the filter form.
    pub filters: Markup,
    /// Links under the filters (exports, duplicates).
    pub actions: Markup,
    pub columns: &'a [Column<R::Sort>],
    pub rows: Vec<ListRow>,
    /// The `before=` of the previous page and the `after=` of the next, when there are such.
    pub previous: Option<String>,
    pub next: Option<String>,
    /// The search matches more rows than a list sorts (`Page::many`).
    pub many: bool,
    pub count: Count,
    pub query: &'a ListQuery<R>,
    /// The request's query string, to keep the filters in sort and page links.
    pub url: &'a Form,
    pub all_tags: &'a [String],
}

fn with_param(url: &Form, path: &str, skip: &[&str], extra: &str) -> String {
    let kept = url.encode_without(skip);
    match (kept.is_empty(), extra.is_empty()) {
        (true, true) => path.to_string(),
        (true, false) => format!("{path}?{extra}"),
        (false, true) => format!("{path}?{kept}"),
        (false, false) => format!("{path}?{kept}&{extra}"),
    }
}

/// "1 234 customers" or "1 000+": the count, exact up to the bound.
fn count_text(f: &Frame, count: Count) -> String {
    let (n, plus) = match count {
        Count::Exact(n) => (n, ""),
        Count::AtLeast(n) => (n, "+"),
    };
    f.lang.tf(
        "list.count",
        &[("n", &format!("{}{plus}", f.lang.number(n)))],
    )
}

pub(crate) fn list_page<R: Register>(f: &Frame, p: ListPage<R>) -> Markup {
    let path = R::PATH;
    let query = p.query;
    let can_write = f.user.as_ref().is_some_and(|u| u.role.can_write());
    let base = with_param(p.url, path, &["offset", "after", "before", "select"], "");
    let mut tag_options = vec![("", f.t("customers.any_tag"))];
    tag_options.extend(p.all_tags.iter().map(|t| (t.as_str(), t.as_str())));
    let sort_options: Vec<(&str, &str)> = R::SORTS.iter().map(|s| (s.key, f.t(s.label))).collect();
    let filtered = !query.q.is_empty() || !query.tag.is_empty();
    // Without JavaScript "select all" reloads the page with every box ticked.
    let all_selected = p.url.get("select") == "all";
    html! {
        div.title-row {
            h1 { (f.t(p.title)) @if let Some(sub) = &p.subtitle { ": " (sub) } }
            @if can_write { a.button.primary href=(format!("{path}/new")) { (f.t(p.add)) } }
        }
        form.filters method="get" action=(path) {
            div.field {
                label for="f-q" { (f.t("customers.search")) }
                input #f-q type="search" name="q" value=(query.q) placeholder=(f.t(p.search_hint));
            }
            (select(f, "tag", "customers.tags", &tag_options, &query.tag, &[]))
            (p.filters)
            (select(f, "sort", "sort.label", &sort_options, sort_key::<R>(query.sort), &[]))
            button type="submit" { (f.t("search.button")) }
        }
        p.actions { (p.actions) }
        @if p.rows.is_empty() {
            (views::empty(f.t(if filtered { "customers.nothing_found" } else { "list.empty" })))
        } @else {
            p.count role="status" { (count_text(f, p.count)) }
            @if p.many {
                p.hint { (f.lang.tf("search.too_many", &[("n", &f.lang.number(SEARCH_CAP))])) }
            }
            form #bulk method="post" action=(format!("{path}/tags")) {
                @if can_write {
                    (csrf_input(f))
                    input type="hidden" name="back" value=(base);
                    div.bulk {
                        a.select-all href=(with_param(p.url, path, &["select"], "select=all")) { (f.t("bulk.select_all")) }
                        label for="bulk-tag" { (f.t("bulk.tag_label")) }
                        input #bulk-tag type="text" name="tag" list="tag-suggestions";
                        (tag_datalist(p.all_tags))
                        button type="submit" name="action" value="add" { (f.t("bulk.add_tag")) }
                        button type="submit" name="action" value="remove" { (f.t("bulk.remove_tag")) }
                    }
                }
                div.table-wrap { table.list {
                    thead { tr {
                        @if can_write { th { span.visually-hidden { (f.t("bulk.select")) } } }
                        @for column in p.columns {
                            (heading::<R>(f, p.url, path, query.sort, column))
                        }
                    } }
                    tbody {
                        @for row in &p.rows {
                            tr.inactive[row.inactive] {
                                @if can_write {
                                    td { input type="checkbox" name="id" value=(row.id) checked[all_selected] aria-label=(format!("{} {}", f.t("bulk.select"), row.name)); }
                                }
                                @for cell in &row.cells {
                                    td { (cell) }
                                }
                            }
                        }
                    }
                } }
            }
        }
        (views::pager_links(
            f,
            p.previous.as_deref().map(|c| views::with_query(&base, "before", c)),
            p.next.as_deref().map(|c| views::with_query(&base, "after", c)),
        ))
    }
}

/// A column heading; a sortable one is a link that sorts by it (again: the other way round).
fn heading<R: Register>(
    f: &Frame,
    url: &Form,
    path: &str,
    current: R::Sort,
    column: &Column<R::Sort>,
) -> Markup {
    let Some((asc, desc)) = column.sort else {
        return html! { th scope="col" { (f.t(column.label)) } };
    };
    let (next, state) = if current == asc {
        (desc.unwrap_or(asc), Some("ascending"))
    } else if Some(current) == desc {
        (asc, Some("descending"))
    } else {
        (asc, None)
    };
    let href = with_param(
        url,
        path,
        &["sort", "offset", "after", "before"],
        &format!("sort={}", sort_key::<R>(next)),
    );
    html! {
        th scope="col" aria-sort=[state] {
            a href=(href) { (f.t(column.label)) @match state { Some("ascending") => " ▲", Some(_) => " ▼", None => "" } }
        }
    }
}

/// Adds or removes one tag on the selected rows of a list (each change logged as any edit),
/// then goes back to the list as it was.
pub(crate) fn bulk_tags<R: Register>(ctx: &mut Ctx, form: Form) -> Result<Resp> {
    let ids: Vec<i64> = form
        .all("id")
        .iter()
        .filter_map(|v| v.parse().ok())
        .collect();
    let tag = tags::normalise(&[form.get("tag").to_string()])?
        .into_iter()
        .next();
    let back = form.get("back");
    let back = if back.starts_with(R::PATH) && !back.contains("//") {
        back.to_string()
    } else {
        R::PATH.to_string()
    };
    let (Some(tag), false) = (tag, ids.is_empty()) else {
        ctx.flash("flash.bulk_nothing");
        return Ok(Resp::redirect(&back));
    };
    let by = ctx.user()?.id;
    let remove = form.get("action") == "remove";
    let edit = |tags: &mut Vec<String>| {
        if remove {
            tags.retain(|t| t.to_lowercase() != tag.to_lowercase());
        } else {
            tags.push(tag.clone());
        }
    };
    db::write(ctx.conn, |tx| -> Result<()> {
        for id in &ids {
            R::edit_tags(tx, *id, &edit, by)?;
        }
        Ok(())
    })?;
    ctx.flash(if remove {
        "flash.tag_removed"
    } else {
        "flash.tag_added"
    });
    Ok(Resp::redirect(&back))
}

//! The list page every register shows: title and add button, search with the register's own
//! filters, a result count, sortable column headers, "select all" with the bulk bar above the
//! rows, and the pager. The register hands in its filter fields, columns and cells.

use maud::{html, Markup};

use super::form::Taggable;
use super::list::{sort_key, Count, ListQuery, Register};
use super::tags;
use crate::db;
use crate::error::{Error, Result};
use crate::http::form::{Form, MAX_LIMIT};
use crate::http::{Ctx, Resp};
use crate::log::store::SEARCH_CAP;
use crate::views::{self, csrf_input, layout, select, tag_datalist, Frame, Section};

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

/// What a register declares to get its list page: heading, columns, its own filter fields and
/// links, and how a row reads. `Extra` is what the page loads besides the rows (owner names, the
/// customers of the contacts shown, …).
pub(crate) trait Listed: Register {
    type Extra;
    const SECTION: Section;
    /// i18n keys of the heading, the add button and the search box's hint.
    const TITLE: &'static str;
    const ADD: &'static str;
    const SEARCH_HINT: &'static str;
    /// The pages' order when the URL names none (the API's is newest first).
    const PAGE_SORT: Self::Sort;
    const HEADINGS: &'static [Column<Self::Sort>];
    /// Whether the list has tags, a CSV export, a duplicate finder and bulk tagging (a register
    /// without them, such as tasks, says `false`).
    const SHARED_ACTIONS: bool = true;

    fn extra(ctx: &mut Ctx, query: &ListQuery<Self>, rows: &[Self::Row]) -> Result<Self::Extra>;
    /// Follows the heading (": Yritys Oy" when the list is one customer's).
    fn subtitle(_extra: &Self::Extra) -> Option<String> {
        None
    }
    /// What the page shows between its heading and the filters (tabs, an upload form).
    fn intro(_f: &Frame, _query: &ListQuery<Self>, _extra: &Self::Extra) -> Markup {
        html! {}
    }
    /// The register's own filter fields, inside the filter form.
    fn filters(f: &Frame, query: &ListQuery<Self>, extra: &Self::Extra) -> Markup;
    /// Links besides the CSV export and the duplicate finder that every list has.
    fn more_actions(_f: &Frame, _query: &ListQuery<Self>) -> Markup {
        html! {}
    }
    fn row(row: Self::Row, extra: &Self::Extra) -> ListRow;
}

/// Where a list page stands: the `before=` of the previous page and the `after=` of the next
/// (when there are such), whether the search matched more rows than a list sorts, the count.
struct Pages {
    previous: Option<String>,
    next: Option<String>,
    many: bool,
    count: Count,
}

/// `GET {PATH}`: the list page of a register.
pub(crate) fn list<R: Listed>(ctx: &mut Ctx) -> Result<Resp> {
    let query = ListQuery::<R>::from_form(&ctx.query, R::PAGE_SORT)?;
    let (page, count) = super::list::page_and_count(ctx.conn, &query)?;
    let (previous, next, many) = (page.previous_before(), page.next_after(), page.many);
    let rows = page.rows;
    let extra = R::extra(ctx, &query, &rows)?;
    let all_tags = tags::all(ctx.conn)?;
    let url = ctx.query.clone();
    let frame = ctx.frame(R::SECTION);
    let f = &frame;
    let rows = rows.into_iter().map(|row| R::row(row, &extra)).collect();
    let pages = Pages {
        previous,
        next,
        many,
        count,
    };
    let body = list_page::<R>(f, &query, &url, &extra, rows, pages, &all_tags);
    Ok(Resp::html(layout(f, f.t(R::TITLE), body)))
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

#[allow(clippy::too_many_arguments)]
fn list_page<R: Listed>(
    f: &Frame,
    query: &ListQuery<R>,
    url: &Form,
    extra: &R::Extra,
    rows: Vec<ListRow>,
    pages: Pages,
    all_tags: &[String],
) -> Markup {
    let Pages {
        previous,
        next,
        many,
        count,
    } = pages;
    let path = R::PATH;
    let can_write = f.user.as_ref().is_some_and(|u| u.role.can_write());
    let can_tag = can_write && R::SHARED_ACTIONS;
    let base = with_param(url, path, &["offset", "after", "before", "select"], "");
    let mut tag_options = vec![("", f.t("customers.any_tag"))];
    tag_options.extend(all_tags.iter().map(|t| (t.as_str(), t.as_str())));
    let sort_options: Vec<(&str, &str)> = R::SORTS.iter().map(|s| (s.key, f.t(s.label))).collect();
    let filtered = !query.q.is_empty() || !query.tag.is_empty();
    // Without JavaScript "select all" reloads the page with every box ticked.
    let all_selected = url.get("select") == "all";
    let filter = url.encode_without(&["offset", "after", "before", "limit", "select"]);
    let export = format!("{path}.csv?{filter}");
    let export_xlsx = format!("{path}.xlsx?{filter}");
    let table = html! {
        div.table-wrap { table.list {
            thead { tr {
                @if can_tag { th { span.visually-hidden { (f.t("bulk.select")) } } }
                @for column in R::HEADINGS {
                    (heading::<R>(f, url, path, query.sort, column))
                }
            } }
            tbody {
                @for row in &rows {
                    tr.inactive[row.inactive] {
                        @if can_tag {
                            td { input type="checkbox" name="id" value=(row.id) checked[all_selected] aria-label=(format!("{} {}", f.t("bulk.select"), row.name)); }
                        }
                        @for cell in &row.cells {
                            td { (cell) }
                        }
                    }
                }
            }
        } }
    };
    html! {
        div.title-row {
            h1 { (f.t(R::TITLE)) @if let Some(sub) = R::subtitle(extra) { ": " (sub) } }
            @if can_write { a.button.primary href=(format!("{path}/new")) { (f.t(R::ADD)) } }
        }
        (R::intro(f, query, extra))
        form.filters method="get" action=(path) {
            div.field {
                label for="f-q" { (f.t("customers.search")) }
                input #f-q type="search" name="q" value=(query.q) placeholder=(f.t(R::SEARCH_HINT));
            }
            @if R::SHARED_ACTIONS {
                (select(f, "tag", "customers.tags", &tag_options, &query.tag, &[]))
            }
            (R::filters(f, query, extra))
            (select(f, "sort", "sort.label", &sort_options, sort_key::<R>(query.sort), &[]))
            button type="submit" { (f.t("search.button")) }
        }
        @if R::SHARED_ACTIONS {
            p.actions {
                a href=(export) { (f.t("customers.export_csv")) }
                " · "
                a href=(export_xlsx) { (f.t("customers.export_xlsx")) }
                (R::more_actions(f, query))
                " · " a href=(format!("{path}/duplicates")) { (f.t("duplicates.title")) }
            }
        } @else {
            p.actions { (R::more_actions(f, query)) }
        }
        @if rows.is_empty() {
            (views::empty(f.t(if filtered { "customers.nothing_found" } else { "list.empty" })))
        } @else {
            p.count role="status" { (count_text(f, count)) }
            @if many {
                p.hint { (f.lang.tf("search.too_many", &[("n", &f.lang.number(SEARCH_CAP))])) }
            }
            // Only a user who may tag gets the bulk form around the table; a readonly user
            // gets the table alone, with no form they could not send.
            @if can_tag {
                form #bulk method="post" action=(format!("{path}/tags")) {
                    (csrf_input(f))
                    input type="hidden" name="back" value=(base);
                    div.bulk {
                        a.select-all href=(with_param(url, path, &["select"], "select=all")) { (f.t("bulk.select_all")) }
                        label for="bulk-tag" { (f.t("bulk.tag_label")) }
                        input #bulk-tag type="text" name="tag" list="tag-suggestions";
                        (tag_datalist(all_tags))
                        button type="submit" name="action" value="add" { (f.t("bulk.add_tag")) }
                        button type="submit" name="action" value="remove" { (f.t("bulk.remove_tag")) }
                    }
                    (table)
                }
            } @else {
                (table)
            }
        }
        (views::pager_links(
            f,
            previous.as_deref().map(|c| views::with_query(&base, "before", c)),
            next.as_deref().map(|c| views::with_query(&base, "after", c)),
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
pub(crate) fn bulk_tags<R: Taggable>(ctx: &mut Ctx, form: Form) -> Result<Resp> {
    let ids = form.all("id");
    // No list page shows more rows than its largest page.
    if ids.len() > MAX_LIMIT as usize {
        return Err(Error::BadRequest(format!(
            "At most {MAX_LIMIT} rows can be changed at once."
        )));
    }
    let ids: Vec<i64> = ids.iter().filter_map(|v| v.parse().ok()).collect();
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
            // A record deleted meanwhile is skipped.
            let Some(row) = R::by_id(tx, *id)? else {
                continue;
            };
            let mut tags = R::tags_of(&row).to_vec();
            edit(&mut tags);
            R::update(tx, *id, &R::with_tags(tags), by)?;
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

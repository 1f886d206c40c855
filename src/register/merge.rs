//! What every register's duplicate finder and merge share: the list of likely duplicates, the
//! side-by-side choice of which record to keep, the submitted choice, and the merge's log
//! entries. Each register says what it compares and how two records become one.

use maud::{html, Markup};
use rusqlite::Transaction;

use super::form::Editable;
use crate::auth::UserId;
use crate::db;
use crate::error::{Error, Result};
use crate::http::form::Form;
use crate::http::{Ctx, Resp};
use crate::log::{self, EventKind, NewEvent, Sentence};
use crate::views::{self, csrf_input, layout, Frame, Section};

/// The most records a duplicate group shows (the first by id); the finder lists the keys
/// that more than one record has, which the registers keep as records change.
pub(crate) const GROUP_SIZE: i64 = 10;

/// One record of a duplicate group: id, name and a line of details to tell them apart.
pub(crate) struct Candidate {
    pub id: i64,
    pub name: String,
    pub details: String,
}

/// The groups of likely duplicates under `path` (`/customers`), each with a merge button for
/// administrators.
pub(crate) fn duplicate_groups(f: &Frame, path: &str, groups: &[Vec<Candidate>]) -> Markup {
    html! {
        p { (f.t("duplicates.intro")) }
        @if groups.is_empty() {
            (views::empty(f.t("duplicates.none")))
        } @else {
            @for group in groups {
                section.card {
                    ul.plain {
                        @for c in group {
                            li { a href=(format!("{path}/{}", c.id)) { (c.name) } " " span.muted { (c.details) } }
                        }
                    }
                    @if f.is_admin() && group.len() > 1 {
                        p { a.button href=(format!("{path}/merge?a={}&b={}", group[0].id, group[1].id)) { (f.t("merge.action")) } }
                    }
                }
            }
        }
    }
}

/// The page of likely duplicates under `path`: `groups` of records, each told by `candidate`,
/// and below them what `more` adds (customers' "merge any two").
pub(crate) fn duplicates_page<T>(
    ctx: &mut Ctx,
    (section, path, title): (Section, &str, &'static str),
    groups: Vec<Vec<T>>,
    candidate: impl Fn(T) -> Candidate,
    more: impl FnOnce(&Frame) -> Markup,
) -> Result<Resp> {
    let groups: Vec<Vec<Candidate>> = groups
        .into_iter()
        .map(|group| group.into_iter().map(&candidate).collect())
        .collect();
    let frame = ctx.frame(section);
    let f = &frame;
    let body = html! {
        h1 { (f.t(title)) }
        (duplicate_groups(f, path, &groups))
        (more(f))
    };
    Ok(Resp::html(layout(f, f.t(title), body)))
}

/// The two records side by side, `rows` of (label key, left value, right value), and the
/// choice of which to keep. Posts `pair=kept:removed` to `{path}/merge`.
pub(crate) fn merge_choice(
    f: &Frame,
    path: &str,
    a: (i64, &str),
    b: (i64, &str),
    rows: &[(&'static str, String, String)],
) -> Markup {
    html! {
        p { (f.t("merge.explain")) }
        form method="post" action=(format!("{path}/merge")) {
            (csrf_input(f))
            div.table-wrap { table {
                thead { tr { th {} th { (a.1) } th { (b.1) } } }
                tbody {
                    @for (label, left, right) in rows {
                        tr { th { (f.t(label)) } td { (left) } td { (right) } }
                    }
                    tr {
                        th { (f.t("merge.keep")) }
                        @for (keep, other) in [(a.0, b.0), (b.0, a.0)] {
                            td {
                                input type="radio" name="pair" id=(format!("keep-{keep}")) value=(format!("{keep}:{other}")) required checked[keep == a.0];
                                label for=(format!("keep-{keep}")) { (f.t("merge.keep_this")) }
                            }
                        }
                    }
                }
            } }
            p { button.primary type="submit" { (f.t("merge.confirm")) } " " a href=(format!("{path}/duplicates")) { (f.t("form.cancel")) } }
        }
    }
}

/// The merge form's choice `kept:removed` (radio values `12:34`).
pub(crate) fn chosen_pair(form: &Form) -> Result<(i64, i64)> {
    form.get("pair")
        .split_once(':')
        .and_then(|(w, l)| Some((w.parse().ok()?, l.parse().ok()?)))
        .ok_or_else(|| Error::BadRequest("Choose which one to keep.".into()))
}

/// Runs a submitted merge in one transaction, then shows the kept record.
pub(crate) fn submit(
    ctx: &mut Ctx,
    form: &Form,
    path: &str,
    merge: impl FnOnce(&Transaction, i64, i64, UserId) -> Result<()>,
) -> Result<Resp> {
    let by = ctx.user()?.id;
    let (kept, removed) = chosen_pair(form)?;
    db::write(ctx.conn, |tx| merge(tx, kept, removed, by))?;
    ctx.flash("flash.merged");
    Ok(Resp::redirect(&format!("{path}/{kept}")))
}

/// The start of every merge: the two records (`winner` kept, `loser` removed), after moving
/// what points at `loser` to `winner` (see `move_references`; `other` is the column of the
/// other side of a link, `contact_id` for customers). Merging a record with itself is refused.
pub(crate) fn begin<R: Editable>(
    tx: &Transaction,
    winner: i64,
    loser: i64,
    other: &str,
) -> Result<(R::Row, R::Row)> {
    if winner == loser {
        return Err(Error::field("loser", "merge.same"));
    }
    let keep = R::by_id(tx, winner)?.ok_or(Error::NotFound)?;
    let gone = R::by_id(tx, loser)?.ok_or(Error::NotFound)?;
    let (tags, own) = R::TAGS;
    move_references(tx, (own, other), tags, winner, loser)?;
    Ok((keep, gone))
}

/// Moves what points at `loser` to `winner` before `loser` goes: its links in
/// `customer_contacts` (where both had the same one, the kept role wins unless it is empty),
/// its tags, its log events and its documents. `own` is the record's column there (`customer_id`), `other`
/// the column of the other side, `tags` its tag table.
pub(crate) fn move_references(
    tx: &Transaction,
    (own, other): (&str, &str),
    tags: &str,
    winner: i64,
    loser: i64,
) -> rusqlite::Result<()> {
    tx.execute(
        &format!(
            "UPDATE customer_contacts AS w SET role = l.role FROM customer_contacts AS l
             WHERE w.{own} = ?1 AND l.{own} = ?2 AND l.{other} = w.{other} AND w.role = ''"
        ),
        rusqlite::params![winner, loser],
    )?;
    tx.execute(
        &format!(
            "INSERT OR IGNORE INTO customer_contacts ({own}, {other}, role)
             SELECT ?1, {other}, role FROM customer_contacts WHERE {own} = ?2"
        ),
        rusqlite::params![winner, loser],
    )?;
    tx.execute(
        &format!("INSERT OR IGNORE INTO {tags} ({own}, tag_id) SELECT ?1, tag_id FROM {tags} WHERE {own} = ?2"),
        rusqlite::params![winner, loser],
    )?;
    // The one change a merge makes to the log, which is otherwise append-only.
    log::audit::audited(tx, log::audit::Audited::Merge, |tx| {
        tx.execute(
            &format!("UPDATE events SET {own} = ?1 WHERE {own} = ?2"),
            rusqlite::params![winner, loser],
        )
    })?;
    // The merged record's documents go with it rather than losing their link at the delete.
    tx.execute(
        &format!("UPDATE documents SET {own} = ?1 WHERE {own} = ?2"),
        rusqlite::params![winner, loser],
    )?;
    Ok(())
}

/// The other record's value for a field the kept one has empty, else `None` (no change).
pub(crate) fn fill(kept: &str, other: &str) -> Option<String> {
    (kept.is_empty() && !other.is_empty()).then(|| other.to_string())
}

/// The kept record's notes after a merge: the removed one's appended, or `None` when they
/// do not change.
pub(crate) fn joined_notes(kept: &str, gone: &str) -> Option<String> {
    match (kept.is_empty(), gone.is_empty()) {
        (_, true) => None,
        (true, false) => Some(gone.to_string()),
        (false, false) => Some(format!("{kept}\n\n{gone}")),
    }
}

/// A merge's two log entries: the removed record's deletion under its own id and the change
/// of the kept one, so a client filtering by kind sees what happened to each. `at` puts the
/// record's id on an event (its customer or contact column).
pub(crate) struct MergeLog<'a> {
    pub deleted: EventKind,
    pub updated: EventKind,
    pub removed: i64,
    pub kept: i64,
    pub summary: Sentence,
    pub search_text: String,
    pub by: Option<UserId>,
    pub at: &'a dyn Fn(&mut NewEvent, i64),
}

pub(crate) fn log_merge(tx: &Transaction, m: MergeLog) -> Result<()> {
    for (kind, id) in [(m.deleted, m.removed), (m.updated, m.kept)] {
        let mut event = NewEvent::said(kind, m.summary.clone());
        (m.at)(&mut event, id);
        event.search_text = m.search_text.clone();
        event.user_id = m.by.map(|u| u.0);
        log::append(tx, &event)?;
    }
    Ok(())
}

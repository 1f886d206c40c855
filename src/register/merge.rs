//! What every register's duplicate finder and merge share: the list of likely duplicates, the
//! side-by-side form that chooses the record to keep and, field by field, the values it
//! keeps, the submitted choice, and the merge's log entries. Each register says what it compares and how two records become one.

use maud::{html, Markup};

use super::form::Editable;
use crate::auth::UserId;
use crate::db;
use crate::db::Tx;
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

/// One field of the merge form: both records' values, and a choice between them when they
/// differ (radios `pick_{name}` whose value is the id of the record to take it from).
pub(crate) struct MergeField {
    /// The field's name, as the store knows it (`email`).
    pub name: &'static str,
    /// The i18n key of its label.
    pub label: &'static str,
    pub a: String,
    pub b: String,
}

/// A row the merge form only shows (tags and links, which the merge joins; notes).
pub(crate) struct ShownRow {
    pub label: &'static str,
    pub a: Markup,
    pub b: Markup,
}

/// What the merge form compares.
pub(crate) struct Comparison<'a> {
    /// Under `path` (`/customers`): the form posts to `{path}/merge`.
    pub path: &'a str,
    /// The two records, (id, name).
    pub a: (i64, &'a str),
    pub b: (i64, &'a str),
    /// The i18n key of the paragraph that says what the merge does.
    pub explain: &'static str,
    pub fields: Vec<MergeField>,
    pub shown: Vec<ShownRow>,
}

/// The two records side by side: which one is kept (its number, id and history stay), and for
/// each field that differs whose value the kept record gets; by default the kept one's, or the
/// other's where the kept one has none. Posts `pair=kept:removed` and the `pick_` radios to
/// `{path}/merge`.
pub(crate) fn merge_choice(f: &Frame, c: &Comparison) -> Markup {
    let (a, b) = (c.a, c.b);
    html! {
        p { (f.t(c.explain)) }
        form method="post" action=(format!("{}/merge", c.path)) {
            (csrf_input(f))
            div.table-wrap { table.merge {
                thead { tr { th {} th { (a.1) } th { (b.1) } } }
                tbody {
                    tr {
                        th { (f.t("merge.keep")) }
                        @for (keep, other) in [(a.0, b.0), (b.0, a.0)] {
                            td {
                                input type="radio" name="pair" id=(format!("keep-{keep}")) value=(format!("{keep}:{other}")) required checked[keep == a.0];
                                " "
                                label for=(format!("keep-{keep}")) { (f.t("merge.keep_this")) }
                            }
                        }
                    }
                    @for field in &c.fields {
                        tr {
                            th { (f.t(field.label)) }
                            @if field.a == field.b {
                                td { (field.a) } td { (field.b) }
                            } @else {
                                @for (id, value, checked) in [(a.0, &field.a, !field.a.is_empty()), (b.0, &field.b, field.a.is_empty())] {
                                    td {
                                        @let input_id = format!("pick-{}-{id}", field.name);
                                        input type="radio" name=(format!("pick_{}", field.name)) id=(input_id) value=(id) checked[checked];
                                        " "
                                        label for=(input_id) {
                                            @if value.is_empty() { span.muted { (f.t("merge.empty")) } } @else { (value) }
                                        }
                                    }
                                }
                            }
                        }
                    }
                    @for row in &c.shown {
                        tr { th { (f.t(row.label)) } td { (row.a) } td { (row.b) } }
                    }
                }
            } }
            p { button.primary type="submit" { (f.t("merge.confirm")) } " " a href=(format!("{}/duplicates", c.path)) { (f.t("form.cancel")) } }
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

/// Which record's value a merged field takes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Side {
    Kept,
    Removed,
}

/// The admin's choice per field; a field not chosen takes the kept record's value unless that
/// is empty (then the other's).
#[derive(Debug, Default)]
pub(crate) struct Picks(Vec<(String, Side)>);

impl Picks {
    /// The `pick_{field}` radios of a merge form: each the id of the kept or the removed record.
    pub(crate) fn from_form(
        form: &Form,
        fields: &[&str],
        kept: i64,
        removed: i64,
    ) -> Result<Picks> {
        let mut picks = Vec::new();
        for field in fields {
            let side = match form.get(&format!("pick_{field}")) {
                "" => continue,
                id if id == kept.to_string() => Side::Kept,
                id if id == removed.to_string() => Side::Removed,
                _ => {
                    return Err(Error::BadRequest(format!(
                        "`pick_{field}` must be the id of one of the two records."
                    )))
                }
            };
            picks.push((field.to_string(), side));
        }
        Ok(Picks(picks))
    }

    /// The side `field` takes its value from.
    pub(crate) fn side(&self, field: &str, kept: &str, removed: &str) -> Side {
        match self.0.iter().find(|(f, _)| f == field) {
            Some((_, side)) => *side,
            None if kept.is_empty() && !removed.is_empty() => Side::Removed,
            None => Side::Kept,
        }
    }

    /// The value `field` has after the merge.
    pub(crate) fn value(&self, field: &str, kept: &str, removed: &str) -> String {
        match self.side(field, kept, removed) {
            Side::Kept => kept.to_string(),
            Side::Removed => removed.to_string(),
        }
    }
}

/// Runs a submitted merge in one transaction with the admin's choice of each of `fields`,
/// then shows the kept record.
pub(crate) fn submit(
    ctx: &mut Ctx,
    form: &Form,
    (path, fields): (&str, &[&str]),
    merge: impl FnOnce(&Tx, i64, i64, UserId, &Picks) -> Result<()>,
) -> Result<Resp> {
    let by = ctx.user()?.id;
    let (kept, removed) = chosen_pair(form)?;
    let picks = Picks::from_form(form, fields, kept, removed)?;
    db::write(ctx.conn, |tx| merge(tx, kept, removed, by, &picks))?;
    ctx.flash("flash.merged");
    Ok(Resp::redirect(&format!("{path}/{kept}")))
}

/// The start of every merge: the two records (`winner` kept, `loser` removed), after moving
/// what points at `loser` to `winner` (see `move_references`; `other` is the column of the
/// other side of a link, `contact_id` for customers). Merging a record with itself is refused.
pub(crate) fn begin<R: Editable>(
    tx: &Tx,
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
    tx: &Tx,
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

pub(crate) fn log_merge(tx: &Tx, m: MergeLog) -> Result<()> {
    for (kind, id) in [(m.deleted, m.removed), (m.updated, m.kept)] {
        let mut event = NewEvent::said(kind, m.summary.clone());
        (m.at)(&mut event, id);
        event.search_text = m.search_text.clone();
        event.user_id = m.by.map(|u| u.0);
        log::append(tx, &event)?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_field_takes_the_chosen_side_or_else_the_kept_value_unless_empty() {
        let form = Form::from_pairs([("pick_email", "7"), ("pick_phone", "3")]);
        let picks = Picks::from_form(&form, &["email", "phone", "city"], 3, 7).unwrap();
        assert_eq!(picks.value("email", "a@x.fi", "b@x.fi"), "b@x.fi");
        assert_eq!(picks.value("phone", "", "040 1"), "");
        assert_eq!(picks.value("city", "", "Oulu"), "Oulu");
        assert_eq!(picks.value("city", "Kemi", "Oulu"), "Kemi");
        let bad = Form::from_pairs([("pick_email", "99")]);
        assert!(Picks::from_form(&bad, &["email"], 3, 7).is_err());
    }
}

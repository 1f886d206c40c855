//! Duplicates: the scan that lists likely duplicate customers, and the merge (admin) that
//! joins two into one. Everything that points at the one removed moves to the one kept:
//! contact links, tags, log events; empty fields of the kept one are filled from the other.

use maud::html;
use rusqlite::{params, Connection, Transaction};

use super::store;
use super::{Customer, CustomerId, CustomerInput};
use crate::db;
use crate::error::{Error, Result};
use crate::http::form::Form;
use crate::http::{Ctx, Resp};
use crate::log::{self, EventKind, NewEvent};
use crate::users::UserId;
use crate::views::{self, csrf_input, layout, Section};

/// Groups of customers that share a folded name or an e-mail address, at most `limit` groups.
pub fn duplicate_groups(conn: &Connection, limit: i64) -> rusqlite::Result<Vec<Vec<Customer>>> {
    let mut groups = Vec::new();
    let keys: Vec<(String, bool)> = {
        let mut by_name = conn.prepare(
            "SELECT name_key FROM customers WHERE name_key <> '' GROUP BY name_key HAVING count(*) > 1 LIMIT ?1",
        )?;
        let mut keys: Vec<(String, bool)> = by_name
            .query_map([limit], |r| Ok((r.get(0)?, true)))?
            .collect::<rusqlite::Result<_>>()?;
        let mut by_email = conn.prepare(
            "SELECT lower(email) FROM customers WHERE email <> '' GROUP BY email COLLATE NOCASE HAVING count(*) > 1 LIMIT ?1",
        )?;
        for key in by_email.query_map([limit], |r| Ok((r.get(0)?, false)))? {
            keys.push(key?);
        }
        keys
    };
    for (key, is_name) in keys {
        let sql = if is_name {
            "SELECT id FROM customers WHERE name_key = ?1 ORDER BY id LIMIT 20"
        } else {
            "SELECT id FROM customers WHERE email = ?1 COLLATE NOCASE ORDER BY id LIMIT 20"
        };
        let ids: Vec<i64> = conn
            .prepare_cached(sql)?
            .query_map([&key], |r| r.get(0))?
            .collect::<rusqlite::Result<_>>()?;
        let mut group = Vec::new();
        for id in ids {
            group.extend(store::by_id(conn, CustomerId(id))?);
        }
        if group.len() > 1
            && !groups
                .iter()
                .any(|g: &Vec<Customer>| g.iter().map(|c| c.id).eq(group.iter().map(|c| c.id)))
        {
            groups.push(group);
        }
    }
    Ok(groups)
}

/// The kept record's notes after a merge: the removed one's appended, or `None` when they
/// do not change.
pub fn joined_notes(kept: &str, gone: &str) -> Option<String> {
    match (kept.is_empty(), gone.is_empty()) {
        (_, true) => None,
        (true, false) => Some(gone.to_string()),
        (false, false) => Some(format!("{kept}\n\n{gone}")),
    }
}

/// Joins `loser` into `winner` and removes `loser`, in the caller's transaction.
pub fn merge(
    tx: &Transaction,
    winner: CustomerId,
    loser: CustomerId,
    by: Option<UserId>,
) -> Result<()> {
    if winner == loser {
        return Err(Error::field("loser", "merge.same"));
    }
    let keep = store::by_id(tx, winner)?.ok_or(Error::NotFound)?;
    let gone = store::by_id(tx, loser)?.ok_or(Error::NotFound)?;
    // Links: the loser's contacts move over; where both had the contact, the kept role wins
    // unless it was empty.
    tx.execute(
        "UPDATE customer_contacts AS w SET role = l.role FROM customer_contacts AS l
         WHERE w.customer_id = ?1 AND l.customer_id = ?2 AND l.contact_id = w.contact_id AND w.role = ''",
        params![winner.0, loser.0],
    )?;
    tx.execute(
        "INSERT OR IGNORE INTO customer_contacts (customer_id, contact_id, role)
         SELECT ?1, contact_id, role FROM customer_contacts WHERE customer_id = ?2",
        params![winner.0, loser.0],
    )?;
    tx.execute("INSERT OR IGNORE INTO customer_tags (customer_id, tag_id) SELECT ?1, tag_id FROM customer_tags WHERE customer_id = ?2", params![winner.0, loser.0])?;
    tx.execute(
        "UPDATE events SET customer_id = ?1 WHERE customer_id = ?2",
        params![winner.0, loser.0],
    )?;
    // The loser's business ID may move to the winner: free it first (it is unique).
    tx.execute(
        "UPDATE customers SET business_id = NULL WHERE id = ?1",
        [loser.0],
    )?;
    let fill = |kept: &str, other: &str| {
        if kept.is_empty() {
            Some(other.to_string())
        } else {
            None
        }
    };
    let input = CustomerInput {
        business_id: if keep.business_id.is_none() {
            gone.business_id.clone()
        } else {
            None
        },
        email: fill(&keep.email, &gone.email),
        phone: fill(&keep.phone, &gone.phone),
        website: fill(&keep.website, &gone.website),
        street: fill(&keep.street, &gone.street),
        postal_code: fill(&keep.postal_code, &gone.postal_code),
        city: fill(&keep.city, &gone.city),
        einvoice_address: fill(&keep.einvoice_address, &gone.einvoice_address),
        einvoice_operator: fill(&keep.einvoice_operator, &gone.einvoice_operator),
        notes: joined_notes(&keep.notes, &gone.notes),
        owner_id: if keep.owner_id.is_none() {
            Some(gone.owner_id)
        } else {
            None
        },
        tags: Some(
            super::store::by_id(tx, winner)?
                .map(|c| c.tags)
                .unwrap_or_default(),
        ),
        ..CustomerInput::default()
    };
    store::update(tx, winner, &input, by)?;
    tx.execute("DELETE FROM customers WHERE id = ?1", [loser.0])?;
    let lang = log::summary_lang(tx)?;
    let summary = lang.tf(
        "summary.customer_merged",
        &[
            ("gone", &gone.name),
            ("gone_number", &gone.number),
            ("kept", &keep.name),
            ("kept_number", &keep.number),
        ],
    );
    // Two events: the removed customer's deletion under its own id, and the change of the
    // kept one, so a client filtering by kind sees what happened to each.
    for (kind, id) in [
        (EventKind::CustomerDeleted, loser),
        (EventKind::CustomerUpdated, winner),
    ] {
        let mut event = NewEvent::new(kind, summary.clone());
        event.customer_id = Some(id.0);
        event.search_text = format!("{} {}", keep.name, gone.name);
        event.user_id = by.map(|u| u.0);
        log::append(tx, &event)?;
    }
    Ok(())
}

pub fn duplicates_page(ctx: &mut Ctx) -> Result<Resp> {
    let groups = duplicate_groups(ctx.conn, 100)?;
    let frame = ctx.frame(Section::Customers);
    let f = &frame;
    let body = html! {
        h1 { (f.t("duplicates.customers_title")) }
        p { (f.t("duplicates.intro")) }
        @if groups.is_empty() {
            (views::empty(f.t("duplicates.none")))
        } @else {
            @for group in &groups {
                section.card {
                    ul.plain {
                        @for c in group {
                            li { a href=(format!("/customers/{}", c.id.0)) { (c.name) } " " span.muted { (c.number) " " (c.business_id.as_deref().unwrap_or("")) " " (c.email) " " (c.city) } }
                        }
                    }
                    @if f.is_admin() {
                        p { a.button href=(format!("/customers/merge?a={}&b={}", group[0].id.0, group[1].id.0)) { (f.t("merge.action")) } }
                    }
                }
            }
        }
        @if f.is_admin() {
            h2 { (f.t("merge.any_two")) }
            form.inline method="get" action="/customers/merge" {
                label for="merge-a" { (f.t("merge.number_a")) }
                input #merge-a type="text" name="a_number" size="10";
                label for="merge-b" { (f.t("merge.number_b")) }
                input #merge-b type="text" name="b_number" size="10";
                button type="submit" { (f.t("merge.compare")) }
            }
        }
    };
    Ok(Resp::html(layout(
        f,
        f.t("duplicates.customers_title"),
        body,
    )))
}

/// The two customers to merge, by `a`/`b` ids or `a_number`/`b_number` customer numbers.
fn pair(ctx: &Ctx) -> Result<(Customer, Customer)> {
    let find = |id: &str, number: &str| -> Result<Customer> {
        let found = match id.parse::<i64>() {
            Ok(id) => store::by_id(ctx.conn, CustomerId(id))?,
            Err(_) => store::by_number(ctx.conn, number)?,
        };
        found.ok_or(Error::NotFound)
    };
    Ok((
        find(ctx.query.get("a"), ctx.query.get("a_number"))?,
        find(ctx.query.get("b"), ctx.query.get("b_number"))?,
    ))
}

pub fn merge_form(ctx: &mut Ctx) -> Result<Resp> {
    let (a, b) = pair(ctx)?;
    let frame = ctx.frame(Section::Customers);
    let f = &frame;
    let values = |c: &Customer| -> [(&'static str, String); 8] {
        [
            ("customers.number", c.number.clone()),
            (
                "customers.business_id",
                c.business_id.clone().unwrap_or_default(),
            ),
            ("customers.email", c.email.clone()),
            ("customers.phone", c.phone.clone()),
            ("customers.street", c.street.clone()),
            ("customers.city", c.city.clone()),
            ("customers.tags", c.tags.join(", ")),
            ("customers.einvoice_address", c.einvoice_address.clone()),
        ]
    };
    let body = html! {
        h1 { (f.t("merge.title")) }
        p { (f.t("merge.explain")) }
        form method="post" action="/customers/merge" {
            (csrf_input(f))
            table {
                thead { tr { th {} @for c in [&a, &b] { th { (c.name) } } } }
                tbody {
                    @for ((label, left), (_, right)) in values(&a).into_iter().zip(values(&b)) {
                        tr { th { (f.t(label)) } td { (left) } td { (right) } }
                    }
                    tr {
                        th { (f.t("merge.keep")) }
                        @for (c, other) in [(&a, &b), (&b, &a)] {
                            td {
                                input type="radio" name="pair" id=(format!("keep-{}", c.id.0)) value=(format!("{}:{}", c.id.0, other.id.0)) required checked[c.id == a.id];
                                label for=(format!("keep-{}", c.id.0)) { (f.t("merge.keep_this")) }
                            }
                        }
                    }
                }
            }
            p { button.primary type="submit" { (f.t("merge.confirm")) } " " a href="/customers/duplicates" { (f.t("form.cancel")) } }
        }
    };
    Ok(Resp::html(layout(f, f.t("merge.title"), body)))
}

/// The merge form's choice `kept:removed` (radio values `12:34`).
pub fn chosen_pair(form: &Form) -> Result<(i64, i64)> {
    form.get("pair")
        .split_once(':')
        .and_then(|(w, l)| Some((w.parse().ok()?, l.parse().ok()?)))
        .ok_or_else(|| Error::BadRequest("Choose which one to keep.".into()))
}

pub fn merge_submit(ctx: &mut Ctx, form: Form) -> Result<Resp> {
    let by = ctx.user()?.id;
    let (winner, loser) = chosen_pair(&form)?;
    db::write(ctx.conn, |tx| {
        merge(tx, CustomerId(winner), CustomerId(loser), Some(by))
    })?;
    ctx.flash("flash.merged");
    Ok(Resp::redirect(&format!("/customers/{winner}")))
}

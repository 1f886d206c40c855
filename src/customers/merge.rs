//! Duplicates: the scan that lists likely duplicate customers, and the merge (admin) that
//! joins two into one. Everything that points at the one removed moves to the one kept:
//! contact links, tags, log events; empty fields of the kept one are filled from the other.

use maud::html;
use rusqlite::{Connection, Transaction};

use super::list::Customers;
use super::store;
use super::{Customer, CustomerId, CustomerInput};
use crate::error::{Error, Result};
use crate::http::form::Form;
use crate::http::{Ctx, Resp};
use crate::log::{self, EventKind};
use crate::register::merge::{self, Candidate, MergeLog};
use crate::users::UserId;
use crate::views::{layout, Section};

/// Groups of customers that share a folded name or an e-mail address, at most `limit` groups.
pub(crate) fn duplicate_groups(
    conn: &Connection,
    limit: i64,
) -> rusqlite::Result<Vec<Vec<Customer>>> {
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

/// Joins `loser` into `winner` and removes `loser`, in the caller's transaction.
pub(crate) fn merge(
    tx: &Transaction,
    winner: CustomerId,
    loser: CustomerId,
    by: Option<UserId>,
) -> Result<()> {
    let (keep, gone) = merge::begin::<Customers>(tx, winner.0, loser.0, "contact_id")?;
    // The loser's business ID may move to the winner: free it first (it is unique).
    tx.execute(
        "UPDATE customers SET business_id = NULL WHERE id = ?1",
        [loser.0],
    )?;
    let fill = merge::fill;
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
        notes: merge::joined_notes(&keep.notes, &gone.notes),
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
    merge::log_merge(
        tx,
        MergeLog {
            deleted: EventKind::CustomerDeleted,
            updated: EventKind::CustomerUpdated,
            removed: loser.0,
            kept: winner.0,
            summary,
            search_text: format!("{} {}", keep.name, gone.name),
            by,
            at: &|event, id| event.customer_id = Some(id),
        },
    )
}

pub(crate) fn duplicates_page(ctx: &mut Ctx) -> Result<Resp> {
    let groups: Vec<Vec<Candidate>> = duplicate_groups(ctx.conn, 100)?
        .into_iter()
        .map(|group| {
            group
                .into_iter()
                .map(|c| Candidate {
                    id: c.id.0,
                    details: [
                        c.number.as_str(),
                        c.business_id.as_deref().unwrap_or(""),
                        &c.email,
                        &c.city,
                    ]
                    .join(" "),
                    name: c.name,
                })
                .collect()
        })
        .collect();
    let frame = ctx.frame(Section::Customers);
    let f = &frame;
    let body = html! {
        h1 { (f.t("duplicates.customers_title")) }
        (merge::duplicate_groups(f, "/customers", &groups))
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

/// What the merge form compares, in order.
const COMPARED: &[&str] = &[
    "customers.number",
    "customers.business_id",
    "customers.email",
    "customers.phone",
    "customers.street",
    "customers.city",
    "customers.tags",
    "customers.einvoice_address",
];

pub(crate) fn merge_form(ctx: &mut Ctx) -> Result<Resp> {
    let (a, b) = pair(ctx)?;
    let frame = ctx.frame(Section::Customers);
    let f = &frame;
    let value = |c: &Customer, label: &'static str| -> String {
        match label {
            "customers.number" => c.number.clone(),
            "customers.business_id" => c.business_id.clone().unwrap_or_default(),
            "customers.email" => c.email.clone(),
            "customers.phone" => c.phone.clone(),
            "customers.street" => c.street.clone(),
            "customers.city" => c.city.clone(),
            "customers.tags" => c.tags.join(", "),
            _ => c.einvoice_address.clone(),
        }
    };
    let rows: Vec<(&'static str, String, String)> = COMPARED
        .iter()
        .map(|label| (*label, value(&a, label), value(&b, label)))
        .collect();
    let body = html! {
        h1 { (f.t("merge.title")) }
        (merge::merge_choice(f, "/customers", (a.id.0, &a.name), (b.id.0, &b.name), &rows))
    };
    Ok(Resp::html(layout(f, f.t("merge.title"), body)))
}

pub(crate) fn merge_submit(ctx: &mut Ctx, form: Form) -> Result<Resp> {
    merge::submit(ctx, &form, "/customers", |tx, kept, removed, by| {
        merge(tx, CustomerId(kept), CustomerId(removed), Some(by))
    })
}

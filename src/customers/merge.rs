//! Duplicates: the list of likely duplicate customers, and the merge (admin) that
//! joins two into one. Everything that points at the one removed moves to the one kept:
//! contact links, tags, log events; empty fields of the kept one are filled from the other.

use maud::html;
use rusqlite::{params, Connection, Transaction};

use super::list::Customers;
use super::store::{self, COLUMNS};
use super::{Customer, CustomerId, CustomerInput};
use crate::error::{Error, Result};
use crate::http::form::Form;
use crate::http::{Ctx, Resp};
use crate::log::{EventKind, Sentence};
use crate::register::merge::{self, Candidate, MergeLog, GROUP_SIZE};
use crate::users::UserId;
use crate::views::{layout, Frame, Section};

/// Groups of customers that share a folded name or an e-mail address, at most `limit` groups
/// of each, at most `GROUP_SIZE` customers a group. The keys come from `customer_duplicates`, which the
/// triggers keep as customers change, so this reads a few index entries whatever the size of
/// the register.
pub(crate) fn duplicate_groups(
    conn: &Connection,
    limit: i64,
) -> rusqlite::Result<Vec<Vec<Customer>>> {
    let mut groups = Vec::new();
    let members = |condition: &str| {
        format!(
            "SELECT {COLUMNS} FROM customers c WHERE {condition} ORDER BY c.id LIMIT {GROUP_SIZE}"
        )
    };
    for (kind, members) in [
        ("name", members("c.name_key = ?1")),
        (
            "email",
            members("c.email = ?1 COLLATE NOCASE AND c.email <> ''"),
        ),
    ] {
        let keys: Vec<String> = conn
            .prepare_cached(
                "SELECT key FROM customer_duplicates WHERE kind = ?1 ORDER BY key LIMIT ?2",
            )?
            .query_map(params![kind, limit], |r| r.get(0))?
            .collect::<rusqlite::Result<_>>()?;
        let mut stmt = conn.prepare_cached(&members)?;
        for key in keys {
            let group: Vec<Customer> = stmt
                .query_map([&key], store::from_row)?
                .collect::<rusqlite::Result<_>>()?;
            if group.len() > 1
                && !groups
                    .iter()
                    .any(|g: &Vec<Customer>| g.iter().map(|c| c.id).eq(group.iter().map(|c| c.id)))
            {
                groups.push(group);
            }
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
    let summary = Sentence::new("summary.customer_merged")
        .text("gone", &gone.name)
        .text("gone_number", &gone.number)
        .text("kept", &keep.name)
        .text("kept_number", &keep.number);
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
    let groups = duplicate_groups(ctx.conn, 50)?;
    let page = (
        Section::Customers,
        "/customers",
        "duplicates.customers_title",
    );
    let candidate = |c: Customer| Candidate {
        id: c.id.0,
        details: [
            c.number.as_str(),
            c.business_id.as_deref().unwrap_or(""),
            &c.email,
            &c.city,
        ]
        .join(" "),
        name: c.name,
    };
    // Administrators may also compare any two, by their numbers.
    let any_two = |f: &Frame| {
        html! {
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
        }
    };
    merge::duplicates_page(ctx, page, groups, candidate, any_two)
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::db;

    fn names(groups: &[Vec<Customer>]) -> Vec<Vec<String>> {
        groups
            .iter()
            .map(|g| g.iter().map(|c| c.name.clone()).collect())
            .collect()
    }

    #[test]
    fn the_duplicate_list_follows_creates_edits_and_deletes() {
        let dir = tempfile::tempdir().unwrap();
        let mut conn = db::open(&dir.path().join("d.db")).unwrap();
        let mut add = |name: &str, email: &str| {
            let input = CustomerInput {
                name: Some(name.into()),
                email: Some(email.into()),
                ..CustomerInput::default()
            };
            db::write(&mut conn, |tx| store::create(tx, &input, None)).unwrap()
        };
        let a = add("Alfa Oy", "info@alfa.fi");
        let b = add("Alfa Ab", "");
        let c = add("Beeta Oy", "INFO@alfa.fi");
        let d = add("Gamma Oy", "");
        assert_eq!(
            names(&duplicate_groups(&conn, 10).unwrap()),
            [vec!["Alfa Oy", "Alfa Ab"], vec!["Alfa Oy", "Beeta Oy"]]
        );
        // A rename makes a new pair and ends one; a changed address ends the other.
        let edit = |conn: &mut Connection, id, input: CustomerInput| {
            db::write(conn, |tx| store::update(tx, id, &input, None)).unwrap()
        };
        edit(
            &mut conn,
            b,
            CustomerInput {
                name: Some("Gamma Ky".into()),
                ..CustomerInput::default()
            },
        );
        edit(
            &mut conn,
            c,
            CustomerInput {
                email: Some("toinen@beeta.fi".into()),
                ..CustomerInput::default()
            },
        );
        assert_eq!(
            names(&duplicate_groups(&conn, 10).unwrap()),
            [vec!["Gamma Ky", "Gamma Oy"]]
        );
        db::write(&mut conn, |tx| store::delete(tx, d, None)).unwrap();
        assert!(duplicate_groups(&conn, 10).unwrap().is_empty());
        let keys: i64 = conn
            .query_row("SELECT count(*) FROM customer_duplicates", [], |r| r.get(0))
            .unwrap();
        assert_eq!(keys, 0);
        let _ = a;
    }
}

//! Duplicates: the list of likely duplicate customers, and the merge (admin) that
//! joins two into one. Everything that points at the one removed moves to the one kept:
//! contact links, tags, log events; empty fields of the kept one are filled from the other.

use maud::html;
use rusqlite::{params, Connection};

use super::list::Customers;
use super::store::{self, COLUMNS};
use super::{Customer, CustomerId, CustomerInput};
use crate::db::Tx;
use crate::error::{Error, Result};
use crate::http::form::Form;
use crate::http::{Ctx, Resp};
use crate::log::{EventKind, Sentence};
use crate::register::merge::{
    self, Candidate, Comparison, MergeField, MergeLog, Picks, ShownRow, GROUP_SIZE,
};
use crate::users::UserId;
use crate::views::{layout, tag_list, Frame, Section};

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
            let found: Vec<Customer> = stmt
                .query_map([&key], store::from_row)?
                .collect::<rusqlite::Result<_>>()?;
            for group in same_company(found) {
                if group.len() > 1
                    && !groups.iter().any(|g: &Vec<Customer>| {
                        g.iter().map(|c| c.id).eq(group.iter().map(|c| c.id))
                    })
                {
                    groups.push(group);
                }
            }
        }
    }
    Ok(groups)
}

/// A group of customers sharing a name or an e-mail address, split so that no group holds two
/// different business IDs: two companies with their own business IDs are two companies,
/// however alike their names. Customers without a business ID go with each of the others.
fn same_company(group: Vec<Customer>) -> Vec<Vec<Customer>> {
    let mut ids: Vec<&str> = group
        .iter()
        .filter_map(|c| c.business_id.as_deref())
        .collect();
    ids.sort_unstable();
    ids.dedup();
    if ids.len() <= 1 {
        return vec![group];
    }
    ids.iter()
        .map(|id| {
            group
                .iter()
                .filter(|c| c.business_id.as_deref().is_none_or(|b| b == *id))
                .cloned()
                .collect()
        })
        .collect()
}

/// The customer fields an administrator chooses between when merging, in the form's order:
/// (field, label key, value).
fn choices(c: &Customer) -> [(&'static str, &'static str, String); 12] {
    [
        ("name", "customers.name", c.name.clone()),
        (
            "business_id",
            "customers.business_id",
            c.business_id.clone().unwrap_or_default(),
        ),
        ("email", "customers.email", c.email.clone()),
        ("phone", "customers.phone", c.phone.clone()),
        ("website", "customers.website", c.website.clone()),
        ("street", "customers.street", c.street.clone()),
        (
            "postal_code",
            "customers.postal_code",
            c.postal_code.clone(),
        ),
        ("city", "customers.city", c.city.clone()),
        ("country", "customers.country", c.country.clone()),
        (
            "einvoice_address",
            "customers.einvoice_address",
            c.einvoice_address.clone(),
        ),
        (
            "einvoice_operator",
            "customers.einvoice_operator",
            c.einvoice_operator.clone(),
        ),
        (
            "owner_id",
            "customers.owner",
            c.owner_id.map(|o| o.to_string()).unwrap_or_default(),
        ),
    ]
}

/// The names of the fields chosen between.
const FIELDS: &[&str] = &[
    "name",
    "business_id",
    "email",
    "phone",
    "website",
    "street",
    "postal_code",
    "city",
    "country",
    "einvoice_address",
    "einvoice_operator",
    "owner_id",
];

/// Joins `loser` into `winner` with the values `picks` chooses, and removes `loser`. Two
/// customers with different business IDs are two companies: refused.
pub(crate) fn merge(
    tx: &Tx,
    winner: CustomerId,
    loser: CustomerId,
    by: Option<UserId>,
    picks: &Picks,
) -> Result<()> {
    if let (Some(a), Some(b)) = (
        store::by_id(tx, winner)?.and_then(|c| c.business_id),
        store::by_id(tx, loser)?.and_then(|c| c.business_id),
    ) {
        if a != b {
            return Err(Error::field("business_id", "merge.different_business_ids"));
        }
    }
    let (keep, gone) = merge::begin::<Customers>(tx, winner.0, loser.0, "contact_id")?;
    // The loser's business ID may move to the winner: free it first (it is unique).
    tx.execute(
        "UPDATE customers SET business_id = NULL WHERE id = ?1",
        [loser.0],
    )?;
    let (kept, removed) = (choices(&keep), choices(&gone));
    let value = |i: usize| -> Option<String> {
        let (field, _, kept) = &kept[i];
        Some(picks.value(field, kept, &removed[i].2))
    };
    let input = CustomerInput {
        name: value(0),
        business_id: value(1),
        email: value(2),
        phone: value(3),
        website: value(4),
        street: value(5),
        postal_code: value(6),
        city: value(7),
        country: value(8),
        einvoice_address: value(9),
        einvoice_operator: value(10),
        notes: merge::joined_notes(&keep.notes, &gone.notes),
        owner_id: Some(value(11).and_then(|o| o.parse().ok())),
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

pub(crate) fn merge_form(ctx: &mut Ctx) -> Result<Resp> {
    let (a, b) = pair(ctx)?;
    let owners = crate::users::store::users_page(ctx.conn, 500, 0)?;
    let frame = ctx.frame(Section::Customers);
    let f = &frame;
    let owner_name = |id: &str| -> String {
        owners
            .iter()
            .find(|u| u.id.0.to_string() == id)
            .map_or_else(|| id.to_string(), |u| u.name.clone())
    };
    let shown_value = |field: &str, value: String| -> String {
        match field {
            "owner_id" => owner_name(&value),
            "country" => super::countries::shown(f.lang, &value),
            "einvoice_operator" => super::einvoice::shown(&value),
            _ => value,
        }
    };
    let fields = choices(&a)
        .into_iter()
        .zip(choices(&b))
        .map(|((name, label, left), (_, _, right))| MergeField {
            name,
            label,
            a: shown_value(name, left),
            b: shown_value(name, right),
        })
        .collect();
    let text = |v: String| html! { (v) };
    let shown = vec![
        ShownRow {
            label: "customers.number",
            a: text(a.number.clone()),
            b: text(b.number.clone()),
        },
        ShownRow {
            label: "customers.tags",
            a: tag_list(&a.tags),
            b: tag_list(&b.tags),
        },
        ShownRow {
            label: "customers.notes",
            a: text(a.notes.clone()),
            b: text(b.notes.clone()),
        },
    ];
    let different = matches!((&a.business_id, &b.business_id), (Some(x), Some(y)) if x != y);
    let body = html! {
        h1 { (f.t("merge.title")) }
        @if different {
            p.form-error role="alert" { (f.t("merge.different_business_ids")) }
            ul.plain {
                @for c in [&a, &b] {
                    li { a href=(format!("/customers/{}", c.id.0)) { (c.name) } " " span.muted { (c.number) " " (c.business_id.as_deref().unwrap_or("")) } }
                }
            }
            p { a href="/customers/duplicates" { (f.t("merge.back")) } }
        } @else {
            (merge::merge_choice(f, &Comparison {
                path: "/customers",
                a: (a.id.0, &a.name),
                b: (b.id.0, &b.name),
                explain: "merge.explain",
                fields,
                shown,
            }))
        }
    };
    Ok(Resp::html(layout(f, f.t("merge.title"), body)))
}

pub(crate) fn merge_submit(ctx: &mut Ctx, form: Form) -> Result<Resp> {
    merge::submit(
        ctx,
        &form,
        ("/customers", FIELDS),
        |tx, kept, removed, by, picks| {
            merge(tx, CustomerId(kept), CustomerId(removed), Some(by), picks)
        },
    )
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

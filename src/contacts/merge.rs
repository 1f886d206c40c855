//! Duplicate contacts: the list (same e-mail, or the same name) and the merge (admin).

use maud::html;
use rusqlite::{params, Connection};

use super::list::Contacts;
use super::store::{self, COLUMNS};
use super::{Contact, ContactId, ContactInput};
use crate::db::Tx;
use crate::error::{Error, Result};
use crate::http::form::Form;
use crate::http::{Ctx, Resp};
use crate::log::{EventKind, Sentence};
use crate::register::merge::{
    self, Candidate, Comparison, MergeField, MergeLog, Picks, ShownRow, GROUP_SIZE,
};
use crate::users::UserId;
use crate::views::{layout, tag_list, Section};

/// Groups of contacts sharing an e-mail address or a full name, at most `limit` groups of
/// each, at most `GROUP_SIZE` contacts a group. The keys come from `contact_duplicates`,
/// which the triggers keep as contacts change: no scan of the register.
pub(crate) fn duplicate_groups(
    conn: &Connection,
    limit: i64,
) -> rusqlite::Result<Vec<Vec<Contact>>> {
    let members = |condition: &str| {
        format!(
            "SELECT {COLUMNS} FROM contacts p WHERE {condition} ORDER BY p.id LIMIT {GROUP_SIZE}"
        )
    };
    let mut groups: Vec<Vec<Contact>> = Vec::new();
    for (kind, members) in [
        (
            "email",
            members("p.email = ?1 COLLATE NOCASE AND p.email <> '' AND ?2 = ''"),
        ),
        (
            "name",
            members("p.last_name = ?1 COLLATE NOCASE AND p.first_name = ?2 COLLATE NOCASE"),
        ),
    ] {
        let keys: Vec<(String, String)> = conn
            .prepare_cached(
                "SELECT key, key2 FROM contact_duplicates WHERE kind = ?1 ORDER BY key, key2 LIMIT ?2",
            )?
            .query_map(params![kind, limit], |r| Ok((r.get(0)?, r.get(1)?)))?
            .collect::<rusqlite::Result<_>>()?;
        let mut stmt = conn.prepare_cached(&members)?;
        for (key, key2) in keys {
            let group: Vec<Contact> = stmt
                .query_map(params![key, key2], store::from_row)?
                .collect::<rusqlite::Result<_>>()?;
            if group.len() > 1
                && !groups
                    .iter()
                    .any(|g| g.iter().map(|c| c.id).eq(group.iter().map(|c| c.id)))
            {
                groups.push(group);
            }
        }
    }
    Ok(groups)
}

/// The contact fields an administrator chooses between when merging: (field, label key, value).
fn choices(p: &Contact) -> [(&'static str, &'static str, String); 5] {
    [
        ("first_name", "contacts.first_name", p.first_name.clone()),
        ("last_name", "contacts.last_name", p.last_name.clone()),
        ("email", "customers.email", p.email.clone()),
        ("phone", "customers.phone", p.phone.clone()),
        ("title", "contacts.title", p.title.clone()),
    ]
}

/// The names of the fields chosen between.
const FIELDS: &[&str] = &["first_name", "last_name", "email", "phone", "title"];

/// Joins `loser` into `winner` with the values `picks` chooses, and removes `loser`: the
/// winner gets the loser's customer links (with their roles), tags and log events.
pub(crate) fn merge(
    tx: &Tx,
    winner: ContactId,
    loser: ContactId,
    by: Option<UserId>,
    picks: &Picks,
) -> Result<()> {
    let (keep, gone) = merge::begin::<Contacts>(tx, winner.0, loser.0, "customer_id")?;
    let (kept, removed) = (choices(&keep), choices(&gone));
    let value = |i: usize| -> Option<String> {
        let (field, _, kept) = &kept[i];
        Some(picks.value(field, kept, &removed[i].2))
    };
    let input = ContactInput {
        first_name: value(0),
        last_name: value(1),
        email: value(2),
        phone: value(3),
        title: value(4),
        notes: merge::joined_notes(&keep.notes, &gone.notes),
        tags: Some(
            store::by_id(tx, winner)?
                .map(|c| c.tags)
                .unwrap_or_default(),
        ),
        customers: None,
    };
    store::update(tx, winner, &input, by)?;
    tx.execute("DELETE FROM contacts WHERE id = ?1", [loser.0])?;
    let summary = Sentence::new("summary.contact_merged")
        .text("gone", gone.full_name())
        .text("kept", keep.full_name());
    merge::log_merge(
        tx,
        MergeLog {
            deleted: EventKind::ContactDeleted,
            updated: EventKind::ContactUpdated,
            removed: loser.0,
            kept: winner.0,
            summary,
            search_text: format!("{} {}", keep.full_name(), gone.full_name()),
            by,
            at: &|event, id| event.contact_id = Some(id),
        },
    )
}

pub(crate) fn duplicates_page(ctx: &mut Ctx) -> Result<Resp> {
    let groups = duplicate_groups(ctx.conn, 50)?;
    let page = (Section::Contacts, "/contacts", "duplicates.contacts_title");
    let candidate = |p: Contact| Candidate {
        id: p.id.0,
        name: p.full_name(),
        details: format!("{} {}", p.email, p.phone),
    };
    merge::duplicates_page(ctx, page, groups, candidate, |_| html! {})
}

pub(crate) fn merge_form(ctx: &mut Ctx) -> Result<Resp> {
    let find = |id: &str| -> Result<Contact> {
        let id = id.parse::<i64>().map_err(|_| Error::NotFound)?;
        store::by_id(ctx.conn, ContactId(id))?.ok_or(Error::NotFound)
    };
    let (a, b) = (find(ctx.query.get("a"))?, find(ctx.query.get("b"))?);
    // The companies of each, by name: what tells two namesakes apart.
    let mut ids: Vec<i64> = [&a, &b]
        .iter()
        .flat_map(|p| p.customers.iter().map(|l| l.customer_id))
        .collect();
    ids.sort_unstable();
    ids.dedup();
    let names = crate::customers::store::names(ctx.conn, &ids)?;
    let frame = ctx.frame(Section::Contacts);
    let f = &frame;
    let companies = |p: &Contact| {
        html! {
            @if p.customers.is_empty() { span.muted { (f.t("contacts.no_customers")) } }
            ul.plain {
                @for l in &p.customers {
                    @if let Some((id, name, number)) = names.iter().find(|n| n.0 == l.customer_id) {
                        li {
                            a href=(format!("/customers/{id}")) { (name) } " " span.muted { (number) }
                            @if !l.role.is_empty() { " — " (l.role) }
                        }
                    }
                }
            }
        }
    };
    let fields = choices(&a)
        .into_iter()
        .zip(choices(&b))
        .map(|((name, label, left), (_, _, right))| MergeField {
            name,
            label,
            a: left,
            b: right,
        })
        .collect();
    let shown = vec![
        ShownRow {
            label: "contacts.customers",
            a: companies(&a),
            b: companies(&b),
        },
        ShownRow {
            label: "customers.tags",
            a: tag_list(&a.tags),
            b: tag_list(&b.tags),
        },
        ShownRow {
            label: "customers.notes",
            a: html! { (a.notes) },
            b: html! { (b.notes) },
        },
    ];
    let body = html! {
        h1 { (f.t("merge.contacts_title")) }
        (merge::merge_choice(f, &Comparison {
            path: "/contacts",
            a: (a.id.0, &a.full_name()),
            b: (b.id.0, &b.full_name()),
            explain: "merge.contacts_explain",
            fields,
            shown,
        }))
    };
    Ok(Resp::html(layout(f, f.t("merge.contacts_title"), body)))
}

pub(crate) fn merge_submit(ctx: &mut Ctx, form: Form) -> Result<Resp> {
    merge::submit(
        ctx,
        &form,
        ("/contacts", FIELDS),
        |tx, kept, removed, by, picks| {
            merge(tx, ContactId(kept), ContactId(removed), Some(by), picks)
        },
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::contacts::store;
    use crate::contacts::Link;
    use crate::customers::merge as customer_merge;
    use crate::customers::{store as customers, CustomerInput};
    use crate::db;

    #[test]
    fn merging_contacts_joins_their_customers_and_events() {
        let dir = tempfile::tempdir().unwrap();
        let mut conn = crate::db::open(&dir.path().join("m.db")).unwrap();
        let company = |conn: &mut Connection, name: &str| {
            let input = CustomerInput {
                name: Some(name.into()),
                ..Default::default()
            };
            db::write(conn, |tx| customers::create(tx, &input, None)).unwrap()
        };
        let a = company(&mut conn, "Alfa Oy");
        let b = company(&mut conn, "Beta Oy");
        let one = ContactInput {
            first_name: Some("Maija".into()),
            last_name: Some("Mäki".into()),
            customers: Some(vec![Link {
                customer_id: a.0,
                role: "CEO".into(),
            }]),
            ..Default::default()
        };
        let two = ContactInput {
            first_name: Some("maija".into()),
            last_name: Some("mäki".into()),
            email: Some("maija@beta.fi".into()),
            tags: Some(vec!["Päättäjä".into()]),
            customers: Some(vec![Link {
                customer_id: b.0,
                role: "Hallitus".into(),
            }]),
            ..Default::default()
        };
        let keep = db::write(&mut conn, |tx| store::create(tx, &one, None)).unwrap();
        let gone = db::write(&mut conn, |tx| store::create(tx, &two, None)).unwrap();
        assert_eq!(duplicate_groups(&conn, 10).unwrap().len(), 1);
        db::write(&mut conn, |tx| {
            merge(tx, keep, gone, None, &Picks::default())
        })
        .unwrap();
        let kept = store::by_id(&conn, keep).unwrap().unwrap();
        assert_eq!(kept.email, "maija@beta.fi");
        assert_eq!(kept.customers.len(), 2);
        assert_eq!(kept.customer_names, ["Alfa Oy", "Beta Oy"]);
        assert_eq!(kept.tags, ["Päättäjä"]);
        assert!(store::by_id(&conn, gone).unwrap().is_none());
        let left: Vec<String> = crate::log::store::for_contact(&conn, gone.0, 10, 0)
            .unwrap()
            .into_iter()
            .map(|e| e.kind)
            .collect();
        assert_eq!(left, ["contact.deleted"]);
        assert!(duplicate_groups(&conn, 10).unwrap().is_empty());
    }

    #[test]
    fn merging_customers_moves_contact_links_tags_and_events_and_fills_empty_fields() {
        let dir = tempfile::tempdir().unwrap();
        let mut conn = crate::db::open(&dir.path().join("m.db")).unwrap();
        let a = CustomerInput {
            name: Some("Äijälä Oy".into()),
            tags: Some(vec!["VIP".into()]),
            ..Default::default()
        };
        let b = CustomerInput {
            name: Some("Aijala".into()),
            business_id: Some("0112038-9".into()),
            phone: Some("09 123 456".into()),
            tags: Some(vec!["Tampere".into()]),
            ..Default::default()
        };
        let keep = db::write(&mut conn, |tx| customers::create(tx, &a, None)).unwrap();
        let gone = db::write(&mut conn, |tx| customers::create(tx, &b, None)).unwrap();
        assert_eq!(
            customer_merge::duplicate_groups(&conn, 10).unwrap().len(),
            1
        );
        let person = ContactInput {
            last_name: Some("Virtanen".into()),
            customers: Some(vec![Link {
                customer_id: gone.0,
                role: "CEO".into(),
            }]),
            ..Default::default()
        };
        let p = db::write(&mut conn, |tx| store::create(tx, &person, None)).unwrap();
        db::write(&mut conn, |tx| {
            customer_merge::merge(tx, keep, gone, None, &Picks::default())
        })
        .unwrap();
        let kept = customers::by_id(&conn, keep).unwrap().unwrap();
        assert_eq!(kept.business_id.as_deref(), Some("0112038-9"));
        assert_eq!(kept.phone, "09 123 456");
        assert_eq!(kept.tags, ["Tampere", "VIP"]);
        assert!(customers::by_id(&conn, gone).unwrap().is_none());
        let person = store::by_id(&conn, p).unwrap().unwrap();
        assert_eq!(
            person.customers,
            vec![Link {
                customer_id: keep.0,
                role: "CEO".into()
            }]
        );
        assert_eq!(person.customer_names, ["Äijälä Oy"]);
        let events = crate::log::store::for_customer(&conn, gone.0, 50, 0).unwrap();
        let kinds: Vec<&str> = events.iter().map(|e| e.kind.as_str()).collect();
        assert_eq!(
            kinds,
            ["customer.deleted"],
            "every earlier event of the removed customer moved"
        );
        let moved = crate::log::store::for_customer(&conn, keep.0, 50, 0).unwrap();
        assert!(moved
            .iter()
            .any(|e| e.summary.contains("Aijala") && e.kind == "customer.created"));
        assert_eq!(moved[0].kind, "customer.updated");
        assert!(
            moved[0].summary.contains("yhdistettiin"),
            "{}",
            moved[0].summary
        );
        assert!(customer_merge::duplicate_groups(&conn, 10)
            .unwrap()
            .is_empty());
        assert!(db::write(&mut conn, |tx| customer_merge::merge(
            tx,
            keep,
            keep,
            None,
            &Picks::default()
        ))
        .is_err());
    }
}

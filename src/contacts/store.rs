//! SQL for contacts and their links to customers, each change with its log event.

use std::collections::HashMap;

use rusqlite::{params, Connection, OptionalExtension, Row};

use super::list::Contacts;
use super::{Contact, ContactId, ContactInput, Link};
use crate::customers::store as customers;
use crate::customers::CustomerId;
use crate::db::Tx;
use crate::error::{check_email, text_error, valid, Error, FieldError, Result};
use crate::log::{self, Change, EventKind, NewEvent, Sentence};
use crate::register::form::{pick, pick_notes, pick_tags};
use crate::register::list;
use crate::register::tags::{self, Tagged};
use crate::users::UserId;

/// A contact's columns for `from_row`. Its tags and customers are the copies on its own row
/// (schema.sql, `contacts`), so a list page reads nothing else per contact.
pub(super) const COLUMNS: &str = "p.id, p.first_name, p.last_name, p.email, p.phone, p.title, p.notes, p.created_at, p.updated_at, \
    p.tag_names, p.customer_links";

pub(super) fn from_row(r: &Row) -> rusqlite::Result<Contact> {
    let links: String = r.get(10)?;
    // Each link is `customer_id char(30) role char(30) customer name`.
    let mut links: Vec<(Link, String)> = links
        .split('\u{1f}')
        .filter_map(|l| {
            let mut parts = l.splitn(3, '\u{1e}');
            let link = Link {
                customer_id: parts.next()?.parse().ok()?,
                role: parts.next()?.to_string(),
            };
            Some((link, parts.next()?.to_string()))
        })
        .collect();
    links.sort_by_key(|(l, _)| l.customer_id);
    let (customers, customer_names) = links.into_iter().unzip();
    Ok(Contact {
        id: ContactId(r.get(0)?),
        first_name: r.get(1)?,
        last_name: r.get(2)?,
        email: r.get(3)?,
        phone: r.get(4)?,
        title: r.get(5)?,
        notes: r.get(6)?,
        created_at: r.get(7)?,
        updated_at: r.get(8)?,
        tags: tags::split_names(r.get_ref(9)?.as_str()?),
        customers,
        customer_names,
    })
}

pub(crate) fn by_id(conn: &Connection, id: ContactId) -> rusqlite::Result<Option<Contact>> {
    list::by_id::<Contacts>(conn, id.0)
}

/// The first contact with this e-mail address, for imports that update by e-mail.
pub(crate) fn by_email(conn: &Connection, email: &str) -> rusqlite::Result<Option<Contact>> {
    let condition = "p.email <> '' AND p.email = ?1 COLLATE NOCASE";
    list::find_one::<Contacts>(conn, condition, email.trim())
}

/// A contact's fields after validation.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Fields {
    pub first_name: String,
    pub last_name: String,
    pub email: String,
    pub phone: String,
    pub title: String,
    pub notes: String,
    pub tags: Vec<String>,
}

impl Fields {
    pub(crate) fn full_name(&self) -> String {
        format!("{} {}", self.first_name, self.last_name)
            .trim()
            .to_string()
    }
}

pub(crate) const ROLE_MAX: usize = 100;
/// The most customers one contact may be linked to; a longer list is refused before any of it
/// is looked at.
pub(crate) const MAX_LINKS: usize = 100;

/// Refuses a list of links over [`MAX_LINKS`], before anything loops over it.
pub(crate) fn check_link_count(links: &[Link]) -> Result<()> {
    if links.len() > MAX_LINKS {
        return Err(Error::field("customers", "contacts.too_many_customers"));
    }
    Ok(())
}

pub(crate) fn validate(input: &ContactInput, base: Option<&Contact>) -> Result<Fields> {
    let mut errors = Vec::new();
    let fields = Fields {
        first_name: pick(&input.first_name, base.map(|b| b.first_name.as_str())),
        last_name: pick(&input.last_name, base.map(|b| b.last_name.as_str())),
        email: pick(&input.email, base.map(|b| b.email.as_str())),
        phone: pick(&input.phone, base.map(|b| b.phone.as_str())),
        title: pick(&input.title, base.map(|b| b.title.as_str())),
        notes: pick_notes(&input.notes, base.map(|b| b.notes.as_str())),
        tags: pick_tags(&input.tags, base.map(|b| b.tags.as_slice()), &mut errors),
    };
    if fields.first_name.is_empty() && fields.last_name.is_empty() {
        errors.push(FieldError {
            field: "last_name",
            key: "contacts.name_required",
        });
    }
    // Every text field with its largest length; only the notes are many lines.
    for (field, value, max, many_lines) in [
        ("first_name", &fields.first_name, 100, false),
        ("last_name", &fields.last_name, 100, false),
        ("email", &fields.email, 254, false),
        ("phone", &fields.phone, 50, false),
        ("title", &fields.title, 100, false),
        ("notes", &fields.notes, 10_000, true),
    ] {
        errors.extend(text_error(field, value, max, many_lines));
    }
    check_email(&mut errors, "email", &fields.email);
    valid(fields, errors)
}

fn event(
    kind: EventKind,
    summary: Sentence,
    id: ContactId,
    name: &str,
    customer: Option<(i64, &str)>,
    by: Option<UserId>,
) -> NewEvent {
    let mut e = NewEvent::said(kind, summary);
    e.contact_id = Some(id.0);
    e.user_id = by.map(|u| u.0);
    e.search_text = name.to_string();
    if let Some((cid, cname)) = customer {
        e.customer_id = Some(cid);
        e.search_text = format!("{name} {cname}");
    }
    e
}

/// Creates a contact (with its links, if given) and logs it.
pub(crate) fn create(tx: &Tx, input: &ContactInput, by: Option<UserId>) -> Result<ContactId> {
    let links = input.customers.clone().unwrap_or_default();
    check_link_count(&links)?;
    let fields = validate(input, None)?;
    for link in &links {
        check_link(tx, link)?;
    }
    let now = crate::now_rfc3339();
    tx.prepare_cached("INSERT INTO contacts (first_name, last_name, email, phone, title, notes, created_at, updated_at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?7)")?
        .execute(params![fields.first_name, fields.last_name, fields.email, fields.phone, fields.title, fields.notes, now])?;
    let id = ContactId(tx.last_insert_rowid());
    tags::set(tx, Tagged::Contact, id.0, &fields.tags)?;
    let name = fields.full_name();
    let first = links.first().map(|l| l.customer_id);
    let first_name = first
        .and_then(|c| customers::names(tx, &[c]).ok())
        .and_then(|n| n.into_iter().next())
        .map(|n| n.1);
    let summary = Sentence::new("summary.contact_created").text("name", &name);
    log::append(
        tx,
        &event(
            EventKind::ContactCreated,
            summary,
            id,
            &name,
            first.zip(first_name.as_deref()),
            by,
        ),
    )?;
    for link in &links {
        self::link(tx, CustomerId(link.customer_id), id, &link.role, by)?;
    }
    Ok(id)
}

/// The rules of one link: a short role without control characters, to a customer that exists.
pub(crate) fn check_link(conn: &Connection, link: &Link) -> Result<()> {
    if link.role.trim().chars().count() > ROLE_MAX {
        return Err(Error::field("role", "form.too_long"));
    }
    if link.role.chars().any(char::is_control) {
        return Err(Error::field("role", "form.control_chars"));
    }
    if customers::by_id(conn, CustomerId(link.customer_id))?.is_none() {
        return Err(Error::field("customer_id", "contacts.customer_missing"));
    }
    Ok(())
}

/// Changes a contact (only the given fields) and logs what changed.
pub(crate) fn update(
    tx: &Tx,
    id: ContactId,
    input: &ContactInput,
    by: Option<UserId>,
) -> Result<()> {
    let before = by_id(tx, id)?.ok_or(Error::NotFound)?;
    let fields = validate(input, Some(&before))?;
    tx.prepare_cached("UPDATE contacts SET first_name = ?2, last_name = ?3, email = ?4, phone = ?5, title = ?6, notes = ?7,
            updated_at = ?8 WHERE id = ?1")?
        .execute(params![id.0, fields.first_name, fields.last_name, fields.email, fields.phone, fields.title, fields.notes, crate::now_rfc3339()])?;
    if fields.tags != before.tags {
        tags::set(tx, Tagged::Contact, id.0, &fields.tags)?;
    }
    let mut changes = Vec::new();
    let mut changed = |label: &str, from: &str, to: &str| {
        if from != to {
            changes.push(Change::value(label, from, to));
        }
    };
    changed(
        "contacts.first_name",
        &before.first_name,
        &fields.first_name,
    );
    changed("contacts.last_name", &before.last_name, &fields.last_name);
    changed("customers.email", &before.email, &fields.email);
    changed("customers.phone", &before.phone, &fields.phone);
    changed("contacts.title", &before.title, &fields.title);
    changed(
        "customers.tags",
        &before.tags.join(", "),
        &fields.tags.join(", "),
    );
    if before.notes != fields.notes {
        changes.push(Change::edited("customers.notes"));
    }
    if !changes.is_empty() {
        let name = fields.full_name();
        let summary = Sentence::new("summary.contact_updated")
            .text("name", &name)
            .changes("changes", changes);
        log::append(
            tx,
            &event(EventKind::ContactUpdated, summary, id, &name, None, by),
        )?;
    }
    Ok(())
}

/// Deletes a contact; its links go with it, its log events stay.
pub(crate) fn delete(tx: &Tx, id: ContactId, by: Option<UserId>) -> Result<()> {
    let before = by_id(tx, id)?.ok_or(Error::NotFound)?;
    let name = before.full_name();
    let summary = Sentence::new("summary.contact_deleted").text("name", &name);
    // One event in the log of each customer the contact belonged to (or one on its own).
    if before.customers.is_empty() {
        log::append(
            tx,
            &event(
                EventKind::ContactDeleted,
                summary.clone(),
                id,
                &name,
                None,
                by,
            ),
        )?;
    }
    for (l, cname) in before.customers.iter().zip(&before.customer_names) {
        log::append(
            tx,
            &event(
                EventKind::ContactDeleted,
                summary.clone(),
                id,
                &name,
                Some((l.customer_id, cname)),
                by,
            ),
        )?;
    }
    tx.execute("DELETE FROM contacts WHERE id = ?1", [id.0])?;
    Ok(())
}

/// Links a contact to a customer with a role, or changes the role of an existing link.
pub(crate) fn link(
    tx: &Tx,
    customer: CustomerId,
    contact: ContactId,
    role: &str,
    by: Option<UserId>,
) -> Result<()> {
    let role = role.trim();
    let person = by_id(tx, contact)?.ok_or(Error::NotFound)?;
    let company = customers::by_id(tx, customer)?.ok_or(Error::NotFound)?;
    check_link(
        tx,
        &Link {
            customer_id: customer.0,
            role: role.to_string(),
        },
    )?;
    let old: Option<String> = tx
        .query_row(
            "SELECT role FROM customer_contacts WHERE customer_id = ?1 AND contact_id = ?2",
            params![customer.0, contact.0],
            |r| r.get(0),
        )
        .optional()?;
    if old.as_deref() == Some(role) {
        return Ok(());
    }
    tx.prepare_cached(
        "INSERT INTO customer_contacts (customer_id, contact_id, role) VALUES (?1, ?2, ?3)
         ON CONFLICT (customer_id, contact_id) DO UPDATE SET role = excluded.role",
    )?
    .execute(params![customer.0, contact.0, role])?;
    let name = person.full_name();
    let role_text = if role.is_empty() { "—" } else { role };
    let summary = match &old {
        None => Sentence::new("summary.contact_linked")
            .text("name", &name)
            .text("customer", &company.name)
            .text("role", role_text),
        Some(old) => Sentence::new("summary.contact_role_changed")
            .text("name", &name)
            .text("customer", &company.name)
            .text("from", if old.is_empty() { "—" } else { old })
            .text("to", role_text),
    };
    let kind = if old.is_none() {
        EventKind::ContactLinked
    } else {
        EventKind::ContactUpdated
    };
    log::append(
        tx,
        &event(
            kind,
            summary,
            contact,
            &name,
            Some((customer.0, &company.name)),
            by,
        ),
    )?;
    Ok(())
}

pub(crate) fn unlink(
    tx: &Tx,
    customer: CustomerId,
    contact: ContactId,
    by: Option<UserId>,
) -> Result<()> {
    let person = by_id(tx, contact)?.ok_or(Error::NotFound)?;
    let company = customers::by_id(tx, customer)?.ok_or(Error::NotFound)?;
    // The role goes with the link; the log keeps it, so an unlink can be undone by hand.
    let role = person
        .customers
        .iter()
        .find(|l| l.customer_id == customer.0)
        .map(|l| l.role.clone())
        .ok_or(Error::NotFound)?;
    tx.execute(
        "DELETE FROM customer_contacts WHERE customer_id = ?1 AND contact_id = ?2",
        params![customer.0, contact.0],
    )?;
    let name = person.full_name();
    let summary = if role.is_empty() {
        Sentence::new("summary.contact_unlinked")
    } else {
        Sentence::new("summary.contact_unlinked_role").text("role", &role)
    }
    .text("name", &name)
    .text("customer", &company.name);
    log::append(
        tx,
        &event(
            EventKind::ContactUnlinked,
            summary,
            contact,
            &name,
            Some((customer.0, &company.name)),
            by,
        ),
    )?;
    Ok(())
}

/// A customer's contacts with their roles, by name.
pub(crate) fn of_customer(
    conn: &Connection,
    customer: CustomerId,
) -> rusqlite::Result<Vec<(Contact, String)>> {
    conn.prepare_cached(&format!(
        "SELECT {COLUMNS}, cc.role FROM customer_contacts cc JOIN contacts p ON p.id = cc.contact_id
         WHERE cc.customer_id = ?1 ORDER BY p.last_name COLLATE NOCASE, p.first_name COLLATE NOCASE LIMIT 1000"
    ))?
    .query_map([customer.0], |r| Ok((from_row(r)?, r.get(11)?)))?
    .collect()
}

/// Makes `links` the contact's links; a customer listed twice keeps the last role given.
pub(crate) fn set_links(
    tx: &Tx,
    contact: ContactId,
    links: &[Link],
    by: Option<UserId>,
) -> Result<()> {
    check_link_count(links)?;
    for wanted in links {
        if customers::by_id(tx, CustomerId(wanted.customer_id))?.is_none() {
            return Err(Error::field("customer_id", "contacts.customer_missing"));
        }
    }
    // The last role given for each customer wins.
    let mut last: HashMap<i64, usize> = HashMap::with_capacity(links.len());
    for (i, wanted) in links.iter().enumerate() {
        last.insert(wanted.customer_id, i);
    }
    let before = by_id(tx, contact)?.ok_or(Error::NotFound)?;
    for old in &before.customers {
        if !last.contains_key(&old.customer_id) {
            unlink(tx, CustomerId(old.customer_id), contact, by)?;
        }
    }
    for (i, wanted) in links.iter().enumerate() {
        if last.get(&wanted.customer_id) != Some(&i) {
            continue;
        }
        link(
            tx,
            CustomerId(wanted.customer_id),
            contact,
            &wanted.role,
            by,
        )?;
    }
    Ok(())
}

/// Contacts that look like a new one: the same e-mail, or the same name at one of the same
/// customers.
pub(crate) fn look_alikes(
    conn: &Connection,
    fields: &Fields,
    customers: &[i64],
    except: Option<ContactId>,
) -> rusqlite::Result<Vec<Contact>> {
    let mut found: Vec<Contact> = Vec::new();
    if !fields.email.is_empty() {
        let mut stmt = conn.prepare_cached(&format!(
            "SELECT {COLUMNS} FROM contacts p WHERE p.email <> '' AND p.email = ?1 COLLATE NOCASE LIMIT 10"
        ))?;
        for c in stmt.query_map([&fields.email], from_row)? {
            found.push(c?);
        }
    }
    // Names are compared in Rust: SQLite's NOCASE folds only ASCII, and `ÅSA MÄKELÄ` is
    // the same name as `Åsa Mäkelä`.
    let same = |a: &str, b: &str| a.to_lowercase() == b.to_lowercase();
    for customer in customers {
        for (c, _) in of_customer(conn, CustomerId(*customer))? {
            if same(&c.first_name, &fields.first_name) && same(&c.last_name, &fields.last_name) {
                found.push(c);
            }
        }
    }
    found.retain(|c| Some(c.id) != except);
    found.sort_by_key(|c| c.id);
    found.dedup_by_key(|c| c.id);
    Ok(found)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::customers::CustomerInput;

    fn company(conn: &mut Connection, name: &str) -> CustomerId {
        let input = CustomerInput {
            name: Some(name.into()),
            ..CustomerInput::default()
        };
        crate::db::write(conn, |tx| customers::create(tx, &input, None)).unwrap()
    }

    /// A contact's row keeps copies of its tags and of its customers' ids, roles and names
    /// (what its list row shows) through every kind of change.
    #[test]
    fn a_contacts_row_keeps_its_tags_and_customers_as_they_change() {
        let (_d, mut conn) = crate::db::temporary();
        let a = company(&mut conn, "Alfa Oy");
        let b = company(&mut conn, "Beta Oy");
        let input = ContactInput {
            last_name: Some("Mäki".into()),
            tags: Some(vec!["VIP".into()]),
            customers: Some(vec![Link {
                customer_id: a.0,
                role: "CEO".into(),
            }]),
            ..ContactInput::default()
        };
        let id = crate::db::write(&mut conn, |tx| create(tx, &input, None)).unwrap();
        let seen = |conn: &Connection| {
            let c = by_id(conn, id).unwrap().unwrap();
            let links: Vec<(i64, String, String)> = c
                .customers
                .iter()
                .zip(&c.customer_names)
                .map(|(l, n)| (l.customer_id, l.role.clone(), n.clone()))
                .collect();
            (c.tags, links)
        };
        let row = |a: CustomerId, role: &str, name: &str| (a.0, role.to_string(), name.to_string());
        assert_eq!(
            seen(&conn),
            (vec!["VIP".into()], vec![row(a, "CEO", "Alfa Oy")])
        );

        let tags = ContactInput {
            tags: Some(vec!["VIP".into(), "Päättäjä".into()]),
            ..ContactInput::default()
        };
        crate::db::write(&mut conn, |tx| update(tx, id, &tags, None)).unwrap();
        crate::db::write(&mut conn, |tx| link(tx, b, id, "Hallitus", None)).unwrap();
        crate::db::write(&mut conn, |tx| link(tx, a, id, "Puheenjohtaja", None)).unwrap();
        assert_eq!(
            seen(&conn),
            (
                vec!["Päättäjä".into(), "VIP".into()],
                vec![
                    row(a, "Puheenjohtaja", "Alfa Oy"),
                    row(b, "Hallitus", "Beta Oy")
                ]
            )
        );

        let rename = CustomerInput {
            name: Some("Alfa Group Oy".into()),
            ..CustomerInput::default()
        };
        crate::db::write(&mut conn, |tx| customers::update(tx, a, &rename, None)).unwrap();
        assert_eq!(seen(&conn).1[0], row(a, "Puheenjohtaja", "Alfa Group Oy"));
        crate::db::write(&mut conn, |tx| customers::delete(tx, b, None)).unwrap();
        let untagged = ContactInput {
            tags: Some(vec![]),
            ..ContactInput::default()
        };
        crate::db::write(&mut conn, |tx| update(tx, id, &untagged, None)).unwrap();
        assert_eq!(
            seen(&conn),
            (vec![], vec![row(a, "Puheenjohtaja", "Alfa Group Oy")])
        );
        crate::db::write(&mut conn, |tx| unlink(tx, a, id, None)).unwrap();
        let copies: (String, String) = conn
            .query_row(
                "SELECT tag_names, customer_links FROM contacts WHERE id = ?1",
                [id.0],
                |r| Ok((r.get(0)?, r.get(1)?)),
            )
            .unwrap();
        assert_eq!(copies, (String::new(), String::new()));
    }

    #[test]
    fn one_contact_belongs_to_two_customers_with_different_roles() {
        let (_d, mut conn) = crate::db::temporary();
        let a = company(&mut conn, "Alfa Oy");
        let b = company(&mut conn, "Beta Oy");
        let input = ContactInput {
            first_name: Some("Maija".into()),
            last_name: Some("Meikäläinen".into()),
            customers: Some(vec![Link {
                customer_id: a.0,
                role: "Toimitusjohtaja".into(),
            }]),
            ..ContactInput::default()
        };
        let id = crate::db::write(&mut conn, |tx| create(tx, &input, None)).unwrap();
        crate::db::write(&mut conn, |tx| link(tx, b, id, "Hallituksen jäsen", None)).unwrap();
        let c = by_id(&conn, id).unwrap().unwrap();
        assert_eq!(
            c.customers,
            vec![
                Link {
                    customer_id: a.0,
                    role: "Toimitusjohtaja".into()
                },
                Link {
                    customer_id: b.0,
                    role: "Hallituksen jäsen".into()
                }
            ]
        );
        assert_eq!(of_customer(&conn, b).unwrap()[0].1, "Hallituksen jäsen");
        crate::db::write(&mut conn, |tx| {
            link(tx, a, id, "Hallituksen puheenjohtaja", None)
        })
        .unwrap();
        crate::db::write(&mut conn, |tx| unlink(tx, b, id, None)).unwrap();
        let c = by_id(&conn, id).unwrap().unwrap();
        assert_eq!(
            c.customers,
            vec![Link {
                customer_id: a.0,
                role: "Hallituksen puheenjohtaja".into()
            }]
        );
        let kinds: Vec<String> = log::store::newest(&conn, 10, 0)
            .unwrap()
            .into_iter()
            .map(|e| e.kind)
            .collect();
        assert_eq!(
            kinds[..4],
            [
                "contact.unlinked",
                "contact.updated",
                "contact.linked",
                "contact.linked"
            ]
        );
        let linked = &log::store::newest(&conn, 10, 0).unwrap()[2];
        assert!(
            linked.summary.contains("Hallituksen jäsen"),
            "{}",
            linked.summary
        );
        assert_eq!(linked.customer_id, Some(b.0));
    }

    #[test]
    fn a_contact_needs_a_name() {
        let err = validate(
            &ContactInput {
                email: Some("a@b.fi".into()),
                ..ContactInput::default()
            },
            None,
        )
        .unwrap_err();
        assert_eq!(err.fields()[0].field, "last_name");
    }

    #[test]
    fn look_alikes_by_email_or_name_at_the_same_customer() {
        let (_d, mut conn) = crate::db::temporary();
        let a = company(&mut conn, "Alfa Oy");
        let input = ContactInput {
            first_name: Some("Matti".into()),
            last_name: Some("Virtanen".into()),
            email: Some("matti@alfa.fi".into()),
            customers: Some(vec![Link {
                customer_id: a.0,
                role: String::new(),
            }]),
            ..ContactInput::default()
        };
        crate::db::write(&mut conn, |tx| create(tx, &input, None)).unwrap();
        let same_mail = validate(
            &ContactInput {
                last_name: Some("Other".into()),
                email: Some("MATTI@alfa.fi".into()),
                ..ContactInput::default()
            },
            None,
        )
        .unwrap();
        assert_eq!(look_alikes(&conn, &same_mail, &[], None).unwrap().len(), 1);
        let same_name = validate(
            &ContactInput {
                first_name: Some("matti".into()),
                last_name: Some("virtanen".into()),
                ..ContactInput::default()
            },
            None,
        )
        .unwrap();
        assert_eq!(
            look_alikes(&conn, &same_name, &[a.0], None).unwrap().len(),
            1
        );
        assert_eq!(
            look_alikes(&conn, &same_name, &[], None).unwrap().len(),
            0,
            "same name elsewhere is fine"
        );
    }
}

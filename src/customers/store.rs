//! SQL for customers: validation, create/update/delete with their log events, the list query,
//! duplicate finding and numbering.

use rusqlite::{params, Connection, Row};

use super::list::Customers;
use super::validate::{validate, Fields};
use super::{name_key, BusinessId, Customer, CustomerId, CustomerInput};
use crate::db::Tx;
use crate::error::{has_control, Error, FieldError, Result};
use crate::log::{self, Change, EventKind, NewEvent, Sentence};
use crate::register::list;
use crate::register::tags::{self, Tagged};
use crate::users::UserId;

/// Where assigned numbers start when the register is empty.
pub(crate) const FIRST_NUMBER: i64 = 1001;
/// Imported numbers at or above this stay out of the running series.
const MAX_SEQ: i64 = 1_000_000_000;

/// A customer's columns for `from_row`. Its tags are the copy on its own row (schema.sql,
/// `customers.tag_names`), so a list page reads nothing else per customer.
pub(super) const COLUMNS: &str = "c.id, c.number, c.name, c.business_id, c.email, c.phone, c.website, c.street, \
    c.postal_code, c.city, c.country, c.einvoice_address, c.einvoice_operator, c.notes, c.owner_id, \
    c.archived, c.created_at, c.updated_at, c.tag_names";

pub(super) fn from_row(r: &Row) -> rusqlite::Result<Customer> {
    Ok(Customer {
        id: CustomerId(r.get(0)?),
        number: r.get(1)?,
        name: r.get(2)?,
        business_id: r.get(3)?,
        email: r.get(4)?,
        phone: r.get(5)?,
        website: r.get(6)?,
        street: r.get(7)?,
        postal_code: r.get(8)?,
        city: r.get(9)?,
        country: r.get(10)?,
        einvoice_address: r.get(11)?,
        einvoice_operator: r.get(12)?,
        notes: r.get(13)?,
        owner_id: r.get(14)?,
        archived: r.get(15)?,
        created_at: r.get(16)?,
        updated_at: r.get(17)?,
        tags: tags::split_names(r.get_ref(18)?.as_str()?),
    })
}

pub(crate) fn by_id(conn: &Connection, id: CustomerId) -> rusqlite::Result<Option<Customer>> {
    list::by_id::<Customers>(conn, id.0)
}

pub(crate) fn by_number(conn: &Connection, number: &str) -> rusqlite::Result<Option<Customer>> {
    list::find_one::<Customers>(conn, "c.number = ?1", number.trim())
}

pub(crate) fn by_business_id(
    conn: &Connection,
    id: &BusinessId,
) -> rusqlite::Result<Option<Customer>> {
    list::find_one::<Customers>(conn, "c.business_id = ?1", id.as_str())
}

/// A conflict unless the business ID is free for customer `this` (none: a new customer).
pub(crate) fn check_business_id_free(
    conn: &Connection,
    bid: &BusinessId,
    this: Option<CustomerId>,
) -> Result<()> {
    match by_business_id(conn, bid)? {
        Some(other) if Some(other.id) != this => Err(Error::Conflict {
            key: "customers.business_id_taken",
            fields: vec![FieldError {
                field: "business_id",
                key: "customers.business_id_taken",
            }],
        }),
        _ => Ok(()),
    }
}

/// Checks what only the database can tell: a unique business ID and an existing owner.
fn check_against_db(tx: &Tx, fields: &Fields, this: Option<CustomerId>) -> Result<()> {
    if let Some(bid) = &fields.business_id {
        check_business_id_free(tx, bid, this)?;
    }
    if let Some(owner) = fields.owner_id {
        if crate::users::store::user_by_id(tx, UserId(owner))?.is_none() {
            return Err(Error::field("owner_id", "customers.owner_invalid"));
        }
    }
    Ok(())
}

/// The next free number: the settings' prefix and one more than the largest ever assigned.
/// The high-water mark is kept in `settings`, so a deleted customer's number is never given
/// to another (the log still names it).
fn next_number(tx: &Tx, prefix: &str) -> rusqlite::Result<(String, i64)> {
    let mut seq: i64 = tx
        .prepare_cached(
            "SELECT max(coalesce((SELECT max(number_seq) FROM customers), ?1 - 1),
                    coalesce((SELECT CAST(value AS INTEGER) FROM settings WHERE key = 'customer_number_last'), 0)) + 1",
        )?
        .query_row([FIRST_NUMBER], |r| r.get(0))?;
    // A number typed in by hand (an import) may already hold the text; step past it.
    let mut taken =
        tx.prepare_cached("SELECT EXISTS (SELECT 1 FROM customers WHERE number = ?1)")?;
    while taken.query_row([format!("{prefix}{seq}")], |r| r.get::<_, bool>(0))? {
        seq += 1;
    }
    Ok((format!("{prefix}{seq}"), seq))
}

/// Creates a customer and logs it. `input.number` keeps an imported number; otherwise the
/// next running number is assigned.
pub fn create(tx: &Tx, input: &CustomerInput, by: Option<UserId>) -> Result<CustomerId> {
    let fields = validate(input, None)?;
    check_against_db(tx, &fields, None)?;
    let prefix = crate::settings::customer_number_prefix(tx)?;
    let (number, seq) = match input
        .number
        .as_deref()
        .map(str::trim)
        .filter(|n| !n.is_empty())
    {
        Some(n) => {
            if n.chars().count() > 30 {
                return Err(Error::field("number", "form.too_long"));
            }
            if has_control(n) {
                return Err(Error::field("number", "form.control_chars"));
            }
            if by_number(tx, n)?.is_some() {
                return Err(Error::Conflict {
                    key: "customers.number_taken",
                    fields: vec![FieldError {
                        field: "number",
                        key: "customers.number_taken",
                    }],
                });
            }
            // A number in the running series counts for the next one; a huge one does not, or
            // the series would run out (the next number must still fit).
            let seq = n
                .strip_prefix(prefix.as_str())
                .and_then(|d| d.parse::<i64>().ok())
                .filter(|s| (0..MAX_SEQ).contains(s));
            (n.to_string(), seq)
        }
        None => {
            let (n, s) = next_number(tx, &prefix)?;
            tx.prepare_cached(
                "INSERT INTO settings(key, value) VALUES ('customer_number_last', ?1)
                 ON CONFLICT(key) DO UPDATE SET value = excluded.value",
            )?
            .execute([s.to_string()])?;
            (n, Some(s))
        }
    };
    let now = crate::now_rfc3339();
    tx.prepare_cached("INSERT INTO customers (number, number_seq, name, name_key, business_id, email, phone, website, street,
            postal_code, city, country, einvoice_address, einvoice_operator, notes, owner_id, archived,
            created_at, updated_at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17, ?18, ?18)")?
        .execute(params![
            number,
            seq,
            fields.name,
            name_key(&fields.name),
            fields.business_id.as_ref().map(BusinessId::as_str),
            fields.email,
            fields.phone,
            fields.website,
            fields.street,
            fields.postal_code,
            fields.city,
            fields.country,
            fields.einvoice_address,
            fields.einvoice_operator,
            fields.notes,
            fields.owner_id,
            fields.archived,
            now,
        ])?;
    let id = CustomerId(tx.last_insert_rowid());
    tags::set(tx, Tagged::Customer, id.0, &fields.tags)?;
    let summary = Sentence::new("summary.customer_created")
        .text("name", &fields.name)
        .text("number", &number);
    log::append(
        tx,
        &event(EventKind::CustomerCreated, summary, id, &fields.name, by),
    )?;
    Ok(id)
}

fn event(
    kind: EventKind,
    summary: Sentence,
    id: CustomerId,
    name: &str,
    by: Option<UserId>,
) -> NewEvent {
    let mut e = NewEvent::said(kind, summary);
    e.customer_id = Some(id.0);
    e.search_text = name.to_string();
    e.user_id = by.map(|u| u.0);
    e
}

/// The changes between a stored customer and new fields, as "X changed from A to B" parts.
fn describe_changes(
    before: &Customer,
    after: &Fields,
    owner_name: impl Fn(Option<i64>) -> String,
) -> Vec<Change> {
    let mut changes = Vec::new();
    let mut changed = |label: &str, from: &str, to: &str| {
        if from != to {
            changes.push(Change::value(label, from, to));
        }
    };
    changed("customers.name", &before.name, &after.name);
    changed(
        "customers.business_id",
        before.business_id.as_deref().unwrap_or(""),
        after
            .business_id
            .as_ref()
            .map(BusinessId::as_str)
            .unwrap_or(""),
    );
    changed("customers.email", &before.email, &after.email);
    changed("customers.phone", &before.phone, &after.phone);
    changed("customers.website", &before.website, &after.website);
    changed("customers.street", &before.street, &after.street);
    changed(
        "customers.postal_code",
        &before.postal_code,
        &after.postal_code,
    );
    changed("customers.city", &before.city, &after.city);
    changed("customers.country", &before.country, &after.country);
    changed(
        "customers.einvoice_address",
        &before.einvoice_address,
        &after.einvoice_address,
    );
    changed(
        "customers.einvoice_operator",
        &before.einvoice_operator,
        &after.einvoice_operator,
    );
    changed(
        "customers.tags",
        &before.tags.join(", "),
        &after.tags.join(", "),
    );
    changed(
        "customers.owner",
        &owner_name(before.owner_id),
        &owner_name(after.owner_id),
    );
    if before.notes != after.notes {
        changes.push(Change::edited("customers.notes"));
    }
    changes
}

/// Changes a customer (only the given fields) and logs what changed. Archiving and restoring
/// are logged as their own events.
pub(crate) fn update(
    tx: &Tx,
    id: CustomerId,
    input: &CustomerInput,
    by: Option<UserId>,
) -> Result<()> {
    let before = by_id(tx, id)?.ok_or(Error::NotFound)?;
    let fields = validate(input, Some(&before))?;
    check_against_db(tx, &fields, Some(id))?;
    tx.prepare_cached("UPDATE customers SET name = ?2, name_key = ?3, business_id = ?4, email = ?5, phone = ?6, website = ?7,
            street = ?8, postal_code = ?9, city = ?10, country = ?11, einvoice_address = ?12,
            einvoice_operator = ?13, notes = ?14, owner_id = ?15, archived = ?16, updated_at = ?17
         WHERE id = ?1")?
        .execute(params![
            id.0,
            fields.name,
            name_key(&fields.name),
            fields.business_id.as_ref().map(BusinessId::as_str),
            fields.email,
            fields.phone,
            fields.website,
            fields.street,
            fields.postal_code,
            fields.city,
            fields.country,
            fields.einvoice_address,
            fields.einvoice_operator,
            fields.notes,
            fields.owner_id,
            fields.archived,
            crate::now_rfc3339(),
        ])?;
    if fields.tags != before.tags {
        tags::set(tx, Tagged::Customer, id.0, &fields.tags)?;
    }
    let owner_name = |owner: Option<i64>| -> String {
        owner
            .and_then(|o| {
                crate::users::store::user_by_id(tx, UserId(o))
                    .ok()
                    .flatten()
            })
            .map(|u| u.name)
            .unwrap_or_default()
    };
    let changes = describe_changes(&before, &fields, owner_name);
    if !changes.is_empty() {
        let summary = Sentence::new("summary.customer_updated")
            .text("name", &fields.name)
            .changes("changes", changes);
        log::append(
            tx,
            &event(EventKind::CustomerUpdated, summary, id, &fields.name, by),
        )?;
    }
    if fields.archived != before.archived {
        let (kind, key) = if fields.archived {
            (EventKind::CustomerArchived, "summary.customer_archived")
        } else {
            (EventKind::CustomerUpdated, "summary.customer_restored")
        };
        let summary = Sentence::new(key).text("name", &fields.name);
        log::append(tx, &event(kind, summary, id, &fields.name, by))?;
    }
    Ok(())
}

/// Deletes a customer. Its log events stay (they name it), its contacts stay (they lose the
/// link).
pub(crate) fn delete(tx: &Tx, id: CustomerId, by: Option<UserId>) -> Result<()> {
    let before = by_id(tx, id)?.ok_or(Error::NotFound)?;
    let summary = Sentence::new("summary.customer_deleted")
        .text("name", &before.name)
        .text("number", &before.number);
    log::append(
        tx,
        &event(EventKind::CustomerDeleted, summary, id, &before.name, by),
    )?;
    tx.execute("DELETE FROM customers WHERE id = ?1", [id.0])?;
    Ok(())
}

/// Customers that look like the one being created: the same folded name, business ID or
/// e-mail address.
pub(crate) fn look_alikes(
    conn: &Connection,
    fields: &Fields,
    except: Option<CustomerId>,
) -> rusqlite::Result<Vec<Customer>> {
    let mut stmt = conn.prepare_cached(&format!(
        "SELECT {COLUMNS} FROM customers c
         WHERE c.id IN (
             SELECT id FROM customers WHERE name_key = ?1 AND ?1 <> ''
             UNION SELECT id FROM customers WHERE business_id = ?2
             UNION SELECT id FROM customers WHERE email <> '' AND email = ?3 COLLATE NOCASE)
         ORDER BY c.id LIMIT 10"
    ))?;
    let rows = stmt.query_map(
        params![
            name_key(&fields.name),
            fields.business_id.as_ref().map(BusinessId::as_str),
            fields.email
        ],
        from_row,
    )?;
    rows.filter(|r| !matches!(r, Ok(c) if Some(c.id) == except))
        .collect()
}

/// How many contacts the customer has (told before a delete).
pub(crate) fn contact_count(conn: &Connection, id: CustomerId) -> rusqlite::Result<i64> {
    conn.prepare_cached("SELECT count(*) FROM customer_contacts WHERE customer_id = ?1")?
        .query_row([id.0], |r| r.get(0))
}

/// One statement for all the names a page shows (some fifty companies), in the order given.
const NAMES_SQL: &str = "SELECT c.id, c.name, c.number FROM json_each(?1) j
    JOIN customers c ON c.id = j.value ORDER BY j.key";

/// Names of customers by id, for showing links (a contact's customers).
pub(crate) fn names(
    conn: &Connection,
    ids: &[i64],
) -> rusqlite::Result<Vec<(i64, String, String)>> {
    let ids_json = serde_json::to_string(ids).unwrap_or_else(|_| "[]".into());
    conn.prepare_cached(NAMES_SQL)?
        .query_map([ids_json], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))?
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::customers::list::{ListQuery, Sort};
    use crate::register::list::page;

    fn input(name: &str) -> CustomerInput {
        CustomerInput {
            name: Some(name.into()),
            ..CustomerInput::default()
        }
    }

    /// A customer's row keeps a copy of its tag names (what its list row shows) as its tags
    /// change.
    #[test]
    fn a_customers_row_keeps_its_tag_names_as_they_change() {
        let (_d, mut conn) = crate::db::temporary();
        let tagged = |tags: &[&str]| CustomerInput {
            tags: Some(tags.iter().map(|t| t.to_string()).collect()),
            ..input("Alfa Oy")
        };
        let id = crate::db::write(&mut conn, |tx| create(tx, &tagged(&["VIP"]), None)).unwrap();
        assert_eq!(by_id(&conn, id).unwrap().unwrap().tags, ["VIP"]);
        crate::db::write(&mut conn, |tx| {
            update(tx, id, &tagged(&["VIP", "b2b"]), None)
        })
        .unwrap();
        assert_eq!(by_id(&conn, id).unwrap().unwrap().tags, ["b2b", "VIP"]);
        crate::db::write(&mut conn, |tx| update(tx, id, &tagged(&[]), None)).unwrap();
        let copy: String = conn
            .query_row(
                "SELECT tag_names FROM customers WHERE id = ?1",
                [id.0],
                |r| r.get(0),
            )
            .unwrap();
        assert_eq!(copy, "");
        assert!(by_id(&conn, id).unwrap().unwrap().tags.is_empty());
    }

    #[test]
    fn numbers_run_from_1001_with_the_prefix() {
        let (_d, mut conn) = crate::db::temporary();
        let a = crate::db::write(&mut conn, |tx| create(tx, &input("A Oy"), None)).unwrap();
        let b = crate::db::write(&mut conn, |tx| create(tx, &input("B Oy"), None)).unwrap();
        assert_eq!(by_id(&conn, a).unwrap().unwrap().number, "1001");
        assert_eq!(by_id(&conn, b).unwrap().unwrap().number, "1002");
        conn.execute(
            "INSERT INTO settings(key, value) VALUES ('customer_number_prefix', 'AS-')",
            [],
        )
        .unwrap();
        let c = crate::db::write(&mut conn, |tx| create(tx, &input("C Oy"), None)).unwrap();
        assert_eq!(by_id(&conn, c).unwrap().unwrap().number, "AS-1003");
    }

    /// Every page of `query`, going forward by position from the first.
    fn pages_by_position(conn: &Connection, query: &ListQuery) -> Vec<Vec<String>> {
        let mut query = query.clone();
        let mut pages = Vec::new();
        loop {
            let page = list::page_at(conn, &query).unwrap();
            pages.push(page.rows.iter().map(|c| c.name.clone()).collect());
            match (page.more, page.last) {
                (true, Some(keys)) => {
                    query.cursor = Some(list::Cursor {
                        keys,
                        before: false,
                    })
                }
                _ => return pages,
            }
        }
    }

    #[test]
    fn pages_by_position_are_the_pages_by_offset_in_every_order() {
        let (_d, mut conn) = crate::db::temporary();
        for n in 0..30 {
            // Names that tie, so the id decides between them.
            let name = format!("Yritys {:02} Oy", n % 12);
            crate::db::write(&mut conn, |tx| create(tx, &input(&name), None)).unwrap();
        }
        for sort in [
            Sort::Name,
            Sort::NameDesc,
            Sort::Number,
            Sort::Newest,
            Sort::Oldest,
        ] {
            for q in ["", "oy", "yritys 0"] {
                let mut query = ListQuery::search(q, sort, 7);
                let by_position = pages_by_position(&conn, &query);
                let mut by_offset = Vec::new();
                loop {
                    let (rows, more) = page(&conn, &query).unwrap();
                    by_offset.push(rows.into_iter().map(|c| c.name).collect::<Vec<_>>());
                    if !more {
                        break;
                    }
                    query.offset += 7;
                }
                assert_eq!(by_position, by_offset, "{sort:?} {q:?}");
                // Back from the last page: the one before it.
                if by_position.len() > 1 {
                    let mut last = ListQuery::search(q, sort, 7);
                    last.offset = 7 * (by_position.len() as i64 - 1);
                    let at_last = list::page_at(&conn, &last).unwrap();
                    last.offset = 0;
                    last.cursor = Some(list::Cursor {
                        keys: at_last.first.unwrap(),
                        before: true,
                    });
                    let back = list::page_at(&conn, &last).unwrap();
                    let names: Vec<String> = back.rows.into_iter().map(|c| c.name).collect();
                    assert_eq!(names, by_position[by_position.len() - 2], "{sort:?} {q:?}");
                    assert!(back.more);
                    assert_eq!(back.earlier, by_position.len() > 2);
                }
            }
        }
    }

    #[test]
    fn a_tag_list_follows_renames_and_archiving() {
        let (_d, mut conn) = crate::db::temporary();
        let mut ids = Vec::new();
        for name in ["Cee Oy", "Aa Oy", "Bee Oy", "Dee Oy"] {
            let c = CustomerInput {
                tags: Some(vec!["VIP".into()]),
                ..input(name)
            };
            ids.push(crate::db::write(&mut conn, |tx| create(tx, &c, None)).unwrap());
        }
        crate::db::write(&mut conn, |tx| create(tx, &input("Ab Oy"), None)).unwrap();
        let rename = CustomerInput {
            name: Some("Ää Oy".into()),
            ..CustomerInput::default()
        };
        crate::db::write(&mut conn, |tx| update(tx, ids[1], &rename, None)).unwrap();
        let archive = CustomerInput {
            archived: Some(true),
            ..CustomerInput::default()
        };
        crate::db::write(&mut conn, |tx| update(tx, ids[3], &archive, None)).unwrap();
        let listed = |sort: Sort, archived: crate::customers::list::Archived| -> Vec<String> {
            let mut query = ListQuery::search("", sort, 10);
            query.tag = "vip".into();
            query.filter.archived = archived;
            page(&conn, &query)
                .unwrap()
                .0
                .into_iter()
                .map(|c| c.name)
                .collect()
        };
        use crate::customers::list::Archived;
        assert_eq!(
            listed(Sort::Name, Archived::Active),
            ["Bee Oy", "Cee Oy", "Ää Oy"]
        );
        assert_eq!(
            listed(Sort::NameDesc, Archived::All),
            ["Ää Oy", "Dee Oy", "Cee Oy", "Bee Oy"]
        );
        assert_eq!(listed(Sort::Number, Archived::Archived), ["Dee Oy"]);
        assert_eq!(
            listed(Sort::Newest, Archived::Active),
            ["Bee Oy", "Ää Oy", "Cee Oy"]
        );
    }

    #[test]
    fn a_search_sees_every_write_since_it_was_last_read() {
        let (dir, mut conn) = crate::db::temporary();
        let found = |conn: &Connection| -> Vec<String> {
            page(conn, &ListQuery::search("kahvila", Sort::Name, 10))
                .unwrap()
                .0
                .into_iter()
                .map(|c| c.name)
                .collect()
        };
        crate::db::write(&mut conn, |tx| create(tx, &input("Kahvila Yksi"), None)).unwrap();
        assert_eq!(found(&conn), ["Kahvila Yksi"]);
        assert_eq!(found(&conn), ["Kahvila Yksi"]);
        // A write on this connection, outside `db::write` too.
        conn.execute(
            "UPDATE customers SET name = 'Kahvila Uusi' WHERE name = 'Kahvila Yksi'",
            [],
        )
        .unwrap();
        assert_eq!(found(&conn), ["Kahvila Uusi"]);
        // And one by another connection.
        let mut other = crate::db::open(&dir.path().join("minicrm.db")).unwrap();
        crate::db::write(&mut other, |tx| create(tx, &input("Kahvila Kaksi"), None)).unwrap();
        assert_eq!(found(&conn), ["Kahvila Kaksi", "Kahvila Uusi"]);
    }

    #[test]
    fn numbers_without_a_running_part_page_by_position_too() {
        let (_d, mut conn) = crate::db::temporary();
        for (name, number) in [
            ("A", Some("X-7")),
            ("B", None),
            ("C", Some("X-3")),
            ("D", None),
            ("E", Some("Y-1")),
        ] {
            let c = CustomerInput {
                number: number.map(str::to_string),
                ..input(name)
            };
            crate::db::write(&mut conn, |tx| create(tx, &c, None)).unwrap();
        }
        let query = ListQuery::search("", Sort::Number, 2);
        let pages = pages_by_position(&conn, &query);
        assert_eq!(pages, [vec!["C", "A"], vec!["E", "B"], vec!["D"]]);
        // And back: before the first row of the last page, across the NULLs.
        let mut back = query.clone();
        back.cursor = Some(list::Cursor {
            keys: vec![1002.into(), "1002".to_string().into(), 4.into()],
            before: true,
        });
        let names: Vec<String> = list::page_at(&conn, &back)
            .unwrap()
            .rows
            .into_iter()
            .map(|c| c.name)
            .collect();
        assert_eq!(names, ["E", "B"]);
    }

    #[test]
    fn a_search_matching_more_than_the_cap_sorts_only_the_newest() {
        let (_d, conn) = crate::db::temporary();
        let n = crate::log::store::SEARCH_CAP + 5;
        conn.execute_batch("BEGIN").unwrap();
        for i in 0..n {
            conn.execute(
                "INSERT INTO customers(number, number_seq, name, name_key, created_at, updated_at)
                 VALUES (?1, ?1, ?2, ?2, '2026-11-30T00:00:00Z', '2026-11-30T00:00:00Z')",
                params![5000 + i, format!("Yhtiö {i:04} Oy")],
            )
            .unwrap();
        }
        conn.execute_batch("COMMIT").unwrap();
        let by_name = list::page_at(&conn, &ListQuery::search("oy", Sort::Name, 3)).unwrap();
        assert!(by_name.many);
        let names: Vec<String> = by_name.rows.into_iter().map(|c| c.name).collect();
        assert_eq!(names, ["Yhtiö 0005 Oy", "Yhtiö 0006 Oy", "Yhtiö 0007 Oy"]);
        // In id order the index gives every match, to the last.
        let mut oldest = ListQuery::search("oy", Sort::Oldest, 3);
        let first = list::page_at(&conn, &oldest).unwrap();
        assert_eq!(first.rows[0].name, "Yhtiö 0000 Oy");
        oldest.offset = n - 2;
        let (rows, more) = page(&conn, &oldest).unwrap();
        assert_eq!(rows.len(), 2);
        assert!(!more);
        // An export sees every match in any order.
        let mut all = ListQuery::search("oy", Sort::Name, 3);
        all.complete = true;
        let everything = list::page_at(&conn, &all).unwrap();
        assert!(!everything.many);
        assert_eq!(everything.rows[0].name, "Yhtiö 0000 Oy");
    }

    #[test]
    fn a_word_matching_more_than_the_cap_whole_is_taken_whole() {
        let (_d, conn) = crate::db::temporary();
        let n = crate::log::store::SEARCH_CAP + 5;
        let add = |name: &str, number: i64| {
            conn.execute(
                "INSERT INTO customers(number, number_seq, name, name_key, created_at, updated_at)
                 VALUES (?1, ?1, ?2, ?2, '2026-11-30T00:00:00Z', '2026-11-30T00:00:00Z')",
                params![number, name],
            )
            .unwrap();
        };
        conn.execute_batch("BEGIN").unwrap();
        add("Sähkö Oy", 4000);
        add("Sähköasennus Oy", 4001);
        for i in 0..n {
            add(&format!("Kahvila {i:04}"), 5000 + i);
        }
        add("Kahvilaketju Oy", 9000);
        conn.execute_batch("COMMIT").unwrap();
        let names = |q: &str, complete: bool| {
            let mut query = ListQuery::search(q, Sort::Newest, 2);
            query.complete = complete;
            let page = list::page_at(&conn, &query).unwrap();
            let names: Vec<String> = page.rows.into_iter().map(|c| c.name).collect();
            (names, page.many)
        };
        // More than the cap match `kahvila` whole: the list is of those, newest first.
        let (found, many) = names("kahvila", false);
        assert!(many);
        assert_eq!(
            found,
            [
                format!("Kahvila {:04}", n - 1),
                format!("Kahvila {:04}", n - 2)
            ]
        );
        // Fewer: a word is a beginning.
        assert_eq!(
            names("sähkö", false),
            (vec!["Sähköasennus Oy".into(), "Sähkö Oy".into()], false)
        );
        assert_eq!(names("kahvilak", false).0, ["Kahvilaketju Oy"]);
        // An export takes every match.
        assert_eq!(
            names("kahvila", true).0,
            ["Kahvilaketju Oy", format!("Kahvila {:04}", n - 1).as_str()]
        );
    }

    #[test]
    fn names_come_in_the_order_asked_each_by_its_key() {
        let (_d, mut conn) = crate::db::temporary();
        let a = crate::db::write(&mut conn, |tx| create(tx, &input("A Oy"), None)).unwrap();
        let b = crate::db::write(&mut conn, |tx| create(tx, &input("B Oy"), None)).unwrap();
        let found: Vec<i64> = names(&conn, &[b.0, 999, a.0])
            .unwrap()
            .into_iter()
            .map(|(id, _, _)| id)
            .collect();
        assert_eq!(found, [b.0, a.0]);
        assert!(names(&conn, &[]).unwrap().is_empty());
        let plan: Vec<String> = conn
            .prepare(&format!("EXPLAIN QUERY PLAN {NAMES_SQL}"))
            .unwrap()
            .query_map(["[1,2]"], |r| r.get(3))
            .unwrap()
            .collect::<rusqlite::Result<_>>()
            .unwrap();
        assert!(
            plan.iter()
                .any(|l| l.starts_with("SEARCH c USING INTEGER PRIMARY KEY")),
            "{plan:?}"
        );
    }

    #[test]
    fn a_huge_imported_number_does_not_break_the_series() {
        let (_d, mut conn) = crate::db::temporary();
        let huge = CustomerInput {
            number: Some("9223372036854775807".into()),
            ..input("Iso Oy")
        };
        crate::db::write(&mut conn, |tx| create(tx, &huge, None)).unwrap();
        let next =
            crate::db::write(&mut conn, |tx| create(tx, &input("Seuraava Oy"), None)).unwrap();
        assert_eq!(by_id(&conn, next).unwrap().unwrap().number, "1001");
    }

    #[test]
    fn a_deleted_customers_id_and_number_are_not_reused() {
        let (_d, mut conn) = crate::db::temporary();
        let a = crate::db::write(&mut conn, |tx| create(tx, &input("A Oy"), None)).unwrap();
        crate::db::write(&mut conn, |tx| delete(tx, a, None)).unwrap();
        let b = crate::db::write(&mut conn, |tx| create(tx, &input("B Oy"), None)).unwrap();
        assert!(b.0 > a.0);
        assert_eq!(by_id(&conn, b).unwrap().unwrap().number, "1002");
        assert!(log::store::for_customer(&conn, b.0, 10, 0)
            .unwrap()
            .iter()
            .all(|e| !e.summary.contains("A Oy")));
    }

    #[test]
    fn a_second_customer_with_the_same_business_id_is_a_conflict() {
        let (_d, mut conn) = crate::db::temporary();
        let mut one = input("Yksi Oy");
        one.business_id = Some("0112038-9".into());
        crate::db::write(&mut conn, |tx| create(tx, &one, None)).unwrap();
        let mut two = input("Kaksi Oy");
        two.business_id = Some("FI01120389".into());
        let err = crate::db::write(&mut conn, |tx| create(tx, &two, None)).unwrap_err();
        assert_eq!(err.status(), 409);
        assert_eq!(err.fields()[0].field, "business_id");
    }

    #[test]
    fn validation_names_every_bad_field() {
        let bad = CustomerInput {
            name: Some("  ".into()),
            business_id: Some("1234567-8".into()),
            email: Some("nope".into()),
            country: Some("Finland".into()),
            einvoice_address: Some("12".into()),
            city: Some("x".repeat(101)),
            ..CustomerInput::default()
        };
        let err = validate(&bad, None).unwrap_err();
        let fields: Vec<&str> = err.fields().iter().map(|f| f.field).collect();
        assert_eq!(
            fields,
            [
                "business_id",
                "name",
                "city",
                "email",
                "country",
                "einvoice_address"
            ]
        );
        let ok = CustomerInput {
            einvoice_address: Some("003701120389".into()),
            einvoice_operator: Some("003721291126".into()),
            ..input("Hyvä Oy")
        };
        assert!(validate(&ok, None).is_ok());
        for odd in ["0037123456ää", "ää0037123456789", "ÄB12345678901234"] {
            let input = CustomerInput {
                einvoice_address: Some(odd.into()),
                ..input("Outo Oy")
            };
            let err = validate(&input, None).unwrap_err();
            assert_eq!(err.fields()[0].field, "einvoice_address", "{odd}");
        }
        let iban = CustomerInput {
            einvoice_address: Some("FI4950009420028730".into()),
            ..input("Hyvä Oy")
        };
        assert!(validate(&iban, None).is_ok());
    }

    #[test]
    fn updates_log_the_fields_that_changed() {
        let (_d, mut conn) = crate::db::temporary();
        let id =
            crate::db::write(&mut conn, |tx| create(tx, &input("Vanha Nimi Oy"), None)).unwrap();
        let change = CustomerInput {
            phone: Some("040 123 4567".into()),
            ..CustomerInput::default()
        };
        crate::db::write(&mut conn, |tx| update(tx, id, &change, None)).unwrap();
        let events = log::store::newest(&conn, 10, 0).unwrap();
        assert_eq!(events[0].kind, "customer.updated");
        assert!(
            events[0]
                .summary
                .contains("Puhelin muutettiin: — → 040 123 4567"),
            "{}",
            events[0].summary
        );
        assert_eq!(events[0].customer_id, Some(id.0));
        // Nothing changed: nothing logged.
        crate::db::write(&mut conn, |tx| update(tx, id, &change, None)).unwrap();
        assert_eq!(log::store::newest(&conn, 10, 0).unwrap().len(), 2);
    }

    #[test]
    fn search_finds_by_any_field_accent_insensitively() {
        let (_d, mut conn) = crate::db::temporary();
        let c = CustomerInput {
            business_id: Some("0112038-9".into()),
            email: Some("info@aijala.fi".into()),
            phone: Some("040 123 4567".into()),
            city: Some("Jyväskylä".into()),
            ..input("Kahvila Äijälä Oy")
        };
        crate::db::write(&mut conn, |tx| create(tx, &c, None)).unwrap();
        crate::db::write(&mut conn, |tx| create(tx, &input("Muu Yritys Oy"), None)).unwrap();
        for q in [
            "aijala",
            "ÄIJÄLÄ",
            "kahv",
            "0112038-9",
            "0112038",
            "info@aijala",
            "0401234567",
            "1234567",
            "112038",
            "jyvaskyla",
            "1001",
        ] {
            let (rows, _) = page(&conn, &ListQuery::search(q, Sort::Name, 50)).unwrap();
            assert_eq!(rows.len(), 1, "{q}");
            assert_eq!(rows[0].name, "Kahvila Äijälä Oy", "{q}");
        }
    }
}

//! `minicrm demo-data`: deterministic, valid, complete, and usable by the server.

mod common;

use std::collections::HashSet;
use std::hash::{DefaultHasher, Hash, Hasher};
use std::path::{Path, PathBuf};

use common::{minicrm, run_with_stdin, stderr, stdout, TestServer, ADMIN_PASSWORD};
use minicrm::customers::BusinessId;
use rusqlite::Connection;

/// The end of the generated history, fixed so that runs on different days agree.
const UNTIL: &str = "2026-06-01";

fn demo(db: &Path, customers: u64, seed: u64) -> String {
    let out = minicrm(db)
        .args(["demo-data", "--customers", &customers.to_string()])
        .args(["--seed", &seed.to_string(), "--until", UNTIL])
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", stderr(&out));
    // No progress bar when stderr is not a terminal.
    assert!(stderr(&out).is_empty(), "{}", stderr(&out));
    stdout(&out)
}

fn add_admin(db: &Path) {
    add_user(db, "aino", "admin");
}

fn add_user(db: &Path, username: &str, role: &str) {
    let mut cmd = minicrm(db);
    cmd.args([
        "user",
        "add",
        "--username",
        username,
        "--name",
        &format!("{username} Testinen"),
        "--role",
        role,
        "--password-stdin",
    ]);
    let out = run_with_stdin(cmd, &format!("{ADMIN_PASSWORD}\n"));
    assert!(out.status.success(), "{}", stderr(&out));
}

fn rows(conn: &Connection, sql: &str) -> Vec<String> {
    let mut stmt = conn.prepare(sql).unwrap();
    let n = stmt.column_count();
    stmt.query_map([], |r| {
        let mut line = Vec::with_capacity(n);
        for i in 0..n {
            let v: rusqlite::types::Value = r.get(i)?;
            line.push(format!("{v:?}"));
        }
        Ok(line.join("|"))
    })
    .unwrap()
    .collect::<Result<_, _>>()
    .unwrap()
}

fn one(conn: &Connection, sql: &str) -> i64 {
    conn.query_row(sql, [], |r| r.get(0)).unwrap()
}

/// A digest of everything demo-data writes.
fn digest(db: &Path) -> u64 {
    let conn = Connection::open(db).unwrap();
    let mut h = DefaultHasher::new();
    for sql in [
        "SELECT * FROM customers ORDER BY id",
        "SELECT * FROM contacts ORDER BY id",
        "SELECT * FROM customer_contacts ORDER BY customer_id, contact_id",
        "SELECT ct.customer_id, t.name FROM customer_tags ct JOIN tags t ON t.id = ct.tag_id ORDER BY 1, 2",
        "SELECT pt.contact_id, t.name FROM contact_tags pt JOIN tags t ON t.id = pt.tag_id ORDER BY 1, 2",
        "SELECT * FROM events ORDER BY id",
        "SELECT * FROM tasks ORDER BY id",
        "SELECT * FROM reminders ORDER BY id",
    ] {
        rows(&conn, sql).hash(&mut h);
    }
    h.finish()
}

fn db_in(dir: &Path, name: &str) -> PathBuf {
    dir.join(name)
}

#[test]
fn the_same_seed_gives_the_same_data_and_another_seed_other_data() {
    let dir = tempfile::tempdir().unwrap();
    let (a, b, c) = (
        db_in(dir.path(), "a.db"),
        db_in(dir.path(), "b.db"),
        db_in(dir.path(), "c.db"),
    );
    demo(&a, 150, 7);
    demo(&b, 150, 7);
    demo(&c, 150, 8);
    assert_eq!(digest(&a), digest(&b));
    assert_ne!(digest(&a), digest(&c));
    let names = |db: &Path| {
        rows(
            &Connection::open(db).unwrap(),
            "SELECT name FROM customers ORDER BY id LIMIT 20",
        )
    };
    assert_ne!(names(&a), names(&c));
}

#[test]
fn data_is_valid_complete_and_passes_check() {
    let dir = tempfile::tempdir().unwrap();
    let db = db_in(dir.path(), "demo.db");
    add_admin(&db);
    add_user(&db, "bertta", "user");
    let said = demo(&db, 400, 1);
    assert!(said.starts_with("added 400 customers"), "{said}");
    let conn = Connection::open(&db).unwrap();

    // Customers: numbered from 1001, valid and unique business IDs, Finnish addresses.
    assert_eq!(one(&conn, "SELECT count(*) FROM customers"), 400);
    assert_eq!(one(&conn, "SELECT min(number_seq) FROM customers"), 1001);
    assert_eq!(one(&conn, "SELECT max(number_seq) FROM customers"), 1400);
    let ids: Vec<String> = conn
        .prepare("SELECT business_id FROM customers WHERE business_id IS NOT NULL")
        .unwrap()
        .query_map([], |r| r.get(0))
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap();
    assert_eq!(ids.len(), 400);
    let mut seen = HashSet::new();
    for id in &ids {
        assert_eq!(BusinessId::parse(id).unwrap().as_str(), id);
        assert!(seen.insert(id.clone()), "{id} twice");
    }
    assert_eq!(
        one(
            &conn,
            "SELECT count(*) FROM customers WHERE name NOT GLOB '* Oy' AND name NOT GLOB '* Oyj'
             AND name NOT GLOB '* Ky' AND name NOT GLOB '* Ay' AND name NOT GLOB 'Tmi *'"
        ),
        0
    );
    assert_eq!(
        one(
            &conn,
            "SELECT count(*) FROM customers WHERE length(postal_code) <> 5 OR city = '' OR street = ''"
        ),
        0
    );
    assert_eq!(
        one(
            &conn,
            "SELECT count(*) FROM customers WHERE einvoice_address <> ''
             AND einvoice_address <> '0037' || replace(business_id, '-', '')"
        ),
        0
    );
    assert!(
        one(
            &conn,
            "SELECT count(*) FROM customers WHERE einvoice_address <> ''"
        ) > 20
    );
    assert!(
        one(
            &conn,
            "SELECT count(*) FROM customers WHERE owner_id IS NOT NULL"
        ) > 200
    );
    assert!(one(&conn, "SELECT count(*) FROM customer_tags") > 50);
    // E-mail addresses are plain ASCII.
    assert_eq!(
        one(
            &conn,
            "SELECT count(*) FROM (SELECT email FROM customers UNION ALL SELECT email FROM contacts)
             WHERE email <> '' AND (email GLOB '*[^a-z0-9.@-]*' OR email NOT GLOB '?*@?*.?*')"
        ),
        0
    );

    // Every customer has contacts, each link with a role; about three a customer; some shared.
    assert_eq!(
        one(
            &conn,
            "SELECT count(*) FROM customers c WHERE NOT EXISTS
             (SELECT 1 FROM customer_contacts cc WHERE cc.customer_id = c.id)"
        ),
        0
    );
    assert_eq!(
        one(
            &conn,
            "SELECT count(*) FROM customer_contacts WHERE role = ''"
        ),
        0
    );
    let contacts = one(&conn, "SELECT count(*) FROM contacts");
    assert!((900..1500).contains(&contacts), "{contacts} contacts");
    assert!(
        one(
            &conn,
            "SELECT count(*) FROM (SELECT contact_id FROM customer_contacts GROUP BY contact_id HAVING count(*) > 1)"
        ) > 5
    );

    // About ten events a customer (besides the tasks'), in the past two years, with names to
    // search by.
    let events = one(
        &conn,
        "SELECT count(*) FROM events WHERE kind NOT GLOB 'user.*' AND kind NOT GLOB 'task.*'",
    );
    assert!((3200..5200).contains(&events), "{events} events");
    assert_eq!(
        one(
            &conn,
            "SELECT count(*) FROM events WHERE kind NOT GLOB 'user.*'
             AND (at < '2024-05-30' OR at >= '2026-06-01' OR search_text = ''
                  OR (customer_id IS NULL AND kind <> 'document.added'))"
        ),
        0
    );
    // One small document for every fifty customers, each added in the log; a few wait under
    // Incoming, linked to no one yet.
    let documents = one(&conn, "SELECT count(*) FROM documents");
    assert!((4..=8).contains(&documents), "{documents} documents");
    assert_eq!(
        one(
            &conn,
            "SELECT count(*) FROM events WHERE kind = 'document.added' AND document_id IS NOT NULL"
        ),
        documents
    );
    assert!(one(&conn, "SELECT max(size) FROM documents") < 1000);
    assert_eq!(
        one(
            &conn,
            "SELECT count(*) FROM documents d JOIN document_versions v ON v.document_id = d.id
             WHERE v.size = length(v.content) AND v.sha256 = d.sha256"
        ),
        documents
    );
    assert_eq!(
        one(
            &conn,
            "SELECT count(*) FROM documents WHERE incoming = 1 AND customer_id IS NOT NULL"
        ),
        0
    );
    assert_eq!(
        one(
            &conn,
            "SELECT count(*) FROM customers c WHERE NOT EXISTS (SELECT 1 FROM events e
             WHERE e.customer_id = c.id AND e.kind = 'customer.created' AND e.at = c.created_at)"
        ),
        0
    );
    for kind in [
        "contact.created",
        "contact.linked",
        "note",
        "call",
        "meeting",
        "email",
        "invoice",
        "payment",
    ] {
        assert!(
            one(
                &conn,
                &format!("SELECT count(*) FROM events WHERE kind = '{kind}'")
            ) > 10,
            "{kind}"
        );
    }
    assert_eq!(
        one(
            &conn,
            "SELECT count(*) FROM events WHERE kind IN ('invoice', 'payment')
             AND (amount IS NULL OR currency <> 'EUR' OR reference IS NULL)"
        ),
        0
    );
    // Tasks for a good share of the customers, over both users: past ones done (records, no
    // reminders), future ones open with their reminders; each for its customer (and maybe one
    // of the customer's contacts), logged as the app logs them.
    let tasks = one(&conn, "SELECT count(*) FROM tasks");
    assert!((100..260).contains(&tasks), "{tasks} tasks");
    assert_eq!(
        one(&conn, "SELECT count(DISTINCT assignee_id) FROM tasks"),
        2
    );
    let past = one(
        &conn,
        "SELECT count(*) FROM tasks WHERE due_date < '2026-06-01'",
    );
    let future = one(
        &conn,
        "SELECT count(*) FROM tasks WHERE due_date > '2026-06-01'",
    );
    assert!(past > 60 && future > 25, "{past} past, {future} future");
    assert_eq!(past + future, tasks);
    assert_eq!(
        one(
            &conn,
            "SELECT count(*) FROM tasks WHERE (due_date < '2026-06-01') <> (done = 1)
             OR (done = 1) <> (done_at IS NOT NULL) OR done_at >= '2026-06-01'
             OR created_at >= '2026-06-01' OR due_date > '2026-07-05'"
        ),
        0
    );
    assert_eq!(
        one(
            &conn,
            "SELECT count(*) FROM reminders r JOIN tasks t ON t.id = r.task_id
             WHERE t.done = 1 OR r.delivered_at IS NOT NULL OR r.user_id <> t.assignee_id
             OR r.remind_at < '2026-06-01' OR r.remind_at > t.due_date || 'T23:59:59Z'"
        ),
        0
    );
    assert_eq!(
        one(
            &conn,
            "SELECT count(*) FROM tasks t WHERE done = 0 AND NOT EXISTS
             (SELECT 1 FROM reminders r WHERE r.task_id = t.id AND r.kind = 'due')"
        ),
        0
    );
    assert!(
        one(
            &conn,
            "SELECT count(*) FROM reminders WHERE kind = 'before'"
        ) > 10
    );
    assert_eq!(
        one(
            &conn,
            "SELECT count(*) FROM tasks t WHERE customer_id IS NULL OR (contact_id IS NOT NULL
             AND NOT EXISTS (SELECT 1 FROM customer_contacts cc
                 WHERE cc.customer_id = t.customer_id AND cc.contact_id = t.contact_id))"
        ),
        0
    );
    assert!(
        one(
            &conn,
            "SELECT count(*) FROM tasks WHERE contact_id IS NOT NULL"
        ) > 30
    );
    assert_eq!(
        one(
            &conn,
            "SELECT count(*) FROM events WHERE kind = 'task.created'"
        ),
        tasks
    );
    assert_eq!(
        one(
            &conn,
            "SELECT count(*) FROM events WHERE kind = 'task.done'"
        ),
        past
    );
    assert_eq!(
        one(
            &conn,
            "SELECT count(*) FROM events e WHERE kind GLOB 'task.*' AND NOT EXISTS
             (SELECT 1 FROM tasks t WHERE t.id = e.task_id AND t.customer_id = e.customer_id)"
        ),
        0
    );

    // The log search finds customers and contacts by name, accent-insensitively.
    let name: String = conn
        .query_row(
            "SELECT last_name FROM contacts WHERE last_name GLOB '*ä*' LIMIT 1",
            [],
            |r| r.get(0),
        )
        .unwrap();
    let folded = name.replace('ä', "a").replace('ö', "o");
    assert!(!minicrm::log::store::search(&conn, &folded, 10, 0)
        .unwrap()
        .is_empty());

    let out = minicrm(&db).arg("check").output().unwrap();
    assert!(out.status.success(), "{}{}", stdout(&out), stderr(&out));
}

fn schema(db: &Path) -> Vec<String> {
    rows(
        &Connection::open(db).unwrap(),
        "SELECT type, name, tbl_name, sql FROM sqlite_master WHERE name NOT GLOB 'sqlite_stat*' ORDER BY name",
    )
}

#[test]
fn everything_is_found_by_the_search_and_the_schema_is_unchanged() {
    let dir = tempfile::tempdir().unwrap();
    let db = db_in(dir.path(), "search.db");
    let empty = schema(&db_in(dir.path(), "empty.db").tap(|p| {
        minicrm::db::open(p).unwrap();
    }));
    demo(&db, 120, 4);
    // The load swaps the full-text triggers for bulk statements; they are back as they were.
    assert_eq!(schema(&db), empty);

    let mut conn = minicrm::db::open(&db).unwrap();
    let fold = |s: &str| s.to_lowercase().replace(['ä', 'å'], "a").replace('ö', "o");
    use minicrm::customers::list::{Archived, ListQuery, Sort};
    let all: Vec<(i64, String, String, String, String, String, String)> = conn
        .prepare(
            "SELECT id, name, number, coalesce(business_id, ''), email, phone, city FROM customers
             ORDER BY id LIMIT 40",
        )
        .unwrap()
        .query_map([], |r| {
            Ok((
                r.get(0)?,
                r.get(1)?,
                r.get(2)?,
                r.get(3)?,
                r.get(4)?,
                r.get(5)?,
                r.get(6)?,
            ))
        })
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap();
    let finds = |conn: &Connection, q: &str, id: i64| {
        let mut query = ListQuery::search(q, Sort::Name, 1000);
        query.filter.archived = Archived::All;
        let (rows, _) = minicrm::register::list::page(conn, &query).unwrap();
        rows.iter().any(|c| c.id.0 == id)
    };
    for (id, name, number, business_id, email, phone, city) in &all {
        let word = name
            .split_whitespace()
            .find(|w| w.len() > 3)
            .unwrap_or(name);
        let mut queries = vec![fold(word), number.clone(), business_id.clone(), fold(city)];
        if !email.is_empty() {
            queries.push(email.clone());
        }
        if !phone.is_empty() {
            queries.push(phone.replace(' ', ""));
        }
        for q in queries {
            assert!(finds(&conn, &q, *id), "{name}: not found by {q:?}");
        }
    }
    let people: Vec<(i64, String, String, String)> = conn
        .prepare("SELECT id, last_name, email, phone FROM contacts ORDER BY id LIMIT 40")
        .unwrap()
        .query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?)))
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap();
    use minicrm::contacts::list as contacts;
    for (id, last, email, phone) in &people {
        for q in [fold(last), email.clone(), phone.replace(' ', "")] {
            if q.is_empty() {
                continue;
            }
            let query = contacts::ListQuery::search(&q, contacts::Sort::Name, 1000);
            let (rows, _) = minicrm::register::list::page(&conn, &query).unwrap();
            assert!(
                rows.iter().any(|p| p.id.0 == *id),
                "{last}: not found by {q:?}"
            );
        }
    }
    let (_, name, ..) = &all[0];
    let events = minicrm::log::store::search(&conn, name, 100, 0).unwrap();
    assert!(
        events.iter().any(|e| e.kind == "customer.created"),
        "{events:?}"
    );

    // The bulk-filled full-text indexes hold exactly what the triggers would have written:
    // copy the rows into a fresh database, where the triggers index them, and compare.
    let fresh = db_in(dir.path(), "fresh.db");
    let copy = minicrm::db::open(&fresh).unwrap();
    copy.execute("ATTACH ?1 AS demo", [db.to_str().unwrap()])
        .unwrap();
    copy.execute_batch(
        "INSERT INTO main.customers SELECT * FROM demo.customers;
         INSERT INTO main.contacts SELECT * FROM demo.contacts;
         INSERT INTO main.events SELECT * FROM demo.events;",
    )
    .unwrap();
    for fts in ["customers_fts", "contacts_fts", "events_fts"] {
        let mut both = Vec::new();
        for schema in ["main", "demo"] {
            copy.execute_batch(&format!(
                "CREATE VIRTUAL TABLE temp.v_{schema}_{fts} USING fts5vocab({schema}, {fts}, instance)"
            ))
            .unwrap();
            both.push(rows(
                &copy,
                &format!(
                    "SELECT term, doc, col, offset FROM temp.v_{schema}_{fts} ORDER BY 1, 2, 3, 4"
                ),
            ));
        }
        assert!(both[0].len() > 100, "{fts}");
        assert!(
            both[0] == both[1],
            "{fts} differs from what the triggers write"
        );
    }
    drop(copy);

    // The triggers work again for customers made afterwards.
    let input = minicrm::customers::CustomerInput {
        name: Some("Zyxwvut Jälkeen Oy".into()),
        ..Default::default()
    };
    let id = minicrm::db::write(&mut conn, |tx| {
        minicrm::customers::store::create(tx, &input, None)
    })
    .unwrap();
    assert!(finds(&conn, "zyxwvut", id.0));
    assert!(!minicrm::log::store::search(&conn, "zyxwvut", 10, 0)
        .unwrap()
        .is_empty());
}

trait Tap: Sized {
    fn tap(self, f: impl FnOnce(&Self)) -> Self {
        f(&self);
        self
    }
}
impl Tap for PathBuf {}

#[test]
fn a_second_run_adds_more_without_breaking_uniqueness() {
    let dir = tempfile::tempdir().unwrap();
    let db = db_in(dir.path(), "twice.db");
    demo(&db, 200, 3);
    demo(&db, 200, 3);
    let conn = Connection::open(&db).unwrap();
    assert_eq!(one(&conn, "SELECT count(*) FROM customers"), 400);
    assert_eq!(one(&conn, "SELECT max(number_seq) FROM customers"), 1400);
    assert_eq!(
        one(&conn, "SELECT count(DISTINCT business_id) FROM customers"),
        400
    );
    let out = minicrm(&db).arg("check").output().unwrap();
    assert!(out.status.success(), "{}{}", stdout(&out), stderr(&out));
}

#[test]
fn zero_customers_adds_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let db = db_in(dir.path(), "zero.db");
    let said = demo(&db, 0, 1);
    assert!(said.starts_with("added 0 customers"), "{said}");
    let conn = Connection::open(&db).unwrap();
    assert_eq!(one(&conn, "SELECT count(*) FROM customers"), 0);
    assert_eq!(one(&conn, "SELECT count(*) FROM events"), 0);
}

#[test]
fn refuses_a_foreign_file() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("notes.txt");
    std::fs::write(&file, "not a database\n").unwrap();
    let out = minicrm(&file).arg("demo-data").output().unwrap();
    assert_eq!(out.status.code(), Some(1));
    assert!(
        stderr(&out).contains("not a minicrm database"),
        "{}",
        stderr(&out)
    );
    assert_eq!(std::fs::read(&file).unwrap(), b"not a database\n");
}

#[test]
fn the_server_lists_and_searches_the_demo_data() {
    let dir = tempfile::tempdir().unwrap();
    let db = db_in(dir.path(), "served.db");
    add_admin(&db);
    demo(&db, 300, 2);
    let (customer, name, contact): (i64, String, String) = Connection::open(&db)
        .unwrap()
        .query_row(
            "SELECT c.id, c.name, p.last_name FROM customers c
             JOIN customer_contacts cc ON cc.customer_id = c.id JOIN contacts p ON p.id = cc.contact_id
             WHERE c.archived = 0 ORDER BY c.id LIMIT 1",
            [],
            |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
        )
        .unwrap();
    let path = db.clone();
    let server = TestServer::start_with(move |c| c.db_path = path);
    let client = server.client();
    let login = client.login("aino", ADMIN_PASSWORD);
    assert_eq!(login.status, 303, "{}", login.body);
    let word = name.split_whitespace().next().unwrap().to_string();
    let q: String = percent_encode(&word);
    for path in [
        "/tasks?assignee_id=me".to_string(),
        "/tasks?status=done".to_string(),
        "/".to_string(),
        "/customers".to_string(),
        format!("/customers?q={q}"),
        "/customers?sort=-created_at&archived=all".to_string(),
        "/contacts".to_string(),
        format!("/contacts?q={}", percent_encode(&contact)),
    ] {
        let resp = client.get(&path);
        assert_eq!(resp.status, 200, "GET {path}: {}", resp.body);
    }
    // The customer card, when it exists, shows the customer.
    let card = client.get(&format!("/customers/{customer}"));
    assert!(matches!(card.status, 200 | 404), "{}", card.status);
}

fn percent_encode(text: &str) -> String {
    text.bytes()
        .map(|b| {
            if b.is_ascii_alphanumeric() {
                (b as char).to_string()
            } else {
                format!("%{b:02X}")
            }
        })
        .collect()
}

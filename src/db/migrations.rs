//! Schema migrations as an ordered list: migration `i` takes the schema from version `i + 1` to
//! `i + 2` (version 1 is `tests/fixtures/schema_v1.sql`; `schema.sql` is the latest version). Each runs in its own transaction together with the
//! `user_version` bump, so a failed step leaves the previous version intact. Downgrades are
//! refused before this runs (see `db::open_with`). A safety copy is written before the first step.

use rusqlite::Connection;

pub(crate) struct Migration {
    /// What the step does, for the log line.
    pub description: &'static str,
    pub sql: &'static str,
}

/// Every migration after version 1, oldest first. Append only; never edit one that has
/// shipped. When you add one, update schema.sql too so new databases start at the end (a test
/// checks that both ways give the same schema).
pub(crate) const MIGRATIONS: &[Migration] = &[
    Migration {
        description:
            "tag tables keep the sort columns of their records, for tag lists in list order",
        sql: TAG_SORT_COLUMNS,
    },
    Migration {
        description: "the duplicate finder's candidates are kept as records change",
        sql: DUPLICATE_KEYS,
    },
    Migration {
        description: "tasks, task groups and reminders",
        sql: include_str!("migration_004_tasks.sql"),
    },
    Migration {
        description: "calendar feed tokens",
        sql: include_str!("migration_005_calendar.sql"),
    },
    Migration {
        description: "the search indexes merge in the background, not in the writes",
        sql: SEARCH_MERGE,
    },
    Migration {
        description: "the reminder e-mail outbox",
        sql: include_str!("migration_007_reminder_email.sql"),
    },
    Migration {
        description: "the customer log: events as data, append-only",
        sql: include_str!("migration_008_log.sql"),
    },
    Migration {
        description: "the inbox remembers what it imported",
        sql: include_str!("migration_009_inbox.sql"),
    },
    Migration {
        description: "documents, their versions and text, the Incoming inbox",
        sql: include_str!("migration_010_documents.sql"),
    },
    Migration {
        description: "a contact's links to customers read with their roles from one index",
        sql: LINK_ROLES,
    },
    Migration {
        description: "a search sorts its newest matches, and a list reads its rows' tags, from narrow indexes",
        sql: SEARCH_KEYS,
    },
    Migration {
        description: "a user's delivered reminders and those to come are indexed apart",
        sql: REMINDERS_APART,
    },
    Migration {
        description: "a customer's and a contact's row hold copies of their tags and a contact's of its customers, for list pages",
        sql: include_str!("migration_014_list_rows.sql"),
    },
];

/// Version 13: the index of a user's reminders not dismissed, split into those delivered and
/// those to come. The front page lists the newest delivered ones; from one index of both it
/// walked back through every reminder still to come first (a month of tasks ahead: a quarter
/// of a second at a million customers).
const REMINDERS_APART: &str = "
DROP INDEX reminders_inbox;
CREATE INDEX reminders_delivered ON reminders(user_id, remind_at) WHERE dismissed_at IS NULL AND delivered_at IS NOT NULL;
CREATE INDEX reminders_pending ON reminders(user_id, remind_at) WHERE dismissed_at IS NULL AND delivered_at IS NULL;
";

/// Version 12: narrow indexes for what a search reads after every write has emptied the
/// page cache. An index of each big register's sort and filter columns by id, from which a
/// search sorts its newest matches (`Register::SEARCH_KEYS`) without reading each match's
/// row; and the tag links by record alone, from which each list row reads its tags (the
/// link tables themselves also hold copies of the sort columns, a third as many to a page).
/// Built in key order, they take a few seconds at a million customers.
const SEARCH_KEYS: &str = "
CREATE INDEX customers_search_keys ON customers(id, archived, owner_id, name COLLATE NOCASE, number_seq, number);
CREATE INDEX contacts_search_keys ON contacts(id, last_name COLLATE NOCASE, first_name COLLATE NOCASE);
CREATE INDEX customer_tags_by_customer ON customer_tags(customer_id, tag_id);
CREATE INDEX contact_tags_by_contact ON contact_tags(contact_id, tag_id);
";

/// Version 11: the index of a contact's customers holds the role too. Every list row, card
/// and search hit of a contact reads its links and roles; without the role in the index each
/// link was a second look-up, in the table, most often a page the cache did not hold.
const LINK_ROLES: &str = "
DROP INDEX customer_contacts_by_contact;
CREATE INDEX customer_contacts_by_contact ON customer_contacts(contact_id, customer_id, role);
";

/// Version 4: the full-text indexes do not merge by themselves (`automerge` 0).
const SEARCH_MERGE: &str = "
-- The search indexes merge their segments in the background (the server's job
-- `jobs.search_index`, src/log/store.rs `merge_search_indexes`), not in the write that
-- happens to complete a level of four: that made one create in a few dozen take tens of
-- milliseconds. If the job falls behind, FTS5 still merges a level of 16 (crisismerge) itself.
INSERT INTO customers_fts(customers_fts, rank) VALUES ('automerge', 0);
INSERT INTO contacts_fts(contacts_fts, rank) VALUES ('automerge', 0);
INSERT INTO events_fts(events_fts, rank) VALUES ('automerge', 0);
";

/// Version 2: `customer_tags` and `contact_tags` hold copies of the sort columns.
const TAG_SORT_COLUMNS: &str = "
ALTER TABLE customer_tags ADD COLUMN archived INTEGER NOT NULL DEFAULT 0;
ALTER TABLE customer_tags ADD COLUMN name TEXT NOT NULL DEFAULT '';
ALTER TABLE customer_tags ADD COLUMN number_seq INTEGER;
ALTER TABLE customer_tags ADD COLUMN number TEXT NOT NULL DEFAULT '';
UPDATE customer_tags AS x SET archived = c.archived, name = c.name, number_seq = c.number_seq, number = c.number
    FROM customers c WHERE c.id = x.customer_id;
ALTER TABLE contact_tags ADD COLUMN last_name TEXT NOT NULL DEFAULT '';
ALTER TABLE contact_tags ADD COLUMN first_name TEXT NOT NULL DEFAULT '';
UPDATE contact_tags AS x SET last_name = p.last_name, first_name = p.first_name
    FROM contacts p WHERE p.id = x.contact_id;
-- A tag's list walks one of these indexes in list order (src/register/list.rs): the link
-- table keeps copies of the customer's sort columns, which the triggers below keep equal.
CREATE INDEX customer_tags_by_tag_archived ON customer_tags(tag_id, archived, customer_id);
CREATE INDEX customer_tags_by_name ON customer_tags(tag_id, archived, name COLLATE NOCASE, customer_id);
CREATE INDEX customer_tags_by_name_all ON customer_tags(tag_id, name COLLATE NOCASE, customer_id);
CREATE INDEX customer_tags_by_number ON customer_tags(tag_id, archived, number_seq, number, customer_id);
CREATE INDEX customer_tags_by_number_all ON customer_tags(tag_id, number_seq, number, customer_id);
CREATE TRIGGER customer_tags_copy AFTER INSERT ON customer_tags
BEGIN
    UPDATE customer_tags SET (archived, name, number_seq, number) =
        (SELECT archived, name, number_seq, number FROM customers WHERE id = new.customer_id)
    WHERE customer_id = new.customer_id AND tag_id = new.tag_id;
END;
CREATE TRIGGER customers_tag_copies AFTER UPDATE OF archived, name, number_seq, number ON customers
WHEN old.archived IS NOT new.archived OR old.name IS NOT new.name
    OR old.number_seq IS NOT new.number_seq OR old.number IS NOT new.number
BEGIN
    UPDATE customer_tags SET archived = new.archived, name = new.name,
        number_seq = new.number_seq, number = new.number
    WHERE customer_id = new.id;
END;
CREATE INDEX contact_tags_by_name ON contact_tags(tag_id, last_name COLLATE NOCASE, first_name COLLATE NOCASE, contact_id);
CREATE TRIGGER contact_tags_copy AFTER INSERT ON contact_tags
BEGIN
    UPDATE contact_tags SET (last_name, first_name) =
        (SELECT last_name, first_name FROM contacts WHERE id = new.contact_id)
    WHERE contact_id = new.contact_id AND tag_id = new.tag_id;
END;
CREATE TRIGGER contacts_tag_copies AFTER UPDATE OF last_name, first_name ON contacts
WHEN old.last_name IS NOT new.last_name OR old.first_name IS NOT new.first_name
BEGIN
    UPDATE contact_tags SET last_name = new.last_name, first_name = new.first_name
    WHERE contact_id = new.id;
END;
";

/// Version 3: `customer_duplicates` and `contact_duplicates`, filled once here.
const DUPLICATE_KEYS: &str = "
-- The duplicate finder's candidates: the keys more than one record has (a customer's folded
-- name or e-mail; a contact's full name or e-mail), kept by the triggers as records change,
-- so the finder reads a short table instead of grouping the whole register. Keys are
-- lower case, as the NOCASE indexes the members are found by compare them.
CREATE TABLE customer_duplicates (
    kind TEXT NOT NULL CHECK (kind IN ('name', 'email')),
    key  TEXT NOT NULL,
    PRIMARY KEY (kind, key)
) STRICT, WITHOUT ROWID;
CREATE TRIGGER customers_duplicates_insert AFTER INSERT ON customers
BEGIN
    INSERT OR IGNORE INTO customer_duplicates(kind, key)
        SELECT 'name', new.name_key WHERE new.name_key <> ''
            AND EXISTS (SELECT 1 FROM customers WHERE name_key = new.name_key AND id <> new.id);
    INSERT OR IGNORE INTO customer_duplicates(kind, key)
        SELECT 'email', lower(new.email) WHERE new.email <> ''
            AND EXISTS (SELECT 1 FROM customers WHERE email = new.email COLLATE NOCASE AND email <> '' AND id <> new.id);
END;
CREATE TRIGGER customers_duplicates_delete AFTER DELETE ON customers
BEGIN
    DELETE FROM customer_duplicates WHERE kind = 'name' AND key = old.name_key
        AND (SELECT count(*) FROM (SELECT 1 FROM customers WHERE name_key = old.name_key LIMIT 2)) < 2;
    DELETE FROM customer_duplicates WHERE kind = 'email' AND key = lower(old.email)
        AND (SELECT count(*) FROM (SELECT 1 FROM customers WHERE email = old.email COLLATE NOCASE AND email <> '' LIMIT 2)) < 2;
END;
CREATE TRIGGER customers_duplicates_update AFTER UPDATE OF name_key, email ON customers
WHEN old.name_key IS NOT new.name_key OR lower(old.email) IS NOT lower(new.email)
BEGIN
    DELETE FROM customer_duplicates WHERE kind = 'name' AND key = old.name_key
        AND (SELECT count(*) FROM (SELECT 1 FROM customers WHERE name_key = old.name_key LIMIT 2)) < 2;
    DELETE FROM customer_duplicates WHERE kind = 'email' AND key = lower(old.email)
        AND (SELECT count(*) FROM (SELECT 1 FROM customers WHERE email = old.email COLLATE NOCASE AND email <> '' LIMIT 2)) < 2;
    INSERT OR IGNORE INTO customer_duplicates(kind, key)
        SELECT 'name', new.name_key WHERE new.name_key <> ''
            AND EXISTS (SELECT 1 FROM customers WHERE name_key = new.name_key AND id <> new.id);
    INSERT OR IGNORE INTO customer_duplicates(kind, key)
        SELECT 'email', lower(new.email) WHERE new.email <> ''
            AND EXISTS (SELECT 1 FROM customers WHERE email = new.email COLLATE NOCASE AND email <> '' AND id <> new.id);
END;

CREATE TABLE contact_duplicates (
    kind TEXT NOT NULL CHECK (kind IN ('name', 'email')),
    -- The last name, or the e-mail address.
    key  TEXT NOT NULL,
    -- The first name; '' for an e-mail address.
    key2 TEXT NOT NULL DEFAULT '',
    PRIMARY KEY (kind, key, key2)
) STRICT, WITHOUT ROWID;
CREATE TRIGGER contacts_duplicates_insert AFTER INSERT ON contacts
BEGIN
    INSERT OR IGNORE INTO contact_duplicates(kind, key, key2)
        SELECT 'name', lower(new.last_name), lower(new.first_name)
        WHERE EXISTS (SELECT 1 FROM contacts WHERE last_name = new.last_name COLLATE NOCASE
            AND first_name = new.first_name COLLATE NOCASE AND id <> new.id);
    INSERT OR IGNORE INTO contact_duplicates(kind, key, key2)
        SELECT 'email', lower(new.email), '' WHERE new.email <> ''
            AND EXISTS (SELECT 1 FROM contacts WHERE email = new.email COLLATE NOCASE AND email <> '' AND id <> new.id);
END;
CREATE TRIGGER contacts_duplicates_delete AFTER DELETE ON contacts
BEGIN
    DELETE FROM contact_duplicates WHERE kind = 'name' AND key = lower(old.last_name) AND key2 = lower(old.first_name)
        AND (SELECT count(*) FROM (SELECT 1 FROM contacts WHERE last_name = old.last_name COLLATE NOCASE
            AND first_name = old.first_name COLLATE NOCASE LIMIT 2)) < 2;
    DELETE FROM contact_duplicates WHERE kind = 'email' AND key = lower(old.email) AND key2 = ''
        AND (SELECT count(*) FROM (SELECT 1 FROM contacts WHERE email = old.email COLLATE NOCASE AND email <> '' LIMIT 2)) < 2;
END;
CREATE TRIGGER contacts_duplicates_update AFTER UPDATE OF last_name, first_name, email ON contacts
WHEN lower(old.last_name) IS NOT lower(new.last_name) OR lower(old.first_name) IS NOT lower(new.first_name)
    OR lower(old.email) IS NOT lower(new.email)
BEGIN
    DELETE FROM contact_duplicates WHERE kind = 'name' AND key = lower(old.last_name) AND key2 = lower(old.first_name)
        AND (SELECT count(*) FROM (SELECT 1 FROM contacts WHERE last_name = old.last_name COLLATE NOCASE
            AND first_name = old.first_name COLLATE NOCASE LIMIT 2)) < 2;
    DELETE FROM contact_duplicates WHERE kind = 'email' AND key = lower(old.email) AND key2 = ''
        AND (SELECT count(*) FROM (SELECT 1 FROM contacts WHERE email = old.email COLLATE NOCASE AND email <> '' LIMIT 2)) < 2;
    INSERT OR IGNORE INTO contact_duplicates(kind, key, key2)
        SELECT 'name', lower(new.last_name), lower(new.first_name)
        WHERE EXISTS (SELECT 1 FROM contacts WHERE last_name = new.last_name COLLATE NOCASE
            AND first_name = new.first_name COLLATE NOCASE AND id <> new.id);
    INSERT OR IGNORE INTO contact_duplicates(kind, key, key2)
        SELECT 'email', lower(new.email), '' WHERE new.email <> ''
            AND EXISTS (SELECT 1 FROM contacts WHERE email = new.email COLLATE NOCASE AND email <> '' AND id <> new.id);
END;
INSERT INTO customer_duplicates(kind, key)
    SELECT 'name', name_key FROM customers WHERE name_key <> '' GROUP BY name_key HAVING count(*) > 1;
INSERT OR IGNORE INTO customer_duplicates(kind, key)
    SELECT 'email', lower(email) FROM customers WHERE email <> '' GROUP BY email COLLATE NOCASE HAVING count(*) > 1;
INSERT OR IGNORE INTO contact_duplicates(kind, key, key2)
    SELECT 'name', lower(last_name), lower(first_name) FROM contacts
    GROUP BY last_name COLLATE NOCASE, first_name COLLATE NOCASE HAVING count(*) > 1;
INSERT OR IGNORE INTO contact_duplicates(kind, key, key2)
    SELECT 'email', lower(email), '' FROM contacts WHERE email <> '' GROUP BY email COLLATE NOCASE HAVING count(*) > 1;
";

pub(super) fn apply(
    conn: &mut Connection,
    from: i32,
    migrations: &[Migration],
) -> rusqlite::Result<()> {
    for (index, step) in migrations
        .iter()
        .enumerate()
        .skip((from - 1).max(0) as usize)
    {
        let version = index as i32 + 2;
        let tx = conn.transaction_with_behavior(rusqlite::TransactionBehavior::Exclusive)?;
        tx.execute_batch(step.sql)?;
        tx.pragma_update(None, "user_version", version)?;
        tx.commit()?;
        log::info!(
            "database upgraded to schema version {version}: {}",
            step.description
        );
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::db::{backup, open, open_with, schema_version};

    const TEST_STEPS: &[Migration] = &[
        Migration {
            description: "add a column",
            sql: "ALTER TABLE users ADD COLUMN nickname TEXT;",
        },
        Migration {
            description: "add a table",
            sql: "CREATE TABLE extra(x INTEGER);",
        },
    ];

    #[test]
    fn migrates_step_by_step_after_a_safety_copy() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("m.db");
        drop(open_with(&path, &[]).unwrap());
        let conn = open_with(&path, TEST_STEPS).unwrap();
        assert_eq!(schema_version(&conn).unwrap(), 3);
        conn.execute("INSERT INTO extra(x) VALUES (1)", []).unwrap();
        let copies = backup::list(&path).unwrap();
        assert_eq!(copies.len(), 1, "{copies:?}");
        assert!(
            copies[0].name.contains("before-v1-to-v3"),
            "{:?}",
            copies[0]
        );
        let old = rusqlite::Connection::open(copies[0].path.clone()).unwrap();
        assert_eq!(schema_version(&old).unwrap(), 1);
        // Opening again at the same version changes nothing and writes no new copy.
        drop(conn);
        drop(open_with(&path, TEST_STEPS).unwrap());
        assert_eq!(backup::list(&path).unwrap().len(), 1);
    }

    #[test]
    fn a_failing_step_keeps_the_previous_version() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("m.db");
        drop(open_with(&path, &[]).unwrap());
        let broken = [Migration {
            description: "broken",
            sql: "ALTER TABLE no_such_table ADD COLUMN y TEXT;",
        }];
        assert!(open_with(&path, &broken).is_err());
        let conn = open_with(&path, &[]).unwrap();
        assert_eq!(schema_version(&conn).unwrap(), 1);
    }

    /// The schema's shape as SQLite reports it: every table's columns, every index's columns
    /// and condition, every trigger's text (whitespace folded).
    fn shape(conn: &rusqlite::Connection) -> Vec<String> {
        let fold = |sql: &str| sql.split_whitespace().collect::<Vec<_>>().join(" ");
        let objects: Vec<(String, String, Option<String>)> = conn
            .prepare(
                "SELECT type, name, sql FROM sqlite_master WHERE name NOT LIKE 'sqlite_%' ORDER BY type, name",
            )
            .unwrap()
            .query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))
            .unwrap()
            .collect::<rusqlite::Result<_>>()
            .unwrap();
        let mut out = Vec::new();
        for (kind, name, sql) in objects {
            let pragma = match kind.as_str() {
                "table" => format!("PRAGMA table_xinfo({name})"),
                "index" => format!("PRAGMA index_xinfo({name})"),
                _ => {
                    out.push(format!("{kind} {name}: {}", fold(&sql.unwrap_or_default())));
                    continue;
                }
            };
            let mut stmt = conn.prepare(&pragma).unwrap();
            let n = stmt.column_count();
            let rows: Vec<String> = stmt
                .query_map([], |r| {
                    Ok((0..n)
                        .map(|i| format!("{:?}", r.get_ref(i).unwrap()))
                        .collect::<Vec<_>>()
                        .join(","))
                })
                .unwrap()
                .collect::<rusqlite::Result<_>>()
                .unwrap();
            let condition = sql
                .as_deref()
                .and_then(|s| s.split_once(" WHERE "))
                .map(|(_, w)| fold(w))
                .unwrap_or_default();
            out.push(format!("{kind} {name}: {} {condition}", rows.join(" | ")));
        }
        out
    }

    #[test]
    fn the_migrations_bring_version_1_to_what_schema_sql_makes() {
        let dir = tempfile::tempdir().unwrap();
        let old = dir.path().join("old.db");
        {
            let conn = rusqlite::Connection::open(&old).unwrap();
            conn.execute_batch(include_str!("../../tests/fixtures/schema_v1.sql"))
                .unwrap();
            conn.pragma_update(None, "application_id", crate::db::APPLICATION_ID)
                .unwrap();
            conn.pragma_update(None, "user_version", 1).unwrap();
        }
        let migrated = open(&old).unwrap();
        let fresh = open(&dir.path().join("new.db")).unwrap();
        assert_eq!(
            schema_version(&migrated).unwrap(),
            schema_version(&fresh).unwrap()
        );
        let (a, b) = (shape(&migrated), shape(&fresh));
        let only_migrated: Vec<&String> = a.iter().filter(|l| !b.contains(l)).collect();
        let only_fresh: Vec<&String> = b.iter().filter(|l| !a.contains(l)).collect();
        assert!(
            only_migrated.is_empty() && only_fresh.is_empty(),
            "migrated only: {only_migrated:#?}\nschema.sql only: {only_fresh:#?}"
        );
    }
}

//! Schema migrations as an ordered list: migration `i` takes the schema from version `i + 1` to
//! `i + 2` (version 1 is `schema.sql`). Each runs in its own transaction together with the
//! `user_version` bump, so a failed step leaves the previous version intact. Downgrades are
//! refused before this runs (see `db::open_with`). A safety copy is written before the first step.

use rusqlite::Connection;

pub(crate) struct Migration {
    /// What the step does, for the log line.
    pub description: &'static str,
    pub sql: &'static str,
}

/// Every migration after schema.sql's version 1, oldest first. Append only; never edit one that
/// has shipped. When you add one, update schema.sql too so new databases start at the end.
pub(crate) const MIGRATIONS: &[Migration] = &[
    Migration {
        description: "tasks, task groups and reminders",
        sql: include_str!("migration_002_tasks.sql"),
    },
    Migration {
        description: "calendar feed tokens",
        sql: include_str!("migration_003_calendar.sql"),
    },
];

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
    use crate::db::{backup, open_with, schema_version};

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
}

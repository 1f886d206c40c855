//! SQLite's process-wide configuration (`minicrm::db`), in a test binary of its own: it takes
//! effect only when set before SQLite's first connection in the process, which a binary whose
//! tests open connections in parallel, some without `minicrm::db`, cannot promise.

use std::path::PathBuf;

/// The temporary files this process holds open: SQLite deletes each as soon as it has opened
/// it, so they are found only by their descriptors.
fn sqlite_temp_files() -> Vec<PathBuf> {
    std::fs::read_dir("/proc/self/fd")
        .unwrap()
        .filter_map(|e| std::fs::read_link(e.ok()?.path()).ok())
        .filter(|p| p.to_string_lossy().ends_with(" (deleted)"))
        .collect()
}

/// A savepoint keeps the old content of the pages it changes in memory: a grouped create
/// changes some 25 pages, and past SQLite's default of 16 every group of creates opened a
/// temporary file and wrote each page to it, while the other writers waited.
#[test]
fn a_savepoint_of_a_few_dozen_pages_keeps_its_journal_in_memory() {
    let dir = tempfile::tempdir().unwrap();
    let mut conn = minicrm::db::open(&dir.path().join("minicrm.db")).unwrap();
    conn.execute_batch(
        "CREATE TABLE scratch (x BLOB);
         WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 200)
         INSERT INTO scratch SELECT randomblob(1000) FROM n;",
    )
    .unwrap();
    let during = minicrm::db::write(&mut conn, |tx| {
        // Some fifty pages of rows changed in a savepoint, as a grouped write makes one.
        tx.execute_batch("SAVEPOINT grouped; UPDATE scratch SET x = randomblob(1000);")?;
        let open = sqlite_temp_files();
        tx.execute_batch("RELEASE grouped")?;
        Ok::<_, rusqlite::Error>(open)
    })
    .unwrap();
    assert!(during.is_empty(), "{during:?}");
    let changed: i64 = conn
        .query_row("SELECT count(*) FROM scratch", [], |r| r.get(0))
        .unwrap();
    assert_eq!(changed, 200);
}

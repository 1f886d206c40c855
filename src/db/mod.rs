//! Opening the one SQLite file: the refusal of foreign and newer files, pragmas, migrations,
//! and the transaction helper every write goes through.
//!
//! Journal mode is DELETE (a rollback journal), not WAL: every acknowledged write is then in the
//! main file itself, so copying `minicrm.db` while the server is idle is a complete backup
//! (invariant 1). Readers still run while a writer prepares its transaction; they wait only
//! for the short moment of its commit (busy timeout).

pub mod backup;
mod migrations;

use std::cell::Cell;
use std::path::{Path, PathBuf};
use std::sync::{Condvar, Mutex};
use std::time::{Duration, Instant};

use rusqlite::{Connection, OpenFlags, Transaction, TransactionBehavior};

pub(crate) use migrations::{Migration, MIGRATIONS};

/// `PRAGMA application_id` of a minicrm database: "MCRM" in ASCII.
pub(crate) const APPLICATION_ID: i32 = 0x4D43_524D;
/// The schema version this build writes and reads: 1 (schema.sql) plus every migration.
pub(crate) const SCHEMA_VERSION: i32 = 1 + MIGRATIONS.len() as i32;
pub(crate) const SCHEMA: &str = include_str!("../../schema.sql");
const BUSY_TIMEOUT: Duration = Duration::from_secs(10);

/// Why a database file could not be opened; each says what to do.
#[derive(Debug, thiserror::Error)]
pub enum OpenError {
    #[error("{0} is not a minicrm database (it is {1}); nothing was written to it. Choose another file with --db.")]
    Foreign(PathBuf, &'static str),
    #[error("{path} was made by a newer minicrm (schema version {found}; this minicrm reads up to {supported}). Install a newer minicrm to open it; nothing was written to it.")]
    Newer {
        path: PathBuf,
        found: i32,
        supported: i32,
    },
    #[error("cannot open {0}: {1}")]
    Io(PathBuf, std::io::Error),
    #[error("cannot open {0}: {1}")]
    Sqlite(PathBuf, rusqlite::Error),
    #[error("could not write the safety copy before upgrading {0}, so it was not upgraded: {1}")]
    Snapshot(PathBuf, String),
}

/// What the first 100 bytes of a file say about it.
#[derive(Debug, PartialEq, Eq)]
enum Header {
    Missing,
    Minicrm { version: i32 },
    Foreign(&'static str),
}

/// Reads the SQLite header without SQLite, so a foreign file is never touched, not even by a
/// read lock or a hot-journal rollback.
fn read_header(path: &Path) -> Result<Header, OpenError> {
    use std::io::Read;
    let mut file = match std::fs::File::open(path) {
        Ok(f) => f,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Header::Missing),
        Err(e) => return Err(OpenError::Io(path.into(), e)),
    };
    if file.metadata().map(|m| m.is_dir()).unwrap_or(false) {
        return Ok(Header::Foreign("a directory"));
    }
    let mut head = [0u8; 100];
    let mut read = 0;
    while read < head.len() {
        match file.read(&mut head[read..]) {
            Ok(0) => break,
            Ok(n) => read += n,
            Err(e) => return Err(OpenError::Io(path.into(), e)),
        }
    }
    if read == 0 {
        return Ok(Header::Foreign("an empty file"));
    }
    if read < 100 || &head[..16] != b"SQLite format 3\0" {
        return Ok(Header::Foreign("not an SQLite database"));
    }
    let be = |at: usize| i32::from_be_bytes([head[at], head[at + 1], head[at + 2], head[at + 3]]);
    // Offsets from the SQLite file format: user_version at 60, application_id at 68.
    if be(68) != APPLICATION_ID {
        return Ok(Header::Foreign("an SQLite database of another program"));
    }
    Ok(Header::Minicrm { version: be(60) })
}

/// Page cache per connection, in KiB. The server holds one connection per worker plus the jobs
/// thread, so this times nine is what SQLite keeps cached at most; the operating system's file
/// cache holds the rest of a big database.
pub(crate) const CACHE_KIB: i64 = 2000;

/// Sets the per-connection pragmas every minicrm connection runs with. Memory stays bounded:
/// a small page cache, temporary tables and sorts that spill to a file past it (`temp_store`),
/// and no memory-mapped reads (mapped pages would count as the server's own memory).
fn configure(conn: &mut Connection) -> rusqlite::Result<()> {
    conn.busy_handler(Some(busy))?;
    conn.execute_batch(&format!(
        "PRAGMA foreign_keys = ON;
         PRAGMA journal_mode = DELETE;
         PRAGMA synchronous = FULL;
         PRAGMA cache_size = -{CACHE_KIB};
         PRAGMA temp_store = FILE;
         PRAGMA mmap_size = 0;"
    ))
}

/// Waits for another connection's lock in short steps, for about `BUSY_TIMEOUT` in all.
///
/// SQLite's own busy timeout sleeps ever longer (up to 100 ms a try), so a writer that finds
/// the lock taken often sleeps through the moments it is free and can wait seconds behind a
/// steady stream of short transactions. Writers of this process queue on `WRITER` instead (see
/// `write`); this only covers the short overlaps with readers and other processes.
fn busy(attempt: i32) -> bool {
    const QUICK: i32 = 100; // 100 × 0.2 ms: a commit is usually over by then
    const STEP: Duration = Duration::from_millis(2);
    let slow_tries = (BUSY_TIMEOUT.as_millis() / STEP.as_millis()) as i32;
    if attempt < QUICK {
        std::thread::sleep(Duration::from_micros(200));
        true
    } else if attempt < QUICK + slow_tries {
        std::thread::sleep(STEP);
        true
    } else {
        false
    }
}

/// Opens (creating if missing) the database at `path`, migrating it to this build's schema.
/// A foreign or newer file is refused before anything is written.
pub fn open(path: &Path) -> Result<Connection, OpenError> {
    open_with(path, MIGRATIONS)
}

/// `open` with an explicit migration list; tests use it to exercise the upgrade path.
pub(crate) fn open_with(path: &Path, migrations: &[Migration]) -> Result<Connection, OpenError> {
    let target = 1 + migrations.len() as i32;
    let sqlite_err = |e| OpenError::Sqlite(path.into(), e);
    match read_header(path)? {
        Header::Foreign(what) => Err(OpenError::Foreign(path.into(), what)),
        Header::Minicrm { version } if version > target => Err(OpenError::Newer {
            path: path.into(),
            found: version,
            supported: target,
        }),
        Header::Missing => {
            if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
                std::fs::create_dir_all(dir).map_err(|e| OpenError::Io(dir.into(), e))?;
            }
            let mut conn = Connection::open(path).map_err(sqlite_err)?;
            configure(&mut conn).map_err(sqlite_err)?;
            let tx = conn.transaction().map_err(sqlite_err)?;
            tx.execute_batch(SCHEMA).map_err(sqlite_err)?;
            tx.pragma_update(None, "application_id", APPLICATION_ID)
                .map_err(sqlite_err)?;
            tx.pragma_update(None, "user_version", target)
                .map_err(sqlite_err)?;
            tx.commit().map_err(sqlite_err)?;
            Ok(conn)
        }
        Header::Minicrm { version } => {
            if version < target {
                backup::snapshot_before_migration(path, version, target)
                    .map_err(|e| OpenError::Snapshot(path.into(), e.to_string()))?;
            }
            let mut conn = Connection::open(path).map_err(sqlite_err)?;
            configure(&mut conn).map_err(sqlite_err)?;
            migrations::apply(&mut conn, version, migrations).map_err(sqlite_err)?;
            Ok(conn)
        }
    }
}

/// Opens an existing minicrm database read-only, without migrating it (for `backup` and
/// `check`, which must work on any version this build can read).
pub(crate) fn open_read_only(path: &Path) -> Result<Connection, OpenError> {
    match read_header(path)? {
        Header::Missing => Err(OpenError::Io(
            path.into(),
            std::io::Error::new(
                std::io::ErrorKind::NotFound,
                "there is no database at this path",
            ),
        )),
        Header::Foreign(what) => Err(OpenError::Foreign(path.into(), what)),
        Header::Minicrm { version } if version > SCHEMA_VERSION => Err(OpenError::Newer {
            path: path.into(),
            found: version,
            supported: SCHEMA_VERSION,
        }),
        Header::Minicrm { .. } => {
            let conn = Connection::open_with_flags(path, OpenFlags::SQLITE_OPEN_READ_ONLY)
                .map_err(|e| OpenError::Sqlite(path.into(), e))?;
            conn.busy_timeout(BUSY_TIMEOUT)
                .map_err(|e| OpenError::Sqlite(path.into(), e))?;
            Ok(conn)
        }
    }
}

/// Opens another connection to a database that `open` has already checked and migrated:
/// each server worker holds its own (a `Connection` is `Send` but not `Sync`).
pub(crate) fn connect(path: &Path) -> rusqlite::Result<Connection> {
    let mut conn = Connection::open_with_flags(
        path,
        OpenFlags::SQLITE_OPEN_READ_WRITE
            | OpenFlags::SQLITE_OPEN_NO_MUTEX
            | OpenFlags::SQLITE_OPEN_URI,
    )?;
    configure(&mut conn)?;
    Ok(conn)
}

/// The writers of this process, one at a time. SQLite allows one writer per database anyway;
/// queueing here (a waiting thread is woken the moment the writer before it is done) replaces
/// polling for SQLite's lock, which left writers sleeping while others went ahead: at a
/// million customers a create waited seconds behind other creates. A writer waits at most
/// `BUSY_TIMEOUT`, as it would for SQLite's lock, and then fails as "database is busy".
static WRITER: Mutex<bool> = Mutex::new(false);
static WRITER_FREE: Condvar = Condvar::new();

thread_local! {
    /// Whether this thread holds `WRITER` (a write inside a write must not wait for itself).
    static WRITING: Cell<bool> = const { Cell::new(false) };
}

/// This thread's turn to write; the next writer's when dropped.
struct WriterTurn;

impl WriterTurn {
    fn wait() -> rusqlite::Result<WriterTurn> {
        let deadline = Instant::now() + BUSY_TIMEOUT;
        // A writer that panicked left nothing behind (its transaction rolled back): go on.
        let mut busy = WRITER.lock().unwrap_or_else(|e| e.into_inner());
        while *busy {
            let left = deadline.saturating_duration_since(Instant::now());
            if left.is_zero() {
                return Err(rusqlite::Error::SqliteFailure(
                    rusqlite::ffi::Error::new(rusqlite::ffi::SQLITE_BUSY),
                    Some("database is busy: another write took too long".into()),
                ));
            }
            busy = WRITER_FREE
                .wait_timeout(busy, left)
                .unwrap_or_else(|e| e.into_inner())
                .0;
        }
        *busy = true;
        WRITING.with(|w| w.set(true));
        Ok(WriterTurn)
    }
}

impl Drop for WriterTurn {
    fn drop(&mut self) {
        WRITING.with(|w| w.set(false));
        *WRITER.lock().unwrap_or_else(|e| e.into_inner()) = false;
        WRITER_FREE.notify_one();
    }
}

/// Runs `f` in one IMMEDIATE transaction: it takes the write lock up front (so it never fails
/// half-way on a lock upgrade) and commits only if `f` succeeds. Every write goes through here,
/// so a failed request writes nothing.
pub fn write<T, E>(
    conn: &mut Connection,
    f: impl FnOnce(&Transaction) -> Result<T, E>,
) -> Result<T, E>
where
    E: From<rusqlite::Error>,
{
    let _turn = if WRITING.with(Cell::get) {
        None
    } else {
        Some(WriterTurn::wait()?)
    };
    let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
    let value = f(&tx)?;
    tx.commit()?;
    Ok(value)
}

/// The schema version recorded in an open database.
pub(crate) fn schema_version(conn: &Connection) -> rusqlite::Result<i32> {
    conn.pragma_query_value(None, "user_version", |r| r.get(0))
}

/// The default database path: `minicrm.db` in the platform's data directory.
pub(crate) fn default_path() -> Option<PathBuf> {
    directories::ProjectDirs::from("fi", "minicrm", "minicrm")
        .map(|d| d.data_dir().join("minicrm.db"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn new_database_gets_schema_version_and_application_id() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("sub/new.db");
        let conn = open(&path).unwrap();
        assert_eq!(schema_version(&conn).unwrap(), SCHEMA_VERSION);
        let app: i32 = conn
            .pragma_query_value(None, "application_id", |r| r.get(0))
            .unwrap();
        assert_eq!(app, APPLICATION_ID);
        let mode: String = conn
            .pragma_query_value(None, "journal_mode", |r| r.get(0))
            .unwrap();
        assert_eq!(mode, "delete");
        drop(conn);
        assert_eq!(
            read_header(&path).unwrap(),
            Header::Minicrm {
                version: SCHEMA_VERSION
            }
        );
    }

    #[test]
    fn refuses_a_foreign_file_and_leaves_it_untouched() {
        let dir = tempfile::tempdir().unwrap();
        let text = dir.path().join("notes.txt");
        std::fs::write(&text, b"my important notes, not a database\n").unwrap();
        let other = dir.path().join("other.db");
        Connection::open(&other)
            .unwrap()
            .execute_batch("CREATE TABLE t(x); INSERT INTO t VALUES (1);")
            .unwrap();
        let empty = dir.path().join("empty.db");
        std::fs::write(&empty, b"").unwrap();
        for path in [&text, &other, &empty] {
            let before = std::fs::read(path).unwrap();
            let err = open(path).unwrap_err();
            assert!(matches!(err, OpenError::Foreign(..)), "{err}");
            assert!(err.to_string().contains("not a minicrm database"), "{err}");
            assert_eq!(std::fs::read(path).unwrap(), before);
        }
        assert!(!dir.path().join("backups").exists());
    }

    #[test]
    fn refuses_a_newer_schema_and_names_the_versions() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("newer.db");
        let conn = open(&path).unwrap();
        conn.pragma_update(None, "user_version", SCHEMA_VERSION + 5)
            .unwrap();
        drop(conn);
        let before = std::fs::read(&path).unwrap();
        let err = open(&path).unwrap_err().to_string();
        assert!(err.contains("newer minicrm"), "{err}");
        assert!(
            err.contains(&format!("schema version {}", SCHEMA_VERSION + 5)),
            "{err}"
        );
        assert_eq!(std::fs::read(&path).unwrap(), before);
    }

    #[test]
    fn writers_on_many_connections_take_turns_and_all_commit() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("w.db");
        drop(open(&path).unwrap());
        let threads: Vec<_> = (0..8)
            .map(|t| {
                let path = path.clone();
                std::thread::spawn(move || {
                    let mut conn = connect(&path).unwrap();
                    for i in 0..20 {
                        write(&mut conn, |tx| {
                            tx.execute(
                                "INSERT INTO settings(key, value) VALUES (?1, 'x')",
                                [format!("k{t}-{i}")],
                            )
                        })
                        .unwrap();
                    }
                })
            })
            .collect();
        for t in threads {
            t.join().unwrap();
        }
        let conn = connect(&path).unwrap();
        let n: i64 = conn
            .query_row(
                "SELECT count(*) FROM settings WHERE key LIKE 'k%'",
                [],
                |r| r.get(0),
            )
            .unwrap();
        assert_eq!(n, 160);
    }

    #[test]
    fn write_commits_on_success_and_rolls_back_on_error() {
        let dir = tempfile::tempdir().unwrap();
        let mut conn = open(&dir.path().join("t.db")).unwrap();
        write(&mut conn, |tx| {
            tx.execute("INSERT INTO settings(key, value) VALUES ('a', '1')", [])
        })
        .unwrap();
        let failed: Result<(), crate::Error> = write(&mut conn, |tx| {
            tx.execute("INSERT INTO settings(key, value) VALUES ('b', '2')", [])?;
            Err(crate::Error::field("x", "error.bad_request"))
        });
        assert!(failed.is_err());
        let keys: Vec<String> = conn
            .prepare("SELECT key FROM settings ORDER BY key")
            .unwrap()
            .query_map([], |r| r.get(0))
            .unwrap()
            .collect::<Result<_, _>>()
            .unwrap();
        assert_eq!(keys, ["a"]);
    }
}

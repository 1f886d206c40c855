//! Opening the one SQLite file: the refusal of foreign and newer files, pragmas, migrations,
//! and the transaction helper every write goes through.
//!
//! Concurrency (docs/ARCHITECTURE.md, "Concurrency"): the journal mode is WAL, so a reader never waits for a writer nor
//! a writer for a reader: a long backup, export or import dry run (all readers) holds nobody
//! up. Writers take turns; a request's write waits at most [`REQUEST_BUSY_TIMEOUT`] for its
//! turn and then fails with `Error::Busy` (503, try again), never a 500. A write that is only
//! bookkeeping (a session's last-seen time) uses [`try_write`] and is skipped when another
//! write is under way, so a page view never waits.
//! While a server runs, all writes go through one connection ([`SharedWriter`]), and short
//! request writes queued together share one commit ([`write_grouped`]).
//!
//! "One file holds everything" (a copy of the idle file is a complete backup) is kept by [`Checkpointer`]: once
//! the server has been idle for a moment it moves the WAL's content into the main file and
//! truncates the WAL to nothing (`wal_checkpoint(TRUNCATE)`, never waiting for anyone). With
//! the server stopped SQLite does the same when the last connection closes and removes the WAL.

pub mod backup;
mod migrations;

use std::cell::Cell;
use std::collections::VecDeque;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Condvar, Mutex};
use std::time::{Duration, Instant};

use rusqlite::{Connection, OpenFlags, TransactionBehavior};

pub(crate) use migrations::{Migration, MIGRATIONS};

/// `PRAGMA application_id` of a minicrm database: "MCRM" in ASCII.
pub(crate) const APPLICATION_ID: i32 = 0x4D43_524D;
/// The schema version this build writes and reads: 1 (schema.sql) plus every migration.
pub(crate) const SCHEMA_VERSION: i32 = 1 + MIGRATIONS.len() as i32;
pub(crate) const SCHEMA: &str = include_str!("../../schema.sql");
/// How long a command-line or background write waits for another write to finish.
const BUSY_TIMEOUT: Duration = Duration::from_secs(10);
/// How long a request's write waits for another write to finish before it is answered with
/// 503 and `Retry-After` ("writers wait at most a moment").
pub(crate) const REQUEST_BUSY_TIMEOUT: Duration = Duration::from_secs(2);

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
    Sqlite(PathBuf, #[source] rusqlite::Error),
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

/// Page cache per connection, in KiB. The server holds one connection per worker and one per
/// jobs thread (five), so this times thirteen is what SQLite keeps cached at most (all jobs
/// except the backups and the search-index merging touch few pages); the operating system's
/// file cache holds the rest of a big database.
pub(crate) const CACHE_KIB: i64 = 2000;

/// Sets the per-connection pragmas every minicrm connection runs with. `synchronous = FULL`
/// makes every commit durable in WAL mode too. Memory stays bounded: a small page cache,
/// temporary tables and sorts that spill to a file past it (`temp_store`), and no
/// memory-mapped reads (mapped pages would count as the server's own memory).
///
/// The query planner's stability guarantee is on: without it SQLite plans a statement for the
/// values bound to it (a `LIMIT ?`, a `LIKE ?`), so a cached statement bound anew (rusqlite
/// clears its bindings when it goes back to the cache) is parsed and planned again on every
/// run, a fifth of a list page's time. Our plans depend on the indexes, not on the values
/// (`tests/query_plans.rs` checks them on connections configured like this one).
pub fn configure(conn: &Connection) -> rusqlite::Result<()> {
    conn.busy_timeout(BUSY_TIMEOUT)?;
    conn.set_db_config(
        rusqlite::config::DbConfig::SQLITE_DBCONFIG_ENABLE_QPSG,
        true,
    )?;
    // An import's row runs some 30 statements; a cache that holds them all keeps the write
    // transaction (and so the time others wait for it) short.
    conn.set_prepared_statement_cache_capacity(64);
    conn.execute_batch(&format!(
        "PRAGMA foreign_keys = ON;
         PRAGMA synchronous = FULL;
         PRAGMA cache_size = -{CACHE_KIB};
         PRAGMA temp_store = FILE;
         PRAGMA mmap_size = 0;"
    ))
}

/// Puts the file in WAL mode (recorded in the file, so once is enough; a no-op when it is).
fn use_wal(conn: &Connection, path: &Path) -> Result<(), OpenError> {
    let mode: String = conn
        .query_row("PRAGMA journal_mode = WAL", [], |r| r.get(0))
        .map_err(|e| OpenError::Sqlite(path.into(), e))?;
    if mode.eq_ignore_ascii_case("wal") {
        Ok(())
    } else {
        Err(OpenError::Io(
            path.into(),
            std::io::Error::other(format!(
                "the file system does not allow SQLite's WAL mode (the database stayed in {mode} mode)"
            )),
        ))
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
            configure(&conn).map_err(sqlite_err)?;
            use_wal(&conn, path)?;
            let tx = conn.transaction().map_err(sqlite_err)?;
            tx.execute_batch(SCHEMA).map_err(sqlite_err)?;
            tx.pragma_update(None, "application_id", APPLICATION_ID)
                .map_err(sqlite_err)?;
            tx.pragma_update(None, "user_version", target)
                .map_err(sqlite_err)?;
            tx.commit().map_err(sqlite_err)?;
            // The header (application id, schema version) into the main file at once, where
            // the next open checks it before SQLite reads the WAL.
            checkpoint(&conn).map_err(sqlite_err)?;
            Ok(conn)
        }
        Header::Minicrm { version } => {
            if version < target {
                backup::snapshot_before_migration(path, version, target)
                    .map_err(|e| OpenError::Snapshot(path.into(), e.to_string()))?;
            }
            let mut conn = Connection::open(path).map_err(sqlite_err)?;
            configure(&conn).map_err(sqlite_err)?;
            // A file from before WAL is switched at its first open by this build.
            use_wal(&conn, path)?;
            migrations::apply(&mut conn, version, migrations).map_err(sqlite_err)?;
            // The header (application id, schema version) into the main file at once, where
            // the next open checks it before SQLite reads the WAL.
            checkpoint(&conn).map_err(sqlite_err)?;
            Ok(conn)
        }
    }
}

/// Opens an existing minicrm database for reading only, without migrating it (for `backup`,
/// `check` and `export`, which must work on any version this build can read).
///
/// The connection is opened read-write, with `query_only` forbidding every write, so that when
/// it is the last one to close SQLite can still remove the `-wal` and `-shm` files beside the
/// database; a file this user may not write is opened read-only instead.
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
            let sqlite_err = |e| OpenError::Sqlite(path.into(), e);
            let conn = Connection::open_with_flags(path, OpenFlags::SQLITE_OPEN_READ_WRITE)
                .or_else(|_| Connection::open_with_flags(path, OpenFlags::SQLITE_OPEN_READ_ONLY))
                .map_err(sqlite_err)?;
            conn.busy_timeout(BUSY_TIMEOUT).map_err(sqlite_err)?;
            conn.pragma_update(None, "query_only", true)
                .map_err(sqlite_err)?;
            Ok(conn)
        }
    }
}

/// Opens another connection to a database that `open` has already checked and migrated:
/// each server worker holds its own (a `Connection` is `Send` but not `Sync`). Its writes wait
/// at most `busy_timeout` for another write.
pub(crate) fn connect(path: &Path, busy_timeout: Duration) -> rusqlite::Result<Connection> {
    let conn = Connection::open_with_flags(
        path,
        OpenFlags::SQLITE_OPEN_READ_WRITE
            | OpenFlags::SQLITE_OPEN_NO_MUTEX
            | OpenFlags::SQLITE_OPEN_URI,
    )?;
    configure(&conn)?;
    conn.busy_timeout(busy_timeout)?;
    Ok(conn)
}

/// Whether an error says that another connection holds the lock this one needed (after the
/// busy timeout): the database is busy, not broken.
pub(crate) fn is_busy(err: &rusqlite::Error) -> bool {
    matches!(
        err.sqlite_error_code(),
        Some(rusqlite::ErrorCode::DatabaseBusy | rusqlite::ErrorCode::DatabaseLocked)
    )
}

/// The connection inside a write transaction: what [`write`] hands to the code that changes
/// the database, so that a function taking a `&Tx` is never called outside one.
pub struct Tx<'a>(&'a Connection);

impl<'a> Tx<'a> {
    /// A transaction a test opened directly on its connection.
    #[cfg(test)]
    pub(crate) fn of(tx: &'a rusqlite::Transaction<'_>) -> Tx<'a> {
        Tx(tx)
    }
}

impl std::ops::Deref for Tx<'_> {
    type Target = Connection;

    fn deref(&self) -> &Connection {
        self.0
    }
}

/// The writers of this process take turns at each database file, woken the moment the one before
/// them is done.
/// SQLite allows one writer per database anyway; waiting here replaces polling for SQLite's
/// lock, which left writers sleeping through the moments it was free while others went ahead
/// (at a million customers a create waited seconds behind other creates). A writer waits at
/// most its connection's busy timeout, then fails as busy, as it would on SQLite's lock.
static WRITERS: Mutex<Vec<(String, Arc<Turns>)>> = Mutex::new(Vec::new());

/// The writers' turns at one database file: whether one is writing, the plain writers waiting
/// for the turn and the grouped writes queued for the one who holds it, and a wake-up for the
/// next plain writer.
#[derive(Default)]
struct Turns {
    state: Mutex<TurnState>,
    free: Condvar,
    /// Whether a writer is making queued grouped writes now: readers that give way
    /// ([`give_way_to_writes`]) let it have their core meanwhile.
    making: AtomicBool,
    /// How many times a reader gave way, for the tests.
    #[cfg(test)]
    gave_way: AtomicUsize,
    /// The connection every write of this process goes through while a server runs
    /// ([`SharedWriter`]); `None` otherwise, and each writer writes on its own.
    shared: Mutex<Option<Shared>>,
}

/// Whether a writer holds the turn, who waits for it, and whether writes share a connection.
#[derive(Default)]
struct TurnState {
    taken: bool,
    /// Plain writers waiting for the turn.
    waiting: usize,
    /// Grouped writes waiting to be made, oldest first ([`write_grouped`]).
    queue: VecDeque<Queued>,
    /// How many [`SharedWriter`]s are open: while any is, grouped writes queue.
    sharing: usize,
}

impl TurnState {
    /// Passes the turn on from its holder: to the writer of the oldest queued grouped write,
    /// who then makes the queue's writes, or to a plain writer. A plain writer goes first after
    /// a group, and a group after a plain write, so neither kind waits behind the other for
    /// long.
    fn pass_on(&mut self, free: &Condvar, after_group: bool) {
        let to_plain = self.waiting > 0 && (after_group || self.queue.is_empty());
        match self.queue.front() {
            Some(next) if !to_plain => next.done.give_turn(),
            _ => {
                self.taken = false;
                free.notify_one();
            }
        }
    }
}

/// While it lives, every write of this process to the file goes through one connection.
///
/// SQLite drops a connection's whole page cache when another connection has written, so with
/// each worker writing on its own connection every write began by reading the pages it needed
/// again (at a million customers a fifth of a create's time). Writes take turns anyway
/// ([`WRITERS`]); made on one connection, they find the pages of the last write still cached,
/// and short ones can share a commit ([`write_grouped`]).
pub(crate) struct SharedWriter(Arc<Turns>);

/// The shared connection.
struct Shared {
    conn: Connection,
    /// The [`SharedWriter`]s holding it open.
    users: usize,
    /// Where the open transaction keeps its savepoint journal.
    journal: Journal,
}

/// Where a transaction on the shared connection keeps its savepoint journal: the old content
/// of each page a savepoint (a grouped write, or one statement with triggers) changes, to undo
/// it. SQLite keeps it in memory up to 64 KiB and then moves it to a temporary file; one
/// create changes some 40 pages (the record, its indexes, the search index, the log entry),
/// so nearly every grouped write made, wrote and deleted a file inside the writers' turn
/// (a quarter of a create's time). A grouped write changes one record, so its journal stays
/// in memory (`temp_store = MEMORY` for the transaction). A plain write may be long (an
/// import, a merge whose one statement moves thousands of rows): its journal spills to a file
/// as before, so memory stays bounded.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Journal {
    Memory,
    File,
}

/// A grouped write waiting in the queue: its work, to be run by whoever holds the turn, and
/// where its writer waits.
struct Queued {
    write: Box<dyn FnOnce(&Connection) -> Made + Send>,
    done: Arc<Done>,
}

/// What making one grouped write did to the group's transaction.
enum Made {
    /// Kept, or undone by its savepoint: the transaction goes on.
    Savepointed,
    /// Its savepoint could not be made or undone: what the transaction holds is not known.
    Broken,
}

/// Where the writer of a queued grouped write waits: for the commit of the group its write
/// went into, or for the turn to make the queue's writes itself.
#[derive(Default)]
struct Done {
    stage: Mutex<Stage>,
    changed: Condvar,
}

#[derive(Default)]
enum Stage {
    #[default]
    Queued,
    /// The turn is this writer's: it makes the queued writes, its own first.
    Turn,
    /// The group holding the write was committed, or failed as a whole.
    Finished(Result<(), (rusqlite::ffi::Error, String)>),
}

/// A group commits once this many writes are in it, even with more queued, so that its first
/// member's wait stays short.
const GROUP_MAX_MEMBERS: usize = 16;

impl Done {
    fn has_turn(&self) -> bool {
        matches!(
            *self.stage.lock().unwrap_or_else(|e| e.into_inner()),
            Stage::Turn
        )
    }

    fn give_turn(&self) {
        *self.stage.lock().unwrap_or_else(|e| e.into_inner()) = Stage::Turn;
        self.changed.notify_one();
    }

    fn finish(&self, outcome: &rusqlite::Result<()>) {
        let outcome = match outcome {
            Ok(()) => Ok(()),
            Err(rusqlite::Error::SqliteFailure(code, message)) => {
                Err((*code, message.clone().unwrap_or_default()))
            }
            Err(other) => Err((
                rusqlite::ffi::Error::new(rusqlite::ffi::SQLITE_ERROR),
                other.to_string(),
            )),
        };
        *self.stage.lock().unwrap_or_else(|e| e.into_inner()) = Stage::Finished(outcome);
        self.changed.notify_one();
    }

    /// Waits at most `limit` (forever if `None`) for the write to be made or the turn given.
    fn wait(&self, limit: Option<Duration>) -> Waited {
        let stage = self.stage.lock().unwrap_or_else(|e| e.into_inner());
        let queued = |s: &mut Stage| matches!(s, Stage::Queued);
        let stage = match limit {
            Some(limit) => {
                self.changed
                    .wait_timeout_while(stage, limit, queued)
                    .unwrap_or_else(|e| e.into_inner())
                    .0
            }
            None => self
                .changed
                .wait_while(stage, queued)
                .unwrap_or_else(|e| e.into_inner()),
        };
        match &*stage {
            Stage::Queued => Waited::Queued,
            Stage::Turn => Waited::Turn,
            Stage::Finished(Ok(())) => Waited::Finished(Ok(())),
            Stage::Finished(Err((code, message))) => Waited::Finished(Err(
                rusqlite::Error::SqliteFailure(*code, Some(message.clone())),
            )),
        }
    }
}

/// What a queued write's writer found when it stopped waiting.
enum Waited {
    Queued,
    Turn,
    Finished(rusqlite::Result<()>),
}

impl Shared {
    /// Rolls back the transaction the connection is in, if any: one a failed commit's rollback
    /// left open.
    fn roll_back_open(&self) {
        end_reading(&self.conn);
    }

    /// Keeps the next transaction's savepoint journal in `journal` (set before it begins).
    fn keep_journal(&mut self, journal: Journal) -> rusqlite::Result<()> {
        if self.journal != journal {
            self.conn.execute_batch(match journal {
                Journal::Memory => "PRAGMA temp_store = MEMORY",
                Journal::File => "PRAGMA temp_store = FILE",
            })?;
            self.journal = journal;
        }
        Ok(())
    }

    /// Makes up to [`GROUP_MAX_MEMBERS`] of the queued writes, oldest first, in one
    /// transaction, each in its own savepoint, and commits them with one commit. Their writers
    /// are told how it went once the turn has been passed on ([`Group::tell`]).
    fn make_group(&mut self, turns: &Turns, wait: Duration) -> Group {
        let next = || {
            turns
                .state
                .lock()
                .unwrap_or_else(|e| e.into_inner())
                .queue
                .pop_front()
        };
        let mut members = Vec::new();
        self.roll_back_open();
        let begun = self
            .keep_journal(Journal::Memory)
            .and_then(|()| self.conn.busy_timeout(wait))
            .and_then(|()| self.conn.execute_batch("BEGIN IMMEDIATE"));
        if let Err(e) = begun {
            // Not one of them can be made now: the ones queued are told so, and their writers
            // answer busy or with the error.
            while let Some(queued) = next() {
                members.push(queued.done);
            }
            return Group {
                members,
                outcome: Err(e),
            };
        }
        // Readers give way from here until the turn is passed on (`WriterTurn`'s drop), not
        // while BEGIN waits for another process's write.
        turns.making.store(true, Ordering::Relaxed);
        while members.len() < GROUP_MAX_MEMBERS {
            let Some(queued) = next() else { break };
            let made = (queued.write)(&self.conn);
            members.push(queued.done);
            if matches!(made, Made::Broken) || self.conn.is_autocommit() {
                // SQLite rolled the whole transaction back (a full disk, an I/O error), or a
                // savepoint could not be undone: none of the group is kept.
                self.roll_back_open();
                return Group {
                    members,
                    outcome: Err(group_lost()),
                };
            }
        }
        let outcome = self.conn.execute_batch("COMMIT");
        if outcome.is_err() {
            self.roll_back_open();
        }
        Group { members, outcome }
    }
}

/// The writes made in one transaction, and how its commit went.
struct Group {
    members: Vec<Arc<Done>>,
    outcome: rusqlite::Result<()>,
}

impl Group {
    /// Tells the group's writers how their writes went. Done after passing the turn on: a
    /// writer woken here may take the core of the one telling, which should not be holding
    /// up the next group meanwhile.
    fn tell(&self) {
        for done in &self.members {
            done.finish(&self.outcome);
        }
    }

    fn holds(&self, done: &Done) -> bool {
        self.members.iter().any(|m| std::ptr::eq(&**m, done))
    }
}

/// What the members of a group that was rolled back are told.
fn group_lost() -> rusqlite::Error {
    rusqlite::Error::SqliteFailure(
        rusqlite::ffi::Error::new(rusqlite::ffi::SQLITE_ABORT),
        Some("the transaction was rolled back; nothing of this write was saved".into()),
    )
}

impl SharedWriter {
    /// Opens the connection for `path`, a database that `open` has already checked (or shares
    /// the one already open: two servers of one process on one file, as in the tests).
    pub(crate) fn open(path: &Path) -> rusqlite::Result<SharedWriter> {
        let conn = connect(path, BUSY_TIMEOUT)?;
        let turns = turns_of(&conn);
        let mut shared = turns.shared.lock().unwrap_or_else(|e| e.into_inner());
        match shared.as_mut() {
            Some(open) => open.users += 1,
            None => {
                *shared = Some(Shared {
                    conn,
                    users: 1,
                    journal: Journal::File,
                })
            }
        }
        drop(shared);
        turns
            .state
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .sharing += 1;
        Ok(SharedWriter(turns))
    }
}

impl Drop for SharedWriter {
    /// The last one closes the connection (after the write under way, if any), so that the
    /// last connection to close can take the WAL away.
    fn drop(&mut self) {
        self.0
            .state
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .sharing -= 1;
        let mut shared = self.0.shared.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(open) = shared.as_mut() {
            open.users -= 1;
            if open.users == 0 {
                *shared = None;
            }
        }
    }
}

/// The turns of the database file `conn` works on (one per file, so two databases of one
/// process, as in the tests, never wait for each other).
fn turns_of(conn: &Connection) -> Arc<Turns> {
    let path = conn.path().unwrap_or("").to_string();
    let mut all = WRITERS.lock().unwrap_or_else(|e| e.into_inner());
    if let Some((_, turns)) = all.iter().find(|(p, _)| *p == path) {
        return turns.clone();
    }
    let turns = Arc::new(Turns::default());
    all.push((path, turns.clone()));
    turns
}

thread_local! {
    /// Whether this thread holds a writers' turn (a write inside a write must not wait for
    /// itself).
    static WRITING: Cell<bool> = const { Cell::new(false) };
}

/// This thread's turn to write; passed on to the next writer when dropped.
struct WriterTurn {
    turns: Arc<Turns>,
    /// Whether the turn was taken for grouped writes, which pass it to a plain writer first.
    grouped: bool,
}

impl WriterTurn {
    /// Waits up to `wait` for the turn at `conn`'s file; `None` when another writer of this
    /// process keeps it that long.
    fn take(conn: &Connection, wait: Duration) -> Option<WriterTurn> {
        let turns = turns_of(conn);
        {
            let mut state = turns.state.lock().unwrap_or_else(|e| e.into_inner());
            state.waiting += 1;
            let (mut state, _) = turns
                .free
                .wait_timeout_while(state, wait, |s| s.taken)
                .unwrap_or_else(|e| e.into_inner());
            state.waiting -= 1;
            if state.taken {
                return None;
            }
            state.taken = true;
        }
        Some(WriterTurn::held(turns, false))
    }

    /// The turn this thread was just given.
    fn held(turns: Arc<Turns>, grouped: bool) -> WriterTurn {
        WRITING.with(|w| w.set(true));
        WriterTurn { turns, grouped }
    }
}

impl Drop for WriterTurn {
    fn drop(&mut self) {
        WRITING.with(|w| w.set(false));
        if self.grouped {
            self.turns.making.store(false, Ordering::Relaxed);
        }
        let mut state = self.turns.state.lock().unwrap_or_else(|e| e.into_inner());
        state.pass_on(&self.turns.free, self.grouped);
    }
}

/// The error a writer gets when its turn does not come in time: SQLite's own "busy".
fn busy_error() -> rusqlite::Error {
    rusqlite::Error::SqliteFailure(
        rusqlite::ffi::Error::new(rusqlite::ffi::SQLITE_BUSY),
        Some("another write of this server is still under way".into()),
    )
}

/// The connection's busy timeout: how long its writes may wait.
fn busy_timeout_of(conn: &Connection) -> rusqlite::Result<Duration> {
    let ms: i64 = conn
        .prepare_cached("PRAGMA busy_timeout")?
        .query_row([], |r| r.get(0))?;
    Ok(Duration::from_millis(ms.max(0) as u64))
}

/// Whether `conn` is in a transaction that has only read the database (a page's, see
/// [`begin_reading`]). Only `main` counts: a search's helper table in `temp` is written inside
/// a page's reads, and nothing read from `main` rolls back with it.
fn only_reading(conn: &Connection) -> rusqlite::Result<bool> {
    Ok(conn.transaction_state(Some("main"))? == rusqlite::TransactionState::Read)
}

/// Begins the read transaction a page's reads share: SQLite takes and releases its locks for
/// each statement run outside one (a `fcntl` and a look at the WAL each time, under a
/// process-wide mutex), a third of a log search page's time. It begins at the first read, so
/// the page reads one snapshot. A write ends it ([`write`] and its kin), so that what the
/// request reads after its own write sees it. Ended by [`end_reading`].
pub(crate) fn begin_reading(conn: &Connection) -> rusqlite::Result<()> {
    if conn.is_autocommit() {
        conn.execute_batch("BEGIN")?;
    }
    Ok(())
}

/// Ends what [`begin_reading`] began (if a write has not already). Anything else a request
/// left open on its connection is rolled back, as a failed write's is.
pub(crate) fn end_reading(conn: &Connection) {
    if !conn.is_autocommit() {
        let _ = conn.execute_batch("ROLLBACK");
    }
}

/// Ends a page's read transaction before a write ([`begin_reading`]), or before what must run
/// outside a transaction (`VACUUM INTO`).
pub(crate) fn stop_reading(conn: &Connection) -> rusqlite::Result<()> {
    if only_reading(conn)? {
        conn.execute_batch("COMMIT")?;
    }
    Ok(())
}

/// Runs `f` in one IMMEDIATE transaction: it takes the write lock up front (so it never fails
/// half-way on a lock upgrade) and commits only if `f` succeeds. Every write goes through here
/// or [`write_grouped`], so a failed request writes nothing. Writers of this process take
/// turns first (`WRITERS`).
pub fn write<T, E>(conn: &mut Connection, f: impl FnOnce(&Tx) -> Result<T, E>) -> Result<T, E>
where
    E: From<rusqlite::Error>,
{
    if WRITING.with(Cell::get) {
        return in_transaction(conn, f);
    }
    stop_reading(conn)?;
    let wait = busy_timeout_of(conn)?;
    let turn = WriterTurn::take(conn, wait).ok_or_else(busy_error)?;
    let mut shared = turn.turns.shared.lock().unwrap_or_else(|e| e.into_inner());
    let conn = match shared.as_mut() {
        Some(shared) => {
            shared.roll_back_open();
            shared.keep_journal(Journal::File)?;
            shared.conn.busy_timeout(wait)?;
            &mut shared.conn
        }
        None => conn,
    };
    in_transaction(conn, f)
}

/// Like [`write`], for a request's short write (a form's save, an API create): while a server
/// runs, it joins a queue, and whoever holds the writers' turn makes the writes queued, each in
/// its own savepoint of one transaction, and commits them with one commit (one `fsync`). Each
/// still either fully happens or writes nothing, and returns only once committed.
///
/// The writer holding the turn makes the others' writes itself, so that the queued writes are
/// made by one thread that has a core, rather than each writer waiting to be woken and given
/// one in turn while every core answers reads (with readers giving way, creates at 8 clients
/// took p50 2.7 ms so, against 3.7 ms with the turn handed from writer to writer). That is why
/// `f` must be `Send` and own what it uses.
pub fn write_grouped<T, E>(
    conn: &mut Connection,
    f: impl FnOnce(&Tx) -> Result<T, E> + Send + 'static,
) -> Result<T, E>
where
    T: Send + 'static,
    E: From<rusqlite::Error> + Send + 'static,
{
    if WRITING.with(Cell::get) {
        return in_transaction(conn, f);
    }
    stop_reading(conn)?;
    let wait = busy_timeout_of(conn)?;
    let turns = turns_of(conn);
    let mut state = turns.state.lock().unwrap_or_else(|e| e.into_inner());
    if state.sharing == 0 {
        drop(state);
        let _turn = WriterTurn::take(conn, wait).ok_or_else(busy_error)?;
        return in_transaction(conn, f);
    }
    let made: Arc<Returned<T, E>> = Arc::default();
    let done = Arc::new(Done::default());
    state.queue.push_back(Queued {
        write: Box::new({
            let made = made.clone();
            move |conn| make_one(conn, f, &made)
        }),
        done: done.clone(),
    });
    // A free turn is taken at once, unless plain writers wait for it.
    let mine = !state.taken && state.waiting == 0;
    state.taken |= mine;
    drop(state);
    let mut waited = if mine {
        Waited::Turn
    } else {
        done.wait(Some(wait))
    };
    if let Waited::Queued = waited {
        let mut state = turns.state.lock().unwrap_or_else(|e| e.into_inner());
        let at = state.queue.iter().position(|q| Arc::ptr_eq(&q.done, &done));
        waited = match at {
            // Given the turn just now.
            Some(_) if done.has_turn() => Waited::Turn,
            Some(at) => {
                // Not begun in time: it leaves the queue, and nothing of it is written. What
                // it holds is dropped outside the lock.
                let gone = state.queue.remove(at);
                drop(state);
                drop(gone);
                return Err(E::from(busy_error()));
            }
            // Being made now: its commit is a moment away.
            None => {
                drop(state);
                done.wait(None)
            }
        };
    }
    let outcome = match waited {
        Waited::Finished(outcome) => outcome,
        _ => make_queued(&turns, &done, wait),
    };
    let made = made.lock().unwrap_or_else(|e| e.into_inner()).take();
    match made {
        Some(Err(panic)) => std::panic::resume_unwind(panic),
        Some(Ok(Err(e))) => Err(e),
        Some(Ok(Ok(value))) => outcome.map(|()| value).map_err(E::from),
        // Never begun: the group's transaction could not be opened, or the server closed
        // its connection.
        None => Err(E::from(outcome.err().unwrap_or_else(busy_error))),
    }
}

/// With the turn given to `done`'s writer: makes a group of the queued writes, passes the turn
/// on, and then tells the group's writers how it went. Its own write is the queue's first (a
/// free turn is taken only with the queue empty, and a passed turn goes to the first's
/// writer), so it is in the group.
fn make_queued(turns: &Arc<Turns>, done: &Done, wait: Duration) -> rusqlite::Result<()> {
    let turn = WriterTurn::held(turns.clone(), true);
    let group = match turns
        .shared
        .lock()
        .unwrap_or_else(|e| e.into_inner())
        .as_mut()
    {
        Some(shared) => shared.make_group(turns, wait),
        // The server closed its connection: nothing queued can be made.
        None => Group {
            members: {
                let mut state = turns.state.lock().unwrap_or_else(|e| e.into_inner());
                state.queue.drain(..).map(|q| q.done).collect()
            },
            outcome: Err(busy_error()),
        },
    };
    debug_assert!(group.holds(done));
    drop(turn);
    group.tell();
    match done.wait(Some(Duration::ZERO)) {
        Waited::Finished(outcome) => outcome,
        _ => Err(busy_error()),
    }
}

/// How many SQLite steps a reader that gives way to writes takes between looks at the writer.
const GIVE_WAY_EVERY: std::ffi::c_int = 1000;

/// Makes the reads of `conn` (a server worker's) give way to the writer making queued grouped
/// writes: every [`GIVE_WAY_EVERY`] steps, while one is, the reading thread yields its core.
///
/// The writer works for every request queued behind it, but the scheduler gives it one
/// thread's share of the cores: with four workers searching on two cores, creates waited
/// mostly for the writer to be given a core (a create's p50 5–6 ms at 8 clients, half of
/// them searching; with readers giving way 2.7–4 ms, while the searches took 1.5–2.5 ms
/// more). A process cannot raise one thread's priority without privileges, but a thread can
/// give up its own turn. Only grouped writes are given way to: they are short, while a long
/// plain write (an import) would hold every reader back.
pub(crate) fn give_way_to_writes(conn: &mut Connection) -> rusqlite::Result<()> {
    let turns = turns_of(conn);
    conn.progress_handler(
        GIVE_WAY_EVERY,
        Some(move || {
            if turns.making.load(Ordering::Relaxed) {
                #[cfg(test)]
                turns.gave_way.fetch_add(1, Ordering::Relaxed);
                std::thread::yield_now();
            }
            false
        }),
    )
}

/// What a grouped write's `f` returned (or its panic), kept for its writer.
type Returned<T, E> = Mutex<Option<std::thread::Result<Result<T, E>>>>;

/// Makes one grouped write in its own savepoint, and keeps what `f` returned (or its panic)
/// for its writer.
fn make_one<T, E>(
    conn: &Connection,
    f: impl FnOnce(&Tx) -> Result<T, E>,
    made: &Returned<T, E>,
) -> Made
where
    E: From<rusqlite::Error>,
{
    let run = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| in_savepoint(conn, f)));
    let (value, made_it) = match run {
        Ok(Ok(value)) => (Ok(value), Made::Savepointed),
        Ok(Err(savepoint)) => (Ok(Err(E::from(savepoint))), Made::Broken),
        Err(panic) => {
            // A rusqlite `Transaction` rolls back as a panic unwinds through it; a savepoint
            // in a shared transaction is undone here, and the others' writes kept.
            let undone = !conn.is_autocommit()
                && conn
                    .execute_batch("ROLLBACK TO grouped; RELEASE grouped")
                    .is_ok();
            (
                Err(panic),
                if undone {
                    Made::Savepointed
                } else {
                    Made::Broken
                },
            )
        }
    };
    *made.lock().unwrap_or_else(|e| e.into_inner()) = Some(value);
    made_it
}

/// Runs `f` in a savepoint of the open transaction: kept if it succeeds, undone if it fails.
/// The outer error says the savepoint itself could not be made or undone.
fn in_savepoint<T, E>(
    conn: &Connection,
    f: impl FnOnce(&Tx) -> Result<T, E>,
) -> rusqlite::Result<Result<T, E>>
where
    E: From<rusqlite::Error>,
{
    conn.prepare_cached("SAVEPOINT grouped")?.execute([])?;
    let value = f(&Tx(conn)).and_then(|v| {
        conn.prepare_cached("RELEASE grouped")?.execute([])?;
        Ok(v)
    });
    if value.is_err() && !conn.is_autocommit() {
        conn.execute_batch("ROLLBACK TO grouped; RELEASE grouped")?;
    }
    Ok(value)
}

fn in_transaction<T, E>(conn: &mut Connection, f: impl FnOnce(&Tx) -> Result<T, E>) -> Result<T, E>
where
    E: From<rusqlite::Error>,
{
    let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
    let value = f(&Tx(&tx))?;
    tx.commit()?;
    Ok(value)
}

/// Runs `f` in one IMMEDIATE transaction if the write lock is free right now, without waiting;
/// `Ok(None)` when another write holds it. For bookkeeping that may be skipped (a session's
/// last-seen time), so that a read never waits for a write.
pub(crate) fn try_write<T, E>(
    conn: &mut Connection,
    f: impl FnOnce(&Tx) -> Result<T, E>,
) -> Result<Option<T>, E>
where
    E: From<rusqlite::Error>,
{
    if WRITING.with(Cell::get) {
        return try_in_transaction(conn, f);
    }
    let Some(turn) = WriterTurn::take(conn, Duration::ZERO) else {
        // Skipped: a page's reads go on in their transaction.
        return Ok(None);
    };
    stop_reading(conn)?;
    let mut shared = turn.turns.shared.lock().unwrap_or_else(|e| e.into_inner());
    let conn = match shared.as_mut() {
        Some(shared) => {
            shared.roll_back_open();
            &mut shared.conn
        }
        None => conn,
    };
    try_in_transaction(conn, f)
}

fn try_in_transaction<T, E>(
    conn: &mut Connection,
    f: impl FnOnce(&Tx) -> Result<T, E>,
) -> Result<Option<T>, E>
where
    E: From<rusqlite::Error>,
{
    let waits = busy_timeout_of(conn)?;
    conn.busy_timeout(Duration::ZERO)?;
    // Holding the write lock, nothing in `f` or the commit waits for a lock any more.
    let outcome = (|| {
        let tx = match conn.transaction_with_behavior(TransactionBehavior::Immediate) {
            Ok(tx) => tx,
            Err(e) if is_busy(&e) => return Ok(None),
            Err(e) => return Err(E::from(e)),
        };
        let value = f(&Tx(&tx))?;
        tx.commit()?;
        Ok(Some(value))
    })();
    conn.busy_timeout(waits)?;
    outcome
}

/// Moves what the WAL holds into the main file once the server is idle, so that a plain copy
/// of `minicrm.db` taken while it is idle is a complete backup ("One file holds everything"). Workers mark each
/// request with [`Checkpointer::busy`]; the shared jobs thread calls [`Checkpointer::run_if_idle`]
/// between its turns. The checkpoint never waits: with a reader or writer about, it gives up
/// and is tried again at the next turn.
pub(crate) struct Checkpointer {
    wal: PathBuf,
    /// Requests being answered now.
    in_flight: AtomicUsize,
    /// When the last request ended.
    last: Mutex<Instant>,
}

/// How long the server must have been without a request before the WAL is checkpointed.
const IDLE_BEFORE_CHECKPOINT: Duration = Duration::from_millis(300);

/// A request in flight; dropping it ends it.
pub(crate) struct InFlight<'a>(&'a Checkpointer);

impl Drop for InFlight<'_> {
    fn drop(&mut self) {
        *self.0.last.lock().unwrap_or_else(|e| e.into_inner()) = Instant::now();
        self.0.in_flight.fetch_sub(1, Ordering::SeqCst);
    }
}

impl Checkpointer {
    pub(crate) fn new(db_path: &Path) -> Checkpointer {
        let mut wal = db_path.as_os_str().to_owned();
        wal.push("-wal");
        Checkpointer {
            wal: PathBuf::from(wal),
            in_flight: AtomicUsize::new(0),
            last: Mutex::new(Instant::now()),
        }
    }

    /// Marks a request as in flight until the returned guard is dropped.
    pub(crate) fn busy(&self) -> InFlight<'_> {
        self.in_flight.fetch_add(1, Ordering::SeqCst);
        InFlight(self)
    }

    /// Checkpoints when there is something in the WAL and no request has run for
    /// [`IDLE_BEFORE_CHECKPOINT`]. Returns whether the WAL is now empty.
    pub(crate) fn run_if_idle(&self, conn: &Connection) -> rusqlite::Result<bool> {
        let pending = std::fs::metadata(&self.wal).map(|m| m.len()).unwrap_or(0);
        if pending == 0 {
            return Ok(true);
        }
        let quiet = self
            .last
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .elapsed();
        if self.in_flight.load(Ordering::SeqCst) > 0 || quiet < IDLE_BEFORE_CHECKPOINT {
            return Ok(false);
        }
        checkpoint(conn)
    }
}

/// `wal_checkpoint(TRUNCATE)` without waiting for anyone: copies the WAL into the main file and
/// empties it, or, with a reader or writer about, copies what it can and reports `false`.
fn checkpoint(conn: &Connection) -> rusqlite::Result<bool> {
    let waits = busy_timeout_of(conn)?;
    conn.busy_timeout(Duration::ZERO)?;
    let result = conn.query_row("PRAGMA wal_checkpoint(TRUNCATE)", [], |r| {
        r.get::<_, i64>(0)
    });
    conn.busy_timeout(waits)?;
    match result {
        Ok(busy) => Ok(busy == 0),
        Err(e) if is_busy(&e) => Ok(false),
        Err(e) => Err(e),
    }
}

/// A new database in a temporary folder, for the unit tests (the folder goes when dropped).
#[cfg(test)]
pub(crate) fn temporary() -> (tempfile::TempDir, Connection) {
    let dir = tempfile::tempdir().unwrap();
    let conn = open(&dir.path().join("minicrm.db")).unwrap();
    (dir, conn)
}

/// Where a connection's view of its database stands: the connection (its address) and file,
/// `PRAGMA data_version` (moves when another connection commits) and `total_changes` (moves
/// with this connection's own writes). What was read from the database while this stayed the
/// same is still true.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct State {
    conn: usize,
    path: String,
    version: i64,
    changes: u64,
}

pub(crate) fn state(conn: &Connection) -> rusqlite::Result<State> {
    Ok(State {
        conn: std::ptr::from_ref(conn) as usize,
        path: conn.path().unwrap_or("").to_string(),
        // Cached: parsing the pragma anew each time cost more than the rest of a memo look-up.
        version: conn
            .prepare_cached("PRAGMA data_version")?
            .query_row([], |r| r.get(0))?,
        changes: conn.total_changes(),
    })
}

/// A few values a thread read from its connection (a server worker holds one), each kept while
/// the connection's view of the database stays where it was when read ([`State`]). What a
/// write's transaction reads is not kept: it may roll back. A page's read transaction's is.
pub(crate) struct Memo<K, V> {
    entries: Vec<(State, K, V)>,
    capacity: usize,
}

impl<K: PartialEq, V: Clone> Memo<K, V> {
    pub(crate) const fn new(capacity: usize) -> Self {
        Memo {
            entries: Vec::new(),
            capacity,
        }
    }

    /// The value kept for `key`, or else `read`'s.
    pub(crate) fn get_or_read(
        &mut self,
        conn: &Connection,
        key: K,
        read: impl FnOnce() -> rusqlite::Result<V>,
    ) -> rusqlite::Result<V> {
        let now = state(conn)?;
        self.entries.retain(|(at, _, _)| *at == now);
        if let Some(at) = self.entries.iter().position(|(_, k, _)| *k == key) {
            // The most recently used last: the first goes when the memo is full.
            let entry = self.entries.remove(at);
            let value = entry.2.clone();
            self.entries.push(entry);
            return Ok(value);
        }
        let value = read()?;
        // A page's read transaction may keep what it read; a write's may roll back.
        if conn.is_autocommit() || only_reading(conn)? {
            if self.entries.len() >= self.capacity {
                self.entries.remove(0);
            }
            self.entries.push((now, key, value.clone()));
        }
        Ok(value)
    }
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

    /// A cached statement whose `LIMIT` and `LIKE` are bound anew runs its first plan again:
    /// parsing and planning it once per run made a fifth of a list page's time.
    #[test]
    fn a_cached_statement_is_not_planned_again_for_new_values() {
        let (_dir, conn) = temporary();
        let sql = "SELECT id FROM customers WHERE name LIKE ?1 ORDER BY id LIMIT ?2";
        for (pattern, limit) in [("a%", 1), ("b%", 50), ("%", 51), ("c%", 2)] {
            let mut stmt = conn.prepare_cached(sql).unwrap();
            let ids: Vec<i64> = stmt
                .query_map(rusqlite::params![pattern, limit], |r| r.get(0))
                .unwrap()
                .collect::<rusqlite::Result<_>>()
                .unwrap();
            assert!(ids.is_empty());
        }
        let stmt = conn.prepare_cached(sql).unwrap();
        assert_eq!(stmt.get_status(rusqlite::StatementStatus::RePrepare), 0);
    }

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
        assert_eq!(mode, "wal");
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
    fn the_wal_is_emptied_once_idle_and_never_while_a_request_runs() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("w.db");
        drop(open(&path).unwrap());
        let mut server = connect(&path, REQUEST_BUSY_TIMEOUT).unwrap();
        let jobs = connect(&path, REQUEST_BUSY_TIMEOUT).unwrap();
        let wal = dir.path().join("w.db-wal");
        let wal_len = || std::fs::metadata(&wal).map(|m| m.len()).unwrap_or(0);
        let checkpointer = Checkpointer::new(&path);
        {
            let _request = checkpointer.busy();
            write(&mut server, |tx| {
                tx.execute("INSERT INTO settings(key, value) VALUES ('a', '1')", [])
            })
            .unwrap();
            assert!(wal_len() > 0);
            assert!(!checkpointer.run_if_idle(&jobs).unwrap());
        }
        // Just ended: not idle yet.
        assert!(!checkpointer.run_if_idle(&jobs).unwrap());
        *checkpointer.last.lock().unwrap() -= IDLE_BEFORE_CHECKPOINT;
        // A reader in the middle of a snapshot keeps the WAL; the checkpoint does not wait.
        let reader = connect(&path, REQUEST_BUSY_TIMEOUT).unwrap();
        reader
            .execute_batch("BEGIN; SELECT count(*) FROM settings;")
            .unwrap();
        assert!(!checkpointer.run_if_idle(&jobs).unwrap());
        reader.execute_batch("COMMIT").unwrap();
        assert!(checkpointer.run_if_idle(&jobs).unwrap());
        assert_eq!(wal_len(), 0);
        // The main file alone holds the write.
        drop((server, jobs, reader));
        let copy = dir.path().join("copy.db");
        std::fs::copy(&path, &copy).unwrap();
        let value: String = Connection::open(&copy)
            .unwrap()
            .query_row("SELECT value FROM settings WHERE key = 'a'", [], |r| {
                r.get(0)
            })
            .unwrap();
        assert_eq!(value, "1");
    }

    /// A new database file in a temporary folder (gone when the folder is dropped), closed.
    fn created_file() -> (tempfile::TempDir, PathBuf) {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("t.db");
        drop(open(&path).unwrap());
        (dir, path)
    }

    /// Holds the writers' turn at `path` with a plain write on a thread of `scope` until
    /// `release` is sent; returns once the turn is taken.
    fn hold_the_turn<'scope>(
        scope: &'scope std::thread::Scope<'scope, '_>,
        path: &Path,
    ) -> (
        std::sync::mpsc::Sender<()>,
        std::thread::ScopedJoinHandle<'scope, ()>,
    ) {
        let mut holder = connect(path, BUSY_TIMEOUT).unwrap();
        let turns = turns_of(&holder);
        let (release, released) = std::sync::mpsc::channel::<()>();
        let held = scope.spawn(move || {
            write(&mut holder, |_| {
                released.recv().unwrap();
                Ok::<_, rusqlite::Error>(())
            })
            .unwrap()
        });
        while !turns.state.lock().unwrap().taken {
            std::thread::yield_now();
        }
        (release, held)
    }

    /// Starts `writers` grouped writes to `path` while a plain write holds the turn, so that
    /// they all queue; each inserts its own setting, and then the `fail`th fails and the
    /// `panics`th panics (`None`). Each records how many of the batch's settings another
    /// connection could see while it wrote.
    fn queued_grouped_writes(
        path: &Path,
        writers: usize,
        fail: usize,
        panics: usize,
    ) -> Vec<Option<Result<usize, crate::Error>>> {
        let turns = turns_of(&connect(path, BUSY_TIMEOUT).unwrap());
        std::thread::scope(|scope| {
            let (release, held) = hold_the_turn(scope, path);
            let grouped: Vec<_> = (0..writers)
                .map(|n| {
                    scope.spawn(move || {
                        let mut conn = connect(path, BUSY_TIMEOUT).unwrap();
                        let observer = connect(path, BUSY_TIMEOUT).unwrap();
                        write_grouped(&mut conn, move |tx| {
                            tx.execute(
                                "INSERT INTO settings(key, value) VALUES (?1, 'x')",
                                [format!("batch {n}")],
                            )?;
                            let seen: i64 = observer.query_row(
                                "SELECT count(*) FROM settings WHERE key LIKE 'batch %'",
                                [],
                                |r| r.get(0),
                            )?;
                            if n == fail {
                                return Err(crate::Error::Busy);
                            }
                            if n == panics {
                                panic!("a bug in a grouped write");
                            }
                            Ok(seen as usize)
                        })
                    })
                })
                .collect();
            // Queued for the turn's holder with a shared writer, else waiting for the turn.
            while {
                let state = turns.state.lock().unwrap();
                state.waiting + state.queue.len() < writers
            } {
                std::thread::yield_now();
            }
            release.send(()).unwrap();
            held.join().unwrap();
            grouped.into_iter().map(|t| t.join().ok()).collect()
        })
    }

    #[test]
    fn queued_grouped_writes_share_one_commit_and_each_keeps_its_own_outcome() {
        let (_dir, path) = created_file();
        let writer = SharedWriter::open(&path).unwrap();
        let outcomes = queued_grouped_writes(&path, 4, 2, usize::MAX);
        // Nothing of the group was visible to others before its one commit (written one by
        // one, the later writes would have seen the earlier ones' settings).
        for (n, outcome) in outcomes.iter().enumerate() {
            match outcome.as_ref().unwrap() {
                Ok(seen) => assert_eq!(*seen, 0, "write {n}"),
                Err(e) => assert!(n == 2 && matches!(e, crate::Error::Busy), "write {n}: {e}"),
            }
        }
        drop(writer);
        assert_eq!(
            setting_keys(&path, "key LIKE 'batch %'"),
            ["batch 0", "batch 1", "batch 3"]
        );
    }

    #[test]
    fn a_grouped_write_that_panics_is_undone_and_the_others_are_committed() {
        let (_dir, path) = created_file();
        let _writer = SharedWriter::open(&path).unwrap();
        let outcomes = queued_grouped_writes(&path, 3, usize::MAX, 1);
        assert!(outcomes[1].is_none());
        assert!(outcomes[0].as_ref().unwrap().is_ok() && outcomes[2].as_ref().unwrap().is_ok());
        // Read before the writer closes: nothing waits for another write to commit them.
        assert_eq!(
            setting_keys(&path, "key LIKE 'batch %'"),
            ["batch 0", "batch 2"]
        );
    }

    /// The keys of the settings that `condition` picks, in order, as another connection sees
    /// them.
    fn setting_keys(path: &Path, condition: &str) -> Vec<String> {
        let conn = connect(path, BUSY_TIMEOUT).unwrap();
        let sql = format!("SELECT key FROM settings WHERE {condition} ORDER BY key");
        let mut stmt = conn.prepare(&sql).unwrap();
        let keys = stmt.query_map([], |r| r.get(0)).unwrap();
        keys.collect::<rusqlite::Result<_>>().unwrap()
    }

    /// A grouped write keeps its savepoint journal in memory and a plain write in a file; a
    /// grouped write that changed far more than SQLite keeps in memory by default (64 KiB) is
    /// still undone whole when it fails, and the group's other writes are kept.
    #[test]
    fn a_grouped_write_journals_in_memory_and_is_still_undone_whole() {
        let (_dir, path) = created_file();
        let _writer = SharedWriter::open(&path).unwrap();
        let mut conn = connect(&path, BUSY_TIMEOUT).unwrap();
        let temp_store = |tx: &Tx| -> rusqlite::Result<i64> {
            tx.pragma_query_value(None, "temp_store", |r| r.get(0))
        };
        write(&mut conn, |tx| {
            assert_eq!(temp_store(tx)?, 1, "a plain write's journal goes to a file");
            let mut insert = tx.prepare("INSERT INTO settings(key, value) VALUES (?1, ?2)")?;
            for n in 0..400 {
                insert.execute(rusqlite::params![format!("big {n:03}"), "x".repeat(900)])?;
            }
            Ok::<_, rusqlite::Error>(())
        })
        .unwrap();
        let failed = write_grouped(&mut conn, move |tx| {
            assert_eq!(
                temp_store(tx)?,
                2,
                "a grouped write's journal stays in memory"
            );
            // Some 90 pages of settings rewritten, then the write fails.
            tx.execute(
                "UPDATE settings SET value = 'y' || value WHERE key LIKE 'big %'",
                [],
            )?;
            Err::<(), _>(crate::Error::Busy)
        });
        assert!(matches!(failed, Err(crate::Error::Busy)));
        write_grouped(&mut conn, |tx| {
            tx.execute("INSERT INTO settings(key, value) VALUES ('kept', '1')", [])
        })
        .unwrap();
        write(&mut conn, |tx| {
            assert_eq!(
                temp_store(tx)?,
                1,
                "and a plain write's goes to a file again"
            );
            Ok::<_, rusqlite::Error>(())
        })
        .unwrap();
        let reader = connect(&path, BUSY_TIMEOUT).unwrap();
        let changed: i64 = reader
            .query_row(
                "SELECT count(*) FROM settings WHERE key LIKE 'big %' AND value <> ?1",
                ["x".repeat(900)],
                |r| r.get(0),
            )
            .unwrap();
        assert_eq!(changed, 0);
        assert_eq!(setting_keys(&path, "key = 'kept'"), ["kept"]);
    }

    #[test]
    fn without_a_shared_writer_grouped_writes_commit_one_by_one() {
        let (_dir, path) = created_file();
        let mut seen: Vec<usize> = queued_grouped_writes(&path, 3, usize::MAX, usize::MAX)
            .into_iter()
            .map(|outcome| outcome.unwrap().unwrap())
            .collect();
        seen.sort();
        assert_eq!(seen, [0, 1, 2]);
    }

    /// The writer holding the turn makes the queued writes itself: they run on one thread,
    /// not each on its own writer's.
    #[test]
    fn the_writer_holding_the_turn_makes_the_queued_writes() {
        let (_dir, path) = created_file();
        let _writer = SharedWriter::open(&path).unwrap();
        let turns = turns_of(&connect(&path, BUSY_TIMEOUT).unwrap());
        let threads: Vec<_> = std::thread::scope(|scope| {
            let (release, held) = hold_the_turn(scope, &path);
            let grouped: Vec<_> = (0..3)
                .map(|_| {
                    scope.spawn(|| {
                        let mut conn = connect(&path, BUSY_TIMEOUT).unwrap();
                        let made_on = write_grouped(&mut conn, |_| {
                            Ok::<_, rusqlite::Error>(std::thread::current().id())
                        });
                        (std::thread::current().id(), made_on.unwrap())
                    })
                })
                .collect();
            while turns.state.lock().unwrap().queue.len() < 3 {
                std::thread::yield_now();
            }
            release.send(()).unwrap();
            held.join().unwrap();
            grouped.into_iter().map(|t| t.join().unwrap()).collect()
        });
        let maker = threads[0].1;
        assert!(threads.iter().all(|(_, made_on)| *made_on == maker));
        assert_eq!(threads.iter().filter(|(own, _)| *own == maker).count(), 1);
    }

    /// A reader that gives way yields while queued writes are being made, and only then.
    #[test]
    fn a_reader_gives_way_while_queued_writes_are_made() {
        let (_dir, path) = created_file();
        let _writer = SharedWriter::open(&path).unwrap();
        let mut reader = connect(&path, BUSY_TIMEOUT).unwrap();
        give_way_to_writes(&mut reader).unwrap();
        let turns = turns_of(&reader);
        let gave_way = {
            let turns = turns.clone();
            move || turns.gave_way.load(Ordering::Relaxed)
        };
        // Some 20 000 rows, a hundred thousand steps and more.
        let read = |conn: &Connection| -> i64 {
            conn.query_row(
                "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 20000) \
                 SELECT count(*) FROM n",
                [],
                |r| r.get(0),
            )
            .unwrap()
        };
        assert_eq!(read(&reader), 20000);
        assert_eq!(gave_way(), 0, "no write under way");
        let mut conn = connect(&path, BUSY_TIMEOUT).unwrap();
        let (reader, during) = write_grouped(&mut conn, move |_| {
            read(&reader);
            Ok::<_, rusqlite::Error>((reader, turns.gave_way.load(Ordering::Relaxed)))
        })
        .unwrap();
        assert!(during > 10, "gave way {during} times");
        read(&reader);
        assert_eq!(gave_way(), during, "not after the write");
    }

    /// A grouped write still queued when its writer's wait is over leaves the queue: it is
    /// answered busy and never made, while the one before it is.
    #[test]
    fn a_grouped_write_not_begun_in_time_is_never_made() {
        let (_dir, path) = created_file();
        let _writer = SharedWriter::open(&path).unwrap();
        let mut patient = connect(&path, BUSY_TIMEOUT).unwrap();
        let mut hasty = connect(&path, Duration::from_millis(20)).unwrap();
        let turns = turns_of(&patient);
        let insert = |key: &'static str| {
            move |tx: &Tx| tx.execute("INSERT INTO settings(key, value) VALUES (?1, '1')", [key])
        };
        std::thread::scope(|scope| {
            let (release, held) = hold_the_turn(scope, &path);
            let first = scope.spawn(move || write_grouped(&mut patient, insert("kept")));
            while turns.state.lock().unwrap().queue.is_empty() {
                std::thread::yield_now();
            }
            let gave_up = write_grouped(&mut hasty, insert("withdrawn")).unwrap_err();
            assert!(matches!(crate::Error::from(gave_up), crate::Error::Busy));
            assert_eq!(turns.state.lock().unwrap().queue.len(), 1);
            release.send(()).unwrap();
            held.join().unwrap();
            assert_eq!(first.join().unwrap().unwrap(), 1);
        });
        assert_eq!(
            setting_keys(&path, "key IN ('kept', 'withdrawn')"),
            ["kept"]
        );
    }

    /// Plain and grouped writes take turns: after a plain write the queued grouped writes go
    /// (all in one group), before a plain writer that waited longer than some of them; after
    /// their group, that plain writer goes.
    #[test]
    fn plain_and_grouped_writes_take_turns() {
        let (_dir, path) = created_file();
        let _writer = SharedWriter::open(&path).unwrap();
        let turns = turns_of(&connect(&path, BUSY_TIMEOUT).unwrap());
        let order = Arc::new(Mutex::new(Vec::new()));
        let note = |what: &'static str| {
            let order = order.clone();
            move |_: &Tx| {
                order.lock().unwrap().push(what);
                Ok::<_, rusqlite::Error>(())
            }
        };
        let queued = |grouped: usize, plain: usize| {
            let state = turns.state.lock().unwrap();
            state.queue.len() == grouped && state.waiting == plain
        };
        std::thread::scope(|scope| {
            let (release, held) = hold_the_turn(scope, &path);
            type Write = Box<dyn FnOnce(&Tx) -> rusqlite::Result<()> + Send>;
            let spawn = |grouped: bool, f: Write| {
                let mut conn = connect(&path, BUSY_TIMEOUT).unwrap();
                scope.spawn(move || {
                    if grouped {
                        write_grouped(&mut conn, f)
                    } else {
                        write(&mut conn, f)
                    }
                })
            };
            let first = spawn(true, Box::new(note("grouped 1")));
            while !queued(1, 0) {
                std::thread::yield_now();
            }
            let plain = spawn(false, Box::new(note("plain")));
            while !queued(1, 1) {
                std::thread::yield_now();
            }
            let second = spawn(true, Box::new(note("grouped 2")));
            while !queued(2, 1) {
                std::thread::yield_now();
            }
            release.send(()).unwrap();
            held.join().unwrap();
            for t in [first, plain, second] {
                t.join().unwrap().unwrap();
            }
        });
        assert_eq!(*order.lock().unwrap(), ["grouped 1", "grouped 2", "plain"]);
    }

    /// A page's reads share one transaction; a write made during the request ends it, so that
    /// what the request reads after its own write sees it.
    #[test]
    fn a_write_ends_a_pages_read_transaction_so_later_reads_see_it() {
        let (_dir, path) = created_file();
        let _writer = SharedWriter::open(&path).unwrap();
        let mut conn = connect(&path, BUSY_TIMEOUT).unwrap();
        let seen = |conn: &Connection| -> i64 {
            conn.query_row(
                "SELECT count(*) FROM settings WHERE key = 'seen'",
                [],
                |r| r.get(0),
            )
            .unwrap()
        };
        begin_reading(&conn).unwrap();
        assert_eq!(seen(&conn), 0);
        assert!(only_reading(&conn).unwrap());
        write_grouped(&mut conn, |tx| {
            tx.execute("INSERT INTO settings(key, value) VALUES ('seen', '1')", [])
        })
        .unwrap();
        assert_eq!(seen(&conn), 1);
        end_reading(&conn);
        assert!(conn.is_autocommit());

        begin_reading(&conn).unwrap();
        assert_eq!(seen(&conn), 1);
        write(&mut conn, |tx| {
            tx.execute("DELETE FROM settings WHERE key = 'seen'", [])
        })
        .unwrap();
        assert_eq!(seen(&conn), 0);
        end_reading(&conn);
    }

    /// What a page's read transaction reads is kept (it cannot roll back), what a write's
    /// reads is not.
    #[test]
    fn a_memo_keeps_what_a_page_read_but_not_what_a_write_did() {
        let (_dir, path) = created_file();
        let conn = connect(&path, BUSY_TIMEOUT).unwrap();
        let mut memo: Memo<(), i64> = Memo::new(1);
        let mut reads = 0;
        let mut look = |memo: &mut Memo<(), i64>| {
            memo.get_or_read(&conn, (), || {
                reads += 1;
                Ok(7)
            })
            .unwrap()
        };
        begin_reading(&conn).unwrap();
        // The search's helper table in `temp` does not make the page a write.
        conn.execute_batch("CREATE TEMP TABLE helper(x)").unwrap();
        look(&mut memo);
        look(&mut memo);
        end_reading(&conn);
        conn.execute_batch("BEGIN IMMEDIATE").unwrap();
        let mut other: Memo<(), i64> = Memo::new(1);
        look(&mut other);
        look(&mut other);
        conn.execute_batch("ROLLBACK").unwrap();
        assert_eq!(reads, 3, "one read in the page, two in the write");
    }

    #[test]
    fn try_write_skips_instead_of_waiting_for_another_write() {
        let (_dir, path) = created_file();
        let mut holder = connect(&path, REQUEST_BUSY_TIMEOUT).unwrap();
        let mut other = connect(&path, REQUEST_BUSY_TIMEOUT).unwrap();
        let held = holder
            .transaction_with_behavior(TransactionBehavior::Immediate)
            .unwrap();
        let started = Instant::now();
        let skipped = try_write(&mut other, |tx| {
            tx.execute("INSERT INTO settings(key, value) VALUES ('b', '2')", [])
        })
        .unwrap();
        assert_eq!(skipped, None);
        assert!(started.elapsed() < REQUEST_BUSY_TIMEOUT);
        let waits: i64 = other
            .query_row("PRAGMA busy_timeout", [], |r| r.get(0))
            .unwrap();
        assert_eq!(waits, REQUEST_BUSY_TIMEOUT.as_millis() as i64);
        // A real write waits its time and then says busy.
        let err = write(&mut other, |tx| {
            tx.execute("INSERT INTO settings(key, value) VALUES ('b', '2')", [])
        })
        .unwrap_err();
        assert!(matches!(crate::Error::from(err), crate::Error::Busy));
        held.rollback().unwrap();
        let done = try_write(&mut other, |tx| {
            tx.execute("INSERT INTO settings(key, value) VALUES ('b', '2')", [])
        })
        .unwrap();
        assert_eq!(done, Some(1));
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

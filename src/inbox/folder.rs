//! The watched folder ("scan to folder"): a file dropped into it is imported, then moved to
//! `imported/`; one that cannot be imported goes to `failed/` with `NAME.error.txt` beside it
//! saying why. An `.eml` file is taken apart like any e-mail message; any other file (a
//! scanner's PDF) is imported as it is, as one file.
//!
//! A file still being written is not taken: a file is imported only when its size and
//! modification time are the same as at an earlier scan at least [`SETTLE`] before (by the
//! app's clock, so a scanner or file server with a wrong clock does not matter). Names that
//! programs use while writing (`.name`, `name.part`, `name.tmp`, `~$name`) are left alone.
//!
//! Exactly once: the file's SHA-256 is recorded in the import's own transaction
//! (`store::take_once`), and the file is moved only after that commits. After a crash between
//! the two, the next scan finds the file recorded and only moves it.
//!
//! Errors of the file itself (too large, not a message, refused by the documents' store) send it
//! to `failed/`. Errors of the system (the database busy, a disk error) leave it where it is, to
//! be tried again at the next scan, and are the job's error.

use std::collections::HashMap;
use std::io::Read;
use std::path::{Path, PathBuf};
use std::time::{Duration, SystemTime};

use chrono::{DateTime, TimeDelta, Utc};
use rusqlite::Connection;
use sha2::{Digest, Sha256};

use super::message::{clean_name, files_of, MailFile};
use super::store::{take_once, Source, Taken};
use super::{Arrival, Sink, Via};
use crate::error::{Error, Result};

/// How often the job scans the folder.
pub(crate) const SCAN_EVERY: Duration = Duration::from_secs(10);

/// How long a file must stay unchanged before it is taken.
pub(crate) const SETTLE: TimeDelta = TimeDelta::seconds(5);

/// The most files imported in one scan, so that one scan never holds its thread (and the
/// writers' turn) long; the rest wait for the next.
const MAX_PER_SCAN: usize = 50;

/// Held while a scan runs.
static SCANNING: std::sync::Mutex<()> = std::sync::Mutex::new(());

pub(crate) const IMPORTED: &str = "imported";
pub(crate) const FAILED: &str = "failed";

/// The folder the `inbox_folder` setting names: empty turns the watcher off; a relative path is
/// beside the database.
pub(crate) fn resolve(db_path: &Path, setting: &str) -> Option<PathBuf> {
    let setting = setting.trim();
    if setting.is_empty() {
        return None;
    }
    let path = Path::new(setting);
    if path.is_absolute() {
        return Some(path.to_path_buf());
    }
    let beside = db_path
        .parent()
        .filter(|d| !d.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    Some(beside.join(path))
}

/// What one scan did.
#[derive(Debug, Default, PartialEq, Eq)]
pub(crate) struct ScanReport {
    /// File names imported (or found imported before and only moved).
    pub imported: Vec<String>,
    /// File names moved to `failed/`, with why.
    pub failed: Vec<(String, String)>,
    /// Files seen but not taken yet (still changing, or seen for the first time).
    pub waiting: usize,
}

/// A file as last seen: its size and modification time, and since when (by the app's clock)
/// it has looked so.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Seen {
    size: u64,
    modified: Option<SystemTime>,
    since: DateTime<Utc>,
}

/// The watcher, keeping between scans what it saw of each file.
#[derive(Debug, Default)]
pub(crate) struct Watcher {
    seen: HashMap<PathBuf, Seen>,
}

/// Why one file was not imported.
enum FileError {
    /// The file's own fault: it goes to `failed/`.
    Refused(String),
    /// The system's: the file stays and is tried again.
    Retry(Error),
}

impl Watcher {
    /// Scans `dir` at `now`: imports each file that has settled, through `sink`, and moves it.
    /// `limit` is the largest file taken. A system error (the database busy, a disk error)
    /// stops the scan and is returned; what was imported before it stays imported.
    pub(crate) fn scan(
        &mut self,
        conn: &mut Connection,
        dir: &Path,
        now: DateTime<Utc>,
        limit: usize,
        sink: &mut Sink,
    ) -> Result<ScanReport> {
        // One scan at a time in this process (the job and the tests' route): two scans of one
        // folder would race to move the same file.
        let _one_at_a_time = SCANNING.lock().unwrap_or_else(|e| e.into_inner());
        let mut report = ScanReport::default();
        let mut seen_now = HashMap::new();
        let mut ready = Vec::new();
        for entry in std::fs::read_dir(dir)? {
            let entry = entry?;
            let path = entry.path();
            let Ok(meta) = entry.metadata() else { continue };
            if !meta.is_file() || is_ignored(&entry.file_name().to_string_lossy()) {
                continue;
            }
            let (size, modified) = (meta.len(), meta.modified().ok());
            let since = match self.seen.get(&path) {
                Some(s) if s.size == size && s.modified == modified => s.since,
                _ => now,
            };
            if now - since >= SETTLE {
                ready.push(path.clone());
            } else {
                report.waiting += 1;
            }
            seen_now.insert(
                path,
                Seen {
                    size,
                    modified,
                    since,
                },
            );
        }
        self.seen = seen_now;
        ready.sort();
        if ready.len() > MAX_PER_SCAN {
            report.waiting += ready.len() - MAX_PER_SCAN;
            ready.truncate(MAX_PER_SCAN);
        }
        for path in ready {
            self.seen.remove(&path);
            let name = path
                .file_name()
                .map(|n| n.to_string_lossy().into_owned())
                .unwrap_or_default();
            match import_file(conn, &path, now, limit, sink) {
                Ok(taken) => {
                    if taken == Taken::AlreadyImported {
                        log::info!("inbox: {name} was imported before; moving it");
                    }
                    move_into(&path, &dir.join(IMPORTED))?;
                    report.imported.push(name);
                }
                Err(FileError::Refused(why)) => {
                    log::warn!("inbox: {name} could not be imported: {why}");
                    let moved = move_into(&path, &dir.join(FAILED))?;
                    let note = format!(
                        "{name} could not be imported ({}):\n{why}\n",
                        now.to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
                    );
                    // A new file only: never through a link someone left in its place.
                    std::fs::OpenOptions::new()
                        .write(true)
                        .create_new(true)
                        .open(error_note_path(&moved))
                        .and_then(|mut f| std::io::Write::write_all(&mut f, note.as_bytes()))?;
                    report.failed.push((name, why));
                }
                Err(FileError::Retry(e)) => return Err(e),
            }
        }
        Ok(report)
    }
}

/// Whether a name is one programs use while writing, or the watcher's own.
fn is_ignored(name: &str) -> bool {
    let lower = name.to_ascii_lowercase();
    name.starts_with('.')
        || name.starts_with("~$")
        || [".part", ".partial", ".tmp", ".crdownload", ".download"]
            .iter()
            .any(|ext| lower.ends_with(ext))
}

/// Reads and imports one file; the caller moves it.
fn import_file(
    conn: &mut Connection,
    path: &Path,
    now: DateTime<Utc>,
    limit: usize,
    sink: &mut Sink,
) -> std::result::Result<Taken, FileError> {
    let mut bytes = Vec::new();
    let file = open_plain(path).map_err(|e| match e.kind() {
        std::io::ErrorKind::InvalidInput => FileError::Refused(e.to_string()),
        _ => FileError::Retry(e.into()),
    })?;
    file.take(limit as u64 + 1)
        .read_to_end(&mut bytes)
        .map_err(|e| FileError::Retry(e.into()))?;
    if bytes.len() > limit {
        return Err(FileError::Refused(format!(
            "the file is over the limit of {} MB",
            limit / (1024 * 1024)
        )));
    }
    let key = hex(&Sha256::digest(&bytes));
    let name = clean_name(
        &path
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default(),
    );
    let is_eml = name.to_ascii_lowercase().ends_with(".eml");
    let mail;
    let plain;
    let arrival = if is_eml {
        mail = files_of(&bytes, limit).map_err(|e| FileError::Refused(e.to_string()))?;
        Arrival {
            via: Via::Folder,
            email: Some(&mail.meta),
            files: &mail.files,
        }
    } else {
        let content_type = mime_guess::from_path(&name)
            .first()
            .map(|m| m.essence_str().to_string())
            .unwrap_or_else(|| "application/octet-stream".into());
        plain = [MailFile {
            file_name: if name.is_empty() { "file".into() } else { name },
            content_type,
            bytes,
        }];
        Arrival {
            via: Via::Folder,
            email: None,
            files: &plain,
        }
    };
    take_once(conn, Source::Folder, &key, now.timestamp(), &arrival, sink).map_err(|e| match e {
        Error::Busy | Error::Db(_) | Error::Io(_) | Error::Internal(_) => FileError::Retry(e),
        refused => FileError::Refused(refused.to_string()),
    })
}

/// Opens a file of the folder for reading, refusing (`InvalidInput`) anything but a plain
/// file: a link swapped in after the scan saw a file is not followed, and a named pipe does
/// not block the folder's thread.
fn open_plain(path: &Path) -> std::io::Result<std::fs::File> {
    let mut options = std::fs::OpenOptions::new();
    options.read(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.custom_flags(libc::O_NOFOLLOW | libc::O_NONBLOCK);
    }
    let file = options.open(path).map_err(|e| match e.raw_os_error() {
        #[cfg(unix)]
        Some(libc::ELOOP) => std::io::Error::new(
            std::io::ErrorKind::InvalidInput,
            "the file is a symbolic link",
        ),
        _ => e,
    })?;
    if !file.metadata()?.is_file() {
        return Err(std::io::Error::new(
            std::io::ErrorKind::InvalidInput,
            "not a plain file",
        ));
    }
    Ok(file)
}

/// Moves `file` into `dir` (made if missing) under its own name, or `name (2).ext` and so on
/// when that is taken. Returns where it went. `dir` must be a real folder, not a link to
/// somewhere else.
fn move_into(file: &Path, dir: &Path) -> Result<PathBuf> {
    std::fs::create_dir_all(dir)?;
    if !std::fs::symlink_metadata(dir)?.is_dir() {
        return Err(Error::Internal(format!(
            "{} is not a folder of its own (a link?)",
            dir.display()
        )));
    }
    let name = file.file_name().unwrap_or_default().to_string_lossy();
    let (stem, ext) = match name.rsplit_once('.') {
        Some((stem, ext)) if !stem.is_empty() => (stem.to_string(), format!(".{ext}")),
        _ => (name.to_string(), String::new()),
    };
    let mut target = dir.join(&*name);
    let mut n = 2;
    // A name is taken by anything there, a dangling link too.
    let taken = |p: &Path| std::fs::symlink_metadata(p).is_ok();
    while taken(&target) || taken(&error_note_path(&target)) {
        target = dir.join(format!("{stem} ({n}){ext}"));
        n += 1;
    }
    std::fs::rename(file, &target)?;
    Ok(target)
}

/// `NAME.error.txt` beside a failed file.
fn error_note_path(file: &Path) -> PathBuf {
    let mut name = file.file_name().unwrap_or_default().to_os_string();
    name.push(".error.txt");
    file.with_file_name(name)
}

/// How many files wait in `failed/` (not counting the notes beside them).
pub(crate) fn failed_count(dir: &Path) -> usize {
    std::fs::read_dir(dir.join(FAILED))
        .map(|entries| {
            entries
                .filter_map(|e| e.ok())
                .filter(|e| !e.file_name().to_string_lossy().ends_with(".error.txt"))
                .count()
        })
        .unwrap_or(0)
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::inbox::message::tests::{pdf_bytes, two_attachments};
    use crate::inbox::message::MAX_MESSAGE_BYTES;

    /// What the test sink stored: one row per file.
    #[derive(Debug, Clone, PartialEq, Eq)]
    struct Stored {
        via: Via,
        subject: Option<String>,
        file_name: String,
        content_type: String,
        bytes: Vec<u8>,
    }

    struct Setup {
        _dir: tempfile::TempDir,
        inbox: PathBuf,
        db: PathBuf,
        conn: Connection,
    }

    fn setup() -> Setup {
        let dir = tempfile::tempdir().unwrap();
        let db = dir.path().join("crm.db");
        let conn = crate::db::open(&db).unwrap();
        conn.execute_batch(
            "CREATE TABLE test_files(via TEXT, subject TEXT, file_name TEXT, content_type TEXT, bytes BLOB)",
        )
        .unwrap();
        let inbox = resolve(&db, "inbox").unwrap();
        std::fs::create_dir_all(&inbox).unwrap();
        Setup {
            _dir: dir,
            inbox,
            db,
            conn,
        }
    }

    /// A sink that writes each file into the test table, in the import's transaction.
    fn table_sink(tx: &crate::db::Tx, a: &Arrival) -> Result<()> {
        for f in a.files {
            tx.execute(
                "INSERT INTO test_files VALUES (?1, ?2, ?3, ?4, ?5)",
                rusqlite::params![
                    format!("{:?}", a.via),
                    a.email.map(|m| m.subject.clone()),
                    f.file_name,
                    f.content_type,
                    f.bytes
                ],
            )?;
        }
        Ok(())
    }

    fn stored(conn: &Connection) -> Vec<Stored> {
        conn.prepare(
            "SELECT via, subject, file_name, content_type, bytes FROM test_files ORDER BY rowid",
        )
        .unwrap()
        .query_map([], |r| {
            Ok(Stored {
                via: match r.get::<_, String>(0)?.as_str() {
                    "Folder" => Via::Folder,
                    other => panic!("{other}"),
                },
                subject: r.get(1)?,
                file_name: r.get(2)?,
                content_type: r.get(3)?,
                bytes: r.get(4)?,
            })
        })
        .unwrap()
        .map(|r| r.unwrap())
        .collect()
    }

    fn at(seconds: i64) -> DateTime<Utc> {
        DateTime::from_timestamp(1_796_000_000 + seconds, 0).unwrap()
    }

    fn names_in(dir: &Path) -> Vec<String> {
        let mut names: Vec<String> = std::fs::read_dir(dir)
            .map(|d| {
                d.map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
                    .collect()
            })
            .unwrap_or_default();
        names.sort();
        names
    }

    #[test]
    fn the_setting_names_a_folder_beside_the_database_or_anywhere_or_none() {
        let db = Path::new("/data/crm/minicrm.db");
        assert_eq!(resolve(db, "inbox"), Some(PathBuf::from("/data/crm/inbox")));
        assert_eq!(
            resolve(db, " /srv/scans "),
            Some(PathBuf::from("/srv/scans"))
        );
        assert_eq!(resolve(db, "  "), None);
        assert_eq!(
            resolve(Path::new("crm.db"), "inbox"),
            Some(PathBuf::from("./inbox"))
        );
    }

    #[test]
    fn an_eml_and_a_scanned_pdf_are_imported_once_settled_and_moved_to_imported() {
        let mut s = setup();
        std::fs::write(s.inbox.join("tarjous.eml"), two_attachments("Tarjous")).unwrap();
        std::fs::write(s.inbox.join("skannaus 001.pdf"), pdf_bytes("scan")).unwrap();
        let mut w = Watcher::default();
        // First sight: nothing is taken yet, and not a moment later either.
        for t in [0, 4] {
            let r = w
                .scan(
                    &mut s.conn,
                    &s.inbox,
                    at(t),
                    MAX_MESSAGE_BYTES,
                    &mut table_sink,
                )
                .unwrap();
            assert_eq!((r.imported.len(), r.waiting), (0, 2), "at {t}");
        }
        let r = w
            .scan(
                &mut s.conn,
                &s.inbox,
                at(10),
                MAX_MESSAGE_BYTES,
                &mut table_sink,
            )
            .unwrap();
        assert_eq!(r.imported, ["skannaus 001.pdf", "tarjous.eml"]);
        assert!(r.failed.is_empty());
        let files = stored(&s.conn);
        assert_eq!(files.len(), 3);
        assert_eq!(
            files[0],
            Stored {
                via: Via::Folder,
                subject: None,
                file_name: "skannaus 001.pdf".into(),
                content_type: "application/pdf".into(),
                bytes: pdf_bytes("scan"),
            }
        );
        assert_eq!(files[1].subject.as_deref(), Some("Tarjous"));
        assert_eq!(files[1].file_name, "Tarjous päijänne.pdf");
        assert_eq!(files[2].bytes, pdf_bytes("lasku"));
        assert_eq!(names_in(&s.inbox), [IMPORTED]);
        assert_eq!(
            names_in(&s.inbox.join(IMPORTED)),
            ["skannaus 001.pdf", "tarjous.eml"]
        );
        // Nothing left to do at the next scan.
        let r = w
            .scan(
                &mut s.conn,
                &s.inbox,
                at(20),
                MAX_MESSAGE_BYTES,
                &mut table_sink,
            )
            .unwrap();
        assert_eq!(r, ScanReport::default());
        assert_eq!(stored(&s.conn).len(), 3);
    }

    #[test]
    fn a_half_written_file_is_not_taken_until_it_stops_changing() {
        let mut s = setup();
        let path = s.inbox.join("iso skannaus.pdf");
        let whole = pdf_bytes("big scan");
        std::fs::write(&path, &whole[..300]).unwrap();
        let mut w = Watcher::default();
        let scan = |w: &mut Watcher, conn: &mut Connection, t| {
            w.scan(conn, &s.inbox, at(t), MAX_MESSAGE_BYTES, &mut table_sink)
                .unwrap()
        };
        assert_eq!(scan(&mut w, &mut s.conn, 0).waiting, 1);
        // The scanner writes more between the scans: the file is still changing.
        std::fs::write(&path, &whole[..700]).unwrap();
        let r = scan(&mut w, &mut s.conn, 10);
        assert_eq!((r.imported.len(), r.waiting), (0, 1));
        std::fs::write(&path, &whole).unwrap();
        let r = scan(&mut w, &mut s.conn, 20);
        assert_eq!((r.imported.len(), r.waiting), (0, 1));
        assert!(stored(&s.conn).is_empty());
        // Unchanged since the last scan: now it is taken, whole.
        let r = scan(&mut w, &mut s.conn, 30);
        assert_eq!(r.imported, ["iso skannaus.pdf"]);
        assert_eq!(stored(&s.conn)[0].bytes, whole);
    }

    #[test]
    fn files_being_written_under_temporary_names_and_folders_are_left_alone() {
        let mut s = setup();
        for name in [
            ".hidden.pdf",
            "scan.pdf.part",
            "upload.tmp",
            "~$kirje.docx",
            "x.crdownload",
        ] {
            std::fs::write(s.inbox.join(name), b"x").unwrap();
        }
        std::fs::create_dir(s.inbox.join("subfolder")).unwrap();
        let mut w = Watcher::default();
        for t in [0, 10, 20] {
            let r = w
                .scan(
                    &mut s.conn,
                    &s.inbox,
                    at(t),
                    MAX_MESSAGE_BYTES,
                    &mut table_sink,
                )
                .unwrap();
            assert_eq!(r, ScanReport::default());
        }
        assert!(stored(&s.conn).is_empty());
    }

    #[test]
    fn a_file_that_fails_goes_to_failed_with_the_reason_beside_it() {
        let mut s = setup();
        std::fs::write(s.inbox.join("roskaa.eml"), b"\x00\x01 not mail").unwrap();
        std::fs::write(s.inbox.join("huge.pdf"), vec![b'x'; 2000]).unwrap();
        std::fs::write(s.inbox.join("ok.pdf"), b"%PDF").unwrap();
        let mut w = Watcher::default();
        w.scan(&mut s.conn, &s.inbox, at(0), 1000, &mut table_sink)
            .unwrap();
        let r = w
            .scan(&mut s.conn, &s.inbox, at(10), 1000, &mut table_sink)
            .unwrap();
        assert_eq!(r.imported, ["ok.pdf"]);
        let failed: Vec<&str> = r.failed.iter().map(|(n, _)| n.as_str()).collect();
        assert_eq!(failed, ["huge.pdf", "roskaa.eml"]);
        assert_eq!(
            names_in(&s.inbox.join(FAILED)),
            [
                "huge.pdf",
                "huge.pdf.error.txt",
                "roskaa.eml",
                "roskaa.eml.error.txt"
            ]
        );
        let note =
            std::fs::read_to_string(s.inbox.join(FAILED).join("roskaa.eml.error.txt")).unwrap();
        assert!(note.contains("not an e-mail message"), "{note}");
        let note =
            std::fs::read_to_string(s.inbox.join(FAILED).join("huge.pdf.error.txt")).unwrap();
        assert!(note.contains("over the limit"), "{note}");
        assert_eq!(failed_count(&s.inbox), 2);
        assert_eq!(stored(&s.conn).len(), 1);
    }

    #[test]
    fn a_file_the_store_refuses_fails_and_a_busy_database_leaves_it_for_the_next_scan() {
        let mut s = setup();
        std::fs::write(s.inbox.join("a.pdf"), b"%PDF a").unwrap();
        let mut w = Watcher::default();
        let mut busy = |_: &crate::db::Tx, _: &Arrival| -> Result<()> { Err(Error::Busy) };
        w.scan(&mut s.conn, &s.inbox, at(0), 1000, &mut busy)
            .unwrap();
        assert!(matches!(
            w.scan(&mut s.conn, &s.inbox, at(10), 1000, &mut busy),
            Err(Error::Busy)
        ));
        assert_eq!(names_in(&s.inbox), ["a.pdf"]);
        let mut refuse =
            |_: &crate::db::Tx, _: &Arrival| -> Result<()> { Err(Error::TooLarge(10)) };
        w.scan(&mut s.conn, &s.inbox, at(20), 1000, &mut refuse)
            .unwrap();
        let r = w
            .scan(&mut s.conn, &s.inbox, at(30), 1000, &mut refuse)
            .unwrap();
        assert_eq!(r.failed.len(), 1);
        assert_eq!(
            names_in(&s.inbox.join(FAILED)),
            ["a.pdf", "a.pdf.error.txt"]
        );
    }

    #[test]
    fn a_file_imported_before_a_crash_is_only_moved_and_a_name_taken_gets_a_number() {
        let mut s = setup();
        let mut w = Watcher::default();
        std::fs::write(s.inbox.join("scan.pdf"), b"%PDF one").unwrap();
        w.scan(&mut s.conn, &s.inbox, at(0), 1000, &mut table_sink)
            .unwrap();
        w.scan(&mut s.conn, &s.inbox, at(10), 1000, &mut table_sink)
            .unwrap();
        assert_eq!(stored(&s.conn).len(), 1);
        // The same file again, as if the server had stopped between the import and the move.
        std::fs::write(s.inbox.join("scan.pdf"), b"%PDF one").unwrap();
        // Reopened, with a new watcher: as after a restart.
        drop(s.conn);
        s.conn = crate::db::open(&s.db).unwrap();
        let mut w = Watcher::default();
        w.scan(&mut s.conn, &s.inbox, at(100), 1000, &mut table_sink)
            .unwrap();
        let r = w
            .scan(&mut s.conn, &s.inbox, at(110), 1000, &mut table_sink)
            .unwrap();
        assert_eq!(r.imported, ["scan.pdf"]);
        assert_eq!(stored(&s.conn).len(), 1, "not imported twice");
        assert_eq!(
            names_in(&s.inbox.join(IMPORTED)),
            ["scan (2).pdf", "scan.pdf"]
        );
    }

    #[cfg(unix)]
    #[test]
    fn links_and_pipes_are_never_read_and_links_never_written_through() {
        let dir = tempfile::tempdir().unwrap();
        let secret = dir.path().join("salainen.txt");
        std::fs::write(&secret, b"salasana").unwrap();
        let link = dir.path().join("linkki.pdf");
        std::os::unix::fs::symlink(&secret, &link).unwrap();
        let refused = open_plain(&link).unwrap_err();
        assert_eq!(refused.kind(), std::io::ErrorKind::InvalidInput);
        let fifo = dir.path().join("putki.pdf");
        let status = std::process::Command::new("mkfifo")
            .arg(&fifo)
            .status()
            .unwrap();
        assert!(status.success());
        // Opening a pipe does not wait for a writer, and it is refused.
        assert_eq!(
            open_plain(&fifo).unwrap_err().kind(),
            std::io::ErrorKind::InvalidInput
        );
        assert!(open_plain(&secret).is_ok());

        // A dangling link under the name a failed file would take is passed over.
        let failed = dir.path().join("failed");
        std::fs::create_dir(&failed).unwrap();
        let target = dir.path().join("outside.txt");
        std::os::unix::fs::symlink(&target, failed.join("x.eml")).unwrap();
        let file = dir.path().join("x.eml");
        std::fs::write(&file, b"x").unwrap();
        let moved = move_into(&file, &failed).unwrap();
        assert_eq!(moved, failed.join("x (2).eml"));
        assert!(!target.exists());

        // A linked `imported/` is refused rather than followed.
        let elsewhere = dir.path().join("elsewhere");
        std::fs::create_dir(&elsewhere).unwrap();
        let imported = dir.path().join("imported");
        std::os::unix::fs::symlink(&elsewhere, &imported).unwrap();
        let file = dir.path().join("y.pdf");
        std::fs::write(&file, b"y").unwrap();
        assert!(move_into(&file, &imported).is_err());
        assert!(file.exists());
    }
}

//! The inbox: e-mail messages and dropped files turned into incoming documents, fed four ways —
//! an uploaded `.eml` and `POST /api/v1/documents/email` (both call [`import_message`]), a
//! watched folder ([`folder`]) and an IMAP mailbox ([`imap`]).
//!
//! The inbox does not store documents itself: it hands each arrival to a caller-given sink (the
//! documents module's store) inside a transaction. For the folder and the mailbox, the same
//! transaction records the arrival in `inbox_messages` ([`store`]), so a message or file is
//! imported exactly once, also across a crash: either both the documents and the record are
//! written, or neither.

pub(crate) mod folder;
pub(crate) mod imap;
pub(crate) mod message;
pub(crate) mod store;
#[cfg(test)]
#[path = "../../tests/common/dovecot.rs"]
pub(crate) mod test_server;

use std::path::Path;

use crate::db::Tx;
use crate::error::{Error, Result};
use crate::jobs::{Jobs, Thread};
use message::{MailError, MailFile, MailMeta};

/// How something came in; the documents module turns it into its `source`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Via {
    /// A `.eml` file uploaded on the Incoming page.
    Upload,
    /// `POST /api/v1/documents/email`.
    Api,
    /// The watched folder: an `.eml` file, or any other file (a scan) as it is.
    Folder,
    /// The IMAP mailbox.
    Imap,
}

/// What arrived: one or more files, and who sent them when it was an e-mail message.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Arrival<'a> {
    pub via: Via,
    /// The message's From, Subject and Date; `None` for a plain file from the folder.
    pub email: Option<&'a MailMeta>,
    pub files: &'a [MailFile],
}

/// Where arrivals go: stores them (as incoming documents) in the given transaction. An error
/// rolls the whole arrival back.
pub(crate) type Sink<'s> = dyn FnMut(&Tx, &Arrival) -> Result<()> + 's;

/// The sink the server's inbox jobs use, as a plain function so that it can be named in one
/// place (`server/run.rs`).
pub(crate) type SinkFn = fn(&Tx, &Arrival) -> Result<()>;

impl From<MailError> for Error {
    fn from(e: MailError) -> Error {
        match e {
            MailError::TooLarge { limit, .. } => Error::TooLarge(limit as u64),
            MailError::NotAMessage => Error::Validation {
                key: e.key(),
                fields: Vec::new(),
            },
        }
    }
}

/// Imports one raw message given by a person or a program (the `.eml` upload, the API): every
/// attachment, or the whole message when it has none, goes to `sink` in `tx`. Returns how many
/// files were handed over. Such a message is not remembered: sending it twice imports it twice,
/// as uploading a file twice does. A message over `limit` bytes is `Error::TooLarge`; one that
/// is not a message at all a validation error (`inbox.not_a_message`).
pub(crate) fn import_message(
    tx: &Tx,
    raw: &[u8],
    via: Via,
    limit: usize,
    sink: &mut Sink,
) -> Result<usize> {
    let mail = message::files_of(raw, limit)?;
    sink(
        tx,
        &Arrival {
            via,
            email: Some(&mail.meta),
            files: &mail.files,
        },
    )?;
    Ok(mail.files.len())
}

/// The largest message (or dropped file) the inbox takes: as large as one document may be
/// (the `document_max_mb` setting), so that every file in it fits the documents' limit. Mail
/// servers cap whole messages much the same way; parsing holds the message and its decoded
/// files in memory at once, so this also bounds the importer's memory.
pub(crate) fn message_limit(settings: &crate::settings::Settings) -> usize {
    usize::try_from(settings.document_max_bytes()).unwrap_or(usize::MAX)
}

/// Registers the inbox's jobs, which hand what arrives to `sink`: the watched folder, scanned
/// every [`folder::SCAN_EVERY`], and the IMAP mailbox, polled every [`imap::POLL_EVERY`], each
/// on a thread of its own (a big file or a mailbox that does not answer holds up no other job).
/// Each reads the settings at its turn, so a change on the settings page counts from the next
/// turn. Their failures (a file in `failed/`, a mailbox that cannot be reached or refuses the
/// password) are the jobs' errors: on the settings page and in the server log.
pub(crate) fn register_jobs(jobs: &mut Jobs, db_path: &Path, sink: SinkFn) {
    let folder_db = db_path.to_path_buf();
    let mut watcher = folder::Watcher::default();
    jobs.every(
        "jobs.inbox_folder",
        folder::SCAN_EVERY,
        Thread::Own,
        move |conn, now| folder_turn(&mut watcher, conn, &folder_db, now, sink).map(|_| ()),
    );
    jobs.every(
        "jobs.inbox_imap",
        imap::POLL_EVERY,
        Thread::Own,
        move |conn, now| imap_turn(conn, now, sink).map(|_| ()),
    );
}

/// One turn of the folder job at `now`: the folder the settings name (none: nothing to do).
/// Makes the folder if missing (so that a scanner can be pointed at it), imports what has
/// settled, and fails while `failed/` holds files, so that a file that could not be imported
/// stays visible on the settings page until someone sees to it.
pub(crate) fn folder_turn(
    watcher: &mut folder::Watcher,
    conn: &mut rusqlite::Connection,
    db_path: &Path,
    now: chrono::DateTime<chrono::Utc>,
    mut sink: SinkFn,
) -> Result<folder::ScanReport> {
    let settings = crate::settings::load(conn)?;
    let Some(dir) = folder::resolve(db_path, &settings.inbox_folder) else {
        return Ok(folder::ScanReport::default());
    };
    std::fs::create_dir_all(&dir)?;
    let report = watcher.scan(conn, &dir, now, message_limit(&settings), &mut sink)?;
    for name in &report.imported {
        log::info!("inbox: imported {name} from {}", dir.display());
    }
    match folder::failed_count(&dir) {
        0 => Ok(report),
        n => Err(Error::Internal(format!(
            "{n} file(s) in {} could not be imported; the .error.txt beside each says why. \
             Remove them from there once seen to.",
            dir.join(folder::FAILED).display()
        ))),
    }
}

/// One turn of the mailbox job at `now`: polls the mailbox the settings name (none: nothing
/// to do, an empty report).
pub(crate) fn imap_turn(
    conn: &mut rusqlite::Connection,
    now: chrono::DateTime<chrono::Utc>,
    mut sink: SinkFn,
) -> Result<imap::PollReport> {
    let settings = crate::settings::load(conn)?;
    let Some(account) = imap::Account::from_settings(&settings) else {
        return Ok(imap::PollReport::default());
    };
    let report = imap::poll(conn, &account, now, message_limit(&settings), &mut sink)?;
    if !report.imported.is_empty() {
        log::info!(
            "inbox: imported {} message(s) from {account:?}",
            report.imported.len()
        );
    }
    Ok(report)
}

#[cfg(test)]
mod tests {
    use super::*;
    use message::tests::{pdf_bytes, two_attachments};
    use message::MAX_MESSAGE_BYTES;

    #[test]
    fn import_message_hands_every_attachment_to_the_sink_with_the_sender() {
        let mut conn = rusqlite::Connection::open_in_memory().unwrap();
        let tx = conn.transaction().unwrap();
        let mut got = Vec::new();
        let n = import_message(
            &Tx::of(&tx),
            &two_attachments("Tarjous"),
            Via::Api,
            MAX_MESSAGE_BYTES,
            &mut |_, a: &Arrival| {
                for f in a.files {
                    got.push((a.via, a.email.unwrap().subject.clone(), f.bytes.clone()));
                }
                Ok(())
            },
        )
        .unwrap();
        assert_eq!(n, 2);
        assert_eq!(got.len(), 2);
        assert_eq!(got[0], (Via::Api, "Tarjous".into(), pdf_bytes("tarjous")));
    }

    fn count_sink(tx: &Tx, a: &Arrival) -> Result<()> {
        tx.execute_batch("CREATE TABLE IF NOT EXISTS test_count(n INTEGER)")?;
        for _ in a.files {
            tx.execute("INSERT INTO test_count VALUES (1)", [])?;
        }
        Ok(())
    }

    #[test]
    fn the_folder_job_imports_from_the_folder_the_setting_names_and_shows_failures() {
        let dir = tempfile::tempdir().unwrap();
        let db = dir.path().join("crm.db");
        let mut conn = crate::db::open(&db).unwrap();
        let mut jobs = Jobs::new();
        register_jobs(&mut jobs, &db, count_sink);
        let health = jobs.health();
        let t0 = chrono::DateTime::from_timestamp(1_796_000_000, 0).unwrap();
        // The first turn makes the folder beside the database.
        jobs.run_due(&mut conn, t0);
        let inbox = dir.path().join("inbox");
        assert!(inbox.is_dir());
        std::fs::write(inbox.join("kaksi.eml"), two_attachments("x")).unwrap();
        std::fs::write(inbox.join("rikki.eml"), b"\x00").unwrap();
        jobs.run_due(&mut conn, t0 + folder::SCAN_EVERY);
        jobs.run_due(&mut conn, t0 + folder::SCAN_EVERY * 2);
        let n: i64 = conn
            .query_row("SELECT count(*) FROM test_count", [], |r| r.get(0))
            .unwrap();
        assert_eq!(n, 2);
        let status = health.get("jobs.inbox_folder").unwrap();
        let error = status.last_error.unwrap_or_default();
        assert!(
            error.contains("1 file(s)") && error.contains("failed"),
            "{error}"
        );
        // Seen to: the error goes at the next turn.
        std::fs::remove_dir_all(inbox.join(folder::FAILED)).unwrap();
        jobs.run_due(&mut conn, t0 + folder::SCAN_EVERY * 3);
        assert_eq!(health.get("jobs.inbox_folder").unwrap().last_error, None);
        // Empty turns the watcher off.
        crate::db::write(&mut conn, |tx| {
            tx.execute("INSERT INTO settings VALUES ('inbox_folder', '')", [])
        })
        .unwrap();
        std::fs::remove_dir_all(&inbox).unwrap();
        jobs.run_due(&mut conn, t0 + folder::SCAN_EVERY * 4);
        assert!(!inbox.exists());
    }

    #[test]
    fn the_mailbox_job_shows_a_wrong_password_as_its_error() {
        let server = test_server::Dovecot::start();
        let dir = tempfile::tempdir().unwrap();
        let db = dir.path().join("crm.db");
        let mut conn = crate::db::open(&db).unwrap();
        let mut settings = crate::settings::load(&conn).unwrap();
        settings.inbox_folder = String::new();
        settings
            .set_imap(&crate::settings::ImapForm {
                host: "127.0.0.1",
                port: &server.port.to_string(),
                security: "none",
                user: test_server::USER,
                password: "väärä salasana",
                folder: "INBOX",
            })
            .unwrap();
        crate::db::write(&mut conn, |tx| crate::settings::save(tx, &settings)).unwrap();
        let mut jobs = Jobs::new();
        register_jobs(&mut jobs, &db, count_sink);
        let health = jobs.health();
        jobs.run_due(&mut conn, chrono::Utc::now());
        let status = health.get("jobs.inbox_imap").unwrap();
        let error = status.last_error.unwrap_or_default();
        assert!(error.contains("refused the login"), "{error}");
        assert_eq!(status.failures, 1);
    }

    #[test]
    fn import_message_refuses_too_large_and_not_a_message_with_4xx_errors() {
        let mut conn = rusqlite::Connection::open_in_memory().unwrap();
        let tx = conn.transaction().unwrap();
        let mut sink = |_: &Tx, _: &Arrival| -> Result<()> { panic!("nothing to store") };
        let big = import_message(
            &Tx::of(&tx),
            &two_attachments("x"),
            Via::Upload,
            100,
            &mut sink,
        );
        assert!(matches!(big, Err(Error::TooLarge(100))), "{big:?}");
        let junk = import_message(&Tx::of(&tx), b"\x00\x01", Via::Upload, 100, &mut sink);
        assert!(
            matches!(
                junk,
                Err(Error::Validation {
                    key: "inbox.not_a_message",
                    ..
                })
            ),
            "{junk:?}"
        );
    }
}

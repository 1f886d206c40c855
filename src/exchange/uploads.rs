//! Files uploaded to the import page, kept on the server between its steps (preview, dry run,
//! import) so that no page carries the file back to the browser. Each is a file in `uploads/`
//! beside the database, named by the session that uploaded it and a random token: the forms
//! carry only the token, and another session's token finds nothing. A session keeps only its
//! newest upload; an import that succeeds removes it; anything older than [`MAX_AGE`] is
//! removed by the next upload or by the clean-up job.

use std::fs;
use std::io::{self, Write};
use std::path::{Path, PathBuf};
use std::time::{Duration, SystemTime};

use sha2::{Digest, Sha256};

/// How long an upload waits for its import.
pub(crate) const MAX_AGE: Duration = Duration::from_secs(3600);
/// Characters of the original file name kept (it is only shown, and tells a vCard by its end).
const NAME_MAX: usize = 200;

/// The folder of uploads beside the database `db_path`.
pub(crate) fn dir(db_path: &Path) -> PathBuf {
    db_path
        .parent()
        .filter(|d| !d.as_os_str().is_empty())
        .unwrap_or(Path::new("."))
        .join("uploads")
}

/// The part of an upload's file name that ties it to a session: from the session's token hash,
/// hashed again so that nothing on disk says what the session table holds.
pub(crate) fn session_key(token_hash: &[u8]) -> String {
    let digest = Sha256::new()
        .chain_update(b"minicrm upload\0")
        .chain_update(token_hash)
        .finalize();
    crate::auth::hex(&digest[..16])
}

/// Whether `token` has the shape [`save`] gives (so it never names a path of its own).
fn valid_token(token: &str) -> bool {
    token.len() == 32
        && token
            .bytes()
            .all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f'))
}

fn path_of(dir: &Path, session: &str, token: &str) -> PathBuf {
    dir.join(format!("{session}-{token}"))
}

fn create_dir(dir: &Path) -> io::Result<()> {
    let mut builder = fs::DirBuilder::new();
    builder.recursive(true);
    #[cfg(unix)]
    std::os::unix::fs::DirBuilderExt::mode(&mut builder, 0o700);
    builder.create(dir)
}

/// Whether a file was last written more than [`MAX_AGE`] before `now`.
fn expired(meta: &fs::Metadata, now: SystemTime) -> bool {
    meta.modified()
        .ok()
        .and_then(|m| now.duration_since(m).ok())
        .is_some_and(|age| age > MAX_AGE)
}

/// Keeps an upload for `session` and returns its token. The session's earlier uploads and
/// every expired one are removed first.
pub(crate) fn save(
    dir: &Path,
    session: &str,
    file_name: &str,
    content: &mut dyn io::Read,
) -> io::Result<String> {
    create_dir(dir)?;
    sweep(dir, SystemTime::now(), Some(session))?;
    let token = crate::auth::random_hex(16);
    let name: String = file_name
        .chars()
        .filter(|c| !c.is_control())
        .take(NAME_MAX)
        .collect();
    let partial = dir.join(format!(".{session}-{token}.part"));
    let written = (|| {
        let mut file = fs::File::create(&partial)?;
        file.write_all(name.as_bytes())?;
        file.write_all(b"\n")?;
        io::copy(content, &mut file)?;
        file.sync_all()?;
        fs::rename(&partial, path_of(dir, session, &token))
    })();
    if let Err(e) = written {
        let _ = fs::remove_file(&partial);
        return Err(e);
    }
    Ok(token)
}

/// The upload of `session` with `token`: its file name and bytes, or `None` when there is no
/// such upload (never made, made by another session, used up or expired).
pub(crate) fn load(
    dir: &Path,
    session: &str,
    token: &str,
) -> io::Result<Option<(String, Vec<u8>)>> {
    if !valid_token(token) {
        return Ok(None);
    }
    let path = path_of(dir, session, token);
    let meta = match fs::metadata(&path) {
        Ok(meta) => meta,
        Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(None),
        Err(e) => return Err(e),
    };
    if expired(&meta, SystemTime::now()) {
        let _ = fs::remove_file(&path);
        return Ok(None);
    }
    let mut content = match fs::read(&path) {
        Ok(content) => content,
        Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(None),
        Err(e) => return Err(e),
    };
    let Some(end) = content.iter().position(|&b| b == b'\n') else {
        return Ok(None);
    };
    let name = String::from_utf8_lossy(&content[..end]).into_owned();
    content.drain(..=end);
    Ok(Some((name, content)))
}

/// Removes an upload (after its import); a missing one is no error.
pub(crate) fn remove(dir: &Path, session: &str, token: &str) -> io::Result<()> {
    if !valid_token(token) {
        return Ok(());
    }
    match fs::remove_file(path_of(dir, session, token)) {
        Err(e) if e.kind() != io::ErrorKind::NotFound => Err(e),
        _ => Ok(()),
    }
}

/// Removes the uploads older than [`MAX_AGE`] at `now`, and with `session` every upload of that
/// session too. Returns how many went; a missing folder has none.
pub(crate) fn sweep(dir: &Path, now: SystemTime, session: Option<&str>) -> io::Result<usize> {
    let entries = match fs::read_dir(dir) {
        Ok(entries) => entries,
        Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(0),
        Err(e) => return Err(e),
    };
    let mut removed = 0;
    for entry in entries {
        let entry = entry?;
        let name = entry.file_name();
        let name = name.to_string_lossy();
        let mine = session.is_some_and(|s| {
            name.strip_prefix(s)
                .is_some_and(|rest| rest.starts_with('-'))
        });
        let old = entry
            .metadata()
            .is_ok_and(|m| m.is_file() && expired(&m, now));
        if (mine || old) && fs::remove_file(entry.path()).is_ok() {
            removed += 1;
        }
    }
    Ok(removed)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_upload_is_found_only_by_its_session_and_token() {
        let dir = tempfile::tempdir().unwrap();
        let dir = dir.path().join("uploads");
        let (alice, bob) = (session_key(b"alice"), session_key(b"bob"));
        assert_eq!(alice.len(), 32);
        assert_ne!(alice, bob);
        let token = save(&dir, &alice, "asiakkaat\n.csv", &mut &b"nimi\nA Oy\n"[..]).unwrap();
        let (name, bytes) = load(&dir, &alice, &token).unwrap().unwrap();
        assert_eq!(
            (name.as_str(), bytes.as_slice()),
            ("asiakkaat.csv", &b"nimi\nA Oy\n"[..])
        );
        assert!(
            load(&dir, &bob, &token).unwrap().is_none(),
            "another session"
        );
        assert!(load(&dir, &alice, "../../etc/passwd").unwrap().is_none());
        assert!(load(&dir, &alice, &"0".repeat(32)).unwrap().is_none());
        // A new upload of the same session replaces the old one; others keep theirs.
        let bobs = save(&dir, &bob, "b.csv", &mut &b"x"[..]).unwrap();
        let newer = save(&dir, &alice, "c.csv", &mut &b"y"[..]).unwrap();
        assert!(load(&dir, &alice, &token).unwrap().is_none());
        assert!(load(&dir, &alice, &newer).unwrap().is_some());
        assert!(load(&dir, &bob, &bobs).unwrap().is_some());
        remove(&dir, &alice, &newer).unwrap();
        assert!(load(&dir, &alice, &newer).unwrap().is_none());
        remove(&dir, &alice, &newer).unwrap();
        // An hour later everything is gone.
        let later = SystemTime::now() + MAX_AGE + Duration::from_secs(60);
        assert_eq!(sweep(&dir, later, None).unwrap(), 1);
        assert!(load(&dir, &bob, &bobs).unwrap().is_none());
        assert_eq!(sweep(&dir.join("missing"), later, None).unwrap(), 0);
    }
}

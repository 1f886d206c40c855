//! A document's bytes into the database: a row made with `zeroblob(size)`, then filled through
//! incremental BLOB I/O a chunk at a time, so a 25 MiB file never sits in memory whole. Reading
//! goes the same way (`http::Body::Blob`, streamed by the server as it answers).

use std::io::{Read, Write};

use crate::db::Tx;
use crate::error::{Error, Result};

/// How much of a file is in memory at a time on its way into the database.
const CHUNK: usize = 64 * 1024;

/// Writes exactly `size` bytes of `content` into `table.column` of row `rowid` (made with
/// `zeroblob(size)`). Fewer or more bytes than `size` is an error, and the caller's
/// transaction then stores nothing.
pub(crate) fn fill(
    tx: &Tx,
    table: &str,
    column: &str,
    rowid: i64,
    content: &mut dyn Read,
    size: u64,
) -> Result<()> {
    let mut blob = tx.blob_open(rusqlite::MAIN_DB, table, column, rowid, false)?;
    let mut buf = vec![0u8; CHUNK];
    let mut written: u64 = 0;
    loop {
        let n = match content.read(&mut buf) {
            Ok(n) => n,
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
            Err(e) => return Err(Error::Io(e)),
        };
        if n == 0 {
            break;
        }
        if written + n as u64 > size {
            return Err(Error::Internal(format!(
                "a document's content is longer than its size {size}"
            )));
        }
        blob.write_all(&buf[..n])?;
        written += n as u64;
    }
    if written != size {
        return Err(Error::Internal(format!(
            "a document's content has {written} bytes, not its size {size}"
        )));
    }
    blob.close()?;
    Ok(())
}

/// Copies a whole BLOB, a chunk at a time, into `out` (for the text extraction, which reads
/// only small files; answers stream through `http::Body::Blob`).
pub(crate) fn read_into(
    conn: &rusqlite::Connection,
    table: &str,
    column: &str,
    rowid: i64,
    out: &mut dyn Write,
) -> Result<u64> {
    let blob = conn.blob_open(rusqlite::MAIN_DB, table, column, rowid, true)?;
    let mut reader = std::io::BufReader::with_capacity(CHUNK, blob);
    Ok(std::io::copy(&mut reader, out)?)
}

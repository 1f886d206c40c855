//! `multipart/form-data` bodies (RFC 7578), read as a stream: text fields into a [`Form`],
//! each file straight into a temporary file beside the database, its size and SHA-256 taken on
//! the way. Nothing holds a whole file in memory, and every part of the body has a limit that
//! is checked before the bytes pile up: a part's header block, the number of parts, the size
//! of a text field and of a file.
//!
//! Written here rather than taken from a crate because the one that fits tiny_http's blocking
//! reader (multer) buffers a part's headers without bound and does not read `filename*=`.

use std::fs::File;
use std::io::{self, Read, Seek, SeekFrom, Write};
use std::path::Path;

use sha2::{Digest, Sha256};

use super::form::Form;

/// What one upload may hold.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Limits {
    /// Largest file, in bytes (413 beyond it).
    pub file_size: u64,
    /// Most files in one body.
    pub files: usize,
}

/// Parts of any kind in one body: the forms have a handful of fields and a few files.
const MAX_PARTS: usize = 200;
/// A part's header block (`Content-Disposition`, `Content-Type`), with its blank line.
const MAX_HEADER_BLOCK: usize = 8 * 1024;
/// A text field: the longest form value is a note, well under this.
const MAX_TEXT_FIELD: usize = 256 * 1024;
/// A boundary is 1–70 characters (RFC 2046).
const MAX_BOUNDARY: usize = 70;

/// A file of the body, kept in an unnamed temporary file until the handler stores it.
#[derive(Debug)]
pub(crate) struct FilePart {
    /// The form field it came in (`file`).
    pub field: String,
    /// The file name the browser gave, without any path.
    pub name: String,
    pub content_type: Option<String>,
    pub size: u64,
    /// Lower-case hex SHA-256 of the bytes.
    pub sha256: String,
    /// The bytes, read from the start.
    pub file: File,
}

/// A read body: its text fields and files, in the order sent.
#[derive(Debug, Default)]
pub(crate) struct Upload {
    pub form: Form,
    pub files: Vec<FilePart>,
}

#[derive(Debug, thiserror::Error)]
pub(crate) enum MultipartError {
    /// The body is not well-formed multipart; the text says how (for the log and the API).
    #[error("the multipart body is malformed: {0}")]
    Malformed(&'static str),
    #[error("a file is larger than {0} bytes")]
    FileTooLarge(u64),
    #[error("too many files (at most {0})")]
    TooManyFiles(usize),
    #[error("the upload could not be kept: {0}")]
    Io(#[from] io::Error),
}

impl From<MultipartError> for crate::error::Error {
    fn from(e: MultipartError) -> Self {
        use crate::error::Error;
        match e {
            MultipartError::FileTooLarge(limit) => Error::TooLarge(limit),
            MultipartError::Io(e) => Error::Internal(format!("upload spool: {e}")),
            other => Error::BadRequest(format!("The upload could not be read: {other}.")),
        }
    }
}

/// The boundary of a `multipart/form-data` content type, if it is one.
pub(crate) fn boundary(content_type: &str) -> Option<String> {
    let (kind, params) = content_type.split_once(';').unwrap_or((content_type, ""));
    if !kind.trim().eq_ignore_ascii_case("multipart/form-data") {
        return None;
    }
    let boundary = params_of(params)
        .into_iter()
        .find(|(k, _)| k.eq_ignore_ascii_case("boundary"))?
        .1;
    (1..=MAX_BOUNDARY)
        .contains(&boundary.len())
        .then_some(boundary)
        .filter(|b| b.bytes().all(|c| (b' '..=b'~').contains(&c)))
}

/// Reads a whole multipart body from `body`, files into temporary files in `dir`.
pub(crate) fn read(
    boundary: &str,
    body: impl Read,
    limits: Limits,
    dir: &Path,
) -> Result<Upload, MultipartError> {
    // The first boundary may come without the CRLF before it; a virtual one makes every
    // delimiter the same `CRLF--boundary`.
    let mut input = Input::new(io::Cursor::new(b"\r\n".to_vec()).chain(body));
    let delimiter = format!("\r\n--{boundary}").into_bytes();
    // The preamble, before the first delimiter, is ignored (and bounded like a text field).
    input.copy_text_until(
        &delimiter,
        io::sink(),
        "the text before the first boundary is too long",
    )?;
    let mut upload = Upload::default();
    let mut pairs: Vec<(String, String)> = Vec::new();
    for _ in 0..MAX_PARTS {
        // After a delimiter: `--` ends the body, else (padding and) CRLF starts a part.
        if input.starts_with(b"--")? {
            upload.form = Form::from_pairs(pairs);
            return Ok(upload);
        }
        let after = input.take_line(MAX_HEADER_BLOCK)?;
        if !after.iter().all(|b| *b == b' ' || *b == b'\t') {
            return Err(MultipartError::Malformed("text after a boundary"));
        }
        let head = PartHead::read(&mut input)?;
        match head.file_name {
            Some(name) => {
                let mut spool = Spool::new(dir, limits.file_size)?;
                input.copy_until(&delimiter, &mut spool)?;
                // A file input left empty sends a part with no name and no bytes.
                if name.is_empty() && spool.size == 0 {
                    continue;
                }
                if upload.files.len() == limits.files {
                    return Err(MultipartError::TooManyFiles(limits.files));
                }
                upload
                    .files
                    .push(spool.finish(head.name, name, head.content_type)?);
            }
            None => {
                let text =
                    input.copy_text_until(&delimiter, Vec::new(), "a text field is too long")?;
                pairs.push((head.name, String::from_utf8_lossy(&text).into_owned()));
            }
        }
    }
    Err(MultipartError::Malformed("too many parts"))
}

/// A part's `Content-Disposition` and `Content-Type`.
struct PartHead {
    name: String,
    file_name: Option<String>,
    content_type: Option<String>,
}

impl PartHead {
    fn read<R: Read>(input: &mut Input<R>) -> Result<PartHead, MultipartError> {
        let mut head = PartHead {
            name: String::new(),
            file_name: None,
            content_type: None,
        };
        let mut left = MAX_HEADER_BLOCK;
        let mut seen_disposition = false;
        loop {
            let line = input.take_line(left)?;
            left = left
                .checked_sub(line.len() + 2)
                .ok_or(MultipartError::Malformed("a part's headers are too long"))?;
            if line.is_empty() {
                break;
            }
            // Raw UTF-8 in a header is what browsers send for non-ASCII file names.
            let line = std::str::from_utf8(&line)
                .map_err(|_| MultipartError::Malformed("a part header is not UTF-8"))?;
            let Some((key, value)) = line.split_once(':') else {
                return Err(MultipartError::Malformed("a part header has no colon"));
            };
            if key.trim().eq_ignore_ascii_case("content-disposition") {
                seen_disposition = true;
                head.read_disposition(value)?;
            } else if key.trim().eq_ignore_ascii_case("content-type") {
                head.content_type = Some(value.trim().to_string());
            }
        }
        if !seen_disposition {
            return Err(MultipartError::Malformed(
                "a part has no Content-Disposition",
            ));
        }
        Ok(head)
    }

    fn read_disposition(&mut self, value: &str) -> Result<(), MultipartError> {
        let (kind, params) = value.split_once(';').unwrap_or((value, ""));
        if !kind.trim().eq_ignore_ascii_case("form-data") {
            return Err(MultipartError::Malformed("a part is not form-data"));
        }
        let mut plain = None;
        let mut extended = None;
        for (key, value) in params_of(params) {
            match key.to_ascii_lowercase().as_str() {
                "name" => self.name = value,
                "filename" => plain = Some(value),
                "filename*" => {
                    extended = Some(decode_ext_value(&value).ok_or(MultipartError::Malformed(
                        "a filename* is not a valid RFC 5987 value",
                    ))?)
                }
                _ => {}
            }
        }
        // `filename*` wins over `filename` (RFC 6266 §4.3); either way only the last path
        // segment is kept, as old browsers sent whole Windows paths.
        self.file_name = extended.or(plain).map(|n| base_name(&n));
        Ok(())
    }
}

/// `key=value` parameters after a `;`: values plain or quoted with `\` escapes.
fn params_of(params: &str) -> Vec<(String, String)> {
    let mut out = Vec::new();
    let mut rest = params;
    loop {
        rest = rest.trim_start_matches([' ', '\t', ';']);
        let Some(eq) = rest.find('=') else {
            return out;
        };
        // A token without a value (`form-data; foo; name="a"`) is passed over.
        if let Some(semi) = rest[..eq].find(';') {
            rest = &rest[semi..];
            continue;
        }
        let key = rest[..eq].trim().to_string();
        rest = rest[eq + 1..].trim_start();
        let mut value = String::new();
        if let Some(quoted) = rest.strip_prefix('"') {
            let mut chars = quoted.char_indices();
            let mut end = quoted.len();
            while let Some((i, c)) = chars.next() {
                match c {
                    '\\' => {
                        if let Some((_, next)) = chars.next() {
                            value.push(next);
                        }
                    }
                    '"' => {
                        end = i + 1;
                        break;
                    }
                    c => value.push(c),
                }
            }
            rest = &quoted[end.min(quoted.len())..];
        } else {
            let end = rest.find(';').unwrap_or(rest.len());
            value = rest[..end].trim().to_string();
            rest = &rest[end..];
        }
        out.push((key, value));
    }
}

/// An RFC 5987 `charset'language'percent-encoded` value; UTF-8 and ISO-8859-1 are read.
fn decode_ext_value(value: &str) -> Option<String> {
    let mut parts = value.splitn(3, '\'');
    let charset = parts.next()?;
    let _language = parts.next()?;
    let bytes: Vec<u8> = percent_encoding::percent_decode_str(parts.next()?).collect();
    if charset.eq_ignore_ascii_case("utf-8") {
        String::from_utf8(bytes).ok()
    } else if charset.eq_ignore_ascii_case("iso-8859-1") {
        Some(bytes.iter().map(|&b| b as char).collect())
    } else {
        None
    }
}

/// The last segment of a path a browser may send, control characters dropped.
fn base_name(name: &str) -> String {
    let last = name.rsplit(['/', '\\']).next().unwrap_or("");
    last.chars().filter(|c| !c.is_control()).collect()
}

/// The body with a buffer that can look ahead for a delimiter.
struct Input<R> {
    reader: R,
    buf: Vec<u8>,
    /// Start of the unread bytes in `buf`.
    at: usize,
    eof: bool,
}

const CHUNK: usize = 64 * 1024;

impl<R: Read> Input<R> {
    fn new(reader: R) -> Input<R> {
        Input {
            reader,
            buf: Vec::with_capacity(2 * CHUNK),
            at: 0,
            eof: false,
        }
    }

    fn unread(&self) -> &[u8] {
        &self.buf[self.at..]
    }

    /// Reads more bytes after the unread ones; false at the end of the body.
    fn fill(&mut self) -> io::Result<bool> {
        if self.eof {
            return Ok(false);
        }
        if self.at > 0 {
            self.buf.drain(..self.at);
            self.at = 0;
        }
        let len = self.buf.len();
        self.buf.resize(len + CHUNK, 0);
        let n = loop {
            match self.reader.read(&mut self.buf[len..]) {
                Ok(n) => break n,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(e) => {
                    self.buf.truncate(len);
                    return Err(e);
                }
            }
        };
        self.buf.truncate(len + n);
        self.eof = n == 0;
        Ok(n > 0)
    }

    /// Whether the unread bytes start with `prefix` (read as far as needed to tell).
    fn starts_with(&mut self, prefix: &[u8]) -> io::Result<bool> {
        while self.unread().len() < prefix.len() && self.fill()? {}
        Ok(self.unread().starts_with(prefix))
    }

    /// Takes one CRLF-ended line (without the CRLF) of at most `max` bytes.
    fn take_line(&mut self, max: usize) -> Result<Vec<u8>, MultipartError> {
        loop {
            if let Some(i) = memchr::memmem::find(self.unread(), b"\r\n") {
                if i > max {
                    break;
                }
                let line = self.unread()[..i].to_vec();
                self.at += i + 2;
                return Ok(line);
            }
            if self.unread().len() > max + 1 {
                break;
            }
            if !self.fill()? {
                return Err(MultipartError::Malformed(
                    "the body ends inside a part's headers",
                ));
            }
        }
        Err(MultipartError::Malformed("a part's headers are too long"))
    }

    /// [`Input::copy_until`] for text: at most [`MAX_TEXT_FIELD`] bytes into `out`, and more
    /// is a malformed body (400, saying `why`), not a file too large (413).
    fn copy_text_until<W: Write>(
        &mut self,
        delimiter: &[u8],
        out: W,
        why: &'static str,
    ) -> Result<W, MultipartError> {
        let mut text = Capped::new(out, MAX_TEXT_FIELD as u64);
        match self.copy_until(delimiter, &mut text) {
            Ok(()) => Ok(text.inner),
            Err(MultipartError::FileTooLarge(_)) => Err(MultipartError::Malformed(why)),
            Err(e) => Err(e),
        }
    }

    /// Copies bytes to `out` up to `delimiter`, which is consumed.
    fn copy_until(&mut self, delimiter: &[u8], out: &mut impl Write) -> Result<(), MultipartError> {
        loop {
            if let Some(i) = memchr::memmem::find(self.unread(), delimiter) {
                out.write_all(&self.unread()[..i])
                    .map_err(too_large_or_io)?;
                self.at += i + delimiter.len();
                return Ok(());
            }
            // All but the last bytes, which may be the start of the delimiter, are part data.
            let safe = self.unread().len().saturating_sub(delimiter.len() - 1);
            out.write_all(&self.unread()[..safe])
                .map_err(too_large_or_io)?;
            self.at += safe;
            if !self.fill()? {
                return Err(MultipartError::Malformed(
                    "the body ends before its final boundary",
                ));
            }
        }
    }
}

/// The error a [`Capped`] writer gives past its cap, told apart from a real I/O error.
#[derive(Debug)]
struct OverCap(u64);

impl std::fmt::Display for OverCap {
    fn fmt(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
        write!(f, "more than {} bytes", self.0)
    }
}

impl std::error::Error for OverCap {}

fn too_large_or_io(e: io::Error) -> MultipartError {
    match e
        .get_ref()
        .and_then(|inner| inner.downcast_ref::<OverCap>())
    {
        Some(OverCap(limit)) => MultipartError::FileTooLarge(*limit),
        None => MultipartError::Io(e),
    }
}

/// A writer that refuses to grow past `cap` bytes.
struct Capped<W> {
    inner: W,
    written: u64,
    cap: u64,
}

impl<W: Write> Capped<W> {
    fn new(inner: W, cap: u64) -> Capped<W> {
        Capped {
            inner,
            written: 0,
            cap,
        }
    }
}

impl<W: Write> Write for Capped<W> {
    fn write(&mut self, data: &[u8]) -> io::Result<usize> {
        if self.written + data.len() as u64 > self.cap {
            return Err(io::Error::other(OverCap(self.cap)));
        }
        let n = self.inner.write(data)?;
        self.written += n as u64;
        Ok(n)
    }

    fn flush(&mut self) -> io::Result<()> {
        self.inner.flush()
    }
}

/// A file part on its way to a temporary file, hashed and counted as it goes.
struct Spool {
    file: Capped<File>,
    hash: Sha256,
    size: u64,
}

impl Spool {
    fn new(dir: &Path, cap: u64) -> io::Result<Spool> {
        std::fs::create_dir_all(dir)?;
        Ok(Spool {
            file: Capped::new(tempfile::tempfile_in(dir)?, cap),
            hash: Sha256::new(),
            size: 0,
        })
    }

    fn finish(
        self,
        field: String,
        name: String,
        content_type: Option<String>,
    ) -> io::Result<FilePart> {
        let mut file = self.file.inner;
        file.seek(SeekFrom::Start(0))?;
        Ok(FilePart {
            field,
            name,
            content_type,
            size: self.size,
            sha256: crate::auth::hex(&self.hash.finalize()),
            file,
        })
    }
}

impl Write for Spool {
    fn write(&mut self, data: &[u8]) -> io::Result<usize> {
        let n = self.file.write(data)?;
        self.hash.update(&data[..n]);
        self.size += n as u64;
        Ok(n)
    }

    fn flush(&mut self) -> io::Result<()> {
        self.file.flush()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const LIMITS: Limits = Limits {
        file_size: 1024 * 1024,
        files: 5,
    };

    fn parse(body: &[u8]) -> Result<Upload, MultipartError> {
        let dir = tempfile::tempdir().unwrap();
        read("XyZ", body, LIMITS, dir.path())
    }

    /// A reader that hands out one byte at a time: every boundary falls across reads.
    struct Trickle<'a>(&'a [u8]);

    impl Read for Trickle<'_> {
        fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
            if self.0.is_empty() || buf.is_empty() {
                return Ok(0);
            }
            buf[0] = self.0[0];
            self.0 = &self.0[1..];
            Ok(1)
        }
    }

    fn contents(part: &mut FilePart) -> Vec<u8> {
        let mut out = Vec::new();
        part.file.read_to_end(&mut out).unwrap();
        out
    }

    const BODY: &[u8] = b"preamble\r\n--XyZ\r\n\
        Content-Disposition: form-data; name=\"csrf\"\r\n\r\nabc\r\n\
        --XyZ\r\nContent-Disposition: form-data; name=\"file\"; filename=\"C:\\\\temp\\\\a.csv\"\r\n\
        Content-Type: text/csv\r\n\r\nx;y\r\n-XyZ\r\n--Xy\r\n\r\n--XyZ--\r\nepilogue";

    #[test]
    fn fields_and_files_come_out_whatever_the_reads() {
        let dir = tempfile::tempdir().unwrap();
        for upload in [
            read("XyZ", BODY, LIMITS, dir.path()),
            read("XyZ", Trickle(BODY), LIMITS, dir.path()),
        ] {
            let mut upload = upload.unwrap();
            assert_eq!(upload.form.get("csrf"), "abc");
            assert_eq!(upload.files.len(), 1);
            let file = &mut upload.files[0];
            assert_eq!((file.field.as_str(), file.name.as_str()), ("file", "a.csv"));
            assert_eq!(file.content_type.as_deref(), Some("text/csv"));
            let expected = b"x;y\r\n-XyZ\r\n--Xy\r\n";
            assert_eq!(contents(file), expected);
            assert_eq!(file.size, expected.len() as u64);
            assert_eq!(file.sha256, crate::auth::hex(&Sha256::digest(expected)));
        }
        // Nothing is left behind in the folder: the files have no name.
        assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 0);
    }

    #[test]
    fn non_ascii_names_in_both_forms() {
        let body = "--XyZ\r\nContent-Disposition: form-data; name=\"file\"; filename=\"x.txt\"; \
            filename*=UTF-8''%C3%A4ij%C3%A4.txt\r\n\r\n1\r\n\
            --XyZ\r\nContent-Disposition: form-data; name=\"file\"; filename=\"Öljy €.pdf\"\r\n\r\n2\r\n--XyZ--";
        let upload = parse(body.as_bytes()).unwrap();
        let names: Vec<_> = upload.files.iter().map(|f| f.name.as_str()).collect();
        assert_eq!(names, ["äijä.txt", "Öljy €.pdf"]);
    }

    #[test]
    fn an_empty_file_input_sends_nothing() {
        let body = b"--XyZ\r\nContent-Disposition: form-data; name=\"file\"; filename=\"\"\r\n\
            Content-Type: application/octet-stream\r\n\r\n\r\n--XyZ--\r\n";
        assert!(parse(body).unwrap().files.is_empty());
    }

    #[test]
    fn broken_bodies_are_refused() {
        let cases: &[&[u8]] = &[
            b"",
            b"--XyZ\r\nContent-Disposition: form-data; name=\"a\"\r\n\r\nno final boundary",
            b"--XyZ\r\nContent-Disposition: form-data; name=\"a\"\r\n",
            b"--XyZ\r\nContent-Type: text/plain\r\n\r\nx\r\n--XyZ--",
            b"--XyZ\r\nno colon here\r\n\r\nx\r\n--XyZ--",
            b"--XyZ garbage\r\nContent-Disposition: form-data; name=\"a\"\r\n\r\nx\r\n--XyZ--",
            b"--XyZ\r\nContent-Disposition: form-data; name=\"f\"; filename*=KOI8-R''%F0\r\n\r\nx\r\n--XyZ--",
        ];
        for body in cases {
            assert!(
                matches!(parse(body), Err(MultipartError::Malformed(_))),
                "{}",
                String::from_utf8_lossy(body)
            );
        }
    }

    #[test]
    fn huge_part_headers_stop_at_their_limit() {
        let mut body = b"--XyZ\r\nContent-Disposition: form-data; name=\"a\"\r\nX-Pad: ".to_vec();
        body.extend(std::iter::repeat_n(b'a', 10 * 1024 * 1024));
        let mut reads = 0;
        // The reader is asked for little more than the header limit before the refusal.
        struct Counting<'a>(&'a [u8], &'a mut usize);
        impl Read for Counting<'_> {
            fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
                let n = self.0.read(buf)?;
                *self.1 += n;
                Ok(n)
            }
        }
        let dir = tempfile::tempdir().unwrap();
        let result = read("XyZ", Counting(&body, &mut reads), LIMITS, dir.path());
        assert!(matches!(result, Err(MultipartError::Malformed(_))));
        assert!(reads < 4 * CHUNK, "read {reads} bytes");
    }

    #[test]
    fn header_lines_that_add_up_past_the_block_limit_are_refused() {
        // After the first line, one that fills what is left of the block exactly, or all but
        // a byte or two of it: its line break no longer fits.
        let first = "Content-Disposition: form-data; name=\"a\"";
        let left = MAX_HEADER_BLOCK - (first.len() + 2);
        for len in [left, left - 1, left - 2] {
            let pad = format!("X-Pad: {}", "a".repeat(len - 7));
            let body = format!("--XyZ\r\n{first}\r\n{pad}\r\n\r\nx\r\n--XyZ--");
            let result = parse(body.as_bytes());
            assert!(
                matches!(result, Err(MultipartError::Malformed(_))),
                "{len}: {result:?}"
            );
        }
    }

    #[test]
    fn files_over_the_limit_or_too_many_are_refused() {
        let mut big =
            b"--XyZ\r\nContent-Disposition: form-data; name=\"file\"; filename=\"a\"\r\n\r\n"
                .to_vec();
        big.extend(std::iter::repeat_n(b'x', LIMITS.file_size as usize + 1));
        big.extend(b"\r\n--XyZ--");
        assert!(matches!(parse(&big), Err(MultipartError::FileTooLarge(_))));

        let one =
            "--XyZ\r\nContent-Disposition: form-data; name=\"file\"; filename=\"a\"\r\n\r\nx\r\n";
        let many = format!("{}--XyZ--", one.repeat(LIMITS.files + 1));
        assert!(matches!(
            parse(many.as_bytes()),
            Err(MultipartError::TooManyFiles(5))
        ));
    }

    #[test]
    fn long_text_fields_and_valueless_parameters() {
        let long = format!(
            "--XyZ\r\nContent-Disposition: form-data; name=\"a\"\r\n\r\n{}\r\n--XyZ--",
            "x".repeat(MAX_TEXT_FIELD + 1)
        );
        assert!(matches!(
            parse(long.as_bytes()),
            Err(MultipartError::Malformed("a text field is too long"))
        ));
        let body = b"--XyZ\r\nContent-Disposition: form-data; foo; name=\"a\"\r\n\r\n1\r\n--XyZ--";
        assert_eq!(parse(body).unwrap().form.get("a"), "1");
        assert_eq!(
            params_of("; foo; name=\"a\"; bar"),
            [("name".to_string(), "a".to_string())]
        );
    }

    #[test]
    fn boundaries_come_from_the_content_type() {
        assert_eq!(
            boundary("multipart/form-data; boundary=XyZ").as_deref(),
            Some("XyZ")
        );
        assert_eq!(
            boundary("Multipart/Form-Data; charset=utf-8; boundary=\"a b\"").as_deref(),
            Some("a b")
        );
        assert_eq!(boundary("multipart/form-data"), None);
        assert_eq!(boundary("text/plain; boundary=x"), None);
        assert_eq!(
            boundary(&format!("multipart/form-data; boundary={}", "x".repeat(71))),
            None
        );
    }
}

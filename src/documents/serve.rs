//! A document's bytes as an answer: exact bytes streamed from the database, its content type,
//! a safe `Content-Disposition` (RFC 6266, `filename*` for names that are not ASCII), the
//! SHA-256 as `ETag` (`If-None-Match` → 304), one `Range` (206; unsatisfiable → 416), and a
//! sandbox policy so that no file ever runs as a page of minicrm. Only PDFs and raster images
//! are ever shown inline (the preview); everything else is an attachment.

use percent_encoding::{utf8_percent_encode, AsciiSet, NON_ALPHANUMERIC};

use super::Version;
use crate::http::response::safe_file_name;
use crate::http::{BlobRange, Body, Ctx, Resp};

/// How the browser is to take the file.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Disposition {
    Attachment,
    /// Shown in the page's preview frame (only for `previewable` types; others stay
    /// attachments whatever is asked).
    Inline,
}

/// Types the preview shows inline: PDFs and raster images. Never HTML, SVG or scripts.
pub(crate) fn previewable(content_type: &str) -> bool {
    matches!(
        content_type,
        "application/pdf" | "image/png" | "image/jpeg" | "image/gif" | "image/webp"
    )
}

pub(crate) fn is_image(content_type: &str) -> bool {
    previewable(content_type) && content_type.starts_with("image/")
}

/// RFC 5987 `attr-char`s stay as they are; everything else is percent-encoded.
const ATTR_CHAR: &AsciiSet = &NON_ALPHANUMERIC
    .remove(b'!')
    .remove(b'#')
    .remove(b'$')
    .remove(b'&')
    .remove(b'+')
    .remove(b'-')
    .remove(b'.')
    .remove(b'^')
    .remove(b'_')
    .remove(b'`')
    .remove(b'|')
    .remove(b'~');

/// `attachment; filename="…"` with an ASCII stand-in, plus `filename*=UTF-8''…` when the
/// name is not plain ASCII (RFC 6266). Quotes, backslashes, control characters and path
/// separators never reach the header.
pub(crate) fn content_disposition(kind: Disposition, file_name: &str) -> String {
    let kind = match kind {
        Disposition::Attachment => "attachment",
        Disposition::Inline => "inline",
    };
    let fallback = safe_file_name(file_name);
    let clean: String = file_name
        .chars()
        .filter(|c| !c.is_control() && !matches!(c, '/' | '\\'))
        .collect();
    if clean == fallback {
        format!("{kind}; filename=\"{fallback}\"")
    } else {
        let encoded = utf8_percent_encode(&clean, ATTR_CHAR);
        format!("{kind}; filename=\"{fallback}\"; filename*=UTF-8''{encoded}")
    }
}

/// The bytes a `Range` header asks for, of a file of `size` bytes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Wanted {
    All,
    /// `start..=end`.
    Part(u64, u64),
    /// Nothing of the file can answer it: 416.
    Unsatisfiable,
}

/// Reads one `bytes=` range (`a-b`, `a-`, `-n`). Several ranges, or another unit, are answered
/// with the whole file (RFC 9110 lets a server ignore them); a malformed or unsatisfiable
/// byte range is a 416.
pub(crate) fn wanted(range: Option<&str>, size: u64) -> Wanted {
    let Some(range) = range.map(str::trim) else {
        return Wanted::All;
    };
    let Some(spec) = range.strip_prefix("bytes=") else {
        return Wanted::All;
    };
    if spec.contains(',') {
        return Wanted::All;
    }
    let Some((a, b)) = spec.trim().split_once('-') else {
        return Wanted::Unsatisfiable;
    };
    // Digits past u64 are a position past any file: the end of it (an end) or nothing (a
    // start).
    let number = |s: &str| -> Option<u64> {
        let s = s.trim();
        (!s.is_empty() && s.bytes().all(|c| c.is_ascii_digit()))
            .then(|| s.parse().unwrap_or(u64::MAX))
    };
    match (a.trim().is_empty(), number(a), number(b)) {
        // `-n`: the last n bytes.
        (true, _, Some(n)) if n > 0 && size > 0 => Wanted::Part(size.saturating_sub(n), size - 1),
        (false, Some(start), None) if b.trim().is_empty() && start < size => {
            Wanted::Part(start, size - 1)
        }
        (false, Some(start), Some(end)) if start <= end && start < size => {
            Wanted::Part(start, end.min(size - 1))
        }
        _ => Wanted::Unsatisfiable,
    }
}

/// Whether an `If-None-Match` list names this entity tag (or is `*`).
fn matches_etag(header: &str, etag: &str) -> bool {
    header
        .split(',')
        .map(|t| t.trim().trim_start_matches("W/"))
        .any(|t| t == "*" || t == etag)
}

/// The answer with a version's bytes (or the part `Range` asks for).
pub(crate) fn content(ctx: &Ctx, v: &Version, disposition: Disposition) -> Resp {
    let size = v.size.max(0) as u64;
    let etag = format!("\"{}\"", v.sha256);
    let inline = disposition == Disposition::Inline && previewable(&v.content_type);
    let policy = if inline {
        "sandbox; default-src 'none'; img-src 'self' data:; style-src 'unsafe-inline'; \
         frame-ancestors 'self'; base-uri 'none'; form-action 'none'"
    } else {
        "sandbox; default-src 'none'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'"
    };
    let kind = if inline {
        Disposition::Inline
    } else {
        Disposition::Attachment
    };
    let headers = |resp: Resp| {
        resp.with_header("ETag", etag.clone())
            .with_header("Cache-Control", "private, no-cache")
            .with_header("Accept-Ranges", "bytes")
            .with_header("Content-Security-Policy", policy)
            .with_header(
                "X-Frame-Options",
                if inline { "SAMEORIGIN" } else { "DENY" },
            )
    };
    if ctx
        .header("if-none-match")
        .is_some_and(|h| matches_etag(h, &etag))
    {
        return headers(Resp::new(304, &v.content_type, Vec::new()));
    }
    // `If-Range` with another tag: the file changed, so the whole of it.
    let range = match ctx.header("if-range") {
        Some(tag) if tag.trim() != etag => None,
        _ => ctx.header("range"),
    };
    let (status, start, len) = match wanted(range, size) {
        Wanted::All => (200, 0, size),
        Wanted::Part(start, end) => (206, start, end - start + 1),
        Wanted::Unsatisfiable => {
            return headers(Resp::new(416, "text/plain; charset=utf-8", Vec::new()))
                .with_header("Content-Range", format!("bytes */{size}"));
        }
    };
    let mut resp = headers(Resp {
        status,
        headers: vec![("Content-Type".into(), v.content_type.clone())],
        body: Body::Blob(BlobRange {
            table: "document_versions",
            column: "content",
            rowid: v.row,
            start,
            len,
        }),
    })
    .with_header(
        "Content-Disposition",
        content_disposition(kind, &v.file_name),
    );
    if status == 206 {
        resp = resp.with_header(
            "Content-Range",
            format!("bytes {start}-{}/{size}", start + len - 1),
        );
    }
    resp
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ranges_of_one_part() {
        assert_eq!(wanted(None, 10), Wanted::All);
        assert_eq!(wanted(Some("bytes=0-3"), 10), Wanted::Part(0, 3));
        assert_eq!(wanted(Some("bytes=5-"), 10), Wanted::Part(5, 9));
        assert_eq!(wanted(Some("bytes=-3"), 10), Wanted::Part(7, 9));
        assert_eq!(wanted(Some("bytes=-30"), 10), Wanted::Part(0, 9));
        assert_eq!(wanted(Some("bytes=8-100"), 10), Wanted::Part(8, 9));
        assert_eq!(
            wanted(Some("bytes=2-99999999999999999999"), 10),
            Wanted::Part(2, 9),
            "an end past u64 is the end of the file"
        );
        assert_eq!(
            wanted(Some("bytes=-99999999999999999999"), 10),
            Wanted::Part(0, 9)
        );
        assert_eq!(wanted(Some("bytes=0-1,4-5"), 10), Wanted::All);
        assert_eq!(wanted(Some("items=0-1"), 10), Wanted::All);
        for bad in [
            "bytes=10-",
            "bytes=5-2",
            "bytes=x-1",
            "bytes=-0",
            "bytes=",
            "bytes=1",
            "bytes=99999999999999999999-",
        ] {
            assert_eq!(wanted(Some(bad), 10), Wanted::Unsatisfiable, "{bad}");
        }
        assert_eq!(wanted(Some("bytes=0-"), 0), Wanted::Unsatisfiable);
    }

    #[test]
    fn dispositions_are_safe_and_keep_non_ascii_names() {
        assert_eq!(
            content_disposition(Disposition::Attachment, "tarjous.pdf"),
            "attachment; filename=\"tarjous.pdf\""
        );
        assert_eq!(
            content_disposition(Disposition::Inline, "Äijälä €.pdf"),
            "inline; filename=\"Aijala-.pdf\"; filename*=UTF-8''%C3%84ij%C3%A4l%C3%A4%20%E2%82%AC.pdf"
        );
        let evil = content_disposition(Disposition::Attachment, "a\"b\r\nSet-Cookie: x;.html");
        assert!(!evil.contains('\r') && !evil.contains('\n'), "{evil}");
        assert_eq!(evil.matches('"').count(), 2, "{evil}");
    }
}

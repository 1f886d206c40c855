//! Responses as plain data; `server.rs` turns them into tiny_http responses.

use std::fs::File;

use maud::Markup;
use serde::Serialize;

pub(crate) enum Body {
    Bytes(Vec<u8>),
    /// A file streamed from disk, with its length known up front.
    File(File, u64),
    /// Bytes of a BLOB in the database, streamed with incremental BLOB I/O by the worker's
    /// own connection as the response is written, never held whole.
    Blob(BlobRange),
}

/// A part of one BLOB value: table, column, rowid, and the bytes `start..start + len`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct BlobRange {
    pub table: &'static str,
    pub column: &'static str,
    pub rowid: i64,
    pub start: u64,
    pub len: u64,
}

pub(crate) struct Resp {
    pub status: u16,
    pub headers: Vec<(String, String)>,
    pub body: Body,
}

impl Resp {
    pub(crate) fn new(status: u16, content_type: &str, body: Vec<u8>) -> Resp {
        Resp {
            status,
            headers: vec![("Content-Type".into(), content_type.into())],
            body: Body::Bytes(body),
        }
    }

    pub(crate) fn html(markup: Markup) -> Resp {
        Resp::new(
            200,
            "text/html; charset=utf-8",
            markup.into_string().into_bytes(),
        )
    }

    pub(crate) fn json<T: Serialize>(status: u16, value: &T) -> Resp {
        let body = serde_json::to_vec(value).unwrap_or_else(|_| b"{}".to_vec());
        Resp::new(status, "application/json", body)
    }

    /// 303 See Other: the answer to a successful form post.
    pub(crate) fn redirect(to: &str) -> Resp {
        Resp {
            status: 303,
            headers: vec![("Location".into(), to.into())],
            body: Body::Bytes(Vec::new()),
        }
    }

    pub(crate) fn with_status(mut self, status: u16) -> Resp {
        self.status = status;
        self
    }

    pub(crate) fn with_header(mut self, name: &str, value: impl Into<String>) -> Resp {
        self.headers.push((name.into(), value.into()));
        self
    }

    /// Serves `/assets/{hash}/{name}`. Any hash is accepted (the content is what it is); the
    /// long cache lifetime is safe because a changed file gets a new URL.
    pub(crate) fn asset(name: &str) -> Option<Resp> {
        let (data, mime) = crate::assets::get(name)?;
        Some(
            Resp::new(200, &mime, data)
                .with_header("Cache-Control", "public, max-age=31536000, immutable"),
        )
    }
}

/// A file name safe for a header: ASCII letters and digits, `-`, `_` and `.`.
pub(crate) fn safe_file_name(name: &str) -> String {
    let mut out = String::new();
    for c in name.chars() {
        let c = match c {
            'ä' | 'å' | 'á' | 'à' => 'a',
            'Ä' | 'Å' => 'A',
            'ö' | 'ø' | 'ó' => 'o',
            'Ö' | 'Ø' => 'O',
            'é' | 'è' => 'e',
            'ü' => 'u',
            c if c.is_ascii_alphanumeric() || c == '.' || c == '_' => c,
            _ => '-',
        };
        if !(c == '-' && (out.is_empty() || out.ends_with('-'))) {
            out.push(c);
        }
    }
    let out = out.trim_end_matches('-').to_string();
    if out.is_empty() {
        "minicrm".into()
    } else {
        out
    }
}

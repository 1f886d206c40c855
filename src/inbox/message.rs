//! One e-mail message (RFC 822 / RFC 5322 bytes) turned into the files it carries.
//!
//! Every attachment becomes its own file; the message's From, Subject and Date come along in
//! [`MailMeta`]. What counts as an attachment:
//! - a part marked `Content-Disposition: attachment`;
//! - a forwarded message (`message/rfc822`), kept whole as its own `.eml` (its own attachments
//!   stay inside it);
//! - any other part with a file name, or that is neither body text nor an image the HTML body
//!   shows (Apple Mail sends PDFs `inline` with a name; they are attachments to the reader).
//!
//! Not attachments: the body text (`text/plain`, `text/html` without a name) and the images of a
//! `multipart/related` HTML body that the body refers to by `Content-ID`. A message with no
//! attachment at all is kept whole as one `.eml` file, so nothing is ever dropped.
//!
//! Parsing is mail-parser's (RFC 2047 and 2231 names, nested multiparts, base64 and
//! quoted-printable); the whole message is in memory while it is parsed, so it is refused
//! above a size limit before any parsing.

use mail_parser::decoders::base64::base64_decode;
use mail_parser::decoders::quoted_printable::quoted_printable_decode;
use mail_parser::{
    Encoding, HeaderName, Message, MessageParser, MessagePart, MimeHeaders, PartType,
};

/// The tests' limit: the default largest document. The server takes messages as large as the
/// `document_max_mb` setting allows (`inbox::message_limit`).
#[cfg(test)]
pub(crate) const MAX_MESSAGE_BYTES: usize = 25 * 1024 * 1024;

/// The longest file name kept, in characters; longer ones are cut (the extension kept).
const MAX_NAME_CHARS: usize = 150;

/// Who sent a message, what about and when.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub(crate) struct MailMeta {
    /// The sender as people read it: `Name <address>`, or the address alone.
    pub from: String,
    /// The sender's address alone (lower-cased), for matching a contact or customer.
    pub from_address: String,
    pub subject: String,
    /// The `Date` header in unix seconds, when the message has a valid one.
    pub date: Option<i64>,
    pub message_id: Option<String>,
}

/// One file a message carries.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct MailFile {
    /// A plain file name, never a path; never empty.
    pub file_name: String,
    /// The MIME type (`application/pdf`; text keeps its `charset`).
    pub content_type: String,
    /// The exact bytes the sender attached (transfer encoding undone, nothing else).
    pub bytes: Vec<u8>,
}

/// A message taken apart: its sender etc. and its files (at least one).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Mail {
    pub meta: MailMeta,
    pub files: Vec<MailFile>,
}

/// Why a message was not taken.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub(crate) enum MailError {
    #[error("the message is {size} bytes, over the limit of {limit} bytes")]
    TooLarge { size: usize, limit: usize },
    #[error("this is not an e-mail message (no message headers were found)")]
    NotAMessage,
}

impl MailError {
    /// The i18n key of the message shown to people.
    pub(crate) fn key(&self) -> &'static str {
        match self {
            MailError::TooLarge { .. } => "inbox.message_too_large",
            MailError::NotAMessage => "inbox.not_a_message",
        }
    }
}

/// Takes a raw message apart into its files; refuses one over `limit` bytes before parsing.
pub(crate) fn files_of(raw: &[u8], limit: usize) -> Result<Mail, MailError> {
    if raw.len() > limit {
        return Err(MailError::TooLarge {
            size: raw.len(),
            limit,
        });
    }
    let message = MessageParser::default()
        .parse(raw)
        // mail-parser takes almost anything as headers; a message has at least one it knows.
        .filter(|m| {
            m.headers()
                .iter()
                .any(|h| !matches!(h.name, HeaderName::Other(_)))
        })
        .ok_or(MailError::NotAMessage)?;
    let meta = meta_of(&message);
    let mut files = Vec::new();
    collect(&message, raw, 0, false, &mut files);
    if files.is_empty() {
        files.push(MailFile {
            file_name: eml_name(&meta.subject, None),
            content_type: "message/rfc822".into(),
            bytes: raw.to_vec(),
        });
    }
    Ok(Mail { meta, files })
}

fn meta_of(message: &Message) -> MailMeta {
    let sender = message.from().and_then(|a| a.first());
    let address = sender
        .and_then(|a| a.address())
        .unwrap_or_default()
        .trim()
        .to_lowercase();
    let name = sender.and_then(|a| a.name()).map(str::trim).unwrap_or("");
    let from = match (name.is_empty(), address.is_empty()) {
        (false, false) => format!("{name} <{address}>"),
        (false, true) => name.to_string(),
        _ => address.clone(),
    };
    MailMeta {
        from: one_line(&from),
        from_address: one_line(&address),
        subject: one_line(message.subject().unwrap_or_default().trim()),
        date: message
            .date()
            .filter(|d| d.is_valid())
            .map(|d| d.to_timestamp()),
        message_id: message.message_id().map(one_line),
    }
}

/// Walks the part tree from `id`, adding each attachment to `out`. `in_related` says the part
/// belongs to a `multipart/related` body, whose images are shown by the body itself.
fn collect(message: &Message, raw: &[u8], id: u32, in_related: bool, out: &mut Vec<MailFile>) {
    let Some(part) = message.part(id) else {
        return;
    };
    match &part.body {
        PartType::Multipart(children) => {
            let related = part.is_content_type("multipart", "related");
            for child in children {
                collect(message, raw, *child, related, out);
            }
        }
        PartType::Message(nested) => out.push(forwarded(part, nested, raw)),
        _ if is_attachment(part, in_related) => out.push(leaf_file(part, raw, out.len() + 1)),
        _ => {}
    }
}

fn is_attachment(part: &MessagePart, in_related: bool) -> bool {
    if part
        .content_disposition()
        .is_some_and(|d| d.is_attachment())
    {
        return true;
    }
    let named = part.attachment_name().is_some_and(|n| !n.trim().is_empty());
    let body_text = part.is_content_type("text", "plain")
        || part.is_content_type("text", "html")
        // A part without a Content-Type is text/plain (RFC 2045).
        || (part.content_type().is_none() && part.is_text());
    if body_text && !named {
        return false;
    }
    if in_related && part.content_id().is_some() {
        return false;
    }
    true
}

/// A forwarded message, kept whole: the bytes between its part's headers and the boundary.
fn forwarded(part: &MessagePart, nested: &Message, raw: &[u8]) -> MailFile {
    // An unencoded nested message is parsed in place (its `raw_message` is the outer one's);
    // an encoded one was decoded first, and its `raw_message` is the decoded bytes.
    let bytes = match part.encoding {
        Encoding::None => raw
            .get(part.offset_body as usize..part.offset_end as usize)
            .map(<[u8]>::to_vec)
            .unwrap_or_else(|| part.contents().to_vec()),
        _ => nested.raw_message().to_vec(),
    };
    let subject = nested.subject().unwrap_or_default();
    MailFile {
        file_name: eml_name(subject, part.attachment_name()),
        content_type: "message/rfc822".into(),
        bytes,
    }
}

/// An attachment's file: its name (or `attachment-N.ext`), type and original bytes.
fn leaf_file(part: &MessagePart, raw: &[u8], n: usize) -> MailFile {
    let bytes = original_bytes(part, raw);
    let mut content_type = part
        .content_type()
        .map(|ct| {
            let mut t = match ct.subtype() {
                Some(sub) => format!("{}/{}", ct.ctype(), sub),
                None => ct.ctype().to_string(),
            }
            .to_ascii_lowercase();
            if let Some(charset) = ct.attribute("charset").filter(|_| t.starts_with("text/")) {
                t = format!("{t}; charset={}", charset.to_ascii_lowercase());
            }
            t
        })
        .filter(|t| is_plain_token(t))
        .unwrap_or_else(|| match part.is_text() {
            true => "text/plain".into(),
            false => "application/octet-stream".into(),
        });
    let name = name_of(part, raw)
        .map(|n| clean_name(&n))
        .unwrap_or_default();
    // Many mailers send every file as octet-stream: the name's extension says more.
    if content_type == "application/octet-stream" && !name.is_empty() {
        if let Some(guess) = mime_guess::from_path(&name).first() {
            content_type = guess.essence_str().to_string();
        }
    }
    let file_name = if name.is_empty() {
        let essence = content_type.split(';').next().unwrap_or_default();
        let ext = mime_guess::get_mime_extensions_str(essence)
            .and_then(|exts| exts.first())
            .unwrap_or(&"bin");
        format!("attachment-{n}.{ext}")
    } else {
        name
    };
    MailFile {
        file_name,
        content_type,
        bytes,
    }
}

/// A part's file name. mail-parser decodes RFC 2047 names and single RFC 2231 ones, but decodes
/// each piece of a name continued over several parameters (`filename*0*=`, `filename*1*=`) on
/// its own, and all but the first without the charset: those are joined and decoded here.
fn name_of(part: &MessagePart, raw: &[u8]) -> Option<String> {
    for (header, param) in [
        (HeaderName::ContentDisposition, "filename"),
        (HeaderName::ContentType, "name"),
    ] {
        let continued = part
            .headers()
            .iter()
            .find(|h| h.name == header)
            .and_then(|h| raw.get(h.offset_start as usize..h.offset_end as usize))
            .and_then(|value| continued_param(value, param));
        if continued.is_some() {
            return continued;
        }
    }
    part.attachment_name().map(str::to_string)
}

/// An RFC 2231 parameter continued over numbered pieces, joined and decoded; `None` when the
/// header has no such pieces.
fn continued_param(value: &[u8], param: &str) -> Option<String> {
    let value = String::from_utf8_lossy(value);
    let mut pieces: Vec<(u32, bool, String)> = Vec::new();
    for item in split_params(&value) {
        let Some((key, val)) = item.split_once('=') else {
            continue;
        };
        let key = key.trim().to_ascii_lowercase();
        let Some(rest) = key.strip_prefix(param).and_then(|k| k.strip_prefix('*')) else {
            continue;
        };
        let (number, encoded) = match rest.strip_suffix('*') {
            Some(n) => (n, true),
            None => (rest, false),
        };
        if let Ok(n) = number.parse::<u32>() {
            let val = val.trim();
            let val = val
                .strip_prefix('"')
                .and_then(|v| v.strip_suffix('"'))
                .unwrap_or(val);
            pieces.push((n, encoded, val.to_string()));
        }
    }
    if pieces.is_empty() {
        return None;
    }
    pieces.sort_by_key(|p| p.0);
    let mut charset = String::new();
    let mut bytes = Vec::new();
    for (i, (_, encoded, text)) in pieces.iter().enumerate() {
        let mut text = text.as_str();
        if i == 0 && *encoded {
            let mut parts = text.splitn(3, '\'');
            if let (Some(cs), Some(_lang), Some(rest)) = (parts.next(), parts.next(), parts.next())
            {
                charset = cs.to_string();
                text = rest;
            }
        }
        if *encoded {
            bytes.extend(percent_encoding::percent_decode_str(text));
        } else {
            bytes.extend_from_slice(text.as_bytes());
        }
    }
    let encoding =
        encoding_rs::Encoding::for_label(charset.as_bytes()).unwrap_or(encoding_rs::UTF_8);
    Some(encoding.decode_without_bom_handling(&bytes).0.into_owned())
}

/// A header value's `;`-separated items, keeping `;` inside quotes.
fn split_params(value: &str) -> Vec<&str> {
    let mut items = Vec::new();
    let (mut start, mut quoted) = (0, false);
    for (i, c) in value.char_indices() {
        match c {
            '"' => quoted = !quoted,
            ';' if !quoted => {
                items.push(&value[start..i]);
                start = i + 1;
            }
            _ => {}
        }
    }
    items.push(&value[start..]);
    items
}

/// The bytes as the sender attached them. mail-parser turns text parts into UTF-8 from their
/// charset; a text attachment (a Latin-1 CSV, say) is kept in its own encoding instead, by
/// undoing only the transfer encoding of the raw part.
fn original_bytes(part: &MessagePart, raw: &[u8]) -> Vec<u8> {
    if !part.is_text() {
        return part.contents().to_vec();
    }
    let Some(encoded) = raw.get(part.offset_body as usize..part.offset_end as usize) else {
        return part.contents().to_vec();
    };
    let decoded = match part.encoding {
        Encoding::Base64 => base64_decode(encoded),
        Encoding::QuotedPrintable => quoted_printable_decode(encoded),
        Encoding::None => Some(encoded.to_vec()),
    };
    decoded.unwrap_or_else(|| part.contents().to_vec())
}

/// Whether a content type is safe to pass on as it is (no line breaks, no odd characters).
fn is_plain_token(t: &str) -> bool {
    !t.is_empty()
        && t.len() <= 200
        && t.contains('/')
        && t.bytes()
            .all(|b| b.is_ascii_graphic() || b == b' ' || b == b';')
}

/// A `.eml` file's name: the given name, else the subject, else `message.eml`.
fn eml_name(subject: &str, given: Option<&str>) -> String {
    let name = clean_name(given.unwrap_or(subject));
    let name = if name.is_empty() {
        "message".to_string()
    } else {
        name
    };
    if name.to_ascii_lowercase().ends_with(".eml") {
        name
    } else {
        format!("{name}.eml")
    }
}

/// A file name made safe: the last part of any path, no control characters nor characters
/// that file systems refuse, no leading dots, at most `MAX_NAME_CHARS` (the extension kept).
pub(crate) fn clean_name(name: &str) -> String {
    let base = name.rsplit(['/', '\\']).next().unwrap_or_default();
    let cleaned: String = base
        .chars()
        .map(|c| match c {
            ':' | '*' | '?' | '"' | '<' | '>' | '|' => '_',
            c if c.is_control() => ' ',
            c => c,
        })
        .collect();
    let cleaned = cleaned.trim().trim_start_matches('.').trim().to_string();
    if cleaned.chars().count() <= MAX_NAME_CHARS {
        return cleaned;
    }
    let (stem, ext) = match cleaned.rsplit_once('.') {
        Some((stem, ext)) if ext.chars().count() <= 10 => (stem, format!(".{ext}")),
        _ => (cleaned.as_str(), String::new()),
    };
    let keep = MAX_NAME_CHARS - ext.chars().count();
    format!(
        "{}{ext}",
        stem.chars().take(keep).collect::<String>().trim_end()
    )
}

/// Header text on one line: folded or encoded line breaks and other control characters become
/// spaces.
fn one_line(text: &str) -> String {
    let spaced: String = text
        .chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .collect();
    spaced.split_whitespace().collect::<Vec<_>>().join(" ")
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    /// Base64 in 76-character lines, as mailers write it.
    pub(crate) fn b64(bytes: &[u8]) -> String {
        const T: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
        let mut out = String::new();
        for chunk in bytes.chunks(3) {
            let n = chunk.len();
            let v = (u32::from(chunk[0]) << 16)
                | (u32::from(*chunk.get(1).unwrap_or(&0)) << 8)
                | u32::from(*chunk.get(2).unwrap_or(&0));
            for i in 0..4 {
                if i <= n {
                    out.push(T[(v >> (18 - 6 * i)) as usize & 63] as char);
                } else {
                    out.push('=');
                }
            }
        }
        out.as_bytes()
            .chunks(76)
            .map(|l| String::from_utf8_lossy(l).into_owned())
            .collect::<Vec<_>>()
            .join("\r\n")
    }

    /// A fake PDF with bytes of every value, so that any mangling shows.
    pub(crate) fn pdf_bytes(tag: &str) -> Vec<u8> {
        let mut bytes = format!("%PDF-1.4 {tag}\n").into_bytes();
        bytes.extend((0..=255u8).cycle().take(1000));
        bytes
    }

    /// A message with two attachments: one named by RFC 2047, one by RFC 2231.
    pub(crate) fn two_attachments(subject: &str) -> Vec<u8> {
        format!(
            "From: =?UTF-8?Q?Matti_Meik=C3=A4l=C3=A4inen?= <Matti@Example.FI>\r\n\
             To: crm@yritys.fi\r\n\
             Subject: {subject}\r\n\
             Date: Mon, 30 Nov 2026 09:15:00 +0200\r\n\
             Message-ID: <abc123@example.fi>\r\n\
             MIME-Version: 1.0\r\n\
             Content-Type: multipart/mixed; boundary=\"outer\"\r\n\
             \r\n\
             This is a multi-part message in MIME format.\r\n\
             --outer\r\n\
             Content-Type: text/plain; charset=utf-8\r\n\
             Content-Transfer-Encoding: quoted-printable\r\n\
             \r\n\
             Hei, liitteen=C3=A4 tarjous ja lasku.\r\n\
             --outer\r\n\
             Content-Type: application/pdf; name=\"=?UTF-8?Q?Tarjous_p=C3=A4ij=C3=A4nne.pdf?=\"\r\n\
             Content-Disposition: attachment; filename=\"=?UTF-8?Q?Tarjous_p=C3=A4ij=C3=A4nne.pdf?=\"\r\n\
             Content-Transfer-Encoding: base64\r\n\
             \r\n\
             {}\r\n\
             --outer\r\n\
             Content-Type: application/octet-stream\r\n\
             Content-Disposition: attachment; filename*=UTF-8''Lasku%20%C3%B6ljyst%C3%A4.pdf\r\n\
             Content-Transfer-Encoding: base64\r\n\
             \r\n\
             {}\r\n\
             --outer--\r\n",
            b64(&pdf_bytes("tarjous")),
            b64(&pdf_bytes("lasku")),
        )
        .into_bytes()
    }

    fn names(mail: &Mail) -> Vec<&str> {
        mail.files.iter().map(|f| f.file_name.as_str()).collect()
    }

    #[test]
    fn every_attachment_is_a_file_with_the_messages_sender_subject_and_date() {
        let subject = "=?ISO-8859-1?Q?Tarjous_ja_lasku_/_=E4=F6?=";
        let mail = files_of(&two_attachments(subject), MAX_MESSAGE_BYTES).unwrap();
        assert_eq!(names(&mail), ["Tarjous päijänne.pdf", "Lasku öljystä.pdf"]);
        assert_eq!(mail.files[0].bytes, pdf_bytes("tarjous"));
        assert_eq!(mail.files[1].bytes, pdf_bytes("lasku"));
        // octet-stream with a .pdf name is a PDF.
        for file in &mail.files {
            assert_eq!(file.content_type, "application/pdf");
        }
        assert_eq!(mail.meta.from, "Matti Meikäläinen <matti@example.fi>");
        assert_eq!(mail.meta.from_address, "matti@example.fi");
        assert_eq!(mail.meta.subject, "Tarjous ja lasku / äö");
        assert_eq!(mail.meta.date, Some(1_796_022_900));
        assert_eq!(mail.meta.message_id.as_deref(), Some("abc123@example.fi"));
    }

    #[test]
    fn rfc2231_names_continued_over_several_parameters_are_joined() {
        let raw = "From: a@example.fi\r\nSubject: x\r\nMIME-Version: 1.0\r\n\
            Content-Type: multipart/mixed; boundary=b\r\n\r\n\
            --b\r\nContent-Type: text/plain\r\n\r\nbody\r\n\
            --b\r\nContent-Type: application/pdf\r\n\
            Content-Disposition: attachment;\r\n filename*0*=ISO-8859-1''K%E4ytt%F6;\r\n filename*1*=ohje%20%E4%F6.pdf\r\n\
            Content-Transfer-Encoding: base64\r\n\r\nJVBERi0xLjQK\r\n--b--\r\n";
        let mail = files_of(raw.as_bytes(), MAX_MESSAGE_BYTES).unwrap();
        assert_eq!(names(&mail), ["Käyttöohje äö.pdf"]);
        assert_eq!(mail.files[0].bytes, b"%PDF-1.4\n");
        // A UTF-8 character split between two pieces.
        let raw = raw.replace(
            "filename*0*=ISO-8859-1''K%E4ytt%F6;\r\n filename*1*=ohje%20%E4%F6.pdf",
            "filename*0*=UTF-8''P%C3;\r\n filename*1*=%A4iv%C3%A4.pdf",
        );
        let mail = files_of(raw.as_bytes(), MAX_MESSAGE_BYTES).unwrap();
        assert_eq!(names(&mail), ["Päivä.pdf"]);
    }

    #[test]
    fn nested_multiparts_give_the_attachments_and_leave_the_inline_body_images() {
        let raw = format!(
            "From: a@example.fi\r\nSubject: Kuvia\r\nMIME-Version: 1.0\r\n\
            Content-Type: multipart/mixed; boundary=\"m\"\r\n\r\n\
            --m\r\nContent-Type: multipart/alternative; boundary=\"a\"\r\n\r\n\
            --a\r\nContent-Type: text/plain; charset=utf-8\r\n\r\nHei\r\n\
            --a\r\nContent-Type: multipart/related; boundary=\"r\"\r\n\r\n\
            --r\r\nContent-Type: text/html; charset=utf-8\r\n\r\n<p>Hei <img src=\"cid:logo@x\"></p>\r\n\
            --r\r\nContent-Type: image/png; name=\"logo.png\"\r\nContent-ID: <logo@x>\r\n\
            Content-Disposition: inline; filename=\"logo.png\"\r\nContent-Transfer-Encoding: base64\r\n\r\n\
            iVBORw0KGgo=\r\n\
            --r--\r\n\
            --a--\r\n\
            --m\r\nContent-Type: multipart/mixed; boundary=\"deeper\"\r\n\r\n\
            --deeper\r\nContent-Type: image/jpeg\r\nContent-Disposition: attachment; filename=\"kuva 1.jpg\"\r\n\
            Content-Transfer-Encoding: base64\r\n\r\n{}\r\n\
            --deeper--\r\n\
            --m\r\nContent-Type: application/pdf\r\nContent-Disposition: inline; filename=\"apple.pdf\"\r\n\
            Content-Transfer-Encoding: base64\r\n\r\n{}\r\n\
            --m--\r\n",
            b64(&[0xff, 0xd8, 0xff, 0xe0, 0, 1, 2]),
            b64(&pdf_bytes("apple")),
        );
        let mail = files_of(raw.as_bytes(), MAX_MESSAGE_BYTES).unwrap();
        // The logo is part of the HTML body; the PDF sent inline with a name is an attachment.
        assert_eq!(names(&mail), ["kuva 1.jpg", "apple.pdf"]);
        assert_eq!(mail.files[0].bytes, [0xff, 0xd8, 0xff, 0xe0, 0, 1, 2]);
        assert_eq!(mail.files[0].content_type, "image/jpeg");
        assert_eq!(mail.files[1].bytes, pdf_bytes("apple"));
    }

    #[test]
    fn a_quoted_printable_text_attachment_keeps_its_own_bytes_and_charset() {
        // "Päivä;Määrä\r\nÖljy;3\r\n" in ISO-8859-1, quoted-printable.
        let raw = "From: a@example.fi\r\nSubject: csv\r\nMIME-Version: 1.0\r\n\
            Content-Type: multipart/mixed; boundary=b\r\n\r\n\
            --b\r\nContent-Type: text/plain\r\n\r\nliitteenä\r\n\
            --b\r\nContent-Type: text/csv; charset=ISO-8859-1\r\n\
            Content-Disposition: attachment; filename=\"m=E4=E4r=E4t.csv\"\r\n\
            Content-Transfer-Encoding: quoted-printable\r\n\r\n\
            P=E4iv=E4;M=E4=E4r=E4\r\n=D6ljy;3\r\n--b--\r\n";
        let mail = files_of(raw.as_bytes(), MAX_MESSAGE_BYTES).unwrap();
        assert_eq!(mail.files.len(), 1);
        assert_eq!(
            mail.files[0].bytes,
            b"P\xe4iv\xe4;M\xe4\xe4r\xe4\r\n\xd6ljy;3"
        );
        assert_eq!(mail.files[0].content_type, "text/csv; charset=iso-8859-1");
    }

    #[test]
    fn a_forwarded_message_is_kept_whole_as_its_own_eml() {
        let inner = "From: asiakas@example.fi\r\nSubject: =?UTF-8?Q?Alkuper=C3=A4inen?=\r\n\
            MIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary=inner\r\n\r\n\
            --inner\r\nContent-Type: text/plain\r\n\r\nSisältö\r\n\
            --inner\r\nContent-Type: application/pdf\r\nContent-Disposition: attachment; filename=sisalla.pdf\r\n\r\n%PDF-1.4\r\n\
            --inner--";
        let raw = format!(
            "From: myyja@yritys.fi\r\nSubject: Fwd: Alkuperäinen\r\nMIME-Version: 1.0\r\n\
            Content-Type: multipart/mixed; boundary=outer\r\n\r\n\
            --outer\r\nContent-Type: text/plain\r\n\r\nKatso alta.\r\n\
            --outer\r\nContent-Type: message/rfc822\r\nContent-Disposition: attachment\r\n\r\n\
            {inner}\r\n--outer--\r\n"
        );
        let mail = files_of(raw.as_bytes(), MAX_MESSAGE_BYTES).unwrap();
        assert_eq!(names(&mail), ["Alkuperäinen.eml"]);
        assert_eq!(mail.files[0].content_type, "message/rfc822");
        assert_eq!(String::from_utf8_lossy(&mail.files[0].bytes), inner);
        // The kept message is itself a message, with its own attachment inside.
        let again = files_of(&mail.files[0].bytes, MAX_MESSAGE_BYTES).unwrap();
        assert_eq!(names(&again), ["sisalla.pdf"]);
        assert_eq!(again.meta.from, "asiakas@example.fi");
    }

    #[test]
    fn a_base64_forwarded_message_is_decoded_and_named_as_given() {
        let inner = "From: x@example.fi\r\nSubject: sisä\r\n\r\nhei\r\n";
        let raw = format!(
            "From: a@example.fi\r\nSubject: fw\r\nMIME-Version: 1.0\r\n\
            Content-Type: multipart/mixed; boundary=o\r\n\r\n\
            --o\r\nContent-Type: message/rfc822; name=\"viesti\"\r\nContent-Transfer-Encoding: base64\r\n\r\n\
            {}\r\n--o--\r\n",
            b64(inner.as_bytes())
        );
        let mail = files_of(raw.as_bytes(), MAX_MESSAGE_BYTES).unwrap();
        assert_eq!(names(&mail), ["viesti.eml"]);
        assert_eq!(mail.files[0].bytes, inner.as_bytes());
    }

    #[test]
    fn a_message_without_attachments_is_kept_whole_as_eml() {
        for raw in [
            "From: a@example.fi\r\nSubject: Soita / huomenna?\r\n\r\nHei, soitatko?\r\n"
                .to_string(),
            "From: a@example.fi\r\nSubject: \r\nMIME-Version: 1.0\r\n\
             Content-Type: multipart/alternative; boundary=a\r\n\r\n\
             --a\r\nContent-Type: text/plain\r\n\r\nHei\r\n\
             --a\r\nContent-Type: text/html\r\n\r\n<p>Hei</p>\r\n--a--\r\n"
                .to_string(),
        ] {
            let mail = files_of(raw.as_bytes(), MAX_MESSAGE_BYTES).unwrap();
            assert_eq!(mail.files.len(), 1, "{raw}");
            assert_eq!(mail.files[0].bytes, raw.as_bytes());
            assert_eq!(mail.files[0].content_type, "message/rfc822");
            assert!(mail.files[0].file_name.ends_with(".eml"));
        }
        let mail = files_of(
            b"From: a@example.fi\r\nSubject: Soita / huomenna?\r\n\r\nx",
            100,
        )
        .unwrap();
        assert_eq!(names(&mail), ["huomenna_.eml"]);
    }

    #[test]
    fn unnamed_attachments_get_a_name_from_their_type_and_paths_are_cut() {
        let raw = "From: a@example.fi\r\nSubject: x\r\nMIME-Version: 1.0\r\n\
            Content-Type: multipart/mixed; boundary=b\r\n\r\n\
            --b\r\nContent-Type: text/plain\r\n\r\nbody\r\n\
            --b\r\nContent-Type: application/pdf\r\n\r\n%PDF\r\n\
            --b\r\nContent-Type: text/plain\r\nContent-Disposition: attachment; filename=\"../../etc/passwd\"\r\n\r\nroot\r\n\
            --b\r\nContent-Type: application/x-evil\r\nContent-Disposition: attachment; filename=\"..\\\\..\\\\boot.ini\"\r\n\r\nx\r\n\
            --b--\r\n";
        let mail = files_of(raw.as_bytes(), MAX_MESSAGE_BYTES).unwrap();
        assert_eq!(names(&mail), ["attachment-1.pdf", "passwd", "boot.ini"]);
        assert_eq!(mail.files[1].bytes, b"root");
    }

    #[test]
    fn a_message_over_the_limit_or_not_a_message_is_refused() {
        let raw = two_attachments("big");
        assert_eq!(
            files_of(&raw, 1000),
            Err(MailError::TooLarge {
                size: raw.len(),
                limit: 1000
            })
        );
        for junk in [&b""[..], b"\r\n\r\n", b"%PDF-1.4\n\x00\x01\x02binary"] {
            assert_eq!(
                files_of(junk, MAX_MESSAGE_BYTES),
                Err(MailError::NotAMessage),
                "{junk:?}"
            );
        }
    }

    #[test]
    fn long_names_are_cut_keeping_the_extension() {
        let long = format!("{}.pdf", "ä".repeat(300));
        let cut = clean_name(&long);
        assert_eq!(cut.chars().count(), MAX_NAME_CHARS);
        assert!(cut.ends_with("ää.pdf"));
        assert_eq!(clean_name("  .hidden\r\nname  "), "hidden  name");
    }
}

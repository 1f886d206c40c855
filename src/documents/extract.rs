//! The text of a document for search: plain text (UTF-8, UTF-16 with a byte-order mark, or
//! Windows-1252), `.docx` and `.odt` (a zip of XML), and PDF (the text its pages draw with
//! simply encoded fonts; see `pdf_text`). Bounded in memory and time: files over
//! `MAX_INPUT` are not read, an unpacked part stops at `MAX_PART`, the text at `MAX_TEXT`.
//! A file whose text cannot be read gives none: it is still stored and found by name.

use std::io::{Cursor, Read};

/// Larger files are stored and found by name and title only.
pub(crate) const MAX_INPUT: u64 = 4 * 1024 * 1024;
/// The most bytes one XML part or one PDF stream unpacks to (a zip bomb stops here).
const MAX_PART: u64 = 8 * 1024 * 1024;
/// All of a PDF's streams together.
const MAX_PDF_UNPACKED: u64 = 16 * 1024 * 1024;
/// The most text kept per document, in bytes.
pub(crate) const MAX_TEXT: usize = 200_000;

/// What kind of file a name and content type say this is, as far as its text goes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    Plain,
    Docx,
    Odt,
    Pdf,
    Other,
}

fn kind(file_name: &str, content_type: &str) -> Kind {
    let ext = extension(file_name);
    let ctype = content_type.to_ascii_lowercase();
    match ext.as_str() {
        "docx" => return Kind::Docx,
        "odt" => return Kind::Odt,
        "pdf" => return Kind::Pdf,
        "txt" | "csv" | "tsv" | "md" | "log" | "text" => return Kind::Plain,
        _ => {}
    }
    if ctype.starts_with("application/pdf") {
        Kind::Pdf
    } else if ctype.starts_with("application/vnd.openxmlformats-officedocument.wordprocessingml") {
        Kind::Docx
    } else if ctype.starts_with("application/vnd.oasis.opendocument.text") {
        Kind::Odt
    } else if ctype.starts_with("text/plain") || ctype.starts_with("text/csv") {
        Kind::Plain
    } else {
        Kind::Other
    }
}

/// The lower-case extension of a file name (`"pdf"`), or "".
pub(crate) fn extension(file_name: &str) -> String {
    match file_name.rsplit_once('.') {
        Some((stem, ext)) if !stem.is_empty() => ext.to_ascii_lowercase(),
        _ => String::new(),
    }
}

/// The searchable text of a file; empty when its kind has none or it cannot be read.
pub(crate) fn text_of(bytes: &[u8], file_name: &str, content_type: &str) -> String {
    if bytes.len() as u64 > MAX_INPUT {
        return String::new();
    }
    let text = match kind(file_name, content_type) {
        Kind::Plain => plain_text(bytes).unwrap_or_default(),
        Kind::Docx => xml_in_zip(bytes, "word/document.xml").unwrap_or_default(),
        Kind::Odt => xml_in_zip(bytes, "content.xml").unwrap_or_default(),
        Kind::Pdf => pdf_text(bytes),
        Kind::Other => String::new(),
    };
    cap(normalise_space(&text))
}

/// At most `MAX_TEXT` bytes, cut at a character boundary.
fn cap(mut text: String) -> String {
    if text.len() > MAX_TEXT {
        let mut end = MAX_TEXT;
        while !text.is_char_boundary(end) {
            end -= 1;
        }
        text.truncate(end);
    }
    text
}

/// Runs of spaces and blank lines folded, so that the index holds words, not layout.
fn normalise_space(text: &str) -> String {
    let mut out = String::with_capacity(text.len().min(MAX_TEXT + 16));
    for line in text.lines() {
        let words: Vec<&str> = line.split_whitespace().collect();
        if !words.is_empty() {
            out.push_str(&words.join(" "));
            out.push('\n');
        }
        if out.len() > MAX_TEXT {
            break;
        }
    }
    out
}

/// Text in UTF-8 (a BOM skipped), UTF-16 with a BOM, or else Windows-1252. A file with NUL
/// bytes but no UTF-16 BOM is binary, not text.
fn plain_text(bytes: &[u8]) -> Option<String> {
    if let Some((encoding, bom)) = encoding_rs::Encoding::for_bom(bytes) {
        let (text, _) = encoding.decode_without_bom_handling(&bytes[bom..]);
        return Some(text.into_owned());
    }
    if bytes.contains(&0) {
        return None;
    }
    match std::str::from_utf8(bytes) {
        Ok(text) => Some(text.to_string()),
        Err(_) => Some(encoding_rs::WINDOWS_1252.decode(bytes).0.into_owned()),
    }
}

/// The text of one XML part of a zip (a `.docx` or `.odt`): every text node, paragraphs on
/// their own lines, tabs and spaces kept as spaces.
fn xml_in_zip(bytes: &[u8], part: &str) -> Option<String> {
    let mut archive = zip::ZipArchive::new(Cursor::new(bytes)).ok()?;
    let entry = archive.by_name(part).ok()?;
    let reader = std::io::BufReader::new(entry.take(MAX_PART));
    Some(xml_text(reader))
}

fn xml_text(reader: impl std::io::BufRead) -> String {
    use quick_xml::events::Event;
    let mut xml = quick_xml::Reader::from_reader(reader);
    let mut buf = Vec::new();
    let mut out = String::new();
    loop {
        match xml.read_event_into(&mut buf) {
            Ok(Event::Text(t)) => {
                if let Ok(text) = t.decode() {
                    out.push_str(&text);
                }
            }
            Ok(Event::CData(t)) => {
                if let Ok(text) = t.decode() {
                    out.push_str(&text);
                }
            }
            Ok(Event::GeneralRef(r)) => {
                if let Ok(Some(c)) = r.resolve_char_ref() {
                    out.push(c);
                } else if let Ok(name) = r.decode() {
                    out.push_str(match name.as_ref() {
                        "amp" => "&",
                        "lt" => "<",
                        "gt" => ">",
                        "quot" => "\"",
                        "apos" => "'",
                        _ => "",
                    });
                }
            }
            Ok(Event::End(e)) => {
                if matches!(e.name().as_ref(), b"w:p" | b"text:p" | b"text:h") {
                    out.push('\n');
                }
            }
            Ok(Event::Empty(e)) => {
                if matches!(
                    e.name().as_ref(),
                    b"w:tab" | b"w:br" | b"text:s" | b"text:tab" | b"text:line-break"
                ) {
                    out.push(' ');
                }
            }
            Ok(Event::Eof) | Err(_) => break,
            Ok(_) => {}
        }
        buf.clear();
        if out.len() > MAX_TEXT {
            break;
        }
    }
    out
}

/// The text a PDF draws, as far as a small reader can tell: the strings of the text-showing
/// operators (`Tj`, `TJ`, `'`, `"`) in its content streams (unpacked when `FlateDecode`),
/// read as Windows-1252 (close to PDFDocEncoding and WinAnsi) or UTF-16 with a BOM. Text in
/// fonts with their own glyph codes (many CID fonts) reads as nothing rather than as garbage
/// only when the codes are hex strings; such files are still found by title and name.
pub(crate) fn pdf_text(bytes: &[u8]) -> String {
    if !bytes.starts_with(b"%PDF-") {
        return String::new();
    }
    let mut out = String::new();
    let mut unpacked: u64 = 0;
    let mut at = 0;
    while let Some(found) = memchr::memmem::find(&bytes[at..], b"stream") {
        let keyword = at + found;
        at = keyword + 6;
        // `endstream` contains `stream`; a stream's data starts after `stream` and its EOL.
        if keyword >= 3 && &bytes[keyword - 3..keyword] == b"end" {
            continue;
        }
        let mut start = at;
        if bytes.get(start) == Some(&b'\r') {
            start += 1;
        }
        if bytes.get(start) == Some(&b'\n') {
            start += 1;
        } else if start == at {
            continue;
        }
        let Some(end_rel) = memchr::memmem::find(&bytes[start..], b"endstream") else {
            break;
        };
        let data = &bytes[start..start + end_rel];
        at = start + end_rel + 9;
        let dict = stream_dict(&bytes[..keyword]);
        // Images, fonts, cross-reference and object streams hold no page text.
        if ["/Subtype", "/Length1", "/Length2", "/Type", "/DecodeParms"]
            .iter()
            .any(|k| memchr::memmem::find(dict, k.as_bytes()).is_some())
        {
            continue;
        }
        let flate = memchr::memmem::find(dict, b"/FlateDecode").is_some();
        if memchr::memmem::find(dict, b"/Filter").is_some() && !flate {
            continue;
        }
        let content = if flate {
            let mut inflated = Vec::new();
            let budget = MAX_PART.min(MAX_PDF_UNPACKED - unpacked);
            let decoder = flate2::read::ZlibDecoder::new(data);
            if decoder.take(budget).read_to_end(&mut inflated).is_err() && inflated.is_empty() {
                continue;
            }
            unpacked += inflated.len() as u64;
            inflated
        } else {
            data.to_vec()
        };
        content_text(&content, &mut out);
        if out.len() > MAX_TEXT || unpacked >= MAX_PDF_UNPACKED {
            break;
        }
    }
    out
}

/// The dictionary before a `stream` keyword: from the last `<<` that opens it (nested
/// dictionaries counted) to the keyword.
fn stream_dict(before: &[u8]) -> &[u8] {
    let Some(close) = memchr::memmem::rfind(before, b">>") else {
        return &[];
    };
    let mut depth = 0usize;
    let mut i = close + 2;
    while i >= 2 {
        i -= 1;
        match &before[i - 1..=i] {
            b">>" => {
                depth += 1;
                i -= 1;
            }
            b"<<" => {
                depth -= 1;
                i -= 1;
                if depth == 0 {
                    return &before[i..close + 2];
                }
            }
            _ => {}
        }
    }
    &[]
}

/// Appends the strings a content stream shows between `BT` and `ET`.
fn content_text(content: &[u8], out: &mut String) {
    let mut i = 0;
    let mut in_text = false;
    let mut pending: Vec<u8> = Vec::new();
    let flush = |pending: &mut Vec<u8>, out: &mut String| {
        if !pending.is_empty() {
            out.push_str(&decode_pdf_string(pending));
            pending.clear();
        }
    };
    while i < content.len() {
        let c = content[i];
        match c {
            b'(' if in_text => {
                let (string, next) = literal_string(content, i + 1);
                pending.extend_from_slice(&string);
                i = next;
                continue;
            }
            b'%' => {
                while i < content.len() && content[i] != b'\n' && content[i] != b'\r' {
                    i += 1;
                }
                continue;
            }
            c if c.is_ascii_alphabetic() || c == b'\'' || c == b'"' || c == b'*' => {
                let start = i;
                while i < content.len()
                    && (content[i].is_ascii_alphabetic() || b"'\"*".contains(&content[i]))
                {
                    i += 1;
                }
                match &content[start..i] {
                    b"BT" => in_text = true,
                    b"ET" => {
                        flush(&mut pending, out);
                        out.push('\n');
                        in_text = false;
                    }
                    b"Tj" | b"TJ" => flush(&mut pending, out),
                    b"'" | b"\"" | b"T*" | b"Td" | b"TD" | b"Tm" => {
                        flush(&mut pending, out);
                        out.push(' ');
                    }
                    _ => {}
                }
                continue;
            }
            _ => {}
        }
        i += 1;
    }
    flush(&mut pending, out);
}

/// A PDF literal string from just after its `(`: its bytes (escapes resolved, nested
/// parentheses kept) and where the content continues.
fn literal_string(content: &[u8], mut i: usize) -> (Vec<u8>, usize) {
    let mut out = Vec::new();
    let mut depth = 1;
    while i < content.len() {
        let c = content[i];
        i += 1;
        match c {
            b'\\' => {
                let Some(&e) = content.get(i) else { break };
                i += 1;
                match e {
                    b'n' => out.push(b'\n'),
                    b'r' => out.push(b'\r'),
                    b't' => out.push(b'\t'),
                    b'b' | b'f' => {}
                    b'0'..=b'7' => {
                        let mut value = u32::from(e - b'0');
                        for _ in 0..2 {
                            match content.get(i) {
                                Some(d @ b'0'..=b'7') => {
                                    value = value * 8 + u32::from(d - b'0');
                                    i += 1;
                                }
                                _ => break,
                            }
                        }
                        out.push((value & 0xff) as u8);
                    }
                    b'\r' => {
                        if content.get(i) == Some(&b'\n') {
                            i += 1;
                        }
                    }
                    b'\n' => {}
                    other => out.push(other),
                }
            }
            b'(' => {
                depth += 1;
                out.push(c);
            }
            b')' => {
                depth -= 1;
                if depth == 0 {
                    break;
                }
                out.push(c);
            }
            _ => out.push(c),
        }
    }
    (out, i)
}

fn decode_pdf_string(bytes: &[u8]) -> String {
    if let Some(rest) = bytes.strip_prefix(&[0xfe, 0xff]) {
        return encoding_rs::UTF_16BE
            .decode_without_bom_handling(rest)
            .0
            .into_owned();
    }
    let text = encoding_rs::WINDOWS_1252.decode(bytes).0;
    text.chars()
        .filter(|c| !c.is_control() || *c == '\n')
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write;

    fn zip_of(part: &str, xml: &str) -> Vec<u8> {
        let mut out = Cursor::new(Vec::new());
        let mut zip = zip::ZipWriter::new(&mut out);
        let options = zip::write::SimpleFileOptions::default()
            .compression_method(zip::CompressionMethod::Deflated);
        zip.start_file(part, options).unwrap();
        zip.write_all(xml.as_bytes()).unwrap();
        zip.finish().unwrap();
        out.into_inner()
    }

    #[test]
    fn plain_text_in_utf8_utf16_and_windows_1252() {
        assert_eq!(
            text_of("Hyvää päivää".as_bytes(), "a.txt", ""),
            "Hyvää päivää\n"
        );
        let mut utf16 = vec![0xff, 0xfe];
        for unit in "Äijä".encode_utf16() {
            utf16.extend(unit.to_le_bytes());
        }
        assert_eq!(text_of(&utf16, "a.txt", "text/plain"), "Äijä\n");
        assert_eq!(text_of(b"K\xe4rkk\xe4inen", "a.csv", ""), "Kärkkäinen\n");
        assert_eq!(text_of(b"\x00\x01binary", "a.txt", ""), "");
        assert_eq!(text_of(b"hello", "a.bin", "application/octet-stream"), "");
    }

    #[test]
    fn docx_and_odt_paragraphs() {
        let docx = zip_of(
            "word/document.xml",
            r#"<?xml version="1.0"?><w:document xmlns:w="x"><w:body><w:p><w:r><w:t>Tarjous </w:t></w:r><w:r><w:t>Äijälä &amp; Co</w:t></w:r></w:p><w:p><w:r><w:t>Toinen</w:t></w:r></w:p></w:body></w:document>"#,
        );
        assert_eq!(
            text_of(&docx, "t.docx", ""),
            "Tarjous Äijälä & Co\nToinen\n"
        );
        let odt = zip_of(
            "content.xml",
            r#"<office:document-content xmlns:office="o" xmlns:text="t"><office:body><text:p>Sopimus<text:s/>2026</text:p><text:h>Otsikko</text:h></office:body></office:document-content>"#,
        );
        assert_eq!(text_of(&odt, "s.odt", ""), "Sopimus 2026\nOtsikko\n");
        // Not a zip, or one without the part: no text, no error.
        assert_eq!(text_of(b"PK\x03\x04broken", "t.docx", ""), "");
        assert_eq!(text_of(&zip_of("other.xml", "<a>x</a>"), "t.docx", ""), "");
    }

    #[test]
    fn pdf_text_plain_and_deflated() {
        let plain = b"%PDF-1.4\n1 0 obj << /Length 44 >>\nstream\nBT /F1 12 Tf 72 712 Td (Hello \\(PDF\\) w\\344rld) Tj ET\nendstream\nendobj\n%%EOF";
        assert_eq!(text_of(plain, "a.pdf", ""), "Hello (PDF) wärld\n");
        let mut z = flate2::write::ZlibEncoder::new(Vec::new(), flate2::Compression::default());
        z.write_all(b"BT [(Tar) -20 (jous)] TJ 0 -14 Td (Oy Esimerkki) Tj ET")
            .unwrap();
        let packed = z.finish().unwrap();
        let mut pdf =
            b"%PDF-1.7\n4 0 obj << /Length 99 /Filter /FlateDecode >>\nstream\r\n".to_vec();
        pdf.extend(&packed);
        pdf.extend(b"\r\nendstream endobj\n5 0 obj << /Subtype /Image /Length 3 >>\nstream\n(x)\nendstream\n%%EOF");
        assert_eq!(
            text_of(&pdf, "b.pdf", "application/pdf"),
            "Tarjous Oy Esimerkki\n"
        );
        assert_eq!(text_of(b"%PDF-1.4 garbage stream", "c.pdf", ""), "");
    }

    #[test]
    fn text_is_capped() {
        let big = "sana ".repeat(100_000);
        assert!(text_of(big.as_bytes(), "a.txt", "").len() <= MAX_TEXT);
    }
}

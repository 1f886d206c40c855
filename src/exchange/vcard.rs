//! vCard by hand: writing 4.0 (RFC 6350) and reading 2.1, 3.0 and 4.0 as phones and Outlook
//! write them (folded lines, `TYPE=` parameters, grouped names such as `item1.EMAIL`,
//! quoted-printable values; `CHARSET` is ignored, text is taken as UTF-8).

use sha2::{Digest, Sha256};

use super::table::{strip_bom, Format, ParseError, Row, Table, MAX_ROWS};
use crate::contacts::Contact;

// ---------------------------------------------------------------------------------------------
// Writing

/// Escapes a text value: `\`, `,`, `;` and line breaks.
pub(crate) fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '\\' => out.push_str("\\\\"),
            ',' => out.push_str("\\,"),
            ';' => out.push_str("\\;"),
            '\r' => {
                if chars.peek() == Some(&'\n') {
                    chars.next();
                }
                out.push_str("\\n");
            }
            '\n' => out.push_str("\\n"),
            c => out.push(c),
        }
    }
    out
}

/// Appends one content line, folded so that no line is longer than 75 octets (a continuation
/// starts with a space, which counts), never inside a UTF-8 character, ended by CRLF.
pub(crate) fn push_line(out: &mut String, line: &str) {
    let mut rest = line;
    let mut limit = 75;
    loop {
        if rest.len() <= limit {
            out.push_str(rest);
            out.push_str("\r\n");
            return;
        }
        let mut cut = limit;
        while !rest.is_char_boundary(cut) {
            cut -= 1;
        }
        out.push_str(&rest[..cut]);
        out.push_str("\r\n ");
        rest = &rest[cut..];
        limit = 74;
    }
}

/// A stable `urn:uuid:` for a contact: a name-based UUID (version 8) of its id and creation
/// time, so the same contact keeps its UID across exports and two registers do not clash.
pub(crate) fn uid(contact: &Contact) -> String {
    let digest = Sha256::digest(
        format!("minicrm-contact:{}:{}", contact.id.0, contact.created_at).as_bytes(),
    );
    let mut b = [0u8; 16];
    b.copy_from_slice(&digest[..16]);
    b[6] = (b[6] & 0x0f) | 0x80;
    b[8] = (b[8] & 0x3f) | 0x80;
    let hex: String = b.iter().map(|x| format!("{x:02x}")).collect();
    format!(
        "urn:uuid:{}-{}-{}-{}-{}",
        &hex[..8],
        &hex[8..12],
        &hex[12..16],
        &hex[16..20],
        &hex[20..]
    )
}

/// `2026-11-22T09:15:00Z` as vCard's `20261122T091500Z`.
fn rev(updated_at: &str) -> Option<String> {
    chrono::DateTime::parse_from_rfc3339(updated_at)
        .ok()
        .map(|t| {
            t.with_timezone(&chrono::Utc)
                .format("%Y%m%dT%H%M%SZ")
                .to_string()
        })
}

/// One contact as a vCard 4.0; `org` is the name of its first customer.
pub(crate) fn write_card(out: &mut String, contact: &Contact, org: Option<&str>) {
    push_line(out, "BEGIN:VCARD");
    push_line(out, "VERSION:4.0");
    push_line(out, &format!("UID:{}", uid(contact)));
    let full = contact.full_name();
    let full = if full.is_empty() {
        contact.email.clone()
    } else {
        full
    };
    push_line(out, &format!("FN:{}", escape(&full)));
    push_line(
        out,
        &format!(
            "N:{};{};;;",
            escape(&contact.last_name),
            escape(&contact.first_name)
        ),
    );
    if !contact.email.is_empty() {
        push_line(out, &format!("EMAIL:{}", escape(&contact.email)));
    }
    if !contact.phone.is_empty() {
        push_line(out, &format!("TEL;VALUE=text:{}", escape(&contact.phone)));
    }
    if !contact.title.is_empty() {
        push_line(out, &format!("TITLE:{}", escape(&contact.title)));
    }
    if let Some(org) = org.filter(|o| !o.is_empty()) {
        push_line(out, &format!("ORG:{}", escape(org)));
    }
    if !contact.notes.is_empty() {
        push_line(out, &format!("NOTE:{}", escape(&contact.notes)));
    }
    if !contact.tags.is_empty() {
        let tags: Vec<String> = contact.tags.iter().map(|t| escape(t)).collect();
        push_line(out, &format!("CATEGORIES:{}", tags.join(",")));
    }
    if let Some(rev) = rev(&contact.updated_at) {
        push_line(out, &format!("REV:{rev}"));
    }
    push_line(out, "END:VCARD");
}

// ---------------------------------------------------------------------------------------------
// Reading

/// What an import takes from a card.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct Card {
    /// The line of `BEGIN:VCARD`.
    pub line: usize,
    pub full_name: String,
    pub first_name: String,
    pub last_name: String,
    pub email: String,
    pub phone: String,
    pub title: String,
    pub org: String,
    pub note: String,
    pub categories: Vec<String>,
    pub uid: String,
}

/// One property: upper-case name without its group, parameters, raw (escaped) value.
struct Property {
    name: String,
    params: Vec<(String, String)>,
    value: String,
}

impl Property {
    fn param(&self, name: &str) -> Option<&str> {
        self.params
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    }

    /// Whether the value is marked preferred (`TYPE=pref`, `PREF=1`, 2.1's bare `PREF`).
    fn preferred(&self) -> bool {
        self.params.iter().any(|(k, v)| {
            (k == "TYPE" && v.split(',').any(|t| t.eq_ignore_ascii_case("pref")))
                || k == "PREF" && (v.is_empty() || v == "1")
        })
    }

    fn quoted_printable(&self) -> bool {
        self.param("ENCODING")
            .is_some_and(|e| e.eq_ignore_ascii_case("QUOTED-PRINTABLE"))
    }
}

/// Splits at `sep` outside double quotes.
fn split_outside_quotes(text: &str, sep: char) -> Vec<&str> {
    let mut parts = Vec::new();
    let mut quoted = false;
    let mut start = 0;
    for (i, c) in text.char_indices() {
        if c == '"' {
            quoted = !quoted;
        } else if c == sep && !quoted {
            parts.push(&text[start..i]);
            start = i + c.len_utf8();
        }
    }
    parts.push(&text[start..]);
    parts
}

fn parse_property(line: &str) -> Option<Property> {
    let mut quoted = false;
    let colon = line.char_indices().find(|&(_, c)| {
        if c == '"' {
            quoted = !quoted;
        }
        c == ':' && !quoted
    })?;
    let (head, value) = (&line[..colon.0], &line[colon.0 + 1..]);
    let mut parts = split_outside_quotes(head, ';').into_iter();
    let name = parts.next()?.trim();
    let name = name
        .rsplit_once('.')
        .map_or(name, |(_, n)| n)
        .to_ascii_uppercase();
    let params = parts
        .map(|p| match p.split_once('=') {
            Some((k, v)) => (
                k.trim().to_ascii_uppercase(),
                v.trim().trim_matches('"').to_string(),
            ),
            // vCard 2.1: bare `TYPE` values and `QUOTED-PRINTABLE`.
            None if p.eq_ignore_ascii_case("QUOTED-PRINTABLE") => {
                ("ENCODING".into(), p.to_string())
            }
            None if p.eq_ignore_ascii_case("PREF") => ("PREF".into(), String::new()),
            None => ("TYPE".into(), p.to_string()),
        })
        .collect();
    Some(Property {
        name,
        params,
        value: value.to_string(),
    })
}

/// Decodes quoted-printable; the bytes are taken as UTF-8, else as Latin-1.
fn decode_quoted_printable(text: &str) -> String {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'=' {
            let hex = bytes
                .get(i + 1..i + 3)
                .and_then(|h| std::str::from_utf8(h).ok())
                .and_then(|h| u8::from_str_radix(h, 16).ok());
            if let Some(b) = hex {
                out.push(b);
                i += 3;
                continue;
            }
        }
        out.push(bytes[i]);
        i += 1;
    }
    String::from_utf8(out).unwrap_or_else(|e| e.into_bytes().iter().map(|&b| b as char).collect())
}

/// Splits a structured value at unescaped `sep`, keeping the escapes.
fn split_unescaped(value: &str, sep: char) -> Vec<&str> {
    let mut parts = Vec::new();
    let mut start = 0;
    let mut escaped = false;
    for (i, c) in value.char_indices() {
        if escaped {
            escaped = false;
        } else if c == '\\' {
            escaped = true;
        } else if c == sep {
            parts.push(&value[start..i]);
            start = i + 1;
        }
    }
    parts.push(&value[start..]);
    parts
}

/// Undoes the escapes of a text value.
pub(crate) fn unescape(value: &str) -> String {
    let mut out = String::with_capacity(value.len());
    let mut chars = value.chars();
    while let Some(c) = chars.next() {
        if c == '\\' {
            match chars.next() {
                Some('n') | Some('N') => out.push('\n'),
                Some(other) => out.push(other),
                None => out.push('\\'),
            }
        } else {
            out.push(c);
        }
    }
    out
}

/// The logical lines of a file, unfolded, each with the number of its first physical line.
fn logical_lines(bytes: &[u8]) -> Result<Vec<(usize, String)>, ParseError> {
    let mut lines: Vec<(usize, String)> = Vec::new();
    // Whether the line being built is quoted-printable and ended with a soft break (`=`).
    let mut soft_break = false;
    // The line being built: whether its name and parameters are complete (its `:` seen) and
    // whether they say quoted-printable. Decided once per line, never by rescanning it.
    let (mut head_done, mut qp) = (false, false);
    for (i, raw) in bytes.split(|&b| b == b'\n').enumerate() {
        let number = i + 1;
        let raw = raw.strip_suffix(b"\r").unwrap_or(raw);
        let text = std::str::from_utf8(raw).map_err(|e| ParseError::NotUtf8 {
            format: Format::Vcard,
            line: number,
            byte: raw[e.valid_up_to()],
        })?;
        if soft_break {
            if let Some((_, last)) = lines.last_mut() {
                last.pop();
                last.push_str(text.trim_start());
                soft_break = last.ends_with('=');
                continue;
            }
        }
        if (text.starts_with(' ') || text.starts_with('\t')) && !lines.is_empty() {
            if let Some((_, last)) = lines.last_mut() {
                last.push_str(&text[1..]);
                if !head_done && text.contains(':') {
                    head_done = true;
                    qp = is_qp_line(last);
                }
                soft_break = qp && last.ends_with('=');
            }
            continue;
        }
        if text.trim().is_empty() {
            continue;
        }
        lines.push((number, text.to_string()));
        head_done = text.contains(':');
        qp = head_done && is_qp_line(text);
        soft_break = qp && text.ends_with('=');
    }
    Ok(lines)
}

fn is_qp_line(line: &str) -> bool {
    let head = line.split(':').next().unwrap_or("");
    head.to_ascii_uppercase().contains("QUOTED-PRINTABLE")
}

/// Reads every card of a file.
pub(crate) fn parse(bytes: &[u8]) -> Result<Vec<Card>, ParseError> {
    let mut cards = Vec::new();
    let mut current: Option<Card> = None;
    // Whether the e-mail and phone kept so far were marked preferred.
    let (mut email_pref, mut phone_pref) = (false, false);
    for (line, text) in logical_lines(strip_bom(bytes))? {
        let Some(prop) = parse_property(&text) else {
            continue;
        };
        let value = if prop.quoted_printable() {
            decode_quoted_printable(&prop.value)
        } else {
            prop.value.clone()
        };
        match prop.name.as_str() {
            "BEGIN" if value.trim().eq_ignore_ascii_case("VCARD") => {
                if let Some(open) = &current {
                    return Err(ParseError::VcardUnclosed { line: open.line });
                }
                current = Some(Card {
                    line,
                    ..Card::default()
                });
                (email_pref, phone_pref) = (false, false);
            }
            "END" if value.trim().eq_ignore_ascii_case("VCARD") => {
                if let Some(card) = current.take() {
                    if cards.len() >= MAX_ROWS {
                        return Err(ParseError::TooManyRows);
                    }
                    cards.push(card);
                }
            }
            _ => {
                let Some(card) = current.as_mut() else {
                    continue;
                };
                match prop.name.as_str() {
                    "FN" => card.full_name = unescape(&value).trim().to_string(),
                    "N" => {
                        let parts: Vec<String> = split_unescaped(&value, ';')
                            .iter()
                            .map(|p| unescape(p).replace(',', " ").trim().to_string())
                            .collect();
                        card.last_name = parts.first().cloned().unwrap_or_default();
                        let given = parts.get(1).map(String::as_str).unwrap_or("");
                        let more = parts.get(2).map(String::as_str).unwrap_or("");
                        card.first_name = format!("{given} {more}").trim().to_string();
                    }
                    "EMAIL" => {
                        let pref = prop.preferred();
                        let email = unescape(&value).trim().to_string();
                        if !email.is_empty() && (card.email.is_empty() || (pref && !email_pref)) {
                            card.email = email;
                            email_pref = pref;
                        }
                    }
                    "TEL" => {
                        let pref = prop.preferred();
                        let tel = unescape(&value).trim().to_string();
                        let tel = tel.strip_prefix("tel:").unwrap_or(&tel).to_string();
                        if !tel.is_empty() && (card.phone.is_empty() || (pref && !phone_pref)) {
                            card.phone = tel;
                            phone_pref = pref;
                        }
                    }
                    "TITLE" => card.title = unescape(&value).trim().to_string(),
                    "ORG" => {
                        card.org = unescape(split_unescaped(&value, ';')[0]).trim().to_string()
                    }
                    "NOTE" => card.note = unescape(&value).trim_end().to_string(),
                    "CATEGORIES" => {
                        card.categories.extend(
                            split_unescaped(&value, ',')
                                .iter()
                                .map(|c| unescape(c).trim().to_string())
                                .filter(|c| !c.is_empty()),
                        );
                    }
                    "UID" => card.uid = unescape(&value).trim().to_string(),
                    _ => {}
                }
            }
        }
    }
    if let Some(open) = current {
        return Err(ParseError::VcardUnclosed { line: open.line });
    }
    if cards.is_empty() {
        return Err(ParseError::VcardNone);
    }
    Ok(cards)
}

/// The columns a vCard file gives the contact import.
pub(crate) const COLUMNS: [&str; 9] = [
    "first_name",
    "last_name",
    "full_name",
    "email",
    "phone",
    "title",
    "organisation",
    "notes",
    "tags",
];

/// Cards as a table, so the import of contacts treats them like CSV rows.
pub(crate) fn to_table(cards: Vec<Card>) -> Table {
    let rows = cards
        .into_iter()
        .map(|mut c| {
            // A company's own card (no person's name, FN the company): the whole name is kept
            // as the last name rather than split at its last word.
            if c.first_name.is_empty()
                && c.last_name.is_empty()
                && !c.org.is_empty()
                && c.full_name == c.org
            {
                c.last_name = std::mem::take(&mut c.full_name);
            }
            c
        })
        .map(|c| Row {
            line: c.line,
            cells: vec![
                c.first_name,
                c.last_name,
                c.full_name,
                c.email,
                c.phone,
                c.title,
                c.org,
                c.note,
                c.categories.join(", "),
            ],
        })
        .collect();
    Table::of_rows(
        Format::Vcard,
        b',',
        COLUMNS.iter().map(|c| c.to_string()).collect(),
        rows,
    )
}

/// Reads a vCard file into a table.
pub(crate) fn read(bytes: &[u8]) -> Result<Table, ParseError> {
    parse(bytes).map(to_table)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::contacts::ContactId;

    fn contact() -> Contact {
        Contact {
            id: ContactId(7),
            first_name: "Matti".into(),
            last_name: "Meikäläinen".into(),
            email: "matti@example.fi".into(),
            phone: "+358 40 123 4567".into(),
            title: "Toimitusjohtaja, hallituksen jäsen".into(),
            notes: "Rivi 1\nRivi 2; tärkeä \\ huom".into(),
            tags: vec!["VIP".into(), "Tampere, keskusta".into()],
            customers: vec![],
            customer_names: vec![],
            created_at: "2026-01-02T03:04:05Z".into(),
            updated_at: "2026-11-22T09:15:00Z".into(),
        }
    }

    #[test]
    fn escapes_the_special_characters() {
        assert_eq!(escape("a\\b,c;d\r\ne\nf"), "a\\\\b\\,c\\;d\\ne\\nf");
        assert_eq!(unescape(&escape("a\\b,c;d\ne")), "a\\b,c;d\ne");
    }

    #[test]
    fn folds_at_75_octets_without_splitting_characters() {
        let mut out = String::new();
        let long = format!("NOTE:{}", "ä".repeat(100));
        push_line(&mut out, &long);
        let lines: Vec<&str> = out.split("\r\n").filter(|l| !l.is_empty()).collect();
        assert!(lines.len() > 2);
        for (i, l) in lines.iter().enumerate() {
            assert!(l.len() <= 75, "{i}: {} octets", l.len());
            assert_eq!(l.starts_with(' '), i > 0);
        }
        // Unfolding gives the line back.
        assert_eq!(out.replace("\r\n ", "").trim_end(), long);
        let mut short = String::new();
        push_line(&mut short, "FN:x");
        assert_eq!(short, "FN:x\r\n");
        // Exactly 75 octets stays one line.
        let mut exact = String::new();
        push_line(&mut exact, &"x".repeat(75));
        assert_eq!(exact.matches("\r\n").count(), 1);
    }

    #[test]
    fn a_written_card_reads_back() {
        let mut out = String::new();
        write_card(&mut out, &contact(), Some("Kahvila Äijälä Oy; Helsinki"));
        assert!(out.starts_with("BEGIN:VCARD\r\nVERSION:4.0\r\n"), "{out}");
        assert!(out.ends_with("END:VCARD\r\n"));
        assert!(out.contains("\r\nN:Meikäläinen;Matti;;;\r\n"), "{out}");
        assert!(
            out.contains("\r\nTITLE:Toimitusjohtaja\\, hallituksen jäsen\r\n"),
            "{out}"
        );
        assert!(out.contains("\r\nREV:20261122T091500Z\r\n"), "{out}");
        assert!(
            out.contains("CATEGORIES:Tampere\\, keskusta,VIP")
                || out.contains("CATEGORIES:VIP,Tampere\\, keskusta"),
            "{out}"
        );
        assert!(out.split("\r\n").all(|l| l.len() <= 75));
        assert!(!out.replace("\r\n", "").contains('\n'));
        let cards = parse(out.as_bytes()).unwrap();
        assert_eq!(cards.len(), 1);
        let c = &cards[0];
        assert_eq!(
            (c.first_name.as_str(), c.last_name.as_str()),
            ("Matti", "Meikäläinen")
        );
        assert_eq!(c.full_name, "Matti Meikäläinen");
        assert_eq!(c.email, "matti@example.fi");
        assert_eq!(c.phone, "+358 40 123 4567");
        assert_eq!(c.title, "Toimitusjohtaja, hallituksen jäsen");
        assert_eq!(c.org, "Kahvila Äijälä Oy; Helsinki");
        assert_eq!(c.note, "Rivi 1\nRivi 2; tärkeä \\ huom");
        assert_eq!(c.categories, ["VIP", "Tampere, keskusta"]);
        assert_eq!(c.uid, uid(&contact()));
        assert!(
            c.uid.starts_with("urn:uuid:") && c.uid.len() == 45,
            "{}",
            c.uid
        );
    }

    #[test]
    fn reads_an_iphone_card() {
        let text = "BEGIN:VCARD\r\nVERSION:3.0\r\nPRODID:-//Apple Inc.//iPhone OS 17.0//EN\r\nN:Virtanen;Liisa;Maria;;\r\nFN:Liisa Maria Virtanen\r\nORG:Rakennus Virtanen Oy;\r\nTITLE:Projektipäällikkö\r\nitem1.EMAIL;type=INTERNET;type=pref:liisa@virtanen.fi\r\nitem1.X-ABLabel:_$!<Other>!$_\r\nEMAIL;type=INTERNET;type=HOME:liisa.koti@example.fi\r\nTEL;type=CELL;type=VOICE;type=pref:+358 50 765 4321\r\nTEL;type=WORK;type=VOICE:09 123 456\r\nNOTE:Tapasimme messuilla\\, syksyllä. Pitkä muistiinpano joka jatkuu seuraavall\r\n a rivillä.\r\nPHOTO;ENCODING=b;TYPE=JPEG:/9j/4AAQSkZJRgABAQAASABIAAD/4QBMRXhpZgAATU0AKgAAAAgAAYdpAAQAAAABAAAAGgAAAAAAA\r\n  6ABAAMAAAABAAEAAKACAAQAAAABAAAAZKADAAQAAAABAAAAZAAAAAD/7QA4UGhvdG9zaG9wIDMu\r\nEND:VCARD\r\n";
        let cards = parse(text.as_bytes()).unwrap();
        let c = &cards[0];
        assert_eq!(c.first_name, "Liisa Maria");
        assert_eq!(c.last_name, "Virtanen");
        assert_eq!(c.email, "liisa@virtanen.fi");
        assert_eq!(c.phone, "+358 50 765 4321");
        assert_eq!(c.org, "Rakennus Virtanen Oy");
        assert_eq!(c.title, "Projektipäällikkö");
        assert_eq!(
            c.note,
            "Tapasimme messuilla, syksyllä. Pitkä muistiinpano joka jatkuu seuraavalla rivillä."
        );
    }

    #[test]
    fn reads_an_outlook_card_with_quoted_printable() {
        let text = "BEGIN:VCARD\r\nVERSION:2.1\r\nN;LANGUAGE=fi;CHARSET=utf-8:Järvinen;Pekka\r\nFN;CHARSET=utf-8:Pekka Järvinen\r\nORG:Järvisen Kone Oy\r\nTITLE;ENCODING=QUOTED-PRINTABLE;CHARSET=UTF-8:Myyntip=C3=A4=C3=A4llikk=C3=B6\r\nTEL;WORK;VOICE:+358 9 876 5432\r\nTEL;CELL;VOICE;PREF:+358 40 111 2222\r\nLABEL;WORK;ENCODING=QUOTED-PRINTABLE;CHARSET=utf-8:Teollisuustie 1=0D=0A=\r\n00100 Helsinki\r\nNOTE;ENCODING=QUOTED-PRINTABLE:Soita aamup=E4iv=E4ll=E4=\r\n.\r\nEMAIL;PREF;INTERNET:pekka.jarvinen@jarvisenkone.fi\r\nREV:20261101T101010Z\r\nEND:VCARD\r\n";
        let cards = parse(text.as_bytes()).unwrap();
        let c = &cards[0];
        assert_eq!(
            (c.first_name.as_str(), c.last_name.as_str()),
            ("Pekka", "Järvinen")
        );
        assert_eq!(c.title, "Myyntipäällikkö");
        assert_eq!(c.phone, "+358 40 111 2222");
        assert_eq!(c.email, "pekka.jarvinen@jarvisenkone.fi");
        assert_eq!(c.note, "Soita aamupäivällä.");
    }

    #[test]
    fn a_company_card_keeps_its_whole_name() {
        let card = "BEGIN:VCARD\r\nVERSION:3.0\r\nN:;;;;\r\nFN:Kahvila Äijälä Oy\r\nORG:Kahvila Äijälä Oy;\r\nEND:VCARD\r\n";
        let table = read(card.as_bytes()).unwrap();
        let cells = &table.rows_vec()[0].cells;
        assert_eq!(
            (cells[0].as_str(), cells[1].as_str(), cells[2].as_str()),
            ("", "Kahvila Äijälä Oy", "")
        );
    }

    #[test]
    fn broken_files_are_clear_errors() {
        assert_eq!(
            parse(b"BEGIN:VCARD\r\nFN:x\r\n").unwrap_err(),
            ParseError::VcardUnclosed { line: 1 }
        );
        assert_eq!(parse(b"hello\r\n").unwrap_err(), ParseError::VcardNone);
        assert_eq!(
            parse(b"BEGIN:VCARD\nFN:J\xE4rvinen\nEND:VCARD\n").unwrap_err(),
            ParseError::NotUtf8 {
                format: Format::Vcard,
                line: 2,
                byte: 0xE4
            }
        );
    }
}

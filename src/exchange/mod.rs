//! Moving data in and out: CSV import and export of customers and contacts (Finnish Excel
//! writes `;` and a BOM), and vCard export and import of contacts.
//!
//! - `table` reads a CSV file into rows (UTF-8, Windows-1252 or UTF-16), `sheet` the first
//!   sheet of an `.xlsx` or `.ods` file, `vcard` reads and writes vCards;
//! - `fields` maps column headers (English or Finnish) to fields;
//! - `import` applies rows through the stores, in one transaction (dry runs roll it back);
//! - `export` writes CSV, JSON and vCard a batch of rows at a time;
//! - `pages` holds the downloads and the import page, `uploads` the files it keeps between its
//!   steps; `cli::transfer` the commands.

pub(crate) mod events_import;
pub(crate) mod events_page;
pub(crate) mod export;
pub(crate) mod fields;
pub(crate) mod import;
pub(crate) mod log_export;
pub(crate) mod pages;
pub(crate) mod sheet;
pub(crate) mod table;
pub(crate) mod uploads;
pub(crate) mod vcard;

pub(crate) use fields::{Kind, Mapping};
pub(crate) use table::{Format, ParseError, Table};

/// Whether a file is a vCard: by its name's extension, else by its first line.
pub(crate) fn is_vcard(name: &str, bytes: &[u8]) -> bool {
    let lower = name.to_ascii_lowercase();
    lower.ends_with(".vcf") || lower.ends_with(".vcard") || table::looks_like_vcard(bytes)
}

/// Reads an uploaded or given file: a spreadsheet, a vCard file or CSV. Text files are decoded
/// first (UTF-8, UTF-16 or Windows-1252, `table::decode`).
pub(crate) fn read_file(name: &str, bytes: Vec<u8>) -> Result<Table, ParseError> {
    if sheet::is_sheet(name, &bytes) {
        return sheet::read(&bytes);
    }
    // The start tells a vCard; CSV, the big case, keeps its bytes rather than a copy.
    let (start, _) = table::decode(&bytes[..bytes.len().min(4096)]);
    if !is_vcard(name, &start) {
        return table::read_csv(bytes);
    }
    let (text, charset) = table::decode(&bytes);
    let mut table = vcard::read(&text)?;
    table.charset = charset;
    Ok(table)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Byte soup from the pieces that matter (quotes, separators, line breaks, broken UTF-8,
    /// vCard syntax): the readers answer with a table or an error, never a panic.
    #[test]
    fn readers_never_panic_on_garbage() {
        const PIECES: &[&[u8]] = &[
            b"\"",
            b"\"\"",
            b";",
            b",",
            b"\t",
            b"\r",
            b"\n",
            b"\r\n",
            b" ",
            b"=",
            b"=C3",
            b"=\r\n",
            b"\\",
            b"\\n",
            b"\xC3",
            b"\xA4",
            b"\xE4",
            b"\xEF\xBB\xBF",
            b"sep=;",
            b"BEGIN:VCARD",
            b"END:VCARD",
            b"N:",
            b"FN:",
            b"ORG:",
            b"EMAIL;TYPE=pref:",
            b"ENCODING=QUOTED-PRINTABLE",
            b"item1.",
            b":",
            b"nimi",
            b"a@b.fi",
            b"\xC3\xA4",
        ];
        let mut seed: u64 = 0x5eed;
        let mut next = || {
            seed = seed
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            (seed >> 33) as usize
        };
        for _ in 0..3000 {
            let len = next() % 40;
            let mut bytes = Vec::new();
            for _ in 0..len {
                bytes.extend_from_slice(PIECES[next() % PIECES.len()]);
            }
            let _ = table::read_csv(bytes.clone());
            let _ = vcard::read(&bytes);
            if let Ok(t) = read_file("x", bytes.clone()) {
                let m = Mapping::detect(Kind::Contacts, &t.headers);
                let _ = m.ignored(&t.headers);
            }
        }
    }
}

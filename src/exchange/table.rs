//! Reading an uploaded file into rows: CSV as Excel writes it (UTF-8 with or without BOM, `;`
//! or `,`; Finnish Excel's "CSV (luetteloerotin)" in Windows-1252; "Unicode text", UTF-16 with
//! tabs), strict about broken quotes, with the row numbers Excel shows.
//!
//! The reader is hand-written rather than the `csv` crate's because that one accepts a broken
//! quote silently (the rest of the file becomes one value). The encoding is found first
//! ([`decode`]) and the text read as UTF-8 after it.

use std::borrow::Cow;

use crate::i18n::Lang;

/// The most columns a file may have (Outlook's contact export, the widest common one, has 92).
/// Empty cells past it are dropped; a value past it refuses the file.
pub(crate) const MAX_COLUMNS: usize = 100;
/// The most rows (CSV records or vCards) one file may hold: an import is one transaction.
pub(crate) const MAX_ROWS: usize = 100_000;

/// Where rows came from; the messages count CSV rows and vCard lines.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Format {
    Csv,
    Vcard,
    /// A spreadsheet (`.xlsx`, `.ods`): its first sheet, rows numbered as the program shows.
    Sheet,
}

/// The character set a text file was in (the preview names it).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Charset {
    Utf8,
    /// Excel's "Unicode text": UTF-16 (little-endian, with a BOM), tabs between the columns.
    Utf16,
    /// Bytes that are not UTF-8: Windows-1252, the encoding of Finnish Excel's plain CSV (a
    /// superset of Latin-1, so ISO-8859-1 files read right too).
    Windows1252,
}

impl Charset {
    pub(crate) fn name(self) -> &'static str {
        match self {
            Charset::Utf8 => "UTF-8",
            Charset::Utf16 => "UTF-16",
            Charset::Windows1252 => "Windows-1252",
        }
    }
}

/// Whether bytes without a BOM look like UTF-16LE text: ASCII-range characters, so every
/// second byte of the start is zero.
fn looks_like_utf16le(bytes: &[u8]) -> bool {
    let head = &bytes[..bytes.len().min(512) & !1];
    if head.len() < 4 {
        return false;
    }
    let zeros = head.iter().skip(1).step_by(2).filter(|&&b| b == 0).count();
    let even_zeros = head.iter().step_by(2).filter(|&&b| b == 0).count();
    zeros * 4 >= head.len() && even_zeros == 0
}

/// The bytes as UTF-8 (without a BOM) and the charset they were in: UTF-16 by its BOM (or its
/// zero bytes), UTF-8 when they are valid UTF-8, else Windows-1252, which has a character for
/// (nearly) every byte. Never fails: a stray byte shows as `\u{FFFD}` rather than refusing.
pub(crate) fn decode(bytes: &[u8]) -> (Cow<'_, [u8]>, Charset) {
    let utf16 = if bytes.starts_with(b"\xFF\xFE") || looks_like_utf16le(bytes) {
        Some(encoding_rs::UTF_16LE)
    } else if bytes.starts_with(b"\xFE\xFF") {
        Some(encoding_rs::UTF_16BE)
    } else {
        None
    };
    if let Some(encoding) = utf16 {
        // `decode` takes the BOM off.
        let (text, _, _) = encoding.decode(bytes);
        return (Cow::Owned(text.into_owned().into_bytes()), Charset::Utf16);
    }
    let bytes = strip_bom(bytes);
    if std::str::from_utf8(bytes).is_ok() {
        return (Cow::Borrowed(bytes), Charset::Utf8);
    }
    let text = encoding_rs::WINDOWS_1252
        .decode_without_bom_handling(bytes)
        .0;
    (
        Cow::Owned(text.into_owned().into_bytes()),
        Charset::Windows1252,
    )
}

/// One record. `line` is the row number as Excel shows it (the header is row 1) for CSV, the
/// line of `BEGIN:VCARD` for a vCard.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Row {
    pub line: usize,
    pub cells: Vec<String>,
}

impl Row {
    /// A cell's text, with the apostrophe that our CSV export puts before a formula-like
    /// value (see `export::excel_safe`) taken off again.
    pub(crate) fn cell(&self, column: usize) -> &str {
        let text = self.cells.get(column).map(String::as_str).unwrap_or("");
        match text.strip_prefix('\'') {
            Some(rest) if super::export::looks_like_formula(rest) => rest,
            _ => text,
        }
    }
}

/// A file read into a header and rows.
#[derive(Debug, Clone)]
pub(crate) struct Table {
    pub format: Format,
    /// The text file's charset (UTF-8 for vCards and spreadsheets).
    pub charset: Charset,
    pub delimiter: u8,
    pub headers: Vec<String>,
    rows: Rows,
}

/// Where a table's rows are.
#[derive(Debug, Clone)]
enum Rows {
    /// A CSV file's text (as UTF-8), checked whole when read and parsed again, row by row,
    /// each time the rows are walked: as cells, a 25 MiB file would take several times its
    /// size in memory.
    Text {
        text: Vec<u8>,
        /// Where the first row after the header starts, and its row number.
        start: usize,
        line: usize,
        count: usize,
    },
    /// Rows read some other way (vCards, spreadsheets).
    Cells(Vec<Row>),
}

impl Table {
    /// A table of rows read already.
    pub(crate) fn of_rows(
        format: Format,
        delimiter: u8,
        headers: Vec<String>,
        rows: Vec<Row>,
    ) -> Table {
        Table {
            format,
            charset: Charset::Utf8,
            delimiter,
            headers,
            rows: Rows::Cells(rows),
        }
    }

    /// The rows after the header, in order.
    pub(crate) fn rows(&self) -> Box<dyn Iterator<Item = Row> + '_> {
        match &self.rows {
            // The text was read whole without an error when the table was made.
            Rows::Text {
                text, start, line, ..
            } => Box::new(Records::new(text, *start, *line, self.delimiter).map_while(Result::ok)),
            Rows::Cells(rows) => Box::new(rows.iter().cloned()),
        }
    }

    /// The rows as a list (for tests that look at one).
    #[cfg(test)]
    pub(crate) fn rows_vec(&self) -> Vec<Row> {
        self.rows().collect()
    }

    /// How many rows there are after the header.
    pub(crate) fn len(&self) -> usize {
        match &self.rows {
            Rows::Text { count, .. } => *count,
            Rows::Cells(rows) => rows.len(),
        }
    }
}

/// Why a file could not be read at all.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum ParseError {
    Empty,
    NoHeader,
    /// Bytes that are not UTF-8 on this line of a vCard (a CSV file is decoded first).
    NotUtf8 {
        format: Format,
        line: usize,
        byte: u8,
    },
    /// A spreadsheet that could not be opened (damaged, encrypted, not a workbook).
    BadSheet,
    /// A quoted value opened on this row is never closed.
    UnclosedQuote {
        line: usize,
    },
    /// Text after a value's closing quote.
    JunkAfterQuote {
        line: usize,
    },
    /// A vCard whose `BEGIN:VCARD` on this line has no `END:VCARD`.
    VcardUnclosed {
        line: usize,
    },
    VcardNone,
    /// A value past [`MAX_COLUMNS`] on this row.
    TooManyColumns {
        line: usize,
    },
    /// More than [`MAX_ROWS`] rows or cards.
    TooManyRows,
}

impl ParseError {
    pub(crate) fn message(&self, lang: Lang) -> String {
        let n = |v: &usize| v.to_string();
        match self {
            ParseError::Empty => lang.t("exchange.empty_file").into(),
            ParseError::NoHeader => lang.t("exchange.no_header").into(),
            // The byte itself is for the log, not for people.
            ParseError::NotUtf8 { line, .. } => {
                lang.tf("exchange.vcard_not_utf8", &[("line", &n(line))])
            }
            ParseError::BadSheet => lang.t("exchange.bad_sheet").into(),
            ParseError::UnclosedQuote { line } => {
                lang.tf("exchange.unclosed_quote", &[("row", &n(line))])
            }
            ParseError::JunkAfterQuote { line } => {
                lang.tf("exchange.junk_after_quote", &[("row", &n(line))])
            }
            ParseError::VcardUnclosed { line } => {
                lang.tf("exchange.vcard_unclosed", &[("line", &n(line))])
            }
            ParseError::VcardNone => lang.t("exchange.vcard_none").into(),
            ParseError::TooManyColumns { line } => lang.tf(
                "exchange.too_many_columns",
                &[("row", &n(line)), ("max", &n(&MAX_COLUMNS))],
            ),
            ParseError::TooManyRows => lang.tf("exchange.too_many_rows", &[("max", &n(&MAX_ROWS))]),
        }
    }
}

/// The bytes without a UTF-8 byte order mark.
pub(crate) fn strip_bom(bytes: &[u8]) -> &[u8] {
    bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes)
}

/// Whether the bytes look like a vCard file rather than CSV.
pub(crate) fn looks_like_vcard(bytes: &[u8]) -> bool {
    let text = strip_bom(bytes);
    let start = text
        .iter()
        .position(|b| !b.is_ascii_whitespace())
        .unwrap_or(text.len());
    text[start..].len() >= 11 && text[start..start + 11].eq_ignore_ascii_case(b"BEGIN:VCARD")
}

/// The separator of a CSV file: the most common of `;`, `,` and tab outside quotes on the
/// header line (`,` when there is none, a one-column file).
pub(crate) fn detect_delimiter(bytes: &[u8]) -> u8 {
    let mut counts = [(b';', 0usize), (b',', 0), (b'\t', 0)];
    let mut quoted = false;
    for &b in bytes {
        match b {
            b'"' => quoted = !quoted,
            b'\n' | b'\r' if !quoted => break,
            _ if !quoted => {
                for (d, n) in counts.iter_mut() {
                    if *d == b {
                        *n += 1;
                    }
                }
            }
            _ => {}
        }
    }
    // Ties go to `;`: Finnish Excel's separator, and a comma is a decimal mark here.
    let best = counts.iter().fold(
        (b',', 0),
        |best, &(d, n)| if n > best.1 { (d, n) } else { best },
    );
    best.0
}

/// Reads a CSV file in any of the charsets of [`decode`]: header row and data rows. Rows whose
/// cells are all empty are skipped (Excel leaves them at the end), and so are blank lines,
/// which still count as rows. The whole file is checked here (quotes, limits), and the table
/// keeps its text rather than its cells ([`Rows::Text`]).
pub(crate) fn read_csv(bytes: impl Into<Vec<u8>>) -> Result<Table, ParseError> {
    let bytes = bytes.into();
    let (mut start, decoded, charset) = match decode(&bytes) {
        // Valid UTF-8 is kept as it came, past its BOM.
        (Cow::Borrowed(rest), charset) => (bytes.len() - rest.len(), None, charset),
        (Cow::Owned(text), charset) => (0, Some(text), charset),
    };
    let text = decoded.unwrap_or(bytes);
    let mut delimiter = None;
    // Excel's own hint line, `sep=;`, which Excel itself does not show as a row.
    let head = &text[start..];
    if head.len() >= 5
        && head[..4].eq_ignore_ascii_case(b"sep=")
        && matches!(head[4], b';' | b',' | b'\t' | b'|')
        && matches!(head.get(5), Some(b'\r' | b'\n') | None)
    {
        delimiter = Some(head[4]);
        start += 5;
        start += usize::from(text.get(start) == Some(&b'\r'));
        start += usize::from(text.get(start) == Some(&b'\n'));
    }
    if text[start..].iter().all(|b| b.is_ascii_whitespace()) {
        return Err(ParseError::Empty);
    }
    let delimiter = delimiter.unwrap_or_else(|| detect_delimiter(&text[start..]));
    let mut records = Records::new(&text, start, 1, delimiter);
    let Some(header) = records.next().transpose()? else {
        return Err(ParseError::NoHeader);
    };
    let headers: Vec<String> = header
        .cells
        .into_iter()
        .map(|h| h.trim().to_string())
        .collect();
    let (first, line) = (records.at, records.line);
    let mut count = 0;
    for record in records {
        record?;
        count += 1;
        if count > MAX_ROWS {
            return Err(ParseError::TooManyRows);
        }
    }
    Ok(Table {
        format: Format::Csv,
        charset,
        delimiter,
        headers,
        rows: Rows::Text {
            text,
            start: first,
            line,
            count,
        },
    })
}

/// The records of CSV text as UTF-8 cells, from a position. A quoted value may hold
/// separators, line breaks and doubled quotes; a quote inside an unquoted value is taken as it
/// is. Records whose cells are all empty are left out. A value past [`MAX_COLUMNS`] stops the
/// reading at once.
pub(crate) struct Records<'a> {
    bytes: &'a [u8],
    delimiter: u8,
    /// The next byte to read, and its row number.
    at: usize,
    line: usize,
}

impl<'a> Records<'a> {
    pub(crate) fn new(bytes: &'a [u8], at: usize, line: usize, delimiter: u8) -> Records<'a> {
        Records {
            bytes,
            delimiter,
            at,
            line,
        }
    }

    /// One record (maybe of empty cells), and the blank lines after it.
    fn record(&mut self) -> Result<Row, ParseError> {
        let (bytes, delimiter, n) = (self.bytes, self.delimiter, self.bytes.len());
        let line = self.line;
        let mut cells: Vec<String> = Vec::new();
        let mut cell: Vec<u8> = Vec::new();
        let mut i = self.at;
        loop {
            // At the start of a cell.
            if bytes[i..].first() == Some(&b'"') {
                let opened = line;
                i += 1;
                loop {
                    match bytes[i..].iter().position(|&b| b == b'"') {
                        None => return Err(ParseError::UnclosedQuote { line: opened }),
                        Some(at) => {
                            cell.extend_from_slice(&bytes[i..i + at]);
                            i += at + 1;
                            if bytes.get(i) == Some(&b'"') {
                                cell.push(b'"');
                                i += 1;
                            } else {
                                break;
                            }
                        }
                    }
                }
                match bytes.get(i) {
                    None => {}
                    Some(&b) if b == delimiter || b == b'\r' || b == b'\n' => {}
                    Some(_) => return Err(ParseError::JunkAfterQuote { line: opened }),
                }
            } else {
                let end = bytes[i..]
                    .iter()
                    .position(|&b| b == delimiter || b == b'\r' || b == b'\n')
                    .map_or(n, |p| i + p);
                cell.extend_from_slice(&bytes[i..end]);
                i = end;
            }
            finish_cell(std::mem::take(&mut cell), &mut cells, line)?;
            match bytes.get(i) {
                Some(&b) if b == delimiter => {
                    i += 1;
                    if i == n && cells.len() < MAX_COLUMNS {
                        cells.push(String::new());
                    }
                    if i == n {
                        break;
                    }
                }
                Some(b'\r') | Some(b'\n') => {
                    // The line break, then blank lines: rows in Excel's count, no records.
                    while i < n && (bytes[i] == b'\n' || bytes[i] == b'\r') {
                        if bytes[i] == b'\r' && bytes.get(i + 1) == Some(&b'\n') {
                            i += 1;
                        }
                        i += 1;
                        self.line += 1;
                    }
                    break;
                }
                _ => break,
            }
        }
        self.at = i;
        Ok(Row { line, cells })
    }
}

impl Iterator for Records<'_> {
    type Item = Result<Row, ParseError>;

    fn next(&mut self) -> Option<Self::Item> {
        while self.at < self.bytes.len() {
            match self.record() {
                Ok(row) if row.cells.iter().all(|c| c.trim().is_empty()) => {}
                Ok(row) => return Some(Ok(row)),
                Err(e) => {
                    self.at = self.bytes.len();
                    return Some(Err(e));
                }
            }
        }
        None
    }
}

/// A cell's bytes as text, added to `cells`: past [`MAX_COLUMNS`] only empty cells are taken
/// (and dropped), as spreadsheets pad rows with them.
fn finish_cell(bytes: Vec<u8>, cells: &mut Vec<String>, line: usize) -> Result<(), ParseError> {
    match String::from_utf8(bytes) {
        Ok(text) if cells.len() >= MAX_COLUMNS => {
            if text.trim().is_empty() {
                Ok(())
            } else {
                Err(ParseError::TooManyColumns { line })
            }
        }
        Ok(text) => {
            cells.push(text);
            Ok(())
        }
        Err(e) => {
            let at = e.utf8_error().valid_up_to();
            Err(ParseError::NotUtf8 {
                format: Format::Csv,
                line,
                byte: e.as_bytes()[at],
            })
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cells(t: &Table) -> Vec<Vec<String>> {
        t.rows().map(|r| r.cells).collect()
    }

    #[test]
    fn reads_finnish_excel_with_bom_semicolons_and_quotes() {
        let text = "\u{feff}Nimi;Y-tunnus;Muistiinpanot\r\nKahvila Äijälä Oy;0112038-9;\"Rivi 1\r\nrivi 2; \"\"lainaus\"\"\"\r\n;;\r\nToinen;;x\r\n";
        let t = read_csv(text.as_bytes()).unwrap();
        assert_eq!(t.delimiter, b';');
        assert_eq!(t.headers, ["Nimi", "Y-tunnus", "Muistiinpanot"]);
        assert_eq!(
            cells(&t),
            vec![
                vec![
                    "Kahvila Äijälä Oy",
                    "0112038-9",
                    "Rivi 1\r\nrivi 2; \"lainaus\""
                ],
                vec!["Toinen", "", "x"]
            ]
        );
        // The quoted line break does not make a new row; the empty row still counts.
        assert_eq!(t.rows().map(|r| r.line).collect::<Vec<_>>(), [2, 4]);
    }

    #[test]
    fn detects_commas_and_takes_stray_quotes_in_plain_values() {
        let t = read_csv(b"name,notes\nA,5\" screen\nB,\"x, y\"").unwrap();
        assert_eq!(t.delimiter, b',');
        assert_eq!(cells(&t), vec![vec!["A", "5\" screen"], vec!["B", "x, y"]]);
        let t = read_csv(b"sep=,\nname;x,notes\nA;1,2\n").unwrap();
        assert_eq!(t.headers, ["name;x", "notes"]);
        assert_eq!(t.rows_vec()[0].line, 2);
        assert_eq!(
            read_csv(b"a;b\n1;\n").unwrap().rows_vec()[0].cells,
            ["1", ""]
        );
    }

    #[test]
    fn the_exports_formula_guard_comes_off_on_import() {
        let t = read_csv("name;notes\n'=1+1;'+A1\n'kept;+358 40\n".as_bytes()).unwrap();
        assert_eq!(
            (t.rows_vec()[0].cell(0), t.rows_vec()[0].cell(1)),
            ("=1+1", "+A1")
        );
        assert_eq!(
            (t.rows_vec()[1].cell(0), t.rows_vec()[1].cell(1)),
            ("'kept", "+358 40")
        );
        // Whatever the export guards comes back as it was; a typed apostrophe stays.
        let t = read_csv("name;notes\n'-2+3+cmd|x;'-5\n".as_bytes()).unwrap();
        assert_eq!(
            (t.rows_vec()[0].cell(0), t.rows_vec()[0].cell(1)),
            ("-2+3+cmd|x", "'-5")
        );
        for text in ["+1+cmd|' /C calc'!A0", "=1+1", "-5", "+358 40", "-", "'x"] {
            let exported = super::super::export::excel_safe(text.to_string());
            let row = Row {
                line: 2,
                cells: vec![exported],
            };
            assert_eq!(row.cell(0), text);
        }
    }

    #[test]
    fn blank_lines_count_as_rows() {
        let t = read_csv(b"name\nA\n\n\nB\n").unwrap();
        assert_eq!(
            t.rows()
                .map(|r| (r.line, r.cells[0].clone()))
                .collect::<Vec<_>>(),
            [(2, "A".to_string()), (5, "B".to_string())]
        );
    }

    #[test]
    fn broken_quotes_name_their_row() {
        assert_eq!(
            read_csv(b"name;notes\nA;ok\nB;\"never closed\nC;x\n").unwrap_err(),
            ParseError::UnclosedQuote { line: 3 }
        );
        assert_eq!(
            read_csv(b"name;notes\n\"A\"x;ok\n").unwrap_err(),
            ParseError::JunkAfterQuote { line: 2 }
        );
    }

    #[test]
    fn windows_1252_and_utf16_files_are_read() {
        // Finnish Excel's "CSV (luetteloerotin)": Windows-1252, `;`.
        let mut bytes = b"nimi;kaupunki\r\nA;Espoo\r\nB;Jyv".to_vec();
        bytes.push(0xE4); // "ä" in Windows-1252
        bytes.extend_from_slice(b"skyl\xE4 \x80\r\n"); // and "€"
        let t = read_csv(bytes.clone()).unwrap();
        assert_eq!(t.charset, Charset::Windows1252);
        assert_eq!(
            cells(&t),
            vec![vec!["A", "Espoo"], vec!["B", "Jyväskylä €"]]
        );
        assert_eq!(t.rows_vec()[1].line, 3);
        // Excel's "Unicode text": UTF-16LE with a BOM and tabs.
        let text = "Nimi\tY-tunnus\r\nÄijälä Oy\t0112038-9\r\n";
        let mut utf16 = vec![0xFF, 0xFE];
        for unit in text.encode_utf16() {
            utf16.extend_from_slice(&unit.to_le_bytes());
        }
        let t = read_csv(utf16.clone()).unwrap();
        assert_eq!((t.charset, t.delimiter), (Charset::Utf16, b'\t'));
        assert_eq!(t.headers, ["Nimi", "Y-tunnus"]);
        assert_eq!(cells(&t), vec![vec!["Äijälä Oy", "0112038-9"]]);
        // Without the BOM too, and big-endian with one.
        let t = read_csv(&utf16[2..]).unwrap();
        assert_eq!(cells(&t), vec![vec!["Äijälä Oy", "0112038-9"]]);
        let mut be = vec![0xFE, 0xFF];
        for unit in text.encode_utf16() {
            be.extend_from_slice(&unit.to_be_bytes());
        }
        assert_eq!(read_csv(be.clone()).unwrap().headers, ["Nimi", "Y-tunnus"]);
        // UTF-8 stays UTF-8.
        let t = read_csv("nimi\nÄijälä\n".as_bytes()).unwrap();
        assert_eq!(
            (t.charset, t.rows_vec()[0].cell(0)),
            (Charset::Utf8, "Äijälä")
        );
    }

    #[test]
    fn empty_files_are_refused() {
        assert_eq!(read_csv(b"").unwrap_err(), ParseError::Empty);
        assert_eq!(
            read_csv(b"\xEF\xBB\xBF\r\n").unwrap_err(),
            ParseError::Empty
        );
        assert_eq!(read_csv(b";;\n").unwrap_err(), ParseError::NoHeader);
    }

    #[test]
    fn too_many_columns_or_rows_stop_the_reading() {
        let wide = (0..=MAX_COLUMNS)
            .map(|n| format!("c{n}"))
            .collect::<Vec<_>>()
            .join(";");
        assert_eq!(
            read_csv(wide.as_bytes()).unwrap_err(),
            ParseError::TooManyColumns { line: 1 }
        );
        let row = format!("a;b\nx;y{}z\n", ";".repeat(MAX_COLUMNS));
        assert_eq!(
            read_csv(row.as_bytes()).unwrap_err(),
            ParseError::TooManyColumns { line: 2 }
        );
        // Excel's padding: empty cells past the limit are dropped.
        let padded = format!("a;b{}\nx;y{}\n", ";".repeat(300), ";".repeat(300));
        let t = read_csv(padded.as_bytes()).unwrap();
        assert_eq!(t.headers.len(), MAX_COLUMNS);
        assert_eq!(
            (t.rows_vec()[0].cell(0), t.rows_vec()[0].cells.len()),
            ("x", MAX_COLUMNS)
        );
        let mut long = String::from("name\n");
        for n in 0..=MAX_ROWS {
            long.push_str(&format!("{n}\n"));
        }
        assert_eq!(
            read_csv(long.as_bytes()).unwrap_err(),
            ParseError::TooManyRows
        );
        assert!(ParseError::TooManyRows.message(Lang::En).contains("100000"));
    }

    #[test]
    fn sniffs_vcards() {
        assert!(looks_like_vcard(b"\xEF\xBB\xBF\r\nbegin:vcard\r\n"));
        assert!(!looks_like_vcard(b"name;email\n"));
    }
}

//! Reading a spreadsheet's first sheet into rows, as `table` reads CSV: `.xlsx` (and `.xlsm`),
//! `.ods`, and the old `.xls`/`.xlsb`, through calamine. The header is the first row with a
//! value; rows are numbered as the spreadsheet shows them.
//!
//! An `.xlsx` sheet is read cell by cell, so the limits ([`MAX_COLUMNS`], [`MAX_ROWS`]) stop
//! the reading before a far-away cell can make a huge grid; the other formats come as a range.

use std::io::Cursor;

use calamine::{Data, DataRef, Reader};

use super::table::{Format, ParseError, Row, Table, MAX_COLUMNS, MAX_ROWS};

/// Whether a file is a spreadsheet: by its name's extension, else by its first bytes (a zip
/// archive, as `.xlsx` and `.ods` are, or an OLE file, as `.xls` is).
pub(crate) fn is_sheet(name: &str, bytes: &[u8]) -> bool {
    let lower = name.to_ascii_lowercase();
    [".xlsx", ".xlsm", ".xls", ".xlsb", ".ods"]
        .iter()
        .any(|ext| lower.ends_with(ext))
        || bytes.starts_with(b"PK\x03\x04")
        || bytes.starts_with(&[0xD0, 0xCF, 0x11, 0xE0])
}

/// The rows read so far.
#[derive(Default)]
struct Grid {
    rows: Vec<Row>,
}

impl Grid {
    /// Puts a cell (0-based row and column); empty ones are left out.
    fn put(&mut self, row: usize, column: usize, text: String) -> Result<(), ParseError> {
        if text.trim().is_empty() {
            return Ok(());
        }
        let line = row + 1;
        if column >= MAX_COLUMNS {
            return Err(ParseError::TooManyColumns { line });
        }
        if self.rows.last().is_none_or(|r| r.line != line) {
            // The header and MAX_ROWS rows.
            if self.rows.len() > MAX_ROWS {
                return Err(ParseError::TooManyRows);
            }
            self.rows.push(Row {
                line,
                cells: Vec::new(),
            });
        }
        let cells = &mut self.rows.last_mut().expect("pushed above").cells;
        if cells.len() <= column {
            cells.resize(column + 1, String::new());
        }
        cells[column] = text;
        Ok(())
    }

    fn finish(self) -> Result<Table, ParseError> {
        let mut rows = self.rows.into_iter();
        let header = rows.next().ok_or(ParseError::Empty)?;
        Ok(Table::of_rows(
            Format::Sheet,
            // The rejected rows of a sheet go to a CSV file as Finnish Excel reads it.
            b';',
            header.cells.iter().map(|h| h.trim().to_string()).collect(),
            rows.collect(),
        ))
    }
}

/// Reads the first sheet of a workbook.
pub(crate) fn read(bytes: &[u8]) -> Result<Table, ParseError> {
    let cursor = Cursor::new(bytes);
    let mut grid = Grid::default();
    if let Ok(mut book) = calamine::Xlsx::new(cursor.clone()) {
        let first = book
            .sheet_names()
            .first()
            .cloned()
            .ok_or(ParseError::Empty)?;
        let mut cells = book
            .worksheet_cells_reader(&first)
            .map_err(|_| ParseError::BadSheet)?;
        while let Some(cell) = cells.next_cell().map_err(|_| ParseError::BadSheet)? {
            let (row, column) = cell.get_position();
            grid.put(row as usize, column as usize, ref_text(cell.get_value()))?;
        }
        return grid.finish();
    }
    let mut book = calamine::open_workbook_auto_from_rs(cursor).map_err(|e| {
        log::info!("import: unreadable spreadsheet: {e}");
        ParseError::BadSheet
    })?;
    let range = book
        .worksheet_range_at(0)
        .ok_or(ParseError::Empty)?
        .map_err(|_| ParseError::BadSheet)?;
    let (top, left) = range.start().unwrap_or((0, 0));
    for (i, row) in range.rows().enumerate() {
        for (j, cell) in row.iter().enumerate() {
            grid.put(top as usize + i, left as usize + j, text(cell))?;
        }
    }
    grid.finish()
}

/// A number as a person typed it: whole numbers without a decimal part (a phone number or a
/// postal code typed as a number).
fn number(value: f64) -> String {
    if value.fract() == 0.0 && value.abs() < 1e15 {
        format!("{}", value as i64)
    } else {
        value.to_string()
    }
}

/// A date cell (days since 1899-12-30) as `2026-11-22` or `2026-11-22 14:30`.
fn date(serial: f64) -> String {
    let Some(base) = chrono::NaiveDate::from_ymd_opt(1899, 12, 30) else {
        return number(serial);
    };
    let seconds = (serial * 86_400.0).round() as i64;
    match base
        .and_hms_opt(0, 0, 0)
        .and_then(|d| d.checked_add_signed(chrono::TimeDelta::try_seconds(seconds)?))
    {
        Some(at) if seconds % 86_400 == 0 => at.format("%Y-%m-%d").to_string(),
        Some(at) => at.format("%Y-%m-%d %H:%M").to_string(),
        None => number(serial),
    }
}

fn date_time(value: &calamine::ExcelDateTime) -> String {
    if value.is_datetime() {
        date(value.as_f64())
    } else {
        number(value.as_f64())
    }
}

fn text(cell: &Data) -> String {
    match cell {
        Data::String(s) | Data::DateTimeIso(s) | Data::DurationIso(s) => s.clone(),
        Data::Int(i) => i.to_string(),
        Data::Float(f) => number(*f),
        Data::Bool(b) => b.to_string(),
        Data::DateTime(d) => date_time(d),
        Data::Error(_) | Data::Empty => String::new(),
    }
}

fn ref_text(cell: &DataRef) -> String {
    match cell {
        DataRef::String(s) | DataRef::DateTimeIso(s) | DataRef::DurationIso(s) => s.clone(),
        DataRef::SharedString(s) => s.to_string(),
        DataRef::Int(i) => i.to_string(),
        DataRef::Float(f) => number(*f),
        DataRef::Bool(b) => b.to_string(),
        DataRef::DateTime(d) => date_time(d),
        DataRef::Error(_) | DataRef::Empty => String::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn workbook(rows: &[&[&str]]) -> Vec<u8> {
        let mut book = rust_xlsxwriter::Workbook::new();
        let sheet = book.add_worksheet();
        for (r, row) in rows.iter().enumerate() {
            for (c, cell) in row.iter().enumerate() {
                if !cell.is_empty() {
                    sheet.write_string(r as u32, c as u16, *cell).unwrap();
                }
            }
        }
        sheet.write_number(3, 1, 358_401_234_567.0).unwrap();
        book.add_worksheet().write_string(0, 0, "toinen").unwrap();
        book.save_to_buffer().unwrap()
    }

    #[test]
    fn reads_the_first_sheet_with_excels_row_numbers() {
        let bytes = workbook(&[
            &["Nimi", "Puhelin", "Y-tunnus"],
            &["Äijälä Oy", "040 123", "0112038-9"],
            &["", "", ""],
            &["Beeta"],
        ]);
        assert!(is_sheet("asiakkaat.XLSX", &bytes) && is_sheet("x", &bytes));
        let t = read(&bytes).unwrap();
        assert_eq!(t.format, Format::Sheet);
        assert_eq!(t.headers, ["Nimi", "Puhelin", "Y-tunnus"]);
        assert_eq!(t.len(), 2);
        assert_eq!(
            (t.rows_vec()[0].line, t.rows_vec()[0].cell(0)),
            (2, "Äijälä Oy")
        );
        assert_eq!(
            (
                t.rows_vec()[1].line,
                t.rows_vec()[1].cell(0),
                t.rows_vec()[1].cell(1)
            ),
            (4, "Beeta", "358401234567")
        );
    }

    #[test]
    fn values_read_as_typed_and_garbage_is_refused() {
        assert_eq!(number(2.0), "2");
        assert_eq!(number(2.5), "2.5");
        assert_eq!(date(46348.0), "2026-11-22");
        assert_eq!(date(46348.5), "2026-11-22 12:00");
        assert_eq!(
            read(b"PK\x03\x04garbage").unwrap_err(),
            ParseError::BadSheet
        );
        let far = {
            let mut book = rust_xlsxwriter::Workbook::new();
            let sheet = book.add_worksheet();
            sheet.write_string(0, 0, "nimi").unwrap();
            sheet.write_string(5, MAX_COLUMNS as u16, "x").unwrap();
            book.save_to_buffer().unwrap()
        };
        assert_eq!(
            read(&far).unwrap_err(),
            ParseError::TooManyColumns { line: 6 }
        );
    }
}

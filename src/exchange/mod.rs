//! Moving data in and out: CSV import and export of customers and contacts (Finnish Excel
//! writes `;` and a BOM), and vCard export and import of contacts.
//!
//! - `table` reads a CSV file into rows, `vcard` reads and writes vCards;
//! - `fields` maps column headers (English or Finnish) to fields;
//! - `import` applies rows through the stores, in one transaction (dry runs roll it back);
//! - `export` writes CSV, JSON and vCard a batch of rows at a time;
//! - `pages` holds the downloads and the import page; `cli::transfer` the commands.

pub mod export;
pub mod fields;
pub mod import;
pub mod pages;
pub mod table;
pub mod vcard;

pub use fields::{Field, Kind, Mapping};
pub use table::{Format, ParseError, Table};

/// Whether a file is a vCard: by its name's extension, else by its first line.
pub fn is_vcard(name: &str, bytes: &[u8]) -> bool {
    let lower = name.to_ascii_lowercase();
    lower.ends_with(".vcf") || lower.ends_with(".vcard") || table::looks_like_vcard(bytes)
}

/// Reads an uploaded or given file: a vCard file or CSV.
pub fn read_file(name: &str, bytes: &[u8]) -> Result<Table, ParseError> {
    if is_vcard(name, bytes) {
        vcard::read(bytes)
    } else {
        table::read_csv(bytes)
    }
}

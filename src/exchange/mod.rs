//! Moving data in and out: CSV import and export of customers and contacts (Finnish Excel
//! writes `;` and a BOM), and vCard export and import of contacts.

pub mod pages;

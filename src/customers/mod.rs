//! Customers: the register itself. Types here, SQL in `store.rs`, pages and API beside.

pub(crate) mod api;
pub(crate) mod business_id;
pub(crate) mod countries;
pub(crate) mod einvoice;
pub mod list;
pub(crate) mod merge;
pub(crate) mod pages;
pub mod store;
pub(crate) mod validate;

use serde::{Deserialize, Deserializer, Serialize};

pub use business_id::BusinessId;

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(transparent)]
pub struct CustomerId(pub i64);

/// A customer as the pages and the API show it.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct Customer {
    pub id: CustomerId,
    pub number: String,
    pub name: String,
    pub business_id: Option<String>,
    pub email: String,
    pub phone: String,
    pub website: String,
    pub street: String,
    pub postal_code: String,
    pub city: String,
    pub country: String,
    pub einvoice_address: String,
    pub einvoice_operator: String,
    pub notes: String,
    pub tags: Vec<String>,
    pub owner_id: Option<i64>,
    pub archived: bool,
    pub created_at: String,
    pub updated_at: String,
}

/// Fields to create or change a customer: the API's body, a form, a CSV row. `None` leaves a
/// field as it is (PATCH); on create it means empty or the default.
#[derive(Debug, Clone, Default, Deserialize)]
pub struct CustomerInput {
    pub number: Option<String>,
    pub name: Option<String>,
    pub business_id: Option<String>,
    pub email: Option<String>,
    pub phone: Option<String>,
    pub website: Option<String>,
    pub street: Option<String>,
    pub postal_code: Option<String>,
    pub city: Option<String>,
    pub country: Option<String>,
    pub einvoice_address: Option<String>,
    pub einvoice_operator: Option<String>,
    pub notes: Option<String>,
    pub tags: Option<Vec<String>>,
    /// `Some(None)` clears the owner; `None` leaves it.
    #[serde(default, deserialize_with = "double_option")]
    pub owner_id: Option<Option<i64>>,
    pub archived: Option<bool>,
}

/// Tells a JSON `null` (clear) from a missing field (leave as is).
pub(crate) fn double_option<'de, T, D>(de: D) -> Result<Option<Option<T>>, D::Error>
where
    T: Deserialize<'de>,
    D: Deserializer<'de>,
{
    Option::<T>::deserialize(de).map(Some)
}

/// Folds a name for comparisons: lower case, no accents, no punctuation, no company form
/// (`Kahvila Äijälä Oy` and `kahvila aijala` are the same name).
pub(crate) fn name_key(name: &str) -> String {
    const FORMS: &[&str] = &[
        "oy", "oyj", "ab", "abp", "ky", "ay", "tmi", "ry", "osk", "ltd", "inc", "gmbh", "as",
        "llc", "co",
    ];
    let folded: String = name
        .chars()
        .flat_map(char::to_lowercase)
        .map(|c| match c {
            'ä' | 'å' | 'á' | 'à' | 'â' => 'a',
            'ö' | 'ø' | 'ó' | 'ò' | 'ô' => 'o',
            'é' | 'è' | 'ê' | 'ë' => 'e',
            'ü' | 'ú' | 'ù' => 'u',
            'í' | 'ì' | 'ï' => 'i',
            'š' => 's',
            'ž' => 'z',
            c if c.is_alphanumeric() => c,
            _ => ' ',
        })
        .collect();
    folded
        .split_whitespace()
        .filter(|w| !FORMS.contains(w))
        .collect::<Vec<_>>()
        .join(" ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn name_keys_ignore_case_accents_and_company_form() {
        assert_eq!(name_key("Kahvila Äijälä Oy"), "kahvila aijala");
        assert_eq!(name_key("KAHVILA AIJALA"), "kahvila aijala");
        assert_eq!(name_key("Oy Kahvila Äijälä Ab"), "kahvila aijala");
        assert_eq!(name_key("Rakennus-Virtanen Ky"), "rakennus virtanen");
        assert_ne!(name_key("Virtanen"), name_key("Virtasen"));
    }
}

//! A customer's fields checked before they are stored: required name, lengths, no control
//! characters, business ID check digit, e-mail, website, country code and Finnish e-invoice
//! address.

use super::{BusinessId, Customer, CustomerInput};
use crate::error::{check_email, text_error, valid, FieldError, Result};
use crate::register::form::{pick, pick_notes, pick_tags};

/// The customer's fields after validation, ready to store.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Fields {
    pub name: String,
    pub business_id: Option<BusinessId>,
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
}

/// The text fields with their largest number of characters, and whether they are many lines
/// (only the notes). Every text field is here; a new one is added here too.
fn text_fields(f: &Fields) -> [(&'static str, &str, usize, bool); 10] {
    [
        ("name", &f.name, 200, false),
        ("email", &f.email, 254, false),
        ("phone", &f.phone, 50, false),
        ("website", &f.website, 200, false),
        ("street", &f.street, 200, false),
        ("postal_code", &f.postal_code, 20, false),
        ("city", &f.city, 100, false),
        ("einvoice_address", &f.einvoice_address, 40, false),
        ("einvoice_operator", &f.einvoice_operator, 35, false),
        ("notes", &f.notes, 10_000, true),
    ]
}

/// A Finnish e-invoice address: OVT (`0037` + the business ID's eight digits + an optional
/// suffix of up to five characters) or an IBAN.
fn is_einvoice_address(text: &str) -> bool {
    // Both forms are ASCII; checking that first also keeps the byte slicing below on
    // character boundaries whatever was typed.
    if !text.is_ascii() {
        return false;
    }
    let ovt = text.len() >= 12
        && text.len() <= 17
        && text.starts_with("0037")
        && text[4..12].chars().all(|c| c.is_ascii_digit())
        && text[12..].chars().all(|c| c.is_ascii_alphanumeric());
    let iban = text.len() >= 15
        && text.len() <= 34
        && text[..2].chars().all(|c| c.is_ascii_uppercase())
        && text[2..4].chars().all(|c| c.is_ascii_digit())
        && text[4..].chars().all(|c| c.is_ascii_alphanumeric());
    ovt || iban
}

/// A website as stored: `https://` added when no scheme is given; `None` when it is not a web
/// address (spaces, another scheme such as `javascript:`, no dot in the host name, characters
/// that have no place in an address).
pub(crate) fn normalise_website(text: &str) -> Option<String> {
    let text = text.trim();
    if text.is_empty() {
        return Some(String::new());
    }
    let lower = text.to_ascii_lowercase();
    let (scheme, rest) = if lower.starts_with("https://") {
        ("https://", &text[8..])
    } else if lower.starts_with("http://") {
        ("http://", &text[7..])
    } else {
        ("", text)
    };
    let host_end = rest.find(['/', '?', '#']).unwrap_or(rest.len());
    let (host, path) = rest.split_at(host_end);
    let host_name = match host.rsplit_once(':') {
        // A port, when digits follow the colon.
        Some((name, port)) if !port.is_empty() && port.chars().all(|c| c.is_ascii_digit()) => name,
        _ => host,
    };
    let labels_ok = host_name.contains('.')
        && host_name.split('.').all(|label| {
            !label.is_empty()
                && !label.starts_with('-')
                && !label.ends_with('-')
                && label.chars().all(|c| c.is_alphanumeric() || c == '-')
        });
    let path_ok = path
        .chars()
        .all(|c| !c.is_whitespace() && !c.is_control() && !"<>\"`{}|\\^".contains(c));
    if !labels_ok || !path_ok {
        return None;
    }
    let scheme = if scheme.is_empty() {
        "https://"
    } else {
        scheme
    };
    Some(format!("{scheme}{rest}"))
}

/// Merges `input` over `base` (or the defaults for a new customer) and checks every field.
pub(crate) fn validate(input: &CustomerInput, base: Option<&Customer>) -> Result<Fields> {
    let mut errors = Vec::new();
    let name = pick(&input.name, base.map(|b| b.name.as_str()));
    let business_id_text = match &input.business_id {
        Some(t) => t.trim().to_string(),
        None => base.and_then(|b| b.business_id.clone()).unwrap_or_default(),
    };
    let business_id = if business_id_text.is_empty() {
        None
    } else {
        match BusinessId::parse(&business_id_text) {
            Ok(id) => Some(id),
            Err(e) => {
                errors.push(FieldError {
                    field: "business_id",
                    key: e.key(),
                });
                None
            }
        }
    };
    let mut country = pick(&input.country, base.map(|b| b.country.as_str())).to_ascii_uppercase();
    if country.is_empty() {
        country = "FI".into();
    }
    let mut fields = Fields {
        name,
        business_id,
        email: pick(&input.email, base.map(|b| b.email.as_str())),
        phone: pick(&input.phone, base.map(|b| b.phone.as_str())),
        website: pick(&input.website, base.map(|b| b.website.as_str())),
        street: pick(&input.street, base.map(|b| b.street.as_str())),
        postal_code: pick(&input.postal_code, base.map(|b| b.postal_code.as_str())),
        city: pick(&input.city, base.map(|b| b.city.as_str())),
        country,
        einvoice_address: pick(
            &input.einvoice_address,
            base.map(|b| b.einvoice_address.as_str()),
        )
        .replace(' ', ""),
        einvoice_operator: pick(
            &input.einvoice_operator,
            base.map(|b| b.einvoice_operator.as_str()),
        )
        .replace(' ', ""),
        notes: pick_notes(&input.notes, base.map(|b| b.notes.as_str())),
        tags: pick_tags(&input.tags, base.map(|b| b.tags.as_slice()), &mut errors),
        owner_id: match input.owner_id {
            Some(o) => o,
            None => base.and_then(|b| b.owner_id),
        },
        archived: input.archived.unwrap_or(base.is_some_and(|b| b.archived)),
    };
    if fields.name.is_empty() {
        errors.push(FieldError {
            field: "name",
            key: "customers.name_required",
        });
    }
    for (field, value, max, many_lines) in text_fields(&fields) {
        if errors.iter().any(|e| e.field == field) {
            continue;
        }
        errors.extend(text_error(field, value, max, many_lines));
    }
    check_email(&mut errors, "email", &fields.email);
    if !errors.iter().any(|e| e.field == "website") {
        match normalise_website(&fields.website) {
            Some(site) => fields.website = site,
            None => errors.push(FieldError {
                field: "website",
                key: "customers.website_invalid",
            }),
        }
    }
    if fields.country.len() != 2 || !fields.country.chars().all(|c| c.is_ascii_uppercase()) {
        errors.push(FieldError {
            field: "country",
            key: "customers.country_invalid",
        });
    }
    if !fields.einvoice_address.is_empty()
        && !is_einvoice_address(&fields.einvoice_address)
        && !errors.iter().any(|e| e.field == "einvoice_address")
    {
        errors.push(FieldError {
            field: "einvoice_address",
            key: "customers.einvoice_address_invalid",
        });
    }
    if !fields.einvoice_operator.is_empty()
        && !fields
            .einvoice_operator
            .chars()
            .all(|c| c.is_ascii_alphanumeric())
    {
        errors.push(FieldError {
            field: "einvoice_operator",
            key: "customers.einvoice_operator_invalid",
        });
    }
    valid(fields, errors)
}

#[cfg(test)]
mod tests {
    use super::normalise_website;

    #[test]
    fn a_website_gets_https_and_garbage_is_refused() {
        for (typed, stored) in [
            ("www.nokia.com", "https://www.nokia.com"),
            ("  aijala.fi/yhteys?x=1 ", "https://aijala.fi/yhteys?x=1"),
            ("http://esimerkki.fi", "http://esimerkki.fi"),
            ("HTTPS://Esimerkki.fi/", "https://Esimerkki.fi/"),
            ("kahvila-äijälä.fi", "https://kahvila-äijälä.fi"),
            ("localhost.test:8080/a", "https://localhost.test:8080/a"),
            ("", ""),
        ] {
            assert_eq!(normalise_website(typed).as_deref(), Some(stored), "{typed}");
        }
        for bad in [
            "www nokia com",
            "nokia",
            "javascript:alert(1)",
            "ftp://x.fi",
            "https://",
            "x..fi",
            "-x.fi",
            "x.fi/<script>",
            "n/a",
            "x.fi/a b",
        ] {
            assert_eq!(normalise_website(bad), None, "{bad}");
        }
    }
}

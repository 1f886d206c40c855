//! Form bodies and query strings.

use crate::error::{Error, Result};

/// Decoded `name=value` pairs of a form body or a query string.
#[derive(Debug, Default, Clone)]
pub struct Form {
    pairs: Vec<(String, String)>,
}

impl Form {
    pub fn parse(bytes: &[u8]) -> Result<Form> {
        serde_urlencoded::from_bytes::<Vec<(String, String)>>(bytes)
            .map(|pairs| Form { pairs })
            .map_err(|_| Error::BadRequest("The form data could not be read.".into()))
    }

    /// The first value for `name`, or "" when absent.
    pub fn get(&self, name: &str) -> &str {
        self.pairs
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.as_str())
            .unwrap_or("")
    }

    pub fn has(&self, name: &str) -> bool {
        self.pairs.iter().any(|(n, _)| n == name)
    }

    /// Every value for `name` (repeated checkboxes).
    pub fn all(&self, name: &str) -> Vec<&str> {
        self.pairs
            .iter()
            .filter(|(n, _)| n == name)
            .map(|(_, v)| v.as_str())
            .collect()
    }

    /// The form as URL-encoded text without the given fields (for links that keep a filter).
    pub fn encode_without(&self, skip: &[&str]) -> String {
        let kept: Vec<&(String, String)> = self
            .pairs
            .iter()
            .filter(|(n, v)| !skip.contains(&n.as_str()) && !v.is_empty())
            .collect();
        serde_urlencoded::to_string(kept).unwrap_or_default()
    }

    /// A form from pairs, for filling a form with stored values.
    pub fn from_pairs<K: Into<String>, V: Into<String>>(
        pairs: impl IntoIterator<Item = (K, V)>,
    ) -> Form {
        Form {
            pairs: pairs
                .into_iter()
                .map(|(k, v)| (k.into(), v.into()))
                .collect(),
        }
    }

    /// A checkbox: present with any value.
    pub fn checked(&self, name: &str) -> bool {
        self.has(name)
    }
}

/// `limit` and `offset` for a list, clamped to the API's bounds (default 50, max 500).
pub fn page_params(query: &Form) -> Result<(i64, i64)> {
    let number = |name: &str, default: i64| -> Result<i64> {
        match query.get(name) {
            "" => Ok(default),
            text => text.parse::<i64>().ok().filter(|n| *n >= 0).ok_or_else(|| {
                Error::BadRequest(format!("`{name}` must be a whole number of 0 or more."))
            }),
        }
    };
    Ok((number("limit", 50)?.clamp(1, 500), number("offset", 0)?))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decodes_plus_and_percent_escapes() {
        let f = Form::parse(b"name=Matti+Meik%C3%A4l%C3%A4inen&empty=&x=1&x=2").unwrap();
        assert_eq!(f.get("name"), "Matti Meikäläinen");
        assert_eq!(f.get("empty"), "");
        assert!(f.has("empty"));
        assert_eq!(f.get("x"), "1");
        assert_eq!(f.get("missing"), "");
    }

    #[test]
    fn page_params_clamp_and_reject_garbage() {
        let q = |s: &str| page_params(&Form::parse(s.as_bytes()).unwrap());
        assert_eq!(q("").unwrap(), (50, 0));
        assert_eq!(q("limit=9999&offset=10").unwrap(), (500, 10));
        assert!(q("limit=abc").is_err());
        assert!(q("offset=-1").is_err());
    }
}

//! Form bodies and query strings.

use crate::error::{Error, Result};

/// Decoded `name=value` pairs of a form body or a query string.
#[derive(Debug, Default, Clone)]
pub struct Form {
    pairs: Vec<(String, String)>,
}

impl Form {
    pub(crate) fn parse(bytes: &[u8]) -> Result<Form> {
        serde_urlencoded::from_bytes::<Vec<(String, String)>>(bytes)
            .map(|pairs| Form { pairs })
            .map_err(|_| Error::BadRequest("The form data could not be read.".into()))
    }

    /// The first value for `name`, or "" when absent.
    pub(crate) fn get(&self, name: &str) -> &str {
        self.pairs
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.as_str())
            .unwrap_or("")
    }

    pub(crate) fn has(&self, name: &str) -> bool {
        self.pairs.iter().any(|(n, _)| n == name)
    }

    /// Every value for `name` (repeated checkboxes).
    pub(crate) fn all(&self, name: &str) -> Vec<&str> {
        self.pairs
            .iter()
            .filter(|(n, _)| n == name)
            .map(|(_, v)| v.as_str())
            .collect()
    }

    /// The form as URL-encoded text without the given fields (for links that keep a filter).
    pub(crate) fn encode_without(&self, skip: &[&str]) -> String {
        let kept: Vec<&(String, String)> = self
            .pairs
            .iter()
            .filter(|(n, v)| !skip.contains(&n.as_str()) && !v.is_empty())
            .collect();
        serde_urlencoded::to_string(kept).unwrap_or_default()
    }

    /// A form from pairs, for filling a form with stored values.
    pub(crate) fn from_pairs<K: Into<String>, V: Into<String>>(
        pairs: impl IntoIterator<Item = (K, V)>,
    ) -> Form {
        Form {
            pairs: pairs
                .into_iter()
                .map(|(k, v)| (k.into(), v.into()))
                .collect(),
        }
    }

    /// Sets `name` to `value`, replacing every value it had.
    pub(crate) fn set(&mut self, name: &str, value: impl Into<String>) {
        self.pairs.retain(|(n, _)| n != name);
        self.pairs.push((name.to_string(), value.into()));
    }

    /// A checkbox: present with any value.
    pub(crate) fn checked(&self, name: &str) -> bool {
        self.has(name)
    }
}

/// The page size of a list when `limit` is not given.
pub(crate) const DEFAULT_LIMIT: i64 = 50;
/// The largest page; a larger `limit` is read as this.
pub(crate) const MAX_LIMIT: i64 = 500;
/// The largest `offset`: 2^53 − 1, the largest integer a JSON client reads exactly. Past the
/// last row a list answers an empty page.
pub(crate) const MAX_OFFSET: i64 = 9_007_199_254_740_991;

/// `limit` and `offset` for a list: `limit` 1 or more (default 50, a larger one than 500 is
/// read as 500), `offset` 0 to [`MAX_OFFSET`]. Anything else is a 400.
pub(crate) fn page_params(query: &Form) -> Result<(i64, i64)> {
    let number = |name: &str, default: i64, min: i64, max: i64| -> Result<i64> {
        match query.get(name) {
            "" => Ok(default),
            text => text
                .parse::<i64>()
                .ok()
                .filter(|n| (min..=max).contains(n))
                .ok_or_else(|| {
                    Error::BadRequest(if max == i64::MAX {
                        format!("`{name}` must be a whole number of {min} or more.")
                    } else {
                        format!("`{name}` must be a whole number from {min} to {max}.")
                    })
                }),
        }
    };
    let limit = number("limit", DEFAULT_LIMIT, 1, i64::MAX)?.min(MAX_LIMIT);
    let offset = number("offset", 0, 0, MAX_OFFSET)?;
    Ok((limit, offset))
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
        assert!(q("limit=0").is_err());
        assert_eq!(q("offset=9007199254740991").unwrap().1, MAX_OFFSET);
        assert!(q("offset=9007199254740992").is_err());
        assert!(q("offset=99999999999999999999").is_err());
    }
}

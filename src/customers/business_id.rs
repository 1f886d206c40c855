//! The Finnish business ID (Y-tunnus): seven digits and a check digit, `1234567-8`.

use std::fmt;

/// A valid, normalised business ID.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct BusinessId(String);

/// Why a text is not a business ID; each is an i18n key.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BusinessIdError {
    Format,
    CheckDigit,
}

impl BusinessIdError {
    pub(crate) fn key(self) -> &'static str {
        match self {
            BusinessIdError::Format => "customers.business_id_format",
            BusinessIdError::CheckDigit => "customers.business_id_check_digit",
        }
    }
}

const WEIGHTS: [u32; 7] = [7, 9, 10, 5, 8, 4, 2];

/// The check digit of seven digits, or `None` when no digit can be right (remainder 1).
fn check_digit(digits: &[u32; 7]) -> Option<u32> {
    let sum: u32 = digits.iter().zip(WEIGHTS).map(|(d, w)| d * w).sum();
    match sum % 11 {
        0 => Some(0),
        1 => None,
        r => Some(11 - r),
    }
}

impl BusinessId {
    /// Accepts the forms people type and normalises them: `0112038-9`, `112038-9` (an old
    /// six-digit ID), `01120389`, ` 0112038 - 9 `, and the VAT form `FI01120389`.
    pub fn parse(text: &str) -> Result<BusinessId, BusinessIdError> {
        let compact: String = text.chars().filter(|c| !c.is_whitespace()).collect();
        let compact = compact
            .strip_prefix("FI")
            .or_else(|| compact.strip_prefix("fi"))
            .unwrap_or(&compact)
            .to_string();
        // Only ASCII can be a business ID; checking first keeps the slicing below on
        // character boundaries whatever was typed.
        if !compact.is_ascii() {
            return Err(BusinessIdError::Format);
        }
        let (body, check) = match compact.split_once('-') {
            Some((body, check)) => (body.to_string(), check.to_string()),
            None if compact.len() == 8 => (compact[..7].to_string(), compact[7..].to_string()),
            None => return Err(BusinessIdError::Format),
        };
        let body = if body.len() == 6 {
            format!("0{body}")
        } else {
            body
        };
        let all_digits = |s: &str| !s.is_empty() && s.chars().all(|c| c.is_ascii_digit());
        if body.len() != 7 || check.len() != 1 || !all_digits(&body) || !all_digits(&check) {
            return Err(BusinessIdError::Format);
        }
        let mut digits = [0u32; 7];
        for (slot, c) in digits.iter_mut().zip(body.chars()) {
            *slot = c.to_digit(10).unwrap_or(0);
        }
        match check_digit(&digits) {
            Some(d) if Some(d) == check.chars().next().and_then(|c| c.to_digit(10)) => {
                Ok(BusinessId(format!("{body}-{check}")))
            }
            _ => Err(BusinessIdError::CheckDigit),
        }
    }

    /// Makes a valid ID from a seven-digit number (for demo data and tests); `None` when that
    /// number can have no check digit.
    pub(crate) fn from_number(n: u32) -> Option<BusinessId> {
        let body = format!("{:07}", n % 10_000_000);
        let mut digits = [0u32; 7];
        for (slot, c) in digits.iter_mut().zip(body.chars()) {
            *slot = c.to_digit(10).unwrap_or(0);
        }
        check_digit(&digits).map(|d| BusinessId(format!("{body}-{d}")))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for BusinessId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accepts_and_normalises_the_usual_forms() {
        for text in [
            "0112038-9",
            "112038-9",
            "01120389",
            " 0112038 - 9 ",
            "FI01120389",
            "fi0112038-9",
        ] {
            assert_eq!(
                BusinessId::parse(text).unwrap().as_str(),
                "0112038-9",
                "{text}"
            );
        }
        // Real IDs of Finnish companies.
        for id in ["1572860-0", "0109862-8", "2331972-7"] {
            assert_eq!(BusinessId::parse(id).unwrap().as_str(), id);
        }
    }

    #[test]
    fn rejects_business_id_with_wrong_check_digit() {
        assert_eq!(
            BusinessId::parse("0112038-8"),
            Err(BusinessIdError::CheckDigit)
        );
        assert_eq!(
            BusinessId::parse("1234567-8"),
            Err(BusinessIdError::CheckDigit)
        );
    }

    #[test]
    fn rejects_what_is_not_shaped_like_one() {
        for text in [
            "",
            "abc",
            "12345-6",
            "1234567-89",
            "123456789",
            "0112038-x",
            "0112O38-9",
            "ääää",
            "011203ä",
        ] {
            assert_eq!(
                BusinessId::parse(text),
                Err(BusinessIdError::Format),
                "{text}"
            );
        }
    }

    #[test]
    fn numbers_become_valid_ids_or_none() {
        let mut made = 0;
        for n in 1_000_000..1_000_100 {
            if let Some(id) = BusinessId::from_number(n) {
                assert_eq!(BusinessId::parse(id.as_str()).unwrap(), id);
                made += 1;
            }
        }
        assert!(made > 85, "about one in eleven numbers has no check digit");
    }
}

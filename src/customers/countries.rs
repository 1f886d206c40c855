//! The countries the customer form offers, stored as ISO 3166-1 alpha-2 codes and shown by
//! name (`country.FI` in the i18n files: Suomi / Finland). Finland first, then the rest by
//! name; every EU and Nordic country is here, with the trading partners a Finnish small
//! business meets most. A code not in the list (an old value, an import, the API) stays valid
//! and is shown as it is.

use crate::i18n::Lang;

/// The codes offered, Finland first.
pub(crate) const CODES: &[&str] = &[
    "FI", // The rest: EU, the other Nordic countries and Åland, then common partners.
    "AT", "BE", "BG", "CY", "CZ", "DE", "DK", "EE", "ES", "FR", "GR", "HR", "HU", "IE", "IT", "LT",
    "LU", "LV", "MT", "NL", "PL", "PT", "RO", "SE", "SI", "SK", // the EU
    "AX", "FO", "GL", "IS", "NO", // the Nordic ones outside the EU
    "AE", "AU", "BR", "CA", "CH", "CN", "GB", "HK", "IL", "IN", "JP", "KR", "LI", "MX", "NZ", "RU",
    "SG", "TR", "UA", "US", "ZA",
];

/// The i18n key of a country's name.
fn key(code: &str) -> String {
    format!("country.{code}")
}

/// The name of the country `code` in `lang`, or `None` when the list does not have it.
pub(crate) fn name(lang: Lang, code: &str) -> Option<&'static str> {
    CODES.contains(&code).then(|| lang.t(&key(code)))
}

/// The country as the card shows it: its name, or the stored value when it is not a code of
/// the list.
pub(crate) fn shown(lang: Lang, code: &str) -> String {
    name(lang, code).map_or_else(|| code.to_string(), str::to_string)
}

/// The form's choices as (code, name): Finland first, then by name in `lang`; `current`, when
/// it is not in the list, first of all, so an old value is kept and shown as it is.
pub(crate) fn options(lang: Lang, current: &str) -> Vec<(String, String)> {
    let mut rest: Vec<(String, String)> = CODES[1..]
        .iter()
        .map(|c| (c.to_string(), lang.t(&key(c)).to_string()))
        .collect();
    rest.sort_by_key(|(_, name)| sort_key(name));
    let mut all = Vec::with_capacity(CODES.len() + 1);
    if !current.is_empty() && !CODES.contains(&current) {
        all.push((current.to_string(), current.to_string()));
    }
    all.push(("FI".to_string(), lang.t("country.FI").to_string()));
    all.extend(rest);
    all
}

/// Sorts names as Finnish does: å, ä and ö after z (in that order), other accents as their
/// letter (`Itävalta` among the I's).
fn sort_key(name: &str) -> Vec<u32> {
    name.chars()
        .flat_map(char::to_lowercase)
        .map(|c| match c {
            'å' => 'z' as u32 + 1,
            'ä' => 'z' as u32 + 2,
            'ö' => 'z' as u32 + 3,
            'é' | 'è' => 'e' as u32,
            'š' => 's' as u32,
            'ü' => 'y' as u32,
            c => c as u32,
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_country_has_a_name_in_both_languages_and_finland_comes_first() {
        for lang in Lang::ALL {
            for code in CODES {
                let name = name(lang, code).unwrap();
                assert!(!name.starts_with('['), "{code} in {lang:?}");
            }
            assert_eq!(options(lang, "FI")[0].0, "FI");
        }
        assert_eq!(name(Lang::Fi, "SE"), Some("Ruotsi"));
        assert_eq!(name(Lang::En, "SE"), Some("Sweden"));
        let fi: Vec<String> = options(Lang::Fi, "FI").into_iter().map(|o| o.1).collect();
        let at = |n: &str| fi.iter().position(|x| x == n).unwrap();
        assert!(at("Islanti") < at("Itävalta") && at("Itävalta") < at("Japani"));
        let en: Vec<String> = options(Lang::En, "FI").into_iter().map(|o| o.1).collect();
        assert_eq!(en.last().map(String::as_str), Some("Åland"), "{en:?}");
    }

    #[test]
    fn an_unknown_code_is_kept_and_shown_as_it_is() {
        let options = options(Lang::Fi, "XK");
        assert_eq!(options[0], ("XK".to_string(), "XK".to_string()));
        assert_eq!(options[1].0, "FI");
        assert_eq!(shown(Lang::Fi, "XK"), "XK");
        assert_eq!(shown(Lang::En, "DE"), "Germany");
    }
}

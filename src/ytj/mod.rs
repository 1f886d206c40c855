//! The YTJ look-up: companies from the Finnish business register's open data API (PRH
//! avoindata, YTJ v3), by business ID or by name. The client here; the customer form's button
//! (`pages.rs`) and `GET /api/v1/ytj` (`api.rs`) use it.
//!
//! The register's base URL is the `ytj_url` setting, overridden by `--ytj-url` /
//! `MINICRM_YTJ_URL` (`Ctx::ytj_url`); empty turns the look-up off. A look-up waits at most
//! [`TIMEOUT`], so the form is never held up for long when the register is away.

pub(crate) mod api;
pub(crate) mod pages;

use std::time::Duration;

use serde::Serialize;
use serde_json::Value;

use crate::customers::business_id::BusinessId;
use crate::error::Error;

/// The longest a look-up waits for the register, connecting and reading together.
pub(crate) const TIMEOUT: Duration = Duration::from_secs(3);

/// The most matches a name search keeps.
pub(crate) const MAX_MATCHES: usize = 20;

/// The largest answer read from the register.
const MAX_ANSWER: u64 = 8 * 1024 * 1024;

/// A company as the look-up answers it: what fills the customer form.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub(crate) struct Company {
    pub business_id: String,
    pub name: String,
    pub company_form: String,
    pub street: String,
    pub postal_code: String,
    pub city: String,
    pub website: String,
}

/// What to look up.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Query {
    BusinessId(BusinessId),
    Name(String),
}

/// The look-up's failures that are not "nothing found": each is an i18n key for the message.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Failure {
    /// The look-up is turned off (no URL).
    Off,
    /// The register did not answer in time, refused, or answered something unreadable.
    Unreachable,
}

impl Failure {
    pub(crate) fn key(self) -> &'static str {
        match self {
            Failure::Off => "ytj.off",
            Failure::Unreachable => "ytj.offline",
        }
    }

    /// The error the API answers: 502 in the error shape.
    pub(crate) fn error(self) -> Error {
        Error::Upstream(self.key())
    }
}

/// Looks `query` up in the register at `base` (`…/opendata-ytj-api/v3`). Nothing found is an
/// empty list; a name search keeps at most [`MAX_MATCHES`].
pub(crate) fn lookup(base: &str, query: &Query) -> Result<Vec<Company>, Failure> {
    let url = request_url(base, query);
    let agent: ureq::Agent = ureq::Agent::config_builder()
        .http_status_as_error(false)
        .timeout_global(Some(TIMEOUT))
        .max_redirects(3)
        .user_agent(concat!("minicrm/", env!("CARGO_PKG_VERSION")))
        .build()
        .into();
    let mut resp = agent
        .get(&url)
        .header("Accept", "application/json")
        .call()
        .map_err(|e| {
            log::warn!("YTJ look-up {url}: {e}");
            Failure::Unreachable
        })?;
    let status = resp.status().as_u16();
    // The register answers an unknown business ID with 404 (or 200 and no companies).
    if status == 404 {
        return Ok(Vec::new());
    }
    if status != 200 {
        log::warn!("YTJ look-up {url}: status {status}");
        return Err(Failure::Unreachable);
    }
    let body = resp
        .body_mut()
        .with_config()
        .limit(MAX_ANSWER)
        .read_to_vec()
        .map_err(|e| {
            log::warn!("YTJ look-up {url}: {e}");
            Failure::Unreachable
        })?;
    let json: Value = serde_json::from_slice(&body).map_err(|e| {
        log::warn!("YTJ look-up {url}: not JSON: {e}");
        Failure::Unreachable
    })?;
    let mut companies = parse(&json);
    if let Query::BusinessId(id) = query {
        companies.retain(|c| c.business_id == id.as_str());
    }
    companies.truncate(MAX_MATCHES);
    Ok(companies)
}

/// What a query value keeps unencoded: letters, digits and `-._~`.
const QUERY_VALUE: &percent_encoding::AsciiSet = &percent_encoding::NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'.')
    .remove(b'_')
    .remove(b'~');

/// `{base}/companies?businessId=…` or `?name=…`.
fn request_url(base: &str, query: &Query) -> String {
    let (key, value) = match query {
        Query::BusinessId(id) => ("businessId", id.as_str()),
        Query::Name(name) => ("name", name.as_str()),
    };
    let value = percent_encoding::utf8_percent_encode(value, QUERY_VALUE);
    format!("{}/companies?{key}={value}", base.trim_end_matches('/'))
}

/// The companies of a v3 answer: `{"totalResults", "companies": [...]}`.
pub(crate) fn parse(json: &Value) -> Vec<Company> {
    json["companies"]
        .as_array()
        .map(|all| all.iter().filter_map(company).collect())
        .unwrap_or_default()
}

fn text(v: &Value) -> &str {
    v.as_str().unwrap_or("").trim()
}

/// Whether an entry is current: no end date.
fn current(v: &Value) -> bool {
    v["endDate"].is_null() || text(&v["endDate"]).is_empty()
}

/// Types come as `"1"` or `1`.
fn type_is(v: &Value, wanted: i64) -> bool {
    v["type"].as_i64() == Some(wanted) || text(&v["type"]) == wanted.to_string()
}

/// The Finnish entry (`languageCode` 1) of a list, else the first.
fn finnish<'v>(list: &'v Value, field: &str) -> &'v str {
    let items = list.as_array().map(Vec::as_slice).unwrap_or(&[]);
    items
        .iter()
        .find(|d| text(&d["languageCode"]) == "1" || d["languageCode"].as_i64() == Some(1))
        .or_else(|| items.first())
        .map(|d| text(&d[field]))
        .unwrap_or("")
}

fn company(c: &Value) -> Option<Company> {
    let business_id = text(&c["businessId"]["value"]).to_string();
    if business_id.is_empty() {
        return None;
    }
    let names = c["names"].as_array().map(Vec::as_slice).unwrap_or(&[]);
    // The official name (type 1) in force; else any name in force; else the first.
    let name = names
        .iter()
        .find(|n| type_is(n, 1) && current(n))
        .or_else(|| names.iter().find(|n| current(n)))
        .or_else(|| names.first())
        .map(|n| text(&n["name"]).to_string())
        .unwrap_or_default();
    let forms = c["companyForms"]
        .as_array()
        .map(Vec::as_slice)
        .unwrap_or(&[]);
    let company_form = forms
        .iter()
        .find(|f| current(f))
        .or_else(|| forms.first())
        .map(|f| finnish(&f["descriptions"], "description").to_string())
        .unwrap_or_default();
    let addresses = c["addresses"].as_array().map(Vec::as_slice).unwrap_or(&[]);
    // The street address (type 1), else the postal address (type 2).
    let address = addresses
        .iter()
        .find(|a| type_is(a, 1))
        .or_else(|| addresses.iter().find(|a| type_is(a, 2)))
        .or_else(|| addresses.first());
    let (street, postal_code, city) = match address {
        Some(a) => (
            street_of(a),
            text(&a["postCode"]).to_string(),
            title_case(finnish(&a["postOffices"], "city")),
        ),
        None => Default::default(),
    };
    Some(Company {
        business_id,
        name,
        company_form,
        street,
        postal_code,
        city,
        website: text(&c["website"]["url"]).to_string(),
    })
}

/// "Katu 1 B 5", or "PL 123" for a post office box.
fn street_of(a: &Value) -> String {
    let apartment = format!(
        "{}{}",
        text(&a["apartmentNumber"]),
        text(&a["apartmentIdSuffix"])
    );
    let parts = [
        text(&a["street"]),
        text(&a["buildingNumber"]),
        text(&a["entrance"]),
        apartment.as_str(),
    ];
    let street = parts
        .iter()
        .filter(|p| !p.is_empty())
        .copied()
        .collect::<Vec<_>>()
        .join(" ");
    if street.is_empty() && !text(&a["postOfficeBox"]).is_empty() {
        format!("PL {}", text(&a["postOfficeBox"]))
    } else {
        street
    }
}

/// "HELSINKI" → "Helsinki", "KOSKI TL" stays readable as "Koski Tl"; mixed case is kept.
fn title_case(city: &str) -> String {
    if city.chars().any(char::is_lowercase) {
        return city.to_string();
    }
    let mut out = String::with_capacity(city.len());
    let mut start = true;
    for ch in city.chars() {
        if start {
            out.extend(ch.to_uppercase());
        } else {
            out.extend(ch.to_lowercase());
        }
        start = !ch.is_alphabetic();
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn a_v3_answer_gives_the_official_name_the_street_address_and_the_finnish_texts() {
        let answer = json!({"totalResults": 1, "companies": [{
            "businessId": {"value": "0112038-9", "registrationDate": "1978-03-15"},
            "website": {"url": "www.nokia.com"},
            "names": [
                {"name": "Vanha Nimi Oy", "type": "1", "endDate": "2001-01-01"},
                {"name": "Aputoiminimi", "type": "3", "endDate": null},
                {"name": "Nokia Oyj", "type": "1", "endDate": null}
            ],
            "companyForms": [{"type": "17", "descriptions": [
                {"languageCode": "3", "description": "Public limited company"},
                {"languageCode": "1", "description": "Julkinen osakeyhtiö"}
            ], "endDate": null}],
            "addresses": [
                {"type": 2, "postOfficeBox": "226", "postCode": "00045", "postOffices": [{"city": "NOKIA GROUP", "languageCode": "1"}]},
                {"type": 1, "street": "Karakaari", "buildingNumber": "7", "entrance": "", "postCode": "02610",
                 "postOffices": [{"city": "ESBO", "languageCode": "2"}, {"city": "ESPOO", "languageCode": "1"}]}
            ]
        }]});
        assert_eq!(
            parse(&answer),
            [Company {
                business_id: "0112038-9".into(),
                name: "Nokia Oyj".into(),
                company_form: "Julkinen osakeyhtiö".into(),
                street: "Karakaari 7".into(),
                postal_code: "02610".into(),
                city: "Espoo".into(),
                website: "www.nokia.com".into(),
            }]
        );
    }

    #[test]
    fn missing_parts_are_empty_and_a_post_office_box_is_the_street() {
        let answer = json!({"companies": [
            {"businessId": {"value": "1234567-1"}, "names": [{"name": "Pieni Oy", "type": 1}],
             "addresses": [{"type": "2", "postOfficeBox": "12", "postCode": "33101", "postOffices": [{"city": "TAMPERE"}]}]},
            {"names": [{"name": "No id"}]}
        ]});
        let got = parse(&answer);
        assert_eq!(got.len(), 1);
        assert_eq!(got[0].name, "Pieni Oy");
        assert_eq!(got[0].street, "PL 12");
        assert_eq!(got[0].city, "Tampere");
        assert_eq!(got[0].company_form, "");
        assert!(parse(&json!({"totalResults": 0})).is_empty());
    }

    #[test]
    fn the_request_names_the_business_id_or_the_encoded_name() {
        let id = Query::BusinessId(BusinessId::parse("0112038-9").unwrap());
        assert_eq!(
            request_url("http://x/v3/", &id),
            "http://x/v3/companies?businessId=0112038-9"
        );
        assert_eq!(
            request_url("http://x/v3", &Query::Name("Ä & B".into())),
            "http://x/v3/companies?name=%C3%84%20%26%20B"
        );
    }

    #[test]
    fn city_names_in_capitals_are_title_cased() {
        assert_eq!(title_case("HELSINKI"), "Helsinki");
        assert_eq!(title_case("KOSKI TL"), "Koski Tl");
        assert_eq!(title_case("Pedersören kunta"), "Pedersören kunta");
    }
}

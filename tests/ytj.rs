//! The business register (YTJ) look-up: the customer form's "Hae YTJ:stä" button and
//! `GET /api/v1/ytj`, against a small register on loopback that answers in the real API's (PRH
//! avoindata, YTJ v3) shape.

mod common;

use std::io::{BufRead, BufReader, Write};
use std::net::TcpListener;

use common::{Client, Response, TestServer, ADMIN_PASSWORD};
use serde_json::{json, Value};

fn company(
    id: &str,
    name: &str,
    form: &str,
    street: &str,
    number: &str,
    code: &str,
    city: &str,
) -> Value {
    json!({
        "businessId": {"value": id, "registrationDate": "1990-01-01", "source": "3"},
        "euId": {"value": format!("FI{}", id.replace('-', "")), "source": "1"},
        "names": [
            {"name": format!("{name} (vanha)"), "type": "1", "registrationDate": "1990-01-01", "endDate": "2000-01-01", "version": 2, "source": "1"},
            {"name": name, "type": "1", "registrationDate": "2000-01-01", "endDate": null, "version": 1, "source": "1"}
        ],
        "mainBusinessLine": {"type": "62010", "descriptions": [{"languageCode": "1", "description": "Ohjelmistojen suunnittelu"}]},
        "companyForms": [{"type": "16", "descriptions": [
            {"languageCode": "3", "description": "Limited company"},
            {"languageCode": "1", "description": form},
            {"languageCode": "2", "description": "Aktiebolag"}
        ], "registrationDate": "1990-01-01", "version": 1, "source": "1"}],
        "addresses": [
            {"type": 2, "street": "", "postCode": "00101", "postOfficeBox": "99", "postOffices": [{"city": "HELSINKI", "languageCode": "1", "municipalityCode": "091"}], "registrationDate": "2000-01-01", "source": "0"},
            {"type": 1, "street": street, "buildingNumber": number, "entrance": "", "apartmentNumber": "", "apartmentIdSuffix": "", "postCode": code,
             "postOffices": [{"city": city.to_uppercase(), "languageCode": "1", "municipalityCode": "091"}, {"city": "HELSINGFORS", "languageCode": "2", "municipalityCode": "091"}],
             "registrationDate": "2000-01-01", "source": "0"}
        ],
        "tradeRegisterStatus": "1",
        "status": "2",
        "registrationDate": "1990-01-01",
        "lastModified": "2024-01-01T00:00:00"
    })
}

/// What the register knows: one company by business ID, two by the name "Esimerkki".
fn answer_for(query: &str) -> (u16, Value) {
    let params: Vec<(String, String)> = serde_urlencoded::from_str(query).unwrap();
    let get = |k: &str| params.iter().find(|(n, _)| n == k).map(|(_, v)| v.as_str());
    let nokia = company(
        "0112038-9",
        "Nokia Oyj",
        "Julkinen osakeyhtiö",
        "Karakaari",
        "7",
        "02610",
        "Espoo",
    );
    let first = company(
        "1234567-1",
        "Esimerkki Oy",
        "Osakeyhtiö",
        "Mannerheimintie",
        "1",
        "00100",
        "Helsinki",
    );
    let mut second = company(
        "2345678-0",
        "Esimerkki ja Poika Ky",
        "Kommandiittiyhtiö",
        "Hämeenkatu",
        "3",
        "33100",
        "Tampere",
    );
    second["website"] =
        json!({"url": "www.esimerkki.fi", "registrationDate": "2001-01-01", "source": "0"});
    let found = |list: Vec<Value>| (200, json!({"totalResults": list.len(), "companies": list}));
    match (get("businessId"), get("name")) {
        (Some("0112038-9"), _) => found(vec![nokia]),
        (Some("1234567-1"), _) => found(vec![first]),
        (Some("2345678-0"), _) => found(vec![second]),
        (Some(_), _) => (
            404,
            json!({"message": "No companies found", "timestamp": "2024-01-01T00:00:00", "errorcode": 404}),
        ),
        (None, Some("Esimerkki")) => found(vec![first, second]),
        _ => found(vec![]),
    }
}

/// A register on loopback answering `/v3/companies?…` as the real one does; its base URL.
fn fake_register() -> String {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    std::thread::spawn(move || {
        for stream in listener.incoming() {
            let Ok(mut stream) = stream else { continue };
            let mut reader = BufReader::new(stream.try_clone().unwrap());
            let mut line = String::new();
            reader.read_line(&mut line).unwrap();
            loop {
                let mut header = String::new();
                if reader.read_line(&mut header).unwrap() == 0 || header == "\r\n" {
                    break;
                }
            }
            let target = line.split(' ').nth(1).unwrap_or("");
            let (path, query) = target.split_once('?').unwrap_or((target, ""));
            let (status, body) = if path == "/opendata-ytj-api/v3/companies" {
                answer_for(query)
            } else {
                (404, json!({"message": "no such path"}))
            };
            let body = body.to_string();
            let _ = write!(
                stream,
                "HTTP/1.1 {status} X\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
                body.len()
            );
        }
    });
    format!("http://{addr}/opendata-ytj-api/v3")
}

/// A base URL where nothing answers: a port that was free a moment ago.
fn register_down() -> String {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    drop(listener);
    format!("http://{addr}/opendata-ytj-api/v3")
}

fn server_with(url: String) -> (TestServer, Client) {
    let server = TestServer::start_with(|c| c.ytj_url = Some(url));
    let admin = server.client();
    admin.setup("Testi Oy", "fi", "admin", ADMIN_PASSWORD);
    (server, admin)
}

/// An API token of the admin, from the account page (shown once, on the answer or the page
/// it leads to).
fn new_token(admin: &Client) -> String {
    let mut resp = admin.post_form("/account", "/account/tokens", &[("name", "ytj")]);
    if resp.status == 303 {
        resp = admin.get(resp.location());
    }
    resp.body
        .split("id=\"new-token\">")
        .nth(1)
        .unwrap_or_else(|| panic!("no token in {}", resp.body))
        .split('<')
        .next()
        .unwrap()
        .to_string()
}

fn api(server: &TestServer, token: &str, query: &str) -> Response {
    server
        .client()
        .api("GET", &format!("/api/v1/ytj?{query}"), Some(token), None)
}

/// The value of the form's input `name`.
fn value_of(page: &Response, name: &str) -> String {
    let marker = format!(" name=\"{name}\" type=\"");
    let at = page
        .body
        .find(&marker)
        .unwrap_or_else(|| panic!("no field {name} in {}", page.body));
    let rest = &page.body[at..];
    let rest = &rest[rest.find("value=\"").unwrap() + "value=\"".len()..];
    rest[..rest.find('"').unwrap()].to_string()
}

/// Posts the new-customer form's fields to the look-up, as its button does.
fn look_up(admin: &Client, fields: &[(&str, &str)]) -> Response {
    let mut all = vec![("ytj", "1"), ("country", "FI")];
    all.extend_from_slice(fields);
    admin.post_form("/customers/new", "/customers/ytj", &all)
}

#[test]
fn the_api_finds_a_company_by_business_id_and_by_name() {
    let (server, admin) = server_with(fake_register());
    let token = new_token(&admin);
    let one = api(&server, &token, "business_id=0112038-9");
    assert_eq!(one.status, 200, "{}", one.body);
    assert_eq!(
        one.json(),
        json!({"items": [{"business_id": "0112038-9", "name": "Nokia Oyj", "company_form": "Julkinen osakeyhtiö",
            "street": "Karakaari 7", "postal_code": "02610", "city": "Espoo", "website": ""}]})
    );
    // The forms people type are understood.
    let typed = api(&server, &token, "business_id=FI01120389");
    assert_eq!(typed.json()["items"][0]["name"], "Nokia Oyj");
    let two = api(&server, &token, "name=Esimerkki").json();
    let names: Vec<&str> = two["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["name"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["Esimerkki Oy", "Esimerkki ja Poika Ky"]);
    assert_eq!(two["items"][1]["website"], "www.esimerkki.fi");
    assert_eq!(two["items"][1]["city"], "Tampere");
    // Nothing found is an empty list, by ID (the register's 404) and by name.
    assert_eq!(
        api(&server, &token, "business_id=7654321-2").json(),
        json!({"items": []})
    );
    assert_eq!(
        api(&server, &token, "name=Ei%20ole").json(),
        json!({"items": []})
    );
    // Bad questions.
    assert_eq!(api(&server, &token, "").status, 400);
    let bad = api(&server, &token, "business_id=1234567-8");
    assert_eq!(bad.status, 422);
    assert!(bad.json()["error"]["fields"]["business_id"].is_string());
}

#[test]
fn the_api_answers_502_in_the_error_shape_when_the_register_is_down_or_off() {
    let (server, admin) = server_with(register_down());
    let token = new_token(&admin);
    for query in ["business_id=0112038-9", "name=Esimerkki"] {
        let resp = api(&server, &token, query);
        assert_eq!(resp.status, 502, "{}", resp.body);
        assert!(resp
            .header("content-type")
            .unwrap()
            .starts_with("application/json"));
        let error = &resp.json()["error"];
        assert_eq!(error["code"], "bad_gateway");
        assert!(
            error["message"]
                .as_str()
                .unwrap()
                .contains("could not be reached"),
            "{error}"
        );
    }
    drop(server);
    let (off, admin) = server_with(String::new());
    let resp = api(&off, &new_token(&admin), "business_id=0112038-9");
    assert_eq!(resp.status, 502);
    assert!(resp.json()["error"]["message"]
        .as_str()
        .unwrap()
        .contains("turned off"));
}

#[test]
fn the_form_is_filled_by_business_id_keeping_the_rest_of_the_input() {
    let (_server, admin) = server_with(fake_register());
    let form = admin.get("/customers/new");
    assert!(form.body.contains("Hae YTJ:stä"), "{}", form.body);
    assert!(form.body.contains("formaction=\"/customers/ytj\""));
    let page = look_up(
        &admin,
        &[
            ("name", "nokia"),
            ("business_id", "0112038-9"),
            ("email", "info@nokia.com"),
            ("notes", "Tärkeä"),
        ],
    );
    assert_eq!(page.status, 200, "{}", page.body);
    assert_eq!(value_of(&page, "name"), "Nokia Oyj");
    assert_eq!(value_of(&page, "street"), "Karakaari 7");
    assert_eq!(value_of(&page, "postal_code"), "02610");
    assert_eq!(value_of(&page, "city"), "Espoo");
    assert_eq!(value_of(&page, "email"), "info@nokia.com");
    assert!(page.body.contains("Tärkeä"));
    // The company form is told, not stored: customers have no field for it.
    assert!(page.body.contains("Nokia Oyj (Julkinen osakeyhtiö)"));
    // Nothing was saved: the form posts to the add route as before.
    assert!(page.body.contains("action=\"/customers/new\""));
    assert!(!admin.get("/customers").body.contains("Nokia Oyj"));
}

#[test]
fn a_name_search_offers_the_matches_and_a_pick_fills_the_form() {
    let (_server, admin) = server_with(fake_register());
    let page = look_up(&admin, &[("name", "Esimerkki"), ("phone", "040 123")]);
    assert_eq!(page.status, 200, "{}", page.body);
    assert!(
        page.body.contains("name=\"ytj_pick\" value=\"1234567-1\""),
        "{}",
        page.body
    );
    assert!(page.body.contains("name=\"ytj_pick\" value=\"2345678-0\""));
    assert!(page.body.contains("Esimerkki ja Poika Ky"));
    assert_eq!(value_of(&page, "name"), "Esimerkki");
    assert_eq!(value_of(&page, "phone"), "040 123");
    let picked = look_up(
        &admin,
        &[
            ("name", "Esimerkki"),
            ("phone", "040 123"),
            ("ytj_pick", "2345678-0"),
        ],
    );
    assert_eq!(picked.status, 200, "{}", picked.body);
    assert_eq!(value_of(&picked, "name"), "Esimerkki ja Poika Ky");
    assert_eq!(value_of(&picked, "business_id"), "2345678-0");
    assert_eq!(value_of(&picked, "city"), "Tampere");
    assert_eq!(value_of(&picked, "website"), "www.esimerkki.fi");
    assert_eq!(value_of(&picked, "phone"), "040 123");
    assert!(!picked.body.contains("ytj_pick"));
}

#[test]
fn not_found_and_a_register_that_is_down_leave_the_input_with_a_message_at_the_field() {
    let (_server, admin) = server_with(fake_register());
    let page = look_up(
        &admin,
        &[("name", "Oma nimi"), ("business_id", "7654321-2")],
    );
    assert_eq!(page.status, 200, "{}", page.body);
    assert!(
        page.body.contains("id=\"f-business_id-error\""),
        "{}",
        page.body
    );
    assert!(page.body.contains("YTJ:stä ei löytynyt"));
    assert_eq!(value_of(&page, "name"), "Oma nimi");
    let nothing = look_up(&admin, &[("name", "Ei ole")]);
    assert!(
        nothing.body.contains("id=\"f-name-error\""),
        "{}",
        nothing.body
    );
    let empty = look_up(&admin, &[]);
    assert!(empty.body.contains("Kirjoita haettava"), "{}", empty.body);

    let (_down, admin) = server_with(register_down());
    let page = look_up(
        &admin,
        &[
            ("name", "Oma nimi"),
            ("business_id", "0112038-9"),
            ("email", "a@b.fi"),
        ],
    );
    assert_eq!(page.status, 200, "{}", page.body);
    assert!(
        page.body.contains("YTJ:hen ei juuri nyt saatu yhteyttä"),
        "{}",
        page.body
    );
    assert!(page.body.contains("id=\"f-business_id-error\""));
    assert_eq!(value_of(&page, "name"), "Oma nimi");
    assert_eq!(value_of(&page, "business_id"), "0112038-9");
    assert_eq!(value_of(&page, "email"), "a@b.fi");
}

#[test]
fn the_edit_form_looks_up_too_and_an_empty_url_turns_the_button_off() {
    let (_server, admin) = server_with(fake_register());
    let created = admin.post_form(
        "/customers/new",
        "/customers/new",
        &[("name", "Vanha nimi"), ("country", "FI")],
    );
    assert_eq!(created.status, 303, "{}", created.body);
    let card = created.location().to_string();
    let edit = admin.get(&format!("{card}/edit"));
    assert!(
        edit.body.contains(&format!("formaction=\"{card}/ytj\"")),
        "{}",
        edit.body
    );
    let page = admin.post_form(
        &format!("{card}/edit"),
        &format!("{card}/ytj"),
        &[("name", "Vanha nimi"), ("business_id", "0112038-9")],
    );
    assert_eq!(page.status, 200, "{}", page.body);
    assert_eq!(value_of(&page, "name"), "Nokia Oyj");
    assert!(page.body.contains(&format!("action=\"{card}/edit\"")));
    // Saved, the card links the e-mail, phone and website.
    let saved = admin.post_form(
        &format!("{card}/edit"),
        &format!("{card}/edit"),
        &[
            ("name", "Nokia Oyj"),
            ("country", "FI"),
            ("email", "info@nokia.com"),
            ("phone", "010 44 88 000"),
            ("website", "www.nokia.com"),
        ],
    );
    assert_eq!(saved.status, 303, "{}", saved.body);
    let shown = admin.get(&card).body;
    assert!(shown.contains("href=\"mailto:info@nokia.com\""), "{shown}");
    assert!(shown.contains("href=\"tel:0104488000\""));
    assert!(shown.contains("href=\"https://www.nokia.com\""));

    let (_off, admin) = server_with(String::new());
    assert!(!admin.get("/customers/new").body.contains("Hae YTJ:stä"));
}

//! The customer log over real HTTP: sentences in the reader's language, the search's
//! semantics (prefixes, phrases, AND/OR/NOT, accents, highlights, bad queries), the filters and
//! paging, the cards' Log tab, and entries recorded by hand and through the API.

mod common;

use serde_json::{json, Value};

use common::page::{events, field_error, input_value};
use common::*;

fn token(client: &Client) -> String {
    make_api_token(client, "loki")
}

struct Setup {
    _server: TestServer,
    admin: Client,
    token: String,
}

impl Setup {
    fn new() -> Setup {
        let (server, admin) = TestServer::with_admin();
        let token = token(&admin);
        Setup {
            _server: server,
            admin,
            token,
        }
    }

    fn call(&self, method: &str, path: &str, body: Option<Value>) -> Response {
        let body = body.map(|b| b.to_string());
        self.admin.api(
            method,
            &format!("/api/v1{path}"),
            Some(&self.token),
            body.as_deref(),
        )
    }

    fn post(&self, path: &str, body: Value) -> Value {
        let resp = self.call("POST", path, Some(body));
        assert_eq!(resp.status, 201, "{}", resp.body);
        resp.json()
    }

    /// The summaries of `GET /events?{query}`, newest first.
    fn found(&self, query: &str) -> Vec<String> {
        let resp = self.call("GET", &format!("/events?{query}"), None);
        assert_eq!(resp.status, 200, "{query}: {}", resp.body);
        resp.json()["items"]
            .as_array()
            .unwrap()
            .iter()
            .map(|e| e["summary"].as_str().unwrap().to_string())
            .collect()
    }

    fn note(&self, kind: &str, text: &str, customer: Option<i64>, contact: Option<i64>) -> i64 {
        self.post(
            "/events",
            json!({"kind": kind, "summary": text, "customer_id": customer, "contact_id": contact}),
        )["id"]
            .as_i64()
            .unwrap()
    }
}

fn q(text: &str) -> String {
    serde_urlencoded::to_string([("q", text)]).unwrap()
}

#[test]
fn events_read_in_the_readers_language_and_are_found_in_either() {
    let s = Setup::new();
    let c = s.post("/customers", json!({"name": "Järvinen Oy"}));
    let id = c["id"].as_i64().unwrap();
    // The company (and so the admin) reads Finnish.
    let log = s.admin.get("/log");
    let finnish = events(&log.body);
    assert!(
        finnish
            .iter()
            .any(|(_, text)| text.contains("Järvinen Oy") && text.contains("lisättiin")),
        "{finnish:?}"
    );
    // Who did it, and a link to the customer.
    assert!(log.body.contains("Aino Admin"), "{}", log.body);
    assert!(log
        .body
        .contains(&format!("href=\"/customers/{id}\">Järvinen Oy</a>")));
    // The same event for an English reader.
    let resp = s
        .admin
        .post_form("/account", "/account/language", &[("language", "en")]);
    assert_eq!(resp.status, 303, "{}", resp.body);
    let english = events(&s.admin.get("/log").body);
    assert!(
        english.iter().any(|(kind, text)| kind == "Customer added"
            && text == "Customer Järvinen Oy (1001) was added."),
        "{english:?}"
    );
    // Words of either language find it, as do the names without their accents.
    for words in ["added oy", "lisättiin oy", "lisattiin oy", "jarvinen"] {
        assert_eq!(
            s.found(&q(words)).len(),
            1,
            "{words}: {:?}",
            s.found(&q(words))
        );
    }
    // The API names the event in the caller's language (the token's user: English now).
    assert_eq!(
        s.found("kind=customer.created"),
        ["Customer Järvinen Oy (1001) was added."]
    );
}

#[test]
fn the_search_takes_prefixes_phrases_and_operators() {
    let s = Setup::new();
    let c = s.post("/customers", json!({"name": "Asiakaspalvelu Heino"}))["id"]
        .as_i64()
        .unwrap();
    s.note("note", "Avoin tarjous lähetetty", Some(c), None);
    s.note(
        "note",
        "Tarjous hyväksytty, avoin kysymys toimituksesta",
        Some(c),
        None,
    );
    s.note("call", "Soitto maksusta", Some(c), None);
    let found = |text: &str| s.found(&format!("{}&kind=", q(text)));
    assert_eq!(found("\"avoin tarjous\""), ["Avoin tarjous lähetetty"]);
    assert_eq!(found("tarjous NOT lähetetty").len(), 1);
    assert_eq!(
        found("tarjous NOT lähetetty")[0],
        "Tarjous hyväksytty, avoin kysymys toimituksesta"
    );
    assert_eq!(found("hyväksytty OR soitto").len(), 2);
    assert_eq!(
        found("(hyväksytty OR soitto) AND maksusta"),
        ["Soitto maksusta"]
    );
    // Prefixes, with or without the star; accents and case do not matter.
    assert_eq!(found("lahet*"), ["Avoin tarjous lähetetty"]);
    assert_eq!(
        found("HYVAKS"),
        ["Tarjous hyväksytty, avoin kysymys toimituksesta"]
    );
    // The customer's name finds its events (the three notes and its creation).
    assert_eq!(found("asiak*").len(), 4);
    // The page marks what matched.
    let page = s.admin.get(&format!("/log?{}", q("tarjous")));
    assert!(page.body.contains("<mark>tarjous</mark>"), "{}", page.body);
    assert!(page.body.contains("<mark>Tarjous</mark>"), "{}", page.body);
}

#[test]
fn any_text_in_the_search_box_is_safe() {
    let s = Setup::new();
    s.note("note", "Avoin asia", None, None);
    let long = "a".repeat(5000);
    for text in [
        "\"avoin", "AND OR", "NEAR(", "*", "\"", "(", "avoin OR", "NOT", "-", "a:b", "{x}",
    ] {
        let api = s.call("GET", &format!("/events?{}", q(text)), None);
        assert_eq!(api.status, 200, "{text}: {}", api.body);
        let page = s.admin.get(&format!("/log?{}", q(text)));
        assert_eq!(page.status, 200, "{text}: {}", page.body);
    }
    // Read as plain words, and the page says so.
    let page = s.admin.get(&format!("/log?{}", q("\"avoin")));
    assert!(page.body.contains("class=\"notice\""), "{}", page.body);
    assert_eq!(events(&page.body).len(), 1);
    // Too long: the API says so with a 400, the page at the field with the text kept.
    let api = s.call("GET", &format!("/events?{}", q(&long)), None);
    assert_eq!(api.status, 400, "{}", api.body);
    assert_eq!(api.json()["error"]["code"], "bad_request");
    let page = s.admin.get(&format!("/log?{}", q(&long)));
    assert_eq!(page.status, 422);
    assert!(field_error(&page.body, "q").is_some(), "{}", page.body);
    assert_eq!(input_value(&page.body, "q"), long);
    // Bad filters: 400 from the API, a message at the field on the page.
    for bad in [
        "kind=customer.exploded",
        "customer_id=x",
        "from=eilen",
        "include_contacts=maybe",
        "after=x",
    ] {
        let api = s.call("GET", &format!("/events?{bad}"), None);
        assert_eq!(api.status, 400, "{bad}: {}", api.body);
    }
    let page = s.admin.get("/log?from=eilen&kind=nope&customer=9999");
    assert_eq!(page.status, 422);
    for field in ["from", "customer"] {
        assert!(
            field_error(&page.body, field).is_some(),
            "{field}: {}",
            page.body
        );
    }
}

/// Today in the company's time zone (Europe/Helsinki by default), as the log's date filter
/// takes it; from 22:00 UTC in winter it is already tomorrow there.
fn helsinki_today() -> String {
    chrono::Utc::now()
        .with_timezone(&chrono_tz::Europe::Helsinki)
        .format("%Y-%m-%d")
        .to_string()
}

#[test]
fn filters_narrow_the_log_and_pages_go_by_position() {
    let s = Setup::new();
    // The date filter below asks from this day to the day it runs on, so a run across
    // midnight still finds the entries made in between.
    let first_day = helsinki_today();
    let a = s.post("/customers", json!({"name": "Alfa Oy"}))["id"]
        .as_i64()
        .unwrap();
    let b = s.post("/customers", json!({"name": "Beta Oy"}))["id"]
        .as_i64()
        .unwrap();
    let p = s.post(
        "/contacts",
        json!({"first_name": "Pia", "last_name": "Pelto", "customers": [{"customer_id": a, "role": "CEO"}]}),
    )["id"]
        .as_i64()
        .unwrap();
    s.note("call", "Soitto Pialle", None, Some(p));
    s.note("note", "Alfan muistio", Some(a), None);
    s.note("note", "Betan muistio", Some(b), None);
    let only_a = s.found(&format!("customer_id={a}&kind="));
    assert!(only_a.iter().any(|t| t == "Alfan muistio"));
    assert!(!only_a.iter().any(|t| t == "Soitto Pialle"));
    assert!(!only_a.iter().any(|t| t.contains("Beta")));
    let with_contacts = s.found(&format!("customer_id={a}&include_contacts=true"));
    assert!(
        with_contacts.iter().any(|t| t == "Soitto Pialle"),
        "{with_contacts:?}"
    );
    assert_eq!(
        s.found(&format!("contact_id={p}&kind=call")),
        ["Soitto Pialle"]
    );
    assert_eq!(
        s.found(&format!(
            "customer_id={a}&include_contacts=true&{}",
            q("soitto")
        )),
        ["Soitto Pialle"]
    );
    assert_eq!(
        s.found(&format!("customer_id={b}&{}", q("muistio"))),
        ["Betan muistio"]
    );
    let me = s.call("GET", "/me", None).json()["id"].as_i64().unwrap();
    assert_eq!(s.found(&format!("user_id={me}&kind=note")).len(), 2);
    assert!(s.found(&format!("user_id={}", me + 100)).is_empty());
    // Dates: today has them all, yesterday none; an entry recorded at an earlier time is found
    // on its day.
    assert!(
        s.found(&format!("from={first_day}&to={}", helsinki_today()))
            .len()
            >= 6
    );
    s.post(
        "/events",
        json!({"kind": "meeting", "summary": "Vanha tapaaminen", "at": "2020-02-03T10:00:00Z"}),
    );
    assert_eq!(
        s.found("from=2020-02-03&to=2020-02-03"),
        ["Vanha tapaaminen"]
    );
    assert!(s.found("from=2020-02-04&to=2020-02-05").is_empty());
    // Pages by position, as the page's links do.
    for i in 0..7 {
        s.note("note", &format!("Sivutus {i}"), Some(b), None);
    }
    let mut seen = Vec::new();
    let mut after = String::new();
    loop {
        let resp = s.call(
            "GET",
            &format!("/events?customer_id={b}&limit=3{after}"),
            None,
        );
        let page = resp.json();
        seen.extend(
            page["items"]
                .as_array()
                .unwrap()
                .iter()
                .map(|e| e["id"].as_i64().unwrap()),
        );
        match page["next_after"].as_str() {
            Some(id) => after = format!("&after={id}"),
            None => break,
        }
    }
    assert_eq!(seen.len(), 9, "{seen:?}");
    assert!(seen.windows(2).all(|w| w[0] > w[1]));
    // The page's own next link goes by position too.
    let log = s.admin.get(&format!("/log?customer={}&limit=3", "1002"));
    assert_eq!(events(&log.body).len(), 3);
    assert!(log.body.contains("rel=\"next\""), "{}", log.body);
}

#[test]
fn the_cards_log_tab_is_the_log_narrowed_to_the_card() {
    let s = Setup::new();
    let a = s.post("/customers", json!({"name": "Alfa Oy"}))["id"]
        .as_i64()
        .unwrap();
    let b = s.post("/customers", json!({"name": "Beta Oy"}))["id"]
        .as_i64()
        .unwrap();
    let p = s.post(
        "/contacts",
        json!({"first_name": "Pia", "last_name": "Pelto", "customers": [{"customer_id": a}]}),
    )["id"]
        .as_i64()
        .unwrap();
    s.note("call", "Soitto Pialle", None, Some(p));
    s.note("note", "Betan muistio", Some(b), None);
    let card = s.admin.get(&format!("/customers/{a}?tab=log"));
    assert_eq!(card.status, 200);
    let texts: Vec<String> = events(&card.body).into_iter().map(|e| e.1).collect();
    assert!(texts.iter().any(|t| t.contains("Alfa Oy")), "{texts:?}");
    assert!(!texts.iter().any(|t| t.contains("Beta")), "{texts:?}");
    assert!(!texts.iter().any(|t| t == "Soitto Pialle"), "{texts:?}");
    let with = s.admin.get(&format!(
        "/customers/{a}?tab=log&include_contacts=on&q=soitto"
    ));
    let texts: Vec<String> = events(&with.body).into_iter().map(|e| e.1).collect();
    assert_eq!(texts, ["<mark>Soitto</mark> Pialle"]);
    let contact = s.admin.get(&format!("/contacts/{p}?tab=log&kind=call"));
    let texts: Vec<String> = events(&contact.body).into_iter().map(|e| e.1).collect();
    assert_eq!(texts, ["Soitto Pialle"]);
    // The search form stays on the card's tab.
    assert!(contact.body.contains("name=\"tab\" value=\"log\""));
}

#[test]
fn entries_are_recorded_from_the_page_and_come_back_when_rejected() {
    let s = Setup::new();
    let a = s.post("/customers", json!({"name": "Alfa Oy"}))["id"]
        .as_i64()
        .unwrap();
    let card = format!("/customers/{a}?tab=log");
    let back = card.clone();
    let a_text = a.to_string();
    // Rejected: no amount on an invoice, a bad time; the input comes back at its fields.
    let resp = s.admin.post_form(
        &card,
        "/log/new",
        &[
            ("kind", "invoice"),
            ("customer_id", &a_text),
            ("at", "eilen"),
            ("summary", "Lasku lokakuulta"),
            ("reference", "INV-2026-042"),
            ("back", &back),
        ],
    );
    assert_eq!(resp.status, 422, "{}", resp.body);
    assert!(field_error(&resp.body, "amount").is_some(), "{}", resp.body);
    assert!(field_error(&resp.body, "at").is_some(), "{}", resp.body);
    assert_eq!(input_value(&resp.body, "reference"), "INV-2026-042");
    assert!(resp.body.contains("Lasku lokakuulta"));
    // Accepted: back to the card, where it shows with its amount.
    let resp = s.admin.post_form(
        &card,
        "/log/new",
        &[
            ("kind", "invoice"),
            ("customer_id", &a_text),
            ("at", "2026-10-31T12:00"),
            ("summary", "Lasku lokakuulta"),
            ("amount", "1 234,50"),
            ("reference", "INV-2026-042"),
            ("back", &back),
        ],
    );
    assert_eq!(resp.status, 303, "{}", resp.body);
    assert_eq!(resp.location(), back);
    let page = s.admin.get(&card);
    assert!(page.body.contains("1234.50 EUR"), "{}", page.body);
    assert!(page.body.contains("INV-2026-042"));
    // The reference finds it.
    assert_eq!(s.found(&q("INV-2026-042")), ["Lasku lokakuulta"]);
    // `back` never leads off the site.
    let resp = s.admin.post_form(
        "/log",
        "/log/new",
        &[
            ("kind", "note"),
            ("summary", "x"),
            ("back", "//evil.example/"),
        ],
    );
    assert_eq!(resp.location(), "/log");
    // Readers cannot record.
    add_user(&s.admin, "lukija", "readonly", ADMIN_PASSWORD);
    let reader = s._server.client();
    assert_eq!(reader.login("lukija", ADMIN_PASSWORD).status, 303);
    let log = reader.get("/log");
    assert!(!log.body.contains("action=\"/log/new\""));
    let csrf = log.csrf();
    let resp = reader.post_raw(
        "/log/new",
        &[("csrf", &csrf), ("kind", "note"), ("summary", "x")],
    );
    assert_eq!(resp.status, 403);
}

#[test]
fn an_invoicing_program_pushes_invoices_and_payments() {
    let s = Setup::new();
    let a = s.post("/customers", json!({"name": "Alfa Oy"}))["id"]
        .as_i64()
        .unwrap();
    let e = s.post(
        "/events",
        json!({"kind": "invoice", "customer_id": a, "amount": "125.50", "currency": "eur",
               "reference": "1042", "summary": "Lasku 1042", "at": "2026-11-20T08:00:00Z"}),
    );
    assert_eq!(e["kind"], "invoice");
    assert_eq!(e["amount"], "125.50");
    assert_eq!(e["currency"], "EUR");
    assert_eq!(e["at"], "2026-11-20T08:00:00Z");
    assert_eq!(e["customer_name"], "Alfa Oy");
    let got = s.call("GET", &format!("/events/{}", e["id"]), None);
    assert_eq!(got.status, 200);
    assert_eq!(got.json()["reference"], "1042");
    // On the customer's log.
    let card = s.admin.get(&format!("/customers/{a}?tab=log"));
    assert!(card.body.contains("Lasku 1042"), "{}", card.body);
    // The app's own kinds are refused; so are unknown customers and bad amounts.
    for (body, field) in [
        (json!({"kind": "customer.deleted", "summary": "x"}), "kind"),
        (json!({"kind": "payment", "amount": "lots"}), "amount"),
        (
            json!({"kind": "payment", "amount": "1", "customer_id": 999}),
            "customer_id",
        ),
        (json!({"kind": "note", "summary": ""}), "summary"),
        (
            json!({"kind": "note", "summary": "x", "at": "tomorrow"}),
            "at",
        ),
    ] {
        let resp = s.call("POST", "/events", Some(body.clone()));
        assert_eq!(resp.status, 422, "{body}: {}", resp.body);
        assert!(
            resp.json()["error"]["fields"][field].is_string(),
            "{body}: {}",
            resp.body
        );
    }
    let resp = s
        .admin
        .api("POST", "/api/v1/events", Some(&s.token), Some("{not json"));
    assert_eq!(resp.status, 400);
    let resp = s.call(
        "POST",
        "/events",
        Some(json!({"kind": "note", "summary": "x", "id": 5})),
    );
    assert_eq!(
        resp.status, 400,
        "unknown fields are refused: {}",
        resp.body
    );
    assert_eq!(s.call("GET", "/events/999999", None).status, 404);
}

#[test]
fn the_log_exports_as_csv_for_excel_from_the_page_and_the_command_line() {
    let s = Setup::new();
    let a = s.post("/customers", json!({"name": "Alfa Oy"}))["id"]
        .as_i64()
        .unwrap();
    s.post("/customers", json!({"name": "Beta Oy"}));
    s.post(
        "/events",
        json!({"kind": "invoice", "customer_id": a, "amount": "1234.50", "reference": "=1+2",
               "summary": "Lasku; lokakuu", "at": "2026-10-31T10:00:00Z"}),
    );
    // The page's view, filtered: only Alfa's events, Finnish Excel conventions.
    let resp = s
        .admin
        .get(&format!("/log.csv?customer_id={a}&{}", q("lasku")));
    assert_eq!(resp.status, 200, "{}", resp.body);
    assert!(resp
        .header("content-disposition")
        .unwrap()
        .contains("loki-"));
    assert!(resp.bytes.starts_with(b"\xEF\xBB\xBF"), "BOM");
    let lines: Vec<&str> = resp.body.trim_start_matches('\u{feff}').lines().collect();
    assert_eq!(lines.len(), 2, "{lines:?}");
    assert!(lines[0].starts_with("Aika;Laji;Teksti;"), "{}", lines[0]);
    assert!(lines[1].contains("\"Lasku; lokakuu\""), "{}", lines[1]);
    assert!(lines[1].contains(";1234,50;EUR;'=1+2;"), "{}", lines[1]);
    assert!(lines[1].starts_with("31.10.2026"), "{}", lines[1]);
    // A bad filter is refused, not exported.
    assert_eq!(s.admin.get("/log.csv?from=eilen").status, 422);

    // The command line: the whole log, or one customer's within dates.
    let all = minicrm(&s._server.db)
        .args(["export", "log"])
        .output()
        .unwrap();
    assert!(all.status.success(), "{}", stderr(&all));
    let text = stdout(&all);
    assert!(
        text.contains("Beta Oy") && text.contains("Alfa Oy"),
        "{text}"
    );
    assert!(
        text.contains(";1234.50;EUR;"),
        "English decimals with --lang en: {text}"
    );
    let one = minicrm(&s._server.db)
        .args([
            "export",
            "log",
            "--customer",
            &a.to_string(),
            "--from",
            "2026-10-01",
            "--to",
            "2026-10-31",
            "--lang",
            "fi",
        ])
        .output()
        .unwrap();
    assert!(one.status.success(), "{}", stderr(&one));
    let text = stdout(&one);
    assert_eq!(text.lines().count(), 2, "{text}");
    assert!(text.contains("1234,50"), "{text}");
    let bad = minicrm(&s._server.db)
        .args(["export", "log", "--from", "eilen"])
        .output()
        .unwrap();
    assert!(!bad.status.success());
    assert!(stderr(&bad).contains("YYYY-MM-DD"), "{}", stderr(&bad));
}

/// A multipart body of one text file and a customer, for `POST /api/v1/documents`.
fn upload_text(s: &Setup, file_name: &str, text: &str, customer: i64) -> i64 {
    const B: &str = "----minicrmSearchBoundary";
    let body = format!(
        "--{B}\r\nContent-Disposition: form-data; name=\"customer_id\"\r\n\r\n{customer}\r\n\
         --{B}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"{file_name}\"\r\n\
         Content-Type: text/plain\r\n\r\n{text}\r\n--{B}--\r\n"
    );
    let auth = format!("Bearer {}", s.token);
    let resp = s.admin.request(
        "POST",
        "/api/v1/documents",
        &[
            ("Authorization", &auth),
            (
                "Content-Type",
                &format!("multipart/form-data; boundary={B}"),
            ),
        ],
        body.into_bytes(),
    );
    assert_eq!(resp.status, 201, "{}", resp.body);
    resp.json()["items"][0]["id"].as_i64().unwrap()
}

#[test]
fn the_header_search_groups_every_register_best_matches_first() {
    let s = Setup::new();
    let me = s.call("GET", "/me", None).json()["id"].as_i64().unwrap();
    // The exact name is the oldest of thirteen matching customers: it still comes first.
    let exact = s.post("/customers", json!({"name": "Huolto"}))["id"]
        .as_i64()
        .unwrap();
    for n in 1..=12 {
        s.post(
            "/customers",
            json!({"name": format!("Kattilat {n} Huolto Oy")}),
        );
    }
    let doc = upload_text(
        &s,
        "sopimus.txt",
        "Lämpöpumpun huoltosopimus vuodelle",
        exact,
    );
    let task = s.post(
        "/tasks",
        json!({"description": "Soita huollosta ja huoltosopimuksesta", "assignee_id": me,
               "due_date": "2026-06-01", "customer_id": exact}),
    )["id"]
        .as_i64()
        .unwrap();
    s.post(
        "/events",
        json!({"kind": "call", "customer_id": exact, "summary": "Puhuttiin huoltosopimuksen jatkosta"}),
    );

    let page = s.admin.get("/search?q=huolto");
    assert_eq!(page.status, 200);
    let body = &page.body;
    // Groups in order, each under its heading.
    let at = |needle: &str| {
        body.find(needle)
            .unwrap_or_else(|| panic!("{needle}: {body}"))
    };
    let groups = [
        "id=\"hits-customers\"",
        "id=\"hits-contacts\"",
        "id=\"hits-documents\"",
        "id=\"hits-tasks\"",
        "id=\"hits-log\"",
    ];
    for pair in groups.windows(2) {
        assert!(at(pair[0]) < at(pair[1]), "{pair:?}");
    }
    // Customers: the exact match first, ten shown, then the link to all of them.
    let customers = &body[at("id=\"hits-customers\"")..at("id=\"hits-contacts\"")];
    let first = customers.find("href=\"/customers/").unwrap();
    assert!(customers[first..].starts_with(&format!("href=\"/customers/{exact}\"")));
    assert_eq!(customers.matches("<li><a href=\"/customers/").count(), 10);
    assert!(customers.contains("href=\"/customers?archived=all&amp;q=huolto\""));
    // The document by the words of its text, the task by its description, the log by its text.
    let documents = &body[at("id=\"hits-documents\"")..at("id=\"hits-tasks\"")];
    assert!(
        documents.contains(&format!("href=\"/documents/{doc}\"")),
        "{documents}"
    );
    assert!(documents.contains("sopimus.txt"));
    assert!(
        !documents.contains("/documents?q="),
        "one hit has no link to more"
    );
    let tasks = &body[at("id=\"hits-tasks\"")..at("id=\"hits-log\"")];
    assert!(
        tasks.contains(&format!("href=\"/tasks/{task}\"")),
        "{tasks}"
    );
    let log = &body[at("id=\"hits-log\"")..];
    assert!(log.contains("<mark>huoltosopimuksen</mark>"), "{log}");
    // The jump list links every group in page order, so the keyboard reaches them.
    for g in [
        "#hits-customers",
        "#hits-documents",
        "#hits-tasks",
        "#hits-log",
    ] {
        assert!(body.contains(&format!("href=\"{g}\"")), "{g}");
    }
    // The header box can be reached with "/".
    assert!(body.contains("aria-keyshortcuts=\"/\""));

    // The log links the document's events to it.
    assert!(s
        .admin
        .get("/log")
        .body
        .contains(&format!("class=\"document\" href=\"/documents/{doc}\"")));
    // A word of the document's text alone finds the document and nothing else there.
    let only = s.admin.get("/search?q=l%C3%A4mp%C3%B6pumpun");
    assert!(only.body.contains(&format!("href=\"/documents/{doc}\"")));
    assert!(!only.body.contains(&format!("href=\"/tasks/{task}\"")));
    // Bad queries are answered with the page, never a 500.
    for q in ["%22avoin", "AND%20OR", "NEAR%28", "*", &"x".repeat(5000)] {
        assert_eq!(s.admin.get(&format!("/search?q={q}")).status, 200, "{q}");
    }
}

#[test]
fn a_date_range_pages_newest_first_by_time_at_any_depth() {
    let s = Setup::new();
    // Entered out of order: the ids do not follow the times.
    let mut made = Vec::new();
    for (day, hour) in [(5, 9), (3, 12), (7, 8), (3, 9), (6, 15), (4, 10), (9, 1)] {
        let at = format!("2021-03-0{day}T{hour:02}:00:00Z");
        let e = s.post(
            "/events",
            json!({"kind": "note", "summary": format!("Vanha {day} {hour}"), "at": at}),
        );
        made.push((at, e["id"].as_i64().unwrap()));
    }
    // Outside the range on both sides.
    s.post(
        "/events",
        json!({"kind": "note", "summary": "Ennen", "at": "2021-03-01T12:00:00Z"}),
    );
    let mut expected: Vec<(String, i64)> = made
        .into_iter()
        .filter(|(at, _)| at.as_str() < "2021-03-09")
        .collect();
    expected.sort_by(|a, b| b.cmp(a));
    let expected: Vec<i64> = expected.into_iter().map(|(_, id)| id).collect();
    let mut seen = Vec::new();
    let mut after = String::new();
    loop {
        let resp = s.call(
            "GET",
            &format!("/events?from=2021-03-02&to=2021-03-08&limit=2{after}"),
            None,
        );
        assert_eq!(resp.status, 200, "{}", resp.body);
        let page = resp.json();
        seen.extend(
            page["items"]
                .as_array()
                .unwrap()
                .iter()
                .map(|e| e["id"].as_i64().unwrap()),
        );
        match page["next_after"].as_str() {
            Some(id) => after = format!("&after={id}"),
            None => break,
        }
    }
    assert_eq!(seen, expected);
    // The page's previous link comes back by time too.
    let third = s.admin.get(&format!(
        "/log?from=2021-03-02&to=2021-03-08&limit=2&after={}",
        expected[1]
    ));
    assert_eq!(third.status, 200);
    let back = s.admin.get(&format!(
        "/log?from=2021-03-02&to=2021-03-08&limit=2&before={}",
        expected[2]
    ));
    assert_eq!(back.status, 200);
    let shown = events(&back.body);
    assert_eq!(shown.len(), 2, "{}", back.body);
    assert!(
        shown[0].1 == "Vanha 7 8" && shown[1].1 == "Vanha 6 15",
        "{shown:?}"
    );
    // An unknown position is an empty page, not an error.
    let none = s.call("GET", "/events?from=2021-03-02&after=999999", None);
    assert_eq!(none.status, 200);
}

/// A multipart body of one CSV file for `/log/import`, with the page's CSRF token.
fn import_body(csrf: &str, step: &str, bytes: &[u8]) -> (String, Vec<u8>) {
    const B: &str = "----minicrmImportBoundary";
    let mut body = format!(
        "--{B}\r\nContent-Disposition: form-data; name=\"csrf\"\r\n\r\n{csrf}\r\n\
         --{B}\r\nContent-Disposition: form-data; name=\"step\"\r\n\r\n{step}\r\n\
         --{B}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"laskut.csv\"\r\n\
         Content-Type: text/csv\r\n\r\n"
    )
    .into_bytes();
    body.extend_from_slice(bytes);
    body.extend_from_slice(format!("\r\n--{B}--\r\n").as_bytes());
    (format!("multipart/form-data; boundary={B}"), body)
}

fn post_import(s: &Setup, step: &str, bytes: &[u8]) -> Response {
    let page = s.admin.get("/log/import");
    assert_eq!(page.status, 200);
    let (content_type, body) = import_body(&page.csrf(), step, bytes);
    s.admin.request(
        "POST",
        "/log/import",
        &[("Content-Type", &content_type)],
        body,
    )
}

fn windows_1252(text: &str) -> Vec<u8> {
    text.chars()
        .map(|c| match c {
            'ä' => 0xE4,
            'ö' => 0xF6,
            'Ä' => 0xC4,
            c => c as u8,
        })
        .collect()
}

#[test]
fn invoices_and_payments_import_from_a_finnish_excel_csv_all_or_nothing() {
    let s = Setup::new();
    let alfa = s.post(
        "/customers",
        json!({"name": "Alfa Oy", "business_id": "0112038-9"}),
    );
    let beta = s.post("/customers", json!({"name": "Beeta Oy"}));
    let beta_number = beta["number"].as_str().unwrap().to_string();
    let beta_id = beta["id"].as_i64().unwrap();
    let alfa_id = alfa["id"].as_i64().unwrap();
    // Finnish Excel: Windows-1252, `;`, decimal commas, Finnish headers and kinds.
    let good = windows_1252(&format!(
        "Laji;Päivämäärä;Asiakas;Summa;Valuutta;Viite;Selite\r\n\
         lasku;20.11.2026;0112038-9;1 234,50;;1042;Huoltosopimus syksy\r\n\
         maksu;27.11.2026 14.30;{beta_number};99.90;eur;1042;\r\n"
    ));
    let preview = post_import(&s, "preview", &good);
    assert_eq!(preview.status, 200, "{}", preview.body);
    assert!(
        preview.body.contains("tuotaisiin 1 laskua ja 1 maksua"),
        "{}",
        preview.body
    );
    assert!(
        s.found("kind=invoice").is_empty(),
        "a preview writes nothing"
    );

    // A bad row stops everything, naming the rows and what is wrong.
    let mut bad = good.clone();
    bad.extend(windows_1252(
        "lahjoitus;1.12.2026;0112038-9;5;;;\r\nlasku;huomenna;9999999-9;paljon;;;\r\n",
    ));
    let refused = post_import(&s, "import", &bad);
    assert_eq!(refused.status, 422);
    assert!(refused.body.contains("Rivi 4:"), "{}", refused.body);
    assert!(refused.body.contains("Rivi 5:"));
    assert!(refused.body.contains("lahjoitus"));
    assert!(refused.body.contains("9999999-9"));
    assert!(refused.body.contains("paljon"));
    assert!(s.found("kind=invoice").is_empty());
    assert!(s.found("kind=payment").is_empty());

    // The good file goes in, on each customer's log, with amount, currency and reference.
    let done = post_import(&s, "import", &good);
    assert_eq!(done.status, 303, "{}", done.body);
    let invoice = s
        .call(
            "GET",
            &format!("/events?kind=invoice&customer_id={alfa_id}"),
            None,
        )
        .json();
    let invoice = &invoice["items"][0];
    assert_eq!(invoice["amount"], "1234.50");
    assert_eq!(invoice["currency"], "EUR");
    assert_eq!(invoice["reference"], "1042");
    assert_eq!(invoice["summary"], "Huoltosopimus syksy");
    assert_eq!(
        invoice["at"], "2026-11-19T22:00:00Z",
        "midnight in Helsinki"
    );
    let payment = s
        .call(
            "GET",
            &format!("/events?kind=payment&customer_id={beta_id}"),
            None,
        )
        .json();
    assert_eq!(payment["items"][0]["amount"], "99.90");
    assert_eq!(payment["items"][0]["at"], "2026-11-27T12:30:00Z");

    // Not a CSV of such columns, no file, a readonly user: answered, never a 500.
    let odd = post_import(&s, "import", b"name;city\r\nAlfa;Oulu\r\n");
    assert_eq!(odd.status, 422);
    assert!(
        odd.body.contains("Laji") || odd.body.contains("kind/laji"),
        "{}",
        odd.body
    );
    let empty = post_import(&s, "import", b"");
    assert_eq!(empty.status, 422);
    let garbage = post_import(&s, "import", &[0xFF, 0x00, 0x22, 0x0A, 0x22]);
    assert!(
        garbage.status == 422 || garbage.status == 400,
        "{}",
        garbage.status
    );
    add_user(&s.admin, "lukija", "readonly", ADMIN_PASSWORD);
    let reader = s._server.client();
    reader.login("lukija", ADMIN_PASSWORD);
    assert_eq!(reader.get("/log/import").status, 403);
    // The log page offers the import to those who may write.
    assert!(s.admin.get("/log").body.contains("href=\"/log/import\""));
    assert!(!reader.get("/log").body.contains("href=\"/log/import\""));
}

#[test]
fn the_command_line_imports_events_with_a_dry_run_first() {
    let s = Setup::new();
    s.post(
        "/customers",
        json!({"name": "Alfa Oy", "business_id": "0112038-9"}),
    );
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("maksut.csv");
    // UTF-8 with a BOM and commas, English headers.
    std::fs::write(
        &file,
        "\u{feff}kind,date,customer,amount,reference\r\npayment,2026-11-20,FI01120389,\"1 000,00\",77\r\n",
    )
    .unwrap();
    let dry = minicrm(&s._server.db)
        .args(["import", "events", "--dry-run"])
        .arg(&file)
        .output()
        .unwrap();
    assert!(dry.status.success(), "{}", stderr(&dry));
    assert!(
        stdout(&dry).contains("Would import 0 invoices and 1 payments"),
        "{}",
        stdout(&dry)
    );
    assert!(s.found("kind=payment").is_empty());
    let run = minicrm(&s._server.db)
        .args(["import", "events"])
        .arg(&file)
        .output()
        .unwrap();
    assert!(run.status.success(), "{}", stderr(&run));
    assert_eq!(s.found("kind=payment").len(), 1);
    // A bad row: exit 1, the row number, nothing written.
    std::fs::write(
        &file,
        "kind;date;customer;amount\nmaksu;2026-11-21;0000000-0;5\n",
    )
    .unwrap();
    let bad = minicrm(&s._server.db)
        .args(["import", "events"])
        .arg(&file)
        .output()
        .unwrap();
    assert_eq!(bad.status.code(), Some(1));
    assert!(stderr(&bad).contains("Row 2:"), "{}", stderr(&bad));
    assert_eq!(s.found("kind=payment").len(), 1);
}

/// The events written since the last look: (kind, customer, contact, task, document).
type Links = (Option<i64>, Option<i64>, Option<i64>, Option<i64>);

struct Watch {
    db: std::path::PathBuf,
    mark: std::cell::Cell<i64>,
}

impl Watch {
    fn new(db: &std::path::Path) -> Watch {
        let w = Watch {
            db: db.to_path_buf(),
            mark: std::cell::Cell::new(0),
        };
        w.mark.set(w.newest());
        w
    }

    fn newest(&self) -> i64 {
        rusqlite::Connection::open(&self.db)
            .unwrap()
            .query_row("SELECT coalesce(max(id), 0) FROM events", [], |r| r.get(0))
            .unwrap()
    }

    /// Asserts that `what` wrote an event of `kind` with exactly these links, then moves on.
    fn saw(&self, what: &str, kind: &str, links: Links) {
        let conn = rusqlite::Connection::open(&self.db).unwrap();
        let new: Vec<(String, Links)> = conn
            .prepare(
                "SELECT kind, customer_id, contact_id, task_id, document_id FROM events
                 WHERE id > ?1 ORDER BY id",
            )
            .unwrap()
            .query_map([self.mark.get()], |r| {
                Ok((r.get(0)?, (r.get(1)?, r.get(2)?, r.get(3)?, r.get(4)?)))
            })
            .unwrap()
            .collect::<Result<_, _>>()
            .unwrap();
        assert!(
            new.iter().any(|(k, l)| k == kind && *l == links),
            "{what}: no {kind} event with links {links:?}; new events: {new:?}"
        );
        self.mark.set(self.newest());
    }
}

#[test]
fn every_write_path_leaves_its_event_with_the_right_links() {
    let s = Setup::new();
    let w = Watch::new(&s._server.db);
    let admin = &s.admin;
    let id_of = |resp: Response| -> i64 {
        assert!(resp.status == 303 || resp.status == 201, "{}", resp.body);
        resp.location().rsplit('/').next().unwrap().parse().unwrap()
    };
    let n = |v: &Value| v["id"].as_i64().unwrap();

    // Customers: page and API.
    let c1 = id_of(admin.post_form("/customers/new", "/customers/new", &[("name", "Alfa Oy")]));
    w.saw(
        "customer page add",
        "customer.created",
        (Some(c1), None, None, None),
    );
    let c2 = n(&s.post("/customers", json!({"name": "Beeta Oy"})));
    w.saw(
        "customer API add",
        "customer.created",
        (Some(c2), None, None, None),
    );
    let card = format!("/customers/{c1}");
    let r = admin.post_form(
        &format!("{card}/edit"),
        &format!("{card}/edit"),
        &[("name", "Alfa Oy"), ("city", "Oulu")],
    );
    assert_eq!(r.status, 303, "{}", r.body);
    w.saw(
        "customer page edit",
        "customer.updated",
        (Some(c1), None, None, None),
    );
    assert_eq!(
        s.call(
            "PATCH",
            &format!("/customers/{c2}"),
            Some(json!({"city": "Turku"}))
        )
        .status,
        200
    );
    w.saw(
        "customer API edit",
        "customer.updated",
        (Some(c2), None, None, None),
    );
    admin.post_form(&card, &format!("{card}/archive"), &[("archived", "1")]);
    w.saw("archive", "customer.archived", (Some(c1), None, None, None));
    admin.post_form(&card, &format!("{card}/archive"), &[("archived", "0")]);
    w.saw("restore", "customer.updated", (Some(c1), None, None, None));
    let r = admin.post_form(
        "/customers",
        "/customers/tags",
        &[
            ("id", &c1.to_string()),
            ("tag", "VIP"),
            ("action", "add"),
            ("back", "/customers"),
        ],
    );
    assert_eq!(r.status, 303, "{}", r.body);
    w.saw(
        "customer tag",
        "customer.updated",
        (Some(c1), None, None, None),
    );

    // Contacts and their links: page and API.
    let r = admin.post_form(
        &card,
        &format!("{card}/contacts"),
        &[
            ("first_name", "Pia"),
            ("last_name", "Pelto"),
            ("role", "CEO"),
        ],
    );
    assert_eq!(r.status, 303, "{}", r.body);
    let p1: i64 = rusqlite::Connection::open(&s._server.db)
        .unwrap()
        .query_row("SELECT max(id) FROM contacts", [], |r| r.get(0))
        .unwrap();
    w.saw(
        "contact added on the card",
        "contact.created",
        (Some(c1), Some(p1), None, None),
    );
    let p2 = n(&s.post(
        "/contacts",
        json!({"first_name": "Olli", "last_name": "Oja"}),
    ));
    w.saw(
        "contact API add",
        "contact.created",
        (None, Some(p2), None, None),
    );
    let p3 = id_of(admin.post_form(
        "/contacts/new",
        "/contacts/new",
        &[("first_name", "Kai"), ("last_name", "Kallio")],
    ));
    w.saw(
        "contact page add",
        "contact.created",
        (None, Some(p3), None, None),
    );
    let pcard = format!("/contacts/{p2}");
    let r = admin.post_form(
        &pcard,
        &format!("{pcard}/customers"),
        &[("customer_id", &c1.to_string()), ("role", "CFO")],
    );
    assert_eq!(r.status, 303, "{}", r.body);
    w.saw(
        "link on the contact card",
        "contact.linked",
        (Some(c1), Some(p2), None, None),
    );
    assert!(
        s.call(
            "PUT",
            &format!("/customers/{c2}/contacts/{p2}"),
            Some(json!({"role": "Hallitus"}))
        )
        .status
            < 300
    );
    w.saw(
        "link by API",
        "contact.linked",
        (Some(c2), Some(p2), None, None),
    );
    let r = admin.post_form(
        &card,
        &format!("{card}/contacts/{p2}/role"),
        &[("role", "Talousjohtaja")],
    );
    assert_eq!(r.status, 303, "{}", r.body);
    w.saw("role", "contact.updated", (Some(c1), Some(p2), None, None));
    let r = admin.post_form(&card, &format!("{card}/contacts/{p2}/unlink"), &[]);
    assert_eq!(r.status, 303, "{}", r.body);
    w.saw(
        "unlink",
        "contact.unlinked",
        (Some(c1), Some(p2), None, None),
    );
    let r = admin.post_form(
        &format!("{pcard}/edit"),
        &format!("{pcard}/edit"),
        &[
            ("first_name", "Olli"),
            ("last_name", "Oja"),
            ("phone", "040 1"),
        ],
    );
    assert_eq!(r.status, 303, "{}", r.body);
    w.saw(
        "contact page edit",
        "contact.updated",
        (None, Some(p2), None, None),
    );
    assert_eq!(
        s.call(
            "PATCH",
            &format!("/contacts/{p3}"),
            Some(json!({"title": "Myyjä"}))
        )
        .status,
        200
    );
    w.saw(
        "contact API edit",
        "contact.updated",
        (None, Some(p3), None, None),
    );
    let r = admin.post_form(
        "/contacts",
        "/contacts/tags",
        &[
            ("id", &p3.to_string()),
            ("tag", "Uutiskirje"),
            ("action", "add"),
            ("back", "/contacts"),
        ],
    );
    assert_eq!(r.status, 303, "{}", r.body);
    w.saw(
        "contact tag",
        "contact.updated",
        (None, Some(p3), None, None),
    );

    // Tasks and reminders.
    let me = s.call("GET", "/me", None).json()["id"].as_i64().unwrap();
    let t1 = n(&s.post("/tasks", json!({"description": "Soita", "assignee_id": me, "due_date": "2097-01-10", "customer_id": c1, "contact_id": p1, "remind_days_before": 1})));
    w.saw(
        "task API add",
        "task.created",
        (Some(c1), Some(p1), Some(t1), None),
    );
    assert_eq!(
        s.call(
            "PATCH",
            &format!("/tasks/{t1}"),
            Some(json!({"description": "Soita Pialle"}))
        )
        .status,
        200
    );
    w.saw(
        "task API edit",
        "task.updated",
        (Some(c1), Some(p1), Some(t1), None),
    );
    let tcard = format!("/tasks/{t1}");
    admin.post_form(&tcard, &format!("{tcard}/done"), &[]);
    w.saw(
        "task done",
        "task.done",
        (Some(c1), Some(p1), Some(t1), None),
    );
    admin.post_form(&tcard, &format!("{tcard}/reopen"), &[]);
    w.saw(
        "task reopened",
        "task.reopened",
        (Some(c1), Some(p1), Some(t1), None),
    );
    let r = admin.get("/_test/reminders/deliver?now=2097-01-10T12:00:00Z");
    assert_eq!(r.status, 200, "{}", r.body);
    w.saw(
        "reminder delivered",
        "reminder.delivered",
        (Some(c1), Some(p1), Some(t1), None),
    );
    let t2 = id_of(admin.post_form(
        "/tasks/new",
        "/tasks/new",
        &[
            ("description", "Tarjous"),
            ("assignee_id", &me.to_string()),
            ("due_date", "2097-02-01"),
            ("customer_id", &c2.to_string()),
        ],
    ));
    w.saw(
        "task page add",
        "task.created",
        (Some(c2), None, Some(t2), None),
    );
    let r = admin.post_form(
        &format!("/tasks/{t2}/delete"),
        &format!("/tasks/{t2}/delete"),
        &[],
    );
    assert_eq!(r.status, 303, "{}", r.body);
    w.saw(
        "task page delete",
        "task.deleted",
        (Some(c2), None, Some(t2), None),
    );

    // Documents.
    let d1 = upload_text(&s, "sopimus.txt", "Sopimus", c1);
    w.saw(
        "document API upload",
        "document.added",
        (Some(c1), None, None, Some(d1)),
    );
    assert_eq!(
        s.call(
            "PATCH",
            &format!("/documents/{d1}"),
            Some(json!({"contact_id": p1}))
        )
        .status,
        200
    );
    w.saw(
        "document API edit",
        "document.assigned",
        (Some(c1), Some(p1), None, Some(d1)),
    );
    let dcard = format!("/documents/{d1}");
    let r = admin.post_form(
        &dcard,
        &format!("{dcard}/assign"),
        &[("customer_id", &c2.to_string()), ("back", &dcard)],
    );
    assert_eq!(r.status, 303, "{}", r.body);
    w.saw(
        "document page assign",
        "document.assigned",
        (Some(c2), None, None, Some(d1)),
    );
    let r = admin.post_form(&format!("{dcard}/delete"), &format!("{dcard}/delete"), &[]);
    assert_eq!(r.status, 303, "{}", r.body);
    w.saw(
        "document page delete",
        "document.deleted",
        (Some(c2), None, None, Some(d1)),
    );

    // Entries and the import.
    let e = s.post(
        "/events",
        json!({"kind": "call", "summary": "Soitto", "customer_id": c1, "contact_id": p1}),
    );
    assert!(e["id"].as_i64().is_some());
    w.saw("entry API", "call", (Some(c1), Some(p1), None, None));
    let r = admin.post_form(
        "/log",
        "/log/new",
        &[
            ("kind", "note"),
            ("summary", "Muistio"),
            ("customer_id", &c2.to_string()),
            ("back", "/log"),
        ],
    );
    assert_eq!(r.status, 303, "{}", r.body);
    w.saw("entry page", "note", (Some(c2), None, None, None));
    let number: String = rusqlite::Connection::open(&s._server.db)
        .unwrap()
        .query_row("SELECT number FROM customers WHERE id = ?1", [c2], |r| {
            r.get(0)
        })
        .unwrap();
    let r = post_import(
        &s,
        "import",
        format!("kind;date;customer;amount\nlasku;1.1.2026;{number};10\n").as_bytes(),
    );
    assert_eq!(r.status, 303, "{}", r.body);
    w.saw("invoice import", "invoice", (Some(c2), None, None, None));

    // Merges (administrators).
    let c3 = n(&s.post("/customers", json!({"name": "Alfa Oy Kopio"})));
    w.saw(
        "customer for the merge",
        "customer.created",
        (Some(c3), None, None, None),
    );
    let r = admin.post_form(
        "/customers/duplicates",
        "/customers/merge",
        &[
            ("pair", &format!("{c1}:{c3}")),
            ("pick_name", &c1.to_string()),
        ],
    );
    assert_eq!(r.status, 303, "{}", r.body);
    w.saw(
        "customer merge",
        "customer.updated",
        (Some(c1), None, None, None),
    );
    let r = admin.post_form(
        "/contacts/duplicates",
        "/contacts/merge",
        &[("pair", &format!("{p2}:{p3}"))],
    );
    assert_eq!(r.status, 303, "{}", r.body);
    w.saw(
        "contact merge",
        "contact.updated",
        (None, Some(p2), None, None),
    );

    // Deletes, erasure.
    assert_eq!(
        s.call("DELETE", &format!("/contacts/{p2}"), None).status,
        204
    );
    w.saw(
        "contact API delete",
        "contact.deleted",
        (Some(c2), Some(p2), None, None),
    );
    let r = admin.post_form(
        &format!("/contacts/{p1}/erase"),
        &format!("/contacts/{p1}/erase"),
        &[("confirm", "yes")],
    );
    assert_eq!(r.status, 303, "{}", r.body);
    w.saw(
        "erasure",
        "contact.erased",
        (Some(c1), Some(p1), None, None),
    );
    let r = admin.post_form(
        &format!("/customers/{c2}/delete"),
        &format!("/customers/{c2}/delete"),
        &[],
    );
    assert_eq!(r.status, 303, "{}", r.body);
    w.saw(
        "customer page delete",
        "customer.deleted",
        (Some(c2), None, None, None),
    );

    // Settings and users.
    let r = admin.post_form(
        "/settings",
        "/settings",
        &[
            ("company_name", "Uusi Nimi Oy"),
            ("default_language", "fi"),
            ("session_idle_hours", "8"),
            ("remember_days", "30"),
            ("lockout_attempts", "5"),
            ("lockout_minutes", "15"),
            ("backup_interval_hours", "12"),
            ("backup_keep", "3"),
        ],
    );
    assert_eq!(r.status, 303, "{}", r.body);
    w.saw("settings", "settings.updated", (None, None, None, None));
    let r = admin.post_form(
        "/settings/users/new",
        "/settings/users/new",
        &[
            ("username", "uusi"),
            ("name", "Uusi Käyttäjä"),
            ("email", ""),
            ("role", "user"),
            ("password", "salasana-joka-on-pitka"),
            ("password_again", "salasana-joka-on-pitka"),
        ],
    );
    assert_eq!(r.status, 303, "{}", r.body);
    w.saw("user added", "user.created", (None, None, None, None));
}

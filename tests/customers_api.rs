//! The customer and contact routes of the JSON API (`/api/v1`, as README.md and `openapi.json` describe them):
//! lists with their filters and pages, create/read/patch/delete, a customer's contacts and
//! their roles, the error shapes, permissions by role, and that a failing write writes nothing.

mod common;

use common::*;
use serde_json::{json, Value};

// ---- helpers ----

/// A token for the client's user, made on the account page.
fn token_for(c: &Client) -> String {
    make_api_token(c, "testit")
}

/// A server, its admin's token and a client for the API.
fn setup() -> (TestServer, Client, Api) {
    let (server, admin) = TestServer::with_admin();
    let token = token_for(&admin);
    let api = Api {
        client: server.client(),
        token,
    };
    (server, admin, api)
}

/// A user of `role` with a token of their own.
fn user_token(server: &TestServer, admin: &Client, username: &str, role: &str) -> String {
    add_user(admin, username, role, "salasana-123456");
    let c = server.client();
    assert_eq!(c.login(username, "salasana-123456").status, 303);
    token_for(&c)
}

struct Api {
    client: Client,
    token: String,
}

impl Api {
    fn call(&self, method: &str, path: &str, body: Option<Value>) -> Response {
        let body = body.map(|b| b.to_string());
        self.client.api(
            method,
            &format!("/api/v1{path}"),
            Some(&self.token),
            body.as_deref(),
        )
    }

    fn get(&self, path: &str) -> Value {
        let resp = self.call("GET", path, None);
        assert_eq!(resp.status, 200, "GET {path}: {}", resp.body);
        resp.json()
    }

    fn post(&self, path: &str, body: Value) -> Value {
        let resp = self.call("POST", path, Some(body));
        assert_eq!(resp.status, 201, "POST {path}: {}", resp.body);
        resp.json()
    }

    fn customer(&self, body: Value) -> i64 {
        self.post("/customers", body)["id"].as_i64().unwrap()
    }

    fn contact(&self, body: Value) -> i64 {
        self.post("/contacts", body)["id"].as_i64().unwrap()
    }
}

/// The `name`s (customers) or `last_name`s (contacts) of a list answer, in order.
fn names(list: &Value, field: &str) -> Vec<String> {
    list["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i[field].as_str().unwrap().to_string())
        .collect()
}

/// Asserts the error shape and returns the error object.
fn error_of(resp: &Response, status: u16, code: &str) -> Value {
    assert_eq!(resp.status, status, "{}", resp.body);
    assert!(
        resp.header("content-type")
            .unwrap_or("")
            .starts_with("application/json"),
        "{:?}",
        resp.header("content-type")
    );
    let body = resp.json();
    let error = body["error"].clone();
    assert_eq!(error["code"], code, "{}", resp.body);
    assert!(
        error["message"].as_str().is_some_and(|m| m.len() > 5),
        "{}",
        resp.body
    );
    error
}

/// A request with any content type, over a raw connection.
fn send_typed(
    server: &TestServer,
    method: &str,
    path: &str,
    token: &str,
    content_type: &str,
    body: &str,
) -> (u16, Value) {
    let request = format!(
        "{method} {path} HTTP/1.1\r\nHost: {}\r\nAuthorization: Bearer {token}\r\n\
         Content-Type: {content_type}\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
        server.addr,
        body.len()
    );
    let answer = raw_request(server.addr, request.as_bytes());
    let status: u16 = answer
        .split(' ')
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or_else(|| panic!("no status in {answer}"));
    let body = answer.split_once("\r\n\r\n").map(|(_, b)| b).unwrap_or("");
    let json = serde_json::from_str(body).unwrap_or(Value::Null);
    (status, json)
}

fn db(server: &TestServer) -> rusqlite::Connection {
    rusqlite::Connection::open(&server.db).unwrap()
}

/// The kinds of the events of a customer, oldest first, read from the database file.
fn customer_event_kinds(server: &TestServer, customer: i64) -> Vec<String> {
    db(server)
        .prepare("SELECT kind FROM events WHERE customer_id = ?1 ORDER BY id")
        .unwrap()
        .query_map([customer], |r| r.get(0))
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap()
}

fn count(server: &TestServer, table: &str) -> i64 {
    db(server)
        .query_row(&format!("SELECT count(*) FROM {table}"), [], |r| r.get(0))
        .unwrap()
}

fn is_utc_timestamp(v: &Value) -> bool {
    let Some(s) = v.as_str() else { return false };
    chrono::DateTime::parse_from_rfc3339(s).is_ok() && s.ends_with('Z')
}

// ---- customers ----

/// Creates sent at once share commits (`db::write_grouped`): each still gets its own number
/// and answer, and one that clashes inside the shared transaction is undone alone.
#[test]
fn customers_created_at_once_each_get_their_own_number_and_a_clash_among_them_writes_nothing() {
    let (server, _admin, api) = setup();
    api.customer(json!({"name": "Alfa Oy", "business_id": "0112038-9"}));
    let base = server.url("");
    let outcomes: Vec<(u16, Value)> = std::thread::scope(|scope| {
        let threads: Vec<_> = (0..16)
            .map(|n| {
                let (base, token) = (base.clone(), api.token.clone());
                scope.spawn(move || {
                    let api = Api {
                        client: Client::new(base),
                        token,
                    };
                    // Every fourth reuses Alfa's business ID: a conflict found in the write.
                    let body = if n % 4 == 3 {
                        json!({"name": format!("Klooni {n} Oy"), "business_id": "FI01120389"})
                    } else {
                        json!({"name": format!("Rinnakkain {n} Oy")})
                    };
                    let resp = api.call("POST", "/customers", Some(body));
                    (resp.status, resp.json())
                })
            })
            .collect();
        threads.into_iter().map(|t| t.join().unwrap()).collect()
    });
    let mut numbers = Vec::new();
    for (n, (status, body)) in outcomes.iter().enumerate() {
        if n % 4 == 3 {
            assert_eq!(*status, 409, "{body}");
        } else {
            assert_eq!(*status, 201, "{body}");
            assert_eq!(body["name"], format!("Rinnakkain {n} Oy"));
            numbers.push(body["number"].as_str().unwrap().to_string());
        }
    }
    numbers.sort();
    numbers.dedup();
    assert_eq!(
        numbers.len(),
        12,
        "every create its own number: {numbers:?}"
    );
    let names: Vec<String> = api.get("/customers?limit=100")["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["name"].as_str().unwrap().to_string())
        .collect();
    assert_eq!(names.len(), 13, "{names:?}");
    assert!(names.iter().all(|n| !n.starts_with("Klooni")), "{names:?}");
    let logged = api.get("/events?limit=100")["items"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["kind"] == "customer.created")
        .count();
    assert_eq!(
        logged, 13,
        "one log event per saved customer, none for the clashes"
    );
}

#[test]
fn creating_a_customer_answers_201_with_the_assigned_number_and_every_field() {
    let (_server, _admin, api) = setup();
    let me = api.get("/me")["id"].as_i64().unwrap();
    let resp = api.call(
        "POST",
        "/customers",
        Some(json!({
            "name": "Kahvila Äijälä Oy",
            "business_id": "FI01120389",
            "email": "info@aijala.fi",
            "phone": "040 123 4567",
            "website": "https://aijala.fi",
            "street": "Kauppakatu 1",
            "postal_code": "40100",
            "city": "Jyväskylä",
            "einvoice_address": "003701120389",
            "einvoice_operator": "003721291126",
            "notes": "Avoinna arkisin.",
            "tags": ["VIP", "vip", "Kahvilat"],
            "owner_id": me
        })),
    );
    assert_eq!(resp.status, 201, "{}", resp.body);
    let created = resp.json();
    let id = created["id"].as_i64().unwrap();
    assert_eq!(
        resp.header("location"),
        Some(format!("/api/v1/customers/{id}").as_str())
    );
    assert_eq!(created["number"], "1001", "the number is a string");
    assert_eq!(created["name"], "Kahvila Äijälä Oy");
    assert_eq!(created["business_id"], "0112038-9", "normalised");
    assert_eq!(created["email"], "info@aijala.fi");
    assert_eq!(created["phone"], "040 123 4567");
    assert_eq!(created["website"], "https://aijala.fi");
    assert_eq!(created["street"], "Kauppakatu 1");
    assert_eq!(created["postal_code"], "40100");
    assert_eq!(created["city"], "Jyväskylä");
    assert_eq!(created["country"], "FI", "the default country");
    assert_eq!(created["einvoice_address"], "003701120389");
    assert_eq!(created["einvoice_operator"], "003721291126");
    assert_eq!(created["notes"], "Avoinna arkisin.");
    assert_eq!(created["tags"], json!(["Kahvilat", "VIP"]));
    assert_eq!(created["owner_id"], me);
    assert_eq!(created["archived"], false);
    assert!(
        is_utc_timestamp(&created["created_at"]),
        "{}",
        created["created_at"]
    );
    assert!(
        is_utc_timestamp(&created["updated_at"]),
        "{}",
        created["updated_at"]
    );
    // GET answers the same.
    assert_eq!(api.get(&format!("/customers/{id}")), created);

    // The next one gets the next number; the least a customer needs is a name.
    let second = api.post("/customers", json!({"name": "Toinen Oy"}));
    assert_eq!(second["number"], "1002");
    assert_eq!(second["business_id"], Value::Null);
    assert_eq!(second["owner_id"], Value::Null);
    assert_eq!(second["tags"], json!([]));
    assert_eq!(second["email"], "");
}

#[test]
fn lists_page_by_position_with_after_and_refuse_an_offset_too_deep_to_walk() {
    let (server, _admin, api) = setup();
    for name in ["Bravo Oy", "alfa Oy", "Charlie Oy", "Delta Oy", "Echo Oy"] {
        api.customer(json!({ "name": name }));
    }
    for sort in ["name", "-name", "number", "created_at", "-created_at"] {
        let everything = names(&api.get(&format!("/customers?sort={sort}")), "name");
        let mut seen = Vec::new();
        let mut path = format!("/customers?sort={sort}&limit=2");
        loop {
            let page = api.get(&path);
            seen.extend(names(&page, "name"));
            assert_eq!(page["next_offset"].is_null(), path.contains("after="));
            match page["next_after"].as_str() {
                Some(after) => {
                    let after = percent_encoding::utf8_percent_encode(
                        after,
                        percent_encoding::NON_ALPHANUMERIC,
                    );
                    path = format!("/customers?sort={sort}&limit=2&after={after}");
                }
                None => break,
            }
        }
        assert_eq!(seen, everything, "{sort}");
    }
    // A position needs the keys of its sort; not with an offset.
    for bad in [
        "?after=12",
        "?sort=name&after=%5B1%5D",
        "?after=%5B9%5D&offset=2",
    ] {
        error_of(
            &api.call("GET", &format!("/customers{bad}"), None),
            400,
            "bad_request",
        );
    }
    // An offset is walked row by row: past 10 000 rows a longer list refuses it and names the
    // cursor; a shorter one answers an empty page.
    let conn = rusqlite::Connection::open(&server.db).unwrap();
    conn.execute_batch("BEGIN").unwrap();
    for i in 0..10_005 {
        conn.execute(
            "INSERT INTO customers(number, number_seq, name, name_key, created_at, updated_at)
             VALUES (?1, ?1, ?2, ?2, '2026-11-30T00:00:00Z', '2026-11-30T00:00:00Z')",
            rusqlite::params![100_000 + i, format!("Asiakas {i}")],
        )
        .unwrap();
    }
    conn.execute_batch("COMMIT").unwrap();
    let deep = api.call("GET", "/customers?offset=10001", None);
    let error = error_of(&deep, 400, "bad_request");
    assert!(
        error["message"].as_str().unwrap().contains("`after`"),
        "{error}"
    );
    assert_eq!(
        api.get("/customers?offset=10000")["items"]
            .as_array()
            .unwrap()
            .len(),
        10
    );
    assert!(api.get("/contacts?offset=20000")["items"]
        .as_array()
        .unwrap()
        .is_empty());
}

#[test]
fn customer_list_is_newest_first_and_pages_with_next_offset() {
    let (_server, _admin, api) = setup();
    for name in ["Bravo Oy", "alfa Oy", "Charlie Oy", "Delta Oy", "Echo Oy"] {
        api.customer(json!({ "name": name }));
    }
    let all = api.get("/customers");
    assert_eq!(
        names(&all, "name"),
        ["Echo Oy", "Delta Oy", "Charlie Oy", "alfa Oy", "Bravo Oy"]
    );
    assert_eq!(all["next_offset"], Value::Null);
    let first = api.get("/customers?limit=2");
    assert_eq!(names(&first, "name"), ["Echo Oy", "Delta Oy"]);
    assert_eq!(first["next_offset"], 2);
    let second = api.get("/customers?limit=2&offset=2");
    assert_eq!(names(&second, "name"), ["Charlie Oy", "alfa Oy"]);
    assert_eq!(second["next_offset"], 4);
    let last = api.get("/customers?limit=2&offset=4");
    assert_eq!(names(&last, "name"), ["Bravo Oy"]);
    assert_eq!(last["next_offset"], Value::Null);
    let exact = api.get("/customers?limit=5");
    assert_eq!(
        exact["next_offset"],
        Value::Null,
        "no empty page after a full one"
    );
    assert!(api.get("/customers?offset=50")["items"]
        .as_array()
        .unwrap()
        .is_empty());
    // Sorting.
    assert_eq!(
        names(&api.get("/customers?sort=name"), "name"),
        ["alfa Oy", "Bravo Oy", "Charlie Oy", "Delta Oy", "Echo Oy"]
    );
    assert_eq!(
        names(&api.get("/customers?sort=-name"), "name"),
        ["Echo Oy", "Delta Oy", "Charlie Oy", "Bravo Oy", "alfa Oy"]
    );
    assert_eq!(
        names(&api.get("/customers?sort=created_at"), "name"),
        ["Bravo Oy", "alfa Oy", "Charlie Oy", "Delta Oy", "Echo Oy"]
    );
    assert_eq!(
        names(&api.get("/customers?sort=-created_at"), "name"),
        ["Echo Oy", "Delta Oy", "Charlie Oy", "alfa Oy", "Bravo Oy"]
    );
    // Bad parameters are a 400 in the error shape, never a 500.
    for bad in [
        "?limit=lots",
        "?limit=-1",
        "?offset=x",
        "?sort=hinta",
        "?archived=maybe",
        "?owner_id=me",
    ] {
        let resp = api.call("GET", &format!("/customers{bad}"), None);
        error_of(&resp, 400, "bad_request");
    }
    // A limit over 500 is clamped.
    assert_eq!(
        api.get("/customers?limit=100000")["items"]
            .as_array()
            .unwrap()
            .len(),
        5
    );
}

#[test]
fn customer_list_filters_by_q_tag_archived_and_owner() {
    let (server, admin, api) = setup();
    let me = api.get("/me")["id"].as_i64().unwrap();
    user_token(&server, &admin, "bertta", "user");
    let bertta = api.get("/users")["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|u| u["username"] == "bertta")
        .unwrap()["id"]
        .as_i64()
        .unwrap();
    api.customer(json!({
        "name": "Järvinen Rakennus Oy",
        "business_id": "0112038-9",
        "email": "info@jarvirakennus.fi",
        "phone": "040 123 4567",
        "city": "Jyväskylä",
        "tags": ["VIP"],
        "owner_id": me
    }));
    api.customer(json!({"name": "Muu Yritys Oy", "city": "Oulu", "tags": ["VIP", "Oulu"], "owner_id": bertta}));
    let old = api.customer(json!({"name": "Vanha Oy", "city": "Oulu", "owner_id": bertta}));
    let resp = api.call(
        "PATCH",
        &format!("/customers/{old}"),
        Some(json!({"archived": true})),
    );
    assert_eq!(resp.status, 200, "{}", resp.body);

    for q in [
        "jarvinen",
        "J%C3%84RVINEN",
        "rakennus",
        "1001",
        "0112038-9",
        "info%40jarvirakennus.fi",
        "0401234567",
        "jyvaskyla",
    ] {
        assert_eq!(
            names(&api.get(&format!("/customers?q={q}")), "name"),
            ["Järvinen Rakennus Oy"],
            "{q}"
        );
    }
    assert_eq!(
        names(&api.get("/customers?q=oulu"), "name"),
        ["Muu Yritys Oy"]
    );
    assert_eq!(
        names(&api.get("/customers?q=oulu&archived=all"), "name"),
        ["Vanha Oy", "Muu Yritys Oy"]
    );
    assert_eq!(
        names(&api.get("/customers?archived=true"), "name"),
        ["Vanha Oy"]
    );
    assert_eq!(
        names(&api.get("/customers?archived=false"), "name").len(),
        2
    );
    assert_eq!(names(&api.get("/customers?archived=all"), "name").len(), 3);
    assert_eq!(
        names(&api.get("/customers?tag=VIP"), "name"),
        ["Muu Yritys Oy", "Järvinen Rakennus Oy"]
    );
    assert_eq!(
        names(&api.get("/customers?tag=Oulu"), "name"),
        ["Muu Yritys Oy"]
    );
    assert_eq!(
        names(&api.get(&format!("/customers?owner_id={me}")), "name"),
        ["Järvinen Rakennus Oy"]
    );
    assert_eq!(
        names(
            &api.get(&format!("/customers?owner_id={bertta}&archived=all")),
            "name"
        ),
        ["Vanha Oy", "Muu Yritys Oy"]
    );
    assert_eq!(
        names(
            &api.get(&format!("/customers?owner_id={bertta}&tag=VIP&q=yritys")),
            "name"
        ),
        ["Muu Yritys Oy"]
    );
    assert!(api.get("/customers?q=tuntematon")["items"]
        .as_array()
        .unwrap()
        .is_empty());
    for q in ["%22", "*", "NEAR%28a", "a%20OR%20b", "%27"] {
        assert_eq!(
            api.call("GET", &format!("/customers?q={q}"), None).status,
            200,
            "{q}"
        );
    }
}

#[test]
fn patch_changes_only_the_given_fields_and_a_null_owner_clears_it() {
    let (server, _admin, api) = setup();
    let me = api.get("/me")["id"].as_i64().unwrap();
    let id = api.customer(json!({
        "name": "Paikattava Oy",
        "email": "info@paikka.fi",
        "phone": "09 123",
        "city": "Espoo",
        "tags": ["VIP"],
        "owner_id": me,
        "notes": "Muistiinpano"
    }));
    let before = api.get(&format!("/customers/{id}"));
    let resp = api.call(
        "PATCH",
        &format!("/customers/{id}"),
        Some(json!({"phone": "050 765 4321"})),
    );
    assert_eq!(resp.status, 200, "{}", resp.body);
    let after = resp.json();
    assert_eq!(after["phone"], "050 765 4321");
    for field in [
        "id",
        "number",
        "name",
        "email",
        "city",
        "tags",
        "owner_id",
        "notes",
        "country",
        "business_id",
        "archived",
        "created_at",
    ] {
        assert_eq!(after[field], before[field], "{field} changed");
    }
    assert!(after["updated_at"].as_str().unwrap() >= before["updated_at"].as_str().unwrap());
    assert_eq!(api.get(&format!("/customers/{id}")), after);

    // `owner_id: null` clears the owner; a missing owner_id leaves it.
    let cleared = api.call(
        "PATCH",
        &format!("/customers/{id}"),
        Some(json!({"owner_id": null})),
    );
    assert_eq!(cleared.status, 200);
    assert_eq!(cleared.json()["owner_id"], Value::Null);
    assert_eq!(cleared.json()["tags"], json!(["VIP"]));
    let set = api.call(
        "PATCH",
        &format!("/customers/{id}"),
        Some(json!({"owner_id": me, "tags": []})),
    );
    assert_eq!(set.json()["owner_id"], me);
    assert_eq!(set.json()["tags"], json!([]));
    // Nothing given: nothing changes.
    let same = api.call("PATCH", &format!("/customers/{id}"), Some(json!({})));
    assert_eq!(same.status, 200);
    assert_eq!(same.json()["phone"], "050 765 4321");
    // The number is assigned, not changed.
    let resp = api.call(
        "PATCH",
        &format!("/customers/{id}"),
        Some(json!({"number": "9"})),
    );
    let error = error_of(&resp, 422, "validation");
    assert!(error["fields"]["number"].is_string(), "{error}");
    // Each change is logged as customer.updated; the no-op is not.
    let kinds = customer_event_kinds(&server, id);
    assert_eq!(
        kinds,
        [
            "customer.created",
            "customer.updated",
            "customer.updated",
            "customer.updated"
        ]
    );
    let summary: String = db(&server)
        .query_row(
            "SELECT summary FROM events WHERE customer_id = ?1 AND kind = 'customer.updated' ORDER BY id LIMIT 1",
            [id],
            |r| r.get(0),
        )
        .unwrap();
    assert!(
        summary.contains("Puhelin muutettiin: 09 123 → 050 765 4321"),
        "{summary}"
    );
    // Archive and restore through PATCH.
    let archived = api.call(
        "PATCH",
        &format!("/customers/{id}"),
        Some(json!({"archived": true})),
    );
    assert_eq!(archived.json()["archived"], true);
    assert_eq!(
        customer_event_kinds(&server, id).last().unwrap(),
        "customer.archived"
    );
    let restored = api.call(
        "PATCH",
        &format!("/customers/{id}"),
        Some(json!({"archived": false})),
    );
    assert_eq!(restored.json()["archived"], false);
}

#[test]
fn delete_answers_204_then_404_and_the_customers_events_stay() {
    let (server, admin, api) = setup();
    let id = api.customer(json!({"name": "Poistuva Oy", "business_id": "0112038-9"}));
    let person = api.contact(json!({
        "first_name": "Jäävä",
        "last_name": "Kontakti",
        "customers": [{"customer_id": id, "role": "Myyjä"}]
    }));
    let resp = api.call("DELETE", &format!("/customers/{id}"), None);
    assert_eq!(resp.status, 204, "{}", resp.body);
    assert!(resp.body.is_empty());
    error_of(
        &api.call("GET", &format!("/customers/{id}"), None),
        404,
        "not_found",
    );
    error_of(
        &api.call("DELETE", &format!("/customers/{id}"), None),
        404,
        "not_found",
    );
    error_of(
        &api.call(
            "PATCH",
            &format!("/customers/{id}"),
            Some(json!({"name": "X"})),
        ),
        404,
        "not_found",
    );
    error_of(
        &api.call("GET", &format!("/customers/{id}/contacts"), None),
        404,
        "not_found",
    );
    assert!(api.get("/customers?archived=all")["items"]
        .as_array()
        .unwrap()
        .is_empty());

    // The events stay in the log, findable by the customer's name.
    let kinds = customer_event_kinds(&server, id);
    assert_eq!(
        kinds,
        [
            "customer.created",
            "contact.created",
            "contact.linked",
            "customer.deleted"
        ]
    );
    let log = admin.get("/log?q=poistuva");
    // The words searched for are marked.
    assert!(
        log.body
            .contains("Asiakas <mark>Poistuva</mark> Oy (1001) poistettiin."),
        "{}",
        log.body
    );
    assert!(log
        .body
        .contains("Asiakas <mark>Poistuva</mark> Oy (1001) lisättiin."));
    // The contact stays, without the link.
    let contact = api.get(&format!("/contacts/{person}"));
    assert_eq!(contact["customers"], json!([]));
    // The business ID is free again.
    let again = api.post(
        "/customers",
        json!({"name": "Uusi Oy", "business_id": "0112038-9"}),
    );
    assert_eq!(again["business_id"], "0112038-9");
}

#[test]
fn a_deleted_customers_number_is_not_given_to_a_new_customer() {
    let (_server, admin, api) = setup();
    api.customer(json!({"name": "Ensimmäinen Oy"}));
    let second = api.customer(json!({"name": "Poistuva Oy"}));
    assert_eq!(
        api.call("DELETE", &format!("/customers/{second}"), None)
            .status,
        204
    );
    // The log still says "Poistuva Oy (1002)"; a new customer numbered 1002 would make the
    // old events, documents and invoices that name 1002 point at the wrong company.
    assert!(admin
        .get("/log")
        .body
        .contains("Asiakas Poistuva Oy (1002) poistettiin."));
    let third = api.post("/customers", json!({"name": "Kolmas Oy"}));
    assert_ne!(
        third["number"], "1002",
        "the number of a deleted customer was reused"
    );
}

// ---- a customer's contacts ----

#[test]
fn a_customers_contacts_are_linked_with_a_role_changed_and_unlinked() {
    let (server, _admin, api) = setup();
    let alfa = api.customer(json!({"name": "Alfa Oy"}));
    let beta = api.customer(json!({"name": "Beta Oy"}));
    let person = api.contact(json!({"first_name": "Maija", "last_name": "Meikäläinen"}));
    let list = api.get(&format!("/customers/{alfa}/contacts"));
    assert_eq!(list["items"], json!([]));

    let path = format!("/customers/{alfa}/contacts/{person}");
    let resp = api.call("PUT", &path, Some(json!({"role": "CEO"})));
    assert!(resp.status == 200 || resp.status == 201, "{}", resp.body);
    let list = api.get(&format!("/customers/{alfa}/contacts"));
    let items = list["items"].as_array().unwrap();
    assert_eq!(items.len(), 1);
    assert_eq!(items[0]["id"], person);
    assert_eq!(items[0]["role"], "CEO");
    assert_eq!(items[0]["first_name"], "Maija");
    assert_eq!(items[0]["last_name"], "Meikäläinen");
    // The same contact at Beta with another role.
    let resp = api.call(
        "PUT",
        &format!("/customers/{beta}/contacts/{person}"),
        Some(json!({"role": "Board member"})),
    );
    assert!(resp.status == 200 || resp.status == 201);
    assert_eq!(
        api.get(&format!("/customers/{beta}/contacts"))["items"][0]["role"],
        "Board member"
    );
    assert_eq!(
        api.get(&format!("/contacts/{person}"))["customers"],
        json!([{"customer_id": alfa, "role": "CEO"}, {"customer_id": beta, "role": "Board member"}])
    );
    // PUT again changes the role.
    let resp = api.call(
        "PUT",
        &path,
        Some(json!({"role": "Chair", "ignored": true})),
    );
    assert_eq!(resp.status, 200, "{}", resp.body);
    assert_eq!(
        api.get(&format!("/customers/{alfa}/contacts"))["items"][0]["role"],
        "Chair"
    );
    // An empty body links with no role.
    let gamma = api.customer(json!({"name": "Gamma Oy"}));
    let resp = api.call(
        "PUT",
        &format!("/customers/{gamma}/contacts/{person}"),
        Some(json!({})),
    );
    assert!(resp.status == 200 || resp.status == 201, "{}", resp.body);
    assert_eq!(
        api.get(&format!("/customers/{gamma}/contacts"))["items"][0]["role"],
        ""
    );

    // DELETE unlinks: 204, then 404.
    let resp = api.call("DELETE", &path, None);
    assert_eq!(resp.status, 204, "{}", resp.body);
    assert_eq!(
        api.get(&format!("/customers/{alfa}/contacts"))["items"],
        json!([])
    );
    error_of(&api.call("DELETE", &path, None), 404, "not_found");
    assert_eq!(
        api.get(&format!("/customers/{beta}/contacts"))["items"]
            .as_array()
            .unwrap()
            .len(),
        1
    );

    let kinds = customer_event_kinds(&server, alfa);
    assert_eq!(
        kinds,
        [
            "customer.created",
            "contact.linked",
            "contact.updated",
            "contact.unlinked"
        ]
    );
    let linked: String = db(&server)
        .query_row(
            "SELECT summary FROM events WHERE customer_id = ?1 AND kind = 'contact.linked'",
            [alfa],
            |r| r.get(0),
        )
        .unwrap();
    assert!(linked.contains("CEO"), "{linked}");
}

#[test]
fn linking_with_unknown_ids_is_a_404_and_writes_nothing() {
    let (server, _admin, api) = setup();
    let alfa = api.customer(json!({"name": "Alfa Oy"}));
    let person = api.contact(json!({"first_name": "Maija"}));
    let events = count(&server, "events");
    error_of(
        &api.call(
            "PUT",
            &format!("/customers/{alfa}/contacts/99999"),
            Some(json!({"role": "CEO"})),
        ),
        404,
        "not_found",
    );
    error_of(
        &api.call(
            "DELETE",
            &format!("/customers/99999/contacts/{person}"),
            None,
        ),
        404,
        "not_found",
    );
    error_of(
        &api.call("DELETE", &format!("/customers/{alfa}/contacts/99999"), None),
        404,
        "not_found",
    );
    error_of(
        &api.call("GET", "/customers/99999/contacts", None),
        404,
        "not_found",
    );
    error_of(
        &api.call(
            "PUT",
            &format!("/customers/{alfa}/contacts/abc"),
            Some(json!({})),
        ),
        404,
        "not_found",
    );
    assert_eq!(count(&server, "customer_contacts"), 0);
    assert_eq!(count(&server, "events"), events);
    // A role over 100 characters is a validation error.
    let resp = api.call(
        "PUT",
        &format!("/customers/{alfa}/contacts/{person}"),
        Some(json!({"role": "r".repeat(101)})),
    );
    error_of(&resp, 422, "validation");
    assert_eq!(count(&server, "customer_contacts"), 0);
    // A customer id in the path that does not exist is an unknown id too: 404, like the
    // unknown contact id above, not a validation error about a field the caller never sent.
    let resp = api.call(
        "PUT",
        &format!("/customers/99999/contacts/{person}"),
        Some(json!({"role": "CEO"})),
    );
    assert_eq!(count(&server, "customer_contacts"), 0);
    assert_eq!(count(&server, "events"), events);
    error_of(&resp, 404, "not_found");
}

// ---- contacts ----

#[test]
fn contacts_are_created_with_their_customers_and_roles() {
    let (server, _admin, api) = setup();
    let alfa = api.customer(json!({"name": "Alfa Oy"}));
    let beta = api.customer(json!({"name": "Beta Oy"}));
    let resp = api.call(
        "POST",
        "/contacts",
        Some(json!({
            "first_name": "Maija",
            "last_name": "Meikäläinen",
            "email": "maija@alfa.fi",
            "phone": "040 1",
            "title": "Toimitusjohtaja",
            "notes": "Tavattu messuilla.",
            "tags": ["Golf"],
            "customers": [
                {"customer_id": alfa, "role": "CEO"},
                {"customer_id": beta, "role": "Board member"}
            ]
        })),
    );
    assert_eq!(resp.status, 201, "{}", resp.body);
    let created = resp.json();
    let id = created["id"].as_i64().unwrap();
    assert_eq!(
        resp.header("location"),
        Some(format!("/api/v1/contacts/{id}").as_str())
    );
    assert_eq!(created["first_name"], "Maija");
    assert_eq!(created["last_name"], "Meikäläinen");
    assert_eq!(created["email"], "maija@alfa.fi");
    assert_eq!(created["phone"], "040 1");
    assert_eq!(created["title"], "Toimitusjohtaja");
    assert_eq!(created["notes"], "Tavattu messuilla.");
    assert_eq!(created["tags"], json!(["Golf"]));
    assert_eq!(
        created["customers"],
        json!([{"customer_id": alfa, "role": "CEO"}, {"customer_id": beta, "role": "Board member"}])
    );
    assert!(is_utc_timestamp(&created["created_at"]));
    assert!(is_utc_timestamp(&created["updated_at"]));
    assert_eq!(api.get(&format!("/contacts/{id}")), created);
    assert_eq!(
        api.get(&format!("/customers/{beta}/contacts"))["items"][0]["role"],
        "Board member"
    );
    let kinds: Vec<String> = db(&server)
        .prepare("SELECT kind FROM events WHERE contact_id = ?1 ORDER BY id")
        .unwrap()
        .query_map([id], |r| r.get(0))
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap();
    assert_eq!(
        kinds,
        ["contact.created", "contact.linked", "contact.linked"]
    );
    // Only a last name is enough; no customers is fine.
    let plain = api.post("/contacts", json!({"last_name": "Virtanen"}));
    assert_eq!(plain["first_name"], "");
    assert_eq!(plain["customers"], json!([]));
}

#[test]
fn contact_list_filters_and_pages_and_patch_and_delete_work() {
    let (server, _admin, api) = setup();
    let alfa = api.customer(json!({"name": "Alfa Oy"}));
    api.contact(json!({"first_name": "Jaana", "last_name": "Järvinen", "email": "jaana@x.fi", "tags": ["Golf"]}));
    let pekka = api.contact(json!({"first_name": "Pekka", "last_name": "Peloton", "customers": [{"customer_id": alfa, "role": ""}]}));
    let aino =
        api.contact(json!({"first_name": "Aino", "last_name": "Aalto", "phone": "040 765 4321"}));

    assert_eq!(
        names(&api.get("/contacts"), "last_name"),
        ["Aalto", "Peloton", "Järvinen"],
        "newest first"
    );
    assert_eq!(
        names(&api.get("/contacts?sort=name"), "last_name"),
        ["Aalto", "Järvinen", "Peloton"]
    );
    assert_eq!(
        names(&api.get("/contacts?q=jarvinen"), "last_name"),
        ["Järvinen"]
    );
    assert_eq!(
        names(&api.get("/contacts?q=0407654321"), "last_name"),
        ["Aalto"]
    );
    assert_eq!(
        names(
            &api.get(&format!("/contacts?customer_id={alfa}")),
            "last_name"
        ),
        ["Peloton"]
    );
    assert_eq!(
        names(&api.get("/contacts?tag=Golf"), "last_name"),
        ["Järvinen"]
    );
    let page = api.get("/contacts?limit=2");
    assert_eq!(page["next_offset"], 2);
    let rest = api.get("/contacts?limit=2&offset=2");
    assert_eq!(names(&rest, "last_name"), ["Järvinen"]);
    assert_eq!(rest["next_offset"], Value::Null);
    for bad in ["?customer_id=x", "?sort=number", "?limit=x"] {
        error_of(
            &api.call("GET", &format!("/contacts{bad}"), None),
            400,
            "bad_request",
        );
    }

    // PATCH changes only what is given and keeps the links.
    let before = api.get(&format!("/contacts/{pekka}"));
    let resp = api.call(
        "PATCH",
        &format!("/contacts/{pekka}"),
        Some(json!({"phone": "050 1", "unknown": 1})),
    );
    assert_eq!(resp.status, 200, "{}", resp.body);
    let after = resp.json();
    assert_eq!(after["phone"], "050 1");
    for field in [
        "first_name",
        "last_name",
        "email",
        "title",
        "notes",
        "tags",
        "customers",
        "created_at",
    ] {
        assert_eq!(after[field], before[field], "{field}");
    }
    // `customers` replaces the links; the same links again change nothing and log nothing.
    let resp = api.call(
        "PATCH",
        &format!("/contacts/{pekka}"),
        Some(json!({"customers": [{"customer_id": alfa, "role": ""}]})),
    );
    assert_eq!(resp.status, 200, "{}", resp.body);
    assert_eq!(
        api.get(&format!("/contacts/{pekka}"))["customers"]
            .as_array()
            .unwrap()
            .len(),
        1
    );
    // Emptying both names is refused.
    let resp = api.call(
        "PATCH",
        &format!("/contacts/{aino}"),
        Some(json!({"first_name": "", "last_name": " "})),
    );
    let error = error_of(&resp, 422, "validation");
    assert!(error["fields"]["last_name"].is_string(), "{error}");

    // DELETE: 204, then 404; the link goes, the events stay.
    let resp = api.call("DELETE", &format!("/contacts/{pekka}"), None);
    assert_eq!(resp.status, 204, "{}", resp.body);
    error_of(
        &api.call("GET", &format!("/contacts/{pekka}"), None),
        404,
        "not_found",
    );
    error_of(
        &api.call("DELETE", &format!("/contacts/{pekka}"), None),
        404,
        "not_found",
    );
    error_of(
        &api.call(
            "PATCH",
            &format!("/contacts/{pekka}"),
            Some(json!({"phone": "1"})),
        ),
        404,
        "not_found",
    );
    assert_eq!(
        api.get(&format!("/customers/{alfa}/contacts"))["items"],
        json!([])
    );
    let kinds: Vec<String> = db(&server)
        .prepare("SELECT kind FROM events WHERE contact_id = ?1 ORDER BY id")
        .unwrap()
        .query_map([pekka], |r| r.get(0))
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap();
    assert_eq!(
        kinds,
        [
            "contact.created",
            "contact.linked",
            "contact.updated",
            "contact.deleted"
        ]
    );
}

// ---- errors ----

#[test]
fn errors_have_the_contract_shape_and_status() {
    let (server, _admin, api) = setup();
    let alfa = api.customer(json!({"name": "Alfa Oy", "business_id": "0112038-9"}));

    // 400: malformed JSON, or JSON of the wrong shape.
    for body in [
        "{\"name\": ",
        "[]",
        "\"x\"",
        "",
        "{\"name\": 5}",
        "{\"tags\": \"VIP\"}",
    ] {
        let resp = api
            .client
            .api("POST", "/api/v1/customers", Some(&api.token), Some(body));
        error_of(&resp, 400, "bad_request");
    }
    let resp = api.client.api(
        "PATCH",
        &format!("/api/v1/customers/{alfa}"),
        Some(&api.token),
        Some("{oops"),
    );
    error_of(&resp, 400, "bad_request");
    let resp = api
        .client
        .api("POST", "/api/v1/contacts", Some(&api.token), Some("{oops"));
    error_of(&resp, 400, "bad_request");

    // 415: not JSON.
    for (method, path) in [
        ("POST", "/api/v1/customers".to_string()),
        ("PATCH", format!("/api/v1/customers/{alfa}")),
        ("POST", "/api/v1/contacts".to_string()),
    ] {
        for ctype in ["application/x-www-form-urlencoded", "text/plain"] {
            let (status, body) = send_typed(&server, method, &path, &api.token, ctype, "name=X");
            assert_eq!(status, 415, "{method} {path} {ctype}: {body}");
            assert_eq!(body["error"]["code"], "unsupported_media_type", "{body}");
        }
    }
    let person = api.contact(json!({"first_name": "Maija"}));
    let (status, body) = send_typed(
        &server,
        "PUT",
        &format!("/api/v1/customers/{alfa}/contacts/{person}"),
        &api.token,
        "text/plain",
        "role=CEO",
    );
    assert_eq!(status, 415, "{body}");

    // 422: validation, with the fields at fault.
    let resp = api.call(
        "POST",
        "/customers",
        Some(json!({"name": "Beta Oy", "business_id": "0112038-8"})),
    );
    let error = error_of(&resp, 422, "validation");
    assert!(
        error["fields"]["business_id"]
            .as_str()
            .is_some_and(|m| !m.is_empty()),
        "{error}"
    );
    let resp = api.call(
        "POST",
        "/customers",
        Some(json!({"name": " ", "email": "nope", "country": "Finland", "einvoice_address": "12", "city": "x".repeat(101)})),
    );
    let error = error_of(&resp, 422, "validation");
    for field in ["name", "email", "country", "einvoice_address", "city"] {
        assert!(error["fields"][field].is_string(), "{field}: {error}");
    }
    let error = error_of(
        &api.call("POST", "/customers", Some(json!({"email": "a@b.fi"}))),
        422,
        "validation",
    );
    assert!(error["fields"]["name"].is_string(), "{error}");
    let error = error_of(
        &api.call("POST", "/customers", Some(json!({"name": "a".repeat(201)}))),
        422,
        "validation",
    );
    assert!(error["fields"]["name"].is_string(), "{error}");
    let error = error_of(
        &api.call(
            "POST",
            "/customers",
            Some(json!({"name": "X", "owner_id": 99999})),
        ),
        422,
        "validation",
    );
    assert!(error["fields"]["owner_id"].is_string(), "{error}");
    let error = error_of(
        &api.call(
            "POST",
            "/customers",
            Some(json!({"name": "X", "tags": ["t".repeat(51)]})),
        ),
        422,
        "validation",
    );
    assert!(error["fields"]["tags"].is_string(), "{error}");
    let error = error_of(
        &api.call("POST", "/contacts", Some(json!({"email": "a@b.fi"}))),
        422,
        "validation",
    );
    assert!(error["fields"]["last_name"].is_string(), "{error}");
    let error = error_of(
        &api.call(
            "POST",
            "/contacts",
            Some(json!({"last_name": "X", "email": "nope"})),
        ),
        422,
        "validation",
    );
    assert!(error["fields"]["email"].is_string(), "{error}");
    // 200 characters of name and 10,000 of notes are fine.
    api.post(
        "/customers",
        json!({"name": "ä".repeat(200), "notes": "n".repeat(10_000)}),
    );

    // 409: the business ID of another customer, in any form, on create and on PATCH.
    let resp = api.call(
        "POST",
        "/customers",
        Some(json!({"name": "Gamma Oy", "business_id": "FI01120389"})),
    );
    let error = error_of(&resp, 409, "conflict");
    assert!(error["fields"]["business_id"].is_string(), "{error}");
    let gamma = api.customer(json!({"name": "Gamma Oy"}));
    let resp = api.call(
        "PATCH",
        &format!("/customers/{gamma}"),
        Some(json!({"business_id": "0112038-9"})),
    );
    let error = error_of(&resp, 409, "conflict");
    assert!(error["fields"]["business_id"].is_string(), "{error}");
    // The own business ID again is no conflict.
    let resp = api.call(
        "PATCH",
        &format!("/customers/{alfa}"),
        Some(json!({"business_id": "0112038-9", "name": "Alfa Oyj"})),
    );
    assert_eq!(resp.status, 200, "{}", resp.body);

    // 404: unknown ids, in the error shape.
    for (method, path) in [
        ("GET", "/customers/99999"),
        ("PATCH", "/customers/99999"),
        ("DELETE", "/customers/99999"),
        ("GET", "/customers/abc"),
        ("GET", "/contacts/99999"),
        ("PATCH", "/contacts/99999"),
        ("DELETE", "/contacts/99999"),
        ("GET", "/customers/1/nothing"),
    ] {
        let body = (method == "PATCH").then(|| json!({"name": "X", "first_name": "X"}));
        error_of(&api.call(method, path, body), 404, "not_found");
    }
}

#[test]
fn no_token_is_a_401_on_every_customer_and_contact_route() {
    let (server, _admin, api) = setup();
    let alfa = api.customer(json!({"name": "Alfa Oy"}));
    let person = api.contact(json!({"first_name": "Maija"}));
    let anonymous = server.client();
    let routes = [
        ("GET", "/api/v1/customers".to_string()),
        ("POST", "/api/v1/customers".to_string()),
        ("GET", format!("/api/v1/customers/{alfa}")),
        ("PATCH", format!("/api/v1/customers/{alfa}")),
        ("DELETE", format!("/api/v1/customers/{alfa}")),
        ("GET", format!("/api/v1/customers/{alfa}/contacts")),
        ("PUT", format!("/api/v1/customers/{alfa}/contacts/{person}")),
        (
            "DELETE",
            format!("/api/v1/customers/{alfa}/contacts/{person}"),
        ),
        ("GET", "/api/v1/contacts".to_string()),
        ("POST", "/api/v1/contacts".to_string()),
        ("GET", format!("/api/v1/contacts/{person}")),
        ("PATCH", format!("/api/v1/contacts/{person}")),
        ("DELETE", format!("/api/v1/contacts/{person}")),
    ];
    for (method, path) in &routes {
        for token in [None, Some("mcrm_wrong")] {
            let body = (*method != "GET" && *method != "DELETE").then_some("{\"name\": \"X\"}");
            let resp = anonymous.api(method, path, token, body);
            error_of(&resp, 401, "unauthorized");
        }
    }
    assert_eq!(api.get("/customers")["items"].as_array().unwrap().len(), 1);
    assert_eq!(
        api.get(&format!("/contacts/{person}"))["first_name"],
        "Maija"
    );
}

#[test]
fn a_readonly_token_reads_but_gets_403_on_every_write() {
    let (server, admin, api) = setup();
    let reader = Api {
        client: server.client(),
        token: user_token(&server, &admin, "lukija", "readonly"),
    };
    let alfa = api.customer(json!({"name": "Alfa Oy"}));
    let person = api.contact(
        json!({"first_name": "Maija", "customers": [{"customer_id": alfa, "role": "CEO"}]}),
    );
    let other = api.contact(json!({"first_name": "Pekka"}));
    let events = count(&server, "events");

    assert_eq!(
        reader.get("/customers")["items"].as_array().unwrap().len(),
        1
    );
    assert_eq!(reader.get(&format!("/customers/{alfa}"))["name"], "Alfa Oy");
    assert_eq!(
        reader.get(&format!("/customers/{alfa}/contacts"))["items"][0]["role"],
        "CEO"
    );
    assert_eq!(
        reader.get("/contacts")["items"].as_array().unwrap().len(),
        2
    );
    assert_eq!(
        reader.get(&format!("/contacts/{person}"))["first_name"],
        "Maija"
    );

    let writes = [
        (
            "POST",
            "/customers".to_string(),
            Some(json!({"name": "Lukijan Oy"})),
        ),
        (
            "PATCH",
            format!("/customers/{alfa}"),
            Some(json!({"name": "Muutettu"})),
        ),
        ("DELETE", format!("/customers/{alfa}"), None),
        (
            "PUT",
            format!("/customers/{alfa}/contacts/{other}"),
            Some(json!({"role": "X"})),
        ),
        (
            "PUT",
            format!("/customers/{alfa}/contacts/{person}"),
            Some(json!({"role": "X"})),
        ),
        (
            "DELETE",
            format!("/customers/{alfa}/contacts/{person}"),
            None,
        ),
        (
            "POST",
            "/contacts".to_string(),
            Some(json!({"first_name": "Lukijan"})),
        ),
        (
            "PATCH",
            format!("/contacts/{person}"),
            Some(json!({"first_name": "Muutettu"})),
        ),
        ("DELETE", format!("/contacts/{person}"), None),
    ];
    for (method, path, body) in &writes {
        let resp = reader.call(method, path, body.clone());
        error_of(&resp, 403, "forbidden");
    }
    assert_eq!(count(&server, "events"), events, "nothing was written");
    assert_eq!(api.get(&format!("/customers/{alfa}"))["name"], "Alfa Oy");
    assert_eq!(
        api.get(&format!("/customers/{alfa}/contacts"))["items"][0]["role"],
        "CEO"
    );
    assert_eq!(api.get("/contacts")["items"].as_array().unwrap().len(), 2);
}

#[test]
fn deleting_a_customer_is_for_admins_but_plain_users_write_the_rest() {
    let (server, admin, api) = setup();
    let user = Api {
        client: server.client(),
        token: user_token(&server, &admin, "bertta", "user"),
    };
    let alfa = user.customer(json!({"name": "Bertan Oy"}));
    let resp = user.call(
        "PATCH",
        &format!("/customers/{alfa}"),
        Some(json!({"city": "Lahti"})),
    );
    assert_eq!(resp.status, 200);
    let person = user.contact(
        json!({"first_name": "Maija", "customers": [{"customer_id": alfa, "role": "CEO"}]}),
    );
    error_of(
        &user.call("DELETE", &format!("/customers/{alfa}"), None),
        403,
        "forbidden",
    );
    assert_eq!(api.get(&format!("/customers/{alfa}"))["city"], "Lahti");
    assert_eq!(
        user.call(
            "DELETE",
            &format!("/customers/{alfa}/contacts/{person}"),
            None
        )
        .status,
        204
    );
    assert_eq!(
        api.call("DELETE", &format!("/customers/{alfa}"), None)
            .status,
        204
    );
}

// ---- unknown fields and atomicity ----

#[test]
fn unknown_fields_in_a_body_are_ignored() {
    let (_server, _admin, api) = setup();
    let created = api.post(
        "/customers",
        json!({
            "name": "Tuntemattomat Oy",
            "id": 99999,
            "created_at": "1999-01-01T00:00:00Z",
            "colour": "red",
            "extra": {"nested": [1, 2, 3]}
        }),
    );
    assert_ne!(created["id"], 99999);
    assert_ne!(created["created_at"], "1999-01-01T00:00:00Z");
    assert!(created.get("colour").is_none());
    let id = created["id"].as_i64().unwrap();
    let resp = api.call(
        "PATCH",
        &format!("/customers/{id}"),
        Some(json!({"city": "Kotka", "whatever": null})),
    );
    assert_eq!(resp.status, 200, "{}", resp.body);
    assert_eq!(resp.json()["city"], "Kotka");
    let person = api.post(
        "/contacts",
        json!({"first_name": "Maija", "shoe_size": 38, "customers": [{"customer_id": id, "role": "CEO", "since": 2020}]}),
    );
    assert_eq!(
        person["customers"],
        json!([{"customer_id": id, "role": "CEO"}])
    );
}

#[test]
fn a_failing_request_writes_nothing() {
    let (server, _admin, api) = setup();
    let alfa = api.customer(json!({"name": "Alfa Oy", "phone": "09 1"}));
    let tables = [
        "customers",
        "contacts",
        "customer_contacts",
        "events",
        "tags",
        "contact_tags",
        "customer_tags",
    ];
    let snapshot =
        |server: &TestServer| -> Vec<i64> { tables.iter().map(|t| count(server, t)).collect() };
    let before = snapshot(&server);

    // A contact whose customer does not exist: 422 and no contact, tag or event.
    let resp = api.call(
        "POST",
        "/contacts",
        Some(json!({"first_name": "Orpo", "tags": ["Uusi"], "customers": [{"customer_id": 99999, "role": "CEO"}]})),
    );
    error_of(&resp, 422, "validation");
    // The same when only the second of two links is bad.
    let resp = api.call(
        "POST",
        "/contacts",
        Some(json!({"first_name": "Puoliorpo", "customers": [{"customer_id": alfa, "role": "CEO"}, {"customer_id": 99999, "role": ""}]})),
    );
    error_of(&resp, 422, "validation");
    let resp = api.call(
        "POST",
        "/contacts",
        Some(json!({"first_name": "Pitkärooli", "customers": [{"customer_id": alfa, "role": "r".repeat(101)}]})),
    );
    error_of(&resp, 422, "validation");
    // A customer with one bad field among good ones.
    let resp = api.call(
        "POST",
        "/customers",
        Some(json!({"name": "Beta Oy", "tags": ["Uusi"], "email": "nope"})),
    );
    error_of(&resp, 422, "validation");
    // A PATCH with one bad field changes none of the good ones.
    let resp = api.call(
        "PATCH",
        &format!("/customers/{alfa}"),
        Some(json!({"phone": "050 2", "tags": ["Uusi"], "country": "Suomi"})),
    );
    error_of(&resp, 422, "validation");
    assert_eq!(api.get(&format!("/customers/{alfa}"))["phone"], "09 1");
    assert_eq!(api.get(&format!("/customers/{alfa}"))["tags"], json!([]));
    let person = api.contact(json!({"first_name": "Maija"}));
    let before_patch = snapshot(&server);
    let resp = api.call(
        "PATCH",
        &format!("/contacts/{person}"),
        Some(json!({"phone": "050 3", "email": "nope"})),
    );
    error_of(&resp, 422, "validation");
    assert_eq!(api.get(&format!("/contacts/{person}"))["phone"], "");
    assert_eq!(snapshot(&server), before_patch);

    assert_eq!(
        api.get("/contacts")["items"].as_array().unwrap().len(),
        1,
        "only Maija"
    );
    let after: Vec<i64> = snapshot(&server);
    assert_eq!(after[0], before[0], "customers");
    assert_eq!(after[1], before[1] + 1, "contacts: only Maija");
    assert_eq!(after[2], before[2], "links");
    assert_eq!(after[3], before[3] + 1, "events: only Maija's creation");
    assert_eq!(after[4..], before[4..], "tags");
}

#[test]
fn q_matches_inside_a_phone_number_or_business_id_as_the_contract_says_substring() {
    // The API contract: `q` matches name, number, business ID, email, phone, city "(prefix / substring …)".
    let (_server, _admin, api) = setup();
    api.customer(json!({"name": "Numero Oy", "business_id": "0112038-9", "phone": "040 123 4567"}));
    api.customer(json!({"name": "Muu Oy", "phone": "050 999 8888"}));
    // Word prefixes work.
    for q in ["4567", "0112", "numer"] {
        assert_eq!(
            names(&api.get(&format!("/customers?q={q}")), "name"),
            ["Numero Oy"],
            "{q}"
        );
    }
    // A number typed without its area code, and the old six-digit business ID form.
    for q in ["1234567", "112038"] {
        assert_eq!(
            names(&api.get(&format!("/customers?q={q}")), "name"),
            ["Numero Oy"],
            "{q}"
        );
    }
}

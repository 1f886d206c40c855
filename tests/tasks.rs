//! Tasks and reminders over real HTTP: the API's shapes, reminders scheduled on save, dropped
//! when done and rescheduled on a new date, none for a past date; delivery exactly once (the
//! test sets the job's clock through a test route) also across a restart; the front page, the
//! header's badge and dismissing; the cards' Tasks tab; the log; readonly users cannot create.

mod common;

use chrono::{Duration, Utc};
use serde_json::{json, Value};

use common::tasks::{day, setup, Setup};
use common::*;

fn token(client: &Client) -> String {
    make_api_token(client, "testit")
}

fn create(s: &Setup, body: Value) -> Value {
    let resp = s.admin.api(
        "POST",
        "/api/v1/tasks",
        Some(&s.token),
        Some(&body.to_string()),
    );
    assert_eq!(resp.status, 201, "{}", resp.body);
    resp.json()
}

fn patch(s: &Setup, id: i64, body: Value) -> Value {
    let resp = s.admin.api(
        "PATCH",
        &format!("/api/v1/tasks/{id}"),
        Some(&s.token),
        Some(&body.to_string()),
    );
    assert_eq!(resp.status, 200, "{}", resp.body);
    resp.json()
}

fn kinds(task: &Value) -> Vec<String> {
    task["reminders"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["kind"].as_str().unwrap().to_string())
        .collect()
}

fn deliver(s: &Setup, now: &str) -> i64 {
    let resp = s.admin.get(&format!(
        "/_test/reminders/deliver?now={}",
        now.replace('+', "%2B")
    ));
    assert_eq!(resp.status, 200, "{}", resp.body);
    resp.json()["delivered"].as_i64().unwrap()
}

fn far_future() -> String {
    (Utc::now() + Duration::days(400)).to_rfc3339()
}

#[test]
fn a_task_has_the_spec_shape_and_reminders_before_and_on_the_day() {
    let s = setup();
    let t = create(
        &s,
        json!({"description": "Soita tarjouksesta", "assignee_id": s.me, "due_date": day(10),
               "due_time": "14:00", "customer_id": s.customer, "remind_days_before": 2}),
    );
    for key in [
        "id",
        "description",
        "assignee_id",
        "group",
        "due_date",
        "due_time",
        "customer_id",
        "contact_id",
        "status",
        "done_at",
        "remind_days_before",
        "reminders",
        "created_at",
        "updated_at",
    ] {
        assert!(t.get(key).is_some(), "{key} missing in {t}");
    }
    assert_eq!(t["status"], "open");
    assert_eq!(t["due_time"], "14:00");
    assert_eq!(kinds(&t), ["before", "due"]);
    // The default lead time is one day; null is no advance reminder.
    let d = create(
        &s,
        json!({"description": "B", "assignee_id": s.me, "due_date": day(10)}),
    );
    assert_eq!(d["remind_days_before"], 1);
    assert_eq!(kinds(&d), ["before", "due"]);
    let n = create(
        &s,
        json!({"description": "C", "assignee_id": s.me, "due_date": day(10), "remind_days_before": null}),
    );
    assert_eq!(kinds(&n), ["due"]);
    // Required fields and bad values are 422s at their fields.
    let bad = s.admin.api(
        "POST",
        "/api/v1/tasks",
        Some(&s.token),
        Some(r#"{"due_date": "2026-13-40", "due_time": "25:00"}"#),
    );
    assert_eq!(bad.status, 422, "{}", bad.body);
    let fields = &bad.json()["error"]["fields"];
    for f in ["description", "assignee_id", "due_date", "due_time"] {
        assert!(fields.get(f).is_some(), "{f}: {fields}");
    }
    // Lists filter by person, customer and state.
    let mine = s.admin.api(
        "GET",
        &format!("/api/v1/tasks?assignee_id=me&customer_id={}", s.customer),
        Some(&s.token),
        None,
    );
    assert_eq!(mine.status, 200, "{}", mine.body);
    assert_eq!(mine.json()["items"].as_array().unwrap().len(), 1);
    let bad = s
        .admin
        .api("GET", "/api/v1/tasks?status=maybe", Some(&s.token), None);
    assert_eq!(bad.status, 400);
}

#[test]
fn a_past_task_gets_no_reminders_and_is_overdue() {
    let s = setup();
    let t = create(
        &s,
        json!({"description": "Kävin", "assignee_id": s.me, "due_date": day(-3)}),
    );
    assert!(kinds(&t).is_empty(), "{t}");
    let overdue = s
        .admin
        .api("GET", "/api/v1/tasks?when=overdue", Some(&s.token), None);
    assert_eq!(overdue.json()["items"].as_array().unwrap().len(), 1);
    let page = s.admin.get("/tasks?when=overdue");
    assert_eq!(page.status, 200);
    assert!(page.body.contains("class=\"overdue\""), "{}", page.body);
}

#[test]
fn done_drops_undelivered_reminders_reopen_and_a_new_date_reschedule_them() {
    let s = setup();
    let t = create(
        &s,
        json!({"description": "A", "assignee_id": s.me, "due_date": day(10)}),
    );
    let id = t["id"].as_i64().unwrap();
    let done = patch(&s, id, json!({"status": "done"}));
    assert_eq!(done["status"], "done");
    assert!(done["done_at"].is_string());
    assert!(kinds(&done).is_empty(), "{done}");
    let open = patch(&s, id, json!({"status": "open"}));
    assert_eq!(kinds(&open), ["before", "due"]);
    let old = open["reminders"][1]["remind_at"].clone();
    let moved = patch(&s, id, json!({"due_date": day(20)}));
    assert_eq!(kinds(&moved), ["before", "due"]);
    assert_ne!(moved["reminders"][1]["remind_at"], old);
    // One click on the page marks it done, and the log of the customer has it all.
    let t = create(
        &s,
        json!({"description": "B", "assignee_id": s.me, "due_date": day(5), "customer_id": s.customer}),
    );
    let id = t["id"].as_i64().unwrap();
    let resp = s.admin.post_form(
        "/tasks",
        &format!("/tasks/{id}/done"),
        &[("back", "/tasks")],
    );
    assert_eq!(resp.status, 303, "{}", resp.body);
    let t = s
        .admin
        .api("GET", &format!("/api/v1/tasks/{id}"), Some(&s.token), None)
        .json();
    assert_eq!(t["status"], "done");
    assert!(kinds(&t).is_empty());
    let del = s.admin.api(
        "DELETE",
        &format!("/api/v1/tasks/{id}"),
        Some(&s.token),
        None,
    );
    assert_eq!(del.status, 204);
    let log = s.admin.get(&format!("/customers/{}?tab=log", s.customer));
    for label in ["Tehtävä lisätty", "Tehtävä tehty", "Tehtävä poistettu"] {
        assert!(log.body.contains(label), "{label} not in the log");
    }
}

#[test]
fn each_reminder_is_delivered_once_also_across_a_restart() {
    let mut s = setup();
    create(
        &s,
        json!({"description": "Muista", "assignee_id": s.me, "due_date": day(10), "customer_id": s.customer}),
    );
    let now = far_future();
    assert_eq!(deliver(&s, &now), 2);
    assert_eq!(deliver(&s, &now), 0);
    let listed = s
        .admin
        .api(
            "GET",
            "/api/v1/reminders?state=delivered",
            Some(&s.token),
            None,
        )
        .json();
    let items = listed["items"].as_array().unwrap();
    assert_eq!(items.len(), 2);
    assert_eq!(items[0]["description"], "Muista");
    assert_eq!(items[0]["customer_id"], s.customer);
    assert!(items[0]["task_id"].is_i64());
    // Restarted on the same file, nothing is delivered again.
    s.server.stop();
    let db = s.server.db.clone();
    let again = TestServer::start_with(|c| c.db_path = db);
    let client = again.client();
    assert_eq!(client.login("admin", ADMIN_PASSWORD).status, 303);
    let resp = client.get(&format!(
        "/_test/reminders/deliver?now={}",
        now.replace('+', "%2B")
    ));
    assert_eq!(resp.json()["delivered"], 0);
    let log = client.get(&format!("/customers/{}?tab=log", s.customer));
    // Two events (the kind filter also names the kind, once).
    assert_eq!(
        log.body
            .matches("<span class=\"kind\">Muistutus toimitettu</span>")
            .count(),
        2
    );
}

#[test]
fn the_front_page_and_the_badge_show_delivered_reminders_until_dismissed() {
    let s = setup();
    create(
        &s,
        json!({"description": "Etusivulle", "assignee_id": s.me, "due_date": day(10)}),
    );
    let front = s.admin.get("/");
    assert!(front.body.contains("Etusivulle"), "my tasks lists it");
    assert!(!front.body.contains("reminder-badge"));
    assert_eq!(deliver(&s, &far_future()), 2);
    let page = s.admin.get("/customers");
    assert!(
        page.body.contains("<span class=\"count\">2</span>"),
        "{}",
        page.body
    );
    let front = s.admin.get("/");
    let first = front
        .body
        .split("action=\"/reminders/")
        .nth(1)
        .unwrap()
        .split('/')
        .next()
        .unwrap()
        .to_string();
    let resp = s
        .admin
        .post_form("/", &format!("/reminders/{first}/dismiss"), &[]);
    assert_eq!(resp.status, 303);
    let page = s.admin.get("/customers");
    assert!(
        page.body.contains("<span class=\"count\">1</span>"),
        "{}",
        page.body
    );
}

#[test]
fn the_cards_tasks_tab_lists_the_tasks_and_offers_a_prefilled_form() {
    let s = setup();
    create(
        &s,
        json!({"description": "Kortille", "assignee_id": s.me, "due_date": day(3), "customer_id": s.customer}),
    );
    let card = s.admin.get(&format!("/customers/{}?tab=tasks", s.customer));
    assert_eq!(card.status, 200);
    assert!(card.body.contains("Kortille"));
    let new = format!("/tasks/new?customer_id={}", s.customer);
    assert!(card.body.contains(&new), "{}", card.body);
    let form = s.admin.get(&new);
    assert_eq!(form.status, 200);
    assert!(form.body.contains("Asiakas Oy"));
    let resp = s.admin.post_form(
        &new,
        "/tasks/new",
        &[
            ("description", "Lomakkeelta"),
            ("assignee_id", &s.me.to_string()),
            ("due_date", &day(4)),
            ("due_time", ""),
            ("customer_id", &s.customer.to_string()),
            ("contact_id", ""),
            ("group", ""),
            ("remind_days_before", "1"),
        ],
    );
    assert_eq!(resp.status, 303, "{}", resp.body);
    let listed = s.admin.get(&format!("/tasks?customer_id={}", s.customer));
    assert!(listed.body.contains("Lomakkeelta"));
}

#[test]
fn a_group_filter_takes_the_subgroups_too() {
    let s = setup();
    let resp = s.admin.post_form(
        "/settings/task-groups",
        "/settings/task-groups",
        &[("path", "Myynti/Puhelut")],
    );
    assert_eq!(resp.status, 303, "{}", resp.body);
    create(
        &s,
        json!({"description": "Puhelu", "assignee_id": s.me, "due_date": day(2), "group": "Myynti/Puhelut"}),
    );
    create(
        &s,
        json!({"description": "Muu", "assignee_id": s.me, "due_date": day(2)}),
    );
    let sales = s
        .admin
        .api("GET", "/api/v1/tasks?group=Myynti", Some(&s.token), None)
        .json();
    let items = sales["items"].as_array().unwrap();
    assert_eq!(items.len(), 1);
    assert_eq!(items[0]["group"], "Myynti/Puhelut");
    let unknown = s.admin.api(
        "POST",
        "/api/v1/tasks",
        Some(&s.token),
        Some(
            &json!({"description": "X", "assignee_id": s.me, "due_date": day(2), "group": "Ei"})
                .to_string(),
        ),
    );
    assert_eq!(unknown.status, 422);
}

#[test]
fn a_readonly_user_cannot_create_a_task() {
    let s = setup();
    add_user(&s.admin, "lukija", "readonly", ADMIN_PASSWORD);
    let reader = s.server.client();
    assert_eq!(reader.login("lukija", ADMIN_PASSWORD).status, 303);
    assert_eq!(reader.get("/tasks").status, 200);
    let resp = reader.post_form(
        "/tasks",
        "/tasks/new",
        &[("description", "Ei saa"), ("due_date", &day(2))],
    );
    assert_eq!(resp.status, 403);
    let reader_token = token(&reader);
    let resp = reader.api(
        "POST",
        "/api/v1/tasks",
        Some(&reader_token),
        Some(&json!({"description": "Ei", "assignee_id": s.me, "due_date": day(2)}).to_string()),
    );
    assert_eq!(resp.status, 403);

    // Nor can anyone give a task to them: they could not mark it done.
    let users = s
        .admin
        .api("GET", "/api/v1/users", Some(&s.token), None)
        .json();
    let lukija = users["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|u| u["username"] == "lukija")
        .unwrap()["id"]
        .as_i64()
        .unwrap();
    let resp = s.admin.api(
        "POST",
        "/api/v1/tasks",
        Some(&s.token),
        Some(&json!({"description": "Lue", "assignee_id": lukija, "due_date": day(2)}).to_string()),
    );
    assert_eq!(resp.status, 422, "{}", resp.body);
    assert!(resp.body.contains("assignee_id"), "{}", resp.body);
    let form = s.admin.get("/tasks/new");
    assert!(form.body.contains(&format!("<option value=\"{}\"", s.me)));
    assert!(
        !form.body.contains(&format!("<option value=\"{lukija}\"")),
        "{}",
        form.body
    );
}

/// Creates a customer by the API; returns (id, number).
fn customer(s: &Setup, name: &str) -> (i64, String) {
    let c = s.admin.api(
        "POST",
        "/api/v1/customers",
        Some(&s.token),
        Some(&json!({ "name": name }).to_string()),
    );
    assert_eq!(c.status, 201, "{}", c.body);
    let c = c.json();
    (
        c["id"].as_i64().unwrap(),
        c["number"].as_str().unwrap().to_string(),
    )
}

#[test]
fn the_task_form_finds_the_customer_by_number_or_name_then_offers_its_contacts() {
    let s = setup();
    let (sun, _) = customer(&s, "Kahvila Aurinko Oy");
    customer(&s, "Kahvila Kuu Oy");
    let p = s.admin.api(
        "POST",
        "/api/v1/contacts",
        Some(&s.token),
        Some(
            &json!({"first_name": "Sanna", "last_name": "Säde",
                    "customers": [{"customer_id": sun, "role": "Omistaja"}]})
            .to_string(),
        ),
    );
    assert_eq!(p.status, 201, "{}", p.body);
    let contact = p.json()["id"].as_i64().unwrap();
    let me = s.me.to_string();
    let due = day(4);
    let form = |extra: &[(&'static str, String)]| -> Vec<(&'static str, String)> {
        let mut fields = vec![
            ("description", "Soita asiakkaalle".to_string()),
            ("assignee_id", me.clone()),
            ("due_date", due.clone()),
            ("due_time", String::new()),
            ("group", String::new()),
            ("remind_days_before", "1".to_string()),
        ];
        fields.extend_from_slice(extra);
        fields
    };
    let post = |fields: Vec<(&'static str, String)>| {
        let borrowed: Vec<(&str, &str)> = fields.iter().map(|(k, v)| (*k, v.as_str())).collect();
        s.admin.post_form("/tasks/new", "/tasks/new", &borrowed)
    };
    let new = s.admin.get("/tasks/new");
    assert!(new.body.contains("name=\"customer_q\""), "{}", new.body);

    // Several match the name: the form comes back with them to choose from, and the input.
    let many = post(form(&[
        ("customer_q", "kahvila".into()),
        ("customer_step", "find".into()),
    ]));
    assert_eq!(many.status, 422, "{}", many.body);
    assert!(many.body.contains("f-customer_q-error"));
    assert!(many.body.contains("Kahvila Aurinko Oy") && many.body.contains("Kahvila Kuu Oy"));
    assert!(many.body.contains("Soita asiakkaalle"));
    // Choosing one shows it with its contacts; nothing is saved yet.
    let chosen = post(form(&[
        ("customer_q", "kahvila".into()),
        ("customer_pick", sun.to_string()),
    ]));
    assert_eq!(chosen.status, 200, "{}", chosen.body);
    assert!(chosen
        .body
        .contains(&format!("name=\"customer_id\" value=\"{sun}\"")));
    assert!(chosen.body.contains("Sanna Säde"), "{}", chosen.body);
    assert!(!s.admin.get("/tasks").body.contains("Soita asiakkaalle"));
    // Saved with the contact.
    let saved = post(form(&[
        ("customer_id", sun.to_string()),
        ("contact_id", contact.to_string()),
    ]));
    assert_eq!(saved.status, 303, "{}", saved.body);
    let id = saved.location().rsplit('/').next().unwrap().to_string();
    let t = s
        .admin
        .api("GET", &format!("/api/v1/tasks/{id}"), Some(&s.token), None)
        .json();
    assert_eq!(
        (t["customer_id"].as_i64(), t["contact_id"].as_i64()),
        (Some(sun), Some(contact))
    );

    // A customer number (or a name only one customer has) is taken on save, without a step.
    let number = s
        .admin
        .api(
            "GET",
            &format!("/api/v1/customers/{}", s.customer),
            Some(&s.token),
            None,
        )
        .json()["number"]
        .as_str()
        .unwrap()
        .to_string();
    let by_number = post(form(&[("customer_q", number)]));
    assert_eq!(by_number.status, 303, "{}", by_number.body);
    let id = by_number.location().rsplit('/').next().unwrap().to_string();
    let t = s
        .admin
        .api("GET", &format!("/api/v1/tasks/{id}"), Some(&s.token), None)
        .json();
    assert_eq!(t["customer_id"].as_i64(), Some(s.customer));
    let by_name = post(form(&[("customer_q", "aurinko".into())]));
    assert_eq!(by_name.status, 303, "{}", by_name.body);

    // No match: an error at the field, the input kept.
    let none = post(form(&[("customer_q", "Olematon".into())]));
    assert_eq!(none.status, 422, "{}", none.body);
    assert!(none.body.contains("f-customer_q-error"));
    assert!(none.body.contains("value=\"Olematon\""));
    // "Change" drops the chosen customer and its contact for the field again.
    let change = post(form(&[
        ("customer_id", sun.to_string()),
        ("contact_id", contact.to_string()),
        ("customer_step", "change".into()),
    ]));
    assert_eq!(change.status, 200);
    assert!(change.body.contains("name=\"customer_q\""));
    assert!(!change.body.contains("name=\"customer_id\""));
    // The edit form changes a task's customer the same way.
    let edit = s.admin.post_form(
        &format!("/tasks/{id}/edit"),
        &format!("/tasks/{id}/edit"),
        &form(&[("customer_q", "kuu".into())])
            .iter()
            .map(|(k, v)| (*k, v.as_str()))
            .collect::<Vec<_>>(),
    );
    assert_eq!(edit.status, 303, "{}", edit.body);
    let t = s
        .admin
        .api("GET", &format!("/api/v1/tasks/{id}"), Some(&s.token), None)
        .json();
    assert_ne!(t["customer_id"].as_i64(), Some(s.customer));
}

/// A user's reminders page by position (`after`) at any depth, ties at one time and all, and an
/// offset's page is the same reminders; an offset past 10,000 into a longer list is refused
/// with a 400 that names `after`, into a shorter one it is an empty page.
#[test]
fn reminders_page_by_position_and_refuse_an_offset_too_deep_to_walk() {
    let s = setup();
    const N: usize = 10_050;
    {
        let mut conn = rusqlite::Connection::open(&s.server.db).unwrap();
        conn.busy_timeout(std::time::Duration::from_secs(30))
            .unwrap();
        let tx = conn.transaction().unwrap();
        let start = chrono::DateTime::parse_from_rfc3339("2026-01-01T06:00:00Z").unwrap();
        for i in 0..N {
            tx.execute(
                "INSERT INTO tasks(description, assignee_id, due_date, created_at, updated_at)
                 VALUES (?1, ?2, '2026-02-01', '2026-01-01T00:00:00Z', '2026-01-01T00:00:00Z')",
                rusqlite::params![format!("Tehtävä {i}"), s.me],
            )
            .unwrap();
            // Three reminders at each time; every tenth not delivered yet.
            let at = (start + Duration::minutes(i as i64 / 3))
                .to_utc()
                .to_rfc3339_opts(chrono::SecondsFormat::Secs, true);
            tx.execute(
                "INSERT INTO reminders(task_id, user_id, kind, remind_at, delivered_at)
                 VALUES (?1, ?2, 'due', ?3, ?4)",
                rusqlite::params![
                    tx.last_insert_rowid(),
                    s.me,
                    at,
                    (i % 10 != 0).then_some(&at)
                ],
            )
            .unwrap();
        }
        tx.commit().unwrap();
    }
    let get = |query: &str| {
        s.admin.api(
            "GET",
            &format!("/api/v1/reminders?{query}"),
            Some(&s.token),
            None,
        )
    };
    let ids = |page: &Value| -> Vec<i64> {
        page["items"]
            .as_array()
            .unwrap()
            .iter()
            .map(|r| r["id"].as_i64().unwrap())
            .collect()
    };
    let mut seen: Vec<(String, i64)> = Vec::new();
    let mut query = "limit=500".to_string();
    loop {
        let resp = get(&query);
        assert_eq!(resp.status, 200, "{}", resp.body);
        let page = resp.json();
        assert_eq!(page["next_offset"].is_null(), query.contains("after="));
        seen.extend(page["items"].as_array().unwrap().iter().map(|r| {
            (
                r["remind_at"].as_str().unwrap().to_string(),
                r["id"].as_i64().unwrap(),
            )
        }));
        match page["next_after"].as_str() {
            Some(after) => {
                let after = percent_encoding::utf8_percent_encode(
                    after,
                    percent_encoding::NON_ALPHANUMERIC,
                );
                query = format!("limit=500&after={after}");
            }
            None => break,
        }
    }
    assert_eq!(seen.len(), N);
    assert!(
        seen.windows(2).all(|w| w[0] > w[1]),
        "newest first, once each"
    );
    let offset_page = get("limit=100&offset=5000").json();
    let by_position: Vec<i64> = seen[5000..5100].iter().map(|r| r.1).collect();
    assert_eq!(ids(&offset_page), by_position);
    assert_eq!(offset_page["next_offset"], 5100);

    let deep = get("offset=10001");
    assert_eq!(deep.status, 400, "{}", deep.body);
    assert!(deep.body.contains("`after`"), "{}", deep.body);
    let within = get("offset=10000");
    assert_eq!(within.status, 200, "{}", within.body);
    let last: Vec<i64> = seen[10_000..].iter().map(|r| r.1).collect();
    assert_eq!(ids(&within.json()), last);
    let short = get("state=pending&offset=10001");
    assert_eq!(short.status, 200, "{}", short.body);
    assert_eq!(ids(&short.json()), Vec::<i64>::new());
    for bad in [
        "after=12",
        "after=%5B%22x%22%5D",
        "after=%5B%22x%22%2C1%5D&offset=3",
        "before=%5B%22x%22%2C1%5D",
    ] {
        let resp = get(bad);
        assert_eq!(resp.status, 400, "{bad}: {}", resp.body);
        assert!(resp.body.contains("`after`"), "{bad}: {}", resp.body);
    }
}

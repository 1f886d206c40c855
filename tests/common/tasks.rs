//! What the task, reminder and calendar tests share: an admin with an API token, their own
//! user id, a customer, and dates counted from today.
#![allow(dead_code)]

use chrono::{Duration, Utc};

use super::{make_api_token, my_id, Client, TestServer};

pub struct Setup {
    pub server: TestServer,
    pub admin: Client,
    pub token: String,
    pub me: i64,
    pub customer: i64,
}

/// A server with an admin, a token of theirs and one customer, "Asiakas Oy".
pub fn setup() -> Setup {
    let (server, admin) = TestServer::with_admin();
    let token = make_api_token(&admin, "testit");
    let me = my_id(&admin, &token);
    let c = admin.api(
        "POST",
        "/api/v1/customers",
        Some(&token),
        Some(r#"{"name": "Asiakas Oy"}"#),
    );
    assert_eq!(c.status, 201, "{}", c.body);
    let customer = c.json()["id"].as_i64().unwrap();
    Setup {
        server,
        admin,
        token,
        me,
        customer,
    }
}

/// A date `days` from today (UTC; the tests stay days away from midnight's ambiguity).
pub fn day(days: i64) -> String {
    (Utc::now() + Duration::days(days))
        .format("%Y-%m-%d")
        .to_string()
}

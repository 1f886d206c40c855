//! The JSON API basics: bearer tokens, the error shape, /me, /users, OpenAPI and its docs.

mod common;

use common::*;

/// A token for the admin, made on the account page.
fn admin_token(admin: &Client) -> String {
    let resp = admin.post_form("/account", "/account/tokens", &[("name", "testit")]);
    assert_eq!(resp.status, 201, "{}", resp.body);
    resp.body
        .split("id=\"new-token\">")
        .nth(1)
        .unwrap()
        .split('<')
        .next()
        .unwrap()
        .to_string()
}

#[test]
fn me_answers_with_the_token_owner() {
    let (server, admin) = TestServer::with_admin();
    let token = admin_token(&admin);
    assert!(token.starts_with("mcrm_"));
    let c = server.client();
    let me = c.api("GET", "/api/v1/me", Some(&token), None);
    assert_eq!(me.status, 200, "{}", me.body);
    let me = me.json();
    assert_eq!(me["username"], "admin");
    assert_eq!(me["role"], "admin");
    assert_eq!(me["active"], true);
    assert!(me["id"].is_i64());
    assert!(me.get("password_hash").is_none());
    // Shown once: the page no longer shows it, only its name.
    let page = admin.get("/account");
    assert!(!page.body.contains(&token));
    assert!(page.body.contains("testit"));
}

#[test]
fn missing_or_bad_tokens_get_401_in_the_error_shape() {
    let (server, admin) = TestServer::with_admin();
    let c = server.client();
    for token in [None, Some("mcrm_nope"), Some("")] {
        let resp = c.api("GET", "/api/v1/me", token, None);
        assert_eq!(resp.status, 401);
        let body = resp.json();
        assert_eq!(body["error"]["code"], "unauthorized");
        assert!(body["error"]["message"].as_str().unwrap().len() > 5);
    }
    // Cookies are ignored by the API.
    let with_cookie = admin.api("GET", "/api/v1/me", None, None);
    assert_eq!(with_cookie.status, 401);
}

#[test]
fn a_deleted_token_or_a_deactivated_user_stops_working() {
    let (server, admin) = TestServer::with_admin();
    add_user(&admin, "bertta", "user", "bertan-salasana");
    let bertta = server.client();
    bertta.login("bertta", "bertan-salasana");
    let token = admin_token(&bertta);
    let c = server.client();
    assert_eq!(c.api("GET", "/api/v1/me", Some(&token), None).status, 200);
    let users = c.api("GET", "/api/v1/users", Some(&token), None).json();
    let id = users["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|u| u["username"] == "bertta")
        .unwrap()["id"]
        .as_i64()
        .unwrap();
    let resp = admin.post_form(
        &format!("/settings/users/{id}"),
        &format!("/settings/users/{id}"),
        &[("name", "Bertta"), ("email", ""), ("role", "user")],
    );
    assert_eq!(resp.status, 303, "{}", resp.body);
    assert_eq!(c.api("GET", "/api/v1/me", Some(&token), None).status, 401);
    assert_eq!(
        bertta.get("/").status,
        303,
        "the deactivated user's session ended"
    );
    assert_eq!(
        server.client().login("bertta", "bertan-salasana").status,
        422
    );
}

#[test]
fn users_lists_page_with_next_offset() {
    let (server, admin) = TestServer::with_admin();
    for n in 0..3 {
        add_user(&admin, &format!("user{n}"), "user", "salasana-123456");
    }
    let token = admin_token(&admin);
    let c = server.client();
    let first = c
        .api("GET", "/api/v1/users?limit=3", Some(&token), None)
        .json();
    assert_eq!(first["items"].as_array().unwrap().len(), 3);
    assert_eq!(first["next_offset"], 3);
    let rest = c
        .api("GET", "/api/v1/users?limit=3&offset=3", Some(&token), None)
        .json();
    assert_eq!(rest["items"].as_array().unwrap().len(), 1);
    assert!(rest["next_offset"].is_null());
    let bad = c.api("GET", "/api/v1/users?limit=lots", Some(&token), None);
    assert_eq!(bad.status, 400);
    assert_eq!(bad.json()["error"]["code"], "bad_request");
    let unknown = c.api("GET", "/api/v1/nothing-here", Some(&token), None);
    assert_eq!(unknown.status, 404);
    assert_eq!(unknown.json()["error"]["code"], "not_found");
}

#[test]
fn openapi_document_describes_every_route_the_api_answers() {
    let (server, admin) = TestServer::with_admin();
    let token = admin_token(&admin);
    let c = server.client();
    let doc = c.api("GET", "/api/v1/openapi.json", Some(&token), None);
    assert_eq!(doc.status, 200);
    let doc = doc.json();
    assert!(doc["openapi"].as_str().unwrap().starts_with("3."));
    let paths = doc["paths"].as_object().unwrap();
    for (path, ops) in paths {
        for (verb, op) in ops.as_object().unwrap() {
            let resp = c.api(
                &verb.to_uppercase(),
                &format!("/api/v1{path}"),
                Some(&token),
                None,
            );
            let status = resp.status.to_string();
            assert!(
                op["responses"].get(&status).is_some(),
                "{verb} {path} answered {status}, not in the document"
            );
        }
    }
    assert!(doc["components"]["schemas"]["Error"].is_object());
    // The docs page is readable from a logged-in browser and lists the routes.
    let docs = admin.get("/api/v1/docs");
    assert_eq!(docs.status, 200);
    assert!(docs.body.contains("GET /api/v1/users"));
    assert_eq!(server.client().get("/api/v1/docs").status, 401);
}

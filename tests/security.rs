//! CSRF, Host and Origin checks, roles, request limits and the server's robustness.

mod common;

use std::io::Write;
use std::net::TcpStream;
use std::time::Duration;

use common::*;

#[test]
fn a_post_without_a_valid_csrf_token_gets_a_403_page() {
    let (_server, admin) = TestServer::with_admin();
    let fields = [("company_name", "Hacked Oy"), ("default_language", "en")];
    let missing = admin.post_raw("/settings", &fields);
    assert_eq!(missing.status, 403);
    assert!(
        missing.body.contains("Lomake oli vanhentunut"),
        "{}",
        missing.body
    );
    let wrong = admin.post_raw(
        "/settings",
        &[("csrf", "0000"), ("company_name", "Hacked Oy")],
    );
    assert_eq!(wrong.status, 403);
    assert!(!admin.get("/settings").body.contains("Hacked Oy"));
    // The logout form needs it too.
    assert_eq!(admin.post_raw("/logout", &[]).status, 403);
    assert_eq!(admin.get("/").status, 200);
}

#[test]
fn the_login_form_needs_its_double_submit_token() {
    let (server, _admin) = TestServer::with_admin();
    let c = server.client();
    let resp = c.post_raw(
        "/login",
        &[("username", "admin"), ("password", ADMIN_PASSWORD)],
    );
    assert_eq!(resp.status, 403);
    // A token from one browser does not work with another browser's cookie.
    let page = c.get("/login");
    let other = server.client();
    other.get("/login");
    let resp = other.post_raw(
        "/login",
        &[
            ("csrf", &page.csrf()),
            ("username", "admin"),
            ("password", ADMIN_PASSWORD),
        ],
    );
    assert_eq!(resp.status, 403);
}

#[test]
fn a_foreign_host_header_is_refused() {
    let (server, _admin) = TestServer::with_admin();
    let answer = raw_request(
        server.addr,
        b"GET /login HTTP/1.1\r\nHost: evil.example:80\r\nConnection: close\r\n\r\n",
    );
    assert!(answer.starts_with("HTTP/1.1 403"), "{answer}");
    let answer = raw_request(
        server.addr,
        b"GET /login HTTP/1.1\r\nConnection: close\r\n\r\n",
    );
    assert!(
        answer.starts_with("HTTP/1.1 403"),
        "no Host at all: {answer}"
    );
    let ok = raw_request(
        server.addr,
        format!(
            "GET /login HTTP/1.1\r\nHost: localhost:{}\r\nConnection: close\r\n\r\n",
            server.addr.port()
        )
        .as_bytes(),
    );
    assert!(ok.starts_with("HTTP/1.1 200"), "{ok}");
}

#[test]
fn extra_host_names_can_be_allowed() {
    let server = TestServer::start_with(|c| c.allowed_hosts = vec!["crm.example.fi".into()]);
    let port = server.addr.port();
    let ok = raw_request(
        server.addr,
        format!("GET /setup HTTP/1.1\r\nHost: crm.example.fi:{port}\r\nConnection: close\r\n\r\n")
            .as_bytes(),
    );
    assert!(ok.starts_with("HTTP/1.1 200"), "{ok}");
}

#[test]
fn a_post_from_another_origin_is_refused() {
    let (server, admin) = TestServer::with_admin();
    let page = admin.get("/settings");
    let evil = TestServer::client(&server).with_header("Origin", "http://evil.example");
    *evil.cookies.borrow_mut() = admin.cookies.borrow().clone();
    let resp = evil.post_raw(
        "/settings",
        &[("csrf", &page.csrf()), ("company_name", "X")],
    );
    assert_eq!(resp.status, 403);
    let same = server.client().with_header("Origin", &server.url(""));
    *same.cookies.borrow_mut() = admin.cookies.borrow().clone();
    let resp = same.post_raw(
        "/account/language",
        &[("csrf", &page.csrf()), ("language", "en")],
    );
    assert_eq!(resp.status, 303);
}

#[test]
fn readonly_users_get_403_on_every_write_but_may_change_their_own_settings() {
    let (server, admin) = TestServer::with_admin();
    add_user(&admin, "lukija", "readonly", "lukijan-salasana");
    let ro = server.client();
    assert_eq!(ro.login("lukija", "lukijan-salasana").status, 303);
    assert_eq!(ro.get("/").status, 200);
    let page = ro.get("/settings");
    let csrf = page.csrf();
    for path in [
        "/settings",
        "/settings/users/new",
        "/settings/users/1",
        "/customers",
    ] {
        let resp = ro.post_raw(path, &[("csrf", &csrf), ("company_name", "X")]);
        assert_eq!(resp.status, 403, "POST {path}");
    }
    assert_eq!(
        ro.post_form("/account", "/account/language", &[("language", "en")])
            .status,
        303
    );
    let token = make_api_token(&ro, "lukulaite");
    assert_eq!(ro.api("GET", "/api/v1/me", Some(&token), None).status, 200);
    let write = ro.api("POST", "/api/v1/users", Some(&token), Some("{}"));
    assert_eq!(write.status, 403);
    assert_eq!(write.json()["error"]["code"], "forbidden");
    let del = ro.api("DELETE", "/api/v1/me", Some(&token), None);
    assert_eq!(del.status, 403);
}

#[test]
fn plain_users_cannot_open_admin_pages() {
    let (server, admin) = TestServer::with_admin();
    add_user(&admin, "bertta", "user", "bertan-salasana");
    let user = server.client();
    user.login("bertta", "bertan-salasana");
    for path in [
        "/settings/users",
        "/settings/users/new",
        "/settings/logins",
        "/settings/backups",
        "/settings/backups/download",
    ] {
        assert_eq!(user.get(path).status, 403, "{path}");
    }
    let settings = user.get("/settings");
    assert_eq!(settings.status, 200);
    assert!(settings.body.contains("Vain pääkäyttäjät"));
    let resp = user.post_form("/settings", "/settings", &[("company_name", "Bertan Oy")]);
    assert_eq!(resp.status, 403);
}

#[test]
fn a_body_over_the_limit_is_refused_with_413_before_it_is_read() {
    let server = TestServer::start_with(|c| c.max_body = 1024 * 1024);
    // Announces 10 GB and sends none of it: the answer must come anyway.
    let answer = raw_request(
        server.addr,
        format!("POST /setup HTTP/1.1\r\nHost: {}\r\nContent-Type: application/x-www-form-urlencoded\r\nContent-Length: 10000000000\r\n\r\n", server.addr).as_bytes(),
    );
    assert!(answer.starts_with("HTTP/1.1 413"), "{answer}");
    assert!(answer.contains("liian suuri"), "{answer}");
    let api = raw_request(
        server.addr,
        format!(
            "POST /api/v1/users HTTP/1.1\r\nHost: {}\r\nContent-Length: 99999999999999\r\n\r\n",
            server.addr
        )
        .as_bytes(),
    );
    assert!(api.starts_with("HTTP/1.1 413"), "{api}");
    assert!(api.contains("\"code\":\"too_large\""), "{api}");
    // The server is fine afterwards.
    assert_eq!(server.client().get("/setup").status, 200);
}

#[test]
fn a_chunked_body_growing_over_the_limit_is_cut_off() {
    let server = TestServer::start_with(|c| c.max_body = 64 * 1024);
    let mut request = format!(
        "POST /setup HTTP/1.1\r\nHost: {}\r\nContent-Type: application/x-www-form-urlencoded\r\nTransfer-Encoding: chunked\r\n\r\n",
        server.addr
    )
    .into_bytes();
    let chunk = vec![b'a'; 16 * 1024];
    for _ in 0..8 {
        request.extend_from_slice(format!("{:x}\r\n", chunk.len()).as_bytes());
        request.extend_from_slice(&chunk);
        request.extend_from_slice(b"\r\n");
    }
    request.extend_from_slice(b"0\r\n\r\n");
    let answer = raw_request(server.addr, &request);
    assert!(answer.starts_with("HTTP/1.1 413"), "{answer}");
}

#[test]
fn a_stalled_client_does_not_hold_the_only_worker() {
    let server = TestServer::start_with(|c| {
        c.workers = 1;
        c.io_timeout = Duration::from_millis(300);
    });
    let mut stalled = TcpStream::connect(server.addr).unwrap();
    let head = format!("POST /setup HTTP/1.1\r\nHost: {}\r\nContent-Type: application/x-www-form-urlencoded\r\nContent-Length: 5000\r\n\r\nusername=", server.addr);
    stalled.write_all(head.as_bytes()).unwrap();
    // The one worker is now waiting for a body that never comes; the read timeout frees it.
    let resp = server.client().get("/setup");
    assert_eq!(resp.status, 200);
    drop(stalled);
}

#[test]
fn a_panicking_handler_answers_500_and_the_worker_lives_on() {
    let server = TestServer::start_with(|c| c.workers = 1);
    let c = server.client();
    let resp = c.get("/_test/panic");
    assert_eq!(resp.status, 500);
    assert!(
        resp.body.contains("Palvelimella tapahtui virhe"),
        "{}",
        resp.body
    );
    assert!(
        !resp.body.contains("on purpose"),
        "the detail is logged, not shown"
    );
    // The single worker still answers.
    assert_eq!(c.get("/setup").status, 200);
    assert_eq!(c.get("/_test/panic").status, 500);
    assert_eq!(c.get("/setup").status, 200);
}

#[test]
fn unknown_routes_are_404_pages_or_json() {
    let (_server, admin) = TestServer::with_admin();
    let page = admin.get("/no/such/page");
    assert_eq!(page.status, 404);
    assert!(page.body.contains("Ei löytynyt"));
    let api = admin.api("GET", "/api/v1/nothing", None, None);
    assert_eq!(api.status, 401);
    assert_eq!(api.json()["error"]["code"], "unauthorized");
    assert_eq!(admin.get("/settings/users/not-a-number").status, 404);
    assert_eq!(admin.get("/settings/users/999999").status, 404);
}

#[test]
fn garbage_requests_never_get_a_500() {
    let (server, admin) = TestServer::with_admin();
    let csrf = admin.get("/settings").csrf();
    for body in ["%", "a=%ZZ", "&&&=", "\u{0}\u{1}"] {
        let resp = admin.post_raw("/settings", &[("csrf", &csrf), ("x", body)]);
        assert!(resp.status < 500, "{body}: {}", resp.status);
    }
    let raw = raw_request(
        server.addr,
        format!("POST /login HTTP/1.1\r\nHost: {}\r\nContent-Type: application/x-www-form-urlencoded\r\nContent-Length: 7\r\n\r\n%%%%%%%", server.addr).as_bytes(),
    );
    assert!(raw.starts_with("HTTP/1.1 4"), "{raw}");
    let wrong_type = raw_request(
        server.addr,
        format!("POST /login HTTP/1.1\r\nHost: {}\r\nContent-Type: text/plain\r\nContent-Length: 2\r\n\r\nhi", server.addr).as_bytes(),
    );
    assert!(wrong_type.starts_with("HTTP/1.1 415"), "{wrong_type}");
    let long = "x".repeat(10_000);
    let resp = admin.get(&format!("/search?q={long}"));
    assert_eq!(resp.status, 200);
}

#[test]
fn html_in_input_is_rendered_escaped() {
    let (_server, admin) = TestServer::with_admin();
    let script = "<script>alert('x')</script>";
    let resp = admin.post_form(
        "/settings",
        "/settings",
        &[
            ("company_name", script),
            ("default_language", "fi"),
            ("session_idle_hours", "8"),
            ("remember_days", "30"),
            ("lockout_attempts", "5"),
            ("lockout_minutes", "15"),
            ("backup_interval_hours", "24"),
            ("backup_keep", "7"),
        ],
    );
    assert_eq!(resp.status, 303, "{}", resp.body);
    let front = admin.get("/");
    assert!(!front.body.contains(script));
    assert!(front.body.contains("&lt;script&gt;"));
    let search = admin.get("/search?q=%3Cscript%3E");
    assert!(!search.body.contains("<script>alert"));
}

#[test]
fn every_answer_carries_the_security_headers() {
    let (_server, admin) = TestServer::with_admin();
    let resp = admin.get("/");
    assert_eq!(resp.header("x-content-type-options"), Some("nosniff"));
    assert!(resp
        .header("content-security-policy")
        .unwrap()
        .contains("default-src 'self'"));
    assert_eq!(resp.header("cache-control"), Some("no-store"));
    let css_url = resp
        .body
        .split("href=\"")
        .find(|s| s.starts_with("/assets/"))
        .unwrap()
        .split('"')
        .next()
        .unwrap()
        .to_string();
    let css = admin.get(&css_url);
    assert_eq!(css.status, 200);
    assert!(css.header("content-type").unwrap().starts_with("text/css"));
    assert!(css.header("cache-control").unwrap().contains("immutable"));
}

#[test]
fn asset_paths_cannot_climb_out_of_the_assets_folder() {
    let (server, _admin) = TestServer::with_admin();
    for path in [
        "/assets/x/../../Cargo.toml",
        "/assets/x/..%2F..%2FCargo.toml",
        "/assets/x/%2e%2e/schema.sql",
        "/assets/x//etc/passwd",
    ] {
        let answer = raw_request(
            server.addr,
            format!(
                "GET {path} HTTP/1.1\r\nHost: {}\r\nConnection: close\r\n\r\n",
                server.addr
            )
            .as_bytes(),
        );
        assert!(answer.starts_with("HTTP/1.1 404"), "{path}: {answer}");
    }
}

#[test]
fn a_login_redirect_cannot_inject_headers_or_leave_the_site() {
    let (server, _admin) = TestServer::with_admin();
    for next in [
        "/x\r\nSet-Cookie: minicrm_session=attacker",
        "/\t/evil.example",
        "/x\nLocation: //evil.example",
    ] {
        let c = server.client();
        let resp = c.post_form(
            "/login",
            "/login",
            &[
                ("username", "admin"),
                ("password", ADMIN_PASSWORD),
                ("next", next),
            ],
        );
        assert_eq!(resp.status, 303, "{next:?}");
        assert_eq!(resp.location(), "/", "{next:?}");
        assert!(
            !resp
                .headers
                .iter()
                .any(|(_, v)| v.contains("attacker") || v.contains("evil")),
            "{next:?}"
        );
    }
}

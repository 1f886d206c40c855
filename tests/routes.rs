//! Every route of both tables, walked with no login, a readonly user, a plain user and an
//! administrator: each answer must be what the route's guard in the table says.

mod common;

use common::{add_user, make_api_token, Client, Response, TestServer};
use minicrm::server::routes::{Access, Route};

/// A session and an API token of one role.
struct Caller {
    role: &'static str,
    client: Client,
    csrf: String,
    token: String,
}

fn caller(server: &TestServer, role: &'static str, client: Option<Client>) -> Caller {
    let client = client.unwrap_or_else(|| {
        let password = format!("{role}-salasana-pitkä");
        add_user(
            &caller_admin(server).client,
            &format!("{role}1"),
            role,
            &password,
        );
        let c = server.client();
        assert_eq!(c.login(&format!("{role}1"), &password).status, 303);
        c
    });
    let token = make_api_token(&client, role);
    let csrf = client.get("/account").csrf();
    Caller {
        role,
        client,
        csrf,
        token,
    }
}

/// A fresh admin session (the walk's own admin may have logged out by then).
fn caller_admin(server: &TestServer) -> Caller {
    let client = server.client();
    assert_eq!(client.login("admin", common::ADMIN_PASSWORD).status, 303);
    let csrf = client.get("/account").csrf();
    Caller {
        role: "admin",
        client,
        csrf,
        token: String::new(),
    }
}

/// The pattern with its captures filled with records that exist.
fn path_of(pattern: &str, customer: &str, contact: &str) -> String {
    let segments: Vec<&str> = pattern.split('/').collect();
    let mut out = Vec::new();
    for (i, seg) in segments.iter().enumerate() {
        let owner = if i > 0 { segments[i - 1] } else { "" };
        let filled = match (*seg, owner) {
            ("{id}", "customers") | ("{id}.vcf", "customers") => seg.replace("{id}", customer),
            ("{id}", "contacts") | ("{id}.vcf", "contacts") => seg.replace("{id}", contact),
            ("{contact}", _) => contact.to_string(),
            ("{id}", "users") => "1".to_string(),
            ("{id}", "tokens") => "999".to_string(),
            ("{name}", _) => "no-such-copy.db".to_string(),
            (s, _) => s.to_string(),
        };
        out.push(filled);
    }
    out.join("/")
}

fn method_name(route: &Route) -> &'static str {
    use minicrm::http::Method::*;
    match route.method {
        Get | Head => "GET",
        Post => "POST",
        Put => "PUT",
        Patch => "PATCH",
        Delete => "DELETE",
        Other => "OTHER",
    }
}

fn allowed(access: Access, role: &str) -> bool {
    match access {
        Access::Anyone | Access::LoggedIn => true,
        Access::Writer => role != "readonly",
        Access::Admin => role == "admin",
    }
}

fn check(route: &Route, who: &str, allowed: bool, resp: &Response, what: &str) {
    assert_ne!(resp.status, 500, "{what} as {who}: {}", resp.body);
    if route.access == Access::Anyone {
        assert_ne!(resp.status, 403, "{what} as {who}");
    } else if allowed {
        // Logging out is the one allowed answer that sends the browser to the login.
        let to_login = resp.location().starts_with("/login") && route.pattern != "/logout";
        assert!(
            resp.status != 403 && resp.status != 401 && !to_login,
            "{what} as {who} is allowed by the table ({:?}) but answered {} {}",
            route.access,
            resp.status,
            resp.location()
        );
    } else {
        assert_eq!(
            resp.status, 403,
            "{what} as {who} must be refused ({:?})",
            route.access
        );
    }
}

#[test]
fn every_route_answers_each_role_as_its_guard_says() {
    let (server, admin) = TestServer::with_admin();
    let customer = admin
        .post_form(
            "/customers/new",
            "/customers/new",
            &[("name", "Reittitesti Oy")],
        )
        .location()
        .trim_start_matches("/customers/")
        .to_string();
    let created = admin.post_form(
        &format!("/customers/{customer}"),
        &format!("/customers/{customer}/contacts"),
        &[
            ("first_name", "Rea"),
            ("last_name", "Reitti"),
            ("role", "CEO"),
        ],
    );
    assert_eq!(created.status, 303, "{}", created.body);
    let card = admin.get(&format!("/customers/{customer}"));
    let contact = card
        .body
        .split("href=\"/contacts/")
        .nth(1)
        .and_then(|s| s.split('"').next())
        .unwrap()
        .to_string();

    let callers = [
        caller(&server, "readonly", None),
        caller(&server, "user", None),
        caller(&server, "admin", Some(admin)),
    ];
    let anonymous = server.client();

    // Logging out ends the session the rest of the walk uses: it goes last.
    let mut pages: Vec<&Route> = minicrm::server::pages::PAGES.iter().collect();
    pages.sort_by_key(|r| r.pattern == "/logout");
    let mut walked = 0;
    for route in pages {
        let path = path_of(route.pattern, &customer, &contact);
        let method = method_name(route);
        let what = format!("{method} {path}");
        if route.access != Access::Anyone {
            let resp = match method {
                "GET" => anonymous.get(&path),
                _ => anonymous.post_raw(&path, &[]),
            };
            if method == "GET" {
                assert!(
                    resp.location().starts_with("/login"),
                    "{what} without a login"
                );
            } else {
                assert!(matches!(resp.status, 303 | 403), "{what} without a login");
            }
        }
        for c in &callers {
            let resp = match method {
                "GET" => c.client.get(&path),
                _ => c.client.post_raw(&path, &[("csrf", &c.csrf)]),
            };
            check(route, c.role, allowed(route.access, c.role), &resp, &what);
            walked += 1;
        }
    }

    for route in minicrm::server::api::API {
        let path = format!("/api/v1{}", path_of(route.pattern, &customer, &contact));
        let method = method_name(route);
        let what = format!("{method} {path}");
        let body = (method != "GET" && method != "DELETE").then_some("{}");
        let resp = callers[0].client.api(method, &path, None, body);
        assert_eq!(resp.status, 401, "{what} without a token");
        for c in &callers {
            let resp = c.client.api(method, &path, Some(&c.token), body);
            check(route, c.role, allowed(route.access, c.role), &resp, &what);
            walked += 1;
        }
    }
    assert!(walked > 150, "walked only {walked} route × role pairs");
}

#[test]
fn a_known_path_with_another_method_is_405_in_the_api() {
    let (_server, admin) = TestServer::with_admin();
    let c = caller_admin(&_server);
    let token = caller(&_server, "admin", Some(c.client)).token;
    let resp = admin.api("PUT", "/api/v1/customers", Some(&token), Some("{}"));
    assert_eq!(resp.status, 405);
    assert_eq!(resp.json()["error"]["code"], "method_not_allowed");
    assert_eq!(
        admin
            .api("GET", "/api/v1/no-such-thing", Some(&token), None)
            .status,
        404
    );
}

#[test]
fn administration_routes_are_for_administrators_only() {
    let admin_only = |r: &Route| {
        (r.pattern.starts_with("/settings/") && r.pattern != "/settings")
            || r.pattern.ends_with("/merge")
            || r.pattern == "/customers/{id}/delete"
            || (r.pattern == "/settings" && method_name(r) == "POST")
    };
    for route in minicrm::server::pages::PAGES
        .iter()
        .filter(|r| admin_only(r))
    {
        assert_eq!(route.access, Access::Admin, "{}", route.pattern);
    }
    let delete_customer = minicrm::server::api::API
        .iter()
        .find(|r| r.pattern == "/customers/{id}" && method_name(r) == "DELETE")
        .unwrap();
    assert_eq!(delete_customer.access, Access::Admin);
}

//! The JSON API basics: bearer tokens, the error shape, /me, /users, OpenAPI and its docs.

mod common;

use std::collections::BTreeSet;

use common::*;
use minicrm::server::api::API;
use serde_json::{json, Value};

/// A token for the admin, made on the account page.
fn admin_token(admin: &Client) -> String {
    make_api_token(admin, "testit")
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

// ---- the OpenAPI document and the server agree ----

/// The OpenAPI document, read as a client reads it.
fn document(server: &TestServer, token: &str) -> Value {
    let resp = server
        .client()
        .api("GET", "/api/v1/openapi.json", Some(token), None);
    assert_eq!(resp.status, 200, "{}", resp.body);
    resp.json()
}

/// A client of the API with a token.
struct Api<'s> {
    server: &'s TestServer,
    token: String,
}

impl Api<'_> {
    fn call(&self, method: &str, path: &str, body: Option<Value>) -> Response {
        let body = body.map(|b| b.to_string());
        self.server.client().api(
            method,
            &format!("/api/v1{path}"),
            Some(&self.token),
            body.as_deref(),
        )
    }

    fn ok(&self, method: &str, path: &str, body: Option<Value>) -> Value {
        let resp = self.call(method, path, body);
        assert!(
            (200..300).contains(&resp.status),
            "{method} {path}: {} {}",
            resp.status,
            resp.body
        );
        resp.json()
    }

    /// A request with a method the HTTP client will not send (`FROB`): its status and JSON body.
    fn raw(&self, method: &str, path: &str) -> (u16, Value) {
        let answer = raw_request(
            self.server.addr,
            format!(
                "{method} /api/v1{path} HTTP/1.1\r\nHost: localhost:{}\r\nAuthorization: Bearer {}\r\nContent-Length: 0\r\nConnection: close\r\n\r\n",
                self.server.addr.port(),
                self.token
            )
            .as_bytes(),
        );
        let status = answer.split(' ').nth(1).unwrap().parse().unwrap();
        let (_, body) = answer.split_once("\r\n\r\n").unwrap();
        (status, serde_json::from_str(body).unwrap())
    }

    fn id(&self, path: &str, body: Value) -> i64 {
        self.ok("POST", path, Some(body))["id"].as_i64().unwrap()
    }
}

/// Asserts an answer of `status` in the Error schema's shape with `code`; its `error`.
fn error_of(resp: &Response, status: u16, code: &str) -> Value {
    assert_eq!(resp.status, status, "{}", resp.body);
    assert!(resp
        .header("content-type")
        .unwrap_or("")
        .starts_with("application/json"));
    let error = resp.json()["error"].clone();
    assert_eq!(error["code"], code, "{error}");
    assert!(!error["message"].as_str().unwrap().is_empty(), "{error}");
    error
}

/// A path pattern with its captures' names left out, `/customers/{}/contacts/{}`: the table
/// says `{contact}` where the document says `{contact_id}`.
fn normalised(pattern: &str) -> String {
    let mut out = String::new();
    let mut capture = false;
    for ch in pattern.chars() {
        match ch {
            '{' | '}' => {
                capture = ch == '{';
                out.push(ch);
            }
            _ if capture => {}
            _ => out.push(ch),
        }
    }
    out
}

/// The names of a path's captures, in order.
fn captures(path: &str) -> Vec<&str> {
    path.split('{')
        .skip(1)
        .map(|s| s.split('}').next().unwrap())
        .collect()
}

/// One parameter of an operation, by name.
fn parameter<'d>(op: &'d Value, name: &str) -> &'d Value {
    op["parameters"]
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["name"] == name)
        .unwrap_or_else(|| panic!("no parameter {name}"))
}

/// The JSON schema of an operation's request body.
fn body_schema(op: &Value) -> &Value {
    &op["requestBody"]["content"]["application/json"]["schema"]
}

#[test]
fn every_route_of_the_api_table_is_in_the_document_and_every_documented_route_in_the_table() {
    let (server, admin) = TestServer::with_admin();
    let doc = document(&server, &admin_token(&admin));
    let table: BTreeSet<(String, String)> = API
        .iter()
        .map(|r| {
            (
                format!("{:?}", r.method).to_lowercase(),
                normalised(r.pattern),
            )
        })
        .collect();
    assert_eq!(table.len(), API.len(), "a route is in the table twice");
    let mut documented = BTreeSet::new();
    for (path, ops) in doc["paths"].as_object().unwrap() {
        for (verb, op) in ops.as_object().unwrap() {
            assert!(documented.insert((verb.clone(), normalised(path))));
            // Each capture of the path is a required path parameter of that name.
            let declared: Vec<&str> = op["parameters"]
                .as_array()
                .map(|ps| {
                    ps.iter()
                        .filter(|p| p["in"] == "path")
                        .map(|p| {
                            assert_eq!(p["required"], true, "{verb} {path}");
                            p["name"].as_str().unwrap()
                        })
                        .collect()
                })
                .unwrap_or_default();
            assert_eq!(declared, captures(path), "{verb} {path}");
        }
    }
    let undocumented: Vec<_> = table.difference(&documented).collect();
    assert!(
        undocumented.is_empty(),
        "in the API table, not in openapi.json: {undocumented:?}"
    );
    let unrouted: Vec<_> = documented.difference(&table).collect();
    assert!(
        unrouted.is_empty(),
        "in openapi.json, not in the API table: {unrouted:?}"
    );
}

#[test]
fn limit_0_is_a_400_and_the_document_says_limit_is_1_or_more() {
    let (server, admin) = TestServer::with_admin();
    let api = Api {
        server: &server,
        token: admin_token(&admin),
    };
    let doc = document(&server, &api.token);
    api.id("/customers", json!({"name": "Alfa Oy"}));
    api.id("/contacts", json!({"first_name": "Aino"}));
    for path in ["/users", "/customers", "/contacts"] {
        let op = &doc["paths"][path]["get"];
        let limit = &parameter(op, "limit")["schema"];
        assert_eq!(limit["minimum"], 1, "{path}");
        assert_eq!(limit["maximum"], 500, "{path}");
        assert!(op["responses"]["400"].is_object(), "{path}");
        for bad in ["0", "-1", "x"] {
            error_of(
                &api.call("GET", &format!("{path}?limit={bad}"), None),
                400,
                "bad_request",
            );
        }
        let one = api.ok("GET", &format!("{path}?limit=1"), None);
        assert_eq!(one["items"].as_array().unwrap().len(), 1, "{path}");
        // Over the maximum is read as the maximum, as the description says.
        assert!(parameter(op, "limit")["description"]
            .as_str()
            .unwrap()
            .contains("larger one is read as 500"));
        api.ok("GET", &format!("{path}?limit=100000"), None);
    }
}

#[test]
fn a_huge_offset_is_an_empty_page_up_to_the_documented_maximum_and_a_400_past_it() {
    let (server, admin) = TestServer::with_admin();
    let api = Api {
        server: &server,
        token: admin_token(&admin),
    };
    let doc = document(&server, &api.token);
    api.id("/customers", json!({"name": "Alfa Oy"}));
    api.id("/contacts", json!({"first_name": "Aino"}));
    let max: i64 = 9_007_199_254_740_991;
    for path in ["/users", "/customers", "/contacts"] {
        let offset = &parameter(&doc["paths"][path]["get"], "offset")["schema"];
        assert_eq!(offset["minimum"], 0, "{path}");
        assert_eq!(offset["maximum"], max, "{path}");
        for ok in ["1000000000000000", &max.to_string()] {
            let page = api.ok("GET", &format!("{path}?limit=500&offset={ok}"), None);
            assert_eq!(page["items"], json!([]), "{path}?offset={ok}");
            assert!(page["next_offset"].is_null(), "{path}?offset={ok}");
        }
        for bad in ["9007199254740992", "99999999999999999999", "-1", "1e15"] {
            error_of(
                &api.call("GET", &format!("{path}?offset={bad}"), None),
                400,
                "bad_request",
            );
        }
    }
}

#[test]
fn name_is_required_on_customer_create_in_the_document_and_the_server() {
    let (server, admin) = TestServer::with_admin();
    let api = Api {
        server: &server,
        token: admin_token(&admin),
    };
    let doc = document(&server, &api.token);
    let create = &doc["paths"]["/customers"]["post"];
    assert_eq!(body_schema(create)["required"], json!(["name"]));
    assert_eq!(
        body_schema(create)["properties"]["name"]["minLength"],
        json!(1)
    );
    assert!(create["responses"]["422"].is_object());
    let patch = &doc["paths"]["/customers/{id}"]["patch"];
    assert!(body_schema(patch).get("required").is_none());
    assert!(body_schema(patch)["properties"].get("number").is_none());
    assert!(body_schema(create)["properties"]["number"].is_object());

    for body in [json!({}), json!({"name": ""}), json!({"email": "a@b.fi"})] {
        let error = error_of(
            &api.call("POST", "/customers", Some(body.clone())),
            422,
            "validation",
        );
        assert!(error["fields"]["name"].is_string(), "{body}: {error}");
    }
    let id = api.id("/customers", json!({"name": "Alfa Oy"}));
    // PATCH needs no name, and refuses a new number.
    let patched = api.ok(
        "PATCH",
        &format!("/customers/{id}"),
        Some(json!({"email": "a@b.fi"})),
    );
    assert_eq!(patched["name"], "Alfa Oy");
    let error = error_of(
        &api.call(
            "PATCH",
            &format!("/customers/{id}"),
            Some(json!({"number": "X-1"})),
        ),
        422,
        "validation",
    );
    assert!(error["fields"]["number"].is_string(), "{error}");
}

#[test]
fn patch_contact_with_customers_replaces_its_links_as_documented() {
    let (server, admin) = TestServer::with_admin();
    let api = Api {
        server: &server,
        token: admin_token(&admin),
    };
    let doc = document(&server, &api.token);
    let patch = &doc["paths"]["/contacts/{id}"]["patch"];
    let customers = &body_schema(patch)["properties"]["customers"];
    assert_eq!(customers["type"], "array");
    assert_eq!(customers["items"]["$ref"], "#/components/schemas/Link");
    let link = &doc["components"]["schemas"]["Link"];
    assert_eq!(link["required"], json!(["customer_id"]));
    assert_eq!(link["properties"]["customer_id"]["type"], "integer");
    assert_eq!(link["properties"]["role"]["type"], "string");
    assert!(body_schema(patch)["description"]
        .as_str()
        .unwrap()
        .contains("whole list of links"));
    assert!(patch["responses"]["422"].is_object());

    let alfa = api.id("/customers", json!({"name": "Alfa Oy"}));
    let beeta = api.id("/customers", json!({"name": "Beeta Oy"}));
    let maija = api.id(
        "/contacts",
        json!({"first_name": "Maija", "customers": [{"customer_id": alfa, "role": "CEO"}]}),
    );
    let path = format!("/contacts/{maija}");
    let links = |c: &Value| c["customers"].clone();

    // A new link, a changed role: both at once.
    let changed = api.ok(
        "PATCH",
        &path,
        Some(json!({"customers": [{"customer_id": beeta, "role": "Hallitus"}, {"customer_id": alfa, "role": "CFO"}]})),
    );
    assert_eq!(
        links(&changed),
        json!([{"customer_id": alfa, "role": "CFO"}, {"customer_id": beeta, "role": "Hallitus"}])
    );
    let of_alfa = api.ok("GET", &format!("/customers/{alfa}/contacts"), None);
    assert_eq!(of_alfa["items"][0]["role"], "CFO");
    // Other fields leave the links alone.
    let renamed = api.ok("PATCH", &path, Some(json!({"last_name": "Mäki"})));
    assert_eq!(links(&renamed), links(&changed));
    // A link left out goes; `role` may be left out.
    let fewer = api.ok(
        "PATCH",
        &path,
        Some(json!({"customers": [{"customer_id": beeta}]})),
    );
    assert_eq!(links(&fewer), json!([{"customer_id": beeta, "role": ""}]));
    assert_eq!(
        api.ok("GET", &format!("/customers/{alfa}/contacts"), None)["items"],
        json!([])
    );
    // An unknown customer is a 422 and changes nothing, the other fields included.
    let error = error_of(
        &api.call(
            "PATCH",
            &path,
            Some(json!({"title": "Johtaja", "customers": [{"customer_id": alfa}, {"customer_id": 99999}]})),
        ),
        422,
        "validation",
    );
    assert!(error["fields"]["customer_id"].is_string(), "{error}");
    let now = api.ok("GET", &path, None);
    assert_eq!(links(&now), links(&fewer));
    assert_eq!(now["title"], "");
    // An empty list unlinks all.
    let none = api.ok("PATCH", &path, Some(json!({"customers": []})));
    assert_eq!(links(&none), json!([]));
}

#[test]
fn an_empty_customer_id_is_no_filter_as_the_document_says() {
    let (server, admin) = TestServer::with_admin();
    let api = Api {
        server: &server,
        token: admin_token(&admin),
    };
    let doc = document(&server, &api.token);
    for (path, name) in [
        ("/contacts", "customer_id"),
        ("/contacts.vcf", "customer_id"),
        ("/customers", "owner_id"),
    ] {
        let param = parameter(&doc["paths"][path]["get"], name);
        assert_eq!(param["allowEmptyValue"], true, "{path} {name}");
        assert!(param["description"]
            .as_str()
            .unwrap()
            .contains("Empty is the same as none"));
    }
    let alfa = api.id("/customers", json!({"name": "Alfa Oy"}));
    api.id(
        "/contacts",
        json!({"first_name": "Aino", "customers": [{"customer_id": alfa}]}),
    );
    api.id("/contacts", json!({"first_name": "Eino"}));
    let all = api.ok("GET", "/contacts", None);
    assert_eq!(all["items"].as_array().unwrap().len(), 2);
    assert_eq!(api.ok("GET", "/contacts?customer_id=", None), all);
    let of_alfa = api.ok("GET", &format!("/contacts?customer_id={alfa}"), None);
    assert_eq!(of_alfa["items"].as_array().unwrap().len(), 1);
    error_of(
        &api.call("GET", "/contacts?customer_id=x", None),
        400,
        "bad_request",
    );
    assert_eq!(
        api.ok("GET", "/customers?owner_id=", None),
        api.ok("GET", "/customers", None)
    );
    let everyone = api.call("GET", "/contacts.vcf?customer_id=", None);
    assert_eq!(everyone.status, 200, "{}", everyone.body);
    assert_eq!(everyone.body.matches("BEGIN:VCARD").count(), 2);
}

#[test]
fn a_known_path_with_another_method_is_a_405_as_the_document_says() {
    let (server, admin) = TestServer::with_admin();
    let api = Api {
        server: &server,
        token: admin_token(&admin),
    };
    let doc = document(&server, &api.token);
    let description = doc["info"]["description"].as_str().unwrap();
    assert!(
        description.contains("405") && description.contains("method_not_allowed"),
        "{description}"
    );
    let mut tried = 0;
    for (path, ops) in doc["paths"].as_object().unwrap() {
        let filled: String = path
            .split('/')
            .map(|seg| match seg.split_once('{') {
                Some((head, rest)) => format!("{head}1{}", rest.split_once('}').unwrap().1),
                None => seg.to_string(),
            })
            .collect::<Vec<_>>()
            .join("/");
        let ops = ops.as_object().unwrap();
        for method in ["GET", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"] {
            if ops.contains_key(&method.to_lowercase()) {
                continue;
            }
            tried += 1;
            let resp = api.call(method, &filled, None);
            assert_eq!(resp.status, 405, "{method} {filled}: {}", resp.body);
            error_of(&resp, 405, "method_not_allowed");
        }
        let (status, body) = api.raw("FROB", &filled);
        assert_eq!(status, 405, "FROB {filled}: {body}");
        assert_eq!(body["error"]["code"], "method_not_allowed");
    }
    assert!(tried > 30, "{tried}");
    // An unknown path stays a 404, whatever the method.
    let (status, body) = api.raw("FROB", "/nowhere");
    assert_eq!(status, 404, "{body}");
    assert_eq!(body["error"]["code"], "not_found");
}

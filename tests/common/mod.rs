//! The integration harness: the real server, in this process, on a free port with a temporary
//! database, and a small cookie-keeping HTTP client on ureq. Plus helpers to run the real
//! `minicrm` binary and to send raw bytes for the bad-input tests.
#![allow(dead_code)]

pub mod dovecot;
pub mod page;
pub mod smtp;
pub mod tasks;
pub mod webdriver;

use std::collections::BTreeMap;
use std::io::{Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::sync::atomic::AtomicBool;
use std::sync::Arc;
use std::time::Duration;

use minicrm::config::ServeConfig;

pub const ADMIN_PASSWORD: &str = "oikein-hyvä-salasana";

pub struct TestServer {
    pub dir: tempfile::TempDir,
    pub db: PathBuf,
    pub addr: SocketAddr,
    running: Option<minicrm::server::Running>,
}

impl TestServer {
    /// A server on a new, empty database (in set-up mode).
    pub fn start() -> TestServer {
        TestServer::start_with(|_| {})
    }

    pub fn start_with(adjust: impl FnOnce(&mut ServeConfig)) -> TestServer {
        minicrm::users::password::use_low_cost_for_tests();
        let dir = tempfile::tempdir().unwrap();
        let db = dir.path().join("minicrm.db");
        let mut config = ServeConfig::new(db.clone());
        config.addr = "127.0.0.1:0".into();
        config.workers = 4;
        config.test_routes = true;
        adjust(&mut config);
        let running = minicrm::server::start(config, Arc::new(AtomicBool::new(false))).unwrap();
        TestServer {
            dir,
            db,
            addr: running.addr,
            running: Some(running),
        }
    }

    /// A server whose set-up is done: company "Testi Oy", admin `admin`.
    pub fn with_admin() -> (TestServer, Client) {
        let server = TestServer::start();
        let client = server.client();
        client.setup("Testi Oy", "fi", "admin", ADMIN_PASSWORD);
        (server, client)
    }

    pub fn url(&self, path: &str) -> String {
        format!("http://{}{path}", self.addr)
    }

    pub fn client(&self) -> Client {
        Client::new(self.url(""))
    }

    /// Stops the server, waiting for in-flight requests.
    pub fn stop(&mut self) {
        if let Some(r) = self.running.take() {
            r.stop();
        }
    }
}

impl Drop for TestServer {
    fn drop(&mut self) {
        self.stop();
    }
}

pub struct Response {
    pub status: u16,
    pub headers: Vec<(String, String)>,
    /// The body as text (lossy for binary bodies; see `bytes`).
    pub body: String,
    pub bytes: Vec<u8>,
}

impl Response {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    pub fn location(&self) -> &str {
        self.header("location").unwrap_or("")
    }

    pub fn json(&self) -> serde_json::Value {
        serde_json::from_str(&self.body).unwrap_or_else(|e| panic!("not JSON ({e}): {}", self.body))
    }

    /// The value of the hidden CSRF field in the page.
    pub fn csrf(&self) -> String {
        let marker = "name=\"csrf\" value=\"";
        let at = self
            .body
            .find(marker)
            .unwrap_or_else(|| panic!("no CSRF field in: {}", self.body));
        let rest = &self.body[at + marker.len()..];
        rest[..rest.find('"').unwrap()].to_string()
    }
}

/// A browser-like client: keeps cookies, does not follow redirects.
pub struct Client {
    base: String,
    agent: ureq::Agent,
    pub cookies: std::cell::RefCell<BTreeMap<String, String>>,
    pub extra_headers: Vec<(String, String)>,
}

impl Client {
    pub fn new(base: String) -> Client {
        let agent: ureq::Agent = ureq::Agent::config_builder()
            .http_status_as_error(false)
            .max_redirects(0)
            .timeout_global(Some(Duration::from_secs(30)))
            .build()
            .into();
        Client {
            base,
            agent,
            cookies: Default::default(),
            extra_headers: Vec::new(),
        }
    }

    pub fn with_header(mut self, name: &str, value: &str) -> Client {
        self.extra_headers.push((name.into(), value.into()));
        self
    }

    fn cookie_header(&self) -> String {
        self.cookies
            .borrow()
            .iter()
            .map(|(k, v)| format!("{k}={v}"))
            .collect::<Vec<_>>()
            .join("; ")
    }

    fn finish(&self, result: Result<ureq::http::Response<ureq::Body>, ureq::Error>) -> Response {
        let mut resp = result.expect("the server answers");
        let headers: Vec<(String, String)> = resp
            .headers()
            .iter()
            .map(|(n, v)| (n.as_str().to_string(), v.to_str().unwrap_or("").to_string()))
            .collect();
        for (name, value) in &headers {
            if name.eq_ignore_ascii_case("set-cookie") {
                let pair = value.split(';').next().unwrap_or("");
                if let Some((k, v)) = pair.split_once('=') {
                    if v.is_empty() || value.contains("Max-Age=0") {
                        self.cookies.borrow_mut().remove(k);
                    } else {
                        self.cookies
                            .borrow_mut()
                            .insert(k.to_string(), v.to_string());
                    }
                }
            }
        }
        let bytes = resp
            .body_mut()
            .with_config()
            .limit(100 * 1024 * 1024)
            .read_to_vec()
            .unwrap_or_default();
        let body = String::from_utf8_lossy(&bytes).into_owned();
        Response {
            status: resp.status().as_u16(),
            headers,
            body,
            bytes,
        }
    }

    pub fn get(&self, path: &str) -> Response {
        let mut req = self
            .agent
            .get(format!("{}{path}", self.base))
            .header("Cookie", self.cookie_header());
        for (n, v) in &self.extra_headers {
            req = req.header(n.as_str(), v.as_str());
        }
        self.finish(req.call())
    }

    /// Any request with the client's cookies, the given headers and a raw body (uploads).
    pub fn request(
        &self,
        method: &str,
        path: &str,
        headers: &[(&str, &str)],
        body: Vec<u8>,
    ) -> Response {
        let mut req = ureq::http::Request::builder()
            .method(method)
            .uri(format!("{}{path}", self.base))
            .header("Cookie", self.cookie_header());
        for (n, v) in self
            .extra_headers
            .iter()
            .map(|(n, v)| (n.as_str(), v.as_str()))
        {
            req = req.header(n, v);
        }
        for (n, v) in headers {
            req = req.header(*n, *v);
        }
        self.finish(self.agent.run(req.body(body).unwrap()))
    }

    /// Posts a form as given (no CSRF token added).
    pub fn post_raw(&self, path: &str, fields: &[(&str, &str)]) -> Response {
        let body = serde_urlencoded::to_string(fields).unwrap();
        let mut req = self
            .agent
            .post(format!("{}{path}", self.base))
            .header("Cookie", self.cookie_header())
            .header("Content-Type", "application/x-www-form-urlencoded");
        for (n, v) in &self.extra_headers {
            req = req.header(n.as_str(), v.as_str());
        }
        self.finish(req.send(body.as_bytes()))
    }

    /// Opens `form_page`, takes its CSRF token and posts `fields` to `path`, as a browser does.
    pub fn post_form(&self, form_page: &str, path: &str, fields: &[(&str, &str)]) -> Response {
        let page = self.get(form_page);
        assert_eq!(page.status, 200, "GET {form_page}: {}", page.body);
        let csrf = page.csrf();
        let mut all: Vec<(&str, &str)> = vec![("csrf", csrf.as_str())];
        all.extend_from_slice(fields);
        self.post_raw(path, &all)
    }

    /// Finishes the first-run wizard; the client is then logged in as the admin.
    pub fn setup(&self, company: &str, language: &str, username: &str, password: &str) {
        let resp = self.post_form(
            "/setup",
            "/setup",
            &[
                ("company_name", company),
                ("language", language),
                ("username", username),
                ("name", "Aino Admin"),
                ("email", "aino@example.fi"),
                ("password", password),
                ("password_again", password),
            ],
        );
        assert_eq!(resp.status, 303, "{}", resp.body);
        assert_eq!(resp.location(), "/");
    }

    pub fn login(&self, username: &str, password: &str) -> Response {
        self.post_form(
            "/login",
            "/login",
            &[("username", username), ("password", password)],
        )
    }

    /// A JSON API call with a bearer token.
    pub fn api(
        &self,
        method: &str,
        path: &str,
        token: Option<&str>,
        body: Option<&str>,
    ) -> Response {
        let url = format!("{}{path}", self.base);
        let auth = token.map(|t| format!("Bearer {t}")).unwrap_or_default();
        let mut req = ureq::http::Request::builder()
            .method(method)
            .uri(&url)
            .header("Authorization", &auth);
        for (n, v) in &self.extra_headers {
            req = req.header(n.as_str(), v.as_str());
        }
        let result = match body {
            None => self.agent.run(req.body(()).unwrap()),
            Some(b) => {
                let req = req.header("Content-Type", "application/json");
                self.agent.run(req.body(b.to_string()).unwrap())
            }
        };
        self.finish(result)
    }
}

/// An API token for the client's user, made on the account page as a browser does: the post
/// redirects to the account page, which shows the new token once.
pub fn make_api_token(c: &Client, name: &str) -> String {
    let resp = c.post_form("/account", "/account/tokens", &[("name", name)]);
    assert_eq!(resp.status, 303, "{}", resp.body);
    assert_eq!(resp.location(), "/account#tokens");
    let page = c.get("/account");
    page.body
        .split("id=\"new-token\">")
        .nth(1)
        .and_then(|rest| rest.split('<').next())
        .unwrap_or_else(|| panic!("no new token on the account page: {}", page.body))
        .to_string()
}

/// The id of the user a token belongs to (`GET /api/v1/me`).
pub fn my_id(c: &Client, token: &str) -> i64 {
    c.api("GET", "/api/v1/me", Some(token), None).json()["id"]
        .as_i64()
        .unwrap()
}

/// Adds a user through the admin page; the client must be an admin.
pub fn add_user(admin: &Client, username: &str, role: &str, password: &str) {
    let resp = admin.post_form(
        "/settings/users/new",
        "/settings/users/new",
        &[
            ("username", username),
            ("name", &format!("{username} Testinen")),
            ("email", ""),
            ("role", role),
            ("password", password),
            ("password_again", password),
        ],
    );
    assert_eq!(resp.status, 303, "{}", resp.body);
}

/// The id in the first `/settings/users/{id}` link of a page whose link text is `username`.
pub fn user_id(admin: &Client, username: &str) -> String {
    let list = admin.get("/settings/users");
    list.body
        .split("href=\"/settings/users/")
        .skip(1)
        .find(|s| {
            s.contains(&format!("\">{username}<"))
                && s.split('"').next().unwrap().parse::<i64>().is_ok()
        })
        .and_then(|s| s.split('"').next())
        .unwrap_or_else(|| panic!("no user {username} in {}", list.body))
        .to_string()
}

/// Sends raw bytes and returns everything the server answers until it closes or 10 s pass.
pub fn raw_request(addr: SocketAddr, bytes: &[u8]) -> String {
    let mut stream = TcpStream::connect(addr).unwrap();
    stream
        .set_read_timeout(Some(Duration::from_secs(10)))
        .unwrap();
    stream.write_all(bytes).unwrap();
    let mut out = Vec::new();
    let mut buf = [0u8; 8192];
    loop {
        match stream.read(&mut buf) {
            Ok(0) => break,
            Ok(n) => {
                out.extend_from_slice(&buf[..n]);
                // One response is enough: stop at the end of its body.
                if let Some(text) = complete_response(&out) {
                    return text;
                }
            }
            Err(_) => break,
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

fn complete_response(bytes: &[u8]) -> Option<String> {
    let text = String::from_utf8_lossy(bytes);
    let head_end = text.find("\r\n\r\n")?;
    let length: usize = text[..head_end]
        .lines()
        .find_map(|l| {
            l.to_ascii_lowercase()
                .strip_prefix("content-length:")
                .map(|v| v.trim().to_string())
        })?
        .parse()
        .ok()?;
    (bytes.len() >= head_end + 4 + length).then(|| text.into_owned())
}

/// The `minicrm` binary with a database path and cheap password hashing.
pub fn minicrm(db: &Path) -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_minicrm"));
    cmd.arg("--db")
        .arg(db)
        .env("MINICRM_PASSWORD_COST", "low")
        .env("MINICRM_LOG", "warn");
    cmd
}

/// Runs `minicrm` with `stdin` as its input.
pub fn run_with_stdin(mut cmd: Command, stdin: &str) -> Output {
    let mut child = cmd
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    child
        .stdin
        .take()
        .unwrap()
        .write_all(stdin.as_bytes())
        .unwrap();
    child.wait_with_output().unwrap()
}

pub fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

pub fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

/// `PRAGMA integrity_check` of a database file.
pub fn integrity(path: &Path) -> String {
    rusqlite::Connection::open(path)
        .unwrap()
        .query_row("PRAGMA integrity_check", [], |r| r.get(0))
        .unwrap()
}

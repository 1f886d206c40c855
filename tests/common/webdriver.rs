//! A minimal W3C WebDriver client for the browser tests: it starts `chromedriver`, opens one
//! headless Chromium session and offers the handful of commands the journeys need. Written by
//! hand over ureq and serde_json so that the browser tests add no crates.
//!
//! Every command panics with the driver's answer when it fails: these are test helpers, and a
//! clear panic is the most useful thing they can do.

use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use serde_json::{json, Value};

const INSTALL_HINT: &str = "install them with: apt-get install -y chromium chromium-driver \
    (or name them with CHROMEDRIVER=/path and CHROMIUM=/path)";

/// A program for the browser tests: the path in the environment variable `var`, else the
/// first of `names` found on `PATH` (distributions and CI images put them in different
/// places: `/usr/bin`, `/usr/local/bin`, a snap or a setup action's directory).
fn find_program(var: &str, names: &[&str]) -> Option<PathBuf> {
    if let Some(path) = std::env::var_os(var).filter(|p| !p.is_empty()) {
        return Some(PathBuf::from(path));
    }
    find_on_path(&std::env::var_os("PATH").unwrap_or_default(), names)
}

/// The first of `names` in the directories of `path` (a `PATH` value).
pub fn find_on_path(path: &std::ffi::OsStr, names: &[&str]) -> Option<PathBuf> {
    std::env::split_paths(path)
        .flat_map(|dir| names.iter().map(move |name| dir.join(name)))
        .find(|candidate| candidate.is_file())
}

/// How long a command that looks for an element waits for it to appear (WebDriver's implicit
/// wait), in milliseconds.
const IMPLICIT_WAIT_MS: u64 = 5000;

/// The key under which W3C WebDriver returns an element reference.
const ELEMENT_KEY: &str = "element-6066-11e4-a52e-4f735466cecf";

pub struct Browser {
    agent: ureq::Agent,
    /// `http://127.0.0.1:<port>/session/<id>`: the prefix of every session command.
    session_url: String,
    chromedriver: Child,
    /// Chromium's profile; removed after the browser has quit (fields drop after `drop`).
    _profile: tempfile::TempDir,
}

impl Browser {
    /// Starts chromedriver and a fresh headless Chromium. The browser asks for Finnish pages
    /// (`Accept-Language: fi`), as a Finnish user's browser would.
    pub fn start() -> Browser {
        let find = |var: &str, names: &[&str]| {
            find_program(var, names)
                .filter(|p| p.is_file())
                .unwrap_or_else(|| {
                    panic!(
                        "the browser tests need {} on PATH; {INSTALL_HINT}",
                        names[0]
                    )
                })
        };
        let chromedriver_path = find("CHROMEDRIVER", &["chromedriver"]);
        let chromium_path = find(
            "CHROMIUM",
            &[
                "chromium",
                "chromium-browser",
                "google-chrome",
                "google-chrome-stable",
            ],
        );
        let driver = chromedriver_path.display().to_string();
        // A free port: the OS picks one for a listener we drop at once. Another process could
        // take it in between, but that is unlikely enough for tests.
        let port = TcpListener::bind("127.0.0.1:0")
            .and_then(|l| l.local_addr())
            .expect("a free port")
            .port();
        let mut chromedriver = Command::new(&chromedriver_path)
            .arg(format!("--port={port}"))
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap_or_else(|e| panic!("cannot start {driver} ({e}); {INSTALL_HINT}"));
        let agent: ureq::Agent = ureq::Agent::config_builder()
            // WebDriver errors come as JSON bodies with 4xx/5xx statuses; we read them.
            .http_status_as_error(false)
            .proxy(None)
            .timeout_global(Some(Duration::from_secs(60)))
            .build()
            .into();
        let base = format!("http://127.0.0.1:{port}");

        // Wait for chromedriver to come up. This waits for a process to start, so a bounded
        // number of short retries (up to 10 s in all) is the right tool here.
        let mut ready = false;
        for _ in 0..100 {
            if let Ok(Some(status)) = chromedriver.try_wait() {
                panic!("{driver} exited at start ({status}); {INSTALL_HINT}");
            }
            if let Ok(value) = request(&agent, "GET", &format!("{base}/status"), None) {
                if value["ready"] == json!(true) {
                    ready = true;
                    break;
                }
            }
            std::thread::sleep(Duration::from_millis(100));
        }
        if !ready {
            let _ = chromedriver.kill();
            let _ = chromedriver.wait();
            panic!("{driver} did not become ready on port {port}");
        }

        let profile = tempfile::tempdir().expect("a temporary Chromium profile");
        let capabilities = json!({
            "capabilities": {
                "alwaysMatch": {
                    "browserName": "chrome",
                    "goog:chromeOptions": {
                        "binary": chromium_path,
                        "args": [
                            "--headless=new",
                            "--no-sandbox",
                            "--disable-gpu",
                            "--disable-dev-shm-usage",
                            "--disable-quic",
                            "--no-first-run",
                            "--disable-background-networking",
                            "--disable-component-update",
                            "--disable-sync",
                            "--window-size=1280,900",
                            format!("--user-data-dir={}", profile.path().display()),
                        ],
                        // The app picks its language from Accept-Language before the company
                        // default; headless Chromium would otherwise send en-US.
                        "prefs": { "intl.accept_languages": "fi-FI,fi" },
                    }
                }
            }
        });
        let session = match request(
            &agent,
            "POST",
            &format!("{base}/session"),
            Some(capabilities),
        ) {
            Ok(value) => value,
            Err(e) => {
                let _ = chromedriver.kill();
                let _ = chromedriver.wait();
                panic!("cannot start a Chromium session: {e}; {INSTALL_HINT}");
            }
        };
        let id = session["sessionId"]
            .as_str()
            .unwrap_or_else(|| panic!("no sessionId in {session}"))
            .to_string();
        let browser = Browser {
            agent,
            session_url: format!("{base}/session/{id}"),
            chromedriver,
            _profile: profile,
        };
        // Element look-ups wait up to this long for the element to appear, so the tests need
        // no sleeps: after a click that loads a page, finding something only the new page has
        // waits for that page.
        browser.cmd(
            "POST",
            "/timeouts",
            Some(json!({ "implicit": IMPLICIT_WAIT_MS })),
        );
        browser
    }

    /// Runs a session command and returns its `value`; panics with the driver's error.
    fn cmd(&self, method: &str, path: &str, body: Option<Value>) -> Value {
        request(
            &self.agent,
            method,
            &format!("{}{path}", self.session_url),
            body,
        )
        .unwrap_or_else(|e| panic!("WebDriver {method} {path}: {e}"))
    }

    /// Opens `url` and waits for it to load.
    pub fn goto(&self, url: &str) {
        self.cmd("POST", "/url", Some(json!({ "url": url })));
    }

    /// The first element matching `css`, waiting for it up to the implicit wait.
    pub fn find(&self, css: &str) -> String {
        let value = request(
            &self.agent,
            "POST",
            &format!("{}/element", self.session_url),
            Some(json!({ "using": "css selector", "value": css })),
        )
        .unwrap_or_else(|e| panic!("no element {css:?} ({e}) on {}", self.describe_page()));
        value[ELEMENT_KEY]
            .as_str()
            .unwrap_or_else(|| panic!("no element reference in {value}"))
            .to_string()
    }

    /// Waits for an element that the page being loaded has: a few rounds of the implicit
    /// wait, for a slow machine. Returns the element.
    pub fn wait_for(&self, css: &str) -> String {
        let body = json!({ "using": "css selector", "value": css });
        for _ in 0..3 {
            let found = request(
                &self.agent,
                "POST",
                &format!("{}/element", self.session_url),
                Some(body.clone()),
            );
            if let Ok(value) = found {
                if let Some(id) = value[ELEMENT_KEY].as_str() {
                    return id.to_string();
                }
            }
        }
        panic!("{css:?} did not appear on {}", self.describe_page());
    }

    /// Empties the field matching `css` and types `text` into it.
    pub fn type_into(&self, css: &str, text: &str) {
        let el = self.find(css);
        self.cmd("POST", &format!("/element/{el}/clear"), Some(json!({})));
        self.cmd(
            "POST",
            &format!("/element/{el}/value"),
            Some(json!({ "text": text })),
        );
    }

    /// Types `text` into the element without emptying it first: a file input takes the paths
    /// of the files to choose, one a line.
    pub fn send_keys(&self, css: &str, text: &str) {
        let el = self.find(css);
        self.cmd(
            "POST",
            &format!("/element/{el}/value"),
            Some(json!({ "text": text })),
        );
    }

    pub fn click(&self, css: &str) {
        let el = self.find(css);
        self.cmd("POST", &format!("/element/{el}/click"), Some(json!({})));
    }

    /// Picks the option whose value is `value` in the `<select>` matching `css`.
    pub fn select_value(&self, css: &str, value: &str) {
        self.click(&format!("{css} option[value=\"{value}\"]"));
    }

    /// The visible text of the element matching `css`.
    pub fn text(&self, css: &str) -> String {
        let el = self.find(css);
        string(self.cmd("GET", &format!("/element/{el}/text"), None))
    }

    /// The current value of the form field matching `css` (what the user sees in it).
    pub fn value(&self, css: &str) -> String {
        let el = self.find(css);
        string(self.cmd("GET", &format!("/element/{el}/property/value"), None))
    }

    pub fn page_source(&self) -> String {
        string(self.cmd("GET", "/source", None))
    }

    pub fn current_url(&self) -> String {
        string(self.cmd("GET", "/url", None))
    }

    /// The address and HTML of the current page, for failure messages. Does not panic.
    fn describe_page(&self) -> String {
        let get = |path: &str| {
            request(
                &self.agent,
                "GET",
                &format!("{}{path}", self.session_url),
                None,
            )
            .ok()
            .and_then(|v| v.as_str().map(str::to_string))
            .unwrap_or_default()
        };
        format!("{}:\n{}", get("/url"), get("/source"))
    }

    /// Resizes the browser window; headless, the page's viewport gets the same width.
    pub fn set_window_size(&self, width: u32, height: u32) {
        self.cmd(
            "POST",
            "/window/rect",
            Some(json!({ "width": width, "height": height })),
        );
    }

    /// Runs `script` (a function body) in the page and returns what it returns.
    pub fn execute(&self, script: &str) -> Value {
        self.cmd(
            "POST",
            "/execute/sync",
            Some(json!({ "script": script, "args": [] })),
        )
    }

    /// Saves a PNG of the viewport to `path`.
    pub fn screenshot_png(&self, path: &Path) {
        let encoded = string(self.cmd("GET", "/screenshot", None));
        let png = base64_decode(&encoded);
        assert!(png.starts_with(b"\x89PNG"), "the screenshot is not a PNG");
        std::fs::write(path, png).unwrap_or_else(|e| panic!("writing {}: {e}", path.display()));
    }
}

impl Drop for Browser {
    fn drop(&mut self) {
        // Quit the browser, then stop chromedriver; errors do not matter any more here.
        let _ = request(&self.agent, "DELETE", &self.session_url, None);
        let _ = self.chromedriver.kill();
        let _ = self.chromedriver.wait();
    }
}

fn string(value: Value) -> String {
    value
        .as_str()
        .unwrap_or_else(|| panic!("expected a string, got {value}"))
        .to_string()
}

/// One WebDriver HTTP request. Returns the answer's `value`, or the error as text: the HTTP
/// failure, or WebDriver's `error` and `message`.
fn request(
    agent: &ureq::Agent,
    method: &str,
    url: &str,
    body: Option<Value>,
) -> Result<Value, String> {
    let result = match (method, body) {
        ("GET", _) => agent.get(url).call(),
        ("DELETE", _) => agent.delete(url).call(),
        (_, body) => agent
            .post(url)
            .header("Content-Type", "application/json; charset=utf-8")
            .send(body.unwrap_or(json!({})).to_string()),
    };
    let mut resp = result.map_err(|e| e.to_string())?;
    let status = resp.status().as_u16();
    let text = resp
        .body_mut()
        .with_config()
        // Screenshots are a few megabytes of base64 at most.
        .limit(64 * 1024 * 1024)
        .read_to_string()
        .map_err(|e| e.to_string())?;
    let json: Value = serde_json::from_str(&text).map_err(|e| format!("{e}: {text}"))?;
    let value = json.get("value").cloned().unwrap_or(Value::Null);
    if status >= 400 || value.get("error").is_some() {
        return Err(format!(
            "{status} {}: {}",
            value["error"].as_str().unwrap_or(""),
            value["message"].as_str().unwrap_or(&text)
        ));
    }
    Ok(value)
}

/// Decodes standard base64 (RFC 4648, `+/`, `=` padding), skipping whitespace. Panics on any
/// other character. Written here so the tests need no base64 crate.
fn base64_decode(text: &str) -> Vec<u8> {
    fn sextet(c: u8) -> u32 {
        match c {
            b'A'..=b'Z' => (c - b'A') as u32,
            b'a'..=b'z' => (c - b'a') as u32 + 26,
            b'0'..=b'9' => (c - b'0') as u32 + 52,
            b'+' => 62,
            b'/' => 63,
            _ => panic!("not base64: {:?}", c as char),
        }
    }
    let mut out = Vec::with_capacity(text.len() / 4 * 3);
    // Bits are collected into `buffer` six at a time and taken out eight at a time.
    let mut buffer: u32 = 0;
    let mut bits = 0;
    for c in text.bytes() {
        if c == b'=' {
            break;
        }
        if c.is_ascii_whitespace() {
            continue;
        }
        buffer = (buffer << 6) | sextet(c);
        bits += 6;
        if bits >= 8 {
            bits -= 8;
            out.push((buffer >> bits) as u8);
            buffer &= (1 << bits) - 1;
        }
    }
    out
}

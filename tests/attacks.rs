//! Hostile clients: over-long request lines and header blocks, slow and stalled bodies,
//! connection bursts and announced bodies over the limit. The failure condition is always a
//! read that times out (`WAIT`), never a stopwatch.

mod common;

use std::io::{BufRead, BufReader, ErrorKind, Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::process::{Child, Stdio};
use std::time::Duration;

use common::*;

/// How long a test waits for an answer before calling it lost.
const WAIT: Duration = Duration::from_secs(10);

fn connect(addr: SocketAddr) -> TcpStream {
    let stream = TcpStream::connect(addr).unwrap();
    stream.set_read_timeout(Some(WAIT)).unwrap();
    stream
}

/// Reads one response: the head byte by byte (so nothing of a later answer is taken), then
/// a `Content-Length` body. Returns what came, possibly nothing, on EOF or timeout.
fn read_response(stream: &mut TcpStream) -> String {
    let mut out = Vec::new();
    let mut byte = [0u8; 1];
    while !out.ends_with(b"\r\n\r\n") {
        match stream.read(&mut byte) {
            Ok(1) => out.push(byte[0]),
            _ => return String::from_utf8_lossy(&out).into_owned(),
        }
    }
    let head = String::from_utf8_lossy(&out).to_ascii_lowercase();
    let length = head
        .lines()
        .find_map(|l| l.strip_prefix("content-length:"))
        .and_then(|v| v.trim().parse::<usize>().ok())
        .unwrap_or(0);
    let mut body = vec![0u8; length];
    if stream.read_exact(&mut body).is_ok() {
        out.extend_from_slice(&body);
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// Sends `bytes` on a new connection and reads one response.
fn send(addr: SocketAddr, bytes: &[u8]) -> (TcpStream, String) {
    let mut stream = connect(addr);
    stream.write_all(bytes).unwrap();
    let answer = read_response(&mut stream);
    (stream, answer)
}

/// True when the server closes the connection (EOF or reset) within `WAIT`.
fn closes(mut stream: TcpStream) -> bool {
    let mut buf = [0u8; 4096];
    loop {
        match stream.read(&mut buf) {
            Ok(0) => return true,
            Ok(_) => {}
            Err(e) if matches!(e.kind(), ErrorKind::WouldBlock | ErrorKind::TimedOut) => {
                return false
            }
            Err(_) => return true,
        }
    }
}

fn get_login(addr: SocketAddr) -> Vec<u8> {
    format!("GET /login HTTP/1.1\r\nHost: {addr}\r\n\r\n").into_bytes()
}

/// A normal page load: answered with a redirect or a page, not an error.
fn assert_answered(answer: &str) {
    assert!(
        answer.starts_with("HTTP/1.1 200") || answer.starts_with("HTTP/1.1 303"),
        "no normal answer: {answer:?}"
    );
}

#[test]
fn a_header_line_over_the_cap_gets_431_and_the_connection_closes() {
    let server = TestServer::start();
    let filler = "a".repeat(16 * 1024);
    let request = format!(
        "GET /login HTTP/1.1\r\nHost: {}\r\nX-Filler: {filler}\r\n\r\n",
        server.addr
    );
    let (stream, answer) = send(server.addr, request.as_bytes());
    assert!(answer.starts_with("HTTP/1.1 431"), "{answer:?}");
    assert!(closes(stream));
}

#[test]
fn more_than_100_headers_get_431() {
    let server = TestServer::start();
    let mut request = format!("GET /login HTTP/1.1\r\nHost: {}\r\n", server.addr);
    for n in 0..150 {
        request.push_str(&format!("X-H{n}: {n}\r\n"));
    }
    request.push_str("\r\n");
    let (stream, answer) = send(server.addr, request.as_bytes());
    assert!(answer.starts_with("HTTP/1.1 431"), "{answer:?}");
    assert!(closes(stream));
}

#[test]
fn a_header_block_over_64_kib_gets_431() {
    let server = TestServer::start();
    // 90 lines of 1 KiB: each line and the count are within the caps, the block is not.
    let mut request = format!("GET /login HTTP/1.1\r\nHost: {}\r\n", server.addr);
    for n in 0..90 {
        request.push_str(&format!("X-H{n}: {}\r\n", "b".repeat(1024)));
    }
    request.push_str("\r\n");
    let (stream, answer) = send(server.addr, request.as_bytes());
    assert!(answer.starts_with("HTTP/1.1 431"), "{answer:?}");
    assert!(closes(stream));
}

#[test]
fn a_10_kib_uri_gets_414() {
    let server = TestServer::start();
    let request = format!(
        "GET /login?q={} HTTP/1.1\r\nHost: {}\r\n\r\n",
        "c".repeat(10 * 1024),
        server.addr
    );
    let (stream, answer) = send(server.addr, request.as_bytes());
    assert!(answer.starts_with("HTTP/1.1 414"), "{answer:?}");
    assert!(closes(stream));
}

#[test]
fn slow_and_stalled_clients_do_not_hold_the_workers() {
    // Four workers and the default 30 s connection timeout.
    let server = TestServer::start_with(|c| c.workers = 4);
    let addr = server.addr;
    let post = |extra: &str| {
        format!(
            "POST /login HTTP/1.1\r\nHost: {addr}\r\nContent-Type: application/x-www-form-urlencoded\r\n{extra}\r\n"
        )
    };
    let mut held = Vec::new();
    // 50 that announce 100000 bytes and send a trickle of them, then nothing more.
    for _ in 0..50 {
        let mut s = connect(addr);
        s.write_all(post("Content-Length: 100000\r\n").as_bytes())
            .unwrap();
        s.write_all(b"username=").unwrap();
        held.push(s);
    }
    // 50 that send the headers and nothing: a body announced, or chunked, or the header
    // block itself left unfinished.
    for n in 0..50 {
        let mut s = connect(addr);
        let head = match n % 3 {
            0 => post("Content-Length: 100000\r\n"),
            1 => post("Transfer-Encoding: chunked\r\n"),
            _ => format!("GET /login HTTP/1.1\r\nHost: {addr}\r\n"),
        };
        s.write_all(head.as_bytes()).unwrap();
        held.push(s);
    }
    let (_, answer) = send(addr, &get_login(addr));
    assert_answered(&answer);
    drop(held);
}

#[test]
fn a_burst_of_64_keep_alive_connections_is_all_answered() {
    let server = TestServer::start();
    let addr = server.addr;
    let mut streams: Vec<TcpStream> = (0..64).map(|_| connect(addr)).collect();
    for round in 0..2 {
        for s in &mut streams {
            s.write_all(&get_login(addr)).unwrap();
        }
        let readers: Vec<_> = streams
            .drain(..)
            .map(|mut s| {
                std::thread::spawn(move || {
                    let answer = read_response(&mut s);
                    (s, answer)
                })
            })
            .collect();
        let mut lost = 0;
        for r in readers {
            let (s, answer) = r.join().unwrap();
            if answer.starts_with("HTTP/1.1 200") || answer.starts_with("HTTP/1.1 303") {
                streams.push(s);
            } else {
                lost += 1;
            }
        }
        assert_eq!(
            lost, 0,
            "round {round}: {lost} of 64 connections got no answer"
        );
    }
}

#[test]
fn an_over_limit_content_length_gets_413_at_once_and_the_connection_closes() {
    let server = TestServer::start_with(|c| c.max_body = 1024 * 1024);
    let request = format!(
        "POST /setup HTTP/1.1\r\nHost: {}\r\nContent-Type: application/x-www-form-urlencoded\r\nExpect: 100-continue\r\nContent-Length: {}\r\n\r\n",
        server.addr,
        2 * 1024 * 1024
    );
    let (stream, answer) = send(server.addr, request.as_bytes());
    // No `100 Continue`: the body is refused before the client sends it.
    assert!(answer.starts_with("HTTP/1.1 413"), "{answer:?}");
    assert!(
        answer.to_ascii_lowercase().contains("connection: close"),
        "{answer:?}"
    );
    assert!(closes(stream));
}

#[test]
fn a_form_or_json_body_over_a_mebibyte_is_refused_without_being_held_in_memory() {
    // The default body limit (26 MiB) is for file uploads; anything else stops at 1 MiB.
    let server = TestServer::start();
    let body = "a".repeat(2 * 1024 * 1024);
    for (path, content_type) in [
        ("/login", "application/x-www-form-urlencoded"),
        ("/api/v1/customers", "application/json"),
    ] {
        let request = format!(
            "POST {path} HTTP/1.1\r\nHost: {}\r\nContent-Type: {content_type}\r\nContent-Length: {}\r\n\r\n{body}",
            server.addr,
            body.len()
        );
        let (_stream, answer) = send(server.addr, request.as_bytes());
        assert!(answer.starts_with("HTTP/1.1 413"), "{path}: {answer:.200}");
        if path.starts_with("/api/") {
            assert!(answer.contains("\"too_large\""), "{answer:.400}");
        }
    }
    // The import page, which takes files, still takes more than that.
    assert_eq!(
        minicrm::server::body_plan(
            minicrm::http::Method::Post,
            "/settings/import",
            "multipart/form-data; boundary=x",
            26 << 20
        )
        .1,
        26 << 20
    );
}

#[test]
fn expect_100_continue_still_gets_its_interim_answer() {
    let server = TestServer::start();
    let body = "username=a&password=b";
    let head = format!(
        "POST /login HTTP/1.1\r\nHost: {}\r\nContent-Type: application/x-www-form-urlencoded\r\nExpect: 100-continue\r\nContent-Length: {}\r\n\r\n",
        server.addr,
        body.len()
    );
    let (mut stream, interim) = send(server.addr, head.as_bytes());
    assert!(interim.starts_with("HTTP/1.1 100"), "{interim:?}");
    stream.write_all(body.as_bytes()).unwrap();
    let answer = read_response(&mut stream);
    assert!(answer.starts_with("HTTP/1.1 "), "{answer:?}");
    for refused in [
        "HTTP/1.1 100",
        "HTTP/1.1 400",
        "HTTP/1.1 408",
        "HTTP/1.1 413",
    ] {
        assert!(!answer.starts_with(refused), "{answer:?}");
    }
}

#[test]
fn a_chunked_body_under_the_limit_arrives_whole() {
    let server = TestServer::start();
    let addr = server.addr;
    // The form carries no CSRF token: a complete body is refused with 403, a broken one
    // would be 400 or 408.
    let body = format!("username=admin&password={}", "p".repeat(40 * 1024));
    let mut request = format!(
        "POST /setup HTTP/1.1\r\nHost: {addr}\r\nContent-Type: application/x-www-form-urlencoded\r\nTransfer-Encoding: chunked\r\n\r\n"
    )
    .into_bytes();
    for chunk in body.as_bytes().chunks(7000) {
        request.extend_from_slice(format!("{:x}\r\n", chunk.len()).as_bytes());
        request.extend_from_slice(chunk);
        request.extend_from_slice(b"\r\n");
    }
    request.extend_from_slice(b"0\r\n\r\n");
    let (mut stream, answer) = send(addr, &request);
    assert!(answer.starts_with("HTTP/1.1 403"), "{answer:?}");
    // The connection stays usable.
    stream.write_all(&get_login(addr)).unwrap();
    assert_answered(&read_response(&mut stream));
}

#[test]
fn a_malformed_chunked_body_gets_one_400_and_the_connection_closes() {
    let server = TestServer::start();
    let request = format!(
        "POST /setup HTTP/1.1\r\nHost: {}\r\nContent-Type: application/x-www-form-urlencoded\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\nabc\r\n0\r\n\r\n",
        server.addr
    );
    let (mut stream, answer) = send(server.addr, request.as_bytes());
    assert!(answer.starts_with("HTTP/1.1 400"), "{answer:?}");
    let mut rest = String::new();
    let _ = stream.read_to_string(&mut rest);
    assert_eq!(rest, "", "nothing after the 400");
}

/// The resident set of a process, in bytes (Linux).
fn rss(pid: u32) -> u64 {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap();
    let kb: u64 = status
        .lines()
        .find_map(|l| l.strip_prefix("VmRSS:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        .unwrap();
    kb * 1024
}

struct KillOnDrop(Child);

impl Drop for KillOnDrop {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

#[test]
#[cfg(target_os = "linux")]
fn a_25_mib_upload_is_not_held_in_memory_while_it_arrives() {
    // The real binary, so that its memory is measured alone.
    let dir = tempfile::tempdir().unwrap();
    let mut child = KillOnDrop(
        minicrm(&dir.path().join("minicrm.db"))
            .args(["serve", "--addr", "127.0.0.1:0", "--workers", "2"])
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .unwrap(),
    );
    let mut line = String::new();
    BufReader::new(child.0.stdout.take().unwrap())
        .read_line(&mut line)
        .unwrap();
    let url = line.trim().rsplit(' ').next().unwrap();
    let addr: SocketAddr = url.trim_start_matches("http://").parse().unwrap();
    let pid = child.0.id();
    // Warm up: one page, so the baseline includes a worker's first request.
    let (_, answer) = send(addr, &get_login(addr));
    assert_answered(&answer);
    let before = rss(pid);

    let total = 25 * 1024 * 1024;
    let mut stream = connect(addr);
    stream
        .write_all(format!("POST /setup HTTP/1.1\r\nHost: {addr}\r\nContent-Type: application/x-www-form-urlencoded\r\nContent-Length: {total}\r\n\r\n").as_bytes())
        .unwrap();
    let piece = vec![b'x'; 1024 * 1024];
    for _ in 0..24 {
        stream.write_all(&piece).unwrap();
    }
    // 24 MiB sent; all but what the socket buffers hold has reached the server.
    let during = rss(pid);
    assert!(
        during < 64 * 1024 * 1024 && during.saturating_sub(before) < 8 * 1024 * 1024,
        "resident memory went from {} to {} KiB while the upload arrived",
        before / 1024,
        during / 1024
    );
    stream.write_all(&piece).unwrap();
    let answer = read_response(&mut stream);
    assert!(answer.starts_with("HTTP/1.1 "), "{answer:?}");
}

// ---------------------------------------------------------------------------------------------
// Hostile input: lists over their limits, huge uploads, formulas, control characters.

/// An API token for the client's user, made on the account page.
fn api_token(c: &Client) -> String {
    make_api_token(c, "testit")
}

fn count(server: &TestServer, table: &str) -> i64 {
    rusqlite::Connection::open(&server.db)
        .unwrap()
        .query_row(&format!("SELECT count(*) FROM {table}"), [], |r| r.get(0))
        .unwrap()
}

/// The field errors of a 422 API answer, by field.
fn api_fields(resp: &Response) -> serde_json::Value {
    assert_eq!(resp.status, 422, "{}", resp.body);
    resp.json()["error"]["fields"].clone()
}

#[test]
fn a_tag_bomb_is_refused_before_any_work_and_other_writers_go_on() {
    let (server, admin) = TestServer::with_admin();
    let token = api_token(&admin);
    let tags: Vec<String> = (0..25_000).map(|n| format!("tag{n}")).collect();
    let bomb = serde_json::json!({ "name": "Pommi Oy", "tags": tags }).to_string();
    let bomber = {
        let (client, token) = (server.client(), token.clone());
        std::thread::spawn(move || {
            client.api("POST", "/api/v1/customers", Some(&token), Some(&bomb))
        })
    };
    // Another writer meanwhile: it must not wait behind the bomb until its busy timeout.
    std::thread::sleep(Duration::from_millis(500));
    let other = admin.api(
        "POST",
        "/api/v1/customers",
        Some(&token),
        Some(r#"{"name": "Tavallinen Oy"}"#),
    );
    assert_eq!(other.status, 201, "{}", other.body);
    let resp = bomber.join().unwrap();
    assert!(api_fields(&resp)["tags"].is_string(), "{}", resp.body);
    assert_eq!(count(&server, "customers"), 1, "only the ordinary one");
    assert_eq!(count(&server, "tags"), 0);

    // The same for contacts: their tags and their list of customers.
    let tags = serde_json::json!({ "last_name": "Pommi", "tags": tags }).to_string();
    let resp = admin.api("POST", "/api/v1/contacts", Some(&token), Some(&tags));
    assert!(api_fields(&resp)["tags"].is_string(), "{}", resp.body);
    let links: Vec<serde_json::Value> = (0..25_000)
        .map(|n| serde_json::json!({ "customer_id": n, "role": "x" }))
        .collect();
    let links = serde_json::json!({ "last_name": "Pommi", "customers": links }).to_string();
    let resp = admin.api("POST", "/api/v1/contacts", Some(&token), Some(&links));
    assert!(api_fields(&resp)["customers"].is_string(), "{}", resp.body);
    assert_eq!(count(&server, "contacts"), 0);
}

/// A `multipart/form-data` body: text fields and an optional file part named `file`.
fn multipart(fields: &[(&str, &str)], file: Option<(&str, &[u8])>) -> (String, Vec<u8>) {
    let boundary = "----minicrmAttackBoundary";
    let mut body = Vec::new();
    for (name, value) in fields {
        body.extend_from_slice(
            format!("--{boundary}\r\nContent-Disposition: form-data; name=\"{name}\"\r\n\r\n{value}\r\n")
                .as_bytes(),
        );
    }
    if let Some((file_name, bytes)) = file {
        body.extend_from_slice(
            format!("--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"{file_name}\"\r\nContent-Type: text/csv\r\n\r\n")
                .as_bytes(),
        );
        body.extend_from_slice(bytes);
        body.extend_from_slice(b"\r\n");
    }
    body.extend_from_slice(format!("--{boundary}--\r\n").as_bytes());
    (format!("multipart/form-data; boundary={boundary}"), body)
}

/// Posts a multipart body with the client's cookies: (status, body), the body read up to
/// `limit` bytes (`None` when it is longer).
fn post_multipart(
    server: &TestServer,
    client: &Client,
    body: (String, Vec<u8>),
    limit: u64,
) -> (u16, Option<String>) {
    let agent: ureq::Agent = ureq::Agent::config_builder()
        .http_status_as_error(false)
        .max_redirects(0)
        .timeout_global(Some(Duration::from_secs(120)))
        .build()
        .into();
    let cookies = client
        .cookies
        .borrow()
        .iter()
        .map(|(k, v)| format!("{k}={v}"))
        .collect::<Vec<_>>()
        .join("; ");
    let mut resp = agent
        .post(server.url("/settings/import"))
        .header("Cookie", cookies)
        .header("Content-Type", body.0.as_str())
        .send(&body.1[..])
        .unwrap();
    let status = resp.status().as_u16();
    let text = resp
        .body_mut()
        .with_config()
        .limit(limit)
        .read_to_string()
        .ok();
    (status, text)
}

#[test]
fn a_200000_column_csv_gets_a_short_answer() {
    let (server, admin) = TestServer::with_admin();
    let csrf = admin.get("/settings/import").csrf();
    let header: Vec<String> = (0..200_000).map(|n| format!("c{n}")).collect();
    let file = format!("{}\n{}\n", header.join(";"), "x;".repeat(199_999) + "x");
    assert!(file.len() > 1_000_000);
    let (status, body) = post_multipart(
        &server,
        &admin,
        multipart(
            &[("csrf", &csrf), ("kind", "customers"), ("step", "preview")],
            Some(("leveä.csv", file.as_bytes())),
        ),
        200 * 1024,
    );
    let body = body.expect("an answer under 200 KiB");
    assert!((400..500).contains(&status) || status == 200, "{status}");
    assert!(!body.contains("c199999"), "the file is not echoed");
}

#[test]
fn the_import_preview_is_bounded_and_keeps_the_file_on_the_server() {
    let (server, admin) = TestServer::with_admin();
    let csrf = admin.get("/settings/import").csrf();
    let mut file = String::from("nimi;muistiinpanot\n");
    for n in 0..50 {
        file.push_str(&format!("Yritys {n} Oy;rivin {n} salaisuus\n"));
    }
    let (status, preview) = post_multipart(
        &server,
        &admin,
        multipart(
            &[("csrf", &csrf), ("kind", "customers"), ("step", "preview")],
            Some(("a.csv", file.as_bytes())),
        ),
        1024 * 1024,
    );
    let preview = preview.unwrap();
    assert_eq!(status, 200, "{preview}");
    // The preview table shows ten rows; the dry run's report beside it names each row's action
    // (at most 200 of them), never the file's other cells.
    let table = preview
        .split("<table class=\"preview\">")
        .nth(1)
        .and_then(|s| s.split("</table>").next())
        .expect("a preview table");
    assert!(table.contains("Yritys 9 Oy"), "ten rows shown: {table}");
    assert!(!table.contains("Yritys 10 Oy"), "{table}");
    assert!(
        !preview.contains("rivin 49 salaisuus"),
        "no echo: {preview}"
    );
    assert!(!preview.contains("name=\"data\""), "{preview}");

    // The preview's form names the upload; another session cannot use it.
    let marker = "name=\"upload\" value=\"";
    let at = preview.find(marker).expect("an upload token") + marker.len();
    let upload = &preview[at..at + preview[at..].find('"').unwrap()];
    let fields = |csrf: &str| {
        multipart(
            &[
                ("csrf", csrf),
                ("kind", "customers"),
                ("upload", upload),
                ("map_0", "name"),
                ("map_1", "notes"),
                ("step", "import"),
            ],
            None,
        )
    };
    let other = server.client();
    assert_eq!(other.login("admin", ADMIN_PASSWORD).status, 303);
    let other_csrf = other.get("/settings/import").csrf();
    let (status, _) = post_multipart(&server, &other, fields(&other_csrf), 1024 * 1024);
    assert!((400..500).contains(&status), "{status}");
    assert_eq!(count(&server, "customers"), 0);
    let (status, done) = post_multipart(&server, &admin, fields(&csrf), 1024 * 1024);
    assert_eq!(status, 200, "{done:?}");
    assert_eq!(count(&server, "customers"), 50);
    // Used up: the same token again finds nothing.
    let (status, _) = post_multipart(&server, &admin, fields(&csrf), 1024 * 1024);
    assert!((400..500).contains(&status), "{status}");
    assert_eq!(count(&server, "customers"), 50);
}

#[test]
fn formula_like_cells_are_guarded_in_the_csv_export() {
    let (_server, admin) = TestServer::with_admin();
    let token = api_token(&admin);
    let cases = [
        ("+1+cmd|' /C calc'!A0", true),
        ("-2+3+cmd|' /C calc'!A0", true),
        ("=1+1", true),
        ("@SUM(A1)", true),
        ("+A1", true),
        ("-5", false),
        ("+358 40 123 4567", false),
        ("Kahvila Oy", false),
    ];
    for (name, _) in cases {
        let body = serde_json::json!({ "name": name }).to_string();
        let resp = admin.api("POST", "/api/v1/customers", Some(&token), Some(&body));
        assert_eq!(resp.status, 201, "{name}: {}", resp.body);
    }
    let csv = admin.get("/customers.csv?archived=all");
    assert_eq!(csv.status, 200);
    let names: Vec<&str> = csv
        .body
        .lines()
        .skip(1)
        .map(|l| l.split(';').nth(1).unwrap())
        .collect();
    for (name, guarded) in cases {
        let want = if guarded {
            format!("'{name}")
        } else {
            name.to_string()
        };
        assert!(names.contains(&want.as_str()), "{want} in {names:?}");
    }
}

#[test]
fn control_characters_are_refused_in_one_line_fields() {
    let (_server, admin) = TestServer::with_admin();
    let token = api_token(&admin);
    for (path, field, base) in [
        ("/api/v1/customers", "name", serde_json::json!({})),
        (
            "/api/v1/customers",
            "phone",
            serde_json::json!({"name": "A Oy"}),
        ),
        (
            "/api/v1/customers",
            "city",
            serde_json::json!({"name": "A Oy"}),
        ),
        (
            "/api/v1/contacts",
            "first_name",
            serde_json::json!({"last_name": "B"}),
        ),
        (
            "/api/v1/contacts",
            "title",
            serde_json::json!({"last_name": "B"}),
        ),
    ] {
        for bad in ["Alfa\r\nBeta", "Alfa\nBeta", "Alfa\u{0}Beta"] {
            let mut body = base.clone();
            body[field] = bad.into();
            let resp = admin.api("POST", path, Some(&token), Some(&body.to_string()));
            assert!(
                api_fields(&resp)[field].is_string(),
                "{path} {field}: {}",
                resp.body
            );
        }
    }
    // Notes are many lines: line breaks are fine, NUL is not.
    let ok = admin.api(
        "POST",
        "/api/v1/customers",
        Some(&token),
        Some(r#"{"name": "Muistio Oy", "notes": "rivi 1\r\nrivi 2\tsarake"}"#),
    );
    assert_eq!(ok.status, 201, "{}", ok.body);
    let resp = admin.api(
        "POST",
        "/api/v1/customers",
        Some(&token),
        Some(r#"{"name": "Muistio Oy", "notes": "a\u0000b"}"#),
    );
    assert!(api_fields(&resp)["notes"].is_string(), "{}", resp.body);

    // The page: the form again, with the error at the field and what was typed.
    let resp = admin.post_form(
        "/customers/new",
        "/customers/new",
        &[("name", "Alfa\r\nBeta Oy"), ("country", "FI")],
    );
    assert_eq!(resp.status, 422, "{}", resp.body);
    assert!(
        common::page::field_error(&resp.body, "name").is_some(),
        "{}",
        resp.body
    );
    assert!(resp.body.contains("Beta Oy"), "{}", resp.body);
    let resp = admin.post_form(
        "/settings/users/new",
        "/settings/users/new",
        &[
            ("username", "uusi"),
            ("name", "Uusi\nKäyttäjä"),
            ("email", ""),
            ("role", "user"),
            ("password", ADMIN_PASSWORD),
            ("password_again", ADMIN_PASSWORD),
        ],
    );
    assert_eq!(resp.status, 422, "{}", resp.body);
    assert!(
        common::page::field_error(&resp.body, "name").is_some(),
        "{}",
        resp.body
    );
}

/// The `Set-Cookie` values of an answer.
fn set_cookies(resp: &Response) -> Vec<&str> {
    resp.headers
        .iter()
        .filter(|(n, _)| n.eq_ignore_ascii_case("set-cookie"))
        .map(|(_, v)| v.as_str())
        .collect()
}

#[test]
fn cookies_are_secure_only_with_the_flag() {
    for secure in [false, true] {
        let dir = tempfile::tempdir().unwrap();
        let mut cmd = minicrm(&dir.path().join("minicrm.db"));
        cmd.args(["serve", "--addr", "127.0.0.1:0", "--workers", "2"]);
        if secure {
            cmd.arg("--secure-cookies");
        }
        let mut child = KillOnDrop(
            cmd.stdout(Stdio::piped())
                .stderr(Stdio::null())
                .spawn()
                .unwrap(),
        );
        let mut line = String::new();
        BufReader::new(child.0.stdout.take().unwrap())
            .read_line(&mut line)
            .unwrap();
        let url = line.trim().rsplit(' ').next().unwrap_or("").to_string();
        assert!(url.starts_with("http://"), "no server started: {line:?}");
        let client = Client::new(url);
        let form = client.get("/setup");
        let setup = client.post_form(
            "/setup",
            "/setup",
            &[
                ("company_name", "Testi Oy"),
                ("language", "fi"),
                ("username", "admin"),
                ("name", "Aino Admin"),
                ("email", ""),
                ("password", ADMIN_PASSWORD),
                ("password_again", ADMIN_PASSWORD),
            ],
        );
        assert_eq!(setup.status, 303, "{}", setup.body);
        let home = client.get("/");
        let cookies: Vec<&str> = [&form, &setup, &home]
            .into_iter()
            .flat_map(set_cookies)
            .collect();
        for name in ["minicrm_csrf=", "minicrm_session=", "minicrm_flash="] {
            assert!(
                cookies.iter().any(|c| c.starts_with(name)),
                "{name} in {cookies:?}"
            );
        }
        for cookie in cookies {
            assert_eq!(
                cookie.ends_with("; Secure") || cookie.contains("; Secure;"),
                secure,
                "{cookie}"
            );
        }
    }
}

/// An API token for the admin, made on the account page (shown once, in `#new-token`).
fn admin_token(admin: &Client) -> String {
    make_api_token(admin, "kiire")
}

#[test]
fn a_write_held_by_another_program_never_makes_a_request_fail() {
    let (server, admin) = TestServer::with_admin();
    let token = admin_token(&admin);
    let form = admin.get("/customers/new");
    assert_eq!(form.status, 200);
    let csrf = form.csrf();
    let outside = rusqlite::Connection::open(&server.db).unwrap();
    // The session and the token are due for their last-seen write, so that every read below
    // also tries to write.
    outside
        .execute_batch(
            "UPDATE sessions SET last_seen_at = last_seen_at - 120;
             UPDATE api_tokens SET last_used_at = NULL;",
        )
        .unwrap();
    // Another program (an import, say) holds the write lock for the whole test.
    outside
        .execute_batch(
            "BEGIN IMMEDIATE; INSERT INTO settings(key, value) VALUES ('kiireinen', '1');",
        )
        .unwrap();

    for path in ["/", "/customers", "/contacts", "/settings"] {
        let page = admin.get(path);
        assert_eq!(page.status, 200, "GET {path} while busy: {}", page.body);
    }
    let list = admin.api("GET", "/api/v1/customers", Some(&token), None);
    assert_eq!(list.status, 200, "{}", list.body);
    let me = admin.api("GET", "/api/v1/me", Some(&token), None);
    assert_eq!(me.status, 200, "{}", me.body);

    // A write waits a moment for its turn, then is told to try again: 503, not 500.
    let page_write = admin.post_raw(
        "/customers/new",
        &[("csrf", csrf.as_str()), ("name", "Kiireetön Oy")],
    );
    assert_eq!(page_write.status, 503, "{}", page_write.body);
    assert_eq!(page_write.header("retry-after"), Some("2"));
    assert!(
        page_write.body.contains("yritä hetken kuluttua uudelleen"),
        "{}",
        page_write.body
    );
    let api_write = admin.api(
        "POST",
        "/api/v1/customers",
        Some(&token),
        Some(r#"{"name": "Kiireetön Oy"}"#),
    );
    assert_eq!(api_write.status, 503, "{}", api_write.body);
    assert_eq!(api_write.header("retry-after"), Some("2"));
    assert_eq!(api_write.json()["error"]["code"], "busy");

    // Once the other program is done, the same write goes through.
    outside.execute_batch("ROLLBACK").unwrap();
    let again = admin.post_raw(
        "/customers/new",
        &[("csrf", csrf.as_str()), ("name", "Kiireetön Oy")],
    );
    assert_eq!(again.status, 303, "{}", again.body);
    // And the last-seen bookkeeping skipped while busy is done again.
    assert_eq!(
        admin.api("GET", "/api/v1/me", Some(&token), None).status,
        200
    );
    let used: Option<String> = outside
        .query_row("SELECT last_used_at FROM api_tokens", [], |r| r.get(0))
        .unwrap();
    assert!(used.is_some());
}

/// `ADMIN_PASSWORD` hashed with argon2id at its default cost (19 MiB, two passes).
const REAL_COST_HASH: &str =
    "$argon2id$v=19$m=19456,t=2,p=1$VsZWS0WRqB46cG0tBWKFZw$q+TD0Vy59PuDvRLLAsqmAIJ75ee2VYQ/xEJpEQcJPlE";

#[test]
fn forty_parallel_wrong_passwords_get_at_most_five_real_checks() {
    // Many workers, so that many logins really run at once. This is the only test of this
    // file that checks passwords, so the process-wide count is this test's own.
    let server = TestServer::start_with(|c| c.workers = 16);
    server
        .client()
        .setup("Testi Oy", "fi", "admin", ADMIN_PASSWORD);
    // The admin's password hashed at argon2's real cost (the tests otherwise hash cheaply), so
    // that each check takes as long as in production and the logins really overlap.
    rusqlite::Connection::open(&server.db)
        .unwrap()
        .execute("UPDATE users SET password_hash = ?1", [REAL_COST_HASH])
        .unwrap();
    let attackers: Vec<(Client, String)> = (0..40)
        .map(|_| {
            let c = server.client();
            let csrf = c.get("/login").csrf();
            (c, csrf)
        })
        .collect();
    let checks_before = minicrm::users::password::verifications();
    let start = std::sync::Arc::new(std::sync::Barrier::new(attackers.len()));
    let threads: Vec<_> = attackers
        .into_iter()
        .map(|(c, csrf)| {
            let start = start.clone();
            std::thread::spawn(move || {
                start.wait();
                c.post_raw(
                    "/login",
                    &[
                        ("csrf", csrf.as_str()),
                        ("username", "admin"),
                        ("password", "väärä salasana"),
                    ],
                )
                .status
            })
        })
        .collect();
    let statuses: Vec<u16> = threads.into_iter().map(|t| t.join().unwrap()).collect();
    let checks = minicrm::users::password::verifications() - checks_before;
    let wrong = statuses.iter().filter(|&&s| s == 422).count();
    let locked = statuses.iter().filter(|&&s| s == 429).count();
    assert_eq!(wrong + locked, 40, "{statuses:?}");
    assert!(checks <= 5, "{checks} passwords were checked: {statuses:?}");
    assert_eq!(wrong, 5, "{statuses:?}");
    // And the right password is locked out now too.
    assert_eq!(server.client().login("admin", ADMIN_PASSWORD).status, 429);
}

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

/// An API token for the admin, made on the account page (shown once, in `#new-token`).
fn admin_token(admin: &Client) -> String {
    let resp = admin.post_form("/account", "/account/tokens", &[("name", "kiire")]);
    assert_eq!(resp.status, 201, "{}", resp.body);
    resp.body
        .split("id=\"new-token\">")
        .nth(1)
        .and_then(|rest| rest.split('<').next())
        .unwrap()
        .to_string()
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

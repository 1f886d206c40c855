//! Sends the requests read from standard input over keep-alive connections, one thread per
//! client, and prints how long each took.
//!
//! Input, one request per line, tab-separated: `client  warm-up(0/1)  METHOD  path  body
//! header` (body URL-encoded, may be empty; header `Name: value`, may be empty). Arguments:
//! `PORT HEADER...`, each header `Name: value`, sent with every request. Output: a line `ms  status  line` per measured request (`line`
//! counts input lines from 0), then `seconds  S` (from the first measured request sent to the
//! last answered).

use std::collections::BTreeMap;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::sync::{Arc, Barrier};
use std::time::Instant;

struct Request {
    line: usize,
    warm_up: bool,
    method: String,
    path: String,
    body: String,
    header: String,
}

struct Connection {
    reader: BufReader<TcpStream>,
    writer: TcpStream,
}

impl Connection {
    fn open(port: u16) -> std::io::Result<Connection> {
        let stream = TcpStream::connect(("127.0.0.1", port))?;
        stream.set_nodelay(true)?;
        Ok(Connection {
            reader: BufReader::with_capacity(64 * 1024, stream.try_clone()?),
            writer: stream,
        })
    }

    /// Sends one request and reads its whole answer: the status, and whether the server
    /// closes the connection after it.
    fn exchange(&mut self, head: &[u8], body: &[u8]) -> std::io::Result<(u16, bool)> {
        self.writer.write_all(head)?;
        self.writer.write_all(body)?;
        let mut line = String::new();
        if self.reader.read_line(&mut line)? == 0 {
            return Err(std::io::ErrorKind::UnexpectedEof.into());
        }
        let status: u16 = line
            .split(' ')
            .nth(1)
            .and_then(|s| s.parse().ok())
            .ok_or_else(|| std::io::Error::other(format!("bad status line {line:?}")))?;
        let (mut length, mut chunked, mut close) = (None, false, false);
        loop {
            line.clear();
            self.reader.read_line(&mut line)?;
            let header = line.trim_end();
            if header.is_empty() {
                break;
            }
            let Some((name, value)) = header.split_once(':') else {
                continue;
            };
            let value = value.trim();
            match name.to_ascii_lowercase().as_str() {
                "content-length" => length = value.parse::<u64>().ok(),
                "transfer-encoding" => chunked = value.eq_ignore_ascii_case("chunked"),
                "connection" => close = value.eq_ignore_ascii_case("close"),
                _ => {}
            }
        }
        if chunked {
            loop {
                line.clear();
                self.reader.read_line(&mut line)?;
                let size = u64::from_str_radix(line.trim().split(';').next().unwrap_or(""), 16)
                    .map_err(std::io::Error::other)?;
                std::io::copy(&mut (&mut self.reader).take(size), &mut std::io::sink())?;
                line.clear();
                self.reader.read_line(&mut line)?;
                if size == 0 {
                    break;
                }
            }
        } else if let Some(n) = length {
            let copied = std::io::copy(&mut (&mut self.reader).take(n), &mut std::io::sink())?;
            if copied < n {
                return Err(std::io::ErrorKind::UnexpectedEof.into());
            }
        } else {
            std::io::copy(&mut self.reader, &mut std::io::sink())?;
            close = true;
        }
        Ok((status, close))
    }
}

fn main() {
    let mut args = std::env::args().skip(1);
    let port: u16 = args
        .next()
        .and_then(|p| p.parse().ok())
        .expect("usage: minicrm-load PORT [HEADER...] < requests");
    let headers: String = args.map(|h| format!("{h}\r\n")).collect();
    let mut clients: BTreeMap<usize, Vec<Request>> = BTreeMap::new();
    for (line, text) in std::io::stdin().lock().lines().enumerate() {
        let text = text.expect("requests on standard input");
        let mut fields = text.splitn(6, '\t');
        let mut next = || fields.next().unwrap_or("").to_string();
        let client: usize = next().parse().expect("a client number");
        let warm_up = next() == "1";
        let (method, path, body, header) = (next(), next(), next(), next());
        clients.entry(client).or_default().push(Request {
            line,
            warm_up,
            method,
            path,
            body,
            header,
        });
    }
    // Every client warms up, then all start measuring together.
    let barrier = Arc::new(Barrier::new(clients.len() + 1));
    let threads: Vec<_> = clients
        .into_values()
        .map(|requests| {
            let headers = headers.clone();
            let barrier = Arc::clone(&barrier);
            std::thread::spawn(move || {
                let mut conn = Connection::open(port).expect("connect");
                let mut timings = Vec::new();
                let mut measuring = false;
                for r in requests {
                    if !r.warm_up && !measuring {
                        barrier.wait();
                        measuring = true;
                    }
                    let mut head = format!(
                        "{} {} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\n{headers}",
                        r.method, r.path
                    );
                    if !r.header.is_empty() {
                        head.push_str(&format!("{}\r\n", r.header));
                    }
                    if !r.body.is_empty() {
                        head.push_str("Content-Type: application/x-www-form-urlencoded\r\n");
                    }
                    head.push_str(&format!("Content-Length: {}\r\n\r\n", r.body.len()));
                    let started = Instant::now();
                    let (status, close) = match conn.exchange(head.as_bytes(), r.body.as_bytes()) {
                        Ok(answer) => answer,
                        // The server closed an idle keep-alive connection: once more on a
                        // new one (the time of the failed try counts).
                        Err(_) => {
                            conn = Connection::open(port).expect("connect");
                            conn.exchange(head.as_bytes(), r.body.as_bytes())
                                .unwrap_or((0, true))
                        }
                    };
                    let ms = started.elapsed().as_secs_f64() * 1000.0;
                    if close {
                        conn = Connection::open(port).expect("connect");
                    }
                    if !r.warm_up {
                        timings.push((ms, status, r.line));
                    }
                }
                if !measuring {
                    barrier.wait();
                }
                timings
            })
        })
        .collect();
    barrier.wait();
    let started = Instant::now();
    let mut out = String::new();
    for t in threads {
        for (ms, status, line) in t.join().expect("a client thread") {
            out.push_str(&format!("{ms:.3}\t{status}\t{line}\n"));
        }
    }
    out.push_str(&format!(
        "seconds\t{:.6}\n",
        started.elapsed().as_secs_f64()
    ));
    std::io::stdout().write_all(out.as_bytes()).expect("stdout");
}

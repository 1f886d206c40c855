//! The tiny_http server: a pool of worker threads, each with its own database connection,
//! taking requests from one shared listener. Limits are enforced here, before a handler runs:
//! the body size (checked against `Content-Length` before reading), a deadline for the whole
//! body, and per-connection read/write timeouts. A panic in a handler is caught, logged and
//! answered with a 500; the worker lives on.

use std::io::Read;
use std::net::{SocketAddr, TcpListener};
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use rusqlite::Connection;

use crate::config::ServeConfig;
use crate::db;
use crate::error::Error;
use crate::http::errors::bare_error;
use crate::http::{App, Body, Ctx, Method, Resp};
use crate::jobs::{Jobs, Thread};

/// Why the server did not start; each says what to do.
#[derive(Debug, thiserror::Error)]
pub enum StartError {
    #[error(transparent)]
    Open(#[from] db::OpenError),
    #[error("{0} is already in use by another program. Stop it, or start minicrm on another port with --addr 127.0.0.1:PORT.")]
    AddrInUse(String),
    #[error("cannot listen on {0}: {1}. Check the --addr value (HOST:PORT).")]
    Bind(String, std::io::Error),
    #[error("cannot start the server: {0}")]
    Other(String),
}

/// A started server. Dropping it does not stop it; call `stop` or set the shutdown flag.
pub struct Running {
    pub addr: SocketAddr,
    shutdown: Arc<AtomicBool>,
    threads: Vec<JoinHandle<()>>,
    /// Closed after the threads are done (fields drop after `join`'s loop).
    _writer: db::SharedWriter,
}

impl Running {
    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// Stops taking requests, lets in-flight ones finish, and waits for the workers.
    pub fn stop(self) {
        self.shutdown.store(true, Ordering::SeqCst);
        self.join();
    }

    /// Waits until the shutdown flag is set (by a signal) and every worker has finished.
    pub(crate) fn join(self) {
        for t in self.threads {
            let _ = t.join();
        }
    }
}

/// Opens (and if needed creates or migrates) the database, binds the address and starts the
/// workers. Returns once the server accepts connections.
pub fn start(config: ServeConfig, shutdown: Arc<AtomicBool>) -> Result<Running, StartError> {
    return_freed_memory();
    drop(db::open(&config.db_path)?);
    let listener = TcpListener::bind(&config.addr).map_err(|e| match e.kind() {
        std::io::ErrorKind::AddrInUse => StartError::AddrInUse(config.addr.clone()),
        _ => StartError::Bind(config.addr.clone(), e),
    })?;
    let addr = listener
        .local_addr()
        .map_err(|e| StartError::Bind(config.addr.clone(), e))?;
    // Request lines and header blocks are capped (414/431), and each body is read whole by
    // its connection's thread before a worker takes the request: a slow or stalled client
    // holds only that thread, never a worker.
    let limits = tiny_http::Limits {
        io_timeout: Some(config.io_timeout),
        body: Some(tiny_http::BodyLimits::new(
            config.max_body,
            config.body_deadline,
        )),
        ..tiny_http::Limits::default()
    };
    let server = tiny_http::Server::from_listener_with_limits(listener, None, limits)
        .map_err(|e| StartError::Other(e.to_string()))?;
    let server = Arc::new(server);
    let writer =
        db::SharedWriter::open(&config.db_path).map_err(|e| StartError::Other(e.to_string()))?;
    let checkpointer = Arc::new(db::Checkpointer::new(&config.db_path));
    let default_base = default_base(addr, &config.allowed_hosts);
    let mut jobs = Jobs::new();
    register_jobs(
        &mut jobs,
        &config,
        checkpointer.clone(),
        default_base.clone(),
    );
    let app = Arc::new(App {
        allowed_hosts: super::hosts::allowed_hosts(addr, &config.addr, &config.allowed_hosts),
        default_base,
        jobs: jobs.health(),
        hooks: crate::http::Hooks {
            tasks_tab: Some(crate::tasks::pages::card_tab),
            documents_tab: Some(crate::documents::pages::card_tab),
            reminder_count: Some(crate::tasks::reminders::badge_count),
        },
        shown_once: Default::default(),
        config,
    });

    let mut threads = Vec::new();
    for n in 0..app.config.workers.max(1) {
        // A request's write waits a moment for another, then is answered 503 (never 500).
        let conn = db::connect(&app.config.db_path, db::REQUEST_BUSY_TIMEOUT)
            .and_then(|mut conn| db::give_way_to_writes(&mut conn).map(|()| conn))
            .map_err(|e| StartError::Other(e.to_string()))?;
        let (app, server, shutdown) = (app.clone(), server.clone(), shutdown.clone());
        let checkpointer = checkpointer.clone();
        let thread = std::thread::Builder::new()
            .name(format!("worker-{n}"))
            .spawn(move || worker(&app, &server, conn, &shutdown, &checkpointer))
            .map_err(|e| StartError::Other(e.to_string()))?;
        threads.push(thread);
    }
    // Background jobs keep no one waiting, so they may wait longer for their turn to write.
    let db_path = app.config.db_path.clone();
    let open = move || db::connect(&db_path, JOBS_BUSY_TIMEOUT);
    threads.extend(
        jobs.spawn(open, shutdown.clone())
            .map_err(|e| StartError::Other(e.to_string()))?,
    );
    Ok(Running {
        addr,
        shutdown,
        threads,
        _writer: writer,
    })
}

/// How often an idle worker looks at the shutdown flag.
/// Makes the allocator give freed memory back to the system, so that the server's resident
/// memory follows what it uses now rather than the most it ever used.
///
/// glibc's malloc keeps a heap (an arena) per thread, up to eight per core, and keeps freed
/// memory in them; its threshold for serving a large block from its own mapping (returned at
/// free) rises with every large block freed, so after a few big requests even those stay. With
/// nine worker threads that left hundreds of MiB resident after a few searches. Two arenas,
/// a fixed 128 KiB mapping threshold and trimming above 1 MiB keep it close to what is in use.
#[cfg(all(target_os = "linux", target_env = "gnu"))]
fn return_freed_memory() {
    extern "C" {
        fn mallopt(param: std::ffi::c_int, value: std::ffi::c_int) -> std::ffi::c_int;
    }
    const M_TRIM_THRESHOLD: std::ffi::c_int = -1;
    const M_MMAP_THRESHOLD: std::ffi::c_int = -3;
    const M_ARENA_MAX: std::ffi::c_int = -8;
    // SAFETY: mallopt only sets allocator parameters; these are documented values, and setting
    // them while other threads allocate is allowed.
    unsafe {
        mallopt(M_ARENA_MAX, 2);
        mallopt(M_MMAP_THRESHOLD, 128 * 1024);
        mallopt(M_TRIM_THRESHOLD, 1024 * 1024);
    }
}

#[cfg(not(all(target_os = "linux", target_env = "gnu")))]
fn return_freed_memory() {}

const POLL: Duration = Duration::from_millis(200);
/// How long a background job's write waits for another write.
const JOBS_BUSY_TIMEOUT: Duration = Duration::from_secs(30);

fn worker(
    app: &App,
    server: &tiny_http::Server,
    mut conn: Connection,
    shutdown: &AtomicBool,
    checkpointer: &db::Checkpointer,
) {
    while !shutdown.load(Ordering::SeqCst) {
        match server.recv_timeout(POLL) {
            Ok(Some(request)) => {
                let _in_flight = checkpointer.busy();
                handle(app, &mut conn, request)
            }
            Ok(None) => {}
            Err(e) => {
                log::error!("the listener failed: {e}");
                break;
            }
        }
    }
}

fn handle(app: &App, conn: &mut Connection, mut request: tiny_http::Request) {
    let started = Instant::now();
    let method = Method::parse(request.method().as_str());
    let url = request.url().to_string();
    let path = url.split('?').next().unwrap_or("").to_string();
    let headers: Vec<(String, String)> = request
        .headers()
        .iter()
        .map(|h| {
            (
                h.field.as_str().as_str().to_string(),
                h.value.as_str().to_string(),
            )
        })
        .collect();
    let ip = request
        .remote_addr()
        .map(|a| a.ip().to_string())
        .unwrap_or_default();

    let content_type = headers
        .iter()
        .find(|(k, _)| k.eq_ignore_ascii_case("content-type"))
        .map_or("", |(_, v)| v.as_str());
    let (upload, limit) = super::body_plan(method, &path, content_type, app.config.max_body);
    let body = match check_body(&request, limit).and_then(|()| match upload {
        true => Ok(RequestBody::Stream(request.take_body_reader())),
        false => read_body(&mut request, &app.config, limit).map(RequestBody::Bytes),
    }) {
        Ok(body) => body,
        Err(err) => {
            let resp = bare_error(&path, &headers, &err);
            log::info!(
                "{} {path} {} {}ms",
                request.method(),
                resp.status,
                started.elapsed().as_millis()
            );
            // Nothing is left to drain: the connection's thread stopped reading at the limit or
            // the deadline and closes the connection after this answer. No thread is started.
            send(conn, request, resp);
            return;
        }
    };

    // A page's reads share one read transaction (`db::begin_reading`); other requests write.
    if matches!(method, Method::Get | Method::Head) {
        if let Err(e) = db::begin_reading(conn) {
            log::warn!("could not begin a page's read transaction: {e}");
        }
    }
    let mut ctx = match body {
        RequestBody::Bytes(bytes) => Ctx::new(app, conn, method, &url, headers, bytes, ip),
        RequestBody::Stream(stream) => {
            let mut ctx = Ctx::new(app, conn, method, &url, headers, Vec::new(), ip);
            ctx.body_stream = Some(stream);
            ctx
        }
    };
    let resp = match catch_unwind(AssertUnwindSafe(|| super::handle(&mut ctx))) {
        Ok(resp) => resp,
        Err(panic) => {
            let what = panic
                .downcast_ref::<&str>()
                .map(|s| s.to_string())
                .or_else(|| panic.downcast_ref::<String>().cloned())
                .unwrap_or_default();
            log::error!("handler panicked on {} {path}: {what}", request.method());
            bare_error(&path, &ctx.headers, &Error::Internal(what))
        }
    };
    drop(ctx);
    db::end_reading(conn);
    log::info!(
        "{} {path} {} {}ms",
        request.method(),
        resp.status,
        started.elapsed().as_millis()
    );
    send(conn, request, resp);
}

/// A request body as the handler gets it.
enum RequestBody {
    Bytes(Vec<u8>),
    /// An upload's, read in advance by the connection's thread, streamed by the handler.
    Stream(Box<dyn std::io::Read + Send>),
}

/// Refuses a body the connection's thread gave up on (over the server's limit, or too slow),
/// or one whose `Content-Length` is over this route's limit.
fn check_body(request: &tiny_http::Request, limit: u64) -> Result<(), Error> {
    match request.body_error() {
        None => {}
        Some(tiny_http::BodyError::TooLarge) => return Err(Error::TooLarge(limit)),
        Some(_) => return Err(Error::Timeout),
    }
    match request.body_length() {
        Some(n) if n as u64 > limit => Err(Error::TooLarge(limit)),
        _ => Ok(()),
    }
}

/// Reads a (small) request body into memory: cut off when a chunked body grows over the
/// limit or does not arrive within the deadline.
fn read_body(
    request: &mut tiny_http::Request,
    config: &ServeConfig,
    limit: u64,
) -> Result<Vec<u8>, Error> {
    let declared = request.body_length().map(|n| n as u64);
    let deadline = Instant::now() + config.body_deadline;
    let mut body = Vec::with_capacity(declared.unwrap_or(0).min(64 * 1024) as usize);
    let mut buf = [0u8; 16 * 1024];
    let reader = request.as_reader();
    loop {
        if Instant::now() > deadline {
            return Err(Error::Timeout);
        }
        match reader.read(&mut buf) {
            Ok(0) => return Ok(body),
            Ok(n) => {
                if (body.len() + n) as u64 > limit {
                    return Err(Error::TooLarge(limit));
                }
                body.extend_from_slice(&buf[..n]);
            }
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
            Err(e)
                if matches!(
                    e.kind(),
                    std::io::ErrorKind::WouldBlock | std::io::ErrorKind::TimedOut
                ) =>
            {
                return Err(Error::Timeout)
            }
            Err(e) => {
                return Err(Error::BadRequest(format!(
                    "The request body could not be read ({e})."
                )))
            }
        }
    }
}

/// Headers every answer carries.
const SECURITY_HEADERS: &[(&str, &str)] = &[
    ("X-Content-Type-Options", "nosniff"),
    ("X-Frame-Options", "DENY"),
    ("Referrer-Policy", "same-origin"),
    (
        "Content-Security-Policy",
        "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; \
         frame-ancestors 'none'; form-action 'self'; base-uri 'none'; object-src 'none'",
    ),
];

fn send(conn: &Connection, request: tiny_http::Request, resp: Resp) {
    // A BLOB body is opened on the worker's connection only now, as it is written out; if its
    // row went meanwhile (a delete between the handler and here), the answer is a 404.
    let resp = match resp.body {
        Body::Blob(range) => match open_blob(conn, range) {
            Ok(reader) => {
                return respond(
                    request,
                    tiny_response(resp.status, &resp.headers, reader, range.len),
                )
            }
            Err(e) => {
                log::info!("a document's bytes could not be read: {e}");
                bare_error(request.url(), &[], &Error::NotFound)
            }
        },
        _ => resp,
    };
    let headers = resp.headers;
    let (reader, length): (Box<dyn Read>, u64) = match resp.body {
        Body::Bytes(bytes) => {
            let len = bytes.len() as u64;
            (Box::new(std::io::Cursor::new(bytes)), len)
        }
        Body::File(file, len) => (Box::new(file), len),
        Body::Blob(_) => (Box::new(std::io::empty()), 0),
    };
    respond(
        request,
        tiny_response(resp.status, &headers, reader, length),
    );
}

fn respond<R: Read>(request: tiny_http::Request, response: tiny_http::Response<R>) {
    if let Err(e) = request.respond(response) {
        log::debug!("could not send the response: {e}");
    }
}

/// A reader of `range.len` bytes of a BLOB from `range.start`, read in the chunks the writer
/// asks for (incremental BLOB I/O: the value is never in memory whole).
fn open_blob(conn: &Connection, range: crate::http::BlobRange) -> rusqlite::Result<impl Read + '_> {
    use std::io::{Seek, SeekFrom};
    let mut blob = conn.blob_open(
        rusqlite::MAIN_DB,
        range.table,
        range.column,
        range.rowid,
        true,
    )?;
    blob.seek(SeekFrom::Start(range.start))
        .map_err(|e| rusqlite::Error::ToSqlConversionFailure(Box::new(e)))?;
    Ok(blob.take(range.len))
}

fn tiny_response<R: Read>(
    status: u16,
    resp_headers: &[(String, String)],
    reader: R,
    length: u64,
) -> tiny_http::Response<R> {
    let mut headers: Vec<tiny_http::Header> = Vec::new();
    let mut add = |name: &str, value: &str| {
        // tiny_http accepts any ASCII in a header, line breaks included: a value with a control
        // character would split the response (header injection), so it is never sent.
        if value.bytes().any(|b| b < 0x20 || b == 0x7f) {
            log::error!("header {name} not sent: its value has a control character");
            return;
        }
        if let Ok(h) = tiny_http::Header::from_bytes(name.as_bytes(), value.as_bytes()) {
            headers.push(h);
        }
    };
    let has = |name: &str| {
        resp_headers
            .iter()
            .any(|(n, _)| n.eq_ignore_ascii_case(name))
    };
    // A response may set its own policy (a document's preview is a sandbox of its own).
    for (name, value) in SECURITY_HEADERS {
        if !has(name) {
            add(name, value);
        }
    }
    if !has("cache-control") {
        add("Cache-Control", "no-store");
    }
    // A busy database (`Error::Busy`, or an import that met one) is worth another try soon.
    if status == 503 && !has("retry-after") {
        add("Retry-After", "2");
    }
    for (name, value) in resp_headers {
        add(name, value);
    }
    tiny_http::Response::new(
        tiny_http::StatusCode(status),
        headers,
        reader,
        Some(length as usize),
        None,
    )
    .with_chunked_threshold(usize::MAX)
}

/// The background jobs: the clean-up of expired sessions (and of the import page's uploads
/// older than an hour) and the backup schedule, both looked at every `backup_check_every` (and
/// at start), the search indexes' merging, the reminders and the inbox's. The backups, the
/// reminders (which send e-mail) and the inbox's jobs run on threads of their own. Each reads
/// the settings at its turn, so a change on the settings page counts from the next turn. After
/// every turn of the shared thread, the WAL is checkpointed once the server is idle (see
/// `db::Checkpointer`).
fn register_jobs(
    jobs: &mut Jobs,
    config: &ServeConfig,
    checkpointer: Arc<db::Checkpointer>,
    default_base: String,
) {
    let uploads = crate::exchange::uploads::dir(&config.db_path);
    jobs.every(
        "jobs.search_index",
        Duration::from_secs(1),
        Thread::Shared,
        |conn, _| {
            crate::log::store::merge_search_indexes(conn, 40)?;
            Ok(())
        },
    );
    jobs.after_each_turn(move |conn| {
        if let Err(e) = checkpointer.run_if_idle(conn) {
            log::warn!("the idle checkpoint failed: {e}");
        }
    });
    jobs.every(
        "jobs.session_cleanup",
        config.backup_check_every,
        Thread::Shared,
        move |conn, now| {
            crate::exchange::uploads::sweep(&uploads, now.into(), None)?;
            let settings = crate::settings::load(conn)?;
            let now = now.timestamp();
            db::write(conn, |tx| {
                crate::users::store::delete_expired_sessions(
                    tx,
                    now - i64::from(settings.session_idle_hours) * 3_600,
                    now - i64::from(settings.remember_days) * 86_400,
                )
            })?;
            Ok(())
        },
    );
    let db_path = config.db_path.clone();
    jobs.every(
        "jobs.backups",
        config.backup_check_every,
        Thread::Own,
        move |conn, now| {
            let settings = crate::settings::load(conn)?;
            // A new, empty database (still in set-up) gets no copy of its nothing.
            if settings.backup_interval_hours > 0 && db::backup::holds_data(conn)? {
                db::backup::run_schedule(
                    conn,
                    &db_path,
                    Duration::from_secs(u64::from(settings.backup_interval_hours) * 3_600),
                    settings.backup_keep as usize,
                    now.into(),
                )?;
            }
            Ok(())
        },
    );
    // Reminders whose time has come, each delivered once, then their e-mails; the first turn
    // at start delivers the ones missed while the server was down.
    let mut started = false;
    // Its own thread: an SMTP server that does not answer holds up only the e-mails.
    let every = config.reminder_every;
    jobs.every_counting("jobs.reminders", every, Thread::Own, move |conn, now| {
        // E-mails the previous run was sending when it stopped go out again (at worst twice).
        if !started {
            crate::tasks::email::release_claims(conn, now)?;
            started = true;
        }
        let base = crate::settings::load(conn)?.link_base(&default_base);
        Ok(crate::tasks::reminders::run_turn(conn, now, &base)?.done())
    });
    if let Some(sink) = INBOX_SINK {
        crate::inbox::register_jobs(jobs, &config.db_path, sink);
    }
}

/// The app's address for links when the `public_url` setting is empty: the listening address,
/// or, when it listens on every interface, the first `--allow-host` name (else `localhost`).
fn default_base(addr: SocketAddr, allowed_hosts: &[String]) -> String {
    if !addr.ip().is_unspecified() {
        return format!("http://{addr}");
    }
    match allowed_hosts.first().map(|h| h.trim()) {
        Some(host) if host.contains(':') => format!("http://{host}"),
        Some(host) if !host.is_empty() => format!("http://{host}:{}", addr.port()),
        _ => format!("http://localhost:{}", addr.port()),
    }
}

/// Where the inbox's jobs (the watched folder, the IMAP mailbox) put what arrives: the
/// documents' store, as incoming documents. `None` would leave the inbox jobs unstarted, so that
/// nothing is taken from the folder or the mailbox, and nothing is lost.
pub(super) const INBOX_SINK: Option<crate::inbox::SinkFn> =
    Some(crate::documents::email::inbox_sink);

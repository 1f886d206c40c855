//! The request context handed to every handler: the request itself, the database connection of
//! the worker, and who is asking in which language.

use std::io::Read;

use rusqlite::Connection;

use super::form::Form;
use super::multipart;
use super::App;
use crate::auth::{Session, User};
use crate::error::{Error, Result};
use crate::i18n::Lang;
use crate::settings::Settings;
use crate::views::{Frame, Section};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Method {
    Get,
    Head,
    Post,
    Put,
    Patch,
    Delete,
    Other,
}

impl Method {
    pub(crate) fn parse(m: &str) -> Method {
        match m {
            "GET" => Method::Get,
            "HEAD" => Method::Head,
            "POST" => Method::Post,
            "PUT" => Method::Put,
            "PATCH" => Method::Patch,
            "DELETE" => Method::Delete,
            _ => Method::Other,
        }
    }

    /// Whether the method changes data (and so needs CSRF, Origin and write permission).
    pub(crate) fn is_write(self) -> bool {
        !matches!(self, Method::Get | Method::Head)
    }
}

pub(crate) const SESSION_COOKIE: &str = "minicrm_session";
/// Double-submit CSRF token for the forms shown before a login (login, set-up).
pub(crate) const ANON_CSRF_COOKIE: &str = "minicrm_csrf";
pub(crate) const FLASH_COOKIE: &str = "minicrm_flash";

pub(crate) struct Ctx<'a> {
    pub app: &'a App,
    pub conn: &'a mut Connection,
    pub method: Method,
    pub path: String,
    pub query: Form,
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
    /// The body of an upload route (`server::streams_body`), left unread for the handler to
    /// stream: in memory when small, else in an unlinked temporary file. `body` is then empty.
    pub body_stream: Option<Box<dyn Read + Send>>,
    pub ip: String,
    pub lang: Lang,
    pub settings: Settings,
    pub user: Option<User>,
    pub session: Option<Session>,
    /// `Set-Cookie` values to send with the response.
    pub cookies_out: Vec<String>,
    /// The anonymous CSRF token for pre-login forms, set on first need.
    anon_csrf: Option<String>,
}

impl<'a> Ctx<'a> {
    #[allow(clippy::too_many_arguments)]
    pub(crate) fn new(
        app: &'a App,
        conn: &'a mut Connection,
        method: Method,
        url: &str,
        headers: Vec<(String, String)>,
        body: Vec<u8>,
        ip: String,
    ) -> Ctx<'a> {
        let (path, query) = url.split_once('?').unwrap_or((url, ""));
        Ctx {
            app,
            conn,
            method,
            path: path.to_string(),
            query: Form::parse(query.as_bytes()).unwrap_or_default(),
            headers,
            body,
            body_stream: None,
            ip,
            lang: Lang::default(),
            settings: Settings::default(),
            user: None,
            session: None,
            cookies_out: Vec::new(),
            anon_csrf: None,
        }
    }

    /// The business register's base URL: `--ytj-url` / `MINICRM_YTJ_URL` when given, else the
    /// setting; `None` when the look-up is off (empty).
    pub(crate) fn ytj_url(&self) -> Option<&str> {
        let url = match &self.app.config.ytj_url {
            Some(url) => url.as_str(),
            None => self.settings.ytj_url.as_str(),
        };
        Some(url.trim()).filter(|u| !u.is_empty())
    }

    pub(crate) fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    pub(crate) fn cookie(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .filter(|(n, _)| n.eq_ignore_ascii_case("cookie"))
            .flat_map(|(_, v)| v.split(';'))
            .filter_map(|pair| pair.trim().split_once('='))
            .find(|(n, _)| *n == name)
            .map(|(_, v)| v)
    }

    pub(crate) fn method_name(&self) -> &'static str {
        match self.method {
            Method::Get => "GET",
            Method::Head => "HEAD",
            Method::Post => "POST",
            Method::Put => "PUT",
            Method::Patch => "PATCH",
            Method::Delete => "DELETE",
            Method::Other => "OTHER",
        }
    }

    pub(crate) fn is_api(&self) -> bool {
        self.path.starts_with("/api/")
    }

    /// The logged-in user, or 401.
    pub(crate) fn user(&self) -> Result<&User> {
        self.user.as_ref().ok_or(Error::Unauthorized)
    }

    /// The user's own language, else the browser's, else the company default.
    pub(crate) fn choose_lang(&self) -> Lang {
        self.user
            .as_ref()
            .and_then(|u| u.language)
            .or_else(|| {
                self.header("accept-language")
                    .and_then(Lang::from_accept_language)
            })
            .unwrap_or(self.settings.default_language)
    }

    /// The body as a URL-encoded form; another content type is a 415.
    pub(crate) fn form(&self) -> Result<Form> {
        let ctype = self.header("content-type").unwrap_or("");
        if !ctype
            .to_ascii_lowercase()
            .starts_with("application/x-www-form-urlencoded")
        {
            return Err(Error::UnsupportedMediaType);
        }
        Form::parse(&self.body)
    }

    /// The body as a `multipart/form-data` upload, files streamed to temporary files; another
    /// content type is a 415. The body is taken: this reads it once.
    pub(crate) fn multipart(&mut self, limits: multipart::Limits) -> Result<multipart::Upload> {
        let boundary = multipart::boundary(self.header("content-type").unwrap_or(""))
            .ok_or(Error::UnsupportedMediaType)?;
        let body = self.take_body();
        Ok(multipart::read(
            &boundary,
            body,
            limits,
            &self.app.config.spool_dir(),
        )?)
    }

    /// The whole body as a reader (an upload route's stream, else the bytes read).
    pub(crate) fn take_body(&mut self) -> Box<dyn Read + Send> {
        match self.body_stream.take() {
            Some(stream) => stream,
            None => Box::new(std::io::Cursor::new(std::mem::take(&mut self.body))),
        }
    }

    /// The body as JSON; another content type is a 415, broken JSON a 400.
    pub(crate) fn json<T: serde::de::DeserializeOwned>(&self) -> Result<T> {
        let ctype = self.header("content-type").unwrap_or("");
        if !ctype.to_ascii_lowercase().starts_with("application/json") {
            return Err(Error::UnsupportedMediaType);
        }
        serde_json::from_slice(&self.body)
            .map_err(|e| Error::BadRequest(format!("The JSON body could not be read: {e}.")))
    }

    /// The CSRF token forms on this page must carry: the session's, or before a login the
    /// double-submit cookie's (made and set here when the browser has none).
    pub(crate) fn csrf_token(&mut self) -> String {
        if let Some(session) = &self.session {
            return session.csrf_token.clone();
        }
        if let Some(token) = &self.anon_csrf {
            return token.clone();
        }
        let token = match self.cookie(ANON_CSRF_COOKIE) {
            Some(t) if t.len() == 64 && t.chars().all(|c| c.is_ascii_hexdigit()) => t.to_string(),
            _ => {
                let t = crate::auth::random_hex(32);
                self.cookies_out.push(format!(
                    "{ANON_CSRF_COOKIE}={t}; Path=/; HttpOnly; SameSite=Lax"
                ));
                t
            }
        };
        self.anon_csrf = Some(token.clone());
        token
    }

    /// What the layout shows for this request: language, user, CSRF token, the one-time message.
    pub(crate) fn frame(&mut self, section: Section) -> Frame {
        let flash = self.take_flash();
        // The badge is a nicety: a failure to count leaves it out rather than failing the page.
        let reminders = match (self.app.hooks.reminder_count, &self.user) {
            (Some(count), Some(user)) => count(self.conn, user.id.0).unwrap_or(0),
            _ => 0,
        };
        Frame {
            reminders,
            lang: self.lang,
            user: self.user.clone(),
            csrf: self.csrf_token(),
            flash,
            company: self.settings.company_name.clone(),
            section,
            search: self.query.get("q").to_string(),
            tz: self.settings.time_zone,
        }
    }

    /// Keeps a secret for this session's next page (see `shown_once`); without a session
    /// (an API call) there is no next page, and it is dropped.
    pub(crate) fn keep_secret(&mut self, kind: super::shown_once::Secret, value: String) {
        if let Some(session) = &self.session {
            let now = std::time::Instant::now();
            self.app
                .shown_once
                .keep(&session.token_hash, kind, value, now);
        }
    }

    /// Takes the secret of `kind` kept for this session, if one waits.
    pub(crate) fn take_secret(&mut self, kind: super::shown_once::Secret) -> Option<String> {
        let session = self.session.as_ref()?;
        let now = std::time::Instant::now();
        self.app.shown_once.take(&session.token_hash, kind, now)
    }

    /// Sets a one-time message (an i18n key) shown on the next page.
    pub(crate) fn flash(&mut self, key: &'static str) {
        self.cookies_out.push(format!(
            "{FLASH_COOKIE}={key}; Path=/; HttpOnly; SameSite=Lax"
        ));
    }

    /// Takes the one-time message, if the browser brought a valid one, and clears it.
    pub(crate) fn take_flash(&mut self) -> Option<&'static str> {
        let key = self.cookie(FLASH_COOKIE)?.to_string();
        self.cookies_out.push(format!(
            "{FLASH_COOKIE}=; Path=/; Max-Age=0; HttpOnly; SameSite=Lax"
        ));
        // Only known flash texts are shown: the cookie is the browser's to tamper with.
        crate::i18n::flash_key(&key)
    }
}

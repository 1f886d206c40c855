//! The one error type of the web and API boundary. Store functions return it too, so a
//! validation failure found deep in a store reaches the form or the JSON answer unchanged.
//! The user's message is kept apart from the logged detail: `Internal` carries only the detail,
//! and the user sees a generic sentence.

use crate::i18n::Lang;

/// A field that failed validation: the field's name and the i18n key of the reason.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FieldError {
    pub field: &'static str,
    pub key: &'static str,
}

#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error("not found")]
    NotFound,
    #[error("method not allowed")]
    MethodNotAllowed,
    #[error("login required")]
    Unauthorized,
    #[error("forbidden")]
    Forbidden,
    #[error("missing or wrong CSRF token")]
    Csrf,
    #[error("host not allowed")]
    BadHost,
    #[error("bad request: {0}")]
    BadRequest(String),
    #[error("request body over the limit of {0} bytes")]
    TooLarge(u64),
    #[error("unsupported content type")]
    UnsupportedMediaType,
    #[error("request body not received in time")]
    Timeout,
    /// Input that breaks a rule; `key` is the i18n key of the overall message.
    #[error("validation failed: {key}")]
    Validation {
        key: &'static str,
        fields: Vec<FieldError>,
    },
    /// Input that clashes with existing data (a taken username, a duplicate business ID).
    #[error("conflict: {key}")]
    Conflict {
        key: &'static str,
        fields: Vec<FieldError>,
    },
    /// Another write held the database for longer than a request waits (an import, say):
    /// 503 with `Retry-After`, nothing written.
    #[error("the database is busy")]
    Busy,
    /// A service this one asks (the business register) could not be reached or is turned off:
    /// 502; `0` is the i18n key of the message.
    #[error("upstream: {0}")]
    Upstream(&'static str),
    #[error("database: {0}")]
    Db(rusqlite::Error),
    #[error("i/o: {0}")]
    Io(#[from] std::io::Error),
    #[error("{0}")]
    Internal(String),
}

impl From<rusqlite::Error> for Error {
    fn from(e: rusqlite::Error) -> Error {
        if crate::db::is_busy(&e) {
            Error::Busy
        } else {
            Error::Db(e)
        }
    }
}

pub(crate) type Result<T, E = Error> = std::result::Result<T, E>;

/// Whether text meant for one line holds a control character (CR, LF, NUL, tab, escape…):
/// every single-line field refuses them with `form.control_chars`.
pub(crate) fn has_control(text: &str) -> bool {
    text.chars().any(char::is_control)
}

/// Whether text of many lines (notes) holds a control character other than a line break or a
/// tab: NUL and the rest are refused there too.
pub(crate) fn has_control_in_lines(text: &str) -> bool {
    text.chars()
        .any(|c| c.is_control() && !matches!(c, '\n' | '\r' | '\t'))
}

/// What is wrong with one text field, if anything: a control character (line breaks and tabs
/// are fine in a field of `many_lines`), or more than `max` characters.
pub(crate) fn text_error(
    field: &'static str,
    value: &str,
    max: usize,
    many_lines: bool,
) -> Option<FieldError> {
    let control = if many_lines {
        has_control_in_lines(value)
    } else {
        has_control(value)
    };
    let key = if control {
        "form.control_chars"
    } else if value.chars().count() > max {
        "form.too_long"
    } else {
        return None;
    };
    Some(FieldError { field, key })
}

/// `value` when no field was rejected, else the validation error naming every rejected field.
pub(crate) fn valid<T>(value: T, errors: Vec<FieldError>) -> Result<T> {
    if errors.is_empty() {
        Ok(value)
    } else {
        Err(Error::Validation {
            key: "form.fix_errors",
            fields: errors,
        })
    }
}

/// Adds the e-mail field's error, unless it is empty or already has one.
pub(crate) fn check_email(errors: &mut Vec<FieldError>, field: &'static str, value: &str) {
    if !value.is_empty() && !is_email(value) && !errors.iter().any(|e| e.field == field) {
        errors.push(FieldError {
            field,
            key: "customers.email_invalid",
        });
    }
}

/// An e-mail address as far as a form can tell: something `@` a dotted domain, no spaces.
pub(crate) fn is_email(text: &str) -> bool {
    let Some((local, domain)) = text.split_once('@') else {
        return false;
    };
    !local.is_empty()
        && domain.contains('.')
        && !domain.starts_with('.')
        && !domain.ends_with('.')
        && !text.contains(char::is_whitespace)
}

/// The deepest `offset` a list walks to. Paging by offset reads every row it skips, so past
/// this a list longer than it refuses the offset (`deep_offset_error`) and pages by position
/// instead (`after`, the `next_after` of the page before); a shorter list answers an empty
/// page, as it always did.
pub(crate) const DEEP_OFFSET: i64 = 10_000;

/// The 400 for an offset past `DEEP_OFFSET` into a list longer than that; it names the cursor.
pub(crate) fn deep_offset_error() -> Error {
    Error::BadRequest(format!(
        "`offset` goes at most {DEEP_OFFSET} rows deep into a list this long. Page on with `after` \
         (the `next_after` of the previous page, or the pager's next link) instead."
    ))
}

impl Error {
    /// A validation error on one field; the field's reason is also the overall message.
    pub(crate) fn field(field: &'static str, key: &'static str) -> Error {
        Error::Validation {
            key,
            fields: vec![FieldError { field, key }],
        }
    }

    pub(crate) fn status(&self) -> u16 {
        match self {
            Error::NotFound => 404,
            Error::MethodNotAllowed => 405,
            Error::Unauthorized => 401,
            Error::Forbidden | Error::Csrf | Error::BadHost => 403,
            Error::BadRequest(_) => 400,
            Error::TooLarge(_) => 413,
            Error::UnsupportedMediaType => 415,
            Error::Timeout => 408,
            Error::Validation { .. } => 422,
            Error::Conflict { .. } => 409,
            Error::Busy => 503,
            Error::Upstream(_) => 502,
            Error::Db(_) | Error::Io(_) | Error::Internal(_) => 500,
        }
    }

    /// The machine-readable code of the JSON error shape.
    pub(crate) fn code(&self) -> &'static str {
        match self {
            Error::NotFound => "not_found",
            Error::MethodNotAllowed => "method_not_allowed",
            Error::Unauthorized => "unauthorized",
            Error::Forbidden => "forbidden",
            Error::Csrf => "csrf",
            Error::BadHost => "bad_host",
            Error::BadRequest(_) => "bad_request",
            Error::TooLarge(_) => "too_large",
            Error::UnsupportedMediaType => "unsupported_media_type",
            Error::Timeout => "timeout",
            Error::Validation { .. } => "validation",
            Error::Conflict { .. } => "conflict",
            Error::Busy => "busy",
            Error::Upstream(_) => "bad_gateway",
            Error::Db(_) | Error::Io(_) | Error::Internal(_) => "internal",
        }
    }

    /// The sentence a user sees, in their language. Internal details never reach it.
    pub(crate) fn message(&self, lang: Lang) -> String {
        match self {
            Error::NotFound => lang.t("error.not_found").into(),
            Error::MethodNotAllowed => lang.t("error.method_not_allowed").into(),
            Error::Unauthorized => lang.t("error.unauthorized").into(),
            Error::Forbidden => lang.t("error.forbidden").into(),
            Error::Csrf => lang.t("error.csrf").into(),
            Error::BadHost => lang.t("error.bad_host").into(),
            Error::BadRequest(detail) => format!("{} {detail}", lang.t("error.bad_request")),
            Error::TooLarge(limit) => lang.tf(
                "error.too_large",
                &[("mb", &format!("{:.0}", *limit as f64 / 1048576.0))],
            ),
            Error::UnsupportedMediaType => lang.t("error.unsupported_media_type").into(),
            Error::Timeout => lang.t("error.timeout").into(),
            Error::Validation { key, .. } | Error::Conflict { key, .. } => lang.t(key).into(),
            Error::Busy => lang.t("error.busy").into(),
            Error::Upstream(key) => lang.t(key).into(),
            Error::Db(_) | Error::Io(_) | Error::Internal(_) => lang.t("error.internal").into(),
        }
    }

    pub(crate) fn fields(&self) -> &[FieldError] {
        match self {
            Error::Validation { fields, .. } | Error::Conflict { fields, .. } => fields,
            _ => &[],
        }
    }

    /// Whether this error is the server's fault (logged with its detail) rather than the input's.
    /// A busy database or an unreachable register is neither: it passes.
    pub(crate) fn is_internal(&self) -> bool {
        self.status() >= 500 && !matches!(self, Error::Busy | Error::Upstream(_))
    }
}

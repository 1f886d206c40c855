//! Outgoing e-mail: one plain-text message sent through the company's SMTP server (settings
//! `smtp_*`) with lettre over rustls. Each send opens its own connection and every SMTP step
//! has a short timeout, so a slow or dead server costs the caller seconds, never a hang. What
//! to send and when (the reminder outbox, its retries) is the caller's business; this module
//! only sends and says how it went.

use std::time::Duration;

use lettre::message::header::ContentType;
use lettre::message::Mailbox;
use lettre::transport::smtp::authentication::Credentials;
use lettre::transport::smtp::client::{Tls, TlsParameters};
use lettre::{Address, Message, SmtpTransport, Transport};

use crate::settings::{Smtp, SmtpSecurity};

/// The longest one SMTP step (connect, a command, the message) may take.
pub(crate) const TIMEOUT: Duration = Duration::from_secs(10);

/// One message to one person.
#[derive(Debug, Clone)]
pub(crate) struct Mail {
    pub to: String,
    pub subject: String,
    pub body: String,
}

/// Why a message was not sent.
#[derive(Debug, thiserror::Error)]
pub(crate) enum SendError {
    /// No server or sender is set: e-mail is off.
    #[error("no SMTP server is set")]
    NotConfigured,
    /// The recipient's address is not one SMTP takes: trying again will not help.
    #[error("the address {0:?} is not a valid e-mail address")]
    BadRecipient(String),
    /// The sender's address is not valid (the settings page checks it; an old row may not be).
    #[error("the sender address {0:?} is not a valid e-mail address")]
    BadSender(String),
    /// The server could not be reached, refused, or failed: worth another try later.
    #[error("{0}")]
    Smtp(String),
}

impl SendError {
    /// Whether the server could not be talked to at all (no connection, TLS, timeout), so that
    /// every other message would fail the same way now.
    pub(crate) fn is_connection(&self) -> bool {
        matches!(self, SendError::Smtp(text) if text.starts_with(CONNECTION_PREFIX))
    }
}

/// Marks an error text of a failed connection (as against an answer of the server).
const CONNECTION_PREFIX: &str = "cannot reach the SMTP server: ";

/// Sends `mail` from the configured sender (named after the company) through `smtp`.
pub(crate) fn send(smtp: &Smtp, company: &str, mail: &Mail) -> Result<(), SendError> {
    if !smtp.configured() {
        return Err(SendError::NotConfigured);
    }
    let from: Address = smtp
        .from
        .parse()
        .map_err(|_| SendError::BadSender(smtp.from.clone()))?;
    let to: Address = mail
        .to
        .trim()
        .parse()
        .map_err(|_| SendError::BadRecipient(mail.to.clone()))?;
    let sender_name = (!company.trim().is_empty()).then(|| company.trim().to_string());
    let message = Message::builder()
        .from(Mailbox::new(sender_name, from))
        .to(Mailbox::new(None, to))
        .subject(mail.subject.as_str())
        .header(ContentType::TEXT_PLAIN)
        .body(mail.body.clone())
        .map_err(|e| SendError::Smtp(format!("the message could not be built: {e}")))?;
    transport(smtp)?
        .send(&message)
        .map(|_| ())
        .map_err(|e| describe(&e))
}

/// The transport for the settings: the security's TLS mode, the port, the login, the timeout.
fn transport(smtp: &Smtp) -> Result<SmtpTransport, SendError> {
    let tls = |host: &str| {
        TlsParameters::new(host.to_string())
            .map_err(|e| SendError::Smtp(format!("{CONNECTION_PREFIX}{}", error_text(&e))))
    };
    let mode = match smtp.security {
        SmtpSecurity::None => Tls::None,
        SmtpSecurity::StartTls => Tls::Required(tls(&smtp.host)?),
        SmtpSecurity::Tls => Tls::Wrapper(tls(&smtp.host)?),
    };
    let mut builder = SmtpTransport::builder_dangerous(smtp.host.as_str())
        .port(smtp.port())
        .tls(mode)
        .timeout(Some(TIMEOUT));
    if !smtp.user.is_empty() {
        builder = builder.credentials(Credentials::new(smtp.user.clone(), smtp.password.0.clone()));
    }
    Ok(builder.build())
}

/// A failed send in words an administrator can act on: the server's own answer when it gave
/// one, else what went wrong with the connection.
fn describe(e: &lettre::transport::smtp::Error) -> SendError {
    let text = error_text(e);
    if e.is_permanent() || e.is_transient() {
        SendError::Smtp(format!("the SMTP server answered: {text}"))
    } else {
        SendError::Smtp(format!("{CONNECTION_PREFIX}{text}"))
    }
}

/// An error with its causes, on one line.
fn error_text(e: &dyn std::error::Error) -> String {
    let mut text = e.to_string();
    let mut source = e.source();
    while let Some(cause) = source {
        let more = cause.to_string();
        if !text.contains(&more) {
            text.push_str(": ");
            text.push_str(&more);
        }
        source = cause.source();
    }
    text.replace(['\r', '\n'], " ")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn smtp(port: u16) -> Smtp {
        Smtp {
            host: "127.0.0.1".into(),
            port: Some(port),
            security: SmtpSecurity::None,
            from: "crm@example.fi".into(),
            ..Smtp::default()
        }
    }

    fn mail(to: &str) -> Mail {
        Mail {
            to: to.into(),
            subject: "Hei".into(),
            body: "Moi".into(),
        }
    }

    #[test]
    fn nothing_is_sent_without_a_server_or_to_a_bad_address() {
        let off = Smtp::default();
        assert!(matches!(
            send(&off, "Testi Oy", &mail("a@example.fi")),
            Err(SendError::NotConfigured)
        ));
        assert!(matches!(
            send(&smtp(25), "Testi Oy", &mail("not an address")),
            Err(SendError::BadRecipient(_))
        ));
    }

    #[test]
    fn a_server_that_is_not_listening_is_a_connection_error() {
        // A port that was free a moment ago: nobody listens there now.
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let err = send(&smtp(port), "Testi Oy", &mail("a@example.fi")).unwrap_err();
        assert!(err.is_connection(), "{err}");
        assert!(err.to_string().contains("cannot reach"), "{err}");
    }
}

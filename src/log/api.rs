//! `/api/v1/events`: the log read with the page's search and filters, and entries pushed in
//! (an invoicing program's invoices and payments, a phone app's calls).

use serde_json::json;

use super::entry::{self, EntryInput};
use super::filter::{self, LogFilter};
use super::pages::position;
use super::search::MAX_QUERY_CHARS;
use super::store::{Event, EventKind, Position};
use crate::db;
use crate::error::{Error, Result};
use crate::http::{Ctx, Resp};

/// An event as the API shows it: the summary in the caller's language (their own, else the
/// browser's, else the company's).
fn shown(mut e: Event, lang: crate::i18n::Lang) -> Event {
    e.summary = e.text(lang);
    e
}

/// Reads an id parameter; a value that is not a number is a 400 naming it.
fn id(ctx: &Ctx, name: &str) -> Result<Option<i64>> {
    match ctx.query.get(name).trim() {
        "" => Ok(None),
        v => v
            .parse()
            .map(Some)
            .map_err(|_| Error::BadRequest(format!("`{name}` must be an integer id."))),
    }
}

/// `GET /events?q=&customer_id=&include_contacts=&contact_id=&kind=&user_id=&from=&to=`.
pub(crate) fn list(ctx: &mut Ctx) -> Result<Resp> {
    let (limit, position) = position(&ctx.query)?;
    let q = ctx.query.get("q").to_string();
    if q.trim().chars().count() > MAX_QUERY_CHARS {
        return Err(Error::BadRequest(format!(
            "`q` is longer than {MAX_QUERY_CHARS} characters."
        )));
    }
    let mut filter = LogFilter {
        customer: id(ctx, "customer_id")?,
        contact: id(ctx, "contact_id")?,
        user: id(ctx, "user_id")?,
        ..LogFilter::default()
    };
    filter.with_contacts = match ctx.query.get("include_contacts") {
        "" | "false" => false,
        "true" => true,
        _ => {
            return Err(Error::BadRequest(
                "`include_contacts` is true or false.".into(),
            ))
        }
    };
    filter.kind =
        match ctx.query.get("kind").trim() {
            "" => None,
            k => Some(EventKind::parse(k).ok_or_else(|| {
                Error::BadRequest(format!("`kind` {k:?} is not a kind of event."))
            })?),
        };
    let tz = ctx.settings.time_zone;
    let moment = |name: &str| -> Result<Option<String>> {
        match ctx.query.get(name).trim() {
            "" => Ok(None),
            // A whole day, in the company's time zone.
            t if t.len() == 10 => {
                let mut f = LogFilter::default();
                let (from, to) = if name == "from" { (t, "") } else { ("", t) };
                f.set_dates(from, to, tz).map_err(|_| {
                    Error::BadRequest(format!("`{name}` must be YYYY-MM-DD or RFC 3339."))
                })?;
                Ok(if name == "from" { f.from } else { f.to })
            }
            t => entry::parse_time(t, tz).map(Some).ok_or_else(|| {
                Error::BadRequest(format!("`{name}` must be YYYY-MM-DD or RFC 3339."))
            }),
        }
    };
    filter.from = moment("from")?;
    filter.to = moment("to")?;
    let (page, _) = filter::page(ctx.conn, &q, &filter, limit, position)?;
    let lang = ctx.choose_lang();
    let next_after = page
        .events
        .last()
        .filter(|_| page.older)
        .map(|e| e.id.to_string());
    let next_offset = match position {
        Position::Offset(offset) if page.older => Some(offset + limit),
        _ => None,
    };
    let items: Vec<Event> = page.events.into_iter().map(|e| shown(e, lang)).collect();
    Ok(Resp::json(
        200,
        &json!({"items": items, "next_offset": next_offset, "next_after": next_after}),
    ))
}

/// `GET /events/{id}`.
pub(crate) fn get(ctx: &mut Ctx, id: i64) -> Result<Resp> {
    let e = filter::event_by_id(ctx.conn, id)?.ok_or(Error::NotFound)?;
    Ok(Resp::json(200, &shown(e, ctx.choose_lang())))
}

/// `POST /events`: a note, call, meeting, e-mail, invoice or payment; other kinds are a 422.
pub(crate) fn create(ctx: &mut Ctx) -> Result<Resp> {
    let by = ctx.user()?.id.0;
    let input: EntryInput = ctx.json()?;
    let tz = ctx.settings.time_zone;
    let id = db::write_grouped(ctx.conn, move |tx| entry::record(tx, &input, Some(by), tz))?;
    let e = filter::event_by_id(ctx.conn, id)?.ok_or(Error::NotFound)?;
    Ok(Resp::json(201, &shown(e, ctx.choose_lang()))
        .with_header("Location", format!("/api/v1/events/{id}")))
}

//! The customer log as CSV for Excel (BOM, `;`, formula-like cells guarded, as the register
//! exports): what the log page shows with its search and filters, every page of it, read a
//! batch at a time by position. Times are in the company's zone; amounts use the reader's
//! decimal mark (`1234,50` in Finnish), so Excel reads them as numbers.

use std::io::Write;

use chrono_tz::Tz;
use rusqlite::Connection;

use super::export::{write_csv, Spill, BATCH};
use super::pages::{download, CSV_TYPE};
use crate::error::Result;
use crate::http::{Ctx, Resp};
use crate::i18n::Lang;
use crate::log::filter::{self, LogFilter};
use crate::log::store::{EventKind, Position};

const HEADERS: [&str; 11] = [
    "export.log.time",
    "log.kind",
    "log.text",
    "export.log.by",
    "export.log.customer",
    "export.log.contact",
    "log.amount",
    "log.currency",
    "log.reference",
    "export.log.customer_id",
    "export.log.id",
];

/// The log's events matching `text` and `filter`, newest first, as CSV; returns how many.
pub(crate) fn log_csv<W: Write>(
    conn: &Connection,
    text: &str,
    filter: &LogFilter,
    lang: Lang,
    tz: Tz,
    out: W,
) -> Result<usize> {
    write_csv(out, |row| {
        row(HEADERS.iter().map(|h| lang.t(h).to_string()).collect())?;
        let mut position = Position::Offset(0);
        let mut n = 0;
        loop {
            let (page, _) = filter::page(conn, text, filter, BATCH, position)?;
            for e in &page.events {
                let amount = e.amount.clone().unwrap_or_default();
                let amount = match lang {
                    Lang::Fi => amount.replace('.', ","),
                    Lang::En => amount,
                };
                row(vec![
                    lang.datetime_text(&e.at, tz),
                    EventKind::parse(&e.kind)
                        .map(|k| k.label(lang).to_string())
                        .unwrap_or_else(|| e.kind.clone()),
                    e.text(lang),
                    e.names.user_name.clone().unwrap_or_default(),
                    e.names.customer_name.clone().unwrap_or_default(),
                    e.names.contact_name.clone().unwrap_or_default(),
                    amount,
                    e.currency.clone().unwrap_or_default(),
                    e.reference.clone().unwrap_or_default(),
                    e.customer_id.map(|c| c.to_string()).unwrap_or_default(),
                    e.id.to_string(),
                ])?;
                n += 1;
            }
            match page.events.last() {
                Some(last) if page.older => position = Position::After(last.id),
                _ => return Ok(n),
            }
        }
    })
}

/// `GET /log.csv?…` — the log as the page shows it (search and filters) as CSV.
pub(crate) fn log_csv_download(ctx: &mut Ctx) -> Result<Resp> {
    ctx.user()?;
    let filter = crate::log::pages::read_filter(ctx, crate::log::pages::Scope::All)?;
    let mut out = Spill::new();
    let q = ctx.query.get("q").to_string();
    log_csv(
        ctx.conn,
        &q,
        &filter,
        ctx.lang,
        ctx.settings.time_zone,
        &mut out,
    )?;
    let base = match ctx.lang {
        Lang::Fi => "loki",
        Lang::En => "log",
    };
    let name = format!("{base}-{}.csv", chrono::Local::now().format("%Y-%m-%d"));
    download(out, CSV_TYPE, &name)
}

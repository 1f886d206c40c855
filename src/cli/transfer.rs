//! `minicrm import` and `minicrm export`.

use std::io::{IsTerminal, Write};
use std::path::{Path, PathBuf};

use clap::{Args, ValueEnum};

use super::CliError;
use crate::contacts::list as contact_list;
use crate::customers::list as customer_list;
use crate::db;
use crate::exchange::import::{self, ImportError, Options, Report};
use crate::exchange::{self, export, Format, Kind, Mapping};
use crate::i18n::Lang;

#[derive(Clone, Copy, PartialEq, Eq, ValueEnum)]
pub(crate) enum ImportKind {
    Customers,
    Contacts,
    /// Invoices and payments into the customer log (columns kind, date, customer, amount,
    /// currency, reference, text; in English or Finnish).
    Events,
}

#[derive(Args)]
pub(crate) struct ImportArgs {
    /// What the file holds.
    #[arg(value_enum)]
    kind: ImportKind,
    /// A CSV file (UTF-8, Windows-1252 or UTF-16; `;`, `,` or tab; column names in English or
    /// Finnish on the first row), an Excel or OpenDocument spreadsheet (.xlsx, .ods: its first
    /// sheet), or for contacts a vCard file (.vcf).
    file: PathBuf,
    /// Report what would be created and updated, and write nothing.
    #[arg(long)]
    dry_run: bool,
    /// Import the valid rows and report the others, instead of stopping at the first bad row.
    /// The rejected rows of a CSV file are written, with the reason in a last column, to
    /// FILE.rejected.csv beside the input (or to --report), ready to fix and import again.
    #[arg(long)]
    skip_invalid: bool,
    /// Where --skip-invalid writes the rejected rows.
    #[arg(long, value_name = "FILE")]
    report: Option<PathBuf>,
}

/// `minicrm import events FILE`: invoices and payments into the log, all or none.
fn import_events(db_path: &Path, args: &ImportArgs) -> Result<(), CliError> {
    use crate::exchange::events_import::{self, ImportError};
    let shown = args.file.display().to_string();
    if args.skip_invalid || args.report.is_some() {
        return Err(CliError(
            "import events is all-or-nothing: --skip-invalid and --report are for customers and contacts."
                .into(),
        ));
    }
    let bytes =
        std::fs::read(&args.file).map_err(|e| CliError(format!("cannot read {shown}: {e}.")))?;
    let mut conn = db::open(db_path)?;
    let tz = crate::settings::load(&conn)
        .map_err(|e| CliError(format!("{shown}: {e}")))?
        .time_zone;
    match events_import::import(&mut conn, bytes, None, tz, Lang::En, args.dry_run) {
        Ok(s) => {
            let verb = if args.dry_run {
                "Would import"
            } else {
                "Imported"
            };
            println!(
                "{verb} {} invoices and {} payments from {shown}.",
                s.invoices, s.payments
            );
            Ok(())
        }
        Err(ImportError::File(message)) => Err(CliError(format!(
            "{shown}: {message} Nothing was imported."
        ))),
        Err(ImportError::Rows(errors, bad)) => {
            let more = bad.saturating_sub(errors.len());
            let mut text = format!("{shown}: {bad} rows are not right; nothing was imported.");
            for e in errors {
                text.push_str(&format!("\n  {e}"));
            }
            if more > 0 {
                text.push_str(&format!("\n  … and {more} more."));
            }
            Err(CliError(text))
        }
        Err(ImportError::Db(crate::Error::Busy)) => {
            Err(CliError(format!("{shown}: {}", CliError::busy().0)))
        }
        Err(ImportError::Db(e)) => Err(CliError(format!("{shown}: {e}; nothing was imported."))),
    }
}

#[derive(Clone, Copy, PartialEq, Eq, ValueEnum)]
pub(crate) enum ExportWhat {
    Customers,
    Contacts,
    Tasks,
    Log,
}

#[derive(Clone, Copy, PartialEq, Eq, ValueEnum)]
pub(crate) enum ExportFormat {
    Csv,
    /// An Excel workbook (.xlsx), one sheet.
    Xlsx,
    Vcard,
    Ics,
    Json,
}

#[derive(Clone, Copy, PartialEq, Eq, ValueEnum)]
pub(crate) enum HeaderLang {
    En,
    Fi,
}

#[derive(Args)]
pub(crate) struct ExportArgs {
    /// What to export.
    #[arg(value_enum)]
    what: ExportWhat,
    /// The format (vcard only for contacts, ics only for tasks).
    #[arg(long, value_enum, default_value = "csv")]
    format: ExportFormat,
    /// Write to FILE instead of stdout.
    #[arg(long, value_name = "FILE")]
    out: Option<PathBuf>,
    /// The language of the CSV or Excel header row: `en` writes the API's field names (business_id, …),
    /// `fi` the Finnish labels (Y-tunnus, …). Both import back.
    #[arg(long, value_enum, default_value = "en")]
    lang: HeaderLang,
    /// `log` only: the events of this customer (its id).
    #[arg(long, value_name = "ID")]
    customer: Option<i64>,
    /// `log` only: from this day on (YYYY-MM-DD, in the company's time zone).
    #[arg(long, value_name = "DATE")]
    from: Option<String>,
    /// `log` only: to this day, inclusive (YYYY-MM-DD).
    #[arg(long, value_name = "DATE")]
    to: Option<String>,
}

/// A progress bar on stderr when it is a terminal; nothing otherwise.
fn progress_bar(len: usize) -> indicatif::ProgressBar {
    if !std::io::stderr().is_terminal() || len < 2 {
        return indicatif::ProgressBar::hidden();
    }
    let bar = indicatif::ProgressBar::new(len as u64);
    if let Ok(style) =
        indicatif::ProgressStyle::with_template("{msg:8} {bar:40} {pos}/{len} rows ({eta} left)")
    {
        bar.set_style(style);
    }
    bar
}

pub(crate) fn import(db_path: &Path, args: ImportArgs) -> Result<(), CliError> {
    let kind = match args.kind {
        ImportKind::Customers => Kind::Customers,
        ImportKind::Contacts => Kind::Contacts,
        ImportKind::Events => return import_events(db_path, &args),
    };
    let shown = args.file.display().to_string();
    let bytes =
        std::fs::read(&args.file).map_err(|e| CliError(format!("cannot read {shown}: {e}.")))?;
    let name = args
        .file
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let table = exchange::read_file(&name, bytes).map_err(|e| {
        CliError(format!(
            "{shown}: {} Nothing was imported.",
            e.message(Lang::En)
        ))
    })?;
    if table.format == Format::Vcard && kind == Kind::Customers {
        return Err(CliError(format!(
            "{shown} is a vCard file, which holds contacts: use `minicrm import contacts {shown}`."
        )));
    }
    let mapping = Mapping::detect(kind, &table.headers);
    if mapping.is_empty() {
        return Err(CliError(format!(
            "{shown}: none of the columns ({}) is a field of {}; name them in English or Finnish, e.g. {}.",
            table.headers.join(", "),
            kind.as_str(),
            kind.fields().iter().take(4).map(|f| format!("{}/{}", f.key(), f.header(Lang::Fi))).collect::<Vec<_>>().join(", ")
        )));
    }
    let ignored = mapping.ignored(&table.headers);
    if !ignored.is_empty() && table.format != Format::Vcard {
        eprintln!(
            "minicrm: note: these columns are not recognised and not imported: {}",
            ignored.join(", ")
        );
    }
    let mut conn = db::open(db_path)?;
    let options = Options {
        dry_run: args.dry_run,
        skip_invalid: args.skip_invalid,
        file: name.clone(),
        ..Options::default()
    };
    let bar = progress_bar(table.len());
    let mut phase = None;
    let result = import::run(
        &mut conn,
        kind,
        &table,
        &mapping,
        &options,
        &mut |now, done| {
            if phase != Some(now) {
                phase = Some(now);
                bar.set_message(match now {
                    import::Phase::Check => "checking",
                    import::Phase::Write => "writing",
                });
                bar.reset();
            }
            bar.set_position(done as u64)
        },
    );
    bar.finish_and_clear();
    let report = match result {
        Ok(report) => report,
        Err(ImportError::Row(err)) => {
            return Err(CliError(format!(
                "{shown}: {}. Nothing was imported; fix the row, or use --skip-invalid to import the other rows.",
                err.message(kind, Lang::En).trim_end_matches('.')
            )))
        }
        Err(ImportError::Db(crate::Error::Busy)) => {
            return Err(CliError(format!("{shown}: {}", CliError::busy().0)))
        }
        Err(ImportError::Db(err)) => return Err(CliError(format!("{shown}: {err}; nothing was imported."))),
    };
    let mut stdout = std::io::stdout().lock();
    if report.dry_run {
        for o in &report.outcomes {
            let verb = match o.action {
                import::Action::Created => "would create",
                import::Action::Updated => "would update",
                import::Action::Unchanged => "unchanged",
                import::Action::Skipped => "skipped",
            };
            let place = if table.format != Format::Vcard {
                "row"
            } else {
                "card on line"
            };
            let changes: Vec<String> = o
                .changes
                .iter()
                .map(|c| format!("{}: {:?} → {:?}", c.field.key(), c.old, c.new))
                .collect();
            if changes.is_empty() {
                writeln!(stdout, "{place} {}: {verb} {}", o.line, o.label)?;
            } else {
                writeln!(
                    stdout,
                    "{place} {}: {verb} {} ({})",
                    o.line,
                    o.label,
                    changes.join(", ")
                )?;
            }
        }
    }
    if !report.skipped.is_empty() {
        for err in &report.skipped {
            eprintln!("minicrm: skipped {}", err.message(kind, Lang::En));
        }
        if !report.dry_run && table.format != Format::Vcard {
            let path = args
                .report
                .clone()
                .unwrap_or_else(|| rejected_path(&args.file));
            write_rejected(&path, &table, &report, kind).map_err(|e| {
                CliError(format!(
                    "the import is done, but the rejected rows could not be written to {}: {e}.",
                    path.display()
                ))
            })?;
            eprintln!(
                "minicrm: the {} skipped rows are in {} with the reason in the last column; fix them there and import that file.",
                report.skipped.len(),
                path.display()
            );
        }
    }
    writeln!(
        stdout,
        "{} {}: {}.",
        kind.as_str(),
        shown,
        report.summary_en()
    )?;
    Ok(())
}

/// `customers.csv` → `customers.rejected.csv`, beside it.
fn rejected_path(input: &Path) -> PathBuf {
    let stem = input
        .file_stem()
        .map(|s| s.to_string_lossy().into_owned())
        .unwrap_or_else(|| "import".into());
    input.with_file_name(format!("{stem}.rejected.csv"))
}

/// The rejected rows as CSV in the input's own dialect, with an `error` column.
fn write_rejected(
    path: &Path,
    table: &exchange::Table,
    report: &Report,
    kind: Kind,
) -> std::io::Result<()> {
    let mut out = std::io::BufWriter::new(std::fs::File::create(path)?);
    out.write_all(b"\xEF\xBB\xBF")?;
    let mut w = csv::WriterBuilder::new()
        .delimiter(table.delimiter)
        .terminator(csv::Terminator::CRLF)
        .flexible(true)
        .from_writer(out);
    let mut header = table.headers.clone();
    header.push("error".into());
    w.write_record(&header)?;
    let skipped: std::collections::HashMap<usize, _> =
        report.skipped.iter().map(|err| (err.line, err)).collect();
    for row in table.rows() {
        if let Some(err) = skipped.get(&row.line) {
            let mut record = row.cells;
            record.resize(table.headers.len(), String::new());
            record.push(err.message(kind, Lang::En));
            w.write_record(&record)?;
        }
    }
    w.flush()?;
    Ok(())
}

pub(crate) fn export(db_path: &Path, args: ExportArgs) -> Result<(), CliError> {
    let kind = match args.what {
        ExportWhat::Customers => Kind::Customers,
        ExportWhat::Contacts => Kind::Contacts,
        ExportWhat::Tasks if args.format == ExportFormat::Ics => {
            return export_tasks_ics(db_path, &args)
        }
        ExportWhat::Tasks => {
            return Err(CliError(
                "tasks export as iCalendar only: use --format ics.".into(),
            ))
        }
        ExportWhat::Log => return export_log(db_path, &args),
    };
    if args.customer.is_some() || args.from.is_some() || args.to.is_some() {
        return Err(CliError(
            "--customer, --from and --to are for `export log` only.".into(),
        ));
    }
    match (kind, args.format) {
        (_, ExportFormat::Ics) => {
            return Err(CliError(
                "the ics format is only for tasks; use --format csv, xlsx or json.".into(),
            ))
        }
        (Kind::Customers, ExportFormat::Vcard) => return Err(CliError(
            "the vcard format is only for contacts; export customers with --format csv, xlsx or json."
                .into(),
        )),
        _ => {}
    }
    let conn = db::open_read_only(db_path)?;
    let lang = match args.lang {
        HeaderLang::En => Lang::En,
        HeaderLang::Fi => Lang::Fi,
    };
    // Everything, archived customers included: an export is also a way out of minicrm.
    let mut customer_query = customer_list::ListQuery::new(customer_list::Sort::Number);
    customer_query.filter.archived = customer_list::Archived::All;
    let contact_query = contact_list::ListQuery::new(contact_list::Sort::Name);
    let write = |out: &mut dyn Write| -> crate::error::Result<usize> {
        match (kind, args.format) {
            (Kind::Customers, ExportFormat::Json) => {
                export::customers_json(&conn, &customer_query, out)
            }
            (Kind::Customers, ExportFormat::Xlsx) => {
                export::customers_xlsx(&conn, &customer_query, lang, out)
            }
            (Kind::Contacts, ExportFormat::Xlsx) => {
                export::contacts_xlsx(&conn, &contact_query, lang, out)
            }
            (Kind::Customers, _) => export::customers_csv(&conn, &customer_query, lang, out),
            (Kind::Contacts, ExportFormat::Json) => {
                export::contacts_json(&conn, &contact_query, out)
            }
            (Kind::Contacts, ExportFormat::Vcard) => {
                export::contacts_vcard(&conn, &contact_query, out)
            }
            (Kind::Contacts, _) => export::contacts_csv(&conn, &contact_query, lang, out),
        }
    };
    write_out(args.out.as_deref(), kind.as_str(), write)
}

/// `export log [--customer ID] [--from DATE] [--to DATE]`: the log as CSV, newest first.
fn export_log(db_path: &Path, args: &ExportArgs) -> Result<(), CliError> {
    if args.format != ExportFormat::Csv {
        return Err(CliError("the log exports as csv only.".into()));
    }
    let conn = db::open_read_only(db_path)?;
    let settings = crate::settings::load(&conn).map_err(crate::error::Error::from)?;
    let lang = match args.lang {
        HeaderLang::En => Lang::En,
        HeaderLang::Fi => Lang::Fi,
    };
    let mut filter = crate::log::filter::LogFilter {
        customer: args.customer,
        ..Default::default()
    };
    let day = |d: &Option<String>| d.clone().unwrap_or_default();
    if filter
        .set_dates(&day(&args.from), &day(&args.to), settings.time_zone)
        .is_err()
    {
        return Err(CliError("--from and --to take a day as YYYY-MM-DD.".into()));
    }
    let tz = settings.time_zone;
    let write =
        |out: &mut dyn Write| exchange::log_export::log_csv(&conn, "", &filter, lang, tz, out);
    write_out(args.out.as_deref(), "events", write)
}

/// Writes an export to stdout, or to `out` through a `.part` file renamed when complete (so a
/// failed export never leaves half a file under the name asked for); `write` says how many
/// `noun` (customers, events, …) it wrote.
fn write_out(
    out: Option<&Path>,
    noun: &str,
    write: impl Fn(&mut dyn Write) -> crate::error::Result<usize>,
) -> Result<(), CliError> {
    let Some(path) = out else {
        let mut stdout = std::io::BufWriter::new(std::io::stdout().lock());
        write(&mut stdout)?;
        stdout.flush()?;
        return Ok(());
    };
    // Written beside the target and renamed, so a failed export leaves no half file.
    let part = path.with_file_name(format!(
        "{}.part",
        path.file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_else(|| "export".into())
    ));
    let result = (|| -> Result<usize, CliError> {
        let mut file = std::io::BufWriter::new(std::fs::File::create(&part)?);
        let n = write(&mut file)?;
        file.into_inner()
            .map_err(|e| CliError(e.to_string()))?
            .sync_all()?;
        std::fs::rename(&part, path)?;
        Ok(n)
    })();
    match result {
        Ok(n) => {
            eprintln!("minicrm: wrote {n} {noun} to {}.", path.display());
            Ok(())
        }
        Err(CliError(e)) => {
            let _ = std::fs::remove_file(&part);
            Err(CliError(format!("cannot write {}: {e}.", path.display())))
        }
    }
}

/// `export tasks --format ics`: every open task as one calendar, as the calendar feed shows them.
fn export_tasks_ics(db_path: &Path, args: &ExportArgs) -> Result<(), CliError> {
    let conn = db::open_read_only(db_path)?;
    let settings = crate::settings::load(&conn).map_err(crate::error::Error::from)?;
    let cx = crate::tasks::calendar::Context {
        settings: &settings,
        base: None,
        now: chrono::Utc::now(),
    };
    let name = settings.company_name.clone();
    let write = |out: &mut dyn Write| {
        use crate::tasks::calendar::{write_feed, Span};
        write_feed(&conn, None, Span::All, &name, &cx, out)
    };
    write_out(args.out.as_deref(), "tasks", write)
}

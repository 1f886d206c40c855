//! `minicrm serve`: run the web app until SIGINT or SIGTERM.

use std::path::Path;
use std::sync::atomic::AtomicBool;
use std::sync::Arc;

use clap::{Args, Parser};

use super::CliError;
use crate::config::ServeConfig;

#[derive(Args)]
pub(crate) struct ServeArgs {
    /// Address to listen on.
    #[arg(long, env = "MINICRM_ADDR", default_value = ServeConfig::DEFAULT_ADDR)]
    addr: String,
    /// Open the app in the default browser once it listens.
    #[arg(long)]
    open: bool,
    /// Worker threads answering requests.
    #[arg(long, env = "MINICRM_WORKERS", default_value_t = 8)]
    workers: usize,
    /// Largest request body in MiB (an upload's files and fields together).
    #[arg(long, env = "MINICRM_MAX_BODY_MB", default_value_t = 26)]
    max_body_mb: u64,
    /// Extra host names the app answers to (e.g. crm.example.fi when reached over the LAN).
    #[arg(
        long = "allow-host",
        env = "MINICRM_ALLOW_HOSTS",
        value_delimiter = ','
    )]
    allow_hosts: Vec<String>,
    /// Mark the cookies Secure (HTTPS only): for use behind a TLS proxy.
    #[arg(long, env = "MINICRM_SECURE_COOKIES")]
    secure_cookies: bool,
    /// Base URL of the business register's open data API (YTJ v3), over the setting; empty
    /// turns the look-up off.
    #[arg(long = "ytj-url", env = "MINICRM_YTJ_URL", value_name = "URL")]
    ytj_url: Option<String>,
}

/// The flags of a bare `minicrm` (no subcommand): `serve` with its defaults and environment.
#[derive(Parser)]
struct Bare {
    #[command(flatten)]
    args: ServeArgs,
}

impl ServeArgs {
    /// What `minicrm serve` would take without flags: the defaults and the `MINICRM_*`
    /// environment.
    pub(crate) fn from_env() -> ServeArgs {
        Bare::parse_from(["minicrm"]).args
    }
}

pub(crate) fn run(db: &Path, args: ServeArgs) -> Result<(), CliError> {
    let mut config = ServeConfig::new(db.to_path_buf());
    config.addr = args.addr;
    config.workers = args.workers.max(1);
    config.max_body = args.max_body_mb.max(1) * 1024 * 1024;
    config.allowed_hosts = args.allow_hosts;
    config.secure_cookies = args.secure_cookies;
    config.ytj_url = args.ytj_url.map(|u| u.trim().to_string());

    let shutdown = Arc::new(AtomicBool::new(false));
    for signal in [signal_hook::consts::SIGINT, signal_hook::consts::SIGTERM] {
        signal_hook::flag::register(signal, shutdown.clone())?;
    }
    let running = crate::server::start(config, shutdown)?;
    let url = running.url();
    println!("minicrm listening on {url}");
    log::info!("database {}", db.display());
    if args.open {
        open_browser(&url);
    }
    running.join();
    log::info!("minicrm stopped");
    Ok(())
}

fn open_browser(url: &str) {
    let opener = if cfg!(target_os = "macos") {
        "open"
    } else if cfg!(windows) {
        "explorer"
    } else {
        "xdg-open"
    };
    if let Err(e) = std::process::Command::new(opener).arg(url).spawn() {
        log::warn!("could not open a browser ({e}); open {url} yourself");
    }
}

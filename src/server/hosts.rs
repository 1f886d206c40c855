//! Which `Host` and `Origin` values the server answers to (DNS rebinding and cross-site writes).

use std::net::SocketAddr;

use crate::error::{Error, Result};
use crate::http::Ctx;

/// The `Host` values the server answers to: the listening address, loopback names when it
/// listens on loopback or on all interfaces, and the configured extra names.
pub(crate) fn allowed_hosts(
    bound: SocketAddr,
    configured_addr: &str,
    extra: &[String],
) -> Vec<String> {
    let port = bound.port();
    let mut hosts = vec![bound.to_string()];
    if bound.ip().is_loopback() || bound.ip().is_unspecified() {
        hosts.extend([
            format!("localhost:{port}"),
            format!("127.0.0.1:{port}"),
            format!("[::1]:{port}"),
        ]);
    }
    if let Some((name, _)) = configured_addr.rsplit_once(':') {
        hosts.push(format!("{name}:{port}"));
    }
    for name in extra {
        let name = name.trim();
        if name.is_empty() {
            continue;
        }
        if name
            .rsplit_once(':')
            .is_some_and(|(_, p)| p.parse::<u16>().is_ok())
            && !name.ends_with(']')
        {
            hosts.push(name.to_string());
        } else {
            hosts.push(format!("{name}:{port}"));
        }
    }
    if port == 80 {
        let bare: Vec<String> = hosts
            .iter()
            .filter_map(|h| h.strip_suffix(":80").map(String::from))
            .collect();
        hosts.extend(bare);
    }
    let mut hosts: Vec<String> = hosts.into_iter().map(|h| h.to_ascii_lowercase()).collect();
    hosts.sort();
    hosts.dedup();
    hosts
}

/// Refuses a request whose `Host` is not ours (DNS rebinding), and a write whose `Origin` is
/// another site's.
pub(crate) fn check_host_and_origin(ctx: &Ctx) -> Result<()> {
    let allowed = &ctx.app.allowed_hosts;
    let host = ctx.header("host").unwrap_or("").trim().to_ascii_lowercase();
    if !allowed.contains(&host) {
        return Err(Error::BadHost);
    }
    if ctx.method.is_write() {
        if let Some(origin) = ctx.header("origin") {
            let origin = origin.trim().to_ascii_lowercase();
            let ok = origin
                .strip_prefix("http://")
                .or_else(|| origin.strip_prefix("https://"))
                .is_some_and(|h| allowed.iter().any(|a| a == h));
            if !ok {
                return Err(Error::Csrf);
            }
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn loopback_server_answers_to_loopback_names_only() {
        let hosts = allowed_hosts("127.0.0.1:8080".parse().unwrap(), "127.0.0.1:8080", &[]);
        assert!(hosts.contains(&"localhost:8080".to_string()));
        assert!(hosts.contains(&"127.0.0.1:8080".to_string()));
        assert!(!hosts.iter().any(|h| h.contains("evil")));
        let hosts = allowed_hosts(
            "0.0.0.0:80".parse().unwrap(),
            "0.0.0.0:80",
            &["crm.example.fi".into()],
        );
        assert!(hosts.contains(&"crm.example.fi:80".to_string()));
        assert!(hosts.contains(&"crm.example.fi".to_string()));
    }
}

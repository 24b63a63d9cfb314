//! The host names this server answers to. A page on `evil.example` whose
//! name an attacker points at 127.0.0.1 (DNS rebinding) reaches a server on
//! loopback as the same origin; its requests carry `Host: evil.example`,
//! which is refused here with 421 before any route, so no handler (nor a
//! redirect built from the Host) ever sees it.

use std::{
    net::{IpAddr, SocketAddr},
    sync::Arc,
};

use engine::notebooks::origin::host_name;

use axum::{
    extract::{Request, State},
    http::{StatusCode, header},
    middleware::Next,
    response::{IntoResponse, Response},
};

/// Names requests may be addressed to.
#[derive(Clone, Debug)]
pub struct KnownHosts {
    names: Vec<String>,
    /// Bound beyond loopback: any IP address is a fine Host (rebinding
    /// needs a name), so probes and clients by address pass.
    any_address: bool,
}

impl KnownHosts {
    /// `localhost`, loopback, the bind address and `extra` (names, or URLs
    /// whose host is taken).
    pub fn new(bind: SocketAddr, extra: &[String]) -> Self {
        let mut names: Vec<String> = ["localhost", "127.0.0.1", "::1"].map(str::to_owned).into();
        names.push(bind.ip().to_string());
        for name in extra {
            let authority = name.split_once("://").map_or(name.as_str(), |(_, rest)| rest);
            let authority = authority.split('/').next().unwrap_or_default();
            names.push(unbracket(host_name(authority)).to_ascii_lowercase());
        }
        Self { names, any_address: !bind.ip().is_loopback() }
    }

    /// Whether `host` (a `Host` header: name or address, maybe a port) is one.
    pub fn admits(&self, host: &str) -> bool {
        let name = unbracket(host_name(host.trim())).to_ascii_lowercase();
        if self.names.contains(&name) {
            return true;
        }
        self.any_address && name.parse::<IpAddr>().is_ok()
    }
}

fn unbracket(name: &str) -> &str {
    name.strip_prefix('[').and_then(|n| n.strip_suffix(']')).unwrap_or(name)
}

/// Refuses requests addressed to a name this server is not (421), except
/// the probes, which orchestrators send to whatever address they know.
pub async fn known_host(State(hosts): State<Arc<KnownHosts>>, request: Request, next: Next) -> Response {
    let probe = matches!(request.uri().path(), "/healthz" | "/readyz");
    let host = request
        .headers()
        .get(header::HOST)
        .map(|h| h.to_str().unwrap_or("(unreadable)").to_owned())
        .or_else(|| request.uri().authority().map(|a| a.to_string()));
    match host {
        Some(host) if !probe && !hosts.admits(&host) => {
            let message =
                format!("this server does not answer to the host {host:?}; an operator can add it to allowed_hosts");
            (StatusCode::MISDIRECTED_REQUEST, message).into_response()
        }
        _ => next.run(request).await,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn loopback_answers_only_to_its_own_names() {
        let hosts = KnownHosts::new("127.0.0.1:8080".parse().unwrap(), &["https://ML.example.com/".into()]);
        for ok in
            ["127.0.0.1:8080", "localhost:8080", "LOCALHOST", "[::1]:8080", "ml.example.com", "ml.example.com:443"]
        {
            assert!(hosts.admits(ok), "{ok}");
        }
        for refused in ["evil.example:8080", "evil.example", "10.0.0.1:8080", "localhost.evil.example", "", "[::2]"] {
            assert!(!hosts.admits(refused), "{refused}");
        }
    }

    #[test]
    fn beyond_loopback_addresses_pass_but_names_do_not() {
        let hosts = KnownHosts::new("0.0.0.0:8080".parse().unwrap(), &[]);
        assert!(hosts.admits("10.1.2.3:8080"));
        assert!(hosts.admits("[fe80::1]:8080"));
        assert!(!hosts.admits("evil.example:8080"));
    }
}

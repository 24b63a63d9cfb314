//! Where browsers reach notebook servers: an origin of their own, apart
//! from the dashboard's, so that a notebook's pages (any user code can
//! write them) cannot read the dashboard's pages or call its API as the
//! user. The dashboard's `/notebook/...` paths redirect there.

/// The notebooks' origin: configured, or the dashboard's host with the
/// notebook port.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NotebookOrigin {
    configured: Option<String>,
    port: u16,
}

impl NotebookOrigin {
    /// `configured` (e.g. `https://notebooks.example.com`) wins; else
    /// browsers are sent to the host they reached the dashboard at, on `port`.
    pub fn new(configured: Option<String>, port: u16) -> Self {
        let configured = configured.map(|url| url.trim_end_matches('/').to_owned()).filter(|url| !url.is_empty());
        Self { configured, port }
    }

    /// The port notebooks are served on here.
    pub fn port(&self) -> u16 {
        self.port
    }

    /// The origin for a browser that reached the dashboard with `host` (its
    /// `Host` header: a name or address, with or without a port).
    pub fn for_host(&self, host: Option<&str>) -> String {
        if let Some(url) = &self.configured {
            return url.clone();
        }
        let name = host.map(host_name).filter(|name| !name.is_empty()).unwrap_or("127.0.0.1");
        format!("http://{name}:{}", self.port)
    }

    /// The URL of a notebook's server for a browser at `host`.
    pub fn notebook_url(&self, host: Option<&str>, namespace: &str, name: &str) -> String {
        format!("{}/notebook/{namespace}/{name}/", self.for_host(host))
    }
}

/// `host` (a `Host` header) without its port; IPv6 addresses keep their
/// brackets, and an unbracketed one is left whole.
pub fn host_name(host: &str) -> &str {
    if host.starts_with('[') {
        return host.find(']').map_or(host, |end| &host[..=end]);
    }
    match host.rsplit_once(':') {
        Some((name, port)) if !name.contains(':') && port.chars().all(|c| c.is_ascii_digit()) => name,
        _ => host,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_dashboards_host_is_kept_and_the_port_replaced() {
        let origin = NotebookOrigin::new(None, 8081);
        assert_eq!(origin.for_host(Some("localhost:8080")), "http://localhost:8081");
        assert_eq!(origin.for_host(Some("box.lan")), "http://box.lan:8081");
        assert_eq!(origin.for_host(Some("[::1]:8080")), "http://[::1]:8081");
        assert_eq!(origin.for_host(None), "http://127.0.0.1:8081");
        assert_eq!(
            origin.notebook_url(Some("127.0.0.1:8080"), "team", "nb"),
            "http://127.0.0.1:8081/notebook/team/nb/"
        );
    }

    #[test]
    fn a_configured_origin_wins() {
        let origin = NotebookOrigin::new(Some("https://notebooks.example.com/".into()), 8081);
        assert_eq!(origin.for_host(Some("localhost:8080")), "https://notebooks.example.com");
    }
}

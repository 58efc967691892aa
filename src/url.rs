//! The Dagster webserver's base URL, read the same way by both binaries: the
//! compiler checks `[dagster] url` (and derives the NetworkPolicy's port from
//! it), the runner checks `DAGSTER_URL`, and both refuse the same URLs.
//!
//! Accepted: `http://` or `https://`, a host (a DNS name, an IPv4 address or
//! a bracketed IPv6 address), an optional port 1 to 65535, an optional path
//! prefix. Refused: user information (`http://user:password@host`: the URL
//! is committed in `out/` and logged; a Dagster+ token belongs in a Secret,
//! `[dagster] token_secret`), a query or fragment (`?`, `#`: the runner
//! appends `/graphql`), spaces and control characters, an empty or
//! malformed host, and a port that is empty, zero or not a number.
//!
//! A token sent over plain `http` is readable on the way; [`BaseUrl::token_warning`]
//! says so unless the host is cluster-local (see [`is_cluster_local`]).

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

/// A checked base URL.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct BaseUrl {
    https: bool,
    host: String,
    port: Option<u16>,
    path: String,
}

/// What a URL must look like, for hints.
pub const HINT: &str = "write `http://HOST[:PORT][/PREFIX]` or `https://...`, without user or password, query or fragment; a Dagster+ token goes in a Secret (`[dagster] token_secret`, passed as DAGSTER_API_TOKEN)";

impl BaseUrl {
    /// Reads `s`; the error says what is wrong with it.
    pub fn parse(s: &str) -> Result<BaseUrl, String> {
        let shown = redacted(s);
        let (https, rest) = if let Some(rest) = s.strip_prefix("https://") {
            (true, rest)
        } else if let Some(rest) = s.strip_prefix("http://") {
            (false, rest)
        } else {
            return Err(format!("`{shown}` must start with http:// or https://"));
        };
        if s.chars().any(|c| c.is_whitespace() || c.is_control()) {
            return Err(format!("`{shown}` holds a space or a control character"));
        }
        let (authority, path) = match rest.find('/') {
            Some(i) => rest.split_at(i),
            None => (rest, ""),
        };
        if authority.contains('@') {
            return Err(format!(
                "`{shown}` carries a user or password; credentials must not be written into a URL (it is committed and logged)"
            ));
        }
        if s.contains(['?', '#']) {
            return Err(format!(
                "`{shown}` has a query or fragment (`?`, `#`); a base URL is scheme, host, optional port and path prefix"
            ));
        }
        let (host, port) =
            split_host_port(authority).ok_or_else(|| format!("`{shown}` has no valid host"))?;
        let port = match port {
            None => None,
            Some(p) => Some(
                p.parse::<u16>()
                    .ok()
                    .filter(|&n| n != 0 && p.bytes().all(|b| b.is_ascii_digit()))
                    .ok_or_else(|| {
                        format!(
                            "`{shown}` has port `{}`; a port is a number from 1 to 65535",
                            p.escape_debug()
                        )
                    })?,
            ),
        };
        Ok(BaseUrl {
            https,
            host: host.to_ascii_lowercase(),
            port,
            path: path.to_owned(),
        })
    }

    /// The TCP port: the explicit one, else 443 for https and 80 for http.
    pub fn port(&self) -> u16 {
        self.port.unwrap_or(if self.https { 443 } else { 80 })
    }

    /// The host, lower-cased (an IPv6 address without its brackets).
    pub fn host(&self) -> &str {
        &self.host
    }

    /// Whether the scheme is `https`.
    pub fn is_https(&self) -> bool {
        self.https
    }

    /// The GraphQL endpoint: the URL without trailing `/`, then `/graphql`.
    pub fn endpoint(&self) -> String {
        let host = if self.host.contains(':') {
            format!("[{}]", self.host)
        } else {
            self.host.clone()
        };
        let port = self.port.map(|p| format!(":{p}")).unwrap_or_default();
        format!(
            "{}://{host}{port}{}/graphql",
            if self.https { "https" } else { "http" },
            self.path.trim_end_matches('/')
        )
    }

    /// A warning when a token would travel in clear text to a host that is
    /// not cluster-local; `None` otherwise.
    pub fn token_warning(&self, token: bool) -> Option<String> {
        (token && !self.https && !is_cluster_local(&self.host)).then(|| {
            format!(
                "the Dagster API token would be sent over plain http to `{}`, which is not a cluster-local host: use https",
                self.host
            )
        })
    }
}

/// `s` for messages, with any user information replaced by `***` so that a
/// password never reaches a log.
fn redacted(s: &str) -> String {
    let start = s.find("://").map_or(0, |i| i + 3);
    let end = s[start..].find('/').map_or(s.len(), |i| start + i);
    let shown = match s[start..end].rfind('@') {
        Some(at) => format!("{}***{}", &s[..start], &s[start + at..]),
        None => s.to_owned(),
    };
    shown.escape_debug().to_string()
}

/// `host` and the text after `:` (the port), with IPv6 brackets removed.
fn split_host_port(authority: &str) -> Option<(&str, Option<&str>)> {
    let (host, port) = if let Some(rest) = authority.strip_prefix('[') {
        let (v6, after) = rest.split_once(']')?;
        v6.parse::<Ipv6Addr>().ok()?;
        let port = match after {
            "" => None,
            _ => Some(after.strip_prefix(':')?),
        };
        return Some((v6, port));
    } else {
        match authority.split_once(':') {
            Some((h, p)) => (h, Some(p)),
            None => (authority, None),
        }
    };
    let label_ok = |l: &str| {
        !l.is_empty()
            && l.len() <= 63
            && l.chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
            && !l.starts_with('-')
            && !l.ends_with('-')
    };
    let name = host.strip_suffix('.').unwrap_or(host);
    (name.len() <= 253 && name.split('.').all(label_ok)).then_some((host, port))
}

/// Whether `host` is reached without leaving the cluster or the machine:
/// a single-label name (`dagster-webserver`, resolved in the pod's
/// namespace), a Service name (`*.svc`, `*.svc.cluster.local`, any
/// `*.cluster.local`), `localhost`, or a loopback or private address
/// (127.0.0.0/8, ::1, 10.0.0.0/8, 172.16.0.0/12, 192.168.0.0/16, fc00::/7).
pub fn is_cluster_local(host: &str) -> bool {
    let host = host.trim_end_matches('.').to_ascii_lowercase();
    if let Ok(ip) = host.parse::<IpAddr>() {
        return match ip {
            IpAddr::V4(v4) => is_local_v4(v4),
            IpAddr::V6(v6) => {
                v6.is_loopback()
                    || v6.is_unique_local()
                    || v6.to_ipv4_mapped().is_some_and(is_local_v4)
            }
        };
    }
    !host.contains('.')
        || host == "localhost"
        || host.ends_with(".svc")
        || host.ends_with(".cluster.local")
}

fn is_local_v4(ip: Ipv4Addr) -> bool {
    ip.is_loopback() || ip.is_private()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accepted_urls_and_their_ports() {
        for (url, port, endpoint) in [
            (
                "http://dagster-webserver",
                80,
                "http://dagster-webserver/graphql",
            ),
            (
                "https://org.dagster.cloud/prod",
                443,
                "https://org.dagster.cloud/prod/graphql",
            ),
            (
                "http://dagster:3000/dagster/",
                3000,
                "http://dagster:3000/dagster/graphql",
            ),
            (
                "http://127.0.0.1:8080",
                8080,
                "http://127.0.0.1:8080/graphql",
            ),
            ("http://[::1]:3000/x", 3000, "http://[::1]:3000/x/graphql"),
            ("https://[fd00::1]", 443, "https://[fd00::1]/graphql"),
            (
                "http://Dagster.Data.SVC.cluster.local.",
                80,
                "http://dagster.data.svc.cluster.local./graphql",
            ),
            ("http://h/a@b", 80, "http://h/a@b/graphql"),
        ] {
            let u = BaseUrl::parse(url).unwrap_or_else(|e| panic!("{url}: {e}"));
            assert_eq!((u.port(), u.endpoint().as_str()), (port, endpoint), "{url}");
        }
    }

    #[test]
    fn refused_urls_say_why() {
        for (url, why) in [
            ("http://u:p@host", "user or password"),
            ("ftp://u:p@host", "http:// or https://"),
            ("http://u:p@host/?x", "user or password"),
            ("http://u@host:80/x", "user or password"),
            ("https://:token@host", "user or password"),
            ("http://host/?x=1", "query or fragment"),
            ("http://host/#f", "query or fragment"),
            ("http://host?x", "query or fragment"),
            ("http://host:/x", "port"),
            ("http://host:0", "port"),
            ("http://host:65536", "port"),
            ("http://host:80a", "port"),
            ("http://host:+80", "port"),
            ("http://[::1]x", "host"),
            ("http://[nothex]:80", "host"),
            ("http://", "host"),
            ("http:///path", "host"),
            ("http://a..b", "host"),
            ("http://-a", "host"),
            ("http://a%20b", "host"),
            ("http://a b", "space"),
            ("ftp://host", "http:// or https://"),
            ("dagster:3000", "http:// or https://"),
            ("HTTP://host", "http:// or https://"),
        ] {
            let e = BaseUrl::parse(url).expect_err(url);
            assert!(e.contains(why), "{url}: {e}");
            assert!(
                !e.contains(":p@") && !e.contains("token@"),
                "a password is shown: {e}"
            );
        }
    }

    #[test]
    fn cluster_local_hosts() {
        for local in [
            "dagster-webserver",
            "dagster.data.svc",
            "dagster.data.svc.cluster.local",
            "x.cluster.local",
            "localhost",
            "127.0.0.1",
            "10.1.2.3",
            "172.16.0.9",
            "192.168.1.1",
            "::1",
            "fd12::1",
        ] {
            assert!(is_cluster_local(local), "{local}");
        }
        for remote in [
            "dagster.example.com",
            "org.dagster.cloud",
            "8.8.8.8",
            "172.32.0.1",
            "2001:db8::1",
            "svc.example.com",
            "localhost.example.com",
        ] {
            assert!(!is_cluster_local(remote), "{remote}");
        }
        let plain = BaseUrl::parse("http://dagster.example.com").unwrap();
        assert!(plain.token_warning(true).is_some());
        assert!(plain.token_warning(false).is_none());
        assert!(
            BaseUrl::parse("https://dagster.example.com")
                .unwrap()
                .token_warning(true)
                .is_none()
        );
        assert!(
            BaseUrl::parse("http://dagster-webserver:80")
                .unwrap()
                .token_warning(true)
                .is_none()
        );
    }
}

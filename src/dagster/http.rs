//! One HTTP POST to the GraphQL endpoint, and nothing more.
//!
//! The transport reports what the wire did (status, content type, body) and,
//! when it failed, whether the request can have reached the server. That bit
//! decides whether a failed launch may simply be sent again (it never left)
//! or must first be looked up by tag (it may have been applied).

use std::time::Duration;

use super::trust::{Trust, certificate_problem};

/// The most a response body may hold; more is treated as a broken answer.
const MAX_BODY: u64 = 64 * 1024 * 1024;

/// What the server answered, whatever the status.
#[derive(Clone, Debug)]
pub(crate) struct Reply {
    /// HTTP status.
    pub status: u16,
    /// The `Content-Type` header, empty when absent.
    pub content_type: String,
    /// The body.
    pub body: Vec<u8>,
}

/// Why no complete answer came back.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Failure {
    /// What happened, for the log.
    pub message: String,
    /// Whether the server may have received (and acted on) the request.
    pub maybe_sent: bool,
}

/// A blocking HTTP client bound to one endpoint.
#[derive(Clone, Debug)]
pub struct Transport {
    agent: ureq::Agent,
    endpoint: String,
    token: Option<String>,
    trust: Trust,
}

impl Transport {
    /// A client for `endpoint` that names itself `user_agent`, sends
    /// `token` as `Dagster-Cloud-Api-Token` when given, and trusts the
    /// certificate authorities of `trust` over https.
    pub fn new(endpoint: &str, token: Option<String>, user_agent: &str, trust: Trust) -> Transport {
        let tls = ureq::tls::TlsConfig::builder()
            .root_certs(trust.root_certs())
            .build();
        let agent: ureq::Agent = ureq::Agent::config_builder()
            .tls_config(tls)
            .http_status_as_error(false)
            .timeout_connect(Some(Duration::from_secs(10)))
            .user_agent(user_agent)
            .max_redirects(0)
            // A fresh connection per request: the runner sends one every few
            // seconds at most, and a pooled connection that the server has
            // closed meanwhile (uvicorn drops idle ones after 5 s) fails with a
            // reset that, on a launch, would make its outcome unknown.
            .max_idle_connections(0)
            .max_idle_connections_per_host(0)
            .build()
            .into();
        Transport {
            agent,
            endpoint: endpoint.to_owned(),
            token,
            trust,
        }
    }

    /// The endpoint requests go to.
    pub fn endpoint(&self) -> &str {
        &self.endpoint
    }

    /// POSTs a JSON body, waiting at most `timeout` for the whole exchange.
    pub(crate) fn post(&self, body: &[u8], timeout: Duration) -> Result<Reply, Failure> {
        let mut request = self
            .agent
            .post(&self.endpoint)
            .header("Content-Type", "application/json")
            .header("Accept", "application/json");
        if let Some(token) = &self.token {
            request = request.header("Dagster-Cloud-Api-Token", token);
        }
        let request = request
            .config()
            .timeout_global(Some(timeout.max(Duration::from_millis(1))))
            .build();
        let mut response = request.send(body).map_err(|e| failure(e, &self.trust))?;
        let status = response.status().as_u16();
        let content_type = response
            .headers()
            .get("content-type")
            .and_then(|v| v.to_str().ok())
            .unwrap_or("")
            .to_owned();
        let body = response
            .body_mut()
            .with_config()
            .limit(MAX_BODY)
            .read_to_vec()
            .map_err(|e| Failure {
                message: format!("HTTP {status}, but the body could not be read: {e}"),
                maybe_sent: true,
            })?;
        Ok(Reply {
            status,
            content_type,
            body,
        })
    }
}

/// Classifies a ureq error: only failures before the request was written are
/// known not to have reached the server. A certificate the client does not
/// trust fails the handshake, before the request; the message says what is
/// wrong with it and what is trusted.
fn failure(e: ureq::Error, trust: &Trust) -> Failure {
    use ureq::Timeout;
    if let Some(problem) = certificate_problem(&e) {
        return Failure {
            message: format!(
                "TLS: the server's certificate is not trusted: {problem}; this client trusts {} (behind a private CA, set SSL_CERT_FILE to its PEM bundle; in a rendered Job, `[dagster] ca_bundle`)",
                trust.describe()
            ),
            maybe_sent: false,
        };
    }
    let maybe_sent = match &e {
        ureq::Error::HostNotFound | ureq::Error::ConnectionFailed | ureq::Error::BadUri(_) => false,
        ureq::Error::Timeout(t) => !matches!(t, Timeout::Resolve | Timeout::Connect),
        ureq::Error::Io(io) => !matches!(
            io.kind(),
            std::io::ErrorKind::ConnectionRefused
                | std::io::ErrorKind::AddrNotAvailable
                | std::io::ErrorKind::NotFound
                | std::io::ErrorKind::HostUnreachable
                | std::io::ErrorKind::NetworkUnreachable
        ),
        _ => true,
    };
    Failure {
        message: e.to_string(),
        maybe_sent,
    }
}

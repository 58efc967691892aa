//! The Dagster client as the compiler sets it up, for the commands that ask
//! Dagster what requests became or would become (`status`, `plan
//! --resolve`): the same client the runner uses, reads only, every wait
//! bounded by one deadline.

use std::io::Write;
use std::sync::Arc;
use std::sync::atomic::AtomicUsize;
use std::time::Duration;

use crate::dagster::{CERT_DIR_VAR, CERT_FILE_VAR, Client, Stop, Transport, Trust};
use crate::settings::HttpUrl;

/// What the compiler calls itself in each request.
const USER_AGENT: &str = concat!("dagster-scripts/", env!("CARGO_PKG_VERSION"));

/// How long one request may take before it is retried.
const REQUEST_TIMEOUT: Duration = Duration::from_secs(30);

/// The environment variable holding a Dagster+ API token (read-only is enough).
pub const TOKEN_VAR: &str = "DAGSTER_API_TOKEN";

/// A client for the Dagster webserver at `url` (its base URL; `/graphql` is
/// appended), with the token in `DAGSTER_API_TOKEN` if set, that gives up
/// after `timeout` in all. A token sent over plain http to a host outside
/// the cluster is warned about on `err`. Over https it trusts the web roots
/// and the CA bundle `SSL_CERT_FILE` names; an unusable bundle is the error.
pub fn client(url: &HttpUrl, timeout: Duration, err: &mut impl Write) -> Result<Client, String> {
    let token = std::env::var(TOKEN_VAR).ok().filter(|t| !t.is_empty());
    if let Some(w) = url.parsed().token_warning(token.is_some()) {
        let _ = writeln!(err, "warning: {w}");
    }
    if let Some(w) = Trust::cert_dir_warning(std::env::var_os(CERT_DIR_VAR)) {
        let _ = writeln!(err, "warning: {w}");
    }
    let trust = Trust::from_env(std::env::var_os(CERT_FILE_VAR))?;
    let transport = Transport::new(&url.parsed().endpoint(), token, USER_AGENT, trust);
    let stop = Stop::new(timeout, Arc::new(AtomicUsize::new(0)));
    Ok(Client::new(
        transport,
        stop,
        timeout,
        REQUEST_TIMEOUT.min(timeout),
    ))
}

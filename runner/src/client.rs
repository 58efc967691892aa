//! The Dagster client as the runner sets it up: the endpoint and token from
//! the settings, the CA bundle of `SSL_CERT_FILE` trusted besides the web
//! roots, the runner's name as user agent, every retry logged, every wait
//! bounded by the deadline and the signals.

use std::sync::Arc;

use dagster_scripts::dagster::{Client, Observer, Retry, Stop, Transport, Trust};
use dagster_scripts::duration;

use crate::args::Settings;
use crate::exit::Error;
use crate::log::{Event, Logger};

/// What the runner calls itself in each request.
const USER_AGENT: &str = concat!("dagster-scripts-runner/", env!("CARGO_PKG_VERSION"));

/// A client for the Dagster of `settings` that logs its retries to `log`
/// and trusts the CA bundle of `SSL_CERT_FILE` besides the web roots; an
/// unusable bundle is a settings error (exit 2).
pub fn connect(settings: &Settings, log: &Logger, stop: Stop) -> Result<Client, Error> {
    if let Some(w) = Trust::cert_dir_warning(settings.cert_dir.clone().map(Into::into)) {
        log.emit(Event::warn("tls", w));
    }
    let trust =
        Trust::from_env(settings.cert_file.clone().map(Into::into)).map_err(Error::invalid)?;
    if trust.file().is_some() {
        log.emit(Event::info("tls", format!("trusting {}", trust.describe())));
    }
    let transport = Transport::new(
        &settings.endpoint,
        settings.token.clone(),
        USER_AGENT,
        trust,
    );
    Ok(Client::new(
        transport,
        stop,
        settings.retry_for,
        settings.request_timeout,
    )
    .observed_by(Arc::new(log.clone())))
}

/// A retry is a warning in the log: `what: problem; retrying in 2s`.
impl Observer for Logger {
    fn retrying(&self, retry: &Retry<'_>) {
        self.emit(
            Event::warn(
                "retry",
                format!(
                    "{}: {}; retrying in {}",
                    retry.what,
                    retry.problem,
                    duration::format(retry.delay)
                ),
            )
            .with("attempt", retry.attempt)
            .with(
                "delay_ms",
                u64::try_from(retry.delay.as_millis()).unwrap_or(u64::MAX),
            ),
        );
    }
}

//! GraphQL over the transport: retries for reads, at-most-once for launches.
//!
//! What a reply means is read by [`reply`](super::reply). Transient failures
//! (connection errors, timeouts, 502/503/504, 408/429, a body that is not
//! JSON on a 5xx) are retried with capped exponential backoff and jitter,
//! bounded by the retry budget (the runner's `--retry-for`), an attempt count
//! and the [`Stop`]'s deadline. A mutation is re-sent only when it cannot
//! have reached the server; otherwise its outcome is reported as unknown, and
//! the caller looks for it by tag before anything else.

use std::sync::Arc;
use std::sync::mpsc;
use std::time::{Duration, Instant};

use serde::de::DeserializeOwned;
use serde_json::{Value, json};

use super::backoff::Backoff;
use super::error::Error;
use super::http::{Failure, Reply, Transport};
use super::observer::{Observer, Retry};
use super::reply::{Envelope, Problem, decode, interpret};
use super::stop::Stop;
use crate::duration::format as format_duration;

/// Never more attempts than this for one request, whatever the time budget.
const MAX_ATTEMPTS: u32 = 60;
const BACKOFF_BASE: Duration = Duration::from_millis(500);
const BACKOFF_CAP: Duration = Duration::from_secs(30);

/// The outcome of a launch that did not clearly succeed or fail.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum MutationError {
    /// Dagster may or may not have applied it: look it up before relaunching.
    Unknown(String),
    /// It was not applied (or the run is over: signal, deadline).
    Failed(Error),
}

/// A GraphQL client: retries transient failures for up to `retry_for`,
/// gives each request `request_timeout`, honours a [`Stop`].
#[derive(Clone)]
pub struct Client {
    transport: Transport,
    observer: Arc<dyn Observer>,
    stop: Stop,
    retry_for: Duration,
    request_timeout: Duration,
}

impl std::fmt::Debug for Client {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Client")
            .field("transport", &self.transport)
            .field("stop", &self.stop)
            .field("retry_for", &self.retry_for)
            .field("request_timeout", &self.request_timeout)
            .finish_non_exhaustive()
    }
}

impl Client {
    /// A client over `transport` that honours `stop`, retries for up to
    /// `retry_for` and tells nobody about its retries.
    pub fn new(
        transport: Transport,
        stop: Stop,
        retry_for: Duration,
        request_timeout: Duration,
    ) -> Client {
        Client {
            transport,
            observer: Arc::new(()),
            stop,
            retry_for,
            request_timeout,
        }
    }

    /// The same client, telling `observer` about every retry.
    pub fn observed_by(self, observer: Arc<dyn Observer>) -> Client {
        Client { observer, ..self }
    }

    /// The stop (deadline and signals) this client honours.
    pub fn stop(&self) -> &Stop {
        &self.stop
    }

    /// Runs a query, retrying transient failures; `what` names it in messages.
    pub fn query<T: DeserializeOwned>(
        &self,
        what: &str,
        document: &str,
        variables: Value,
    ) -> Result<T, Error> {
        let body = request_body(document, variables);
        let started = Instant::now();
        let mut backoff = Backoff::new(BACKOFF_BASE, BACKOFF_CAP);
        let mut attempt = 0;
        let mut last: Option<String> = None;
        loop {
            self.stop.check().map_err(|e| e.after(last.as_deref()))?;
            attempt += 1;
            match self.exchange::<T>(&body) {
                Ok(Ok(answer)) => return Ok(answer),
                Ok(Err(data)) => return decode(what, data).map_err(Error::unexpected),
                Err(Problem::Fatal(e)) => return Err(e.after(last.as_deref()).within(what)),
                Err(Problem::Transient { message, .. }) => {
                    self.wait_to_retry(what, &message, attempt, started, &mut backoff)
                        .map_err(|e| e.after(Some(&message)))?;
                    last = Some(message);
                }
            }
        }
    }

    /// Runs a mutation: re-sent only while it cannot have reached Dagster.
    pub fn mutate<T: DeserializeOwned>(
        &self,
        what: &str,
        document: &str,
        variables: Value,
    ) -> Result<T, MutationError> {
        let body = request_body(document, variables);
        let started = Instant::now();
        let mut backoff = Backoff::new(BACKOFF_BASE, BACKOFF_CAP);
        let mut attempt = 0;
        loop {
            self.stop.check().map_err(MutationError::Failed)?;
            attempt += 1;
            match self.exchange::<T>(&body) {
                Ok(Ok(answer)) => return Ok(answer),
                Ok(Err(data)) => return decode(what, data).map_err(MutationError::Unknown),
                Err(Problem::Fatal(e)) => return Err(MutationError::Failed(e.within(what))),
                Err(Problem::Transient {
                    message,
                    maybe_sent: true,
                }) => {
                    return Err(MutationError::Unknown(format!("{what}: {message}")));
                }
                Err(Problem::Transient {
                    message,
                    maybe_sent: false,
                }) => self
                    .wait_to_retry(what, &message, attempt, started, &mut backoff)
                    .map_err(MutationError::Failed)?,
            }
        }
    }

    fn wait_to_retry(
        &self,
        what: &str,
        message: &str,
        attempt: u32,
        started: Instant,
        backoff: &mut Backoff,
    ) -> Result<(), Error> {
        let elapsed = started.elapsed();
        if attempt >= MAX_ATTEMPTS || elapsed >= self.retry_for {
            return Err(Error::unreachable(format!(
                "{what}: Dagster at {} unreachable after {attempt} attempts in {}: {message}",
                self.transport.endpoint(),
                format_duration(elapsed)
            )));
        }
        let delay = backoff
            .next_delay()
            .min(self.retry_for - elapsed)
            .max(Duration::from_millis(10));
        self.observer.retrying(&Retry {
            what,
            problem: message,
            attempt,
            delay,
        });
        self.stop.sleep(delay)
    }

    /// One request: the typed answer, or (when it does not fit `T`) the
    /// answer's `data` for an error message, or what went wrong.
    fn exchange<T: DeserializeOwned>(&self, body: &[u8]) -> Result<Result<T, Value>, Problem> {
        let timeout = self.request_timeout.min(self.stop.remaining());
        match self.post(body, timeout)? {
            Ok(reply) => {
                // Straight into the typed answer: no JSON tree for big answers
                // (10,000 partition keys). Anything else is read again, slowly.
                if let Ok(Envelope { data: Some(answer) }) =
                    serde_json::from_slice::<Envelope<T>>(&reply.body)
                {
                    return Ok(Ok(answer));
                }
                interpret(&reply).map(Err)
            }
            Err(f) => {
                // A request cut short by the deadline or a signal is not a Dagster problem.
                self.stop.check().map_err(Problem::Fatal)?;
                Err(Problem::Transient {
                    message: f.message,
                    maybe_sent: f.maybe_sent,
                })
            }
        }
    }
}

impl Client {
    /// Posts on a worker thread and waits for it while watching the stop, so
    /// that a signal ends the run at once even when Dagster does not answer;
    /// an abandoned request ends by its own timeout.
    fn post(&self, body: &[u8], timeout: Duration) -> Result<Result<Reply, Failure>, Problem> {
        let (tx, rx) = mpsc::channel();
        let transport = self.transport.clone();
        let body = body.to_vec();
        std::thread::spawn(move || {
            let _ = tx.send(transport.post(&body, timeout));
        });
        loop {
            match rx.recv_timeout(Duration::from_millis(50)) {
                Ok(result) => return Ok(result),
                Err(mpsc::RecvTimeoutError::Timeout) => {
                    self.stop.check().map_err(Problem::Fatal)?
                }
                Err(mpsc::RecvTimeoutError::Disconnected) => {
                    return Ok(Err(Failure {
                        message: "the request thread ended without an answer".into(),
                        maybe_sent: true,
                    }));
                }
            }
        }
    }
}

/// The JSON body of a GraphQL request.
fn request_body(document: &str, variables: Value) -> Vec<u8> {
    json!({ "query": document, "variables": variables })
        .to_string()
        .into_bytes()
}

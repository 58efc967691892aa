//! How a run of the runner ends: the documented exit codes and the error that
//! carries one.
//!
//! Every failure inside the library is an [`Error`] that already knows which
//! exit code it means, so `main` only maps, and a test can assert the code for
//! each situation without parsing messages. The Dagster client's failures
//! become one here, by their kind.

use std::fmt;

use dagster_scripts::dagster::{self, Kind};
use dagster_scripts::resolve::{self, Cause};

/// The runner's exit codes, as documented in `--help` and `runner/README.md`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Status {
    /// 0: the request succeeded, or had already succeeded.
    Succeeded,
    /// 1: it ran and failed or was cancelled.
    Failed,
    /// 2: the spec or the settings are wrong.
    Invalid,
    /// 3: Dagster rejected the request before launching.
    Rejected,
    /// 4: Dagster unreachable after retries (or the launch's outcome could not be learnt).
    Unreachable,
    /// 5: the deadline passed while following.
    TimedOut,
    /// 128 + N: stopped by signal N (SIGTERM, SIGINT), as a shell reports it.
    Interrupted(i32),
}

impl Status {
    /// The process exit code.
    pub fn code(self) -> i32 {
        match self {
            Status::Succeeded => 0,
            Status::Failed => 1,
            Status::Invalid => 2,
            Status::Rejected => 3,
            Status::Unreachable => 4,
            Status::TimedOut => 5,
            Status::Interrupted(signal) => 128 + signal,
        }
    }

    /// A short name for logs.
    pub fn name(self) -> &'static str {
        match self {
            Status::Succeeded => "succeeded",
            Status::Failed => "failed",
            Status::Invalid => "invalid",
            Status::Rejected => "rejected",
            Status::Unreachable => "unreachable",
            Status::TimedOut => "timed_out",
            Status::Interrupted(_) => "interrupted",
        }
    }
}

/// A failure that ends the run, with the exit status it maps to.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Error {
    /// Which exit code this failure means.
    pub status: Status,
    /// What went wrong, in words an operator can act on.
    pub message: String,
}

impl Error {
    /// A failure with the given status.
    pub fn new(status: Status, message: impl Into<String>) -> Error {
        Error {
            status,
            message: message.into(),
        }
    }

    /// Exit 2: the spec or settings are wrong.
    pub fn invalid(message: impl Into<String>) -> Error {
        Error::new(Status::Invalid, message)
    }

    /// Exit 3: Dagster refused the request before anything was launched.
    pub fn rejected(message: impl Into<String>) -> Error {
        Error::new(Status::Rejected, message)
    }

    /// Exit 4: Dagster could not be reached or gave no usable answer.
    pub fn unreachable(message: impl Into<String>) -> Error {
        Error::new(Status::Unreachable, message)
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for Error {}

/// The client's failures as the runner reports them: what was being done,
/// then what went wrong, in the words the runner has always used.
impl From<dagster::Error> for Error {
    fn from(e: dagster::Error) -> Error {
        let (status, detail) = match e.kind() {
            Kind::Unreachable | Kind::Unexpected => (Status::Unreachable, e.detail().to_owned()),
            Kind::NotGraphql => (
                Status::Unreachable,
                format!(
                    "{}: is DAGSTER_URL the Dagster webserver's base URL (with its path prefix)?",
                    e.detail()
                ),
            ),
            Kind::Refused => (Status::Rejected, e.detail().to_owned()),
            Kind::TimedOut => (Status::TimedOut, e.detail().to_owned()),
            Kind::Stopped { cause } => {
                let signal = i32::try_from(cause).unwrap_or(15);
                let name = if signal == signal_hook::consts::SIGINT {
                    "SIGINT"
                } else {
                    "SIGTERM"
                };
                (
                    Status::Interrupted(signal),
                    format!(
                        "{name} received: stopped following; what was launched keeps running in Dagster"
                    ),
                )
            }
        };
        let message = match e.context() {
            Some(context) => format!("{context}: {detail}"),
            None => detail,
        };
        Error { status, message }
    }
}

/// A request that did not resolve, by its cause: a wrong spec exits 2, a
/// refusal 3, and a failure to ask Dagster as the client's failures do. A
/// refusal's message names the spec's value it is about and ends with its
/// hint, when it has them.
impl From<resolve::Error> for Error {
    fn from(e: resolve::Error) -> Error {
        let mut message = e.message;
        if let Some(pointer) = e.pointer.filter(|p| !p.is_empty()) {
            message = format!("{message} (spec: {pointer})");
        }
        if let Some(hint) = e.hint {
            message = format!("{message}; hint: {hint}");
        }
        match e.cause {
            Cause::Spec => Error::invalid(message),
            Cause::Rejected => Error::rejected(message),
            Cause::Dagster(e) => e.into(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_are_the_documented_ones() {
        let codes: Vec<i32> = [
            Status::Succeeded,
            Status::Failed,
            Status::Invalid,
            Status::Rejected,
            Status::Unreachable,
            Status::TimedOut,
            Status::Interrupted(15),
        ]
        .iter()
        .map(|s| s.code())
        .collect();
        assert_eq!(codes, [0, 1, 2, 3, 4, 5, 143]);
    }

    #[test]
    fn a_refusal_to_resolve_keeps_its_exit_code_and_message() {
        let e: Error = resolve::Error::spec("too many").at("/tags").into();
        assert_eq!(
            (e.status, e.message.as_str()),
            (Status::Invalid, "too many (spec: /tags)")
        );
        let e: Error = resolve::Error::rejected("not a key")
            .at("/tags/partitions/0/start_date")
            .with_hint("use start")
            .into();
        assert_eq!(
            e.message,
            "not a key (spec: /tags/partitions/0/start_date); hint: use start"
        );
        let e: Error = resolve::Error::rejected("no such job").into();
        assert_eq!(e.status, Status::Rejected);
    }

    #[test]
    fn a_stopped_client_ends_with_the_signal_or_the_deadline() {
        use std::sync::Arc;
        use std::sync::atomic::AtomicUsize;
        use std::time::Duration;

        let stopped = |timeout: Duration, cause: usize| -> Error {
            dagster::Stop::new(timeout, Arc::new(AtomicUsize::new(cause)))
                .check()
                .unwrap_err()
                .into()
        };
        let e = stopped(Duration::from_secs(60), 2);
        assert_eq!(e.status, Status::Interrupted(2));
        assert_eq!(
            e.message,
            "SIGINT received: stopped following; what was launched keeps running in Dagster"
        );
        assert!(
            stopped(Duration::from_secs(60), 15)
                .message
                .starts_with("SIGTERM received")
        );
        let e = stopped(Duration::ZERO, 0);
        assert_eq!(
            (e.status, e.message.as_str()),
            (Status::TimedOut, "deadline of 0s reached")
        );
    }
}

//! Why a request does not resolve, and which value of the spec it is about.
//!
//! The runner turns an [`Error`] into its exit code (by its [`Cause`]) and
//! logs the message; `plan --resolve` turns it into a diagnostic at the
//! spec's line the [`pointer`](Error::pointer) names. A failure to talk to
//! Dagster keeps the client's [`dagster::Error`], so each caller decides what
//! an unreachable Dagster means to it.

use std::fmt;

use crate::dagster;

/// What kind of refusal an [`Error`] is.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Cause {
    /// The spec itself is wrong, whatever Dagster holds (a dimension named
    /// twice, more partitions than the cap).
    Spec,
    /// The spec does not fit what Dagster holds (an unknown job, a partition
    /// key Dagster does not have, nothing to re-execute).
    Rejected,
    /// Asking Dagster failed, or Dagster refused a query (a bad run config);
    /// the client's error says which.
    Dagster(dagster::Error),
}

/// A request that does not resolve.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Error {
    /// What kind of refusal.
    pub cause: Cause,
    /// The value of the spec it is about, as a JSON pointer (`/job_name`,
    /// `/tags/partitions/0/values/1`), when it is about one.
    pub pointer: Option<String>,
    /// What is wrong, in words an operator can act on.
    pub message: String,
    /// What to do about it, when there is more to say than the message does.
    pub hint: Option<String>,
}

impl Error {
    fn new(cause: Cause, message: impl Into<String>) -> Error {
        Error {
            cause,
            pointer: None,
            message: message.into(),
            hint: None,
        }
    }

    /// The spec is wrong whatever Dagster holds.
    pub fn spec(message: impl Into<String>) -> Error {
        Error::new(Cause::Spec, message)
    }

    /// The spec does not fit what Dagster holds.
    pub fn rejected(message: impl Into<String>) -> Error {
        Error::new(Cause::Rejected, message)
    }

    /// The same error, about the value at `pointer` (unless it already names one).
    pub fn at(mut self, pointer: impl Into<String>) -> Error {
        if self.pointer.is_none() {
            self.pointer = Some(pointer.into());
        }
        self
    }

    /// The same error, with a hint.
    pub fn with_hint(mut self, hint: impl Into<String>) -> Error {
        self.hint = Some(hint.into());
        self
    }

    /// The client's failure, as an error about the value at `pointer`: for
    /// `map_err` on a query whose refusal is about that value.
    pub fn about(pointer: &str) -> impl FnOnce(dagster::Error) -> Error + '_ {
        move |e| Error::from(e).at(pointer)
    }

    /// Whether Dagster itself could not be asked (unreachable, not GraphQL,
    /// an answer this client cannot use, the deadline): the spec may be fine.
    pub fn is_unreachable(&self) -> bool {
        match &self.cause {
            Cause::Dagster(e) => !matches!(e.kind(), dagster::Kind::Refused),
            Cause::Spec | Cause::Rejected => false,
        }
    }
}

impl From<dagster::Error> for Error {
    fn from(e: dagster::Error) -> Error {
        let message = e.to_string();
        Error::new(Cause::Dagster(e), message)
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for Error {}

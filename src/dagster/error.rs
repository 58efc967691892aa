//! What went wrong talking to Dagster, in kinds a caller can map to its own
//! outcome (the runner maps each to an exit code).

use std::fmt;

/// What kind of failure an [`Error`] is.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    /// Dagster could not be reached, or kept failing, for the whole retry budget.
    Unreachable,
    /// Something answered over HTTP, but not GraphQL (an HTML page, a
    /// redirect): the URL is most likely not the webserver's base URL.
    NotGraphql,
    /// Dagster answered and refused: a GraphQL error, or an error type in the
    /// answer (an unknown job, a bad run config, a missing partition).
    Refused,
    /// Dagster answered something this client cannot use.
    Unexpected,
    /// The [`Stop`](super::Stop)'s deadline passed.
    TimedOut,
    /// The [`Stop`](super::Stop)'s flag was raised; `cause` is the number
    /// stored in it (the runner stores the signal's number).
    Stopped {
        /// The nonzero value found in the flag.
        cause: usize,
    },
}

/// A failure of an exchange with Dagster.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Error {
    kind: Kind,
    context: Option<String>,
    detail: String,
}

impl Error {
    /// A failure of `kind`, described by `detail`.
    pub(crate) fn new(kind: Kind, detail: impl Into<String>) -> Error {
        Error {
            kind,
            context: None,
            detail: detail.into(),
        }
    }

    pub(crate) fn unreachable(detail: impl Into<String>) -> Error {
        Error::new(Kind::Unreachable, detail)
    }

    pub(crate) fn refused(detail: impl Into<String>) -> Error {
        Error::new(Kind::Refused, detail)
    }

    pub(crate) fn unexpected(detail: impl Into<String>) -> Error {
        Error::new(Kind::Unexpected, detail)
    }

    /// A deadline reached while retrying, saying what the last attempt met
    /// (`deadline of 5s reached; the last attempt: connection refused`), so
    /// that the user learns why Dagster did not answer; other failures as
    /// they are.
    pub(crate) fn after(self, last: Option<&str>) -> Error {
        match (self.kind, last) {
            (Kind::TimedOut, Some(problem)) => Error {
                detail: format!("{}; the last attempt: {problem}", self.detail),
                ..self
            },
            _ => self,
        }
    }

    /// The same failure, said to have happened while doing `what`.
    pub(crate) fn within(self, what: &str) -> Error {
        let context = match self.context {
            Some(inner) => format!("{what}: {inner}"),
            None => what.to_owned(),
        };
        Error {
            context: Some(context),
            ..self
        }
    }

    /// What kind of failure this is.
    pub fn kind(&self) -> Kind {
        self.kind
    }

    /// What was being done when it failed (`reading backfill …`), when that
    /// is not already part of [`detail`](Error::detail).
    pub fn context(&self) -> Option<&str> {
        self.context.as_deref()
    }

    /// What went wrong.
    pub fn detail(&self) -> &str {
        &self.detail
    }
}

/// `context: detail`.
impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.context {
            Some(context) => write!(f, "{context}: {}", self.detail),
            None => f.write_str(&self.detail),
        }
    }
}

impl std::error::Error for Error {}

//! What the runner follows: the backfill or run that is the request's launch.

use std::fmt;

/// A backfill or a run, by id.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Handle {
    /// A backfill id.
    Backfill(String),
    /// A run id.
    Run(String),
}

impl Handle {
    /// The backfill or run id.
    pub fn id(&self) -> &str {
        match self {
            Handle::Backfill(id) | Handle::Run(id) => id,
        }
    }
}

/// `backfill <id>` or `run <id>`, as the log says it.
impl fmt::Display for Handle {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Handle::Backfill(id) => write!(f, "backfill {id}"),
            Handle::Run(id) => write!(f, "run {id}"),
        }
    }
}

//! The client's one way of telling its caller what it is doing: a retry is
//! about to wait. The runner logs it; a caller that does not care passes `()`.

use std::time::Duration;

/// A retry the client is about to wait for.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Retry<'a> {
    /// What was being asked (`listing repositories`).
    pub what: &'a str,
    /// Why the attempt failed.
    pub problem: &'a str,
    /// Which attempt failed, from 1.
    pub attempt: u32,
    /// How long the client waits before the next one.
    pub delay: Duration,
}

/// Is told about every retry.
pub trait Observer: Send + Sync {
    /// Called before the client waits to retry.
    fn retrying(&self, retry: &Retry<'_>);
}

/// Ignores everything.
impl Observer for () {
    fn retrying(&self, _: &Retry<'_>) {}
}

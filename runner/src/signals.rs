//! SIGTERM (Kubernetes stopping the pod) and SIGINT (a person's Ctrl-C) raise
//! the Dagster client's [`Stop`] flag, so every wait ends at once.
//!
//! The handlers only store the signal's number in an atomic (signal-hook's
//! `flag` module); nothing else runs in signal context. The number comes back
//! as [`Kind::Stopped`](dagster_scripts::dagster::Kind::Stopped), which
//! [`exit`](crate::exit) turns into exit code 128 + N.

use std::sync::Arc;
use std::sync::atomic::AtomicUsize;
use std::time::Duration;

use dagster_scripts::dagster::Stop;

use crate::exit::Error;

/// Installs SIGTERM and SIGINT handlers and returns a stop that fires on
/// either, or `timeout` from now.
pub fn stop_on_signals(timeout: Duration) -> Result<Stop, Error> {
    let flag = Arc::new(AtomicUsize::new(0));
    for signal in [signal_hook::consts::SIGTERM, signal_hook::consts::SIGINT] {
        let as_usize = usize::try_from(signal).unwrap_or(0);
        signal_hook::flag::register_usize(signal, Arc::clone(&flag), as_usize).map_err(|e| {
            Error::invalid(format!(
                "cannot install the handler for signal {signal}: {e}"
            ))
        })?;
    }
    Ok(Stop::new(timeout, flag))
}

//! The launch stage: send the resolved plan exactly once, settle a race with
//! a concurrent twin, and warn when Dagster cannot make progress.
//!
//! Kubernetes may run the Job's pod again, and Flux or Argo CD re-create a
//! deleted Job, so the same spec reaches the runner many times. Every launch
//! carries `dagster-scripts/request=<hash>`, and before this stage the runner
//! has already looked for a launch with that hash ([`existing::find`]) and
//! follows it instead. Here the mutation is sent ([`send`], which looks a
//! launch with an unknown outcome up by tag before ever sending it again),
//! then the request's launches are looked at once more ([`settle`]) in case
//! a twin started at the same moment launched too.
//!
//! [`existing::find`]: crate::existing::find

pub mod daemons;
pub mod send;
pub mod settle;

use dagster_scripts::dagster::Client;

use crate::exit::Error;
use crate::handle::Handle;
use crate::log::{Event, Logger};
use crate::resolve::Plan;

/// Launches `plan` for the request with this hash; what to follow (this
/// launch, or a concurrent twin's that came first).
pub fn launch(client: &Client, log: &Logger, plan: &Plan, hash: &str) -> Result<Handle, Error> {
    let (handle, took) = send::send(client, log, plan, hash)?;
    let count = if plan.keys.is_empty() {
        String::new()
    } else {
        format!(" ({} partitions)", plan.keys.len())
    };
    log.emit(
        Event::info("launched", format!("launched {handle}{count}"))
            .with("id", handle.id())
            .with("partitions", plan.keys.len()),
    );
    // A concurrent twin may have launched too: the earliest launch wins.
    let handle = settle::settle(client, log, hash, &handle, took)?;
    daemons::warn_if_stopped(client, log, &handle);
    Ok(handle)
}

//! After a launch: a backfill without Dagster's BACKFILL daemon (or a queued
//! run without the run coordinator) never progresses, so say so instead of
//! following in silence.

use dagster_scripts::dagster::{Client, ops};

use crate::handle::Handle;
use crate::log::{Event, Logger};

/// Warns when a daemon `handle` depends on is reported as not running.
pub fn warn_if_stopped(client: &Client, log: &Logger, handle: &Handle) {
    let wanted: &[&str] = match handle {
        Handle::Backfill(_) => &["BACKFILL", "QUEUED_RUN_COORDINATOR"],
        Handle::Run(_) => &["QUEUED_RUN_COORDINATOR"],
    };
    if let Some(unhealthy) = ops::unhealthy_daemons(client, wanted)
        && !unhealthy.is_empty()
    {
        log.emit(
            Event::warn(
                "daemons",
                format!(
                    "Dagster reports these daemons as not running: {}; {handle} will not progress until they do",
                    unhealthy.join(", ")
                ),
            )
            .with("daemons", unhealthy),
        );
    }
}

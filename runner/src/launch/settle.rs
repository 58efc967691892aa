//! After a launch: the race with a concurrent twin.
//!
//! Two runners started at the same moment can both miss each other's launch
//! and both launch. So after launching, a runner looks again, at once and
//! once more after a pause that covers how late a twin's launch can become
//! visible: among the request's launches, the earliest is the request's
//! ([`existing::originals`]); every other one still in progress is cancelled
//! at once (`cancelPartitionBackfill`, `terminateRun`), before the backfill
//! daemon's next tick starts its runs, and its runner follows the earliest.

use std::time::Duration;

use dagster_scripts::dagster::{Client, ops};

use crate::existing;
use crate::exit::Error;
use crate::handle::Handle;
use crate::log::{Event, Logger};

/// The least pause between the two looks after a launch; the launch's own
/// duration is added (a twin's launch takes about as long to become visible).
const SETTLE: Duration = Duration::from_secs(2);
/// The most that pause can be.
const SETTLE_MAX: Duration = Duration::from_secs(20);
/// Statuses of a launch that a cancel can still stop.
const CANCELLABLE: [&str; 6] = [
    "REQUESTED",
    "QUEUED",
    "NOT_STARTED",
    "STARTING",
    "STARTED",
    "MANAGED",
];

/// After launching `mine` (which took `took`): looks for concurrent twins,
/// at once and again after a pause. Cancels every twin still in progress
/// (its own launch when it lost) and returns what to follow: the earliest.
pub fn settle(
    client: &Client,
    log: &Logger,
    hash: &str,
    mine: &Handle,
    took: Duration,
) -> Result<Handle, Error> {
    let pause = (SETTLE + took).min(SETTLE_MAX);
    let mut winner = mine.clone();
    for look in 0..2 {
        if look == 1 {
            client.stop().sleep(pause)?;
        }
        let group = existing::of_request(client, hash)?;
        let originals = existing::originals(&group);
        let Some(first) = originals.first() else {
            continue;
        };
        winner = first.handle.clone();
        for twin in originals.iter().skip(1) {
            if !CANCELLABLE.contains(&twin.found.status.as_str()) {
                continue;
            }
            let own = twin.handle == *mine;
            let backfill = matches!(twin.handle, Handle::Backfill(_));
            let event = match ops::cancel(client, backfill, &twin.found.id) {
                Ok(()) => Event::warn(
                    "twin_cancelled",
                    format!(
                        "{} was launched concurrently with {winner} for this request; cancelled it{}",
                        twin.handle,
                        if own {
                            " (this runner's own launch)"
                        } else {
                            ""
                        }
                    ),
                ),
                Err(e) => Event::warn(
                    "twin_not_cancelled",
                    format!(
                        "{} was launched concurrently with {winner} for this request; cancelling it failed: {}",
                        twin.handle,
                        Error::from(e)
                    ),
                ),
            };
            log.emit(
                event
                    .with("id", twin.found.id.clone())
                    .with("winner", winner.id()),
            );
        }
        if winner != *mine {
            log.emit(
                Event::info(
                    "following_twin",
                    format!("a concurrent runner launched {winner} first: following it"),
                )
                .with("id", winner.id()),
            );
            return Ok(winner);
        }
    }
    Ok(winner)
}

//! The overlap stage, between resolving and launching: backfills in flight
//! that hold some of the partitions about to be launched
//! ([`dagster_scripts::resolve::overlap`]), and what `on_overlap` says to do
//! about them.
//!
//! - `wait` (the default): log them, poll at the poll interval until none is
//!   in flight (bounded by the deadline: exit 5, as when following), then
//!   look again for a launch carrying the request's hash, since a twin pod
//!   may have launched it meanwhile;
//! - `refuse`: launch nothing, exit 3, naming them;
//! - `allow`: warn, and launch.

use std::time::Duration;

use dagster_scripts::dagster::Client;
use dagster_scripts::resolve::overlap::{self, InFlight};
use dagster_scripts::resolve::{Plan, existing};
use dagster_scripts::spec::{OnOverlap, Spec};

use crate::exit::{Error, Status};
use crate::handle::Handle;
use crate::log::{Event, Logger};

/// A waiting line at least this often, whether or not the backfills changed.
const HEARTBEAT: Duration = Duration::from_secs(60);

/// Settles the overlaps of `plan` (of `spec`, request `hash`) by `choice`:
/// `Ok(None)` to launch, `Ok(Some(handle))` to follow a launch of the
/// request found after waiting, or the refusal.
pub fn settle(
    client: &Client,
    log: &Logger,
    spec: &Spec,
    plan: &Plan,
    hash: &str,
    choice: OnOverlap,
    poll: Duration,
) -> Result<Option<Handle>, Error> {
    if !overlap::applies(spec, plan) {
        return Ok(None);
    }
    let mut waited = false;
    let mut last: Option<(Vec<String>, std::time::Instant)> = None;
    loop {
        let found = overlap::in_flight(client, spec, plan, hash)?;
        if found.is_empty() {
            if waited {
                log.emit(Event::info(
                    "overlap_ended",
                    "no overlapping backfill in flight any more",
                ));
                return Ok(existing::find(client, log, hash)?);
            }
            return Ok(None);
        }
        let listed = overlap::describe(&found);
        match choice {
            OnOverlap::Allow => {
                log.emit(with_ids(
                    Event::warn(
                        "overlap",
                        format!("{listed} in flight over this request's partitions; launching all the same (on_overlap: allow)"),
                    ),
                    &found,
                ));
                return Ok(None);
            }
            OnOverlap::Refuse => {
                return Err(Error::rejected(format!(
                    "on_overlap is refuse ({}): {listed} in flight over this request's partitions; launching nothing (wait for them to end, or cancel them, then run the Job again)",
                    overlap::source(spec)
                )));
            }
            OnOverlap::Wait => {
                let ids: Vec<String> = found.iter().map(|f| f.id.clone()).collect();
                let due = match &last {
                    Some((previous, at)) => *previous != ids || at.elapsed() >= HEARTBEAT,
                    None => true,
                };
                if due {
                    log.emit(with_ids(
                        Event::info(
                            "overlap_wait",
                            format!(
                                "waiting for {listed} to end before launching (on_overlap: wait)"
                            ),
                        ),
                        &found,
                    ));
                    last = Some((ids, std::time::Instant::now()));
                }
                waited = true;
                client.stop().sleep(poll).map_err(|e| {
                    let e = Error::from(e);
                    let status = e.status;
                    Error::new(
                        status,
                        match status {
                            Status::TimedOut => format!(
                                "waiting for {listed} to end: {}; nothing launched, the next run of the Job waits again",
                                e.message
                            ),
                            _ => e.message,
                        },
                    )
                })?;
            }
        }
    }
}

/// What `--dry-run` says about the overlaps of `plan`: which backfills, and
/// what a real run would do about them.
pub fn dry_run(
    client: &Client,
    log: &Logger,
    spec: &Spec,
    plan: &Plan,
    hash: &str,
    choice: OnOverlap,
) -> Result<(), Error> {
    let found = overlap::in_flight(client, spec, plan, hash)?;
    if found.is_empty() {
        return Ok(());
    }
    let what = match choice {
        OnOverlap::Wait => "wait for them to end, then launch",
        OnOverlap::Refuse => "refuse to launch (exit 3)",
        OnOverlap::Allow => "launch all the same",
    };
    log.emit(
        with_ids(
            Event::info(
                "dry_run_overlap",
                format!(
                    "dry run: {} in flight over this request's partitions; a real run would {what} (on_overlap: {})",
                    overlap::describe(&found),
                    choice.as_str()
                ),
            ),
            &found,
        )
        .with("on_overlap", choice.as_str()),
    );
    Ok(())
}

fn with_ids(event: Event, found: &[InFlight]) -> Event {
    event
        .with(
            "backfills",
            found.iter().map(|f| f.id.as_str()).collect::<Vec<_>>(),
        )
        .with("shared", found.iter().map(|f| f.shared).collect::<Vec<_>>())
}

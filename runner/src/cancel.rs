//! A cancellation (`kind: cancel`): stop what an earlier request launched,
//! then follow it until Dagster reports every launch ended.
//!
//! A cancellation launches nothing, so there is no launch carrying its hash
//! to find again. It is made exactly once by Dagster's own statuses
//! instead: each launch's status is read again right before its
//! cancellation is sent, and only one still in progress is cancelled
//! (`cancelPartitionBackfill`, `terminateRun`). A second run of the Job, or
//! a second pod at the same moment, finds it `CANCELING` or ended and only
//! follows; if both read it in progress at once and both send, Dagster
//! refuses the second `terminateRun` (the run is no longer cancellable),
//! which is taken as "already being cancelled", and a second
//! `cancelPartitionBackfill` only sets `CANCELING` again. A launch that has
//! ended is never sent a cancellation (Dagster would set even a finished
//! backfill `CANCELING`).
//!
//! Dagster cancels a backfill's runs itself, at its daemon's next tick, and
//! calls the backfill `CANCELED` once none is in flight: following waits for
//! that, bounded by the deadline (exit 5) like following a launch.

use std::time::{Duration, Instant};

use serde_json::{Value, json};

use dagster_scripts::dagster::{Client, ops, ops::Lookup};
use dagster_scripts::resolve::cancel::{Launched, Stage, list, stage};
use dagster_scripts::spec::Spec;

use crate::exit::{Error, Status};
use crate::handle::Handle;
use crate::launch::daemons;
use crate::log::{Event, Logger};

/// A progress line at least this often, changed or not.
const HEARTBEAT: Duration = Duration::from_secs(60);

/// Cancels `launches` (the earlier request's launches that had not ended
/// when the plan was made) for the cancellation `spec`; with `wait`, follows
/// them until every one has ended.
pub fn cancel(
    client: &Client,
    log: &Logger,
    spec: &Spec,
    launches: &[Launched],
    wait: Option<(Duration, Duration)>,
) -> Result<Status, Error> {
    let Spec::Cancel(c) = spec else {
        return Err(Error::invalid(
            "internal error: a cancellation plan for another kind of request; please report this bug",
        ));
    };
    let audit = |event: Event| {
        event
            .with("cancel_of", c.cancel_of.as_str())
            .with("issue", spec.issue().as_str())
            .with("reason", spec.reason().map(|r| r.as_str()))
            .with("requester", spec.requester().map(|r| r.as_str()))
    };
    let why = match (spec.requester(), spec.reason()) {
        (Some(who), Some(why)) => format!(" (asked by {who}: {why})"),
        (Some(who), None) => format!(" (asked by {who})"),
        (None, Some(why)) => format!(" ({why})"),
        (None, None) => String::new(),
    };
    let mut open: Vec<Launched> = Vec::new();
    for launch in launches {
        let now = read(client, &launch.handle)?;
        let handle = &launch.handle;
        let fields = |e: Event| {
            audit(e)
                .with("id", handle.id())
                .with("type", kind(handle))
                .with("status", now.as_str())
        };
        match stage(handle, &now) {
            Stage::Ended => {
                log.emit(fields(Event::info(
                    "not_cancelled",
                    format!(
                        "{handle} of request {} has ended {now}: nothing to cancel",
                        c.cancel_of
                    ),
                )));
                continue;
            }
            Stage::Canceling => log.emit(fields(Event::info(
                "canceling",
                format!(
                    "{handle} of request {} is already being cancelled: following it",
                    c.cancel_of
                ),
            ))),
            Stage::Live => {
                match ops::cancel(client, matches!(handle, Handle::Backfill(_)), handle.id()) {
                    Ok(()) => log.emit(fields(Event::info(
                        "cancelled",
                        format!(
                            "cancelled {handle} of request {} (it was {now}) for issue {}{why}",
                            c.cancel_of,
                            spec.issue()
                        ),
                    ))),
                    Err(e) => {
                        // A concurrent runner may have cancelled it first.
                        let again = read(client, handle)?;
                        if stage(handle, &again) == Stage::Live {
                            return Err(e.into());
                        }
                        log.emit(fields(Event::info(
                            "canceling",
                            format!(
                                "{handle} of request {} is already {again} (cancelled by another runner?): following it",
                                c.cancel_of
                            ),
                        )));
                    }
                }
            }
        }
        open.push(Launched {
            handle: handle.clone(),
            status: now,
        });
    }
    if open.is_empty() {
        log.emit(audit(Event::info(
            "finished",
            format!(
                "every launch of request {} ended before it could be cancelled: nothing to cancel",
                c.cancel_of
            ),
        ).with("exit_code", 0)));
        return Ok(Status::Succeeded);
    }
    if let Some(backfill) = open
        .iter()
        .find(|l| matches!(l.handle, Handle::Backfill(_)))
    {
        // Only Dagster's backfill daemon takes a backfill from CANCELING to CANCELED.
        daemons::warn_if_stopped(client, log, &backfill.handle);
    }
    let Some((poll, retry_for)) = wait else {
        log.emit(Event::info(
            "no_wait",
            format!("--no-wait: not following {}", list(&open)),
        ));
        return Ok(Status::Succeeded);
    };
    follow(client, log, &mut open, poll, retry_for)?;
    log.emit(audit(
        Event::info(
            "finished",
            format!("request {} is cancelled: {}", c.cancel_of, list(&open)),
        )
        .with("exit_code", 0)
        .with("launches", statuses(&open)),
    ));
    Ok(Status::Succeeded)
}

/// Polls `open` until every launch has ended, each status updated.
fn follow(
    client: &Client,
    log: &Logger,
    open: &mut [Launched],
    poll: Duration,
    retry_for: Duration,
) -> Result<(), Error> {
    let mut failing_since: Option<Instant> = None;
    let mut last: Option<(String, Instant)> = None;
    loop {
        let mut failed = None;
        for launch in open.iter_mut() {
            if launch.stage() == Stage::Ended {
                continue;
            }
            match read(client, &launch.handle) {
                Ok(status) => launch.status = status,
                Err(e) if matches!(e.status, Status::Interrupted(_) | Status::TimedOut) => {
                    return Err(e);
                }
                Err(e) => failed = Some(e),
            }
        }
        match failed {
            None => failing_since = None,
            Some(e) => {
                let since = *failing_since.get_or_insert_with(Instant::now);
                if since.elapsed() >= retry_for {
                    return Err(Error::unreachable(format!(
                        "following the cancellation: {}",
                        e.message
                    )));
                }
                log.emit(Event::warn(
                    "poll_failed",
                    format!("following the cancellation: {}; polling again", e.message),
                ));
            }
        }
        let line = list(open);
        let due = match &last {
            Some((previous, at)) => *previous != line || at.elapsed() >= HEARTBEAT,
            None => true,
        };
        if due {
            log.emit(
                Event::info("progress", format!("cancelling: {line}"))
                    .with("launches", statuses(open)),
            );
            last = Some((line, Instant::now()));
        }
        if open.iter().all(|l| l.stage() == Stage::Ended) {
            return Ok(());
        }
        client.stop().sleep(poll)?;
    }
}

/// The current status of a backfill or run.
fn read(client: &Client, handle: &Handle) -> Result<String, Error> {
    let lookup = match handle {
        Handle::Backfill(id) => ops::backfill_progress(client, id)?.map(|p| p.status),
        Handle::Run(id) => ops::run_status(client, id)?.map(|r| r.status),
    };
    match lookup {
        Lookup::Found(status) => Ok(status),
        Lookup::Missing(m) => Err(Error::new(
            Status::Failed,
            format!("{handle} no longer exists in Dagster: {m}"),
        )),
    }
}

fn kind(handle: &Handle) -> &'static str {
    match handle {
        Handle::Backfill(_) => "backfill",
        Handle::Run(_) => "run",
    }
}

/// `[{type, id, status}]`, for the JSON log.
fn statuses(launches: &[Launched]) -> Value {
    launches
        .iter()
        .map(|l| json!({ "type": kind(&l.handle), "id": l.handle.id(), "status": l.status }))
        .collect()
}

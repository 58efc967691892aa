//! Exactly once: find the request's earlier launch by its hash, or launch it.
//!
//! Kubernetes may run the Job's pod again, and Flux or Argo CD re-create a
//! deleted Job, so the same spec reaches the runner many times. Every launch
//! carries `dagster-scripts/request=<hash>`; before launching, the runner
//! looks for a backfill (`runsFeedOrError(view: BACKFILLS)`, which finds it
//! the moment it is created) or a stand-alone run with that tag, and follows
//! it instead. A launch whose outcome is unknown (the request may have
//! reached Dagster) is looked up by tag, twice with a pause, before it is
//! ever sent again.
//!
//! Two runners started at the same moment (a concurrent twin) can both miss
//! each other's launch and both launch. So after launching, a runner looks
//! again ([`settle`]), at once and once more after a pause that covers how
//! late a twin's launch can become visible: among the request's launches,
//! the earliest (Dagster's creation time, ties broken by id) is the
//! request's; every other one still in progress is cancelled at once
//! (`cancelPartitionBackfill`, `terminateRun`), before the backfill daemon's
//! next tick starts its runs, and its runner follows the earliest. Every
//! runner computes the same winner from the same data, and the same rule
//! picks "the existing launch" later ([`find_existing`]) and what `rerun_of`
//! re-executes, so a cancelled twin is never taken for the request's launch.
//! A copy Dagster makes of a launch (re-executing a backfill or run copies
//! its tags, and adds `dagster/parent_backfill_id` or
//! `dagster/parent_run_id` naming it) is not a twin.

use std::time::{Duration, Instant};

use crate::api::{self, Found};
use crate::exit::Error;
use crate::graphql::{Client, MutationError};
use crate::log::{Event, Logger};
use crate::plan::{Action, Plan};
use crate::tags;

/// The least pause between the two looks after a launch; the launch's own
/// duration is added (a twin's launch takes about as long to become visible).
const SETTLE: Duration = Duration::from_secs(2);
/// The most that pause can be.
const SETTLE_MAX: Duration = Duration::from_secs(20);
/// Tags Dagster puts on a copy of a backfill or run (a re-execution).
const PARENT_TAGS: [&str; 2] = ["dagster/parent_backfill_id", "dagster/parent_run_id"];
/// Statuses of a launch that a cancel can still stop.
const CANCELLABLE: [&str; 6] = [
    "REQUESTED",
    "QUEUED",
    "NOT_STARTED",
    "STARTING",
    "STARTED",
    "MANAGED",
];

/// How many times a launch with an unknown outcome is tried in all.
const LAUNCH_ATTEMPTS: u32 = 3;
/// Pause before looking up a launch whose answer was lost.
const RECHECK_PAUSE: Duration = Duration::from_secs(2);

/// What the runner follows.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Handle {
    /// A backfill id.
    Backfill(String),
    /// A run id.
    Run(String),
}

impl std::fmt::Display for Handle {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Handle::Backfill(id) => write!(f, "backfill {id}"),
            Handle::Run(id) => write!(f, "run {id}"),
        }
    }
}

/// One launch carrying a request's hash.
#[derive(Clone, Debug, PartialEq)]
pub struct Launch {
    /// The backfill or run.
    pub handle: Handle,
    /// The rest of what Dagster said about it.
    pub found: Found,
}

/// Every launch (backfill or stand-alone run) carrying `tags`.
fn launches(client: &Client, tags: &[(&str, &str)]) -> Result<Vec<Launch>, Error> {
    let mut out: Vec<Launch> = api::find_backfills(client, tags)?
        .into_iter()
        .map(|f| Launch {
            handle: Handle::Backfill(f.id.clone()),
            found: f,
        })
        .collect();
    // Runs of a backfill carry the backfill's tags too: only stand-alone runs count here.
    out.extend(
        api::find_runs(client, tags, &[], 50)?
            .into_iter()
            .filter(|r| api::tag(&r.tags, tags::BACKFILL).is_none())
            .map(|f| Launch {
                handle: Handle::Run(f.id.clone()),
                found: f,
            }),
    );
    Ok(out)
}

/// The request's own launches among `group` (launches that carry one
/// request hash), earliest first: Dagster's copies of a launch in the group
/// (re-executions, which name their parent) left out. The first is the
/// request's launch; the others are twins.
pub fn originals(group: &[Launch]) -> Vec<&Launch> {
    let ids: Vec<&str> = group.iter().map(|l| l.found.id.as_str()).collect();
    let mut out: Vec<&Launch> = group
        .iter()
        .filter(|l| {
            !PARENT_TAGS
                .iter()
                .filter_map(|t| api::tag(&l.found.tags, t))
                .any(|parent| ids.contains(&parent))
        })
        .collect();
    out.sort_by(|a, b| {
        a.found
            .created
            .total_cmp(&b.found.created)
            .then_with(|| a.found.id.cmp(&b.found.id))
    });
    out
}

/// The ids of the twins among `launches` (any mix of requests): every
/// original launch of a request hash but the earliest. `rerun_of` skips them.
pub fn twins(launches: &[Found]) -> Vec<String> {
    let mut by_hash: std::collections::BTreeMap<&str, Vec<Launch>> = Default::default();
    for f in launches {
        if let Some(hash) = api::tag(&f.tags, tags::REQUEST) {
            by_hash.entry(hash).or_default().push(Launch {
                handle: Handle::Run(f.id.clone()),
                found: f.clone(),
            });
        }
    }
    by_hash
        .values()
        .flat_map(|group| {
            originals(group)
                .into_iter()
                .skip(1)
                .map(|l| l.found.id.clone())
                .collect::<Vec<_>>()
        })
        .collect()
}

/// The earlier launch of the request with this hash, if there is one: the
/// earliest of its own launches (see [`originals`]).
pub fn find_existing(client: &Client, log: &Logger, hash: &str) -> Result<Option<Handle>, Error> {
    let group = launches(client, &[(tags::REQUEST, hash)])?;
    let originals = originals(&group);
    let Some(first) = originals.first() else {
        return Ok(None);
    };
    if group.len() > 1 {
        log.emit(
            Event::warn(
                "duplicates",
                format!(
                    "{} launches carry this request's hash; following the earliest, {}",
                    group.len(),
                    first.handle
                ),
            )
            .with(
                "launches",
                group.iter().map(|l| l.found.id.clone()).collect::<Vec<_>>(),
            ),
        );
    }
    Ok(Some(first.handle.clone()))
}

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
        let group = launches(client, &[(tags::REQUEST, hash)])?;
        let originals = originals(&group);
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
            let event = match api::cancel(client, backfill, &twin.found.id) {
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
                        "{} was launched concurrently with {winner} for this request; cancelling it failed: {e}",
                        twin.handle
                    ),
                ),
            };
            log.emit(
                event
                    .with("id", twin.found.id.clone())
                    .with("winner", id(&winner)),
            );
        }
        if winner != *mine {
            log.emit(
                Event::info(
                    "following_twin",
                    format!("a concurrent runner launched {winner} first: following it"),
                )
                .with("id", id(&winner)),
            );
            return Ok(winner);
        }
    }
    Ok(winner)
}

fn id(handle: &Handle) -> String {
    match handle {
        Handle::Backfill(id) | Handle::Run(id) => id.clone(),
    }
}

/// Sends the plan's mutation; when its outcome is unknown, looks for it by
/// tag before sending it again. What it launched (or found), and how long the
/// launch took (the pause of [`settle`] depends on it).
pub fn launch(
    client: &Client,
    log: &Logger,
    plan: &Plan,
    hash: &str,
) -> Result<(Handle, Duration), Error> {
    let mut last = String::new();
    for attempt in 1..=LAUNCH_ATTEMPTS {
        let started = Instant::now();
        let sent = match &plan.action {
            Action::Backfill(params) => {
                api::launch_backfill(client, params.clone()).map(Handle::Backfill)
            }
            Action::Run(params) => api::launch_run(client, params.clone()).map(Handle::Run),
            Action::ReexecuteRun(params) => {
                api::reexecute_run(client, params.clone()).map(Handle::Run)
            }
            Action::Nothing(why) => {
                return Err(Error::new(crate::exit::Status::Succeeded, why.clone()));
            }
        };
        match sent {
            Ok(handle) => return Ok((handle, started.elapsed())),
            Err(MutationError::Failed(e)) => return Err(e),
            Err(MutationError::Unknown(message)) => {
                log.emit(
                    Event::warn(
                        "launch_unknown",
                        format!("{message}; the launch may have happened: looking for it by tag"),
                    )
                    .with("attempt", attempt),
                );
                for _ in 0..2 {
                    client.stop().sleep(RECHECK_PAUSE)?;
                    if let Some(handle) = find_existing(client, log, hash)? {
                        log.emit(Event::info(
                            "launch_found",
                            format!("the lost launch exists: {handle}"),
                        ));
                        return Ok((handle, started.elapsed()));
                    }
                }
                last = message;
            }
        }
    }
    Err(Error::unreachable(format!(
        "launch outcome unknown after {LAUNCH_ATTEMPTS} attempts ({last}); nothing carries this request's hash yet"
    )))
}

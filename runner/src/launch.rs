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

use std::time::Duration;

use crate::api::{self, Found};
use crate::exit::Error;
use crate::graphql::{Client, MutationError};
use crate::log::{Event, Logger};
use crate::plan::{Action, Plan};
use crate::tags;

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

/// The earlier launch of the request with this hash, if there is one.
///
/// Dagster's own "re-execute backfill" copies a backfill's tags, so several
/// backfills may carry one hash; the oldest is the request's own launch.
pub fn find_existing(client: &Client, log: &Logger, hash: &str) -> Result<Option<Handle>, Error> {
    let by_hash = [(tags::REQUEST, hash)];
    let backfills = api::find_backfills(client, &by_hash)?;
    if let Some(first) = backfills.first() {
        if backfills.len() > 1 {
            log.emit(
                Event::warn(
                    "duplicates",
                    format!(
                        "{} backfills carry this request's hash; following the oldest, {}",
                        backfills.len(),
                        first.id
                    ),
                )
                .with(
                    "backfills",
                    backfills.iter().map(|b| b.id.clone()).collect::<Vec<_>>(),
                ),
            );
        }
        return Ok(Some(Handle::Backfill(first.id.clone())));
    }
    // Runs of a backfill carry the backfill's tags too: only stand-alone runs count here.
    let runs: Vec<Found> = api::find_runs(client, &by_hash, &[], 50)?
        .into_iter()
        .filter(|r| api::tag(&r.tags, tags::BACKFILL).is_none())
        .collect();
    Ok(runs.first().map(|r| Handle::Run(r.id.clone())))
}

/// Sends the plan's mutation; when its outcome is unknown, looks for it by
/// tag before sending it again.
pub fn launch(client: &Client, log: &Logger, plan: &Plan, hash: &str) -> Result<Handle, Error> {
    let mut last = String::new();
    for attempt in 1..=LAUNCH_ATTEMPTS {
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
            Ok(handle) => return Ok(handle),
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
                        return Ok(handle);
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

//! Sending the plan's mutation at most once: when its outcome is unknown (the
//! request may have reached Dagster), the launch is looked up by tag, twice
//! with a pause, before it is ever sent again.

use std::time::{Duration, Instant};

use dagster_scripts::dagster::{Client, MutationError, ops};

use crate::existing;
use crate::exit::{Error, Status};
use crate::handle::Handle;
use crate::log::{Event, Logger};
use crate::resolve::{Action, Plan};

/// How many times a launch with an unknown outcome is tried in all.
const LAUNCH_ATTEMPTS: u32 = 3;
/// Pause before looking up a launch whose answer was lost.
const RECHECK_PAUSE: Duration = Duration::from_secs(2);

/// Sends the plan's mutation; when its outcome is unknown, looks for it by
/// tag before sending it again. What it launched (or found), and how long the
/// launch took (the pause of [`settle`](super::settle) depends on it).
pub fn send(
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
                ops::launch_backfill(client, params.clone()).map(Handle::Backfill)
            }
            Action::Run(params) => ops::launch_run(client, params.clone()).map(Handle::Run),
            Action::ReexecuteRun(params) => {
                ops::reexecute_run(client, params.clone()).map(Handle::Run)
            }
            Action::Nothing(why) => {
                return Err(Error::new(Status::Succeeded, why.clone()));
            }
            Action::Cancel(_) => {
                return Err(Error::invalid(
                    "internal error: a cancellation reached the launch stage; please report this bug",
                ));
            }
            Action::Paced { .. } => {
                return Err(Error::new(
                    Status::Invalid,
                    "internal error: a paced request reached the one-launch stage; please report this bug",
                ));
            }
        };
        match sent {
            Ok(handle) => return Ok((handle, started.elapsed())),
            Err(MutationError::Failed(e)) => return Err(e.into()),
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
                    if let Some(handle) = existing::find(client, log, hash)? {
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

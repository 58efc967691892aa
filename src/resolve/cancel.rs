//! Resolving `cancel_of`: what the named issue's requests launched, and
//! which of it has not ended yet (what a cancellation stops).
//!
//! Every backfill and stand-alone run tagged with the issue counts
//! ([`existing::of_issue`]: concurrent twins, already cancelled by their
//! runners, left out), so a request that launched many runs has them all
//! cancelled. A launch already being cancelled (`CANCELING`) is only
//! followed, so a second run of the Job sends no second cancellation; a
//! launch that has ended is left alone (cancelling a finished backfill
//! would set it `CANCELING` again in Dagster).

use super::existing::{self, OfIssue};
use super::handle::Handle;
use super::{Action, Error, Plan, tags};
use crate::dagster::Client;
use crate::dagster::ops::{Found, TERMINAL_BACKFILL};
use crate::spec::Cancel;

/// Where the issue to cancel is in a spec: every refusal is about it.
const CANCEL_OF: &str = "/cancel_of";

/// Run statuses after which nothing more happens to a run.
const TERMINAL_RUN: [&str; 3] = ["SUCCESS", "FAILURE", "CANCELED"];

/// One launch of the earlier request, with its status when it was read.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Launched {
    /// The backfill or run.
    pub handle: Handle,
    /// Its status (`BulkActionStatus` or `RunStatus`).
    pub status: String,
}

/// What a status means to a cancellation.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Stage {
    /// Not ended and not being cancelled: a cancellation stops it.
    Live,
    /// Being cancelled already: followed, never cancelled twice.
    Canceling,
    /// Ended (succeeded, failed or cancelled): left alone.
    Ended,
}

impl Launched {
    /// Where this launch is, for a cancellation.
    pub fn stage(&self) -> Stage {
        stage(&self.handle, &self.status)
    }
}

/// Where a backfill's or run's `status` is, for a cancellation.
pub fn stage(handle: &Handle, status: &str) -> Stage {
    let ended = match handle {
        Handle::Backfill(_) => TERMINAL_BACKFILL.contains(&status),
        Handle::Run(_) => TERMINAL_RUN.contains(&status),
    };
    if ended {
        Stage::Ended
    } else if status == "CANCELING" {
        Stage::Canceling
    } else {
        Stage::Live
    }
}

/// `backfill abc (REQUESTED), run 0f3c (STARTED)`.
pub fn list(launches: &[Launched]) -> String {
    launches
        .iter()
        .map(|l| format!("{} ({})", l.handle, l.status))
        .collect::<Vec<_>>()
        .join(", ")
}

/// Every launch of the issue `c.cancel_of` names: those not ended are the
/// plan's ([`Action::Cancel`]); when all have ended, nothing to do.
pub fn earlier(client: &Client, c: &Cancel, tags: Vec<(String, String)>) -> Result<Plan, Error> {
    let issue = c.cancel_of.as_str();
    let OfIssue { backfills, runs } =
        existing::of_issue(client, issue).map_err(|e| Error::from(e).at(CANCEL_OF))?;
    let launched = |found: &[Found], handle: fn(String) -> Handle| -> Vec<Launched> {
        found
            .iter()
            .map(|f| Launched {
                handle: handle(f.id.clone()),
                status: f.status.clone(),
            })
            .collect()
    };
    let backfills = launched(&backfills, Handle::Backfill);
    let runs = launched(&runs, Handle::Run);
    if backfills.is_empty() && runs.is_empty() {
        return Err(Error::rejected(format!(
            "cancel_of {issue}: no backfill or run tagged {}={issue} in Dagster: nothing to cancel",
            tags::ISSUE
        ))
        .at(CANCEL_OF));
    }
    let mut facts = vec![("cancel_of", issue.to_owned())];
    if !backfills.is_empty() {
        facts.push(("backfills", list(&backfills)));
    }
    if !runs.is_empty() {
        facts.push(("runs", list(&runs)));
    }
    let all: Vec<Launched> = backfills.into_iter().chain(runs).collect();
    let open: Vec<Launched> = all
        .iter()
        .filter(|l| l.stage() != Stage::Ended)
        .cloned()
        .collect();
    let action = if open.is_empty() {
        Action::Nothing(format!(
            "every launch of request {issue} has ended ({}): nothing to cancel",
            list(&all)
        ))
    } else {
        Action::Cancel(open)
    };
    Ok(Plan {
        kind: "cancel",
        facts,
        target: None,
        keys: Vec::new(),
        reprocessed: None,
        assets: Vec::new(),
        tags,
        action,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_launches_in_progress_are_cancelled_and_canceling_ones_only_followed() {
        let b = |s: &str| stage(&Handle::Backfill("b".into()), s);
        let r = |s: &str| stage(&Handle::Run("r".into()), s);
        for s in ["REQUESTED", "FAILING"] {
            assert_eq!(b(s), Stage::Live, "{s}");
        }
        assert_eq!(b("CANCELING"), Stage::Canceling);
        for s in TERMINAL_BACKFILL {
            assert_eq!(b(s), Stage::Ended, "{s}");
        }
        for s in ["QUEUED", "NOT_STARTED", "STARTING", "STARTED", "MANAGED"] {
            assert_eq!(r(s), Stage::Live, "{s}");
        }
        assert_eq!(r("CANCELING"), Stage::Canceling);
        for s in TERMINAL_RUN {
            assert_eq!(r(s), Stage::Ended, "{s}");
        }
    }
}

//! Resolution: what to launch for a spec, resolved against Dagster but not
//! yet sent, shared by the runner (which then launches it) and `plan
//! --resolve` (which only shows it).
//!
//! Building a [`Plan`] asks Dagster everything a launch depends on: where the
//! job lives ([`location`]), which partition keys exist ([`partitions`]),
//! whether the run config fits, what an earlier request launched
//! ([`reexecute`], [`cancel`]), which assets a group or key prefix selects
//! ([`assets`]); it refuses before anything is launched when the answer
//! does not fit the spec. The same plan is what `--dry-run` prints
//! ([`dry_run`]) and what the launch sends, so the dry run shows exactly what
//! would happen.
//!
//! Only queries are sent here, never a mutation. A refusal is an [`Error`]
//! naming the spec's value it is about; what is worth telling but no
//! refusal goes to a [`Notes`]. What a request launched before is found by
//! [`existing`], by the [`tags`] every launch carries. A backfill's
//! [`reprocess`] keeps, of the selected partitions, those Dagster's
//! partition statuses say are missing or failed.
//! A request with `max_concurrent_runs` is launched partition by partition
//! ([`paced`]).
//! Backfills in flight over the same partitions are found by [`overlap`].

pub mod assets;
pub mod backfill;
pub mod cancel;
pub mod dry_run;
pub mod error;
pub mod existing;
pub mod handle;
pub mod location;
pub mod materialize;
pub mod notes;
pub mod overlap;
pub mod paced;
pub mod partitions;
pub mod reexecute;
pub mod reprocess;
pub mod run;
pub mod tags;

use serde_json::Value;

use crate::dagster::Client;
use crate::dagster::ops::Target;
use crate::spec::Spec;

pub use error::{Cause, Error};
pub use notes::{Kept, Note, Notes};
pub use reprocess::Reprocessed;

/// The mutation a plan sends.
#[derive(Clone, Debug, PartialEq)]
pub enum Action {
    /// `launchPartitionBackfill` with these `backfillParams`.
    Backfill(Value),
    /// `launchRun` with these `executionParams`.
    Run(Value),
    /// `launchRunReexecution` with these `reexecutionParams`.
    ReexecuteRun(Value),
    /// `launchRun` once per partition, at most `limit` runs in flight at
    /// once, the runner pacing them (`max_concurrent_runs`).
    Paced {
        /// One run per partition, in the request's order.
        runs: Vec<paced::PacedRun>,
        /// Most runs queued or in progress at once.
        limit: u32,
    },
    /// Cancel these launches of an earlier request (`cancelPartitionBackfill`,
    /// `terminateRun`; those already `CANCELING` are only followed).
    Cancel(Vec<cancel::Launched>),
    /// Nothing to launch (a re-execution of a request that did not fail, a
    /// `reprocess` that leaves no partition, a cancellation of what has
    /// ended): why.
    Nothing(String),
}

/// A resolved request.
#[derive(Clone, Debug, PartialEq)]
pub struct Plan {
    /// The request kind, as written in specs.
    pub kind: &'static str,
    /// Where and what, for people: `(label, value)` in display order.
    pub facts: Vec<(&'static str, String)>,
    /// Where the job lives, for a request of a job's partitions or run.
    pub target: Option<Target>,
    /// The partition keys launched, if any.
    pub keys: Vec<String>,
    /// What `reprocess` kept of the selection (`missing` or `failed`; none
    /// for `all`, which launches every selected key without asking).
    pub reprocessed: Option<Reprocessed>,
    /// The asset keys launched (an asset backfill's or materialisation's, groups and prefixes expanded).
    pub assets: Vec<String>,
    /// Every tag of the launch.
    pub tags: Vec<(String, String)>,
    /// The mutation.
    pub action: Action,
}

/// Resolves `spec` (whose request hash is `hash`) against Dagster, selecting
/// at most `cap` partitions.
pub fn plan(
    client: &Client,
    notes: &dyn Notes,
    spec: &Spec,
    hash: &str,
    cap: u64,
) -> Result<Plan, Error> {
    let tags = tags::launch_tags(spec, hash);
    match spec {
        Spec::Backfill(b) => backfill::job(client, spec, b, tags, cap),
        Spec::Run(r) => run::job(client, r, tags),
        Spec::AssetBackfill(a) => backfill::assets(client, spec, a, tags, cap),
        Spec::Reexecute(x) => reexecute::parent(client, notes, spec, x, tags),
        Spec::Cancel(c) => cancel::earlier(client, c, tags),
        Spec::Materialize(m) => materialize::assets(client, m, tags),
    }
}

/// Where a job lives, as facts of a plan.
fn where_facts(t: &Target) -> Vec<(&'static str, String)> {
    vec![
        ("location", t.location.clone()),
        ("repository", t.repository.clone()),
        ("job", t.job.clone()),
    ]
}

//! `status`: what each request became in Dagster, seen from its spec.
//!
//! A request is found by the hash the runner tags its launches with
//! (`dagster-scripts/request=<hash>`, [`Spec::request_hash`]); among the
//! launches carrying one hash, the request's own is the earliest original
//! ([`ops::originals`], the rule the runner follows too). What Dagster says
//! of it becomes one [`State`] by the rules of [`state_of`]. Dagster is asked
//! in a few rounds whatever the number of requests ([`gather`]): the
//! instance's backfills listed once ([`ops::list_backfills`]) and matched by
//! hash here, the stand-alone runs of the requests that can launch one
//! ([`ops::runs_tagged`]), the details of each request's own backfill
//! ([`ops::backfill_details`]), and the partitions of those listed one by
//! one (failed keys, the grid; [`ops::partition_statuses`]). A cancellation
//! launches nothing: it is seen in the launches of the issue it cancels
//! (`cancellation`). A request the runner paces has runs instead of a
//! backfill ([`paced`]).
//!
//! Only queries are sent: nothing here launches, cancels or re-executes.
//! The formats are [`human`], [`json`] and [`markdown`] (with [`grid`]).

pub mod grid;
pub mod human;
pub mod json;
pub mod markdown;
pub mod paced;

use std::collections::HashMap;

use serde::Serialize;

use crate::dagster::ops::{self, Counts, LaunchType, Lookup, PartitionStatuses, RunClass};
use crate::dagster::{Client, Error};
use crate::spec::{Kind, Spec};

// The tags every launch of a request carries (the request hash, who asked),
// from their one home beside the code that puts them on launches.
use crate::resolve::tags::{
    ISSUE as ISSUE_TAG, REQUEST as REQUEST_TAG, REQUESTER as REQUESTER_TAG,
};

/// What became of a request.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum State {
    /// Nothing in Dagster carries the request's hash.
    NotLaunched,
    /// Launched, nothing run yet (a backfill the daemon has not picked up, a queued run).
    Requested,
    /// Some of it has run or is running.
    Running,
    /// Every partition (or the run) succeeded.
    Succeeded,
    /// It ended with failures.
    Failed,
    /// It was cancelled.
    Canceled,
}

impl State {
    /// Every state, in the order reports count them.
    pub const ALL: [State; 6] = [
        State::Succeeded,
        State::Failed,
        State::Canceled,
        State::Running,
        State::Requested,
        State::NotLaunched,
    ];

    /// The spelling of reports (`not_launched`).
    pub fn as_str(self) -> &'static str {
        match self {
            State::NotLaunched => "not_launched",
            State::Requested => "requested",
            State::Running => "running",
            State::Succeeded => "succeeded",
            State::Failed => "failed",
            State::Canceled => "canceled",
        }
    }

    /// Whether nothing more will happen to it.
    pub fn is_over(self) -> bool {
        matches!(self, State::Succeeded | State::Failed | State::Canceled)
    }
}

/// The state a launch's Dagster status (`RunStatus` of a run,
/// `BulkActionStatus` of a backfill, with its partition `counts`) means.
///
/// A backfill Dagster still calls `REQUESTED` is *requested* until one of
/// its partitions has run, then *running*; `COMPLETED` (deprecated) is a
/// success only with no failed partition; `FAILING` ends failed. A status
/// this version does not know is *running*: not over, never a success.
pub fn state_of(kind: LaunchType, status: &str, counts: Option<Counts>) -> State {
    let counts = counts.unwrap_or_default();
    match kind {
        LaunchType::Run => match status {
            "SUCCESS" => State::Succeeded,
            "FAILURE" => State::Failed,
            "CANCELED" | "CANCELING" => State::Canceled,
            "NOT_STARTED" | "QUEUED" => State::Requested,
            _ => State::Running,
        },
        LaunchType::Backfill => match status {
            "COMPLETED_SUCCESS" => State::Succeeded,
            "COMPLETED" if counts.failed == 0 => State::Succeeded,
            "COMPLETED" | "COMPLETED_FAILED" | "FAILED" | "FAILING" => State::Failed,
            "CANCELED" | "CANCELING" => State::Canceled,
            "REQUESTED" if counts.done + counts.failed + counts.in_progress == 0 => {
                State::Requested
            }
            _ => State::Running,
        },
    }
}

/// A request to report on: its spec, and where it was found.
#[derive(Clone, Debug)]
pub struct Asked {
    /// The spec file, as given or found, with `/`.
    pub path: String,
    /// The request.
    pub spec: Spec,
    /// Whether it lies under `specs/done/`.
    pub retired: bool,
}

/// The launch that is the request's own.
#[derive(Clone, Debug, PartialEq)]
pub struct Launched {
    /// Backfill or run.
    pub kind: LaunchType,
    /// Its id in Dagster.
    pub id: String,
    /// Its page in Dagster's UI.
    pub url: String,
    /// Dagster's status (`BulkActionStatus` or `RunStatus`).
    pub status: String,
    /// Who asked (the `dagster-scripts/requester` tag).
    pub requester: Option<String>,
    /// When it was created, Unix seconds.
    pub created: i64,
    /// When it started, Unix seconds.
    pub started: Option<i64>,
    /// When it ended, Unix seconds.
    pub ended: Option<i64>,
}

/// What became of one request.
#[derive(Clone, Debug, PartialEq)]
pub struct Request {
    /// The spec file, as given or found, with `/`.
    pub path: String,
    /// The issue it answers.
    pub issue: String,
    /// Its kind.
    pub kind: Kind,
    /// Its hash (the `dagster-scripts/request` tag).
    pub hash: String,
    /// Whether its spec lies under `specs/done/`.
    pub retired: bool,
    /// Its dimension names, when it selects partitions.
    pub dimensions: Vec<String>,
    /// What became of it.
    pub state: State,
    /// Its launch, if there is one.
    pub launch: Option<Launched>,
    /// Where a backfill's partitions are.
    pub partitions: Option<Counts>,
    /// The keys of the partitions whose latest run failed or was cancelled
    /// (job backfills; Dagster does not list an asset backfill's).
    pub failed_partitions: Vec<String>,
    /// Each partition's latest run status, when it was read (for the grid).
    pub partition_statuses: Option<PartitionStatuses>,
    /// Other original launches carrying the same hash (concurrent twins).
    pub twins: usize,
    /// Dagster lists more launches with this hash than were read.
    pub more_launches: bool,
}

/// The requests, and the Dagster they were asked of.
#[derive(Clone, Debug, PartialEq)]
pub struct Report {
    /// The base of links into Dagster's UI.
    pub dagster: String,
    /// One per spec, in the order given.
    pub requests: Vec<Request>,
}

impl Report {
    /// How many requests are in each state, in [`State::ALL`]'s order.
    pub fn counts(&self) -> Vec<(State, usize)> {
        State::ALL
            .iter()
            .map(|&s| (s, self.requests.iter().filter(|r| r.state == s).count()))
            .collect()
    }

    /// The number of requests in `state`.
    pub fn count(&self, state: State) -> usize {
        self.requests.iter().filter(|r| r.state == state).count()
    }
}

/// Asks Dagster (through `client`, queries only) what became of each of
/// `asked`; links go to `ui_base`. With `grids`, the partitions of every
/// two-dimensional backfill that has run are read one by one too (for the
/// Markdown grid); otherwise only those of backfills with failures.
///
/// The rounds: the instance's backfills listed once (matched to requests by
/// their hash tag here); the runs tagged with the hash of each request whose
/// kind launches a run; the details of each request's own backfill; the
/// partitions of the job backfills with failures (or, for the grid, that have run).
pub fn gather(
    client: &Client,
    asked: Vec<Asked>,
    ui_base: &str,
    grids: bool,
) -> Result<Report, Error> {
    let hashes: Vec<String> = asked.iter().map(|a| a.spec.request_hash()).collect();

    let backfills = ops::list_backfills(client)?;
    let mut by_hash: HashMap<&str, Vec<&ops::Found>> = HashMap::new();
    for b in &backfills {
        if let Some(hash) = ops::tag(&b.tags, REQUEST_TAG) {
            by_hash.entry(hash).or_default().push(b);
        }
    }

    let launch_runs: Vec<usize> = (0..asked.len())
        .filter(|&i| {
            matches!(
                asked[i].spec.kind(),
                Kind::Run | Kind::Reexecute | Kind::Materialize
            )
        })
        .collect();
    let values: Vec<&str> = launch_runs.iter().map(|&i| hashes[i].as_str()).collect();
    let mut runs: Vec<Option<ops::RunsTagged>> = vec![None; asked.len()];
    for (i, tagged) in launch_runs
        .into_iter()
        .zip(ops::runs_tagged(client, REQUEST_TAG, &values)?)
    {
        runs[i] = Some(tagged);
    }

    // A cancellation launches nothing: it is seen in what it cancels.
    let cancel_of: Vec<(usize, &str)> = asked
        .iter()
        .enumerate()
        .filter_map(|(i, a)| match &a.spec {
            Spec::Cancel(c) => Some((i, c.cancel_of.as_str())),
            _ => None,
        })
        .collect();
    let issues: Vec<&str> = cancel_of.iter().map(|(_, issue)| *issue).collect();
    let issue_runs = ops::runs_tagged(client, ISSUE_TAG, &issues)?;
    let cancelled: Vec<(usize, (State, Option<Launched>))> = cancel_of
        .iter()
        .zip(issue_runs)
        .map(|(&(i, issue), runs)| {
            let of_issue: Vec<&ops::Found> = backfills
                .iter()
                .filter(|b| ops::tag(&b.tags, ISSUE_TAG) == Some(issue))
                .collect();
            (i, cancellation(&of_issue, &runs.runs, ui_base))
        })
        .collect();

    let specs: Vec<Spec> = asked.iter().map(|a| a.spec.clone()).collect();
    let mut requests: Vec<Request> = asked
        .into_iter()
        .zip(hashes.iter())
        .zip(runs)
        .map(|((a, hash), runs)| {
            let backfills = by_hash.get(hash.as_str()).map_or(&[][..], Vec::as_slice);
            request(a, hash.clone(), backfills, runs, ui_base)
        })
        .collect();
    for (i, (state, launch)) in cancelled {
        requests[i].state = state;
        requests[i].launch = launch;
    }

    // A paced request (`max_concurrent_runs`) has runs, one per partition, and no backfill.
    for (r, a) in requests.iter_mut().zip(&specs) {
        if r.state == State::NotLaunched {
            paced::fill(client, r, a, ui_base)?;
        }
    }

    // A job backfill that ended `COMPLETED_SUCCESS` has had every partition
    // succeed (Dagster's job backfill ends so only with no failed or
    // canceled run): its counts are implied, and not asked for.
    let chosen: Vec<usize> = (0..requests.len())
        .filter(|&i| {
            requests[i].kind != Kind::Cancel
                && requests[i]
                    .launch
                    .as_ref()
                    .is_some_and(|l| l.kind == LaunchType::Backfill)
        })
        .collect();
    let wanted: Vec<(&str, bool)> = chosen
        .iter()
        .filter_map(|&i| requests[i].launch.as_ref())
        .map(|l| (l.id.as_str(), l.status != ALL_SUCCEEDED))
        .collect();
    let details = ops::backfill_details(client, &wanted)?;
    for (i, lookup) in chosen.into_iter().zip(details) {
        if let Lookup::Found(d) = lookup {
            detailed(&mut requests[i], d);
        }
    }

    let wanted: Vec<usize> = requests
        .iter()
        .enumerate()
        .filter(|(_, r)| wants_partitions(r, grids))
        .map(|(i, _)| i)
        .collect();
    let ids: Vec<&str> = wanted
        .iter()
        .filter_map(|&i| requests[i].launch.as_ref().map(|l| l.id.as_str()))
        .collect();
    let statuses = ops::partition_statuses(client, &ids)?;
    for (i, lookup) in wanted.into_iter().zip(statuses) {
        if let Lookup::Found(partitions) = lookup {
            let r = &mut requests[i];
            r.failed_partitions = partitions
                .iter()
                .filter(|(_, s)| {
                    s.as_deref()
                        .is_some_and(|s| ops::classify_run(s) == RunClass::Failed)
                })
                .map(|(k, _)| k.clone())
                .collect();
            r.partition_statuses = Some(partitions);
        }
    }
    Ok(Report {
        dagster: ui_base.to_owned(),
        requests,
    })
}

/// The `BulkActionStatus` of a backfill every partition of which succeeded.
const ALL_SUCCEEDED: &str = "COMPLETED_SUCCESS";

/// `r`, its backfill's details known: status, times, counts and the state they make.
fn detailed(r: &mut Request, d: ops::BackfillDetails) {
    let Some(launch) = r.launch.as_mut() else {
        return;
    };
    let counts = d.counts.unwrap_or_else(|| {
        let total = d.num_partitions.unwrap_or(0);
        Counts {
            total,
            done: if d.status == ALL_SUCCEEDED { total } else { 0 },
            ..Counts::default()
        }
    });
    launch.started = d.started.map(seconds);
    launch.ended = d.ended.map(seconds);
    r.state = state_of(LaunchType::Backfill, &d.status, Some(counts));
    launch.status = d.status;
    r.partitions = Some(counts);
}

/// Whether `r`'s partitions are read one by one: a job backfill with failed
/// partitions (their keys are reported), or, for the grid, a two-dimensional
/// one that has run at all.
fn wants_partitions(r: &Request, grids: bool) -> bool {
    let Some(launch) = &r.launch else {
        return false;
    };
    let Some(c) = r.partitions else {
        return false;
    };
    launch.kind == LaunchType::Backfill
        && r.kind != Kind::AssetBackfill
        && (c.failed > 0 || (grids && r.dimensions.len() == 2 && c.done + c.in_progress > 0))
}

/// One request, from its spec and the launches carrying its hash: its
/// `backfills` and (if they were asked for) its stand-alone `runs`. A
/// backfill's times and counts are filled in by [`detailed`].
fn request(
    asked: Asked,
    hash: String,
    backfills: &[&ops::Found],
    runs: Option<ops::RunsTagged>,
    ui_base: &str,
) -> Request {
    let runs = runs.unwrap_or(ops::RunsTagged {
        runs: Vec::new(),
        more: false,
    });
    let found: Vec<ops::Found> = backfills
        .iter()
        .map(|&f| f.clone())
        .chain(runs.runs.iter().map(|r| r.found.clone()))
        .collect();
    let originals = ops::originals(&found);
    let own = originals.first().map(|f| {
        let run = runs.runs.iter().find(|r| r.found.id == f.id);
        (*f, run)
    });
    let (state, launch) = match own {
        None => (State::NotLaunched, None),
        Some((f, run)) => {
            let kind = if run.is_some() {
                LaunchType::Run
            } else {
                LaunchType::Backfill
            };
            (
                state_of(kind, &f.status, None),
                Some(launched(kind, f, run, ui_base)),
            )
        }
    };
    Request {
        path: asked.path,
        issue: asked.spec.issue().as_str().to_owned(),
        kind: asked.spec.kind(),
        dimensions: asked
            .spec
            .partitions()
            .iter()
            .map(|d| d.name().as_str().to_owned())
            .collect(),
        hash,
        retired: asked.retired,
        state,
        launch,
        partitions: None,
        failed_partitions: Vec::new(),
        partition_statuses: None,
        twins: originals.len().saturating_sub(1),
        more_launches: runs.more,
    }
}

/// What became of a cancellation, from the launches of the issue it
/// cancels (`backfills` and stand-alone `runs` tagged with it): nothing
/// found is *not launched*; every one ended (cancelled, or finished before)
/// *succeeded*, as the runner exits 0 then; one being cancelled *running*;
/// one still in progress *requested* (the cancellation has not run yet).
/// Its launch is the newest of them, for the link.
fn cancellation(
    backfills: &[&ops::Found],
    runs: &[ops::Run],
    ui_base: &str,
) -> (State, Option<Launched>) {
    use crate::resolve::cancel::{Stage, stage};
    use crate::resolve::handle::Handle;
    let launches: Vec<(LaunchType, &ops::Found, Option<&ops::Run>)> = backfills
        .iter()
        .map(|&b| (LaunchType::Backfill, b, None))
        .chain(runs.iter().map(|r| (LaunchType::Run, &r.found, Some(r))))
        .collect();
    let stages: Vec<Stage> = launches
        .iter()
        .map(|(kind, f, _)| {
            let handle = match kind {
                LaunchType::Backfill => Handle::Backfill(f.id.clone()),
                LaunchType::Run => Handle::Run(f.id.clone()),
            };
            stage(&handle, &f.status)
        })
        .collect();
    let state = if launches.is_empty() {
        State::NotLaunched
    } else if stages.iter().all(|s| *s == Stage::Ended) {
        State::Succeeded
    } else if stages.contains(&Stage::Live) {
        State::Requested
    } else {
        State::Running
    };
    let newest = launches
        .iter()
        .max_by(|a, b| a.1.created.total_cmp(&b.1.created));
    let launch = newest.map(|&(kind, f, run)| launched(kind, f, run, ui_base));
    (state, launch)
}

/// A launch as `status` shows it: Dagster's answer `f` about a backfill or
/// run (`run`: its times, for a run), linked under `ui_base`.
fn launched(kind: LaunchType, f: &ops::Found, run: Option<&ops::Run>, ui_base: &str) -> Launched {
    Launched {
        kind,
        id: f.id.clone(),
        url: link(ui_base, kind, &f.id),
        status: f.status.clone(),
        requester: ops::tag(&f.tags, REQUESTER_TAG).map(str::to_owned),
        created: seconds(f.created),
        started: run.and_then(|r| r.started).map(seconds),
        ended: run.and_then(|r| r.ended).map(seconds),
    }
}

/// A time Dagster gives as float seconds, in whole seconds.
fn seconds(t: f64) -> i64 {
    if t.is_finite() { t.floor() as i64 } else { 0 }
}

/// The page of a backfill or run in Dagster's UI at `base`: the routes of
/// Dagster 1.13's UI (`/runs/b/:backfillId`, `/runs/:runId`), the id
/// percent-encoded so that no answer can lead the link elsewhere.
pub fn link(base: &str, kind: LaunchType, id: &str) -> String {
    let mut encoded = String::with_capacity(id.len());
    for b in id.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b'~') {
            encoded.push(char::from(b));
        } else {
            encoded.push_str(&format!("%{b:02X}"));
        }
    }
    match kind {
        LaunchType::Backfill => format!("{base}/runs/b/{encoded}"),
        LaunchType::Run => format!("{base}/runs/{encoded}"),
    }
}

/// Unix seconds as a UTC time to the minute (`2024-02-01 13:05 UTC`).
pub fn utc(seconds: i64) -> String {
    crate::utc::minutes(seconds)
}

/// A backfill's progress in words (`3/4 succeeded, 1 failed`), empty for a run.
pub fn progress(r: &Request) -> String {
    let Some(c) = r.partitions else {
        return String::new();
    };
    let mut text = format!("{}/{} succeeded", c.done, c.total);
    if c.failed > 0 {
        text.push_str(&format!(", {} failed", c.failed));
    }
    if c.in_progress > 0 {
        text.push_str(&format!(", {} in progress", c.in_progress));
    }
    text
}

#[cfg(test)]
mod tests {
    use super::*;

    fn counts(total: u64, done: u64, failed: u64, in_progress: u64) -> Option<Counts> {
        Some(Counts {
            total,
            done,
            failed,
            in_progress,
        })
    }

    #[test]
    fn a_backfill_is_requested_until_a_partition_runs() {
        let b = LaunchType::Backfill;
        assert_eq!(
            state_of(b, "REQUESTED", counts(4, 0, 0, 0)),
            State::Requested
        );
        assert_eq!(state_of(b, "REQUESTED", None), State::Requested);
        assert_eq!(state_of(b, "REQUESTED", counts(4, 0, 0, 1)), State::Running);
        assert_eq!(state_of(b, "REQUESTED", counts(4, 1, 1, 0)), State::Running);
    }

    #[test]
    fn a_backfill_ends_by_its_status_and_completed_by_its_failures() {
        let b = LaunchType::Backfill;
        assert_eq!(state_of(b, "COMPLETED_SUCCESS", None), State::Succeeded);
        assert_eq!(
            state_of(b, "COMPLETED", counts(4, 4, 0, 0)),
            State::Succeeded
        );
        assert_eq!(state_of(b, "COMPLETED", counts(4, 3, 1, 0)), State::Failed);
        for s in ["COMPLETED_FAILED", "FAILED", "FAILING"] {
            assert_eq!(state_of(b, s, counts(4, 4, 0, 0)), State::Failed, "{s}");
        }
        for s in ["CANCELED", "CANCELING"] {
            assert_eq!(state_of(b, s, None), State::Canceled, "{s}");
        }
        // A status this version does not know is never taken for an end.
        assert_eq!(
            state_of(b, "SOMETHING_NEW", counts(4, 4, 0, 0)),
            State::Running
        );
    }

    #[test]
    fn a_run_is_requested_while_queued_and_running_once_started() {
        let r = LaunchType::Run;
        for (status, state) in [
            ("NOT_STARTED", State::Requested),
            ("QUEUED", State::Requested),
            ("STARTING", State::Running),
            ("STARTED", State::Running),
            ("MANAGED", State::Running),
            ("SUCCESS", State::Succeeded),
            ("FAILURE", State::Failed),
            ("CANCELING", State::Canceled),
            ("CANCELED", State::Canceled),
            ("", State::Running),
        ] {
            assert_eq!(state_of(r, status, None), state, "{status}");
        }
    }

    #[test]
    fn times_are_utc_to_the_minute() {
        assert_eq!(utc(0), "1970-01-01 00:00 UTC");
        assert_eq!(
            utc(1_706_745_600 + 13 * 3600 + 5 * 60 + 59),
            "2024-02-01 13:05 UTC"
        );
        assert_eq!(utc(951_782_400), "2000-02-29 00:00 UTC");
        assert_eq!(utc(-60), "1969-12-31 23:59 UTC");
    }

    #[test]
    fn links_follow_the_ui_routes_and_cannot_be_led_elsewhere() {
        let base = "https://org.dagster.cloud/prod";
        assert_eq!(
            link(base, LaunchType::Backfill, "abcdefgh"),
            "https://org.dagster.cloud/prod/runs/b/abcdefgh"
        );
        assert_eq!(
            link(base, LaunchType::Run, "0f3c-9a"),
            "https://org.dagster.cloud/prod/runs/0f3c-9a"
        );
        assert_eq!(
            link(base, LaunchType::Run, "../../x?y#z) [a](b"),
            "https://org.dagster.cloud/prod/runs/..%2F..%2Fx%3Fy%23z%29%20%5Ba%5D%28b"
        );
    }
}

//! What Dagster has already launched for a request, found by the tags every
//! launch carries ([`tags`]): the one home of that question, asked before
//! resolving (is there an earlier launch to follow?), after launching (did a
//! concurrent twin launch too?), by `rerun_of` (what did that issue launch?)
//! and at the end of a backfill (which of its runs failed?).
//!
//! A backfill carrying a tag is found through `runsFeedOrError(view:
//! BACKFILLS)`, which sees it the moment it is created; a run through
//! `runsOrError`, where the runs a backfill launched (they carry the
//! backfill's tags too, and `dagster/backfill`) are left out.
//!
//! Among the launches carrying one request hash, the earliest (Dagster's
//! creation time, ties broken by id) is the request's; the others are twins
//! ([`originals`]). Every runner computes the same winner from the same data,
//! and the same rule picks the earlier launch ([`find`]) and what `rerun_of`
//! re-executes ([`of_issue`]), so a cancelled twin is never taken for the
//! request's launch. A copy Dagster makes of a launch (re-executing a
//! backfill or run copies its tags, and adds `dagster/parent_backfill_id` or
//! `dagster/parent_run_id` naming it) is not a twin.

use std::collections::BTreeMap;

use super::handle::Handle;
use super::{Note, Notes, tags};
use crate::dagster::ops::{self, Found};
use crate::dagster::{Client, Error};

/// One launch carrying a request's hash.
#[derive(Clone, Debug, PartialEq)]
pub struct Launch {
    /// The backfill or run.
    pub handle: Handle,
    /// The rest of what Dagster said about it.
    pub found: Found,
}

/// Every launch (backfill or stand-alone run) of the request with this hash.
pub fn of_request(client: &Client, hash: &str) -> Result<Vec<Launch>, Error> {
    let tags = [(tags::REQUEST, hash)];
    let mut out: Vec<Launch> = ops::find_backfills(client, &tags)?
        .into_iter()
        .map(|f| Launch {
            handle: Handle::Backfill(f.id.clone()),
            found: f,
        })
        .collect();
    // Runs of a backfill carry the backfill's tags too: only stand-alone runs
    // count here. A paced request's runs (one per partition) are not launches
    // of the request as a whole: `paced` reads them.
    out.extend(
        ops::find_runs(client, &tags, &[], 50)?
            .into_iter()
            .filter(|r| ops::tag(&r.tags, tags::BACKFILL).is_none())
            .filter(|r| ops::tag(&r.tags, tags::PACED).is_none())
            .map(|f| Launch {
                handle: Handle::Run(f.id.clone()),
                found: f,
            }),
    );
    Ok(out)
}

/// The request's own launches among `group` (launches that carry one
/// request hash), earliest first, by the one rule every caller shares
/// ([`ops::originals`]). The first is the request's launch; the others are
/// twins.
pub fn originals(group: &[Launch]) -> Vec<&Launch> {
    let found: Vec<Found> = group.iter().map(|l| l.found.clone()).collect();
    ops::originals(&found)
        .into_iter()
        .filter_map(|f| group.iter().find(|l| l.found.id == f.id))
        .collect()
}

/// The ids of the twins among `launches` (any mix of requests): every
/// original launch of a request hash but the earliest. A paced request's
/// runs are grouped by partition too: only a partition's second run is a twin.
fn twins(launches: &[Found]) -> Vec<String> {
    let mut by_hash: BTreeMap<(&str, Option<&str>), Vec<Launch>> = BTreeMap::new();
    for f in launches {
        if let Some(hash) = ops::tag(&f.tags, tags::REQUEST) {
            let partition =
                ops::tag(&f.tags, tags::PACED).and_then(|_| ops::tag(&f.tags, tags::PARTITION));
            by_hash.entry((hash, partition)).or_default().push(Launch {
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
pub fn find(client: &Client, notes: &dyn Notes, hash: &str) -> Result<Option<Handle>, Error> {
    let group = of_request(client, hash)?;
    let originals = originals(&group);
    let Some(first) = originals.first() else {
        return Ok(None);
    };
    if group.len() > 1 {
        notes.note(Note {
            warning: true,
            name: "duplicates",
            message: format!(
                "{} launches carry this request's hash; following the earliest, {}",
                group.len(),
                first.handle
            ),
            ids: vec![(
                "launches",
                group.iter().map(|l| l.found.id.clone()).collect(),
            )],
        });
    }
    Ok(Some(first.handle.clone()))
}

/// What the requests of one issue launched, oldest first, concurrent twins
/// (cancelled by their runners) left out.
#[derive(Clone, Debug, PartialEq)]
pub struct OfIssue {
    /// Backfills tagged with the issue.
    pub backfills: Vec<Found>,
    /// Stand-alone runs tagged with the issue.
    pub runs: Vec<Found>,
}

/// Every launch tagged with `issue` (what `rerun_of` names).
pub fn of_issue(client: &Client, issue: &str) -> Result<OfIssue, Error> {
    let by_issue = [(tags::ISSUE, issue)];
    let mut backfills = ops::find_backfills(client, &by_issue)?;
    let mut runs: Vec<Found> = ops::find_runs(client, &by_issue, &[], 100)?
        .into_iter()
        .filter(|r| ops::tag(&r.tags, tags::BACKFILL).is_none())
        .collect();
    // A concurrent twin of a launch (cancelled by its runner) is not the request's launch.
    let twins = twins(&[backfills.clone(), runs.clone()].concat());
    backfills.retain(|f| !twins.contains(&f.id));
    runs.retain(|f| !twins.contains(&f.id));
    Ok(OfIssue { backfills, runs })
}

/// The partition keys of the runs of backfill `id` that failed or were
/// cancelled, sorted, each once.
pub fn failed_partitions(client: &Client, id: &str) -> Result<Vec<String>, Error> {
    let runs = ops::find_runs(
        client,
        &[(tags::BACKFILL, id)],
        &["FAILURE", "CANCELED"],
        10_000,
    )?;
    let mut keys: Vec<String> = runs
        .iter()
        .filter_map(|r| ops::tag(&r.tags, "dagster/partition").map(str::to_owned))
        .collect();
    keys.sort();
    keys.dedup();
    Ok(keys)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::dagster::ops::Tag;

    fn launch(id: &str, created: f64, tags: &[(&str, &str)]) -> Found {
        Found {
            id: id.into(),
            created,
            status: "STARTED".into(),
            tags: tags
                .iter()
                .map(|(k, v)| Tag {
                    key: (*k).into(),
                    value: (*v).into(),
                })
                .collect(),
        }
    }

    #[test]
    fn a_paced_requests_runs_of_other_partitions_are_not_twins() {
        let paced = |id, created, key| {
            launch(
                id,
                created,
                &[
                    (tags::REQUEST, "h"),
                    (tags::PACED, "2"),
                    (tags::PARTITION, key),
                ],
            )
        };
        let runs = [
            paced("a", 1.0, "2024-01-01"),
            paced("b", 2.0, "2024-01-02"),
            paced("b-twin", 3.0, "2024-01-02"),
            launch("x", 1.0, &[(tags::REQUEST, "other")]),
            launch("x-twin", 2.0, &[(tags::REQUEST, "other")]),
        ];
        assert_eq!(twins(&runs), ["b-twin", "x-twin"]);
    }
}

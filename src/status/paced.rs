//! `status` of a request the runner paces (`max_concurrent_runs`): it has no
//! Dagster backfill, only one stand-alone run per partition, each carrying
//! the request hash and the paced mark ([`tags::PACED`]). They are listed by
//! the hash (one query per paced request) and summed up per partition as the
//! runner does ([`Progress::of`]): succeeded, failed (with their keys),
//! running, out of the partitions the spec selects.

use super::{Launched, Request, State, seconds};
use crate::dagster::ops::{self, Counts, LaunchType};
use crate::dagster::{Client, Error};
use crate::resolve::paced::{self, Progress};
use crate::resolve::tags;
use crate::spec::{Dimension, Reprocess, Spec};

/// How many partitions `spec` launches, when the spec alone says (no `all`,
/// no key range, every selected partition launched).
fn selected(spec: &Spec) -> Option<u64> {
    if spec.reprocess() != Reprocess::All {
        return None;
    }
    spec.partitions().iter().try_fold(1u64, |n, d| match d {
        Dimension::Dates(r) => Some(n.saturating_mul(r.len())),
        Dimension::Values(v) => Some(n.saturating_mul(v.values.len() as u64)),
        Dimension::All(_) | Dimension::Range(_) => None,
    })
}

/// Fills in `r` (a paced request Dagster has no backfill for) from its runs.
pub(super) fn fill(
    client: &Client,
    r: &mut Request,
    spec: &Spec,
    ui_base: &str,
) -> Result<(), Error> {
    let Some(limit) = spec.max_concurrent_runs() else {
        return Ok(());
    };
    let expected = selected(spec).unwrap_or(0);
    let runs: Vec<ops::Found> =
        paced::runs(client, &r.hash, usize::try_from(expected).unwrap_or(0))?
            .into_iter()
            .filter(|f| ops::tag(&f.tags, tags::PACED).is_some())
            .collect();
    let Some(first) = runs.first() else {
        return Ok(());
    };
    let mut keys: Vec<String> = runs
        .iter()
        .filter_map(|f| ops::tag(&f.tags, tags::PARTITION).map(str::to_owned))
        .collect();
    keys.sort();
    keys.dedup();
    let p = Progress::of(&keys, &runs);
    let total = expected.max(keys.len() as u64);
    let unlaunched = total - keys.len() as u64;
    r.state = if !p.canceled.is_empty() {
        State::Canceled
    } else if !p.running.is_empty() || unlaunched > 0 {
        State::Running
    } else if !p.failed.is_empty() {
        State::Failed
    } else {
        State::Succeeded
    };
    r.partitions = Some(Counts {
        total,
        done: p.succeeded.len() as u64,
        failed: (p.failed.len() + p.canceled.len()) as u64,
        in_progress: p.running.len() as u64,
    });
    r.failed_partitions = p.failed.iter().chain(&p.canceled).cloned().collect();
    r.failed_partitions.sort();
    r.launch = Some(Launched {
        kind: LaunchType::Run,
        id: first.id.clone(),
        url: runs_link(ui_base, &r.hash),
        status: format!("PACED ({} in flight, at most {limit})", p.in_flight),
        requester: ops::tag(&first.tags, tags::REQUESTER).map(str::to_owned),
        created: seconds(first.created),
        started: None,
        ended: None,
    });
    Ok(())
}

/// Dagster's runs page filtered by the request's hash tag.
fn runs_link(base: &str, hash: &str) -> String {
    let hex: String = hash.chars().filter(char::is_ascii_hexdigit).collect();
    format!("{base}/runs?q%5B0%5D=tag%3Adagster-scripts%2Frequest%3D{hex}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_selection_is_counted_when_the_spec_says_it() {
        let spec: Spec = serde_json::from_value(serde_json::json!({
            "job_name": "held_job",
            "max_concurrent_runs": 2,
            "tags": { "name": "1", "partitions": [
                { "name": "daily", "start_date": "2024-01-01", "end_date": "2024-01-05" },
                { "name": "stations", "values": ["a", "b"] },
            ] },
        }))
        .unwrap();
        assert_eq!(selected(&spec), Some(10));
        assert_eq!(
            runs_link("http://d", "ab12"),
            "http://d/runs?q%5B0%5D=tag%3Adagster-scripts%2Frequest%3Dab12"
        );
    }
}

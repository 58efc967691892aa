//! A request whose partitions the runner launches itself, at most
//! `max_concurrent_runs` at once (it "paces" them), instead of one backfill:
//! Dagster's backfill daemon has no per-backfill limit.
//!
//! Each partition becomes one stand-alone run, launched with what Dagster's
//! backfill would give it: for a job, the run config and tags of the job's
//! partition set for that key (`dagster/partition`, the per-dimension tags)
//! and the request's run config when the partition set has none; for assets,
//! a run of their implicit asset job selecting them all, with the partition
//! tags Dagster's asset backfill gives ([`assets_action`]). Every run also
//! carries the request's launch tags plus [`tags::PACED`]. Which partitions have a run, which are
//! in flight and which ended how is read back from Dagster by the request
//! hash every one of those runs carries ([`Progress::of`]): that is what makes
//! a re-run Job resume where the first stopped and never launch a partition
//! twice. When two runners raced and a partition has several runs of its own,
//! the earliest is the partition's (the rule of [`ops::originals`], applied
//! per partition) and the others are cancelled.

use serde_json::{Map, Value, json};

use super::{Action, Error, tags};
use crate::dagster::Client;
use crate::dagster::ops::{self, Found, Target};
use crate::spec::RunConfig;

/// One partition's run, ready to launch.
#[derive(Clone, Debug, PartialEq)]
pub struct PacedRun {
    /// The partition key.
    pub key: String,
    /// `launchRun`'s `executionParams`.
    pub params: Value,
}

/// The paced action for `keys` of `target`: one run per key, at most `limit`
/// in flight. `config` is the request's run config; `launch_tags` its tags.
pub fn action(
    client: &Client,
    target: &Target,
    keys: &[String],
    config: Option<&RunConfig>,
    launch_tags: &[(String, String)],
    limit: u32,
) -> Result<Action, Error> {
    let partitions =
        ops::partition_runs(client, target, keys).map_err(Error::about("/job_name"))?;
    let mut runs = Vec::with_capacity(partitions.len());
    for p in partitions {
        let own = partition_config(&p.run_config_yaml).map_err(|why| {
            Error::rejected(format!(
                "job {} partition {}: the partition set's run config cannot be read: {why}",
                target.job, p.key
            ))
            .at("/job_name")
        })?;
        // As Dagster's backfill: the partition's own config, else the request's.
        let run_config = match (own, config) {
            (Some(own), _) => own,
            (None, Some(c)) => c.clone(),
            (None, None) => Map::new(),
        };
        let tags = p.tags.into_iter().map(|t| (t.key, t.value));
        let params = params(target, None, launch_tags, limit, tags, run_config);
        runs.push(PacedRun { key: p.key, params });
    }
    Ok(Action::Paced { runs, limit })
}

/// The paced action for `keys` of `assets`, each key one run of the assets'
/// implicit asset job `job` selecting them all, at most `limit` in flight.
/// Each run carries the partition tags Dagster's asset backfill gives it:
/// `dagster/partition`, and for multi-partitions one
/// `dagster/partition/<dimension>` per dimension (`dimensions`, in key order).
pub fn assets_action(
    job: &Target,
    assets: &[String],
    keys: &[String],
    dimensions: &[String],
    launch_tags: &[(String, String)],
    limit: u32,
) -> Action {
    let runs = keys
        .iter()
        .map(|key| {
            let mut tags = vec![(tags::PARTITION.to_owned(), key.clone())];
            if !dimensions.is_empty() {
                tags.extend(
                    dimensions
                        .iter()
                        .zip(key.split('|'))
                        .map(|(d, part)| (format!("{}/{d}", tags::PARTITION), part.to_owned())),
                );
            }
            PacedRun {
                key: key.clone(),
                params: params(job, Some(assets), launch_tags, limit, tags, Map::new()),
            }
        })
        .collect();
    Action::Paced { runs, limit }
}

/// One paced run's `executionParams`: `target`'s job (running only `assets`,
/// when given), the request's `launch_tags`, the paced mark and the
/// partition's own `partition_tags`, and `run_config` when it is not empty.
fn params(
    target: &Target,
    assets: Option<&[String]>,
    launch_tags: &[(String, String)],
    limit: u32,
    partition_tags: impl IntoIterator<Item = (String, String)>,
    run_config: Map<String, Value>,
) -> Value {
    let mut tags = launch_tags.to_vec();
    tags.push((tags::PACED.to_owned(), limit.to_string()));
    tags.extend(partition_tags);
    let mut selector = json!({
        "repositoryLocationName": target.location,
        "repositoryName": target.repository,
        "jobName": target.job,
    });
    if let Some(assets) = assets {
        selector["assetSelection"] = super::assets::key_inputs(assets);
    }
    let mut params = json!({
        "selector": selector,
        "executionMetadata": { "tags": tags::to_input(&tags) },
    });
    if !run_config.is_empty() {
        params["runConfigData"] = Value::Object(run_config);
    }
    params
}

/// A partition set's run config YAML as a mapping; `None` when it is empty.
fn partition_config(yaml: &str) -> Result<Option<Map<String, Value>>, String> {
    let trimmed = yaml.trim();
    if trimmed.is_empty() || trimmed == "{}" {
        return Ok(None);
    }
    let lines = crate::diagnostic::Lines::new(yaml);
    let (document, problems) =
        crate::read::yaml::parse_unlocated(yaml, std::path::Path::new("run_config"), &lines);
    match document.map(|d| d.value) {
        Some(Value::Object(m)) if problems.is_empty() => Ok((!m.is_empty()).then_some(m)),
        Some(Value::Null) if problems.is_empty() => Ok(None),
        _ => Err(problems
            .first()
            .map_or_else(|| "not a mapping".to_owned(), |d| d.message.clone())),
    }
}

/// Whether a run status is an end (no longer queued or in progress).
fn ended(status: &str) -> bool {
    matches!(status, "SUCCESS" | "FAILURE" | "CANCELED")
}

/// Where a paced request stands, from the runs carrying its hash.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Progress {
    /// Partitions the request selects.
    pub total: usize,
    /// Partitions whose latest run succeeded.
    pub succeeded: Vec<String>,
    /// Partitions whose latest run failed.
    pub failed: Vec<String>,
    /// Partitions whose latest run was cancelled.
    pub canceled: Vec<String>,
    /// Partitions with a run queued or in progress.
    pub running: Vec<String>,
    /// Partitions without any run, in the request's order.
    pub not_launched: Vec<String>,
    /// Runs queued or in progress (twins included): what the limit counts.
    pub in_flight: usize,
    /// Runs of a partition besides its own (a concurrent twin's launch),
    /// not ended yet: `(run id, partition key)`, to cancel.
    pub twins: Vec<(String, String)>,
}

impl Progress {
    /// The progress of the request selecting `keys`, from `runs` (the runs
    /// carrying its hash; those without [`tags::PACED`] are not its paced runs).
    pub fn of(keys: &[String], runs: &[Found]) -> Progress {
        let mut by_key: std::collections::BTreeMap<&str, Vec<Found>> = Default::default();
        for r in runs {
            if ops::tag(&r.tags, tags::PACED).is_none() {
                continue;
            }
            if let Some(key) = ops::tag(&r.tags, tags::PARTITION) {
                by_key.entry(key).or_default().push(r.clone());
            }
        }
        let mut p = Progress {
            total: keys.len(),
            in_flight: by_key
                .values()
                .flatten()
                .filter(|r| !ended(&r.status))
                .count(),
            ..Progress::default()
        };
        for key in keys {
            let Some(group) = by_key.get(key.as_str()) else {
                p.not_launched.push(key.clone());
                continue;
            };
            let originals = ops::originals(group);
            let own = originals.first().map(|f| f.id.clone());
            let twin_ids: Vec<&str> = originals.iter().skip(1).map(|f| f.id.as_str()).collect();
            for t in originals.iter().skip(1).filter(|f| !ended(&f.status)) {
                p.twins.push((t.id.clone(), key.clone()));
            }
            // The partition's chain: its own run and Dagster's retries of it.
            let chain: Vec<&Found> = group
                .iter()
                .filter(|f| !twin_ids.contains(&f.id.as_str()))
                .collect();
            let latest = chain.iter().max_by(|a, b| {
                a.created
                    .total_cmp(&b.created)
                    .then_with(|| a.id.cmp(&b.id))
            });
            match latest.map(|f| f.status.as_str()) {
                _ if own.is_none() => p.not_launched.push(key.clone()),
                Some("SUCCESS") => p.succeeded.push(key.clone()),
                Some("FAILURE") => p.failed.push(key.clone()),
                Some("CANCELED") => p.canceled.push(key.clone()),
                _ => p.running.push(key.clone()),
            }
        }
        p
    }

    /// Whether every partition has a run and every run ended.
    pub fn is_over(&self) -> bool {
        self.not_launched.is_empty() && self.running.is_empty()
    }

    /// `3/5 succeeded, 1 failed, 1 running (at most 2 at once), 0 not launched`.
    pub fn line(&self, limit: u32) -> String {
        let mut text = format!("{}/{} succeeded", self.succeeded.len(), self.total);
        if !self.failed.is_empty() {
            text.push_str(&format!(", {} failed", self.failed.len()));
        }
        if !self.canceled.is_empty() {
            text.push_str(&format!(", {} cancelled", self.canceled.len()));
        }
        text.push_str(&format!(
            ", {} in flight (at most {limit} at once), {} not launched",
            self.in_flight,
            self.not_launched.len()
        ));
        text
    }
}

/// Every run carrying the request hash `hash`, oldest first; enough of them
/// for `keys` partitions (their retries and twins included).
pub fn runs(client: &Client, hash: &str, keys: usize) -> Result<Vec<Found>, crate::dagster::Error> {
    let limit = u32::try_from(keys.saturating_mul(3).saturating_add(100)).unwrap_or(u32::MAX);
    ops::find_runs(client, &[(tags::REQUEST, hash)], &[], limit)
}

/// The limit an earlier paced launch of the request with hash `hash` ran
/// with, if any of its runs carries [`tags::PACED`].
pub fn earlier_limit(client: &Client, hash: &str) -> Result<Option<u32>, crate::dagster::Error> {
    let runs = ops::find_runs(client, &[(tags::REQUEST, hash)], &[], 1)?;
    Ok(runs
        .iter()
        .find_map(|r| ops::tag(&r.tags, tags::PACED))
        .and_then(|v| v.parse().ok()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::dagster::ops::Tag;

    fn run(id: &str, created: f64, key: &str, status: &str, extra: &[(&str, &str)]) -> Found {
        let mut tags = vec![
            Tag {
                key: tags::PACED.into(),
                value: "2".into(),
            },
            Tag {
                key: tags::PARTITION.into(),
                value: key.into(),
            },
        ];
        tags.extend(extra.iter().map(|(k, v)| Tag {
            key: (*k).into(),
            value: (*v).into(),
        }));
        Found {
            id: id.into(),
            created,
            status: status.into(),
            tags,
        }
    }

    #[test]
    fn each_partition_is_its_earliest_run_and_its_retries() {
        let keys: Vec<String> = ["a", "b", "c", "d", "e"].map(String::from).to_vec();
        let runs = [
            run("a1", 1.0, "a", "FAILURE", &[]),
            run(
                "a2",
                5.0,
                "a",
                "SUCCESS",
                &[("dagster/parent_run_id", "a1")],
            ),
            run("b1", 2.0, "b", "STARTED", &[]),
            run("b0", 2.0, "b", "QUEUED", &[]),
            run("c1", 3.0, "c", "FAILURE", &[]),
            run("d1", 4.0, "d", "CANCELED", &[]),
        ];
        let p = Progress::of(&keys, &runs);
        assert_eq!(p.succeeded, ["a"]);
        assert_eq!(p.failed, ["c"]);
        assert_eq!(p.canceled, ["d"]);
        assert_eq!(p.running, ["b"]);
        assert_eq!(p.not_launched, ["e"]);
        // b0 and b1 were created at once: the smaller id is b's own run.
        assert_eq!(p.twins, [("b1".to_owned(), "b".to_owned())]);
        assert_eq!(p.in_flight, 2);
        assert!(!p.is_over());
        // Runs of a backfill or without the paced mark are not the request's paced runs.
        let mut other = run("x", 0.5, "e", "SUCCESS", &[]);
        other.tags.retain(|t| t.key != tags::PACED);
        assert_eq!(Progress::of(&keys, &[other]).not_launched.len(), 5);
    }

    #[test]
    fn an_asset_partitions_run_selects_every_asset_and_carries_its_partition_tags() {
        let job = Target {
            location: "loc".into(),
            repository: "__repository__".into(),
            job: "__ASSET_JOB".into(),
        };
        let assets = ["warehouse/a".to_owned(), "b".to_owned()];
        let keys = ["2024-01-01|NL01".to_owned(), "2024-01-02|NL02".to_owned()];
        let dimensions = ["daily".to_owned(), "stations".to_owned()];
        let tags = [("dagster-scripts/issue".to_owned(), "7".to_owned())];
        let Action::Paced { runs, limit } =
            assets_action(&job, &assets, &keys, &dimensions, &tags, 3)
        else {
            panic!("not paced")
        };
        assert_eq!(limit, 3);
        assert_eq!(runs.len(), 2);
        let p = &runs[1].params;
        assert_eq!(runs[1].key, "2024-01-02|NL02");
        assert_eq!(p["selector"]["jobName"], "__ASSET_JOB");
        assert_eq!(
            p["selector"]["assetSelection"],
            json!([{ "path": ["warehouse", "a"] }, { "path": ["b"] }])
        );
        assert_eq!(
            p["executionMetadata"]["tags"],
            json!([
                { "key": "dagster-scripts/issue", "value": "7" },
                { "key": "dagster-scripts/paced", "value": "3" },
                { "key": "dagster/partition", "value": "2024-01-02|NL02" },
                { "key": "dagster/partition/daily", "value": "2024-01-02" },
                { "key": "dagster/partition/stations", "value": "NL02" },
            ])
        );
        assert!(p.get("runConfigData").is_none());
        // A single dimension: the key alone.
        let Action::Paced { runs, .. } = assets_action(&job, &assets, &keys[..1], &[], &tags, 1)
        else {
            panic!("not paced")
        };
        assert_eq!(
            runs[0].params["executionMetadata"]["tags"][2],
            json!({ "key": "dagster/partition", "value": "2024-01-01|NL01" })
        );
        assert_eq!(
            runs[0].params["executionMetadata"]["tags"]
                .as_array()
                .map(Vec::len),
            Some(3)
        );
    }

    #[test]
    fn a_partition_sets_run_config_is_read_when_there_is_one() {
        assert_eq!(partition_config("{}\n"), Ok(None));
        assert_eq!(partition_config(""), Ok(None));
        let c = partition_config("ops:\n  hold:\n    config:\n      release_file: /tmp/x\n")
            .unwrap()
            .unwrap();
        assert_eq!(c["ops"]["hold"]["config"]["release_file"], "/tmp/x");
        assert!(partition_config("- a\n").is_err());
    }
}

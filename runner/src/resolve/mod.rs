//! What to launch for a spec, resolved against Dagster but not yet sent.
//!
//! Building a plan asks Dagster everything a launch depends on (where the job
//! lives, which partition keys exist, what an earlier request launched) and
//! refuses before anything is launched when the answer does not fit the spec.
//! The same plan is what `--dry-run` prints and what the launch sends, so the
//! dry run shows exactly what would happen.

use serde_json::{Map, Value, json};

use dagster_scripts::spec::{AssetBackfill, Backfill, JobRun, Reexecute, Spec};

use crate::api::{self, Found, Lookup, Target};
use crate::exit::Error;
use crate::graphql::Client;
use crate::log::{Event, Logger};
use crate::resolve::resolve;
use crate::select::{one_key, select};
use crate::tags;

/// The mutation a plan sends.
#[derive(Clone, Debug, PartialEq)]
pub enum Action {
    /// `launchPartitionBackfill` with these `backfillParams`.
    Backfill(Value),
    /// `launchRun` with these `executionParams`.
    Run(Value),
    /// `launchRunReexecution` with these `reexecutionParams`.
    ReexecuteRun(Value),
    /// Nothing to launch (a re-execution of a request that did not fail): why.
    Nothing(String),
}

/// A resolved request.
#[derive(Clone, Debug, PartialEq)]
pub struct Plan {
    /// The request kind, as written in specs.
    pub kind: &'static str,
    /// Where and what, for people: `(label, value)` in display order.
    pub facts: Vec<(&'static str, String)>,
    /// The partition keys launched, if any.
    pub keys: Vec<String>,
    /// Every tag of the launch.
    pub tags: Vec<(String, String)>,
    /// The mutation.
    pub action: Action,
}

/// Resolves `spec` against Dagster.
pub fn build(
    client: &Client,
    log: &Logger,
    spec: &Spec,
    hash: &str,
    cap: u64,
) -> Result<Plan, Error> {
    let tags = tags::launch_tags(spec, hash);
    match spec {
        Spec::Backfill(b) => backfill(client, spec, b, tags, cap),
        Spec::Run(r) => run(client, r, tags),
        Spec::AssetBackfill(a) => asset_backfill(client, spec, a, tags, cap),
        Spec::Reexecute(x) => reexecute(client, log, spec, x, tags),
    }
}

fn target(client: &Client, job: &str, wanted: Option<&str>) -> Result<Target, Error> {
    let repositories = api::repositories(client)?;
    resolve(&repositories, job, wanted)
}

fn where_facts(t: &Target) -> Vec<(&'static str, String)> {
    vec![
        ("location", t.location.clone()),
        ("repository", t.repository.clone()),
        ("job", t.job.clone()),
    ]
}

fn backfill_params(
    spec: &Spec,
    tags: &[(String, String)],
    mut params: Map<String, Value>,
) -> Value {
    params.insert("tags".into(), tags::to_input(tags));
    params.insert("title".into(), tags::title(spec).into());
    if let Some(description) = tags::description(spec) {
        params.insert("description".into(), description.into());
    }
    Value::Object(params)
}

fn backfill(
    client: &Client,
    spec: &Spec,
    b: &Backfill,
    tags: Vec<(String, String)>,
    cap: u64,
) -> Result<Plan, Error> {
    let target = target(client, b.job_name.as_str(), b.repository_name.as_deref())?;
    let available = api::job_partitions(client, &target)?;
    let keys = select(
        &b.tags.partitions,
        &available,
        &format!("job {}", target.job),
        cap,
    )?;
    // Dagster takes a backfill's run config unchecked and fails every run.
    if let Some(config) = &b.run_config {
        api::validate_run_config(client, &target, &Value::Object(config.clone()))?;
    }
    let mut params = Map::new();
    params.insert(
        "selector".into(),
        json!({ "partitionSetName": format!("{}_partition_set", target.job), "repositorySelector": target.repository_selector() }),
    );
    params.insert("partitionNames".into(), json!(keys));
    if let Some(config) = &b.run_config {
        params.insert("runConfigData".into(), Value::Object(config.clone()));
    }
    let action = Action::Backfill(backfill_params(spec, &tags, params));
    Ok(Plan {
        kind: "backfill",
        facts: where_facts(&target),
        keys,
        tags,
        action,
    })
}

fn run(client: &Client, r: &JobRun, mut tags: Vec<(String, String)>) -> Result<Plan, Error> {
    let target = target(client, r.job_name.as_str(), r.repository_name.as_deref())?;
    let available = api::job_partitions(client, &target)?;
    let what = format!("job {}", target.job);
    let mut keys = Vec::new();
    match (&r.tags.partition, available.keys.is_empty()) {
        (Some(key), _) => {
            // launchRun does not check partition tags; the runner must.
            let key = one_key(key, &available, &what)?;
            for t in api::partition_tags(client, &target, &key)? {
                tags.push((t.key, t.value));
            }
            keys.push(key);
        }
        (None, false) => {
            return Err(Error::rejected(format!(
                "{what} is partitioned: a run needs `tags.partition` (Dagster fails a partitioned run without one)"
            )));
        }
        (None, true) => {}
    }
    let mut params = json!({
        "selector": { "repositoryLocationName": target.location, "repositoryName": target.repository, "jobName": target.job },
        "executionMetadata": { "tags": tags::to_input(&tags) },
    });
    let config = Value::Object(r.run_config.clone().unwrap_or_default());
    api::validate_run_config(client, &target, &config)?;
    if let Some(config) = &r.run_config {
        params["runConfigData"] = Value::Object(config.clone());
    }
    Ok(Plan {
        kind: "run",
        facts: where_facts(&target),
        keys,
        tags,
        action: Action::Run(params),
    })
}

fn asset_backfill(
    client: &Client,
    spec: &Spec,
    a: &AssetBackfill,
    tags: Vec<(String, String)>,
    cap: u64,
) -> Result<Plan, Error> {
    let mut keys: Option<Vec<String>> = None;
    for asset in &a.assets {
        let what = format!("asset {asset}");
        let available = api::asset_partitions(client, asset.as_str())?.ok_or_else(|| {
            Error::rejected(format!(
                "{what} is not partitioned; an asset backfill needs partitions"
            ))
        })?;
        let selected = select(&a.tags.partitions, &available, &what, cap)?;
        match &keys {
            Some(first) if *first != selected => {
                return Err(Error::rejected(format!(
                    "{what} selects other partitions than {}",
                    a.assets[0]
                )));
            }
            _ => keys = Some(selected),
        }
    }
    let keys = keys.unwrap_or_default();
    let mut params = Map::new();
    params.insert(
        "assetSelection".into(),
        Value::Array(
            a.assets
                .iter()
                .map(|k| json!({ "path": k.as_str().split('/').collect::<Vec<_>>() }))
                .collect(),
        ),
    );
    params.insert("partitionNames".into(), json!(keys));
    let facts = vec![(
        "assets",
        a.assets
            .iter()
            .map(|k| k.as_str())
            .collect::<Vec<_>>()
            .join(", "),
    )];
    let action = Action::Backfill(backfill_params(spec, &tags, params));
    Ok(Plan {
        kind: "asset_backfill",
        facts,
        keys,
        tags,
        action,
    })
}

/// Backfill statuses after which nothing more happens.
pub const TERMINAL_BACKFILL: [&str; 5] = [
    "COMPLETED",
    "COMPLETED_SUCCESS",
    "COMPLETED_FAILED",
    "FAILED",
    "CANCELED",
];

fn reexecute(
    client: &Client,
    log: &Logger,
    spec: &Spec,
    x: &Reexecute,
    tags: Vec<(String, String)>,
) -> Result<Plan, Error> {
    let issue = x.rerun_of.as_str();
    let by_issue = [(tags::ISSUE, issue)];
    let mut backfills = api::find_backfills(client, &by_issue)?;
    let mut runs: Vec<Found> = api::find_runs(client, &by_issue, &[], 100)?
        .into_iter()
        .filter(|r| api::tag(&r.tags, tags::BACKFILL).is_none())
        .collect();
    // A concurrent twin of a launch (cancelled by its runner) is not the request's launch.
    let twins = crate::launch::twins(&[backfills.clone(), runs.clone()].concat());
    backfills.retain(|f| !twins.contains(&f.id));
    runs.retain(|f| !twins.contains(&f.id));
    enum Parent {
        Backfill(Found),
        Run(Found),
    }
    let newest_backfill = backfills.last().cloned();
    let newest_run = runs.last().cloned();
    let parent = match (newest_backfill, newest_run) {
        (Some(b), Some(r)) if r.created > b.created => Parent::Run(r),
        (Some(b), _) => Parent::Backfill(b),
        (None, Some(r)) => Parent::Run(r),
        (None, None) => {
            return Err(Error::rejected(format!(
                "rerun_of {issue}: no backfill or run tagged {}={issue} in Dagster",
                tags::ISSUE
            )));
        }
    };
    if backfills.len() + runs.len() > 1 {
        log.emit(
            Event::info(
                "rerun_of",
                format!(
                    "rerun_of {issue}: {} launches found; re-executing the newest",
                    backfills.len() + runs.len()
                ),
            )
            .with(
                "backfills",
                backfills.iter().map(|f| f.id.clone()).collect::<Vec<_>>(),
            )
            .with(
                "runs",
                runs.iter().map(|f| f.id.clone()).collect::<Vec<_>>(),
            ),
        );
    }
    match parent {
        Parent::Run(run) => {
            let mut facts = vec![
                ("rerun_of", issue.to_owned()),
                ("parent run", run.id.clone()),
                ("parent status", run.status.clone()),
            ];
            let action = match run.status.as_str() {
                "SUCCESS" => Action::Nothing(format!(
                    "run {} of request {issue} succeeded: nothing to re-execute",
                    run.id
                )),
                "FAILURE" | "CANCELED" => Action::ReexecuteRun(json!({
                    "parentRunId": run.id,
                    "strategy": "FROM_FAILURE",
                    "extraTags": tags::to_input(&tags),
                })),
                other => {
                    return Err(Error::rejected(format!(
                        "run {} of request {issue} is still {other}: re-execute it once it has ended",
                        run.id
                    )));
                }
            };
            if let Some(location) = api::tag(&run.tags, "dagster/code_location") {
                facts.push(("location", location.to_owned()));
            }
            Ok(Plan {
                kind: "reexecute",
                facts,
                keys: Vec::new(),
                tags,
                action,
            })
        }
        Parent::Backfill(found) => reexecute_backfill(client, spec, issue, &found.id, tags),
    }
}

fn reexecute_backfill(
    client: &Client,
    spec: &Spec,
    issue: &str,
    id: &str,
    tags: Vec<(String, String)>,
) -> Result<Plan, Error> {
    let detail = match api::backfill_detail(client, id)? {
        Lookup::Found(d) => d,
        Lookup::Missing(m) => {
            return Err(Error::rejected(format!(
                "backfill {id} of request {issue}: {m}"
            )));
        }
    };
    let mut facts = vec![
        ("rerun_of", issue.to_owned()),
        ("parent backfill", id.to_owned()),
        ("parent status", detail.status.clone()),
    ];
    if !TERMINAL_BACKFILL.contains(&detail.status.as_str()) {
        return Err(Error::rejected(format!(
            "backfill {id} of request {issue} is still {}: re-execute it once it has ended",
            detail.status
        )));
    }
    let mut params = Map::new();
    let keys: Vec<String> = if detail.is_asset_backfill {
        facts.push(("assets", detail.assets.join(", ")));
        params.insert(
            "assetSelection".into(),
            Value::Array(
                detail
                    .assets
                    .iter()
                    .map(|k| json!({ "path": k.split('/').collect::<Vec<_>>() }))
                    .collect(),
            ),
        );
        let failed = api::find_runs(
            client,
            &[(tags::BACKFILL, id)],
            &["FAILURE", "CANCELED"],
            10_000,
        )?;
        let mut keys: Vec<String> = failed
            .iter()
            .filter_map(|r| api::tag(&r.tags, "dagster/partition").map(str::to_owned))
            .collect();
        keys.sort();
        keys.dedup();
        keys
    } else {
        let (Some(target), Some(set)) = (detail.target.clone(), detail.partition_set.clone())
        else {
            return Err(Error::rejected(format!(
                "backfill {id} of request {issue}: Dagster did not say where it ran"
            )));
        };
        facts.extend(where_facts(&target));
        params.insert(
            "selector".into(),
            json!({ "partitionSetName": set, "repositorySelector": target.repository_selector() }),
        );
        let unfinished: Vec<&(String, Option<String>)> = detail
            .partitions
            .iter()
            .filter(|(_, status)| status.as_deref() != Some("SUCCESS"))
            .collect();
        // With fromFailure Dagster re-executes each partition's last run from
        // its failed step, but skips a partition whose last run did not FAIL
        // (cancelled, never run): those are only covered by a full run.
        let from_failure = unfinished
            .iter()
            .all(|(_, status)| status.as_deref() == Some("FAILURE"));
        params.insert("fromFailure".into(), from_failure.into());
        facts.push(("from failure", from_failure.to_string()));
        unfinished.into_iter().map(|(k, _)| k.clone()).collect()
    };
    let action = if keys.is_empty() {
        Action::Nothing(format!(
            "backfill {id} of request {issue} has no failed partition: nothing to re-execute"
        ))
    } else {
        params.insert("partitionNames".into(), json!(keys));
        Action::Backfill(backfill_params(spec, &tags, params))
    };
    Ok(Plan {
        kind: "reexecute",
        facts,
        keys,
        tags,
        action,
    })
}

impl Plan {
    /// The plan for people (`--dry-run`, human format).
    pub fn to_text(&self) -> String {
        const LISTED: usize = 1000;
        let mut out = match &self.action {
            Action::Nothing(why) => format!("would launch nothing: {why}\n"),
            _ => format!("would launch: {}\n", self.kind),
        };
        for (label, value) in &self.facts {
            out.push_str(&format!("  {:<16}{value}\n", format!("{label}:")));
        }
        if !self.keys.is_empty() {
            out.push_str(&format!("  {:<16}{}\n", "partitions:", self.keys.len()));
            let listed: Vec<&String> = if self.keys.len() <= LISTED {
                self.keys.iter().collect()
            } else {
                self.keys
                    .iter()
                    .take(10)
                    .chain(self.keys.iter().skip(self.keys.len() - 10))
                    .collect()
            };
            for (i, key) in listed.iter().enumerate() {
                if self.keys.len() > LISTED && i == 10 {
                    out.push_str(&format!("    ... {} more ...\n", self.keys.len() - 20));
                }
                out.push_str(&format!("    {key}\n"));
            }
        }
        out.push_str("  tags:\n");
        for (k, v) in &self.tags {
            out.push_str(&format!("    {k}={v}\n"));
        }
        out
    }

    /// The plan as one JSON document (`--dry-run --log-format json`).
    pub fn to_json(&self) -> Value {
        let (mutation, variables) = match &self.action {
            Action::Backfill(p) => ("launchPartitionBackfill", p.clone()),
            Action::Run(p) => ("launchRun", p.clone()),
            Action::ReexecuteRun(p) => ("launchRunReexecution", p.clone()),
            Action::Nothing(why) => ("none", Value::String(why.clone())),
        };
        let facts: Map<String, Value> = self
            .facts
            .iter()
            .map(|(k, v)| (k.replace(' ', "_"), Value::String(v.clone())))
            .collect();
        json!({
            "kind": self.kind,
            "target": facts,
            "partition_count": self.keys.len(),
            "partitions": self.keys,
            "tags": self.tags.iter().map(|(k, v)| json!({ "key": k, "value": v })).collect::<Vec<_>>(),
            "mutation": mutation,
            "variables": variables,
        })
    }
}

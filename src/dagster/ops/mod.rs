//! The Dagster GraphQL operations the runner uses, with typed answers.
//!
//! Each function sends one verified document (`src/queries/*.graphql`,
//! checked against the pinned Dagster's schema by the test suite) and turns
//! the answer's union (`__typename`) into a Rust value or an [`Error`] with
//! the right exit status. Fields are optional where Dagster may leave them
//! out, so an odd answer becomes an error message, never a panic.

use std::collections::BTreeMap;

use serde::Deserialize;
use serde_json::{Value, json};

use crate::exit::Error;
use crate::graphql::{Client, MutationError};

/// One tag, as Dagster lists them.
#[derive(Clone, Debug, Deserialize, PartialEq, Eq)]
pub struct Tag {
    /// Key.
    pub key: String,
    /// Value.
    pub value: String,
}

/// The value of tag `key` in `tags`.
pub fn tag<'a>(tags: &'a [Tag], key: &str) -> Option<&'a str> {
    tags.iter().find(|t| t.key == key).map(|t| t.value.as_str())
}

#[derive(Deserialize)]
struct Named {
    name: String,
}

#[derive(Deserialize)]
struct Message {
    message: Option<String>,
}

fn message(typename: &str, message: Option<String>) -> String {
    match message {
        Some(m) => format!("{typename}: {}", m.trim_end()),
        None => typename.to_owned(),
    }
}

// ---------------------------------------------------------------- repositories

/// A repository in a code location, with its job names.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Repository {
    /// The code location's name.
    pub location: String,
    /// The repository's name (`__repository__` for a `Definitions` object).
    pub name: String,
    /// Its jobs.
    pub jobs: Vec<String>,
}

/// Every repository of the workspace.
pub fn repositories(client: &Client) -> Result<Vec<Repository>, Error> {
    #[derive(Deserialize)]
    #[serde(rename_all = "camelCase")]
    struct Data {
        repositories_or_error: Answer,
    }
    #[derive(Deserialize)]
    struct Answer {
        #[serde(rename = "__typename")]
        typename: String,
        nodes: Option<Vec<Node>>,
        message: Option<String>,
    }
    #[derive(Deserialize)]
    struct Node {
        name: String,
        location: Named,
        jobs: Vec<Named>,
    }
    let data: Data = client.query(
        "listing repositories",
        include_str!("queries/repositories.graphql"),
        json!({}),
    )?;
    let answer = data.repositories_or_error;
    let nodes = answer.nodes.ok_or_else(|| {
        Error::rejected(format!(
            "listing repositories: {}",
            message(&answer.typename, answer.message)
        ))
    })?;
    Ok(nodes
        .into_iter()
        .map(|n| Repository {
            location: n.location.name,
            name: n.name,
            jobs: n.jobs.into_iter().map(|j| j.name).collect(),
        })
        .collect())
}

// ---------------------------------------------------------------- partitions

/// Where a job lives: what every Dagster selector needs.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Target {
    /// Code location name.
    pub location: String,
    /// Repository name.
    pub repository: String,
    /// Job name.
    pub job: String,
}

impl Target {
    /// The `RepositorySelector` input.
    pub fn repository_selector(&self) -> Value {
        json!({ "repositoryLocationName": self.location, "repositoryName": self.repository })
    }
}

/// The partition keys of a job or asset, and its dimension names.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Partitions {
    /// Every key, as Dagster lists them.
    pub keys: Vec<String>,
    /// Dimension names in key order (sorted), for multi-partitioned definitions;
    /// empty for a single dimension.
    pub dimensions: Vec<String>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct PipelineData {
    pipeline_or_error: PipelineAnswer,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct PipelineAnswer {
    #[serde(rename = "__typename")]
    typename: String,
    partition_keys_or_error: Option<Keys>,
    partition: Option<PartitionTags>,
    message: Option<String>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct Keys {
    partition_keys: Vec<String>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct PartitionTags {
    tags_or_error: TagsOrError,
}

#[derive(Deserialize)]
struct TagsOrError {
    #[serde(rename = "__typename")]
    typename: String,
    results: Option<Vec<Tag>>,
    message: Option<String>,
}

fn pipeline(
    client: &Client,
    target: &Target,
    partition: Option<&str>,
) -> Result<PipelineAnswer, Error> {
    let what = format!("reading the partitions of job {}", target.job);
    let variables = json!({
        "selector": {
            "repositoryLocationName": target.location,
            "repositoryName": target.repository,
            "pipelineName": target.job,
        },
        "partitionName": partition.unwrap_or(""),
        "withTags": partition.is_some(),
    });
    let data: PipelineData = client.query(
        &what,
        include_str!("queries/job_partitions.graphql"),
        variables,
    )?;
    let answer = data.pipeline_or_error;
    if answer.typename != "Pipeline" {
        return Err(Error::rejected(format!(
            "{what}: {}",
            message(&answer.typename, answer.message)
        )));
    }
    Ok(answer)
}

/// The partition keys of a job (none for an unpartitioned job).
pub fn job_partitions(client: &Client, target: &Target) -> Result<Partitions, Error> {
    let keys = pipeline(client, target, None)?
        .partition_keys_or_error
        .map(|k| k.partition_keys)
        .ok_or_else(|| {
            Error::unreachable(format!(
                "job {}: the answer has no partitionKeysOrError",
                target.job
            ))
        })?;
    let Some(first) = keys.first() else {
        return Ok(Partitions::default());
    };
    if !first.contains('|') {
        return Ok(Partitions {
            keys,
            dimensions: Vec::new(),
        });
    }
    let mut dimensions: Vec<String> = partition_tags(client, target, first)?
        .into_iter()
        .filter_map(|t| t.key.strip_prefix("dagster/partition/").map(str::to_owned))
        .collect();
    dimensions.sort();
    Ok(Partitions { keys, dimensions })
}

/// The tags Dagster itself puts on a run of partition `key` of a job
/// (`dagster/partition`, `dagster/partition/<dimension>`, `dagster/partition_set`).
pub fn partition_tags(client: &Client, target: &Target, key: &str) -> Result<Vec<Tag>, Error> {
    let what = format!("job {} partition {key}", target.job);
    let tags = pipeline(client, target, Some(key))?
        .partition
        .map(|p| p.tags_or_error)
        .ok_or_else(|| Error::rejected(format!("{what}: Dagster has no such partition")))?;
    tags.results.ok_or_else(|| {
        Error::rejected(format!("{what}: {}", message(&tags.typename, tags.message)))
    })
}

/// The partition keys of an asset, `None` when it is not partitioned.
pub fn asset_partitions(client: &Client, asset: &str) -> Result<Option<Partitions>, Error> {
    #[derive(Deserialize)]
    #[serde(rename_all = "camelCase")]
    struct Data {
        asset_node_or_error: Answer,
    }
    #[derive(Deserialize)]
    #[serde(rename_all = "camelCase")]
    struct Answer {
        #[serde(rename = "__typename")]
        typename: String,
        is_partitioned: Option<bool>,
        partition_keys: Option<Vec<String>>,
        partition_definition: Option<Definition>,
        message: Option<String>,
    }
    #[derive(Deserialize)]
    #[serde(rename_all = "camelCase")]
    struct Definition {
        dimension_types: Vec<Named>,
    }
    let what = format!("reading asset {asset}");
    let path: Vec<&str> = asset.split('/').collect();
    let data: Data = client.query(
        &what,
        include_str!("queries/asset_partitions.graphql"),
        json!({ "assetKey": { "path": path } }),
    )?;
    let answer = data.asset_node_or_error;
    if answer.typename != "AssetNode" {
        return Err(Error::rejected(format!(
            "{what}: {}",
            message(&answer.typename, answer.message)
        )));
    }
    if answer.is_partitioned != Some(true) {
        return Ok(None);
    }
    let keys = answer.partition_keys.unwrap_or_default();
    let mut dimensions: Vec<String> = answer
        .partition_definition
        .map(|d| d.dimension_types.into_iter().map(|n| n.name).collect())
        .unwrap_or_default();
    if dimensions.len() < 2 {
        dimensions.clear();
    }
    dimensions.sort();
    Ok(Some(Partitions { keys, dimensions }))
}

// ---------------------------------------------------------------- lookups by tag

/// A backfill or run found by its tags.
#[derive(Clone, Debug, PartialEq)]
pub struct Found {
    /// Backfill id or run id.
    pub id: String,
    /// Creation time, Unix seconds.
    pub created: f64,
    /// Status (`BulkActionStatus` or `RunStatus`).
    pub status: String,
    /// Its tags.
    pub tags: Vec<Tag>,
}

fn tag_list(tags: &[(&str, &str)]) -> Value {
    Value::Array(
        tags.iter()
            .map(|(k, v)| json!({ "key": k, "value": v }))
            .collect(),
    )
}

/// Backfills carrying every one of `tags`, oldest first.
pub fn find_backfills(client: &Client, tags: &[(&str, &str)]) -> Result<Vec<Found>, Error> {
    #[derive(Deserialize)]
    #[serde(rename_all = "camelCase")]
    struct Data {
        runs_feed_or_error: Answer,
    }
    #[derive(Deserialize)]
    struct Answer {
        #[serde(rename = "__typename")]
        typename: String,
        results: Option<Vec<Entry>>,
        message: Option<String>,
    }
    #[derive(Deserialize)]
    #[serde(rename_all = "camelCase")]
    struct Entry {
        #[serde(rename = "__typename")]
        typename: String,
        id: String,
        creation_time: f64,
        tags: Vec<Tag>,
        status: Option<String>,
    }
    let what = "looking up backfills by tag";
    let data: Data = client.query(
        what,
        include_str!("queries/find_backfills.graphql"),
        json!({ "tags": tag_list(tags), "limit": 50 }),
    )?;
    let answer = data.runs_feed_or_error;
    let results = answer.results.ok_or_else(|| {
        Error::unreachable(format!(
            "{what}: {}",
            message(&answer.typename, answer.message)
        ))
    })?;
    let mut found: Vec<Found> = results
        .into_iter()
        .filter(|e| e.typename == "PartitionBackfill")
        .map(|e| Found {
            id: e.id,
            created: e.creation_time,
            status: e.status.unwrap_or_default(),
            tags: e.tags,
        })
        .collect();
    found.sort_by(|a, b| a.created.total_cmp(&b.created));
    Ok(found)
}

/// Runs carrying every one of `tags` (and one of `statuses`, if given), oldest first.
pub fn find_runs(
    client: &Client,
    tags: &[(&str, &str)],
    statuses: &[&str],
    limit: u32,
) -> Result<Vec<Found>, Error> {
    #[derive(Deserialize)]
    #[serde(rename_all = "camelCase")]
    struct Data {
        runs_or_error: Answer,
    }
    #[derive(Deserialize)]
    struct Answer {
        #[serde(rename = "__typename")]
        typename: String,
        results: Option<Vec<RunEntry>>,
        message: Option<String>,
    }
    #[derive(Deserialize)]
    #[serde(rename_all = "camelCase")]
    struct RunEntry {
        run_id: String,
        status: String,
        creation_time: f64,
        tags: Vec<Tag>,
    }
    let what = "looking up runs by tag";
    let mut filter = json!({ "tags": tag_list(tags) });
    if !statuses.is_empty() {
        filter["statuses"] = json!(statuses);
    }
    let data: Data = client.query(
        what,
        include_str!("queries/find_runs.graphql"),
        json!({ "filter": filter, "limit": limit }),
    )?;
    let answer = data.runs_or_error;
    let results = answer.results.ok_or_else(|| {
        Error::unreachable(format!(
            "{what}: {}",
            message(&answer.typename, answer.message)
        ))
    })?;
    let mut found: Vec<Found> = results
        .into_iter()
        .map(|r| Found {
            id: r.run_id,
            created: r.creation_time,
            status: r.status,
            tags: r.tags,
        })
        .collect();
    found.sort_by(|a, b| a.created.total_cmp(&b.created));
    Ok(found)
}

// ---------------------------------------------------------------- run config

/// Checks `config` (the spec's `run_config`, `{}` when it has none) against
/// the job's config schema, as `launchRun` does before launching; a refusal
/// is exit 3 with Dagster's messages.
pub fn validate_run_config(client: &Client, target: &Target, config: &Value) -> Result<(), Error> {
    #[derive(Deserialize)]
    #[serde(rename_all = "camelCase")]
    struct Data {
        is_pipeline_config_valid: Answer,
    }
    #[derive(Deserialize)]
    struct Answer {
        #[serde(rename = "__typename")]
        typename: String,
        message: Option<String>,
        errors: Option<Vec<Message>>,
    }
    let what = format!("validating the run config of job {}", target.job);
    let data: Data = client.query(
        &what,
        include_str!("queries/validate_run_config.graphql"),
        json!({
            "pipeline": {
                "repositoryLocationName": target.location,
                "repositoryName": target.repository,
                "pipelineName": target.job,
            },
            "runConfigData": config,
        }),
    )?;
    let a = data.is_pipeline_config_valid;
    if a.typename == "PipelineConfigValidationValid" {
        return Ok(());
    }
    let mut text = message(&a.typename, a.message);
    if let Some(errors) = a.errors {
        let lines: Vec<String> = errors.into_iter().filter_map(|e| e.message).collect();
        text = format!("{text}: {}", lines.join("; "));
    }
    Err(Error::rejected(format!("{what}: Dagster refused: {text}")))
}

// ---------------------------------------------------------------- launches

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct LaunchAnswer {
    #[serde(rename = "__typename")]
    typename: String,
    backfill_id: Option<String>,
    run: Option<LaunchedRun>,
    message: Option<String>,
    partition_keys: Option<Vec<String>>,
    errors: Option<Vec<Message>>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct LaunchedRun {
    run_id: String,
}

impl LaunchAnswer {
    /// The launched id, or why Dagster refused (nothing launched: exit 3).
    fn into_id(self, what: &str) -> Result<String, MutationError> {
        if let Some(id) = self.backfill_id.or(self.run.map(|r| r.run_id)) {
            return Ok(id);
        }
        let mut text = message(&self.typename, self.message);
        if let Some(keys) = self.partition_keys {
            text = format!("{text} (keys: {})", keys.join(", "));
        }
        if let Some(errors) = self.errors {
            let lines: Vec<String> = errors.into_iter().filter_map(|e| e.message).collect();
            text = format!("{text}: {}", lines.join("; "));
        }
        if self.typename.ends_with("Success") {
            return Err(MutationError::Unknown(format!(
                "{what}: Dagster reported success without an id"
            )));
        }
        Err(MutationError::Failed(Error::rejected(format!(
            "{what}: Dagster refused: {text}"
        ))))
    }
}

/// `launchPartitionBackfill`; the backfill id.
pub fn launch_backfill(client: &Client, params: Value) -> Result<String, MutationError> {
    launch(
        client,
        "launching the backfill",
        include_str!("queries/launch_backfill.graphql"),
        json!({ "backfillParams": params }),
    )
}

/// `launchRun`; the run id.
pub fn launch_run(client: &Client, params: Value) -> Result<String, MutationError> {
    launch(
        client,
        "launching the run",
        include_str!("queries/launch_run.graphql"),
        json!({ "executionParams": params }),
    )
}

/// `launchRunReexecution`; the new run's id.
pub fn reexecute_run(client: &Client, params: Value) -> Result<String, MutationError> {
    launch(
        client,
        "re-executing the run",
        include_str!("queries/reexecute_run.graphql"),
        json!({ "reexecutionParams": params }),
    )
}

/// Sends a mutation whose document selects one launch field, and reads the
/// launched id from that field's answer.
fn launch(
    client: &Client,
    what: &str,
    document: &str,
    variables: Value,
) -> Result<String, MutationError> {
    let data: BTreeMap<String, LaunchAnswer> = client.mutate(what, document, variables)?;
    match data.into_values().next() {
        Some(answer) => answer.into_id(what),
        None => Err(MutationError::Unknown(format!(
            "{what}: Dagster's answer holds no launch"
        ))),
    }
}

// ---------------------------------------------------------------- cancelling

/// Cancels a backfill (`cancelPartitionBackfill`) or terminates a run
/// (`terminateRun`); both are idempotent, so they are retried like queries.
/// The error is Dagster's answer or the transport's failure, as text.
pub fn cancel(client: &Client, backfill: bool, id: &str) -> Result<(), String> {
    #[derive(Deserialize)]
    struct Answer {
        #[serde(rename = "__typename")]
        typename: String,
        message: Option<String>,
    }
    let (what, document, variables) = if backfill {
        (
            format!("cancelling backfill {id}"),
            include_str!("queries/cancel_backfill.graphql"),
            json!({ "backfillId": id }),
        )
    } else {
        (
            format!("terminating run {id}"),
            include_str!("queries/terminate_run.graphql"),
            json!({ "runId": id }),
        )
    };
    let data: BTreeMap<String, Answer> = client
        .query(&what, document, variables)
        .map_err(|e| e.message)?;
    match data.into_values().next() {
        Some(a) if a.typename.ends_with("Success") => Ok(()),
        Some(a) => Err(format!("{what}: {}", message(&a.typename, a.message))),
        None => Err(format!("{what}: Dagster's answer is empty")),
    }
}

// ---------------------------------------------------------------- status

/// How many partitions of a backfill are where.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Counts {
    /// Partitions in the backfill.
    pub total: u64,
    /// Succeeded (materialized).
    pub done: u64,
    /// Failed or cancelled.
    pub failed: u64,
    /// Queued, starting or running.
    pub in_progress: u64,
}

/// A backfill's status while it is followed.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Progress {
    /// `BulkActionStatus`.
    pub status: String,
    /// Where its partitions are.
    pub counts: Counts,
    /// The backfill's own error, if Dagster recorded one.
    pub error: Option<String>,
}

/// What a status query found.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Lookup<T> {
    /// The object.
    Found(T),
    /// Dagster says it does not exist (or failed to load it): the message.
    Missing(String),
}

/// The status and counts of a backfill.
pub fn backfill_progress(client: &Client, id: &str) -> Result<Lookup<Progress>, Error> {
    #[derive(Deserialize)]
    #[serde(rename_all = "camelCase")]
    struct Data {
        partition_backfill_or_error: Answer,
    }
    #[derive(Deserialize)]
    #[serde(rename_all = "camelCase")]
    struct Answer {
        #[serde(rename = "__typename")]
        typename: String,
        status: Option<String>,
        num_partitions: Option<u64>,
        partition_status_counts: Option<Vec<StatusCount>>,
        asset_backfill_data: Option<AssetData>,
        error: Option<Message>,
        message: Option<String>,
    }
    #[derive(Deserialize)]
    #[serde(rename_all = "camelCase")]
    struct StatusCount {
        run_status: String,
        count: u64,
    }
    #[derive(Deserialize)]
    #[serde(rename_all = "camelCase")]
    struct AssetData {
        asset_backfill_statuses: Vec<AssetStatus>,
    }
    #[derive(Deserialize)]
    #[serde(rename_all = "camelCase")]
    struct AssetStatus {
        num_partitions_targeted: Option<u64>,
        num_partitions_in_progress: Option<u64>,
        num_partitions_materialized: Option<u64>,
        num_partitions_failed: Option<u64>,
        in_progress: Option<bool>,
        materialized: Option<bool>,
        failed: Option<bool>,
    }
    let what = format!("reading backfill {id}");
    let data: Data = client.query(
        &what,
        include_str!("queries/backfill_progress.graphql"),
        json!({ "backfillId": id }),
    )?;
    let a = data.partition_backfill_or_error;
    let Some(status) = a.status else {
        return Ok(Lookup::Missing(message(&a.typename, a.message)));
    };
    let mut counts = Counts {
        total: a.num_partitions.unwrap_or(0),
        ..Counts::default()
    };
    if let Some(assets) = a.asset_backfill_data {
        let mut total = 0;
        for s in assets.asset_backfill_statuses {
            let flag = |b: Option<bool>| u64::from(b.unwrap_or(false));
            total += s.num_partitions_targeted.unwrap_or(1);
            counts.done += s
                .num_partitions_materialized
                .unwrap_or_else(|| flag(s.materialized));
            counts.failed += s.num_partitions_failed.unwrap_or_else(|| flag(s.failed));
            counts.in_progress += s
                .num_partitions_in_progress
                .unwrap_or_else(|| flag(s.in_progress));
        }
        counts.total = counts.total.max(total);
    } else {
        for c in a.partition_status_counts.unwrap_or_default() {
            match classify_run(&c.run_status) {
                RunClass::Succeeded => counts.done += c.count,
                RunClass::Failed => counts.failed += c.count,
                RunClass::InProgress => counts.in_progress += c.count,
                RunClass::NotStarted => {}
            }
        }
    }
    Ok(Lookup::Found(Progress {
        status,
        counts,
        error: a.error.and_then(|e| e.message),
    }))
}

/// What a run status means for the request.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RunClass {
    /// `SUCCESS`.
    Succeeded,
    /// `FAILURE`, `CANCELED`.
    Failed,
    /// Queued, starting, started, cancelling.
    InProgress,
    /// Not started (or a status this runner does not know).
    NotStarted,
}

/// Classifies a `RunStatus`.
pub fn classify_run(status: &str) -> RunClass {
    match status {
        "SUCCESS" => RunClass::Succeeded,
        "FAILURE" | "CANCELED" => RunClass::Failed,
        "QUEUED" | "STARTING" | "STARTED" | "CANCELING" | "MANAGED" => RunClass::InProgress,
        _ => RunClass::NotStarted,
    }
}

/// A backfill's targets and per-partition results, read once.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Detail {
    /// `BulkActionStatus`.
    pub status: String,
    /// Whether it is an asset backfill.
    pub is_asset_backfill: bool,
    /// Where a job backfill ran.
    pub target: Option<Target>,
    /// The partition set of a job backfill.
    pub partition_set: Option<String>,
    /// The assets of an asset backfill, `/`-joined.
    pub assets: Vec<String>,
    /// Latest run status per partition (job backfills), `None` when never run.
    pub partitions: Vec<(String, Option<String>)>,
}

/// The detail of a backfill.
pub fn backfill_detail(client: &Client, id: &str) -> Result<Lookup<Detail>, Error> {
    #[derive(Deserialize)]
    #[serde(rename_all = "camelCase")]
    struct Data {
        partition_backfill_or_error: Answer,
    }
    #[derive(Deserialize)]
    #[serde(rename_all = "camelCase")]
    struct Answer {
        #[serde(rename = "__typename")]
        typename: String,
        status: Option<String>,
        is_asset_backfill: Option<bool>,
        job_name: Option<String>,
        partition_set_name: Option<String>,
        partition_set: Option<PartitionSet>,
        asset_selection: Option<Vec<AssetKey>>,
        partition_statuses: Option<Statuses>,
        message: Option<String>,
    }
    #[derive(Deserialize)]
    #[serde(rename_all = "camelCase")]
    struct PartitionSet {
        repository_origin: Origin,
    }
    #[derive(Deserialize)]
    #[serde(rename_all = "camelCase")]
    struct Origin {
        repository_location_name: String,
        repository_name: String,
    }
    #[derive(Deserialize)]
    struct AssetKey {
        path: Vec<String>,
    }
    #[derive(Deserialize)]
    struct Statuses {
        results: Vec<PartitionStatus>,
    }
    #[derive(Deserialize)]
    #[serde(rename_all = "camelCase")]
    struct PartitionStatus {
        partition_name: String,
        run_status: Option<String>,
    }
    let what = format!("reading backfill {id}");
    let data: Data = client.query(
        &what,
        include_str!("queries/backfill_detail.graphql"),
        json!({ "backfillId": id }),
    )?;
    let a = data.partition_backfill_or_error;
    let Some(status) = a.status else {
        return Ok(Lookup::Missing(message(&a.typename, a.message)));
    };
    let target = match (a.partition_set, a.job_name) {
        (Some(set), Some(job)) => Some(Target {
            location: set.repository_origin.repository_location_name,
            repository: set.repository_origin.repository_name,
            job,
        }),
        _ => None,
    };
    Ok(Lookup::Found(Detail {
        status,
        is_asset_backfill: a.is_asset_backfill.unwrap_or(false),
        target,
        partition_set: a.partition_set_name,
        assets: a
            .asset_selection
            .unwrap_or_default()
            .into_iter()
            .map(|k| k.path.join("/"))
            .collect(),
        partitions: a
            .partition_statuses
            .map(|s| {
                s.results
                    .into_iter()
                    .map(|p| (p.partition_name, p.run_status))
                    .collect()
            })
            .unwrap_or_default(),
    }))
}

/// A run's status.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RunState {
    /// `RunStatus`.
    pub status: String,
    /// The job it ran.
    pub job: String,
    /// Its tags.
    pub tags: Vec<Tag>,
}

/// The status of a run.
pub fn run_status(client: &Client, id: &str) -> Result<Lookup<RunState>, Error> {
    #[derive(Deserialize)]
    #[serde(rename_all = "camelCase")]
    struct Data {
        run_or_error: Answer,
    }
    #[derive(Deserialize)]
    #[serde(rename_all = "camelCase")]
    struct Answer {
        #[serde(rename = "__typename")]
        typename: String,
        status: Option<String>,
        job_name: Option<String>,
        tags: Option<Vec<Tag>>,
        message: Option<String>,
    }
    let what = format!("reading run {id}");
    let data: Data = client.query(
        &what,
        include_str!("queries/run_status.graphql"),
        json!({ "runId": id }),
    )?;
    let a = data.run_or_error;
    match a.status {
        Some(status) => Ok(Lookup::Found(RunState {
            status,
            job: a.job_name.unwrap_or_default(),
            tags: a.tags.unwrap_or_default(),
        })),
        None => Ok(Lookup::Missing(message(&a.typename, a.message))),
    }
}

/// The daemons Dagster reports as not healthy, among `wanted`; `None` when
/// the instance does not say (an older or managed deployment).
pub fn unhealthy_daemons(client: &Client, wanted: &[&str]) -> Option<Vec<String>> {
    #[derive(Deserialize)]
    struct Data {
        instance: Instance,
    }
    #[derive(Deserialize)]
    #[serde(rename_all = "camelCase")]
    struct Instance {
        run_queuing_supported: Option<bool>,
        daemon_health: Health,
    }
    #[derive(Deserialize)]
    #[serde(rename_all = "camelCase")]
    struct Health {
        all_daemon_statuses: Vec<Daemon>,
    }
    #[derive(Deserialize)]
    #[serde(rename_all = "camelCase")]
    struct Daemon {
        daemon_type: String,
        healthy: Option<bool>,
    }
    let data: Data = client
        .query(
            "checking Dagster's daemons",
            include_str!("queries/daemon_health.graphql"),
            json!({}),
        )
        .ok()?;
    let daemons = data.instance.daemon_health.all_daemon_statuses;
    let queuing = data.instance.run_queuing_supported.unwrap_or(false);
    Some(
        wanted
            .iter()
            .filter(|w| **w != "QUEUED_RUN_COORDINATOR" || queuing)
            .filter(|w| {
                !daemons
                    .iter()
                    .any(|d| d.daemon_type == **w && d.healthy == Some(true))
            })
            .map(|w| (*w).to_owned())
            .collect(),
    )
}

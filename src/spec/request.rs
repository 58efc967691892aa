//! The four requests a spec can make, one struct each: what a backfill, a
//! job run, an asset backfill and a re-execution are written with.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use super::examples;
use super::fields::{non_empty_unique, present};
use super::kind::{AssetBackfillKind, BackfillKind, ReexecuteKind, RunKind};
use super::options::{MaxConcurrentRuns, OnOverlap, Reprocess};
use super::overrides::Overrides;
use super::run_tags::RunTags;
use super::strings::{AssetKey, IssueRef, JobName, LocationName};
use super::tags::{AuditTags, PartitionedTags, RunConfig, RunRequestTags};

/// A partition backfill of one job: the seed's request.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
#[schemars(title = "Backfill", example = examples::backfill())]
pub struct Backfill {
    /// Kind of request
    ///
    /// `backfill` launches a partition backfill of a job. It is the default, so it may be left out.
    #[serde(
        default,
        deserialize_with = "present",
        skip_serializing_if = "Option::is_none"
    )]
    #[schemars(with = "BackfillKind", example = &"backfill")]
    pub kind: Option<BackfillKind>,
    /// Job
    ///
    /// The Dagster job to backfill, as named in its code location.
    #[schemars(example = &"ingestion_job")]
    pub job_name: JobName,
    /// Code location or repository
    ///
    /// Where the job lives: a code location name (the usual case with `Definitions`), a repository name, or `repository@location`. Leave it out when the job name is unique across the deployment.
    #[serde(
        default,
        deserialize_with = "present",
        skip_serializing_if = "Option::is_none"
    )]
    #[schemars(with = "LocationName", example = &"luchtmeetnet_ingestion")]
    pub repository_name: Option<LocationName>,
    /// Request tags
    ///
    /// The issue this request answers, who asked and why, and which partitions to backfill.
    #[schemars(example = examples::partitioned_tags())]
    pub tags: PartitionedTags,
    /// Run config
    ///
    /// Run config applied to every run of the backfill, as Dagster's launchpad takes it.
    #[serde(
        default,
        deserialize_with = "present",
        skip_serializing_if = "Option::is_none"
    )]
    #[schemars(with = "RunConfig", example = examples::run_config())]
    pub run_config: Option<RunConfig>,
    /// Extra run tags
    ///
    /// Tags added to every run Dagster launches for this request. Keys starting with `dagster` are reserved, except Dagster's own `dagster/priority`, `dagster/max_runtime`, `dagster/max_retries`, `dagster/retry_strategy` and (when the settings allow it) `dagster-k8s/config`.
    #[serde(
        default,
        deserialize_with = "present",
        skip_serializing_if = "Option::is_none"
    )]
    #[schemars(with = "RunTags", example = examples::run_tags())]
    pub run_tags: Option<RunTags>,
    /// Reprocess
    ///
    /// Which of the selected partitions to launch: `all` (the default), `missing` (never materialized, or whose latest run failed) or `failed` (whose latest run failed), as Dagster's partition statuses say when the runner starts. Nothing to do is a success.
    #[serde(
        default,
        deserialize_with = "present",
        skip_serializing_if = "Option::is_none"
    )]
    #[schemars(with = "Reprocess", example = &"missing")]
    pub reprocess: Option<Reprocess>,
    /// Overlapping backfills
    ///
    /// What to do when backfills already in flight target the same partitions: `wait` until they end (the default, or the settings' `[runner] on_overlap`), `refuse` (launch nothing, exit 3) or `allow`.
    #[serde(
        default,
        deserialize_with = "present",
        skip_serializing_if = "Option::is_none"
    )]
    #[schemars(with = "OnOverlap", example = &"wait")]
    pub on_overlap: Option<OnOverlap>,
    /// Concurrent runs
    ///
    /// At most this many of the request's runs queued or in progress at once, whatever the instance's own limits: the runner launches the partitions itself, one run each, instead of one Dagster backfill (see the README).
    #[serde(
        default,
        deserialize_with = "present",
        skip_serializing_if = "Option::is_none"
    )]
    #[schemars(with = "MaxConcurrentRuns", example = &4)]
    pub max_concurrent_runs: Option<MaxConcurrentRuns>,
    /// Job overrides
    ///
    /// Per-request overrides of the rendered Kubernetes Job: image tag, resources, deadline.
    #[serde(
        default,
        deserialize_with = "present",
        skip_serializing_if = "Option::is_none"
    )]
    #[schemars(with = "Overrides", example = examples::overrides())]
    pub overrides: Option<Overrides>,
}

/// One run of a job, with run config and an optional partition.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
#[schemars(title = "Job run", example = examples::run())]
pub struct JobRun {
    /// Kind of request
    ///
    /// `run` launches one run of a job.
    #[schemars(example = &"run")]
    pub kind: RunKind,
    /// Job
    ///
    /// The Dagster job to run, as named in its code location.
    #[schemars(example = &"cleanup_job")]
    pub job_name: JobName,
    /// Code location or repository
    ///
    /// Where the job lives: a code location name (the usual case with `Definitions`), a repository name, or `repository@location`. Leave it out when the job name is unique across the deployment.
    #[serde(
        default,
        deserialize_with = "present",
        skip_serializing_if = "Option::is_none"
    )]
    #[schemars(with = "LocationName", example = &"luchtmeetnet_ingestion")]
    pub repository_name: Option<LocationName>,
    /// Request tags
    ///
    /// The issue this request answers, who asked and why, and optionally the one partition to run.
    #[schemars(example = examples::run_request_tags())]
    pub tags: RunRequestTags,
    /// Run config
    ///
    /// The run's config, as Dagster's launchpad takes it.
    #[serde(
        default,
        deserialize_with = "present",
        skip_serializing_if = "Option::is_none"
    )]
    #[schemars(with = "RunConfig", example = examples::run_config())]
    pub run_config: Option<RunConfig>,
    /// Extra run tags
    ///
    /// Tags added to the run. Keys starting with `dagster` are reserved, except Dagster's own `dagster/priority`, `dagster/max_runtime`, `dagster/max_retries`, `dagster/retry_strategy` and (when the settings allow it) `dagster-k8s/config`.
    #[serde(
        default,
        deserialize_with = "present",
        skip_serializing_if = "Option::is_none"
    )]
    #[schemars(with = "RunTags", example = examples::run_tags())]
    pub run_tags: Option<RunTags>,
    /// Job overrides
    ///
    /// Per-request overrides of the rendered Kubernetes Job: image tag, resources, deadline.
    #[serde(
        default,
        deserialize_with = "present",
        skip_serializing_if = "Option::is_none"
    )]
    #[schemars(with = "Overrides", example = examples::overrides())]
    pub overrides: Option<Overrides>,
}

/// A backfill of assets over a set of partitions.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
#[schemars(title = "Asset backfill", example = examples::asset_backfill())]
pub struct AssetBackfill {
    /// Kind of request
    ///
    /// `asset_backfill` materialises assets over partitions.
    #[schemars(example = &"asset_backfill")]
    pub kind: AssetBackfillKind,
    /// Assets
    ///
    /// The asset keys to materialise, path parts joined with `/`.
    #[schemars(length(min = 1), extend("uniqueItems" = true), example = examples::assets())]
    #[serde(deserialize_with = "non_empty_unique")]
    pub assets: Vec<AssetKey>,
    /// Request tags
    ///
    /// The issue this request answers, who asked and why, and which partitions to materialise.
    #[schemars(example = examples::partitioned_tags())]
    pub tags: PartitionedTags,
    /// Extra run tags
    ///
    /// Tags added to every run Dagster launches for this request. Keys starting with `dagster` are reserved, except Dagster's own `dagster/priority`, `dagster/max_runtime`, `dagster/max_retries`, `dagster/retry_strategy` and (when the settings allow it) `dagster-k8s/config`.
    #[serde(
        default,
        deserialize_with = "present",
        skip_serializing_if = "Option::is_none"
    )]
    #[schemars(with = "RunTags", example = examples::run_tags())]
    pub run_tags: Option<RunTags>,
    /// Reprocess
    ///
    /// Which of the selected partitions to launch: `all` (the default), `missing` (never materialized, or whose latest run failed) or `failed` (whose latest run failed), as Dagster's partition statuses say when the runner starts. Nothing to do is a success.
    #[serde(
        default,
        deserialize_with = "present",
        skip_serializing_if = "Option::is_none"
    )]
    #[schemars(with = "Reprocess", example = &"missing")]
    pub reprocess: Option<Reprocess>,
    /// Overlapping backfills
    ///
    /// What to do when backfills already in flight target the same partitions: `wait` until they end (the default, or the settings' `[runner] on_overlap`), `refuse` (launch nothing, exit 3) or `allow`.
    #[serde(
        default,
        deserialize_with = "present",
        skip_serializing_if = "Option::is_none"
    )]
    #[schemars(with = "OnOverlap", example = &"wait")]
    pub on_overlap: Option<OnOverlap>,
    /// Concurrent runs
    ///
    /// Not supported on asset backfills: `check` refuses it (the runner paces a job's partitions); request a backfill of the assets' job instead.
    #[serde(
        default,
        deserialize_with = "present",
        skip_serializing_if = "Option::is_none"
    )]
    #[schemars(with = "MaxConcurrentRuns", example = &4)]
    pub max_concurrent_runs: Option<MaxConcurrentRuns>,
    /// Job overrides
    ///
    /// Per-request overrides of the rendered Kubernetes Job: image tag, resources, deadline.
    #[serde(
        default,
        deserialize_with = "present",
        skip_serializing_if = "Option::is_none"
    )]
    #[schemars(with = "Overrides", example = examples::overrides())]
    pub overrides: Option<Overrides>,
}

/// Re-execution of the failed runs of an earlier request.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
#[schemars(title = "Re-execution", example = examples::reexecute())]
pub struct Reexecute {
    /// Kind of request
    ///
    /// `reexecute` re-executes, from failure, what an earlier request launched and did not finish.
    #[schemars(example = &"reexecute")]
    pub kind: ReexecuteKind,
    /// Earlier request
    ///
    /// The issue reference (`tags.name`) of the earlier request whose failed runs to re-execute.
    #[schemars(example = &"34543")]
    pub rerun_of: IssueRef,
    /// Request tags
    ///
    /// The issue this request answers, and who asked and why.
    #[schemars(example = examples::audit_tags())]
    pub tags: AuditTags,
    /// Job overrides
    ///
    /// Per-request overrides of the rendered Kubernetes Job: image tag, resources, deadline.
    #[serde(
        default,
        deserialize_with = "present",
        skip_serializing_if = "Option::is_none"
    )]
    #[schemars(with = "Overrides", example = examples::overrides())]
    pub overrides: Option<Overrides>,
}

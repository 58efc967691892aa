//! The requests a spec can make, one struct each: what a backfill, a job
//! run, an asset backfill, a re-execution, a cancellation and a
//! materialisation are written with.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use super::examples;
use super::fields::{present, present_unique};
use super::kind::{
    AssetBackfillKind, BackfillKind, CancelKind, MaterializeKind, ReexecuteKind, RunKind,
};
use super::options::{MaxConcurrentRuns, OnOverlap, Reprocess};
use super::overrides::Overrides;
use super::run_tags::RunTags;
use super::strings::{AssetKey, EnvironmentName, GroupName, IssueRef, JobName, LocationName};
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
    /// Which of the selected partitions to launch: `all` (the default), `missing` (never materialized, or whose latest run failed) or `failed` (whose latest run failed), as Dagster's partition statuses say when the runner starts (a canceled run counts as failed; a partition with a run in progress is not launched again). Nothing to do is a success.
    #[serde(
        default,
        deserialize_with = "present",
        skip_serializing_if = "Option::is_none"
    )]
    #[schemars(with = "Reprocess", example = &"missing")]
    pub reprocess: Option<Reprocess>,
    /// Overlapping backfills
    ///
    /// What to do when backfills (or requests the runner paces) already in flight target the same partitions: `wait` until they end (the default, or the settings' `[runner] on_overlap`), `refuse` (launch nothing, exit 3) or `allow`.
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
    #[schemars(with = "MaxConcurrentRuns", example = &4, range(max = u32::MAX))]
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
    /// Environment
    ///
    /// Where the request runs: one of the environments of dagster-scripts.toml (`[environments.<name>]`: its Dagster, namespace, image and output folder). Left out, the settings' `default_environment`. Not part of the request's identity, like `overrides`.
    #[serde(
        default,
        deserialize_with = "present",
        skip_serializing_if = "Option::is_none"
    )]
    #[schemars(with = "EnvironmentName", example = &"production")]
    pub environment: Option<EnvironmentName>,
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
    /// Environment
    ///
    /// Where the request runs: one of the environments of dagster-scripts.toml (`[environments.<name>]`: its Dagster, namespace, image and output folder). Left out, the settings' `default_environment`. Not part of the request's identity, like `overrides`.
    #[serde(
        default,
        deserialize_with = "present",
        skip_serializing_if = "Option::is_none"
    )]
    #[schemars(with = "EnvironmentName", example = &"production")]
    pub environment: Option<EnvironmentName>,
}

/// A backfill of assets over a set of partitions.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
#[schemars(title = "Asset backfill", example = examples::asset_backfill(), extend("anyOf" = examples::selection_rule()))]
pub struct AssetBackfill {
    /// Kind of request
    ///
    /// `asset_backfill` materialises assets over partitions.
    #[schemars(example = &"asset_backfill")]
    pub kind: AssetBackfillKind,
    /// Assets
    ///
    /// The asset keys to materialise, path parts joined with `/`. At least one of `assets`, `asset_groups` and `asset_prefixes` is given; the selection is every asset any of them names.
    #[serde(
        default,
        deserialize_with = "present_unique",
        skip_serializing_if = "Option::is_none"
    )]
    #[schemars(with = "Vec<AssetKey>", length(min = 1), extend("uniqueItems" = true), example = examples::assets())]
    pub assets: Option<Vec<AssetKey>>,
    /// Asset groups
    ///
    /// Every asset of these groups (Dagster's `group_name`), as the code location defines them when the runner starts. Each group must hold at least one asset.
    #[serde(
        default,
        deserialize_with = "present_unique",
        skip_serializing_if = "Option::is_none"
    )]
    #[schemars(with = "Vec<GroupName>", length(min = 1), extend("uniqueItems" = true), example = examples::asset_groups())]
    pub asset_groups: Option<Vec<GroupName>>,
    /// Asset key prefixes
    ///
    /// Every asset whose key starts with one of these prefixes (whole path parts, joined with `/`: `warehouse` selects `warehouse/weekly_report`, not `warehouse_old/x`). Each prefix must select at least one asset.
    #[serde(
        default,
        deserialize_with = "present_unique",
        skip_serializing_if = "Option::is_none"
    )]
    #[schemars(with = "Vec<AssetKey>", length(min = 1), extend("uniqueItems" = true), example = examples::asset_prefixes())]
    pub asset_prefixes: Option<Vec<AssetKey>>,
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
    /// Which of the selected partitions to launch: `all` (the default), `missing` (never materialized, or whose latest run failed) or `failed` (whose latest run failed), as Dagster's partition statuses say when the runner starts (a canceled run counts as failed; a partition with a run in progress is not launched again). Nothing to do is a success.
    #[serde(
        default,
        deserialize_with = "present",
        skip_serializing_if = "Option::is_none"
    )]
    #[schemars(with = "Reprocess", example = &"missing")]
    pub reprocess: Option<Reprocess>,
    /// Overlapping backfills
    ///
    /// What to do when backfills (or requests the runner paces) already in flight target the same partitions: `wait` until they end (the default, or the settings' `[runner] on_overlap`), `refuse` (launch nothing, exit 3) or `allow`.
    #[serde(
        default,
        deserialize_with = "present",
        skip_serializing_if = "Option::is_none"
    )]
    #[schemars(with = "OnOverlap", example = &"wait")]
    pub on_overlap: Option<OnOverlap>,
    /// Concurrent runs
    ///
    /// At most this many of the request's runs queued or in progress at once, whatever the instance's own limits: the runner launches each partition itself, as one run of the assets' implicit asset job, instead of one Dagster backfill (which also sets aside the assets' `backfill_policy`; see the README).
    #[serde(
        default,
        deserialize_with = "present",
        skip_serializing_if = "Option::is_none"
    )]
    #[schemars(with = "MaxConcurrentRuns", example = &4, range(max = u32::MAX))]
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
    /// Environment
    ///
    /// Where the request runs: one of the environments of dagster-scripts.toml (`[environments.<name>]`: its Dagster, namespace, image and output folder). Left out, the settings' `default_environment`. Not part of the request's identity, like `overrides`.
    #[serde(
        default,
        deserialize_with = "present",
        skip_serializing_if = "Option::is_none"
    )]
    #[schemars(with = "EnvironmentName", example = &"production")]
    pub environment: Option<EnvironmentName>,
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
    /// Environment
    ///
    /// Where the request runs: one of the environments of dagster-scripts.toml (`[environments.<name>]`: its Dagster, namespace, image and output folder). Left out, the settings' `default_environment`. Not part of the request's identity, like `overrides`.
    #[serde(
        default,
        deserialize_with = "present",
        skip_serializing_if = "Option::is_none"
    )]
    #[schemars(with = "EnvironmentName", example = &"production")]
    pub environment: Option<EnvironmentName>,
}

/// Cancellation of what an earlier request launched.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
#[schemars(title = "Cancellation", example = examples::cancel())]
pub struct Cancel {
    /// Kind of request
    ///
    /// `cancel` cancels every backfill and run an earlier request launched that has not ended, and waits until Dagster reports them cancelled.
    #[schemars(example = &"cancel")]
    pub kind: CancelKind,
    /// Earlier request
    ///
    /// The issue reference (`tags.name`) of the earlier request whose backfills and runs to cancel.
    #[schemars(example = &"34543")]
    pub cancel_of: IssueRef,
    /// Request tags
    ///
    /// The issue this cancellation answers, and who asked and why: the runner logs them with every cancellation, the audit trail of who stopped what.
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
    /// Environment
    ///
    /// Where the request runs: one of the environments of dagster-scripts.toml (`[environments.<name>]`: its Dagster, namespace, image and output folder). Left out, the settings' `default_environment`. Not part of the request's identity, like `overrides`.
    #[serde(
        default,
        deserialize_with = "present",
        skip_serializing_if = "Option::is_none"
    )]
    #[schemars(with = "EnvironmentName", example = &"production")]
    pub environment: Option<EnvironmentName>,
}

/// One run materialising assets, like "Materialize" in Dagster's UI.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
#[schemars(title = "Materialisation", example = examples::materialize(), extend("anyOf" = examples::selection_rule()))]
pub struct Materialize {
    /// Kind of request
    ///
    /// `materialize` launches one run of Dagster's asset job that materialises the selected assets, none of which may be partitioned (use `asset_backfill` for partitioned assets).
    #[schemars(example = &"materialize")]
    pub kind: MaterializeKind,
    /// Assets
    ///
    /// The asset keys to materialise, path parts joined with `/`. At least one of `assets`, `asset_groups` and `asset_prefixes` is given; the selection is every asset any of them names.
    #[serde(
        default,
        deserialize_with = "present_unique",
        skip_serializing_if = "Option::is_none"
    )]
    #[schemars(with = "Vec<AssetKey>", length(min = 1), extend("uniqueItems" = true), example = examples::assets())]
    pub assets: Option<Vec<AssetKey>>,
    /// Asset groups
    ///
    /// Every asset of these groups (Dagster's `group_name`), as the code location defines them when the runner starts. Each group must hold at least one asset.
    #[serde(
        default,
        deserialize_with = "present_unique",
        skip_serializing_if = "Option::is_none"
    )]
    #[schemars(with = "Vec<GroupName>", length(min = 1), extend("uniqueItems" = true), example = examples::asset_groups())]
    pub asset_groups: Option<Vec<GroupName>>,
    /// Asset key prefixes
    ///
    /// Every asset whose key starts with one of these prefixes (whole path parts, joined with `/`: `warehouse` selects `warehouse/weekly_report`, not `warehouse_old/x`). Each prefix must select at least one asset.
    #[serde(
        default,
        deserialize_with = "present_unique",
        skip_serializing_if = "Option::is_none"
    )]
    #[schemars(with = "Vec<AssetKey>", length(min = 1), extend("uniqueItems" = true), example = examples::asset_prefixes())]
    pub asset_prefixes: Option<Vec<AssetKey>>,
    /// Request tags
    ///
    /// The issue this request answers, and who asked and why.
    #[schemars(example = examples::audit_tags())]
    pub tags: AuditTags,
    /// Run config
    ///
    /// The run's config, as Dagster's launchpad takes it (an asset's config goes under `ops.<op name>.config`, the op named after the asset key, its parts joined with `__`: `ops.warehouse__station_catalog.config`). The runner has Dagster check it before launching.
    #[serde(
        default,
        deserialize_with = "present",
        skip_serializing_if = "Option::is_none"
    )]
    #[schemars(with = "RunConfig", example = examples::materialize_config())]
    pub run_config: Option<RunConfig>,
    /// Extra run tags
    ///
    /// Tags added to the run. Keys starting with `dagster` are reserved.
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
    /// Environment
    ///
    /// Where the request runs: one of the environments of dagster-scripts.toml (`[environments.<name>]`: its Dagster, namespace, image and output folder). Left out, the settings' `default_environment`. Not part of the request's identity, like `overrides`.
    #[serde(
        default,
        deserialize_with = "present",
        skip_serializing_if = "Option::is_none"
    )]
    #[schemars(with = "EnvironmentName", example = &"production")]
    pub environment: Option<EnvironmentName>,
}

/// What an asset request selects: listed keys, groups and key prefixes.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Selection<'a> {
    /// `assets`.
    pub assets: &'a [AssetKey],
    /// `asset_groups`.
    pub groups: &'a [GroupName],
    /// `asset_prefixes`.
    pub prefixes: &'a [AssetKey],
}

impl Selection<'_> {
    /// Whether nothing is selected (a spec the model refuses).
    pub fn is_empty(&self) -> bool {
        self.assets.is_empty() && self.groups.is_empty() && self.prefixes.is_empty()
    }

    /// The selection in words: `a, b, group reports, prefix warehouse/`.
    pub fn describe(&self) -> String {
        self.assets
            .iter()
            .map(|k| k.to_string())
            .chain(self.groups.iter().map(|g| format!("group {g}")))
            .chain(self.prefixes.iter().map(|p| format!("prefix {p}/")))
            .collect::<Vec<_>>()
            .join(", ")
    }
}

impl AssetBackfill {
    /// What the backfill selects.
    pub fn selection(&self) -> Selection<'_> {
        Selection {
            assets: self.assets.as_deref().unwrap_or_default(),
            groups: self.asset_groups.as_deref().unwrap_or_default(),
            prefixes: self.asset_prefixes.as_deref().unwrap_or_default(),
        }
    }
}

impl Materialize {
    /// What the run materialises.
    pub fn selection(&self) -> Selection<'_> {
        Selection {
            assets: self.assets.as_deref().unwrap_or_default(),
            groups: self.asset_groups.as_deref().unwrap_or_default(),
            prefixes: self.asset_prefixes.as_deref().unwrap_or_default(),
        }
    }
}

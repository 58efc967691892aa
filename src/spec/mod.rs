//! The request model: what one spec file asks Dagster to do.
//!
//! These types are the single source of truth. The JSON Schema that editors,
//! pre-commit and `check` use is generated from them (see `schema`), and the
//! runner deserialises the very same types from the ConfigMap it mounts. Both
//! the compiler and the runner build this module, so it depends on serde and
//! schemars only.
//!
//! The seed's form (no `kind`, the issue in `tags.name`, the partitions in
//! `tags.partitions`) is a backfill and stays valid forever. Every optional
//! field may be left out but not set to null, every mapping rejects unknown
//! keys, and every name must be non-empty: a typo is an error, never a silent
//! default.

mod date;
mod names;
pub mod resources;
mod strict;

use std::collections::BTreeMap;

use schemars::JsonSchema;
use serde::{Deserialize, Deserializer, Serialize};

pub use date::{Date, DateError};
pub use names::{
    AssetKey, Deadline, DimensionName, FullKey, ImageTag, IssueRef, JobName, LocationName,
    Quantity, TagKey, Text, Value, is_placeholder, text_problem,
};
pub use strict::Strict;

/// A request: one spec file, one Kubernetes Job, one launch in Dagster.
///
/// The `kind` key selects the variant; a file without `kind` is a backfill, so
/// the seed's example keeps its meaning.
#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(untagged)]
pub enum Spec {
    /// `kind: backfill` (or no `kind`): a partition backfill of a job.
    Backfill(Backfill),
    /// `kind: run`: one run of a job.
    Run(JobRun),
    /// `kind: asset_backfill`: a backfill of assets over partitions.
    AssetBackfill(AssetBackfill),
    /// `kind: reexecute`: re-execute the failed runs an earlier request launched.
    Reexecute(Reexecute),
}

/// The kinds of request, as written in the `kind` key.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Kind {
    /// A partition backfill of a job (the default).
    Backfill,
    /// One run of a job.
    Run,
    /// A backfill of assets.
    AssetBackfill,
    /// Re-execution of an earlier request's failed runs.
    Reexecute,
}

impl Kind {
    /// Every kind, in the order the docs list them.
    pub const ALL: [Kind; 4] = [
        Kind::Backfill,
        Kind::Run,
        Kind::AssetBackfill,
        Kind::Reexecute,
    ];

    /// The spelling used in specs, labels and file names.
    pub fn as_str(self) -> &'static str {
        match self {
            Kind::Backfill => "backfill",
            Kind::Run => "run",
            Kind::AssetBackfill => "asset_backfill",
            Kind::Reexecute => "reexecute",
        }
    }
}

impl std::fmt::Display for Kind {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

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
    /// Tags added to every run Dagster launches for this request. Keys starting with `dagster` are reserved.
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
    /// Tags added to every run Dagster launches for this request. Keys starting with `dagster` are reserved.
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

macro_rules! kind_marker {
    ($(#[$doc:meta])* $name:ident = $value:literal) => {
        $(#[$doc])*
        #[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
        pub enum $name {
            #[doc = concat!("`", $value, "`")]
            #[serde(rename = $value)]
            Only,
        }
    };
}

kind_marker!(
    /// The `kind` of a backfill: `backfill`.
    BackfillKind = "backfill"
);
kind_marker!(
    /// The `kind` of a job run: `run`.
    RunKind = "run"
);
kind_marker!(
    /// The `kind` of an asset backfill: `asset_backfill`.
    AssetBackfillKind = "asset_backfill"
);
kind_marker!(
    /// The `kind` of a re-execution: `reexecute`.
    ReexecuteKind = "reexecute"
);

/// The request's tags when it names partitions: who, why, and which partitions.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct PartitionedTags {
    /// Issue
    ///
    /// The issue or ticket that asked for this request. A number may be quoted or not.
    #[schemars(example = &"34543")]
    pub name: IssueRef,
    /// Reason
    ///
    /// Why this request is needed, for the audit trail and the Dagster UI.
    #[serde(
        default,
        deserialize_with = "present",
        skip_serializing_if = "Option::is_none"
    )]
    #[schemars(with = "Text", example = &"Station NL01912 sent bad readings; reload after the fix")]
    pub reason: Option<Text>,
    /// Requester
    ///
    /// Who asked for this request: a person, a team or an e-mail address.
    #[serde(
        default,
        deserialize_with = "present",
        skip_serializing_if = "Option::is_none"
    )]
    #[schemars(with = "Text", example = &"jane.doe@example.com")]
    pub requester: Option<Text>,
    /// Partitions
    ///
    /// One entry per partition dimension: a date range, a list of values, or all of the dimension. Several dimensions select their cartesian product.
    #[schemars(length(min = 1), example = examples::partitions())]
    #[serde(deserialize_with = "non_empty")]
    pub partitions: Vec<Dimension>,
}

/// The request's tags for a job run: who, why, and optionally one partition.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RunRequestTags {
    /// Issue
    ///
    /// The issue or ticket that asked for this request. A number may be quoted or not.
    #[schemars(example = &"34543")]
    pub name: IssueRef,
    /// Reason
    ///
    /// Why this request is needed, for the audit trail and the Dagster UI.
    #[serde(
        default,
        deserialize_with = "present",
        skip_serializing_if = "Option::is_none"
    )]
    #[schemars(with = "Text", example = &"Remove readings older than 90 days")]
    pub reason: Option<Text>,
    /// Requester
    ///
    /// Who asked for this request: a person, a team or an e-mail address.
    #[serde(
        default,
        deserialize_with = "present",
        skip_serializing_if = "Option::is_none"
    )]
    #[schemars(with = "Text", example = &"jane.doe@example.com")]
    pub requester: Option<Text>,
    /// Partition
    ///
    /// The one partition to run: its key, or for a multi-partitioned job a mapping from each dimension to its key.
    #[serde(
        default,
        deserialize_with = "present",
        skip_serializing_if = "Option::is_none"
    )]
    #[schemars(with = "PartitionKey", example = examples::partition_key())]
    pub partition: Option<PartitionKey>,
}

/// The request's tags when it names no partitions: who and why.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct AuditTags {
    /// Issue
    ///
    /// The issue or ticket that asked for this request. A number may be quoted or not.
    #[schemars(example = &"34600")]
    pub name: IssueRef,
    /// Reason
    ///
    /// Why this request is needed, for the audit trail and the Dagster UI.
    #[serde(
        default,
        deserialize_with = "present",
        skip_serializing_if = "Option::is_none"
    )]
    #[schemars(with = "Text", example = &"Retry the partitions that failed during the outage")]
    pub reason: Option<Text>,
    /// Requester
    ///
    /// Who asked for this request: a person, a team or an e-mail address.
    #[serde(
        default,
        deserialize_with = "present",
        skip_serializing_if = "Option::is_none"
    )]
    #[schemars(with = "Text", example = &"jane.doe@example.com")]
    pub requester: Option<Text>,
}

/// One partition dimension and the keys selected in it.
///
/// Written as a mapping with `name` and exactly one of: `start_date` and
/// `end_date`, `values`, or `all: true`.
#[derive(Clone, Debug, PartialEq, Serialize, JsonSchema)]
#[serde(untagged)]
#[schemars(title = "Partition dimension", example = examples::dates())]
pub enum Dimension {
    /// Every day from `start_date` to `end_date`, both included.
    Dates(DateRange),
    /// The listed keys of a static dimension.
    Values(ValueList),
    /// Every key the dimension has in Dagster.
    All(AllKeys),
}

impl Dimension {
    /// The dimension's name.
    pub fn name(&self) -> &DimensionName {
        match self {
            Dimension::Dates(d) => &d.name,
            Dimension::Values(v) => &v.name,
            Dimension::All(a) => &a.name,
        }
    }
}

/// A date range: every day from `start_date` to `end_date`, both included.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
#[schemars(title = "Date range", example = examples::dates())]
pub struct DateRange {
    /// Dimension
    ///
    /// The partition dimension's name in Dagster (a time dimension here).
    #[schemars(example = &"daily")]
    pub name: DimensionName,
    /// First day
    ///
    /// The first day to include, YYYY-MM-DD.
    #[schemars(example = &"2024-01-31")]
    pub start_date: Date,
    /// Last day
    ///
    /// The last day to include, YYYY-MM-DD; not before `start_date`.
    #[schemars(example = &"2024-02-01")]
    pub end_date: Date,
}

impl DateRange {
    /// Number of days in the range (0 when it is reversed).
    pub fn len(&self) -> u64 {
        u64::try_from(self.end_date.ordinal() - self.start_date.ordinal() + 1).unwrap_or(0)
    }

    /// Whether the range selects no day (only when reversed, which `check` rejects).
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Every day of the range, in order.
    pub fn days(&self) -> impl Iterator<Item = Date> + '_ {
        std::iter::successors(Some(self.start_date), |d| Some(d.succ()))
            .take(usize::try_from(self.len()).unwrap_or(usize::MAX))
    }
}

/// Listed keys of a static dimension.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
#[schemars(title = "Listed values", example = examples::values())]
pub struct ValueList {
    /// Dimension
    ///
    /// The partition dimension's name in Dagster (a static dimension here).
    #[schemars(example = &"stations")]
    pub name: DimensionName,
    /// Values
    ///
    /// The partition keys to include; each once. Quote keys YAML would read as numbers (`'06310'`).
    #[schemars(length(min = 1), extend("uniqueItems" = true), example = examples::station_values())]
    #[serde(deserialize_with = "non_empty_unique")]
    pub values: Vec<Value>,
}

/// Every key of a dimension, as Dagster knows them when the runner starts.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
#[schemars(title = "All keys", example = examples::all())]
pub struct AllKeys {
    /// Dimension
    ///
    /// The partition dimension's name in Dagster.
    #[schemars(example = &"stations")]
    pub name: DimensionName,
    /// All keys
    ///
    /// `true`: select every key the dimension has.
    #[schemars(example = &true)]
    pub all: True,
}

/// The literal `true`: `all: false` would mean nothing, so it is an error.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct True;

impl Serialize for True {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_bool(true)
    }
}

impl<'de> Deserialize<'de> for True {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<True, D::Error> {
        if bool::deserialize(d)? {
            Ok(True)
        } else {
            Err(serde::de::Error::custom(
                "`all` can only be `true`; list `values` instead",
            ))
        }
    }
}

impl JsonSchema for True {
    fn schema_name() -> std::borrow::Cow<'static, str> {
        "True".into()
    }

    fn json_schema(_: &mut schemars::SchemaGenerator) -> schemars::Schema {
        schemars::json_schema!({ "const": true })
    }
}

/// The one partition of a job run: a key, or a key per dimension.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(untagged)]
pub enum PartitionKey {
    /// The partition key as Dagster shows it (`2024-01-31`, or `2024-01-31|NL01497` for several dimensions).
    Key(FullKey),
    /// A key per dimension; the runner joins them in dimension-name order with `|`.
    #[schemars(extend("minProperties" = 1))]
    PerDimension(#[serde(deserialize_with = "non_empty_map")] BTreeMap<DimensionName, Value>),
}

/// Run config: a mapping, passed to Dagster as written.
pub type RunConfig = serde_json::Map<String, serde_json::Value>;

/// Extra tags for the launched runs.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(transparent)]
pub struct RunTags(pub BTreeMap<TagKey, Text>);

impl JsonSchema for RunTags {
    fn schema_name() -> std::borrow::Cow<'static, str> {
        "RunTags".into()
    }

    fn json_schema(generator: &mut schemars::SchemaGenerator) -> schemars::Schema {
        schemars::json_schema!({
            "type": "object",
            "propertyNames": generator.subschema_for::<TagKey>(),
            "additionalProperties": generator.subschema_for::<Text>(),
        })
    }
}

/// Per-request overrides of the rendered Job.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Overrides {
    /// Image tag
    ///
    /// Run this request with another tag of the runner image than the settings name.
    #[serde(
        default,
        deserialize_with = "present",
        skip_serializing_if = "Option::is_none"
    )]
    #[schemars(with = "ImageTag", example = &"0.2.0")]
    pub image_tag: Option<ImageTag>,
    /// Resources
    ///
    /// CPU and memory requests and limits for the runner's container.
    #[serde(
        default,
        deserialize_with = "present",
        skip_serializing_if = "Option::is_none"
    )]
    #[schemars(with = "Resources", example = examples::resources())]
    pub resources: Option<Resources>,
    /// Deadline
    ///
    /// How long the Job may run before Kubernetes stops it and the runner gives up following, e.g. `90m`, `6h`, `2d`.
    #[serde(
        default,
        deserialize_with = "present",
        skip_serializing_if = "Option::is_none"
    )]
    #[schemars(with = "Deadline", example = &"6h")]
    pub deadline: Option<Deadline>,
}

/// Requests and limits for the runner's container.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Resources {
    /// Requests
    ///
    /// What the scheduler reserves for the container.
    #[serde(
        default,
        deserialize_with = "present",
        skip_serializing_if = "Option::is_none"
    )]
    #[schemars(with = "ResourceList", example = examples::requests())]
    pub requests: Option<ResourceList>,
    /// Limits
    ///
    /// The most the container may use.
    #[serde(
        default,
        deserialize_with = "present",
        skip_serializing_if = "Option::is_none"
    )]
    #[schemars(with = "ResourceList", example = examples::limits())]
    pub limits: Option<ResourceList>,
}

/// CPU and memory quantities, in Kubernetes notation.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ResourceList {
    /// CPU
    ///
    /// CPU as a Kubernetes quantity, e.g. `100m` or `1`.
    #[serde(
        default,
        deserialize_with = "present",
        skip_serializing_if = "Option::is_none"
    )]
    #[schemars(with = "Quantity", example = &"100m")]
    pub cpu: Option<Quantity>,
    /// Memory
    ///
    /// Memory as a Kubernetes quantity, e.g. `64Mi` or `1Gi`.
    #[serde(
        default,
        deserialize_with = "present",
        skip_serializing_if = "Option::is_none"
    )]
    #[schemars(with = "Quantity", example = &"64Mi")]
    pub memory: Option<Quantity>,
}

impl Spec {
    /// The request's kind.
    pub fn kind(&self) -> Kind {
        match self {
            Spec::Backfill(_) => Kind::Backfill,
            Spec::Run(_) => Kind::Run,
            Spec::AssetBackfill(_) => Kind::AssetBackfill,
            Spec::Reexecute(_) => Kind::Reexecute,
        }
    }

    /// The issue this request answers (`tags.name`).
    pub fn issue(&self) -> &IssueRef {
        self.audit().0
    }

    /// Why the request was made, if the spec says.
    pub fn reason(&self) -> Option<&Text> {
        self.audit().1
    }

    /// Who asked for the request, if the spec says.
    pub fn requester(&self) -> Option<&Text> {
        self.audit().2
    }

    fn audit(&self) -> (&IssueRef, Option<&Text>, Option<&Text>) {
        match self {
            Spec::Backfill(Backfill { tags: t, .. })
            | Spec::AssetBackfill(AssetBackfill { tags: t, .. }) => {
                (&t.name, t.reason.as_ref(), t.requester.as_ref())
            }
            Spec::Run(JobRun { tags: t, .. }) => (&t.name, t.reason.as_ref(), t.requester.as_ref()),
            Spec::Reexecute(Reexecute { tags: t, .. }) => {
                (&t.name, t.reason.as_ref(), t.requester.as_ref())
            }
        }
    }

    /// The job the request launches, when it names one.
    pub fn job_name(&self) -> Option<&JobName> {
        match self {
            Spec::Backfill(b) => Some(&b.job_name),
            Spec::Run(r) => Some(&r.job_name),
            Spec::AssetBackfill(_) | Spec::Reexecute(_) => None,
        }
    }

    /// The per-request Job overrides, if any.
    pub fn overrides(&self) -> Option<&Overrides> {
        match self {
            Spec::Backfill(b) => b.overrides.as_ref(),
            Spec::Run(r) => r.overrides.as_ref(),
            Spec::AssetBackfill(a) => a.overrides.as_ref(),
            Spec::Reexecute(x) => x.overrides.as_ref(),
        }
    }

    /// The partition dimensions the request selects, if it selects a set of them.
    pub fn partitions(&self) -> &[Dimension] {
        match self {
            Spec::Backfill(b) => &b.tags.partitions,
            Spec::AssetBackfill(a) => &a.tags.partitions,
            Spec::Run(_) | Spec::Reexecute(_) => &[],
        }
    }
}

/// A typed-model error: where (a JSON pointer) and what.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ModelError {
    /// JSON pointer of the offending value (`/tags/partitions/0`).
    pub pointer: String,
    /// serde's description of the problem.
    pub message: String,
}

impl std::fmt::Display for ModelError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self.pointer.as_str() {
            "" => f.write_str(&self.message),
            p => write!(f, "at {p}: {}", self.message),
        }
    }
}

impl Spec {
    /// Builds the typed request from a parsed spec, dispatching on `kind`
    /// (absent means `backfill`) so that an error speaks of the variant the
    /// author meant, with the path of the offending value.
    pub fn from_json(value: &serde_json::Value) -> Result<Spec, ModelError> {
        fn typed<'a, T: Deserialize<'a>>(value: &'a serde_json::Value) -> Result<T, ModelError> {
            serde_path_to_error::deserialize(Strict(value)).map_err(|e| {
                let mut pointer = String::new();
                for segment in e.path().iter() {
                    use serde_path_to_error::Segment;
                    match segment {
                        Segment::Seq { index } => {
                            pointer = crate::yaml::push_pointer(&pointer, &index.to_string())
                        }
                        Segment::Map { key } => pointer = crate::yaml::push_pointer(&pointer, key),
                        Segment::Enum { .. } | Segment::Unknown => {}
                    }
                }
                ModelError {
                    pointer,
                    message: e.into_inner().to_string(),
                }
            })
        }
        let kind = match value.get("kind") {
            None => Kind::Backfill,
            Some(k) => Kind::deserialize(Strict(k)).map_err(|e| ModelError {
                pointer: "/kind".into(),
                message: e.to_string(),
            })?,
        };
        match kind {
            Kind::Backfill => typed(value).map(Spec::Backfill),
            Kind::Run => typed(value).map(Spec::Run),
            Kind::AssetBackfill => typed(value).map(Spec::AssetBackfill),
            Kind::Reexecute => typed(value).map(Spec::Reexecute),
        }
    }

    /// The request's identity: a SHA-256 (64 hex digits) of what it asks Dagster
    /// to do. The runner tags every launch with it and looks for it before
    /// launching, so a re-applied Job follows the first launch instead of
    /// starting a second.
    ///
    /// `overrides` (how the Job runs), `reason` and `requester` (audit text) are
    /// left out: re-rendering with another image or fixing a typo in the reason
    /// must not launch the work again. Key order and quoting in the file do not
    /// matter; an omitted `kind: backfill` equals a written one.
    pub fn request_hash(&self) -> String {
        let mut value = serde_json::to_value(self).unwrap_or_default();
        if let Some(object) = value.as_object_mut() {
            object.insert("kind".into(), self.kind().as_str().into());
            object.remove("overrides");
            if let Some(tags) = object.get_mut("tags").and_then(|t| t.as_object_mut()) {
                tags.remove("reason");
                tags.remove("requester");
            }
        }
        // serde_json's maps are sorted, so this text is canonical.
        crate::hash::sha256_hex(value.to_string().as_bytes())
    }
}

impl<'de> Deserialize<'de> for Spec {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Spec, D::Error> {
        let value = serde_json::Value::deserialize(d)?;
        Spec::from_json(&value).map_err(serde::de::Error::custom)
    }
}

impl JsonSchema for Spec {
    fn schema_name() -> std::borrow::Cow<'static, str> {
        "Spec".into()
    }

    fn json_schema(generator: &mut schemars::SchemaGenerator) -> schemars::Schema {
        schemars::json_schema!({
            "title": "dagster-scripts request",
            "description": "One request to Dagster, reviewed in git: a backfill (the default when `kind` is left out), a job run, an asset backfill, or a re-execution of an earlier request. Rendered into one Kubernetes Job by dagster-scripts.",
            "type": "object",
            "oneOf": [
                generator.subschema_for::<Backfill>(),
                generator.subschema_for::<JobRun>(),
                generator.subschema_for::<AssetBackfill>(),
                generator.subschema_for::<Reexecute>(),
            ],
            "examples": [examples::backfill()],
        })
    }
}

impl<'de> Deserialize<'de> for Dimension {
    /// Picks the form by its keys, for the same reason as [`Spec`]'s dispatch.
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Dimension, D::Error> {
        use serde::de::Error;
        let value = serde_json::Value::deserialize(d)?;
        let has = |k: &str| value.get(k).is_some();
        let dim = if has("values") {
            ValueList::deserialize(Strict(&value)).map(Dimension::Values)
        } else if has("all") {
            AllKeys::deserialize(Strict(&value)).map(Dimension::All)
        } else {
            DateRange::deserialize(Strict(&value)).map(Dimension::Dates)
        };
        dim.map_err(D::Error::custom)
    }
}

/// Reads an optional field that, when present, must hold a value (not null).
fn present<'de, D: Deserializer<'de>, T: Deserialize<'de>>(d: D) -> Result<Option<T>, D::Error> {
    T::deserialize(d).map(Some)
}

/// Reads a list that must have at least one item.
fn non_empty<'de, D: Deserializer<'de>, T: Deserialize<'de>>(d: D) -> Result<Vec<T>, D::Error> {
    let items = Vec::<T>::deserialize(d)?;
    if items.is_empty() {
        return Err(serde::de::Error::invalid_length(0, &"at least one item"));
    }
    Ok(items)
}

/// Reads a list that must have at least one item and no item twice.
fn non_empty_unique<'de, D, T>(d: D) -> Result<Vec<T>, D::Error>
where
    D: Deserializer<'de>,
    T: Deserialize<'de> + PartialEq + std::fmt::Display,
{
    let items = non_empty::<D, T>(d)?;
    if let Some((i, item)) = items
        .iter()
        .enumerate()
        .find(|(i, item)| items[..*i].contains(item))
    {
        return Err(serde::de::Error::custom(format!(
            "`{item}` is listed twice (item {})",
            i + 1
        )));
    }
    Ok(items)
}

/// Reads a mapping that must have at least one entry.
fn non_empty_map<'de, D, K, V>(d: D) -> Result<BTreeMap<K, V>, D::Error>
where
    D: Deserializer<'de>,
    K: Deserialize<'de> + Ord,
    V: Deserialize<'de>,
{
    let map = BTreeMap::<K, V>::deserialize(d)?;
    if map.is_empty() {
        return Err(serde::de::Error::invalid_length(
            0,
            &"at least one dimension",
        ));
    }
    Ok(map)
}

/// Examples shown in editor hovers; each one is valid (a unit test checks).
mod examples {
    use serde_json::{Value, json};

    pub fn partitioned_tags() -> Value {
        json!({ "name": "34543", "reason": "Station NL01912 sent bad readings", "partitions": partitions() })
    }
    pub fn run_request_tags() -> Value {
        json!({ "name": "34560", "partition": partition_key() })
    }
    pub fn audit_tags() -> Value {
        json!({ "name": "34600", "requester": "jane.doe@example.com" })
    }
    pub fn partitions() -> Value {
        json!([
            { "name": "daily", "start_date": "2024-01-31", "end_date": "2024-02-01" },
            { "name": "stations", "values": ["NL01497", "NL01912"] },
        ])
    }
    pub fn dates() -> Value {
        json!({ "name": "daily", "start_date": "2024-01-31", "end_date": "2024-02-01" })
    }
    pub fn values() -> Value {
        json!({ "name": "stations", "values": ["NL01497", "NL01912"] })
    }
    pub fn station_values() -> Value {
        json!(["NL01497", "NL01912"])
    }
    pub fn all() -> Value {
        json!({ "name": "stations", "all": true })
    }
    pub fn partition_key() -> Value {
        json!({ "daily": "2024-01-31", "stations": "NL01497" })
    }
    pub fn run_config() -> Value {
        json!({ "ops": { "cleanup": { "config": { "older_than_days": 90 } } } })
    }
    pub fn run_tags() -> Value {
        json!({ "team": "air-quality" })
    }
    pub fn assets() -> Value {
        json!(["daily_summary"])
    }
    pub fn requests() -> Value {
        json!({ "cpu": "100m", "memory": "64Mi" })
    }
    pub fn limits() -> Value {
        json!({ "cpu": "500m", "memory": "256Mi" })
    }
    pub fn resources() -> Value {
        json!({ "requests": requests(), "limits": limits() })
    }
    pub fn overrides() -> Value {
        json!({ "image_tag": "0.2.0", "deadline": "6h" })
    }
    pub fn backfill() -> Value {
        json!({
            "job_name": "ingestion_job",
            "repository_name": "luchtmeetnet_ingestion",
            "tags": { "name": "34543", "partitions": partitions() },
        })
    }
    pub fn run() -> Value {
        json!({
            "kind": "run",
            "job_name": "cleanup_job",
            "tags": { "name": "34560", "reason": "Remove readings older than 90 days" },
            "run_config": run_config(),
        })
    }
    pub fn asset_backfill() -> Value {
        json!({
            "kind": "asset_backfill",
            "assets": assets(),
            "tags": { "name": "34571", "partitions": [dates()] },
        })
    }
    pub fn reexecute() -> Value {
        json!({ "kind": "reexecute", "rerun_of": "34543", "tags": { "name": "34600" } })
    }

    #[cfg(test)]
    mod tests {
        use super::*;
        use crate::spec::Spec;

        #[test]
        fn every_request_example_deserialises() {
            for example in [backfill(), run(), asset_backfill(), reexecute()] {
                serde_json::from_value::<Spec>(example.clone())
                    .unwrap_or_else(|e| panic!("{example}: {e}"));
            }
        }
    }
}

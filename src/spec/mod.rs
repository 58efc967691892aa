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
mod examples;
mod fields;
mod kind;
mod options;
mod overrides;
mod partitions;
mod request;
pub mod resources;
mod run_tags;
mod strict;
mod strings;
mod tags;

use schemars::JsonSchema;
use serde::{Deserialize, Deserializer, Serialize};

pub use date::{Date, DateError};
pub use kind::{
    AssetBackfillKind, BackfillKind, CancelKind, Kind, MaterializeKind, ReexecuteKind, RunKind,
};
pub use options::{MaxConcurrentRuns, OnOverlap, Reprocess};
pub use overrides::{Overrides, ResourceList, Resources};
pub use partitions::{AllKeys, DateRange, Dimension, KeyRange, PartitionKey, True, ValueList};
pub use request::{AssetBackfill, Backfill, Cancel, JobRun, Materialize, Reexecute, Selection};
pub use run_tags::{
    DAGSTER_TAGS, K8S_CONFIG, K8sConfig, MAX_RETRIES, MAX_RUN_RETRIES, MAX_RUNTIME, MaxRetries,
    MergeBehavior, PRIORITY, RETRY_STRATEGY, RetryStrategy, RunTags,
};
pub use strict::Strict;
pub use strings::{
    AssetKey, Deadline, DimensionName, EnvironmentName, FullKey, GroupName, ImageTag, IssueRef,
    JobName, LocationName, MaxRuntime, Quantity, TagKey, Text, Value, is_placeholder, reserved,
    text_problem,
};
pub use tags::{AuditTags, PartitionedTags, RunConfig, RunRequestTags};

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
    /// `kind: cancel`: cancel what an earlier request launched.
    Cancel(Cancel),
    /// `kind: materialize`: one run materialising (unpartitioned) assets.
    Materialize(Materialize),
}

impl Spec {
    /// The request's kind.
    pub fn kind(&self) -> Kind {
        match self {
            Spec::Backfill(_) => Kind::Backfill,
            Spec::Run(_) => Kind::Run,
            Spec::AssetBackfill(_) => Kind::AssetBackfill,
            Spec::Reexecute(_) => Kind::Reexecute,
            Spec::Cancel(_) => Kind::Cancel,
            Spec::Materialize(_) => Kind::Materialize,
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
            Spec::Reexecute(Reexecute { tags: t, .. })
            | Spec::Cancel(Cancel { tags: t, .. })
            | Spec::Materialize(Materialize { tags: t, .. }) => {
                (&t.name, t.reason.as_ref(), t.requester.as_ref())
            }
        }
    }

    /// The job the request launches, when it names one.
    pub fn job_name(&self) -> Option<&JobName> {
        match self {
            Spec::Backfill(b) => Some(&b.job_name),
            Spec::Run(r) => Some(&r.job_name),
            Spec::AssetBackfill(_)
            | Spec::Reexecute(_)
            | Spec::Cancel(_)
            | Spec::Materialize(_) => None,
        }
    }

    /// The per-request Job overrides, if any.
    pub fn overrides(&self) -> Option<&Overrides> {
        match self {
            Spec::Backfill(b) => b.overrides.as_ref(),
            Spec::Run(r) => r.overrides.as_ref(),
            Spec::AssetBackfill(a) => a.overrides.as_ref(),
            Spec::Reexecute(x) => x.overrides.as_ref(),
            Spec::Cancel(c) => c.overrides.as_ref(),
            Spec::Materialize(m) => m.overrides.as_ref(),
        }
    }

    /// The environment the spec names, if it does (else the settings' default one).
    pub fn environment(&self) -> Option<&EnvironmentName> {
        match self {
            Spec::Backfill(b) => b.environment.as_ref(),
            Spec::Run(r) => r.environment.as_ref(),
            Spec::AssetBackfill(a) => a.environment.as_ref(),
            Spec::Reexecute(x) => x.environment.as_ref(),
            Spec::Cancel(c) => c.environment.as_ref(),
            Spec::Materialize(m) => m.environment.as_ref(),
        }
    }

    /// Which selected partitions to launch (`reprocess`, default `all`).
    pub fn reprocess(&self) -> Reprocess {
        match self {
            Spec::Backfill(b) => b.reprocess,
            Spec::AssetBackfill(a) => a.reprocess,
            Spec::Run(_) | Spec::Reexecute(_) | Spec::Cancel(_) | Spec::Materialize(_) => None,
        }
        .unwrap_or_default()
    }

    /// What to do about overlapping backfills, if the spec says.
    pub fn on_overlap(&self) -> Option<OnOverlap> {
        match self {
            Spec::Backfill(b) => b.on_overlap,
            Spec::AssetBackfill(a) => a.on_overlap,
            Spec::Run(_) | Spec::Reexecute(_) | Spec::Cancel(_) | Spec::Materialize(_) => None,
        }
    }

    /// At most this many of the request's runs in flight at once, if the spec says.
    pub fn max_concurrent_runs(&self) -> Option<MaxConcurrentRuns> {
        match self {
            Spec::Backfill(b) => b.max_concurrent_runs,
            Spec::AssetBackfill(a) => a.max_concurrent_runs,
            Spec::Run(_) | Spec::Reexecute(_) | Spec::Cancel(_) | Spec::Materialize(_) => None,
        }
    }

    /// The partition dimensions the request selects, if it selects a set of them.
    pub fn partitions(&self) -> &[Dimension] {
        match self {
            Spec::Backfill(b) => &b.tags.partitions,
            Spec::AssetBackfill(a) => &a.tags.partitions,
            Spec::Run(_) | Spec::Reexecute(_) | Spec::Cancel(_) | Spec::Materialize(_) => &[],
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
                            pointer = crate::pointer::push_pointer(&pointer, &index.to_string())
                        }
                        Segment::Map { key } => {
                            pointer = crate::pointer::push_pointer(&pointer, key)
                        }
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
            Kind::Cancel => typed(value).map(Spec::Cancel),
            Kind::Materialize => typed(value).map(Spec::Materialize),
        }
        .and_then(|spec| {
            let selection = match &spec {
                Spec::AssetBackfill(a) => Some(a.selection()),
                Spec::Materialize(m) => Some(m.selection()),
                _ => None,
            };
            if selection.is_some_and(|s| s.is_empty()) {
                return Err(ModelError {
                    pointer: String::new(),
                    message: "no asset selected: give at least one of `assets`, `asset_groups` and `asset_prefixes`".into(),
                });
            }
            Ok(spec)
        })
    }

    /// The request's identity: a SHA-256 (64 hex digits) of what it asks Dagster
    /// to do. The runner tags every launch with it and looks for it before
    /// launching, so a re-applied Job follows the first launch instead of
    /// starting a second.
    ///
    /// `overrides` and `environment` (how and where the Job runs), `reason`
    /// and `requester` (audit text) are left out: re-rendering with another image or fixing a typo in the reason
    /// must not launch the work again. Key order and quoting in the file do not
    /// matter; an omitted `kind: backfill` equals a written one.
    pub fn request_hash(&self) -> String {
        let mut value = serde_json::to_value(self).unwrap_or_default();
        if let Some(object) = value.as_object_mut() {
            object.insert("kind".into(), self.kind().as_str().into());
            // How and where the request runs, not what it asks.
            for key in [
                "overrides",
                "environment",
                "on_overlap",
                "max_concurrent_runs",
            ] {
                object.remove(key);
            }
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
            "description": "One request to Dagster, reviewed in git: a backfill (the default when `kind` is left out), a job run, an asset backfill, a re-execution or a cancellation of an earlier request, or a materialisation of assets. Rendered into one Kubernetes Job by dagster-scripts.",
            "type": "object",
            "oneOf": [
                generator.subschema_for::<Backfill>(),
                generator.subschema_for::<JobRun>(),
                generator.subschema_for::<AssetBackfill>(),
                generator.subschema_for::<Reexecute>(),
                generator.subschema_for::<Cancel>(),
                generator.subschema_for::<Materialize>(),
            ],
            "examples": [examples::backfill()],
        })
    }
}

//! A request's tags (the issue it answers, who asked and why, what it
//! selects) and the run config it passes to Dagster.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use super::examples;
use super::fields::{non_empty, present};
use super::partitions::{Dimension, PartitionKey};
use super::strings::{IssueRef, Text};

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

/// Run config: a mapping, passed to Dagster as written.
pub type RunConfig = serde_json::Map<String, serde_json::Value>;

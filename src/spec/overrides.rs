//! Per-request overrides of the rendered Job: image tag, resources, deadline.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use super::examples;
use super::fields::present;
use super::strings::{Deadline, ImageTag, Quantity};

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

//! A request's extra run tags: the spec's own free-form tags, and the few of
//! Dagster's own tags a spec may set, each with a typed value.
//!
//! Keys starting with `dagster` belong to Dagster and to this tool: the
//! ones that identify a run or backfill (`dagster/backfill`,
//! `dagster/partition`, `dagster/parent_run_id`, ...) and our own
//! (`dagster-scripts/request`) would let a spec forge what the runner and
//! Dagster rely on, so they stay refused. The knobs Dagster documents for
//! how a run is scheduled and retried are allowed, with the value Dagster
//! reads (checked in the pinned Dagster's source): a priority is an integer
//! (the run queue sorts by it), a maximum run time a duration (run monitoring
//! reads seconds), a retry count a small integer, a retry strategy one of
//! Dagster's names. `dagster-k8s/config` changes the pods Dagster starts
//! (images, volumes, service accounts), so `check` allows it only when the
//! settings opt in (`[dagster] allow_k8s_config`); the model accepts it, and
//! the runner launches what review let through.

use std::collections::BTreeMap;

use schemars::{JsonSchema, Schema, SchemaGenerator, json_schema};
use serde::de::{self, MapAccess, Visitor};
use serde::ser::SerializeMap;
use serde::{Deserialize, Deserializer, Serialize, Serializer};

use super::fields::present;
use super::strings::{MaxRuntime, TagKey, Text};

/// Dagster's run queue priority: higher runs are dequeued first.
pub const PRIORITY: &str = "dagster/priority";
/// How long a run may take before Dagster's run monitoring stops it.
pub const MAX_RUNTIME: &str = "dagster/max_runtime";
/// How many times Dagster retries a failed run (run retries).
pub const MAX_RETRIES: &str = "dagster/max_retries";
/// What a retried run re-executes.
pub const RETRY_STRATEGY: &str = "dagster/retry_strategy";
/// dagster-k8s's per-run Kubernetes config (container, pod, Job).
pub const K8S_CONFIG: &str = "dagster-k8s/config";

/// The Dagster tags a spec may set, in the order they are documented.
pub const DAGSTER_TAGS: [&str; 5] = [
    PRIORITY,
    MAX_RUNTIME,
    MAX_RETRIES,
    RETRY_STRATEGY,
    K8S_CONFIG,
];

/// Most run retries a spec may ask for: each retry is a whole run again.
pub const MAX_RUN_RETRIES: u32 = 10;

/// Extra tags for the launched runs: Dagster's typed ones and free-form ones.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct RunTags {
    /// `dagster/priority`.
    pub priority: Option<i32>,
    /// `dagster/max_runtime`.
    pub max_runtime: Option<MaxRuntime>,
    /// `dagster/max_retries`.
    pub max_retries: Option<MaxRetries>,
    /// `dagster/retry_strategy`.
    pub retry_strategy: Option<RetryStrategy>,
    /// `dagster-k8s/config`.
    pub k8s_config: Option<K8sConfig>,
    /// Every other tag, none starting with `dagster`.
    pub other: BTreeMap<TagKey, Text>,
}

impl RunTags {
    /// The tags as Dagster takes them, `(key, value)`: Dagster's own first,
    /// their values written as Dagster reads them, then the others in key order.
    pub fn to_pairs(&self) -> Vec<(String, String)> {
        let mut out = Vec::new();
        let mut push = |k: &str, v: String| out.push((k.to_owned(), v));
        if let Some(p) = self.priority {
            push(PRIORITY, p.to_string());
        }
        if let Some(r) = &self.max_runtime {
            push(MAX_RUNTIME, r.dagster_seconds());
        }
        if let Some(r) = self.max_retries {
            push(MAX_RETRIES, r.0.to_string());
        }
        if let Some(s) = self.retry_strategy {
            push(RETRY_STRATEGY, s.as_str().to_owned());
        }
        if let Some(c) = &self.k8s_config {
            push(
                K8S_CONFIG,
                serde_json::to_string(c).unwrap_or_else(|e| unreachable!("{e}")),
            );
        }
        for (k, v) in &self.other {
            push(k.as_str(), v.as_str().to_owned());
        }
        out
    }
}

/// A run retry count, 0 to [`MAX_RUN_RETRIES`].
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(transparent)]
pub struct MaxRetries(u32);

impl MaxRetries {
    /// The count.
    pub fn get(self) -> u32 {
        self.0
    }
}

impl<'de> Deserialize<'de> for MaxRetries {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<MaxRetries, D::Error> {
        let n = u32::deserialize(d)?;
        if n > MAX_RUN_RETRIES {
            return Err(de::Error::custom(format!(
                "{n} retries is more than {MAX_RUN_RETRIES}: each retry runs the whole run again"
            )));
        }
        Ok(MaxRetries(n))
    }
}

/// What a retried run re-executes (Dagster's `ReexecutionStrategy`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum RetryStrategy {
    /// Only the failed steps and what depends on them.
    #[serde(rename = "FROM_FAILURE")]
    FromFailure,
    /// Every step of the run.
    #[serde(rename = "ALL_STEPS")]
    AllSteps,
    /// Only the assets that failed and what depends on them.
    #[serde(rename = "FROM_ASSET_FAILURE")]
    FromAssetFailure,
}

impl RetryStrategy {
    /// Every strategy, as Dagster spells it.
    pub const NAMES: [&str; 3] = ["FROM_FAILURE", "ALL_STEPS", "FROM_ASSET_FAILURE"];

    /// Dagster's name.
    pub fn as_str(self) -> &'static str {
        match self {
            RetryStrategy::FromFailure => "FROM_FAILURE",
            RetryStrategy::AllSteps => "ALL_STEPS",
            RetryStrategy::FromAssetFailure => "FROM_ASSET_FAILURE",
        }
    }
}

/// A section of `dagster-k8s/config`: a Kubernetes object's fields, passed on.
pub type K8sSection = serde_json::Map<String, serde_json::Value>;

/// `dagster-k8s/config`: what dagster-k8s merges into the Kubernetes Job and
/// pod of each run (its `USER_DEFINED_K8S_JOB_CONFIG_SCHEMA`).
///
/// Every section is optional (absent: `None`, from [`Default`]); one that is
/// written must hold a value (`present`).
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct K8sConfig {
    /// Fields of the run's container (`resources`, `env`, `volume_mounts`, ...).
    #[serde(deserialize_with = "present", skip_serializing_if = "Option::is_none")]
    pub container_config: Option<K8sSection>,
    /// Metadata of the run's pod template (`labels`, `annotations`).
    #[serde(deserialize_with = "present", skip_serializing_if = "Option::is_none")]
    pub pod_template_spec_metadata: Option<K8sSection>,
    /// Fields of the run's pod spec (`node_selector`, `tolerations`, `volumes`, ...).
    #[serde(deserialize_with = "present", skip_serializing_if = "Option::is_none")]
    pub pod_spec_config: Option<K8sSection>,
    /// Fields of the Kubernetes Job object.
    #[serde(deserialize_with = "present", skip_serializing_if = "Option::is_none")]
    pub job_config: Option<K8sSection>,
    /// Metadata of the Kubernetes Job.
    #[serde(deserialize_with = "present", skip_serializing_if = "Option::is_none")]
    pub job_metadata: Option<K8sSection>,
    /// Fields of the Kubernetes Job's spec (`backoff_limit`, `ttl_seconds_after_finished`, ...).
    #[serde(deserialize_with = "present", skip_serializing_if = "Option::is_none")]
    pub job_spec_config: Option<K8sSection>,
    /// How this config merges with the instance's and the job's: `SHALLOW` or `DEEP`.
    #[serde(deserialize_with = "present", skip_serializing_if = "Option::is_none")]
    pub merge_behavior: Option<MergeBehavior>,
}

impl K8sConfig {
    /// Its sections, as dagster-k8s names them, with what each configures
    /// and an example.
    const SECTIONS: [(&str, &str, &str); 6] = [
        (
            "container_config",
            "Fields of the run's container, as Kubernetes' Container (`resources`, `env`, `volume_mounts`, ...).",
            r#"{"resources": {"requests": {"cpu": "2", "memory": "8Gi"}}}"#,
        ),
        (
            "pod_template_spec_metadata",
            "Metadata of the run's pod (`labels`, `annotations`).",
            r#"{"annotations": {"cluster-autoscaler.kubernetes.io/safe-to-evict": "false"}}"#,
        ),
        (
            "pod_spec_config",
            "Fields of the run's pod spec, as Kubernetes' PodSpec (`node_selector`, `tolerations`, `volumes`, ...).",
            r#"{"node_selector": {"pool": "backfills"}}"#,
        ),
        (
            "job_config",
            "Fields of the Kubernetes Job object.",
            r#"{"metadata": {"labels": {"team": "air-quality"}}}"#,
        ),
        (
            "job_metadata",
            "Metadata of the Kubernetes Job.",
            r#"{"labels": {"team": "air-quality"}}"#,
        ),
        (
            "job_spec_config",
            "Fields of the Kubernetes Job's spec (`backoff_limit`, `ttl_seconds_after_finished`, ...).",
            r#"{"ttl_seconds_after_finished": 3600}"#,
        ),
    ];

    fn is_empty(&self) -> bool {
        *self == K8sConfig::default()
    }
}

/// How dagster-k8s merges a run's `dagster-k8s/config` with the others.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum MergeBehavior {
    /// Top-level keys of each section replace the others'.
    #[serde(rename = "SHALLOW")]
    Shallow,
    /// Mappings merge deeply, lists are appended.
    #[serde(rename = "DEEP")]
    Deep,
}

/// Reads `dagster-k8s/config`: a mapping of at least one known section.
fn k8s_config<'de, D: Deserializer<'de>>(d: D) -> Result<K8sConfig, D::Error> {
    let config = K8sConfig::deserialize(d)?;
    if config.is_empty() {
        return Err(de::Error::invalid_length(0, &"at least one section"));
    }
    Ok(config)
}

/// `dagster-k8s/config`, read with [`k8s_config`].
struct K8sConfigValue(K8sConfig);

impl<'de> Deserialize<'de> for K8sConfigValue {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<K8sConfigValue, D::Error> {
        k8s_config(d).map(K8sConfigValue)
    }
}

impl Serialize for RunTags {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut map = s.serialize_map(None)?;
        if let Some(p) = &self.priority {
            map.serialize_entry(PRIORITY, p)?;
        }
        if let Some(r) = &self.max_runtime {
            map.serialize_entry(MAX_RUNTIME, r)?;
        }
        if let Some(r) = &self.max_retries {
            map.serialize_entry(MAX_RETRIES, r)?;
        }
        if let Some(r) = &self.retry_strategy {
            map.serialize_entry(RETRY_STRATEGY, r)?;
        }
        if let Some(c) = &self.k8s_config {
            map.serialize_entry(K8S_CONFIG, c)?;
        }
        for (k, v) in &self.other {
            map.serialize_entry(k, v)?;
        }
        map.end()
    }
}

impl<'de> Deserialize<'de> for RunTags {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<RunTags, D::Error> {
        struct Tags;
        impl<'de> Visitor<'de> for Tags {
            type Value = RunTags;

            fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str("a mapping of tag keys to values")
            }

            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<RunTags, A::Error> {
                let mut tags = RunTags::default();
                while let Some(key) = map.next_key::<String>()? {
                    match key.as_str() {
                        PRIORITY => tags.priority = Some(map.next_value()?),
                        MAX_RUNTIME => tags.max_runtime = Some(map.next_value()?),
                        MAX_RETRIES => tags.max_retries = Some(map.next_value()?),
                        RETRY_STRATEGY => tags.retry_strategy = Some(map.next_value()?),
                        K8S_CONFIG => {
                            tags.k8s_config = Some(map.next_value::<K8sConfigValue>()?.0);
                        }
                        _ => {
                            let k = TagKey::new(key).map_err(de::Error::custom)?;
                            let v = map.next_value()?;
                            tags.other.insert(k, v);
                        }
                    }
                }
                Ok(tags)
            }
        }
        d.deserialize_map(Tags)
    }
}

impl JsonSchema for RunTags {
    fn schema_name() -> std::borrow::Cow<'static, str> {
        "RunTags".into()
    }

    fn json_schema(generator: &mut SchemaGenerator) -> Schema {
        let mut max_runtime = generator.subschema_for::<MaxRuntime>();
        max_runtime.insert("title".into(), "Maximum run time".into());
        max_runtime.insert(
            "description".into(),
            "a duration greater than zero (`2h`, `90m`, `3600`): how long each run may take from its start before Dagster's run monitoring stops it (Dagster's `dagster/max_runtime`, sent in seconds; run monitoring must be enabled on the instance)".into(),
        );
        max_runtime.insert("examples".into(), serde_json::json!(["2h"]));
        let sections: serde_json::Map<String, serde_json::Value> = K8sConfig::SECTIONS
            .iter()
            .map(|(name, description, example)| {
                let example: serde_json::Value =
                    serde_json::from_str(example).unwrap_or_else(|e| unreachable!("{e}"));
                (
                    (*name).to_owned(),
                    serde_json::json!({ "type": "object", "title": name, "description": description, "examples": [example] }),
                )
            })
            .collect();
        let mut k8s_properties = sections;
        k8s_properties.insert(
            "merge_behavior".into(),
            serde_json::json!({
                "type": "string",
                "enum": ["SHALLOW", "DEEP"],
                "title": "Merge behaviour",
                "description": "How this config merges with the instance's and the job's: `DEEP` (the default) merges mappings and appends lists, `SHALLOW` replaces each section's top-level keys.",
                "examples": ["DEEP"],
            }),
        );
        json_schema!({
            "type": "object",
            "properties": {
                PRIORITY: {
                    "type": "integer",
                    "minimum": i32::MIN,
                    "maximum": i32::MAX,
                    "title": "Run priority",
                    "description": "a whole number, negative allowed: Dagster's `dagster/priority`; the run queue launches runs of a higher priority first (unset is 0)",
                    "examples": [5],
                },
                MAX_RUNTIME: max_runtime,
                MAX_RETRIES: {
                    "type": "integer",
                    "minimum": 0,
                    "maximum": MAX_RUN_RETRIES,
                    "title": "Run retry count",
                    "description": "a whole number from 0 to 10: how many times Dagster retries a failed run (Dagster's `dagster/max_retries`; 0 never retries; unset, the instance's `run_retries` decide, and they must be enabled for any retry)",
                    "examples": [2],
                },
                RETRY_STRATEGY: {
                    "type": "string",
                    "enum": RetryStrategy::NAMES,
                    "title": "Retry strategy",
                    "description": "what a retried run re-executes (Dagster's `dagster/retry_strategy`): `FROM_FAILURE` (the failed steps and what depends on them, Dagster's default), `ALL_STEPS`, or `FROM_ASSET_FAILURE`",
                    "examples": ["FROM_FAILURE"],
                },
                K8S_CONFIG: {
                    "type": "object",
                    "minProperties": 1,
                    "additionalProperties": false,
                    "properties": k8s_properties,
                    "title": "Kubernetes config of the runs",
                    "description": "dagster-k8s's `dagster-k8s/config`: fields merged into the Kubernetes Job and pod of each run (run launcher K8sRunLauncher or the k8s executor); sent to Dagster as JSON. Allowed only when dagster-scripts.toml sets `[dagster] allow_k8s_config = true`: it changes what runs in the cluster.",
                    "examples": [{ "container_config": { "resources": { "requests": { "cpu": "2", "memory": "8Gi" } } } }],
                },
            },
            "propertyNames": {
                "pattern": TagKey::PATTERN,
                "not": { "pattern": "^dagster", "not": { "enum": DAGSTER_TAGS } },
                "title": "Tag key",
                "description": "letters, digits and `_ . -`, at most 63, with an optional `prefix/`; not starting with `dagster`, except Dagster's own tags listed here",
                "examples": ["team"],
            },
            "additionalProperties": generator.subschema_for::<Text>(),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::spec::Strict;

    fn read(v: serde_json::Value) -> Result<RunTags, String> {
        RunTags::deserialize(Strict(&v)).map_err(|e| e.to_string())
    }

    #[test]
    fn dagsters_tags_are_typed_and_sent_as_dagster_reads_them() {
        let tags = read(serde_json::json!({
            "team": "air",
            "dagster/priority": -3,
            "dagster/max_runtime": "1h30m",
            "dagster/max_retries": 0,
            "dagster/retry_strategy": "ALL_STEPS",
            "dagster-k8s/config": { "container_config": { "resources": { "limits": { "cpu": "2" } } }, "merge_behavior": "DEEP" },
        }))
        .unwrap();
        assert_eq!(
            tags.to_pairs(),
            [
                ("dagster/priority", "-3"),
                ("dagster/max_runtime", "5400"),
                ("dagster/max_retries", "0"),
                ("dagster/retry_strategy", "ALL_STEPS"),
                (
                    "dagster-k8s/config",
                    r#"{"container_config":{"resources":{"limits":{"cpu":"2"}}},"merge_behavior":"DEEP"}"#
                ),
                ("team", "air"),
            ]
            .map(|(k, v)| (k.to_owned(), v.to_owned()))
        );
        let back = serde_json::to_value(&tags).unwrap();
        assert_eq!(read(back).unwrap(), tags);
        assert_eq!(
            read(serde_json::json!({ "dagster/max_runtime": "1s500ms" }))
                .unwrap()
                .to_pairs()[0]
                .1,
            "1.500"
        );
    }

    #[test]
    fn wrong_values_and_other_dagster_keys_are_refused() {
        for (bad, says) in [
            (
                serde_json::json!({ "dagster/priority": "5" }),
                "expected i32",
            ),
            (
                serde_json::json!({ "dagster/priority": 1.5 }),
                "expected i32",
            ),
            (
                serde_json::json!({ "dagster/max_runtime": "0s" }),
                "maximum run time",
            ),
            (
                serde_json::json!({ "dagster/max_runtime": 60 }),
                "expected a string",
            ),
            (
                serde_json::json!({ "dagster/max_retries": -1 }),
                "expected u32",
            ),
            (
                serde_json::json!({ "dagster/max_retries": 11 }),
                "more than 10",
            ),
            (
                serde_json::json!({ "dagster/retry_strategy": "from_failure" }),
                "unknown variant",
            ),
            (
                serde_json::json!({ "dagster-k8s/config": {} }),
                "at least one section",
            ),
            (
                serde_json::json!({ "dagster-k8s/config": { "pod_spec": {} } }),
                "unknown field",
            ),
            (
                serde_json::json!({ "dagster-k8s/config": { "merge_behavior": "deep" } }),
                "unknown variant",
            ),
            (
                serde_json::json!({ "dagster-k8s/config": { "container_config": [] } }),
                "a mapping",
            ),
            (
                serde_json::json!({ "dagster/backfill": "x" }),
                "`dagster/priority`, `dagster/max_runtime`",
            ),
            (serde_json::json!({ "dagster/partition": "x" }), "reserved"),
            (
                serde_json::json!({ "dagster/partition/daily": "x" }),
                "reserved",
            ),
            (
                serde_json::json!({ "dagster/parent_run_id": "x" }),
                "reserved",
            ),
            (
                serde_json::json!({ "dagster-scripts/request": "x" }),
                "reserved",
            ),
            (
                serde_json::json!({ "dagster-k8s/resource_requirements": "x" }),
                "reserved",
            ),
        ] {
            let e = read(bad.clone()).unwrap_err();
            assert!(e.contains(says), "{bad}: {e}");
        }
    }
}

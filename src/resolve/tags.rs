//! The tags, title and description every launch carries.
//!
//! The request hash tag is the runner's memory: before launching, it looks
//! for a backfill or run carrying this spec's hash and follows that instead.
//! The issue tag lets a later `kind: reexecute` request find what this one
//! launched. Dagster (1.13.27, checked in the lab) accepts any length of tag
//! key or value on runs and backfills, but refuses a backfill title longer
//! than 100 characters or containing `%`, `*` or `"`, so the title is made to
//! fit.

use crate::spec::{RunTags, Spec};

/// The spec hash: a 64-hex-digit identity of the request.
pub const REQUEST: &str = "dagster-scripts/request";
/// The issue the request answers.
pub const ISSUE: &str = "dagster-scripts/issue";
/// Who asked.
pub const REQUESTER: &str = "dagster-scripts/requester";
/// Dagster's tag on every run a backfill launches.
pub const BACKFILL: &str = "dagster/backfill";
/// Dagster's tag naming a run's partition.
pub const PARTITION: &str = "dagster/partition";
/// On each run of a request the runner paces itself (`max_concurrent_runs`):
/// the limit it keeps, so a later runner knows the request is paced.
pub const PACED: &str = "dagster-scripts/paced";

/// Dagster's limit on a backfill title.
const MAX_TITLE: usize = 100;

/// Every tag of a launch: the spec's `run_tags` (Dagster's own with their
/// values as Dagster reads them), then the runner's own.
pub fn launch_tags(spec: &Spec, hash: &str) -> Vec<(String, String)> {
    let run_tags = match spec {
        Spec::Backfill(b) => b.run_tags.as_ref(),
        Spec::Run(r) => r.run_tags.as_ref(),
        Spec::AssetBackfill(a) => a.run_tags.as_ref(),
        Spec::Materialize(m) => m.run_tags.as_ref(),
        Spec::Reexecute(_) | Spec::Cancel(_) => None,
    };
    let mut tags: Vec<(String, String)> = run_tags.map(RunTags::to_pairs).unwrap_or_default();
    tags.push((REQUEST.to_owned(), hash.to_owned()));
    tags.push((ISSUE.to_owned(), spec.issue().as_str().to_owned()));
    if let Some(requester) = spec.requester() {
        tags.push((REQUESTER.to_owned(), requester.as_str().to_owned()));
    }
    tags
}

/// The backfill title shown in Dagster's UI: links the backfill to the issue.
pub fn title(spec: &Spec) -> String {
    let clean: String = format!("dagster-scripts: {} {}", spec.kind(), spec.issue())
        .chars()
        .map(|c| {
            if matches!(c, '%' | '*' | '"') || c.is_control() {
                '_'
            } else {
                c
            }
        })
        .collect();
    if clean.chars().count() <= MAX_TITLE {
        return clean;
    }
    let mut cut: String = clean.chars().take(MAX_TITLE - 3).collect();
    cut.push_str("...");
    cut
}

/// The backfill description: the request's reason, when it gives one.
pub fn description(spec: &Spec) -> Option<String> {
    spec.reason().map(|r| r.as_str().to_owned())
}

/// The `[ExecutionTag!]` input for `tags`.
pub fn to_input(tags: &[(String, String)]) -> serde_json::Value {
    serde_json::Value::Array(
        tags.iter()
            .map(|(k, v)| serde_json::json!({ "key": k, "value": v }))
            .collect(),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn titles_fit_dagsters_rules() {
        let spec: Spec = serde_json::from_value(serde_json::json!({
            "job_name": "ingestion_job",
            "tags": {
                "name": format!("https://example.com/\"issues\"/{}", "9".repeat(150)),
                "requester": "jane",
                "partitions": [{ "name": "daily", "start_date": "2024-01-01", "end_date": "2024-01-01" }],
            },
            "run_tags": { "team": "air" },
        }))
        .unwrap();
        let t = title(&spec);
        assert_eq!(t.chars().count(), 100);
        assert!(
            !t.contains('"')
                && t.starts_with("dagster-scripts: backfill https://example.com/_issues_/99")
        );
        let tags = launch_tags(&spec, "abc");
        let keys: Vec<&str> = tags.iter().map(|(k, _)| k.as_str()).collect();
        assert_eq!(keys, ["team", REQUEST, ISSUE, REQUESTER]);
    }
}

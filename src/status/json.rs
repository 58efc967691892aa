//! `status --format json`: one document for tools, in the shape the CI kits
//! read (`{"dagster", "requests": [...], "counts"}`; see the README).

use serde_json::{Value, json};

use super::{Report, Request};
use crate::dagster::ops::LaunchType;

/// The report as one JSON document, with a final newline.
pub fn render(report: &Report) -> String {
    let mut text = serde_json::to_string_pretty(&document(report)).unwrap_or_default();
    text.push('\n');
    text
}

/// The report as a JSON value.
pub fn document(report: &Report) -> Value {
    let counts: serde_json::Map<String, Value> = report
        .counts()
        .into_iter()
        .map(|(s, n)| (s.as_str().to_owned(), Value::from(n)))
        .collect();
    json!({
        "dagster": report.dagster,
        "requests": report.requests.iter().map(request).collect::<Vec<_>>(),
        "counts": counts,
    })
}

fn request(r: &Request) -> Value {
    let launch = r.launch.as_ref().map(|l| {
        json!({
            "type": match l.kind {
                LaunchType::Backfill => "backfill",
                LaunchType::Run => "run",
            },
            "id": l.id,
            "url": l.url,
            "status": l.status,
            "requester": l.requester,
            "created": l.created,
            "started": l.started,
            "ended": l.ended,
        })
    });
    let partitions = r.partitions.map(|c| {
        json!({
            "total": c.total,
            "succeeded": c.done,
            "failed": c.failed,
            "in_progress": c.in_progress,
        })
    });
    json!({
        "path": r.path,
        "issue": r.issue,
        "kind": r.kind.as_str(),
        "request": r.hash,
        "retired": r.retired,
        "state": r.state.as_str(),
        "launch": launch,
        "partitions": partitions,
        "failed_partitions": r.failed_partitions,
    })
}

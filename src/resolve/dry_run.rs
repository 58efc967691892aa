//! A plan as `--dry-run` prints it: text for people, one JSON document for
//! tools. With `reprocess: missing` or `failed`, both say how many of the
//! selected partitions are launched and what Dagster last did to the rest.

use serde_json::{Map, Value, json};

use super::{Action, Plan};

impl Plan {
    /// The plan for people (`--dry-run`, human format).
    pub fn to_text(&self) -> String {
        const LISTED: usize = 1000;
        let mut out = match &self.action {
            Action::Nothing(why) => format!("would launch nothing: {why}\n"),
            Action::Cancel(launches) => format!(
                "would cancel {} launch(es): {}\n",
                launches.len(),
                super::cancel::list(launches)
            ),
            Action::Paced { runs, limit } => format!(
                "would launch: {} as {} runs, at most {limit} at once (paced by the runner)\n",
                self.kind,
                runs.len()
            ),
            _ => format!("would launch: {}\n", self.kind),
        };
        for (label, value) in &self.facts {
            out.push_str(&format!("  {:<16}{value}\n", format!("{label}:")));
        }
        if let Some(r) = &self.reprocessed {
            out.push_str(&format!("  {:<16}{}\n", "launching:", r.summary()));
        }
        if !self.assets.is_empty() && !self.facts.iter().any(|(l, _)| *l == "assets") {
            out.push_str(&format!("  {:<16}{}\n", "assets:", self.assets.join(", ")));
        }
        if !self.keys.is_empty() {
            out.push_str(&format!("  {:<16}{}\n", "partitions:", self.keys.len()));
            let listed: Vec<&String> = if self.keys.len() <= LISTED {
                self.keys.iter().collect()
            } else {
                self.keys
                    .iter()
                    .take(10)
                    .chain(self.keys.iter().skip(self.keys.len() - 10))
                    .collect()
            };
            for (i, key) in listed.iter().enumerate() {
                if self.keys.len() > LISTED && i == 10 {
                    out.push_str(&format!("    ... {} more ...\n", self.keys.len() - 20));
                }
                out.push_str(&format!("    {key}\n"));
            }
        }
        out.push_str("  tags:\n");
        for (k, v) in &self.tags {
            out.push_str(&format!("    {k}={v}\n"));
        }
        out
    }

    /// The plan as one JSON document (`--dry-run --log-format json`).
    pub fn to_json(&self) -> Value {
        let (mutation, variables) = match &self.action {
            Action::Backfill(p) => ("launchPartitionBackfill", p.clone()),
            Action::Run(p) => ("launchRun", p.clone()),
            Action::ReexecuteRun(p) => ("launchRunReexecution", p.clone()),
            Action::Cancel(launches) => (
                "cancel",
                Value::Array(
                    launches
                        .iter()
                        .map(|l| {
                            let (kind, mutation) = match &l.handle {
                                super::handle::Handle::Backfill(_) => ("backfill", "cancelPartitionBackfill"),
                                super::handle::Handle::Run(_) => ("run", "terminateRun"),
                            };
                            let mutation = match l.stage() {
                                super::cancel::Stage::Live => Value::from(mutation),
                                _ => Value::Null,
                            };
                            json!({ "type": kind, "id": l.handle.id(), "status": l.status, "mutation": mutation })
                        })
                        .collect(),
                ),
            ),
            Action::Paced { runs, limit } => (
                "launchRun",
                json!({
                    "max_concurrent_runs": limit,
                    "runs": runs
                        .iter()
                        .map(|r| json!({ "partition": r.key, "executionParams": r.params }))
                        .collect::<Vec<_>>(),
                }),
            ),
            Action::Nothing(why) => ("none", Value::String(why.clone())),
        };
        let facts: Map<String, Value> = self
            .facts
            .iter()
            .map(|(k, v)| (k.replace(' ', "_"), Value::String(v.clone())))
            .collect();
        json!({
            "kind": self.kind,
            "target": facts,
            "partition_count": self.keys.len(),
            "partitions": self.keys,
            "reprocess": self.reprocessed.as_ref().map(|r| json!({
                "mode": r.reprocess.as_str(),
                "selected": r.selected,
                "launching": r.launching,
                "succeeded": r.succeeded,
                "failed": r.failed,
                "in_progress": r.in_progress,
                "never_run": r.never_run,
            })),
            "assets": self.assets,
            "tags": self.tags.iter().map(|(k, v)| json!({ "key": k, "value": v })).collect::<Vec<_>>(),
            "mutation": mutation,
            "variables": variables,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::resolve::paced::PacedRun;

    #[test]
    fn a_paced_plan_says_how_many_runs_and_how_many_at_once() {
        let plan = Plan {
            kind: "backfill",
            facts: vec![("job", "held_job".into())],
            target: None,
            keys: vec!["2024-01-01".into(), "2024-01-02".into()],
            reprocessed: None,
            assets: Vec::new(),
            tags: vec![("dagster-scripts/request".into(), "h".into())],
            action: Action::Paced {
                runs: ["2024-01-01", "2024-01-02"]
                    .map(|k| PacedRun {
                        key: k.into(),
                        params: json!({ "selector": {} }),
                    })
                    .to_vec(),
                limit: 1,
            },
        };
        let text = plan.to_text();
        assert!(
            text.starts_with(
                "would launch: backfill as 2 runs, at most 1 at once (paced by the runner)\n"
            ),
            "{text}"
        );
        let json = plan.to_json();
        assert_eq!(json["mutation"], "launchRun");
        assert_eq!(json["variables"]["runs"][1]["partition"], "2024-01-02");
    }
}

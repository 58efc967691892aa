//! What the run of each partition of a job is launched with when the runner
//! launches the partitions itself (a request with `max_concurrent_runs`):
//! the run config and tags Dagster's partition set gives each key, as
//! Dagster's backfill and its UI take them. Asked in batches of `BATCH`
//! keys, one aliased field per key (`p0`, `p1`, ...), built from the verified
//! document `src/dagster/queries/partition_runs.graphql`.

use std::fmt::Write as _;

use serde::Deserialize;
use serde_json::{Map, Value, json};

use super::answer::{Tag, message};
use super::locations::Target;
use crate::dagster::{Client, Error};

/// Keys asked about in one document.
pub const BATCH: usize = 100;

const DOCUMENT: &str = include_str!("../queries/partition_runs.graphql");

/// The run of one partition, as the partition set gives it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PartitionRun {
    /// The partition key.
    pub key: String,
    /// The partition set's run config for it, as YAML (`{}` for most jobs).
    pub run_config_yaml: String,
    /// The tags Dagster puts on its run.
    pub tags: Vec<Tag>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct Entry {
    name: String,
    run_config_or_error: ConfigAnswer,
    tags_or_error: TagsAnswer,
}

#[derive(Deserialize)]
struct ConfigAnswer {
    #[serde(rename = "__typename")]
    typename: String,
    yaml: Option<String>,
    message: Option<String>,
}

#[derive(Deserialize)]
struct TagsAnswer {
    #[serde(rename = "__typename")]
    typename: String,
    results: Option<Vec<Tag>>,
    message: Option<String>,
}

/// For each of `keys`, in order, its run config and tags from the job's
/// partition set. One request per `BATCH` (100) keys.
pub fn partition_runs(
    client: &Client,
    target: &Target,
    keys: &[String],
) -> Result<Vec<PartitionRun>, Error> {
    let mut out = Vec::with_capacity(keys.len());
    for chunk in keys.chunks(BATCH) {
        let what = format!(
            "reading the run config and tags of {} partitions of job {}",
            chunk.len(),
            target.job
        );
        let mut variables = Map::new();
        variables.insert(
            "selector".into(),
            json!({
                "repositoryLocationName": target.location,
                "repositoryName": target.repository,
                "pipelineName": target.job,
            }),
        );
        for (i, k) in chunk.iter().enumerate() {
            variables.insert(format!("k{i}"), Value::String(k.clone()));
        }
        let data: Map<String, Value> = client.query(
            &what,
            &partition_runs_document(chunk.len()),
            Value::Object(variables),
        )?;
        let mut answer = match data.get("pipelineOrError") {
            Some(Value::Object(a)) => a.clone(),
            _ => return Err(Error::unexpected(format!("{what}: no pipelineOrError"))),
        };
        let typename = answer
            .get("__typename")
            .and_then(Value::as_str)
            .unwrap_or_default()
            .to_owned();
        if typename != "Pipeline" {
            let text = answer
                .get("message")
                .and_then(Value::as_str)
                .map(str::to_owned);
            return Err(Error::refused(format!(
                "{what}: {}",
                message(&typename, text)
            )));
        }
        for (i, key) in chunk.iter().enumerate() {
            let field = answer.remove(&format!("p{i}")).unwrap_or(Value::Null);
            if field.is_null() {
                return Err(Error::refused(format!(
                    "{what}: Dagster has no partition {key}"
                )));
            }
            let entry: Entry = serde_json::from_value(field)
                .map_err(|e| Error::unexpected(format!("{what}: partition {key}: {e}")))?;
            let (config, tags) = (entry.run_config_or_error, entry.tags_or_error);
            let refused = |typename: &str, text: Option<String>| {
                Error::refused(format!(
                    "{what}: partition {key}: {}",
                    message(typename, text)
                ))
            };
            out.push(PartitionRun {
                key: entry.name,
                run_config_yaml: config
                    .yaml
                    .ok_or_else(|| refused(&config.typename, config.message))?,
                tags: tags
                    .results
                    .ok_or_else(|| refused(&tags.typename, tags.message))?,
            });
        }
    }
    Ok(out)
}

/// The document [`partition_runs`] sends for `n` keys.
pub fn partition_runs_document(n: usize) -> String {
    let mut doc = String::from("query PartitionRuns($selector: PipelineSelector!");
    for i in 0..n {
        let _ = write!(doc, ", $k{i}: String!");
    }
    doc.push_str(
        ") {\n  pipelineOrError(params: $selector) {\n    __typename\n    ... on Pipeline {\n",
    );
    for i in 0..n {
        let _ = writeln!(
            doc,
            "      p{i}: partition(partitionName: $k{i}) {{\n        ...PartitionRun\n      }}"
        );
    }
    doc.push_str("    }\n    ... on Error { message }\n  }\n}\n\n");
    doc.push_str(
        DOCUMENT
            .find("\nfragment ")
            .map_or("", |i| &DOCUMENT[i + 1..]),
    );
    doc
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_verified_file_is_what_the_builder_makes() {
        let without_comments = DOCUMENT
            .lines()
            .filter(|l| !l.starts_with('#'))
            .collect::<Vec<_>>()
            .join("\n")
            + "\n";
        assert_eq!(partition_runs_document(1), without_comments);
        let doc = partition_runs_document(3);
        assert!(doc.contains("$k2: String!") && doc.contains("p2: partition(partitionName: $k2)"));
        assert_eq!(doc.matches("fragment ").count(), 1);
    }
}

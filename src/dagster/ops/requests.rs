//! Many tags or backfills asked about at once: one document per batch of
//! [`BATCH`], with one aliased field per value (`r0`, `r1`, ... or `b0`,
//! `b1`, ...), so that asking about a thousand requests is ten round trips,
//! not a thousand.
//!
//! Each document is built from a verified one-field document
//! (`src/dagster/queries/launches_tagged.graphql`,
//! `partition_statuses.graphql`): its fragment is kept as it is and its one
//! field repeated under numbered aliases ([`launches_document`],
//! [`statuses_document`]; a test checks the one-field form is the file's).

use std::collections::BTreeMap;
use std::fmt::Write as _;

use serde::Deserialize;
use serde::de::DeserializeOwned;
use serde_json::{Map, Value};

use super::answer::{Lookup, Tag, message};
use super::backfills::{AssetData, Counts, StatusCount, count};
use super::tagged::Found;
use crate::dagster::{Client, Error};

/// Values asked about in one document.
pub const BATCH: usize = 100;

/// Launches listed per tag value: far more than one request ever makes
/// (its launch, a twin, re-executions); [`Tagged::more`] says when there were more.
pub const LIMIT: u32 = 50;

const LAUNCHES: &str = include_str!("../queries/launches_tagged.graphql");
const STATUSES: &str = include_str!("../queries/partition_statuses.graphql");

/// Whether a launch is a backfill or a run.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum LaunchType {
    /// A partition backfill (job or assets).
    Backfill,
    /// A run that is not part of a backfill.
    Run,
}

/// A backfill or stand-alone run found by a tag, with what a status report needs.
#[derive(Clone, Debug, PartialEq)]
pub struct Launch {
    /// Id, creation time, status (`BulkActionStatus` or `RunStatus`) and tags.
    pub found: Found,
    /// Backfill or run.
    pub kind: LaunchType,
    /// When it started (Unix seconds), if it has.
    pub started: Option<f64>,
    /// When it ended (Unix seconds), if it has.
    pub ended: Option<f64>,
    /// Where a backfill's partitions are (`None` for a run).
    pub counts: Option<Counts>,
    /// Whether it is an asset backfill.
    pub is_asset_backfill: bool,
}

/// The launches carrying one tag value, newest first as Dagster lists them.
#[derive(Clone, Debug, PartialEq)]
pub struct Tagged {
    /// At most [`LIMIT`] of them.
    pub launches: Vec<Launch>,
    /// Dagster has more than [`LIMIT`].
    pub more: bool,
}

/// For each of `values`, in order, the backfills and stand-alone runs
/// carrying the tag `key=value` (Dagster's `ROOTS` feed: a backfill's own
/// runs are not listed). One request per [`BATCH`] values.
pub fn launches_tagged(client: &Client, key: &str, values: &[&str]) -> Result<Vec<Tagged>, Error> {
    #[derive(Deserialize)]
    #[serde(rename_all = "camelCase")]
    struct Answer {
        #[serde(rename = "__typename")]
        typename: String,
        has_more: Option<bool>,
        results: Option<Vec<Entry>>,
        message: Option<String>,
    }
    #[derive(Deserialize)]
    #[serde(rename_all = "camelCase")]
    struct Entry {
        #[serde(rename = "__typename")]
        typename: String,
        id: String,
        creation_time: f64,
        start_time: Option<f64>,
        end_time: Option<f64>,
        tags: Vec<Tag>,
        status: Option<String>,
        backfill_status: Option<String>,
        is_asset_backfill: Option<bool>,
        num_partitions: Option<u64>,
        partition_status_counts: Option<Vec<StatusCount>>,
        asset_backfill_data: Option<AssetData>,
    }
    let mut out = Vec::with_capacity(values.len());
    for chunk in values.chunks(BATCH) {
        let mut variables = Map::new();
        variables.insert("key".into(), Value::from(key));
        for (i, v) in chunk.iter().enumerate() {
            variables.insert(format!("v{i}"), Value::from(*v));
        }
        let what = format!("looking up the launches of {} tag values", chunk.len());
        let answers: Vec<Answer> = batch(
            client,
            &what,
            &launches_document(chunk.len()),
            variables,
            'r',
            chunk.len(),
        )?;
        for (value, a) in chunk.iter().zip(answers) {
            let results = a.results.ok_or_else(|| {
                Error::unexpected(format!(
                    "looking up launches tagged {key}={value}: {}",
                    message(&a.typename, a.message)
                ))
            })?;
            let launches = results
                .into_iter()
                .filter_map(|e| {
                    let (kind, status) = match e.typename.as_str() {
                        "PartitionBackfill" => (LaunchType::Backfill, e.backfill_status),
                        "Run" => (LaunchType::Run, e.status),
                        _ => return None,
                    };
                    let counts = (kind == LaunchType::Backfill).then(|| {
                        count(
                            e.num_partitions,
                            e.partition_status_counts,
                            e.asset_backfill_data,
                        )
                    });
                    Some(Launch {
                        found: Found {
                            id: e.id,
                            created: e.creation_time,
                            status: status.unwrap_or_default(),
                            tags: e.tags,
                        },
                        kind,
                        started: e.start_time,
                        ended: e.end_time,
                        counts,
                        is_asset_backfill: e.is_asset_backfill.unwrap_or(false),
                    })
                })
                .collect();
            out.push(Tagged {
                launches,
                more: a.has_more.unwrap_or(false),
            });
        }
    }
    Ok(out)
}

/// The latest run status of each partition of a job backfill, in Dagster's
/// order; `None` where the partition has not run.
pub type PartitionStatuses = Vec<(String, Option<String>)>;

/// For each of the backfills `ids`, in order, its [`PartitionStatuses`]
/// (empty for an asset backfill, which has none), or Dagster's message when
/// it has no such backfill. One request per [`BATCH`] backfills.
pub fn partition_statuses(
    client: &Client,
    ids: &[&str],
) -> Result<Vec<Lookup<PartitionStatuses>>, Error> {
    #[derive(Deserialize)]
    #[serde(rename_all = "camelCase")]
    struct Answer {
        #[serde(rename = "__typename")]
        typename: String,
        id: Option<String>,
        partition_statuses: Option<Statuses>,
        message: Option<String>,
    }
    #[derive(Deserialize)]
    struct Statuses {
        results: Vec<PartitionStatus>,
    }
    #[derive(Deserialize)]
    #[serde(rename_all = "camelCase")]
    struct PartitionStatus {
        partition_name: String,
        run_status: Option<String>,
    }
    let mut out = Vec::with_capacity(ids.len());
    for chunk in ids.chunks(BATCH) {
        let variables: Map<String, Value> = chunk
            .iter()
            .enumerate()
            .map(|(i, id)| (format!("id{i}"), Value::from(*id)))
            .collect();
        let what = format!("reading the partitions of {} backfills", chunk.len());
        let answers: Vec<Answer> = batch(
            client,
            &what,
            &statuses_document(chunk.len()),
            variables,
            'b',
            chunk.len(),
        )?;
        out.extend(answers.into_iter().map(|a| {
            match a.id {
                Some(_) => Lookup::Found(
                    a.partition_statuses
                        .map(|s| {
                            s.results
                                .into_iter()
                                .map(|p| (p.partition_name, p.run_status))
                                .collect()
                        })
                        .unwrap_or_default(),
                ),
                None => Lookup::Missing(message(&a.typename, a.message)),
            }
        }));
    }
    Ok(out)
}

/// Sends a batched document and returns the answers of its fields
/// `{prefix}0` to `{prefix}{n-1}`, in order.
fn batch<T: DeserializeOwned>(
    client: &Client,
    what: &str,
    document: &str,
    variables: Map<String, Value>,
    prefix: char,
    n: usize,
) -> Result<Vec<T>, Error> {
    let mut data: BTreeMap<String, T> = client.query(what, document, Value::Object(variables))?;
    (0..n)
        .map(|i| {
            data.remove(&format!("{prefix}{i}")).ok_or_else(|| {
                Error::unexpected(format!("{what}: no field {prefix}{i} in the answer"))
            })
        })
        .collect()
}

/// The fragment definitions of a verified document (everything from its first `fragment`).
fn fragments(document: &str) -> &str {
    document
        .find("\nfragment ")
        .map_or("", |i| &document[i + 1..])
}

/// The document [`launches_tagged`] sends for `n` tag values.
pub fn launches_document(n: usize) -> String {
    let mut doc = String::from("query LaunchesTagged($key: String!");
    for i in 0..n {
        let _ = write!(doc, ", $v{i}: String!");
    }
    doc.push_str(") {\n");
    for i in 0..n {
        let _ = writeln!(
            doc,
            "  r{i}: runsFeedOrError(limit: {LIMIT}, view: ROOTS, filter: {{ tags: [{{ key: $key, value: $v{i} }}] }}) {{\n    ...LaunchesTagged\n  }}"
        );
    }
    doc.push_str("}\n\n");
    doc.push_str(fragments(LAUNCHES));
    doc
}

/// The document [`partition_statuses`] sends for `n` backfills.
pub fn statuses_document(n: usize) -> String {
    let mut doc = String::from("query PartitionStatuses(");
    for i in 0..n {
        let _ = write!(doc, "{}$id{i}: String!", if i == 0 { "" } else { ", " });
    }
    doc.push_str(") {\n");
    for i in 0..n {
        let _ = writeln!(
            doc,
            "  b{i}: partitionBackfillOrError(backfillId: $id{i}) {{\n    ...PartitionStatuses\n  }}"
        );
    }
    doc.push_str("}\n\n");
    doc.push_str(fragments(STATUSES));
    doc
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The file without its comment lines: what the one-field document must be.
    fn without_comments(document: &str) -> String {
        document
            .lines()
            .filter(|l| !l.starts_with('#'))
            .collect::<Vec<_>>()
            .join("\n")
            + "\n"
    }

    #[test]
    fn one_field_documents_are_the_verified_files() {
        assert_eq!(launches_document(1), without_comments(LAUNCHES));
        assert_eq!(statuses_document(1), without_comments(STATUSES));
    }

    #[test]
    fn each_value_gets_its_own_alias_and_variable() {
        let doc = launches_document(3);
        for i in 0..3 {
            assert!(doc.contains(&format!("$v{i}: String!")), "{doc}");
            assert!(doc.contains(&format!("r{i}: runsFeedOrError(")), "{doc}");
        }
        assert!(!doc.contains("r3:"));
        assert_eq!(doc.matches("fragment ").count(), 1);
        assert!(!doc.contains("mutation"));
        let doc = statuses_document(2);
        assert!(doc.contains("query PartitionStatuses($id0: String!, $id1: String!)"));
        assert!(doc.contains("b1: partitionBackfillOrError(backfillId: $id1)"));
    }
}

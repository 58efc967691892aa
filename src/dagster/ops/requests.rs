//! Many tags or backfills asked about at once: one document per batch of
//! [`BATCH`], with one aliased field per value (`r0`, `r1`, ... or `b0`,
//! `b1`, ...), so that asking about a thousand requests is ten round trips,
//! not a thousand.
//!
//! Each document is built from a verified document
//! (`src/dagster/queries/runs_tagged.graphql`, `backfill_details.graphql`,
//! `partition_statuses.graphql`): its fragments are kept as they are and its
//! field repeated under numbered aliases ([`runs_document`],
//! [`details_document`], [`statuses_document`]; a test checks that the
//! file's form is what they build).

use std::collections::BTreeMap;
use std::fmt::Write as _;

use serde::Deserialize;
use serde::de::DeserializeOwned;
use serde_json::{Map, Value};

use super::answer::{BackfillStatuses, Lookup, Results, Tag, message, status_pairs};
use super::backfills::{AssetData, Counts, StatusCount, count};
use super::tagged::Found;
use crate::dagster::{Client, Error};

/// Values asked about in one document.
pub const BATCH: usize = 100;

/// Runs listed per tag value: far more than one request ever makes (its
/// run, a twin, re-executions); [`RunsTagged::more`] says when there were more.
pub const LIMIT: u32 = 50;

const RUNS: &str = include_str!("../queries/runs_tagged.graphql");
const DETAILS: &str = include_str!("../queries/backfill_details.graphql");
const STATUSES: &str = include_str!("../queries/partition_statuses.graphql");

/// Whether a launch is a backfill or a run.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum LaunchType {
    /// A partition backfill (job or assets).
    Backfill,
    /// A run that is not part of a backfill.
    Run,
}

/// The tag Dagster puts on each run of a backfill.
const BACKFILL_TAG: &str = "dagster/backfill";

/// A run found by a tag, with its times.
#[derive(Clone, Debug, PartialEq)]
pub struct Run {
    /// Id, creation time, `RunStatus` and tags.
    pub found: Found,
    /// When it started (Unix seconds), if it has.
    pub started: Option<f64>,
    /// When it ended (Unix seconds), if it has.
    pub ended: Option<f64>,
}

/// The stand-alone runs carrying one tag value, newest first as Dagster lists them.
#[derive(Clone, Debug, PartialEq)]
pub struct RunsTagged {
    /// Runs that are not part of a backfill, from the newest [`LIMIT`] runs
    /// carrying the value.
    pub runs: Vec<Run>,
    /// Dagster has more than [`LIMIT`] runs carrying it.
    pub more: bool,
}

/// For each of `values`, in order, the runs carrying the tag `key=value`
/// that are not part of a backfill (no `dagster/backfill` tag, as Dagster's
/// `ROOTS` feed shows them). One request per [`BATCH`] values.
pub fn runs_tagged(client: &Client, key: &str, values: &[&str]) -> Result<Vec<RunsTagged>, Error> {
    #[derive(Deserialize)]
    #[serde(rename_all = "camelCase")]
    struct Entry {
        id: String,
        creation_time: f64,
        start_time: Option<f64>,
        end_time: Option<f64>,
        status: String,
        tags: Vec<Tag>,
    }
    let mut out = Vec::with_capacity(values.len());
    for chunk in values.chunks(BATCH) {
        let mut variables = Map::new();
        variables.insert("key".into(), Value::from(key));
        for (i, v) in chunk.iter().enumerate() {
            variables.insert(format!("v{i}"), Value::from(*v));
        }
        let what = format!("looking up the runs of {} tag values", chunk.len());
        let answers: Vec<Results<Entry>> = batch(
            client,
            &what,
            &runs_document(chunk.len()),
            variables,
            'r',
            chunk.len(),
        )?;
        for (value, a) in chunk.iter().zip(answers) {
            let results = a.list(&format!("looking up runs tagged {key}={value}"))?;
            let more = results.len() > LIMIT as usize;
            let runs = results
                .into_iter()
                .take(LIMIT as usize)
                .filter(|e| super::tag(&e.tags, BACKFILL_TAG).is_none())
                .map(|e| Run {
                    found: Found {
                        id: e.id,
                        created: e.creation_time,
                        status: e.status,
                        tags: e.tags,
                    },
                    started: e.start_time,
                    ended: e.end_time,
                })
                .collect();
            out.push(RunsTagged { runs, more });
        }
    }
    Ok(out)
}

/// What [`backfill_details`] says of a backfill.
#[derive(Clone, Debug, PartialEq)]
pub struct BackfillDetails {
    /// `BulkActionStatus`.
    pub status: String,
    /// When it started (Unix seconds), if it has.
    pub started: Option<f64>,
    /// When it ended (Unix seconds), if it has.
    pub ended: Option<f64>,
    /// Whether it is an asset backfill.
    pub is_asset_backfill: bool,
    /// Its `numPartitions`.
    pub num_partitions: Option<u64>,
    /// Where its partitions are; `None` for a job backfill whose counts
    /// were not asked for.
    pub counts: Option<Counts>,
}

/// For each of `wanted` (a backfill id, and whether a job backfill's
/// partition counts by run status are wanted), in order, its
/// [`BackfillDetails`], or Dagster's message when it has no such backfill.
/// An asset backfill's counts come with it either way. One request per
/// [`BATCH`] backfills.
pub fn backfill_details(
    client: &Client,
    wanted: &[(&str, bool)],
) -> Result<Vec<Lookup<BackfillDetails>>, Error> {
    #[derive(Deserialize)]
    #[serde(rename_all = "camelCase")]
    struct Answer {
        #[serde(rename = "__typename")]
        typename: String,
        status: Option<String>,
        start_time: Option<f64>,
        end_time: Option<f64>,
        is_asset_backfill: Option<bool>,
        num_partitions: Option<u64>,
        partition_status_counts: Option<Vec<StatusCount>>,
        asset_backfill_data: Option<AssetData>,
        message: Option<String>,
    }
    let mut out = Vec::with_capacity(wanted.len());
    for chunk in wanted.chunks(BATCH) {
        let variables: Map<String, Value> = chunk
            .iter()
            .enumerate()
            .map(|(i, (id, _))| (format!("id{i}"), Value::from(*id)))
            .collect();
        let counted: Vec<bool> = chunk.iter().map(|(_, c)| *c).collect();
        let what = format!("reading {} backfills", chunk.len());
        let answers: Vec<Answer> = batch(
            client,
            &what,
            &details_document(&counted),
            variables,
            'b',
            chunk.len(),
        )?;
        out.extend(answers.into_iter().map(|a| {
            let Some(status) = a.status else {
                return Lookup::Missing(message(&a.typename, a.message));
            };
            let counts = (a.asset_backfill_data.is_some() || a.partition_status_counts.is_some())
                .then(|| {
                    count(
                        a.num_partitions,
                        a.partition_status_counts,
                        a.asset_backfill_data,
                    )
                });
            Lookup::Found(BackfillDetails {
                status,
                started: a.start_time,
                ended: a.end_time,
                is_asset_backfill: a.is_asset_backfill.unwrap_or(false),
                num_partitions: a.num_partitions,
                counts,
            })
        }));
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
        partition_statuses: Option<BackfillStatuses>,
        message: Option<String>,
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
        out.extend(answers.into_iter().map(|a| match a.id {
            Some(_) => Lookup::Found(status_pairs(a.partition_statuses)),
            None => Lookup::Missing(message(&a.typename, a.message)),
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

/// The document [`runs_tagged`] sends for `n` tag values.
pub fn runs_document(n: usize) -> String {
    let mut doc = String::from("query RunsTagged($key: String!");
    for i in 0..n {
        let _ = write!(doc, ", $v{i}: String!");
    }
    doc.push_str(") {\n");
    for i in 0..n {
        let _ = writeln!(
            doc,
            "  r{i}: runsOrError(limit: {}, filter: {{ tags: [{{ key: $key, value: $v{i} }}] }}) {{\n    ...RunsTagged\n  }}",
            LIMIT + 1
        );
    }
    doc.push_str("}\n\n");
    doc.push_str(fragments(RUNS));
    doc
}

/// The document [`backfill_details`] sends for backfills whose job
/// partition counts are wanted or not (`counted`, one per backfill).
pub fn details_document(counted: &[bool]) -> String {
    let mut doc = String::from("query BackfillDetails(");
    for i in 0..counted.len() {
        let _ = write!(doc, "{}$id{i}: String!", if i == 0 { "" } else { ", " });
    }
    doc.push_str(") {\n");
    for (i, c) in counted.iter().enumerate() {
        let fragment = if *c {
            "BackfillCounted"
        } else {
            "BackfillDetails"
        };
        let _ = writeln!(
            doc,
            "  b{i}: partitionBackfillOrError(backfillId: $id{i}) {{\n    ...{fragment}\n  }}"
        );
    }
    doc.push_str("}\n\n");
    // `BackfillCounted` (last in the file) spreads `BackfillDetails`; a
    // fragment no field uses would make the document invalid.
    let all = fragments(DETAILS);
    if counted.contains(&true) {
        doc.push_str(all);
    } else {
        let counted_at = all.find("\nfragment BackfillCounted").unwrap_or(all.len());
        doc.push_str(&all[..counted_at]);
    }
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
    fn the_verified_files_are_what_the_builders_make() {
        assert_eq!(runs_document(1), without_comments(RUNS));
        assert_eq!(details_document(&[true, false]), without_comments(DETAILS));
        assert_eq!(statuses_document(1), without_comments(STATUSES));
    }

    #[test]
    fn each_value_gets_its_own_alias_and_variable() {
        let doc = runs_document(3);
        for i in 0..3 {
            assert!(doc.contains(&format!("$v{i}: String!")), "{doc}");
            assert!(
                doc.contains(&format!("r{i}: runsOrError(limit: 51,")),
                "{doc}"
            );
        }
        assert!(!doc.contains("r3:"));
        assert_eq!(doc.matches("fragment ").count(), 1);
        assert!(!doc.contains("mutation"));
        let doc = statuses_document(2);
        assert!(doc.contains("query PartitionStatuses($id0: String!, $id1: String!)"));
        assert!(doc.contains("b1: partitionBackfillOrError(backfillId: $id1)"));
    }

    #[test]
    fn counts_are_asked_only_where_wanted_and_unused_fragments_left_out() {
        let doc = details_document(&[false, true, false]);
        assert!(
            doc.contains(
                "b1: partitionBackfillOrError(backfillId: $id1) {\n    ...BackfillCounted"
            )
        );
        assert!(
            doc.contains(
                "b2: partitionBackfillOrError(backfillId: $id2) {\n    ...BackfillDetails"
            )
        );
        assert_eq!(doc.matches("partitionStatusCounts").count(), 1);
        let doc = details_document(&[false, false]);
        assert!(!doc.contains("partitionStatusCounts"), "{doc}");
        assert!(!doc.contains("BackfillCounted"), "{doc}");
        assert!(doc.trim_end().ends_with('}'), "{doc}");
    }
}

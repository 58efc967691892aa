//! Backfills and runs found by their tags: how an earlier launch of a
//! request is found again.

use serde::Deserialize;
use serde_json::{Value, json};

use super::answer::{Tag, message};
use crate::dagster::{Client, Error};

/// A backfill or run found by its tags.
#[derive(Clone, Debug, PartialEq)]
pub struct Found {
    /// Backfill id or run id.
    pub id: String,
    /// Creation time, Unix seconds.
    pub created: f64,
    /// Status (`BulkActionStatus` or `RunStatus`).
    pub status: String,
    /// Its tags.
    pub tags: Vec<Tag>,
}

fn tag_list(tags: &[(&str, &str)]) -> Value {
    Value::Array(
        tags.iter()
            .map(|(k, v)| json!({ "key": k, "value": v }))
            .collect(),
    )
}

/// Backfills carrying every one of `tags`, oldest first.
pub fn find_backfills(client: &Client, tags: &[(&str, &str)]) -> Result<Vec<Found>, Error> {
    #[derive(Deserialize)]
    #[serde(rename_all = "camelCase")]
    struct Data {
        runs_feed_or_error: Answer,
    }
    #[derive(Deserialize)]
    struct Answer {
        #[serde(rename = "__typename")]
        typename: String,
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
        tags: Vec<Tag>,
        status: Option<String>,
    }
    let what = "looking up backfills by tag";
    let data: Data = client.query(
        what,
        include_str!("../queries/find_backfills.graphql"),
        json!({ "tags": tag_list(tags), "limit": 50 }),
    )?;
    let answer = data.runs_feed_or_error;
    let results = answer.results.ok_or_else(|| {
        Error::unexpected(format!(
            "{what}: {}",
            message(&answer.typename, answer.message)
        ))
    })?;
    let mut found: Vec<Found> = results
        .into_iter()
        .filter(|e| e.typename == "PartitionBackfill")
        .map(|e| Found {
            id: e.id,
            created: e.creation_time,
            status: e.status.unwrap_or_default(),
            tags: e.tags,
        })
        .collect();
    found.sort_by(|a, b| a.created.total_cmp(&b.created));
    Ok(found)
}

/// Runs carrying every one of `tags` (and one of `statuses`, if given), oldest first.
pub fn find_runs(
    client: &Client,
    tags: &[(&str, &str)],
    statuses: &[&str],
    limit: u32,
) -> Result<Vec<Found>, Error> {
    #[derive(Deserialize)]
    #[serde(rename_all = "camelCase")]
    struct Data {
        runs_or_error: Answer,
    }
    #[derive(Deserialize)]
    struct Answer {
        #[serde(rename = "__typename")]
        typename: String,
        results: Option<Vec<RunEntry>>,
        message: Option<String>,
    }
    #[derive(Deserialize)]
    #[serde(rename_all = "camelCase")]
    struct RunEntry {
        run_id: String,
        status: String,
        creation_time: f64,
        tags: Vec<Tag>,
    }
    let what = "looking up runs by tag";
    let mut filter = json!({ "tags": tag_list(tags) });
    if !statuses.is_empty() {
        filter["statuses"] = json!(statuses);
    }
    let data: Data = client.query(
        what,
        include_str!("../queries/find_runs.graphql"),
        json!({ "filter": filter, "limit": limit }),
    )?;
    let answer = data.runs_or_error;
    let results = answer.results.ok_or_else(|| {
        Error::unexpected(format!(
            "{what}: {}",
            message(&answer.typename, answer.message)
        ))
    })?;
    let mut found: Vec<Found> = results
        .into_iter()
        .map(|r| Found {
            id: r.run_id,
            created: r.creation_time,
            status: r.status,
            tags: r.tags,
        })
        .collect();
    found.sort_by(|a, b| a.created.total_cmp(&b.created));
    Ok(found)
}

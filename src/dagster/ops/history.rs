//! What Dagster already did, or is doing, to partitions a request selects:
//! which of them already succeeded (a job's partition statuses, an asset's
//! materializations) and which backfills not yet ended target them. Asked
//! by `plan --resolve` to say what a merge will re-run and collide with.

use serde::Deserialize;
use serde_json::json;

use super::answer::{AssetKey, PartitionSet, PartitionStatus, Tag, message};
use super::locations::Target;
use crate::dagster::{Client, Error};

/// How many backfills not yet ended are read, newest first.
pub const ACTIVE_LIMIT: u32 = 200;

/// The latest run status of every partition of `target`'s job that has
/// run (from its partition set, `<job>_partition_set`); `None` where the
/// partition has not run.
pub fn job_partition_statuses(
    client: &Client,
    target: &Target,
) -> Result<Vec<(String, Option<String>)>, Error> {
    #[derive(Deserialize)]
    #[serde(rename_all = "camelCase")]
    struct Data {
        partition_set_or_error: Answer,
    }
    #[derive(Deserialize)]
    #[serde(rename_all = "camelCase")]
    struct Answer {
        #[serde(rename = "__typename")]
        typename: String,
        partition_statuses_or_error: Option<Statuses>,
        message: Option<String>,
    }
    #[derive(Deserialize)]
    struct Statuses {
        #[serde(rename = "__typename")]
        typename: String,
        results: Option<Vec<PartitionStatus>>,
        message: Option<String>,
    }
    let what = format!("reading the partition statuses of job {}", target.job);
    let data: Data = client.query(
        &what,
        include_str!("../queries/job_partition_statuses.graphql"),
        json!({
            "repositorySelector": target.repository_selector(),
            "partitionSetName": format!("{}_partition_set", target.job),
        }),
    )?;
    let a = data.partition_set_or_error;
    let Some(statuses) = a.partition_statuses_or_error else {
        return Err(Error::refused(format!(
            "{what}: {}",
            message(&a.typename, a.message)
        )));
    };
    let results = statuses.results.ok_or_else(|| {
        Error::unexpected(format!(
            "{what}: {}",
            message(&statuses.typename, statuses.message)
        ))
    })?;
    Ok(results
        .into_iter()
        .map(|s| (s.partition_name, s.run_status))
        .collect())
}

/// For each of `keys`, whether asset `asset` has been materialized in it.
pub fn asset_materialized(
    client: &Client,
    asset: &str,
    keys: &[String],
) -> Result<Vec<bool>, Error> {
    #[derive(Deserialize)]
    #[serde(rename_all = "camelCase")]
    struct Data {
        asset_node_or_error: Answer,
    }
    #[derive(Deserialize)]
    #[serde(rename_all = "camelCase")]
    struct Answer {
        #[serde(rename = "__typename")]
        typename: String,
        latest_materialization_by_partition: Option<Vec<Option<serde_json::Value>>>,
        message: Option<String>,
    }
    let what = format!("reading the materializations of asset {asset}");
    let path: Vec<&str> = asset.split('/').collect();
    let data: Data = client.query(
        &what,
        include_str!("../queries/asset_materialized.graphql"),
        json!({ "assetKey": { "path": path }, "partitions": keys }),
    )?;
    let a = data.asset_node_or_error;
    let found = a
        .latest_materialization_by_partition
        .ok_or_else(|| Error::refused(format!("{what}: {}", message(&a.typename, a.message))))?;
    if found.len() != keys.len() {
        return Err(Error::unexpected(format!(
            "{what}: {} answers for {} partitions",
            found.len(),
            keys.len()
        )));
    }
    Ok(found.iter().map(Option::is_some).collect())
}

/// A backfill that has not ended yet.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Active {
    /// Its id.
    pub id: String,
    /// `BulkActionStatus` (`REQUESTED`, `CANCELING`, `FAILING`).
    pub status: String,
    /// Its title, if it has one.
    pub title: Option<String>,
    /// Where a job backfill runs (absent for an asset backfill).
    pub target: Option<Target>,
    /// The assets of an asset backfill, `/`-joined.
    pub assets: Vec<String>,
    /// The partition keys it targets.
    pub partitions: Vec<String>,
    /// Its tags.
    pub tags: Vec<Tag>,
}

/// Every backfill not yet ended (at most [`ACTIVE_LIMIT`], newest first).
pub fn active_backfills(client: &Client) -> Result<Vec<Active>, Error> {
    #[derive(Deserialize)]
    #[serde(rename_all = "camelCase")]
    struct Data {
        partition_backfills_or_error: Answer,
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
        id: String,
        status: String,
        title: Option<String>,
        job_name: Option<String>,
        partition_names: Option<Vec<String>>,
        partition_set: Option<PartitionSet>,
        asset_selection: Option<Vec<AssetKey>>,
        tags: Vec<Tag>,
    }
    let what = "reading the backfills in progress";
    let data: Data = client.query(
        what,
        include_str!("../queries/active_backfills.graphql"),
        json!({ "limit": ACTIVE_LIMIT }),
    )?;
    let a = data.partition_backfills_or_error;
    let results = a
        .results
        .ok_or_else(|| Error::unexpected(format!("{what}: {}", message(&a.typename, a.message))))?;
    Ok(results
        .into_iter()
        .map(|e| Active {
            target: match (e.partition_set, e.job_name) {
                (Some(set), Some(job)) => Some(Target {
                    location: set.repository_origin.repository_location_name,
                    repository: set.repository_origin.repository_name,
                    job,
                }),
                _ => None,
            },
            id: e.id,
            status: e.status,
            title: e.title.filter(|t| !t.is_empty()),
            assets: e
                .asset_selection
                .unwrap_or_default()
                .into_iter()
                .map(|k| k.joined())
                .collect(),
            partitions: e.partition_names.unwrap_or_default(),
            tags: e.tags,
        })
        .collect())
}

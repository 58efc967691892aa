//! What Dagster already did, or is doing, to partitions a request selects:
//! which of them already succeeded (a job's partition statuses, an asset's
//! materializations and partition statuses) and which backfills not yet
//! ended target them. Asked by `plan --resolve` to say what a merge will
//! re-run and collide with, and by the resolution of `reprocess` to launch
//! only what is missing or failed.

use std::collections::HashSet;

use serde::Deserialize;
use serde_json::json;

use super::answer::{AssetKey, PartitionSet, PartitionStatus, Results, Tag, joined_keys, message};
use super::assets::asset_node;
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
    Ok(results.into_iter().map(PartitionStatus::pair).collect())
}

/// For each of `keys`, whether asset `asset` has been materialized in it.
pub fn asset_materialized(
    client: &Client,
    asset: &str,
    keys: &[String],
) -> Result<Vec<bool>, Error> {
    #[derive(Deserialize)]
    #[serde(rename_all = "camelCase")]
    struct Node {
        latest_materialization_by_partition: Vec<Option<serde_json::Value>>,
    }
    let what = format!("reading the materializations of asset {asset}");
    let found = asset_node::<Node>(
        client,
        &what,
        include_str!("../queries/asset_materialized.graphql"),
        asset,
        json!({ "partitions": keys }),
    )?
    .latest_materialization_by_partition;
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
    /// The partition keys it targets, once asked ([`backfill_partitions`]):
    /// the list of backfills leaves them out.
    pub partitions: Option<Vec<String>>,
    /// Its tags.
    pub tags: Vec<Tag>,
}

/// Every backfill not yet ended (at most [`ACTIVE_LIMIT`], newest first).
pub fn active_backfills(client: &Client) -> Result<Vec<Active>, Error> {
    #[derive(Deserialize)]
    #[serde(rename_all = "camelCase")]
    struct Data {
        partition_backfills_or_error: Results<Entry>,
    }
    #[derive(Deserialize)]
    #[serde(rename_all = "camelCase")]
    struct Entry {
        id: String,
        status: String,
        title: Option<String>,
        job_name: Option<String>,
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
    Ok(data
        .partition_backfills_or_error
        .list(what)?
        .into_iter()
        .map(|e| Active {
            target: e
                .partition_set
                .zip(e.job_name)
                .map(|(set, job)| set.target(job)),
            id: e.id,
            status: e.status,
            title: e.title.filter(|t| !t.is_empty()),
            assets: joined_keys(e.asset_selection),
            partitions: None,
            tags: e.tags,
        })
        .collect())
}

/// The partition keys backfill `id` targets (none when it has gone).
pub fn backfill_partitions(client: &Client, id: &str) -> Result<Vec<String>, Error> {
    #[derive(Deserialize)]
    #[serde(rename_all = "camelCase")]
    struct Data {
        partition_backfill_or_error: Answer,
    }
    #[derive(Deserialize)]
    #[serde(rename_all = "camelCase")]
    struct Answer {
        partition_names: Option<Vec<String>>,
    }
    let data: Data = client.query(
        &format!("reading the partitions of backfill {id}"),
        include_str!("../queries/backfill_partitions.graphql"),
        json!({ "backfillId": id }),
    )?;
    Ok(data
        .partition_backfill_or_error
        .partition_names
        .unwrap_or_default())
}

/// What Dagster last did to the partitions of an asset, by full key; a
/// partition in none of the sets was never materialized nor tried.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct AssetStatuses {
    /// Materialized (its latest attempt succeeded).
    pub materialized: HashSet<String>,
    /// Its latest attempt failed.
    pub failed: HashSet<String>,
    /// A run materializing it is in progress.
    pub materializing: HashSet<String>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct Statuses1D {
    #[serde(rename = "__typename")]
    typename: String,
    materialized_partitions: Option<Vec<String>>,
    failed_partitions: Option<Vec<String>>,
    materializing_partitions: Option<Vec<String>>,
    time_ranges: Option<Vec<TimeRange>>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct TimeRange {
    start_key: String,
    end_key: String,
    status: String,
}

impl AssetStatuses {
    /// Adds `key` to the set `status` (`PartitionRangeStatus`) names.
    fn add(&mut self, key: String, status: &str) -> Result<(), String> {
        let set = match status {
            "MATERIALIZED" => &mut self.materialized,
            "FAILED" => &mut self.failed,
            "MATERIALIZING" => &mut self.materializing,
            other => return Err(format!("unknown partition status {other}")),
        };
        set.insert(key);
        Ok(())
    }

    /// Adds the statuses `s` of one dimension whose keys, in order, are
    /// `keys`, each key written as `full` makes it.
    fn add_1d(
        &mut self,
        s: Statuses1D,
        keys: &[String],
        full: &dyn Fn(&str) -> String,
    ) -> Result<(), String> {
        match s.typename.as_str() {
            "DefaultPartitionStatuses" => {
                for (list, status) in [
                    (s.materialized_partitions, "MATERIALIZED"),
                    (s.failed_partitions, "FAILED"),
                    (s.materializing_partitions, "MATERIALIZING"),
                ] {
                    for key in list.unwrap_or_default() {
                        self.add(full(&key), status)?;
                    }
                }
            }
            "TimePartitionStatuses" => {
                for range in s.time_ranges.unwrap_or_default() {
                    for key in slice(keys, &range.start_key, &range.end_key)? {
                        self.add(full(key), &range.status)?;
                    }
                }
            }
            other => return Err(format!("unexpected partition statuses {other}")),
        }
        Ok(())
    }
}

/// The keys from `start` to `end` of `keys`, both included.
fn slice<'k>(keys: &'k [String], start: &str, end: &str) -> Result<&'k [String], String> {
    let at = |bound: &str| {
        keys.iter()
            .position(|k| k == bound)
            .ok_or_else(|| format!("a range bound {bound} is not one of its keys"))
    };
    let (first, last) = (at(start)?, at(end)?);
    keys.get(first..=last)
        .ok_or_else(|| format!("the range {start}..{end} is reversed"))
}

/// What Dagster last did to each partition of asset `asset`: its
/// partition statuses, with the ranges Dagster answers for time partitions
/// expanded over the asset's keys, and multi-partition keys joined in
/// dimension-name order as Dagster writes them.
pub fn asset_partition_statuses(client: &Client, asset: &str) -> Result<AssetStatuses, Error> {
    #[derive(Deserialize)]
    #[serde(rename_all = "camelCase")]
    struct Node {
        partition_keys_by_dimension: Vec<DimensionKeys>,
        asset_partition_statuses: Statuses,
    }
    #[derive(Deserialize)]
    #[serde(rename_all = "camelCase")]
    struct DimensionKeys {
        name: String,
        partition_keys: Vec<String>,
    }
    #[derive(Deserialize)]
    #[serde(rename_all = "camelCase")]
    struct Statuses {
        #[serde(flatten)]
        one: Statuses1D,
        primary_dimension_name: Option<String>,
        primary_ranges: Option<Vec<Range2D>>,
    }
    #[derive(Deserialize)]
    #[serde(rename_all = "camelCase")]
    struct Range2D {
        primary_dim_start_key: String,
        primary_dim_end_key: String,
        secondary_dim: Statuses1D,
    }
    let what = format!("reading the partition statuses of asset {asset}");
    let node: Node = asset_node(
        client,
        &what,
        include_str!("../queries/asset_partition_statuses.graphql"),
        asset,
        json!({}),
    )?;
    let (dimensions, statuses) = (
        node.partition_keys_by_dimension,
        node.asset_partition_statuses,
    );
    let unexpected = |detail: String| Error::unexpected(format!("{what}: {detail}"));
    let mut out = AssetStatuses::default();
    if statuses.one.typename != "MultiPartitionStatuses" {
        let keys = match dimensions.as_slice() {
            [one] => one.partition_keys.as_slice(),
            _ => &[],
        };
        out.add_1d(statuses.one, keys, &|k| k.to_owned())
            .map_err(unexpected)?;
        return Ok(out);
    }
    let primary_name = statuses.primary_dimension_name.unwrap_or_default();
    let (Some(primary), Some(secondary)) = (
        dimensions.iter().find(|d| d.name == primary_name),
        dimensions.iter().find(|d| d.name != primary_name),
    ) else {
        return Err(unexpected(format!(
            "no keys for the dimensions of multi-partitions whose primary is `{primary_name}`"
        )));
    };
    let primary_first = primary.name < secondary.name;
    for range in statuses.primary_ranges.unwrap_or_default() {
        let primary_keys = slice(
            &primary.partition_keys,
            &range.primary_dim_start_key,
            &range.primary_dim_end_key,
        )
        .map_err(&unexpected)?;
        // The secondary statuses hold for every primary key of the range.
        let mut inner = AssetStatuses::default();
        inner
            .add_1d(range.secondary_dim, &secondary.partition_keys, &|k| {
                k.to_owned()
            })
            .map_err(&unexpected)?;
        for p in primary_keys {
            let full = |s: &String| {
                if primary_first {
                    format!("{p}|{s}")
                } else {
                    format!("{s}|{p}")
                }
            };
            out.materialized.extend(inner.materialized.iter().map(full));
            out.failed.extend(inner.failed.iter().map(full));
            out.materializing
                .extend(inner.materializing.iter().map(full));
        }
    }
    Ok(out)
}

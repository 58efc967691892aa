//! A backfill's state: its progress while it is followed, and its detail
//! (targets, per-partition results) once it has ended.

use serde::Deserialize;
use serde_json::json;

use super::answer::{
    AssetKey, BackfillStatuses, Lookup, Message, PartitionSet, joined_keys, message, status_pairs,
};
use super::locations::Target;
use super::runs::{RunClass, classify_run};
use crate::dagster::{Client, Error};

/// Backfill statuses (`BulkActionStatus`) after which nothing more happens.
pub const TERMINAL_BACKFILL: [&str; 5] = [
    "COMPLETED",
    "COMPLETED_SUCCESS",
    "COMPLETED_FAILED",
    "FAILED",
    "CANCELED",
];

/// How many partitions of a backfill are where.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Counts {
    /// Partitions in the backfill.
    pub total: u64,
    /// Succeeded (materialized).
    pub done: u64,
    /// Failed or cancelled.
    pub failed: u64,
    /// Queued, starting or running.
    pub in_progress: u64,
}

/// A backfill's status while it is followed.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Progress {
    /// `BulkActionStatus`.
    pub status: String,
    /// Where its partitions are.
    pub counts: Counts,
    /// The backfill's own error, if Dagster recorded one.
    pub error: Option<String>,
}

/// The status and counts of a backfill.
pub fn backfill_progress(client: &Client, id: &str) -> Result<Lookup<Progress>, Error> {
    #[derive(Deserialize)]
    #[serde(rename_all = "camelCase")]
    struct Data {
        partition_backfill_or_error: Answer,
    }
    #[derive(Deserialize)]
    #[serde(rename_all = "camelCase")]
    struct Answer {
        #[serde(rename = "__typename")]
        typename: String,
        status: Option<String>,
        num_partitions: Option<u64>,
        partition_status_counts: Option<Vec<StatusCount>>,
        asset_backfill_data: Option<AssetData>,
        error: Option<Message>,
        message: Option<String>,
    }
    let what = format!("reading backfill {id}");
    let data: Data = client.query(
        &what,
        include_str!("../queries/backfill_progress.graphql"),
        json!({ "backfillId": id }),
    )?;
    let a = data.partition_backfill_or_error;
    let Some(status) = a.status else {
        return Ok(Lookup::Missing(message(&a.typename, a.message)));
    };
    Ok(Lookup::Found(Progress {
        status,
        counts: count(
            a.num_partitions,
            a.partition_status_counts,
            a.asset_backfill_data,
        ),
        error: a.error.and_then(|e| e.message),
    }))
}

/// A job backfill's partitions counted by their latest run status.
#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
pub(super) struct StatusCount {
    run_status: String,
    count: u64,
}

/// An asset backfill's per-asset counts.
#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
pub(super) struct AssetData {
    asset_backfill_statuses: Vec<AssetStatus>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct AssetStatus {
    num_partitions_targeted: Option<u64>,
    num_partitions_in_progress: Option<u64>,
    num_partitions_materialized: Option<u64>,
    num_partitions_failed: Option<u64>,
    in_progress: Option<bool>,
    materialized: Option<bool>,
    failed: Option<bool>,
}

/// Where a backfill's partitions are, from what Dagster says of it: its
/// `numPartitions`, a job backfill's `partitionStatusCounts`, an asset
/// backfill's `assetBackfillData`.
pub(super) fn count(
    num_partitions: Option<u64>,
    by_status: Option<Vec<StatusCount>>,
    assets: Option<AssetData>,
) -> Counts {
    let mut counts = Counts {
        total: num_partitions.unwrap_or(0),
        ..Counts::default()
    };
    if let Some(assets) = assets {
        let mut total = 0;
        for s in assets.asset_backfill_statuses {
            let flag = |b: Option<bool>| u64::from(b.unwrap_or(false));
            total += s.num_partitions_targeted.unwrap_or(1);
            counts.done += s
                .num_partitions_materialized
                .unwrap_or_else(|| flag(s.materialized));
            counts.failed += s.num_partitions_failed.unwrap_or_else(|| flag(s.failed));
            counts.in_progress += s
                .num_partitions_in_progress
                .unwrap_or_else(|| flag(s.in_progress));
        }
        counts.total = counts.total.max(total);
    } else {
        for c in by_status.unwrap_or_default() {
            match classify_run(&c.run_status) {
                RunClass::Succeeded => counts.done += c.count,
                RunClass::Failed => counts.failed += c.count,
                RunClass::InProgress => counts.in_progress += c.count,
                RunClass::NotStarted => {}
            }
        }
    }
    counts
}

/// A backfill's targets and per-partition results, read once.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Detail {
    /// `BulkActionStatus`.
    pub status: String,
    /// Whether it is an asset backfill.
    pub is_asset_backfill: bool,
    /// Where a job backfill ran.
    pub target: Option<Target>,
    /// The partition set of a job backfill.
    pub partition_set: Option<String>,
    /// The assets of an asset backfill, `/`-joined.
    pub assets: Vec<String>,
    /// Latest run status per partition (job backfills), `None` when never run.
    pub partitions: Vec<(String, Option<String>)>,
}

/// The detail of a backfill.
pub fn backfill_detail(client: &Client, id: &str) -> Result<Lookup<Detail>, Error> {
    #[derive(Deserialize)]
    #[serde(rename_all = "camelCase")]
    struct Data {
        partition_backfill_or_error: Answer,
    }
    #[derive(Deserialize)]
    #[serde(rename_all = "camelCase")]
    struct Answer {
        #[serde(rename = "__typename")]
        typename: String,
        status: Option<String>,
        is_asset_backfill: Option<bool>,
        job_name: Option<String>,
        partition_set_name: Option<String>,
        partition_set: Option<PartitionSet>,
        asset_selection: Option<Vec<AssetKey>>,
        partition_statuses: Option<BackfillStatuses>,
        message: Option<String>,
    }
    let what = format!("reading backfill {id}");
    let data: Data = client.query(
        &what,
        include_str!("../queries/backfill_detail.graphql"),
        json!({ "backfillId": id }),
    )?;
    let a = data.partition_backfill_or_error;
    let Some(status) = a.status else {
        return Ok(Lookup::Missing(message(&a.typename, a.message)));
    };
    Ok(Lookup::Found(Detail {
        status,
        is_asset_backfill: a.is_asset_backfill.unwrap_or(false),
        target: a
            .partition_set
            .zip(a.job_name)
            .map(|(set, job)| set.target(job)),
        partition_set: a.partition_set_name,
        assets: joined_keys(a.asset_selection),
        partitions: status_pairs(a.partition_statuses),
    }))
}

//! Resolving a backfill of a job's partitions or of assets' partitions:
//! the keys selected ([`select`]), then those `reprocess` keeps
//! ([`Reprocessed`]); none left is a plan that launches nothing.

use serde_json::{Map, Value, json};

use super::location::target;
use super::partitions::select;
use super::reprocess::{Reprocessed, State};
use super::{Action, Error, Plan, tags, where_facts};
use crate::dagster::{Client, ops};
use crate::spec::{AssetBackfill, Backfill, Reprocess, Spec};

/// `backfillParams`: `params` with the launch's tags, title and description.
pub(super) fn backfill_params(
    spec: &Spec,
    tags: &[(String, String)],
    mut params: Map<String, Value>,
) -> Value {
    params.insert("tags".into(), tags::to_input(tags));
    params.insert("title".into(), tags::title(spec).into());
    if let Some(description) = tags::description(spec) {
        params.insert("description".into(), description.into());
    }
    Value::Object(params)
}

/// A backfill of a job's partitions.
pub fn job(
    client: &Client,
    spec: &Spec,
    b: &Backfill,
    tags: Vec<(String, String)>,
    cap: u64,
) -> Result<Plan, Error> {
    let target = target(client, b.job_name.as_str(), b.repository_name.as_deref())?;
    let available = ops::job_partitions(client, &target).map_err(Error::about("/job_name"))?;
    let keys = select(
        &b.tags.partitions,
        &available,
        &format!("job {}", target.job),
        cap,
    )
    .map_err(|e| e.at("/job_name"))?;
    // Dagster takes a backfill's run config unchecked and fails every run.
    if let Some(config) = &b.run_config {
        ops::validate_run_config(client, &target, &Value::Object(config.clone()))
            .map_err(Error::about("/run_config"))?;
    }
    let (keys, reprocessed) = match spec.reprocess() {
        Reprocess::All => (keys, None),
        reprocess => {
            let statuses =
                ops::job_partition_statuses(client, &target).map_err(Error::about("/reprocess"))?;
            let (keys, r) = Reprocessed::of_job(reprocess, keys, &statuses);
            (keys, Some(r))
        }
    };
    let mut params = Map::new();
    params.insert(
        "selector".into(),
        json!({ "partitionSetName": format!("{}_partition_set", target.job), "repositorySelector": target.repository_selector() }),
    );
    params.insert("partitionNames".into(), json!(keys));
    if let Some(config) = &b.run_config {
        params.insert("runConfigData".into(), Value::Object(config.clone()));
    }
    let action = launch_or_nothing(spec, &tags, params, reprocessed.as_ref());
    Ok(Plan {
        kind: "backfill",
        facts: where_facts(&target),
        target: Some(target),
        keys,
        reprocessed,
        tags,
        action,
    })
}

/// A backfill of assets' partitions (the same keys for every asset).
pub fn assets(
    client: &Client,
    spec: &Spec,
    a: &AssetBackfill,
    tags: Vec<(String, String)>,
    cap: u64,
) -> Result<Plan, Error> {
    let mut keys: Option<Vec<String>> = None;
    for (i, asset) in a.assets.iter().enumerate() {
        let what = format!("asset {asset}");
        let at = format!("/assets/{i}");
        let available = ops::asset_partitions(client, asset.as_str())
            .map_err(Error::about(&at))?
            .ok_or_else(|| {
                Error::rejected(format!(
                    "{what} is not partitioned; an asset backfill needs partitions"
                ))
                .at(&at)
            })?;
        let selected = select(&a.tags.partitions, &available, &what, cap).map_err(|e| e.at(&at))?;
        match &keys {
            Some(first) if *first != selected => {
                return Err(Error::rejected(format!(
                    "{what} selects other partitions than {}",
                    a.assets[0]
                ))
                .at(&at));
            }
            _ => keys = Some(selected),
        }
    }
    let keys = keys.unwrap_or_default();
    let (keys, reprocessed) = match spec.reprocess() {
        Reprocess::All => (keys, None),
        reprocess => {
            let mut statuses = Vec::with_capacity(a.assets.len());
            for (i, asset) in a.assets.iter().enumerate() {
                statuses.push(
                    ops::asset_partition_statuses(client, asset.as_str())
                        .map_err(Error::about(&format!("/assets/{i}")))?,
                );
            }
            let (keys, r) = Reprocessed::keep(reprocess, keys, |k| State::of_assets(k, &statuses));
            (keys, Some(r))
        }
    };
    let mut params = Map::new();
    params.insert(
        "assetSelection".into(),
        Value::Array(
            a.assets
                .iter()
                .map(|k| json!({ "path": k.as_str().split('/').collect::<Vec<_>>() }))
                .collect(),
        ),
    );
    params.insert("partitionNames".into(), json!(keys));
    let facts = vec![(
        "assets",
        a.assets
            .iter()
            .map(|k| k.as_str())
            .collect::<Vec<_>>()
            .join(", "),
    )];
    let action = launch_or_nothing(spec, &tags, params, reprocessed.as_ref());
    Ok(Plan {
        kind: "asset_backfill",
        facts,
        target: None,
        keys,
        reprocessed,
        tags,
        action,
    })
}

/// The backfill of `params`, or nothing when `reprocess` left no partition.
fn launch_or_nothing(
    spec: &Spec,
    tags: &[(String, String)],
    params: Map<String, Value>,
    reprocessed: Option<&Reprocessed>,
) -> Action {
    match reprocessed {
        Some(r) if r.launching == 0 => Action::Nothing(r.nothing()),
        _ => Action::Backfill(backfill_params(spec, tags, params)),
    }
}

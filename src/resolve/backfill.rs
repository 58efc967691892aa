//! Resolving a backfill of a job's partitions or of assets' partitions.

use serde_json::{Map, Value, json};

use super::location::target;
use super::partitions::select;
use super::{Action, Error, Plan, tags, where_facts};
use crate::dagster::{Client, ops};
use crate::spec::{AssetBackfill, Backfill, Spec};

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
    if let Some(limit) = spec.max_concurrent_runs() {
        let action = super::paced::action(
            client,
            &target,
            &keys,
            b.run_config.as_ref(),
            &tags,
            limit.get(),
        )?;
        return Ok(Plan {
            kind: "backfill",
            facts: where_facts(&target),
            target: Some(target),
            keys,
            tags,
            action,
        });
    }
    let mut params = Map::new();
    params.insert(
        "selector".into(),
        json!({ "partitionSetName": format!("{}_partition_set", target.job), "repositorySelector": target.repository_selector() }),
    );
    params.insert("partitionNames".into(), json!(keys));
    if let Some(config) = &b.run_config {
        params.insert("runConfigData".into(), Value::Object(config.clone()));
    }
    let action = Action::Backfill(backfill_params(spec, &tags, params));
    Ok(Plan {
        kind: "backfill",
        facts: where_facts(&target),
        target: Some(target),
        keys,
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
    if a.max_concurrent_runs.is_some() {
        return Err(Error::rejected(
            "`max_concurrent_runs` is not supported on asset backfills: use a backfill of the assets' job (kind: backfill)",
        )
        .at("/max_concurrent_runs"));
    }
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
    let action = Action::Backfill(backfill_params(spec, &tags, params));
    Ok(Plan {
        kind: "asset_backfill",
        facts,
        target: None,
        keys,
        tags,
        action,
    })
}

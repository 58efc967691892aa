//! Resolving a backfill of a job's partitions or of assets' partitions:
//! the keys selected ([`select`]), then those `reprocess` keeps
//! ([`Reprocessed`]); none left is a plan that launches nothing.

use serde_json::{Map, Value, json};

use super::assets::{asset_job, expand, key_inputs};
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
    let nothing_left = reprocessed.as_ref().is_some_and(|r| r.launching == 0);
    let action = match spec.max_concurrent_runs() {
        // The runner launches and paces the runs itself.
        Some(limit) if !nothing_left => super::paced::action(
            client,
            &target,
            &keys,
            b.run_config.as_ref(),
            &tags,
            limit.get(),
        )?,
        _ => {
            let mut params = Map::new();
            params.insert(
                "selector".into(),
                json!({ "partitionSetName": format!("{}_partition_set", target.job), "repositorySelector": target.repository_selector() }),
            );
            params.insert("partitionNames".into(), json!(keys));
            if let Some(config) = &b.run_config {
                params.insert("runConfigData".into(), Value::Object(config.clone()));
            }
            launch_or_nothing(spec, &tags, params, reprocessed.as_ref())
        }
    };
    Ok(Plan {
        kind: "backfill",
        facts: where_facts(&target),
        target: Some(target),
        keys,
        reprocessed,
        assets: Vec::new(),
        tags,
        action,
    })
}

/// A backfill of assets' partitions (the same keys for every asset), the
/// assets listed or selected by group or key prefix ([`expand`]). An
/// unpartitioned asset is refused, whatever selected it: a backfill has
/// no partition to give it (materialise it with `kind: materialize`).
/// With `max_concurrent_runs` the runner launches each partition as a run
/// of the assets' implicit asset job instead ([`super::paced`]).
pub fn assets(
    client: &Client,
    spec: &Spec,
    a: &AssetBackfill,
    tags: Vec<(String, String)>,
    cap: u64,
) -> Result<Plan, Error> {
    let limit = a.max_concurrent_runs.map(|n| n.get());
    let picks = expand(client, a.selection(), limit.is_some())?;
    let mut selected: Option<(Vec<String>, Vec<String>)> = None;
    for pick in &picks {
        let what = format!("asset {}", pick.key);
        let at = pick.pointer.as_str();
        let available = ops::asset_partitions(client, &pick.key)
            .map_err(Error::about(at))?
            .ok_or_else(|| {
                Error::rejected(format!(
                    "{what}{} is not partitioned; an asset backfill needs partitions",
                    pick.chosen()
                ))
                .at(at)
                .with_hint("materialise unpartitioned assets with `kind: materialize`; list the partitioned ones in `assets`, or narrow the group or prefix")
            })?;
        let keys = select(&a.tags.partitions, &available, &what, cap).map_err(|e| e.at(at))?;
        match &selected {
            Some((first, _)) if *first != keys => {
                return Err(Error::rejected(format!(
                    "{what}{} selects other partitions than {}",
                    pick.chosen(),
                    picks[0].key
                ))
                .at(at));
            }
            Some(_) => {}
            None => selected = Some((keys, available.dimensions)),
        }
    }
    let (keys, dimensions) = selected.unwrap_or_default();
    let (keys, reprocessed) = match spec.reprocess() {
        Reprocess::All => (keys, None),
        reprocess => {
            let mut statuses = Vec::with_capacity(picks.len());
            for pick in &picks {
                statuses.push(
                    ops::asset_partition_statuses(client, &pick.key)
                        .map_err(Error::about(&pick.pointer))?,
                );
            }
            let (keys, r) = Reprocessed::keep(reprocess, keys, |k| State::of_assets(k, &statuses));
            (keys, Some(r))
        }
    };
    let nothing_left = reprocessed.as_ref().is_some_and(|r| r.launching == 0);
    let paced = match limit {
        Some(limit) if !nothing_left => Some((asset_job(&picks)?, limit)),
        _ => None,
    };
    let assets: Vec<String> = picks.into_iter().map(|p| p.key).collect();
    let mut facts = paced
        .as_ref()
        .map(|(job, _)| where_facts(job))
        .unwrap_or_default();
    facts.push(("assets", assets.join(", ")));
    let action = match paced {
        // The runner launches and paces the runs itself.
        Some((job, limit)) => {
            super::paced::assets_action(&job, &assets, &keys, &dimensions, &tags, limit)
        }
        None => {
            let mut params = Map::new();
            params.insert("assetSelection".into(), key_inputs(&assets));
            params.insert("partitionNames".into(), json!(keys));
            launch_or_nothing(spec, &tags, params, reprocessed.as_ref())
        }
    };
    Ok(Plan {
        kind: "asset_backfill",
        facts,
        target: None,
        keys,
        reprocessed,
        assets,
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

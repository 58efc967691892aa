//! Resolving a materialisation: one `launchRun` of the code location's
//! implicit asset job (`__ASSET_JOB`, which every asset belongs to) with
//! the selected assets as its `assetSelection`, what Dagster's UI sends
//! when one clicks "Materialize".
//!
//! Every selected asset must be unpartitioned (a partitioned one is an
//! asset backfill's work) and live in one code location, since one run
//! runs in one. The run config is checked by Dagster for that very subset
//! before launching, so a missing required field is a refusal, not a
//! failed run.

use serde_json::{Value, json};

use super::assets::{Pick, expand, key_inputs};
use super::{Action, Error, Plan, tags, where_facts};
use crate::dagster::{Client, ops, ops::AssetNode, ops::Target};
use crate::spec::Materialize;

/// How Dagster names a code location's implicit asset job (`__ASSET_JOB`,
/// or `__ASSET_JOB_<n>` in older versions with several partitionings).
const ASSET_JOB: &str = "__ASSET_JOB";

/// One run materialising the assets `m` selects.
pub fn assets(
    client: &Client,
    m: &Materialize,
    tags: Vec<(String, String)>,
) -> Result<Plan, Error> {
    let picks = expand(client, m.selection(), true)?;
    let mut nodes: Vec<(&Pick, &AssetNode)> = Vec::new();
    for pick in &picks {
        let node = pick.node.as_ref().ok_or_else(|| {
            Error::rejected(format!("asset {} is not defined in Dagster", pick.key))
                .at(&pick.pointer)
        })?;
        let chosen = if pick.pointer.starts_with("/assets/") {
            String::new()
        } else {
            format!(" (selected by {})", pick.by)
        };
        if node.partitioned {
            return Err(Error::rejected(format!(
                "asset {}{chosen} is partitioned; a materialisation runs unpartitioned assets",
                pick.key
            ))
            .at(&pick.pointer)
            .with_hint("backfill partitioned assets with `kind: asset_backfill`, which names their partitions"));
        }
        nodes.push((pick, node));
    }
    let Some((_, first)) = nodes.first() else {
        return Err(Error::spec("no asset selected"));
    };
    if let Some((pick, other)) = nodes.iter().find(|(_, n)| {
        (n.location.as_str(), n.repository.as_str())
            != (first.location.as_str(), first.repository.as_str())
    }) {
        return Err(Error::rejected(format!(
            "asset {} lives in {}@{}, asset {} in {}@{}: one run materialises assets of one code location",
            first.key, first.repository, first.location, other.key, other.repository, other.location
        ))
        .at(&pick.pointer));
    }
    let job = first
        .jobs
        .iter()
        .filter(|j| j.starts_with(ASSET_JOB))
        .find(|j| nodes.iter().all(|(_, n)| n.jobs.contains(j)))
        .ok_or_else(|| {
            Error::rejected(format!(
                "Dagster names no implicit asset job ({ASSET_JOB}) that holds all of {}",
                nodes
                    .iter()
                    .map(|(_, n)| n.key.as_str())
                    .collect::<Vec<_>>()
                    .join(", ")
            ))
            .at(&nodes[0].0.pointer)
        })?;
    let target = Target {
        location: first.location.clone(),
        repository: first.repository.clone(),
        job: job.clone(),
    };
    let assets: Vec<String> = nodes.iter().map(|(_, n)| n.key.clone()).collect();
    let config = Value::Object(m.run_config.clone().unwrap_or_default());
    // Without a run_config, the assets' own required config is what is missing.
    let at = if m.run_config.is_some() {
        "/run_config"
    } else {
        nodes[0].0.pointer.as_str()
    };
    ops::validate_asset_run_config(client, &target, &assets, &config).map_err(Error::about(at))?;
    let mut params = json!({
        "selector": {
            "repositoryLocationName": target.location,
            "repositoryName": target.repository,
            "jobName": target.job,
            "assetSelection": key_inputs(&assets),
        },
        "executionMetadata": { "tags": tags::to_input(&tags) },
    });
    if let Some(config) = &m.run_config {
        params["runConfigData"] = Value::Object(config.clone());
    }
    let mut facts = where_facts(&target);
    facts.push(("assets", assets.join(", ")));
    Ok(Plan {
        kind: "materialize",
        facts,
        target: Some(target),
        keys: Vec::new(),
        reprocessed: None,
        assets,
        tags,
        action: Action::Run(params),
    })
}

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

use super::assets::{asset_job, expand, key_inputs};
use super::{Action, Error, Plan, tags, where_facts};
use crate::dagster::{Client, ops};
use crate::spec::Materialize;

/// One run materialising the assets `m` selects.
pub fn assets(
    client: &Client,
    m: &Materialize,
    tags: Vec<(String, String)>,
) -> Result<Plan, Error> {
    let picks = expand(client, m.selection(), true)?;
    let target = asset_job(&picks)?;
    if let Some(pick) = picks
        .iter()
        .find(|p| p.node.as_ref().is_some_and(|n| n.partitioned))
    {
        return Err(Error::rejected(format!(
            "asset {}{} is partitioned; a materialisation runs unpartitioned assets",
            pick.key,
            pick.chosen()
        ))
        .at(&pick.pointer)
        .with_hint(
            "backfill partitioned assets with `kind: asset_backfill`, which names their partitions",
        ));
    }
    let assets: Vec<String> = picks.iter().map(|p| p.key.clone()).collect();
    let config = Value::Object(m.run_config.clone().unwrap_or_default());
    // Without a run_config, the assets' own required config is what is missing.
    let at = if m.run_config.is_some() {
        "/run_config"
    } else {
        picks[0].pointer.as_str()
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

//! Expanding an asset selection (`assets`, `asset_groups`, `asset_prefixes`)
//! into asset keys, against the assets Dagster defines when the runner
//! starts.
//!
//! A group selects every materialisable asset whose `group_name` it is; a
//! prefix every materialisable asset whose key starts with its whole path
//! parts (`warehouse` selects `warehouse/weekly_report` and `warehouse`
//! itself, never `warehouse_old/x`). A group or prefix that selects nothing
//! is refused at its place in the spec: it is a typo or a code location
//! that is not deployed yet. Each asset is selected once, first by the
//! field that names it first (listed keys, then groups, then prefixes), and
//! every later refusal about it points there.

use super::Error;
use crate::dagster::Client;
use crate::dagster::ops::{self, AssetNode, Target};
use crate::spec::Selection;

/// How Dagster names a code location's implicit asset job (`__ASSET_JOB`,
/// or `__ASSET_JOB_<n>` in older versions with several partitionings).
const ASSET_JOB: &str = "__ASSET_JOB";

/// One selected asset.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Pick {
    /// Its key, path parts joined with `/`.
    pub key: String,
    /// The spec value that selected it (`/assets/0`, `/asset_groups/1`).
    pub pointer: String,
    /// What selected it, in words (`asset group reports`), for messages.
    pub by: String,
    /// Its definition, when Dagster was asked for every asset.
    pub node: Option<AssetNode>,
}

impl Pick {
    /// ` (selected by asset group reports)` when a group or prefix selected
    /// it, empty when it is listed: what a message adds after its key.
    pub fn chosen(&self) -> String {
        if self.pointer.starts_with("/assets/") {
            String::new()
        } else {
            format!(" (selected by {})", self.by)
        }
    }
}

/// The assets `selection` names. Listed keys alone are taken as written,
/// without asking (`nodes` is `false`); with groups or prefixes, or when
/// `nodes` asks for definitions, every key is looked up in Dagster's
/// assets and a listed key Dagster does not define is refused.
pub fn expand(client: &Client, selection: Selection<'_>, nodes: bool) -> Result<Vec<Pick>, Error> {
    let listed = selection.assets.iter().enumerate().map(|(i, k)| Pick {
        key: k.as_str().to_owned(),
        pointer: format!("/assets/{i}"),
        by: format!("asset {k}"),
        node: None,
    });
    if !nodes && selection.groups.is_empty() && selection.prefixes.is_empty() {
        return Ok(listed.collect());
    }
    let defined = ops::asset_nodes(client).map_err(Error::from)?;
    let find = |key: &str| defined.iter().find(|n| n.key == key).cloned();
    let mut picks: Vec<Pick> = Vec::new();
    for mut pick in listed {
        pick.node = Some(find(&pick.key).ok_or_else(|| {
            Error::rejected(format!("asset {} is not defined in Dagster", pick.key))
                .at(&pick.pointer)
        })?);
        picks.push(pick);
    }
    let materializable = || defined.iter().filter(|n| n.materializable);
    for (i, group) in selection.groups.iter().enumerate() {
        let pointer = format!("/asset_groups/{i}");
        let members: Vec<&AssetNode> = materializable().filter(|n| n.group == **group).collect();
        if members.is_empty() {
            let mut known: Vec<&str> = materializable().map(|n| n.group.as_str()).collect();
            known.sort_unstable();
            known.dedup();
            return Err(Error::rejected(format!(
                "asset group {group} holds no asset Dagster can materialise (groups: {})",
                known.join(", ")
            ))
            .at(pointer));
        }
        add(
            &mut picks,
            members,
            &pointer,
            &format!("asset group {group}"),
        );
    }
    for (i, prefix) in selection.prefixes.iter().enumerate() {
        let pointer = format!("/asset_prefixes/{i}");
        let under = format!("{prefix}/");
        let members: Vec<&AssetNode> = materializable()
            .filter(|n| n.key == prefix.as_str() || n.key.starts_with(&under))
            .collect();
        if members.is_empty() {
            return Err(Error::rejected(format!(
                "asset key prefix {prefix} selects no asset Dagster can materialise"
            ))
            .at(pointer));
        }
        add(
            &mut picks,
            members,
            &pointer,
            &format!("asset key prefix {prefix}"),
        );
    }
    Ok(picks)
}

/// Adds the `members` not picked yet, selected at `pointer` by `by`.
fn add(picks: &mut Vec<Pick>, members: Vec<&AssetNode>, pointer: &str, by: &str) {
    for node in members {
        if picks.iter().any(|p| p.key == node.key) {
            continue;
        }
        picks.push(Pick {
            key: node.key.clone(),
            pointer: pointer.to_owned(),
            by: by.to_owned(),
            node: Some(node.clone()),
        });
    }
}

/// Whether `job` is a code location's implicit asset job.
pub fn is_asset_job(job: &str) -> bool {
    job.starts_with(ASSET_JOB)
}

/// The implicit asset job that runs every one of `picks` in one run: they
/// must live in one code location and share an `__ASSET_JOB`. Each pick
/// must carry its definition ([`expand`] with `nodes`).
pub fn asset_job(picks: &[Pick]) -> Result<Target, Error> {
    let mut nodes: Vec<(&Pick, &AssetNode)> = Vec::with_capacity(picks.len());
    for pick in picks {
        let node = pick.node.as_ref().ok_or_else(|| {
            Error::rejected(format!("asset {} is not defined in Dagster", pick.key))
                .at(&pick.pointer)
        })?;
        nodes.push((pick, node));
    }
    let Some((first_pick, first)) = nodes.first() else {
        return Err(Error::spec("no asset selected"));
    };
    if let Some((pick, other)) = nodes.iter().find(|(_, n)| {
        (n.location.as_str(), n.repository.as_str())
            != (first.location.as_str(), first.repository.as_str())
    }) {
        return Err(Error::rejected(format!(
            "asset {} lives in {}@{}, asset {} in {}@{}: one run runs assets of one code location",
            first.key,
            first.repository,
            first.location,
            other.key,
            other.repository,
            other.location
        ))
        .at(&pick.pointer));
    }
    let job = first
        .jobs
        .iter()
        .filter(|j| is_asset_job(j))
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
            .at(&first_pick.pointer)
        })?;
    Ok(Target {
        location: first.location.clone(),
        repository: first.repository.clone(),
        job: job.clone(),
    })
}

/// `[{ path: [...] }]`: the `AssetKeyInput` list of `keys`.
pub fn key_inputs(keys: &[String]) -> serde_json::Value {
    serde_json::Value::Array(
        keys.iter()
            .map(|k| serde_json::json!({ "path": k.split('/').collect::<Vec<_>>() }))
            .collect(),
    )
}

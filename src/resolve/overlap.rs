//! Backfills in flight over a request's partitions, and what the runner does
//! about them (`on_overlap`): the one home of that question, asked by the
//! runner before it launches and by `plan --resolve` to say what a merge
//! will collide with.
//!
//! A backfill in flight overlaps a request when it has not ended, targets
//! the same job (the same code location and repository) or one of the same
//! assets, and some of the same partition keys. The request's own launch
//! (a backfill carrying its hash, launched by a twin pod or an earlier run
//! of its Job) is never an overlap: the runner follows it instead.

use std::collections::HashSet;

use super::{Action, Plan, tags};
use crate::dagster::ops::{self, Active, Target};
use crate::dagster::{Client, Error};
use crate::spec::{OnOverlap, Spec};

/// A backfill not yet ended that targets some of a request's partitions.
#[derive(Clone, Debug, PartialEq)]
pub struct InFlight {
    /// Its id.
    pub id: String,
    /// Its title, if it has one.
    pub title: Option<String>,
    /// Its status.
    pub status: String,
    /// How many of the request's partitions it targets too.
    pub shared: usize,
}

/// What the runner does about backfills in flight over `spec`'s partitions:
/// the spec's `on_overlap`, else the settings' (`default`), else wait.
pub fn choice(spec: &Spec, default: Option<OnOverlap>) -> OnOverlap {
    spec.on_overlap().or(default).unwrap_or_default()
}

/// Where the choice comes from, for a message: the spec's value (its JSON
/// pointer) or the runner's setting.
pub fn source(spec: &Spec) -> &'static str {
    match spec.on_overlap() {
        Some(_) => "the spec's /on_overlap",
        None => "the runner's DAGSTER_SCRIPTS_ON_OVERLAP (default wait)",
    }
}

/// Whether `plan` launches partitions another backfill could hold: a
/// backfill, asset backfill or partitioned run (a re-execution re-runs the
/// request's own failed work).
pub fn applies(spec: &Spec, plan: &Plan) -> bool {
    !matches!(spec, Spec::Reexecute(_))
        && !plan.keys.is_empty()
        && matches!(
            plan.action,
            Action::Backfill(_) | Action::Run(_) | Action::Paced { .. }
        )
}

/// Every backfill in flight that overlaps `plan` (of `spec`, request `hash`).
pub fn in_flight(
    client: &Client,
    spec: &Spec,
    plan: &Plan,
    hash: &str,
) -> Result<Vec<InFlight>, Error> {
    if !applies(spec, plan) {
        return Ok(Vec::new());
    }
    among(
        client,
        &mut ops::active_backfills(client)?,
        spec,
        plan,
        hash,
    )
}

/// Among `active` backfills, those that overlap `plan` (of `spec`, request
/// `hash`). The partitions of those that target the same job or assets are
/// asked of Dagster once and kept in `active`; the others' never are.
pub fn among(
    client: &Client,
    active: &mut [Active],
    spec: &Spec,
    plan: &Plan,
    hash: &str,
) -> Result<Vec<InFlight>, Error> {
    // The asset backfill's keys as resolved (groups and prefixes expanded).
    let assets: Vec<&str> = match spec {
        Spec::AssetBackfill(_) => plan.assets.iter().map(String::as_str).collect(),
        _ => Vec::new(),
    };
    let target = plan.target.as_ref();
    for b in active.iter_mut() {
        if b.partitions.is_none() && candidate(b, target, &assets, hash) {
            b.partitions = Some(ops::backfill_partitions(client, &b.id)?);
        }
    }
    Ok(overlapping(active, target, &assets, &plan.keys, hash))
}

/// Whether backfill `b` could overlap a request `hash` of the job at
/// `target` (or of `assets`): not the request's own, and the same target.
fn candidate(b: &Active, target: Option<&Target>, assets: &[&str], hash: &str) -> bool {
    ops::tag(&b.tags, tags::REQUEST) != Some(hash)
        && match (target, &b.target) {
            (Some(t), Some(theirs)) => t == theirs,
            _ => b.assets.iter().any(|a| assets.contains(&a.as_str())),
        }
}

/// Among `active` backfills, those not carrying request `hash` that target
/// some of `keys` of the job at `target` (or of one of `assets`), each with
/// how many of them. A backfill whose partitions were not asked counts as
/// sharing none.
pub fn overlapping(
    active: &[Active],
    target: Option<&Target>,
    assets: &[&str],
    keys: &[String],
    hash: &str,
) -> Vec<InFlight> {
    let wanted: HashSet<&str> = keys.iter().map(String::as_str).collect();
    active
        .iter()
        .filter(|b| candidate(b, target, assets, hash))
        .filter_map(|b| {
            let shared = b
                .partitions
                .iter()
                .flatten()
                .filter(|k| wanted.contains(k.as_str()))
                .collect::<HashSet<_>>()
                .len();
            (shared > 0).then(|| InFlight {
                id: b.id.clone(),
                title: b.title.clone(),
                status: b.status.clone(),
                shared,
            })
        })
        .collect()
}

/// The backfills in words: `backfill abc (REQUESTED, 3 shared partitions), ...`.
pub fn describe(found: &[InFlight]) -> String {
    found
        .iter()
        .map(|f| {
            let s = if f.shared == 1 { "" } else { "s" };
            format!(
                "backfill {} ({}, {} shared partition{s})",
                f.id, f.status, f.shared
            )
        })
        .collect::<Vec<_>>()
        .join(", ")
}

/// What the runner does, in words, about `found` (not empty) by `choice`.
pub fn verdict(choice: OnOverlap, found: &[InFlight]) -> String {
    let them = if found.len() == 1 { "it" } else { "them" };
    match choice {
        OnOverlap::Wait => format!("the runner waits for {them} to end, then launches"),
        OnOverlap::Refuse => "the runner refuses to launch (exit 3)".to_owned(),
        OnOverlap::Allow => "the runner launches all the same (`on_overlap: allow`)".to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::dagster::ops::Tag;

    fn keys(k: &[&str]) -> Vec<String> {
        k.iter().map(|k| (*k).to_owned()).collect()
    }

    fn job(name: &str) -> Target {
        Target {
            location: "loc".into(),
            repository: "__repository__".into(),
            job: name.into(),
        }
    }

    #[test]
    fn a_backfill_in_flight_counts_when_it_shares_partitions_of_the_same_target() {
        let active =
            |id: &str, target: Option<Target>, assets: &[&str], parts: &[&str], hash: &str| {
                Active {
                    id: id.into(),
                    status: "REQUESTED".into(),
                    title: Some(format!("title {id}")),
                    target,
                    assets: assets.iter().map(|a| (*a).to_owned()).collect(),
                    partitions: Some(keys(parts)),
                    tags: vec![Tag {
                        key: tags::REQUEST.into(),
                        value: hash.into(),
                    }],
                }
            };
        let all = [
            active("same", Some(job("j")), &[], &["a", "b", "x", "a"], "other"),
            active("own", Some(job("j")), &[], &["a"], "mine"),
            active("other_job", Some(job("k")), &[], &["a"], "other"),
            active("disjoint", Some(job("j")), &[], &["x"], "other"),
            active("assets", None, &["m/n"], &["b"], "other"),
        ];
        let found = overlapping(&all, Some(&job("j")), &[], &keys(&["a", "b"]), "mine");
        assert_eq!(found.len(), 1, "{found:?}");
        assert_eq!((found[0].id.as_str(), found[0].shared), ("same", 2));
        assert_eq!(
            describe(&found),
            "backfill same (REQUESTED, 2 shared partitions)"
        );
        let found = overlapping(&all, None, &["m/n"], &keys(&["a", "b"]), "mine");
        let ids: Vec<&str> = found.iter().map(|f| f.id.as_str()).collect();
        assert_eq!(ids, ["assets"]);
    }

    #[test]
    fn the_spec_wins_over_the_setting_and_wait_is_the_default() {
        let spec = |on_overlap: Option<&str>| {
            let mut value = serde_json::json!({
                "job_name": "j",
                "tags": { "name": "1", "partitions": [{ "name": "d", "values": ["a"] }] },
            });
            if let Some(o) = on_overlap {
                value["on_overlap"] = o.into();
            }
            Spec::from_json(&value).unwrap()
        };
        let plain = spec(None);
        assert_eq!(choice(&plain, None), OnOverlap::Wait);
        assert_eq!(choice(&plain, Some(OnOverlap::Refuse)), OnOverlap::Refuse);
        let allow = spec(Some("allow"));
        assert_eq!(choice(&allow, Some(OnOverlap::Refuse)), OnOverlap::Allow);
        assert!(source(&allow).contains("/on_overlap"));
    }
}

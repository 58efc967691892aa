//! Work in flight over a request's partitions, and what the runner does
//! about it (`on_overlap`): the one home of that question, asked by the
//! runner before it launches (and, pacing a request, before each launch)
//! and by `plan --resolve` to say what a merge will collide with.
//!
//! Work in flight is a backfill not yet ended, or a request the runner
//! paces (`max_concurrent_runs`), which has no backfill object: its runs
//! queued or in progress, each carrying the request hash and its partition
//! ([`paced_requests`]). It overlaps a request when it targets the same job
//! (the same code location and repository) or one of the same assets, and
//! some of the same partition keys. The request's own launch (a backfill or
//! runs carrying its hash, launched by a twin pod or an earlier run of its
//! Job) is never an overlap: the runner follows it instead.

use std::collections::HashSet;

use super::{Action, Plan, tags};
use crate::dagster::ops::{self, Active, InFlightRun, Tag, Target};
use crate::dagster::{Client, Error};
use crate::spec::{OnOverlap, Spec};

/// The status given to a paced request in flight, which has no backfill.
pub const PACED: &str = "PACED";

/// What a request's launch holds partitions of: its job, or its assets.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Scope {
    /// The job (a backfill, a partitioned run, a paced job backfill).
    pub target: Option<Target>,
    /// The assets (an asset backfill), `/`-joined.
    pub assets: Vec<String>,
}

impl Scope {
    /// What `plan` (of `spec`) launches: an asset backfill's resolved assets
    /// (groups and prefixes expanded), else the plan's job.
    pub fn of(spec: &Spec, plan: &Plan) -> Scope {
        match spec {
            Spec::AssetBackfill(_) => Scope {
                target: None,
                assets: plan.assets.clone(),
            },
            _ => Scope {
                target: plan.target.clone(),
                assets: Vec::new(),
            },
        }
    }
}

/// Work not yet ended that targets some of a request's partitions.
#[derive(Clone, Debug, PartialEq)]
pub struct InFlight {
    /// A backfill's id, or the first 12 digits of a paced request's hash.
    pub id: String,
    /// Its title, if it has one.
    pub title: Option<String>,
    /// Its status.
    pub status: String,
    /// How many of the request's partitions it targets too.
    pub shared: usize,
}

impl InFlight {
    /// `backfill`, or `paced request` for a request the runner paces.
    pub fn noun(&self) -> &'static str {
        if self.status == PACED {
            "paced request"
        } else {
            "backfill"
        }
    }
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

/// Everything in flight that can hold partitions: the backfills not yet
/// ended, then the requests the runner paces ([`paced_requests`]). Two
/// questions to Dagster.
pub fn active(client: &Client) -> Result<Vec<Active>, Error> {
    let mut all = ops::active_backfills(client)?;
    all.extend(paced_requests(&ops::in_flight_runs(client)?));
    Ok(all)
}

/// The paced requests among `runs` (runs not yet ended), one per request
/// hash, each holding the partitions of its runs in flight. A paced request
/// holds more than those (the partitions it has not launched yet); the runner
/// pacing it looks again before each launch, so the two meet either way.
pub fn paced_requests(runs: &[InFlightRun]) -> Vec<Active> {
    let mut out: Vec<Active> = Vec::new();
    for r in runs {
        let (Some(_), Some(hash), Some(key)) = (
            ops::tag(&r.tags, tags::PACED),
            ops::tag(&r.tags, tags::REQUEST),
            ops::tag(&r.tags, tags::PARTITION),
        ) else {
            continue;
        };
        let i = match out
            .iter()
            .position(|a| ops::tag(&a.tags, tags::REQUEST) == Some(hash))
        {
            Some(i) => i,
            None => {
                let asset_job = r
                    .target
                    .as_ref()
                    .is_some_and(|t| super::assets::is_asset_job(&t.job));
                out.push(Active {
                    id: hash.chars().take(12).collect(),
                    status: PACED.to_owned(),
                    title: ops::tag(&r.tags, tags::ISSUE).map(|i| format!("issue {i}")),
                    target: if asset_job { None } else { r.target.clone() },
                    assets: if asset_job {
                        r.assets.clone()
                    } else {
                        Vec::new()
                    },
                    partitions: Some(Vec::new()),
                    tags: vec![Tag {
                        key: tags::REQUEST.to_owned(),
                        value: hash.to_owned(),
                    }],
                });
                out.len() - 1
            }
        };
        if let Some(keys) = &mut out[i].partitions {
            keys.push(key.to_owned());
        }
    }
    for keys in out.iter_mut().filter_map(|a| a.partitions.as_mut()) {
        keys.sort_unstable();
        keys.dedup();
    }
    out
}

/// Everything in flight that overlaps `plan` (of `spec`, request `hash`).
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
        &mut active(client)?,
        &Scope::of(spec, plan),
        &plan.keys,
        hash,
    )
}

/// Among `active` work, what overlaps `keys` of `scope` (request `hash`).
/// The partitions of the backfills that target the same job or assets are
/// asked of Dagster once and kept in `active`; the others' never are.
pub fn among(
    client: &Client,
    active: &mut [Active],
    scope: &Scope,
    keys: &[String],
    hash: &str,
) -> Result<Vec<InFlight>, Error> {
    let assets: Vec<&str> = scope.assets.iter().map(String::as_str).collect();
    let target = scope.target.as_ref();
    for b in active.iter_mut() {
        if b.partitions.is_none() && candidate(b, target, &assets, hash) {
            b.partitions = Some(ops::backfill_partitions(client, &b.id)?);
        }
    }
    Ok(overlapping(active, target, &assets, keys, hash))
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

/// The work in words: `backfill abc (REQUESTED, 3 shared partitions),
/// paced request 0123456789ab (issue 7, 1 shared partition in flight)`.
pub fn describe(found: &[InFlight]) -> String {
    found
        .iter()
        .map(|f| {
            let s = if f.shared == 1 { "" } else { "s" };
            if f.noun() != "backfill" {
                let issue = f
                    .title
                    .as_deref()
                    .map(|t| format!("{t}, "))
                    .unwrap_or_default();
                format!(
                    "paced request {} ({issue}{} shared partition{s} in flight)",
                    f.id, f.shared
                )
            } else {
                format!(
                    "backfill {} ({}, {} shared partition{s})",
                    f.id, f.status, f.shared
                )
            }
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
    fn a_paced_requests_runs_in_flight_are_one_piece_of_work_per_request() {
        let run = |id: &str, name: &str, assets: &[&str], tags: &[(&str, &str)]| InFlightRun {
            id: id.into(),
            status: "STARTED".into(),
            target: Some(job(name)),
            assets: assets.iter().map(|a| (*a).to_owned()).collect(),
            tags: tags
                .iter()
                .map(|(k, v)| Tag {
                    key: (*k).into(),
                    value: (*v).into(),
                })
                .collect(),
        };
        let h1 = "1111111111111111aaaa";
        let h2 = "2222222222222222bbbb";
        let paced = |hash, key| {
            [
                (tags::PACED, "2"),
                (tags::REQUEST, hash),
                (tags::ISSUE, "7"),
                (tags::PARTITION, key),
            ]
        };
        let runs = [
            run("r1", "j", &[], &paced(h1, "b")),
            run("r2", "__ASSET_JOB", &["m/n"], &paced(h2, "x")),
            run("r3", "j", &[], &paced(h1, "a")),
            run("r4", "j", &[], &paced(h1, "b")),
            // Not paced: a backfill's run, or any other run.
            run(
                "r5",
                "j",
                &[],
                &[(tags::PARTITION, "a"), (tags::BACKFILL, "bf")],
            ),
        ];
        let found = paced_requests(&runs);
        assert_eq!(found.len(), 2, "{found:?}");
        let (of_job, of_assets) = (&found[0], &found[1]);
        assert_eq!(of_job.id, "111111111111");
        assert_eq!(of_job.status, PACED);
        assert_eq!(of_job.title.as_deref(), Some("issue 7"));
        assert_eq!(of_job.target, Some(job("j")));
        assert_eq!(of_job.partitions, Some(keys(&["a", "b"])));
        // Runs of the implicit asset job hold their assets, not a job.
        assert_eq!(
            (of_assets.target.clone(), of_assets.assets.clone()),
            (None, vec!["m/n".to_owned()])
        );
        // The request's own runs are never an overlap; another request's are.
        let mut active = found.clone();
        active.truncate(1);
        let j = Some(job("j"));
        assert!(overlapping(&active, j.as_ref(), &[], &keys(&["a"]), h1).is_empty());
        let other = overlapping(&active, j.as_ref(), &[], &keys(&["a", "c"]), "mine");
        assert_eq!(
            describe(&other),
            "paced request 111111111111 (issue 7, 1 shared partition in flight)"
        );
        assert_eq!(other[0].noun(), "paced request");
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

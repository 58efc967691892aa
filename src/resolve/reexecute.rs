//! Resolving `rerun_of`: what the named issue's request launched, and how
//! to re-execute what of it did not succeed.

use serde_json::{Map, Value, json};

use super::backfill::backfill_params;
use super::existing::{self, OfIssue};
use super::{Action, Error, Note, Notes, Plan, tags, where_facts};
use crate::dagster::Client;
use crate::dagster::ops::{self, Found, Lookup, TERMINAL_BACKFILL};
use crate::spec::{Reexecute, Spec};

/// Where the issue to re-execute is in a spec: every refusal is about it.
const RERUN_OF: &str = "/rerun_of";

/// Re-executes the newest launch of the issue `x.rerun_of` names.
pub fn parent(
    client: &Client,
    notes: &dyn Notes,
    spec: &Spec,
    x: &Reexecute,
    tags: Vec<(String, String)>,
) -> Result<Plan, Error> {
    newest(client, notes, spec, x, tags).map_err(|e| e.at(RERUN_OF))
}

fn newest(
    client: &Client,
    notes: &dyn Notes,
    spec: &Spec,
    x: &Reexecute,
    tags: Vec<(String, String)>,
) -> Result<Plan, Error> {
    let issue = x.rerun_of.as_str();
    let OfIssue { backfills, runs } = existing::of_issue(client, issue)?;
    enum Parent {
        Backfill(Found),
        Run(Found),
    }
    let newest_backfill = backfills.last().cloned();
    let newest_run = runs.last().cloned();
    let parent = match (newest_backfill, newest_run) {
        (Some(b), Some(r)) if r.created > b.created => Parent::Run(r),
        (Some(b), _) => Parent::Backfill(b),
        (None, Some(r)) => Parent::Run(r),
        (None, None) => {
            return Err(Error::rejected(format!(
                "rerun_of {issue}: no backfill or run tagged {}={issue} in Dagster",
                tags::ISSUE
            )));
        }
    };
    if backfills.len() + runs.len() > 1 {
        notes.note(Note {
            warning: false,
            name: "rerun_of",
            message: format!(
                "rerun_of {issue}: {} launches found; re-executing the newest",
                backfills.len() + runs.len()
            ),
            ids: vec![
                (
                    "backfills",
                    backfills.iter().map(|f| f.id.clone()).collect(),
                ),
                ("runs", runs.iter().map(|f| f.id.clone()).collect()),
            ],
        });
    }
    match parent {
        Parent::Run(run) => {
            let mut facts = vec![
                ("rerun_of", issue.to_owned()),
                ("parent run", run.id.clone()),
                ("parent status", run.status.clone()),
            ];
            let action = match run.status.as_str() {
                "SUCCESS" => Action::Nothing(format!(
                    "run {} of request {issue} succeeded: nothing to re-execute",
                    run.id
                )),
                "FAILURE" | "CANCELED" => Action::ReexecuteRun(json!({
                    "parentRunId": run.id,
                    "strategy": "FROM_FAILURE",
                    "extraTags": tags::to_input(&tags),
                })),
                other => {
                    return Err(Error::rejected(format!(
                        "run {} of request {issue} is still {other}: re-execute it once it has ended",
                        run.id
                    )));
                }
            };
            if let Some(location) = ops::tag(&run.tags, "dagster/code_location") {
                facts.push(("location", location.to_owned()));
            }
            Ok(Plan {
                kind: "reexecute",
                facts,
                target: None,
                keys: Vec::new(),
                reprocessed: None,
                assets: Vec::new(),
                tags,
                action,
            })
        }
        Parent::Backfill(found) => reexecute_backfill(client, spec, issue, &found.id, tags),
    }
}

/// Re-executes what of backfill `id` did not succeed.
fn reexecute_backfill(
    client: &Client,
    spec: &Spec,
    issue: &str,
    id: &str,
    tags: Vec<(String, String)>,
) -> Result<Plan, Error> {
    let detail = match ops::backfill_detail(client, id)? {
        Lookup::Found(d) => d,
        Lookup::Missing(m) => {
            return Err(Error::rejected(format!(
                "backfill {id} of request {issue}: {m}"
            )));
        }
    };
    let mut facts = vec![
        ("rerun_of", issue.to_owned()),
        ("parent backfill", id.to_owned()),
        ("parent status", detail.status.clone()),
    ];
    if !TERMINAL_BACKFILL.contains(&detail.status.as_str()) {
        return Err(Error::rejected(format!(
            "backfill {id} of request {issue} is still {}: re-execute it once it has ended",
            detail.status
        )));
    }
    let mut params = Map::new();
    let keys: Vec<String> = if detail.is_asset_backfill {
        facts.push(("assets", detail.assets.join(", ")));
        params.insert(
            "assetSelection".into(),
            Value::Array(
                detail
                    .assets
                    .iter()
                    .map(|k| json!({ "path": k.split('/').collect::<Vec<_>>() }))
                    .collect(),
            ),
        );
        existing::failed_partitions(client, id)?
    } else {
        let (Some(target), Some(set)) = (detail.target.clone(), detail.partition_set.clone())
        else {
            return Err(Error::rejected(format!(
                "backfill {id} of request {issue}: Dagster did not say where it ran"
            )));
        };
        facts.extend(where_facts(&target));
        params.insert(
            "selector".into(),
            json!({ "partitionSetName": set, "repositorySelector": target.repository_selector() }),
        );
        let unfinished: Vec<&(String, Option<String>)> = detail
            .partitions
            .iter()
            .filter(|(_, status)| status.as_deref() != Some("SUCCESS"))
            .collect();
        // With fromFailure Dagster re-executes each partition's last run from
        // its failed step, but skips a partition whose last run did not FAIL
        // (cancelled, never run): those are only covered by a full run.
        let from_failure = unfinished
            .iter()
            .all(|(_, status)| status.as_deref() == Some("FAILURE"));
        params.insert("fromFailure".into(), from_failure.into());
        facts.push(("from failure", from_failure.to_string()));
        unfinished.into_iter().map(|(k, _)| k.clone()).collect()
    };
    let action = if keys.is_empty() {
        Action::Nothing(format!(
            "backfill {id} of request {issue} has no failed partition: nothing to re-execute"
        ))
    } else {
        params.insert("partitionNames".into(), json!(keys));
        Action::Backfill(backfill_params(spec, &tags, params))
    };
    Ok(Plan {
        kind: "reexecute",
        facts,
        target: detail.target,
        keys,
        reprocessed: None,
        assets: if detail.is_asset_backfill {
            detail.assets.clone()
        } else {
            Vec::new()
        },
        tags,
        action,
    })
}

//! Resolving a run of a job, of one partition or none.

use serde_json::{Value, json};

use super::location::target;
use super::partitions::one_key;
use super::{Action, Error, Plan, tags, where_facts};
use crate::dagster::{Client, ops};
use crate::spec::JobRun;

/// A run of a job; a partitioned job's run names its partition.
pub fn job(client: &Client, r: &JobRun, mut tags: Vec<(String, String)>) -> Result<Plan, Error> {
    let target = target(client, r.job_name.as_str(), r.repository_name.as_deref())?;
    let available = ops::job_partitions(client, &target).map_err(Error::about("/job_name"))?;
    let what = format!("job {}", target.job);
    let mut keys = Vec::new();
    match (&r.tags.partition, available.keys.is_empty()) {
        (Some(key), _) => {
            // launchRun does not check partition tags; the runner must.
            let key = one_key(key, &available, &what)?;
            for t in ops::partition_tags(client, &target, &key)
                .map_err(Error::about("/tags/partition"))?
            {
                tags.push((t.key, t.value));
            }
            keys.push(key);
        }
        (None, false) => {
            return Err(Error::rejected(format!(
                "{what} is partitioned: a run needs `tags.partition` (Dagster fails a partitioned run without one)"
            ))
            .at("/tags"));
        }
        (None, true) => {}
    }
    let mut params = json!({
        "selector": { "repositoryLocationName": target.location, "repositoryName": target.repository, "jobName": target.job },
        "executionMetadata": { "tags": tags::to_input(&tags) },
    });
    let config = Value::Object(r.run_config.clone().unwrap_or_default());
    // Without a run_config, the job's own required config is what is missing.
    let at = if r.run_config.is_some() {
        "/run_config"
    } else {
        "/job_name"
    };
    ops::validate_run_config(client, &target, &config).map_err(Error::about(at))?;
    if let Some(config) = &r.run_config {
        params["runConfigData"] = Value::Object(config.clone());
    }
    Ok(Plan {
        kind: "run",
        facts: where_facts(&target),
        target: Some(target),
        keys,
        reprocessed: None,
        assets: Vec::new(),
        tags,
        action: Action::Run(params),
    })
}

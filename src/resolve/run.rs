//! Resolving a run of a job, of one partition or none.

use serde_json::{Value, json};

use dagster_scripts::dagster::{Client, ops};
use dagster_scripts::spec::JobRun;

use super::location::target;
use super::partitions::one_key;
use super::{Action, Plan, where_facts};
use crate::exit::Error;
use crate::tags;

/// A run of a job; a partitioned job's run names its partition.
pub fn job(client: &Client, r: &JobRun, mut tags: Vec<(String, String)>) -> Result<Plan, Error> {
    let target = target(client, r.job_name.as_str(), r.repository_name.as_deref())?;
    let available = ops::job_partitions(client, &target)?;
    let what = format!("job {}", target.job);
    let mut keys = Vec::new();
    match (&r.tags.partition, available.keys.is_empty()) {
        (Some(key), _) => {
            // launchRun does not check partition tags; the runner must.
            let key = one_key(key, &available, &what)?;
            for t in ops::partition_tags(client, &target, &key)? {
                tags.push((t.key, t.value));
            }
            keys.push(key);
        }
        (None, false) => {
            return Err(Error::rejected(format!(
                "{what} is partitioned: a run needs `tags.partition` (Dagster fails a partitioned run without one)"
            )));
        }
        (None, true) => {}
    }
    let mut params = json!({
        "selector": { "repositoryLocationName": target.location, "repositoryName": target.repository, "jobName": target.job },
        "executionMetadata": { "tags": tags::to_input(&tags) },
    });
    let config = Value::Object(r.run_config.clone().unwrap_or_default());
    ops::validate_run_config(client, &target, &config)?;
    if let Some(config) = &r.run_config {
        params["runConfigData"] = Value::Object(config.clone());
    }
    Ok(Plan {
        kind: "run",
        facts: where_facts(&target),
        keys,
        tags,
        action: Action::Run(params),
    })
}

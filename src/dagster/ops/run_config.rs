//! Checking a run config against a job's config schema before launching.

use serde::Deserialize;
use serde_json::{Value, json};

use super::answer::{Message, message};
use super::locations::Target;
use crate::dagster::{Client, Error};

/// Checks `config` (the spec's `run_config`, `{}` when it has none) against
/// the job's config schema, as `launchRun` does before launching; a refusal
/// is a [`Kind::Refused`](crate::dagster::Kind::Refused) error with Dagster's messages.
pub fn validate_run_config(client: &Client, target: &Target, config: &Value) -> Result<(), Error> {
    validate(
        client,
        &format!("validating the run config of job {}", target.job),
        json!({
            "repositoryLocationName": target.location,
            "repositoryName": target.repository,
            "pipelineName": target.job,
        }),
        config,
    )
}

/// Checks `config` against what the run of `target` (the implicit asset
/// job) that materialises `assets` (keys joined with `/`) takes.
pub fn validate_asset_run_config(
    client: &Client,
    target: &Target,
    assets: &[String],
    config: &Value,
) -> Result<(), Error> {
    validate(
        client,
        &format!("validating the run config of {}", assets.join(", ")),
        json!({
            "repositoryLocationName": target.location,
            "repositoryName": target.repository,
            "pipelineName": target.job,
            "assetSelection": assets
                .iter()
                .map(|k| json!({ "path": k.split('/').collect::<Vec<_>>() }))
                .collect::<Vec<_>>(),
        }),
        config,
    )
}

fn validate(client: &Client, what: &str, pipeline: Value, config: &Value) -> Result<(), Error> {
    #[derive(Deserialize)]
    #[serde(rename_all = "camelCase")]
    struct Data {
        is_pipeline_config_valid: Answer,
    }
    #[derive(Deserialize)]
    struct Answer {
        #[serde(rename = "__typename")]
        typename: String,
        message: Option<String>,
        errors: Option<Vec<Message>>,
    }
    let data: Data = client.query(
        what,
        include_str!("../queries/validate_run_config.graphql"),
        json!({ "pipeline": pipeline, "runConfigData": config }),
    )?;
    let a = data.is_pipeline_config_valid;
    if a.typename == "PipelineConfigValidationValid" {
        return Ok(());
    }
    let mut text = message(&a.typename, a.message);
    if let Some(errors) = a.errors {
        let lines: Vec<String> = errors.into_iter().filter_map(|e| e.message).collect();
        text = format!("{text}: {}", lines.join("; "));
    }
    Err(Error::refused(format!("{what}: Dagster refused: {text}")))
}

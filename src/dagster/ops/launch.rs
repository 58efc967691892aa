//! The three launches: a partition backfill, a run, a run's re-execution.
//! Each is sent at most once ([`Client::mutate`]).

use std::collections::BTreeMap;

use serde::Deserialize;
use serde_json::{Value, json};

use super::answer::{Message, message};
use crate::dagster::{Client, Error, MutationError};

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct LaunchAnswer {
    #[serde(rename = "__typename")]
    typename: String,
    backfill_id: Option<String>,
    run: Option<LaunchedRun>,
    message: Option<String>,
    partition_keys: Option<Vec<String>>,
    errors: Option<Vec<Message>>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct LaunchedRun {
    run_id: String,
}

impl LaunchAnswer {
    /// The launched id, or why Dagster refused (nothing was launched).
    fn into_id(self, what: &str) -> Result<String, MutationError> {
        if let Some(id) = self.backfill_id.or(self.run.map(|r| r.run_id)) {
            return Ok(id);
        }
        let mut text = message(&self.typename, self.message);
        if let Some(keys) = self.partition_keys {
            text = format!("{text} (keys: {})", keys.join(", "));
        }
        if let Some(errors) = self.errors {
            let lines: Vec<String> = errors.into_iter().filter_map(|e| e.message).collect();
            text = format!("{text}: {}", lines.join("; "));
        }
        if self.typename.ends_with("Success") {
            return Err(MutationError::Unknown(format!(
                "{what}: Dagster reported success without an id"
            )));
        }
        Err(MutationError::Failed(Error::refused(format!(
            "{what}: Dagster refused: {text}"
        ))))
    }
}

/// `launchPartitionBackfill`; the backfill id.
pub fn launch_backfill(client: &Client, params: Value) -> Result<String, MutationError> {
    launch(
        client,
        "launching the backfill",
        include_str!("../queries/launch_backfill.graphql"),
        json!({ "backfillParams": params }),
    )
}

/// `launchRun`; the run id.
pub fn launch_run(client: &Client, params: Value) -> Result<String, MutationError> {
    launch(
        client,
        "launching the run",
        include_str!("../queries/launch_run.graphql"),
        json!({ "executionParams": params }),
    )
}

/// `launchRunReexecution`; the new run's id.
pub fn reexecute_run(client: &Client, params: Value) -> Result<String, MutationError> {
    launch(
        client,
        "re-executing the run",
        include_str!("../queries/reexecute_run.graphql"),
        json!({ "reexecutionParams": params }),
    )
}

/// Sends a mutation whose document selects one launch field, and reads the
/// launched id from that field's answer.
fn launch(
    client: &Client,
    what: &str,
    document: &str,
    variables: Value,
) -> Result<String, MutationError> {
    let data: BTreeMap<String, LaunchAnswer> = client.mutate(what, document, variables)?;
    match data.into_values().next() {
        Some(answer) => answer.into_id(what),
        None => Err(MutationError::Unknown(format!(
            "{what}: Dagster's answer holds no launch"
        ))),
    }
}

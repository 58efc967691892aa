//! A run's state, and what a run status means.

use serde::Deserialize;
use serde_json::json;

use super::answer::{Lookup, Tag, message};
use crate::dagster::{Client, Error};

/// What a run status means for the request.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RunClass {
    /// `SUCCESS`.
    Succeeded,
    /// `FAILURE`, `CANCELED`.
    Failed,
    /// Queued, starting, started, cancelling.
    InProgress,
    /// Not started (or a status this client does not know).
    NotStarted,
}

/// Classifies a `RunStatus`.
pub fn classify_run(status: &str) -> RunClass {
    match status {
        "SUCCESS" => RunClass::Succeeded,
        "FAILURE" | "CANCELED" => RunClass::Failed,
        "QUEUED" | "STARTING" | "STARTED" | "CANCELING" | "MANAGED" => RunClass::InProgress,
        _ => RunClass::NotStarted,
    }
}

/// A run's status.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RunState {
    /// `RunStatus`.
    pub status: String,
    /// The job it ran.
    pub job: String,
    /// Its tags.
    pub tags: Vec<Tag>,
}

/// The status of a run.
pub fn run_status(client: &Client, id: &str) -> Result<Lookup<RunState>, Error> {
    #[derive(Deserialize)]
    #[serde(rename_all = "camelCase")]
    struct Data {
        run_or_error: Answer,
    }
    #[derive(Deserialize)]
    #[serde(rename_all = "camelCase")]
    struct Answer {
        #[serde(rename = "__typename")]
        typename: String,
        status: Option<String>,
        job_name: Option<String>,
        tags: Option<Vec<Tag>>,
        message: Option<String>,
    }
    let what = format!("reading run {id}");
    let data: Data = client.query(
        &what,
        include_str!("../queries/run_status.graphql"),
        json!({ "runId": id }),
    )?;
    let a = data.run_or_error;
    match a.status {
        Some(status) => Ok(Lookup::Found(RunState {
            status,
            job: a.job_name.unwrap_or_default(),
            tags: a.tags.unwrap_or_default(),
        })),
        None => Ok(Lookup::Missing(message(&a.typename, a.message))),
    }
}

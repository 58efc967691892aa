//! Cancelling a backfill or terminating a run.

use std::collections::BTreeMap;

use serde::Deserialize;
use serde_json::json;

use super::answer::message;
use crate::dagster::{Client, Error};

/// Cancels a backfill (`cancelPartitionBackfill`) or terminates a run
/// (`terminateRun`); both are idempotent, so they are retried like queries.
/// Dagster's answer when it did not succeed is a [`Kind::Refused`](crate::dagster::Kind::Refused) error.
pub fn cancel(client: &Client, backfill: bool, id: &str) -> Result<(), Error> {
    #[derive(Deserialize)]
    struct Answer {
        #[serde(rename = "__typename")]
        typename: String,
        message: Option<String>,
    }
    let (what, document, variables) = if backfill {
        (
            format!("cancelling backfill {id}"),
            include_str!("../queries/cancel_backfill.graphql"),
            json!({ "backfillId": id }),
        )
    } else {
        (
            format!("terminating run {id}"),
            include_str!("../queries/terminate_run.graphql"),
            json!({ "runId": id }),
        )
    };
    let data: BTreeMap<String, Answer> = client.query(&what, document, variables)?;
    match data.into_values().next() {
        Some(a) if a.typename.ends_with("Success") => Ok(()),
        Some(a) => Err(Error::refused(format!(
            "{what}: {}",
            message(&a.typename, a.message)
        ))),
        None => Err(Error::unexpected(format!(
            "{what}: Dagster's answer is empty"
        ))),
    }
}

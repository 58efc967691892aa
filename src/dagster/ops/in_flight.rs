//! The runs not yet ended, with where they run and what they materialise:
//! what a request the runner paces holds, since it has no backfill object
//! ([`in_flight_runs`]).

use serde::Deserialize;
use serde_json::json;

use super::answer::{AssetKey, Origin, Results, Tag, joined_keys};
use super::locations::Target;
use crate::dagster::{Client, Error};

/// The most runs in flight asked for at once, newest first.
pub const IN_FLIGHT_LIMIT: u32 = 1000;

/// A run queued, starting, started or cancelling.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct InFlightRun {
    /// Its id.
    pub id: String,
    /// Its `RunStatus`.
    pub status: String,
    /// Where it runs: its job, code location and repository.
    pub target: Option<Target>,
    /// The assets it materialises, `/`-joined (none for an op job).
    pub assets: Vec<String>,
    /// Its tags.
    pub tags: Vec<Tag>,
}

/// The runs not yet ended, newest first, at most [`IN_FLIGHT_LIMIT`].
pub fn in_flight_runs(client: &Client) -> Result<Vec<InFlightRun>, Error> {
    #[derive(Deserialize)]
    #[serde(rename_all = "camelCase")]
    struct Data {
        runs_or_error: Results<Entry>,
    }
    #[derive(Deserialize)]
    #[serde(rename_all = "camelCase")]
    struct Entry {
        run_id: String,
        status: String,
        job_name: String,
        repository_origin: Option<Origin>,
        asset_selection: Option<Vec<AssetKey>>,
        tags: Vec<Tag>,
    }
    let what = "reading the runs in progress";
    let data: Data = client.query(
        what,
        include_str!("../queries/in_flight_runs.graphql"),
        json!({ "limit": IN_FLIGHT_LIMIT }),
    )?;
    Ok(data
        .runs_or_error
        .list(what)?
        .into_iter()
        .map(|e| InFlightRun {
            id: e.run_id,
            status: e.status,
            target: e.repository_origin.map(|o| Target {
                location: o.repository_location_name,
                repository: o.repository_name,
                job: e.job_name,
            }),
            assets: joined_keys(e.asset_selection),
            tags: e.tags,
        })
        .collect())
}

//! Whether the daemons a launch depends on are running.

use serde::Deserialize;
use serde_json::json;

use crate::dagster::Client;

/// The daemons Dagster reports as not healthy, among `wanted`; `None` when
/// the instance does not say (an older or managed deployment).
pub fn unhealthy_daemons(client: &Client, wanted: &[&str]) -> Option<Vec<String>> {
    #[derive(Deserialize)]
    struct Data {
        instance: Instance,
    }
    #[derive(Deserialize)]
    #[serde(rename_all = "camelCase")]
    struct Instance {
        run_queuing_supported: Option<bool>,
        daemon_health: Health,
    }
    #[derive(Deserialize)]
    #[serde(rename_all = "camelCase")]
    struct Health {
        all_daemon_statuses: Vec<Daemon>,
    }
    #[derive(Deserialize)]
    #[serde(rename_all = "camelCase")]
    struct Daemon {
        daemon_type: String,
        healthy: Option<bool>,
    }
    let data: Data = client
        .query(
            "checking Dagster's daemons",
            include_str!("../queries/daemon_health.graphql"),
            json!({}),
        )
        .ok()?;
    let daemons = data.instance.daemon_health.all_daemon_statuses;
    let queuing = data.instance.run_queuing_supported.unwrap_or(false);
    Some(
        wanted
            .iter()
            .filter(|w| **w != "QUEUED_RUN_COORDINATOR" || queuing)
            .filter(|w| {
                !daemons
                    .iter()
                    .any(|d| d.daemon_type == **w && d.healthy == Some(true))
            })
            .map(|w| (*w).to_owned())
            .collect(),
    )
}

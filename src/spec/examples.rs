//! Examples shown in editor hovers; each one is valid (a unit test checks).

use serde_json::{Value, json};

pub fn partitioned_tags() -> Value {
    json!({ "name": "34543", "reason": "Station NL01912 sent bad readings", "partitions": partitions() })
}
pub fn run_request_tags() -> Value {
    json!({ "name": "34560", "partition": partition_key() })
}
pub fn audit_tags() -> Value {
    json!({ "name": "34600", "requester": "jane.doe@example.com" })
}
pub fn partitions() -> Value {
    json!([
        { "name": "daily", "start_date": "2024-01-31", "end_date": "2024-02-01" },
        { "name": "stations", "values": ["NL01497", "NL01912"] },
    ])
}
pub fn dates() -> Value {
    json!({ "name": "daily", "start_date": "2024-01-31", "end_date": "2024-02-01" })
}
pub fn key_range() -> Value {
    json!({ "name": "hourly", "start": "2024-01-31-00:00", "end": "2024-01-31-23:00" })
}
pub fn values() -> Value {
    json!({ "name": "stations", "values": ["NL01497", "NL01912"] })
}
pub fn station_values() -> Value {
    json!(["NL01497", "NL01912"])
}
pub fn all() -> Value {
    json!({ "name": "stations", "all": true })
}
pub fn partition_key() -> Value {
    json!({ "daily": "2024-01-31", "stations": "NL01497" })
}
pub fn run_config() -> Value {
    json!({ "ops": { "cleanup": { "config": { "older_than_days": 90 } } } })
}
pub fn run_tags() -> Value {
    json!({ "team": "air-quality", "dagster/priority": 5 })
}
pub fn assets() -> Value {
    json!(["daily_summary"])
}
pub fn asset_groups() -> Value {
    json!(["reports"])
}
pub fn asset_prefixes() -> Value {
    json!(["warehouse"])
}
pub fn materialize_config() -> Value {
    json!({ "ops": { "warehouse__station_catalog": { "config": { "source": "https://example.com/stations.csv" } } } })
}
/// The rule every asset selection follows: at least one of its three fields.
pub fn selection_rule() -> Value {
    json!([
        { "required": ["assets"] },
        { "required": ["asset_groups"] },
        { "required": ["asset_prefixes"] },
    ])
}
pub fn requests() -> Value {
    json!({ "cpu": "100m", "memory": "64Mi" })
}
pub fn limits() -> Value {
    json!({ "cpu": "500m", "memory": "256Mi" })
}
pub fn resources() -> Value {
    json!({ "requests": requests(), "limits": limits() })
}
pub fn overrides() -> Value {
    json!({ "image_tag": "0.2.0", "deadline": "6h" })
}
pub fn backfill() -> Value {
    json!({
        "job_name": "ingestion_job",
        "repository_name": "luchtmeetnet_ingestion",
        "tags": { "name": "34543", "partitions": partitions() },
    })
}
pub fn run() -> Value {
    json!({
        "kind": "run",
        "job_name": "cleanup_job",
        "tags": { "name": "34560", "reason": "Remove readings older than 90 days" },
        "run_config": run_config(),
    })
}
pub fn asset_backfill() -> Value {
    json!({
        "kind": "asset_backfill",
        "assets": assets(),
        "tags": { "name": "34571", "partitions": [dates()] },
    })
}
pub fn reexecute() -> Value {
    json!({ "kind": "reexecute", "rerun_of": "34543", "tags": { "name": "34600" } })
}
pub fn cancel() -> Value {
    json!({
        "kind": "cancel",
        "cancel_of": "34543",
        "tags": { "name": "34610", "reason": "Wrong stations selected", "requester": "jane.doe@example.com" },
    })
}
pub fn materialize() -> Value {
    json!({
        "kind": "materialize",
        "assets": ["warehouse/station_catalog"],
        "tags": { "name": "34620", "reason": "New station list" },
        "run_config": materialize_config(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::spec::Spec;

    #[test]
    fn every_request_example_deserialises() {
        for example in [
            backfill(),
            run(),
            asset_backfill(),
            reexecute(),
            cancel(),
            materialize(),
        ] {
            serde_json::from_value::<Spec>(example.clone())
                .unwrap_or_else(|e| panic!("{example}: {e}"));
        }
    }
}

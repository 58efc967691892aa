//! The partition keys of a job or an asset, and the tags Dagster puts on a
//! run of one partition.

use serde::Deserialize;
use serde_json::json;

use super::answer::{Named, Tag, message};
use super::assets::asset_node;
use super::locations::Target;
use crate::dagster::{Client, Error};

/// The partition keys of a job or asset, and its dimension names.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Partitions {
    /// Every key, as Dagster lists them.
    pub keys: Vec<String>,
    /// Dimension names in key order (sorted), for multi-partitioned definitions;
    /// empty for a single dimension.
    pub dimensions: Vec<String>,
    /// The format (strftime) of a single time dimension's keys, when Dagster
    /// says it: for assets only (Dagster's GraphQL API has no partition
    /// definition for a job), and not per dimension of multi-partitions.
    pub fmt: Option<String>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct PipelineData {
    pipeline_or_error: PipelineAnswer,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct PipelineAnswer {
    #[serde(rename = "__typename")]
    typename: String,
    partition_keys_or_error: Option<Keys>,
    partition: Option<PartitionTags>,
    message: Option<String>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct Keys {
    partition_keys: Vec<String>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct PartitionTags {
    tags_or_error: TagsOrError,
}

#[derive(Deserialize)]
struct TagsOrError {
    #[serde(rename = "__typename")]
    typename: String,
    results: Option<Vec<Tag>>,
    message: Option<String>,
}

fn pipeline(
    client: &Client,
    target: &Target,
    partition: Option<&str>,
) -> Result<PipelineAnswer, Error> {
    let what = format!("reading the partitions of job {}", target.job);
    let variables = json!({
        "selector": {
            "repositoryLocationName": target.location,
            "repositoryName": target.repository,
            "pipelineName": target.job,
        },
        "partitionName": partition.unwrap_or(""),
        "withTags": partition.is_some(),
    });
    let data: PipelineData = client.query(
        &what,
        include_str!("../queries/job_partitions.graphql"),
        variables,
    )?;
    let answer = data.pipeline_or_error;
    if answer.typename != "Pipeline" {
        return Err(Error::refused(format!(
            "{what}: {}",
            message(&answer.typename, answer.message)
        )));
    }
    Ok(answer)
}

/// The partition keys of a job (none for an unpartitioned job).
pub fn job_partitions(client: &Client, target: &Target) -> Result<Partitions, Error> {
    let keys = pipeline(client, target, None)?
        .partition_keys_or_error
        .map(|k| k.partition_keys)
        .ok_or_else(|| {
            Error::unexpected(format!(
                "job {}: the answer has no partitionKeysOrError",
                target.job
            ))
        })?;
    let Some(first) = keys.first() else {
        return Ok(Partitions::default());
    };
    if !first.contains('|') {
        return Ok(Partitions {
            keys,
            ..Partitions::default()
        });
    }
    let mut dimensions: Vec<String> = partition_tags(client, target, first)?
        .into_iter()
        .filter_map(|t| t.key.strip_prefix("dagster/partition/").map(str::to_owned))
        .collect();
    dimensions.sort();
    Ok(Partitions {
        keys,
        dimensions,
        fmt: None,
    })
}

/// The tags Dagster itself puts on a run of partition `key` of a job
/// (`dagster/partition`, `dagster/partition/<dimension>`, `dagster/partition_set`).
pub fn partition_tags(client: &Client, target: &Target, key: &str) -> Result<Vec<Tag>, Error> {
    let what = format!("job {} partition {key}", target.job);
    let tags = pipeline(client, target, Some(key))?
        .partition
        .map(|p| p.tags_or_error)
        .ok_or_else(|| Error::refused(format!("{what}: Dagster has no such partition")))?;
    tags.results
        .ok_or_else(|| Error::refused(format!("{what}: {}", message(&tags.typename, tags.message))))
}

/// The partition keys of an asset, `None` when it is not partitioned.
pub fn asset_partitions(client: &Client, asset: &str) -> Result<Option<Partitions>, Error> {
    #[derive(Deserialize)]
    #[serde(rename_all = "camelCase")]
    struct Node {
        is_partitioned: Option<bool>,
        partition_keys: Option<Vec<String>>,
        partition_definition: Option<Definition>,
    }
    #[derive(Deserialize)]
    #[serde(rename_all = "camelCase")]
    struct Definition {
        dimension_types: Vec<Named>,
        fmt: Option<String>,
    }
    let answer: Node = asset_node(
        client,
        &format!("reading asset {asset}"),
        include_str!("../queries/asset_partitions.graphql"),
        asset,
        json!({}),
    )?;
    if answer.is_partitioned != Some(true) {
        return Ok(None);
    }
    let keys = answer.partition_keys.unwrap_or_default();
    let (mut dimensions, fmt): (Vec<String>, Option<String>) = answer
        .partition_definition
        .map(|d| {
            (
                d.dimension_types.into_iter().map(|n| n.name).collect(),
                d.fmt.filter(|f| !f.is_empty()),
            )
        })
        .unwrap_or_default();
    if dimensions.len() < 2 {
        dimensions.clear();
    }
    dimensions.sort();
    Ok(Some(Partitions {
        keys,
        dimensions,
        fmt,
    }))
}

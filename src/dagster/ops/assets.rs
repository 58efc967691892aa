//! The assets the deployment defines: what an asset selection by group or
//! key prefix is expanded against, and where a materialisation runs.

use serde::Deserialize;
use serde::de::DeserializeOwned;
use serde_json::{Value, json};

use super::answer::{AssetKey, Named, message};
use crate::dagster::{Client, Error};

/// Asks `document` (`what`, for messages) about asset `asset` (its key,
/// path parts joined with `/`) with `variables` besides `$assetKey`: the
/// fields `T` of the `AssetNode` answered, or Dagster's refusal
/// (`AssetNotFoundError: ...`). The one home of the `assetNodeOrError`
/// answer every asset question shares.
pub(super) fn asset_node<T: DeserializeOwned>(
    client: &Client,
    what: &str,
    document: &str,
    asset: &str,
    mut variables: Value,
) -> Result<T, Error> {
    #[derive(Deserialize)]
    #[serde(rename_all = "camelCase")]
    struct Data {
        asset_node_or_error: Value,
    }
    let path: Vec<&str> = asset.split('/').collect();
    variables["assetKey"] = json!({ "path": path });
    let node = client
        .query::<Data>(what, document, variables)?
        .asset_node_or_error;
    match node["__typename"].as_str() {
        Some("AssetNode") => {
            serde_json::from_value(node).map_err(|e| Error::unexpected(format!("{what}: {e}")))
        }
        typename => Err(Error::refused(format!(
            "{what}: {}",
            message(
                typename.unwrap_or("an answer without a type"),
                node["message"].as_str().map(str::to_owned)
            )
        ))),
    }
}

/// One asset with a definition in some code location.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AssetNode {
    /// Its key, path parts joined with `/`.
    pub key: String,
    /// Its group (`default` when the code gives none).
    pub group: String,
    /// Whether it has partitions.
    pub partitioned: bool,
    /// Whether it can be materialised (not an external asset).
    pub materializable: bool,
    /// The jobs it is part of, the implicit asset job (`__ASSET_JOB`) among them.
    pub jobs: Vec<String>,
    /// Its code location.
    pub location: String,
    /// Its repository.
    pub repository: String,
}

/// Every asset defined in the workspace (`assetNodes`), in Dagster's order.
pub fn asset_nodes(client: &Client) -> Result<Vec<AssetNode>, Error> {
    #[derive(Deserialize)]
    #[serde(rename_all = "camelCase")]
    struct Data {
        asset_nodes: Vec<Node>,
    }
    #[derive(Deserialize)]
    #[serde(rename_all = "camelCase")]
    struct Node {
        asset_key: AssetKey,
        group_name: String,
        is_partitioned: bool,
        is_materializable: bool,
        job_names: Vec<String>,
        repository: Repo,
    }
    #[derive(Deserialize)]
    struct Repo {
        name: String,
        location: Named,
    }
    let data: Data = client.query(
        "listing the assets",
        include_str!("../queries/asset_nodes.graphql"),
        json!({}),
    )?;
    Ok(data
        .asset_nodes
        .into_iter()
        .map(|n| AssetNode {
            key: n.asset_key.joined(),
            group: n.group_name,
            partitioned: n.is_partitioned,
            materializable: n.is_materializable,
            jobs: n.job_names,
            location: n.repository.location.name,
            repository: n.repository.name,
        })
        .collect())
}

//! Where jobs live: the code locations and repositories of the workspace,
//! and the [`Target`] every selector of a job needs.

use serde::Deserialize;
use serde_json::{Value, json};

use super::answer::{Named, message};
use crate::dagster::{Client, Error};

/// A repository in a code location, with its job names.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Repository {
    /// The code location's name.
    pub location: String,
    /// The repository's name (`__repository__` for a `Definitions` object).
    pub name: String,
    /// Its jobs.
    pub jobs: Vec<String>,
}

/// Every repository of the workspace.
pub fn repositories(client: &Client) -> Result<Vec<Repository>, Error> {
    #[derive(Deserialize)]
    #[serde(rename_all = "camelCase")]
    struct Data {
        repositories_or_error: Answer,
    }
    #[derive(Deserialize)]
    struct Answer {
        #[serde(rename = "__typename")]
        typename: String,
        nodes: Option<Vec<Node>>,
        message: Option<String>,
    }
    #[derive(Deserialize)]
    struct Node {
        name: String,
        location: Named,
        jobs: Vec<Named>,
    }
    let data: Data = client.query(
        "listing repositories",
        include_str!("../queries/repositories.graphql"),
        json!({}),
    )?;
    let answer = data.repositories_or_error;
    let nodes = answer.nodes.ok_or_else(|| {
        Error::refused(format!(
            "listing repositories: {}",
            message(&answer.typename, answer.message)
        ))
    })?;
    Ok(nodes
        .into_iter()
        .map(|n| Repository {
            location: n.location.name,
            name: n.name,
            jobs: n.jobs.into_iter().map(|j| j.name).collect(),
        })
        .collect())
}

/// Where a job lives: what every Dagster selector needs.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Target {
    /// Code location name.
    pub location: String,
    /// Repository name.
    pub repository: String,
    /// Job name.
    pub job: String,
}

impl Target {
    /// The `RepositorySelector` input.
    pub fn repository_selector(&self) -> Value {
        json!({ "repositoryLocationName": self.location, "repositoryName": self.repository })
    }
}

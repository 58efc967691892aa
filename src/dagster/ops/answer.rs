//! The vocabulary every operation's answer shares: tags, a lookup that may
//! find nothing, a list or the error type in its place, and the
//! `__typename: message` of Dagster's error types.

use serde::Deserialize;

use super::locations::Target;
use crate::dagster::Error;

/// One tag, as Dagster lists them.
#[derive(Clone, Debug, Deserialize, PartialEq, Eq)]
pub struct Tag {
    /// Key.
    pub key: String,
    /// Value.
    pub value: String,
}

/// A job backfill's partition set, as far as where it ran.
#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
pub(super) struct PartitionSet {
    pub repository_origin: Origin,
}

impl PartitionSet {
    /// Where job `job`, whose partition set this is, runs.
    pub fn target(self, job: String) -> Target {
        Target {
            location: self.repository_origin.repository_location_name,
            repository: self.repository_origin.repository_name,
            job,
        }
    }
}

/// The code location and repository a partition set comes from.
#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
pub(super) struct Origin {
    pub repository_location_name: String,
    pub repository_name: String,
}

/// An asset key, as Dagster lists it.
#[derive(Deserialize)]
pub(super) struct AssetKey {
    pub path: Vec<String>,
}

impl AssetKey {
    /// The key as specs write it: its path joined by `/`.
    pub fn joined(&self) -> String {
        self.path.join("/")
    }
}

/// An asset selection as specs write its keys (none when Dagster gave none).
pub(super) fn joined_keys(keys: Option<Vec<AssetKey>>) -> Vec<String> {
    keys.unwrap_or_default()
        .iter()
        .map(AssetKey::joined)
        .collect()
}

/// A list field of Dagster's (`results`), or the error type it answers in
/// its place.
#[derive(Deserialize)]
pub(super) struct Results<T> {
    #[serde(rename = "__typename")]
    typename: String,
    results: Option<Vec<T>>,
    message: Option<String>,
}

impl<T> Results<T> {
    /// The list; an error type in its place is unexpected (a list query
    /// fails only when Dagster does), reported after `what`.
    pub fn list(self, what: &str) -> Result<Vec<T>, Error> {
        self.results.ok_or_else(|| {
            Error::unexpected(format!("{what}: {}", message(&self.typename, self.message)))
        })
    }
}

/// The latest run status of one partition (`None`: never run).
#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
pub(super) struct PartitionStatus {
    pub partition_name: String,
    pub run_status: Option<String>,
}

impl PartitionStatus {
    /// `(partition, latest run status)`.
    pub fn pair(self) -> (String, Option<String>) {
        (self.partition_name, self.run_status)
    }
}

/// A job backfill's `partitionStatuses`.
#[derive(Deserialize)]
pub(super) struct BackfillStatuses {
    results: Vec<PartitionStatus>,
}

/// A backfill's partition statuses as `(partition, latest run status)`
/// pairs, in Dagster's order; none when Dagster gave none (an asset backfill).
pub(super) fn status_pairs(statuses: Option<BackfillStatuses>) -> Vec<(String, Option<String>)> {
    statuses.map_or_else(Vec::new, |s| {
        s.results.into_iter().map(PartitionStatus::pair).collect()
    })
}

/// The value of tag `key` in `tags`.
pub fn tag<'a>(tags: &'a [Tag], key: &str) -> Option<&'a str> {
    tags.iter().find(|t| t.key == key).map(|t| t.value.as_str())
}

/// A `{ name }` object.
#[derive(Deserialize)]
pub(crate) struct Named {
    pub(crate) name: String,
}

/// A `{ message }` object.
#[derive(Deserialize)]
pub(crate) struct Message {
    pub(crate) message: Option<String>,
}

/// `Typename: message`, or the type name alone.
pub(crate) fn message(typename: &str, message: Option<String>) -> String {
    match message {
        Some(m) => format!("{typename}: {}", m.trim_end()),
        None => typename.to_owned(),
    }
}

/// What a status query found.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Lookup<T> {
    /// The object.
    Found(T),
    /// Dagster says it does not exist (or failed to load it): the message.
    Missing(String),
}

impl<T> Lookup<T> {
    /// The found object turned by `f`; a missing one stays missing.
    pub fn map<U>(self, f: impl FnOnce(T) -> U) -> Lookup<U> {
        match self {
            Lookup::Found(t) => Lookup::Found(f(t)),
            Lookup::Missing(m) => Lookup::Missing(m),
        }
    }
}

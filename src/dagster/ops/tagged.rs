//! Backfills and runs found by their tags: how an earlier launch of a
//! request is found again, and which of several launches carrying one
//! request hash is the request's own ([`originals`]).

use serde::Deserialize;
use serde_json::{Value, json};

use super::answer::{Results, Tag};
use crate::dagster::{Client, Error};

/// A backfill or run found by its tags.
#[derive(Clone, Debug, PartialEq)]
pub struct Found {
    /// Backfill id or run id.
    pub id: String,
    /// Creation time, Unix seconds.
    pub created: f64,
    /// Status (`BulkActionStatus` or `RunStatus`).
    pub status: String,
    /// Its tags.
    pub tags: Vec<Tag>,
}

/// An entry of Dagster's runs feed (a backfill or a run), as the backfill
/// lookups read it.
#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
pub(super) struct FeedEntry {
    #[serde(rename = "__typename")]
    typename: String,
    id: String,
    creation_time: f64,
    tags: Vec<Tag>,
    status: Option<String>,
}

impl FeedEntry {
    /// The entry if it is a backfill; `None` for a run.
    pub(super) fn backfill(self) -> Option<Found> {
        (self.typename == "PartitionBackfill").then(|| Found {
            id: self.id,
            created: self.creation_time,
            status: self.status.unwrap_or_default(),
            tags: self.tags,
        })
    }
}

fn tag_list(tags: &[(&str, &str)]) -> Value {
    Value::Array(
        tags.iter()
            .map(|(k, v)| json!({ "key": k, "value": v }))
            .collect(),
    )
}

/// Backfills carrying every one of `tags`, oldest first.
pub fn find_backfills(client: &Client, tags: &[(&str, &str)]) -> Result<Vec<Found>, Error> {
    #[derive(Deserialize)]
    #[serde(rename_all = "camelCase")]
    struct Data {
        runs_feed_or_error: Results<FeedEntry>,
    }
    let what = "looking up backfills by tag";
    let data: Data = client.query(
        what,
        include_str!("../queries/find_backfills.graphql"),
        json!({ "tags": tag_list(tags), "limit": 50 }),
    )?;
    let mut found: Vec<Found> = data
        .runs_feed_or_error
        .list(what)?
        .into_iter()
        .filter_map(FeedEntry::backfill)
        .collect();
    found.sort_by(|a, b| a.created.total_cmp(&b.created));
    Ok(found)
}

/// Runs carrying every one of `tags` (and one of `statuses`, if given), oldest first.
pub fn find_runs(
    client: &Client,
    tags: &[(&str, &str)],
    statuses: &[&str],
    limit: u32,
) -> Result<Vec<Found>, Error> {
    #[derive(Deserialize)]
    #[serde(rename_all = "camelCase")]
    struct Data {
        runs_or_error: Results<RunEntry>,
    }
    #[derive(Deserialize)]
    #[serde(rename_all = "camelCase")]
    struct RunEntry {
        run_id: String,
        status: String,
        creation_time: f64,
        tags: Vec<Tag>,
    }
    let what = "looking up runs by tag";
    let mut filter = json!({ "tags": tag_list(tags) });
    if !statuses.is_empty() {
        filter["statuses"] = json!(statuses);
    }
    let data: Data = client.query(
        what,
        include_str!("../queries/find_runs.graphql"),
        json!({ "filter": filter, "limit": limit }),
    )?;
    let mut found: Vec<Found> = data
        .runs_or_error
        .list(what)?
        .into_iter()
        .map(|r| Found {
            id: r.run_id,
            created: r.creation_time,
            status: r.status,
            tags: r.tags,
        })
        .collect();
    found.sort_by(|a, b| a.created.total_cmp(&b.created));
    Ok(found)
}

/// Tags Dagster puts on a copy of a backfill or run (a re-execution), naming
/// the launch it copies.
pub const PARENT_TAGS: [&str; 2] = ["dagster/parent_backfill_id", "dagster/parent_run_id"];

/// The request's own launches among `group` (launches that carry one request
/// hash), earliest first (Dagster's creation time, ties broken by id):
/// Dagster's copies of a launch in the group (re-executions, which name their
/// parent) left out. The first is the request's launch; any others are
/// concurrent twins. Every caller that asks "what did this request launch"
/// (the runner before launching, `status`, `plan --resolve`) uses this one
/// rule, so they agree.
pub fn originals(group: &[Found]) -> Vec<&Found> {
    let ids: Vec<&str> = group.iter().map(|f| f.id.as_str()).collect();
    let mut out: Vec<&Found> = group
        .iter()
        .filter(|f| {
            !PARENT_TAGS
                .iter()
                .filter_map(|t| super::tag(&f.tags, t))
                .any(|parent| ids.contains(&parent))
        })
        .collect();
    out.sort_by(|a, b| {
        a.created
            .total_cmp(&b.created)
            .then_with(|| a.id.cmp(&b.id))
    });
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn found(id: &str, created: f64, tags: &[(&str, &str)]) -> Found {
        Found {
            id: id.to_owned(),
            created,
            status: String::new(),
            tags: tags
                .iter()
                .map(|(k, v)| Tag {
                    key: (*k).to_owned(),
                    value: (*v).to_owned(),
                })
                .collect(),
        }
    }

    #[test]
    fn the_earliest_launch_is_the_requests_and_copies_of_it_are_not_twins() {
        let group = [
            found("b", 2.0, &[]),
            found("copy", 0.5, &[("dagster/parent_backfill_id", "a")]),
            found("a", 1.0, &[]),
            found("c", 2.0, &[]),
        ];
        let ids: Vec<&str> = originals(&group).iter().map(|f| f.id.as_str()).collect();
        assert_eq!(ids, ["a", "b", "c"]);
        // A copy of a launch outside the group is an original of its own.
        let lone = [found(
            "copy",
            0.5,
            &[("dagster/parent_run_id", "elsewhere")],
        )];
        assert_eq!(originals(&lone).len(), 1);
    }
}

//! Which code location and repository hold the spec's job.
//!
//! Every Dagster selector needs both names, but the seed's `repository_name`
//! is usually a code location name (a `Definitions` object's repository is
//! always `__repository__`), and older deployments name repositories with
//! `@repository(name=...)`. So the spec's name is matched, in this order, as
//! `repository@location` (Dagster's own spelling in UI URLs), as a code
//! location name, then as a repository name. Within the first tier that
//! matches, more than one candidate is an error listing them: never a guess.
//! A job found nowhere is an error at the spec's `job_name`; one found, but
//! not where `repository_name` says, at `repository_name`.

use super::Error;
use crate::dagster::Client;
use crate::dagster::ops::{self, Repository, Target};

/// Where `job` lives, given the spec's optional `repository_name`.
pub fn target(client: &Client, job: &str, wanted: Option<&str>) -> Result<Target, Error> {
    let repositories = ops::repositories(client)?;
    resolve(&repositories, job, wanted)
}

/// The one repository that holds `job`, given the spec's optional `repository_name`.
pub fn resolve(
    repositories: &[Repository],
    job: &str,
    wanted: Option<&str>,
) -> Result<Target, Error> {
    let holders: Vec<&Repository> = repositories
        .iter()
        .filter(|r| r.jobs.iter().any(|j| j == job))
        .collect();
    let candidates: Vec<&Repository> = match wanted {
        None => holders.clone(),
        Some(wanted) => {
            let exact: Vec<&Repository> = match wanted.split_once('@') {
                Some((repo, location)) => holders
                    .iter()
                    .copied()
                    .filter(|r| r.name == repo && r.location == location)
                    .collect(),
                None => Vec::new(),
            };
            let by_location: Vec<&Repository> = holders
                .iter()
                .copied()
                .filter(|r| r.location == wanted)
                .collect();
            let by_repository: Vec<&Repository> = holders
                .iter()
                .copied()
                .filter(|r| r.name == wanted)
                .collect();
            [exact, by_location, by_repository]
                .into_iter()
                .find(|tier| !tier.is_empty())
                .unwrap_or_default()
        }
    };
    match candidates.as_slice() {
        [one] => Ok(Target {
            location: one.location.clone(),
            repository: one.name.clone(),
            job: job.to_owned(),
        }),
        [] => Err(not_found(repositories, &holders, job, wanted)),
        many => Err(Error::rejected(format!(
            "job {job} is ambiguous: it exists in {}; set repository_name to one of them (`repository@location`)",
            list(many)
        ))
        .at("/job_name")),
    }
}

fn list(repos: &[&Repository]) -> String {
    let mut names: Vec<String> = repos
        .iter()
        .map(|r| format!("{}@{}", r.name, r.location))
        .collect();
    names.sort();
    names.join(", ")
}

fn not_found(
    all: &[Repository],
    holders: &[&Repository],
    job: &str,
    wanted: Option<&str>,
) -> Error {
    match (wanted, holders.is_empty()) {
        (_, true) => {
            let known: Vec<&Repository> = all.iter().collect();
            Error::rejected(format!(
                "job {job} not found in any code location (repositories: {})",
                if known.is_empty() {
                    "none".to_owned()
                } else {
                    list(&known)
                }
            ))
            .at("/job_name")
        }
        (Some(wanted), false) => Error::rejected(format!(
            "job {job} not found in code location or repository `{wanted}`; it exists in {}",
            list(holders)
        ))
        .at("/repository_name"),
        (None, false) => Error::rejected(format!("job {job} not found")).at("/job_name"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn lab() -> Vec<Repository> {
        let repo = |location: &str, name: &str, jobs: &[&str]| Repository {
            location: location.into(),
            name: name.into(),
            jobs: jobs.iter().map(|j| j.to_string()).collect(),
        };
        vec![
            repo(
                "luchtmeetnet_ingestion",
                "__repository__",
                &["__ASSET_JOB", "cleanup_job", "ingestion_job"],
            ),
            repo(
                "legacy_location",
                "luchtmeetnet_ingestion",
                &["ingestion_job"],
            ),
        ]
    }

    #[test]
    fn location_name_wins_over_repository_name() {
        let t = resolve(&lab(), "ingestion_job", Some("luchtmeetnet_ingestion")).unwrap();
        assert_eq!(
            (t.location.as_str(), t.repository.as_str()),
            ("luchtmeetnet_ingestion", "__repository__")
        );
        let t = resolve(&lab(), "ingestion_job", Some("legacy_location")).unwrap();
        assert_eq!(t.repository, "luchtmeetnet_ingestion");
        let t = resolve(
            &lab(),
            "ingestion_job",
            Some("luchtmeetnet_ingestion@legacy_location"),
        )
        .unwrap();
        assert_eq!(t.location, "legacy_location");
        let t = resolve(&lab(), "cleanup_job", None).unwrap();
        assert_eq!(t.location, "luchtmeetnet_ingestion");
    }

    #[test]
    fn ambiguous_and_unknown_jobs_are_rejected_with_candidates() {
        let e = resolve(&lab(), "ingestion_job", None).unwrap_err();
        assert_eq!(e.cause, crate::resolve::Cause::Rejected);
        assert_eq!(e.pointer.as_deref(), Some("/job_name"));
        assert!(
            e.message.contains(
                "__repository__@luchtmeetnet_ingestion, luchtmeetnet_ingestion@legacy_location"
            ),
            "{e}"
        );
        let e = resolve(&lab(), "nope_job", None).unwrap_err();
        assert!(e.message.contains("not found in any code location"), "{e}");
        assert_eq!(e.pointer.as_deref(), Some("/job_name"));
        let e = resolve(&lab(), "cleanup_job", Some("legacy_location")).unwrap_err();
        assert!(
            e.message
                .contains("it exists in __repository__@luchtmeetnet_ingestion"),
            "{e}"
        );
        assert_eq!(e.pointer.as_deref(), Some("/repository_name"));
    }
}

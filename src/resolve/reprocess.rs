//! `reprocess`: which of the selected partitions a backfill launches, by
//! what Dagster last did to each.
//!
//! Dagster's partition statuses say it: for a job, the latest run of each
//! partition (its partition set's statuses: the runs tagged with the set,
//! as every backfill's are); for assets, each asset's materialized, failed
//! and materializing partitions. Every selected partition is then one of:
//!
//! * succeeded: its latest run succeeded (for assets: materialized in every
//!   asset of the request);
//! * failed: its latest run failed or was canceled (for assets: failed in
//!   one of them);
//! * in progress: a run of it is queued or running (materializing in one of
//!   the assets). Never launched again by `missing` or `failed`: a second
//!   run would race the first; it is counted apart so a reviewer sees it;
//! * never run: nothing of the above.
//!
//! `missing` launches the failed and the never run ones (Dagster's UI "only
//! missing and failed"), `failed` only the failed ones, `all` everything
//! without asking.

use std::collections::HashMap;

use crate::dagster::ops::AssetStatuses;
use crate::spec::Reprocess;

/// What Dagster last did to one partition.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum State {
    /// Its latest run succeeded (materialized).
    Succeeded,
    /// Its latest run failed or was canceled.
    Failed,
    /// A run of it is queued or in progress.
    InProgress,
    /// Never run (never materialized nor tried).
    NeverRun,
}

impl State {
    /// The state of a job's partition whose latest run has `status`
    /// (`RunStatus`), `None` when it never ran.
    pub fn of_run(status: Option<&str>) -> State {
        match status {
            None => State::NeverRun,
            Some("SUCCESS") => State::Succeeded,
            Some("FAILURE" | "CANCELED") => State::Failed,
            // QUEUED, NOT_STARTED, STARTING, STARTED, CANCELING, MANAGED.
            Some(_) => State::InProgress,
        }
    }

    /// The state of partition `key` across the assets of one request:
    /// in progress in one, else failed in one, else never materialized in
    /// one, else succeeded.
    pub fn of_assets(key: &str, assets: &[AssetStatuses]) -> State {
        let any = |f: &dyn Fn(&AssetStatuses) -> bool| assets.iter().any(f);
        if any(&|a| a.materializing.contains(key)) {
            State::InProgress
        } else if any(&|a| a.failed.contains(key)) {
            State::Failed
        } else if any(&|a| !a.materialized.contains(key)) {
            State::NeverRun
        } else {
            State::Succeeded
        }
    }
}

/// What `reprocess` made of a backfill's selection.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Reprocessed {
    /// The spec's choice (never `all`: that reads no statuses).
    pub reprocess: Reprocess,
    /// How many partitions the spec selects.
    pub selected: usize,
    /// How many of them are launched.
    pub launching: usize,
    /// How many last succeeded.
    pub succeeded: usize,
    /// How many last failed (or were canceled).
    pub failed: usize,
    /// How many have a run in progress.
    pub in_progress: usize,
    /// How many never ran.
    pub never_run: usize,
}

impl Reprocessed {
    /// The selected `keys` that `reprocess` launches, given each one's
    /// state, and the counts.
    pub fn keep(
        reprocess: Reprocess,
        keys: Vec<String>,
        state: impl Fn(&str) -> State,
    ) -> (Vec<String>, Reprocessed) {
        let mut r = Reprocessed {
            reprocess,
            selected: keys.len(),
            launching: 0,
            succeeded: 0,
            failed: 0,
            in_progress: 0,
            never_run: 0,
        };
        let mut kept = Vec::new();
        for key in keys {
            let s = state(&key);
            match s {
                State::Succeeded => r.succeeded += 1,
                State::Failed => r.failed += 1,
                State::InProgress => r.in_progress += 1,
                State::NeverRun => r.never_run += 1,
            }
            let launch = match reprocess {
                Reprocess::All => true,
                Reprocess::Missing => matches!(s, State::Failed | State::NeverRun),
                Reprocess::Failed => s == State::Failed,
            };
            if launch {
                kept.push(key);
            }
        }
        r.launching = kept.len();
        (kept, r)
    }

    /// The keys `reprocess` launches among a job's `keys`, by the job's
    /// partition `statuses` (partition, latest run status).
    pub fn of_job(
        reprocess: Reprocess,
        keys: Vec<String>,
        statuses: &[(String, Option<String>)],
    ) -> (Vec<String>, Reprocessed) {
        let latest: HashMap<&str, Option<&str>> = statuses
            .iter()
            .map(|(k, s)| (k.as_str(), s.as_deref()))
            .collect();
        Reprocessed::keep(reprocess, keys, |k| {
            State::of_run(latest.get(k).copied().flatten())
        })
    }

    /// The counts in words: "1 of 4 selected partitions (reprocess:
    /// failed; 3 already succeeded, 1 failed, 0 in progress, 0 never run)".
    pub fn summary(&self) -> String {
        format!(
            "{} of {} selected partition{} (reprocess: {}; {})",
            self.launching,
            self.selected,
            if self.selected == 1 { "" } else { "s" },
            self.reprocess.as_str(),
            self.states()
        )
    }

    /// Why nothing is launched, when nothing is.
    pub fn nothing(&self) -> String {
        let wanted = match self.reprocess {
            Reprocess::Failed => "failed",
            Reprocess::All | Reprocess::Missing => "missing or failed",
        };
        format!(
            "reprocess: {}: none of the {} selected partition{} is {wanted} ({}); nothing to do",
            self.reprocess.as_str(),
            self.selected,
            if self.selected == 1 { "" } else { "s" },
            self.states()
        )
    }

    fn states(&self) -> String {
        format!(
            "{} already succeeded, {} failed, {} in progress, {} never run",
            self.succeeded, self.failed, self.in_progress, self.never_run
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn keys(k: &[&str]) -> Vec<String> {
        k.iter().map(|k| (*k).to_owned()).collect()
    }

    fn statuses() -> Vec<(String, Option<String>)> {
        [
            ("ok", Some("SUCCESS")),
            ("bad", Some("FAILURE")),
            ("stopped", Some("CANCELED")),
            ("busy", Some("STARTED")),
            ("queued", Some("QUEUED")),
            ("listed", None),
        ]
        .iter()
        .map(|(k, s)| ((*k).to_owned(), s.map(str::to_owned)))
        .collect()
    }

    #[test]
    fn missing_launches_the_failed_and_the_never_run_failed_only_the_failed() {
        let selected = keys(&["ok", "bad", "stopped", "busy", "queued", "listed", "new"]);
        let (kept, r) = Reprocessed::of_job(Reprocess::Missing, selected.clone(), &statuses());
        assert_eq!(kept, ["bad", "stopped", "listed", "new"]);
        assert_eq!(
            (
                r.selected,
                r.launching,
                r.succeeded,
                r.failed,
                r.in_progress,
                r.never_run
            ),
            (7, 4, 1, 2, 2, 2)
        );
        assert_eq!(
            r.summary(),
            "4 of 7 selected partitions (reprocess: missing; 1 already succeeded, 2 failed, 2 in progress, 2 never run)"
        );
        let (kept, r) = Reprocessed::of_job(Reprocess::Failed, selected.clone(), &statuses());
        assert_eq!(kept, ["bad", "stopped"]);
        assert_eq!(r.launching, 2);
        let (kept, _) = Reprocessed::of_job(Reprocess::All, selected.clone(), &statuses());
        assert_eq!(kept, selected);
    }

    #[test]
    fn nothing_left_says_why_with_the_counts() {
        let (kept, r) = Reprocessed::of_job(Reprocess::Missing, keys(&["ok", "busy"]), &statuses());
        assert!(kept.is_empty());
        assert_eq!(
            r.nothing(),
            "reprocess: missing: none of the 2 selected partitions is missing or failed (1 already succeeded, 0 failed, 1 in progress, 0 never run); nothing to do"
        );
    }

    #[test]
    fn an_asset_partition_is_as_done_as_its_least_done_asset() {
        let set = |k: &[&str]| k.iter().map(|k| (*k).to_owned()).collect();
        let a = AssetStatuses {
            materialized: set(&["a", "b", "c", "d"]),
            failed: set(&["c"]),
            materializing: set(&["d"]),
        };
        let b = AssetStatuses {
            materialized: set(&["a", "c", "d"]),
            ..AssetStatuses::default()
        };
        let both = [a, b];
        let states: Vec<State> = ["a", "b", "c", "d", "e"]
            .iter()
            .map(|k| State::of_assets(k, &both))
            .collect();
        assert_eq!(
            states,
            [
                State::Succeeded,
                State::NeverRun,
                State::Failed,
                State::InProgress,
                State::NeverRun
            ]
        );
    }
}

//! How a request runs beside other work: which of its partitions to launch
//! again, what to do when another backfill holds the same partitions, and how
//! many of its runs may be in flight at once.

use std::num::NonZeroU32;

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

/// Which of the selected partitions to launch (Airflow 3 calls this the
/// reprocessing behaviour).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum Reprocess {
    /// Every selected partition, whatever Dagster has for it (the default).
    #[default]
    All,
    /// Only partitions never materialized, or whose latest run failed.
    Missing,
    /// Only partitions whose latest run failed.
    Failed,
}

impl Reprocess {
    /// The spelling used in specs.
    pub fn as_str(self) -> &'static str {
        match self {
            Reprocess::All => "all",
            Reprocess::Missing => "missing",
            Reprocess::Failed => "failed",
        }
    }
}

/// What the runner does when backfills already in flight target the same
/// job (or assets) and partitions.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum OnOverlap {
    /// Wait until they end, then launch (the default).
    #[default]
    Wait,
    /// Launch nothing and exit 3.
    Refuse,
    /// Launch anyway.
    Allow,
}

impl OnOverlap {
    /// The spelling used in specs and settings.
    pub fn as_str(self) -> &'static str {
        match self {
            OnOverlap::Wait => "wait",
            OnOverlap::Refuse => "refuse",
            OnOverlap::Allow => "allow",
        }
    }
}

/// At most this many of a request's runs queued or in progress at once.
pub type MaxConcurrentRuns = NonZeroU32;

//! The Dagster GraphQL operations, with typed answers.
//!
//! Each function sends one verified document (`src/dagster/queries/*.graphql`,
//! checked against the pinned Dagster's schema by the runner's tests) and
//! turns the answer's union (`__typename`) into a Rust value or an
//! [`Error`](super::Error) of the right [`Kind`](super::Kind). Fields are
//! optional where Dagster may leave them out, so an odd answer becomes an
//! error, never a panic.

mod answer;
mod assets;
mod backfills;
mod cancel;
mod daemons;
mod history;
mod in_flight;
mod launch;
mod listing;
mod locations;
mod partition_runs;
mod partitions;
mod requests;
mod run_config;
mod runs;
mod tagged;

pub use answer::{Lookup, Tag, tag};
pub use assets::{AssetNode, asset_nodes};
pub use backfills::{
    Counts, Detail, Progress, TERMINAL_BACKFILL, backfill_detail, backfill_progress,
};
pub use cancel::cancel;
pub use daemons::unhealthy_daemons;
pub use history::{
    ACTIVE_LIMIT, Active, AssetStatuses, active_backfills, asset_materialized,
    asset_partition_statuses, backfill_partitions, job_partition_statuses,
};
pub use in_flight::{IN_FLIGHT_LIMIT, InFlightRun, in_flight_runs};
pub use launch::{launch_backfill, launch_run, reexecute_run};
pub use listing::{MAX_PAGES, PAGE, list_backfills};
pub use locations::{Repository, Target, repositories};
pub use partition_runs::{PartitionRun, partition_runs, partition_runs_document};
pub use partitions::{Partitions, asset_partitions, job_partitions, partition_tags};
pub use requests::{
    BATCH, BackfillDetails, LIMIT, LaunchType, PartitionStatuses, Run, RunsTagged,
    backfill_details, details_document, partition_statuses, runs_document, runs_tagged,
    statuses_document,
};
pub use run_config::{validate_asset_run_config, validate_run_config};
pub use runs::{RunClass, RunState, classify_run, run_status};
pub use tagged::{Found, PARENT_TAGS, find_backfills, find_runs, originals};

//! `dagster-scripts-runner`: launches one dagster-scripts request on Dagster
//! and follows it to the end, exactly once however often the Job runs.
//!
//! The stages, in the order [`run`] calls them: [`args`] (settings from flags
//! and the environment) → read the spec (the root library's reader) →
//! [`existing`] (has Dagster already launched this request?) → [`resolve`]
//! (what to launch, resolved against Dagster) → [`overlap`] (backfills in
//! flight over the same partitions) → [`launch`] → [`follow`] (or [`pace`]
//! for a request with `max_concurrent_runs`) → an [`exit::Status`]; a
//! cancellation resolves, then [`cancel`]s and follows. Everything that talks to Dagster goes through the root
//! library's client ([`dagster_scripts::dagster`]), set up by [`client`];
//! everything a person sees goes through [`log`]. Resolution ([`resolve`],
//! [`existing`], [`handle`], [`tags`]) lives in the root library, which
//! `dagster-scripts plan --resolve` shares, so both resolve a spec alike.

pub mod args;
pub mod cancel;
pub mod client;
pub mod command;
pub mod exit;
pub mod follow;
pub mod launch;
pub mod log;
pub mod overlap;
pub mod pace;
pub mod run;
pub mod signals;

pub use dagster_scripts::resolve::{self, existing, handle, tags};

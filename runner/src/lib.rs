//! `dagster-scripts-runner`: launches one dagster-scripts request on Dagster
//! and follows it to the end, exactly once however often the Job runs.
//!
//! Data flows one way: [`settings`] → spec (the root library's loader) →
//! [`launch::find_existing`] → [`plan`] (resolution against Dagster) →
//! [`launch`] → [`follow`] → an [`exit::Status`]. Everything that talks to
//! Dagster goes through [`graphql::Client`] (retries, deadline, signals);
//! everything a person sees goes through [`log`].

pub mod api;
pub mod backoff;
pub mod exit;
pub mod follow;
pub mod graphql;
pub mod http;
pub mod launch;
pub mod log;
pub mod plan;
pub mod resolve;
pub mod run;
pub mod select;
pub mod settings;
pub mod stop;
pub mod tags;

//! The Dagster GraphQL client both binaries use: the runner to resolve,
//! launch and follow a request, the compiler to ask what requests became.
//!
//! It knows Dagster and nothing of its callers. [`Client`] sends verified
//! documents (`src/dagster/queries/*.graphql`, checked against the pinned
//! Dagster's schema by the runner's tests) over a [`Transport`], retries what
//! is worth retrying, and sends a launch at most once ([`MutationError`]).
//! Every wait honours a [`Stop`] (a deadline, and a flag the caller's signal
//! handling raises); every retry is told to an [`Observer`]; every failure is
//! an [`Error`] whose [`Kind`] says what went wrong. Over https it trusts
//! the web roots and the CA bundle of `SSL_CERT_FILE` ([`Trust`]). The typed operations
//! (repositories, partitions, backfills, runs, launches) are in [`ops`].

mod backoff;
mod error;
mod graphql;
mod http;
mod observer;
pub mod ops;
mod reply;
mod stop;
mod trust;

pub use error::{Error, Kind};
pub use graphql::{Client, MutationError};
pub use http::Transport;
pub use observer::{Observer, Retry};
pub use stop::Stop;
pub use trust::{CERT_DIR_VAR, CERT_FILE_VAR, Trust};

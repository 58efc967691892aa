//! dagster-scripts: compile reviewed YAML requests into Kubernetes Jobs that
//! launch Dagster backfills and runs.
//!
//! The library holds everything the two binaries share. With default features
//! off it is the spec model and its loader only, which is what the runner
//! (`runner/`) builds on; the `compiler` feature adds schema validation,
//! reporting and the commands of the `dagster-scripts` binary.

#[cfg(feature = "dagster")]
pub mod dagster;
pub mod diagnostic;
pub mod duration;
pub mod hash;
pub mod load;
pub mod schema;
pub mod spec;
pub mod url;
pub mod yaml;

#[cfg(feature = "compiler")]
pub mod check;
#[cfg(feature = "compiler")]
pub mod drift;
#[cfg(feature = "compiler")]
pub mod out;
#[cfg(feature = "compiler")]
pub mod pipeline;
#[cfg(feature = "compiler")]
pub mod plan;
#[cfg(feature = "compiler")]
pub mod render;
#[cfg(feature = "compiler")]
pub mod report;
#[cfg(feature = "compiler")]
pub mod scaffold;
#[cfg(feature = "compiler")]
pub mod settings;
#[cfg(feature = "compiler")]
pub mod validate;

//! dagster-scripts: compile reviewed YAML requests into Kubernetes Jobs that
//! launch Dagster backfills and runs.
//!
//! The library holds everything the two binaries share. With default features
//! off it is the request model and its reader only, which is what the runner
//! (`runner/`) builds on; the `compiler` feature adds the other stages and
//! the commands of the `dagster-scripts` binary.
//!
//! # The pipeline, in order
//!
//! 1. **discover** ([`discover`]): which files under `specs/` are specs
//!    (`specs/done/` holds retired ones).
//! 2. **read** ([`read`]): a spec file's bytes to a typed request
//!    ([`spec`]), or every problem in it as a located [`diagnostic`]; the
//!    runner reads the spec its Job mounts the same way.
//! 3. **validate** ([`validate`]): each spec against the published JSON
//!    Schema ([`schema`]), and the specs against each other (one request,
//!    one spec).
//! 4. **render** ([`render`]): a valid spec, the [`settings`] and the
//!    template to one manifest (a Job and its ConfigMap), checked against
//!    Kubernetes' rules ([`kube`]); plus the kustomization and the
//!    NetworkPolicy.
//! 5. **write** ([`write`](mod@write)): what `out/` holds, the changes to
//!    make, and making them atomically under a lock.
//!
//! [`pipeline`] chains discover to render into what `out/` should hold,
//! on every core ([`parallel`]); [`plan`] turns that into a pull-request
//! comment, [`drift`] into the diffs of `--check`.
//!
//! # After the merge: from Dagster back to git
//!
//! [`status`] asks Dagster what each request became (by the request hash
//! its launches carry); [`retire`] moves a finished request's spec to
//! `specs/done/`. [`cmd`] holds each command's sequence (`check`,
//! `render`, `plan`, `status`, `retire`, `new` with [`scaffold`],
//! `schema`); the binary only parses arguments, calls it and maps the
//! outcome to an exit code. [`duration`], [`url`], [`utc`], [`hash`] and
//! [`pointer`](mod@pointer) are shared by both binaries, and so is the
//! Dagster GraphQL client (`dagster`, behind the `dagster` feature), which
//! the runner launches and follows through, and the resolution of a request
//! against Dagster (`resolve`, same feature), which the runner launches and
//! `plan --resolve` shows.

// Shared by both binaries: the model and its reader, and what they use.
pub mod diagnostic;
pub mod duration;
pub mod hash;
pub mod pointer;
pub mod spec;
pub mod url;
pub mod utc;

// The Dagster GraphQL client: the runner launches and follows through it.
#[cfg(feature = "dagster")]
pub mod dagster;

// What a request resolves to in Dagster: the runner launches it, `plan --resolve` shows it.
#[cfg(feature = "dagster")]
pub mod resolve;

// The stages, in pipeline order.
#[cfg(feature = "compiler")]
pub mod discover;

pub mod read;

#[cfg(feature = "compiler")]
pub mod validate;

pub mod schema;

#[cfg(feature = "compiler")]
pub mod settings;

#[cfg(feature = "compiler")]
pub mod kube;

#[cfg(feature = "compiler")]
pub mod render;

#[cfg(feature = "compiler")]
pub mod write;

// The stages chained, and what the commands make of them.
#[cfg(feature = "compiler")]
pub mod parallel;

#[cfg(feature = "compiler")]
pub mod pipeline;

#[cfg(feature = "compiler")]
pub mod plan;

#[cfg(feature = "compiler")]
pub mod drift;

#[cfg(feature = "compiler")]
pub mod scaffold;

#[cfg(feature = "compiler")]
pub mod retire;

#[cfg(feature = "compiler")]
pub mod status;

#[cfg(feature = "compiler")]
pub mod cmd;

//! dagster-scripts: compile reviewed YAML requests into Kubernetes Jobs that
//! launch Dagster backfills and runs.
//!
//! The library holds everything the two binaries share. With default features
//! off it is the spec model and its loader only, which is what the runner
//! (`runner/`) builds on; the `compiler` feature adds schema validation,
//! rendering and the command-line front end.

pub mod spec;

/// The JSON Schema of a spec, as published in `schema/spec.schema.json`.
pub fn spec_schema() -> serde_json::Value {
    let generator = schemars::generate::SchemaSettings::draft2020_12().into_generator();
    generator.into_root_schema_for::<spec::Spec>().to_value()
}

//! `schema`: print the JSON Schema of a spec, or with `--check` compare it
//! with the committed copy.

use std::io::Write;
use std::path::Path;

use super::Outcome;
use crate::drift;
use crate::schema::spec_schema_text;

/// `schema`: the schema to `out`.
pub fn print(out: &mut impl Write) -> Outcome {
    let _ = out.write_all(spec_schema_text().as_bytes());
    Outcome::Success
}

/// `schema --check`: whether the file at `path` is the schema; the diff to
/// `out` when it is not.
pub fn check(path: &Path, out: &mut impl Write, err: &mut impl Write) -> Outcome {
    let committed = match std::fs::read_to_string(path) {
        Ok(text) => Some(text),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => None,
        Err(e) => {
            let _ = writeln!(err, "error: cannot read {}: {e}", path.display());
            return Outcome::Error;
        }
    };
    match drift::diff(
        &path.to_string_lossy(),
        committed.as_deref(),
        &spec_schema_text(),
    ) {
        None => {
            let _ = writeln!(err, "{} is current", path.display());
            Outcome::Success
        }
        Some(diff) => {
            let _ = out.write_all(diff.as_bytes());
            let _ = writeln!(
                err,
                "{} is stale; run `dagster-scripts schema > {}` and commit it",
                path.display(),
                path.display()
            );
            Outcome::Failure
        }
    }
}

//! `new`: start a request, writing `specs/<kind>-<issue>.yaml` with
//! placeholders to fill in (never over an existing file).

use std::io::Write;
use std::path::Path;

use super::Outcome;
use crate::diagnostic::escape_path;
use crate::scaffold;
use crate::schema::SCHEMA_PATH;
use crate::spec::{IssueRef, Kind};

/// `new`: writes the spec of a `kind` request for `issue` under `specs`;
/// its path to `out`, what to do next to `err`.
pub fn new(
    issue: &IssueRef,
    kind: Kind,
    specs: &Path,
    out: &mut impl Write,
    err: &mut impl Write,
) -> Outcome {
    let path = scaffold::path(specs, kind, issue);
    let text = scaffold::template(kind, issue, &scaffold::schema_reference(specs));
    let written = std::fs::create_dir_all(specs)
        .and_then(|()| {
            std::fs::OpenOptions::new()
                .write(true)
                .create_new(true)
                .open(&path)
        })
        .and_then(|mut f| f.write_all(text.as_bytes()));
    let shown = escape_path(&path);
    match written {
        Ok(()) => {
            let _ = writeln!(out, "{shown}");
            let _ = writeln!(
                err,
                "wrote {shown}: edit it, then run `dagster-scripts check {shown}`"
            );
            if !Path::new(SCHEMA_PATH).exists() {
                let _ = writeln!(
                    err,
                    "note: {SCHEMA_PATH} is missing; run `dagster-scripts schema > {SCHEMA_PATH}` so editors find the schema"
                );
            }
            Outcome::Success
        }
        Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {
            let _ = writeln!(
                err,
                "error: {shown} exists already; edit it, or pick another issue or kind"
            );
            Outcome::Error
        }
        Err(e) => {
            let _ = writeln!(err, "error: cannot write {shown}: {e}");
            Outcome::Error
        }
    }
}

//! `render`: lock `out/`, read what it holds, build every spec (each new
//! manifest staged as it is rendered), and apply the result; or, with
//! `--check`, build in memory and diff against `out/`.

use std::fmt::Write as _;
use std::io::Write;
use std::path::Path;

use super::{Outcome, inside_repository, io_error, report_problems, with_existing};
use crate::diagnostic::escape_path;
use crate::diagnostic::report::{Colour, Format};
use crate::pipeline::{self, Build};
use crate::settings::Settings;
use crate::write::{self, Existing, Staging};

/// `render`: makes `out/` hold what the specs render to; problems in `format`.
pub fn render(
    settings: &Settings,
    format: Format,
    colour: Colour,
    out: &mut impl Write,
    err: &mut impl Write,
) -> Outcome {
    let out_dir = &settings.paths.out;
    if !inside_repository(out_dir, err) {
        return Outcome::Error;
    }
    match write::lock(out_dir) {
        Err(e) => io_error("cannot lock", out_dir, &e, err),
        // Read, render and write under the lock: a second render waits for this one.
        Ok(lock) => with_existing(out_dir, err, |existing, err| {
            let staging = Staging::new(out_dir, &lock);
            match pipeline::build(settings, existing, Some(&staging)) {
                Err(summary) => report_problems(&summary, format, colour, out, err),
                Ok(build) => apply(out_dir, &staging, &build, err),
            }
        }),
    }
}

/// `render --check`: whether `out/` holds what the specs render to; the
/// diff to `out` when it does not, problems in `format`.
pub fn check(
    settings: &Settings,
    format: Format,
    colour: Colour,
    out: &mut impl Write,
    err: &mut impl Write,
) -> Outcome {
    let out_dir = &settings.paths.out;
    with_existing(out_dir, err, |existing, err| {
        match pipeline::build(settings, existing, None) {
            Err(summary) => report_problems(&summary, format, colour, out, err),
            Ok(build) => compare(out_dir, &build, existing, out, err),
        }
    })
}

fn apply(out_dir: &Path, staging: &Staging<'_>, build: &Build, err: &mut impl Write) -> Outcome {
    match write::apply(staging, &build.desired, &build.removed) {
        Ok(applied) => {
            // One write, not one per line: a first render lists every file.
            let mut lines = String::new();
            for name in &applied.written {
                let _ = writeln!(lines, "wrote   {}", escape_path(&out_dir.join(name)));
            }
            for name in &applied.removed {
                let _ = writeln!(lines, "removed {}", escape_path(&out_dir.join(name)));
            }
            let n = build.rendered.len();
            let _ = writeln!(
                lines,
                "rendered {n} spec{}: {} written, {} removed, {} unchanged",
                if n == 1 { "" } else { "s" },
                applied.written.len(),
                applied.removed.len(),
                applied.unchanged
            );
            let _ = err.write_all(lines.as_bytes());
            Outcome::Success
        }
        Err(e) => io_error("cannot write", out_dir, &e, err),
    }
}

fn compare(
    out_dir: &Path,
    build: &Build,
    existing: &Existing,
    out: &mut impl Write,
    err: &mut impl Write,
) -> Outcome {
    let changes = write::changes(&build.desired, &build.removed);
    if changes.is_empty() {
        let _ = writeln!(
            err,
            "{} is current ({} files)",
            escape_path(out_dir),
            build.desired.len()
        );
        return Outcome::Success;
    }
    let _ = out.write_all(write::diff(existing, &build.desired, &changes).as_bytes());
    let _ = writeln!(
        err,
        "{} is stale: {} file(s) differ; run `dagster-scripts render` and commit the result",
        escape_path(out_dir),
        changes.len()
    );
    Outcome::Failure
}

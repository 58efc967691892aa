//! `render`: lock `out/` (each environment's output folder), read what it
//! holds, build every spec (each new manifest staged as it is rendered),
//! and apply the result; or, with `--check`, build in memory and diff
//! against `out/`.

use std::fmt::Write as _;
use std::io::Write;
use std::path::{Path, PathBuf};

use super::{
    Outcome, folders, inside_repository, io_error, read_folders, report_problems, targets,
};
use crate::diagnostic::escape_path;
use crate::diagnostic::report::{Colour, Format};
use crate::pipeline::{self, Build, Target};
use crate::settings::Environments;
use crate::write::{self, Existing, Lock, Staging};

/// `render`: makes each environment's output folder hold what its specs
/// render to; problems in `format`. Every folder is locked and every spec
/// rendered before any folder is written: an invalid spec leaves them all
/// untouched.
pub fn render(
    environments: &Environments,
    format: Format,
    colour: Colour,
    out: &mut impl Write,
    err: &mut impl Write,
) -> Outcome {
    let mut locks: Vec<(Option<usize>, PathBuf, Lock)> = Vec::new();
    // In name order, the same in every render: two renders never wait for each other's second lock.
    for (i, out_dir) in folders(environments) {
        if !inside_repository(&out_dir, err) {
            return Outcome::Error;
        }
        match write::lock(&out_dir) {
            Ok(lock) => locks.push((i, out_dir, lock)),
            Err(e) => return io_error("cannot lock", &out_dir, &e, err),
        }
    }
    // Read, render and write under the locks: a second render waits for this one.
    let folders = match read_folders(environments, err) {
        Ok(f) => f,
        Err(outcome) => return outcome,
    };
    let stagings: Vec<Staging<'_>> = folders
        .iter()
        .filter_map(|(i, _)| {
            let (_, dir, lock) = locks.iter().find(|(l, _, _)| l == i)?;
            Some(Staging::new(dir, lock))
        })
        .collect();
    let targets: Vec<Target<'_>> = folders
        .iter()
        .zip(&stagings)
        .map(|((i, existing), staging)| Target {
            environment: *i,
            existing,
            staging: Some(staging),
        })
        .collect();
    let builds = match pipeline::build(environments, &targets) {
        Err(summary) => return report_problems(&summary, format, colour, out, err),
        Ok(builds) => builds,
    };
    let mut outcome = Outcome::Success;
    for (build, staging) in builds.iter().zip(&stagings) {
        if apply(&build.out, staging, build, environments.named(), err) != Outcome::Success {
            outcome = Outcome::Error;
        }
    }
    outcome
}

/// `render --check`: whether each environment's output folder holds what
/// its specs render to; the diff to `out` when one does not, problems in `format`.
pub fn check(
    environments: &Environments,
    format: Format,
    colour: Colour,
    out: &mut impl Write,
    err: &mut impl Write,
) -> Outcome {
    let folders = match read_folders(environments, err) {
        Ok(f) => f,
        Err(outcome) => return outcome,
    };
    let targets = targets(&folders);
    match pipeline::build(environments, &targets) {
        Err(summary) => report_problems(&summary, format, colour, out, err),
        Ok(builds) => {
            let mut outcome = Outcome::Success;
            for (build, (_, existing)) in builds.iter().zip(&folders) {
                if compare(&build.out, build, existing, out, err) != Outcome::Success {
                    outcome = Outcome::Failure;
                }
            }
            outcome
        }
    }
}

fn apply(
    out_dir: &Path,
    staging: &Staging<'_>,
    build: &Build,
    named: bool,
    err: &mut impl Write,
) -> Outcome {
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
            match &build.environment {
                Some(name) => {
                    let _ = write!(lines, "environment {name}: ");
                }
                None if named => {
                    let _ = write!(lines, "{} (before environments): ", escape_path(out_dir));
                }
                None => {}
            }
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

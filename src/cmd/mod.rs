//! The commands of the `dagster-scripts` binary, each a sequence of the
//! stages: what to run in which order, what to tell the user, and how the
//! command ended ([`Outcome`]).
//!
//! The library never prints: each command writes what the user sees to the
//! `out` (standard output: what a tool or a pipe reads) and `err` (standard
//! error: progress and problems for people) it is given, and the binary
//! maps the [`Outcome`] to an exit code. A write that fails (a closed pipe)
//! is ignored: the outcome is what the command did, not whether anyone read
//! about it.

pub mod check;
pub mod connect;
pub mod new;
pub mod plan;
pub mod render;
pub mod retire;
pub mod schema;
pub mod status;

use std::io::Write;
use std::path::{Path, PathBuf};

use crate::diagnostic::escape_path;
use crate::diagnostic::report::{self, Colour, Format, Summary};
use crate::settings::{Environments, SETTINGS_FILE};
use crate::write::{self, Existing};

/// How a command ended.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Outcome {
    /// It did what was asked: every spec is valid, or nothing is stale.
    Success,
    /// A spec is invalid, or with `--check` something is stale.
    Failure,
    /// A usage error, or a file or directory could not be read or written
    /// (or Dagster could not be asked).
    Error,
    /// Something asked for is still running or was never launched
    /// (`status`): not a failure yet, not a success either.
    Pending,
}

impl Outcome {
    /// The process exit code: 0 success, 1 failure, 2 error, 3 pending.
    pub fn code(self) -> u8 {
        match self {
            Outcome::Success => 0,
            Outcome::Failure => 1,
            Outcome::Error => 2,
            Outcome::Pending => 3,
        }
    }
}

impl Outcome {
    /// The outcome of a command whose result is `summary`: an error if a
    /// file could not be read, a failure if a spec is invalid.
    pub fn of(summary: &Summary) -> Outcome {
        match summary.exit_code() {
            0 => Outcome::Success,
            1 => Outcome::Failure,
            _ => Outcome::Error,
        }
    }
}

/// The settings file every command reads: `file` (which must exist), else
/// `dagster-scripts.toml` if present, else the defaults; its environments
/// (one implicit one when it defines none). A bad file is a usage error,
/// reported to `err` at its `file:line:col` (in `colour`).
pub fn load_settings(
    file: Option<&Path>,
    colour: Colour,
    err: &mut impl Write,
) -> Result<Environments, Outcome> {
    let (path, required) = match file {
        Some(p) => (p.to_owned(), true),
        None => (PathBuf::from(SETTINGS_FILE), false),
    };
    Environments::load(&path, required).map_err(|d| {
        let _ = write!(err, "{}", crate::diagnostic::draw::human(&d, colour));
        Outcome::Error
    })
}

/// Tells `err` about settings that work but are risky (a token over plain
/// http); `file` is the settings file as given, if it was.
pub fn warn_settings(environments: &Environments, file: Option<&Path>, err: &mut impl Write) {
    let label = escape_path(file.unwrap_or(Path::new(SETTINGS_FILE)));
    for w in environments.warnings() {
        let _ = writeln!(err, "warning: {label}: {w}");
    }
}

/// Writes `summary` in `format`: the human format to `err` (in `colour`),
/// for people, and returns true; the others to `out`, for tools.
fn write_report(
    summary: &Summary,
    format: Format,
    colour: Colour,
    out: &mut impl Write,
    err: &mut impl Write,
) -> bool {
    let text = report::render(summary, format, colour);
    if format == Format::Human {
        let _ = err.write_all(text.as_bytes());
        true
    } else {
        let _ = out.write_all(text.as_bytes());
        false
    }
}

/// Reports the problems that stopped a render (or a plan): to `err` for
/// people (in `colour`), to `out` in the other formats.
fn report_problems(
    summary: &Summary,
    format: Format,
    colour: Colour,
    out: &mut impl Write,
    err: &mut impl Write,
) -> Outcome {
    if write_report(summary, format, colour, out, err) {
        if !summary.files.is_empty() {
            let _ = writeln!(err, "{}", summary.tally());
        }
        let _ = writeln!(err, "nothing was written");
    }
    Outcome::of(summary)
}

/// Whether `out_dir` may be used: a path inside the repository (the working
/// directory) must not lead out of it through a symlink. Tells `err` why not.
fn inside_repository(out_dir: &Path, err: &mut impl Write) -> bool {
    match write::leads_out_of_repository(out_dir) {
        Ok(None) => true,
        Ok(Some(real)) => {
            let _ = writeln!(
                err,
                "error: {} leads out of the repository, to {}, through a symbolic link; \
                 render writes and removes files there, so it refuses\n  \
                 hint: make {} a real directory inside the repository (or point --out at the place itself)",
                out_dir.display(),
                real.display(),
                out_dir.display()
            );
            false
        }
        Err(e) => {
            io_error("cannot resolve", out_dir, &e, err);
            false
        }
    }
}

/// The output folders a command works on, each with its environment's
/// index: every selected environment's, and (when every environment is
/// selected) the folder rendered into before the environments were named,
/// if it is one ([`Environments::former_out`]), as `None`.
fn folders(environments: &Environments) -> Vec<(Option<usize>, PathBuf)> {
    let mut folders: Vec<(Option<usize>, PathBuf)> = environments
        .selected()
        .map(|(i, e)| (Some(i), e.settings.paths.out.clone()))
        .collect();
    let every = folders.len() == environments.all().len();
    if let Some(former) = environments.former_out().filter(|f| every && f.is_dir()) {
        folders.push((None, former.to_owned()));
    }
    folders
}

/// A build target for each of `folders` (as [`read_folders`] read them),
/// compared with what it holds and staged nowhere.
fn targets(folders: &[(Option<usize>, Existing)]) -> Vec<crate::pipeline::Target<'_>> {
    folders
        .iter()
        .map(|(i, existing)| crate::pipeline::Target {
            environment: *i,
            existing,
            staging: None,
        })
        .collect()
}

/// Reads what each of the [`folders`] holds (the former one only if the
/// tool wrote anything there), or tells `err` why it cannot.
fn read_folders(
    environments: &Environments,
    err: &mut impl Write,
) -> Result<Vec<(Option<usize>, Existing)>, Outcome> {
    let mut read = Vec::new();
    for (i, out_dir) in folders(environments) {
        if !inside_repository(&out_dir, err) {
            return Err(Outcome::Error);
        }
        let existing = match write::read_existing(&out_dir) {
            Ok(existing) => existing,
            Err(e) => return Err(io_error("cannot read", &out_dir, &e, err)),
        };
        if i.is_none() {
            match existing.removals(&std::collections::BTreeMap::<String, ()>::new()) {
                Ok(ours) if ours.is_empty() => continue,
                Ok(_) => {}
                Err(e) => return Err(io_error("cannot read", &out_dir, &e, err)),
            }
        }
        read.push((i, existing));
    }
    Ok(read)
}

/// Tells `err` that `what` failed on `path`: an I/O error.
fn io_error(what: &str, path: &Path, e: &std::io::Error, err: &mut impl Write) -> Outcome {
    let _ = writeln!(err, "error: {what} {}: {e}", escape_path(path));
    Outcome::Error
}

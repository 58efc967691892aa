//! `status`: read every spec (or those named), ask Dagster what each request
//! became, print the report, and end with what it says: 0 all succeeded,
//! 1 something failed or was cancelled, 3 something is still to come.
//!
//! Every spec must load: one that does not is reported as `check` reports
//! it, and nothing is asked (a request that cannot be read has no hash to
//! look for, and leaving it out would hide it).

use std::fs;
use std::io::Write;
use std::path::{Path, PathBuf};

use super::{Outcome, write_report};
use crate::dagster::{Client, Kind};
use crate::diagnostic::escape;
use crate::diagnostic::report::{Colour, Format, Summary};
use crate::discover::{discover, is_retired};
use crate::read::Limits;
use crate::settings::Settings;
use crate::status::{self, Asked, Report, State};
use crate::validate::SchemaValidator;

/// How the report is printed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum StatusFormat {
    /// An aligned table, for a terminal.
    Human,
    /// One JSON document, for tools.
    Json,
    /// A pull-request or issue comment.
    Markdown,
}

/// The Dagster `status` asks.
#[derive(Debug)]
pub struct Asking {
    /// A client for it (queries only are sent).
    pub client: Client,
    /// Its base URL, for messages.
    pub url: String,
}

/// `status` of the specs at `paths` (files or folders; every spec under the
/// settings' specs folder, `done/` included, when there are none), asking
/// `dagster`; the report to `out` in `format`, problems to `err` (in `colour`).
pub fn status(
    settings: &Settings,
    paths: &[PathBuf],
    format: StatusFormat,
    dagster: &Asking,
    colour: Colour,
    out: &mut impl Write,
    err: &mut impl Write,
) -> Outcome {
    let asked = match load(settings, paths) {
        Ok(asked) => asked,
        Err(summary) => {
            write_report(&summary, Format::Human, colour, out, err);
            let _ = writeln!(
                err,
                "{}\nstatus asked Dagster nothing: fix the specs above (`dagster-scripts check` shows the same)",
                summary.tally()
            );
            return Outcome::Error;
        }
    };
    let grids = format == StatusFormat::Markdown;
    let report = match status::gather(&dagster.client, asked, settings.dagster.ui_base(), grids) {
        Ok(report) => report,
        Err(e) => {
            let _ = writeln!(
                err,
                "error: cannot ask Dagster at {}: {}",
                escape(&dagster.url),
                escape(&e.to_string())
            );
            let hint = match e.kind() {
                Kind::Unreachable | Kind::TimedOut | Kind::NotGraphql => {
                    "point status at Dagster's webserver with --dagster URL or DAGSTER_URL \
                     (default: [dagster] url in the settings), and check it is running and reachable from here"
                }
                _ => {
                    "this Dagster's answer was not understood; if it is not Dagster 1.13, say so in a bug report"
                }
            };
            let _ = writeln!(err, "  hint: {hint}");
            return Outcome::Error;
        }
    };
    let text = match format {
        StatusFormat::Human => status::human::render(&report),
        StatusFormat::Json => status::json::render(&report),
        StatusFormat::Markdown => status::markdown::render(&report),
    };
    let _ = out.write_all(text.as_bytes());
    outcome(&report)
}

/// 1 when anything failed or was cancelled, else 3 when anything is still
/// to come (running, requested, not launched), else 0.
pub fn outcome(report: &Report) -> Outcome {
    if report.count(State::Failed) + report.count(State::Canceled) > 0 {
        Outcome::Failure
    } else if report.requests.iter().any(|r| !r.state.is_over()) {
        Outcome::Pending
    } else {
        Outcome::Success
    }
}

/// The specs to report on, in order, or every problem that stops the report.
fn load(settings: &Settings, paths: &[PathBuf]) -> Result<Vec<Asked>, Summary> {
    let specs_dir = &settings.paths.specs;
    let mut files = Vec::new();
    let mut general = Vec::new();
    if paths.is_empty() {
        let (found, problems) = discover(specs_dir);
        files = found;
        general = problems;
    } else {
        for p in paths {
            if p.is_dir() {
                let (found, problems) = discover(p);
                files.extend(found);
                general.extend(problems);
            } else {
                files.push(p.clone());
            }
        }
    }
    let validator = SchemaValidator::new();
    let checked = super::check::check_files(&files, &validator, &Limits::from_settings(settings));
    if !general.is_empty() || checked.iter().any(|(_, r)| r.is_err()) {
        let files = checked
            .into_iter()
            .map(|(p, r)| (p, r.err().unwrap_or_default()))
            .collect();
        return Err(Summary { files, general });
    }
    let root = fs::canonicalize(specs_dir).ok();
    Ok(checked
        .into_iter()
        .filter_map(|(path, r)| {
            let spec = r.ok()?.spec;
            Some(Asked {
                retired: retired(root.as_deref(), &path),
                path: path.to_string_lossy().replace('\\', "/"),
                spec,
            })
        })
        .collect())
}

/// Whether `path` lies under `done/` of the canonical specs folder `root`.
fn retired(root: Option<&Path>, path: &Path) -> bool {
    let Some(root) = root else {
        return false;
    };
    let parent = path.parent().filter(|p| !p.as_os_str().is_empty());
    let Ok(dir) = fs::canonicalize(parent.unwrap_or(Path::new("."))) else {
        return false;
    };
    dir.strip_prefix(root)
        .ok()
        .is_some_and(|relative| is_retired(&relative.join(path.file_name().unwrap_or_default())))
}

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

use super::connect::{Reach, Reaching};
use super::{Outcome, write_report};
use crate::dagster::Kind;
use crate::diagnostic::escape;
use crate::diagnostic::report::{Colour, Format, Summary};
use crate::discover::{discover, is_retired};
use crate::settings::Environments;
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

/// What `status` found in one environment.
enum Found {
    /// Its Dagster answered.
    Report(Report),
    /// No URL was given for its Dagster: the variable that gives one.
    NotAsked(String),
}

/// `status` of the specs at `paths` (files or folders; every spec under the
/// settings' specs folder, `done/` included, when there are none), each
/// request asked of the Dagster of its environment (`reaching` says where
/// that is); the report to `out` in `format`, problems to `err` (in
/// `colour`). Each environment's Dagster is asked only about its own
/// requests: one request has the same hash in every environment.
pub fn status(
    environments: &Environments,
    paths: &[PathBuf],
    format: StatusFormat,
    reaching: Reaching<'_>,
    colour: Colour,
    out: &mut impl Write,
    err: &mut impl Write,
) -> Outcome {
    let asked = match load(environments, paths) {
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
    let mut found: Vec<(Option<String>, Found)> = Vec::new();
    let mut groups: Vec<Vec<Asked>> = environments.all().iter().map(|_| Vec::new()).collect();
    for (i, a) in asked {
        groups[i].push(a);
    }
    for ((i, environment), asked) in environments.all().iter().enumerate().zip(groups) {
        let name = environment.name.as_ref().map(ToString::to_string);
        // An environment none of the specs runs in is asked nothing (unless it is the only one).
        if !environments.is_selected(i) || (asked.is_empty() && environments.named()) {
            continue;
        }
        let (url, token) = match reaching.reach(environments, environment) {
            Err(e) => {
                let _ = writeln!(err, "error: {e}");
                return Outcome::Error;
            }
            Ok(Reach::Unset { variable }) => {
                let _ = writeln!(
                    err,
                    "error: environment {}: its Dagster was not asked, no URL was given for it\n  hint: set {variable} to the URL of its webserver, as this machine reaches it (and DAGSTER_API_TOKEN_{} for Dagster+), or leave it out with --environment",
                    environment.label(),
                    environment.variable_suffix().unwrap_or_default()
                );
                found.push((name, Found::NotAsked(variable)));
                continue;
            }
            Ok(Reach::At { url, token }) => (url, token),
        };
        let client = match reaching.client(&url, token, err) {
            Ok(c) => c,
            Err(e) => {
                let _ = writeln!(err, "error: {e}");
                return Outcome::Error;
            }
        };
        // Links lead where this machine reaches Dagster, unless the settings name its UI.
        let ui_base = environment
            .settings
            .dagster
            .ui_url
            .as_ref()
            .unwrap_or(&url)
            .as_str()
            .trim_end_matches('/')
            .to_owned();
        match status::gather(&client, asked, &ui_base, grids) {
            Ok(report) => found.push((name, Found::Report(report))),
            Err(e) => {
                let of = match &name {
                    Some(n) => format!(" of environment {n}"),
                    None => String::new(),
                };
                let _ = writeln!(
                    err,
                    "error: cannot ask Dagster{of} at {}: {}",
                    escape(url.as_str()),
                    escape(&e.to_string())
                );
                let hint = match e.kind() {
                    Kind::Unreachable | Kind::TimedOut | Kind::NotGraphql if name.is_some() => {
                        "point status at that environment's webserver with DAGSTER_URL_<NAME> \
                         (the default environment's also with --dagster URL or DAGSTER_URL), and check it is running and reachable from here"
                    }
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
        }
    }
    let text = if !environments.named() {
        match found.first() {
            Some((_, Found::Report(report))) => render(report, format),
            _ => String::new(),
        }
    } else {
        render_environments(&found, format)
    };
    let _ = out.write_all(text.as_bytes());
    let reports: Vec<&Report> = found
        .iter()
        .filter_map(|(_, f)| match f {
            Found::Report(r) => Some(r),
            Found::NotAsked(_) => None,
        })
        .collect();
    let outcome = reports
        .iter()
        .map(|r| outcome(r))
        .fold(Outcome::Success, worse);
    if found.iter().any(|(_, f)| matches!(f, Found::NotAsked(_))) && outcome != Outcome::Failure {
        return Outcome::Error;
    }
    outcome
}

/// One environment's report in `format`.
fn render(report: &Report, format: StatusFormat) -> String {
    match format {
        StatusFormat::Human => status::human::render(report),
        StatusFormat::Json => status::json::render(report),
        StatusFormat::Markdown => status::markdown::render(report),
    }
}

/// Every named environment's report, each under its name. In JSON, one
/// document shaped as without environments (every request in `requests`,
/// each with its `environment`, so what reads `.requests[]` reads them
/// all) plus `environments`: per environment, whether it was asked, its
/// Dagster and counts, or the variable to set.
fn render_environments(found: &[(Option<String>, Found)], format: StatusFormat) -> String {
    if format == StatusFormat::Json {
        let mut requests = Vec::new();
        let list: Vec<serde_json::Value> = found
            .iter()
            .map(|(name, f)| match f {
                Found::Report(r) => {
                    let doc = status::json::document(r);
                    for mut request in doc["requests"].as_array().cloned().unwrap_or_default() {
                        request["environment"] = serde_json::json!(name);
                        requests.push(request);
                    }
                    serde_json::json!({
                        "name": name,
                        "asked": true,
                        "dagster": doc["dagster"],
                        "counts": doc["counts"],
                    })
                }
                Found::NotAsked(variable) => serde_json::json!({
                    "name": name,
                    "asked": false,
                    "set": variable,
                }),
            })
            .collect();
        let document = serde_json::json!({ "requests": requests, "environments": list });
        let mut text = serde_json::to_string_pretty(&document).unwrap_or_default();
        text.push('\n');
        return text;
    }
    let mut text = String::new();
    for (name, f) in found {
        let name = name.as_deref().unwrap_or_default();
        match (f, format) {
            (Found::Report(r), StatusFormat::Markdown) => {
                text.push_str(&format!("## Environment {}\n\n", crate::plan::code(name)));
                text.push_str(&render(r, format));
                text.push('\n');
            }
            (Found::Report(r), _) => {
                text.push_str(&format!("environment {}:\n", escape(name)));
                text.push_str(&render(r, format));
                text.push('\n');
            }
            (Found::NotAsked(variable), StatusFormat::Markdown) => text.push_str(&format!(
                "## Environment {}\n\nIts Dagster was not asked: no URL was given for it (set {}).\n\n",
                crate::plan::code(name),
                crate::plan::code(variable)
            )),
            (Found::NotAsked(variable), _) => text.push_str(&format!(
                "environment {}: not asked (set {variable})\n\n",
                escape(name)
            )),
        }
    }
    text
}

/// The worse of two outcomes: a failure before anything still to come.
fn worse(a: Outcome, b: Outcome) -> Outcome {
    let rank = |o: Outcome| match o {
        Outcome::Success => 0,
        Outcome::Pending => 1,
        Outcome::Error => 2,
        Outcome::Failure => 3,
    };
    if rank(b) > rank(a) { b } else { a }
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

/// The specs to report on, in order, each with the index of its
/// environment, or every problem that stops the report.
fn load(environments: &Environments, paths: &[PathBuf]) -> Result<Vec<(usize, Asked)>, Summary> {
    let specs_dir = &environments.repository().paths.specs;
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
    let checked = super::check::check_files(&files, &validator, &environments.limits());
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
            let environment = environments.index_of(&spec)?;
            Some((
                environment,
                Asked {
                    retired: retired(root.as_deref(), &path),
                    path: path.to_string_lossy().replace('\\', "/"),
                    spec,
                },
            ))
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

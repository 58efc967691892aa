//! `plan`: build every spec in memory and print what `render` would change
//! in `out/`, for a pull-request comment; with `--resolve`, also what each
//! added or changed request does in Dagster (each environment's own).

use std::io::Write;

use super::connect::{Reach, Reaching};
use super::{Outcome, read_folders, report_problems, targets, write_report};
use crate::diagnostic::report::{Colour, Format, Summary};
use crate::pipeline::{self, Build};
use crate::plan::resolved::{self, Asked, Resolution};
use crate::plan::{self as comment, Entry};
use crate::settings::Environments;

/// How the plan is printed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PlanFormat {
    /// A Markdown comment, for people.
    Markdown,
    /// JSON, for tools.
    Json,
}

/// `plan`: the plan to `out` in `format`; invalid specs to `err`. With
/// `reaching`, each added or changed request is resolved against the
/// Dagster of its environment: a request it refuses is a problem reported
/// to `err` (exit 1, as `check`); a Dagster that cannot be asked, or whose
/// URL was not given, leaves that environment's plan as it is, with a note.
pub fn plan(
    environments: &Environments,
    format: PlanFormat,
    colour: Colour,
    reaching: Option<Reaching<'_>>,
    out: &mut impl Write,
    err: &mut impl Write,
) -> Outcome {
    let folders = match read_folders(environments, err) {
        Ok(f) => f,
        Err(outcome) => return outcome,
    };
    let targets = targets(&folders);
    let builds = match pipeline::build(environments, &targets) {
        Err(summary) => return report_problems(&summary, Format::Human, colour, out, err),
        Ok(builds) => builds,
    };
    let per_build: Vec<Vec<Entry>> = builds.iter().map(comment::plan).collect();
    let mut resolutions = Vec::new();
    if let Some(reaching) = reaching {
        for ((build, entries), (i, _)) in builds.iter().zip(&per_build).zip(&folders) {
            // The folder from before the environments only loses files: nothing to ask.
            let Some(i) = *i else { continue };
            match resolve(environments, i, build, reaching, entries, colour, err) {
                Ok(r) => resolutions.push(r),
                Err(outcome) => return outcome,
            }
        }
    }
    let entries: Vec<Entry> = per_build.into_iter().flatten().collect();
    let text = match format {
        PlanFormat::Markdown => {
            let mut text = comment::markdown(&entries);
            for r in &resolutions {
                text.push_str(&comment::markdown_resolved(r));
            }
            text
        }
        PlanFormat::Json if resolutions.is_empty() => comment::json(&entries),
        PlanFormat::Json => comment::json_resolved(&entries, &resolutions),
    };
    let _ = out.write_all(text.as_bytes());
    Outcome::Success
}

/// Resolves the `entries` of one environment's `build` against its Dagster;
/// its refusals reported to `err`, and a Dagster that could not be asked
/// (or has no URL) told about there.
fn resolve(
    environments: &Environments,
    index: usize,
    build: &Build,
    reaching: Reaching<'_>,
    entries: &[Entry],
    colour: Colour,
    err: &mut impl Write,
) -> Result<Resolution, Outcome> {
    let environment = &environments.all()[index];
    let name = build.environment.as_ref().map(ToString::to_string);
    let of = match &name {
        Some(n) => format!(" of environment {n}"),
        None => String::new(),
    };
    let (url, token) = match reaching.reach(environments, environment) {
        Err(e) => {
            let _ = writeln!(err, "error: {e}");
            return Err(Outcome::Error);
        }
        Ok(Reach::Unset { variable }) => {
            let _ = writeln!(
                err,
                "note: plan --resolve: Dagster{of} is not asked, no URL was given for it (set {variable}); its requests are planned without resolving"
            );
            return Ok(Resolution {
                environment: name,
                dagster: String::new(),
                asked: Asked::NoUrl(variable),
            });
        }
        Ok(Reach::At { url, token }) => (url, token),
    };
    let client = match reaching.client(&url, token, err) {
        Ok(c) => c,
        Err(e) => {
            let _ = writeln!(err, "error: {e}");
            return Err(Outcome::Error);
        }
    };
    let url = url.to_string();
    match resolved::resolve(
        &client,
        &url,
        entries,
        &environments.limits(),
        environment.settings.runner.on_overlap,
    ) {
        Ok(mut r) => {
            if let Asked::Unreachable(why) = &r.asked {
                let _ = writeln!(
                    err,
                    "warning: Dagster{of} at {url} could not be asked: {}; the plan is printed without what the merge does there",
                    crate::diagnostic::escape(why)
                );
            }
            r.environment = name;
            Ok(r)
        }
        Err(summary) => Err(refused(&summary, &url, colour, err)),
    }
}

/// Reports the requests Dagster refuses, located in their specs.
fn refused(summary: &Summary, url: &str, colour: Colour, err: &mut impl Write) -> Outcome {
    let mut sink = Vec::new();
    write_report(summary, Format::Human, colour, &mut sink, err);
    let refused = summary.invalid();
    let _ = writeln!(
        err,
        "plan --resolve: Dagster at {url} refuses {refused} request{} as the runner would send {}; no plan printed",
        if refused == 1 { "" } else { "s" },
        if refused == 1 { "it" } else { "them" },
    );
    Outcome::of(summary)
}

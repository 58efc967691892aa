//! `plan`: build every spec in memory and print what `render` would change
//! in `out/`, for a pull-request comment; with `--resolve`, also what each
//! added or changed request does in Dagster.

use std::io::Write;

use super::{Outcome, report_problems, with_existing, write_report};
use crate::dagster::Client;
use crate::diagnostic::report::{Colour, Format, Summary};
use crate::pipeline;
use crate::plan::resolved::{self, Asked, Resolution};
use crate::plan::{self as comment, Entry};
use crate::read::Limits;
use crate::settings::Settings;

/// How the plan is printed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PlanFormat {
    /// A Markdown comment, for people.
    Markdown,
    /// JSON, for tools.
    Json,
}

/// The Dagster `plan --resolve` asks.
#[derive(Clone, Copy)]
pub struct Ask<'a> {
    /// The client (read-only queries are all it is used for).
    pub client: &'a Client,
    /// Its base URL, as shown in the comment.
    pub url: &'a str,
}

/// `plan`: the plan to `out` in `format`; invalid specs to `err`. With
/// `ask`, each added or changed request is resolved against that Dagster:
/// a request it refuses is a problem reported to `err` (exit 1, as `check`);
/// a Dagster that cannot be asked leaves the plan as it is, with a note.
pub fn plan(
    settings: &Settings,
    format: PlanFormat,
    colour: Colour,
    ask: Option<Ask<'_>>,
    out: &mut impl Write,
    err: &mut impl Write,
) -> Outcome {
    with_existing(
        &settings.paths.out,
        err,
        |existing, err| match pipeline::build(settings, existing, None) {
            Err(summary) => report_problems(&summary, Format::Human, colour, out, err),
            Ok(build) => {
                let entries = comment::plan(&build);
                let resolution = match ask {
                    None => None,
                    Some(ask) => match resolve(settings, ask, &entries, colour, err) {
                        Ok(r) => Some(r),
                        Err(outcome) => return outcome,
                    },
                };
                let text = match (format, &resolution) {
                    (PlanFormat::Markdown, None) => comment::markdown(&entries),
                    (PlanFormat::Json, None) => comment::json(&entries),
                    (PlanFormat::Markdown, Some(r)) => {
                        comment::markdown(&entries) + &comment::markdown_resolved(r)
                    }
                    (PlanFormat::Json, Some(r)) => comment::json_resolved(&entries, r),
                };
                let _ = out.write_all(text.as_bytes());
                Outcome::Success
            }
        },
    )
}

/// Resolves `entries` against Dagster; its refusals reported to `err`, and
/// a Dagster that could not be asked warned about there.
fn resolve(
    settings: &Settings,
    ask: Ask<'_>,
    entries: &[Entry],
    colour: Colour,
    err: &mut impl Write,
) -> Result<Resolution, Outcome> {
    let limits = Limits::from_settings(settings);
    match resolved::resolve(
        ask.client,
        ask.url,
        entries,
        &limits,
        settings.runner.on_overlap,
    ) {
        Ok(r) => {
            if let Asked::Unreachable(why) = &r.asked {
                let _ = writeln!(
                    err,
                    "warning: Dagster at {} could not be asked: {}; the plan is printed without what the merge does there",
                    ask.url,
                    crate::diagnostic::escape(why)
                );
            }
            Ok(r)
        }
        Err(summary) => Err(refused(&summary, ask.url, colour, err)),
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

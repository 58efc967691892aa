//! `plan`: build every spec in memory and print what `render` would change
//! in `out/`, for a pull-request comment.

use std::io::Write;

use super::{Outcome, report_problems, with_existing};
use crate::diagnostic::report::{Colour, Format};
use crate::pipeline;
use crate::plan as comment;
use crate::settings::Settings;

/// How the plan is printed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PlanFormat {
    /// A Markdown comment, for people.
    Markdown,
    /// JSON, for tools.
    Json,
}

/// `plan`: the plan to `out` in `format`; invalid specs to `err`.
pub fn plan(
    settings: &Settings,
    format: PlanFormat,
    colour: Colour,
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
                let text = match format {
                    PlanFormat::Markdown => comment::markdown(&entries),
                    PlanFormat::Json => comment::json(&entries),
                };
                let _ = out.write_all(text.as_bytes());
                Outcome::Success
            }
        },
    )
}

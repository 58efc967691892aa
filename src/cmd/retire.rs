//! `retire`: move finished requests' specs into `specs/done/` (see
//! [`crate::retire`]), say what moved, and that `render` takes their Jobs
//! out of `out/`.

use std::io::Write;
use std::path::PathBuf;

use super::Outcome;
use crate::diagnostic::escape_path;
use crate::diagnostic::report::Colour;
use crate::discover::RETIRED;
use crate::retire::{self, Refusal};
use crate::settings::Environments;

/// `retire`: moves each spec in `paths` (a path named twice once) from the
/// specs folder into its `done/` folder. What moved goes to `out`, one
/// `FROM -> TO` line each; refusals and the next step to `err`. A refused or
/// invalid spec is left where it is; the others still move.
pub fn retire(
    environments: &Environments,
    paths: &[PathBuf],
    colour: Colour,
    out: &mut impl Write,
    err: &mut impl Write,
) -> Outcome {
    let settings = environments.repository();
    let specs = &settings.paths.specs;
    let limits = environments.limits();
    let mut outcome = Outcome::Success;
    let mut worst = |o: Outcome| {
        if o == Outcome::Error || outcome == Outcome::Success {
            outcome = o;
        }
    };
    let mut seen = Vec::new();
    let mut moved = 0;
    for path in paths {
        let key = std::path::absolute(path).unwrap_or_else(|_| path.clone());
        if seen.contains(&key) {
            continue;
        }
        seen.push(key);
        let shown = escape_path(path);
        let m = match retire::prepare(specs, path, &limits) {
            Ok(m) => m,
            Err(Refusal::Refused { message, hint, .. }) => {
                let _ = writeln!(err, "error: {shown}: {message}; it was not moved");
                if !hint.is_empty() {
                    let _ = writeln!(err, "  hint: {hint}");
                }
                worst(Outcome::Error);
                continue;
            }
            Err(Refusal::Invalid(diagnostics)) => {
                for d in &diagnostics {
                    let _ = write!(err, "{}", crate::diagnostic::draw::human(d, colour));
                }
                let _ = writeln!(
                    err,
                    "error: {shown} is not a valid spec; it was not moved (fix it, `dagster-scripts check {shown}`, then retire it)"
                );
                worst(Outcome::Failure);
                continue;
            }
        };
        match retire::apply(&m, specs) {
            Ok(()) => {
                moved += 1;
                let _ = writeln!(out, "{shown} -> {}", escape_path(&m.to));
                if m.finishing {
                    let _ = writeln!(
                        err,
                        "note: {} held it already (a retire cut short); the old copy is removed",
                        escape_path(&m.to)
                    );
                }
                if let Some((old, new)) = &m.schema {
                    let _ = writeln!(
                        err,
                        "note: {}: schema modeline {} -> {}",
                        escape_path(&m.to),
                        crate::diagnostic::escape(old),
                        crate::diagnostic::escape(new)
                    );
                }
            }
            Err(e) => {
                let _ = writeln!(
                    err,
                    "error: cannot move {shown} to {}: {e}; {shown} is left where it was",
                    escape_path(&m.to)
                );
                worst(Outcome::Error);
            }
        }
    }
    if moved > 0 {
        let done = escape_path(&specs.join(RETIRED));
        let specs_word = if moved == 1 { "spec" } else { "specs" };
        let _ = writeln!(
            err,
            "retired {moved} {specs_word} into {done}/; now run `dagster-scripts render`: retired specs are not rendered, so their Jobs leave {}/",
            escape_path(&settings.paths.out)
        );
    }
    outcome
}

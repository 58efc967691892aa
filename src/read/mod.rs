//! Stage "read": from a spec file's bytes to a typed request, or to every
//! problem in it.
//!
//! The steps run in order: read (size cap, `file`), decode (UTF-8, no
//! binary, `decode`), YAML (positions kept, [`yaml`]), schema (compiler
//! only, passed in as a [`SchemaCheck`]), the rules a schema cannot express
//! (`rules`), and the typed model. Problems are collected, not thrown, so
//! one run reports all of them.

mod decode;
mod file;
mod limits;
mod parsed;
mod rules;
pub mod yaml;

use std::path::Path;

pub use file::{MAX_SPEC_BYTES, not_regular, read_capped};
pub use limits::{DEFAULT_MAX_PARTITIONS, Limits};
pub use parsed::{Parsed, SchemaCheck};

use crate::diagnostic::{Code, Diagnostic, Lines};
use crate::spec::Spec;
use decode::decode;
use file::too_large;
use rules::{environment_check, issue_numbers, k8s_config_check, override_checks, semantic_checks};

/// A successfully loaded spec.
#[derive(Debug)]
pub struct Loaded {
    /// The request.
    pub spec: Spec,
    /// The file's text as read (a leading byte-order mark removed).
    pub text: String,
}

/// Reads and loads the spec at `path` with `limits` (the Job passes the
/// compiler's) and no schema: the runner's path.
pub fn read_spec(path: &Path, limits: &Limits) -> Result<Spec, Vec<Diagnostic>> {
    let bytes = read_capped(path).map_err(|d| vec![d])?;
    load(path, &bytes, limits, None).map(|l| l.spec)
}

/// Loads a spec from its bytes: every stage, every problem.
pub fn load(
    path: &Path,
    bytes: &[u8],
    limits: &Limits,
    schema: Option<&dyn SchemaCheck>,
) -> Result<Loaded, Vec<Diagnostic>> {
    if bytes.len() as u64 > MAX_SPEC_BYTES {
        return Err(vec![too_large(path, bytes.len() as u64)]);
    }
    let text = decode(path, bytes).map_err(|d| vec![d])?;
    // Most specs are valid, and a valid spec's values are never pointed at:
    // read it without recording where each value is, and only if anything is
    // wrong read it again with them, so every problem is located.
    load_text(path, text, limits, schema, false)
        .or_else(|_| load_text(path, text, limits, schema, true))
}

/// The stages after decoding; `located` records each value's span.
fn load_text(
    path: &Path,
    text: &str,
    limits: &Limits,
    schema: Option<&dyn SchemaCheck>,
    located: bool,
) -> Result<Loaded, Vec<Diagnostic>> {
    let lines = Lines::new(text);
    let (document, mut diagnostics) = if located {
        yaml::parse(text, path, &lines)
    } else {
        yaml::parse_unlocated(text, path, &lines)
    };
    let Some(document) = document else {
        return Err(diagnostics);
    };
    let parsed = Parsed {
        path,
        lines: &lines,
        document: &document,
    };
    diagnostics.extend(issue_numbers(&parsed));
    let mut schema_problems = schema.map(|s| s.check(&parsed)).unwrap_or_default();
    // A value the YAML stage already refused (an alias, a tag) was read as
    // null, and an issue number not read as written is refused above; the
    // schema's complaint about either would only repeat it.
    schema_problems.retain(|p| !diagnostics.iter().any(|d| d.span == p.span));
    let schema_failed = !schema_problems.is_empty();
    diagnostics.extend(schema_problems);
    // A spec is held to the limits of the environment it runs in.
    let (limits, unknown_environment) = environment_check(&parsed, limits);
    diagnostics.extend(unknown_environment);
    diagnostics.extend(semantic_checks(&parsed, limits));
    diagnostics.extend(override_checks(&parsed, limits));
    diagnostics.extend(k8s_config_check(&parsed, limits));
    if !diagnostics.is_empty() {
        diagnostics.sort_by_key(|d| (d.span, d.code));
        diagnostics.dedup();
        return Err(diagnostics);
    }
    match Spec::from_json(&document.value) {
        Ok(spec) => Ok(Loaded {
            spec,
            text: text.to_owned(),
        }),
        Err(e) => {
            let (code, message) = if schema.is_some() && !schema_failed {
                (
                    Code::Internal,
                    format!(
                        "the schema accepts this spec but the model does not ({}); please report this bug",
                        e.message
                    ),
                )
            } else {
                (Code::InvalidValue, e.message)
            };
            Err(vec![parsed.at_value(&e.pointer, code, message)])
        }
    }
}

//! Reading `dagster-scripts.toml`: every value checked as it is read, so a
//! bad one is reported at its `file:line:col`.

use std::ops::Range;
use std::path::Path;

use toml::Spanned;
use toml::de::{DeTable, DeValue, Deserializer};

use super::{CpuMemory, Resources, Settings};
use crate::diagnostic::{Code, Diagnostic, Lines, Span};

impl Settings {
    /// Reads `path` if it exists, else the defaults: the top-level settings
    /// (the default environment's, when the file defines environments).
    /// Paths stay as written: relative to the repository (the working directory).
    pub fn load(path: &Path, required: bool) -> Result<Settings, Diagnostic> {
        super::Environments::load(path, required).map(|e| e.repository().clone())
    }
}

/// The settings file's text; `None` when it is absent and not `required`.
pub(super) fn read_settings_file(
    path: &Path,
    required: bool,
) -> Result<Option<String>, Diagnostic> {
    // A FIFO or device would block (or never end) the read below.
    let kind = std::fs::metadata(path).map(|m| crate::read::not_regular(m.file_type()));
    if let Ok(Some(what)) = kind {
        let message = format!("cannot read the settings: it is {what}, not a regular file");
        return Err(Diagnostic::file(path, Code::Io, message));
    }
    match std::fs::read_to_string(path) {
        Ok(t) => Ok(Some(t)),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound && !required => Ok(None),
        Err(e) => Err(Diagnostic::file(
            path,
            Code::Io,
            format!("cannot read the settings: {e}"),
        )),
    }
}

/// Places in the settings file, for located errors.
pub(super) struct Located<'a> {
    path: &'a Path,
    lines: Lines<'a>,
}

impl<'a> Located<'a> {
    pub(super) fn new(path: &'a Path, text: &'a str) -> Located<'a> {
        Located {
            path,
            lines: Lines::new(text),
        }
    }

    /// A problem at the bytes `span` of the file.
    pub(super) fn error(
        &self,
        span: Range<usize>,
        code: Code,
        message: impl AsRef<str>,
    ) -> Diagnostic {
        let span = Span {
            start: self.lines.pos_of_byte(span.start),
            end: self.lines.pos_of_byte(span.end),
        };
        self.lines.diagnostic(
            self.path,
            span,
            code,
            format!("in the settings: {}", message.as_ref()),
        )
    }

    /// A TOML or settings error, in `environment` when it is one's.
    pub(super) fn toml_error(&self, e: &toml::de::Error, environment: Option<&str>) -> Diagnostic {
        let message = e.message().trim();
        let code = if message.starts_with("unknown field") {
            Code::UnknownKey
        } else {
            Code::InvalidValue
        };
        let message = match environment {
            Some(name) => format!("environment `{name}`: {message}"),
            None => message.to_owned(),
        };
        let hint = hint(e.message().trim());
        self.error(e.span().unwrap_or(0..0), code, message)
            .with_hint(hint)
    }

    /// A problem across several values (`Settings::problems`), at the value
    /// its path names in `written` (the table as read, with the file's
    /// spans), in `environment` when it is one's.
    fn problem(
        &self,
        problem: &super::Problem,
        written: &DeValue<'_>,
        environment: Option<&str>,
    ) -> Diagnostic {
        let span = super::problem::locate(written, &problem.path);
        let span = Span {
            start: self.lines.pos_of_byte(span.start),
            end: self.lines.pos_of_byte(span.end),
        };
        let within = match environment {
            Some(name) => format!("environment `{name}`: "),
            None => String::new(),
        };
        self.lines
            .diagnostic(
                self.path,
                span,
                Code::InvalidValue,
                format!(
                    "in the settings, {within}`{}`: {}",
                    problem.dotted(),
                    problem.message
                ),
            )
            .with_hint(problem.hint.clone())
    }
}

/// What to do about a settings error serde found: a key spelt as
/// Kubernetes spells it (camelCase) is named in the file's snake_case.
fn hint(message: &str) -> String {
    const GENERAL: &str = "every setting is described in the README, section \"Settings\"";
    let unknown = message
        .strip_prefix("unknown field `")
        .and_then(|rest| rest.split('`').next());
    match unknown {
        Some(key) if key.chars().any(|c| c.is_ascii_uppercase()) => {
            let mut snake = String::new();
            for c in key.chars() {
                if c.is_ascii_uppercase() {
                    snake.push('_');
                }
                snake.push(c.to_ascii_lowercase());
            }
            format!(
                "write `{snake}`: the settings spell Kubernetes' fields in snake_case ({GENERAL})"
            )
        }
        _ => GENERAL.to_owned(),
    }
}

/// The settings a table of the file (the top level, or the top level with
/// an environment's overlay) holds, each value checked where it is written.
pub(super) fn settings_from(
    at: &Located<'_>,
    table: Spanned<DeTable<'_>>,
    environment: Option<&str>,
) -> Result<Settings, Diagnostic> {
    let written = DeValue::Table(table.get_ref().clone());
    let resources = table.get_ref().get("resources").cloned();
    let settings: Settings = serde::Deserialize::deserialize(Deserializer::from(table))
        .map_err(|e| at.toml_error(&e, environment))?;
    check_resources(&settings.resources, resources.as_ref(), at, environment)?;
    if let Some(problem) = settings.problems().first() {
        return Err(at.problem(problem, &written, environment));
    }
    Ok(settings)
}

/// The settings' requests and limits by Kubernetes' rules (the ones a
/// spec's overrides follow, `spec::resources`), each problem at its key
/// (`written` is the `resources` table as written).
fn check_resources(
    resources: &Resources,
    written: Option<&Spanned<DeValue<'_>>>,
    at: &Located<'_>,
    environment: Option<&str>,
) -> Result<(), Diagnostic> {
    use crate::spec::resources::{Resource, exceeds, quantity_problem};
    let error = |side: &str, r: Resource, message: String, hint: String| {
        let span = written
            .and_then(|w| w.get_ref().get(side)?.get_ref().get(r.key()))
            .map_or(0..0, |v| v.span());
        let message = match environment {
            Some(name) => format!("environment `{name}`: {message}"),
            None => message,
        };
        at.error(span, Code::InvalidValue, message).with_hint(hint)
    };
    for r in Resource::ALL {
        let pick = |list: &CpuMemory| match r {
            Resource::Cpu => list.cpu.clone(),
            Resource::Memory => list.memory.clone(),
        };
        let (request, limit) = (pick(&resources.requests), pick(&resources.limits));
        for (side, q) in [("requests", &request), ("limits", &limit)] {
            if let Some((message, hint)) = quantity_problem(r, q) {
                return Err(error(side, r, message, hint));
            }
        }
        if exceeds(&request, &limit) {
            let key = r.key();
            return Err(error(
                "requests",
                r,
                format!("the {key} request `{request}` is above its limit `{limit}`"),
                format!(
                    "Kubernetes refuses a request above its limit: raise `resources.limits.{key}` to at least {request}, or lower the request (the defaults are {} and {})",
                    pick(&Resources::default().requests),
                    pick(&Resources::default().limits)
                ),
            ));
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::settings::{DEFAULT_NAMESPACE, SETTINGS_FILE};

    #[test]
    fn credentials_in_the_settings_url_are_refused_at_their_line() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join(SETTINGS_FILE);
        std::fs::write(
            &path,
            "[dagster]\nurl = \"http://admin:hunter2@dagster:3000\"\n",
        )
        .unwrap();
        let e = Settings::load(&path, true).unwrap_err();
        assert_eq!(
            (e.code, e.span.unwrap().start.line),
            (Code::InvalidValue, 2),
            "{e}"
        );
        assert!(e.message.contains("user or password"), "{e}");
        assert!(e.message.contains("token_secret"), "{e}");
    }

    #[test]
    fn settings_errors_are_located() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join(SETTINGS_FILE);
        std::fs::write(&path, "namespace = \"dagster\"\nimage = \"nope\"\n").unwrap();
        let e = Settings::load(&path, true).unwrap_err();
        assert_eq!(e.span.unwrap().start.line, 2, "{e}");
        assert!(e.message.contains("image reference"), "{e}");
        std::fs::write(&path, "[dagster]\nurl = \"http://x\"\ntoken = \"abc\"\n").unwrap();
        let e = Settings::load(&path, true).unwrap_err();
        assert_eq!(
            (e.code, e.span.unwrap().start.line),
            (Code::UnknownKey, 3),
            "{e}"
        );
        std::fs::write(&path, "[runner]\non_overlap = \"sometimes\"\n").unwrap();
        let e = Settings::load(&path, true).unwrap_err();
        assert_eq!(
            (e.code, e.span.unwrap().start.line),
            (Code::InvalidValue, 2),
            "{e}"
        );
        assert!(e.message.contains("`wait`, `refuse`"), "{e}");
        std::fs::write(&path, "[paths]\nout = \"manifests\"\n").unwrap();
        let s = Settings::load(&path, true).unwrap();
        assert_eq!(
            s.paths.out,
            std::path::PathBuf::from("manifests"),
            "relative to the repository, not to the file's folder"
        );
        assert_eq!(
            s.namespace.as_str(),
            DEFAULT_NAMESPACE,
            "other settings keep their defaults"
        );
    }
}

//! Reading `dagster-scripts.toml`: every value checked as it is read, so a
//! bad one is reported at its `file:line:col`.

use std::path::Path;

use super::{CpuMemory, Resources, Settings};
use crate::diagnostic::{Code, Diagnostic, Lines, Span};

impl Settings {
    /// Reads `path` if it exists, else the defaults; paths become relative to its folder.
    pub fn load(path: &Path, required: bool) -> Result<Settings, Diagnostic> {
        // A FIFO or device would block (or never end) the read below.
        let kind = std::fs::metadata(path).map(|m| crate::read::not_regular(m.file_type()));
        if let Ok(Some(what)) = kind {
            let message = format!("cannot read the settings: it is {what}, not a regular file");
            return Err(Diagnostic::file(path, Code::Io, message));
        }
        let text = match std::fs::read_to_string(path) {
            Ok(t) => t,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound && !required => {
                return Ok(Settings::default());
            }
            Err(e) => {
                return Err(Diagnostic::file(
                    path,
                    Code::Io,
                    format!("cannot read the settings: {e}"),
                ));
            }
        };
        let mut settings: Settings = toml::from_str(&text).map_err(|e| {
            let lines = Lines::new(&text);
            let span = e.span().unwrap_or(0..0);
            let span = Span {
                start: lines.pos_of_byte(span.start),
                end: lines.pos_of_byte(span.end),
            };
            let message = e.message().trim().to_owned();
            let code = if message.starts_with("unknown field") {
                Code::UnknownKey
            } else {
                Code::InvalidValue
            };
            lines
                .diagnostic(path, span, code, format!("in the settings: {message}"))
                .with_hint(hint(&message))
        })?;
        check_resources(&settings.resources, &text, path)?;
        if let Some(problem) = settings.problems().first() {
            return Err(problem.diagnostic(&text, path));
        }
        if let Some(base) = path.parent().filter(|b| !b.as_os_str().is_empty()) {
            for p in [
                &mut settings.paths.specs,
                &mut settings.paths.templates,
                &mut settings.paths.out,
            ] {
                *p = base.join(&*p);
            }
        }
        Ok(settings)
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

/// The settings' requests and limits by Kubernetes' rules (the ones a
/// spec's overrides follow, `spec::resources`), each problem at its key.
fn check_resources(resources: &Resources, text: &str, path: &Path) -> Result<(), Diagnostic> {
    use crate::spec::resources::{Resource, exceeds, quantity_problem};
    let at = |side: &str, r: Resource, message: String, hint: String| {
        let document = toml::de::DeTable::parse(text)
            .ok()
            .map(|t| toml::de::DeValue::Table(t.into_inner()));
        let span = document
            .as_ref()
            .and_then(|d| {
                d.get("resources")?
                    .get_ref()
                    .get(side)?
                    .get_ref()
                    .get(r.key())
            })
            .map_or(0..0, |v| v.span());
        let lines = Lines::new(text);
        let span = Span {
            start: lines.pos_of_byte(span.start),
            end: lines.pos_of_byte(span.end),
        };
        lines
            .diagnostic(
                path,
                span,
                Code::InvalidValue,
                format!("in the settings: {message}"),
            )
            .with_hint(hint)
    };
    for r in Resource::ALL {
        let pick = |list: &CpuMemory| match r {
            Resource::Cpu => list.cpu.clone(),
            Resource::Memory => list.memory.clone(),
        };
        let (request, limit) = (pick(&resources.requests), pick(&resources.limits));
        for (side, q) in [("requests", &request), ("limits", &limit)] {
            if let Some((message, hint)) = quantity_problem(r, q) {
                return Err(at(side, r, message, hint));
            }
        }
        if exceeds(&request, &limit) {
            let key = r.key();
            return Err(at(
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
        assert_eq!(s.paths.out, dir.path().join("manifests"));
        assert_eq!(
            s.namespace.as_str(),
            DEFAULT_NAMESPACE,
            "other settings keep their defaults"
        );
    }
}

//! From a spec file's bytes to a typed request, or to every problem in it.
//!
//! The stages run in order: read (size cap), decode (UTF-8, no binary), YAML
//! (positions kept), schema (compiler only, passed in as a [`SchemaCheck`]),
//! semantic checks a schema cannot express, and the typed model. Problems are
//! collected, not thrown, so one run reports all of them.

use std::fs;
use std::io::Read;
use std::path::Path;

use serde_json::Value;

use crate::diagnostic::{Code, Diagnostic, Lines};
use crate::spec::{Date, Spec};
use crate::yaml::{self, Document, SpanIndex, push_pointer};

/// Largest spec file: what one ConfigMap can carry.
pub const MAX_SPEC_BYTES: u64 = 1024 * 1024;

/// Default cap on how many partitions one request may select.
pub const DEFAULT_MAX_PARTITIONS: u64 = 100_000;

/// Limits that guard against requests nobody meant to make.
#[derive(Clone, Copy, Debug)]
pub struct Limits {
    /// Most partitions a request may select (the product of its dimensions).
    pub max_partitions: u64,
}

impl Default for Limits {
    fn default() -> Limits {
        Limits {
            max_partitions: DEFAULT_MAX_PARTITIONS,
        }
    }
}

/// A parsed spec file, with what is needed to locate problems in it.
pub struct Parsed<'a> {
    /// The file's path as given.
    pub path: &'a Path,
    /// Its lines, for showing the offending one.
    pub lines: &'a Lines<'a>,
    /// The YAML document.
    pub document: &'a Document,
}

impl Parsed<'_> {
    /// A diagnostic at the value `pointer` names.
    pub fn at_value(&self, pointer: &str, code: Code, message: impl Into<String>) -> Diagnostic {
        self.lines
            .diagnostic(self.path, self.document.spans.value(pointer), code, message)
    }

    /// A diagnostic at the key that holds the value `pointer` names.
    pub fn at_key(&self, pointer: &str, code: Code, message: impl Into<String>) -> Diagnostic {
        self.lines
            .diagnostic(self.path, self.document.spans.key(pointer), code, message)
    }

    /// The span index of the document.
    pub fn spans(&self) -> &SpanIndex {
        &self.document.spans
    }
}

/// A validation the compiler adds between YAML and the typed model: the JSON Schema.
pub trait SchemaCheck {
    /// Every schema violation in the document.
    fn check(&self, parsed: &Parsed<'_>) -> Vec<Diagnostic>;
}

/// A successfully loaded spec.
#[derive(Debug)]
pub struct Loaded {
    /// The request.
    pub spec: Spec,
    /// The file's text as read (a leading byte-order mark removed).
    pub text: String,
}

/// Reads and loads the spec at `path` with default limits and no schema: the runner's path.
pub fn read_spec(path: &Path) -> Result<Spec, Vec<Diagnostic>> {
    let bytes = read_capped(path).map_err(|d| vec![d])?;
    load(path, &bytes, &Limits::default(), None).map(|l| l.spec)
}

/// Reads at most [`MAX_SPEC_BYTES`] (plus one, to notice a larger file) from `path`.
pub fn read_capped(path: &Path) -> Result<Vec<u8>, Diagnostic> {
    let io_error = |e: std::io::Error| {
        let what = match e.kind() {
            std::io::ErrorKind::NotFound => "no such file".to_owned(),
            std::io::ErrorKind::IsADirectory => "it is a directory, not a file".to_owned(),
            std::io::ErrorKind::PermissionDenied => "permission denied".to_owned(),
            _ if e.raw_os_error() == Some(40) => {
                "too many levels of symbolic links (a symlink loop?)".to_owned()
            }
            _ => e.to_string(),
        };
        Diagnostic::file(path, Code::Io, format!("cannot read the spec: {what}"))
    };
    let file = fs::File::open(path).map_err(io_error)?;
    let meta = file.metadata().map_err(io_error)?;
    if meta.is_dir() {
        return Err(Diagnostic::file(
            path,
            Code::Io,
            "cannot read the spec: it is a directory, not a file",
        ));
    }
    let mut bytes =
        Vec::with_capacity(usize::try_from(meta.len().min(MAX_SPEC_BYTES)).unwrap_or(0) + 1);
    file.take(MAX_SPEC_BYTES + 1)
        .read_to_end(&mut bytes)
        .map_err(io_error)?;
    if bytes.len() as u64 > MAX_SPEC_BYTES {
        let size = meta.len().max(bytes.len() as u64);
        return Err(too_large(path, size));
    }
    Ok(bytes)
}

fn too_large(path: &Path, size: u64) -> Diagnostic {
    #[allow(clippy::cast_precision_loss)]
    let mib = size as f64 / (1024.0 * 1024.0);
    Diagnostic::file(
        path,
        Code::TooLarge,
        format!("the file is {mib:.1} MiB; a spec may be at most 1 MiB"),
    )
    .with_hint("a spec is a few lines of YAML; is this the right file?")
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
    let mut schema_problems = schema.map(|s| s.check(&parsed)).unwrap_or_default();
    // A value the YAML stage already refused (an alias, a tag) was read as
    // null; the schema's complaint about that null would only repeat it.
    schema_problems.retain(|p| !diagnostics.iter().any(|d| d.span == p.span));
    let schema_failed = !schema_problems.is_empty();
    diagnostics.extend(schema_problems);
    diagnostics.extend(semantic_checks(&parsed, limits));
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

/// UTF-8 text with no binary content; a leading byte-order mark is dropped.
fn decode<'a>(path: &Path, bytes: &'a [u8]) -> Result<&'a str, Diagnostic> {
    let bytes = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
    let text = match std::str::from_utf8(bytes) {
        Ok(t) => t,
        Err(e) => {
            let valid = std::str::from_utf8(&bytes[..e.valid_up_to()]).unwrap_or_default();
            let lines = Lines::new(valid);
            let pos = lines.pos_of_byte(valid.len());
            let byte = bytes[e.valid_up_to()];
            let d = lines.diagnostic(
                path,
                crate::diagnostic::Span::at(pos),
                Code::NotUtf8,
                format!("not UTF-8 text: byte 0x{byte:02x}"),
            );
            return Err(d.with_hint("save the file as UTF-8"));
        }
    };
    if let Some((offset, c)) = text.char_indices().find(|&(_, c)| is_non_printable(c)) {
        let lines = Lines::new(text);
        let pos = lines.pos_of_byte(offset);
        let what = if c == '\0' {
            "a NUL byte".to_owned()
        } else if c == '\u{85}' {
            // YAML 1.2 allows it, but Kubernetes' reader (go-yaml, through
            // kustomize) turns it into a space: the cluster would not get this text.
            "the next-line character NEL (U+0085), which Kubernetes' YAML reader changes".to_owned()
        } else {
            format!("control character U+{:04X}", u32::from(c))
        };
        let d = lines.diagnostic(
            path,
            crate::diagnostic::Span::at(pos),
            Code::ControlChar,
            format!("{what}: this looks like binary data, not YAML"),
        );
        return Err(
            d.with_hint("YAML text may hold tabs and line breaks but no other control characters")
        );
    }
    Ok(text)
}

/// Outside YAML's printable set (tab, line breaks, and the rest of Unicode but C0/C1 controls),
/// or NEL, which YAML 1.2 prints but go-yaml does not keep.
fn is_non_printable(c: char) -> bool {
    matches!(c, '\0'..='\x08' | '\x0b' | '\x0c' | '\x0e'..='\x1f' | '\x7f'..='\u{9f}' | '\u{fffe}' | '\u{ffff}')
        || (('\u{80}'..='\u{9f}').contains(&c) && c != '\u{85}')
}

/// What a JSON Schema cannot say: ranges in order, dimension names unique,
/// a bounded number of partitions. Run on the raw value so that these are
/// reported together with schema problems.
fn semantic_checks(parsed: &Parsed<'_>, limits: &Limits) -> Vec<Diagnostic> {
    let mut out = Vec::new();
    let pointer = "/tags/partitions";
    let Some(dimensions) = parsed
        .document
        .value
        .pointer(pointer)
        .and_then(Value::as_array)
    else {
        return out;
    };
    let mut seen: Vec<(&str, usize)> = Vec::new();
    let mut selected: u64 = 1;
    for (i, dim) in dimensions.iter().enumerate() {
        let at = push_pointer(pointer, &i.to_string());
        if let Some(name) = dim.get("name").and_then(Value::as_str) {
            if let Some(&(_, first)) = seen.iter().find(|(n, _)| *n == name) {
                let first_line = parsed
                    .spans()
                    .value(&push_pointer(
                        &push_pointer(pointer, &first.to_string()),
                        "name",
                    ))
                    .start
                    .line;
                let d = parsed.at_value(
                    &push_pointer(&at, "name"),
                    Code::Duplicate,
                    format!("dimension `{name}` is listed twice"),
                );
                out.push(d.with_hint(format!(
                    "it is already listed on line {first_line}; merge the two entries"
                )));
            } else {
                seen.push((name, i));
            }
        }
        let date = |key: &str| {
            dim.get(key)
                .and_then(Value::as_str)
                .and_then(|s| s.parse::<Date>().ok())
        };
        let count = if let (Some(start), Some(end)) = (date("start_date"), date("end_date")) {
            if end < start {
                let d = parsed.at_value(
                    &push_pointer(&at, "end_date"),
                    Code::ReversedRange,
                    format!("the range ends ({end}) before it starts ({start})"),
                );
                out.push(d.with_hint("swap `start_date` and `end_date`; both days are included"));
            }
            u64::try_from(end.ordinal() - start.ordinal() + 1).unwrap_or(0)
        } else if let Some(values) = dim.get("values").and_then(Value::as_array) {
            values.len() as u64
        } else {
            // `all`, or a malformed entry the schema reports: counted by the runner.
            1
        };
        selected = selected.saturating_mul(count);
    }
    if selected > limits.max_partitions {
        let d = parsed.at_key(
            pointer,
            Code::TooManyPartitions,
            format!(
                "this request selects {selected} partitions, more than the cap of {}",
                limits.max_partitions
            ),
        );
        out.push(d.with_hint("split it into several requests, or raise `max_partitions` in dagster-scripts.toml if you mean it"));
    }
    out
}

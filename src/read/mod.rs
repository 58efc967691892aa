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
use crate::spec::resources::{Resource, exceeds, quantity_problem};
use crate::spec::{Date, Quantity, ResourceList, Resources, Spec};
use crate::yaml::{self, Document, SpanIndex, push_pointer};

/// Largest spec file: what one ConfigMap can carry.
pub const MAX_SPEC_BYTES: u64 = 1024 * 1024;

/// Default cap on how many partitions one request may select.
pub const DEFAULT_MAX_PARTITIONS: u64 = 100_000;

/// What a spec is checked against besides its own rules: limits that guard
/// against requests nobody meant to make, and the settings its `overrides`
/// are merged into. `check` and `render` fill it from the same settings
/// ([`Limits::from_settings`]); the runner, which has no settings, uses the
/// default, which checks an override only against itself.
#[derive(Clone, Debug)]
pub struct Limits {
    /// Most partitions a request may select (the product of its dimensions).
    pub max_partitions: u64,
    /// The runner image, when the settings pin it by digest: a spec's
    /// `image_tag` would replace the pin, so it is refused.
    pub pinned_image: Option<String>,
    /// The settings' requests and limits, which a spec's
    /// `overrides.resources` are merged into before Kubernetes' rules apply.
    pub resources: Option<Resources>,
}

impl Default for Limits {
    fn default() -> Limits {
        Limits {
            max_partitions: DEFAULT_MAX_PARTITIONS,
            pinned_image: None,
            resources: None,
        }
    }
}

#[cfg(feature = "compiler")]
impl Limits {
    /// What the settings say a spec must respect: the partition cap, a
    /// digest-pinned image, the default requests and limits. `check` and
    /// `render` both take their limits from here, so the two never disagree.
    pub fn from_settings(settings: &crate::settings::Settings) -> Limits {
        let list = |r: &crate::settings::CpuMemory| ResourceList {
            cpu: Some(r.cpu.clone()),
            memory: Some(r.memory.clone()),
        };
        Limits {
            max_partitions: settings.max_partitions,
            pinned_image: settings
                .image
                .has_digest()
                .then(|| settings.image.as_str().to_owned()),
            resources: Some(Resources {
                requests: Some(list(&settings.resources.requests)),
                limits: Some(list(&settings.resources.limits)),
            }),
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

/// Reads and loads the spec at `path` with `limits` (the Job passes the
/// compiler's) and no schema: the runner's path.
pub fn read_spec(path: &Path, limits: &Limits) -> Result<Spec, Vec<Diagnostic>> {
    let bytes = read_capped(path).map_err(|d| vec![d])?;
    load(path, &bytes, limits, None).map(|l| l.spec)
}

/// Reads at most [`MAX_SPEC_BYTES`] (plus one, to notice a larger file) from `path`.
///
/// Only a regular file is read: what `path` names (following symlinks, as a
/// Kubernetes ConfigMap mount is one) is looked at before it is opened, so a
/// FIFO, socket or device is refused instead of blocking the reader, and the
/// file is opened without blocking and looked at again, so one swapped in
/// between the two cannot block either.
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
    let regular = |file_type: fs::FileType| match not_regular(file_type) {
        None => Ok(()),
        Some(what) => Err(Diagnostic::file(
            path,
            Code::Io,
            format!("cannot read the spec: it is {what}, not a regular file"),
        )
        .with_hint(
            "a spec is a regular file; remove this entry or replace it with the spec's file",
        )),
    };
    regular(fs::metadata(path).map_err(io_error)?.file_type())?;
    let file = open_nonblocking(path).map_err(io_error)?;
    let meta = file.metadata().map_err(io_error)?;
    regular(meta.file_type())?;
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

/// What a file that is not a regular file is, in words; `None` for a regular file.
pub fn not_regular(file_type: fs::FileType) -> Option<&'static str> {
    #[cfg(unix)]
    {
        use std::os::unix::fs::FileTypeExt;
        if file_type.is_fifo() {
            return Some("a FIFO (named pipe)");
        }
        if file_type.is_socket() {
            return Some("a socket");
        }
        if file_type.is_char_device() || file_type.is_block_device() {
            return Some("a device");
        }
    }
    if file_type.is_file() {
        None
    } else if file_type.is_dir() {
        Some("a directory")
    } else {
        Some("neither a file nor a directory")
    }
}

/// Opens `path` for reading without waiting for a writer (a FIFO) or a device.
fn open_nonblocking(path: &Path) -> std::io::Result<fs::File> {
    let mut options = fs::OpenOptions::new();
    options.read(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.custom_flags(libc::O_NONBLOCK);
    }
    options.open(path)
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
    diagnostics.extend(issue_numbers(&parsed));
    let mut schema_problems = schema.map(|s| s.check(&parsed)).unwrap_or_default();
    // A value the YAML stage already refused (an alias, a tag) was read as
    // null, and an issue number not read as written is refused above; the
    // schema's complaint about either would only repeat it.
    schema_problems.retain(|p| !diagnostics.iter().any(|d| d.span == p.span));
    let schema_failed = !schema_problems.is_empty();
    diagnostics.extend(schema_problems);
    diagnostics.extend(semantic_checks(&parsed, limits));
    diagnostics.extend(override_checks(&parsed, limits));
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

/// Where an issue reference is written: it must be read as written.
const ISSUE_POINTERS: [&str; 2] = ["/tags/name", "/rerun_of"];

/// An unquoted issue number that YAML reads as another number than its text
/// (`034543` is 34543, `0x10` is 16, `1e5` is 100000) names another issue
/// than the one written; the schema sees only the number, so this is told
/// from the text.
fn issue_numbers(parsed: &Parsed<'_>) -> Vec<Diagnostic> {
    let document = parsed.document;
    document
        .numbers
        .iter()
        .filter(|n| ISSUE_POINTERS.contains(&n.pointer.as_str()))
        .map(|n| {
            let text = &n.text;
            let message = match document.value.pointer(&n.pointer) {
                Some(Value::Number(read)) => {
                    format!("the issue `{text}` is not read as written: YAML reads it as the number {read}")
                }
                _ => format!(
                    "the issue `{text}` is text here, but YAML 1.1 tools read it as a number"
                ),
            };
            parsed
                .at_value(&n.pointer, Code::WrongType, message)
                .with_hint(format!(
                    "quote it to keep it as text: '{text}' (a plain number like 34543 may stay unquoted)"
                ))
        })
        .collect()
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

/// A spec's `overrides` against the settings they are merged into: an
/// `image_tag` may not replace a digest pin, and the merged requests and
/// limits must be ones Kubernetes accepts. Reported at the override.
fn override_checks(parsed: &Parsed<'_>, limits: &Limits) -> Vec<Diagnostic> {
    let mut out = Vec::new();
    let value = &parsed.document.value;
    if let (Some(pinned), Some(Value::String(_))) = (
        limits.pinned_image.as_deref(),
        value.pointer("/overrides/image_tag"),
    ) {
        let d = parsed.at_value(
            "/overrides/image_tag",
            Code::InvalidValue,
            format!("the settings pin the runner image by digest (`{pinned}`); a tag would replace the pin"),
        );
        out.push(d.with_hint("remove `image_tag`: a pinned image stays pinned (to run another image, change `image` in dagster-scripts.toml, reviewed like any setting)"));
    }
    let pointer = |side: &str, r: Resource| format!("/overrides/resources/{side}/{}", r.key());
    let written = |side: &str, r: Resource| {
        value
            .pointer(&pointer(side, r))
            .and_then(Value::as_str)
            .and_then(|s| Quantity::new(s).ok())
    };
    let default = |side: &str, r: Resource| {
        let list = limits.resources.as_ref().and_then(|res| match side {
            "requests" => res.requests.as_ref(),
            _ => res.limits.as_ref(),
        })?;
        match r {
            Resource::Cpu => list.cpu.clone(),
            Resource::Memory => list.memory.clone(),
        }
    };
    for r in Resource::ALL {
        let mut sound = true;
        for side in ["requests", "limits"] {
            if let Some(q) = written(side, r)
                && let Some((message, hint)) = quantity_problem(r, &q)
            {
                sound = false;
                let d = parsed.at_value(&pointer(side, r), Code::InvalidValue, message);
                out.push(d.with_hint(hint));
            }
        }
        let (request, limit) = (written("requests", r), written("limits", r));
        if !sound || (request.is_none() && limit.is_none()) {
            continue;
        }
        let (Some(req), Some(lim)) = (
            request.clone().or_else(|| default("requests", r)),
            limit.clone().or_else(|| default("limits", r)),
        ) else {
            continue;
        };
        if !exceeds(&req, &lim) {
            continue;
        }
        let key = r.key();
        let d = match (&request, &limit) {
            (Some(_), Some(_)) => parsed
                .at_value(
                    &pointer("requests", r),
                    Code::InvalidValue,
                    format!("the {key} request `{req}` is above its limit `{lim}`"),
                )
                .with_hint(format!(
                    "Kubernetes refuses a request above its limit: raise `limits.{key}` to at least {req}, or request at most {lim}"
                )),
            (Some(_), None) => parsed
                .at_value(
                    &pointer("requests", r),
                    Code::InvalidValue,
                    format!("the {key} request `{req}` is above its limit `{lim}` (the settings' default)"),
                )
                .with_hint(format!(
                    "Kubernetes refuses a request above its limit: also set `limits.{key}` (at least {req}) in these overrides, or request at most {lim}"
                )),
            _ => parsed
                .at_value(
                    &pointer("limits", r),
                    Code::InvalidValue,
                    format!("the {key} limit `{lim}` is below its request `{req}` (the settings' default)"),
                )
                .with_hint(format!(
                    "Kubernetes refuses a request above its limit: also set `requests.{key}` (at most {lim}) in these overrides, or allow at least {req}"
                )),
        };
        out.push(d);
    }
    out
}

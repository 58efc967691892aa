//! YAML 1.2 to a JSON value, remembering where every value came from.
//!
//! Specs are read with the YAML 1.2 core schema (`NO`, `yes` and `on` are
//! text; `2024-01-31` is text), so what a reviewer reads is what the tool
//! reads. The tree is built from saphyr-parser's events rather than by a
//! generic loader so that the things a spec never needs and that only cause
//! harm are refused at the source: aliases (and with them alias bombs),
//! duplicate keys, tags, several documents, and unbounded nesting. Each value's
//! span is stored under its JSON pointer, which is how schema errors (that
//! speak in pointers) are mapped back to `line:col`.

use std::borrow::Cow;
use std::cell::OnceCell;
use std::collections::HashMap;
use std::path::Path;

use saphyr_parser::{Event, Parser, ScalarStyle, Span as YSpan, Tag};
use serde_json::{Map, Number, Value};

use crate::diagnostic::{Code, Diagnostic, Lines, Pos, Span};
use crate::pointer::push_pointer;

/// Deeper than this is an error: specs are a few levels deep, and a limit
/// keeps every later recursive walk of the value safe.
pub const MAX_DEPTH: usize = 64;

/// A parsed spec: the value and where each part of it is written.
#[derive(Debug)]
pub struct Document {
    /// The spec as JSON, keys in file order.
    pub value: Value,
    /// Where each value (and each mapping key) is, by JSON pointer.
    pub spans: SpanIndex,
    /// Unquoted scalars a YAML reader takes for a number that is not their
    /// text (`034543`, `0x10`, `1e5`, `+5`, `1_000` in YAML 1.1), by JSON
    /// pointer: where text is meant, the value read is not what was written.
    pub numbers: Vec<WrittenNumber>,
}

/// An unquoted scalar read (by this or another YAML reader) as a number other than its text.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct WrittenNumber {
    /// JSON pointer of the value.
    pub pointer: String,
    /// The scalar as written.
    pub text: String,
}

/// Spans by JSON pointer (`/tags/partitions/0/name`, `` for the root).
#[derive(Debug, Default)]
pub struct SpanIndex {
    values: HashMap<String, Span>,
    keys: HashMap<String, Span>,
}

impl SpanIndex {
    /// The span of the value at `pointer`, or of its nearest written ancestor.
    pub fn value(&self, pointer: &str) -> Span {
        let mut p = pointer;
        loop {
            if let Some(span) = self.values.get(p) {
                return *span;
            }
            match p.rfind('/') {
                Some(i) => p = &p[..i],
                None => return Span::at(Pos { line: 1, col: 1 }),
            }
        }
    }

    /// The span of the key that holds the value at `pointer`, falling back to the value.
    pub fn key(&self, pointer: &str) -> Span {
        self.keys
            .get(pointer)
            .copied()
            .unwrap_or_else(|| self.value(pointer))
    }
}

enum Frame {
    Seq {
        pointer: String,
        start: Pos,
        items: Vec<Value>,
    },
    Map {
        pointer: String,
        start: Pos,
        entries: Map<String, Value>,
        key: Option<(String, Span)>,
        first_seen: HashMap<String, Span>,
    },
}

struct Builder<'a> {
    path: &'a Path,
    text: &'a str,
    /// The caller's line index (a spec), or one built on the first problem
    /// (a manifest read back, which almost never has one).
    lines: Option<&'a Lines<'a>>,
    own_lines: OnceCell<Lines<'a>>,
    stack: Vec<Frame>,
    root: Option<Value>,
    spans: SpanIndex,
    numbers: Vec<WrittenNumber>,
    /// Record spans (a spec whose problems are being located) or not (a
    /// manifest read back, a spec on the first, optimistic reading).
    track: bool,
    diagnostics: Vec<Diagnostic>,
}

/// Parses `text` (already checked to be printable UTF-8) as one spec.
///
/// Returns the document if one could be built, and every problem found; a
/// document is returned with non-fatal problems (a duplicate key, an alias) so
/// that schema problems can be reported in the same run.
pub fn parse(text: &str, path: &Path, lines: &Lines<'_>) -> (Option<Document>, Vec<Diagnostic>) {
    parse_one(text, path, lines, true)
}

/// [`parse`] without recording where each value is (the document's span
/// index stays empty): a valid spec's values are never located, so the
/// loader reads a spec this way first and calls [`parse`] only when
/// something is wrong with it. The YAML problems found are the same.
pub fn parse_unlocated(
    text: &str,
    path: &Path,
    lines: &Lines<'_>,
) -> (Option<Document>, Vec<Diagnostic>) {
    parse_one(text, path, lines, false)
}

fn parse_one(
    text: &str,
    path: &Path,
    lines: &Lines<'_>,
    track: bool,
) -> (Option<Document>, Vec<Diagnostic>) {
    let (documents, mut diagnostics) = build(text, path, Some(lines), false, track);
    let document = documents.into_iter().next();
    if document.is_none() && diagnostics.is_empty() {
        let d = Diagnostic::file(path, Code::Empty, "the file holds no YAML document (it is empty or only comments)")
            .with_hint("a spec needs at least `job_name` and `tags` (run `dagster-scripts new` for a template)");
        diagnostics.push(d);
    }
    (document, diagnostics)
}

/// Parses a stream of several documents (a rendered manifest), with the same
/// rules as a spec: used to check that what was rendered parses back.
pub fn parse_documents(text: &str, path: &Path) -> Result<Vec<Value>, Vec<Diagnostic>> {
    let (documents, diagnostics) = build(text, path, None, true, false);
    if diagnostics.is_empty() {
        Ok(documents.into_iter().map(|d| d.value).collect())
    } else {
        Err(diagnostics)
    }
}

fn build<'a>(
    text: &'a str,
    path: &'a Path,
    lines: Option<&'a Lines<'a>>,
    several: bool,
    track: bool,
) -> (Vec<Document>, Vec<Diagnostic>) {
    let mut b = Builder {
        path,
        text,
        lines,
        own_lines: OnceCell::new(),
        stack: Vec::new(),
        root: None,
        spans: SpanIndex::default(),
        numbers: Vec::new(),
        track,
        diagnostics: Vec::new(),
    };
    let mut documents = Vec::new();
    let mut parser = Parser::new_from_str(text);
    let mut started = 0;
    while let Some(next) = parser.next_event() {
        let (event, span) = match next {
            Ok(e) => e,
            Err(e) => {
                let m = e.marker();
                let pos = Pos {
                    line: m.line(),
                    col: m.col() + 1,
                };
                let d = b.diag(
                    Span::at(pos),
                    Code::Syntax,
                    format!("invalid YAML: {}", e.info()),
                );
                b.diagnostics.push(d.with_hint("check the indentation (spaces only, no tabs) and that every bracket and quote is closed"));
                return (documents, b.diagnostics);
            }
        };
        let span = convert(span);
        let fatal = match event {
            Event::StreamStart | Event::Nothing => false,
            Event::StreamEnd => break,
            Event::DocumentEnd => {
                if let Some(value) = b.root.take() {
                    documents.push(Document {
                        value,
                        spans: std::mem::take(&mut b.spans),
                        numbers: std::mem::take(&mut b.numbers),
                    });
                }
                false
            }
            Event::DocumentStart(_) => {
                started += 1;
                if started > 1 && !several {
                    let d = b.diag(
                        span,
                        Code::MultipleDocuments,
                        "a second YAML document: one spec file holds one request",
                    );
                    b.diagnostics
                        .push(d.with_hint("move the second request into a file of its own"));
                    return (documents, b.diagnostics);
                }
                false
            }
            Event::Alias(_) => {
                let d = b.diag(
                    span,
                    Code::Alias,
                    "YAML aliases (`*name`) are not allowed in a spec",
                );
                b.diagnostics
                    .push(d.with_hint("write the value out in full"));
                b.scalar(None, Value::Null, span)
            }
            Event::Scalar(text, style, _anchor, tag) => {
                b.scalar_event(text, style, tag.as_deref(), span)
            }
            Event::SequenceStart(_anchor, tag) => {
                b.open(tag.as_deref(), "seq", span, |pointer, start| Frame::Seq {
                    pointer,
                    start,
                    items: Vec::new(),
                })
            }
            Event::MappingStart(_anchor, tag) => {
                b.open(tag.as_deref(), "map", span, |pointer, start| Frame::Map {
                    pointer,
                    start,
                    entries: Map::new(),
                    key: None,
                    first_seen: HashMap::new(),
                })
            }
            Event::SequenceEnd | Event::MappingEnd => b.close(span),
        };
        if fatal {
            return (documents, b.diagnostics);
        }
    }
    (documents, b.diagnostics)
}

fn convert(span: YSpan) -> Span {
    let pos = |m: saphyr_parser::Marker| Pos {
        line: m.line(),
        col: m.col() + 1,
    };
    Span {
        start: pos(span.start),
        end: pos(span.end),
    }
}

impl Builder<'_> {
    fn diag(&self, span: Span, code: Code, message: impl Into<String>) -> Diagnostic {
        let lines = self
            .lines
            .unwrap_or_else(|| self.own_lines.get_or_init(|| Lines::new(self.text)));
        lines.diagnostic(self.path, span, code, message)
    }

    fn report(&mut self, span: Span, code: Code, message: impl Into<String>) {
        let d = self.diag(span, code, message);
        self.diagnostics.push(d);
    }

    /// The pointer the next value will have; `None` when the next scalar is a mapping key.
    fn next_pointer(&self) -> Option<String> {
        if !self.track {
            let expects_key = matches!(self.stack.last(), Some(Frame::Map { key: None, .. }));
            return (!expects_key).then(String::new);
        }
        match self.stack.last() {
            None => Some(String::new()),
            Some(Frame::Seq { pointer, items, .. }) => {
                Some(push_pointer(pointer, &items.len().to_string()))
            }
            Some(Frame::Map {
                pointer,
                key: Some((k, _)),
                ..
            }) => Some(push_pointer(pointer, k)),
            Some(Frame::Map { key: None, .. }) => None,
        }
    }

    /// The pointer of the next value, computed from the open frames even when
    /// spans are not tracked (only a rare value needs it).
    fn path_here(&self) -> String {
        let mut pointer = String::new();
        for frame in &self.stack {
            pointer = match frame {
                Frame::Seq { items, .. } => push_pointer(&pointer, &items.len().to_string()),
                Frame::Map {
                    key: Some((k, _)), ..
                } => push_pointer(&pointer, k),
                Frame::Map { key: None, .. } => pointer,
            };
        }
        pointer
    }

    fn scalar_event(
        &mut self,
        text: Cow<'_, str>,
        style: ScalarStyle,
        tag: Option<&Tag>,
        span: Span,
    ) -> bool {
        if let Some(Frame::Map {
            key: key @ None,
            entries,
            first_seen,
            pointer,
            ..
        }) = self.stack.last_mut()
        {
            // A mapping key: its text is the key, whatever type it would resolve to.
            // Earlier keys of this mapping hold their values by now, so `entries`
            // tells a duplicate; where the first one was is kept only for a spec,
            // whose diagnostics show it.
            let name = text.into_owned();
            let duplicate = entries.contains_key(&name);
            let first = if self.track {
                self.spans.keys.insert(push_pointer(pointer, &name), span);
                Some(*first_seen.entry(name.clone()).or_insert(span))
            } else {
                None
            };
            let problem = duplicate.then(|| {
                let hint = match first {
                    Some(first) => format!(
                        "`{name}` is already set on line {}; keep one of them",
                        first.start.line
                    ),
                    None => format!("`{name}` is already set above; keep one of them"),
                };
                (format!("duplicate key `{name}`"), hint)
            });
            *key = Some((name, span));
            if let Some((message, hint)) = problem {
                let d = self.diag(span, Code::DuplicateKey, message);
                self.diagnostics.push(d.with_hint(hint));
            }
            if tag.is_some() {
                self.report(span, Code::UnsupportedYaml, "tags are not allowed on keys");
            }
            return false;
        }
        if style == ScalarStyle::Plain && tag.is_none() && reads_as_other_number(&text) {
            let pointer = self.path_here();
            self.numbers.push(WrittenNumber {
                pointer,
                text: text.to_string(),
            });
        }
        let value = match resolve(text, style, tag) {
            Ok(v) => v,
            Err(why) => {
                self.report(span, Code::UnsupportedYaml, why);
                Value::Null
            }
        };
        self.scalar(None, value, span)
    }

    /// Stores a finished value (`pointer` is `None` to compute it).
    fn scalar(&mut self, pointer: Option<String>, value: Value, span: Span) -> bool {
        let Some(pointer) = pointer.or_else(|| self.next_pointer()) else {
            // An alias in key position: already reported.
            return true;
        };
        if self.track {
            self.spans.values.insert(pointer, span);
        }
        match self.stack.last_mut() {
            None => self.root = Some(value),
            Some(Frame::Seq { items, .. }) => items.push(value),
            Some(Frame::Map { entries, key, .. }) => {
                if let Some((k, _)) = key.take() {
                    // On a duplicate key the first value stays: it is what the reader saw first.
                    entries.entry(k).or_insert(value);
                }
            }
        }
        false
    }

    fn open(
        &mut self,
        tag: Option<&Tag>,
        expected: &str,
        span: Span,
        frame: impl FnOnce(String, Pos) -> Frame,
    ) -> bool {
        let Some(pointer) = self.next_pointer() else {
            let d = self.diag(
                span,
                Code::UnsupportedYaml,
                "a list or mapping used as a mapping key",
            );
            self.diagnostics
                .push(d.with_hint("keys must be plain text"));
            return true;
        };
        if self.stack.len() >= MAX_DEPTH {
            self.report(
                span,
                Code::UnsupportedYaml,
                format!("nested deeper than {MAX_DEPTH} levels"),
            );
            return true;
        }
        if let Some(tag) = tag.filter(|t| !(t.is_yaml_core_schema() && t.suffix == expected)) {
            self.report(
                span,
                Code::UnsupportedYaml,
                format!("YAML tag `{}` is not allowed in a spec", show_tag(tag)),
            );
        }
        self.stack.push(frame(pointer, span.start));
        false
    }

    fn close(&mut self, end: Span) -> bool {
        let Some(frame) = self.stack.pop() else {
            return true;
        };
        let (pointer, start, value) = match frame {
            Frame::Seq {
                pointer,
                start,
                items,
            } => (pointer, start, Value::Array(items)),
            Frame::Map {
                pointer,
                start,
                entries,
                ..
            } => (pointer, start, Value::Object(entries)),
        };
        self.scalar(
            Some(pointer),
            value,
            Span {
                start,
                end: end.end.max(start),
            },
        )
    }
}

/// A tag as it was written: `!!binary` rather than its expanded form.
fn show_tag(tag: &Tag) -> String {
    if tag.is_yaml_core_schema() {
        format!("!!{}", tag.suffix)
    } else {
        tag.to_string()
    }
}

/// Resolves a scalar by the YAML 1.2 core schema.
fn resolve(text: Cow<'_, str>, style: ScalarStyle, tag: Option<&Tag>) -> Result<Value, String> {
    let plain = style == ScalarStyle::Plain;
    match tag {
        None if plain => resolve_plain(text),
        None => Ok(Value::String(text.into_owned())),
        Some(t) if t.handle == "!" && t.suffix.is_empty() => Ok(Value::String(text.into_owned())),
        Some(t) if t.is_yaml_core_schema() && t.suffix == "str" => {
            Ok(Value::String(text.into_owned()))
        }
        Some(t) => Err(format!(
            "YAML tag `{}` is not allowed in a spec",
            show_tag(t)
        )),
    }
}

fn resolve_plain(text: Cow<'_, str>) -> Result<Value, String> {
    match &*text {
        "" | "~" | "null" | "Null" | "NULL" => return Ok(Value::Null),
        "true" | "True" | "TRUE" => return Ok(Value::Bool(true)),
        "false" | "False" | "FALSE" => return Ok(Value::Bool(false)),
        _ => {}
    }
    if let Some(n) = parse_int(&text) {
        return Ok(Value::Number(n));
    }
    if is_float(&text) {
        let lower = text.to_ascii_lowercase();
        if lower.ends_with(".inf") || lower == ".nan" {
            return Err(format!(
                "`{text}` (infinity or NaN) cannot be used in a spec"
            ));
        }
        return text
            .parse::<f64>()
            .ok()
            .and_then(Number::from_f64)
            .map(Value::Number)
            .ok_or_else(|| format!("`{text}` is out of range for a number"));
    }
    Ok(Value::String(text.into_owned()))
}

fn parse_int(text: &str) -> Option<Number> {
    let digits = |s: &str, radix: u32| !s.is_empty() && s.chars().all(|c| c.is_digit(radix));
    if let Some(hex) = text.strip_prefix("0x") {
        return digits(hex, 16)
            .then(|| u64::from_str_radix(hex, 16).ok().map(Number::from))
            .flatten();
    }
    if let Some(oct) = text.strip_prefix("0o") {
        return digits(oct, 8)
            .then(|| u64::from_str_radix(oct, 8).ok().map(Number::from))
            .flatten();
    }
    let unsigned = text.strip_prefix(['-', '+']).unwrap_or(text);
    if !digits(unsigned, 10) {
        return None;
    }
    // A decimal integer too large for 64 bits is still a number: keep it as a float.
    text.parse::<i64>()
        .map(Number::from)
        .or_else(|_| text.parse::<u64>().map(Number::from))
        .ok()
        .or_else(|| text.parse::<f64>().ok().and_then(Number::from_f64))
}

/// Whether a YAML reader takes the plain scalar `text` for a number whose
/// decimal text is not `text`: anything numeric but a plain decimal integer
/// without sign or leading zero. YAML 1.1 readers (PyYAML, go-yaml) also
/// read `1_000`, `0b101` and `1:30` as numbers, so those count too.
pub fn reads_as_other_number(text: &str) -> bool {
    let canonical = text == "0"
        || (text.starts_with(|c: char| ('1'..='9').contains(&c))
            && text.bytes().all(|b| b.is_ascii_digit())
            && text.parse::<u64>().is_ok());
    if canonical {
        return false;
    }
    if parse_int(text).is_some() || is_float(text) {
        return true;
    }
    // YAML 1.1: digits with `_`, binary, sexagesimal (`1:30`).
    let s = text.strip_prefix(['-', '+']).unwrap_or(text);
    let yaml_1_1 = |c: char| c.is_ascii_digit() || "_.:".contains(c);
    s.starts_with(|c: char| c.is_ascii_digit())
        && (s.contains('_') || s.contains(':'))
        && s.chars().all(yaml_1_1)
        || s.strip_prefix("0b")
            .is_some_and(|b| !b.is_empty() && b.chars().all(|c| "01_".contains(c)))
}

/// `[-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?` or `[-+]?\.(inf|Inf|INF)` or `\.(nan|NaN|NAN)`.
fn is_float(text: &str) -> bool {
    if matches!(text, ".nan" | ".NaN" | ".NAN") {
        return true;
    }
    let s = text.strip_prefix(['-', '+']).unwrap_or(text);
    if matches!(s, ".inf" | ".Inf" | ".INF") {
        return true;
    }
    let (mantissa, exponent) = match s.find(['e', 'E']) {
        Some(i) => (&s[..i], Some(&s[i + 1..])),
        None => (s, None),
    };
    let all_digits = |p: &str| p.bytes().all(|b| b.is_ascii_digit());
    let mantissa_ok = match mantissa.split_once('.') {
        Some((whole, frac)) => {
            all_digits(whole) && all_digits(frac) && !(whole.is_empty() && frac.is_empty())
        }
        None => !mantissa.is_empty() && all_digits(mantissa),
    };
    let exponent_ok = exponent.is_none_or(|e| {
        let e = e.strip_prefix(['-', '+']).unwrap_or(e);
        !e.is_empty() && all_digits(e)
    });
    mantissa_ok && exponent_ok
}

#[cfg(test)]
mod tests {
    use super::*;

    fn load(text: &str) -> (Option<Document>, Vec<Diagnostic>) {
        let lines = Lines::new(text);
        parse(text, Path::new("t.yaml"), &lines)
    }

    fn value(text: &str) -> Value {
        let (doc, diags) = load(text);
        assert!(diags.is_empty(), "{diags:?}");
        doc.unwrap().value
    }

    #[test]
    fn yaml_1_2_core_schema() {
        let v = value(
            "a: NO\nb: yes\nc: on\nd: 2024-01-31\ne: 010\nf: 0x1F\ng: 1.5e3\nh: true\ni: ~\nj: '1'\nk: -7\nl: .5\n",
        );
        assert_eq!(
            v,
            serde_json::json!({"a":"NO","b":"yes","c":"on","d":"2024-01-31","e":10,"f":31,"g":1500.0,"h":true,"i":null,"j":"1","k":-7,"l":0.5})
        );
    }

    #[test]
    fn spans_point_at_keys_and_values() {
        let (doc, _) = load("job_name: x\ntags:\n  name: \"1\"\n  partitions:\n  - name: daily\n");
        let doc = doc.unwrap();
        assert_eq!(doc.spans.key("/tags/name").start, Pos { line: 3, col: 3 });
        assert_eq!(doc.spans.value("/tags/name").start, Pos { line: 3, col: 9 });
        assert_eq!(
            doc.spans.value("/tags/partitions/0/name").start,
            Pos { line: 5, col: 11 }
        );
        assert_eq!(
            doc.spans.value("/tags/partitions/0/missing").start,
            Pos { line: 5, col: 5 }
        );
    }

    #[test]
    fn refuses_what_a_spec_never_needs() {
        let codes = |t: &str| load(t).1.iter().map(|d| d.code).collect::<Vec<_>>();
        assert_eq!(codes("a: 1\na: 2\n"), [Code::DuplicateKey]);
        assert_eq!(codes("a: &x 1\nb: *x\n"), [Code::Alias]);
        assert_eq!(codes("a: 1\n---\nb: 2\n"), [Code::MultipleDocuments]);
        assert_eq!(codes("a: !!binary aGk=\n"), [Code::UnsupportedYaml]);
        assert_eq!(codes("a: .inf\n"), [Code::UnsupportedYaml]);
        assert_eq!(codes("? [a]\n: 1\n"), [Code::UnsupportedYaml]);
        assert_eq!(codes("# only a comment\n"), [Code::Empty]);
        assert_eq!(codes(""), [Code::Empty]);
        assert_eq!(codes("a: [1\n"), [Code::Syntax]);
        assert_eq!(
            codes(&format!("{}1", "- ".repeat(70))),
            [Code::UnsupportedYaml]
        );
        // Flow nesting hits the parser's own recursion limit first.
        assert_eq!(codes(&"[".repeat(100_000)), [Code::Syntax]);
        assert_eq!(codes("a: !!str 1\n"), []);
    }
}

//! Diagnostics: one located problem in one file, with a stable code and a hint.
//!
//! Every stage (reading, YAML, schema, semantic checks) reports through this
//! one type, and every output format (human, JSON, GitHub, GitLab) renders
//! it, so a problem reads the same wherever it is shown.

#[cfg(feature = "compiler")]
pub mod report;

use std::borrow::Cow;
use std::fmt;
use std::path::{Path, PathBuf};

use serde::Serialize;

#[cfg(feature = "compiler")]
pub mod draw;

/// A position in a file: 1-based line and column, the column counted in
/// characters (as editors and CI annotations count them).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize)]
pub struct Pos {
    /// Line, from 1.
    pub line: usize,
    /// Column in characters, from 1.
    pub col: usize,
}

/// A range of a file, `end` exclusive.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize)]
pub struct Span {
    /// First character.
    pub start: Pos,
    /// Just past the last character.
    pub end: Pos,
}

impl Span {
    /// An empty span at `pos`.
    pub fn at(pos: Pos) -> Span {
        Span {
            start: pos,
            end: pos,
        }
    }
}

macro_rules! codes {
    ($($variant:ident = $code:literal, $slug:literal, $doc:literal;)*) => {
        /// The stable code of a kind of problem. Codes never change meaning;
        /// new ones are appended.
        #[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
        pub enum Code {
            $(#[doc = $doc] $variant,)*
        }

        impl Code {
            /// Every code, in order.
            pub const ALL: &[Code] = &[$(Code::$variant,)*];

            /// `E001`, ...
            pub fn as_str(self) -> &'static str {
                match self { $(Code::$variant => $code,)* }
            }

            /// A short name for the kind of problem, used as the check name in CI reports.
            pub fn slug(self) -> &'static str {
                match self { $(Code::$variant => $slug,)* }
            }

            /// One sentence on what the code means.
            pub fn summary(self) -> &'static str {
                match self { $(Code::$variant => $doc,)* }
            }
        }
    };
}

codes! {
    Io = "E001", "io", "The file cannot be read (missing, a directory, no permission, a symlink loop).";
    TooLarge = "E002", "too-large", "The file is larger than a spec may be (1 MiB, what a ConfigMap holds).";
    NotUtf8 = "E003", "not-utf8", "The file is not UTF-8 text.";
    ControlChar = "E004", "control-character", "The file holds a NUL or another control character: binary data, not YAML (NEL, U+0085, too: Kubernetes' YAML reader changes it).";
    Syntax = "E005", "yaml-syntax", "The file is not valid YAML.";
    Empty = "E006", "empty", "The file holds no YAML document (empty, or only comments).";
    MultipleDocuments = "E007", "multiple-documents", "The file holds more than one YAML document; one file is one request.";
    Alias = "E008", "alias", "YAML aliases (`*name`) are not allowed in specs.";
    DuplicateKey = "E009", "duplicate-key", "A mapping has the same key twice.";
    UnsupportedYaml = "E010", "unsupported-yaml", "YAML that has no meaning in a spec: a tag, a non-text key, infinity or NaN, nesting deeper than 64 levels.";
    UnknownKey = "E011", "unknown-key", "A key that the spec does not have at this place (often a typo).";
    MissingKey = "E012", "missing-key", "A required key is missing.";
    WrongType = "E013", "wrong-type", "A value of the wrong type (a number where text is needed, a list where a mapping is needed, ...).";
    InvalidValue = "E014", "invalid-value", "A value that breaks its rule: characters a name may not have, an unknown `kind`, a bad quantity or duration.";
    EmptyValue = "E015", "empty-value", "An empty string, list or mapping where something is needed.";
    InvalidDate = "E016", "invalid-date", "A date that is not written YYYY-MM-DD or does not exist (2024-02-30).";
    Duplicate = "E017", "duplicate", "The same partition value or dimension name is given twice.";
    PartitionForm = "E018", "partition-form", "A partition dimension must have exactly one of `start_date`+`end_date`, `start`+`end`, `values` or `all`.";
    ReversedRange = "E019", "reversed-range", "A date range ends before it starts.";
    TooManyPartitions = "E020", "too-many-partitions", "The request would select more partitions than the cap allows.";
    Template = "E021", "template", "The template does not compile or render (a syntax error, an undefined variable).";
    Manifest = "E022", "manifest", "A rendered manifest breaks a rule: a name that is not a DNS label, a Job that does not mount its ConfigMap, a spec that does not survive quoting, a character Kubernetes' YAML reader takes for a line break left unescaped.";
    Conflict = "E023", "conflict", "Two specs would be rendered to the same file or are one request, a `rerun_of` names an issue two specs answer, or `out/` holds something the tool did not write under that name (another file, a directory, a symlink).";
    FileName = "E024", "file-name", "A spec's file or folder name is not UTF-8 or holds a control or line-break character (it could not be shown on one line of a log).";
    Dagster = "E025", "dagster", "`plan --resolve`: Dagster refuses the request as the runner would send it (no such job or code location, a partition key it does not have, a run config that does not fit the job, nothing to re-execute).";
    Overlap = "E026", "overlap", "Two active specs select some of the same partitions of the same job (or the same assets), and neither says `on_overlap: allow`.";
    Internal = "E099", "internal", "The schema and the typed model disagree: a bug in dagster-scripts.";
}

impl fmt::Display for Code {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// One problem in one file.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Diagnostic {
    /// The file, as the user named it (or as found under `specs/`).
    pub path: PathBuf,
    /// Where in the file; `None` for problems of the whole file (cannot read it).
    pub span: Option<Span>,
    /// What kind of problem.
    pub code: Code,
    /// What is wrong, in one sentence.
    pub message: String,
    /// What to do about it, when there is something useful to say.
    pub hint: Option<String>,
    /// The text of the line the span starts on, for showing with a caret.
    pub line_text: Option<String>,
    /// Other places that explain the problem (the first copy of a duplicate
    /// key), each drawn under its own line; none by default.
    pub labels: Vec<Label>,
}

/// Another place in the file that explains a problem, with a few words on it
/// ("first given here"). The `human` format draws it under its line.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Label {
    /// Where.
    pub span: Span,
    /// What this place is to the problem.
    pub text: String,
    /// The text of the line the span starts on and of its neighbours, by line
    /// number: a drawing shows the line between two spans one line apart (a
    /// label whose line is not here is not drawn).
    pub lines: Vec<(usize, String)>,
}

impl Diagnostic {
    /// A problem of the whole file.
    pub fn file(path: &Path, code: Code, message: impl Into<String>) -> Diagnostic {
        Diagnostic {
            path: path.to_owned(),
            span: None,
            code,
            message: message.into(),
            hint: None,
            line_text: None,
            labels: Vec::new(),
        }
    }

    /// Adds a hint.
    pub fn with_hint(mut self, hint: impl Into<String>) -> Diagnostic {
        self.hint = Some(hint.into());
        self
    }

    /// Adds a labelled place (made by [`Lines::label`]).
    pub fn with_label(mut self, label: Label) -> Diagnostic {
        self.labels.push(label);
        self
    }

    /// The start of the span, or 1:1 for a whole-file problem.
    pub fn pos(&self) -> Pos {
        self.span.map_or(Pos { line: 1, col: 1 }, |s| s.start)
    }

    /// Whether the problem is with the environment (reading files, the template
    /// or the manifests it renders, `out/`) rather than with a spec: the command
    /// exits 2 instead of 1.
    pub fn is_io(&self) -> bool {
        matches!(
            self.code,
            Code::Io | Code::Template | Code::Manifest | Code::Conflict
        )
    }
}

impl fmt::Display for Diagnostic {
    /// `path:line:col: error[E011]: message`, on one line.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let Pos { line, col } = self.pos();
        write!(
            f,
            "{}:{line}:{col}: error[{}]: {}",
            escape(&self.path.to_string_lossy()),
            self.code,
            escape(&self.message)
        )
    }
}

/// `text` safe to print on one line of a terminal or a CI log: control
/// characters (C0, DEL, C1 with NEL) and the Unicode line and paragraph
/// separators are shown as escapes (`\n`, `\u{2028}`), so no text a spec or
/// its file name carries can start a line a log reads as a command (GitHub's
/// `::error::`, `::stop-commands::`) or rewrite what is shown (`\r`, ANSI).
pub fn escape(text: &str) -> Cow<'_, str> {
    if !text.chars().any(is_unprintable) {
        return Cow::Borrowed(text);
    }
    let mut out = String::with_capacity(text.len() + 8);
    for c in text.chars() {
        match c {
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if is_unprintable(c) => out.push_str(&format!("\\u{{{:x}}}", u32::from(c))),
            c => out.push(c),
        }
    }
    Cow::Owned(out)
}

/// A path as [`escape`] shows it (not UTF-8: with replacement characters).
pub fn escape_path(path: &Path) -> String {
    escape(&path.to_string_lossy()).into_owned()
}

/// A character that must not reach a log line raw: a control character
/// (C0, DEL, C1 with NEL) or a Unicode line or paragraph separator.
pub fn is_unprintable(c: char) -> bool {
    c.is_control() || matches!(c, '\u{2028}' | '\u{2029}')
}

/// The lines of a source text, to turn spans into the line they start on.
pub struct Lines<'a> {
    text: &'a str,
    starts: Vec<usize>,
}

impl<'a> Lines<'a> {
    /// Indexes the line starts of `text`.
    pub fn new(text: &'a str) -> Lines<'a> {
        let starts = std::iter::once(0)
            .chain(text.match_indices('\n').map(|(i, _)| i + 1))
            .collect();
        Lines { text, starts }
    }

    /// The text of line `line` (1-based), without its line break.
    pub fn get(&self, line: usize) -> Option<&'a str> {
        let start = *self.starts.get(line.checked_sub(1)?)?;
        let rest = &self.text[start..];
        let end = rest.find('\n').unwrap_or(rest.len());
        Some(rest[..end].strip_suffix('\r').unwrap_or(&rest[..end]))
    }

    /// A diagnostic located at `span`, carrying the line it starts on.
    pub fn diagnostic(
        &self,
        path: &Path,
        span: Span,
        code: Code,
        message: impl Into<String>,
    ) -> Diagnostic {
        Diagnostic {
            path: path.to_owned(),
            span: Some(span),
            code,
            message: message.into(),
            hint: None,
            line_text: self.get(span.start.line).map(str::to_owned),
            labels: Vec::new(),
        }
    }

    /// A label at `span`, carrying the line it starts on and its neighbours.
    pub fn label(&self, span: Span, text: impl Into<String>) -> Label {
        let line = span.start.line;
        Label {
            span,
            text: text.into(),
            lines: (line.saturating_sub(1)..=line + 1)
                .filter_map(|n| Some((n, self.get(n)?.to_owned())))
                .collect(),
        }
    }

    /// The position of byte offset `offset`.
    pub fn pos_of_byte(&self, offset: usize) -> Pos {
        let line = self.starts.partition_point(|&s| s <= offset);
        let start = self.starts[line - 1];
        let col = self
            .text
            .get(start..offset)
            .map_or(offset - start, |s| s.chars().count())
            + 1;
        Pos { line, col }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escape_keeps_every_text_on_one_visible_line() {
        assert_eq!(escape("specs/a.yaml"), "specs/a.yaml");
        assert_eq!(
            escape("a\n::error::x\r\t\u{1b}[31m\u{85}\u{2028}\u{2029}\u{7f}"),
            "a\\n::error::x\\r\\t\\u{1b}[31m\\u{85}\\u{2028}\\u{2029}\\u{7f}"
        );
        let d = Diagnostic::file(Path::new("a\nb.yaml"), Code::Io, "x\n::stop-commands::t");
        assert_eq!(
            d.to_string(),
            "a\\nb.yaml:1:1: error[E001]: x\\n::stop-commands::t"
        );
    }
}

//! Diagnostics rendered for people and for CI.
//!
//! One list of [`Diagnostic`]s, four renderings: `human` (the source line and
//! a caret, like rustc), `json` (for tools), `github` (workflow commands that
//! annotate the pull request) and `gitlab` (a Code Quality report). Rendering
//! is pure: these functions return text and the binary decides where it goes.
//! Every path, message and hint is escaped for its format, so no text a spec
//! or its file name holds can start a line that a CI log acts on.

use std::fmt::Write as _;

use serde_json::{Value, json};
use sha2::{Digest, Sha256};

pub use crate::diagnostic::draw::Colour;
use crate::diagnostic::{Diagnostic, draw, is_unprintable};

/// The output formats of `check` (and of `render` when specs are invalid).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Format {
    /// Source line, caret, code and hint, for a terminal.
    Human,
    /// One JSON document with every file and problem.
    Json,
    /// GitHub Actions workflow commands (`::error file=…,line=…,col=…::…`).
    Github,
    /// A GitLab Code Quality report (JSON).
    Gitlab,
}

/// What was checked: each file, and its problems (none when it is valid).
#[derive(Debug, Default)]
pub struct Summary {
    /// Every file checked, in order, with its problems.
    pub files: Vec<(std::path::PathBuf, Vec<Diagnostic>)>,
    /// Problems not tied to one spec file (a missing `specs/` directory).
    pub general: Vec<Diagnostic>,
}

impl Summary {
    /// Every problem, in file order.
    pub fn diagnostics(&self) -> impl Iterator<Item = &Diagnostic> {
        self.general
            .iter()
            .chain(self.files.iter().flat_map(|(_, d)| d))
    }

    /// Number of files with at least one problem.
    pub fn invalid(&self) -> usize {
        self.files.iter().filter(|(_, d)| !d.is_empty()).count()
    }

    /// The exit code: 0 all valid, 1 some spec invalid, 2 something could not be read.
    pub fn exit_code(&self) -> u8 {
        if self.diagnostics().any(Diagnostic::is_io) {
            2
        } else if self.diagnostics().next().is_some() {
            1
        } else {
            0
        }
    }

    /// One line for the end of a human report.
    pub fn tally(&self) -> String {
        let n = self.files.len();
        let problems = self.diagnostics().count();
        let specs = if n == 1 { "spec" } else { "specs" };
        match (self.invalid(), problems) {
            (_, 0) => format!("checked {n} {specs}: all valid"),
            (bad, p) => format!(
                "checked {n} {specs}: {} valid, {bad} invalid ({p} problem{})",
                n - bad,
                if p == 1 { "" } else { "s" }
            ),
        }
    }
}

/// Renders every problem in `format`; `colour` applies to `human` only (the
/// others are read by programs).
pub fn render(summary: &Summary, format: Format, colour: Colour) -> String {
    match format {
        Format::Human => summary
            .diagnostics()
            .map(|d| draw::human(d, colour))
            .collect(),
        Format::Json => json_report(summary),
        Format::Github => summary.diagnostics().map(github).collect(),
        Format::Gitlab => gitlab(summary),
    }
}

/// rustc-style, without colour: message, location, the line with a caret
/// under the span, hint (see [`crate::diagnostic::draw`]).
///
/// Every text is shown on its own line: control and line-break characters in
/// a path, message, hint or source line are shown escaped, so nothing a spec
/// holds can start a line that a CI log reads as a command.
pub fn human(d: &Diagnostic) -> String {
    draw::human(d, Colour::Plain)
}

fn diagnostic_json(d: &Diagnostic) -> Value {
    let pos = d.pos();
    let end = d.span.map_or(pos, |s| s.end);
    json!({
        "path": d.path.to_string_lossy(),
        "line": pos.line,
        "column": pos.col,
        "end_line": end.line,
        "end_column": end.col,
        "code": d.code.as_str(),
        "name": d.code.slug(),
        "message": d.message,
        "hint": d.hint,
    })
}

fn json_report(summary: &Summary) -> String {
    let files: Vec<Value> = summary
        .files
        .iter()
        .map(|(path, ds)| json!({ "path": path.to_string_lossy(), "valid": ds.is_empty(), "diagnostics": ds.iter().map(diagnostic_json).collect::<Vec<_>>() }))
        .collect();
    let report = json!({
        "version": 1,
        "files": files,
        "errors": summary.general.iter().map(diagnostic_json).collect::<Vec<_>>(),
        "summary": {
            "files": summary.files.len(),
            "valid": summary.files.len() - summary.invalid(),
            "invalid": summary.invalid(),
            "problems": summary.diagnostics().count(),
        },
    });
    json_text(&report)
}

/// Pretty JSON, its line breaks its own: besides what JSON escapes itself, DEL,
/// the C1 controls (NEL among them) and the Unicode line separators are
/// written as `\u` escapes, which parse back to the same text.
fn json_text(value: &Value) -> String {
    let text = serde_json::to_string_pretty(value).unwrap_or_default();
    let mut out = String::with_capacity(text.len() + 1);
    for c in text.chars() {
        if c != '\n' && is_unprintable(c) {
            let _ = write!(out, "\\u{:04x}", u32::from(c));
        } else {
            out.push(c);
        }
    }
    out.push('\n');
    out
}

/// Workflow-command data (after `::`): `%`, CR and LF escaped, as GitHub unescapes them.
pub fn github_data(s: &str) -> String {
    s.replace('%', "%25")
        .replace('\r', "%0D")
        .replace('\n', "%0A")
}

/// A workflow-command property value (`file=`, `title=`): data escaping, and `:` and `,`.
pub fn github_property(s: &str) -> String {
    github_data(s).replace(':', "%3A").replace(',', "%2C")
}

/// A GitHub Actions `::error` workflow command, one line whatever the text holds.
pub fn github(d: &Diagnostic) -> String {
    let data = github_data;
    let prop = github_property;
    let pos = d.pos();
    let mut message = d.message.clone();
    if let Some(hint) = &d.hint {
        let _ = write!(message, " (hint: {hint})");
    }
    let mut location = format!(
        "file={},line={},col={}",
        prop(&d.path.to_string_lossy()),
        pos.line,
        pos.col
    );
    if let Some(span) = d
        .span
        .filter(|s| s.end.line == s.start.line && s.end.col > s.start.col)
    {
        let _ = write!(
            location,
            ",endLine={},endColumn={}",
            span.end.line, span.end.col
        );
    }
    format!(
        "::error {location},title={}::{}\n",
        prop(&format!("dagster-scripts {} {}", d.code, d.code.slug())),
        data(&message)
    )
}

fn gitlab(summary: &Summary) -> String {
    let issues: Vec<Value> = summary
        .diagnostics()
        .map(|d| {
            let pos = d.pos();
            let path = d.path.to_string_lossy();
            let identity = format!("{path}\0{}\0{}\0{}", d.code, pos.line, d.message);
            let fingerprint = crate::hash::hex(&Sha256::digest(identity.as_bytes())[..16]);
            let description = match &d.hint {
                Some(h) => format!("{}: {} (hint: {h})", d.code, d.message),
                None => format!("{}: {}", d.code, d.message),
            };
            json!({
                "description": description,
                "check_name": format!("dagster-scripts/{}", d.code.slug()),
                "fingerprint": fingerprint,
                "severity": "major",
                "location": { "path": path, "positions": { "begin": { "line": pos.line, "column": pos.col } } },
            })
        })
        .collect();
    json_text(&Value::Array(issues))
}

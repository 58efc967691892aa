//! `plan`: what `render` would change in `out/`, for a pull-request comment.
//!
//! Each added, changed or removed Job with its issue, kind, target and what
//! it will launch, so a reviewer sees the effect of a spec change without
//! reading manifests. Markdown for people, JSON for tools.
//!
//! The comment is posted where Markdown and HTML act (links, images,
//! mentions, raw HTML), and its values come from specs: every value is
//! written as a code span, fenced with more backticks than it holds, with
//! `|` escaped for the table and no line break or control character left
//! raw, so nothing a spec says can act there.

use std::collections::BTreeMap;

use serde::Serialize;
use serde_json::json;

use crate::pipeline::Build;
use crate::render::{KUSTOMIZATION, Meta, NETWORK_POLICY};
use crate::write::{Change, changes};

/// One Job that `render` would add, change or remove.
#[derive(Debug, Serialize)]
pub struct Entry {
    /// The file in `out/`.
    pub file: String,
    /// `add`, `change` or `remove`.
    pub action: &'static str,
    /// What the file in `out/` says it describes now, shown for reference
    /// (absent when added, or when its header does not read).
    pub before: Option<Meta>,
    /// What it will describe (absent when removed).
    pub after: Option<Meta>,
}

/// The entries, in file order; `kustomization.yaml` and the NetworkPolicy are not Jobs and are left out.
pub fn plan(build: &Build) -> Vec<Entry> {
    let rendered: BTreeMap<&str, &Meta> = build
        .rendered
        .iter()
        .map(|r| (r.file.as_str(), &r.meta))
        .collect();
    let after = |file: &str| rendered.get(file).map(|&meta| meta.clone());
    changes(&build.desired, &build.removed)
        .into_iter()
        .filter(|(file, _)| file != KUSTOMIZATION && file != NETWORK_POLICY)
        .map(|(file, change)| {
            let (action, before, after) = match change {
                Change::Added => ("add", None, after(&file)),
                Change::Changed(old) => ("change", old, after(&file)),
                Change::Removed(old) => ("remove", old, None),
            };
            Entry {
                file,
                action,
                before,
                after,
            }
        })
        .collect()
}

/// The plan as a Markdown comment.
pub fn markdown(entries: &[Entry]) -> String {
    let count = |a: &str| entries.iter().filter(|e| e.action == a).count();
    let mut text = format!(
        "### dagster-scripts plan: {} to add, {} to change, {} to remove\n\n",
        count("add"),
        count("change"),
        count("remove")
    );
    if entries.is_empty() {
        text.push_str("No changes: `out/` is up to date.\n");
        return text;
    }
    text.push_str(
        "| | file | Job | issue | kind | target | launches |\n| --- | --- | --- | --- | --- | --- | --- |\n",
    );
    for e in entries {
        let job = match (&e.before, &e.after) {
            (Some(b), Some(a)) if b.name != a.name => {
                format!("{} → {}", code(&b.name), code(&a.name))
            }
            (_, Some(m)) | (Some(m), None) => code(&m.name),
            (None, None) => String::new(),
        };
        let m = e.after.as_ref().or(e.before.as_ref());
        let field = |f: fn(&Meta) -> &str| m.map(|m| code(f(m))).unwrap_or_default();
        let launches = if e.action == "remove" {
            "nothing (the Job is deleted)".to_owned()
        } else {
            field(|m| &m.launches)
        };
        text.push_str(&format!(
            "| {} | {} | {job} | {} | {} | {} | {launches} |\n",
            e.action,
            code(&e.file),
            field(|m| &m.issue),
            m.map(|m| code(m.kind.as_str())).unwrap_or_default(),
            field(|m| &m.target),
        ));
    }
    text.push_str("\nA changed request gets a new Job; the runner recognises work it already launched and does not launch it twice.\n");
    text
}

/// `value` as an inert Markdown code span for a table cell: line breaks and
/// other control characters written as escapes (`\n`, `\u{85}`), fenced with
/// one backtick more than the longest run inside, padded with a space on
/// each side when it starts or ends with a backtick or a space (CommonMark
/// takes one away on each side), and `|` escaped (GFM splits cells before it
/// reads code spans).
pub fn code(value: &str) -> String {
    let mut inner = String::with_capacity(value.len());
    for c in value.chars() {
        if c.is_control() || matches!(c, '\u{2028}' | '\u{2029}') {
            inner.extend(c.escape_default());
        } else {
            inner.push(c);
        }
    }
    let mut longest = 0;
    let mut run = 0;
    for c in inner.chars() {
        run = if c == '`' { run + 1 } else { 0 };
        longest = longest.max(run);
    }
    let fence = "`".repeat(longest + 1);
    let inner = inner.replace('|', "\\|");
    if inner.is_empty() {
        return String::new();
    }
    let pad = if inner.starts_with(['`', ' ']) || inner.ends_with(['`', ' ']) {
        " "
    } else {
        ""
    };
    format!("{fence}{pad}{inner}{pad}{fence}")
}

/// The plan as JSON.
pub fn json(entries: &[Entry]) -> String {
    let mut text = serde_json::to_string_pretty(&json!({ "version": 1, "changes": entries }))
        .unwrap_or_default();
    text.push('\n');
    text
}

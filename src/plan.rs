//! `plan`: what `render` would change in `out/`, for a pull-request comment.
//!
//! Each added, changed or removed Job with its issue, kind, target and what
//! it will launch, so a reviewer sees the effect of a spec change without
//! reading manifests. Markdown for people, JSON for tools.

use std::collections::BTreeMap;

use serde::Serialize;
use serde_json::json;

use crate::out::{Change, Existing, KUSTOMIZATION, changes};
use crate::pipeline::Build;
use crate::render::{Meta, NETWORK_POLICY, read_meta};

/// One Job that `render` would add, change or remove.
#[derive(Debug, Serialize)]
pub struct Entry {
    /// The file in `out/`.
    pub file: String,
    /// `add`, `change` or `remove`.
    pub action: &'static str,
    /// What the file describes now (absent when added).
    pub before: Option<Meta>,
    /// What it will describe (absent when removed).
    pub after: Option<Meta>,
}

/// The entries, in file order; `kustomization.yaml` and the NetworkPolicy are not Jobs and are left out.
pub fn plan(build: &Build, existing: &Existing) -> Vec<Entry> {
    let rendered: BTreeMap<&str, &Meta> = build
        .rendered
        .iter()
        .map(|r| (r.file.as_str(), &r.meta))
        .collect();
    let after = |file: &str| rendered.get(file).map(|&meta| meta.clone());
    changes(&build.desired, existing)
        .into_iter()
        .filter(|(file, _)| file != KUSTOMIZATION && file != NETWORK_POLICY)
        .map(|(file, change)| {
            let (action, before) = match &change {
                Change::Added => ("add", None),
                Change::Changed(old) => ("change", read_meta(old)),
                Change::Removed(old) => ("remove", read_meta(old)),
            };
            let after = if action == "remove" {
                None
            } else {
                after(&file)
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
        "| | Job | issue | kind | target | launches |\n| --- | --- | --- | --- | --- | --- |\n",
    );
    for e in entries {
        let Some(m) = e.after.as_ref().or(e.before.as_ref()) else {
            continue;
        };
        let job = match (&e.before, &e.after) {
            (Some(b), Some(a)) if b.name != a.name => format!("`{}` → `{}`", b.name, a.name),
            _ => format!("`{}`", m.name),
        };
        let cell = |s: &str| s.replace('|', "\\|").replace('\n', " ");
        text.push_str(&format!(
            "| {} | {job} | {} | {} | {} | {} |\n",
            e.action,
            cell(&m.issue),
            m.kind,
            cell(&m.target),
            if e.action == "remove" {
                "nothing (the Job is deleted)".to_owned()
            } else {
                cell(&m.launches)
            }
        ));
    }
    text.push_str("\nA changed request gets a new Job; the runner recognises work it already launched and does not launch it twice.\n");
    text
}

/// The plan as JSON.
pub fn json(entries: &[Entry]) -> String {
    let mut text = serde_json::to_string_pretty(&json!({ "version": 1, "changes": entries }))
        .unwrap_or_default();
    text.push('\n');
    text
}

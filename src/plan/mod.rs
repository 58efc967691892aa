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
//! raw, so nothing a spec says can act there. What Dagster says (`plan
//! --resolve`, [`resolved`]) is written the same way.

pub mod resolved;

use std::collections::BTreeMap;

use serde::Serialize;
use serde_json::{Value, json};

use resolved::{Asked, Effect, Resolution, Resolved};

use crate::pipeline::Build;
use crate::render::{KUSTOMIZATION, Meta, NETWORK_POLICY};
use crate::resolve::handle::Handle;
use crate::write::{Change, changes};

/// One Job that `render` would add, change or remove.
#[derive(Debug, Serialize)]
pub struct Entry {
    /// The environment it runs in, when the settings name theirs.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub environment: Option<String>,
    /// The file in `out/` (in the environment's output folder).
    pub file: String,
    /// `add`, `change` or `remove`.
    pub action: &'static str,
    /// What the file in `out/` says it describes now, shown for reference
    /// (absent when added, or when its header does not read).
    pub before: Option<Meta>,
    /// What it will describe (absent when removed).
    pub after: Option<Meta>,
}

/// The entries of one environment, in file order; `kustomization.yaml` and the NetworkPolicy are not Jobs and are left out.
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
                environment: build.environment.as_ref().map(ToString::to_string),
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
    let environments = entries.iter().any(|e| e.environment.is_some());
    if environments {
        text.push_str(
            "| | environment | file | Job | issue | kind | target | launches |\n| --- | --- | --- | --- | --- | --- | --- | --- |\n",
        );
    } else {
        text.push_str(
            "| | file | Job | issue | kind | target | launches |\n| --- | --- | --- | --- | --- | --- | --- |\n",
        );
    }
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
        let environment = match (&e.environment, environments) {
            (Some(name), _) => format!(" {} |", code(name)),
            (None, true) => " |".to_owned(),
            (None, false) => String::new(),
        };
        text.push_str(&format!(
            "| {} |{environment} {} | {job} | {} | {} | {} | {launches} |\n",
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

/// The plan as JSON with what Dagster said (`plan --resolve`): [`json()`]'s
/// document, each added or changed request with a `resolved` object (when
/// Dagster answered), and a `dagster` object saying whom was asked and
/// whether it answered; with named environments, an `environments` list of
/// such objects, each with its `name`, instead.
pub fn json_resolved(entries: &[Entry], resolutions: &[Resolution]) -> String {
    let answers: Vec<&Resolved> = resolutions
        .iter()
        .flat_map(|r| match &r.asked {
            Asked::Answered(a) => a.as_slice(),
            Asked::Unreachable(_) | Asked::NoUrl(_) => &[],
        })
        .collect();
    let changes: Vec<Value> = entries
        .iter()
        .map(|e| {
            let mut v = serde_json::to_value(e).unwrap_or_default();
            if let (Some(r), Value::Object(map)) =
                (answers.iter().find(|r| r.file == e.file), &mut v)
            {
                map.insert("resolved".into(), resolved_json(r));
            }
            v
        })
        .collect();
    let asked = |r: &Resolution| {
        let (asked, error, set) = match &r.asked {
            Asked::Answered(_) => (true, None, None),
            Asked::Unreachable(why) => (false, Some(why), None),
            Asked::NoUrl(variable) => (false, None, Some(variable)),
        };
        let mut v = json!({ "url": r.dagster, "asked": asked, "error": error });
        if let (Some(name), Value::Object(map)) = (&r.environment, &mut v) {
            map.insert("name".into(), name.clone().into());
            map.insert("set".into(), set.cloned().into());
            if r.dagster.is_empty() {
                map.insert("url".into(), Value::Null);
            }
        }
        v
    };
    let document = match resolutions {
        [single] if single.environment.is_none() => json!({
            "version": 1,
            "changes": changes,
            "dagster": asked(single),
        }),
        _ => json!({
            "version": 1,
            "changes": changes,
            "environments": resolutions.iter().map(asked).collect::<Vec<_>>(),
        }),
    };
    let mut text = serde_json::to_string_pretty(&document).unwrap_or_default();
    text.push('\n');
    text
}

fn resolved_json(r: &Resolved) -> Value {
    let (effect, launch, why) = match &r.effect {
        Effect::Follows { launch, status } => {
            let kind = match launch {
                Handle::Backfill(_) => "backfill",
                Handle::Run(_) => "run",
            };
            (
                "refollows",
                json!({ "type": kind, "id": launch.id(), "status": status }),
                None,
            )
        }
        Effect::Launches(_) => ("launches", Value::Null, None),
        Effect::Cancels(what) => ("cancels", Value::Null, Some(what)),
        Effect::Nothing(why) => ("nothing", Value::Null, Some(why)),
    };
    json!({
        "request": r.request,
        "kind": r.kind,
        "target": r.target.as_ref().map(|t| json!({ "location": t.location, "repository": t.repository, "job": t.job })),
        "partitions": r.partitions,
        "succeeded": r.succeeded,
        "reruns": r.reruns,
        "reprocess": r.reprocessed.as_ref().map(|p| json!({
            "mode": p.reprocess.as_str(),
            "launching": p.launching,
            "failed": p.failed,
            "in_progress": p.in_progress,
            "never_run": p.never_run,
        })),
        "effect": effect,
        "launch": launch,
        "why": why,
        "in_flight": r.in_flight.iter().map(|f| json!({ "type": f.noun(), "id": f.id, "title": f.title, "status": f.status, "shared": f.shared })).collect::<Vec<_>>(),
        "on_overlap": r.on_overlap.map(|o| o.as_str()),
        "notes": r.notes,
    })
}

/// What Dagster said, as a section for the end of the Markdown comment:
/// per request, what the merge does there, or a note that Dagster could
/// not be asked.
pub fn markdown_resolved(resolution: &Resolution) -> String {
    let url = code(&resolution.dagster);
    let of = match &resolution.environment {
        Some(name) => format!(" of environment {}", code(name)),
        None => String::new(),
    };
    let answers = match &resolution.asked {
        Asked::Unreachable(why) => {
            return format!(
                "\n> **Dagster{of} at {url} could not be asked** ({}): this plan does not say what the merge launches or re-runs.\n",
                code(why)
            );
        }
        Asked::NoUrl(variable) => {
            return format!(
                "\n> **Dagster{of} was not asked**: no URL was given for it (set {}); this plan does not say what the merge launches or re-runs.\n",
                code(variable)
            );
        }
        Asked::Answered(answers) => answers,
    };
    let mut text = match &resolution.environment {
        Some(name) => format!("\n#### In Dagster ({url}), environment {}\n\n", code(name)),
        None => format!("\n#### In Dagster ({url})\n\n"),
    };
    if answers.is_empty() {
        text.push_str("No request to launch: nothing is added or changed.\n");
        return text;
    }
    text.push_str(
        "| file | where | partitions | already succeeded | the merge | in flight |\n| --- | --- | --- | --- | --- | --- |\n",
    );
    for r in answers {
        let place = r
            .target
            .as_ref()
            .map(|t| code(&format!("{}@{}", t.repository, t.location)))
            .unwrap_or_default();
        let succeeded = r.succeeded.map(|n| n.to_string()).unwrap_or_default();
        let effect = match &r.effect {
            Effect::Follows { launch, status } => format!(
                "re-follows {} {} ({}), launched already: launches nothing new",
                match launch {
                    Handle::Backfill(_) => "backfill",
                    Handle::Run(_) => "run",
                },
                code(launch.id()),
                code(status)
            ),
            Effect::Launches(what) => match &r.reprocessed {
                Some(p) => format!("launches new work: a {what} of {}", p.summary()),
                None => {
                    let mut t = format!("launches new work: a {what}");
                    if r.partitions > 0 {
                        t.push_str(&format!(" of {} partitions", r.partitions));
                    }
                    match r.reruns {
                        Some(n) if n > 0 => t.push_str(&format!(", re-runs {n} already done")),
                        _ => {}
                    }
                    t
                }
            },
            Effect::Cancels(what) => format!("cancels {}", code(what)),
            Effect::Nothing(why) => format!("launches nothing: {}", code(why)),
        };
        let in_flight: Vec<String> = r
            .in_flight
            .iter()
            .map(|f| {
                let name = f
                    .title
                    .as_deref()
                    .map(|t| format!("{} ", code(t)))
                    .unwrap_or_default();
                format!(
                    "{} {name}{} ({}) targets {} of these partitions",
                    f.noun(),
                    code(&f.id),
                    code(&f.status),
                    f.shared
                )
            })
            .collect();
        let mut in_flight = in_flight.join("; ");
        if let (Some(choice), false) = (r.on_overlap, r.in_flight.is_empty()) {
            in_flight.push_str(&format!(
                ": {}",
                crate::resolve::overlap::verdict(choice, &r.in_flight)
            ));
        }
        text.push_str(&format!(
            "| {} | {place} | {} | {succeeded} | {effect} | {in_flight} |\n",
            code(&r.file),
            r.partitions,
        ));
    }
    let notes: Vec<String> = answers
        .iter()
        .flat_map(|r| {
            r.notes
                .iter()
                .map(move |n| format!("- {}: {}\n", code(&r.file), code(n)))
        })
        .collect();
    if !notes.is_empty() {
        text.push('\n');
        text.extend(notes);
    }
    text
}

//! What a JSON Schema cannot say about one spec, checked on its parsed
//! value so that these problems are reported together with the schema's:
//! issue numbers read as written, ranges in order, dimension names unique,
//! a bounded number of partitions, overrides and Dagster tags the settings
//! allow.

use serde_json::Value;

use super::limits::Limits;
use super::parsed::Parsed;
use crate::diagnostic::{Code, Diagnostic};
use crate::pointer::push_pointer;
use crate::spec::resources::{Resource, exceeds, quantity_problem};
use crate::spec::{Date, Quantity};

/// Where an issue reference is written: it must be read as written.
const ISSUE_POINTERS: [&str; 2] = ["/tags/name", "/rerun_of"];

/// An unquoted issue number that YAML reads as another number than its text
/// (`034543` is 34543, `0x10` is 16, `1e5` is 100000) names another issue
/// than the one written; the schema sees only the number, so this is told
/// from the text.
pub(super) fn issue_numbers(parsed: &Parsed<'_>) -> Vec<Diagnostic> {
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
pub(super) fn semantic_checks(parsed: &Parsed<'_>, limits: &Limits) -> Vec<Diagnostic> {
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
            // `all` or `start`+`end` (their size depends on the keys Dagster
            // has), or a malformed entry the schema reports: counted by the runner.
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

/// `run_tags`' `dagster-k8s/config` against the settings: refused at its key
/// unless `[dagster] allow_k8s_config` opts in.
pub(super) fn k8s_config_check(parsed: &Parsed<'_>, limits: &Limits) -> Vec<Diagnostic> {
    let pointer = push_pointer("/run_tags", crate::spec::K8S_CONFIG);
    if limits.allow_k8s_config || parsed.document.value.pointer(&pointer).is_none() {
        return Vec::new();
    }
    let d = parsed.at_key(
        &pointer,
        Code::InvalidValue,
        format!(
            "`{}` changes the Kubernetes pods Dagster starts for these runs, and the settings do not allow it",
            crate::spec::K8S_CONFIG
        ),
    );
    vec![d.with_hint("remove it, or opt in with `allow_k8s_config = true` under `[dagster]` in dagster-scripts.toml (reviewed like any setting: it lets a request change images, volumes and service accounts of Dagster's pods)")]
}

/// A spec's `overrides` against the settings they are merged into: an
/// `image_tag` may not replace a digest pin, and the merged requests and
/// limits must be ones Kubernetes accepts. Reported at the override.
pub(super) fn override_checks(parsed: &Parsed<'_>, limits: &Limits) -> Vec<Diagnostic> {
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

/// The environment a spec names (`environment`) against the settings': the
/// limits it is held to (its environment's), and a problem at the value
/// when the settings do not define it.
pub(super) fn environment_check<'l>(
    parsed: &Parsed<'_>,
    limits: &'l Limits,
) -> (&'l Limits, Vec<Diagnostic>) {
    let pointer = "/environment";
    let name = parsed
        .document
        .value
        .pointer(pointer)
        .and_then(Value::as_str);
    if let Some(own) = limits.of_environment(name) {
        return (own, Vec::new());
    }
    let name = name.unwrap_or_default();
    if crate::spec::EnvironmentName::new(name).is_err() {
        // Not a name at all: the schema says so.
        return (limits, Vec::new());
    }
    let known: Vec<String> = limits
        .environments
        .iter()
        .flat_map(|e| e.keys())
        .map(|k| format!("`{k}`"))
        .collect();
    let d = if known.is_empty() {
        parsed
            .at_value(
                pointer,
                Code::InvalidValue,
                format!("this spec runs in environment `{name}`, but the settings define no environments"),
            )
            .with_hint("remove `environment` (the request runs where the settings say), or define `[environments.<name>]` tables in dagster-scripts.toml")
    } else {
        parsed
            .at_value(
                pointer,
                Code::InvalidValue,
                format!(
                    "no environment `{name}` in the settings; they define {}",
                    known.join(", ")
                ),
            )
            .with_hint("name one of them, or leave `environment` out to run in the default one (`default_environment`)")
    };
    (limits, vec![d])
}

//! Stage "render": one valid spec in, one manifest file (a Job and its
//! ConfigMap) out; and the files the tool writes beside them (the
//! kustomization, the NetworkPolicy).
//!
//! Rendering is a pure function of the spec's bytes, the settings, the
//! template and the tool's version: no clock, no randomness, no environment.
//! The Job's name carries a hash of the rendered manifest itself (rendered
//! once with a neutral name to take the hash), so the name changes exactly
//! when the content does. Every output is parsed back and checked before it
//! is accepted (see `policy`).

mod header;
mod job_name;
mod kustomization;
mod network;
mod policy;
mod runner;
mod template;

use std::path::Path;

use serde_json::{Map, Value, json};

pub use header::{MARKER, Meta, header, read_meta};
pub use job_name::{job_name, label_value};
pub use kustomization::{KUSTOMIZATION, kustomization};
pub use network::{NETWORK_POLICY, network_policy};
pub use runner::{RUNNER_COMMAND, SPEC_KEY, SPEC_MOUNT, USER_ID};
pub use template::{
    DEFAULT_TEMPLATE, TEMPLATE_NAME, Template, escape_unsafe, is_unsafe, quote, yaml_text,
};

use crate::diagnostic::Diagnostic;
use crate::hash::sha256_hex;
use crate::read::Loaded;
use crate::settings::{CA_MOUNT, CaBundle, Settings};
use crate::spec::{Dimension, Overrides, Spec};

/// One rendered manifest file.
#[derive(Clone, Debug)]
pub struct Rendered {
    /// File name within `out/`.
    pub file: String,
    /// The whole file; `None` once it has been compared with `out/` and
    /// written or dropped.
    pub text: Option<String>,
    /// Its description.
    pub meta: Meta,
}

/// Renders specs with one template and one set of settings.
pub struct Renderer {
    settings: Settings,
    template: Template,
    /// The template variables that depend on the settings alone, built once.
    fixed: Fixed,
}

/// What every spec's template context shares, so that rendering a spec only
/// adds what is its own.
struct Fixed {
    /// The variables no spec changes: namespace, service account, Dagster, tool.
    variables: Map<String, Value>,
    /// The settings' labels and the tool's own.
    labels: Map<String, Value>,
    /// The settings' annotations.
    annotations: Map<String, Value>,
    /// The variables a spec's `overrides` change, as they are without any.
    job: JobVariables,
    /// What the settings put into every pod, which the output must carry.
    expected: policy::Expected,
}

/// `image`, `deadline_seconds`, `resources` and `runner`.
#[derive(Clone)]
struct JobVariables([(&'static str, Value); 4]);

impl Renderer {
    /// A renderer.
    pub fn new(settings: Settings, template: Template) -> Renderer {
        let fixed = Fixed::new(&settings);
        Renderer {
            settings,
            template,
            fixed,
        }
    }

    /// The settings in use.
    pub fn settings(&self) -> &Settings {
        &self.settings
    }

    /// Renders `loaded` (read from `source`, the spec's path relative to the
    /// repository's root, with `/`) into the file `file`.
    pub fn render(
        &self,
        source: &str,
        file: &str,
        loaded: &Loaded,
    ) -> Result<Rendered, Vec<Diagnostic>> {
        let spec = &loaded.spec;
        let source = source.to_owned();
        // Render once with a stand-in name, hash that, then put the real name
        // in. The stand-in is derived from the spec's own text, so it cannot
        // occur in the spec or the settings by accident.
        let mut stand_in = String::from("dagster-scripts-name-");
        stand_in.push_str(&sha256_hex(loaded.text.as_bytes())[..32]);
        let context = self.context(spec, &loaded.text, &source, &stand_in);
        let draft = self.template.render(&context).map_err(|d| vec![d])?;
        let name = job_name(
            spec.kind(),
            spec.issue().as_str(),
            &sha256_hex(draft.as_bytes()),
        );
        let body = draft.trim_start_matches('\n').replace(&stand_in, &name);
        let meta = Meta {
            source,
            name,
            kind: spec.kind(),
            issue: spec.issue().to_string(),
            target: target(spec),
            launches: launches(spec),
        };
        let header = header(&meta);
        let mut text = String::with_capacity(header.len() + body.len());
        text.push_str(&header);
        text.push_str(&body);
        policy::check(
            &text,
            file,
            &meta.name,
            &loaded.text,
            &self.template.origin,
            &self.fixed.expected,
        )?;
        Ok(Rendered {
            file: file.to_owned(),
            text: Some(text),
            meta,
        })
    }

    /// The template's variables for one spec: the shared ones, then its own.
    fn context(&self, spec: &Spec, text: &str, source: &str, name: &str) -> tera::Context {
        let fixed = &self.fixed;
        let mut variables = fixed.variables.clone();
        let job = match spec.overrides() {
            Some(overrides) => JobVariables::new(&self.settings, overrides),
            None => fixed.job.clone(),
        };
        for (key, value) in job.0 {
            variables.insert(key.to_owned(), value);
        }
        let request_hash = spec.request_hash();
        let mut labels = fixed.labels.clone();
        let mut label = |key: &str, value: String| labels.insert(key.to_owned(), value.into());
        label(
            "dagster-scripts/kind",
            spec.kind().as_str().replace('_', "-"),
        );
        label("dagster-scripts/issue", label_value(spec.issue().as_str()));
        label("dagster-scripts/request", request_hash[..16].to_owned());
        let mut annotations = fixed.annotations.clone();
        let mut annotate =
            |key: &str, value: String| annotations.insert(key.to_owned(), value.into());
        annotate("dagster-scripts/source", source.to_owned());
        annotate("dagster-scripts/issue", spec.issue().to_string());
        annotate("dagster-scripts/request-hash", request_hash.clone());
        if let Some(reason) = spec.reason() {
            annotate("dagster-scripts/reason", reason.to_string());
        }
        if let Some(requester) = spec.requester() {
            annotate("dagster-scripts/requester", requester.to_string());
        }
        variables.insert("labels".to_owned(), labels.into());
        variables.insert("annotations".to_owned(), annotations.into());
        variables.insert(
            "spec".to_owned(),
            json!({
                "path": source,
                "text": text,
                "kind": spec.kind().as_str(),
                "issue": spec.issue().as_str(),
                "reason": spec.reason().map(|r| r.as_str()),
                "requester": spec.requester().map(|r| r.as_str()),
                "target": target(spec),
                "request_hash": request_hash,
                "value": spec,
            }),
        );
        variables.insert("name".to_owned(), name.into());
        // Moves the values in (`Context::insert` would copy each through
        // serde); an object always converts.
        tera::Context::from_value(Value::Object(variables)).unwrap_or_default()
    }
}

impl Fixed {
    fn new(s: &Settings) -> Fixed {
        let mut variables = Map::new();
        let mut var = |key: &str, value: Value| variables.insert(key.to_owned(), value);
        var("namespace", s.namespace.as_str().into());
        var(
            "service_account",
            s.service_account.as_ref().map(|a| a.as_str()).into(),
        );
        var(
            "automount_service_account_token",
            s.mount_service_account_token.into(),
        );
        var("user_id", USER_ID.into());
        var(
            "dagster",
            json!({
                "url": s.dagster.url.as_str(),
                "token_secret": s.dagster.token_secret,
                "ca_bundle": s.dagster.ca_bundle.as_ref().map(CaBundle::template_variables),
            }),
        );
        let pod = s.pod.template_variables();
        var("pod", pod.clone());
        var(
            "tool",
            json!({ "name": "dagster-scripts", "version": env!("CARGO_PKG_VERSION") }),
        );
        let mut labels: Map<String, Value> = s
            .labels
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string().into()))
            .collect();
        labels.insert("app.kubernetes.io/name".into(), RUNNER_COMMAND.into());
        labels.insert(
            "app.kubernetes.io/managed-by".into(),
            "dagster-scripts".into(),
        );
        let annotations = s
            .annotations
            .iter()
            .map(|(k, v)| (k.to_string(), v.clone().into()))
            .collect();
        let expected = policy::Expected {
            spec: s.pod.spec_fields(),
            labels: pod["labels"].as_object().cloned().unwrap_or_default(),
            annotations: pod["annotations"].as_object().cloned().unwrap_or_default(),
            cert_file: s
                .dagster
                .ca_bundle
                .as_ref()
                .map(|_| (CaBundle::cert_file(), CA_MOUNT.to_owned())),
        };
        Fixed {
            variables,
            labels,
            annotations,
            job: JobVariables::new(s, &Overrides::default()),
            expected,
        }
    }
}

impl JobVariables {
    /// The variables for a Job with the settings `s` and a spec's `overrides`.
    fn new(s: &Settings, overrides: &Overrides) -> JobVariables {
        let image = match &overrides.image_tag {
            Some(tag) => s.image.with_tag(tag.as_str()),
            None => s.image.clone(),
        };
        let deadline = overrides
            .deadline
            .as_ref()
            .unwrap_or(&s.deadline)
            .seconds()
            .max(60);
        let pick = |o: Option<&crate::spec::Quantity>, d: &crate::spec::Quantity| {
            o.unwrap_or(d).to_string()
        };
        let (req, lim) = overrides
            .resources
            .clone()
            .map(|r| (r.requests.unwrap_or_default(), r.limits.unwrap_or_default()))
            .unwrap_or_default();
        let resources = json!({
            "requests": { "cpu": pick(req.cpu.as_ref(), &s.resources.requests.cpu), "memory": pick(req.memory.as_ref(), &s.resources.requests.memory) },
            "limits": { "cpu": pick(lim.cpu.as_ref(), &s.resources.limits.cpu), "memory": pick(lim.memory.as_ref(), &s.resources.limits.memory) },
        });
        let mut env = vec![
            ("DAGSTER_URL", s.dagster.url.to_string()),
            (
                "DAGSTER_SCRIPTS_TIMEOUT",
                crate::duration::format(std::time::Duration::from_secs(deadline - 30)),
            ),
            (
                "DAGSTER_SCRIPTS_MAX_PARTITIONS",
                s.max_partitions.to_string(),
            ),
        ];
        // Only when set: without it the runner waits, and the Jobs render as before.
        if let Some(o) = s.runner.on_overlap {
            env.push(("DAGSTER_SCRIPTS_ON_OVERLAP", o.as_str().to_owned()));
        }
        if s.dagster.ca_bundle.is_some() {
            env.push(("SSL_CERT_FILE", CaBundle::cert_file()));
        }
        let runner = json!({
            "command": RUNNER_COMMAND,
            "mount_path": SPEC_MOUNT,
            "config_key": SPEC_KEY,
            "spec_file": format!("{SPEC_MOUNT}/{SPEC_KEY}"),
            "env": env.iter().map(|(name, value)| json!({ "name": name, "value": value })).collect::<Vec<_>>(),
        });
        JobVariables([
            ("image", image.as_str().into()),
            ("deadline_seconds", deadline.into()),
            ("resources", resources),
            ("runner", runner),
        ])
    }
}

/// The job a request launches, or its assets.
fn target(spec: &Spec) -> String {
    match spec {
        Spec::Backfill(b) => b.job_name.to_string(),
        Spec::Run(r) => r.job_name.to_string(),
        Spec::AssetBackfill(a) => a.selection().describe(),
        Spec::Materialize(m) => m.selection().describe(),
        Spec::Reexecute(x) => format!("failed runs of issue {}", x.rerun_of),
        Spec::Cancel(c) => format!("what issue {} launched", c.cancel_of),
    }
}

/// What a request launches, in words: "4 partitions", "1 run", "all of
/// `stations` x 2 partitions", "`hourly` from `2024-01-31-00:00` to
/// `2024-01-31-23:00` x all of `stations`" (how many keys `all` and a key
/// range take is known only to Dagster).
pub fn launches(spec: &Spec) -> String {
    match spec {
        Spec::Run(_) | Spec::Materialize(_) => "1 run".to_owned(),
        Spec::Cancel(_) => "nothing: cancels what has not ended".to_owned(),
        Spec::Reexecute(_) => "the failed runs, re-executed".to_owned(),
        Spec::Backfill(_) | Spec::AssetBackfill(_) => {
            let mut known: u64 = 1;
            let mut counted_any = false;
            let mut all = Vec::new();
            for d in spec.partitions() {
                match d {
                    Dimension::Dates(r) => {
                        counted_any = true;
                        known = known.saturating_mul(r.len());
                    }
                    Dimension::Values(v) => {
                        counted_any = true;
                        known = known.saturating_mul(v.values.len() as u64);
                    }
                    Dimension::All(a) => all.push(format!("all of `{}`", a.name)),
                    Dimension::Range(r) => {
                        all.push(format!("`{}` from `{}` to `{}`", r.name, r.start, r.end));
                    }
                }
            }
            let counted = format!("{known} partition{}", if known == 1 { "" } else { "s" });
            match (all.is_empty(), counted_any) {
                (true, _) => counted,
                (false, false) => all.join(" x "),
                (false, true) => format!("{} x {counted}", all.join(" x ")),
            }
        }
    }
}

/// The `out/` file for a spec at `relative` (to the specs folder): folders
/// joined with `--`, always `.yaml`.
pub fn out_file_name(relative: &Path) -> String {
    let stem = relative.with_extension("");
    let parts: Vec<String> = stem
        .components()
        .map(|c| c.as_os_str().to_string_lossy().into_owned())
        .collect();
    format!("{}.yaml", parts.join("--"))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn spec(v: serde_json::Value) -> Spec {
        serde_json::from_value(v).unwrap()
    }

    #[test]
    fn what_a_request_launches_counts_what_is_known_offline() {
        let seed = spec(serde_json::json!({
            "job_name": "ingestion_job",
            "tags": { "name": "1", "partitions": [
                { "name": "daily", "start_date": "2024-01-31", "end_date": "2024-02-01" },
                { "name": "stations", "values": ["NL01497", "NL01912"] },
            ] },
        }));
        assert_eq!(launches(&seed), "4 partitions");
        let ranged = spec(serde_json::json!({
            "job_name": "hourly_job",
            "tags": { "name": "1", "partitions": [
                { "name": "hourly", "start": "2024-01-31-00:00", "end": "2024-01-31-23:00" },
                { "name": "stations", "all": true },
            ] },
        }));
        assert_eq!(
            launches(&ranged),
            "`hourly` from `2024-01-31-00:00` to `2024-01-31-23:00` x all of `stations`"
        );
    }
}

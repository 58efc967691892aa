//! Checks on every rendered manifest, before it may be written.
//!
//! checkov and kubernetes-validate do not notice a Job that mounts a
//! ConfigMap no file defines (the seed's template did exactly that), a name
//! over 63 characters, or a spec that did not survive YAML quoting. These do,
//! by parsing the output back the way Kubernetes will.

use std::path::Path;

use serde_json::{Map, Value};

use super::job_name::MAX_NAME;
use super::runner::RUNNER_COMMAND;
use super::template::is_unsafe;
use crate::diagnostic::{Code, Diagnostic};
use crate::kube::{is_dns_label, is_label_value};
use crate::read::yaml::parse_documents;

/// Most bytes of data one ConfigMap may hold.
const MAX_CONFIGMAP: usize = 1024 * 1024;

/// What the settings put into every pod, which a template must render (one
/// copied before a setting existed would drop it without a word).
#[derive(Clone, Debug, Default)]
pub struct Expected {
    /// Fields of the pod spec, as Kubernetes spells them, and their values.
    pub spec: Map<String, Value>,
    /// Labels of the pod template.
    pub labels: Map<String, Value>,
    /// Annotations of the pod template.
    pub annotations: Map<String, Value>,
    /// `SSL_CERT_FILE` of the runner's container, and the folder mounted for it.
    pub cert_file: Option<(String, String)>,
}

/// Checks the manifest `text` rendered (from `template`) into `file` for a
/// Job called `name`, with what the settings put into its pod.
pub fn check(
    text: &str,
    file: &str,
    name: &str,
    spec_text: &str,
    template: &Path,
    expected: &Expected,
) -> Result<(), Vec<Diagnostic>> {
    let problems = problems(text, name, spec_text, expected);
    if problems.is_empty() {
        return Ok(());
    }
    Err(problems
        .into_iter()
        .map(|p| {
            Diagnostic::file(template, Code::Manifest, format!("the manifest rendered for out/{file} {p}"))
                .with_hint("the template must render one Job that runs dagster-scripts-runner on the spec from the ConfigMap beside it")
        })
        .collect())
}

fn problems(text: &str, name: &str, spec_text: &str, expected: &Expected) -> Vec<String> {
    // Kubernetes reads the file with go-yaml, which breaks lines where our
    // reader does not (or refuses the file): such a character must be escaped.
    if let Some((line, c)) = text
        .split('\n')
        .enumerate()
        .find_map(|(i, l)| l.chars().find(|&c| is_unsafe(c)).map(|c| (i + 1, c)))
    {
        return vec![format!(
            "holds the character U+{:04X} unescaped at line {line}; Kubernetes' YAML reader (go-yaml) would read it as a line break or refuse the file (a template must quote every value, e.g. with `{{{{ value }}}}` or `yaml_text`)",
            u32::from(c)
        )];
    }
    let documents = match parse_documents(text, Path::new("out")) {
        Ok(d) => d,
        Err(e) => {
            return e
                .iter()
                .map(|d| format!("is not valid YAML at line {}: {}", d.pos().line, d.message))
                .collect();
        }
    };
    let kinds: Vec<(&str, &str)> = documents
        .iter()
        .map(|d| (str_at(d, "/apiVersion"), str_at(d, "/kind")))
        .collect();
    let (Some(job), Some(config_map), 2) = (
        documents
            .iter()
            .find(|d| str_at(d, "/kind") == "Job" && str_at(d, "/apiVersion") == "batch/v1"),
        documents
            .iter()
            .find(|d| str_at(d, "/kind") == "ConfigMap" && str_at(d, "/apiVersion") == "v1"),
        documents.len(),
    ) else {
        let kinds: Vec<String> = kinds
            .iter()
            .map(|(api, kind)| format!("{api} {kind}"))
            .collect();
        let kinds = if kinds.is_empty() {
            "nothing".to_owned()
        } else {
            kinds.join(", ")
        };
        return vec![format!(
            "must hold exactly a batch/v1 Job and a v1 ConfigMap, not: {kinds}"
        )];
    };
    let mut out = Vec::new();
    for (what, doc) in [("Job", job), ("ConfigMap", config_map)] {
        let n = str_at(doc, "/metadata/name");
        if n != name {
            out.push(format!("names its {what} `{n}` instead of `{name}`"));
        }
        if !is_dns_label(n) || n.len() > MAX_NAME {
            out.push(format!("gives the {what} the name `{n}`, which is not a DNS label of at most {MAX_NAME} characters"));
        }
    }
    if str_at(job, "/metadata/namespace") != str_at(config_map, "/metadata/namespace") {
        out.push("puts the Job and the ConfigMap in different namespaces".to_owned());
    }
    for pointer in ["/metadata/labels", "/spec/template/metadata/labels"] {
        for (doc, what) in [(job, "Job"), (config_map, "ConfigMap")] {
            for (key, value) in at(doc, pointer)
                .and_then(Value::as_object)
                .into_iter()
                .flatten()
            {
                if !value.as_str().is_some_and(is_label_value) {
                    out.push(format!("gives the {what} label `{key}` the value {value}, which is not a valid label value"));
                }
            }
        }
    }
    settings_rendered(job, expected, &mut out);
    let data = at(config_map, "/data").and_then(Value::as_object);
    let size: usize = data
        .into_iter()
        .flatten()
        .map(|(k, v)| k.len() + v.as_str().map_or(0, str::len))
        .sum();
    if size > MAX_CONFIGMAP {
        out.push(format!(
            "holds {size} bytes in its ConfigMap, more than the 1 MiB Kubernetes allows"
        ));
    }
    // The runner must read this ConfigMap, through a volume of the Job, and get the spec byte for byte.
    let volume =
        items(job, "/spec/template/spec/volumes").find(|v| str_at(v, "/configMap/name") == name);
    let Some(volume_name) = volume.map(|v| str_at(v, "/name")) else {
        out.push("does not give the Job a volume of the ConfigMap beside it".to_owned());
        return out;
    };
    let runner = items(job, "/spec/template/spec/containers").find(|c| {
        at(c, "/command")
            .and_then(Value::as_array)
            .is_some_and(|cmd| cmd.first().and_then(Value::as_str) == Some(RUNNER_COMMAND))
    });
    let Some(runner) = runner else {
        out.push(format!(
            "has no container whose command is `{RUNNER_COMMAND}`"
        ));
        return out;
    };
    let mount = items(runner, "/volumeMounts").find(|m| str_at(m, "/name") == volume_name);
    let Some(mount_path) = mount.map(|m| str_at(m, "/mountPath").trim_end_matches('/')) else {
        out.push(format!(
            "does not mount the volume `{volume_name}` into the runner's container"
        ));
        return out;
    };
    let args: Vec<&str> = items(runner, "/args").filter_map(Value::as_str).collect();
    let key = args
        .iter()
        .find_map(|a| a.strip_prefix(mount_path)?.strip_prefix('/'));
    match key.and_then(|k| data.and_then(|d| d.get(k)).map(|v| (k, v))) {
        None => out.push(format!(
            "does not pass the runner a file of the ConfigMap mounted at {mount_path} (its args: {})",
            args.join(" ")
        )),
        Some((k, v)) if v.as_str() != Some(spec_text) => out.push(format!("does not carry the spec unchanged in the ConfigMap key `{k}`")),
        Some(_) => {}
    }
    out
}

/// Whether `job` carries what the settings put into its pod.
fn settings_rendered(job: &Value, expected: &Expected, out: &mut Vec<String>) {
    const HINT: &str = "a template copied before the setting existed must render it too: see the README, section \"Templates\"";
    let spec = at(job, "/spec/template/spec");
    for (field, value) in &expected.spec {
        if spec.and_then(|s| s.get(field)) != Some(value) {
            out.push(format!(
                "does not give the pod the settings' `{field}` ({HINT})"
            ));
        }
    }
    for (what, pointer, wanted) in [
        ("label", "/spec/template/metadata/labels", &expected.labels),
        (
            "annotation",
            "/spec/template/metadata/annotations",
            &expected.annotations,
        ),
    ] {
        let found = at(job, pointer).and_then(Value::as_object);
        for (key, value) in wanted {
            if found.and_then(|f| f.get(key)) != Some(value) {
                out.push(format!(
                    "does not give the pod the settings' {what} `{key}` ({HINT})"
                ));
            }
        }
    }
    if let Some((file, folder)) = &expected.cert_file {
        let runner = items(job, "/spec/template/spec/containers").find(|c| {
            at(c, "/command")
                .and_then(Value::as_array)
                .is_some_and(|cmd| cmd.first().and_then(Value::as_str) == Some(RUNNER_COMMAND))
        });
        let env_ok = runner.is_some_and(|r| {
            items(r, "/env")
                .any(|e| str_at(e, "/name") == "SSL_CERT_FILE" && str_at(e, "/value") == file)
        });
        let mount_ok = runner
            .is_some_and(|r| items(r, "/volumeMounts").any(|m| str_at(m, "/mountPath") == folder));
        if !env_ok || !mount_ok {
            out.push(format!(
                "does not mount the settings' `[dagster] ca_bundle` at {folder} with `SSL_CERT_FILE={file}` in the runner's container ({HINT})"
            ));
        }
    }
}

/// The items of the array at `pointer`; none when there is no array there.
fn items<'a>(v: &'a Value, pointer: &str) -> impl Iterator<Item = &'a Value> {
    at(v, pointer)
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
}

fn str_at<'a>(v: &'a Value, pointer: &str) -> &'a str {
    at(v, pointer).and_then(Value::as_str).unwrap_or("")
}

/// `v.pointer(pointer)` for pointers of plain keys (no `~` escapes), without
/// the allocations `Value::pointer` makes to unescape each token.
fn at<'a>(v: &'a Value, pointer: &str) -> Option<&'a Value> {
    pointer
        .split('/')
        .skip(1)
        .try_fold(v, |v, key| v.as_object()?.get(key))
}

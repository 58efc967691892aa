//! Rendered manifests as the cluster and its gatekeepers read them: `kubectl
//! kustomize` (what Flux and Argo CD apply), kubernetes-validate (Kubernetes'
//! own schemas, strict) and checkov (security policy). Each runs the pinned
//! tool from [`super::tools`] with a time limit and fails the test when the
//! tool itself cannot do its work.

use std::collections::BTreeSet;
use std::ffi::OsStr;
use std::path::Path;
use std::process::ExitStatus;
use std::time::Duration;

use serde_json::Value;

use super::tools;

/// The Kubernetes versions the manifests are validated for. 1.29: the oldest
/// whose schema takes a podFailurePolicy rule without `onPodConditions`
/// (README, "The Job"); 1.37: the newest kubernetes-validate ships.
pub const VERSIONS: [&str; 3] = ["1.29", "1.32", "1.37"];

/// What `kubectl kustomize dir` prints; fails the test if it fails.
pub fn kustomize_output(dir: &Path) -> String {
    let out = tools::output(
        tools::command("kubectl").arg("kustomize").arg(dir),
        Duration::from_secs(60),
    );
    assert!(
        out.status.success(),
        "kubectl kustomize {} failed:\n{}",
        dir.display(),
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).expect("UTF-8 output")
}

/// The documents `kubectl kustomize dir` prints, read back by a YAML 1.1
/// reader (PyYAML), as go-yaml reads them.
pub fn kustomize(dir: &Path) -> Vec<Value> {
    tools::yaml_text_documents(&kustomize_output(dir))
}

/// kubernetes-validate `--strict` on `files` for Kubernetes `version`: fails
/// the test unless every resource passes; returns its report (stdout, then
/// stderr) for the caller to count what passed.
pub fn validate(files: &[impl AsRef<OsStr>], version: &str) -> String {
    let out = tools::output(
        tools::command("kubernetes-validate")
            .args(["--strict", "-k", version])
            .args(files),
        Duration::from_secs(120),
    );
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(out.status.success(), "Kubernetes {version}: {text}");
    text
}

/// checkov's verdict on a folder of manifests.
pub struct Checkov {
    /// Its exit status (not success when a check failed).
    pub status: ExitStatus,
    /// Its JSON report.
    pub report: Value,
    /// Its standard error, for messages.
    pub stderr: String,
}

impl Checkov {
    /// The ids of the checks that failed, each once.
    pub fn failed(&self) -> BTreeSet<String> {
        self.report["results"]["failed_checks"]
            .as_array()
            .map(|checks| {
                checks
                    .iter()
                    .map(|c| c["check_id"].as_str().expect("a check id").to_owned())
                    .collect()
            })
            .unwrap_or_default()
    }
}

/// checkov's Kubernetes checks on every manifest of `dir` at once (its graph
/// checks look across files); fails the test if it prints no JSON report.
pub fn checkov(dir: &Path) -> Checkov {
    let out = tools::output(
        tools::command("checkov").arg("-d").arg(dir).args([
            "--framework",
            "kubernetes",
            "--skip-download",
            "--compact",
            "--output",
            "json",
        ]),
        Duration::from_secs(300),
    );
    let stdout = String::from_utf8_lossy(&out.stdout);
    let report = serde_json::from_str(&stdout).unwrap_or_else(|e| panic!("{e}: {stdout}"));
    Checkov {
        status: out.status,
        report,
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
    }
}

/// Runs [`checkov`] on `dir` and fails the test unless it read every
/// manifest and no check failed; returns the report's summary (how many
/// checks passed).
pub fn checkov_passes(dir: &Path) -> Value {
    let result = checkov(dir);
    let summary = &result.report["summary"];
    assert_eq!(summary["failed"], 0, "{summary}: {:?}", result.failed());
    assert_eq!(summary["parsing_errors"], 0, "{summary}");
    assert!(
        result.status.success(),
        "checkov failed: {summary}\n{}",
        result.stderr
    );
    summary.clone()
}

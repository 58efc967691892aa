//! The rendered manifests of every example spec, checked by the real tools
//! users and clusters apply: checkov, kubernetes-validate (strict, Kubernetes
//! 1.32) and `kubectl kustomize`. The tools are installed, pinned, by
//! `tests/tools/install.sh` (see `support::tools`); kubectl comes from PATH.

use std::fs;
use std::path::Path;

use crate::support::{kube, outcome, repo, run};

const DIGEST_SETTINGS: &str = "image = \"ghcr.io/dagster-scripts/runner:0.1.0@sha256:8d3c1b5b0a4e5f6d7c8b9a0f1e2d3c4b5a69788776655443322110ffeeddccbb\"\n";

/// A copy of the repository's specs rendered into a temporary `out/`.
fn rendered_examples(settings: Option<&str>) -> tempfile::TempDir {
    let dir = crate::support::temp_dir();
    fs::create_dir(dir.path().join("specs")).unwrap();
    for entry in fs::read_dir(repo().join("specs")).unwrap().flatten() {
        fs::copy(
            entry.path(),
            dir.path().join("specs").join(entry.file_name()),
        )
        .unwrap();
    }
    if let Some(s) = settings {
        fs::write(dir.path().join("dagster-scripts.toml"), s).unwrap();
    }
    let (code, _, err) = outcome(&run(dir.path(), &["render"]));
    assert_eq!(code, 0, "{err}");
    dir
}

fn manifests(out: &Path) -> Vec<String> {
    let mut files: Vec<String> = fs::read_dir(out)
        .unwrap()
        .flatten()
        .map(|e| e.path().to_string_lossy().into_owned())
        .filter(|p| {
            p.ends_with(".yaml")
                && !p.ends_with("kustomization.yaml")
                && !p.ends_with("_network-policy.yaml")
        })
        .collect();
    files.sort();
    assert!(files.len() >= 4, "{files:?}");
    files
}

#[test]
fn checkov_passes_every_check_when_the_image_is_pinned_by_digest() {
    let dir = rendered_examples(Some(DIGEST_SETTINGS));
    let summary = kube::checkov_passes(&dir.path().join("out"));
    assert!(
        summary["passed"].as_u64().unwrap_or(0) >= 80 * 4,
        "every check ran on every manifest: {summary}"
    );
}

#[test]
fn without_a_digest_only_the_image_pinning_checks_fail() {
    let dir = rendered_examples(None);
    let failed = kube::checkov(&dir.path().join("out")).failed();
    assert_eq!(
        failed.into_iter().collect::<Vec<_>>(),
        ["CKV_K8S_15", "CKV_K8S_43"],
        "as the README says"
    );
}

#[test]
fn kubernetes_validate_accepts_every_manifest_strictly() {
    let dir = rendered_examples(Some(DIGEST_SETTINGS));
    let mut files = manifests(&dir.path().join("out"));
    let jobs = files.len();
    files.push(
        dir.path()
            .join("out/_network-policy.yaml")
            .to_string_lossy()
            .into_owned(),
    );
    for version in kube::VERSIONS {
        let text = kube::validate(&files, version);
        assert_eq!(
            text.matches(" passed for resource ").count(),
            jobs * 2 + 1,
            "a Job and a ConfigMap per file, and the NetworkPolicy:\n{text}"
        );
    }
}

/// The runner's exit codes and their meaning, from the table in runner/README.md.
fn runner_exit_codes() -> Vec<(i64, String)> {
    let readme = fs::read_to_string(repo().join("runner/README.md")).unwrap();
    let table = readme
        .split("## Exit codes\n")
        .nth(1)
        .expect("runner/README.md has an \"Exit codes\" section");
    let mut codes = Vec::new();
    for line in table.lines().skip_while(|l| !l.starts_with('|')) {
        let Some(row) = line.strip_prefix("| ") else {
            break;
        };
        let (left, meaning) = row.split_once(" | ").unwrap();
        for code in left.split(" / ").filter_map(|c| c.trim().parse().ok()) {
            codes.push((code, meaning.to_owned()));
        }
    }
    assert!(codes.len() >= 7, "{codes:?}");
    codes
}

#[test]
fn jobs_survive_disruptions_retry_unreachable_and_stop_on_the_runners_verdicts() {
    let dir = rendered_examples(None);
    for file in manifests(&dir.path().join("out")) {
        let text = fs::read_to_string(&file).unwrap();
        let docs = dagster_scripts::read::yaml::parse_documents(&text, Path::new(&file)).unwrap();
        let spec = &docs[0]["spec"];
        assert_eq!(
            spec["template"]["spec"]["restartPolicy"], "Never",
            "podFailurePolicy requires it: {file}"
        );
        assert_eq!(spec["backoffLimit"], 3, "{file}");
        let rules = spec["podFailurePolicy"]["rules"].as_array().expect("rules");
        // A drain, an eviction or a preemption: retried, not counted.
        assert_eq!(rules[0]["action"], "Ignore");
        assert_eq!(
            rules[0]["onPodConditions"],
            serde_json::json!([{"type": "DisruptionTarget", "status": "True"}])
        );
        let container = spec["template"]["spec"]["containers"][0]["name"].clone();
        let mut by_code = std::collections::BTreeMap::new();
        for rule in &rules[1..] {
            let on = &rule["onExitCodes"];
            assert_eq!(on["containerName"], container, "{rule}");
            assert_eq!(on["operator"], "In", "{rule}");
            for code in on["values"].as_array().unwrap() {
                let action = rule["action"].as_str().unwrap();
                assert!(
                    by_code.insert(code.as_i64().unwrap(), action).is_none(),
                    "{code} in two rules"
                );
            }
        }
        // Every failure the runner reports has its rule: a verdict on the
        // request fails the Job at once, the rest is worth another pod.
        for (code, meaning) in runner_exit_codes().into_iter().filter(|(c, _)| *c != 0) {
            let expected = match code {
                4 | 130 | 143 => "Count",
                _ => "FailJob",
            };
            assert_eq!(
                by_code.remove(&code),
                Some(expected),
                "exit code {code} ({meaning}) in {file}"
            );
        }
        assert!(
            by_code.is_empty(),
            "codes the runner never exits with: {by_code:?}"
        );
    }
}

#[test]
fn kubectl_kustomize_builds_out() {
    let dir = rendered_examples(None);
    let out = dir.path().join("out");
    let text = kube::kustomize_output(&out);
    for file in manifests(&out) {
        let job = crate::support::job_name_in(Path::new(&file));
        assert!(
            text.contains(&format!("name: {job}")),
            "{job} missing from the build"
        );
    }
    assert_eq!(text.matches("kind: Job\n").count(), manifests(&out).len());
    assert_eq!(
        text.matches("kind: ConfigMap\n").count(),
        manifests(&out).len()
    );
    // And the repository's own out/ builds too.
    kube::kustomize_output(&repo().join("out"));
}

//! What the cluster reads is the reviewed text: every spec the suite uses,
//! and specs carrying the characters go-yaml (Kubernetes, kustomize, Flux,
//! Argo CD) reads as line breaks where YAML 1.2 does not (NEL U+0085, LINE
//! SEPARATOR U+2028, PARAGRAPH SEPARATOR U+2029) in comments, values and
//! file names, and file names kustomize could take for URLs, are rendered
//! and built by real `kubectl kustomize` (go-yaml); each ConfigMap's
//! `spec.yaml`, read back from kubectl's output, must be the spec file
//! byte for byte, and each Job's source annotation the spec's path.
//! kustomize turns a NEL into a space however it is written (raw or
//! escaped): a spec holding one raw is refused, located, by `check` and
//! `render` alike.
//!
//! kubectl comes from PATH (`/usr/bin/kubectl` here); without it the test
//! fails saying to install kubectl 1.27 or newer (see tests/tools/install.sh).

use std::collections::BTreeMap;
use std::fs;
use std::path::Path;

use serde_json::Value;

use crate::support::{SEED, apart, kube, outcome, repo, repo_with, run};

/// The seed for issue `issue`, with `extra` lines under `tags:` and `comment` on top.
fn seed(issue: u32, comment: &str, extra: &str) -> String {
    // Each of its own job: many such specs sit in one repository.
    format!(
        "{comment}{}",
        apart(
            SEED.replace(
                "  name: \"34543\"\n",
                &format!("  name: \"{issue}\"\n{extra}")
            ),
            issue
        )
    )
}

/// The specs with go-yaml line breaks, control characters and URL-like names.
fn line_break_specs() -> Vec<(String, String)> {
    let mut specs = Vec::new();
    let mut issue = 100;
    let mut add = |name: &str, comment: &str, extra: &str| {
        issue += 1;
        specs.push((name.to_owned(), seed(issue, comment, extra)));
    };
    for (c, tag) in [('\u{2028}', "ls"), ('\u{2029}', "ps")] {
        // In a comment: YAML 1.2 reads one comment, go-yaml a comment and a key.
        add(
            &format!("comment-{tag}.yaml"),
            &format!("# reviewed{c}injected: true\n"),
            "",
        );
        // Raw in a double-quoted value, and in a plain one.
        add(
            &format!("value-{tag}.yaml"),
            "",
            &format!("  reason: \"line{c}injected: true\"\n  requester: a{c}b\n"),
        );
        // Written as an escape in the spec.
        add(
            &format!("escaped-{tag}.yaml"),
            "",
            &format!("  reason: \"x\\u{:04x}kind: Secret\"\n", u32::from(c)),
        );
    }
    // A file name holding one is refused (E024, `hardening::no_output_line_is_a_workflow_command_but_our_annotations`).
    add("https:x.yaml", "", "");
    add("git@github.com:org.yaml", "", "");
    add("ssh:host.yaml", "", "");
    add("file:etc.yaml", "", "");
    // Control characters where a spec may hold them: free-form run config.
    let run = fs::read_to_string(repo().join("specs/run-34560.yaml")).unwrap();
    let run = run.replace(
        "        older_than_days: 90\n",
        "        older_than_days: 90\n        note: \"del\\x7f c1\\x9b cr\\r alone bom\\ufeff nel\\x85 ls\\u2028\"\n        raw: \"ls\u{2028}ps\u{2029}\"\n",
    );
    assert!(run.contains("note:"), "the run example changed");
    specs.push(("controls.yaml".to_owned(), run.replace("34560", "199")));
    specs
}

/// Spec files: name and bytes.
type Files = Vec<(String, Vec<u8>)>;

/// Every spec file the suite renders, in groups rendered together.
fn groups() -> Vec<(String, Files)> {
    let dir_specs = |dir: &Path| -> Vec<(String, Vec<u8>)> {
        let mut v: Vec<_> = fs::read_dir(dir)
            .unwrap()
            .flatten()
            .filter(|e| e.file_type().unwrap().is_file())
            .map(|e| {
                (
                    e.file_name().to_string_lossy().into_owned(),
                    fs::read(e.path()).unwrap(),
                )
            })
            .collect();
        v.sort();
        v
    };
    let mut groups = Vec::new();
    // The good fixtures are variations of one request: one repository each.
    for (name, bytes) in dir_specs(&repo().join("tests/fixtures/good")) {
        groups.push((format!("fixture {name}"), vec![(name, bytes)]));
    }
    groups.push(("specs/".to_owned(), dir_specs(&repo().join("specs"))));
    let long = "y".repeat(3000);
    let hostile: Vec<(String, Vec<u8>)> = crate::render::HOSTILE
        .iter()
        .copied()
        .chain([long.as_str()])
        .enumerate()
        .map(|(i, value)| {
            let q = serde_json::to_string(value).unwrap();
            let text = seed(
                1000 + u32::try_from(i).unwrap(),
                "",
                &format!("  reason: {q}\n  requester: {q}\n"),
            );
            (format!("hostile-{i:02}.yaml"), text.into_bytes())
        })
        .collect();
    groups.push(("hostile values".to_owned(), hostile));
    groups.push((
        "line breaks".to_owned(),
        line_break_specs()
            .into_iter()
            .map(|(n, t)| (n, t.into_bytes()))
            .collect(),
    ));
    groups
}

/// `kubectl kustomize out`, its documents read back by a YAML 1.1 reader
/// that breaks lines where go-yaml does (PyYAML).
fn kustomize(out: &Path) -> Vec<Value> {
    let kubectl = std::env::split_paths(&std::env::var_os("PATH").unwrap_or_default())
        .map(|d| d.join("kubectl"))
        .find(|p| p.is_file());
    assert!(
        kubectl.is_some(),
        "kubectl is not on PATH: install kubectl 1.27 or newer (it bundles kustomize v5), \
         e.g. `apt-get install kubectl` from the Kubernetes apt repository; see tests/tools/install.sh"
    );
    kube::kustomize(out)
}

#[test]
fn kubectl_reads_every_rendered_spec_byte_for_byte() {
    for (group, files) in groups() {
        let refs: Vec<(&str, &[u8])> = files
            .iter()
            .map(|(n, b)| (n.as_str(), b.as_slice()))
            .collect();
        let dir = repo_with(&refs);
        let (code, _, err) = outcome(&run(dir.path(), &["render"]));
        assert_eq!(code, 0, "{group}: {err}");
        // Nothing the tool wrote holds a go-yaml line break or control character raw.
        for entry in fs::read_dir(dir.path().join("out")).unwrap().flatten() {
            let text = fs::read_to_string(entry.path()).unwrap();
            let raw = text
                .chars()
                .find(|&c| dagster_scripts::render::is_unsafe(c));
            assert_eq!(
                raw,
                None,
                "{group}: {} holds it raw",
                entry.path().display()
            );
        }
        let docs = kustomize(&dir.path().join("out"));
        let sources: BTreeMap<String, &[u8]> = files
            .iter()
            .map(|(n, b)| (format!("specs/{n}"), b.as_slice()))
            .collect();
        let mut seen = BTreeMap::new();
        for doc in docs.iter().filter(|d| d["kind"] == "ConfigMap") {
            let source = doc["metadata"]["annotations"]["dagster-scripts/source"]
                .as_str()
                .unwrap_or_else(|| panic!("{group}: a ConfigMap without its source: {doc}"));
            let bytes = sources
                .get(source)
                .unwrap_or_else(|| panic!("{group}: source {source:?} is no spec file"));
            // The one byte the loader drops: a byte order mark at the start.
            let expected = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
            let got = doc["data"]["spec.yaml"].as_str().unwrap_or_default();
            assert!(
                got.as_bytes() == expected,
                "{group}: the cluster's copy of {source} differs from the file:\n{got:?}\n{:?}",
                String::from_utf8_lossy(expected)
            );
            seen.insert(source.to_owned(), ());
        }
        assert_eq!(
            seen.len(),
            files.len(),
            "{group}: one ConfigMap per spec, each once"
        );
        let jobs = docs.iter().filter(|d| d["kind"] == "Job").count();
        assert_eq!(jobs, files.len(), "{group}: one Job per spec");
        // Annotations carry the values as the spec had them.
        if group == "line breaks" {
            let job = docs
                .iter()
                .find(|d| {
                    d["kind"] == "Job"
                        && d["metadata"]["annotations"]["dagster-scripts/source"]
                            == "specs/value-ls.yaml"
                })
                .expect("the Job of value-ls.yaml");
            assert_eq!(
                job["metadata"]["annotations"]["dagster-scripts/reason"],
                "line\u{2028}injected: true"
            );
            assert!(
                job["metadata"]["annotations"].get("injected").is_none(),
                "{job}"
            );
        }
    }
}

#[test]
fn kustomize_changes_nel_so_a_spec_holding_one_is_refused_where_it_is() {
    // What kubectl does to it, so that this test notices if that ever changes.
    let dir = crate::support::temp_dir();
    fs::write(
        dir.path().join("cm.yaml"),
        "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: x\ndata:\n  k: \"a\\u0085b: c\"\n",
    )
    .unwrap();
    fs::write(
        dir.path().join("kustomization.yaml"),
        "resources:\n- ./cm.yaml\n",
    )
    .unwrap();
    let docs = kustomize(dir.path());
    assert_eq!(
        docs[0]["data"]["k"], "a b: c",
        "kustomize keeps NEL now: allow it again"
    );
    for (name, text) in [
        (
            "comment.yaml",
            seed(1, "# reviewed\u{85}injected: true\n", ""),
        ),
        ("value.yaml", seed(2, "", "  reason: \"a\u{85}b\"\n")),
    ] {
        let dir = repo_with(&[(name, text.as_bytes())]);
        for args in [&["render"][..], &["check"]] {
            let (code, _, err) = outcome(&run(dir.path(), args));
            assert_eq!(code, 1, "{name} {args:?}: {err}");
            assert!(
                err.contains("error[E004]") && err.contains("NEL (U+0085)"),
                "{name} {args:?}: {err}"
            );
            let line = if name == "comment.yaml" { 1 } else { 5 };
            assert!(err.contains(&format!("--> specs/{name}:{line}:")), "{err}");
        }
        let written = fs::read_dir(dir.path().join("out")).map_or(0, |d| d.count());
        assert_eq!(written, 0, "{name}: nothing written");
    }
}

//! `out/` is never trusted, and the spelling of a path changes nothing:
//! a forged manifest (body and header) is stale for `render --check`, a
//! change for `plan` and rewritten by `render`; every spelling of the same
//! paths gives the same verdict; entries of `out/` that are not regular
//! files, and an `out/` that leads out of the repository, are refused.

use std::fs;
use std::path::Path;

use dagster_scripts::hash::sha256_hex;

use crate::support::{SEED, another, outcome, repo_with, run};

fn render_ok(dir: &Path, args: &[&str]) -> String {
    let mut all = vec!["render"];
    all.extend_from_slice(args);
    let (code, _, err) = outcome(&run(dir, &all));
    assert_eq!(code, 0, "{err}");
    err
}

/// Every entry of `dir` (a symlink as its target's path) with its bytes.
fn tree(dir: &Path) -> Vec<(String, String)> {
    let mut out: Vec<(String, String)> = fs::read_dir(dir)
        .unwrap()
        .flatten()
        .map(|e| {
            let name = e.file_name().to_string_lossy().into_owned();
            let kind = e.file_type().unwrap();
            let what = if kind.is_symlink() {
                format!("-> {}", fs::read_link(e.path()).unwrap().display())
            } else if kind.is_dir() {
                "dir".to_owned()
            } else {
                fs::read_to_string(e.path()).unwrap_or_default()
            };
            (name, what)
        })
        .collect();
    out.sort();
    out
}

/// `text` (a rendered manifest) with its body edited by `edit` and its
/// header rewritten to match: whatever hashes of the body the header
/// records are recomputed (as the tool computes them), so the file
/// describes itself as intact.
fn forge(text: &str, edit: impl Fn(&str) -> String) -> String {
    let mut parts = text.splitn(3, '\n');
    let (marker, header, body) = (
        parts.next().unwrap(),
        parts.next().unwrap(),
        parts.next().unwrap(),
    );
    let body = edit(body);
    assert_ne!(
        body,
        text.splitn(3, '\n').nth(2).unwrap(),
        "the edit applies"
    );
    let json = header.strip_prefix("# dagster-scripts: ").unwrap();
    let mut meta: serde_json::Value = serde_json::from_str(json).unwrap();
    if meta.get("output").is_some() {
        meta["output"] = sha256_hex(body.as_bytes())[..32].into();
    }
    format!("{marker}\n# dagster-scripts: {meta}\n{body}")
}

#[test]
fn a_forged_manifest_is_stale_for_check_a_change_for_plan_and_rewritten_by_render() {
    let dir = repo_with(&[("a.yaml", SEED.as_bytes())]);
    render_ok(dir.path(), &[]);
    let file = dir.path().join("out/a.yaml");
    let honest = fs::read_to_string(&file).unwrap();
    type Edit = fn(&str) -> String;
    let edits: [(&str, Edit); 3] = [
        ("privileged", |b| {
            b.replace(
                "          allowPrivilegeEscalation: false\n",
                "          allowPrivilegeEscalation: true\n          privileged: true\n",
            )
        }),
        ("hostPath", |b| {
            b.replace(
                "      volumes:\n",
                "      volumes:\n      - name: host\n        hostPath:\n          path: /\n",
            )
        }),
        ("image", |b| {
            b.replace(
                "ghcr.io/dagster-scripts/runner:0.1.0",
                "evil.example/runner:latest",
            )
        }),
    ];
    for (what, edit) in edits {
        let forged = forge(&honest, edit);
        fs::write(&file, &forged).unwrap();
        let (code, diff, err) = outcome(&run(dir.path(), &["render", "--check"]));
        assert_eq!(code, 1, "{what}: render --check must call it stale\n{err}");
        assert!(diff.contains("--- a/out/a.yaml"), "{what}: {diff}");
        let (code, md, err) = outcome(&run(dir.path(), &["plan"]));
        assert_eq!(code, 0, "{err}");
        assert!(
            md.contains("0 to add, 1 to change, 0 to remove"),
            "{what}: plan must show the change\n{md}"
        );
        let err = render_ok(dir.path(), &[]);
        assert!(err.contains("wrote   out/a.yaml"), "{what}: {err}");
        assert_eq!(
            fs::read_to_string(&file).unwrap(),
            honest,
            "{what}: render rewrites the forged file"
        );
    }
}

#[test]
fn the_spelling_of_a_path_changes_no_verdict() {
    let dir = repo_with(&[
        ("a.yaml", SEED.as_bytes()),
        ("sub/b.yaml", another("2").as_bytes()),
    ]);
    fs::write(
        dir.path().join("dagster-scripts.toml"),
        "namespace = \"jobs\"\n",
    )
    .unwrap();
    render_ok(dir.path(), &[]);
    let committed = tree(&dir.path().join("out"));
    let base = dir.path().join(".dagster-scripts-base");
    fs::create_dir(&base).unwrap();
    copy_dir(&dir.path().join("out"), &base.join("out"));
    let abs_specs = dir.path().join("specs");
    let abs_specs = abs_specs.to_str().unwrap();
    let spellings: Vec<Vec<&str>> = vec![
        vec!["--specs", "specs/"],
        vec!["--specs", "./specs"],
        vec!["--specs", ".//specs//"],
        vec!["--specs", abs_specs],
        vec!["--settings", "./dagster-scripts.toml"],
        vec!["--settings", "dagster-scripts.toml"],
        vec!["--out", "./out"],
        vec!["--out", "out/"],
        vec!["--out", ".dagster-scripts-base/out"],
        vec!["--out", "./.dagster-scripts-base//out/"],
        vec!["--templates", "./templates/"],
    ];
    for args in &spellings {
        let mut check = vec!["render", "--check"];
        check.extend(args);
        let (code, diff, err) = outcome(&run(dir.path(), &check));
        assert_eq!(code, 0, "render --check {args:?}: {err}{diff}");
        assert!(err.contains("is current"), "{args:?}: {err}");
        let mut plan = vec!["plan"];
        plan.extend(args);
        let (code, md, err) = outcome(&run(dir.path(), &plan));
        assert_eq!(code, 0, "{err}");
        assert!(md.contains("No changes"), "plan {args:?}:\n{md}");
        let err = render_ok(dir.path(), &args[..]);
        assert!(
            err.contains("0 written, 0 removed"),
            "render {args:?}: {err}"
        );
    }
    assert_eq!(tree(&dir.path().join("out")), committed);
    assert_eq!(tree(&base.join("out")), committed);
    // The source the manifests record is the path from the repository's root.
    let text = fs::read_to_string(dir.path().join("out/sub--b.yaml")).unwrap();
    assert!(
        text.contains("dagster-scripts/source: specs/sub/b.yaml\n"),
        "{text}"
    );
}

fn copy_dir(from: &Path, to: &Path) {
    fs::create_dir_all(to).unwrap();
    for e in fs::read_dir(from).unwrap().flatten() {
        fs::copy(e.path(), to.join(e.file_name())).unwrap();
    }
}

#[cfg(unix)]
#[test]
fn a_directory_or_symlink_under_a_manifests_name_is_a_conflict_and_nothing_changes() {
    use std::os::unix::fs::symlink;
    let dir = repo_with(&[
        ("a.yaml", SEED.as_bytes()),
        ("b.yaml", another("2").as_bytes()),
    ]);
    render_ok(dir.path(), &[]);
    let out = dir.path().join("out");
    let elsewhere = crate::support::temp_dir();
    let target = elsewhere.path().join("target.yaml");
    let a = out.join("a.yaml");
    let honest = fs::read_to_string(&a).unwrap();
    fs::write(&target, &honest).unwrap();
    // Each: a symlink to a file holding the very bytes, a symlink to a
    // missing file, a directory; under a manifest's name, then under the
    // kustomization's.
    for name in ["b.yaml", "kustomization.yaml"] {
        let place = out.join(name);
        type Make<'a> = Box<dyn Fn() + 'a>;
        let kinds: [(&str, Make); 3] = [
            ("symlink", Box::new(|| symlink(&target, &place).unwrap())),
            (
                "dangling symlink",
                Box::new(|| symlink(elsewhere.path().join("nothing"), &place).unwrap()),
            ),
            ("directory", Box::new(|| fs::create_dir(&place).unwrap())),
        ];
        for (what, make) in kinds {
            fs::remove_file(&place).unwrap();
            make();
            // A change elsewhere, so that render has something to write.
            fs::write(
                dir.path().join("specs/a.yaml"),
                SEED.replace("2024-02-01", "2024-02-02"),
            )
            .unwrap();
            let before = tree(&out);
            for command in [&["render"][..], &["render", "--check"], &["plan"]] {
                let (code, _, err) = outcome(&run(dir.path(), command));
                assert_eq!(code, 2, "{name} as a {what}, {command:?}: {err}");
                assert!(err.contains("error[E023]"), "{name} as a {what}: {err}");
                let located = if name == "b.yaml" {
                    "--> specs/b.yaml"
                } else {
                    "--> out/kustomization.yaml"
                };
                assert!(err.contains(located), "{name} as a {what}: {err}");
            }
            assert_eq!(tree(&out), before, "{name} as a {what}: nothing changed");
            assert_eq!(
                fs::read_to_string(&target).unwrap(),
                honest,
                "the link's target is untouched"
            );
            // Put it back.
            if fs::symlink_metadata(&place).unwrap().is_dir() {
                fs::remove_dir(&place).unwrap();
            } else {
                fs::remove_file(&place).unwrap();
            }
            fs::write(dir.path().join("specs/a.yaml"), SEED).unwrap();
            render_ok(dir.path(), &[]);
            assert!(fs::symlink_metadata(&place).unwrap().is_file());
        }
    }
}

#[cfg(unix)]
#[test]
fn an_out_that_leads_out_of_the_repository_is_refused_before_anything_is_written() {
    use std::os::unix::fs::symlink;
    let dir = repo_with(&[("a.yaml", SEED.as_bytes())]);
    let outside = crate::support::temp_dir();
    fs::write(
        outside.path().join("keep.yaml"),
        "# Generated by dagster-scripts; do not edit.\nmine\n",
    )
    .unwrap();
    // out/ itself a link out of the repository.
    symlink(outside.path(), dir.path().join("out")).unwrap();
    // And a parent of out/ inside the repository a link out of it.
    symlink(outside.path(), dir.path().join("deploy")).unwrap();
    let before = tree(outside.path());
    for args in [
        &["render"][..],
        &["render", "--check"],
        &["plan"],
        &["render", "--out", "deploy/out"],
        &["render", "--out", "./deploy/sub/out"],
    ] {
        let (code, _, err) = outcome(&run(dir.path(), args));
        assert_eq!(code, 2, "{args:?}: {err}");
        assert!(
            err.contains("leads out of the repository"),
            "{args:?}: {err}"
        );
        assert_eq!(
            tree(outside.path()),
            before,
            "{args:?}: nothing written outside"
        );
    }
    // A link that stays inside the repository is fine.
    fs::create_dir(dir.path().join("real-out")).unwrap();
    symlink("real-out", dir.path().join("inside")).unwrap();
    render_ok(dir.path(), &["--out", "inside"]);
    assert!(dir.path().join("real-out/a.yaml").is_file());
}

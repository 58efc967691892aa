//! `render`, `render --check` and `plan`: determinism, what out/ holds, what
//! is never touched, settings and overrides, templates, and hostile values
//! that must not change a manifest's structure.

use std::fs;
use std::path::{Path, PathBuf};
use std::time::SystemTime;

use serde_json::Value;

use dagster_scripts::read::yaml::parse_documents;

use crate::support::{SEED, another, apart, outcome, repo_with, run};

/// Every file of `dir` with its bytes.
fn snapshot(dir: &Path) -> Vec<(PathBuf, Vec<u8>)> {
    let mut files: Vec<_> = fs::read_dir(dir)
        .map(|e| {
            e.flatten()
                .map(|e| (e.path(), fs::read(e.path()).unwrap_or_default()))
                .collect()
        })
        .unwrap_or_default();
    files.sort();
    files
}

fn documents(path: &Path) -> Vec<Value> {
    let text = fs::read_to_string(path).unwrap();
    parse_documents(&text, path).unwrap_or_else(|e| panic!("{}: {e:?}", path.display()))
}

fn render_ok(dir: &Path, args: &[&str]) -> String {
    let mut all = vec!["render"];
    all.extend_from_slice(args);
    let (code, _, err) = outcome(&run(dir, &all));
    assert_eq!(code, 0, "{err}");
    err
}

#[test]
fn the_seed_renders_with_no_settings_into_a_job_that_mounts_its_config_map() {
    let dir = repo_with(&[("backfill-34543.yaml", SEED.as_bytes())]);
    render_ok(dir.path(), &[]);
    let docs = documents(&dir.path().join("out/backfill-34543.yaml"));
    let [job, cm] = docs.as_slice() else {
        panic!("{docs:?}")
    };
    assert_eq!(
        (job["kind"].as_str(), cm["kind"].as_str()),
        (Some("Job"), Some("ConfigMap"))
    );
    let name = job["metadata"]["name"].as_str().unwrap();
    assert!(
        name.starts_with("backfill-34543-") && name.len() == "backfill-34543-".len() + 10,
        "{name}"
    );
    assert_eq!(cm["metadata"]["name"], name);
    assert_eq!(
        job["spec"]["template"]["spec"]["volumes"][0]["configMap"]["name"],
        name
    );
    assert_eq!(
        cm["data"]["spec.yaml"], SEED,
        "the spec travels byte for byte"
    );
    let container = &job["spec"]["template"]["spec"]["containers"][0];
    assert_eq!(
        container["command"],
        serde_json::json!(["dagster-scripts-runner"])
    );
    assert_eq!(
        container["args"],
        serde_json::json!(["/etc/dagster-scripts/spec.yaml"])
    );
    assert_eq!(
        container["volumeMounts"][0]["mountPath"],
        "/etc/dagster-scripts"
    );
    assert!(
        job["spec"].get("ttlSecondsAfterFinished").is_none(),
        "no TTL: Flux/Argo would re-create the Job"
    );
    let labels = &job["metadata"]["labels"];
    assert_eq!(labels["app.kubernetes.io/managed-by"], "dagster-scripts");
    assert_eq!(
        (
            labels["dagster-scripts/issue"].as_str(),
            labels["dagster-scripts/kind"].as_str()
        ),
        (Some("34543"), Some("backfill"))
    );
    assert_eq!(
        labels["dagster-scripts/request"].as_str().map(str::len),
        Some(16)
    );
    let kustomization = documents(&dir.path().join("out/kustomization.yaml"));
    assert_eq!(
        kustomization[0]["resources"],
        serde_json::json!(["./_network-policy.yaml", "./backfill-34543.yaml"])
    );
    let policy = documents(&dir.path().join("out/_network-policy.yaml"));
    assert_eq!(
        policy[0]["spec"]["podSelector"]["matchLabels"]["app.kubernetes.io/name"],
        job["metadata"]["labels"]["app.kubernetes.io/name"]
    );
    assert_eq!(
        policy[0]["spec"]["egress"][0]["ports"][0]["port"], 80,
        "the port of the default Dagster URL"
    );
}

#[test]
fn rendering_is_byte_identical_across_runs_and_places_and_skips_unchanged_files() {
    let specs: Vec<(String, Vec<u8>)> = fs::read_dir(crate::support::repo().join("specs"))
        .unwrap()
        .flatten()
        .map(|e| {
            (
                e.file_name().to_string_lossy().into_owned(),
                fs::read(e.path()).unwrap(),
            )
        })
        .collect();
    let files: Vec<(&str, &[u8])> = specs
        .iter()
        .map(|(n, b)| (n.as_str(), b.as_slice()))
        .collect();
    let a = repo_with(&files);
    let b = repo_with(&files);
    render_ok(a.path(), &[]);
    let first = snapshot(&a.path().join("out"));
    let mtimes: Vec<SystemTime> = first
        .iter()
        .map(|(p, _)| fs::metadata(p).unwrap().modified().unwrap())
        .collect();
    std::thread::sleep(std::time::Duration::from_millis(20));
    let err = render_ok(a.path(), &[]);
    // One Job a spec, the kustomization and the NetworkPolicy.
    let unchanged = format!("0 written, 0 removed, {} unchanged", specs.len() + 2);
    assert!(err.contains(&unchanged), "{err}");
    assert_eq!(snapshot(&a.path().join("out")), first);
    let again: Vec<SystemTime> = first
        .iter()
        .map(|(p, _)| fs::metadata(p).unwrap().modified().unwrap())
        .collect();
    assert_eq!(mtimes, again, "unchanged files are not rewritten");
    render_ok(b.path(), &[]);
    let strip = |s: Vec<(PathBuf, Vec<u8>)>| {
        s.into_iter()
            .map(|(p, b)| (p.file_name().unwrap().to_owned(), b))
            .collect::<Vec<_>>()
    };
    assert_eq!(
        strip(snapshot(&b.path().join("out"))),
        strip(first),
        "another folder renders the same bytes"
    );
    // And the repository's committed out/ is exactly what render produces.
    assert_eq!(
        strip(snapshot(&crate::support::repo().join("out"))),
        strip(snapshot(&b.path().join("out")))
    );
}

#[test]
fn out_tracks_specs_and_never_touches_foreign_files() {
    let dir = repo_with(&[
        ("a.yaml", SEED.as_bytes()),
        ("b.yaml", another("1").as_bytes()),
    ]);
    let out = dir.path().join("out");
    fs::create_dir(&out).unwrap();
    fs::write(out.join("README.md"), "mine").unwrap();
    fs::write(out.join("notes.yaml"), "kind: Note\n").unwrap();
    render_ok(dir.path(), &[]);
    fs::remove_file(dir.path().join("specs/b.yaml")).unwrap();
    let err = render_ok(dir.path(), &[]);
    assert!(err.contains("removed out/b.yaml"), "{err}");
    let names: Vec<String> = snapshot(&out)
        .into_iter()
        .map(|(p, _)| p.file_name().unwrap().to_string_lossy().into_owned())
        .collect();
    assert_eq!(
        names,
        [
            "README.md",
            "_network-policy.yaml",
            "a.yaml",
            "kustomization.yaml",
            "notes.yaml"
        ]
    );
    assert_eq!(
        fs::read_to_string(out.join("notes.yaml")).unwrap(),
        "kind: Note\n"
    );
    // A spec whose manifest would overwrite a file the tool did not write: refused, nothing written.
    fs::write(dir.path().join("specs/notes.yaml"), another("2")).unwrap();
    let before = snapshot(&out);
    let (code, _, err) = outcome(&run(dir.path(), &["render"]));
    assert_eq!(code, 2, "{err}");
    assert!(
        err.contains("error[E023]") && err.contains("dagster-scripts did not write"),
        "{err}"
    );
    assert_eq!(snapshot(&out), before);
}

#[test]
fn retired_specs_are_checked_but_not_rendered() {
    let dir = repo_with(&[
        ("a.yaml", SEED.as_bytes()),
        ("done/old.yaml", another("7").as_bytes()),
    ]);
    render_ok(dir.path(), &[]);
    assert!(!dir.path().join("out/done--old.yaml").exists());
    assert!(dir.path().join("out/a.yaml").exists());
    fs::write(dir.path().join("specs/done/old.yaml"), "job_nme: x\n").unwrap();
    assert_eq!(
        outcome(&run(dir.path(), &["check"])).0,
        1,
        "check still validates done/"
    );
}

#[test]
fn an_invalid_spec_leaves_out_untouched_and_is_reported_like_check() {
    let dir = repo_with(&[("a.yaml", SEED.as_bytes())]);
    render_ok(dir.path(), &[]);
    let before = snapshot(&dir.path().join("out"));
    fs::write(
        dir.path().join("specs/a.yaml"),
        SEED.replace("NL01912", "NL01497"),
    )
    .unwrap();
    fs::write(dir.path().join("specs/b.yaml"), "job_nme: x\n").unwrap();
    let (code, _, err) = outcome(&run(dir.path(), &["render"]));
    assert_eq!(code, 1, "{err}");
    let (_, _, check_err) = outcome(&run(dir.path(), &["check"]));
    assert!(
        err.starts_with(check_err.trim_end()),
        "same diagnostics as check:\n{err}\n---\n{check_err}"
    );
    assert!(err.contains("nothing was written"), "{err}");
    assert_eq!(snapshot(&dir.path().join("out")), before);
}

#[test]
fn render_check_and_plan_show_a_changed_spec() {
    let dir = repo_with(&[
        ("a.yaml", SEED.as_bytes()),
        ("gone.yaml", another("9").as_bytes()),
    ]);
    render_ok(dir.path(), &[]);
    let (code, _, err) = outcome(&run(dir.path(), &["render", "--check"]));
    assert_eq!(code, 0, "{err}");
    let old = documents(&dir.path().join("out/a.yaml"))[0]["metadata"]["name"]
        .as_str()
        .unwrap()
        .to_owned();
    fs::write(
        dir.path().join("specs/a.yaml"),
        SEED.replace("2024-02-01", "2024-02-03"),
    )
    .unwrap();
    fs::remove_file(dir.path().join("specs/gone.yaml")).unwrap();
    fs::write(dir.path().join("specs/new.yaml"), another("12")).unwrap();
    let before = snapshot(&dir.path().join("out"));
    let (code, out, err) = outcome(&run(dir.path(), &["render", "--check"]));
    assert_eq!(code, 1, "{err}");
    assert!(err.contains("run `dagster-scripts render`"), "{err}");
    assert!(
        out.contains("--- a/out/a.yaml")
            && out.contains("+++ b/out/new.yaml")
            && out.contains("--- a/out/gone.yaml"),
        "{out}"
    );
    assert!(
        out.lines()
            .any(|l| l.starts_with('-') && l.ends_with("end_date: '2024-02-01'")),
        "{out}"
    );
    assert!(
        out.lines()
            .any(|l| l.starts_with('+') && l.ends_with("end_date: '2024-02-03'")),
        "{out}"
    );
    assert_eq!(
        snapshot(&dir.path().join("out")),
        before,
        "--check writes nothing"
    );

    let (code, md, err) = outcome(&run(dir.path(), &["plan"]));
    assert_eq!(code, 0, "{err}");
    assert!(
        md.starts_with("### dagster-scripts plan: 1 to add, 1 to change, 1 to remove"),
        "{md}"
    );
    let changed = md.lines().find(|l| l.starts_with("| change |")).unwrap();
    assert!(
        changed.contains(&format!("`{old}` → `backfill-34543-")),
        "{changed}"
    );
    assert!(
        changed.contains("| `34543` | `backfill` | `ingestion_job` | `8 partitions` |"),
        "{changed}"
    );
    assert!(
        md.lines()
            .any(|l| l.starts_with("| add |") && l.contains("| `12` |")),
        "{md}"
    );
    assert!(
        md.lines()
            .any(|l| l.starts_with("| remove |") && l.contains("| `9` |")),
        "{md}"
    );

    let (code, json, _) = outcome(&run(dir.path(), &["plan", "--format", "json"]));
    assert_eq!(code, 0);
    let plan: Value = serde_json::from_str(&json).unwrap();
    let actions: Vec<&str> = plan["changes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["action"].as_str().unwrap())
        .collect();
    assert_eq!(
        actions,
        ["change", "remove", "add"],
        "by file: a.yaml, gone.yaml, new.yaml"
    );
    assert_eq!(plan["changes"][0]["file"], "a.yaml");
    assert_eq!(plan["changes"][0]["after"]["launches"], "8 partitions");

    render_ok(dir.path(), &[]);
    let (_, md, _) = outcome(&run(dir.path(), &["plan"]));
    assert!(
        md.contains("0 to add, 0 to change, 0 to remove") && md.contains("No changes"),
        "{md}"
    );
}

#[test]
fn settings_flags_and_spec_overrides_compose() {
    let spec = format!(
        "{SEED}overrides:\n  image_tag: \"0.9.1\"\n  deadline: 2h\n  resources:\n    limits:\n      memory: 128Mi\n"
    );
    let dir = repo_with(&[
        ("a.yaml", SEED.as_bytes()),
        ("b.yaml", apart(spec.replace("34543", "2"), 2).as_bytes()),
    ]);
    fs::write(
        dir.path().join("dagster-scripts.toml"),
        "namespace = \"data\"\nimage = \"registry.example/runner:1.0\"\nservice_account = \"runner\"\ndeadline = \"6h\"\n[dagster]\nurl = \"http://dagster.data.svc/prefix\"\ntoken_secret = { name = \"dagster-plus\", key = \"token\" }\n[resources.limits]\ncpu = \"1\"\nmemory = \"96Mi\"\n[labels]\nteam = \"data-platform\"\n[annotations]\n\"example.com/owner\" = \"Data platform, room 4\"\n[paths]\nout = \"manifests\"\n[runner]\non_overlap = \"refuse\"\n",
    )
    .unwrap();
    render_ok(dir.path(), &["--namespace", "override-ns"]);
    let a = &documents(&dir.path().join("manifests/a.yaml"))[0];
    assert_eq!(
        a["metadata"]["namespace"], "override-ns",
        "the flag wins over the file"
    );
    assert_eq!(a["metadata"]["labels"]["team"], "data-platform");
    assert_eq!(
        a["metadata"]["annotations"]["example.com/owner"],
        "Data platform, room 4"
    );
    assert_eq!(a["spec"]["activeDeadlineSeconds"], 6 * 3600);
    let pod = &a["spec"]["template"]["spec"];
    assert_eq!(pod["serviceAccountName"], "runner");
    let c = &pod["containers"][0];
    // A tag, not a digest: a digest pin may not be overridden by a spec.
    assert_eq!(c["image"], "registry.example/runner:1.0");
    assert_eq!(
        (
            c["resources"]["limits"]["cpu"].as_str(),
            c["resources"]["limits"]["memory"].as_str()
        ),
        (Some("1"), Some("96Mi"))
    );
    assert_eq!(
        c["resources"]["requests"]["memory"], "32Mi",
        "unset settings keep their defaults"
    );
    let env: Vec<(&str, &Value)> = c["env"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| (e["name"].as_str().unwrap(), e))
        .collect();
    assert_eq!(env[0].1["value"], "http://dagster.data.svc/prefix");
    let token = env
        .iter()
        .find(|(n, _)| *n == "DAGSTER_API_TOKEN")
        .unwrap()
        .1;
    assert_eq!(token["valueFrom"]["secretKeyRef"]["name"], "dagster-plus");
    let on_overlap = env
        .iter()
        .find(|(n, _)| *n == "DAGSTER_SCRIPTS_ON_OVERLAP")
        .unwrap()
        .1;
    assert_eq!(on_overlap["value"], "refuse", "[runner] on_overlap");
    let b = &documents(&dir.path().join("manifests/b.yaml"))[0];
    let c = &b["spec"]["template"]["spec"]["containers"][0];
    assert_eq!(
        c["image"], "registry.example/runner:0.9.1",
        "the spec's image tag wins"
    );
    assert_eq!(
        c["resources"]["limits"]["memory"], "128Mi",
        "the spec's limit wins"
    );
    assert_eq!(
        c["resources"]["limits"]["cpu"], "1",
        "what the spec leaves out comes from the settings"
    );
    assert_eq!(b["spec"]["activeDeadlineSeconds"], 7200);

    fs::write(
        dir.path().join("dagster-scripts.toml"),
        "namespace = \"data\"\n[dagster]\nurll = \"http://x\"\n",
    )
    .unwrap();
    let (code, _, err) = outcome(&run(dir.path(), &["render"]));
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("dagster-scripts.toml:3:1"), "{err}");
    assert!(err.contains("unknown field `urll`"), "{err}");
}

#[test]
fn template_overrides_and_their_errors() {
    let dir = repo_with(&[("a.yaml", SEED.as_bytes())]);
    fs::create_dir(dir.path().join("templates")).unwrap();
    let custom = dagster_scripts::render::DEFAULT_TEMPLATE
        .replace("backoffLimit: 3", "backoffLimit: 3\n  suspend: false");
    fs::write(dir.path().join("templates/job.yaml.tera"), &custom).unwrap();
    render_ok(dir.path(), &[]);
    assert_eq!(
        documents(&dir.path().join("out/a.yaml"))[0]["spec"]["suspend"],
        false
    );

    let undefined = custom.replace("backoffLimit: 3\n", "backoffLimit: {{ retries }}\n");
    fs::write(dir.path().join("templates/job.yaml.tera"), &undefined).unwrap();
    let line = undefined
        .lines()
        .position(|l| l.contains("{{ retries }}"))
        .unwrap()
        + 1;
    let (code, _, err) = outcome(&run(dir.path(), &["render"]));
    assert_eq!(code, 2, "{err}");
    assert!(
        err.contains(&format!("templates/job.yaml.tera:{line}:20")),
        "{err}"
    );
    assert!(err.contains("retries"), "{err}");

    fs::write(
        dir.path().join("templates/job.yaml.tera"),
        "kind: Job\n{% if %}\n",
    )
    .unwrap();
    let (code, _, err) = outcome(&run(dir.path(), &["render"]));
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("templates/job.yaml.tera:2:"), "{err}");

    // A template that forgets to mount the ConfigMap: the policy check refuses it.
    fs::write(
        dir.path().join("templates/job.yaml.tera"),
        dagster_scripts::render::DEFAULT_TEMPLATE.replace(
            "          name: {{ name }}\n---",
            "          name: other\n---",
        ),
    )
    .unwrap();
    let (code, _, err) = outcome(&run(dir.path(), &["render"]));
    assert_eq!(code, 2, "a template problem: {err}");
    assert!(
        err.contains("E022") && err.contains("volume of the ConfigMap"),
        "{err}"
    );
}

/// Values that would add keys or documents if pasted into YAML unquoted.
pub(crate) const HOSTILE: &[&str] = &[
    "x\"\ninjected: true",
    "x'\ninjected: true",
    "x\n---\nkind: Secret",
    "--- ",
    "...",
    "{{ name }}",
    "{% raw %}",
    "# comment",
    "a: b",
    "key: value # trailing",
    "- item",
    "[a, b]",
    "{a: b}",
    "&anchor value",
    "*alias",
    "!!binary aGk=",
    "| literal",
    "> folded",
    "@at `backtick`",
    "%TAG ! tag:x",
    "\\\" backslash quote",
    "tab\there",
    "ünïcödé ✓ 問題",
    "\u{202e}right-to-left",
    "line one\nline two\n",
    "trailing space ",
    "NO",
    "0x1F",
    "1e3",
];

#[test]
fn hostile_values_cannot_change_a_manifests_structure() {
    let benign = repo_with(&[("a.yaml", SEED.as_bytes())]);
    render_ok(benign.path(), &[]);
    let shape = |docs: &[Value]| {
        let mut paths = Vec::new();
        for d in docs {
            let mut strip = d.clone();
            // Where values are allowed to vary: reason/requester annotations and the spec text.
            if let Some(a) = strip
                .pointer_mut("/metadata/annotations")
                .and_then(Value::as_object_mut)
            {
                a.remove("dagster-scripts/reason");
                a.remove("dagster-scripts/requester");
            }
            collect_paths(&strip, String::new(), &mut paths);
        }
        paths
    };
    let expected = shape(&documents(&benign.path().join("out/a.yaml")));
    let long = "y".repeat(3000);
    for value in HOSTILE.iter().copied().chain([long.as_str()]) {
        let q = serde_json::to_string(value).unwrap();
        let spec = SEED.replace(
            "  name: \"34543\"\n",
            &format!("  name: \"34543\"\n  reason: {q}\n  requester: {q}\n"),
        );
        let dir = repo_with(&[("a.yaml", spec.as_bytes())]);
        render_ok(dir.path(), &[]);
        let docs = documents(&dir.path().join("out/a.yaml"));
        assert_eq!(shape(&docs), expected, "structure changed by {value:?}");
        assert_eq!(
            docs[0]["metadata"]["annotations"]["dagster-scripts/reason"], value,
            "{value:?}"
        );
        assert_eq!(docs[1]["data"]["spec.yaml"], spec.as_str(), "{value:?}");
    }
    // Hostile issue references end up in names and labels too.
    for issue in [
        "../../etc/passwd",
        "a b c",
        "#1 --- x",
        "ÅÄÖ",
        "x\"y",
        "9".repeat(200).as_str(),
    ] {
        let spec = SEED.replace("\"34543\"", &serde_json::to_string(issue).unwrap());
        let dir = repo_with(&[("a.yaml", spec.as_bytes())]);
        render_ok(dir.path(), &[]);
        let docs = documents(&dir.path().join("out/a.yaml"));
        assert_eq!(docs.len(), 2);
        assert_eq!(
            docs[0]["metadata"]["annotations"]["dagster-scripts/issue"],
            issue
        );
        assert!(docs[0]["metadata"]["name"].as_str().unwrap().len() <= 63);
    }
}

fn collect_paths(v: &Value, at: String, out: &mut Vec<String>) {
    match v {
        Value::Object(m) => m
            .iter()
            .for_each(|(k, c)| collect_paths(c, format!("{at}/{k}"), out)),
        Value::Array(a) => a
            .iter()
            .enumerate()
            .for_each(|(i, c)| collect_paths(c, format!("{at}/{i}"), out)),
        _ => out.push(at),
    }
}

#[cfg(unix)]
#[test]
fn a_render_killed_at_any_moment_leaves_old_or_new_files_and_the_next_render_repairs() {
    use std::process::{Command, Stdio};
    let old: Vec<(String, String)> = (0..300)
        .map(|i| (format!("s{i:03}.yaml"), another(&i.to_string())))
        .collect();
    let new: Vec<(String, String)> = old
        .iter()
        .map(|(n, t)| (n.clone(), t.replace("2024-02-01", "2024-02-02")))
        .collect();
    let files: Vec<(&str, &[u8])> = old
        .iter()
        .map(|(n, t)| (n.as_str(), t.as_bytes()))
        .collect();
    let dir = repo_with(&files);
    render_ok(dir.path(), &[]);
    let old_out = snapshot(&dir.path().join("out"));
    for (n, t) in &new {
        fs::write(dir.path().join("specs").join(n), t).unwrap();
    }
    render_ok(dir.path(), &[]);
    let new_out = snapshot(&dir.path().join("out"));
    let restore = |set: &[(String, String)]| {
        set.iter()
            .for_each(|(n, t)| fs::write(dir.path().join("specs").join(n), t).unwrap())
    };
    let mut interrupted = 0;
    for round in 0..100u64 {
        // Alternate between the two versions so every round has work to do.
        restore(if round % 2 == 0 { &old } else { &new });
        let mut child = Command::new(env!("CARGO_BIN_EXE_dagster-scripts"))
            .arg("render")
            .current_dir(dir.path())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        std::thread::sleep(std::time::Duration::from_micros(
            2_000 + (round * 7919) % 40_000,
        ));
        let _ = child.kill();
        let status = child.wait().unwrap();
        interrupted += usize::from(!status.success());
        for (path, bytes) in snapshot(&dir.path().join("out")) {
            let name = path.file_name().unwrap().to_string_lossy();
            assert!(!name.ends_with(".tmp") || name.starts_with('.'), "{name}");
            if name.starts_with('.') {
                continue; // a temporary file of the killed render, removed by the next one
            }
            let is =
                |set: &[(PathBuf, Vec<u8>)]| set.iter().any(|(p, b)| p == &path && b == &bytes);
            assert!(
                is(&old_out) || is(&new_out),
                "round {round}: {name} is neither the old nor the new version"
            );
        }
    }
    assert!(
        interrupted > 0,
        "no render was interrupted; the timing needs a look"
    );
    restore(&new);
    render_ok(dir.path(), &[]);
    assert_eq!(
        snapshot(&dir.path().join("out")),
        new_out,
        "the next render repairs everything"
    );
}

#[test]
fn hand_edits_and_new_settings_are_caught() {
    let dir = repo_with(&[("a.yaml", SEED.as_bytes())]);
    render_ok(dir.path(), &[]);
    let file = dir.path().join("out/a.yaml");
    let rendered = fs::read_to_string(&file).unwrap();
    fs::write(
        &file,
        rendered.replace("backoffLimit: 3", "backoffLimit: 0"),
    )
    .unwrap();
    let (code, diff, _) = outcome(&run(dir.path(), &["render", "--check"]));
    assert_eq!(code, 1);
    assert!(
        diff.contains("-  backoffLimit: 0") && diff.contains("+  backoffLimit: 3"),
        "{diff}"
    );
    render_ok(dir.path(), &[]);
    assert_eq!(
        fs::read_to_string(&file).unwrap(),
        rendered,
        "render repairs it"
    );
    // Other settings change the output of an unchanged spec.
    let err = render_ok(dir.path(), &["--namespace", "elsewhere"]);
    assert!(err.contains("wrote   out/a.yaml"), "{err}");
    assert!(
        fs::read_to_string(&file)
            .unwrap()
            .contains("namespace: elsewhere")
    );
}

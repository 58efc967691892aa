//! Hostile input, file-system faults and generated specs: nothing a user, a
//! file system or a concurrent process does may make the compiler panic, lose
//! a file or leave one half-written.

use std::fs;
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use proptest::prelude::*;
use serde_json::Value;

use dagster_scripts::read::{Limits, load};
use dagster_scripts::validate::SchemaValidator;

use crate::support::{SEED, another, outcome, repo_with, run, temp_dir};

fn snapshot(dir: &Path) -> Vec<(String, Vec<u8>)> {
    let mut files: Vec<_> = fs::read_dir(dir)
        .map(|e| {
            e.flatten()
                .map(|e| {
                    (
                        e.file_name().to_string_lossy().into_owned(),
                        fs::read(e.path()).unwrap_or_default(),
                    )
                })
                .collect()
        })
        .unwrap_or_default();
    files.sort();
    files
}

/// A repository with the seed rendered into out/.
fn rendered_repo() -> tempfile::TempDir {
    let dir = repo_with(&[("seed.yaml", SEED.as_bytes())]);
    let (code, _, err) = outcome(&run(dir.path(), &["render"]));
    assert_eq!(code, 0, "{err}");
    dir
}

fn alias_bomb() -> Vec<u8> {
    let mut text = String::from("a: &a [x, x, x, x, x, x, x, x, x]\n");
    for i in 1u8..10 {
        let (name, prev) = ((b'a' + i) as char, (b'a' + i - 1) as char);
        text.push_str(&format!(
            "{name}: &{name} [{}]\n",
            vec![format!("*{prev}"); 9].join(", ")
        ));
    }
    text.into_bytes()
}

#[test]
fn hostile_specs_get_located_errors_and_leave_out_untouched() {
    let partitions =
        |p: &str| format!("job_name: j\ntags:\n  name: \"1\"\n  partitions:\n{p}").into_bytes();
    let huge = {
        let mut b = SEED.as_bytes().to_vec();
        b.resize(100 * 1024 * 1024, b'\n');
        b
    };
    let cases: Vec<(&str, Vec<u8>, &str)> = vec![
        ("bomb.yaml", alias_bomb(), "E008"),
        ("huge.yaml", huge, "E002"),
        (
            "deep.yaml",
            format!("a: {}1\n", "[".repeat(50_000)).into_bytes(),
            "E005",
        ),
        (
            "deep-block.yaml",
            format!(
                "a:\n{}",
                (1..200)
                    .map(|i| format!("{}- \n", "  ".repeat(i)))
                    .collect::<String>()
            )
            .into_bytes(),
            "E010",
        ),
        ("nul.yaml", b"job_name: j\0\n".to_vec(), "E004"),
        ("latin1.yaml", b"job_name: caf\xe9\n".to_vec(), "E003"),
        (
            "bom-then-garbage.yaml",
            b"\xef\xbb\xbf\xff\xfe".to_vec(),
            "E003",
        ),
        (
            "tabs.yaml",
            b"job_name: j\ntags:\n\tname: \"1\"\n".to_vec(),
            "E005",
        ),
        (
            "crlf-typo.yaml",
            SEED.replace("job_name", "job_nme")
                .replace('\n', "\r\n")
                .into_bytes(),
            "E011",
        ),
        (
            "no-such-day.yaml",
            partitions("  - name: d\n    start_date: 2024-02-30\n    end_date: 2024-03-01\n"),
            "E016",
        ),
        (
            "two-digit-year.yaml",
            partitions("  - name: d\n    start_date: 24-01-31\n    end_date: 2024-02-01\n"),
            "E016",
        ),
        (
            "century.yaml",
            partitions(
                "  - name: d\n    start_date: 1924-01-01\n    end_date: 2023-12-31\n  - name: s\n    values: [a, b, c]\n",
            ),
            "E020",
        ),
        (
            "millions.yaml",
            partitions(
                "  - name: d\n    start_date: 1000-01-01\n    end_date: 9999-12-31\n  - name: s\n    values: [a, b]\n",
            ),
            "E020",
        ),
        (
            "all-yes.yaml",
            partitions("  - name: s\n    all: yes\n"),
            "E014",
        ),
        (
            "bool-value.yaml",
            partitions("  - name: s\n    values: [true]\n"),
            "E013",
        ),
    ];
    for (name, bytes, code) in cases {
        let dir = rendered_repo();
        let before = snapshot(&dir.path().join("out"));
        fs::write(dir.path().join("specs").join(name), &bytes).unwrap();
        let (exit, out, err) = outcome(&run(dir.path(), &["render", "--format", "json"]));
        assert_eq!(exit, 1, "{name}: {err}");
        let report: Value =
            serde_json::from_str(&out).unwrap_or_else(|e| panic!("{name}: {e}: {out}"));
        let file = report["files"]
            .as_array()
            .unwrap()
            .iter()
            .find(|f| f["path"] == format!("specs/{name}"))
            .unwrap_or_else(|| panic!("{name}: {report}"));
        let diagnostics = file["diagnostics"].as_array().unwrap();
        let d = diagnostics
            .iter()
            .find(|d| d["code"] == code)
            .unwrap_or_else(|| panic!("{name}: no {code} in {diagnostics:?}"));
        if code != "E002" {
            assert!(
                d["line"].as_u64().unwrap() >= 1 && d["column"].as_u64().unwrap() >= 1,
                "{name}: {d}"
            );
        }
        assert_eq!(
            snapshot(&dir.path().join("out")),
            before,
            "{name}: out/ was touched"
        );
    }
}

#[test]
fn yaml_1_1_booleans_are_text_where_text_is_expected() {
    let spellings = [
        "y", "Y", "yes", "Yes", "YES", "n", "N", "no", "No", "NO", "on", "On", "ON", "off", "Off",
        "OFF",
    ];
    let spec = format!(
        "job_name: j\ntags:\n  name: \"1\"\n  partitions:\n  - name: s\n    values: [{}]\n",
        spellings.join(", ")
    );
    let dir = repo_with(&[("bools.yaml", spec.as_bytes())]);
    let (code, _, err) = outcome(&run(dir.path(), &["render"]));
    assert_eq!(code, 0, "{err}");
    let text = fs::read_to_string(dir.path().join("out/bools.yaml")).unwrap();
    let docs = dagster_scripts::read::yaml::parse_documents(&text, Path::new("out")).unwrap();
    assert_eq!(docs[1]["data"]["spec.yaml"], spec.as_str());
    let loaded = load(
        Path::new("b.yaml"),
        spec.as_bytes(),
        &Limits::default(),
        None,
    )
    .unwrap();
    let dagster_scripts::spec::Dimension::Values(v) = &loaded.spec.partitions()[0] else {
        panic!()
    };
    assert_eq!(
        v.values.iter().map(|v| v.as_str()).collect::<Vec<_>>(),
        spellings
    );
}

#[test]
fn odd_file_names_render_and_build() {
    let dir = repo_with(&[
        ("with spaces.yaml", SEED.as_bytes()),
        ("ünïcode-問題.yml", another("2").as_bytes()),
    ]);
    let (code, _, err) = outcome(&run(dir.path(), &["render"]));
    assert_eq!(code, 0, "{err}");
    let names: Vec<String> = snapshot(&dir.path().join("out"))
        .into_iter()
        .map(|(n, _)| n)
        .collect();
    assert!(
        names.contains(&"with spaces.yaml".to_owned())
            && names.contains(&"ünïcode-問題.yaml".to_owned()),
        "{names:?}"
    );
    let built = crate::support::kube::kustomize_output(&dir.path().join("out"));
    assert_eq!(built.matches("kind: Job").count(), 2);
}

#[cfg(unix)]
#[test]
fn links_out_of_specs_loops_and_a_specs_file_are_refused_by_render_too() {
    use std::os::unix::fs::symlink;
    let dir = rendered_repo();
    let before = snapshot(&dir.path().join("out"));
    fs::write(dir.path().join("secret.yaml"), SEED).unwrap();
    symlink("../secret.yaml", dir.path().join("specs/link.yaml")).unwrap();
    symlink("loop.yaml", dir.path().join("specs/loop.yaml")).unwrap();
    let (code, _, err) = outcome(&run(dir.path(), &["render"]));
    assert_eq!(code, 2, "{err}");
    assert!(
        err.contains("points outside the specs directory") && err.contains("symlink loop"),
        "{err}"
    );
    assert_eq!(snapshot(&dir.path().join("out")), before);

    let dir = temp_dir();
    fs::write(dir.path().join("specs"), "a file").unwrap();
    let (code, _, err) = outcome(&run(dir.path(), &["render"]));
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("is a file, not a directory"), "{err}");
    assert!(!dir.path().join("out/kustomization.yaml").exists());
}

/// Makes `dir` unwritable (chmod for ordinary users; root ignores modes, so
/// the immutable attribute instead) and returns how to undo it.
fn make_read_only(dir: &Path) -> Box<dyn Fn()> {
    use std::os::unix::fs::PermissionsExt;
    fs::set_permissions(dir, fs::Permissions::from_mode(0o555)).unwrap();
    if fs::write(dir.join(".probe"), "").is_err() {
        let d = dir.to_owned();
        return Box::new(move || {
            fs::set_permissions(&d, fs::Permissions::from_mode(0o755)).unwrap()
        });
    }
    fs::remove_file(dir.join(".probe")).unwrap();
    fs::set_permissions(dir, fs::Permissions::from_mode(0o755)).unwrap();
    let status = Command::new("chattr")
        .arg("+i")
        .arg(dir)
        .status()
        .expect("chattr (e2fsprogs) to make a folder read-only as root");
    assert!(
        status.success(),
        "chattr +i failed: the file system must support the immutable attribute"
    );
    let d = dir.to_owned();
    Box::new(move || {
        Command::new("chattr").arg("-i").arg(&d).status().unwrap();
    })
}

#[cfg(unix)]
#[test]
fn a_read_only_out_is_a_clear_error_and_nothing_changes() {
    let dir = rendered_repo();
    let out = dir.path().join("out");
    fs::write(
        dir.path().join("specs/seed.yaml"),
        SEED.replace("NL01912", "NL01913"),
    )
    .unwrap();
    let before = snapshot(&out);
    let undo = make_read_only(&out);
    let (code, _, err) = outcome(&run(dir.path(), &["render"]));
    let after = snapshot(&out);
    undo();
    assert_eq!(code, 2, "{err}");
    assert!(
        err.contains("cannot write")
            && err.contains("out/")
            && (err.contains("ermission denied") || err.contains("not permitted")),
        "{err}"
    );
    assert_eq!(after, before);
    let (code, _, err) = outcome(&run(dir.path(), &["render"]));
    assert_eq!(code, 0, "once writable again, render succeeds: {err}");
}

#[cfg(target_os = "linux")]
#[test]
fn a_full_file_system_is_a_clear_error_and_the_next_render_repairs() {
    // out/ on a 256 KiB tmpfs in a private mount namespace: real ENOSPC, nothing leaks out.
    let dir = repo_of_seeds(200);
    let script = format!(
        "set -e; mkdir -p out held; mount -t tmpfs -o size=256k tmpfs out; \
         mv specs/s0[1-9]* specs/s1* held/; {bin} render 2> zero.err; ls -A out > before.txt; \
         cat out/* | sha256sum > before.sum; mv held/* specs/; \
         {bin} render > /dev/null 2> first.err && echo 0 > first.code || echo $? > first.code; \
         ls -A out > after.txt; cat out/* | sha256sum > after.sum; \
         mount -o remount,size=4m out; {bin} render 2> second.err; echo $? > second.code; {bin} render --check > /dev/null 2>&1; echo $? > check.code",
        bin = env!("CARGO_BIN_EXE_dagster-scripts")
    );
    let status = Command::new("unshare")
        .args(["--mount", "--propagation", "private", "sh", "-c", &script])
        .current_dir(dir.path())
        .stdin(Stdio::null())
        .status()
        .expect("unshare (util-linux)");
    assert!(
        status.success(),
        "needs root or user namespaces for a private tmpfs"
    );
    let read = |f: &str| fs::read_to_string(dir.path().join(f)).unwrap();
    assert_eq!(read("first.code").trim(), "2", "{}", read("first.err"));
    assert!(
        read("first.err").contains("No space left on device"),
        "{}",
        read("first.err")
    );
    // Manifests go to temporary files as they are rendered and are renamed
    // into place only once all are written: the disk filled before that, so
    // every temporary file is gone and out/ is as it was, byte for byte.
    assert_eq!(
        read("before.txt").lines().count(),
        12,
        "10 manifests, the NetworkPolicy and the kustomization: {}",
        read("zero.err")
    );
    assert_eq!(read("after.txt"), read("before.txt"), "the files in out/");
    assert_eq!(read("after.sum"), read("before.sum"), "their bytes");
    assert_eq!(read("second.code").trim(), "0", "{}", read("second.err"));
    assert_eq!(
        read("check.code").trim(),
        "0",
        "the repaired out/ is current"
    );
}

#[test]
fn two_renders_at_once_take_turns_and_agree() {
    let dir = repo_of_seeds(400);
    let spawn = || {
        Command::new(env!("CARGO_BIN_EXE_dagster-scripts"))
            .arg("render")
            .current_dir(dir.path())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap()
    };
    let (a, b) = (spawn(), spawn());
    let (a, b) = (a.wait_with_output().unwrap(), b.wait_with_output().unwrap());
    assert!(
        a.status.success() && b.status.success(),
        "{}\n{}",
        String::from_utf8_lossy(&a.stderr),
        String::from_utf8_lossy(&b.stderr)
    );
    let tallies = [a, b].map(|o| {
        String::from_utf8_lossy(&o.stderr)
            .lines()
            .last()
            .unwrap_or_default()
            .to_owned()
    });
    assert!(
        tallies.iter().any(|t| t.contains("402 written"))
            && tallies.iter().any(|t| t.contains("0 written")),
        "one wrote everything, the other found it done: {tallies:?}"
    );
    let (code, _, err) = outcome(&run(dir.path(), &["render", "--check"]));
    assert_eq!(code, 0, "{err}");
}

fn valid_text() -> impl Strategy<Value = String> {
    prop_oneof![
        "[A-Za-z][A-Za-z0-9 ]{0,20}",
        any::<String>().prop_filter("visible, no control characters", |s| {
            s.chars().any(|c| !c.is_whitespace() && !c.is_control())
                && !s.chars().any(|c| c.is_control() && c != '\n' && c != '\t')
                && s.chars().count() <= 200
                // `<...>` is a placeholder left in, which check refuses.
                && !dagster_scripts::spec::is_placeholder(s)
        }),
        Just("x\"\n---\nkind: Secret".to_owned()),
        Just("{{ name }} # not a comment: {a: b}".to_owned()),
    ]
}

fn valid_spec() -> impl Strategy<Value = Value> {
    let name = "[A-Za-z0-9_]{1,20}";
    let value = "[A-Za-z0-9 ._-]{1,12}"
        .prop_filter("no space at either end (Dagster has no such key)", |s| {
            !s.is_empty() && s.trim() == s
        });
    let date =
        (1990u16..2030, 1u8..=12, 1u8..=28).prop_map(|(y, m, d)| format!("{y:04}-{m:02}-{d:02}"));
    let dimension = prop_oneof![
        (name, date.clone(), 0u32..40).prop_map(|(n, start, len)| {
            let d: dagster_scripts::spec::Date = start.parse().unwrap();
            let end = (0..len).fold(d, |d, _| d.succ());
            serde_json::json!({ "name": n, "start_date": start, "end_date": end.to_string() })
        }),
        (name, proptest::collection::btree_set(value, 1..6))
            .prop_map(|(n, v)| serde_json::json!({ "name": n, "values": v })),
        name.prop_map(|n| serde_json::json!({ "name": n, "all": true })),
    ];
    let dims = proptest::collection::vec(dimension, 1..4).prop_map(|mut v| {
        for (i, d) in v.iter_mut().enumerate() {
            d["name"] = Value::from(format!("{}{i}", d["name"].as_str().unwrap()));
        }
        v
    });
    (name, valid_text(), valid_text(), "[0-9]{1,6}|[A-Z]{2,5}-[0-9]{1,4}", dims).prop_map(|(job, reason, requester, issue, partitions)| {
        serde_json::json!({
            "job_name": job,
            "tags": { "name": issue, "reason": reason, "requester": requester, "partitions": partitions },
        })
    })
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 256, ..ProptestConfig::default() })]

    /// No bytes at all make loading panic, and every rejection is reported.
    #[test]
    fn any_bytes_load_without_panic(bytes in proptest::collection::vec(any::<u8>(), 0..400)) {
        let validator = SchemaValidator::new();
        if let Err(diagnostics) = load(Path::new("x.yaml"), &bytes, &Limits::default(), Some(&validator)) {
            prop_assert!(!diagnostics.is_empty());
        }
    }

    /// Text that looks like a spec, mutated: never a panic; errors are located.
    #[test]
    fn mutated_specs_load_without_panic(cut in 0usize..300, insert in "[ -~\n\t]{0,12}") {
        let mut text = SEED.to_owned();
        let at = cut.min(text.len());
        text.insert_str(at, &insert);
        let validator = SchemaValidator::new();
        if let Err(diagnostics) = load(Path::new("x.yaml"), text.as_bytes(), &Limits::default(), Some(&validator)) {
            for d in diagnostics {
                prop_assert!(d.span.is_some() || matches!(d.code, dagster_scripts::diagnostic::Code::Empty), "{}", d);
            }
        }
    }

    /// Any spec `check` accepts renders to manifests that parse back, with the spec intact.
    #[test]
    fn every_accepted_spec_renders_to_manifests_that_parse_back(spec in valid_spec()) {
        let text = serde_json::to_string_pretty(&spec).unwrap();
        let validator = SchemaValidator::new();
        let loaded = load(Path::new("specs/x.yaml"), text.as_bytes(), &Limits::default(), Some(&validator));
        let loaded = match loaded {
            Ok(l) => l,
            Err(d) => { prop_assert!(false, "generated spec rejected: {:?}\n{}", d, text); unreachable!() }
        };
        let template = dagster_scripts::render::Template::compile("t".into(), dagster_scripts::render::DEFAULT_TEMPLATE.to_owned()).unwrap();
        let renderer = dagster_scripts::render::Renderer::new(dagster_scripts::settings::Settings::default(), template);
        let rendered = renderer.render("specs/x.yaml", "x.yaml", &loaded);
        let rendered = rendered.map_err(|d| TestCaseError::fail(format!("{d:?}")))?;
        let out = rendered.text.unwrap();
        let docs = dagster_scripts::read::yaml::parse_documents(&out, Path::new("out")).map_err(|d| TestCaseError::fail(format!("{d:?}")))?;
        prop_assert_eq!(docs.len(), 2);
        prop_assert_eq!(docs[1]["data"]["spec.yaml"].as_str(), Some(text.as_str()));
        prop_assert_eq!(&docs[0]["metadata"]["annotations"]["dagster-scripts/reason"], &spec["tags"]["reason"]);
    }
}

/// A repository with `n` copies of the seed, `s000.yaml` on, each for its own issue.
fn repo_of_seeds(n: usize) -> tempfile::TempDir {
    let specs: Vec<(String, String)> = (0..n)
        .map(|i| (format!("s{i:03}.yaml"), another(&i.to_string())))
        .collect();
    let files: Vec<(&str, &[u8])> = specs
        .iter()
        .map(|(n, t)| (n.as_str(), t.as_bytes()))
        .collect();
    repo_with(&files)
}

/// Runs the compiler in `dir` under `timeout`: a command that blocks (on a
/// FIFO, say) fails the test after 10 s instead of hanging it.
fn run_bounded(dir: &Path, args: &[&str]) -> (i32, String, String, Duration) {
    let started = Instant::now();
    let o = Command::new("timeout")
        .args(["-k", "2", "10"])
        .arg(env!("CARGO_BIN_EXE_dagster-scripts"))
        .args(args)
        .current_dir(dir)
        .env("NO_COLOR", "1")
        .stdin(Stdio::null())
        .output()
        .expect("timeout (coreutils) runs the compiler");
    let (code, out, err) = outcome(&o);
    assert_ne!(code, 124, "{args:?} blocked: {out}{err}");
    (code, out, err, started.elapsed())
}

fn mkfifo(path: &Path) {
    let status = Command::new("mkfifo").arg(path).status().expect("mkfifo");
    assert!(status.success(), "mkfifo {}", path.display());
}

#[cfg(unix)]
#[test]
fn fifos_sockets_and_devices_are_refused_without_blocking() {
    use std::os::unix::fs::symlink;
    let dir = rendered_repo();
    let d = dir.path();
    let before = snapshot(&d.join("out"));
    mkfifo(&d.join("specs/pipe.yaml"));
    symlink("pipe.yaml", d.join("specs/link-to-pipe.yaml")).unwrap();
    for args in [
        &["check"][..],
        &["check", "--format", "github"],
        &["check", "specs/pipe.yaml"],
        &["check", "specs/link-to-pipe.yaml"],
        &["render"],
        &["render", "--check"],
        &["plan"],
    ] {
        let (code, out, err, took) = run_bounded(d, args);
        assert_eq!(code, 2, "{args:?}: {out}{err}");
        assert!(
            format!("{out}{err}").contains("it is a FIFO (named pipe), not a regular file")
                || format!("{out}{err}").contains("a link to a FIFO"),
            "{args:?}: {out}{err}"
        );
        assert!(took < Duration::from_secs(5), "{args:?} took {took:?}");
    }
    assert_eq!(snapshot(&d.join("out")), before, "out/ untouched");
    // render released its lock on out/: with the FIFO gone it renders.
    fs::remove_file(d.join("specs/pipe.yaml")).unwrap();
    fs::remove_file(d.join("specs/link-to-pipe.yaml")).unwrap();
    assert_eq!(run_bounded(d, &["render"]).0, 0);

    let socket = std::os::unix::net::UnixListener::bind(d.join("specs/socket.yaml")).unwrap();
    let (code, _, err, _) = run_bounded(d, &["check"]);
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("it is a socket, not a regular file"), "{err}");
    drop(socket);
    fs::remove_file(d.join("specs/socket.yaml")).unwrap();

    // Named explicitly, outside specs/: a device is not read either.
    let (code, _, err, _) = run_bounded(d, &["check", "/dev/zero"]);
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("it is a device, not a regular file"), "{err}");

    // Nor is a settings file that is a FIFO, which every subcommand reads.
    mkfifo(&d.join("dagster-scripts.toml"));
    for args in [&["check"][..], &["new", "5"], &["render"]] {
        let (code, _, err, _) = run_bounded(d, args);
        assert_eq!(code, 2, "{args:?}: {err}");
        assert!(
            err.contains("cannot read the settings: it is a FIFO"),
            "{args:?}: {err}"
        );
    }
}

#[cfg(unix)]
#[test]
fn a_specs_folder_leading_out_of_the_repository_is_refused() {
    use std::os::unix::fs::symlink;
    let outer = temp_dir();
    let repo = outer.path().join("repo");
    let elsewhere = outer.path().join("elsewhere");
    fs::create_dir_all(&repo).unwrap();
    fs::create_dir_all(&elsewhere).unwrap();
    // Not a spec: today's check would print this line as an error's context.
    fs::write(
        elsewhere.join("id.yaml"),
        "aws_secret: hunter2-very-secret\n",
    )
    .unwrap();
    symlink("../elsewhere", repo.join("specs")).unwrap();
    symlink(&elsewhere, repo.join("linked")).unwrap();
    let cases: Vec<Vec<&str>> = vec![
        vec!["check"],
        vec!["check", "--format", "json"],
        vec!["check", "--specs", "linked"],
        vec!["render"],
        vec!["plan"],
    ];
    for args in &cases {
        let (code, out, err, _) = run_bounded(&repo, args);
        assert_eq!(code, 2, "{args:?}: {out}{err}");
        assert!(
            format!("{out}{err}").contains("leads out of the repository"),
            "{args:?}: {out}{err}"
        );
        assert!(
            !format!("{out}{err}").contains("hunter2"),
            "{args:?}: {out}{err}"
        );
    }
    assert!(!repo.join("out/kustomization.yaml").exists());
    // The settings cannot point there either.
    fs::remove_file(repo.join("specs")).unwrap();
    fs::write(
        repo.join("dagster-scripts.toml"),
        "[paths]\nspecs = \"../elsewhere\"\n",
    )
    .unwrap();
    let (code, _, err, _) = run_bounded(&repo, &["check"]);
    assert_eq!(code, 2, "{err}");
    assert!(!err.contains("hunter2"), "{err}");
    // A specs folder inside the repository, however it is spelled, is fine.
    fs::remove_file(repo.join("dagster-scripts.toml")).unwrap();
    fs::create_dir(repo.join("specs")).unwrap();
    fs::write(repo.join("specs/seed.yaml"), SEED).unwrap();
    let absolute = repo.join("specs").to_string_lossy().into_owned();
    let (code, _, err, _) = run_bounded(&repo, &["check", "--specs", &absolute]);
    assert_eq!(code, 0, "{err}");
}

/// A workflow command: its name, its properties and its data.
type WorkflowCommand = (String, Vec<(String, String)>, String);

/// The workflow commands of a GitHub log, property values and data
/// unescaped as the runner does.
fn workflow_commands(log: &str) -> Vec<WorkflowCommand> {
    let data = |s: &str| {
        s.replace("%0D", "\r")
            .replace("%0A", "\n")
            .replace("%25", "%")
    };
    let property = |s: &str| {
        s.replace("%0D", "\r")
            .replace("%0A", "\n")
            .replace("%3A", ":")
            .replace("%2C", ",")
            .replace("%25", "%")
    };
    log.lines()
        .filter_map(|line| {
            let rest = line.trim_start().strip_prefix("::")?;
            let (head, message) = rest.split_once("::")?;
            let (command, props) = head.split_once(' ').unwrap_or((head, ""));
            let props = props
                .split(',')
                .filter(|p| !p.is_empty())
                .map(|p| {
                    let (k, v) = p.split_once('=').unwrap_or((p, ""));
                    (k.to_owned(), property(v))
                })
                .collect();
            Some((command.to_owned(), props, data(message)))
        })
        .collect()
}

#[cfg(unix)]
#[test]
fn no_output_line_is_a_workflow_command_but_our_annotations() {
    use std::os::unix::ffi::OsStrExt;
    let name = "a\n::error::pwned.yaml";
    let key = "x\n::stop-commands::t";
    let with_key = format!("{}\"x\\n::stop-commands::t\": 1\n", another("2"));
    let dir = repo_with(&[
        (name, SEED.as_bytes()),
        ("cr\r::warning::x.yaml", another("3").as_bytes()),
        ("sep\u{2028}::notice::x.yaml", another("4").as_bytes()),
        ("nel\u{85}::debug::x/ok.yaml", another("5").as_bytes()),
        ("key.yaml", with_key.as_bytes()),
    ]);
    let d = dir.path();
    let latin1 = d
        .join("specs")
        .join(std::ffi::OsStr::from_bytes(b"caf\xe9.yaml"));
    fs::write(&latin1, another("6")).unwrap();

    let mut all = String::new();
    for args in [
        &["check"][..],
        &["check", "--format", "json"],
        &["check", "--format", "github"],
        &["check", "--format", "gitlab"],
        &["check", "specs/key.yaml", name],
        &["render"],
        &["render", "--format", "github"],
        &["render", "--check"],
        &["plan"],
        &["plan", "--format", "json"],
    ] {
        let (code, out, err, _) = run_bounded(d, args);
        assert_ne!(code, 0, "{args:?}: {out}{err}");
        for line in out.lines().chain(err.lines()) {
            let ours = line.starts_with("::error file=specs/")
                && line.contains(",title=dagster-scripts E0");
            assert!(
                ours || !line.trim_start().starts_with("::"),
                "{args:?} printed a workflow command: {line:?}\n{out}{err}"
            );
            // (An annotation's data is what GitHub unescapes: it keeps them.)
            assert!(
                ours || !line.contains(['\u{85}', '\u{2028}', '\u{2029}']),
                "{args:?}: a raw line separator in {line:?}"
            );
        }
        all.push_str(&out);
        all.push_str(&err);
    }
    // Every bad name is refused, located, with a hint to rename.
    for shown in [
        "a\\n::error::pwned.yaml",
        "cr\\r::warning::x.yaml",
        "sep\\u{2028}::notice::x.yaml",
        "nel\\u{85}::debug::x/ok.yaml",
        "caf\u{fffd}.yaml",
    ] {
        assert!(
            all.contains(&format!("--> specs/{shown}")),
            "{shown} not refused:\n{all}"
        );
    }
    assert!(all.contains("error[E024]: the spec's file name holds a line break (U+000A)"));
    assert!(all.contains("error[E024]: the spec's file name is not UTF-8"));
    assert!(all.contains("error[E024]: the spec's path holds a line break (U+0085)"));
    assert!(all.contains("hint: rename it to one line of visible characters"));
    assert!(
        all.contains("unknown key `x\\n::stop-commands::t`"),
        "{all}"
    );

    // The annotations carry the original text, escaped as GitHub unescapes it.
    let (_, out, _, _) = run_bounded(d, &["check", "--format", "github"]);
    let commands = workflow_commands(&out);
    assert!(
        commands.iter().all(|(c, _, _)| c == "error"),
        "{commands:?}"
    );
    let file = |props: &[(String, String)]| {
        props
            .iter()
            .find(|(k, _)| k == "file")
            .map(|(_, v)| v.clone())
            .unwrap_or_default()
    };
    assert!(
        commands
            .iter()
            .any(|(_, p, m)| file(p) == format!("specs/{name}")
                && m.contains("file name holds a line break")),
        "{commands:?}"
    );
    assert!(
        commands.iter().any(|(_, p, m)| file(p) == "specs/key.yaml"
            && m.starts_with(&format!("unknown key `{key}`"))
            && p.iter()
                .any(|(k, v)| k == "title" && v == "dagster-scripts E011 unknown-key")),
        "{commands:?}"
    );

    // Paths the compiler prints besides diagnostics: render's and new's.
    let clean = repo_with(&[("seed.yaml", SEED.as_bytes())]);
    let c = clean.path();
    fs::write(
        c.join("dagster-scripts.toml"),
        "[paths]\nout = \"out\\n::error::o\"\n",
    )
    .unwrap();
    let (code, out, err, _) = run_bounded(c, &["render"]);
    assert_eq!(code, 0, "{err}");
    assert!(err.contains("wrote   out\\n::error::o/seed.yaml"), "{err}");
    let (code, out2, err2, _) = run_bounded(c, &["new", "9", "--specs", "specs/n\n::error::n"]);
    assert_eq!(code, 0, "{err2}");
    assert_eq!(out2.trim(), "specs/n\\n::error::n/backfill-9.yaml");
    for line in [out, err, out2, err2].iter().flat_map(|t| t.lines()) {
        assert!(!line.trim_start().starts_with("::"), "{line:?}");
    }
}

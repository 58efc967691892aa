//! The `dagster-scripts` command as users and CI call it: exit codes,
//! output formats, discovery, hostile files, `--help`, `schema --check`.

use std::fs;

use serde_json::Value;

use crate::support::{SEED, outcome, repo, repo_with, run};

/// Two problems: a misspelt key (one error, with its suggestion) and a value listed twice.
const BAD: &[u8] = b"job_nme: ingestion_job\ntags:\n  name: \"1\"\n  partitions:\n  - name: daily\n    values: [a, a]\n";

#[test]
fn the_repository_examples_pass_with_exit_0() {
    let (code, _, err) = outcome(&run(&repo(), &["check"]));
    assert_eq!(code, 0, "{err}");
    assert!(err.contains("all valid"), "{err}");
}

#[test]
fn exit_codes_distinguish_valid_invalid_and_unreadable() {
    let dir = repo_with(&[("good.yaml", SEED.as_bytes()), ("bad.yaml", BAD)]);
    let d = dir.path();
    assert_eq!(outcome(&run(d, &["check", "specs/good.yaml"])).0, 0);
    assert_eq!(outcome(&run(d, &["check", "specs/bad.yaml"])).0, 1);
    assert_eq!(outcome(&run(d, &["check"])).0, 1);
    assert_eq!(outcome(&run(d, &["check", "specs/missing.yaml"])).0, 2);
    assert_eq!(outcome(&run(d, &["check", "--specs", "nowhere"])).0, 2);
    assert_eq!(
        outcome(&run(d, &["check", "--format", "xml"])).0,
        2,
        "usage error"
    );
    fs::create_dir(d.join("specs/dir.yaml")).unwrap();
    let (code, _, err) = outcome(&run(d, &["check", "specs/dir.yaml"]));
    assert_eq!(code, 2);
    assert!(
        err.contains("specs/dir.yaml:1:1: ") || err.contains("--> specs/dir.yaml"),
        "{err}"
    );
    assert!(err.contains("directory"), "{err}");
}

#[test]
fn every_problem_in_every_file_is_reported_in_one_run() {
    let two_problems =
        b"job_name: bad name\ntags:\n  name: \"\"\n  partitions:\n  - name: d\n    values: [a]\n";
    let dir = repo_with(&[
        ("a.yaml", BAD),
        ("b.yml", two_problems),
        ("c.yaml", SEED.as_bytes()),
        ("notes.txt", b"ignored"),
    ]);
    let (code, out, _) = outcome(&run(dir.path(), &["check", "--format", "json"]));
    assert_eq!(code, 1);
    let report: Value = serde_json::from_str(&out).unwrap();
    let files = report["files"].as_array().unwrap();
    let paths: Vec<&str> = files.iter().map(|f| f["path"].as_str().unwrap()).collect();
    assert_eq!(
        paths,
        ["specs/a.yaml", "specs/b.yml", "specs/c.yaml"],
        "sorted, yaml and yml, nothing else"
    );
    assert_eq!(report["summary"]["invalid"], 2);
    assert_eq!(
        files[0]["diagnostics"].as_array().unwrap().len(),
        2,
        "the misspelt key (not also a missing one) and the duplicate"
    );
    let b: Vec<&str> = files[1]["diagnostics"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| d["code"].as_str().unwrap())
        .collect();
    assert_eq!(b, ["E014", "E015"]);
    let first = &files[0]["diagnostics"][0];
    assert_eq!(
        (
            first["line"].as_u64(),
            first["column"].as_u64(),
            first["code"].as_str()
        ),
        (Some(1), Some(1), Some("E011"))
    );
    assert_eq!(first["hint"], "did you mean `job_name`?");
}

#[test]
fn human_format_shows_location_source_caret_code_and_hint() {
    let dir = repo_with(&[("bad.yaml", BAD)]);
    let (_, out, err) = outcome(&run(dir.path(), &["check"]));
    assert!(out.is_empty(), "human reports go to stderr: {out}");
    insta::assert_snapshot!(err);
}

/// Colour is for a terminal: forced by `CLICOLOR_FORCE`, never with
/// `NO_COLOR`, `CLICOLOR=0` or when piped, and never in a format for programs.
#[test]
fn human_format_is_coloured_only_when_asked_and_never_piped() {
    let dir = repo_with(&[("bad.yaml", BAD)]);
    let run_with = |args: &[&str], env: &[(&str, &str)]| {
        let mut command = std::process::Command::new(env!("CARGO_BIN_EXE_dagster-scripts"));
        command.args(args).current_dir(dir.path());
        for name in ["NO_COLOR", "CLICOLOR", "CLICOLOR_FORCE", "TERM"] {
            command.env_remove(name);
        }
        let (code, out, err) = outcome(&command.envs(env.iter().copied()).output().expect("runs"));
        assert_eq!(code, 1, "{err}");
        (out, err)
    };
    let coloured = |text: &str| text.contains('\u{1b}');
    let (_, err) = run_with(&["check"], &[("CLICOLOR_FORCE", "1")]);
    assert!(
        err.contains("\u{1b}[1m\u{1b}[91merror[E011]\u{1b}[0m"),
        "{err:?}"
    );
    let (_, err) = run_with(&["render"], &[("CLICOLOR_FORCE", "1")]);
    assert!(coloured(&err), "{err:?}");
    let plain = run_with(&["check"], &[]).1;
    assert!(!coloured(&plain), "piped: {plain:?}");
    for env in [
        &[("NO_COLOR", "1"), ("CLICOLOR_FORCE", "1")][..],
        &[("CLICOLOR_FORCE", "0")],
        &[("CLICOLOR", "0")],
    ] {
        assert_eq!(run_with(&["check"], env).1, plain, "{env:?}");
    }
    for format in ["json", "github", "gitlab"] {
        let (out, err) = run_with(&["check", "--format", format], &[("CLICOLOR_FORCE", "1")]);
        assert!(
            !coloured(&out) && !coloured(&err),
            "{format}: {out:?} {err:?}"
        );
    }
}

#[test]
fn github_format_is_workflow_annotations() {
    let dir = repo_with(&[("bad.yaml", BAD)]);
    let (code, out, _) = outcome(&run(dir.path(), &["check", "--format", "github"]));
    assert_eq!(code, 1);
    let lines: Vec<&str> = out.lines().collect();
    assert_eq!(lines.len(), 2, "{out}");
    assert!(lines[0].starts_with("::error file=specs/bad.yaml,line=1,col=1,endLine=1,endColumn=8,title=dagster-scripts E011 unknown-key::unknown key `job_nme`"), "{out}");
}

#[test]
fn gitlab_format_is_a_code_quality_report() {
    let dir = repo_with(&[("bad.yaml", BAD), ("good.yaml", SEED.as_bytes())]);
    let (code, out, _) = outcome(&run(dir.path(), &["check", "--format", "gitlab"]));
    assert_eq!(code, 1);
    let report: Value = serde_json::from_str(&out).unwrap();
    let issues = report.as_array().unwrap();
    assert_eq!(issues.len(), 2);
    for issue in issues {
        for key in ["description", "check_name", "fingerprint", "severity"] {
            assert!(issue[key].is_string(), "{key} in {issue}");
        }
        assert_eq!(issue["location"]["path"], "specs/bad.yaml");
        assert!(issue["location"]["positions"]["begin"]["line"].is_u64());
    }
    assert_ne!(issues[0]["fingerprint"], issues[1]["fingerprint"]);
    let (code, out, _) = outcome(&run(
        dir.path(),
        &["check", "--format", "gitlab", "specs/good.yaml"],
    ));
    assert_eq!(
        (code, out.trim()),
        (0, "[]"),
        "a clean run is an empty report"
    );
}

#[test]
fn hostile_files_get_clear_errors_without_panics() {
    let mut bomb = String::from("a: &a [x, x, x, x, x, x, x, x, x]\n");
    for i in 1..10 {
        bomb.push_str(&format!(
            "{}: &{} [*{}, *{}, *{}, *{}, *{}, *{}, *{}, *{}, *{}]\n",
            (b'a' + i) as char,
            (b'a' + i) as char,
            (b'a' + i - 1) as char,
            (b'a' + i - 1) as char,
            (b'a' + i - 1) as char,
            (b'a' + i - 1) as char,
            (b'a' + i - 1) as char,
            (b'a' + i - 1) as char,
            (b'a' + i - 1) as char,
            (b'a' + i - 1) as char,
            (b'a' + i - 1) as char
        ));
    }
    let huge = vec![b'#'; 50 * 1024 * 1024];
    let cases: &[(&str, &[u8], &str)] = &[
        ("empty.yaml", b"", "E006"),
        ("comments.yaml", b"# nothing here\n", "E006"),
        (
            "binary.yaml",
            &[0x7f, b'E', b'L', b'F', 2, 1, 1, 0, 0, 0],
            "E004",
        ),
        ("latin1.yaml", b"job_name: caf\xe9\n", "E003"),
        ("bomb.yaml", bomb.as_bytes(), "E008"),
        ("two.yaml", b"job_name: a\n---\njob_name: b\n", "E007"),
        ("huge.yaml", &huge, "E002"),
    ];
    for (name, bytes, code) in cases {
        let dir = repo_with(&[(name, bytes)]);
        let (exit, out, err) = outcome(&run(dir.path(), &["check", "--format", "json"]));
        assert_eq!(exit, 1, "{name}: {err}");
        assert!(err.is_empty(), "{name}: {err}");
        let report: Value = serde_json::from_str(&out).unwrap();
        let diagnostics = report["files"][0]["diagnostics"].as_array().unwrap();
        assert!(
            diagnostics.iter().any(|d| d["code"] == *code),
            "{name}: {diagnostics:?}"
        );
        assert!(
            diagnostics
                .iter()
                .all(|d| d["path"] == format!("specs/{name}"))
        );
    }
}

#[cfg(unix)]
#[test]
fn symlink_loops_and_links_out_of_specs_are_reported() {
    use std::os::unix::fs::symlink;
    let dir = repo_with(&[("ok.yaml", SEED.as_bytes())]);
    let specs = dir.path().join("specs");
    symlink("loop-b.yaml", specs.join("loop-a.yaml")).unwrap();
    symlink("loop-a.yaml", specs.join("loop-b.yaml")).unwrap();
    fs::write(dir.path().join("outside.yaml"), SEED).unwrap();
    symlink("../outside.yaml", specs.join("out.yaml")).unwrap();
    symlink("ok.yaml", specs.join("alias.yaml")).unwrap();
    let (code, out, _) = outcome(&run(dir.path(), &["check", "--format", "json"]));
    assert_eq!(code, 2, "{out}");
    let report: Value = serde_json::from_str(&out).unwrap();
    let errors: Vec<String> = report["errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| format!("{} {}", e["path"], e["message"]))
        .collect();
    assert!(
        errors
            .iter()
            .any(|e| e.contains("loop-a.yaml") && e.contains("symlink loop")),
        "{errors:?}"
    );
    assert!(
        errors
            .iter()
            .any(|e| e.contains("out.yaml") && e.contains("outside the specs directory")),
        "{errors:?}"
    );
    let checked: Vec<&str> = report["files"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["path"].as_str().unwrap())
        .collect();
    assert_eq!(
        checked,
        ["specs/alias.yaml", "specs/ok.yaml"],
        "a link inside specs/ is checked"
    );
}

#[test]
fn specs_that_is_a_file_is_a_usage_error() {
    let dir = tempfile::tempdir().unwrap();
    fs::write(dir.path().join("specs"), "not a folder").unwrap();
    let (code, _, err) = outcome(&run(dir.path(), &["check"]));
    assert_eq!(code, 2);
    assert!(err.contains("is a file, not a directory"), "{err}");
}

#[test]
fn help_documents_commands_and_exit_codes() {
    let (code, out, _) = outcome(&run(&repo(), &["--help"]));
    assert_eq!(code, 0);
    insta::assert_snapshot!("help", out);
    let (_, out, _) = outcome(&run(&repo(), &["check", "--help"]));
    insta::assert_snapshot!("check_help", out);
}

#[test]
fn the_committed_schema_is_current() {
    let committed = fs::read_to_string(repo().join(dagster_scripts::schema::SCHEMA_PATH)).unwrap();
    assert!(
        committed == dagster_scripts::schema::spec_schema_text(),
        "schema/spec.schema.json is stale: run `make schema`"
    );
    let (code, _, err) = outcome(&run(&repo(), &["schema", "--check"]));
    assert_eq!(code, 0, "{err}");
}

#[test]
fn schema_check_prints_a_diff_and_fails_when_stale() {
    let dir = tempfile::tempdir().unwrap();
    let stale =
        dagster_scripts::schema::spec_schema_text().replace("\"Job name\"", "\"Old title\"");
    fs::create_dir(dir.path().join("schema")).unwrap();
    fs::write(dir.path().join("schema/spec.schema.json"), stale).unwrap();
    let (code, out, err) = outcome(&run(dir.path(), &["schema", "--check"]));
    assert_eq!(code, 1, "{err}");
    assert!(
        out.lines()
            .any(|l| l.starts_with('-') && l.ends_with("\"title\": \"Old title\",")),
        "{out}"
    );
    assert!(
        out.lines()
            .any(|l| l.starts_with('+') && l.ends_with("\"title\": \"Job name\",")),
        "{out}"
    );
    assert!(err.contains("stale"), "{err}");
    let (code, out, _) = outcome(&run(dir.path(), &["schema"]));
    assert_eq!(code, 0);
    assert_eq!(out, dagster_scripts::schema::spec_schema_text());
}

#[test]
fn the_readme_lists_every_error_code() {
    let readme = fs::read_to_string(repo().join("README.md")).unwrap();
    for code in dagster_scripts::diagnostic::Code::ALL {
        let row = format!(
            "| {} | {} | {} |",
            code.as_str(),
            code.slug(),
            code.summary()
        );
        assert!(readme.contains(&row), "README.md lacks the row:\n{row}");
    }
}

/// The README's table of kinds has a row per kind, and its table of fields
/// names every top-level key the schema gives any kind.
#[test]
fn the_readme_tables_name_every_kind_and_every_field() {
    let readme = fs::read_to_string(repo().join("README.md")).unwrap();
    let start = readme
        .find("| `kind` | what it launches |")
        .expect("the README's table of kinds");
    let end = start
        + readme[start..]
            .find("A request launches once")
            .expect("the end of the README's table of fields");
    let tables = &readme[start..end];
    for kind in dagster_scripts::spec::Kind::ALL {
        assert!(
            tables.contains(&format!("\n| `{kind}`")),
            "no row for kind {kind}"
        );
    }
    let schema: Value = serde_json::from_str(&dagster_scripts::schema::spec_schema_text()).unwrap();
    let defs = &schema["$defs"];
    for variant in schema["oneOf"].as_array().unwrap() {
        let name = variant["$ref"]
            .as_str()
            .unwrap()
            .rsplit('/')
            .next()
            .unwrap();
        for key in defs[name]["properties"].as_object().unwrap().keys() {
            if key != "kind" {
                assert!(
                    tables.contains(&format!("`{key}`")),
                    "the README's tables do not name `{key}` ({name})"
                );
            }
        }
    }
}

#[test]
fn new_scaffolds_a_commented_spec_of_every_kind() {
    let dir = tempfile::tempdir().unwrap();
    for kind in dagster_scripts::spec::Kind::ALL.map(|k| k.as_str()) {
        let (code, out, err) = outcome(&run(dir.path(), &["new", "PROJ-7", "--kind", kind]));
        assert_eq!(code, 0, "{err}");
        let path = out.trim();
        assert_eq!(path, format!("specs/{kind}-PROJ-7.yaml"));
        let text = fs::read_to_string(dir.path().join(path)).unwrap();
        assert!(
            text.starts_with("# yaml-language-server: $schema=../schema/spec.schema.json\n"),
            "{text}"
        );
        assert!(
            text.lines().filter(|l| l.contains('#')).count() >= 5,
            "commented: {text}"
        );
        assert!(text.contains("name: \"PROJ-7\""), "{text}");
    }
    let (code, _, err) = outcome(&run(dir.path(), &["check"]));
    assert_eq!(code, 1, "a scaffold fails check until filled in: {err}");
    let (code, _, err) = outcome(&run(dir.path(), &["new", "PROJ-7"]));
    assert_eq!(code, 2, "an existing spec is never overwritten");
    assert!(err.contains("exists already"), "{err}");
    let (code, _, err) = outcome(&run(dir.path(), &["new", " bad"]));
    assert_eq!(code, 2, "{err}");
}

/// A backfill's and an asset backfill's scaffold, filled in, with every
/// commented request option taken at its example value: a valid spec.
#[test]
fn the_scaffolds_commented_options_are_valid_as_written() {
    for (kind, target) in [
        ("backfill", "ingestion_job"),
        ("asset_backfill", "daily_summary"),
    ] {
        let dir = tempfile::tempdir().unwrap();
        let (code, out, err) = outcome(&run(dir.path(), &["new", "7", "--kind", kind]));
        assert_eq!(code, 0, "{err}");
        let path = dir.path().join(out.trim());
        let mut uncommented = 0;
        let text: String = fs::read_to_string(&path)
            .unwrap()
            .replace("<job>", target)
            .replace("<asset key>", target)
            .replace("<why it is needed>", "a test")
            .replace("<who asked>", "ops")
            .replace("<dimension>", "daily")
            .replace("<YYYY-MM-DD>", "2024-01-01")
            .lines()
            .map(|line| {
                let option = ["reprocess:", "max_concurrent_runs:", "on_overlap:"]
                    .iter()
                    .any(|o| line.starts_with(&format!("# {o}")));
                if option {
                    uncommented += 1;
                }
                format!("{}\n", if option { &line[2..] } else { line })
            })
            .collect();
        assert_eq!(uncommented, 3, "{kind}: {text}");
        fs::write(&path, &text).unwrap();
        let (code, _, err) = outcome(&run(dir.path(), &["check"]));
        assert_eq!(code, 0, "{kind}: {err}\n{text}");
    }
}

/// Every E023 diagnostic of a `check --format json` report, as (its file, its
/// line and column, the message).
fn conflicts(report: &Value) -> Vec<(String, u64, u64, String)> {
    report["files"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|f| f["diagnostics"].as_array().unwrap())
        .filter(|d| d["code"] == "E023")
        .map(|d| {
            (
                d["path"].as_str().unwrap().to_owned(),
                d["line"].as_u64().unwrap(),
                d["column"].as_u64().unwrap(),
                d["message"].as_str().unwrap().to_owned(),
            )
        })
        .collect()
}

#[test]
fn a_copied_spec_is_refused_with_both_locations_by_check_pre_commit_and_render() {
    let dir = repo_with(&[
        ("backfill-34543.yaml", SEED.as_bytes()),
        ("copy.yaml", format!("# a copy\n{SEED}").as_bytes()),
        // The same issue, another request (a second job): allowed.
        (
            "backfill-34543-b.yaml",
            SEED.replace("ingestion_job", "second_job").as_bytes(),
        ),
    ]);
    let d = dir.path();
    let (code, out, err) = outcome(&run(d, &["check", "--format", "json"]));
    assert_eq!(code, 2, "{out}{err}");
    let report: Value = serde_json::from_str(&out).unwrap();
    let found = conflicts(&report);
    let at: Vec<(&str, u64, u64)> = found
        .iter()
        .map(|(p, l, c, _)| (p.as_str(), *l, *c))
        .collect();
    assert_eq!(
        at,
        [
            ("specs/backfill-34543.yaml", 4, 9),
            ("specs/copy.yaml", 5, 9)
        ],
        "at tags.name, the other request of the issue not involved: {found:?}"
    );
    assert_eq!(
        found[0].3,
        "this spec is the same request as specs/copy.yaml:5:9: two Jobs would launch it"
    );
    assert_eq!(
        found[1].3,
        "this spec is the same request as specs/backfill-34543.yaml:4:9: two Jobs would launch it"
    );
    let hint = report["files"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["path"] == "specs/copy.yaml")
        .and_then(|f| f["diagnostics"][0]["hint"].as_str())
        .unwrap();
    assert!(
        hint.contains("move it to specs/done/") && hint.contains("make them different requests"),
        "{hint}"
    );

    // pre-commit passes only the staged file: it is held against the rest of specs/.
    let (code, _, err) = outcome(&run(d, &["check", "specs/copy.yaml"]));
    assert_eq!(code, 2, "{err}");
    assert!(
        err.contains("--> specs/copy.yaml:5:9")
            && err.contains("the same request as specs/backfill-34543.yaml:4:9")
            && err.contains("hint: one request, one active spec"),
        "{err}"
    );
    let (code, _, err) = outcome(&run(
        d,
        &[
            "check",
            "specs/backfill-34543-b.yaml",
            "./specs/backfill-34543-b.yaml",
        ],
    ));
    assert_eq!(code, 0, "one file named twice is no copy: {err}");
    // A file outside specs/ is checked alone (it is not a request that renders).
    fs::write(d.join("elsewhere.yaml"), SEED).unwrap();
    let (code, _, err) = outcome(&run(d, &["check", "elsewhere.yaml"]));
    assert_eq!(code, 0, "{err}");

    // render runs the same check and writes nothing.
    let (code, _, err) = outcome(&run(d, &["render"]));
    assert_eq!(code, 2, "{err}");
    assert!(
        err.contains("--> specs/copy.yaml:5:9")
            && err.contains("--> specs/backfill-34543.yaml:4:9"),
        "{err}"
    );
    assert!(!d.join("out/kustomization.yaml").exists());

    // The finished one moved to done/: both pass.
    fs::create_dir(d.join("specs/done")).unwrap();
    fs::rename(
        d.join("specs/backfill-34543.yaml"),
        d.join("specs/done/backfill-34543.yaml"),
    )
    .unwrap();
    let (code, _, err) = outcome(&run(d, &["check"]));
    assert_eq!(code, 0, "{err}");
    assert_eq!(outcome(&run(d, &["render"])).0, 0);
}

#[test]
fn a_rerun_of_naming_an_issue_two_specs_answer_is_refused_with_every_location() {
    let run_spec = "kind: run\njob_name: ingestion_job\ntags:\n  name: \"34543\"\n";
    let rerun = "kind: reexecute\nrerun_of: \"34543\"\ntags:\n  name: \"34600\"\n";
    let dir = repo_with(&[
        ("backfill-34543.yaml", SEED.as_bytes()),
        ("done/run-34543.yaml", run_spec.as_bytes()),
    ]);
    let d = dir.path();
    let (code, _, err) = outcome(&run(d, &["check"]));
    assert_eq!(
        code, 0,
        "one issue may have two requests while no rerun_of names it: {err}"
    );
    fs::write(d.join("specs/reexecute-34600.yaml"), rerun).unwrap();

    let (code, out, _) = outcome(&run(d, &["check", "--format", "json"]));
    assert_eq!(code, 2, "{out}");
    let found = conflicts(&serde_json::from_str(&out).unwrap());
    let at: Vec<(&str, u64, u64)> = found
        .iter()
        .map(|(p, l, c, _)| (p.as_str(), *l, *c))
        .collect();
    assert_eq!(
        at,
        [
            ("specs/backfill-34543.yaml", 4, 9),
            ("specs/done/run-34543.yaml", 4, 9),
            ("specs/reexecute-34600.yaml", 2, 11),
        ],
        "{found:?}"
    );
    assert_eq!(
        found[2].3,
        "`rerun_of: 34543` is ambiguous: issue 34543 is answered by specs/backfill-34543.yaml:4:9 and specs/done/run-34543.yaml:4:9, and the runner re-executes only the newest launch tagged with it"
    );
    assert_eq!(
        found[0].3,
        "issue 34543 is answered by specs/done/run-34543.yaml:4:9 too, and specs/reexecute-34600.yaml:2:11 re-executes it by that issue, which cannot tell them apart"
    );
    assert!(
        found[1].3.contains("specs/backfill-34543.yaml:4:9"),
        "{found:?}"
    );

    // pre-commit, with either new spec alone
    for file in ["specs/reexecute-34600.yaml", "specs/backfill-34543.yaml"] {
        let (code, _, err) = outcome(&run(d, &["check", file]));
        assert_eq!(code, 2, "{file}: {err}");
        assert!(
            err.contains(&format!("--> {file}:"))
                && err.contains("specs/done/run-34543.yaml:4:9")
                && err.contains("hint: "),
            "{file}: {err}"
        );
    }

    // All active: render refuses too.
    fs::rename(
        d.join("specs/done/run-34543.yaml"),
        d.join("specs/run-34543.yaml"),
    )
    .unwrap();
    let (code, _, err) = outcome(&run(d, &["render"]));
    assert_eq!(code, 2, "{err}");
    assert!(
        err.contains("--> specs/reexecute-34600.yaml:2:11")
            && err.contains("--> specs/run-34543.yaml:4:9"),
        "{err}"
    );

    // An issue of its own for the run: everything passes.
    fs::write(
        d.join("specs/run-34543.yaml"),
        run_spec.replace("34543", "34544"),
    )
    .unwrap();
    let (code, _, err) = outcome(&run(d, &["check"]));
    assert_eq!(code, 0, "{err}");
}

#[test]
fn check_and_new_read_the_settings_render_reads() {
    let four = SEED; // 2 days x 2 stations
    let dir = repo_with(&[("backfill-34543.yaml", four.as_bytes())]);
    let d = dir.path();
    fs::write(d.join("dagster-scripts.toml"), "max_partitions = 2\n").unwrap();
    for args in [
        &["check"][..],
        &["check", "specs/backfill-34543.yaml"],
        &["render"],
    ] {
        let (code, _, err) = outcome(&run(d, args));
        assert_eq!(code, 1, "{args:?}: {err}");
        assert!(
            err.contains("E020") && err.contains("cap of 2"),
            "{args:?}: {err}"
        );
    }
    let (code, _, err) = outcome(&run(d, &["check", "--max-partitions", "4"]));
    assert_eq!(code, 0, "the flag overrides the file: {err}");

    // --settings FILE, and [paths] specs (relative to the repository, not
    // to the file's folder), for check and new.
    fs::create_dir(d.join("conf")).unwrap();
    fs::write(
        d.join("conf/settings.toml"),
        "max_partitions = 3\n[paths]\nspecs = \"requests\"\n",
    )
    .unwrap();
    fs::write(
        d.join("dagster-scripts.toml"),
        "[paths]\nspecs = \"requests\"\n",
    )
    .unwrap();
    let (code, out, err) = outcome(&run(d, &["new", "77", "--kind", "run"]));
    assert_eq!((code, out.trim()), (0, "requests/run-77.yaml"), "{err}");
    assert!(d.join("requests/run-77.yaml").is_file());
    // The scaffold fails check until it is filled in; fill it in.
    let (code, _, err) = outcome(&run(d, &["check"]));
    assert_eq!(code, 1, "a scaffold is not a request yet: {err}");
    assert!(err.contains("requests/run-77.yaml"), "{err}");
    let run_spec = fs::read_to_string(repo().join("specs/run-34560.yaml")).unwrap();
    fs::write(
        d.join("requests/run-77.yaml"),
        run_spec.replace("34560", "77"),
    )
    .unwrap();
    let (code, out, err) = outcome(&run(d, &["check", "--format", "json"]));
    assert_eq!(code, 0, "{err}");
    let report: Value = serde_json::from_str(&out).unwrap();
    assert_eq!(
        report["files"][0]["path"], "requests/run-77.yaml",
        "specs/ is not read: {out}"
    );
    fs::copy(
        d.join("specs/backfill-34543.yaml"),
        d.join("requests/b.yaml"),
    )
    .unwrap();
    let (code, _, err) = outcome(&run(d, &["check", "--settings", "conf/settings.toml"]));
    assert_eq!(code, 1, "{err}");
    assert!(
        err.contains("--> requests/b.yaml") && err.contains("cap of 3"),
        "{err}"
    );
    let (code, out, err) = outcome(&run(d, &["new", "78", "--settings", "conf/settings.toml"]));
    assert_eq!(
        (code, out.trim()),
        (0, "requests/backfill-78.yaml"),
        "{err}"
    );

    // A bad settings file is exit 2 with its location, for check and new alike.
    fs::write(
        d.join("dagster-scripts.toml"),
        "max_partitions = \"many\"\n",
    )
    .unwrap();
    for args in [&["check"][..], &["new", "79"]] {
        let (code, _, err) = outcome(&run(d, args));
        assert_eq!(code, 2, "{args:?}: {err}");
        assert!(
            err.contains("--> dagster-scripts.toml:1:18"),
            "{args:?}: {err}"
        );
    }
    assert!(!d.join("requests/backfill-79.yaml").exists());
    let (code, _, err) = outcome(&run(d, &["check", "--settings", "missing.toml"]));
    assert_eq!(code, 2, "{err}");
}

//! The README's own commands, run as written: "Adopting it in an existing
//! repository" (with the built binary instead of `cargo install`), then
//! "From an issue to a finished backfill" (with a scripted `$EDITOR`), in a
//! fresh git repository that pushes to a bare origin. What was pushed must
//! pass what CI runs on the pull request (`check`, `render --check`) in a
//! fresh clone, and the README's `kubectl logs` selector must find the pods
//! of the Job that was rendered. The shell blocks are read from README.md,
//! so the README cannot drift from what is tested.

use std::fs;
use std::path::Path;
use std::process::{Command, Output};
use std::time::Duration;

use crate::support::{repo, tools};

/// The first ```sh block after the heading `heading` in README.md.
fn readme_block(heading: &str) -> String {
    let readme = fs::read_to_string(repo().join("README.md")).expect("README.md");
    let section = readme
        .split(&format!("\n{heading}\n"))
        .nth(1)
        .unwrap_or_else(|| panic!("README.md has no heading `{heading}`"));
    let block = section
        .split("\n```sh\n")
        .nth(1)
        .unwrap_or_else(|| panic!("no sh block under `{heading}`"));
    block
        .split("\n```\n")
        .next()
        .expect("a closed block")
        .to_owned()
}

/// What a person types in the editor for issue #91001: two days of station NL01497.
const EDITED: &str = "# yaml-language-server: $schema=../schema/spec.schema.json
job_name: ingestion_job
repository_name: luchtmeetnet_ingestion
tags:
  name: \"91001\"
  reason: Reload two days of station NL01497
  partitions:
  - name: daily
    start_date: '2024-03-01'
    end_date: '2024-03-02'
  - name: stations
    values: [NL01497]
";

fn text(out: &Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    )
}

/// Runs `script` in bash (`-e -o pipefail`) in `dir`, with `bin` first on
/// PATH and git reading only `home`'s configuration.
fn bash(dir: &Path, home: &Path, bin: &Path, script: &str) -> Output {
    let path = format!(
        "{}:{}",
        bin.display(),
        std::env::var("PATH").unwrap_or_default()
    );
    let mut cmd = Command::new("bash");
    cmd.args([
        "--noprofile",
        "--norc",
        "-e",
        "-o",
        "pipefail",
        "-c",
        script,
    ])
    .current_dir(dir)
    .env("PATH", path)
    .env("HOME", home)
    .env("GIT_CONFIG_NOSYSTEM", "1")
    .env("GIT_CONFIG_GLOBAL", home.join(".gitconfig"))
    .env("EDITOR", bin.join("scripted-editor"))
    .env("NO_COLOR", "1");
    tools::output(&mut cmd, Duration::from_secs(120))
}

#[test]
fn readme_adoption_and_walkthrough_run_as_written_and_pass_ci() {
    let adopt = readme_block("## Adopting it in an existing repository");
    let walk = readme_block("## From an issue to a finished backfill");
    let home = tempfile::tempdir().expect("home");
    let h = home.path();
    fs::write(
        h.join(".gitconfig"),
        "[user]\n\tname = README tests\n\temail = tests@example.invalid\n\
         [init]\n\tdefaultBranch = main\n[commit]\n\tgpgsign = false\n\
         [push]\n\tautoSetupRemote = true\n",
    )
    .expect("gitconfig");
    // The built binary where `cargo install` would put it, and the editor.
    let bin = h.join("bin");
    fs::create_dir(&bin).expect("bin");
    std::os::unix::fs::symlink(
        env!("CARGO_BIN_EXE_dagster-scripts"),
        bin.join("dagster-scripts"),
    )
    .expect("link");
    let spec = h.join("edited.yaml");
    fs::write(&spec, EDITED).expect("edited spec");
    let editor = bin.join("scripted-editor");
    fs::write(
        &editor,
        format!("#!/bin/sh\ncp '{}' \"$1\"\n", spec.display()),
    )
    .expect("editor");
    let mut permissions = fs::metadata(&editor).expect("editor").permissions();
    std::os::unix::fs::PermissionsExt::set_mode(&mut permissions, 0o755);
    fs::set_permissions(&editor, permissions).expect("chmod");

    // A repository with a remote, as the user has.
    let origin = h.join("origin.git");
    let work = h.join("work");
    fs::create_dir(&work).expect("work");
    let out = bash(
        h,
        h,
        &bin,
        &format!(
            "git init -q --bare {}\ngit init -q {}\ncd {} && git remote add origin {}",
            origin.display(),
            work.display(),
            work.display(),
            origin.display()
        ),
    );
    assert!(out.status.success(), "{}", text(&out));

    let adopt: Vec<&str> = adopt
        .lines()
        .filter(|l| !l.starts_with("cargo install "))
        .collect();
    assert!(
        adopt.len() >= 5,
        "the adoption block lost its commands: {adopt:?}"
    );
    let out = bash(&work, h, &bin, &adopt.join("\n"));
    assert!(out.status.success(), "adoption block:\n{}", text(&out));
    let out = bash(&work, h, &bin, &walk);
    assert!(out.status.success(), "walkthrough block:\n{}", text(&out));
    let out = bash(&work, h, &bin, "git status --porcelain");
    assert_eq!(text(&out), "", "the walkthrough left changes uncommitted");

    // What CI checks out: the pushed branch, in a fresh clone.
    let clone = h.join("clone");
    let out = bash(
        h,
        h,
        &bin,
        &format!(
            "git clone -q --branch backfill-91001 {} {}",
            origin.display(),
            clone.display()
        ),
    );
    assert!(out.status.success(), "{}", text(&out));
    for ci in ["dagster-scripts check", "dagster-scripts render --check"] {
        let out = bash(&clone, h, &bin, ci);
        assert!(
            out.status.success(),
            "`{ci}` on the pushed branch:\n{}",
            text(&out)
        );
    }

    // The README's logs command selects the rendered Job's pods.
    let logs = fs::read_to_string(repo().join("README.md"))
        .expect("README")
        .lines()
        .find(|l| l.starts_with("kubectl logs "))
        .expect("a `kubectl logs` line in README.md")
        .to_owned();
    let args: Vec<&str> = logs.split_whitespace().collect();
    let after = |flag: &str| {
        args.iter()
            .position(|a| *a == flag)
            .and_then(|i| args.get(i + 1))
            .unwrap_or_else(|| panic!("`{flag}` in {logs}"))
            .to_string()
    };
    let (namespace, selector) = (after("-n"), after("-l"));
    assert!(args.contains(&"--tail=-1"), "{logs}");
    let (key, value) = selector.split_once('=').expect("key=value");
    let manifest = fs::read_to_string(clone.join("out/backfill-91001.yaml")).expect("manifest");
    let docs =
        dagster_scripts::read::yaml::parse_documents(&manifest, Path::new("out")).expect("YAML");
    let job = &docs[0];
    assert_eq!(job["kind"], "Job");
    assert_eq!(job["metadata"]["namespace"], namespace.as_str(), "{logs}");
    assert_eq!(
        job["spec"]["template"]["metadata"]["labels"][key], value,
        "{logs}"
    );
}

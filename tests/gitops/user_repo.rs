//! A throwaway user repository for pre-commit hooks to run in, `pre-commit
//! try-repo` run there, and what the hooks must say: what the two pre-commit
//! tests share. `precommit.rs` tries this repository's `language: rust` hooks,
//! `wheel.rs` the hook repository that installs the Python wheel.

use std::path::Path;
use std::process::{Command, Output};

use super::{git, text};
use crate::support::tools;

/// Writes `body` to `dir/name`, making the folders it needs.
pub fn write(dir: &Path, name: &str, body: &str) {
    let path = dir.join(name);
    std::fs::create_dir_all(path.parent().expect("parent")).expect("mkdir");
    std::fs::write(path, body).expect("write");
}

/// A spec of request `issue` with a typo'd key on line 1 and a wrongly typed
/// value on line 5.
pub fn broken(issue: &str) -> String {
    format!(
        "job_nme: ingestion_job
tags:
  name: \"{issue}\"
  partitions:
  - name: 7
    values: [NL01497]
"
    )
}

/// Makes `dir` a user's git repository holding the spec `file` and a README
/// that is no spec (the check hook must not be given it), nothing committed.
pub fn init(dir: &Path, file: &str, spec: &str) {
    git(dir, &["init", "-q"]);
    write(dir, file, spec);
    write(
        dir,
        "README.md",
        "not a spec: the check hook must not be given this file\n",
    );
}

/// `pre-commit try-repo <hooks> <hook> --all-files` in `user`, with its store
/// in `home` and none of the machine's git configuration: the caller adds
/// what its hooks need, then runs it.
pub fn try_repo(hooks: &Path, hook: &str, user: &Path, home: &Path) -> Command {
    let mut cmd = tools::command("pre-commit");
    cmd.arg("try-repo")
        .arg(hooks)
        .args([hook, "--all-files", "--color", "never"])
        .current_dir(user)
        .env("PRE_COMMIT_HOME", home)
        .env("GIT_CONFIG_NOSYSTEM", "1")
        .env("GIT_CONFIG_GLOBAL", "/dev/null");
    cmd
}

/// Asserts that the hook named `name` (as pre-commit titles it, e.g.
/// `dagster-scripts check`) ran and passed; returns what pre-commit printed.
pub fn assert_passed(out: &Output, name: &str) -> String {
    let all = text(out);
    assert!(out.status.success(), "{name} hook:\n{all}");
    assert!(all.contains(name) && all.contains("Passed"), "{all}");
    all
}

/// Asserts that the check hook failed on the spec `file` holding [`broken`],
/// naming the file, line and column of each error, and was given no file
/// outside `specs/`.
pub fn assert_check_failed_at_its_lines(out: &Output, file: &str) {
    let all = text(out);
    assert_eq!(
        out.status.code(),
        Some(1),
        "check hook on a broken spec:\n{all}"
    );
    assert!(all.contains("Failed"), "{all}");
    assert!(
        all.contains(&format!("{file}:1:1")),
        "no file:line:col for the typo:\n{all}"
    );
    assert!(
        all.contains(&format!("{file}:5:")),
        "no file:line:col for the wrong type:\n{all}"
    );
    assert!(all.contains("unknown key `job_nme`"), "{all}");
    assert!(
        !all.contains("README.md"),
        "the hook was given a file outside specs/:\n{all}"
    );
}

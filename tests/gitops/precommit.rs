//! `.pre-commit-hooks.yaml`, run by real pre-commit (`try-repo`) on a
//! throwaway repository, the way a user's `.pre-commit-config.yaml` would.
//!
//! `try-repo` is given a committed snapshot of this working tree (tracked and
//! untracked, minus what `.gitignore` skips) rather than the tree itself: on
//! a clean clone the two are the same, and in a working tree shared with
//! other work in progress, `try-repo`'s own snapshot (tracked files only)
//! could miss a new file a tracked one already uses. A fixed snapshot also
//! keeps one revision for all the runs, so pre-commit builds the hook once.

use std::path::Path;
use std::process::Output;
use std::time::Duration;

use super::{git, text, user_repo};
use crate::support::{SEED, repo, tools};

/// `language: rust` builds the compiler in release mode: minutes the first time.
const HOOK_LIMIT: Duration = Duration::from_secs(20 * 60);

/// A git repository in a temp dir holding this working tree, committed.
fn snapshot_of_this_repo() -> tempfile::TempDir {
    let dir = tempfile::tempdir().expect("temp dir");
    let listed = git(
        &repo(),
        &[
            "ls-files",
            "-z",
            "--cached",
            "--others",
            "--exclude-standard",
        ],
    );
    for name in listed.stdout.split(|b| *b == 0).filter(|n| !n.is_empty()) {
        let name = std::str::from_utf8(name).expect("UTF-8 file names");
        let from = repo().join(name);
        if !from.is_file() {
            continue; // tracked but deleted in the working tree
        }
        let to = dir.path().join(name);
        std::fs::create_dir_all(to.parent().expect("a file has a parent")).expect("mkdir");
        std::fs::copy(&from, &to).unwrap_or_else(|e| panic!("copy {name}: {e}"));
    }
    git(dir.path(), &["init", "-q"]);
    git(dir.path(), &["add", "-A"]);
    git(
        dir.path(),
        &["commit", "-q", "-m", "snapshot of the working tree"],
    );
    dir
}

/// Runs `pre-commit try-repo <hooks> <hook> --all-files` in `user`.
fn try_repo(hooks: &Path, home: &Path, user: &Path, hook: &str) -> Output {
    let mut cmd = user_repo::try_repo(hooks, hook, user, home);
    // The hook's `cargo install` keeps its build here, so a later test run
    // recompiles only the dagster-scripts crate; and it builds without
    // the release profile's optimisations and LTO, which make the binary
    // faster and smaller, not different in what it reports.
    cmd.env("CARGO_TARGET_DIR", repo().join("target/pre-commit-hook"))
        .env("CARGO_PROFILE_RELEASE_OPT_LEVEL", "0")
        .env("CARGO_PROFILE_RELEASE_LTO", "false")
        .env("CARGO_PROFILE_RELEASE_CODEGEN_UNITS", "256");
    tools::output(&mut cmd, HOOK_LIMIT)
}

#[test]
fn hooks_pass_a_valid_spec_and_fail_a_broken_one_at_its_line() {
    let hooks = snapshot_of_this_repo();
    let home = tempfile::tempdir().expect("PRE_COMMIT_HOME");
    let user = tempfile::tempdir().expect("user repo");
    let u = user.path();
    user_repo::init(u, "specs/backfill-34543.yaml", SEED);
    let rendered = tools::output(
        std::process::Command::new(env!("CARGO_BIN_EXE_dagster-scripts"))
            .arg("render")
            .current_dir(u),
        Duration::from_secs(60),
    );
    assert!(
        rendered.status.success(),
        "render in the user repo:\n{}",
        text(&rendered)
    );
    git(u, &["add", "-A"]);
    git(u, &["commit", "-q", "-m", "a valid request, rendered"]);

    // A valid spec and a current out/: both hooks pass.
    let out = try_repo(hooks.path(), home.path(), u, "dagster-scripts-check");
    user_repo::assert_passed(&out, "dagster-scripts check");
    let out = try_repo(hooks.path(), home.path(), u, "dagster-scripts-render-check");
    user_repo::assert_passed(&out, "dagster-scripts render --check");

    // A broken spec: the check hook fails and names the file, line and column.
    user_repo::write(u, "specs/backfill-34544.yaml", &user_repo::broken("34544"));
    git(u, &["add", "-A"]);
    let out = try_repo(hooks.path(), home.path(), u, "dagster-scripts-check");
    user_repo::assert_check_failed_at_its_lines(&out, "specs/backfill-34544.yaml");

    // A changed spec whose out/ was not rendered again: render-check fails.
    std::fs::remove_file(u.join("specs/backfill-34544.yaml")).expect("rm");
    let seed = SEED.replace("2024-02-01", "2024-02-03");
    user_repo::write(u, "specs/backfill-34543.yaml", &seed);
    git(u, &["add", "-A"]);
    let out = try_repo(hooks.path(), home.path(), u, "dagster-scripts-render-check");
    let all = text(&out);
    assert_eq!(
        out.status.code(),
        Some(1),
        "render-check hook on a stale out/:\n{all}"
    );
    assert!(
        all.contains("Failed") && all.contains("out/backfill-34543.yaml"),
        "{all}"
    );
    assert!(
        all.contains("+        end_date: '2024-02-03'"),
        "no diff of the change:\n{all}"
    );
}

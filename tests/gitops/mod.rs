//! The GitOps kit, each piece driven by the real tool users run it with:
//! pre-commit hooks (`pre-commit try-repo`), the CI pipelines (actionlint,
//! GitLab's CI schema and the job graph), the Flux and Argo CD examples
//! (`kubectl kustomize`), the editor schema (`yaml-language-server` over
//! stdio), the runner image (hadolint and the image's build steps) and the
//! compiler's Python wheel with its hook repository (maturin, pip, pre-commit).
//!
//! The tools are installed at pinned versions by `tests/tools/install.sh`
//! (see `support::tools`); the first test to need one pays for the install.

mod ci;
mod editors;
mod examples;
mod fake_api;
mod image;
mod lsp;
mod precommit;
mod report;
mod user_repo;
mod wheel;

use std::path::Path;
use std::process::Output;
use std::time::Duration;

use crate::support::tools;

/// Stdout and stderr of `out`, for assertions and failure messages.
fn text(out: &Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    )
}

/// Runs git with a fixed identity and no user or system configuration.
fn git(dir: &Path, args: &[&str]) -> Output {
    let out = tools::output(
        tools::command("git")
            .args([
                "-c",
                "user.name=dagster-scripts tests",
                "-c",
                "user.email=tests@example.invalid",
            ])
            .args([
                "-c",
                "commit.gpgsign=false",
                "-c",
                "init.defaultBranch=main",
            ])
            .args(args)
            .current_dir(dir)
            .env("GIT_CONFIG_NOSYSTEM", "1")
            .env("GIT_CONFIG_GLOBAL", "/dev/null"),
        Duration::from_secs(120),
    );
    assert!(
        out.status.success(),
        "git {args:?} in {} failed:\n{}",
        dir.display(),
        text(&out)
    );
    out
}

#[test]
fn tool_installer_passes_shellcheck() {
    let out = tools::output(
        tools::command("shellcheck").arg(crate::support::repo().join("tests/tools/install.sh")),
        Duration::from_secs(60),
    );
    assert!(
        out.status.success(),
        "shellcheck tests/tools/install.sh:\n{}",
        text(&out)
    );
}

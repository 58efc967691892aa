//! The compiler as a Python wheel (`pyproject.toml`, built by maturin) and the
//! hook repository that installs it (`ci/pre-commit/`), used the way a
//! machine without Rust uses them:
//!
//! - maturin builds the wheel and the source package; each holds what it
//!   should and nothing else of the repository (tests, out/, bench/);
//! - the wheel goes into a fresh venv with pip, offline (`--no-index`), and
//!   the `dagster-scripts` it puts on PATH runs `--version`, `check` and
//!   `render` on a small repository;
//! - `pre-commit try-repo` installs the hook repository (pip finds the wheel in
//!   its folder: `PIP_FIND_LINKS` with `PIP_NO_INDEX`) with no cargo or rustc on
//!   PATH, passes a good spec and fails a broken one at its line.
//!
//! The wheel is built with the release profile made cheap (no optimisation, no
//! LTO, 256 codegen units: a binary that reports the same, built in a fraction
//! of the time; a first build compiles every dependency, about 5 CPU-minutes)
//! into `target/pre-commit-hook`, which `precommit.rs`'s `language: rust`
//! hook builds into with the same settings, so the two share the dependency
//! builds they resolve alike (that hook's `cargo install` ignores Cargo.lock,
//! so not all of them). Not `target/debug` with the dev profile: maturin
//! relinks the binary there (stripped), replacing the `dagster-scripts` the
//! other tests are running.

use std::ffi::OsString;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::time::Duration;

use super::{git, text, user_repo};
use crate::support::{another, repo, tools};

/// The first build compiles every dependency (minutes on two cores).
const BUILD_LIMIT: Duration = Duration::from_secs(30 * 60);
/// pip, venv and pre-commit's own installs: offline, seconds each.
const INSTALL_LIMIT: Duration = Duration::from_secs(5 * 60);
const RUN_LIMIT: Duration = Duration::from_secs(60);

/// maturin with the cheap release profile, in the repository.
fn maturin(args: &[&str]) -> Output {
    let target = repo().join("target/pre-commit-hook");
    let out = tools::output(
        tools::command("maturin")
            .args(args)
            .arg("--manifest-path")
            .arg(repo().join("Cargo.toml"))
            .current_dir(repo())
            .env("CARGO_TARGET_DIR", &target)
            .env("CARGO_PROFILE_RELEASE_OPT_LEVEL", "0")
            .env("CARGO_PROFILE_RELEASE_LTO", "false")
            .env("CARGO_PROFILE_RELEASE_CODEGEN_UNITS", "256"),
        BUILD_LIMIT,
    );
    assert!(out.status.success(), "maturin {args:?}:\n{}", text(&out));
    out
}

/// The only file in `dir` whose name ends with `suffix`.
fn only_file(dir: &Path, suffix: &str) -> PathBuf {
    let found: Vec<PathBuf> = std::fs::read_dir(dir)
        .expect("read dir")
        .map(|e| e.expect("entry").path())
        .filter(|p| p.to_string_lossy().ends_with(suffix))
        .collect();
    assert_eq!(
        found.len(),
        1,
        "one {suffix} in {}: {found:?}",
        dir.display()
    );
    found[0].clone()
}

/// The names in a zip (wheel) or tar.gz (sdist) archive, read with Python's
/// standard library from the tools venv.
fn archive_names(archive: &Path) -> Vec<String> {
    let script = "import sys, tarfile, zipfile\n\
                  p = sys.argv[1]\n\
                  names = zipfile.ZipFile(p).namelist() if p.endswith('.whl') else \
                  [m.name for m in tarfile.open(p) if m.isfile()]\n\
                  print('\\n'.join(names))\n";
    let out = tools::output(
        tools::command("python").arg("-c").arg(script).arg(archive),
        RUN_LIMIT,
    );
    assert!(
        out.status.success(),
        "list {}:\n{}",
        archive.display(),
        text(&out)
    );
    String::from_utf8(out.stdout)
        .expect("UTF-8 names")
        .lines()
        .map(str::to_owned)
        .collect()
}

/// One file of the wheel, as text.
fn wheel_file(wheel: &Path, name: &str) -> String {
    let script = "import sys, zipfile\n\
                  sys.stdout.write(zipfile.ZipFile(sys.argv[1]).read(sys.argv[2]).decode())\n";
    let out = tools::output(
        tools::command("python")
            .arg("-c")
            .arg(script)
            .arg(wheel)
            .arg(name),
        RUN_LIMIT,
    );
    assert!(out.status.success(), "read {name}:\n{}", text(&out));
    String::from_utf8(out.stdout).expect("UTF-8")
}

/// `PATH` for a machine without Rust: the tools' and the system's folders,
/// less every folder holding cargo or rustc.
fn path_without_rust() -> OsString {
    let path = tools::path_env();
    let kept: Vec<PathBuf> = std::env::split_paths(&path)
        .filter(|dir| !dir.join("cargo").exists() && !dir.join("rustc").exists())
        .collect();
    std::env::join_paths(kept).expect("PATH entries hold no separator")
}

/// `PATH` with the venv's scripts first, as after `source venv/bin/activate`.
fn activated(venv: &Path) -> OsString {
    let mut dirs = vec![venv.join("bin")];
    dirs.extend(std::env::split_paths(&path_without_rust()));
    std::env::join_paths(dirs).expect("PATH entries hold no separator")
}

/// The installed `dagster-scripts`, found on the activated venv's PATH.
fn installed(venv: &Path, dir: &Path, args: &[&str]) -> Output {
    let path = activated(venv);
    let bin = std::env::split_paths(&path)
        .map(|d| d.join("dagster-scripts"))
        .find(|c| c.is_file())
        .expect("dagster-scripts on the venv's PATH");
    assert_eq!(
        bin,
        venv.join("bin/dagster-scripts"),
        "the wheel's binary comes first"
    );
    tools::output(
        Command::new(bin)
            .args(args)
            .current_dir(dir)
            .env("PATH", &path)
            .env("NO_COLOR", "1"),
        RUN_LIMIT,
    )
}

/// The setuptools wheel that virtualenv (pre-commit's dependency) carries for
/// seeding environments: what pip builds the hook repository's package with
/// when it may not download anything.
fn setuptools_wheel() -> PathBuf {
    let script = "import sys\n\
                  from virtualenv.seed.wheels.embed import get_embed_wheel\n\
                  print(get_embed_wheel('setuptools', '%d.%d' % sys.version_info[:2]).path)\n";
    let out = tools::output(tools::command("python").arg("-c").arg(script), RUN_LIMIT);
    assert!(
        out.status.success(),
        "virtualenv's setuptools wheel:\n{}",
        text(&out)
    );
    PathBuf::from(String::from_utf8(out.stdout).expect("a path").trim())
}

/// `pre-commit try-repo <hooks> <hook> --ref v<version> --all-files` in
/// `user` (the tag a `.pre-commit-config.yaml`'s `rev:` names), offline, pip
/// finding packages only in `links`, and no Rust toolchain on PATH.
fn try_repo(hooks: &Path, home: &Path, links: &Path, user: &Path, hook: &str) -> Output {
    let mut cmd = user_repo::try_repo(hooks, hook, user, &home.join("pre-commit"));
    cmd.arg("--ref")
        .arg(format!("v{}", crate::version::workspace()))
        .env("PATH", path_without_rust())
        .env("PIP_NO_INDEX", "1")
        .env("PIP_FIND_LINKS", links)
        .env("PIP_CONFIG_FILE", "/dev/null")
        .env("PIP_DISABLE_PIP_VERSION_CHECK", "1")
        // virtualenv seeds from the wheels it carries; it must not look for
        // newer ones, and keeps its cache in the test's folder.
        .env("VIRTUALENV_NO_PERIODIC_UPDATE", "1")
        .env("VIRTUALENV_OVERRIDE_APP_DATA", home.join("virtualenv"));
    tools::output(&mut cmd, INSTALL_LIMIT)
}

/// Files the source package may hold besides `src/**`: what the build reads.
const SDIST_FILES: &[&str] = &[
    "PKG-INFO",
    "pyproject.toml",
    "Cargo.toml",
    "Cargo.lock",
    "README.md",
    "templates/job.yaml.tera",
    "schema/spec.schema.json",
    "tests/dagster/Cargo.toml",
    "tests/dagster/src/lib.rs",
];

#[test]
fn the_wheel_puts_the_compiler_on_path_and_the_hook_runs_it_without_rust() {
    let version = crate::version::workspace();
    let work = tempfile::tempdir().expect("work dir");
    let w = work.path();
    let wheels = w.join("wheels");
    let wheels_arg = wheels.display().to_string();

    // The wheel: the binary as a script, the metadata, nothing else.
    maturin(&["build", "--release", "--locked", "--out", &wheels_arg]);
    let wheel = only_file(&wheels, ".whl");
    let file = wheel
        .file_name()
        .expect("a name")
        .to_string_lossy()
        .into_owned();
    assert!(
        file.starts_with(&format!("dagster_scripts-{version}-py3-none-")),
        "one wheel for every Python 3, named for the crate's version: {file}"
    );
    let data = format!("dagster_scripts-{version}.data/scripts/");
    let info = format!("dagster_scripts-{version}.dist-info/");
    let names = archive_names(&wheel);
    assert!(
        names.contains(&format!("{data}dagster-scripts")),
        "no dagster-scripts script: {names:#?}"
    );
    let strays: Vec<&String> = names
        .iter()
        .filter(|n| !n.starts_with(&info) && **n != format!("{data}dagster-scripts"))
        .collect();
    assert!(
        strays.is_empty(),
        "the wheel holds more than the binary: {strays:#?}"
    );
    let metadata = wheel_file(&wheel, &format!("{info}METADATA"));
    for field in [
        "Name: dagster-scripts\n".to_owned(),
        format!("Version: {version}\n"),
        "License-Expression: Apache-2.0\n".to_owned(),
        "Requires-Python: >=3.9\n".to_owned(),
        "Summary: Compile reviewed YAML requests".to_owned(),
        "Classifier: Programming Language :: Rust\n".to_owned(),
        "Description-Content-Type: text/markdown".to_owned(),
    ] {
        assert!(
            metadata.contains(&field),
            "no `{field}` in METADATA:\n{metadata}"
        );
    }

    // The source package: what the build reads, not the repository.
    let sdists = w.join("sdist");
    maturin(&["sdist", "--out", &sdists.display().to_string()]);
    let sdist = only_file(&sdists, ".tar.gz");
    let root = format!("dagster_scripts-{version}/");
    let names = archive_names(&sdist);
    let strays: Vec<&String> = names
        .iter()
        .filter(|n| {
            let inside = n.strip_prefix(&root).unwrap_or(n);
            !inside.starts_with("src/") && !SDIST_FILES.contains(&inside)
        })
        .collect();
    assert!(
        strays.is_empty(),
        "the source package holds more than the build reads: {strays:#?}"
    );
    for needed in [
        "src/main.rs",
        "src/dagster/queries/runs_tagged.graphql",
        "Cargo.lock",
    ] {
        assert!(
            names.contains(&format!("{root}{needed}")),
            "no {needed}: {names:#?}"
        );
    }

    // A fresh venv, offline: pip installs the wheel and its script is on PATH.
    let venv = w.join("venv");
    let python = std::env::var_os("PYTHON").unwrap_or_else(|| "python3".into());
    let out = tools::output(
        Command::new(python).args(["-m", "venv"]).arg(&venv),
        INSTALL_LIMIT,
    );
    assert!(out.status.success(), "python3 -m venv:\n{}", text(&out));
    let out = tools::output(
        Command::new(venv.join("bin/python"))
            .args([
                "-m",
                "pip",
                "install",
                "--no-index",
                "--disable-pip-version-check",
            ])
            .arg(&wheel)
            .env("PIP_CONFIG_FILE", "/dev/null"),
        INSTALL_LIMIT,
    );
    assert!(
        out.status.success(),
        "pip install the wheel:\n{}",
        text(&out)
    );

    let user = w.join("user");
    std::fs::create_dir(&user).expect("user repo");
    let out = installed(&venv, &user, &["--version"]);
    assert!(out.status.success(), "{}", text(&out));
    assert_eq!(
        String::from_utf8_lossy(&out.stdout).trim(),
        format!("dagster-scripts {version}")
    );

    user_repo::init(&user, "specs/backfill-97001.yaml", &another("97001"));
    let out = installed(&venv, &user, &["check"]);
    assert!(
        out.status.success(),
        "check of a good spec:\n{}",
        text(&out)
    );
    let out = installed(&venv, &user, &["render"]);
    assert!(out.status.success(), "render:\n{}", text(&out));
    assert!(
        user.join("out/kustomization.yaml").is_file(),
        "render wrote out/"
    );
    git(&user, &["add", "-A"]);
    git(&user, &["commit", "-q", "-m", "a valid request, rendered"]);

    let broken = user_repo::broken("97002");
    user_repo::write(&user, "specs/backfill-97002.yaml", &broken);
    let out = installed(&venv, &user, &["check"]);
    let all = text(&out);
    assert_eq!(out.status.code(), Some(1), "check of a broken spec:\n{all}");
    assert!(all.contains("specs/backfill-97002.yaml:1:1"), "{all}");
    std::fs::remove_file(user.join("specs/backfill-97002.yaml")).expect("rm");

    // The hook repository, published as its own repository (a git repository
    // with the folder's files at its root), installed by pre-commit from the
    // wheel's folder; the setuptools that builds its package sits beside it.
    let hooks = w.join("hooks");
    for name in [".pre-commit-hooks.yaml", "pyproject.toml", "README.md"] {
        let from = repo().join("ci/pre-commit").join(name);
        user_repo::write(
            &hooks,
            name,
            &std::fs::read_to_string(&from).expect("hook repo file"),
        );
    }
    git(&hooks, &["init", "-q"]);
    git(&hooks, &["add", "-A"]);
    git(&hooks, &["commit", "-q", "-m", &format!("v{version}")]);
    git(&hooks, &["tag", &format!("v{version}")]);
    let setuptools = setuptools_wheel();
    std::fs::copy(
        &setuptools,
        wheels.join(setuptools.file_name().expect("a name")),
    )
    .expect("copy setuptools");

    let out = try_repo(&hooks, w, &wheels, &user, "dagster-scripts-check");
    let all = user_repo::assert_passed(&out, "dagster-scripts check");
    // A Python environment (try-repo's store is its own, in a temp folder
    // it deletes), with no cargo to build anything.
    assert!(all.contains("[INFO] Installing environment for"), "{all}");
    let out = try_repo(&hooks, w, &wheels, &user, "dagster-scripts-render-check");
    user_repo::assert_passed(&out, "dagster-scripts render --check");

    user_repo::write(&user, "specs/backfill-97002.yaml", &broken);
    git(&user, &["add", "-A"]);
    let out = try_repo(&hooks, w, &wheels, &user, "dagster-scripts-check");
    user_repo::assert_check_failed_at_its_lines(&out, "specs/backfill-97002.yaml");
}

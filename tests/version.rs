//! The release's version is written in one place, Cargo.toml's
//! `[workspace.package]`; every other place that names it says the same: both
//! crates inherit it, the wheel takes it from Cargo.toml, and the pins users
//! copy (the kits' `DAGSTER_SCRIPTS_TAG`, the install lines and pre-commit
//! `rev:` in the READMEs, the hook repository's dependency, the image's label
//! and tags, the default image) are read here and compared. Plain text and
//! TOML only: no tool, no network, milliseconds.

use std::fmt::Write as _;

use crate::support::repo;

/// Where the version is written, for the failure messages.
const SOURCE: &str = "Cargo.toml's [workspace.package] `version`";

/// The release's version, from Cargo.toml's `[workspace.package]`.
pub fn workspace() -> String {
    let manifest = manifest("Cargo.toml");
    manifest["workspace"]["package"]["version"]
        .as_str()
        .unwrap_or_else(|| {
            panic!(
                "Cargo.toml has no [workspace.package] version: the release's version lives there"
            )
        })
        .to_owned()
}

/// The version the crate of `path` (a Cargo.toml) is built with: its own, or
/// the workspace's when it inherits it.
pub fn of_crate(path: &str) -> String {
    let manifest = manifest(path);
    match &manifest["package"]["version"] {
        toml::Value::String(own) => own.clone(),
        toml::Value::Table(t) if t.get("workspace") == Some(&toml::Value::Boolean(true)) => {
            workspace()
        }
        other => panic!("{path}: [package] version is neither a string nor inherited: {other}"),
    }
}

fn read(path: &str) -> String {
    std::fs::read_to_string(repo().join(path)).unwrap_or_else(|e| panic!("read {path}: {e}"))
}

fn manifest(path: &str) -> toml::Table {
    read(path)
        .parse()
        .unwrap_or_else(|e| panic!("{path} is not TOML: {e}"))
}

/// The 1-based line of the first line of `text` containing `needle`.
fn line_of(text: &str, needle: &str) -> usize {
    text.lines()
        .position(|l| l.contains(needle))
        .map_or(1, |i| i + 1)
}

/// A place that names the version: `prefix` then the version (`0.1.0`);
/// `at_least` such places must be in the file, so a rewrite that drops a pin
/// is noticed too.
struct Pin {
    prefix: &'static str,
    at_least: usize,
    /// What the line is, for the message.
    what: &'static str,
}

const fn pin(prefix: &'static str, at_least: usize, what: &'static str) -> Pin {
    Pin {
        prefix,
        at_least,
        what,
    }
}

/// Every file that names the version outside Cargo.toml, with its pins.
fn pinned_files() -> Vec<(String, Vec<Pin>)> {
    let install = pin("--tag v", 1, "the `cargo install` line's tag");
    let rev = || pin("rev: v", 1, "the pre-commit `rev:`");
    let wheel = pin("dagster-scripts==", 1, "the wheel's version pin");
    let uvx = pin("dagster-scripts@", 1, "the `uvx` line's version");
    let image = |n| pin("dagster-scripts-runner:", n, "the runner image's tag");
    let default_image = |n| {
        pin(
            "dagster-scripts/runner:",
            n,
            "the default runner image's tag",
        )
    };
    let kit_tag = || pin("DAGSTER_SCRIPTS_TAG: v", 1, "the kit's tag");
    let mut files = vec![
        (
            "README.md".to_owned(),
            vec![
                install,
                rev(),
                pin("dagster-scripts==", 1, "the wheel's version pin"),
                image(1),
                default_image(1),
            ],
        ),
        (
            "ci/README.md".to_owned(),
            vec![
                pin("--tag v", 1, "the `cargo install` line's tag"),
                rev(),
                image(1),
            ],
        ),
        (
            "ci/pre-commit/README.md".to_owned(),
            vec![rev(), wheel, uvx],
        ),
        (
            "ci/pre-commit/.pre-commit-hooks.yaml".to_owned(),
            vec![rev()],
        ),
        (
            "ci/pre-commit/pyproject.toml".to_owned(),
            vec![
                pin("version = \"", 1, "the hook package's version"),
                pin("dagster-scripts==", 1, "the hook's dependency on the wheel"),
            ],
        ),
        ("ci/github/dagster-scripts.yml".to_owned(), vec![kit_tag()]),
        (
            "ci/gitlab/dagster-scripts.gitlab-ci.yml".to_owned(),
            vec![kit_tag()],
        ),
        (
            "Dockerfile".to_owned(),
            vec![
                pin(
                    "org.opencontainers.image.version=\"",
                    1,
                    "the image's version label",
                ),
                image(1),
            ],
        ),
    ];
    // The committed examples name the default image; `render` writes them.
    let mut rendered: Vec<String> = std::fs::read_dir(repo().join("out"))
        .expect("out/")
        .map(|e| e.expect("entry").file_name().to_string_lossy().into_owned())
        .filter(|n| n.ends_with(".yaml"))
        .collect();
    rendered.sort();
    for name in rendered {
        files.push((format!("out/{name}"), vec![default_image(0)]));
    }
    files
}

/// The version-like text after `prefix` at `at`: `0.1.0`, `1.2.3-rc.1`; none
/// when what follows is no version (a placeholder such as `<a tag>`).
fn version_after(line: &str, at: usize) -> Option<&str> {
    let rest = &line[at..];
    let end = rest
        .find(|c: char| !(c.is_ascii_alphanumeric() || ".+-".contains(c)))
        .unwrap_or(rest.len());
    let token = rest[..end].trim_end_matches('.');
    token
        .starts_with(|c: char| c.is_ascii_digit())
        .then_some(token)
}

/// Whether a `rev:` line belongs to a dagster-scripts hook repository: the
/// nearest `repo:` above it names one (other hooks' revisions are theirs).
fn rev_of_ours(lines: &[&str], index: usize) -> bool {
    lines[..index]
        .iter()
        .rev()
        .find(|l| l.contains("repo:"))
        .is_some_and(|l| l.contains("dagster-scripts"))
}

/// Every disagreement with `version`, one line each, `file:line:col: ...`,
/// in the order of the files and their lines.
fn disagreements(version: &str) -> Vec<String> {
    pinned_files()
        .into_iter()
        .flat_map(|(path, pins)| disagreements_in(&path, &read(&path), &pins, version))
        .collect()
}

/// The disagreements with `version` in `text`, the content of `path`.
fn disagreements_in(path: &str, text: &str, pins: &[Pin], version: &str) -> Vec<String> {
    let lines: Vec<&str> = text.lines().collect();
    let mut in_file = Vec::new();
    for pin in pins {
        // `version = "` closes its quote after the version.
        let close = if pin.prefix.ends_with('"') { "\"" } else { "" };
        let mut seen = 0;
        for (i, line) in lines.iter().enumerate() {
            for (at, _) in line.match_indices(pin.prefix) {
                if pin.prefix.starts_with("rev:") && !rev_of_ours(&lines, i) {
                    continue;
                }
                let start = at + pin.prefix.len();
                let Some(named) = version_after(line, start) else {
                    continue;
                };
                seen += 1;
                if named == version {
                    continue;
                }
                let hint = if path.starts_with("out/") {
                    "render again (`cargo run -- render`) and commit out/".to_owned()
                } else {
                    format!("write `{}{version}{close}`", pin.prefix)
                };
                let col = line[..start].chars().count() + 1;
                in_file.push((
                    (i, col),
                    format!(
                        "{path}:{}:{col}: {} is `{}{named}{close}`, but {SOURCE} is \
                         {version}: {hint}",
                        i + 1,
                        pin.what,
                        pin.prefix
                    ),
                ));
            }
        }
        if seen < pin.at_least {
            in_file.push((
                (usize::MAX, 0),
                format!(
                    "{path}: no `{}{version}{close}` ({}) any more: put it back, or take it \
                     out of the list in tests/version.rs if the file no longer names the \
                     version",
                    pin.prefix, pin.what
                ),
            ));
        }
    }
    in_file.sort();
    in_file.into_iter().map(|(_, message)| message).collect()
}

/// Both crates inherit the workspace's version (or, written out, agree with it).
fn crate_disagreements(version: &str) -> Vec<String> {
    let mut found = Vec::new();
    for path in ["Cargo.toml", "runner/Cargo.toml"] {
        let own = of_crate(path);
        if own != version {
            found.push(format!(
                "{path}:{}: [package] version is {own}, but {SOURCE} is {version}: \
                 write `version.workspace = true` there",
                line_of(&read(path), "version")
            ));
        }
    }
    found
}

/// The wheel's version is Cargo.toml's: pyproject.toml declares it dynamic
/// (maturin reads the root crate's) and does not write one of its own.
fn wheel_disagreements() -> Vec<String> {
    let text = read("pyproject.toml");
    let project = &manifest("pyproject.toml")["project"];
    let mut found = Vec::new();
    if let Some(own) = project.get("version") {
        found.push(format!(
            "pyproject.toml:{}: [project] version = {own}: delete it and list \"version\" in \
             `dynamic`, so that maturin takes {SOURCE}",
            line_of(&text, "version =")
        ));
    }
    let dynamic = project
        .get("dynamic")
        .and_then(toml::Value::as_array)
        .is_some_and(|d| d.iter().any(|v| v.as_str() == Some("version")));
    if !dynamic {
        found.push(format!(
            "pyproject.toml:{}: [project] `dynamic` does not list \"version\": add it, so that \
             maturin takes {SOURCE}",
            line_of(&text, "[project]")
        ));
    }
    found
}

#[test]
fn every_place_that_names_the_version_agrees_with_cargo_toml() {
    let version = workspace();
    let mut found = crate_disagreements(&version);
    found.extend(wheel_disagreements());
    found.extend(disagreements(&version));
    let default = dagster_scripts::settings::Settings::default().image;
    if default.as_str() != format!("ghcr.io/dagster-scripts/runner:{version}") {
        found.push(format!(
            "src/settings/mod.rs: the default image is {default}: build its tag from \
             env!(\"CARGO_PKG_VERSION\")"
        ));
    }
    let mut message = String::new();
    for line in &found {
        let _ = writeln!(message, "  {line}");
    }
    assert!(
        found.is_empty(),
        "the version is written in one place, {SOURCE} ({version}); these disagree:\n{message}"
    );
}

#[test]
fn a_pin_that_disagrees_is_reported_at_its_line_with_what_to_write() {
    // The checker itself, on the real files against another version: every
    // required pin is reported, each with its file, line and replacement.
    let found = disagreements("9.8.7");
    let all = found.join("\n");
    for expected in [
        "ci/github/dagster-scripts.yml:",
        "ci/gitlab/dagster-scripts.gitlab-ci.yml:",
        "ci/pre-commit/pyproject.toml:",
        "Dockerfile:",
        "README.md:",
        "ci/README.md:",
    ] {
        assert!(
            found.iter().any(|l| l.starts_with(expected)),
            "nothing reported in {expected}\n{all}"
        );
    }
    let tag = found
        .iter()
        .find(|l| l.starts_with("ci/github/dagster-scripts.yml:"))
        .expect("the kit's tag");
    let text = read("ci/github/dagster-scripts.yml");
    let line = line_of(&text, "DAGSTER_SCRIPTS_TAG: v");
    assert_eq!(
        tag,
        &format!(
            "ci/github/dagster-scripts.yml:{line}:25: the kit's tag is `DAGSTER_SCRIPTS_TAG: \
             v{}`, but {SOURCE} is 9.8.7: write `DAGSTER_SCRIPTS_TAG: v9.8.7`",
            workspace()
        )
    );
    let label = found
        .iter()
        .find(|l| l.starts_with("Dockerfile:") && l.contains("label"))
        .expect("the image's label");
    assert!(
        label.ends_with("write `org.opencontainers.image.version=\"9.8.7\"`"),
        "{label}"
    );
    // A file that stops naming the version is reported too.
    let pins = [pin("--tag v", 1, "the `cargo install` line's tag")];
    assert_eq!(
        disagreements_in("ci/README.md", "cargo install --path .\n", &pins, "9.8.7"),
        [
            "ci/README.md: no `--tag v9.8.7` (the `cargo install` line's tag) any more: put it \
          back, or take it out of the list in tests/version.rs if the file no longer names the \
          version"
        ]
    );
}

#[test]
fn versions_are_read_after_their_prefix_and_placeholders_are_skipped() {
    assert_eq!(version_after("rev: v0.1.0", 6), Some("0.1.0"));
    assert_eq!(
        version_after("x --tag v1.2.3-rc.1 \\", 9),
        Some("1.2.3-rc.1")
    );
    assert_eq!(version_after("runner:0.1.0.", 7), Some("0.1.0"));
    assert_eq!(version_after("runner:0.1.0\"", 7), Some("0.1.0"));
    assert_eq!(version_after("rev: <a tag or commit>", 5), None);
    assert_eq!(version_after("dagster-scripts-runner:test", 23), None);
    let lines = [
        "  - repo: https://github.com/pre-commit/pre-commit-hooks",
        "    rev: v5.0.0",
        "  - repo: https://github.com/your-org/dagster-scripts",
        "    rev: v0.1.0",
    ];
    assert!(!rev_of_ours(&lines, 1));
    assert!(rev_of_ours(&lines, 3));
}

/// The hook repository for machines without Rust (`ci/pre-commit/`) offers
/// the same hooks as the root `.pre-commit-hooks.yaml`, but for `language`.
#[test]
fn the_wheel_hooks_are_the_rust_hooks_but_for_their_language() {
    let hooks = |path: &str, language: &str| -> Vec<String> {
        read(path)
            .lines()
            .filter(|l| !l.trim().is_empty() && !l.starts_with('#'))
            .map(|l| {
                if l.trim() == format!("language: {language}") {
                    l.replace(language, "<language>")
                } else {
                    l.to_owned()
                }
            })
            .collect()
    };
    let rust = hooks(".pre-commit-hooks.yaml", "rust");
    let python = hooks("ci/pre-commit/.pre-commit-hooks.yaml", "python");
    assert!(
        rust.iter().filter(|l| l.contains("<language>")).count() == 2,
        "{rust:#?}"
    );
    assert_eq!(
        python, rust,
        "ci/pre-commit/.pre-commit-hooks.yaml must list the hooks of .pre-commit-hooks.yaml \
         (same ids, entries and files), with `language: python` for `language: rust`"
    );
}

//! What each binary links: the runner builds the library with the `dagster`
//! feature only, so none of the compiler's crates (the template engine, the
//! schema validator, the argument parser, the diagnostics' drawing...) can
//! reach the image that runs in the cluster.

use std::process::Command;

use crate::support::repo;

/// The crates `package` links (normal and build dependencies), by name.
fn linked(package: &str) -> Vec<String> {
    let cargo = std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
    let out = Command::new(cargo)
        .args(["tree", "--locked", "-p", package, "-e", "normal,build"])
        .args(["--prefix", "none", "--format", "{lib}"])
        .current_dir(repo())
        .output()
        .expect("cargo tree runs");
    assert!(
        out.status.success(),
        "cargo tree failed:\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let mut names: Vec<String> = String::from_utf8_lossy(&out.stdout)
        .lines()
        .map(|l| l.trim().trim_end_matches(" (*)").to_owned())
        .filter(|l| !l.is_empty())
        .collect();
    names.sort();
    names.dedup();
    names
}

#[test]
fn the_runner_links_none_of_the_compilers_crates() {
    let runner = linked("dagster-scripts-runner");
    // The check is only worth something if the tree was read at all.
    for needed in ["dagster_scripts", "ureq", "serde_json"] {
        assert!(
            runner.iter().any(|n| n == needed),
            "{needed} missing from {runner:?}"
        );
    }
    let compiler_only = [
        "tera",
        "jsonschema",
        "clap",
        "walkdir",
        "similar",
        "toml",
        "annotate_snippets",
        "mimalloc",
    ];
    let leaked: Vec<&str> = compiler_only
        .into_iter()
        .filter(|c| runner.iter().any(|n| n == c))
        .collect();
    assert!(leaked.is_empty(), "the runner links {leaked:?}");
    // And the compiler does link them: the names above are the real ones.
    let compiler = linked("dagster-scripts");
    for c in compiler_only {
        assert!(
            compiler.iter().any(|n| n == c),
            "the compiler does not link {c}"
        );
    }
}

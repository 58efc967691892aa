//! The declared `rust-version`, checked without that toolchain: every crate
//! of the workspace declares the same one, and every crate they build with
//! (normal and build dependencies, every feature, every platform) declares
//! none newer. `make msrv` also builds the workspace with that toolchain
//! where rustup can install it; clippy's `incompatible_msrv` covers our own
//! use of newer standard-library items.

use std::collections::{BTreeSet, HashMap};
use std::process::Command;

use serde_json::Value;

use crate::support::repo;

/// `1.89`, `1.85.1` as comparable numbers (a missing part is 0).
fn version(text: &str) -> (u64, u64, u64) {
    let mut parts = text.split('.').map(|p| {
        p.parse::<u64>()
            .unwrap_or_else(|_| panic!("rust-version {text:?}"))
    });
    let mut next = || parts.next().unwrap_or(0);
    (next(), next(), next())
}

/// `cargo metadata` of the workspace, every feature on, lock file as is.
fn metadata() -> Value {
    let cargo = std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
    let out = Command::new(cargo)
        .args([
            "metadata",
            "--format-version",
            "1",
            "--locked",
            "--all-features",
        ])
        .current_dir(repo())
        .output()
        .expect("cargo metadata runs");
    assert!(
        out.status.success(),
        "cargo metadata failed:\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).expect("cargo metadata prints JSON")
}

#[test]
fn no_dependency_needs_a_newer_rust_than_we_declare() {
    let meta = metadata();
    let packages: HashMap<&str, &Value> = meta["packages"]
        .as_array()
        .expect("packages")
        .iter()
        .map(|p| (p["id"].as_str().expect("id"), p))
        .collect();
    let nodes: HashMap<&str, &Value> = meta["resolve"]["nodes"]
        .as_array()
        .expect("resolve.nodes")
        .iter()
        .map(|n| (n["id"].as_str().expect("id"), n))
        .collect();
    let members: Vec<&str> = meta["workspace_members"]
        .as_array()
        .expect("workspace_members")
        .iter()
        .map(|m| m.as_str().expect("member id"))
        .collect();

    let root = packages
        .values()
        .find(|p| p["name"] == "dagster-scripts")
        .expect("the root package");
    let ours = root["rust_version"]
        .as_str()
        .expect("the root crate declares a rust-version");
    for id in &members {
        let package = packages[id];
        assert_eq!(
            package["rust_version"].as_str(),
            Some(ours),
            "{} declares a rust-version other than the root's {ours}",
            package["name"].as_str().unwrap_or_default()
        );
    }

    // What a build of our crates compiles: members, then their normal and
    // build dependencies, transitively (dev-dependencies only at the members,
    // whose tests are not built by users).
    let mut reached = BTreeSet::new();
    let mut stack: Vec<&str> = members.clone();
    while let Some(id) = stack.pop() {
        if !reached.insert(id) {
            continue;
        }
        for dep in nodes[id]["deps"].as_array().expect("deps") {
            let built = dep["dep_kinds"]
                .as_array()
                .expect("dep_kinds")
                .iter()
                .any(|k| k["kind"].is_null() || k["kind"] == "build");
            if built {
                stack.push(dep["pkg"].as_str().expect("pkg"));
            }
        }
    }
    assert!(reached.len() > members.len(), "no dependency was found");

    let newer: Vec<String> = reached
        .iter()
        .map(|id| packages[id])
        .filter_map(|p| {
            let declared = p["rust_version"].as_str()?;
            let (name, release) = (p["name"].as_str()?, p["version"].as_str()?);
            (version(declared) > version(ours))
                .then(|| format!("{name} {release} needs Rust {declared}"))
        })
        .collect();
    assert!(
        newer.is_empty(),
        "dependencies that need a newer Rust than our rust-version {ours} \
         (raise it in both Cargo.toml files, or keep the older version in Cargo.lock):\n{}",
        newer.join("\n")
    );
}

#[test]
fn versions_compare_by_number() {
    assert!(version("1.89") == version("1.89.0"));
    assert!(version("1.100") > version("1.89"));
    assert!(version("1.85.1") < version("1.89"));
    assert!(version("2.0") > version("1.99.9"));
}

//! Helpers shared by the test modules.

pub mod kube;
pub mod tools;

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

/// The repository root (where `Cargo.toml` is).
pub fn repo() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// Runs the compiler binary with `args` in `dir`.
pub fn run(dir: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_dagster-scripts"))
        .args(args)
        .current_dir(dir)
        .env("NO_COLOR", "1")
        .output()
        .expect("the dagster-scripts binary runs")
}

/// Exit code, stdout and stderr of a finished command.
pub fn outcome(o: &Output) -> (i32, String, String) {
    (
        o.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&o.stdout).into_owned(),
        String::from_utf8_lossy(&o.stderr).into_owned(),
    )
}

/// A temporary repository with a `specs/` folder holding `files`.
pub fn repo_with(files: &[(&str, &[u8])]) -> tempfile::TempDir {
    let dir = temp_dir();
    std::fs::create_dir(dir.path().join("specs")).expect("specs dir");
    for (name, bytes) in files {
        let path = dir.path().join("specs").join(name);
        if let Some(parent) = path.parent() {
            std::fs::create_dir_all(parent).expect("parent dir");
        }
        std::fs::write(path, bytes).expect("write spec");
    }
    dir
}

/// A temporary directory whose name does not start with a dot (checkov skips
/// hidden directories, and tempfile's default names are hidden).
pub fn temp_dir() -> tempfile::TempDir {
    tempfile::Builder::new()
        .prefix("dagster-scripts-test-")
        .tempdir()
        .expect("temp dir")
}

/// The seed's example, exactly as the RFC writes it.
pub const SEED: &str = "job_name: ingestion_job
repository_name: luchtmeetnet_ingestion
tags:
  name: \"34543\"
  partitions:
  - name: daily
    start_date: '2024-01-31'
    end_date: '2024-02-01'
  - name: stations
    values:
    - NL01497
    - NL01912
";

/// The seed's request for issue `issue`, of job `ingestion_job_<issue>`: a
/// spec beside the seed that neither copies (E023) nor overlaps (E026) it.
pub fn another(issue: &str) -> String {
    apart(SEED.replace("34543", issue), issue)
}

/// `spec` (a copy of the seed) moved to job `ingestion_job_<n>`, so that it
/// overlaps no other copy (E026).
pub fn apart(spec: String, n: impl std::fmt::Display) -> String {
    spec.replace("ingestion_job", &format!("ingestion_job_{n}"))
}

/// The Job name inside a rendered manifest file.
pub fn job_name_in(file: &Path) -> String {
    let text = std::fs::read_to_string(file).expect("manifest");
    let docs = dagster_scripts::read::yaml::parse_documents(&text, file).expect("manifest parses");
    docs[0]["metadata"]["name"]
        .as_str()
        .expect("a name")
        .to_owned()
}

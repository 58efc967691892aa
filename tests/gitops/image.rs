//! The runner image (`Dockerfile`). No container engine runs here, so the
//! tests check what the image rests on, with the real tools:
//!
//! - hadolint finds nothing to say about the Dockerfile;
//! - the runtime stage is `scratch` plus one binary, as the numeric user the
//!   rendered Job runs as, with the entrypoint the Job's `command` names;
//! - the build stage's exact `cargo build` command (read from the Dockerfile),
//!   run on a context holding only what the Dockerfile copies, gives a static
//!   ELF with no interpreter and no shared libraries; that binary then runs in
//!   an otherwise empty root directory (no shell, no libc, no NSS modules) as
//!   user 10001 with only the image's environment, resolves a Kubernetes
//!   service name through DNS and calls Dagster's GraphQL endpoint.

use std::collections::BTreeMap;
use std::io::{Read, Write};
use std::net::{TcpListener, UdpSocket};
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc;
use std::thread;
use std::time::{Duration, Instant};

use serde_json::Value;

use super::text;
use crate::support::{repo, tools};

/// One instruction of a Dockerfile, continuation lines joined.
#[derive(Debug)]
struct Instruction {
    keyword: String,
    args: String,
}

fn dockerfile() -> String {
    std::fs::read_to_string(repo().join("Dockerfile")).expect("Dockerfile")
}

/// The Dockerfile's stages, each a list of instructions (ARGs before the
/// first FROM are dropped: they only feed FROM lines).
fn stages() -> Vec<Vec<Instruction>> {
    stages_of(&dockerfile()).1
}

/// The ARGs before the first FROM (what FROM lines may use), and the stages.
fn stages_of(text: &str) -> (Vec<Instruction>, Vec<Vec<Instruction>>) {
    let mut joined = Vec::new();
    let mut current = String::new();
    for line in text.lines() {
        let trimmed = line.trim();
        if current.is_empty() && (trimmed.is_empty() || trimmed.starts_with('#')) {
            continue;
        }
        match trimmed.strip_suffix('\\') {
            Some(head) => {
                current.push_str(head);
                current.push(' ');
            }
            None => {
                current.push_str(trimmed);
                joined.push(std::mem::take(&mut current));
            }
        }
    }
    let mut global = Vec::new();
    let mut stages: Vec<Vec<Instruction>> = Vec::new();
    for line in joined {
        let (keyword, args) = line
            .split_once(char::is_whitespace)
            .expect("an instruction has arguments");
        let ins = Instruction {
            keyword: keyword.to_ascii_uppercase(),
            args: args.trim().to_owned(),
        };
        if ins.keyword == "FROM" {
            stages.push(Vec::new());
        }
        match stages.last_mut() {
            Some(stage) => stage.push(ins),
            None => global.push(ins),
        }
    }
    (global, stages)
}

/// The image each stage starts from, `${ARG}`s replaced by the defaults of
/// the ARGs before the first FROM (what a build without `--build-arg` uses).
fn base_images(text: &str) -> Vec<String> {
    let (global, stages) = stages_of(text);
    let defaults: BTreeMap<&str, &str> = global
        .iter()
        .filter(|i| i.keyword == "ARG")
        .filter_map(|i| i.args.split_once('='))
        .collect();
    stages
        .iter()
        .map(|stage| {
            let from = stage[0]
                .args
                .split_whitespace()
                .find(|w| !w.starts_with("--"))
                .expect("FROM names an image");
            let mut image = from.to_owned();
            for (name, value) in &defaults {
                image = image
                    .replace(&format!("${{{name}}}"), value)
                    .replace(&format!("${name}"), value);
            }
            image
        })
        .collect()
}

/// The stages' base images that are not pinned by both a tag and a digest
/// (`scratch` is no image); each with why.
fn unpinned_bases(text: &str) -> Vec<String> {
    let mut unpinned = Vec::new();
    for image in base_images(text) {
        if image == "scratch" {
            continue;
        }
        let (name, digest) = image.split_once('@').unwrap_or((&image, ""));
        let digest_ok = digest.strip_prefix("sha256:").is_some_and(|h| {
            h.len() == 64
                && h.bytes()
                    .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
        });
        let tagged = name
            .rsplit('/')
            .next()
            .is_some_and(|last| last.contains(':'));
        if !digest_ok {
            unpinned.push(format!(
                "{image}: no digest (`@sha256:` and 64 hex digits); pin the tag's index digest"
            ));
        }
        if !tagged {
            unpinned.push(format!(
                "{image}: no tag; keep the tag beside the digest so a reader sees the version"
            ));
        }
    }
    unpinned
}

fn all<'a>(stage: &'a [Instruction], keyword: &str) -> Vec<&'a str> {
    stage
        .iter()
        .filter(|i| i.keyword == keyword)
        .map(|i| i.args.as_str())
        .collect()
}

fn only<'a>(stage: &'a [Instruction], keyword: &str) -> &'a str {
    let found = all(stage, keyword);
    assert_eq!(
        found.len(),
        1,
        "expected one {keyword} in the stage, got {found:?}"
    );
    found[0]
}

/// `KEY=value` pairs of an ENV or LABEL instruction (values may be quoted).
fn pairs(args: &str) -> BTreeMap<String, String> {
    let mut map = BTreeMap::new();
    let mut rest = args.trim();
    while !rest.is_empty() {
        let (key, after) = rest.split_once('=').expect("KEY=value");
        let (value, after) = match after.strip_prefix('"') {
            Some(quoted) => {
                let end = quoted.find('"').expect("closing quote");
                (&quoted[..end], &quoted[end + 1..])
            }
            None => after.split_once(char::is_whitespace).unwrap_or((after, "")),
        };
        map.insert(key.trim().to_owned(), value.to_owned());
        rest = after.trim();
    }
    map
}

/// An exec-form (JSON array) argument list.
fn exec_form(args: &str) -> Vec<String> {
    serde_json::from_str(args).unwrap_or_else(|e| panic!("`{args}` is not exec form: {e}"))
}

/// The runner crate's version (the workspace's, which it inherits).
fn runner_version() -> String {
    crate::version::of_crate("runner/Cargo.toml")
}

#[test]
fn hadolint_has_nothing_to_say() {
    let out = tools::output(
        tools::command("hadolint")
            .args(["--failure-threshold", "style"])
            .arg(repo().join("Dockerfile")),
        Duration::from_secs(60),
    );
    let all = text(&out);
    assert!(
        out.status.success() && all.trim().is_empty(),
        "hadolint ({}):\n{all}",
        tools::version("hadolint", &["--version"])
    );
}

/// The first document of `kind` in a rendered example.
fn rendered(kind: &str) -> Value {
    let docs = tools::yaml_documents(&repo().join("out/backfill-34543.yaml"));
    docs.into_iter()
        .find(|d| d["kind"] == kind)
        .unwrap_or_else(|| panic!("no {kind} in out/backfill-34543.yaml"))
}

#[test]
fn build_stage_base_image_is_pinned_by_tag_and_digest() {
    let text = dockerfile();
    let bases = base_images(&text);
    assert!(
        bases[0].starts_with("docker.io/library/rust:"),
        "the build stage starts from the Rust image: {bases:?}"
    );
    let unpinned = unpinned_bases(&text);
    assert!(
        unpinned.is_empty(),
        "Dockerfile: every stage but `scratch` starts from an image pinned by tag and digest:\n{}",
        unpinned.join("\n")
    );

    // The same check fails on the Dockerfile with the digest taken out, or
    // with a FROM that names an image without one.
    let (tagged, _) = bases[0].split_once('@').expect("a digest");
    let unpinned = unpinned_bases(&text.replace(&bases[0], tagged));
    assert_eq!(unpinned.len(), 1, "{unpinned:?}");
    assert!(unpinned[0].contains("no digest"), "{unpinned:?}");
    let direct = text.replace(
        "FROM ${RUST_IMAGE} AS build",
        "FROM rust:1.95.0-slim AS build",
    );
    assert!(
        unpinned_bases(&direct)
            .first()
            .is_some_and(|u| u.starts_with("rust:1.95.0-slim: no digest")),
        "{:?}",
        unpinned_bases(&direct)
    );
}

#[test]
fn runtime_stage_is_one_binary_that_the_rendered_job_runs_as_its_user() {
    let stages = stages();
    assert_eq!(stages.len(), 2, "a build stage and a runtime stage");
    let runtime = &stages[1];
    assert_eq!(only(runtime, "FROM"), "scratch");
    let keywords: Vec<&str> = runtime.iter().map(|i| i.keyword.as_str()).collect();
    assert_eq!(
        keywords,
        ["FROM", "COPY", "ENV", "USER", "ENTRYPOINT", "LABEL"],
        "nothing else in the image"
    );

    let copy: Vec<&str> = only(runtime, "COPY").split_whitespace().collect();
    assert_eq!(copy.len(), 3, "COPY --from=build SRC DEST: {copy:?}");
    assert_eq!(copy[0], "--from=build");
    let dest = Path::new(copy[2]);
    let env = pairs(only(runtime, "ENV"));
    assert_eq!(env.len(), 1, "only PATH: {env:?}");
    assert_eq!(
        Path::new(&env["PATH"]),
        dest.parent().expect("a folder"),
        "the binary is on PATH"
    );
    let entrypoint = exec_form(only(runtime, "ENTRYPOINT"));
    assert_eq!(
        entrypoint,
        [dest.file_name().expect("a name").to_str().expect("UTF-8")]
    );

    let user = only(runtime, "USER");
    let (uid, gid) = user.split_once(':').expect("USER uid:gid");
    let uid: u32 = uid.parse().expect("a numeric user");
    let gid: u32 = gid.parse().expect("a numeric group");
    assert!(
        uid >= 10000,
        "restricted policies and checkov ask for a uid of 10000 or more"
    );

    let labels = pairs(only(runtime, "LABEL"));
    for key in ["title", "description", "source", "licenses", "version"] {
        assert!(
            labels.contains_key(&format!("org.opencontainers.image.{key}")),
            "no OCI label {key}: {labels:?}"
        );
    }
    assert_eq!(labels["org.opencontainers.image.version"], runner_version());

    // The rendered Job runs exactly this: its command, user and group, and a
    // read-only root filesystem (the binary writes nothing).
    let job = rendered("Job");
    let pod = &job["spec"]["template"]["spec"];
    let container = &pod["containers"][0];
    assert_eq!(container["command"], serde_json::json!(entrypoint));
    let context = |key: &str| {
        container["securityContext"][key]
            .clone()
            .or_else(|| pod["securityContext"][key].clone())
    };
    assert_eq!(context("runAsUser"), uid);
    assert_eq!(context("runAsGroup"), gid);
    assert_eq!(context("runAsNonRoot"), true);
    assert_eq!(container["securityContext"]["readOnlyRootFilesystem"], true);
}

/// `Value::or_else` for a missing key: `Null` counts as missing.
trait OrElse {
    fn or_else(self, f: impl FnOnce() -> Value) -> Value;
}

impl OrElse for Value {
    fn or_else(self, f: impl FnOnce() -> Value) -> Value {
        if self.is_null() { f() } else { self }
    }
}

/// The runner built as the Dockerfile's build stage builds it (once per
/// test process).
fn built_runner() -> PathBuf {
    static BUILT: std::sync::OnceLock<PathBuf> = std::sync::OnceLock::new();
    BUILT.get_or_init(build_as_the_dockerfile_does).clone()
}

/// Builds the runner exactly as the Dockerfile's build stage does, in a
/// context holding only what that stage copies; returns the binary.
fn build_as_the_dockerfile_does() -> PathBuf {
    let stages = stages();
    let build = &stages[0];
    let workdir = Path::new(only(build, "WORKDIR"));
    let context = tempfile::tempdir().expect("build context");
    let ignore = std::fs::read_to_string(repo().join(".dockerignore")).expect(".dockerignore");
    for copy in all(build, "COPY") {
        let mut paths: Vec<&str> = copy.split_whitespace().collect();
        let dest = paths.pop().expect("a destination");
        for src in paths {
            assert!(
                ignore.lines().any(|l| l == format!("!{src}")),
                ".dockerignore leaves {src} out of the context"
            );
            let to = if dest.ends_with('/') && !src.ends_with('/') {
                context.path().join(dest).join(src)
            } else {
                context.path().join(dest)
            };
            copy_tree(&repo().join(src), &to);
        }
    }
    let env = build
        .iter()
        .filter(|i| i.keyword == "ENV")
        .flat_map(|i| pairs(&i.args))
        .collect::<BTreeMap<_, _>>();
    let argv = exec_form(only(build, "RUN"));
    assert_eq!(
        argv[..2],
        ["cargo", "build"],
        "the build stage runs one cargo build"
    );
    assert!(argv.iter().any(|a| a == "--locked"), "{argv:?}");
    let target_dir = repo().join("target/image-build");
    let cargo = std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
    let out = tools::output(
        Command::new(cargo)
            .args(&argv[1..])
            .envs(&env)
            .env("CARGO_TARGET_DIR", &target_dir)
            .current_dir(context.path()),
        Duration::from_secs(30 * 60),
    );
    assert!(
        out.status.success(),
        "{argv:?} with {env:?} failed:\n{}",
        text(&out)
    );

    // The runtime stage copies the binary from where this build put it.
    let copy: Vec<&str> = only(&stages[1], "COPY").split_whitespace().collect();
    let inside = Path::new(copy[1])
        .strip_prefix(workdir.join("target"))
        .expect("the runtime stage copies from the build's target/");
    let binary = target_dir.join(inside);
    assert!(binary.is_file(), "{} was not built", binary.display());
    binary
}

fn copy_tree(from: &Path, to: &Path) {
    if from.is_dir() {
        for entry in std::fs::read_dir(from).expect("read dir") {
            let entry = entry.expect("dir entry");
            if entry.file_name() == "target" {
                continue;
            }
            copy_tree(&entry.path(), &to.join(entry.file_name()));
        }
    } else {
        std::fs::create_dir_all(to.parent().expect("parent")).expect("mkdir");
        std::fs::copy(from, to).unwrap_or_else(|e| panic!("copy {}: {e}", from.display()));
    }
}

/// Reads the ELF program headers: static means no interpreter (PT_INTERP) and
/// no needed shared library (DT_NEEDED in PT_DYNAMIC; a static PIE has one).
fn assert_static_elf(binary: &Path) {
    let elf = std::fs::read(binary).expect("read binary");
    let u16_at = |o: usize| u16::from_le_bytes(elf[o..o + 2].try_into().expect("2 bytes"));
    let u32_at = |o: usize| u32::from_le_bytes(elf[o..o + 4].try_into().expect("4 bytes"));
    let u64_at = |o: usize| u64::from_le_bytes(elf[o..o + 8].try_into().expect("8 bytes"));
    assert_eq!(&elf[..4], b"\x7fELF");
    assert_eq!(elf[4], 2, "64-bit");
    assert_eq!(elf[5], 1, "little-endian");
    assert_eq!(u16_at(0x12), 62, "x86-64");
    let (phoff, phentsize, phnum) = (
        u64_at(0x20) as usize,
        u16_at(0x36) as usize,
        u16_at(0x38) as usize,
    );
    let mut dynamic = None;
    for i in 0..phnum {
        let ph = phoff + i * phentsize;
        match u32_at(ph) {
            3 => panic!(
                "{} has an interpreter (PT_INTERP): not static",
                binary.display()
            ),
            2 => dynamic = Some((u64_at(ph + 0x08) as usize, u64_at(ph + 0x20) as usize)),
            _ => {}
        }
    }
    if let Some((offset, size)) = dynamic {
        for entry in (offset..offset + size).step_by(16) {
            assert_ne!(
                u64_at(entry),
                1,
                "{} needs a shared library (DT_NEEDED)",
                binary.display()
            );
        }
    }
}

/// A DNS server on 127.0.0.1:53 answering A queries for `name` with
/// 127.0.0.1 (and nothing else); records every name it was asked for.
struct Dns {
    asked: mpsc::Receiver<String>,
    stop: Arc<AtomicBool>,
    thread: Option<thread::JoinHandle<()>>,
}

impl Dns {
    fn serve(name: &str) -> Dns {
        let socket = UdpSocket::bind("127.0.0.1:53")
            .expect("bind 127.0.0.1:53 (the test runs as root; is a resolver there?)");
        socket
            .set_read_timeout(Some(Duration::from_millis(100)))
            .expect("timeout");
        let (tx, asked) = mpsc::channel();
        let stop = Arc::new(AtomicBool::new(false));
        let name = name.to_owned();
        let stopping = stop.clone();
        let thread = thread::spawn(move || {
            let mut buf = [0u8; 512];
            while !stopping.load(Ordering::Relaxed) {
                let Ok((n, peer)) = socket.recv_from(&mut buf) else {
                    continue;
                };
                if let Some((reply, asked_for)) = dns_answer(&buf[..n], &name) {
                    let _ = tx.send(asked_for);
                    let _ = socket.send_to(&reply, peer);
                }
            }
        });
        Dns {
            asked,
            stop,
            thread: Some(thread),
        }
    }
}

impl Drop for Dns {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

/// The reply to one DNS query, and the name it asked for.
fn dns_answer(query: &[u8], name: &str) -> Option<(Vec<u8>, String)> {
    if query.len() < 12 {
        return None;
    }
    let mut labels = Vec::new();
    let mut at = 12;
    loop {
        let len = *query.get(at)? as usize;
        at += 1;
        if len == 0 {
            break;
        }
        labels.push(String::from_utf8_lossy(query.get(at..at + len)?).into_owned());
        at += len;
    }
    let qtype = u16::from_be_bytes([*query.get(at)?, *query.get(at + 1)?]);
    let question = query.get(12..at + 4)?;
    let asked = labels.join(".");
    let known = asked.eq_ignore_ascii_case(name);
    let answer = known && qtype == 1;
    let mut reply = Vec::new();
    reply.extend_from_slice(&query[..2]);
    // A response, recursion desired and available; NXDOMAIN for other names.
    reply.extend_from_slice(&[0x81, if known { 0x80 } else { 0x83 }]);
    reply.extend_from_slice(&[0, 1, 0, u8::from(answer), 0, 0, 0, 0]);
    reply.extend_from_slice(question);
    if answer {
        reply.extend_from_slice(&[0xc0, 0x0c, 0, 1, 0, 1, 0, 0, 0, 60, 0, 4, 127, 0, 0, 1]);
    }
    Some((reply, asked))
}

/// A root directory holding only the binary (where the image puts it), the
/// spec where the Job mounts it, and the two files the kubelet writes into
/// every container; readable, not writable, by the runner's user.
fn image_root(binary: &Path, dest: &Path, spec_path: &Path) -> tempfile::TempDir {
    let root = tempfile::tempdir().expect("root dir");
    let put = |path: &Path, bytes: &[u8], mode: u32| {
        let at = root.path().join(path.strip_prefix("/").expect("absolute"));
        std::fs::create_dir_all(at.parent().expect("parent")).expect("mkdir");
        std::fs::write(&at, bytes).expect("write");
        std::fs::set_permissions(&at, std::fs::Permissions::from_mode(mode)).expect("chmod");
    };
    put(dest, &std::fs::read(binary).expect("binary"), 0o755);
    put(spec_path, crate::support::SEED.as_bytes(), 0o644);
    put(
        Path::new("/etc/resolv.conf"),
        b"nameserver 127.0.0.1\noptions ndots:5 timeout:1 attempts:2\n",
        0o644,
    );
    put(Path::new("/etc/hosts"), b"127.0.0.1 localhost\n", 0o644);
    for dir in walk_dirs(root.path()) {
        std::fs::set_permissions(dir, std::fs::Permissions::from_mode(0o755)).expect("chmod dir");
    }
    root
}

fn walk_dirs(dir: &Path) -> Vec<PathBuf> {
    let mut dirs = vec![dir.to_owned()];
    for entry in std::fs::read_dir(dir).expect("read dir") {
        let path = entry.expect("entry").path();
        if path.is_dir() {
            dirs.extend(walk_dirs(&path));
        }
    }
    dirs
}

/// `chroot` into `root` as `uid:gid` with nothing in the environment but `env`.
fn contained(root: &Path, uid: u32, gid: u32, env: &[(&str, &str)], argv: &[&str]) -> Command {
    let mut cmd = Command::new(tools::bin("chroot"));
    cmd.env_clear()
        .envs(env.iter().copied())
        .arg(format!("--userspec={uid}:{gid}"))
        .arg("--groups=")
        .arg(root)
        .args(argv);
    cmd
}

fn is_root() -> bool {
    let status = std::fs::read_to_string("/proc/self/status").expect("/proc/self/status");
    status
        .lines()
        .any(|l| l.starts_with("Uid:") && l.split_whitespace().nth(1) == Some("0"))
}

#[test]
fn build_command_gives_a_static_binary_that_runs_alone_as_the_image_user() {
    let binary = built_runner();
    assert_static_elf(&binary);

    if !is_root() {
        // chroot, a uid switch and port 53 need root; CI runs as root.
        #[expect(
            clippy::print_stderr,
            reason = "the only way a test can say what it skipped"
        )]
        {
            eprintln!("not root: skipped running the runner in an empty root directory");
        }
        return;
    }
    let stages = stages();
    let runtime = &stages[1];
    let copy: Vec<&str> = only(runtime, "COPY").split_whitespace().collect();
    let dest = Path::new(copy[2]);
    let path_env = pairs(only(runtime, "ENV"))["PATH"].clone();
    let (uid, gid) = only(runtime, "USER").split_once(':').expect("uid:gid");
    let (uid, gid): (u32, u32) = (uid.parse().expect("uid"), gid.parse().expect("gid"));
    let entrypoint = exec_form(only(runtime, "ENTRYPOINT"));
    let job = rendered("Job");
    let container = &job["spec"]["template"]["spec"]["containers"][0];
    let spec_arg = container["args"][0]
        .as_str()
        .expect("the spec path argument");
    let root = image_root(&binary, dest, Path::new(spec_arg));
    let image_env = [("PATH", path_env.as_str())];

    // --help and --version: no shell, no libc, no environment but the image's.
    for flag in ["--help", "--version"] {
        let argv = [entrypoint[0].as_str(), flag];
        let out = tools::output(
            &mut contained(root.path(), uid, gid, &image_env, &argv),
            Duration::from_secs(30),
        );
        assert!(
            out.status.success(),
            "{argv:?} in an empty root as {uid}:{gid}:\n{}",
            text(&out)
        );
        let all = text(&out);
        assert!(all.contains("dagster-scripts-runner"), "{all}");
        if flag == "--version" {
            assert!(all.contains(&runner_version()), "{all}");
        }
    }

    // A real request: the service name resolves through DNS (the static
    // binary has no NSS modules to load) and the runner posts to /graphql.
    let service = "dagster-webserver.dagster.svc.cluster.local";
    let dns = Dns::serve(service);
    let dagster = TcpListener::bind("127.0.0.1:0").expect("bind");
    dagster.set_nonblocking(true).expect("nonblocking");
    let url = format!(
        "http://{service}:{}",
        dagster.local_addr().expect("addr").port()
    );
    let mut env = vec![("PATH", path_env.as_str()), ("DAGSTER_URL", url.as_str())];
    env.push(("DAGSTER_SCRIPTS_RETRY_FOR", "20s"));
    let mut argv = vec![entrypoint[0].as_str()];
    argv.push(spec_arg);
    let mut child = contained(root.path(), uid, gid, &env, &argv)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("start the runner");
    let deadline = Instant::now() + Duration::from_secs(30);
    let mut stream = loop {
        match dagster.accept() {
            Ok((stream, _)) => break stream,
            Err(_)
                if Instant::now() < deadline && child.try_wait().expect("try_wait").is_none() =>
            {
                thread::sleep(Duration::from_millis(20));
            }
            Err(_) => {
                let _ = child.kill();
                let out = child.wait_with_output().expect("runner output");
                let asked: Vec<String> = dns.asked.try_iter().collect();
                panic!(
                    "the runner never reached Dagster (DNS was asked for {asked:?}):\n{}",
                    text(&out)
                );
            }
        }
    };
    let process =
        std::fs::read_to_string(format!("/proc/{}/status", child.id())).unwrap_or_default();
    stream.set_nonblocking(false).expect("blocking");
    stream
        .set_read_timeout(Some(Duration::from_secs(10)))
        .expect("timeout");
    let mut head = Vec::new();
    let mut buf = [0u8; 4096];
    while !head.windows(4).any(|w| w == b"\r\n\r\n") {
        let n = stream.read(&mut buf).expect("read the request");
        assert!(n > 0, "connection closed before a request");
        head.extend_from_slice(&buf[..n]);
    }
    let _ = stream.write_all(
        b"HTTP/1.1 503 Service Unavailable\r\ncontent-length: 0\r\nconnection: close\r\n\r\n",
    );
    let _ = tools::wait_bounded(&mut child, Duration::ZERO);
    let head = String::from_utf8_lossy(&head).into_owned();
    assert!(head.starts_with("POST /graphql HTTP/1.1\r\n"), "{head}");
    assert!(
        head.to_ascii_lowercase()
            .contains(&format!("host: {service}:")),
        "{head}"
    );
    let asked: Vec<String> = dns.asked.try_iter().collect();
    assert!(
        asked.iter().any(|a| a == service),
        "the name was not resolved through DNS: {asked:?}"
    );

    // And it ran as the image's user, in no supplementary group.
    let field = |name: &str| {
        process
            .lines()
            .find(|l| l.starts_with(name))
            .map(|l| l[name.len()..].split_whitespace().collect::<Vec<_>>())
    };
    assert_eq!(
        field("Uid:").expect("Uid line")[..2],
        [uid.to_string(), uid.to_string()]
    );
    assert_eq!(
        field("Gid:").expect("Gid line")[..2],
        [gid.to_string(), gid.to_string()]
    );
    assert_eq!(field("Groups:").expect("Groups line"), Vec::<&str>::new());
}

#[test]
fn runtime_stage_builds_with_podman_into_one_small_layer() {
    if !is_root() {
        #[expect(
            clippy::print_stderr,
            reason = "the only way a test can say what it skipped"
        )]
        {
            eprintln!("not root: skipped building the runtime stage with podman");
        }
        return;
    }
    let binary = built_runner();
    let podman = tools::podman();
    // The runtime stage as written, with its one COPY taking the binary
    // built above from the context instead of from the build stage (whose
    // base image cannot be pulled here).
    let whole = dockerfile();
    let runtime = &whole[whole.find("\nFROM scratch").expect("a scratch stage") + 1..];
    let mut containerfile = String::new();
    for line in runtime.lines() {
        match line.strip_prefix("COPY --from=build ") {
            Some(rest) => {
                let dest = rest.split_whitespace().nth(1).expect("a destination");
                containerfile.push_str(&format!("COPY dagster-scripts-runner {dest}\n"));
            }
            None => containerfile.push_str(&format!("{line}\n")),
        }
    }
    let work = tempfile::tempdir().expect("podman dirs");
    let context = work.path().join("context");
    std::fs::create_dir(&context).expect("context");
    std::fs::copy(&binary, context.join("dagster-scripts-runner")).expect("copy binary");
    std::fs::write(context.join("Containerfile"), &containerfile).expect("Containerfile");
    let podman_cmd = |args: &[&str]| {
        let mut cmd = Command::new(&podman);
        cmd.arg("--storage-driver=vfs")
            .arg("--root")
            .arg(work.path().join("storage"))
            .arg("--runroot")
            .arg(work.path().join("run"))
            .args(args);
        tools::output(&mut cmd, Duration::from_secs(300))
    };
    let tag = "localhost/dagster-scripts-runner:test";
    let context_arg = context.display().to_string();
    let out = podman_cmd(&[
        "build",
        "--network=none",
        "--pull=never",
        "-q",
        "-t",
        tag,
        &context_arg,
    ]);
    assert!(
        out.status.success(),
        "podman build:\n{}\n{containerfile}",
        text(&out)
    );
    let out = podman_cmd(&["image", "inspect", tag]);
    assert!(
        out.status.success(),
        "podman image inspect:\n{}",
        text(&out)
    );
    let inspect: Value = serde_json::from_slice(&out.stdout).expect("JSON");
    let image = &inspect[0];
    assert_eq!(image["Config"]["User"], "10001:10001");
    assert_eq!(
        image["Config"]["Entrypoint"],
        serde_json::json!(["dagster-scripts-runner"])
    );
    assert_eq!(
        image["Config"]["Env"],
        serde_json::json!(["PATH=/usr/local/bin"])
    );
    assert_eq!(
        image["Config"]["Labels"]["org.opencontainers.image.version"],
        runner_version()
    );
    assert_eq!(
        image["RootFS"]["Layers"].as_array().map(Vec::len),
        Some(1),
        "one layer: {image:#}"
    );
    let size = image["Size"].as_u64().expect("a size");
    let binary_size = std::fs::metadata(&binary).expect("binary").len();
    assert!(
        size < binary_size + 64 * 1024,
        "the image holds more than the binary: {size} bytes for a {binary_size}-byte binary"
    );
}

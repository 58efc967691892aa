//! Test support: one real Dagster per test binary, started on first use.
//!
//! The one owner of the test server: the compiler's tests (`tests/e2e.rs`) and
//! the runner's (`runner/tests/it/`) both take it as the dev-dependency
//! `dagster-test-server`; the scripts it runs sit beside it in `tests/dagster/`.
//! The first call to [`dagster`] creates the venv if needed (`venv.sh`, pinned to
//! Dagster 1.13.27), starts `dagster dev` on 127.0.0.1 on a free port with the
//! code locations in `workspace.yaml` and a fresh `DAGSTER_HOME` (telemetry
//! off, up to 40 runs in progress at once), and waits until every location has loaded. Later calls share it, so
//! tests run concurrently against one server (the backfill daemon ticks every
//! 30 s; serial tests would wait for it one after another). The server is
//! started through `serve.sh`, which stops its whole process group when this
//! process exits and closes the pipe to it; nothing has to remember to stop it.
//!
//! It only uses std and serde_json.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{ChildStdin, Command, Stdio};
use std::sync::{Mutex, OnceLock};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use serde_json::Value;

/// How long to wait for a server to answer with its code locations loaded.
const STARTUP: Duration = Duration::from_secs(180);

/// A running Dagster webserver.
pub struct Server {
    /// The base URL (what `DAGSTER_URL` takes), path prefix included.
    pub base_url: String,
    /// The GraphQL endpoint.
    pub graphql_url: String,
    /// Its log file.
    pub log: PathBuf,
    /// The instance directory, shared with any prefixed webserver.
    pub home: PathBuf,
    // Closed when the process exits: serve.sh then stops the server.
    _lifeline: Mutex<ChildStdin>,
}

/// The repository root (where `tests/dagster/` lives).
pub fn repo_root() -> PathBuf {
    let mut dir = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    while !dir.join("tests/dagster/venv.sh").is_file() {
        if !dir.pop() {
            panic!(
                "tests/dagster/venv.sh not found above {}",
                env!("CARGO_MANIFEST_DIR")
            );
        }
    }
    dir
}

/// The venv with the pinned Dagster, created on first use.
pub fn venv() -> &'static Path {
    static VENV: OnceLock<PathBuf> = OnceLock::new();
    VENV.get_or_init(|| {
        let script = repo_root().join("tests/dagster/venv.sh");
        let out = Command::new("bash")
            .arg(&script)
            .stderr(Stdio::inherit())
            .output()
            .unwrap_or_else(|e| panic!("running {}: {e}", script.display()));
        assert!(out.status.success(), "{} failed", script.display());
        PathBuf::from(String::from_utf8_lossy(&out.stdout).trim())
    })
}

/// The shared `dagster dev` (webserver and daemon), started on first use.
pub fn dagster() -> &'static Server {
    static SERVER: OnceLock<Result<Server, String>> = OnceLock::new();
    let server = SERVER.get_or_init(|| {
        let home = temp_home()?;
        let port = free_port()?;
        let dagster = venv().join("bin/dagster");
        let args = [
            "dev",
            "-w",
            "workspace.yaml",
            "-h",
            "127.0.0.1",
            "-p",
            &port.to_string(),
        ];
        start(
            &home,
            dagster.as_os_str(),
            &args,
            &format!("http://127.0.0.1:{port}"),
            true,
        )
    });
    server
        .as_ref()
        .unwrap_or_else(|e| panic!("dagster dev did not start: {e}"))
}

/// A second webserver on the same instance, serving under `/dagster`
/// (`--path-prefix`); the shared server's daemon runs what it launches.
pub fn prefixed_webserver() -> &'static Server {
    static SERVER: OnceLock<Result<Server, String>> = OnceLock::new();
    let home = dagster().home.clone();
    let server = SERVER.get_or_init(|| {
        let port = free_port()?;
        let webserver = venv().join("bin/dagster-webserver");
        let args = [
            "-w",
            "workspace.yaml",
            "-h",
            "127.0.0.1",
            "-p",
            &port.to_string(),
            "--path-prefix",
            "/dagster",
        ];
        start(
            &home,
            webserver.as_os_str(),
            &args,
            &format!("http://127.0.0.1:{port}/dagster"),
            false,
        )
    });
    server
        .as_ref()
        .unwrap_or_else(|e| panic!("the prefixed webserver did not start: {e}"))
}

fn temp_home() -> Result<PathBuf, String> {
    let nanos = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_nanos())
        .unwrap_or(0);
    let home = std::env::temp_dir().join(format!(
        "dagster-scripts-test-{}-{nanos}",
        std::process::id()
    ));
    std::fs::create_dir_all(&home).map_err(|e| format!("{}: {e}", home.display()))?;
    // Dagster's run queue starts at most 10 runs at once by default; tests
    // running side by side hold up to a dozen `held_job` runs in progress,
    // and a run left queued behind them would time its test out.
    std::fs::write(
        home.join("dagster.yaml"),
        "telemetry:\n  enabled: false\nconcurrency:\n  runs:\n    max_concurrent_runs: 40\n",
    )
    .map_err(|e| e.to_string())?;
    Ok(home)
}

fn free_port() -> Result<u16, String> {
    let listener = TcpListener::bind("127.0.0.1:0").map_err(|e| e.to_string())?;
    listener
        .local_addr()
        .map(|a| a.port())
        .map_err(|e| e.to_string())
}

fn start(
    home: &Path,
    program: &std::ffi::OsStr,
    args: &[&str],
    base_url: &str,
    owns_home: bool,
) -> Result<Server, String> {
    let dir = repo_root().join("tests/dagster");
    let log = home.join(format!(
        "{}.log",
        if owns_home {
            "dagster-dev"
        } else {
            "webserver-prefixed"
        }
    ));
    let mut command = Command::new("bash");
    command
        .arg(dir.join("serve.sh"))
        .arg(&log)
        .arg(program)
        .args(args)
        .current_dir(&dir)
        .env("DAGSTER_HOME", home)
        .env("PYTHONDONTWRITEBYTECODE", "1")
        .env("DAGSTER_DISABLE_TELEMETRY", "1")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit());
    if owns_home {
        command.env("SERVE_REMOVE", home);
    }
    let mut child = command
        .spawn()
        .map_err(|e| format!("spawning serve.sh: {e}"))?;
    let lifeline = child.stdin.take().ok_or("no stdin pipe")?;
    let mut pid = String::new();
    if let Some(out) = child.stdout.take() {
        BufReader::new(out)
            .read_line(&mut pid)
            .map_err(|e| e.to_string())?;
    }
    let server = Server {
        base_url: base_url.to_owned(),
        graphql_url: format!("{base_url}/graphql"),
        log: log.clone(),
        home: home.to_path_buf(),
        _lifeline: Mutex::new(lifeline),
    };
    let started = Instant::now();
    loop {
        if let Ok(answer) = server.graphql(
            "{ workspaceOrError { ... on Workspace { locationEntries { name loadStatus } } } }",
            Value::Null,
        ) {
            let entries = answer["data"]["workspaceOrError"]["locationEntries"]
                .as_array()
                .cloned()
                .unwrap_or_default();
            if entries.len() == 2 && entries.iter().all(|e| e["loadStatus"] == "LOADED") {
                return Ok(server);
            }
        }
        if started.elapsed() > STARTUP {
            let tail = std::fs::read_to_string(&log).unwrap_or_default();
            let tail: String = tail
                .lines()
                .rev()
                .take(30)
                .collect::<Vec<_>>()
                .into_iter()
                .rev()
                .collect::<Vec<_>>()
                .join("\n");
            return Err(format!(
                "no loaded workspace at {base_url} after {STARTUP:?} (pid {}); log tail:\n{tail}",
                pid.trim()
            ));
        }
        std::thread::sleep(Duration::from_millis(250));
    }
}

impl Server {
    /// POSTs a GraphQL document; the parsed answer (HTTP status ignored, as Dagster's is a hint).
    pub fn graphql(&self, query: &str, variables: Value) -> Result<Value, String> {
        let body = serde_json::json!({ "query": query, "variables": variables }).to_string();
        let text = post(&self.graphql_url, &body)?;
        serde_json::from_str(&text).map_err(|e| format!("{e}: {text}"))
    }

    /// Like [`Server::graphql`], panicking on a transport error: for assertions.
    pub fn query(&self, query: &str, variables: Value) -> Value {
        self.graphql(query, variables)
            .unwrap_or_else(|e| panic!("GraphQL to {}: {e}", self.graphql_url))
    }

    /// The backfills Dagster has with tag `key=value`, with their details
    /// (`runsFeedOrError` filters backfills by tag on the server).
    pub fn backfills_tagged(&self, key: &str, value: &str) -> Vec<Value> {
        const FIELDS: &str =
            "id status jobName isAssetBackfill fromFailure partitionNames title description
            tags { key value }
            partitionSet { repositoryOrigin { repositoryLocationName repositoryName } }
            runs { runId status tags { key value } }";
        let feed = self.query(
            "query($tags: [ExecutionTag!]) { runsFeedOrError(limit: 100, view: BACKFILLS, filter: { tags: $tags }) {
                ... on RunsFeedConnection { results { id } } } }",
            serde_json::json!({ "tags": [{ "key": key, "value": value }] }),
        );
        let ids: Vec<String> = feed["data"]["runsFeedOrError"]["results"]
            .as_array()
            .unwrap_or_else(|| panic!("{feed}"))
            .iter()
            .filter_map(|r| r["id"].as_str().map(str::to_owned))
            .collect();
        ids.iter()
            .map(|id| {
                let q = format!("query($id: String!) {{ partitionBackfillOrError(backfillId: $id) {{ ... on PartitionBackfill {{ {FIELDS} }} }} }}");
                self.query(&q, serde_json::json!({ "id": id }))["data"]["partitionBackfillOrError"].clone()
            })
            .collect()
    }
}

/// A minimal HTTP/1.1 POST to 127.0.0.1 (the tests talk to nothing else).
fn post(url: &str, body: &str) -> Result<String, String> {
    let rest = url.strip_prefix("http://").ok_or("only http:// URLs")?;
    let (authority, path) = rest
        .split_once('/')
        .map(|(a, p)| (a, format!("/{p}")))
        .unwrap_or((rest, "/".into()));
    let mut stream = TcpStream::connect(authority).map_err(|e| e.to_string())?;
    stream
        .set_read_timeout(Some(Duration::from_secs(120)))
        .map_err(|e| e.to_string())?;
    write!(
        stream,
        "POST {path} HTTP/1.1\r\nHost: {authority}\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    )
    .map_err(|e| e.to_string())?;
    let mut response = Vec::new();
    stream
        .read_to_end(&mut response)
        .map_err(|e| e.to_string())?;
    let split = response
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .ok_or("no HTTP header")?;
    let head = String::from_utf8_lossy(&response[..split]).to_ascii_lowercase();
    let body = &response[split + 4..];
    let body = if head.contains("transfer-encoding: chunked") {
        dechunk(body)
    } else {
        body.to_vec()
    };
    Ok(String::from_utf8_lossy(&body).into_owned())
}

fn dechunk(mut body: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    while let Some(line_end) = body.windows(2).position(|w| w == b"\r\n") {
        let size = String::from_utf8_lossy(&body[..line_end]);
        let Ok(n) = usize::from_str_radix(size.split(';').next().unwrap_or("").trim(), 16) else {
            break;
        };
        let rest = &body[line_end + 2..];
        if n == 0 || rest.len() < n {
            break;
        }
        out.extend_from_slice(&rest[..n]);
        body = rest[n..].strip_prefix(b"\r\n").unwrap_or(&rest[n..]);
    }
    out
}

//! Running the runner binary as the Job would, and reading what it logged.

use std::io::{BufRead, BufReader, Read};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use serde_json::Value;

/// Wraps a test body as a libtest-mimic trial (panics are failures).
pub fn trial(name: &str, body: fn()) -> libtest_mimic::Trial {
    libtest_mimic::Trial::test(name, move || {
        body();
        Ok(())
    })
}

/// What one runner process did.
#[derive(Debug)]
pub struct Ran {
    /// Exit code (`None` if killed by a signal).
    pub code: Option<i32>,
    /// Its stdout (the dry-run plan).
    pub stdout: String,
    /// Its stderr (the log).
    pub stderr: String,
    /// Wall time.
    pub elapsed: Duration,
}

impl Ran {
    /// The JSON log events (`--log-format json`); panics on a line that is not JSON.
    pub fn events(&self) -> Vec<Value> {
        self.stderr
            .lines()
            .map(|l| {
                serde_json::from_str(l)
                    .unwrap_or_else(|e| panic!("log line is not JSON ({e}): {l}\n{self:?}"))
            })
            .collect()
    }

    /// The events called `name`.
    pub fn event(&self, name: &str) -> Vec<Value> {
        self.events()
            .into_iter()
            .filter(|e| e["event"] == name)
            .collect()
    }

    /// The request hash the runner logged.
    pub fn hash(&self) -> String {
        let hash = self
            .event("request")
            .first()
            .and_then(|e| e["request"].as_str().map(str::to_owned));
        let hash = hash.unwrap_or_else(|| panic!("no request event: {self:?}"));
        assert!(
            hash.len() == 64 && hash.bytes().all(|b| b.is_ascii_hexdigit()),
            "{hash}"
        );
        hash
    }

    /// Asserts the exit code, showing the log when it differs.
    pub fn assert_code(&self, code: i32) -> &Ran {
        assert_eq!(
            self.code,
            Some(code),
            "exit code; stderr:\n{}\nstdout:\n{}",
            self.stderr,
            self.stdout
        );
        assert!(
            !self.stderr.contains("panicked"),
            "the runner panicked:\n{}",
            self.stderr
        );
        self
    }
}

/// A command for the runner binary with a clean environment.
///
/// For measurements, `DAGSTER_SCRIPTS_IT_RUNNER` replaces the binary (e.g. a
/// static release build) and `DAGSTER_SCRIPTS_IT_WRAPPER` runs it under a
/// command such as `/usr/bin/time -v -o FILE`.
pub fn command(spec: &str, url: &str, args: &[&str]) -> Command {
    let binary = std::env::var("DAGSTER_SCRIPTS_IT_RUNNER")
        .unwrap_or_else(|_| env!("CARGO_BIN_EXE_dagster-scripts-runner").to_owned());
    let wrapper = std::env::var("DAGSTER_SCRIPTS_IT_WRAPPER").unwrap_or_default();
    let mut words = wrapper.split_whitespace();
    let mut c = match words.next() {
        Some(program) => {
            let mut c = Command::new(program);
            c.args(words).arg(&binary);
            c
        }
        None => Command::new(&binary),
    };
    c.env_clear()
        .env("PATH", std::env::var("PATH").unwrap_or_default())
        .env("DAGSTER_URL", url)
        .env("DAGSTER_SCRIPTS_LOG_FORMAT", "json")
        .args(args)
        .arg(spec)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    c
}

/// Runs the runner to its end (killing it after `limit`).
pub fn run(spec: &str, url: &str, args: &[&str], limit: Duration) -> Ran {
    wait(
        command(spec, url, args).spawn().expect("spawn the runner"),
        limit,
    )
}

/// The least a runner is given before it counts as hung: at the start of
/// the suite every test asks the one Dagster at once and dozens of run
/// workers start on two cores, and a launch has taken 43 s there (CI).
/// The limits only catch a hang; a test that wants a runner to stop
/// promptly measures that itself.
const HANG: Duration = Duration::from_secs(180);

/// How long a test waits for a run Dagster has launched to be in progress,
/// for the same reason.
pub const START_LIMIT: Duration = Duration::from_secs(240);

/// Waits for a spawned runner, collecting its output (killing it after
/// `limit`, and never before [`HANG`]).
pub fn wait(mut child: Child, limit: Duration) -> Ran {
    let limit = limit.max(HANG);
    let started = Instant::now();
    let stdout = reader(child.stdout.take());
    let stderr = reader(child.stderr.take());
    let code = loop {
        if let Some(status) = child.try_wait().expect("wait for the runner") {
            break status.code();
        }
        if started.elapsed() > limit {
            let _ = child.kill();
            let _ = child.wait();
            panic!(
                "the runner ran longer than {limit:?}; stderr so far:\n{}",
                stderr.recv().unwrap_or_default()
            );
        }
        std::thread::sleep(Duration::from_millis(20));
    };
    Ran {
        code,
        stdout: stdout.recv().unwrap_or_default(),
        stderr: stderr.recv().unwrap_or_default(),
        elapsed: started.elapsed(),
    }
}

fn reader(pipe: Option<impl Read + Send + 'static>) -> mpsc::Receiver<String> {
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        let mut text = String::new();
        if let Some(mut p) = pipe {
            let _ = p.read_to_string(&mut text);
        }
        let _ = tx.send(text);
    });
    rx
}

/// Reads stderr lines of a running runner until one contains `needle`; returns all lines read.
pub fn read_until(stderr: &mut BufReader<impl Read>, needle: &str, limit: Duration) -> Vec<String> {
    let started = Instant::now();
    let mut lines = Vec::new();
    while started.elapsed() < limit {
        let mut line = String::new();
        match stderr.read_line(&mut line) {
            Ok(0) | Err(_) => break,
            Ok(_) => {
                let found = line.contains(needle);
                lines.push(line);
                if found {
                    return lines;
                }
            }
        }
    }
    panic!("no log line with {needle:?} within {limit:?}: {lines:#?}");
}

/// Where this test process writes its spec files (removed when it ends).
pub fn spec_dir() -> PathBuf {
    std::env::temp_dir().join(format!("dagster-scripts-runner-it-{}", std::process::id()))
}

/// Writes `text` to a fresh spec file and returns its path.
pub fn spec_file(name: &str, text: &str) -> String {
    let nanos = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_nanos())
        .unwrap_or(0);
    let dir = spec_dir();
    std::fs::create_dir_all(&dir).expect("temp dir");
    let path = dir.join(format!("{name}-{nanos}.yaml"));
    std::fs::write(&path, text).expect("write spec");
    path.to_string_lossy().into_owned()
}

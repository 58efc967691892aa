//! `status` against the real Dagster (`dagster_test_server::dagster()`),
//! after real launches by the real runner binary: a backfill that
//! succeeded, one that failed on a chosen partition (flaky_job fails
//! `2024-02-01|NL01912`), a job run, one still requested or running, one
//! never launched. Every `status` here reaches Dagster through a recording
//! proxy on 127.0.0.1, so the tests also see what was sent: queries only,
//! one batched document per round.
//!
//! The launches run at the same time (threads), since the backfill daemon
//! ticks every 30 s; they are made once and shared by the tests below.

use std::fs;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::Path;
use std::process::{Command, Output};
use std::sync::{Arc, Mutex, OnceLock};
use std::time::Duration;

use dagster_test_server::{Server, dagster, repo_root, venv};
use serde_json::Value;

use crate::e2e::runner;
use crate::support::{outcome, temp_dir, tools};

const SUCCEEDED: &str = "\
job_name: ingestion_job
repository_name: luchtmeetnet_ingestion
tags:
  name: \"92001\"
  requester: \"[x](http://evil.example/) <img src=x> @org/team `tick` a|b\"
  partitions:
  - name: daily
    start_date: '2024-01-31'
    end_date: '2024-02-01'
  - name: stations
    values: [NL01497, NL01912]
";

const FAILED: &str = "\
job_name: flaky_job
tags:
  name: \"92002\"
  requester: jane
  partitions:
  - name: daily
    start_date: '2024-01-31'
    end_date: '2024-02-01'
  - name: stations
    values: [NL01497, NL01912]
";

const RUN: &str = "\
kind: run
job_name: cleanup_job
tags:
  name: \"92003\"
  requester: ops
run_config:
  ops:
    cleanup:
      config:
        older_than_days: 30
";

const PENDING: &str = "\
job_name: ingestion_job
repository_name: luchtmeetnet_ingestion
tags:
  name: \"92004\"
  partitions:
  - name: daily
    start_date: '2024-01-10'
    end_date: '2024-01-11'
  - name: stations
    values: [NL01913]
";

const NEVER: &str = "\
job_name: ingestion_job
repository_name: luchtmeetnet_ingestion
tags:
  name: \"92005\"
  partitions:
  - name: daily
    start_date: '2024-01-20'
    end_date: '2024-01-20'
  - name: stations
    values: [NL01497]
";

/// A proxy to the test Dagster that records every GraphQL document sent through it.
struct Recorder {
    url: String,
    sent: Arc<Mutex<Vec<String>>>,
}

impl Recorder {
    fn start(server: &'static Server) -> Recorder {
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind the proxy");
        let url = format!("http://{}", listener.local_addr().unwrap());
        let sent = Arc::new(Mutex::new(Vec::new()));
        let log = Arc::clone(&sent);
        std::thread::spawn(move || {
            for stream in listener.incoming().flatten() {
                let log = Arc::clone(&log);
                std::thread::spawn(move || relay(stream, server, &log));
            }
        });
        Recorder { url, sent }
    }

    /// The documents sent since the last call.
    fn take(&self) -> Vec<String> {
        std::mem::take(&mut *self.sent.lock().unwrap())
    }
}

/// One request: read it, record its document, ask the server, answer.
fn relay(stream: TcpStream, server: &Server, log: &Mutex<Vec<String>>) {
    let mut reader = BufReader::new(stream.try_clone().unwrap());
    let mut length = 0;
    loop {
        let mut line = String::new();
        if reader.read_line(&mut line).unwrap_or(0) == 0 {
            return;
        }
        if line.trim().is_empty() {
            break;
        }
        if let Some((k, v)) = line.split_once(':')
            && k.eq_ignore_ascii_case("content-length")
        {
            length = v.trim().parse().unwrap_or(0);
        }
    }
    let mut body = vec![0; length];
    if reader.read_exact(&mut body).is_err() {
        return;
    }
    let request: Value = serde_json::from_slice(&body).unwrap_or_default();
    let query = request["query"].as_str().unwrap_or_default().to_owned();
    log.lock().unwrap().push(query.clone());
    let answer = server
        .graphql(&query, request["variables"].clone())
        .unwrap_or_default()
        .to_string();
    let mut stream = stream;
    let _ = write!(
        stream,
        "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{answer}",
        answer.len()
    );
}

/// The repository with the five specs, after the launches.
struct Launched {
    repo: tempfile::TempDir,
    recorder: Recorder,
    /// `status --format json` of every spec, taken right after the pending launch.
    fresh: Value,
    /// Its exit code.
    fresh_code: i32,
}

fn runner_on(spec: &Path, args: &[&str]) -> (i32, String) {
    let mut cmd = Command::new(runner());
    cmd.env_clear()
        .env("PATH", std::env::var("PATH").unwrap_or_default())
        .env("DAGSTER_URL", &dagster().base_url)
        .args(args)
        .arg(spec);
    let out = tools::output(&mut cmd, Duration::from_secs(400));
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

fn status(dir: &Path, url: &str, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_dagster-scripts"))
        .arg("status")
        .args(["--dagster", url, "--timeout", "60s"])
        .args(args)
        .current_dir(dir)
        .env("NO_COLOR", "1")
        .env_remove("DAGSTER_URL")
        .env_remove("DAGSTER_API_TOKEN")
        .output()
        .expect("dagster-scripts runs")
}

fn launched() -> &'static Launched {
    static LAUNCHED: OnceLock<Launched> = OnceLock::new();
    LAUNCHED.get_or_init(|| {
        let server = dagster();
        let recorder = Recorder::start(server);
        let repo = temp_dir();
        let specs = repo.path().join("specs");
        fs::create_dir_all(specs.join("done")).unwrap();
        fs::write(
            repo.path().join("dagster-scripts.toml"),
            "[dagster]\nurl = \"http://dagster.invalid:3000\"\nui_url = \"https://dagster.example/prod/\"\n",
        )
        .unwrap();
        for (name, text) in [
            ("backfill-92001.yaml", SUCCEEDED),
            ("backfill-92002.yaml", FAILED),
            ("done/run-92003.yaml", RUN),
            ("backfill-92004.yaml", PENDING),
            ("backfill-92005.yaml", NEVER),
        ] {
            fs::write(specs.join(name), text).unwrap();
        }
        // The three that end, followed to their end at the same time.
        let follow = |name: &'static str, code: i32| {
            let path = specs.join(name);
            std::thread::spawn(move || {
                let (got, log) = runner_on(&path, &["--poll-interval", "1s"]);
                assert_eq!(got, code, "the runner on {name}:\n{log}");
            })
        };
        let threads = [
            follow("backfill-92001.yaml", 0),
            follow("backfill-92002.yaml", 1),
            follow("done/run-92003.yaml", 0),
        ];
        for t in threads {
            t.join().expect("a launch");
        }
        // The pending one, asked about at once: the daemon needs two ticks
        // (30 s apart) to finish a backfill, so it cannot have ended yet.
        let (code, log) = runner_on(&specs.join("backfill-92004.yaml"), &["--no-wait"]);
        assert_eq!(code, 0, "{log}");
        let (fresh_code, out, err) = outcome(&status(repo.path(), &recorder.url, &["--format", "json"]));
        let fresh = serde_json::from_str(&out).unwrap_or_else(|e| panic!("{e}: {out}\n{err}"));
        Launched {
            repo,
            recorder,
            fresh,
            fresh_code,
        }
    })
}

fn request<'a>(report: &'a Value, issue: &str) -> &'a Value {
    report["requests"]
        .as_array()
        .expect("requests")
        .iter()
        .find(|r| r["issue"] == issue)
        .unwrap_or_else(|| panic!("no request {issue} in {report}"))
}

#[test]
fn json_reports_each_state_with_its_launch_and_failed_keys() {
    let l = launched();
    let report = &l.fresh;
    assert_eq!(l.fresh_code, 1, "a failed request makes it 1: {report}");
    assert_eq!(report["dagster"], "https://dagster.example/prod");

    let ok = request(report, "92001");
    assert_eq!(ok["state"], "succeeded", "{ok}");
    assert_eq!(ok["path"], "specs/backfill-92001.yaml");
    assert_eq!(ok["kind"], "backfill");
    assert_eq!(ok["retired"], false);
    assert_eq!(ok["request"].as_str().unwrap().len(), 64);
    let launch = &ok["launch"];
    assert_eq!(launch["type"], "backfill");
    assert_eq!(launch["status"], "COMPLETED_SUCCESS");
    let id = launch["id"].as_str().unwrap();
    assert_eq!(
        launch["url"],
        format!("https://dagster.example/prod/runs/b/{id}")
    );
    assert!(launch["created"].as_i64().unwrap() > 1_700_000_000);
    assert!(launch["ended"].as_i64().unwrap() >= launch["created"].as_i64().unwrap());
    assert_eq!(
        ok["partitions"],
        serde_json::json!({"total": 4, "succeeded": 4, "failed": 0, "in_progress": 0})
    );
    assert_eq!(ok["failed_partitions"], serde_json::json!([]));
    // The backfill Dagster holds under that hash is the one reported.
    let tagged =
        dagster().backfills_tagged("dagster-scripts/request", ok["request"].as_str().unwrap());
    assert_eq!(tagged.len(), 1);
    assert_eq!(tagged[0]["id"], id);

    let failed = request(report, "92002");
    assert_eq!(failed["state"], "failed", "{failed}");
    assert_eq!(failed["launch"]["status"], "COMPLETED_FAILED");
    assert_eq!(failed["launch"]["requester"], "jane");
    assert_eq!(failed["partitions"]["failed"], 1);
    assert_eq!(failed["partitions"]["succeeded"], 3);
    assert_eq!(
        failed["failed_partitions"],
        serde_json::json!(["2024-02-01|NL01912"])
    );

    let run = request(report, "92003");
    assert_eq!(run["state"], "succeeded", "{run}");
    assert_eq!(run["kind"], "run");
    assert_eq!(run["retired"], true);
    assert_eq!(run["path"], "specs/done/run-92003.yaml");
    assert_eq!(run["launch"]["type"], "run");
    assert_eq!(run["launch"]["status"], "SUCCESS");
    assert_eq!(run["launch"]["requester"], "ops");
    let run_id = run["launch"]["id"].as_str().unwrap();
    assert_eq!(
        run["launch"]["url"],
        format!("https://dagster.example/prod/runs/{run_id}")
    );
    assert!(run["partitions"].is_null());

    let pending = request(report, "92004");
    assert!(
        pending["state"] == "requested" || pending["state"] == "running",
        "{pending}"
    );
    assert_eq!(pending["launch"]["status"], "REQUESTED");

    let never = request(report, "92005");
    assert_eq!(never["state"], "not_launched");
    assert!(never["launch"].is_null() && never["partitions"].is_null());

    let counts = &report["counts"];
    assert_eq!(counts["succeeded"], 2);
    assert_eq!(counts["failed"], 1);
    assert_eq!(counts["not_launched"], 1);
    assert_eq!(
        counts["requested"].as_u64().unwrap() + counts["running"].as_u64().unwrap(),
        1
    );
    assert_eq!(counts["canceled"], 0);
}

/// `status` does not ask Dagster for the partition counts of a backfill
/// that ended `COMPLETED_SUCCESS` (every partition succeeded): what Dagster
/// counts for it, asked, says the same.
#[test]
fn a_completed_success_backfill_counts_every_partition_succeeded() {
    let l = launched();
    let ok = request(&l.fresh, "92001");
    assert_eq!(ok["launch"]["status"], "COMPLETED_SUCCESS");
    let id = ok["launch"]["id"].as_str().unwrap();
    let answer = dagster()
        .graphql(
            &dagster_scripts::dagster::ops::details_document(&[true]),
            serde_json::json!({ "id0": id }),
        )
        .expect("the details");
    let b = &answer["data"]["b0"];
    assert_eq!(b["status"], "COMPLETED_SUCCESS", "{answer}");
    assert_eq!(b["isAssetBackfill"], false, "{answer}");
    let total = b["numPartitions"].as_u64().expect("numPartitions");
    let counts = b["partitionStatusCounts"].as_array().expect("counts");
    let succeeded: u64 = counts
        .iter()
        .filter(|c| c["runStatus"] == "SUCCESS")
        .map(|c| c["count"].as_u64().unwrap())
        .sum();
    let all: u64 = counts.iter().map(|c| c["count"].as_u64().unwrap()).sum();
    assert_eq!((succeeded, all), (total, total), "{answer}");
    assert_eq!(
        ok["partitions"],
        serde_json::json!({"total": total, "succeeded": total, "failed": 0, "in_progress": 0})
    );
}

#[test]
fn exit_codes_say_succeeded_failed_or_still_to_come() {
    let l = launched();
    let dir = l.repo.path();
    for (paths, code) in [
        (&["specs/backfill-92001.yaml", "specs/done"][..], 0),
        (
            &["specs/backfill-92001.yaml", "specs/backfill-92005.yaml"][..],
            3,
        ),
        (
            &["specs/backfill-92002.yaml", "specs/backfill-92005.yaml"][..],
            1,
        ),
        (&[][..], 1),
    ] {
        let (got, out, err) = outcome(&status(dir, &l.recorder.url, paths));
        assert_eq!(got, code, "{paths:?}\n{out}\n{err}");
    }
}

#[test]
fn only_queries_are_sent_and_one_document_per_round() {
    let l = launched();
    // A proxy of its own: the other tests ask through the shared one meanwhile.
    let recorder = Recorder::start(dagster());
    let (code, out, err) = outcome(&status(
        l.repo.path(),
        &recorder.url,
        &["--format", "markdown"],
    ));
    assert_eq!(code, 1, "{out}\n{err}");
    let sent = recorder.take();
    // The instance's backfills, one page; the runs of the one request that
    // can launch a run; the details of the three launched backfills, counts
    // asked only of those not `COMPLETED_SUCCESS` (92002, 92004); the
    // partitions of the backfills that have run (the grid; the failed keys).
    assert_eq!(sent.len(), 4, "{sent:#?}");
    assert!(
        sent[0].contains("runsFeedOrError(view: BACKFILLS"),
        "{}",
        sent[0]
    );
    assert!(sent[1].contains("r0: runsOrError("), "{}", sent[1]);
    assert!(!sent[1].contains("r1:"), "{}", sent[1]);
    assert!(
        sent[2].contains("b2: partitionBackfillOrError("),
        "{}",
        sent[2]
    );
    assert!(!sent[2].contains("b3:"), "{}", sent[2]);
    assert_eq!(
        sent[2].matches(") {\n    ...BackfillCounted").count(),
        2,
        "{}",
        sent[2]
    );
    assert_eq!(
        sent[2].matches(") {\n    ...BackfillDetails").count(),
        1,
        "{}",
        sent[2]
    );
    assert!(
        sent[3].contains("b1: partitionBackfillOrError(")
            && sent[3].contains("...PartitionStatuses"),
        "{}",
        sent[3]
    );
    for document in &sent {
        let operation = document
            .lines()
            .find(|l| !l.trim_start().starts_with('#'))
            .and_then(|l| l.split_whitespace().next());
        assert_eq!(operation, Some("query"), "{document}");
        assert!(!document.contains("mutation"), "{document}");
    }
}

/// Replaces what changes from run to run (ids, times) with stable names.
fn redacted(text: &str, report: &Value) -> String {
    let mut text = text.to_owned();
    for r in report["requests"].as_array().unwrap() {
        if let Some(id) = r["launch"]["id"].as_str() {
            text = text.replace(id, &format!("[id of {}]", r["issue"].as_str().unwrap()));
        }
    }
    times_redacted(&text)
}

/// `YYYY-MM-DD HH:MM UTC` replaced by `[time]`, padded to the same width.
fn times_redacted(text: &str) -> String {
    let pattern = |s: &[u8]| {
        s.len() >= 20
            && s[..4].iter().all(u8::is_ascii_digit)
            && s[4] == b'-'
            && s[7] == b'-'
            && s[10] == b' '
            && s[13] == b':'
            && &s[16..20] == b" UTC"
    };
    let bytes = text.as_bytes();
    let mut out = String::with_capacity(text.len());
    let mut i = 0;
    while i < bytes.len() {
        if pattern(&bytes[i..]) {
            out.push_str(&format!("{:<20}", "[time]"));
            i += 20;
        } else {
            let c = text[i..].chars().next().unwrap();
            out.push(c);
            i += c.len_utf8();
        }
    }
    out
}

#[test]
fn markdown_shows_the_table_failed_keys_and_the_grid_inertly() {
    let l = launched();
    let paths = [
        "specs/backfill-92001.yaml",
        "specs/backfill-92002.yaml",
        "specs/done/run-92003.yaml",
        "specs/backfill-92005.yaml",
    ];
    let args: Vec<&str> = ["--format", "markdown"]
        .iter()
        .chain(&paths)
        .copied()
        .collect();
    let (code, out, err) = outcome(&status(l.repo.path(), &l.recorder.url, &args));
    assert_eq!(code, 1, "{err}");
    insta::assert_snapshot!("markdown", redacted(&out, &l.fresh));

    // GitHub's reading: the only links are into Dagster's UI, no image, no HTML.
    use pulldown_cmark::{Event, Options, Parser, Tag};
    for event in Parser::new_ext(&out, Options::ENABLE_TABLES | Options::ENABLE_STRIKETHROUGH) {
        match event {
            Event::Start(Tag::Link { dest_url, .. }) => {
                assert!(
                    dest_url.starts_with("https://dagster.example/prod/runs/"),
                    "{dest_url}"
                )
            }
            Event::Start(Tag::Image { .. }) | Event::Html(_) | Event::InlineHtml(_) => {
                panic!("{event:?} in\n{out}")
            }
            _ => {}
        }
    }
}

#[test]
fn the_human_table_lists_each_request() {
    let l = launched();
    let paths = [
        "specs/backfill-92001.yaml",
        "specs/backfill-92002.yaml",
        "specs/done/run-92003.yaml",
        "specs/backfill-92005.yaml",
    ];
    let (code, out, err) = outcome(&status(l.repo.path(), &l.recorder.url, &paths));
    assert_eq!(code, 1, "{err}");
    insta::assert_snapshot!("human", redacted(&out, &l.fresh));
}

#[test]
fn generated_batched_documents_are_valid_for_the_pinned_schema() {
    let dir = temp_dir();
    let mut files = Vec::new();
    for (name, document) in [
        (
            "runs.graphql",
            dagster_scripts::dagster::ops::runs_document(3),
        ),
        (
            "details.graphql",
            dagster_scripts::dagster::ops::details_document(&[true, false, true]),
        ),
        (
            "details_uncounted.graphql",
            dagster_scripts::dagster::ops::details_document(&[false, false]),
        ),
        (
            "statuses.graphql",
            dagster_scripts::dagster::ops::statuses_document(3),
        ),
    ] {
        let path = dir.path().join(name);
        fs::write(&path, document).unwrap();
        files.push(path);
    }
    let out = Command::new(venv().join("bin/python"))
        .arg(repo_root().join("tests/dagster/check_queries.py"))
        .args(&files)
        .output()
        .expect("run check_queries.py");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

#[test]
fn an_unreachable_dagster_exits_2_and_says_how_to_point_at_it() {
    let dir = temp_dir();
    fs::create_dir(dir.path().join("specs")).unwrap();
    fs::write(dir.path().join("specs/backfill-92005.yaml"), NEVER).unwrap();
    // Nothing listens on a port just freed.
    let port = TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let out = Command::new(env!("CARGO_BIN_EXE_dagster-scripts"))
        .args(["status", "--timeout", "2s"])
        .current_dir(dir.path())
        .env("DAGSTER_URL", format!("http://127.0.0.1:{port}"))
        .output()
        .unwrap();
    let (code, stdout, err) = outcome(&out);
    assert_eq!(code, 2, "{err}");
    assert!(stdout.is_empty(), "{stdout}");
    assert!(
        err.contains(&format!("cannot ask Dagster at http://127.0.0.1:{port}")),
        "{err}"
    );
    assert!(err.contains("--dagster URL or DAGSTER_URL"), "{err}");
    // The deadline is not all it says: what the last attempt met, too.
    assert!(
        err.contains("the last attempt:") && err.to_lowercase().contains("connection refused"),
        "{err}"
    );
}

#[test]
fn an_invalid_spec_exits_2_as_check_reports_it_and_nothing_is_asked() {
    let dir = temp_dir();
    fs::create_dir_all(dir.path().join("specs/done")).unwrap();
    fs::write(dir.path().join("specs/backfill-92005.yaml"), NEVER).unwrap();
    fs::write(dir.path().join("specs/done/bad.yaml"), "job_name: x\n").unwrap();
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    listener.set_nonblocking(true).unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    let out = Command::new(env!("CARGO_BIN_EXE_dagster-scripts"))
        .args(["status", "--dagster", &url, "--timeout", "2s"])
        .current_dir(dir.path())
        .env("NO_COLOR", "1")
        .output()
        .unwrap();
    let (code, _, err) = outcome(&out);
    assert_eq!(code, 2, "{err}");
    assert!(
        err.contains("specs/done/bad.yaml:1:1: error[E012]")
            || err.contains("--> specs/done/bad.yaml:1:1"),
        "{err}"
    );
    assert!(err.contains("status asked Dagster nothing"), "{err}");
    assert!(listener.accept().is_err(), "Dagster was asked");
}

/// A cancellation launches nothing: it is seen in what it cancels. Of a
/// request whose run has ended, it is *succeeded* (the runner has nothing
/// left to cancel), linking that run; of an issue that launched nothing,
/// *not launched*.
#[test]
fn a_cancellation_is_seen_in_the_launches_it_cancels() {
    let l = launched();
    let repo = temp_dir();
    let specs = repo.path().join("specs");
    fs::create_dir_all(&specs).unwrap();
    for (name, of) in [
        ("cancel-92010.yaml", "92003"),
        ("cancel-92011.yaml", "92099"),
    ] {
        let issue = name.trim_start_matches("cancel-").trim_end_matches(".yaml");
        fs::write(
            specs.join(name),
            format!("kind: cancel\ncancel_of: \"{of}\"\ntags:\n  name: \"{issue}\"\n"),
        )
        .unwrap();
    }
    let (_, out, err) = outcome(&status(repo.path(), &l.recorder.url, &["--format", "json"]));
    let report: Value = serde_json::from_str(&out).unwrap_or_else(|e| panic!("{e}: {out}\n{err}"));
    let ended = request(&report, "92010");
    assert_eq!(ended["kind"], "cancel");
    assert_eq!(ended["state"], "succeeded", "{ended}");
    assert_eq!(ended["launch"]["type"], "run", "{ended}");
    assert_eq!(ended["launch"]["status"], "SUCCESS");
    let none = request(&report, "92011");
    assert_eq!(none["state"], "not_launched", "{none}");
    assert!(none["launch"].is_null());
}

#[test]
fn a_paced_request_is_reported_from_its_runs_one_per_partition() {
    let repo = temp_dir();
    let specs = repo.path().join("specs");
    fs::create_dir_all(&specs).unwrap();
    let release = repo.path().join("released");
    fs::write(&release, "go").unwrap();
    let held = format!(
        "job_name: held_job\nmax_concurrent_runs: 2\nrun_config:\n  ops:\n    hold:\n      config:\n        release_file: '{}'\ntags:\n  name: \"92101\"\n  requester: ops\n  partitions:\n  - name: daily\n    start_date: '2024-03-01'\n    end_date: '2024-03-03'\n",
        release.display()
    );
    // flaky_job fails 2024-02-01|NL01912: a multi-partitioned job, paced.
    let flaky = "job_name: flaky_job\nmax_concurrent_runs: 1\ntags:\n  name: \"92102\"\n  partitions:\n  - name: daily\n    start_date: '2024-02-01'\n    end_date: '2024-02-01'\n  - name: stations\n    values: [NL01497, NL01912]\n";
    fs::write(specs.join("backfill-92101.yaml"), held).unwrap();
    fs::write(specs.join("backfill-92102.yaml"), flaky).unwrap();
    let threads = [("backfill-92101.yaml", 0), ("backfill-92102.yaml", 1)].map(|(name, code)| {
        let path = specs.join(name);
        std::thread::spawn(move || {
            let (got, log) = runner_on(&path, &["--poll-interval", "1s"]);
            assert_eq!(got, code, "the runner on {name}:\n{log}");
            log
        })
    });
    for t in threads {
        let log = t.join().expect("a paced request");
        assert!(log.contains("at most"), "{log}");
    }
    let (_, out, err) = outcome(&status(
        repo.path(),
        &dagster().base_url,
        &["--format", "json"],
    ));
    let report: Value = serde_json::from_str(&out).unwrap_or_else(|e| panic!("{e}: {out}\n{err}"));
    let held = request(&report, "92101");
    assert_eq!(held["state"], "succeeded", "{held}");
    assert_eq!(
        held["partitions"],
        serde_json::json!({ "total": 3, "succeeded": 3, "failed": 0, "in_progress": 0 })
    );
    assert_eq!(held["launch"]["type"], "run", "{held}");
    assert_eq!(held["launch"]["requester"], "ops", "{held}");
    assert!(
        held["launch"]["url"]
            .as_str()
            .is_some_and(|u| u.contains("/runs?q%5B0%5D=tag%3Adagster-scripts%2Frequest%3D")),
        "{held}"
    );
    let flaky = request(&report, "92102");
    assert_eq!(flaky["state"], "failed", "{flaky}");
    assert_eq!(
        flaky["failed_partitions"],
        serde_json::json!(["2024-02-01|NL01912"])
    );
    assert_eq!(flaky["partitions"]["succeeded"], 1, "{flaky}");
}

//! Settings and spec errors: exit 2 before any network traffic, and `--help`.

use std::time::Duration;

use crate::fake::SEED;
use crate::support::{Ran, command, run, spec_dir, spec_file, trial, wait};

pub fn trials() -> Vec<libtest_mimic::Trial> {
    vec![
        trial(
            "cli::help_documents_every_setting_and_exit_code",
            help_documents_every_setting_and_exit_code,
        ),
        trial("cli::bad_settings_exit_2", bad_settings_exit_2),
        trial(
            "cli::invalid_spec_exits_2_with_located_diagnostics",
            invalid_spec_exits_2_with_located_diagnostics,
        ),
        trial(
            "cli::a_fifo_spec_exits_2_at_once_and_never_blocks_sigterm",
            a_fifo_spec_exits_2_at_once_and_never_blocks_sigterm,
        ),
        trial(
            "cli::url_credentials_the_cap_and_a_clear_text_token",
            url_credentials_the_cap_and_a_clear_text_token,
        ),
    ]
}

// Port 9 (discard) on 127.0.0.1: nothing listens, and these runs must not connect anyway.
const NOWHERE: &str = "http://127.0.0.1:9";

fn help_documents_every_setting_and_exit_code() {
    let ran = run("--help", NOWHERE, &[], Duration::from_secs(10));
    ran.assert_code(0);
    for needle in [
        "DAGSTER_URL",
        "DAGSTER_API_TOKEN",
        "Dagster-Cloud-Api-Token",
        "DAGSTER_SCRIPTS_TIMEOUT",
        "DAGSTER_SCRIPTS_POLL_INTERVAL",
        "DAGSTER_SCRIPTS_LOG_FORMAT",
        "--dry-run",
        "--no-wait",
        "0  the request succeeded",
        "5  the deadline passed",
    ] {
        assert!(
            ran.stdout.contains(needle),
            "--help lacks {needle}:\n{}",
            ran.stdout
        );
    }
}

fn bad_settings_exit_2() {
    let spec = spec_file("cli-seed", SEED);
    type Env<'a> = Vec<(&'a str, &'a str)>;
    let cases: Vec<(Vec<&str>, Env)> = vec![
        (vec!["--timeout", "soon"], vec![]),
        (vec!["--poll-interval", "0"], vec![]),
        (vec!["--log-format", "xml"], vec![]),
        (vec!["--frobnicate"], vec![]),
        (vec![], vec![("DAGSTER_URL", "")]),
        (vec![], vec![("DAGSTER_URL", "dagster:3000")]),
        (vec![], vec![("DAGSTER_SCRIPTS_TIMEOUT", "6 hours")]),
    ];
    for (args, env) in cases {
        let mut c = command(&spec, NOWHERE, &args);
        for (k, v) in &env {
            c.env(k, v);
        }
        let ran: Ran = wait(c.spawn().expect("spawn"), Duration::from_secs(10));
        ran.assert_code(2);
        assert!(
            ran.elapsed < Duration::from_secs(2),
            "{args:?} {env:?} took {:?}",
            ran.elapsed
        );
        let exit = ran.event("exit");
        assert_eq!(exit.len(), 1, "{args:?} {env:?}: {}", ran.stderr);
        assert_eq!(exit[0]["exit_code"], 2);
    }
}

fn invalid_spec_exits_2_with_located_diagnostics() {
    let spec = spec_file(
        "cli-bad",
        "job_name: ingestion_job\ntags:\n  name: '1'\n  partitions:\n  - name: daily\n    start_date: '2024-02-01'\n    end_date: '2024-01-01'\n  bogus: 1\n",
    );
    let ran = run(&spec, NOWHERE, &[], Duration::from_secs(10));
    ran.assert_code(2);
    let errors = ran.event("spec_error");
    assert!(!errors.is_empty(), "{}", ran.stderr);
    assert!(
        errors.iter().all(|e| e["message"]
            .as_str()
            .unwrap_or("")
            .starts_with(&format!("{spec}:"))),
        "{errors:?}"
    );
    let missing = run(
        "/nonexistent/spec.yaml",
        NOWHERE,
        &[],
        Duration::from_secs(10),
    );
    missing.assert_code(2);
    assert!(
        missing.stderr.contains("no such file"),
        "{}",
        missing.stderr
    );
}

/// A FIFO where the spec should be (nothing ever writes to it): the runner
/// refuses it before opening it, and so can never sit blocked in `open`
/// where SIGTERM's handler only sets a flag nobody reads.
fn a_fifo_spec_exits_2_at_once_and_never_blocks_sigterm() {
    std::fs::create_dir_all(spec_dir()).expect("spec dir");
    let fifo = spec_dir().join("cli-fifo.yaml");
    let _ = std::fs::remove_file(&fifo);
    let made = std::process::Command::new("mkfifo")
        .arg(&fifo)
        .status()
        .expect("mkfifo");
    assert!(made.success());
    let fifo = fifo.to_string_lossy().into_owned();

    let ran = run(&fifo, NOWHERE, &[], Duration::from_secs(10));
    ran.assert_code(2);
    assert!(
        ran.elapsed < Duration::from_secs(2),
        "took {:?}",
        ran.elapsed
    );
    assert!(
        ran.stderr
            .contains("it is a FIFO (named pipe), not a regular file"),
        "{}",
        ran.stderr
    );

    // SIGTERM once its handler is surely installed: whatever the runner is
    // doing then, it has ended within a second.
    let mut child = command(&fifo, NOWHERE, &[]).spawn().expect("spawn");
    std::thread::sleep(Duration::from_millis(300));
    let _ = std::process::Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status();
    let signalled = std::time::Instant::now();
    let ended = loop {
        if let Some(status) = child.try_wait().expect("wait") {
            break Some(status);
        }
        if signalled.elapsed() > Duration::from_secs(1) {
            break None;
        }
        std::thread::sleep(Duration::from_millis(20));
    };
    if ended.is_none() {
        let _ = child.kill();
        let _ = child.wait();
        panic!("the runner on a FIFO spec still ran a second after SIGTERM");
    }
    let _ = std::fs::remove_file(&fifo);
}

/// The URL rules and the partition cap the Job passes (issue 11).
fn url_credentials_the_cap_and_a_clear_text_token() {
    let spec = spec_file("cli-url", SEED);
    let with = |env: &[(&str, &str)]| {
        let mut c = command(&spec, NOWHERE, &[]);
        for (k, v) in env {
            c.env(k, v);
        }
        wait(c.spawn().expect("spawn"), Duration::from_secs(10))
    };
    // A password in DAGSTER_URL: exit 2, and it is not logged.
    for url in [
        "http://admin:hunter2@127.0.0.1:9",
        "http://127.0.0.1:9/x?token=hunter2",
        "http://127.0.0.1:/x",
    ] {
        let ran = with(&[("DAGSTER_URL", url)]);
        ran.assert_code(2);
        if url.contains('@') {
            assert!(!ran.stderr.contains("hunter2"), "{}", ran.stderr);
            assert!(ran.stderr.contains("user or password"), "{}", ran.stderr);
        }
    }
    // The seed selects 4 partitions; a cap of 3 from the Job refuses it before any traffic.
    let ran = with(&[("DAGSTER_SCRIPTS_MAX_PARTITIONS", "3")]);
    ran.assert_code(2);
    assert!(
        ran.stderr.contains("more than the cap of 3"),
        "{}",
        ran.stderr
    );
    // A token over plain http to a host outside the cluster: a warning at start.
    let ran = with(&[
        ("DAGSTER_URL", "http://dagster.example.com"),
        ("DAGSTER_API_TOKEN", "secret-token"),
        ("DAGSTER_SCRIPTS_MAX_PARTITIONS", "3"),
    ]);
    ran.assert_code(2);
    let warned = ran.event("insecure_url");
    assert_eq!(warned.len(), 1, "{}", ran.stderr);
    assert_eq!(warned[0]["level"], "warn", "{}", ran.stderr);
    assert!(!ran.stderr.contains("secret-token"), "{}", ran.stderr);
    let ran = with(&[
        ("DAGSTER_API_TOKEN", "secret-token"),
        ("DAGSTER_SCRIPTS_MAX_PARTITIONS", "3"),
    ]);
    assert!(
        ran.event("insecure_url").is_empty(),
        "loopback is local: {}",
        ran.stderr
    );
}

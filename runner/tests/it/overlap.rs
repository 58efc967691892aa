//! `on_overlap` against a real Dagster: a backfill A of `held_job` launched
//! by the runner with `--no-wait` stays in flight (its runs wait for a
//! release file); a request B over some of A's days then refuses (exit 3,
//! nothing launched), launches at once (`allow`), or waits until A ends and
//! then launches (`wait`, the default).
//!
//! A request the runner paces (`max_concurrent_runs`) has no backfill: its
//! runs in flight are what others see, and it looks again before each launch.
//!
//! Days used: 2025-06-01 to 2025-06-03 (refuse, allow, dry run),
//! 2025-06-05 to 2025-06-07 (wait) and 2025-07-01 to 2025-07-03 (paced); no
//! other test uses them. Dagster runs
//! at most 10 runs at once by default, so each held backfill holds two.

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use dagster_test_server::dagster;
use serde_json::Value;

use crate::support::{command, read_until, run, spec_file, trial};

pub fn trials() -> Vec<libtest_mimic::Trial> {
    vec![
        trial(
            "dagster::overlap_refuse_exits_3_and_allow_launches_at_once",
            overlap_refuse_exits_3_and_allow_launches_at_once,
        ),
        trial(
            "dagster::overlap_wait_launches_once_the_backfill_in_flight_ends",
            overlap_wait_launches_once_the_backfill_in_flight_ends,
        ),
        trial(
            "dagster::overlap_with_a_paced_request_is_seen_from_both_sides",
            overlap_with_a_paced_request_is_seen_from_both_sides,
        ),
    ]
}

const POLL: &[&str] = &["--poll-interval", "1s"];

/// A file path no one has made yet: a held run waits until it exists.
fn release_file(name: &str) -> PathBuf {
    let nanos = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_nanos())
        .unwrap_or(0);
    std::env::temp_dir().join(format!("dagster-scripts-it-release-{name}-{nanos}"))
}

fn held(issue: &str, start: &str, end: &str, release: &Path, extra: &str) -> String {
    format!(
        "job_name: held_job
{extra}tags:
  name: {issue}
  partitions:
  - name: daily
    start_date: '{start}'
    end_date: '{end}'
run_config:
  ops:
    hold:
      config:
        release_file: {}
",
        release.display()
    )
}

/// Launches `spec` with `--no-wait`; the id of the backfill it launched.
fn launch_held(spec: &str, issue: &str) -> String {
    let server = dagster();
    run(
        spec,
        &server.base_url,
        &["--no-wait"],
        Duration::from_secs(120),
    )
    .assert_code(0);
    let launched = server.backfills_tagged("dagster-scripts/issue", issue);
    assert_eq!(launched.len(), 1, "{launched:?}");
    launched[0]["id"].as_str().unwrap().to_owned()
}

/// The rest of a runner's log until it exits (bounded at 8 minutes): its
/// exit code, the lines, and how many events of each name they hold.
fn finish(
    mut child: std::process::Child,
    mut stderr: BufReader<std::process::ChildStderr>,
    who: &str,
) -> (Option<i32>, Vec<String>, impl Fn(&str) -> usize) {
    let started = Instant::now();
    let mut rest = Vec::new();
    let code = loop {
        let mut line = String::new();
        match stderr.read_line(&mut line) {
            Ok(0) | Err(_) => break child.wait().unwrap().code(),
            Ok(_) => rest.push(line),
        }
        assert!(
            started.elapsed() < Duration::from_secs(480),
            "{who} still running after 8 minutes: {rest:#?}"
        );
    };
    let events: Vec<Value> = rest
        .iter()
        .filter_map(|l| serde_json::from_str(l).ok())
        .collect();
    let named = move |name: &str| events.iter().filter(|e| e["event"] == name).count();
    (code, rest, named)
}

fn overlap_refuse_exits_3_and_allow_launches_at_once() {
    let server = dagster();
    let held_release = release_file("a1");
    let free = release_file("b1");
    std::fs::write(&free, "").unwrap();
    let a = spec_file(
        "overlap-a1",
        &held(
            "it-overlap-a1",
            "2025-06-01",
            "2025-06-02",
            &held_release,
            "",
        ),
    );
    let a_id = launch_held(&a, "it-overlap-a1");
    let check = || -> Result<(), String> {
        // refuse: exit 3 naming A and the shared count, nothing launched.
        let refuse = spec_file(
            "overlap-refuse",
            &held(
                "it-overlap-refuse",
                "2025-06-02",
                "2025-06-03",
                &free,
                "on_overlap: refuse\n",
            ),
        );
        let ran = run(&refuse, &server.base_url, POLL, Duration::from_secs(120));
        ran.assert_code(3);
        let exit = &ran.event("exit")[0];
        let message = exit["message"].as_str().unwrap_or_default();
        let expected = format!("backfill {a_id} (REQUESTED, 1 shared partition)");
        if !message.contains(&expected) || !message.contains("/on_overlap") {
            return Err(format!("refusal does not name {expected}: {message}"));
        }
        if !server
            .backfills_tagged("dagster-scripts/issue", "it-overlap-refuse")
            .is_empty()
        {
            return Err("a refused request launched a backfill".into());
        }

        // --dry-run says what a real run would do.
        let dry = run(
            &refuse,
            &server.base_url,
            &["--dry-run"],
            Duration::from_secs(120),
        );
        dry.assert_code(0);
        let said = dry.event("dry_run_overlap");
        if said.len() != 1
            || said[0]["backfills"] != serde_json::json!([a_id])
            || !said[0]["message"]
                .as_str()
                .unwrap_or_default()
                .contains("a real run would refuse to launch (exit 3)")
        {
            return Err(format!("dry run: {said:?}"));
        }

        // The settings' default applies to a spec without on_overlap: refuse here.
        let plain = spec_file(
            "overlap-plain",
            &held("it-overlap-plain", "2025-06-02", "2025-06-03", &free, ""),
        );
        let mut c = command(&plain, &server.base_url, POLL);
        c.env("DAGSTER_SCRIPTS_ON_OVERLAP", "refuse");
        let ran = crate::support::wait(c.spawn().unwrap(), Duration::from_secs(120));
        ran.assert_code(3);
        let message = ran.event("exit")[0]["message"]
            .as_str()
            .unwrap_or_default()
            .to_owned();
        if !message.contains("DAGSTER_SCRIPTS_ON_OVERLAP") {
            return Err(format!("the setting is not named: {message}"));
        }

        // allow: a warning naming A, and the launch at once.
        let allow = spec_file(
            "overlap-allow",
            &held(
                "it-overlap-allow",
                "2025-06-02",
                "2025-06-03",
                &free,
                "on_overlap: allow\n",
            ),
        );
        let ran = run(
            &allow,
            &server.base_url,
            &["--no-wait"],
            Duration::from_secs(120),
        );
        ran.assert_code(0);
        let warned = ran.event("overlap");
        if warned.len() != 1
            || warned[0]["level"] != "warn"
            || warned[0]["shared"] != serde_json::json!([1])
        {
            return Err(format!("allow: {warned:?}"));
        }
        if ran.event("launched").len() != 1 {
            return Err(format!("allow did not launch: {}", ran.stderr));
        }
        Ok(())
    };
    let outcome = check();
    // Release A's runs whatever happened: other tests share this Dagster.
    std::fs::write(&held_release, "").unwrap();
    if let Err(e) = outcome {
        panic!("{e}");
    }
}

fn overlap_wait_launches_once_the_backfill_in_flight_ends() {
    let server = dagster();
    let held_release = release_file("a2");
    let free = release_file("b2");
    std::fs::write(&free, "").unwrap();
    let a = spec_file(
        "overlap-a2",
        &held(
            "it-overlap-a2",
            "2025-06-05",
            "2025-06-06",
            &held_release,
            "",
        ),
    );
    let a_id = launch_held(&a, "it-overlap-a2");
    // No on_overlap in the spec, none in the settings: wait.
    let b = spec_file(
        "overlap-wait",
        &held("it-overlap-wait", "2025-06-06", "2025-06-07", &free, ""),
    );
    let mut child = command(&b, &server.base_url, POLL).spawn().unwrap();
    let mut stderr = BufReader::new(child.stderr.take().unwrap());
    let waiting = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        read_until(
            &mut stderr,
            "\"event\":\"overlap_wait\"",
            Duration::from_secs(60),
        )
    }));
    // Let it wait a few polls with A held, then release A.
    std::thread::sleep(Duration::from_secs(3));
    let still_nothing = server
        .backfills_tagged("dagster-scripts/issue", "it-overlap-wait")
        .is_empty();
    std::fs::write(&held_release, "").unwrap();
    let lines = waiting.unwrap_or_else(|e| {
        let _ = child.kill();
        std::panic::resume_unwind(e)
    });
    let wait_line: Value = serde_json::from_str(lines.last().unwrap()).unwrap();
    assert_eq!(
        wait_line["backfills"],
        serde_json::json!([a_id]),
        "{wait_line}"
    );
    assert_eq!(wait_line["shared"], serde_json::json!([1]), "{wait_line}");
    assert!(still_nothing, "B launched while A was in flight");

    let (code, rest, named) = finish(child, stderr, "B");
    assert_eq!(code, Some(0), "{rest:#?}");
    assert_eq!(named("overlap_ended"), 1, "{rest:#?}");
    assert_eq!(named("launched"), 1, "{rest:#?}");
    // A had ended when B launched; B completed.
    let a_now = &server.backfills_tagged("dagster-scripts/issue", "it-overlap-a2")[0];
    assert_eq!(a_now["status"], "COMPLETED_SUCCESS", "{a_now}");
    let b_now = server.backfills_tagged("dagster-scripts/issue", "it-overlap-wait");
    assert_eq!(b_now.len(), 1, "{b_now:?}");
    assert_eq!(b_now[0]["status"], "COMPLETED_SUCCESS", "{:?}", b_now[0]);
}

/// A paced request P (one run at a time, held) is in flight over 2025-07-01:
/// a backfill over that day refuses, naming P. A backfill C over 2025-07-02,
/// a day P has not launched yet, launches; once P's first run ends, P waits
/// for C before launching 2025-07-02, then finishes.
fn overlap_with_a_paced_request_is_seen_from_both_sides() {
    let server = dagster();
    let p_release = release_file("paced-p");
    let c_release = release_file("paced-c");
    let free = release_file("paced-free");
    std::fs::write(&free, "").unwrap();
    let p = spec_file(
        "overlap-paced-p",
        &held(
            "it-overlap-paced-p",
            "2025-07-01",
            "2025-07-03",
            &p_release,
            "max_concurrent_runs: 1\n",
        ),
    );
    let mut child = command(&p, &server.base_url, POLL).spawn().unwrap();
    let mut stderr = BufReader::new(child.stderr.take().unwrap());
    let check = |stderr: &mut BufReader<std::process::ChildStderr>| -> Result<(), String> {
        let lines = read_until(stderr, "\"event\":\"launched\"", Duration::from_secs(240));
        let hash = lines
            .iter()
            .filter_map(|l| serde_json::from_str::<Value>(l).ok())
            .find(|e| e["event"] == "request")
            .and_then(|e| e["request"].as_str().map(str::to_owned))
            .ok_or("no request event")?;
        // From a backfill's side: P's run of 2025-07-01 is in flight.
        let refuse = spec_file(
            "overlap-paced-refuse",
            &held(
                "it-overlap-paced-refuse",
                "2025-07-01",
                "2025-07-01",
                &free,
                "on_overlap: refuse\n",
            ),
        );
        let ran = run(&refuse, &server.base_url, POLL, Duration::from_secs(120));
        ran.assert_code(3);
        let message = ran.event("exit")[0]["message"]
            .as_str()
            .unwrap_or_default()
            .to_owned();
        let expected = format!(
            "paced request {} (issue it-overlap-paced-p, 1 shared partition in flight)",
            &hash[..12]
        );
        if !message.contains(&expected) {
            return Err(format!("refusal does not name {expected}: {message}"));
        }
        // A day P has not launched yet: nothing in flight holds it.
        let c = spec_file(
            "overlap-paced-c",
            &held(
                "it-overlap-paced-c",
                "2025-07-02",
                "2025-07-02",
                &c_release,
                "",
            ),
        );
        let c_id = launch_held(&c, "it-overlap-paced-c");
        // From P's side: its first run ends, and 2025-07-02 is C's.
        std::fs::write(&p_release, "").unwrap();
        let lines = read_until(
            stderr,
            "\"event\":\"overlap_wait\"",
            Duration::from_secs(240),
        );
        let wait: Value = serde_json::from_str(lines.last().unwrap()).unwrap();
        if wait["backfills"] != serde_json::json!([c_id]) {
            return Err(format!("P does not wait for {c_id}: {wait}"));
        }
        std::thread::sleep(Duration::from_secs(3));
        let p_runs = crate::dagster::runs_tagged(server, "dagster-scripts/request", &hash);
        if p_runs.len() != 1 {
            return Err(format!("P launched while C held its day: {p_runs:?}"));
        }
        Ok(())
    };
    let outcome = check(&mut stderr);
    // Release every held run whatever happened: other tests share this Dagster.
    std::fs::write(&p_release, "").unwrap();
    std::fs::write(&c_release, "").unwrap();
    if let Err(e) = outcome {
        let _ = child.kill();
        panic!("{e}");
    }
    let (code, rest, named) = finish(child, stderr, "P");
    assert_eq!(code, Some(0), "{rest:#?}");
    assert_eq!(named("overlap_ended"), 1, "{rest:#?}");
    assert_eq!(named("launched"), 2, "{rest:#?}");
    let c_now = &server.backfills_tagged("dagster-scripts/issue", "it-overlap-paced-c")[0];
    assert_eq!(c_now["status"], "COMPLETED_SUCCESS", "{c_now}");
}

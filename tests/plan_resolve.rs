//! `plan --resolve` against the real Dagster: refusals located on the spec's
//! lines, partition counts and what already succeeded (and what
//! `reprocess` launches of them), whether the merge
//! launches new work or re-follows a launch (after the real runner launched
//! it), a backfill in flight on the same partitions, and the plain plan
//! with a note when Dagster cannot be reached.
//!
//! Each test takes partitions no other test of this binary uses, since
//! they share one Dagster.

use std::fs;
use std::path::Path;
use std::process::Command;
use std::time::Duration;

use dagster_test_server::dagster;
use serde_json::{Value, json};

use crate::support::{outcome, repo_with, run, tools};

/// A backfill of `ingestion_job` for `issue` over `days` (first, last) and `stations`.
fn ingestion(issue: &str, days: (&str, &str), stations: &[&str], reason: &str) -> String {
    format!(
        "job_name: ingestion_job
repository_name: luchtmeetnet_ingestion
tags:
  name: \"{issue}\"
  reason: {reason}
  partitions:
  - name: daily
    start_date: '{}'
    end_date: '{}'
  - name: stations
    values: [{}]
",
        days.0,
        days.1,
        stations.join(", ")
    )
}

/// `plan --resolve` in `dir` against the test Dagster, in `format`.
fn plan(dir: &Path, format: &str) -> (i32, String, String) {
    let url = &dagster().base_url;
    outcome(&run(
        dir,
        &["plan", "--resolve", "--dagster", url, "--format", format],
    ))
}

/// The JSON plan's `resolved` object of the change to `file`.
fn resolved<'a>(doc: &'a Value, file: &str) -> &'a Value {
    doc["changes"]
        .as_array()
        .expect("changes")
        .iter()
        .find(|c| c["file"] == file)
        .map(|c| &c["resolved"])
        .unwrap_or_else(|| panic!("no change to {file}: {doc:#}"))
}

/// Runs the real runner on the spec at `spec` against the test Dagster,
/// `extra` flags first; its exit code and log.
fn runner(spec: &Path, extra: &[&str]) -> (i32, String) {
    let mut cmd = Command::new(crate::e2e::runner());
    cmd.args(extra)
        .args(["--poll-interval", "1s", "--timeout", "8m"])
        .arg(spec)
        .env("DAGSTER_URL", &dagster().base_url)
        .env_remove("DAGSTER_API_TOKEN");
    let out = tools::output(&mut cmd, Duration::from_secs(600));
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

#[test]
fn refusals_are_problems_on_the_lines_of_the_spec() {
    let unknown_job = ingestion("92001", ("2024-04-01", "2024-04-01"), &["NL01497"], "x")
        .replace("job_name: ingestion_job", "job_name: no_such_job");
    let unknown_station = ingestion(
        "92002",
        ("2024-04-01", "2024-04-01"),
        &["NL01497", "NL99999"],
        "x",
    );
    let bad_config = "kind: run
job_name: cleanup_job
repository_name: luchtmeetnet_ingestion
run_config:
  ops:
    cleanup:
      config:
        no_such_field: 1
tags:
  name: \"92003\"
  reason: x
";
    let dir = repo_with(&[
        ("a-job.yaml", unknown_job.as_bytes()),
        ("b-station.yaml", unknown_station.as_bytes()),
        ("c-config.yaml", bad_config.as_bytes()),
    ]);
    let (code, out, err) = plan(dir.path(), "markdown");
    assert_eq!(code, 1, "{err}\n{out}");
    assert_eq!(out, "", "no plan is printed when Dagster refuses a request");
    // job_name's value on line 1, the second station on line 11, the
    // run_config key on line 4.
    for (place, what) in [
        (
            "specs/a-job.yaml:1:11",
            "job no_such_job not found in any code location",
        ),
        (
            "specs/b-station.yaml:11:23",
            "1 partition key(s) do not exist in job ingestion_job: 2024-04-01|NL99999",
        ),
        (
            "specs/c-config.yaml:4:1",
            "validating the run config of job cleanup_job",
        ),
    ] {
        assert!(err.contains(place), "{place} missing:\n{err}");
        assert!(err.contains(what), "{what} missing:\n{err}");
    }
    assert_eq!(err.matches("E025").count(), 3, "{err}");
    assert!(err.contains("refuses 3 requests"), "{err}");
}

#[test]
fn a_request_launched_already_is_re_followed_and_a_new_station_launches_again() {
    let server = dagster();
    let days = ("2024-04-10", "2024-04-11");
    let dir = repo_with(&[(
        "backfill-92010.yaml",
        ingestion("92010", days, &["NL01497"], "first").as_bytes(),
    )]);
    let spec = dir.path().join("specs/backfill-92010.yaml");
    let file = "backfill-92010.yaml";

    // Before anything ran: two partitions, none done, the merge launches.
    let (code, out, err) = plan(dir.path(), "json");
    assert_eq!(code, 0, "{err}");
    let doc: Value = serde_json::from_str(&out).unwrap();
    assert_eq!(doc["dagster"]["asked"], true, "{doc:#}");
    let r = resolved(&doc, file);
    assert_eq!(
        (&r["partitions"], &r["succeeded"], &r["effect"]),
        (&json!(2), &json!(0), &json!("launches")),
        "{r:#}"
    );
    assert_eq!(r["target"]["location"], "luchtmeetnet_ingestion", "{r:#}");

    // The merge: render, and the Job's runner launches and finishes it.
    let (code, _, err) = outcome(&run(dir.path(), &["render"]));
    assert_eq!(code, 0, "{err}");
    let (code, log) = runner(&spec, &[]);
    assert_eq!(code, 0, "{log}");
    let request = r["request"].as_str().unwrap();
    let launched = server.backfills_tagged("dagster-scripts/request", request);
    assert_eq!(launched.len(), 1, "{launched:?}");
    let id = launched[0]["id"].as_str().unwrap();

    // Only the reason changes: the same request, followed again.
    fs::write(&spec, ingestion("92010", days, &["NL01497"], "second")).unwrap();
    let (code, out, err) = plan(dir.path(), "json");
    assert_eq!(code, 0, "{err}");
    let doc: Value = serde_json::from_str(&out).unwrap();
    assert_eq!(doc["changes"][0]["action"], "change", "{doc:#}");
    let r = resolved(&doc, file);
    assert_eq!(r["effect"], "refollows", "{r:#}");
    assert_eq!(
        r["request"], request,
        "reason is not part of the request hash"
    );
    assert_eq!(
        r["launch"],
        json!({ "type": "backfill", "id": id, "status": "COMPLETED_SUCCESS" })
    );
    assert_eq!(r["succeeded"], 2, "{r:#}");
    let (code, md, err) = plan(dir.path(), "markdown");
    assert_eq!(code, 0, "{err}");
    assert!(
        md.contains(&format!(
            "re-follows backfill `{id}` (`COMPLETED_SUCCESS`), launched already: launches nothing new"
        )),
        "{md}"
    );

    // A new station: a new request, which re-runs the two already done.
    fs::write(
        &spec,
        ingestion("92010", days, &["NL01497", "NL01912"], "second"),
    )
    .unwrap();
    let (code, md, err) = plan(dir.path(), "markdown");
    assert_eq!(code, 0, "{err}");
    assert!(
        md.contains(
            "| 4 | 2 | launches new work: a backfill of 4 partitions, re-runs 2 already done |"
        ),
        "{md}"
    );
    assert!(md.contains("#### In Dagster (`http://127.0.0.1:"), "{md}");
}

#[test]
fn a_backfill_in_flight_on_the_same_partitions_is_named() {
    let server = dagster();
    let sensors = |n: usize| -> String {
        (0..n)
            .map(|i| format!("S{i:04}"))
            .collect::<Vec<_>>()
            .join(", ")
    };
    let spec = |issue: &str, n: usize| {
        format!(
            "job_name: wide_job
tags:
  name: \"{issue}\"
  reason: x
  partitions:
  - name: daily
    start_date: '2024-01-07'
    end_date: '2024-01-07'
  - name: sensors
    values: [{}]
",
            sensors(n)
        )
    };
    let first = repo_with(&[("backfill-92020.yaml", spec("92020", 60).as_bytes())]);
    let (code, log) = runner(
        &first.path().join("specs/backfill-92020.yaml"),
        &["--no-wait"],
    );
    assert_eq!(code, 0, "{log}");
    let launched = server.backfills_tagged("dagster-scripts/issue", "92020");
    assert_eq!(launched.len(), 1, "{launched:?}");
    let id = launched[0]["id"].as_str().unwrap().to_owned();

    let second = repo_with(&[("backfill-92021.yaml", spec("92021", 10).as_bytes())]);
    let (code, out, err) = plan(second.path(), "json");
    let (_, md, _) = plan(second.path(), "markdown");
    // Stop the 60 runs before asserting: other tests share this Dagster.
    server.query(
        "mutation($id: String!) { cancelPartitionBackfill(backfillId: $id) { __typename } }",
        json!({ "id": id }),
    );
    assert_eq!(code, 0, "{err}");
    let doc: Value = serde_json::from_str(&out).unwrap();
    let r = resolved(&doc, "backfill-92021.yaml");
    let in_flight = r["in_flight"].as_array().unwrap();
    assert_eq!(in_flight.len(), 1, "{r:#}");
    assert_eq!(in_flight[0]["id"], id.as_str());
    assert_eq!(in_flight[0]["shared"], 10);
    assert_eq!(in_flight[0]["title"], "dagster-scripts: backfill 92020");
    assert_eq!(r["on_overlap"], "wait", "no on_overlap, no setting: {r:#}");
    assert!(
        md.contains(&format!(
            "backfill `dagster-scripts: backfill 92020` `{id}` (`REQUESTED`) targets 10 of these partitions: the runner waits for it to end, then launches |"
        )),
        "{md}"
    );
}

#[test]
fn an_unreachable_dagster_leaves_the_plain_plan_with_a_note() {
    // A port nothing listens on: bound, then closed.
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let url = format!("http://127.0.0.1:{port}");
    let text = ingestion("92030", ("2024-04-20", "2024-04-20"), &["NL01497"], "x");
    let dir = repo_with(&[("backfill-92030.yaml", text.as_bytes())]);
    let (code, plain, _) = outcome(&run(dir.path(), &["plan"]));
    assert_eq!(code, 0);
    let (code, md, err) = outcome(&run(
        dir.path(),
        &["plan", "--resolve", "--dagster", &url, "--timeout", "3s"],
    ));
    assert_eq!(code, 0, "exits as the plain plan does: {err}");
    let note = md
        .strip_prefix(plain.as_str())
        .unwrap_or_else(|| panic!("{md}"));
    assert!(
        note.starts_with(&format!("\n> **Dagster at `{url}` could not be asked** (`")),
        "{note}"
    );
    assert!(
        err.contains(&format!("warning: Dagster at {url} could not be asked: ")),
        "{err}"
    );
    let (code, json, _) = outcome(&run(
        dir.path(),
        &[
            "plan",
            "--resolve",
            "--dagster",
            &url,
            "--timeout",
            "3s",
            "--format",
            "json",
        ],
    ));
    assert_eq!(code, 0);
    let doc: Value = serde_json::from_str(&json).unwrap();
    assert_eq!(doc["dagster"]["asked"], false, "{doc:#}");
    assert!(doc["dagster"]["error"].is_string(), "{doc:#}");
    assert!(doc["changes"][0].get("resolved").is_none(), "{doc:#}");
}

/// A backfill of `monthly_job` (keys written `%Y-%m`) for `issue` from
/// month `start` to `end`, with `reprocess` lines if any.
fn months(issue: &str, start: &str, end: &str, reprocess: &str) -> String {
    format!(
        "job_name: monthly_job
{reprocess}tags:
  name: \"{issue}\"
  reason: x
  partitions:
  - name: month
    start: '{start}'
    end: '{end}'
"
    )
}

#[test]
fn reprocess_says_how_many_partitions_launch_and_why_not_the_others() {
    // Two months done by the real runner.
    let done = repo_with(&[(
        "backfill-92040.yaml",
        months("92040", "2023-09", "2023-10", "").as_bytes(),
    )]);
    let (code, log) = runner(&done.path().join("specs/backfill-92040.yaml"), &[]);
    assert_eq!(code, 0, "{log}");

    // Four months, `reprocess: missing`: the two never run launch.
    let file = "backfill-92041.yaml";
    let dir = repo_with(&[(
        file,
        months("92041", "2023-09", "2023-12", "reprocess: missing\n").as_bytes(),
    )]);
    let (code, out, err) = plan(dir.path(), "json");
    assert_eq!(code, 0, "{err}");
    let doc: Value = serde_json::from_str(&out).unwrap();
    let r = resolved(&doc, file);
    assert_eq!(
        (&r["partitions"], &r["succeeded"], &r["effect"]),
        (&json!(4), &json!(2), &json!("launches")),
        "{r:#}"
    );
    assert_eq!(
        r["reprocess"],
        json!({ "mode": "missing", "launching": 2, "failed": 0, "in_progress": 0, "never_run": 2 }),
        "{r:#}"
    );
    let (code, md, err) = plan(dir.path(), "markdown");
    assert_eq!(code, 0, "{err}");
    assert!(
        md.contains("| 4 | 2 | launches new work: a backfill of 2 of 4 selected partitions (reprocess: missing; 2 already succeeded, 0 failed, 0 in progress, 2 never run) |"),
        "{md}"
    );

    // Over the two months done: the Job launches nothing, and says why.
    let file = "backfill-92042.yaml";
    let dir = repo_with(&[(
        file,
        months("92042", "2023-09", "2023-10", "reprocess: missing\n").as_bytes(),
    )]);
    let (code, out, err) = plan(dir.path(), "json");
    assert_eq!(code, 0, "{err}");
    let doc: Value = serde_json::from_str(&out).unwrap();
    let r = resolved(&doc, file);
    assert_eq!(r["effect"], "nothing", "{r:#}");
    assert_eq!(
        r["why"],
        "reprocess: missing: none of the 2 selected partitions is missing or failed (2 already succeeded, 0 failed, 0 in progress, 0 never run); nothing to do",
        "{r:#}"
    );

    // A bound that is not a key: a problem on its line, with Dagster's keys.
    let dir = repo_with(&[(
        "backfill-92043.yaml",
        months("92043", "2023-09-01", "2023-10", "").as_bytes(),
    )]);
    let (code, _, err) = plan(dir.path(), "markdown");
    assert_eq!(code, 1, "{err}");
    assert!(err.contains("specs/backfill-92043.yaml:7:12"), "{err}");
    assert!(
        err.contains("`2023-09-01` is not a partition key of job monthly_job; write `start` and `end` exactly as Dagster writes its keys (24 keys, from `2023-01` to `2024-12`)"),
        "{err}"
    );
}

/// The new kinds' refusals are located too: a cancellation of an issue
/// that launched nothing at `cancel_of`, an unknown asset group at its
/// item, an asset backfill whose prefix selects an unpartitioned asset at
/// the prefix, a materialisation's missing config at `run_config`.
#[test]
fn cancel_and_asset_selection_refusals_are_located() {
    let cancel = "kind: cancel\ncancel_of: \"92990\"\ntags:\n  name: \"92901\"\n";
    let group = "kind: materialize\nasset_groups: [catalog, no_such_group]\ntags:\n  name: \"92902\"\nrun_config:\n  ops:\n    warehouse__station_catalog:\n      config:\n        source: x\n";
    let prefix = "kind: asset_backfill\nasset_prefixes: [warehouse]\ntags:\n  name: \"92903\"\n  partitions:\n  - name: week\n    values: ['2024-01-07']\n";
    let config = "kind: materialize\nassets: [warehouse/station_catalog]\ntags:\n  name: \"92904\"\nrun_config:\n  ops:\n    warehouse__station_catalog:\n      config: {}\n";
    let dir = repo_with(&[
        ("a-cancel.yaml", cancel.as_bytes()),
        ("b-group.yaml", group.as_bytes()),
        ("c-prefix.yaml", prefix.as_bytes()),
        ("d-config.yaml", config.as_bytes()),
    ]);
    let (code, _, err) = plan(dir.path(), "markdown");
    assert_eq!(code, 1, "{err}");
    for (place, what) in [
        (
            "specs/a-cancel.yaml:2:12",
            "cancel_of 92990: no backfill or run tagged",
        ),
        (
            "specs/b-group.yaml:2:25",
            "asset group no_such_group holds no asset",
        ),
        (
            "specs/c-prefix.yaml:2:18",
            "asset warehouse/station_catalog (selected by asset key prefix warehouse) is not partitioned",
        ),
        ("specs/d-config.yaml:5:1", "Missing required config entry"),
    ] {
        assert!(err.contains(place), "{place} missing:\n{err}");
        assert!(err.contains(what), "{what} missing:\n{err}");
    }
}

/// What merging says for the new kinds: a materialisation selected by
/// group launches a run of the implicit asset job; a cancellation of a
/// request whose run has ended cancels nothing, and says so.
#[test]
fn a_cancellation_and_a_materialisation_say_what_the_merge_does() {
    let done = "kind: run\njob_name: cleanup_job\ntags:\n  name: \"92910\"\nrun_config:\n  ops:\n    cleanup:\n      config:\n        older_than_days: 5\n";
    let launched = repo_with(&[("run.yaml", done.as_bytes())]);
    let (code, log) = runner(&launched.path().join("specs/run.yaml"), &[]);
    assert_eq!(code, 0, "{log}");
    let cancel = "kind: cancel\ncancel_of: \"92910\"\ntags:\n  name: \"92911\"\n";
    let materialize = "kind: materialize\nasset_groups: [catalog]\ntags:\n  name: \"92912\"\nrun_config:\n  ops:\n    warehouse__station_catalog:\n      config:\n        source: x\n";
    let dir = repo_with(&[
        ("cancel.yaml", cancel.as_bytes()),
        ("materialize.yaml", materialize.as_bytes()),
    ]);
    let (code, out, err) = plan(dir.path(), "json");
    assert_eq!(code, 0, "{err}");
    let doc: Value = serde_json::from_str(&out).unwrap_or_else(|e| panic!("{e}: {out}"));
    let c = resolved(&doc, "cancel.yaml");
    assert_eq!(c["kind"], "cancel", "{c:#}");
    assert_eq!(c["effect"], "nothing", "{c:#}");
    assert!(
        c["why"]
            .as_str()
            .unwrap_or("")
            .contains("nothing to cancel"),
        "{c:#}"
    );
    let m = resolved(&doc, "materialize.yaml");
    assert_eq!(m["kind"], "materialize", "{m:#}");
    assert_eq!(m["effect"], "launches", "{m:#}");
    assert_eq!(
        m["target"],
        json!({ "location": "luchtmeetnet_ingestion", "repository": "__repository__", "job": "__ASSET_JOB" })
    );
}

#[test]
fn a_paced_request_says_how_many_runs_at_once_and_which_partitions_already_have_one() {
    let dir = repo_with(&[]);
    let release = dir.path().join("released");
    fs::write(&release, "go").unwrap();
    let text = format!(
        "job_name: held_job
max_concurrent_runs: 2
run_config:
  ops:
    hold:
      config:
        release_file: '{}'
tags:
  name: \"92020\"
  reason: paced
  partitions:
  - name: daily
    start_date: '2024-04-20'
    end_date: '2024-04-22'
",
        release.display()
    );
    let spec = dir.path().join("specs/backfill-92020.yaml");
    fs::create_dir_all(spec.parent().unwrap()).unwrap();
    fs::write(&spec, &text).unwrap();
    let file = "backfill-92020.yaml";
    let (code, out, err) = plan(dir.path(), "json");
    assert_eq!(code, 0, "{err}");
    let doc: Value = serde_json::from_str(&out).unwrap();
    let r = resolved(&doc, file);
    assert_eq!(
        (&r["partitions"], &r["effect"]),
        (&json!(3), &json!("launches")),
        "{r:#}"
    );
    let notes = r["notes"].to_string();
    assert!(
        notes.contains("the runner launches 3 runs itself, one per partition, at most 2 at once"),
        "{notes}"
    );

    let (code, log) = runner(&spec, &[]);
    assert_eq!(code, 0, "{log}");
    let (code, md, err) = plan(dir.path(), "markdown");
    assert_eq!(code, 0, "{err}");
    assert!(
        md.contains("3 partitions already have a run and are not launched again"),
        "{md}"
    );
    // What the Job does again: it follows those runs; nothing is re-run.
    assert!(
        md.contains("each of the 3 partitions has a run of this request already; the Job follows them to their end"),
        "{md}"
    );
    assert!(!md.contains("re-runs"), "{md}");
    assert!(md.contains("| 3 | 3 | launches nothing"), "{md}");
}

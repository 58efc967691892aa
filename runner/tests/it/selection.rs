//! What a request selects, against the real Dagster of the `dagster` group:
//! key ranges (`start`/`end`) of hourly, monthly, custom-format daily and
//! weekly partitions, and `reprocess: missing | failed` by Dagster's own
//! partition statuses, for jobs and assets.
//!
//! Each test takes partitions no other test of this binary uses (they share
//! one Dagster, and partition statuses are per job or asset, whoever ran
//! them); the one that needs flaky_job's failing partition takes turns with
//! the other tests that run it.

use std::time::{Duration, Instant};

use dagster_test_server::dagster;
use serde_json::{Value, json};

use crate::dagster::{FAIL_KEY, assert_nothing_launched, follow, sorted};
use crate::support::{Ran, run, spec_file, trial};

pub fn trials() -> Vec<libtest_mimic::Trial> {
    vec![
        trial(
            "selection::key_ranges_select_dagsters_keys_of_any_granularity",
            key_ranges_select_dagsters_keys_of_any_granularity,
        ),
        trial(
            "selection::a_weekly_asset_backfills_a_key_range_then_only_what_is_missing",
            a_weekly_asset_backfills_a_key_range_then_only_what_is_missing,
        ),
        trial(
            "selection::reprocess_of_multi_partitioned_assets_reads_both_dimensions",
            reprocess_of_multi_partitioned_assets_reads_both_dimensions,
        ),
        trial(
            "selection::a_bound_that_is_not_a_key_is_refused_with_dagsters_format",
            a_bound_that_is_not_a_key_is_refused_with_dagsters_format,
        ),
        trial(
            "selection::reprocess_launches_only_what_failed_or_never_ran",
            reprocess_launches_only_what_failed_or_never_ran,
        ),
        trial(
            "selection::reprocess_leaves_partitions_in_progress_alone",
            reprocess_leaves_partitions_in_progress_alone,
        ),
    ]
}

/// The runner's `--dry-run --log-format json` plan for `text`.
fn dry_run(name: &str, text: &str) -> Value {
    let ran = run(
        &spec_file(name, text),
        &dagster().base_url,
        &["--dry-run"],
        Duration::from_secs(60),
    );
    ran.assert_code(0);
    serde_json::from_str(ran.stdout.trim()).unwrap_or_else(|e| panic!("{e}: {ran:?}"))
}

/// The message the runner exited with.
fn exit_message(ran: &Ran) -> String {
    ran.event("exit")
        .first()
        .and_then(|e| e["message"].as_str().map(str::to_owned))
        .unwrap_or_else(|| panic!("no exit message: {ran:?}"))
}

/// A backfill of `job` over one dimension `name` from `start` to `end`.
fn range_spec(job: &str, issue: &str, name: &str, start: &str, end: &str) -> String {
    format!(
        "job_name: {job}\ntags:\n  name: {issue}\n  partitions:\n  - name: {name}\n    start: '{start}'\n    end: '{end}'\n"
    )
}

/// The one backfill Dagster has for `issue`, ended as `status`, over `keys`.
fn assert_backfill(issue: &str, status: &str, keys: &[&str]) {
    let backfills = dagster().backfills_tagged("dagster-scripts/issue", issue);
    assert_eq!(backfills.len(), 1, "{issue}: {backfills:?}");
    assert_eq!(backfills[0]["status"], status, "{issue}: {backfills:?}");
    let mut wanted: Vec<String> = keys.iter().map(|k| (*k).to_owned()).collect();
    wanted.sort();
    assert_eq!(sorted(&backfills[0]["partitionNames"]), wanted, "{issue}");
}

fn key_ranges_select_dagsters_keys_of_any_granularity() {
    // Monthly, keys written %Y-%m: launched and completed over four months.
    let months = ["2023-05", "2023-06", "2023-07", "2023-08"];
    let ran = follow(&spec_file(
        "range-monthly",
        &range_spec(
            "monthly_job",
            "it-range-monthly",
            "month",
            "2023-05",
            "2023-08",
        ),
    ));
    ran.assert_code(0);
    assert_backfill("it-range-monthly", "COMPLETED_SUCCESS", &months);

    // Hourly, across midnight: Dagster's order, both bounds included.
    let plan = dry_run(
        "range-hourly",
        &range_spec(
            "hourly_job",
            "it-range-hourly",
            "hour",
            "2024-02-10-22:00",
            "2024-02-11-01:00",
        ),
    );
    assert_eq!(
        plan["partitions"],
        json!([
            "2024-02-10-22:00",
            "2024-02-10-23:00",
            "2024-02-11-00:00",
            "2024-02-11-01:00"
        ]),
        "{plan}"
    );
    assert_eq!(
        plan["variables"]["partitionNames"], plan["partitions"],
        "{plan}"
    );

    // Daily with its own key format (%Y%m%d), across a month's end.
    let plan = dry_run(
        "range-compact",
        &range_spec(
            "compact_job",
            "it-range-compact",
            "day",
            "20240229",
            "20240302",
        ),
    );
    assert_eq!(
        plan["partitions"],
        json!(["20240229", "20240301", "20240302"]),
        "{plan}"
    );

    // One dimension of a product: a range of days and a range of stations.
    let plan = dry_run(
        "range-multi",
        "job_name: flaky_job\ntags:\n  name: it-range-multi\n  partitions:\n  - name: stations\n    start: NL01912\n    end: NL01913\n  - name: daily\n    start: '2024-01-10'\n    end: '2024-01-11'\n",
    );
    assert_eq!(
        plan["partitions"],
        json!([
            "2024-01-10|NL01912",
            "2024-01-10|NL01913",
            "2024-01-11|NL01912",
            "2024-01-11|NL01913"
        ]),
        "{plan}"
    );
    for issue in ["it-range-hourly", "it-range-compact", "it-range-multi"] {
        assert_nothing_launched(issue);
    }
}

fn a_weekly_asset_backfills_a_key_range_then_only_what_is_missing() {
    let spec = |issue: &str, reprocess: &str, end: &str| {
        format!(
            "kind: asset_backfill\nassets: [warehouse/weekly_report]\n{reprocess}tags:\n  name: {issue}\n  partitions:\n  - name: week\n    start: '2024-06-02'\n    end: '{end}'\n"
        )
    };
    let ran = follow(&spec_file(
        "range-weekly",
        &spec("it-range-weekly", "", "2024-06-16"),
    ));
    ran.assert_code(0);
    assert_backfill(
        "it-range-weekly",
        "COMPLETED_SUCCESS",
        &["2024-06-02", "2024-06-09", "2024-06-16"],
    );

    // Two weeks more, `reprocess: missing`: only the two never materialized.
    let plan = dry_run(
        "range-weekly-missing",
        &spec(
            "it-range-weekly-missing",
            "reprocess: missing\n",
            "2024-06-30",
        ),
    );
    assert_eq!(
        plan["partitions"],
        json!(["2024-06-23", "2024-06-30"]),
        "{plan}"
    );
    assert_eq!(
        plan["reprocess"],
        json!({ "mode": "missing", "selected": 5, "launching": 2, "succeeded": 3, "failed": 0, "in_progress": 0, "never_run": 2 }),
        "{plan}"
    );
    // Over the weeks done: nothing to do, exit 0, nothing launched.
    let done = run(
        &spec_file(
            "range-weekly-done",
            &spec("it-range-weekly-done", "reprocess: missing\n", "2024-06-16"),
        ),
        &dagster().base_url,
        &[],
        Duration::from_secs(60),
    );
    done.assert_code(0);
    let finished = &done.event("finished")[0];
    assert!(
        finished["message"]
            .as_str()
            .is_some_and(|m| m.contains("none of the 3 selected partitions is missing or failed")),
        "{}",
        done.stderr
    );
    assert_nothing_launched("it-range-weekly-done");
}

fn reprocess_of_multi_partitioned_assets_reads_both_dimensions() {
    let spec = |issue: &str, reprocess: &str, last_day: &str, stations: &str| {
        format!(
            "kind: asset_backfill\nassets: [luchtmeetnet_measurements]\n{reprocess}tags:\n  name: {issue}\n  partitions:\n  - name: daily\n    start: '2024-03-05'\n    end: '{last_day}'\n  - name: stations\n    values: [{stations}]\n"
        )
    };
    let ran = follow(&spec_file(
        "multi-asset",
        &spec("it-multi-asset", "", "2024-03-06", "NL01913"),
    ));
    ran.assert_code(0);
    let plan = dry_run(
        "multi-asset-missing",
        &spec(
            "it-multi-asset-missing",
            "reprocess: missing\n",
            "2024-03-07",
            "NL01912, NL01913",
        ),
    );
    assert_eq!(
        plan["partitions"],
        json!([
            "2024-03-05|NL01912",
            "2024-03-06|NL01912",
            "2024-03-07|NL01912",
            "2024-03-07|NL01913"
        ]),
        "{plan}"
    );
    assert_eq!(plan["reprocess"]["succeeded"], 2, "{plan}");
    assert_nothing_launched("it-multi-asset-missing");
}

fn a_bound_that_is_not_a_key_is_refused_with_dagsters_format() {
    let refused = |issue: &str, text: &str, needles: &[&str]| {
        let ran = run(
            &spec_file(issue, text),
            &dagster().base_url,
            &[],
            Duration::from_secs(60),
        );
        ran.assert_code(3);
        let message = exit_message(&ran);
        for needle in needles {
            assert!(message.contains(needle), "{needle} not in: {message}");
        }
        assert_nothing_launched(issue);
    };
    // A job: Dagster does not say its format; its first and last keys do.
    refused(
        "it-bound-monthly",
        &range_spec(
            "monthly_job",
            "it-bound-monthly",
            "month",
            "2024-01-01",
            "2024-02",
        ),
        &[
            "`2024-01-01` is not a partition key of job monthly_job",
            "24 keys, from `2023-01` to `2024-12`",
            "(spec: /tags/partitions/0/start)",
        ],
    );
    // An asset: Dagster says the format.
    refused(
        "it-bound-weekly",
        "kind: asset_backfill\nassets: [warehouse/weekly_report]\ntags:\n  name: it-bound-weekly\n  partitions:\n  - name: week\n    start: '2024-06-02'\n    end: '2024-06-03'\n",
        &[
            "`2024-06-03` is not a partition key of asset warehouse/weekly_report",
            "Dagster writes its keys in the format `%Y-%m-%d`",
            "from `2024-01-07`",
            "(spec: /tags/partitions/0/end)",
        ],
    );
    refused(
        "it-bound-reversed",
        &range_spec(
            "hourly_job",
            "it-bound-reversed",
            "hour",
            "2024-02-12-05:00",
            "2024-02-12-04:00",
        ),
        &["ends (`2024-02-12-04:00`) before it starts (`2024-02-12-05:00`)"],
    );
    // Days over months keep their meaning, and say what to write instead.
    refused(
        "it-bound-days",
        "job_name: monthly_job\ntags:\n  name: it-bound-days\n  partitions:\n  - name: month\n    start_date: '2024-03-01'\n    end_date: '2024-04-30'\n",
        &[
            "61 partition key(s) do not exist in job monthly_job",
            "(spec: /tags/partitions/0/start_date)",
            "hint: the keys of dimension `month` are not one per day",
            "`start: '2024-03'` and `end: '2024-04'`",
        ],
    );
}

/// flaky_job over two days and two stations, one of them its failing key
/// (`2024-02-01|NL01912`): run once, it fails there; then `reprocess`
/// selects exactly that key, or that key and those never run, or nothing.
fn reprocess_launches_only_what_failed_or_never_ran() {
    let _turn = FAIL_KEY.lock().unwrap_or_else(|e| e.into_inner());
    let spec = |issue: &str, reprocess: &str, first: &str, last: &str| {
        format!(
            "job_name: flaky_job\n{reprocess}tags:\n  name: {issue}\n  partitions:\n  - name: daily\n    start_date: '{first}'\n    end_date: '{last}'\n  - name: stations\n    values: [NL01912, NL01913]\n"
        )
    };
    let ran = follow(&spec_file(
        "reprocess-first",
        &spec("it-reprocess-first", "", "2024-02-01", "2024-02-02"),
    ));
    ran.assert_code(1);
    assert_eq!(
        ran.event("finished")[0]["failed_partitions"],
        json!(["2024-02-01|NL01912"]),
        "{}",
        ran.stderr
    );

    // `failed` over the same selection: the failed key alone.
    let text = spec(
        "it-reprocess-failed",
        "reprocess: failed\n",
        "2024-02-01",
        "2024-02-02",
    );
    let plan = dry_run("reprocess-failed", &text);
    assert_eq!(plan["partitions"], json!(["2024-02-01|NL01912"]), "{plan}");
    assert_eq!(
        plan["reprocess"],
        json!({ "mode": "failed", "selected": 4, "launching": 1, "succeeded": 3, "failed": 1, "in_progress": 0, "never_run": 0 }),
        "{plan}"
    );
    let human = run(
        &spec_file("reprocess-failed-text", &text),
        &dagster().base_url,
        &["--dry-run", "--log-format", "human"],
        Duration::from_secs(60),
    );
    human.assert_code(0);
    assert!(
        human.stdout.contains(
            "  launching:      1 of 4 selected partitions (reprocess: failed; 3 already succeeded, 1 failed, 0 in progress, 0 never run)\n"
        ),
        "{}",
        human.stdout
    );

    // `missing` over one more day: the failed key and the two never run,
    // launched for real (the failed key fails again).
    let ran = follow(&spec_file(
        "reprocess-missing",
        &spec(
            "it-reprocess-missing",
            "reprocess: missing\n",
            "2024-02-01",
            "2024-02-03",
        ),
    ));
    ran.assert_code(1);
    assert_backfill(
        "it-reprocess-missing",
        "COMPLETED_FAILED",
        &[
            "2024-02-01|NL01912",
            "2024-02-03|NL01912",
            "2024-02-03|NL01913",
        ],
    );

    // `missing` over keys that all succeeded: nothing to do, exit 0, no backfill.
    let done = run(
        &spec_file(
            "reprocess-done",
            &spec(
                "it-reprocess-done",
                "reprocess: missing\n",
                "2024-02-02",
                "2024-02-03",
            ),
        ),
        &dagster().base_url,
        &[],
        Duration::from_secs(60),
    );
    done.assert_code(0);
    assert_eq!(
        done.event("finished")[0]["message"],
        "reprocess: missing: none of the 4 selected partitions is missing or failed (4 already succeeded, 0 failed, 0 in progress, 0 never run); nothing to do",
        "{}",
        done.stderr
    );
    assert!(done.event("launched").is_empty(), "{}", done.stderr);
    assert_nothing_launched("it-reprocess-done");
}

/// held_job's runs stay in progress until their release file exists: while
/// they do, `reprocess: missing` launches neither them nor a second run of
/// their partitions, and counts them apart.
fn reprocess_leaves_partitions_in_progress_alone() {
    let release =
        std::env::temp_dir().join(format!("dagster-scripts-it-release-{}", std::process::id()));
    let _ = std::fs::remove_file(&release);
    let spec = |issue: &str, reprocess: &str, last: &str| {
        format!(
            "job_name: held_job\n{reprocess}tags:\n  name: {issue}\n  partitions:\n  - name: day\n    start_date: '2024-09-10'\n    end_date: '{last}'\nrun_config:\n  ops:\n    hold:\n      config:\n        release_file: '{}'\n",
            release.display()
        )
    };
    let held = spec_file("held", &spec("it-reprocess-held", "", "2024-09-11"));
    run(
        &held,
        &dagster().base_url,
        &["--no-wait"],
        Duration::from_secs(60),
    )
    .assert_code(0);
    let missing = spec(
        "it-reprocess-held-missing",
        "reprocess: missing\n",
        "2024-09-12",
    );
    // The backfill daemon starts the runs at its next tick.
    let deadline = Instant::now() + Duration::from_secs(240);
    let plan = loop {
        let plan = dry_run("held-missing", &missing);
        if plan["reprocess"]["in_progress"] == 2 || Instant::now() > deadline {
            break plan;
        }
        std::thread::sleep(Duration::from_secs(2));
    };
    std::fs::write(&release, "").expect("release the held runs");
    assert_eq!(plan["partitions"], json!(["2024-09-12"]), "{plan}");
    assert_eq!(
        plan["reprocess"],
        json!({ "mode": "missing", "selected": 3, "launching": 1, "succeeded": 0, "failed": 0, "in_progress": 2, "never_run": 1 }),
        "{plan}"
    );
    follow(&held).assert_code(0);
    let _ = std::fs::remove_file(&release);
    assert_nothing_launched("it-reprocess-held-missing");
}

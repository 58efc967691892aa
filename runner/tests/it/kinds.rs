//! Against the real Dagster, the kinds that speak more of it: `cancel`
//! (held backfills and runs of `held_job`, stopped exactly once), asset
//! selection by group and key prefix, and `materialize`.

use std::time::{Duration, Instant};

use dagster_test_server::dagster;
use serde_json::{Value, json};

use crate::dagster::{FOLLOW_LIMIT, POLL, assert_nothing_launched, follow, runs_tagged, sorted};
use crate::support::{Ran, START_LIMIT, command, run, spec_file, trial, wait};

pub fn trials() -> Vec<libtest_mimic::Trial> {
    vec![
        trial(
            "kinds::cancel_stops_a_held_backfill_and_its_runs_once",
            cancel_stops_a_held_backfill_and_its_runs_once,
        ),
        trial(
            "kinds::cancel_terminates_a_held_run_once_with_two_runners_at_once",
            cancel_terminates_a_held_run_once_with_two_runners_at_once,
        ),
        trial(
            "kinds::cancel_of_what_launched_nothing_or_has_ended",
            cancel_of_what_launched_nothing_or_has_ended,
        ),
        trial(
            "kinds::asset_backfill_by_group_and_key_prefix",
            asset_backfill_by_group_and_key_prefix,
        ),
        trial(
            "kinds::materialize_an_unpartitioned_asset_with_config",
            materialize_an_unpartitioned_asset_with_config,
        ),
    ]
}

/// A file whose existence releases `held_job`'s runs; it does not exist yet.
fn release_file(name: &str) -> String {
    let path = crate::support::spec_dir().join(format!("release-{name}"));
    let _ = std::fs::create_dir_all(crate::support::spec_dir());
    let _ = std::fs::remove_file(&path);
    path.to_string_lossy().into_owned()
}

fn held_config(release: &str) -> String {
    format!("run_config:\n  ops:\n    hold:\n      config:\n        release_file: '{release}'\n")
}

/// Waits until a run tagged `key=value` is STARTED (the op holding), at most `limit`.
fn until_started(key: &str, value: &str, limit: Duration) -> Vec<Value> {
    let started = Instant::now();
    loop {
        let runs = runs_tagged(dagster(), key, value);
        if runs.iter().any(|r| r["status"] == "STARTED") {
            return runs;
        }
        assert!(
            started.elapsed() < limit,
            "no run tagged {key}={value} started within {limit:?}: {runs:#?}"
        );
        std::thread::sleep(Duration::from_secs(1));
    }
}

fn exit_message(ran: &Ran) -> String {
    ran.event("exit")
        .first()
        .and_then(|e| e["message"].as_str().map(str::to_owned))
        .unwrap_or_else(|| panic!("no exit event: {}", ran.stderr))
}

fn cancel_spec(name: &str, of: &str) -> String {
    spec_file(
        name,
        &format!(
            "kind: cancel\ncancel_of: {of}\ntags:\n  name: {name}\n  reason: wrong stations selected\n  requester: Jane Doe\n"
        ),
    )
}

/// A backfill of two held partitions, launched by the runner with
/// `--no-wait`, is cancelled by a cancel request once its runs hold: the
/// dry run shows it and changes nothing, the real run cancels the backfill
/// once and follows it to CANCELED (its runs CANCELED too), and running the
/// request again sends nothing.
fn cancel_stops_a_held_backfill_and_its_runs_once() {
    let server = dagster();
    let release = release_file("backfill");
    let held = spec_file(
        "held-backfill",
        &format!(
            "job_name: held_job\ntags:\n  name: it-cancel-held\n  partitions:\n  - name: daily\n    start_date: '2024-07-02'\n    end_date: '2024-07-03'\n{}",
            held_config(&release)
        ),
    );
    let launched = run(
        &held,
        &server.base_url,
        &["--no-wait"],
        Duration::from_secs(60),
    );
    launched.assert_code(0);
    let backfill = server.backfills_tagged("dagster-scripts/request", &launched.hash());
    assert_eq!(backfill.len(), 1, "{backfill:#?}");
    let id = backfill[0]["id"].as_str().unwrap_or_default().to_owned();
    until_started("dagster/backfill", &id, START_LIMIT);

    let stop = cancel_spec("it-cancel-held-stop", "it-cancel-held");
    let dry = run(
        &stop,
        &server.base_url,
        &["--dry-run"],
        Duration::from_secs(60),
    );
    dry.assert_code(0);
    let plan: Value =
        serde_json::from_str(dry.stdout.trim()).unwrap_or_else(|e| panic!("{e}: {}", dry.stdout));
    assert_eq!(plan["mutation"], "cancel", "{plan}");
    assert_eq!(plan["variables"][0]["id"], id.as_str(), "{plan}");
    assert_eq!(plan["variables"][0]["mutation"], "cancelPartitionBackfill");
    let status = &server.backfills_tagged("dagster-scripts/request", &launched.hash())[0]["status"];
    assert!(
        !["CANCELING", "CANCELED"].contains(&status.as_str().unwrap_or("")),
        "the dry run cancelled: {status}"
    );

    let ran = follow(&stop);
    ran.assert_code(0);
    let cancelled = ran.event("cancelled");
    assert_eq!(cancelled.len(), 1, "{}", ran.stderr);
    assert_eq!(cancelled[0]["id"], id.as_str());
    assert_eq!(cancelled[0]["requester"], "Jane Doe");
    assert_eq!(cancelled[0]["reason"], "wrong stations selected");
    let b = &server.backfills_tagged("dagster-scripts/request", &launched.hash())[0];
    assert_eq!(b["status"], "CANCELED", "{b:#?}\n{}", ran.stderr);
    let runs = b["runs"].as_array().cloned().unwrap_or_default();
    assert!(!runs.is_empty(), "{b:#?}");
    assert!(runs.iter().all(|r| r["status"] == "CANCELED"), "{runs:#?}");

    // Again: everything has ended, nothing is sent.
    let again = run(&stop, &server.base_url, &[], Duration::from_secs(60));
    again.assert_code(0);
    assert!(again.event("cancelled").is_empty(), "{}", again.stderr);
    let finished = again.event("finished");
    let message = finished[0]["message"].as_str().unwrap_or_default();
    assert!(
        message.contains("nothing to cancel")
            && message.contains(&format!("backfill {id} (CANCELED)")),
        "{}",
        again.stderr
    );
    let _ = std::fs::write(&release, "");
}

/// A held run of one partition is terminated by two cancel runners started
/// together: both exit 0 once Dagster reports the run CANCELED, and the run
/// is terminated by one of them (the other finds it cancelling).
fn cancel_terminates_a_held_run_once_with_two_runners_at_once() {
    let server = dagster();
    let release = release_file("run");
    let held = spec_file(
        "held-run",
        &format!(
            "kind: run\njob_name: held_job\ntags:\n  name: it-cancel-run\n  partition: '2024-07-04'\n{}",
            held_config(&release)
        ),
    );
    run(
        &held,
        &server.base_url,
        &["--no-wait"],
        Duration::from_secs(60),
    )
    .assert_code(0);
    until_started("dagster-scripts/issue", "it-cancel-run", START_LIMIT);

    let stop = cancel_spec("it-cancel-run-stop", "it-cancel-run");
    let url = server.base_url.clone();
    let barrier = std::sync::Arc::new(std::sync::Barrier::new(2));
    let threads: Vec<_> = (0..2)
        .map(|_| {
            let (barrier, stop, url) = (barrier.clone(), stop.clone(), url.clone());
            std::thread::spawn(move || {
                let mut c = command(&stop, &url, POLL);
                barrier.wait();
                wait(c.spawn().expect("spawn"), FOLLOW_LIMIT)
            })
        })
        .collect();
    let ran: Vec<Ran> = threads
        .into_iter()
        .map(|t| t.join().expect("runner thread"))
        .collect();
    for r in &ran {
        r.assert_code(0);
    }
    let logs: Vec<&str> = ran.iter().map(|r| r.stderr.as_str()).collect();
    let cancelled: usize = ran.iter().map(|r| r.event("cancelled").len()).sum();
    assert!(cancelled >= 1, "{logs:#?}");
    let runs = runs_tagged(server, "dagster-scripts/issue", "it-cancel-run");
    assert_eq!(runs.len(), 1, "{runs:#?}");
    assert_eq!(runs[0]["status"], "CANCELED", "{runs:#?}\n{logs:#?}");
    let again = run(&stop, &server.base_url, &[], Duration::from_secs(60));
    again.assert_code(0);
    assert!(again.event("cancelled").is_empty(), "{}", again.stderr);
    let _ = std::fs::write(&release, "");
}

/// Nothing tagged with the issue: exit 3 naming `cancel_of`. A request that
/// has ended: exit 0, nothing to cancel, its final status said.
fn cancel_of_what_launched_nothing_or_has_ended() {
    let server = dagster();
    let ran = run(
        &cancel_spec("it-cancel-none", "it-cancel-no-such-issue"),
        &server.base_url,
        &[],
        Duration::from_secs(60),
    );
    ran.assert_code(3);
    let message = exit_message(&ran);
    assert!(
        message.starts_with("cancel_of it-cancel-no-such-issue: no backfill or run"),
        "{message}"
    );

    let done = "kind: run\njob_name: cleanup_job\ntags:\n  name: it-cancel-done\nrun_config:\n  ops:\n    cleanup:\n      config:\n        older_than_days: 3\n";
    follow(&spec_file("cancel-done", done)).assert_code(0);
    let ran = run(
        &cancel_spec("it-cancel-done-stop", "it-cancel-done"),
        &server.base_url,
        &[],
        Duration::from_secs(60),
    );
    ran.assert_code(0);
    assert!(ran.event("cancelled").is_empty(), "{}", ran.stderr);
    let message = ran.event("finished")[0]["message"]
        .as_str()
        .unwrap_or_default()
        .to_owned();
    assert!(
        message.contains("nothing to cancel") && message.contains("(SUCCESS)"),
        "{message}"
    );
    let runs = runs_tagged(server, "dagster-scripts/issue", "it-cancel-done");
    assert_eq!(runs[0]["status"], "SUCCESS");
}

/// `asset_groups: [reports]` selects both weekly assets; a prefix that is
/// a whole key selects that asset; `warehouse` also selects the
/// unpartitioned catalog, which an asset backfill refuses, naming it; an
/// unknown group is refused at its place.
fn asset_backfill_by_group_and_key_prefix() {
    let server = dagster();
    let spec = |issue: &str, selection: &str| {
        spec_file(
            issue,
            &format!(
                "kind: asset_backfill\n{selection}\ntags:\n  name: {issue}\n  partitions:\n  - name: week\n    values: ['2024-01-07', '2024-01-14']\n"
            ),
        )
    };
    let dry = run(
        &spec("it-prefix-dry", "asset_prefixes: [warehouse/weekly_totals]"),
        &server.base_url,
        &["--dry-run"],
        Duration::from_secs(60),
    );
    dry.assert_code(0);
    let plan: Value =
        serde_json::from_str(dry.stdout.trim()).unwrap_or_else(|e| panic!("{e}: {}", dry.stdout));
    assert_eq!(plan["assets"], json!(["warehouse/weekly_totals"]), "{plan}");
    assert_nothing_launched("it-prefix-dry");

    let ran = run(
        &spec("it-prefix-catalog", "asset_prefixes: [warehouse]"),
        &server.base_url,
        &[],
        Duration::from_secs(60),
    );
    ran.assert_code(3);
    let message = exit_message(&ran);
    assert!(
        message.contains(
            "warehouse/station_catalog (selected by asset key prefix warehouse) is not partitioned"
        ),
        "{message}"
    );
    assert_nothing_launched("it-prefix-catalog");

    let ran = run(
        &spec("it-group-unknown", "asset_groups: [no_such_group]"),
        &server.base_url,
        &[],
        Duration::from_secs(60),
    );
    ran.assert_code(3);
    let message = exit_message(&ran);
    assert!(
        message.contains("asset group no_such_group holds no asset") && message.contains("reports"),
        "{message}"
    );
    assert_nothing_launched("it-group-unknown");

    let ran = follow(&spec("it-group-reports", "asset_groups: [reports]"));
    ran.assert_code(0);
    let backfills = server.backfills_tagged("dagster-scripts/request", &ran.hash());
    assert_eq!(backfills.len(), 1);
    let b = &backfills[0];
    assert_eq!(
        (b["isAssetBackfill"].as_bool(), b["status"].as_str()),
        (Some(true), Some("COMPLETED_SUCCESS")),
        "{b:#?}"
    );
    assert_eq!(sorted(&b["partitionNames"]), ["2024-01-07", "2024-01-14"]);
    let answer = server.query(
        "query($id: String!) { partitionBackfillOrError(backfillId: $id) { ... on PartitionBackfill { assetSelection { path } } } }",
        json!({ "id": b["id"] }),
    );
    let mut selected: Vec<String> = answer["data"]["partitionBackfillOrError"]["assetSelection"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|k| {
            k["path"]
                .as_array()
                .into_iter()
                .flatten()
                .filter_map(Value::as_str)
                .collect::<Vec<_>>()
                .join("/")
        })
        .collect();
    selected.sort();
    assert_eq!(
        selected,
        ["warehouse/weekly_report", "warehouse/weekly_totals"],
        "{answer}"
    );
}

/// `warehouse/station_catalog` materialised with its required config: one
/// run of the implicit asset job, the asset materialised; the same request
/// again launches nothing; without the config, refused before launching.
fn materialize_an_unpartitioned_asset_with_config() {
    let server = dagster();
    let missing = spec_file(
        "it-materialize-noconfig",
        "kind: materialize\nasset_groups: [catalog]\ntags:\n  name: it-materialize-noconfig\nrun_config:\n  ops:\n    warehouse__station_catalog:\n      config: {}\n",
    );
    let ran = run(&missing, &server.base_url, &[], Duration::from_secs(60));
    ran.assert_code(3);
    let message = exit_message(&ran);
    assert!(
        message.contains("RunConfigValidationInvalid") && message.contains("source"),
        "{message}"
    );
    assert_nothing_launched("it-materialize-noconfig");

    let spec = spec_file(
        "it-materialize",
        "kind: materialize\nassets: [warehouse/station_catalog]\ntags:\n  name: it-materialize\n  requester: ops\nrun_config:\n  ops:\n    warehouse__station_catalog:\n      config:\n        source: https://example.com/stations.csv\n",
    );
    let ran = follow(&spec);
    ran.assert_code(0);
    let runs = runs_tagged(server, "dagster-scripts/request", &ran.hash());
    assert_eq!(runs.len(), 1, "{runs:#?}");
    assert_eq!(runs[0]["status"], "SUCCESS");
    assert!(
        runs[0]["jobName"]
            .as_str()
            .unwrap_or("")
            .starts_with("__ASSET_JOB"),
        "{runs:#?}"
    );
    let answer = server.query(
        "{ assetNodeOrError(assetKey: { path: [\"warehouse\", \"station_catalog\"] }) { ... on AssetNode { assetMaterializations(limit: 1) { runId } } } }",
        Value::Null,
    );
    assert_eq!(
        answer["data"]["assetNodeOrError"]["assetMaterializations"][0]["runId"], runs[0]["runId"],
        "{answer}"
    );
    let again = run(&spec, &server.base_url, &[], Duration::from_secs(60));
    again.assert_code(0);
    assert!(
        again.event("launched").is_empty() && again.event("found").len() == 1,
        "{}",
        again.stderr
    );
    assert_eq!(
        runs_tagged(server, "dagster-scripts/request", &ran.hash()).len(),
        1
    );
}

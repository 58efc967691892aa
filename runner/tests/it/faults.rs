//! Faults a real Dagster will not produce on demand, against the fake server.

use std::time::Duration;

use serde_json::{Value, json};

use crate::fake::{Fake, Reply, SEED, healthy};
use crate::support::{run, spec_file, trial};

pub fn trials() -> Vec<libtest_mimic::Trial> {
    vec![
        trial(
            "faults::connection_refused_exits_4_after_bounded_retries",
            connection_refused_exits_4_after_bounded_retries,
        ),
        trial("faults::connection_reset_exits_4", connection_reset_exits_4),
        trial(
            "faults::http_503_then_success_is_retried",
            http_503_then_success_is_retried,
        ),
        trial(
            "faults::truncated_body_is_retried",
            truncated_body_is_retried,
        ),
        trial(
            "faults::hanging_server_hits_the_deadline_exit_5",
            hanging_server_hits_the_deadline_exit_5,
        ),
        trial(
            "faults::html_404_is_not_retried_and_exits_4",
            html_404_is_not_retried_and_exits_4,
        ),
        trial(
            "faults::http_500_python_error_on_launch_exits_3",
            http_500_python_error_on_launch_exits_3,
        ),
        trial(
            "faults::lost_launch_answer_is_found_by_tag_not_relaunched",
            lost_launch_answer_is_found_by_tag_not_relaunched,
        ),
        trial(
            "faults::lost_launch_never_recorded_is_relaunched_once",
            lost_launch_never_recorded_is_relaunched_once,
        ),
        trial(
            "faults::hostile_answers_never_panic",
            hostile_answers_never_panic,
        ),
        trial(
            "faults::sigint_stops_a_stuck_request_promptly",
            sigint_stops_a_stuck_request_promptly,
        ),
        trial(
            "faults::a_missing_backfill_daemon_is_reported",
            a_missing_backfill_daemon_is_reported,
        ),
        trial(
            "faults::api_token_is_sent_as_dagster_cloud_header",
            api_token_is_sent_as_dagster_cloud_header,
        ),
        trial(
            "faults::progress_and_failed_partitions_of_a_10000_partition_backfill",
            progress_and_failed_partitions_of_a_10000_partition_backfill,
        ),
        trial(
            "faults::both_twins_launched_the_later_cancels_itself_and_follows_the_earlier",
            both_twins_launched_the_later_cancels_itself_and_follows_the_earlier,
        ),
        trial(
            "faults::a_twin_seen_only_on_the_second_look_still_decides",
            a_twin_seen_only_on_the_second_look_still_decides,
        ),
        trial(
            "faults::rerun_of_never_picks_a_cancelled_twin",
            rerun_of_never_picks_a_cancelled_twin,
        ),
    ]
}

const FAST: &[&str] = &[
    "--retry-for",
    "2s",
    "--poll-interval",
    "100ms",
    "--request-timeout",
    "2s",
];

fn connection_refused_exits_4_after_bounded_retries() {
    // Bind then drop: the port is free and nothing listens on it.
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("port");
    let ran = run(
        &spec_file("refused", SEED),
        &format!("http://127.0.0.1:{port}"),
        FAST,
        Duration::from_secs(30),
    );
    ran.assert_code(4);
    assert!(ran.elapsed < Duration::from_secs(10), "{:?}", ran.elapsed);
    assert!(ran.event("retry").len() >= 2, "{}", ran.stderr);
    assert!(
        ran.event("exit")[0]["message"]
            .as_str()
            .unwrap_or("")
            .contains("unreachable after"),
        "{}",
        ran.stderr
    );
}

fn connection_reset_exits_4() {
    let fake = Fake::start(|_, _, _| Reply::Close);
    let ran = run_seed(&fake, "reset");
    ran.assert_code(4);
    assert!(
        fake.count("FindBackfills") >= 2,
        "the lookup was not retried: {:?}",
        fake.seen()
    );
    assert_eq!(fake.count("LaunchBackfill"), 0);
}

fn http_503_then_success_is_retried() {
    let fake = Fake::start(|op, vars, nth| {
        if nth < 2 {
            return Reply::Raw(
                503,
                "text/html",
                b"<html><body>upstream busy</body></html>".to_vec(),
            );
        }
        healthy(op, vars, false)
    });
    let ran = run(
        &spec_file("503", SEED),
        &fake.url,
        &[FAST, &["--dry-run"]].concat(),
        Duration::from_secs(30),
    );
    ran.assert_code(0);
    assert_eq!(fake.count("FindBackfills"), 3, "{:?}", fake.seen());
    assert!(
        ran.stdout.contains("\"partition_count\":4"),
        "{}",
        ran.stdout
    );
    assert_eq!(fake.count("LaunchBackfill"), 0, "a dry run launched");
}

fn truncated_body_is_retried() {
    let fake = Fake::start(|op, vars, nth| {
        if op == "Repositories" && nth == 0 {
            return Reply::Truncated(4000, br#"{"data":{"repositoriesOrError":{"__typ"#.to_vec());
        }
        healthy(op, vars, false)
    });
    let ran = run(
        &spec_file("truncated", SEED),
        &fake.url,
        &[FAST, &["--dry-run"]].concat(),
        Duration::from_secs(30),
    );
    ran.assert_code(0);
    assert_eq!(fake.count("Repositories"), 2);
}

fn hanging_server_hits_the_deadline_exit_5() {
    let fake = Fake::start(|_, _, _| Reply::Slow(Duration::from_secs(60), Box::new(Reply::Close)));
    let ran = run(
        &spec_file("hang", SEED),
        &fake.url,
        &["--timeout", "2s", "--request-timeout", "60s"],
        Duration::from_secs(30),
    );
    ran.assert_code(5);
    assert!(ran.elapsed < Duration::from_secs(5), "{:?}", ran.elapsed);
}

fn html_404_is_not_retried_and_exits_4() {
    let fake =
        Fake::start(|_, _, _| Reply::Raw(404, "text/html", b"<html>Not Found</html>".to_vec()));
    let ran = run_seed(&fake, "404");
    ran.assert_code(4);
    assert_eq!(fake.seen().len(), 1, "a 404 was retried");
    assert!(ran.stderr.contains("DAGSTER_URL"), "{}", ran.stderr);
}

fn http_500_python_error_on_launch_exits_3() {
    let fake = Fake::start(|op, vars, _| match op {
        "LaunchBackfill" => Reply::Json(
            500,
            json!({ "data": { "launchPartitionBackfill": {
            "__typename": "PythonError", "message": "dagster_shared.error.DagsterError: the code server is down\n" }}}),
        ),
        _ => healthy(op, vars, false),
    });
    let ran = run_seed(&fake, "500");
    ran.assert_code(3);
    assert_eq!(fake.count("LaunchBackfill"), 1);
    assert!(
        ran.stderr.contains("the code server is down"),
        "{}",
        ran.stderr
    );
}

fn lost_launch_answer_is_found_by_tag_not_relaunched() {
    let fake = Fake::start(|op, vars, nth| match (op, nth) {
        // Dagster records the backfill, but the answer never arrives.
        ("LaunchBackfill", _) => Reply::Close,
        ("FindBackfills", 0) => healthy(op, vars, false),
        _ => healthy(op, vars, true),
    });
    let ran = run_seed(&fake, "lost");
    ran.assert_code(0);
    assert_eq!(
        fake.count("LaunchBackfill"),
        1,
        "the launch was sent again: {:?}",
        fake.seen()
    );
    assert_eq!(ran.event("launch_unknown").len(), 1, "{}", ran.stderr);
    assert_eq!(ran.event("launch_found").len(), 1, "{}", ran.stderr);
    // The re-check looked for this request's hash.
    let lookups: Vec<Value> = fake
        .seen()
        .into_iter()
        .filter(|s| s.op == "FindBackfills")
        .map(|s| s.variables)
        .collect();
    assert!(
        lookups
            .iter()
            .all(|v| v["tags"][0]["key"] == "dagster-scripts/request"
                && v["tags"][0]["value"] == ran.hash().as_str())
    );
}

fn lost_launch_never_recorded_is_relaunched_once() {
    let fake = Fake::start(|op, vars, nth| match (op, nth) {
        ("LaunchBackfill", 0) => Reply::Close,
        ("LaunchBackfill", _) => healthy(op, vars, false),
        _ => healthy(op, vars, false),
    });
    let ran = run_seed(&fake, "lost2");
    ran.assert_code(0);
    assert_eq!(fake.count("LaunchBackfill"), 2);
    // One lookup before the launch, two after the lost answer, and after the
    // second launch the two looks for a concurrent twin.
    assert_eq!(fake.count("FindBackfills"), 5, "{:?}", fake.seen());
}

fn hostile_answers_never_panic() {
    let bodies: Vec<(u16, Vec<u8>)> = vec![
        (200, b"".to_vec()),
        (200, b"null".to_vec()),
        (200, b"{}".to_vec()),
        (200, br#"{"data":null}"#.to_vec()),
        (200, br#"{"data":{}}"#.to_vec()),
        (200, br#"{"data":{"repositoriesOrError":null}}"#.to_vec()),
        (200, br#"{"data":{"repositoriesOrError":{"__typename":"RepositoryConnection","nodes":[{"name":7}]}}}"#.to_vec()),
        (200, br#"{"data":{"repositoriesOrError":{"__typename":"RepositoryConnection","nodes":"x"}}}"#.to_vec()),
        (200, br#"{"data":{"repositoriesOrError":{"__typename":"Surprise"}}}"#.to_vec()),
        (200, br#"{"errors":"nope"}"#.to_vec()),
        (200, br#"{"errors":[{"message":null}]}"#.to_vec()),
        (200, "[".repeat(100_000).into_bytes()),
        (200, br#"{"data":{"repositoriesOrError":{"__typename":"RepositoryConnection","nodes":[{"name":"r","location":{"name":"l"},"jobs":[{"name":1e400}]}]}}}"#.to_vec()),
        (200, vec![0xff, 0xfe, 0x00, 0x7b]),
        (418, b"\x1b[31mteapot".to_vec()),
        (500, b"<html>Internal Server Error</html>".to_vec()),
    ];
    for (status, body) in bodies {
        let shown = String::from_utf8_lossy(&body[..body.len().min(60)]).into_owned();
        let fake = Fake::start(move |op, vars, _| match op {
            "FindBackfills" | "FindRuns" => healthy(op, vars, false),
            _ => Reply::Raw(status, "application/json", body.clone()),
        });
        let ran = run_seed(&fake, "hostile");
        assert!(
            matches!(ran.code, Some(3) | Some(4)),
            "HTTP {status} {shown:?}: exit {:?}\n{}",
            ran.code,
            ran.stderr
        );
        assert!(
            !ran.stderr.contains("panicked"),
            "HTTP {status} {shown:?}: {}",
            ran.stderr
        );
        assert_eq!(fake.count("LaunchBackfill"), 0);
    }
}

fn sigint_stops_a_stuck_request_promptly() {
    let fake = Fake::start(|_, _, _| Reply::Slow(Duration::from_secs(60), Box::new(Reply::Close)));
    let child = crate::support::command(&spec_file("sigint", SEED), &fake.url, &[])
        .spawn()
        .expect("spawn");
    // Wait until the runner's first request is hanging in the fake.
    let started = std::time::Instant::now();
    while fake.seen().is_empty() && started.elapsed() < Duration::from_secs(10) {
        std::thread::sleep(Duration::from_millis(20));
    }
    assert_eq!(fake.count("FindBackfills"), 1);
    let sent = std::time::Instant::now();
    let kill = std::process::Command::new("kill")
        .arg("-INT")
        .arg(child.id().to_string())
        .status()
        .expect("kill");
    assert!(kill.success());
    let ran = crate::support::wait(child, Duration::from_secs(10));
    assert_eq!(ran.code, Some(130), "{ran:?}");
    assert!(
        sent.elapsed() < Duration::from_secs(2),
        "took {:?}",
        sent.elapsed()
    );
    assert!(
        ran.event("exit")[0]["message"]
            .as_str()
            .unwrap_or("")
            .contains("SIGINT"),
        "{}",
        ran.stderr
    );
}

fn a_missing_backfill_daemon_is_reported() {
    let fake = Fake::start(|op, vars, _| match op {
        "DaemonHealth" => Reply::Json(
            200,
            json!({ "data": { "instance": { "runQueuingSupported": true, "daemonHealth": {
            "allDaemonStatuses": [
                { "daemonType": "BACKFILL", "healthy": false },
                { "daemonType": "QUEUED_RUN_COORDINATOR", "healthy": true },
            ]}}}}),
        ),
        _ => healthy(op, vars, false),
    });
    let ran = run_seed(&fake, "daemons");
    ran.assert_code(0);
    let warning = ran.event("daemons");
    assert_eq!(warning.len(), 1, "{}", ran.stderr);
    assert_eq!(warning[0]["daemons"], json!(["BACKFILL"]));
}

fn api_token_is_sent_as_dagster_cloud_header() {
    let fake = Fake::start(|op, vars, _| healthy(op, vars, false));
    let mut c = crate::support::command(
        &spec_file("token", SEED),
        &format!("{}/prod", fake.url),
        &[FAST, &["--dry-run"]].concat(),
    );
    c.env("DAGSTER_API_TOKEN", "user:secret-token");
    crate::support::wait(c.spawn().expect("spawn"), Duration::from_secs(30)).assert_code(0);
    let seen = fake.seen();
    assert!(!seen.is_empty());
    for s in seen {
        assert!(
            s.head
                .contains("dagster-cloud-api-token: user:secret-token"),
            "{}",
            s.head
        );
        assert!(s.head.starts_with("post /prod/graphql "), "{}", s.head);
    }
}

fn progress_and_failed_partitions_of_a_10000_partition_backfill() {
    let spec = "job_name: wide_job\ntags:\n  name: wide\n  partitions:\n  - name: daily\n    start_date: '2024-01-01'\n    end_date: '2024-01-10'\n  - name: sensors\n    all: true\n";
    let fake = Fake::start(wide_dagster);
    let ran = run(
        &spec_file("wide", spec),
        &fake.url,
        FAST,
        Duration::from_secs(60),
    );
    ran.assert_code(1);
    let launch = fake
        .seen()
        .into_iter()
        .find(|s| s.op == "LaunchBackfill")
        .expect("launched");
    let keys = launch.variables["backfillParams"]["partitionNames"]
        .as_array()
        .cloned()
        .unwrap_or_default();
    assert_eq!(keys.len(), 10_000);
    assert_eq!(keys[0], "2024-01-01|S0000");
    let progress: Vec<u64> = ran
        .event("progress")
        .iter()
        .filter_map(|e| e["done"].as_u64())
        .collect();
    assert_eq!(progress, [0, 5000, 9997], "{}", ran.stderr);
    let finished = &ran.event("finished")[0];
    assert_eq!(
        finished["failed_partitions"],
        json!(["2024-01-02|S0001", "2024-01-05|S0500", "2024-01-10|S0999"])
    );
    assert!(
        finished["message"]
            .as_str()
            .unwrap_or("")
            .contains("failed partitions (3)"),
        "{finished}"
    );
}

/// A fake Dagster with `wide_job`: 10 days x 1000 sensors, three failures.
pub fn wide_dagster(op: &str, vars: &Value, nth: usize) -> Reply {
    let data = |v: Value| Reply::Json(200, json!({ "data": v }));
    let key = |i: usize| format!("2024-01-{:02}|S{:04}", i / 1000 + 1, i % 1000);
    let failed = ["2024-01-02|S0001", "2024-01-05|S0500", "2024-01-10|S0999"];
    match op {
        "Repositories" => data(
            json!({ "repositoriesOrError": { "__typename": "RepositoryConnection", "nodes": [
            { "name": "__repository__", "location": { "name": "loc" }, "jobs": [{ "name": "wide_job" }] }]}}),
        ),
        "JobPartitions" => {
            let mut p = json!({ "__typename": "Pipeline", "partitionKeysOrError": { "partitionKeys": (0..10_000).map(key).collect::<Vec<_>>() } });
            if vars["withTags"] == true {
                p["partition"] = json!({ "tagsOrError": { "__typename": "PartitionTags", "results": [
                    { "key": "dagster/partition/daily", "value": "2024-01-01" }, { "key": "dagster/partition/sensors", "value": "S0000" }]}});
            }
            data(json!({ "pipelineOrError": p }))
        }
        "BackfillProgress" => {
            let (status, counts) = match nth {
                0 => (
                    "REQUESTED",
                    json!([{ "runStatus": "NOT_STARTED", "count": 10_000 }]),
                ),
                1 | 2 => (
                    "REQUESTED",
                    json!([{ "runStatus": "SUCCESS", "count": 5000 }, { "runStatus": "STARTED", "count": 10 }, { "runStatus": "QUEUED", "count": 4990 }]),
                ),
                _ => (
                    "COMPLETED_FAILED",
                    json!([{ "runStatus": "SUCCESS", "count": 9997 }, { "runStatus": "FAILURE", "count": 3 }]),
                ),
            };
            data(
                json!({ "partitionBackfillOrError": { "__typename": "PartitionBackfill", "status": status,
                "numPartitions": 10_000, "partitionStatusCounts": counts, "assetBackfillData": null, "error": null }}),
            )
        }
        "BackfillDetail" => {
            let results: Vec<Value> = (0..10_000)
                .map(key)
                .map(|k| json!({ "partitionName": k, "runStatus": if failed.contains(&k.as_str()) { "FAILURE" } else { "SUCCESS" } }))
                .collect();
            data(
                json!({ "partitionBackfillOrError": { "__typename": "PartitionBackfill", "status": "COMPLETED_FAILED",
                "isAssetBackfill": false, "jobName": "wide_job", "partitionSetName": "wide_job_partition_set",
                "partitionSet": null, "assetSelection": null, "partitionStatuses": { "results": results } }}),
            )
        }
        _ => healthy(op, vars, false),
    }
}

/// Runs the runner on the seed spec (saved as `name`) against `fake`, with
/// fast retries and 30 s to finish.
fn run_seed(fake: &Fake, name: &str) -> crate::support::Ran {
    run(
        &spec_file(name, SEED),
        &fake.url,
        FAST,
        Duration::from_secs(30),
    )
}

/// A backfill carrying `tags` (a request hash and issue), as the runs feed lists it.
fn backfill_entry(id: &str, created: f64, status: &str, tags: &Value) -> Value {
    json!({ "__typename": "PartitionBackfill", "id": id, "creationTime": created,
            "tags": tags, "status": status })
}

fn feed(results: Vec<Value>) -> Reply {
    Reply::Json(
        200,
        json!({ "data": { "runsFeedOrError": { "__typename": "RunsFeedConnection", "results": results } } }),
    )
}

fn cancel_ok(vars: &Value) -> Reply {
    Reply::Json(
        200,
        json!({ "data": { "cancelPartitionBackfill": { "__typename": "CancelBackfillSuccess", "backfillId": vars["backfillId"] } } }),
    )
}

/// The ids the runner cancelled, and the ids it followed.
fn cancelled_and_followed(fake: &Fake) -> (Vec<String>, Vec<String>) {
    let ids = |op: &str| {
        let mut v: Vec<String> = fake
            .seen()
            .into_iter()
            .filter(|s| s.op == op)
            .filter_map(|s| s.variables["backfillId"].as_str().map(str::to_owned))
            .collect();
        v.dedup();
        v
    };
    (ids("CancelBackfill"), ids("BackfillProgress"))
}

/// The interleaving "A launches, B launches, A looks, B looks", from B's
/// side: its launch (`bbbbbbbb`) and an earlier one (`aaaaaaaa`) carry the
/// hash. B cancels its own at once and follows A's; so does a tie on the
/// creation time, broken by id.
fn both_twins_launched_the_later_cancels_itself_and_follows_the_earlier() {
    for (twin_created, mine_created) in [(100.0, 100.5), (100.0, 100.0)] {
        let fake = Fake::start(move |op, vars, nth| match (op, nth) {
            ("FindBackfills", 0) => feed(vec![]),
            ("FindBackfills", _) => feed(vec![
                backfill_entry("bbbbbbbb", mine_created, "REQUESTED", &vars["tags"]),
                backfill_entry("aaaaaaaa", twin_created, "REQUESTED", &vars["tags"]),
            ]),
            ("LaunchBackfill", _) => Reply::Json(
                200,
                json!({ "data": { "launchPartitionBackfill": { "__typename": "LaunchBackfillSuccess", "backfillId": "bbbbbbbb" } } }),
            ),
            ("CancelBackfill", _) => cancel_ok(vars),
            _ => healthy(op, vars, true),
        });
        let ran = run_seed(&fake, "twin-loser");
        ran.assert_code(0);
        let (cancelled, followed) = cancelled_and_followed(&fake);
        assert_eq!(cancelled, ["bbbbbbbb"], "{}", ran.stderr);
        assert_eq!(followed, ["aaaaaaaa"], "{}", ran.stderr);
        assert_eq!(fake.count("LaunchBackfill"), 1);
        // It cancelled on the first look, without waiting for the second.
        assert_eq!(fake.count("FindBackfills"), 2, "{:?}", fake.seen());
        assert_eq!(ran.event("twin_cancelled").len(), 1, "{}", ran.stderr);
        assert_eq!(ran.event("following_twin").len(), 1, "{}", ran.stderr);
    }
}

/// "A looks before B's launch is visible": A sees only its own launch at
/// first. If B's launch shows up on the second look, the rule still
/// decides: when A is earlier, A cancels B and keeps its own; when B is
/// earlier (its timestamp was taken before it became visible), A cancels
/// its own and follows B.
fn a_twin_seen_only_on_the_second_look_still_decides() {
    for (twin_created, a_wins) in [(200.0, true), (50.0, false)] {
        let fake = Fake::start(move |op, vars, nth| match (op, nth) {
            ("FindBackfills", 0) => feed(vec![]),
            ("FindBackfills", 1) => feed(vec![backfill_entry(
                "mmmmmmmm",
                100.0,
                "REQUESTED",
                &vars["tags"],
            )]),
            ("FindBackfills", _) => feed(vec![
                backfill_entry("mmmmmmmm", 100.0, "REQUESTED", &vars["tags"]),
                backfill_entry("tttttttt", twin_created, "REQUESTED", &vars["tags"]),
            ]),
            ("LaunchBackfill", _) => Reply::Json(
                200,
                json!({ "data": { "launchPartitionBackfill": { "__typename": "LaunchBackfillSuccess", "backfillId": "mmmmmmmm" } } }),
            ),
            ("CancelBackfill", _) => cancel_ok(vars),
            _ => healthy(op, vars, true),
        });
        let ran = run_seed(&fake, "twin-late");
        ran.assert_code(0);
        let (cancelled, followed) = cancelled_and_followed(&fake);
        let (loser, winner) = if a_wins {
            ("tttttttt", "mmmmmmmm")
        } else {
            ("mmmmmmmm", "tttttttt")
        };
        assert_eq!(cancelled, [loser], "{}", ran.stderr);
        assert_eq!(followed, [winner], "{}", ran.stderr);
        assert_eq!(fake.count("FindBackfills"), 3, "{:?}", fake.seen());
    }
}

/// `rerun_of` re-executes the newest launch of the issue, but never a
/// cancelled twin (a later launch with the same request hash); a copy
/// Dagster made by re-executing (it names its parent) still counts.
fn rerun_of_never_picks_a_cancelled_twin() {
    let request = json!([{ "key": "dagster-scripts/request", "value": "h1" }, { "key": "dagster-scripts/issue", "value": "34543" }]);
    let mut copy_tags = request.clone();
    copy_tags
        .as_array_mut()
        .unwrap()
        .push(json!({ "key": "dagster/parent_backfill_id", "value": "aaaaaaaa" }));
    for (with_copy, parent) in [(false, "aaaaaaaa"), (true, "cccccccc")] {
        let (request, copy_tags) = (request.clone(), copy_tags.clone());
        let fake = Fake::start(move |op, vars, _| {
            let by_issue = vars["tags"][0]["key"] == "dagster-scripts/issue";
            match op {
                "FindBackfills" if by_issue => {
                    let mut results = vec![
                        backfill_entry("aaaaaaaa", 100.0, "COMPLETED_FAILED", &request),
                        backfill_entry("bbbbbbbb", 100.2, "CANCELED", &request),
                    ];
                    if with_copy {
                        results.push(backfill_entry(
                            "cccccccc",
                            300.0,
                            "COMPLETED_FAILED",
                            &copy_tags,
                        ));
                    }
                    feed(results)
                }
                "FindBackfills" => feed(vec![]),
                _ => healthy(op, vars, false),
            }
        });
        let ran = run(
            &spec_file(
                "rerun-twin",
                "kind: reexecute\nrerun_of: '34543'\ntags:\n  name: '34600'\n",
            ),
            &fake.url,
            &["--dry-run"],
            Duration::from_secs(30),
        );
        ran.assert_code(0);
        let details: Vec<String> = fake
            .seen()
            .into_iter()
            .filter(|s| s.op == "BackfillDetail")
            .filter_map(|s| s.variables["backfillId"].as_str().map(str::to_owned))
            .collect();
        assert_eq!(details, [parent], "{}", ran.stderr);
    }
}

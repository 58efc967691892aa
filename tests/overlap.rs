//! `check` refuses two active specs over the same partitions of one job or
//! assets (E026), naming both at their `path:line:col` and the shared keys;
//! `render` and `plan` check first, so they refuse too.

use std::fs;

use crate::support::{outcome, repo_with, run};

fn backfill(issue: &str, job: &str, start: &str, end: &str, extra: &str) -> String {
    format!(
        "job_name: {job}
{extra}tags:
  name: \"{issue}\"
  partitions:
  - name: daily
    start_date: '{start}'
    end_date: '{end}'
  - name: stations
    values: [NL01497, NL01912]
"
    )
}

#[test]
fn overlapping_backfills_are_refused_with_both_places_and_the_shared_keys() {
    let a = backfill("91001", "ingestion_job", "2024-03-01", "2024-03-10", "");
    let b = backfill(
        "91002",
        "ingestion_job",
        "2024-03-09",
        "2024-03-31",
        "repository_name: luchtmeetnet_ingestion\n",
    );
    let run_spec = "kind: run
job_name: ingestion_job
tags:
  name: \"91003\"
  partition:
    daily: '2024-03-20'
    stations: NL01912
";
    let dir = repo_with(&[
        ("a.yaml", a.as_bytes()),
        ("b.yaml", b.as_bytes()),
        ("run.yaml", run_spec.as_bytes()),
    ]);
    let d = dir.path();
    let (code, _, err) = outcome(&run(d, &["check"]));
    assert_eq!(code, 1, "a spec problem, as other check errors: {err}");
    insta::assert_snapshot!(err);

    // pre-commit passes only the staged file: it is held against the rest of specs/.
    let (code, _, err) = outcome(&run(d, &["check", "specs/run.yaml"]));
    assert_eq!(code, 1, "{err}");
    assert!(
        err.contains("--> specs/run.yaml:5:3")
            && err.contains("overlaps the backfill at specs/b.yaml:5:3: 1 partition in both: `2024-03-20|NL01912`")
            && !err.contains("specs/a.yaml"),
        "{err}"
    );

    // render and plan check first: nothing written.
    let (code, _, err) = outcome(&run(d, &["render"]));
    assert_eq!(code, 1, "{err}");
    assert!(err.contains("error[E026]"), "{err}");
    assert!(!d.join("out/kustomization.yaml").exists());
    let (code, _, err) = outcome(&run(d, &["plan"]));
    assert_ne!(code, 0, "{err}");
    assert!(err.contains("error[E026]"), "{err}");

    // `on_overlap: allow` on either spec lets that pair through.
    fs::write(
        d.join("specs/b.yaml"),
        b.replace("tags:", "on_overlap: allow\ntags:"),
    )
    .unwrap();
    let (code, _, err) = outcome(&run(d, &["check"]));
    assert_eq!(code, 0, "{err}");
}

#[test]
fn disjoint_days_other_jobs_retired_specs_and_allowed_pairs_pass() {
    let a = backfill("91011", "ingestion_job", "2024-03-01", "2024-03-10", "");
    let cases: [(&str, String); 4] = [
        (
            "b.yaml",
            backfill("91012", "ingestion_job", "2024-03-11", "2024-03-31", ""),
        ),
        (
            "c.yaml",
            backfill("91013", "second_job", "2024-03-01", "2024-03-10", ""),
        ),
        (
            "done/d.yaml",
            backfill("91014", "ingestion_job", "2024-03-01", "2024-03-10", ""),
        ),
        (
            "e.yaml",
            backfill(
                "91015",
                "ingestion_job",
                "2024-03-05",
                "2024-03-05",
                "on_overlap: allow\n",
            ),
        ),
    ];
    for (name, other) in &cases {
        let dir = repo_with(&[("a.yaml", a.as_bytes()), (name, other.as_bytes())]);
        let (code, _, err) = outcome(&run(dir.path(), &["check"]));
        assert_eq!(code, 0, "{name}: {err}");
    }
    // Another repository named on both sides is another job; one side
    // naming none is taken as the same.
    let elsewhere = |issue: &str, repo: &str| {
        backfill(
            issue,
            "ingestion_job",
            "2024-03-01",
            "2024-03-10",
            &format!("repository_name: {repo}\n"),
        )
    };
    let dir = repo_with(&[
        ("a.yaml", elsewhere("91016", "one").as_bytes()),
        ("b.yaml", elsewhere("91017", "two").as_bytes()),
    ]);
    assert_eq!(outcome(&run(dir.path(), &["check"])).0, 0);
}

#[test]
fn all_keys_and_asset_backfills_overlap_as_dagster_would_see_them() {
    let all = "job_name: ingestion_job
tags:
  name: \"91021\"
  partitions:
  - name: daily
    all: true
  - name: stations
    all: true
";
    let huge: String = (0..200)
        .map(|i| format!("S{i:04}"))
        .collect::<Vec<_>>()
        .join(", ");
    let wide = format!(
        "job_name: ingestion_job
tags:
  name: \"91022\"
  partitions:
  - name: daily
    start_date: '2024-01-01'
    end_date: '2024-12-31'
  - name: stations
    values: [{huge}]
"
    );
    let assets = |issue: &str, keys: &str, start: &str| {
        format!(
            "kind: asset_backfill
assets: [{keys}]
tags:
  name: \"{issue}\"
  partitions:
  - name: weekly
    start_date: '{start}'
    end_date: '2024-02-04'
"
        )
    };
    let dir = repo_with(&[
        ("all.yaml", all.as_bytes()),
        ("wide.yaml", wide.as_bytes()),
        (
            "assets-a.yaml",
            assets(
                "91023",
                "warehouse/weekly_report, warehouse/weekly_totals",
                "2024-01-07",
            )
            .as_bytes(),
        ),
        (
            "assets-b.yaml",
            assets("91024", "warehouse/weekly_totals", "2024-02-04").as_bytes(),
        ),
    ]);
    let (code, _, err) = outcome(&run(dir.path(), &["check"]));
    assert_eq!(code, 1, "{err}");
    // 366 days × 200 stations, counted, not listed.
    assert!(
        err.contains("overlaps the backfill at specs/all.yaml:4:3: 73200 partitions in both: `2024-01-01|S0000`, `2024-01-01|S0001`, `2024-01-01|S0002` and 73197 more"),
        "{err}"
    );
    assert!(
        err.contains("this asset backfill overlaps the asset backfill at specs/assets-b.yaml:5:3 on asset `warehouse/weekly_totals`: 1 partition in both: `2024-02-04`"),
        "{err}"
    );
}

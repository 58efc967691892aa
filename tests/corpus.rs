//! The corpus of bad specs (one per mistake a user can make) and of good ones.
//!
//! Each bad spec's diagnostics are snapshotted as the user sees them, so a
//! change in wording or location shows up in review.

use std::path::Path;

use dagster_scripts::diagnostic::Code;
use dagster_scripts::diagnostic::report::human;
use dagster_scripts::read::{Limits, load};
use dagster_scripts::spec::{Dimension, Spec};
use dagster_scripts::validate::SchemaValidator;

use crate::support::SEED;

#[test]
fn every_bad_spec_gets_located_helpful_errors() {
    let validator = SchemaValidator::new();
    insta::glob!("fixtures/bad/*.yaml", |path| {
        let bytes = std::fs::read(path).unwrap();
        let label = Path::new("specs").join(path.file_name().unwrap());
        let diagnostics = match load(&label, &bytes, &Limits::default(), Some(&validator)) {
            Ok(_) => panic!("{} was accepted", path.display()),
            Err(d) => d,
        };
        for d in &diagnostics {
            let whole_file = matches!(d.code, Code::Empty | Code::TooLarge | Code::Io);
            assert!(
                whole_file || d.span.is_some(),
                "{}: unlocated: {d}",
                path.display()
            );
            assert!(
                whole_file || d.line_text.is_some(),
                "{}: no source line: {d}",
                path.display()
            );
            assert_ne!(
                d.code,
                Code::Internal,
                "{}: schema and model disagree: {d}",
                path.display()
            );
        }
        insta::assert_snapshot!(diagnostics.iter().map(human).collect::<String>());
    });
}

#[test]
fn every_good_spec_passes() {
    let validator = SchemaValidator::new();
    insta::glob!("fixtures/good/*.yaml", |path| {
        let bytes = std::fs::read(path).unwrap();
        if let Err(d) = load(path, &bytes, &Limits::default(), Some(&validator)) {
            panic!(
                "{}: {}",
                path.display(),
                d.iter().map(human).collect::<String>()
            );
        }
    });
}

#[test]
fn the_seed_example_is_a_backfill_of_its_job_over_its_partitions() {
    let loaded = load(
        Path::new("seed.yaml"),
        SEED.as_bytes(),
        &Limits::default(),
        Some(&SchemaValidator::new()),
    )
    .unwrap();
    let Spec::Backfill(b) = &loaded.spec else {
        panic!("not a backfill: {:?}", loaded.spec)
    };
    assert_eq!(b.job_name.as_str(), "ingestion_job");
    assert_eq!(
        b.repository_name.as_ref().unwrap().as_str(),
        "luchtmeetnet_ingestion"
    );
    assert_eq!(loaded.spec.issue().as_str(), "34543");
    let [Dimension::Dates(daily), Dimension::Values(stations)] = b.tags.partitions.as_slice()
    else {
        panic!("unexpected partitions: {:?}", b.tags.partitions)
    };
    assert_eq!(daily.name.as_str(), "daily");
    assert_eq!(
        daily.days().map(|d| d.to_string()).collect::<Vec<_>>(),
        ["2024-01-31", "2024-02-01"]
    );
    assert_eq!(stations.name.as_str(), "stations");
    assert_eq!(
        stations
            .values
            .iter()
            .map(|v| v.as_str())
            .collect::<Vec<_>>(),
        ["NL01497", "NL01912"]
    );
}

#[test]
fn the_bundled_examples_pass() {
    let validator = SchemaValidator::new();
    let (files, problems) =
        dagster_scripts::discover::discover(&crate::support::repo().join("specs"));
    assert!(problems.is_empty(), "{problems:?}");
    assert!(files.len() >= 4, "one example per kind: {files:?}");
    let mut kinds = std::collections::BTreeSet::new();
    for (path, outcome) in
        dagster_scripts::cmd::check::check_files(&files, &validator, &Limits::default())
    {
        let loaded = outcome.unwrap_or_else(|d| {
            panic!(
                "{}: {}",
                path.display(),
                d.iter().map(human).collect::<String>()
            )
        });
        kinds.insert(loaded.spec.kind());
    }
    assert_eq!(
        kinds.len(),
        dagster_scripts::spec::Kind::ALL.len(),
        "an example of every kind"
    );
}

#[test]
fn request_hash_ignores_layout_and_audit_text_but_not_the_request() {
    let validator = SchemaValidator::new();
    let hash = |text: &str| {
        load(
            Path::new("x.yaml"),
            text.as_bytes(),
            &Limits::default(),
            Some(&validator),
        )
        .unwrap()
        .spec
        .request_hash()
    };
    let seed = hash(SEED);
    assert_eq!(seed.len(), 64);
    let relaid = SEED
        .replace("'2024-01-31'", "2024-01-31")
        .replace("\"34543\"", "34543");
    assert_eq!(hash(&relaid), seed, "quoting does not matter");
    assert_eq!(
        hash(&format!("kind: backfill\n{SEED}")),
        seed,
        "an explicit default kind does not matter"
    );
    let reasoned = SEED.replace(
        "  name: \"34543\"\n",
        "  name: \"34543\"\n  reason: typo fixed\n  requester: me\n",
    );
    assert_eq!(hash(&reasoned), seed, "audit text does not relaunch");
    assert_eq!(
        hash(&format!("{SEED}overrides:\n  image_tag: \"9\"\n")),
        seed,
        "overrides do not relaunch"
    );
    assert_ne!(
        hash(&SEED.replace("NL01912", "NL01913")),
        seed,
        "another partition is another request"
    );
    assert_ne!(
        hash(&SEED.replace("34543", "34544")),
        seed,
        "another issue is another request"
    );
}

/// Loads `text` with the schema (what `check` does) and without it (what the
/// runner does): both must refuse it; the diagnostics `check` gives are returned.
fn refused_both_ways(text: &str) -> Vec<dagster_scripts::diagnostic::Diagnostic> {
    let path = Path::new("specs/x.yaml");
    let with_schema = load(
        path,
        text.as_bytes(),
        &Limits::default(),
        Some(&SchemaValidator::new()),
    )
    .err()
    .unwrap_or_else(|| panic!("check accepts:\n{text}"));
    let model_only = load(path, text.as_bytes(), &Limits::default(), None)
        .err()
        .unwrap_or_else(|| panic!("the runner accepts:\n{text}"));
    assert!(!model_only.is_empty());
    for d in &with_schema {
        assert!(d.span.is_some() && d.hint.is_some(), "{d}");
        assert_ne!(d.code, Code::Internal, "{d}");
    }
    with_schema
}

fn accepted(text: &str) -> Spec {
    load(
        Path::new("specs/x.yaml"),
        text.as_bytes(),
        &Limits::default(),
        Some(&SchemaValidator::new()),
    )
    .unwrap_or_else(|d| panic!("{text}\n{}", d.iter().map(human).collect::<String>()))
    .spec
}

#[test]
fn unquoted_issue_numbers_not_read_as_written_are_refused_with_the_quoting_hint() {
    let backfill = |issue: &str| SEED.replace("name: \"34543\"", &format!("name: {issue}"));
    let reexecute =
        |issue: &str| format!("kind: reexecute\nrerun_of: {issue}\ntags:\n  name: \"34600\"\n");
    for written in [
        "034543",
        "0x10",
        "1e5",
        "0o17",
        "99999999999999999999",
        "18446744073709551616",
        "1_000",
        "+5",
        "12.0",
        "0b101",
        "1:30",
        "-5",
    ] {
        for text in [backfill(written), reexecute(written)] {
            let d = refused_both_ways(&text);
            assert_eq!(d.len(), 1, "{written}: {d:?}");
            let hint = d[0].hint.as_deref().unwrap_or_default();
            assert!(
                hint.contains(&format!("quote it to keep it as text: '{written}'")),
                "{written}: {hint}"
            );
            let span = d[0].span.unwrap();
            assert_eq!(span.end.col - span.start.col, written.len(), "{written}");
        }
    }
    for plain in ["34543", "0", "7", "18446744073709551615"] {
        assert_eq!(accepted(&backfill(plain)).issue().as_str(), plain);
        let Spec::Reexecute(r) = accepted(&reexecute(plain)) else {
            panic!("not a re-execution")
        };
        assert_eq!(r.rerun_of.as_str(), plain);
    }
    for quoted in ["'034543'", "\"0x10\"", "'1e5'"] {
        accepted(&backfill(quoted));
        accepted(&reexecute(quoted));
    }
}

#[test]
fn spaces_quotes_and_placeholders_around_names_are_refused_where_dagster_matches_them() {
    let run = |partition: &str, issue: &str, job: &str| {
        format!("kind: run\njob_name: {job}\ntags:\n  name: {issue}\n  partition: {partition}\n")
    };
    let bad = [
        "' NL01497'",
        "'NL01497 '",
        "\"NL01497\\u00a0\"",
        "\"\\u3000NL01497\"",
        "“NL01497”",
        "‘NL01497’",
        "«NL01497»",
        "„NL01497“",
        "'\"NL01497\"'",
        "'`NL01497`'",
        "<station>",
    ];
    for value in bad {
        let cases = [
            run(value, "'1'", "cleanup_job"),
            run("a", value, "cleanup_job"),
            run("a", "'1'", value),
            run(&format!("{{stations: {value}}}"), "'1'", "cleanup_job"),
            format!("kind: reexecute\nrerun_of: {value}\ntags:\n  name: '1'\n"),
            SEED.replace("NL01912", value),
        ];
        for text in cases {
            let d = refused_both_ways(&text);
            assert_eq!(d.len(), 1, "{text}\n{d:?}");
            let m = &d[0].message;
            assert!(
                ["space", "quotation mark", "placeholder"]
                    .iter()
                    .any(|w| m.contains(w)),
                "{text}\n{}",
                human(&d[0])
            );
        }
    }
    // Inside a value, or in free text, they are fine.
    accepted(&run("l’Aquila", "'PROJ 12'", "cleanup_job"));
    accepted(&SEED.replace(
        "  name: \"34543\"\n",
        "  name: \"34543\"\n  reason: \" “Bad” readings, see <link> \"\n",
    ));
    // Free text that is only spaces, or a placeholder, is not.
    for reason in ["'   '", "<why it is needed>"] {
        let text = SEED.replace(
            "  name: \"34543\"\n",
            &format!("  name: \"34543\"\n  reason: {reason}\n"),
        );
        refused_both_ways(&text);
    }
}

#[test]
fn new_writes_placeholders_that_fail_check_one_hint_each_until_filled_in() {
    use crate::support::{outcome, run};
    let filled = [
        ("<job>", "ingestion_job"),
        ("<why it is needed>", "Station sent bad readings"),
        ("<who asked>", "jane.doe@example.com"),
        ("<dimension>", "daily"),
        ("<YYYY-MM-DD>", "2024-01-31"),
        ("<asset key>", "daily_summary"),
        ("<earlier issue>", "\"34543\""),
    ];
    for kind in dagster_scripts::spec::Kind::ALL {
        let dir = crate::support::temp_dir();
        let d = dir.path();
        let (code, out, err) = outcome(&run(d, &["new", "91001", "--kind", kind.as_str()]));
        assert_eq!(code, 0, "{err}");
        let path = d.join(out.trim());
        let text = std::fs::read_to_string(&path).unwrap();
        let placeholders: Vec<(usize, usize)> = text
            .lines()
            .enumerate()
            .filter(|(_, l)| !l.trim_start().starts_with('#'))
            .filter_map(|(i, l)| l.find('<').map(|c| (i + 1, l[..c].chars().count() + 1)))
            .collect();
        assert!(placeholders.len() >= 3, "{kind}: {text}");
        let (code, out, _) = outcome(&run(d, &["check", "--format", "json"]));
        assert_eq!(code, 1, "{kind}: a scaffold fails check: {text}");
        let report: serde_json::Value = serde_json::from_str(&out).unwrap();
        let found: Vec<(usize, usize)> = report["files"][0]["diagnostics"]
            .as_array()
            .unwrap()
            .iter()
            .map(|d| {
                assert!(
                    d["message"].as_str().unwrap().contains("placeholder"),
                    "{d}"
                );
                assert!(d["hint"].as_str().unwrap().contains("fill it in"), "{d}");
                (
                    d["line"].as_u64().unwrap() as usize,
                    d["column"].as_u64().unwrap() as usize,
                )
            })
            .collect();
        assert_eq!(
            found, placeholders,
            "{kind}: one located hint per placeholder"
        );
        let mut done = text.clone();
        for (placeholder, value) in filled {
            done = done.replace(placeholder, value);
        }
        assert!(
            done.lines()
                .all(|l| l.trim_start().starts_with('#') || !l.contains('<')),
            "{kind}: every placeholder is filled: {done}"
        );
        std::fs::write(&path, &done).unwrap();
        let (code, _, err) = outcome(&run(d, &["check"]));
        assert_eq!(code, 0, "{kind}: filled in, it passes: {err}\n{done}");
    }
}

#[test]
fn asset_backfill_is_spelt_one_way_and_the_other_spelling_is_a_helpful_error() {
    use crate::support::{outcome, run};
    let dir = crate::support::temp_dir();
    let (code, out, err) = outcome(&run(dir.path(), &["new", "1", "--kind", "asset_backfill"]));
    assert_eq!(
        (code, out.trim()),
        (0, "specs/asset_backfill-1.yaml"),
        "{err}"
    );
    let (code, _, err) = outcome(&run(dir.path(), &["new", "2", "--kind", "asset-backfill"]));
    assert_eq!(code, 2, "{err}");
    assert!(
        err.contains("similar value exists: 'asset_backfill'"),
        "{err}"
    );
    let (_, help, _) = outcome(&run(dir.path(), &["new", "--help"]));
    assert!(
        help.contains("asset_backfill") && !help.contains("asset-backfill"),
        "{help}"
    );

    let text = "kind: asset-backfill\nassets: [a]\ntags:\n  name: '1'\n  partitions:\n  - name: d\n    all: true\n";
    let d = refused_both_ways(text);
    assert_eq!(d.len(), 1, "{d:?}");
    assert_eq!(
        d[0].hint.as_deref().unwrap_or_default().split('?').next(),
        Some("did you mean `asset_backfill`")
    );
    assert!(matches!(
        accepted(&text.replace("asset-backfill", "asset_backfill")),
        Spec::AssetBackfill(_)
    ));
}

#[test]
fn a_misspelt_required_key_is_one_error_with_its_suggestion() {
    let cases = [
        (SEED.replace("job_name:", "job_nme:"), "job_name"),
        (SEED.replace("  partitions:", "  partitons:"), "partitions"),
        (
            SEED.replace("  name: \"34543\"", "  nam: \"34543\""),
            "name",
        ),
        (SEED.replace("start_date:", "start_dat:"), "start_date"),
    ];
    for (text, meant) in cases {
        let d = refused_both_ways(&text);
        assert_eq!(d.len(), 1, "{text}\n{d:?}");
        assert_eq!(d[0].code, Code::UnknownKey);
        assert_eq!(
            d[0].hint.as_deref(),
            Some(format!("did you mean `{meant}`?").as_str())
        );
    }
    // A key that suggests nothing missing leaves the missing key reported.
    let d = refused_both_ways(&SEED.replace("job_name:", "zzz_unrelated:"));
    assert_eq!(
        d.iter().map(|d| d.code).collect::<Vec<_>>(),
        [Code::UnknownKey, Code::MissingKey]
    );
}

/// A spec with `overrides` (YAML lines indented under `overrides:`) appended to the seed.
fn seed_with_overrides(overrides: &str) -> String {
    format!("{SEED}overrides:\n{overrides}")
}

#[test]
fn resource_overrides_kubernetes_refuses_are_errors_at_check_merged_with_the_settings() {
    use dagster_scripts::settings::Settings;
    let settings = Limits::from_settings(&Settings::default());
    let validator = SchemaValidator::new();
    let check = |text: &str, limits: &Limits| {
        load(
            Path::new("specs/x.yaml"),
            text.as_bytes(),
            limits,
            Some(&validator),
        )
    };
    let line_of =
        |text: &str, needle: &str| text.lines().position(|l| l.contains(needle)).unwrap() + 1;
    // The request alone is fine; merged with the default limit (64Mi) it is not.
    for (overrides, at, named) in [
        (
            "  resources:\n    requests:\n      memory: 1Gi\n",
            "memory: 1Gi",
            "64Mi",
        ),
        (
            "  resources:\n    limits:\n      memory: 16Mi\n",
            "memory: 16Mi",
            "32Mi",
        ),
        (
            "  resources:\n    requests:\n      cpu: '1'\n",
            "cpu: '1'",
            "250m",
        ),
    ] {
        let text = seed_with_overrides(overrides);
        let d = check(&text, &settings).unwrap_err();
        assert_eq!(d.len(), 1, "{d:?}");
        assert_eq!(
            d[0].span.unwrap().start.line,
            line_of(&text, at),
            "{}",
            human(&d[0])
        );
        assert!(d[0].message.contains(named), "{}", human(&d[0]));
        assert!(
            d[0].hint.as_deref().unwrap().contains(named),
            "{}",
            human(&d[0])
        );
        // The runner has no settings: it checks an override only against itself.
        check(&text, &Limits::default()).unwrap();
    }
    for fine in [
        "  resources:\n    requests:\n      memory: 1Gi\n    limits:\n      memory: 1Gi\n",
        "  resources:\n    requests:\n      memory: 16Mi\n    limits:\n      memory: 16Mi\n",
        "  resources:\n    limits:\n      cpu: '2'\n      memory: 1024Mi\n",
    ] {
        check(&seed_with_overrides(fine), &settings).unwrap_or_else(|d| panic!("{fine}: {d:?}"));
    }
    // Refused whatever the settings: zero, fractions of a byte, too large.
    for bad in [
        "cpu: '0'",
        "memory: 0Mi",
        "memory: 100m",
        "memory: 99999999999Ti",
    ] {
        for side in ["requests", "limits"] {
            let text = seed_with_overrides(&format!("  resources:\n    {side}:\n      {bad}\n"));
            for limits in [&settings, &Limits::default()] {
                let d = check(&text, limits).unwrap_err();
                assert_eq!(d[0].span.unwrap().start.line, line_of(&text, bad), "{d:?}");
            }
        }
    }
}

#[test]
fn settings_whose_requests_kubernetes_refuses_are_a_located_settings_error() {
    use crate::support::{outcome, repo_with, run};
    let dir = repo_with(&[("backfill-1.yaml", SEED.as_bytes())]);
    let toml =
        "namespace = \"dagster\"\n\n[resources.requests]\ncpu = \"10m\"\nmemory = \"128Mi\"\n";
    std::fs::write(dir.path().join("dagster-scripts.toml"), toml).unwrap();
    for command in [&["render"][..], &["plan"][..]] {
        let (code, _, err) = outcome(&run(dir.path(), command));
        assert_eq!(code, 2, "{err}");
        assert!(err.contains("dagster-scripts.toml:5:10"), "{err}");
        assert!(err.contains("above its limit `64Mi`"), "{err}");
    }
    let zero = toml.replace("128Mi", "32Mi").replace("\"10m\"", "\"0\"");
    std::fs::write(dir.path().join("dagster-scripts.toml"), zero).unwrap();
    let (code, _, err) = outcome(&run(dir.path(), &["render"]));
    assert_eq!(code, 2, "{err}");
    assert!(
        err.contains("dagster-scripts.toml:4:7") && err.contains("is zero"),
        "{err}"
    );
    std::fs::write(
        dir.path().join("dagster-scripts.toml"),
        toml.replace("128Mi", "32Mi"),
    )
    .unwrap();
    let (code, _, err) = outcome(&run(dir.path(), &["render"]));
    assert_eq!(code, 0, "{err}");
}

#[test]
fn an_image_pinned_by_digest_in_the_settings_stays_pinned() {
    use crate::support::{outcome, repo_with, run};
    use dagster_scripts::settings::{ImageRef, Settings};
    let digest = "sha256:abababababababababababababababababababababababababababababababab";
    let pinned = format!("ghcr.io/acme/runner:1.0@{digest}");
    let tagged = seed_with_overrides("  image_tag: \"0.2.0\"\n");
    let dir = repo_with(&[("backfill-1.yaml", tagged.as_bytes())]);
    let toml = format!("namespace = \"dagster\"\nimage = \"{pinned}\"\n");
    std::fs::write(dir.path().join("dagster-scripts.toml"), &toml).unwrap();
    let (code, _, err) = outcome(&run(dir.path(), &["render"]));
    assert_eq!(code, 1, "{err}");
    let line = tagged
        .lines()
        .position(|l| l.contains("image_tag"))
        .unwrap()
        + 1;
    assert!(
        err.contains(&format!("specs/backfill-1.yaml:{line}:14")),
        "{err}"
    );
    assert!(err.contains("pin the runner image by digest"), "{err}");
    assert!(
        !dir.path().join("out/backfill-1.yaml").exists(),
        "nothing is written"
    );

    // Without the override, the Job runs the pinned image.
    std::fs::write(dir.path().join("specs/backfill-1.yaml"), SEED).unwrap();
    let (code, _, err) = outcome(&run(dir.path(), &["render"]));
    assert_eq!(code, 0, "{err}");
    let job = std::fs::read_to_string(dir.path().join("out/backfill-1.yaml")).unwrap();
    assert!(job.contains(&pinned), "{job}");

    // A tagged image may still be retagged per request.
    let mut settings = Settings::default();
    assert_eq!(Limits::from_settings(&settings).pinned_image, None);
    settings.image = ImageRef::new(pinned.clone()).unwrap();
    assert_eq!(Limits::from_settings(&settings).pinned_image, Some(pinned));
    load(
        Path::new("x.yaml"),
        tagged.as_bytes(),
        &Limits::from_settings(&Settings::default()),
        Some(&SchemaValidator::new()),
    )
    .unwrap();
}

#[test]
fn dagster_k8s_config_needs_the_settings_opt_in_and_goes_to_dagster_as_json() {
    use crate::support::{outcome, repo_with, run};
    let spec = "kind: run\njob_name: cleanup_job\nrun_tags:\n  dagster/priority: 5\n  dagster-k8s/config:\n    container_config:\n      resources:\n        requests: {cpu: '2', memory: 8Gi}\n    merge_behavior: DEEP\ntags:\n  name: \"34600\"\n";
    let dir = repo_with(&[("run-34600.yaml", spec.as_bytes())]);
    let settings = dir.path().join("dagster-scripts.toml");
    std::fs::write(&settings, "namespace = \"dagster\"\n").unwrap();
    for command in [&["check"][..], &["render"][..]] {
        let (code, _, err) = outcome(&run(dir.path(), command));
        assert_eq!(code, 1, "{command:?}: {err}");
        assert!(err.contains("specs/run-34600.yaml:5:3"), "{err}");
        assert!(err.contains("allow_k8s_config = true"), "{err}");
    }
    std::fs::write(
        &settings,
        "namespace = \"dagster\"\n\n[dagster]\nallow_k8s_config = true\n",
    )
    .unwrap();
    let (code, _, err) = outcome(&run(dir.path(), &["check"]));
    assert_eq!(code, 0, "{err}");
    let (code, _, err) = outcome(&run(dir.path(), &["render"]));
    assert_eq!(code, 0, "{err}");

    // The schema and the model agree on its shape; the runner sends it as JSON.
    let validator = SchemaValidator::new();
    let allowed = Limits {
        allow_k8s_config: true,
        ..Limits::default()
    };
    let loaded = load(
        Path::new("x.yaml"),
        spec.as_bytes(),
        &allowed,
        Some(&validator),
    )
    .unwrap();
    let tags = dagster_scripts::resolve::tags::launch_tags(&loaded.spec, "h");
    assert!(tags.contains(&(
        "dagster-k8s/config".to_owned(),
        r#"{"container_config":{"resources":{"requests":{"cpu":"2","memory":"8Gi"}}},"merge_behavior":"DEEP"}"#.to_owned()
    )), "{tags:?}");
    assert!(
        tags.contains(&("dagster/priority".to_owned(), "5".to_owned())),
        "{tags:?}"
    );
    for (bad, line) in [
        ("    pod_spec:\n      x: 1\n", 6),
        ("    merge_behavior: deep\n", 6),
        ("    container_config: [a]\n", 6),
    ] {
        let text = spec.replace(
            "    container_config:\n      resources:\n        requests: {cpu: '2', memory: 8Gi}\n    merge_behavior: DEEP\n",
            bad,
        );
        let d = load(
            Path::new("x.yaml"),
            text.as_bytes(),
            &allowed,
            Some(&validator),
        )
        .unwrap_err();
        assert_eq!(d[0].span.unwrap().start.line, line, "{bad}: {d:?}");
        assert_ne!(d[0].code, Code::Internal, "{d:?}");
    }
    let base = serde_json::json!({ "kind": "run", "job_name": "cleanup_job", "tags": { "name": "34600" } });
    let with = |config: serde_json::Value| {
        let mut v = base.clone();
        v["run_tags"] = serde_json::json!({ "dagster-k8s/config": config });
        v
    };
    for config in [
        serde_json::json!({}),
        serde_json::json!({ "pod_spec": {} }),
        serde_json::json!({ "merge_behavior": "deep" }),
        serde_json::json!({ "job_metadata": [] }),
        serde_json::json!({ "job_metadata": null }),
        serde_json::json!("{}"),
    ] {
        let v = with(config);
        assert!(
            !validator.is_valid(&v) && Spec::from_json(&v).is_err(),
            "{v}"
        );
    }
    for config in [
        serde_json::json!({ "job_metadata": {} }),
        serde_json::json!({ "merge_behavior": "SHALLOW", "pod_spec_config": { "node_selector": { "pool": "big" } } }),
    ] {
        let v = with(config);
        assert!(validator.is_valid(&v) && Spec::from_json(&v).is_ok(), "{v}");
    }
}

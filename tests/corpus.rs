//! The corpus of bad specs (one per mistake a user can make) and of good ones.
//!
//! Each bad spec's diagnostics are snapshotted as the user sees them, so a
//! change in wording or location shows up in review.

use std::path::Path;

use dagster_scripts::diagnostic::Code;
use dagster_scripts::load::{Limits, load};
use dagster_scripts::report::human;
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
    let (files, problems) = dagster_scripts::check::discover(&crate::support::repo().join("specs"));
    assert!(problems.is_empty(), "{problems:?}");
    assert!(files.len() >= 4, "one example per kind: {files:?}");
    let mut kinds = std::collections::BTreeSet::new();
    for (path, outcome) in
        dagster_scripts::check::check_files(&files, &validator, &Limits::default())
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

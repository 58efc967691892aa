//! The schema and the typed model must give the same verdict on every input.
//!
//! Editors and pre-commit hooks only see the schema; the renderer and the
//! runner only see the model. If the two disagreed, a spec could pass review
//! and fail on merge, or the other way round. This test mutates every example
//! spec at every place, in every way a person might (remove a key, add one,
//! put a wrong value or type anywhere) and compares the two verdicts.
//!
//! Not compared, because a schema cannot express them: `end_date` not before
//! `start_date`, dimension names unique within a spec, the partition cap, an
//! issue number read as written, and `overrides` against the settings. Those
//! live in `load` and are listed in the README.

use serde_json::{Value, json};

use dagster_scripts::spec::Spec;
use dagster_scripts::validate::SchemaValidator;

fn examples() -> Vec<Value> {
    let dirs = ["specs", "tests/fixtures/good"];
    let mut out = Vec::new();
    for dir in dirs {
        let (files, _) = dagster_scripts::discover::discover(&crate::support::repo().join(dir));
        for f in files {
            let bytes = std::fs::read(&f).unwrap();
            let loaded =
                dagster_scripts::read::load(&f, &bytes, &Default::default(), None).unwrap();
            out.push(serde_json::to_value(&loaded.spec).unwrap());
        }
    }
    out
}

/// Values a person might put anywhere, right or wrong.
fn replacements() -> Vec<Value> {
    let long = "x".repeat(300);
    let very_long = "y".repeat(4001);
    vec![
        json!(""),
        json!(" "),
        json!("x"),
        json!("bad name"),
        json!("ingestion_job"),
        json!("NL01497"),
        json!("2024-01-31"),
        json!("2024-02-30"),
        json!("24-01-31"),
        json!("0000-01-01"),
        json!("2024-01-31T00:00:00"),
        json!("a|b"),
        json!("a,b"),
        json!("[x]"),
        json!("a\nb"),
        json!("\tx"),
        json!(" lead"),
        json!("trail "),
        json!("dagster/x"),
        json!("team"),
        json!("x/y"),
        json!("/x"),
        json!("6h"),
        json!("1h30m"),
        json!("100m"),
        json!("64Mi"),
        json!("1GB"),
        json!("0.2.0"),
        json!(".hidden"),
        json!("run"),
        json!("backfill"),
        json!("asset_backfill"),
        json!("reexecute"),
        json!("café"),
        json!("\u{a0}x"),
        json!("x\u{3000}"),
        json!("x\u{2028}"),
        json!("a\u{2028}b"),
        json!("“NL01497”"),
        json!("‘x’"),
        json!("«x»"),
        json!("l’Aquila"),
        json!("\"x\""),
        json!("'x'"),
        json!("`x`"),
        json!("<job>"),
        json!("<>"),
        json!("<a\nb>"),
        json!("a <b>"),
        json!("\u{feff}x"),
        json!("x\u{85}"),
        json!(long),
        json!(very_long),
        json!(0),
        json!(7),
        json!(-1),
        json!(1.5),
        json!(1e20),
        json!(true),
        json!(false),
        json!(null),
        json!([]),
        json!(["a"]),
        json!(["a", "a"]),
        json!([1]),
        json!({}),
        json!({"a": "b"}),
        json!({"daily": "2024-01-31"}),
        json!({"bad name": "x"}),
        json!({"name": "d", "all": true}),
        json!({"name": "d", "values": ["a"]}),
        json!({"name": "d", "start_date": "2024-01-01", "end_date": "2024-01-02"}),
    ]
}

/// Every JSON pointer in `v`.
fn pointers(v: &Value, at: String, out: &mut Vec<String>) {
    out.push(at.clone());
    match v {
        Value::Object(m) => m
            .iter()
            .for_each(|(k, c)| pointers(c, dagster_scripts::pointer::push_pointer(&at, k), out)),
        Value::Array(a) => a
            .iter()
            .enumerate()
            .for_each(|(i, c)| pointers(c, format!("{at}/{i}"), out)),
        _ => {}
    }
}

fn mutants(example: &Value) -> Vec<Value> {
    let mut at = Vec::new();
    pointers(example, String::new(), &mut at);
    let keys = [
        "kind",
        "job_name",
        "repository_name",
        "tags",
        "name",
        "reason",
        "requester",
        "partitions",
        "partition",
        "start_date",
        "end_date",
        "values",
        "all",
        "run_config",
        "run_tags",
        "overrides",
        "image_tag",
        "deadline",
        "resources",
        "requests",
        "limits",
        "cpu",
        "memory",
        "assets",
        "rerun_of",
        "typo",
    ];
    let mut out = Vec::new();
    for p in &at {
        for r in replacements() {
            let mut m = example.clone();
            if p.is_empty() {
                m = r;
            } else {
                *m.pointer_mut(p).unwrap() = r;
            }
            out.push(m);
        }
        let (parent, last) = p.rsplit_once('/').unwrap_or(("", ""));
        if let Some(Value::Object(map)) = example.clone().pointer_mut(parent).cloned().as_mut() {
            map.remove(last);
            let mut m = example.clone();
            *m.pointer_mut(parent).unwrap() = Value::Object(map.clone());
            out.push(m);
        }
        if let Some(Value::Object(_)) = example.pointer(p) {
            for k in keys {
                for r in [json!("x"), json!("2024-01-01"), json!(["a"]), json!(true)] {
                    let mut m = example.clone();
                    if let Some(Value::Object(map)) = m.pointer_mut(p)
                        && !map.contains_key(k)
                    {
                        map.insert(k.to_owned(), r);
                        out.push(m);
                    }
                }
            }
        }
    }
    out
}

#[test]
fn schema_and_model_agree_on_thousands_of_mutated_specs() {
    let validator = SchemaValidator::new();
    let mut checked = 0;
    let mut disagreements = Vec::new();
    let mut verdicts = [0usize; 2];
    for example in examples() {
        assert!(validator.is_valid(&example), "example invalid: {example}");
        for m in mutants(&example) {
            let schema = validator.is_valid(&m);
            let model = Spec::from_json(&m);
            checked += 1;
            verdicts[usize::from(schema)] += 1;
            if schema != model.is_ok() {
                disagreements.push(format!("schema {schema}, model {:?}: {m}", model.err()));
            }
        }
    }
    assert!(checked > 5_000, "only {checked} mutants");
    assert!(
        verdicts[0] > 1_000 && verdicts[1] > 1_000,
        "both verdicts well represented: {verdicts:?}"
    );
    assert!(
        disagreements.is_empty(),
        "{} of {checked} disagree, e.g.:\n{}",
        disagreements.len(),
        disagreements
            .iter()
            .take(15)
            .cloned()
            .collect::<Vec<_>>()
            .join("\n")
    );
}

//! What the compiler writes into a Job must be what the runner reads: the
//! deadline (`DAGSTER_SCRIPTS_TIMEOUT`, one duration grammar in
//! `dagster_scripts::duration`), the partition cap
//! (`DAGSTER_SCRIPTS_MAX_PARTITIONS`) and the Dagster URL (one parser in
//! `dagster_scripts::url`, credentials refused, a clear-text token warned about).

use std::fs;
use std::path::Path;
use std::time::Duration;

use dagster_scripts::read::yaml::parse_documents;
use dagster_scripts::read::{Limits, load};
use dagster_scripts::render::{Renderer, Template};
use dagster_scripts::settings::Settings;
use dagster_scripts::spec::Deadline;
use proptest::prelude::*;

use crate::support::{SEED, outcome, repo_with, run};

/// The runner container's environment when the spec's `overrides.deadline` is `deadline`.
fn job_env(settings: &Settings, deadline: Option<&str>) -> Vec<(String, String)> {
    let text = match deadline {
        Some(d) => format!("{SEED}overrides:\n  deadline: \"{d}\"\n"),
        None => SEED.to_owned(),
    };
    let path = Path::new("specs/a.yaml");
    let loaded = load(path, text.as_bytes(), &Limits::default(), None)
        .unwrap_or_else(|e| panic!("{deadline:?}: {e:?}"));
    let template = Template::load(Path::new("/nonexistent-templates")).expect("default template");
    let renderer = Renderer::new(settings.clone(), template);
    let rendered = renderer
        .render("specs/a.yaml", "a.yaml", &loaded)
        .unwrap_or_else(|e| panic!("{deadline:?}: {e:?}"));
    let text = rendered.text.expect("rendered text");
    let docs = parse_documents(&text, path).expect("rendered YAML");
    let job = docs.iter().find(|d| d["kind"] == "Job").expect("a Job");
    job["spec"]["template"]["spec"]["containers"][0]["env"]
        .as_array()
        .expect("env")
        .iter()
        .filter_map(|e| {
            Some((
                e["name"].as_str()?.to_owned(),
                e["value"].as_str()?.to_owned(),
            ))
        })
        .chain(std::iter::once((
            "activeDeadlineSeconds".to_owned(),
            job["spec"]["activeDeadlineSeconds"].to_string(),
        )))
        .collect()
}

fn var<'a>(env: &'a [(String, String)], name: &str) -> &'a str {
    env.iter()
        .find(|(n, _)| n == name)
        .map(|(_, v)| v.as_str())
        .unwrap_or_else(|| panic!("no {name} in {env:?}"))
}

/// The runner reads `DAGSTER_SCRIPTS_TIMEOUT` with the library's parser
/// (`dagster_scripts_runner::args` trims the value and calls it).
fn runner_reads(timeout: &str) -> Option<Duration> {
    dagster_scripts::duration::parse(timeout.trim())
}

#[test]
fn the_largest_deadlines_render_a_timeout_the_runner_reads() {
    let settings = Settings::default();
    for (deadline, secs) in [
        ("999999999999999", 999_999_999_999_999u64),
        (
            "999999999d999999999h999999999m999999999s999999999ms",
            999_999_999 * (86_400 + 3_600 + 60 + 1) + 999_999,
        ),
        ("1000000d", 86_400_000_000),
        ("24h", 86_400),
    ] {
        let env = job_env(&settings, Some(deadline));
        let timeout = var(&env, "DAGSTER_SCRIPTS_TIMEOUT");
        assert_eq!(
            runner_reads(timeout),
            Some(Duration::from_secs(secs - 30)),
            "{deadline} rendered as {timeout}"
        );
        assert_eq!(var(&env, "activeDeadlineSeconds"), secs.to_string());
    }
    // Before: a long deadline rendered `86400000000s...`, which the runner refused.
    let env = job_env(&settings, Some("1000000d"));
    assert_eq!(var(&env, "DAGSTER_SCRIPTS_TIMEOUT"), "999999d23h59m30s");
}

#[test]
fn the_deadline_schema_pattern_is_the_parsers() {
    let schema = serde_json::to_value(schemars::schema_for!(Deadline)).unwrap();
    assert_eq!(schema["pattern"], dagster_scripts::duration::PATTERN);
}

fn deadline_text() -> impl Strategy<Value = String> {
    let part = |unit: &'static str| {
        proptest::option::of(0u64..1_000_000_000)
            .prop_map(move |n| n.map(|n| format!("{n}{unit}")).unwrap_or_default())
    };
    prop_oneof![
        (0u64..1_000_000_000_000_000).prop_map(|n| n.to_string()),
        (part("d"), part("h"), part("m"), part("s"), part("ms"))
            .prop_map(|(d, h, m, s, ms)| format!("{d}{h}{m}{s}{ms}"))
            .prop_filter("not empty", |s| !s.is_empty()),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 128, ..ProptestConfig::default() })]

    /// Any deadline the compiler accepts reaches the runner as the same
    /// duration, less the 30 s the runner keeps for itself (at least 60 s in all).
    #[test]
    fn any_accepted_deadline_round_trips_into_the_runner(deadline in deadline_text()) {
        let accepted = Deadline::new(deadline.clone()).expect("the grammar's strings are accepted");
        let env = job_env(&Settings::default(), Some(&deadline));
        let secs = accepted.seconds().max(60);
        prop_assert_eq!(var(&env, "activeDeadlineSeconds"), secs.to_string());
        prop_assert_eq!(
            runner_reads(var(&env, "DAGSTER_SCRIPTS_TIMEOUT")),
            Some(Duration::from_secs(secs - 30))
        );
    }
}

#[test]
fn the_partition_cap_is_passed_to_the_runner() {
    let mut settings = Settings::default();
    assert_eq!(
        var(&job_env(&settings, None), "DAGSTER_SCRIPTS_MAX_PARTITIONS"),
        dagster_scripts::read::DEFAULT_MAX_PARTITIONS.to_string()
    );
    settings.max_partitions = 12;
    assert_eq!(
        var(&job_env(&settings, None), "DAGSTER_SCRIPTS_MAX_PARTITIONS"),
        "12"
    );
}

#[test]
fn credentials_in_the_dagster_url_never_reach_out() {
    let dir = repo_with(&[("a.yaml", SEED.as_bytes())]);
    fs::write(
        dir.path().join("dagster-scripts.toml"),
        "[dagster]\nurl = \"http://admin:hunter2@dagster-webserver:3000\"\n",
    )
    .unwrap();
    let (code, _, err) = outcome(&run(dir.path(), &["render"]));
    assert_eq!(code, 2, "{err}");
    assert!(
        err.contains("user or password") && err.contains(":2:"),
        "{err}"
    );
    // The message never repeats it (the excerpt shows the settings file's own line).
    let message = err.lines().next().unwrap_or_default();
    assert!(
        !message.contains("hunter2"),
        "the password is repeated: {err}"
    );
    assert!(!dir.path().join("out").exists(), "nothing is written");
    // The flag is read by the same parser.
    fs::remove_file(dir.path().join("dagster-scripts.toml")).unwrap();
    for bad in [
        "http://u:p@dagster",
        "http://dagster/x?y=1",
        "http://dagster:",
    ] {
        let (code, _, err) = outcome(&run(dir.path(), &["render", "--dagster-url", bad]));
        assert_eq!(code, 2, "{bad}: {err}");
    }
}

#[test]
fn a_token_over_plain_http_to_a_remote_host_is_a_warning() {
    let dir = repo_with(&[("a.yaml", SEED.as_bytes())]);
    let settings = dir.path().join("dagster-scripts.toml");
    let write = |url: &str| {
        fs::write(
            &settings,
            format!("[dagster]\nurl = \"{url}\"\ntoken_secret = {{ name = \"dagster-plus\", key = \"token\" }}\n"),
        )
        .unwrap();
    };
    write("http://dagster.example.com");
    let (code, _, err) = outcome(&run(dir.path(), &["render"]));
    assert_eq!(code, 0, "a warning, not an error: {err}");
    assert!(
        err.contains("warning:")
            && err.contains("plain http")
            && err.contains("dagster.example.com"),
        "{err}"
    );
    for quiet in [
        "https://dagster.example.com",
        "http://dagster-webserver.dagster.svc:80",
    ] {
        write(quiet);
        let (code, _, err) = outcome(&run(dir.path(), &["render"]));
        assert_eq!(code, 0, "{err}");
        assert!(!err.contains("warning:"), "{quiet}: {err}");
    }
}

/// The real runner binary reads the environment the compiler rendered for
/// the longest deadline and a custom cap: it gets past its settings (and
/// fails only on the missing spec file), where it used to refuse the
/// timeout and fail the Job at start.
#[test]
fn the_runner_binary_reads_the_rendered_environment() {
    let dir = repo_with(&[("a.yaml", SEED.as_bytes())]);
    fs::write(
        dir.path().join("dagster-scripts.toml"),
        "deadline = \"999999999d999999999h999999999m999999999s999999999ms\"\nmax_partitions = 7\n",
    )
    .unwrap();
    let (code, _, err) = outcome(&run(dir.path(), &["render"]));
    assert_eq!(code, 0, "{err}");
    let text = fs::read_to_string(dir.path().join("out/a.yaml")).unwrap();
    let docs = parse_documents(&text, Path::new("a.yaml")).unwrap();
    let job = docs.iter().find(|d| d["kind"] == "Job").unwrap();
    let mut cmd = std::process::Command::new(crate::e2e::runner());
    cmd.env_clear().arg("/nonexistent/spec.yaml");
    let mut env = Vec::new();
    for var in job["spec"]["template"]["spec"]["containers"][0]["env"]
        .as_array()
        .unwrap()
    {
        let (name, value) = (
            var["name"].as_str().unwrap(),
            var["value"].as_str().unwrap(),
        );
        env.push((name.to_owned(), value.to_owned()));
        cmd.env(name, value);
    }
    assert_eq!(var(&env, "DAGSTER_SCRIPTS_MAX_PARTITIONS"), "7");
    let out = cmd.output().unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{err}");
    assert!(
        err.contains("cannot read the spec"),
        "the settings were refused: {err}"
    );
    assert!(!err.contains("DAGSTER_SCRIPTS_"), "{err}");
}

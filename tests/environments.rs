//! Several Dagster deployments from one repository (`[environments.<name>]`):
//! two environments rendered side by side (each folder's Jobs with that
//! environment's namespace, image, URL and token Secret, built by `kubectl
//! kustomize` and accepted by kubernetes-validate strict), a spec moved from
//! one to the other, located errors, `plan` naming environments, `plan
//! --resolve` and `status` asking each environment's own Dagster (the
//! shared test Dagster for one, none given for the other), `--environment`,
//! and `--settings` paths relative to the repository. The Flux and Argo CD
//! examples per environment are checked in `gitops::examples`.

use std::fs;
use std::path::Path;
use std::process::{Command, Output};
use std::time::Duration;

use dagster_test_server::dagster;
use serde_json::Value;

use crate::support::kube::{self, kustomize};
use crate::support::{SEED, apart, outcome, repo_with, run, tools};

const PINNED: &str = "ghcr.io/dagster-scripts/runner:0.1.0@sha256:8d3c1b5b0a4e5f6d7c8b9a0f1e2d3c4b5a69788776655443322110ffeeddccbb";

/// Two environments: production (the default; the top level's Dagster)
/// and staging (its own namespace, image, Dagster and token Secret).
fn settings() -> String {
    format!(
        r#"namespace = "dagster-scripts"
image = "{PINNED}"
default_environment = "production"

[dagster]
url = "http://dagster-dagster-webserver.dagster.svc.cluster.local:80"
token_secret = {{ name = "dagster-cloud", key = "token" }}

[environments.production]

[environments.staging]
namespace = "dagster-scripts-staging"
image = "ghcr.io/dagster-scripts/runner:0.1.0-rc1"
[environments.staging.dagster]
url = "http://dagster-dagster-webserver.dagster-staging.svc.cluster.local:80"
token_secret = {{ name = "dagster-cloud-staging", key = "token" }}
"#
    )
}

/// The seed's request for `issue` (its own job), running in `environment` (or the default).
fn spec(issue: &str, environment: Option<&str>) -> String {
    let mut text = apart(SEED.replace("34543", issue), issue);
    if let Some(e) = environment {
        text.push_str(&format!("environment: {e}\n"));
    }
    text
}

/// A repository with the two environments and a spec in each.
pub fn two_environments() -> tempfile::TempDir {
    let dir = repo_with(&[
        ("backfill-95001.yaml", spec("95001", None).as_bytes()),
        (
            "backfill-95002.yaml",
            spec("95002", Some("staging")).as_bytes(),
        ),
    ]);
    fs::write(dir.path().join("dagster-scripts.toml"), settings()).unwrap();
    dir
}

/// The YAML files of `folder`, by name.
fn listing(folder: &Path) -> Vec<String> {
    let mut names: Vec<String> = fs::read_dir(folder)
        .map(|d| {
            d.flatten()
                .map(|e| e.file_name().to_string_lossy().into_owned())
                .collect()
        })
        .unwrap_or_default();
    names.sort();
    names
}

/// The value of the environment variable `name` of the runner container in `job`.
fn env_var<'a>(job: &'a Value, name: &str) -> &'a Value {
    job["spec"]["template"]["spec"]["containers"][0]["env"]
        .as_array()
        .expect("env")
        .iter()
        .find(|v| v["name"] == name)
        .unwrap_or_else(|| panic!("no {name} in {job:#}"))
}

#[test]
fn two_environments_render_side_by_side_each_with_its_own_settings() {
    let dir = two_environments();
    let (code, _, err) = outcome(&run(dir.path(), &["render"]));
    assert_eq!(code, 0, "{err}");
    assert!(
        err.contains("environment production: rendered 1 spec"),
        "{err}"
    );
    assert!(
        err.contains("environment staging: rendered 1 spec"),
        "{err}"
    );
    let out = dir.path().join("out");
    assert_eq!(
        listing(&out),
        ["production", "staging"],
        "nothing in out/ itself"
    );
    assert_eq!(
        listing(&out.join("production")),
        [
            "_network-policy.yaml",
            "backfill-95001.yaml",
            "kustomization.yaml"
        ]
    );
    assert_eq!(
        listing(&out.join("staging")),
        [
            "_network-policy.yaml",
            "backfill-95002.yaml",
            "kustomization.yaml"
        ]
    );
    let expect = [
        (
            "production",
            "dagster-scripts",
            PINNED,
            "http://dagster-dagster-webserver.dagster.svc.cluster.local:80",
            "dagster-cloud",
        ),
        (
            "staging",
            "dagster-scripts-staging",
            "ghcr.io/dagster-scripts/runner:0.1.0-rc1",
            "http://dagster-dagster-webserver.dagster-staging.svc.cluster.local:80",
            "dagster-cloud-staging",
        ),
    ];
    for (name, namespace, image, url, secret) in expect {
        let docs = kustomize(&out.join(name));
        let kinds: Vec<&str> = docs.iter().filter_map(|d| d["kind"].as_str()).collect();
        assert_eq!(
            kinds.iter().filter(|k| **k == "Job").count(),
            1,
            "{kinds:?}"
        );
        assert!(kinds.contains(&"NetworkPolicy"), "{kinds:?}");
        for d in &docs {
            assert_eq!(d["metadata"]["namespace"], namespace, "{name}: {d:#}");
        }
        let job = docs.iter().find(|d| d["kind"] == "Job").expect("a Job");
        assert_eq!(
            job["spec"]["template"]["spec"]["containers"][0]["image"], image,
            "{name}"
        );
        assert_eq!(env_var(job, "DAGSTER_URL")["value"], url, "{name}");
        assert_eq!(
            env_var(job, "DAGSTER_API_TOKEN")["valueFrom"]["secretKeyRef"]["name"],
            secret,
            "{name}"
        );
    }
    // Both folders pass Kubernetes' own validation, strictly.
    let mut files = Vec::new();
    for name in ["production", "staging"] {
        for file in listing(&out.join(name)) {
            if file != "kustomization.yaml" {
                files.push(out.join(name).join(file));
            }
        }
    }
    let text = kube::validate(&files, "1.32");
    assert_eq!(
        text.matches(" passed for resource ").count(),
        2 * 2 + 2,
        "a Job and a ConfigMap per spec, a NetworkPolicy per folder:\n{text}"
    );
    let (code, _, err) = outcome(&run(dir.path(), &["render", "--check"]));
    assert_eq!(code, 0, "{err}");
    assert!(err.contains("out/staging is current"), "{err}");
    // The request is the same request in any environment: its hash does not change.
    let hash_of = |text: &str| {
        let spec: dagster_scripts::spec::Spec =
            serde_json::from_value(serde_json::to_value(yaml_value(text)).expect("json"))
                .expect("a spec");
        spec.request_hash()
    };
    assert_eq!(
        hash_of(&spec("95002", Some("staging"))),
        hash_of(&spec("95002", None))
    );
}

/// A spec's text as a JSON value, through the tool's own YAML reader.
fn yaml_value(text: &str) -> Value {
    dagster_scripts::read::yaml::parse_documents(text, Path::new("spec.yaml"))
        .expect("parses")
        .remove(0)
}

#[test]
fn a_spec_moved_to_another_environment_leaves_one_folder_for_the_other() {
    let dir = two_environments();
    assert_eq!(outcome(&run(dir.path(), &["render"])).0, 0);
    let moved = dir.path().join("specs/backfill-95002.yaml");
    fs::write(&moved, spec("95002", Some("production"))).unwrap();
    let (code, diff, err) = outcome(&run(dir.path(), &["render", "--check"]));
    assert_eq!(code, 1, "{err}");
    assert!(err.contains("out/production is stale"), "{err}");
    assert!(err.contains("out/staging is stale"), "{err}");
    assert!(diff.contains("out/staging/backfill-95002.yaml"), "{diff}");
    let (code, plan, err) = outcome(&run(dir.path(), &["plan", "--format", "json"]));
    assert_eq!(code, 0, "{err}");
    let plan: Value = serde_json::from_str(&plan).unwrap();
    let changes: Vec<(&str, &str, &str)> = plan["changes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| {
            (
                c["environment"].as_str().unwrap(),
                c["action"].as_str().unwrap(),
                c["file"].as_str().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        changes,
        [
            ("production", "add", "backfill-95002.yaml"),
            ("staging", "remove", "backfill-95002.yaml")
        ]
    );
    let (code, _, err) = outcome(&run(dir.path(), &["render"]));
    assert_eq!(code, 0, "{err}");
    assert!(
        err.contains("removed out/staging/backfill-95002.yaml"),
        "{err}"
    );
    assert!(
        listing(&dir.path().join("out/production")).contains(&"backfill-95002.yaml".to_owned())
    );
    assert!(!listing(&dir.path().join("out/staging")).contains(&"backfill-95002.yaml".to_owned()));
    let kustomization =
        fs::read_to_string(dir.path().join("out/staging/kustomization.yaml")).unwrap();
    assert!(!kustomization.contains("95002"), "{kustomization}");
    assert_eq!(
        kustomize(&dir.path().join("out/staging"))
            .iter()
            .filter(|d| d["kind"] == "Job")
            .count(),
        0
    );

    // An invalid spec in one environment writes nothing in any.
    fs::write(
        &moved,
        spec("95002", Some("staging")).replace("2024-01-31", "2024-02-30"),
    )
    .unwrap();
    let before = listing(&dir.path().join("out/production"));
    let (code, _, err) = outcome(&run(dir.path(), &["render"]));
    assert_eq!(code, 1, "{err}");
    assert!(err.contains("nothing was written"), "{err}");
    assert_eq!(listing(&dir.path().join("out/production")), before);
}

#[test]
fn naming_the_environments_empties_the_folder_rendered_before() {
    let dir = repo_with(&[("backfill-95007.yaml", spec("95007", None).as_bytes())]);
    assert_eq!(outcome(&run(dir.path(), &["render"])).0, 0);
    let out = dir.path().join("out");
    fs::write(out.join("README.md"), "not ours\n").unwrap();
    fs::write(
        dir.path().join("dagster-scripts.toml"),
        "[environments.prod]\n",
    )
    .unwrap();
    let (code, plan, err) = outcome(&run(dir.path(), &["plan", "--format", "json"]));
    assert_eq!(code, 0, "{err}");
    let plan: Value = serde_json::from_str(&plan).unwrap();
    let changes: Vec<(Option<&str>, &str)> = plan["changes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| (c["environment"].as_str(), c["action"].as_str().unwrap()))
        .collect();
    assert_eq!(changes, [(Some("prod"), "add"), (None, "remove")]);
    let (code, _, err) = outcome(&run(dir.path(), &["render"]));
    assert_eq!(code, 0, "{err}");
    assert!(err.contains("removed out/backfill-95007.yaml"), "{err}");
    assert_eq!(
        listing(&out),
        ["README.md", "kustomization.yaml", "prod"],
        "only what the tool did not write, and a kustomization listing nothing"
    );
    assert!(kustomize(&out).is_empty(), "out/ applies nothing");
    assert_eq!(
        kustomize(&out.join("prod"))
            .iter()
            .filter(|d| d["kind"] == "Job")
            .count(),
        1
    );
    let (code, _, err) = outcome(&run(dir.path(), &["render", "--check"]));
    assert_eq!(code, 0, "{err}");
    // A repository that never rendered into out/ gets nothing there.
    let fresh = two_environments();
    assert_eq!(outcome(&run(fresh.path(), &["render"])).0, 0);
    assert_eq!(
        listing(&fresh.path().join("out")),
        ["production", "staging"]
    );
}

#[test]
fn an_unknown_environment_is_located_and_lists_the_known_ones() {
    let dir = two_environments();
    fs::write(
        dir.path().join("specs/backfill-95003.yaml"),
        spec("95003", Some("qa")),
    )
    .unwrap();
    let (code, _, err) = outcome(&run(dir.path(), &["check"]));
    assert_eq!(code, 1, "{err}");
    assert!(
        err.contains(
            "error[E014]: no environment `qa` in the settings; they define `production`, `staging`"
        ),
        "{err}"
    );
    assert!(err.contains("specs/backfill-95003.yaml:13:14"), "{err}");
    assert!(err.contains("hint: name one of them"), "{err}");
    let (code, _, err) = outcome(&run(dir.path(), &["render"]));
    assert_eq!(code, 1, "{err}");
    assert!(err.contains("backfill-95003.yaml:13:14"), "{err}");

    // Naming one when the settings define none.
    let dir = repo_with(&[(
        "backfill-95004.yaml",
        spec("95004", Some("staging")).as_bytes(),
    )]);
    let (code, _, err) = outcome(&run(dir.path(), &["check"]));
    assert_eq!(code, 1, "{err}");
    assert!(err.contains("backfill-95004.yaml:13:14"), "{err}");
    assert!(err.contains("the settings define no environments"), "{err}");
    assert!(err.contains("[environments.<name>]"), "{err}");

    // Not a name an environment can have: the schema says so, located.
    fs::write(
        dir.path().join("specs/backfill-95004.yaml"),
        spec("95004", Some("Staging")),
    )
    .unwrap();
    let (code, _, err) = outcome(&run(dir.path(), &["check"]));
    assert_eq!(code, 1, "{err}");
    assert!(err.contains("backfill-95004.yaml:13:14"), "{err}");
}

#[test]
fn one_request_in_two_environments_is_two_requests_but_not_twice_in_one() {
    // Staging first, then production: the same request (the same hash, the
    // same selection of one job) in each environment's own Dagster.
    let request = spec("95008", None);
    let dir = repo_with(&[
        ("backfill-95008.yaml", request.as_bytes()),
        (
            "backfill-95008-staging.yaml",
            format!("{request}environment: staging\n").as_bytes(),
        ),
    ]);
    fs::write(dir.path().join("dagster-scripts.toml"), settings()).unwrap();
    let (code, _, err) = outcome(&run(dir.path(), &["check"]));
    assert_eq!(code, 0, "{err}");
    let (code, _, err) = outcome(&run(dir.path(), &["render"]));
    assert_eq!(code, 0, "{err}");
    assert_eq!(listing(&dir.path().join("out/staging")).len(), 3, "{err}");
    assert_eq!(
        listing(&dir.path().join("out/production")).len(),
        3,
        "{err}"
    );

    // The same request twice in production (once by default, once by name)
    // is still one request with two Jobs; and two overlapping requests in
    // one environment still overlap.
    fs::write(
        dir.path().join("specs/backfill-95008-staging.yaml"),
        format!("{request}environment: production\n"),
    )
    .unwrap();
    let (code, _, err) = outcome(&run(dir.path(), &["check"]));
    assert_eq!(code, 2, "a conflict, as without environments: {err}");
    assert!(err.contains("the same request as"), "{err}");
    fs::write(
        dir.path().join("specs/backfill-95008-staging.yaml"),
        format!(
            "{}environment: production\n",
            request.replace("name: \"95008\"", "name: \"95009\"")
        ),
    )
    .unwrap();
    let (code, _, err) = outcome(&run(dir.path(), &["check"]));
    assert_eq!(code, 1, "{err}");
    assert!(err.contains("E026"), "{err}");
    // In staging, the overlapping request runs in another Dagster.
    fs::write(
        dir.path().join("specs/backfill-95008-staging.yaml"),
        format!(
            "{}environment: staging\n",
            request.replace("name: \"95008\"", "name: \"95009\"")
        ),
    )
    .unwrap();
    let (code, _, err) = outcome(&run(dir.path(), &["check"]));
    assert_eq!(code, 0, "{err}");
}

#[test]
fn limits_are_each_environments_own() {
    let dir = two_environments();
    let text = settings().replace(
        "[environments.production]\n",
        "[environments.production]\nmax_partitions = 3\n",
    );
    fs::write(dir.path().join("dagster-scripts.toml"), text).unwrap();
    let (code, _, err) = outcome(&run(dir.path(), &["check"]));
    assert_eq!(code, 1, "{err}");
    assert!(
        err.contains("backfill-95001.yaml"),
        "production's cap: {err}"
    );
    assert!(
        !err.contains("backfill-95002.yaml"),
        "staging's is the default: {err}"
    );
}

#[test]
fn a_bad_setting_inside_an_environment_is_located() {
    let dir = two_environments();
    let text = settings().replace(
        "namespace = \"dagster-scripts-staging\"",
        "namespace = \"Dagster_Staging\"",
    );
    fs::write(dir.path().join("dagster-scripts.toml"), text).unwrap();
    for command in [&["check"][..], &["render"], &["plan"]] {
        let (code, _, err) = outcome(&run(dir.path(), command));
        assert_eq!(code, 2, "{command:?}: {err}");
        assert!(
            err.contains("dagster-scripts.toml:12:13"),
            "{command:?}: {err}"
        );
        assert!(err.contains("environment `staging`"), "{err}");
        assert!(err.contains("not a DNS label"), "{err}");
        assert!(err.contains("hint:"), "{err}");
    }
    assert!(!dir.path().join("out").exists(), "nothing written");
}

#[test]
fn plan_names_the_environment_of_each_request() {
    let dir = two_environments();
    let (code, markdown, err) = outcome(&run(dir.path(), &["plan"]));
    assert_eq!(code, 0, "{err}");
    assert!(
        markdown.contains("| | environment | file | Job |"),
        "{markdown}"
    );
    assert!(
        markdown.contains("| add | `production` | `backfill-95001.yaml` |"),
        "{markdown}"
    );
    assert!(
        markdown.contains("| add | `staging` | `backfill-95002.yaml` |"),
        "{markdown}"
    );
    let (code, json, _) = outcome(&run(dir.path(), &["plan", "--format", "json"]));
    assert_eq!(code, 0);
    let doc: Value = serde_json::from_str(&json).unwrap();
    assert_eq!(doc["changes"][1]["environment"], "staging", "{doc:#}");
    // Without environments, no environment anywhere.
    let plain = repo_with(&[("backfill-95005.yaml", spec("95005", None).as_bytes())]);
    let (_, markdown, _) = outcome(&run(plain.path(), &["plan"]));
    assert!(markdown.contains("| | file | Job |"), "{markdown}");
    let (_, json, _) = outcome(&run(plain.path(), &["plan", "--format", "json"]));
    assert!(!json.contains("environment"), "{json}");
}

#[test]
fn environment_restricts_a_command_to_one() {
    let dir = two_environments();
    let (code, _, err) = outcome(&run(dir.path(), &["render", "-e", "staging"]));
    assert_eq!(code, 0, "{err}");
    assert_eq!(listing(&dir.path().join("out")), ["staging"]);
    let (code, _, err) = outcome(&run(
        dir.path(),
        &["render", "--check", "--environment", "staging"],
    ));
    assert_eq!(code, 0, "{err}");
    let (code, _, err) = outcome(&run(dir.path(), &["render", "--check"]));
    assert_eq!(code, 1, "production is not rendered yet: {err}");
    let (code, plan, _) = outcome(&run(dir.path(), &["plan", "-e", "production"]));
    assert_eq!(code, 0);
    assert!(
        plan.contains("backfill-95001.yaml") && !plan.contains("backfill-95002.yaml"),
        "{plan}"
    );
    let (code, _, err) = outcome(&run(dir.path(), &["check", "-e", "staging"]));
    assert_eq!(code, 0, "{err}");
    assert!(err.contains("checked 1 spec"), "{err}");
    for command in ["check", "render", "plan", "status"] {
        let (code, _, err) = outcome(&run(dir.path(), &[command, "-e", "qa"]));
        assert_eq!(code, 2, "{command}: {err}");
        assert!(
            err.contains("no such environment; the settings define `production`, `staging`"),
            "{command}: {err}"
        );
    }
    let plain = repo_with(&[("backfill-95005.yaml", spec("95005", None).as_bytes())]);
    let (code, _, err) = outcome(&run(plain.path(), &["render", "-e", "staging"]));
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("define no environments"), "{err}");
}

#[test]
fn settings_paths_are_relative_to_the_repository_not_to_the_file() {
    let dir = repo_with(&[("backfill-95006.yaml", spec("95006", None).as_bytes())]);
    fs::create_dir(dir.path().join("envs")).unwrap();
    fs::write(
        dir.path().join("envs/prod.toml"),
        "namespace = \"prod-jobs\"\n[paths]\nout = \"manifests\"\n",
    )
    .unwrap();
    let (code, _, err) = outcome(&run(
        dir.path(),
        &["render", "--settings", "envs/prod.toml"],
    ));
    assert_eq!(code, 0, "{err}");
    assert!(
        err.contains("wrote   manifests/backfill-95006.yaml"),
        "{err}"
    );
    assert!(!dir.path().join("envs/manifests").exists());
    let text = fs::read_to_string(dir.path().join("manifests/backfill-95006.yaml")).unwrap();
    assert!(text.contains("namespace: prod-jobs"), "{text}");
    let (code, _, err) = outcome(&run(dir.path(), &["check", "--settings", "envs/prod.toml"]));
    assert_eq!(code, 0, "{err}");
    assert!(
        err.contains("checked 1 spec"),
        "the repository's specs/: {err}"
    );
}

/// Runs the compiler in `dir` with `args`, the process environment's
/// Dagster variables replaced by `vars`.
fn run_with(dir: &Path, args: &[&str], vars: &[(&str, &str)]) -> Output {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_dagster-scripts"));
    cmd.args(args).current_dir(dir).env("NO_COLOR", "1");
    for (name, _) in std::env::vars() {
        if name.starts_with("DAGSTER_URL") || name.starts_with("DAGSTER_API_TOKEN") {
            cmd.env_remove(name);
        }
    }
    for (name, value) in vars {
        cmd.env(name, value);
    }
    tools::output(&mut cmd, Duration::from_secs(300))
}

#[test]
fn plan_resolve_and_status_ask_each_environment_its_own_dagster() {
    // Staging's request is of a job the test Dagster has (queries only: nothing is launched).
    let staging = SEED
        .replace("34543", "95002")
        .replace("2024-01-31", "2024-09-01")
        .replace("2024-02-01", "2024-09-02")
        + "environment: staging\n";
    let dir = repo_with(&[
        ("backfill-95001.yaml", spec("95001", None).as_bytes()),
        ("backfill-95002.yaml", staging.as_bytes()),
    ]);
    fs::write(dir.path().join("dagster-scripts.toml"), settings()).unwrap();
    // The shared test Dagster is staging's; production's URL is not given.
    let url = dagster().base_url.clone();
    let vars = [("DAGSTER_URL_STAGING", url.as_str())];
    let (code, markdown, err) = outcome(&run_with(
        dir.path(),
        &["plan", "--resolve", "--timeout", "2m"],
        &vars,
    ));
    assert_eq!(code, 0, "{err}");
    assert!(
        err.contains("note: plan --resolve: Dagster of environment production is not asked, no URL was given for it (set DAGSTER_URL_PRODUCTION (or --dagster, DAGSTER_URL))"),
        "{err}"
    );
    assert!(
        markdown.contains(&format!("#### In Dagster (`{url}`), environment `staging`")),
        "{markdown}"
    );
    assert!(
        markdown.contains("**Dagster of environment `production` was not asked**"),
        "{markdown}"
    );
    assert!(
        markdown
            .contains("| `backfill-95002.yaml` | `__repository__@luchtmeetnet_ingestion` | 4 |"),
        "staging's request resolved: {markdown}"
    );
    let (code, json, err) = outcome(&run_with(
        dir.path(),
        &["plan", "--resolve", "--format", "json", "--timeout", "2m"],
        &vars,
    ));
    assert_eq!(code, 0, "{err}");
    let doc: Value = serde_json::from_str(&json).unwrap();
    let environments = doc["environments"].as_array().expect("environments");
    let by_name = |n: &str| {
        environments
            .iter()
            .find(|e| e["name"] == n)
            .unwrap_or_else(|| panic!("{n}: {doc:#}"))
    };
    assert_eq!(by_name("staging")["asked"], true);
    assert_eq!(by_name("staging")["url"], url.as_str());
    assert_eq!(by_name("production")["asked"], false);
    assert_eq!(
        by_name("production")["set"],
        "DAGSTER_URL_PRODUCTION (or --dagster, DAGSTER_URL)"
    );
    let staged = doc["changes"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["environment"] == "staging")
        .unwrap();
    assert_eq!(staged["resolved"]["effect"], "launches", "{staged:#}");
    let produced = doc["changes"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["environment"] == "production")
        .unwrap();
    assert!(produced.get("resolved").is_none(), "{produced:#}");

    // status: staging's Dagster knows nothing of 95002 (never launched);
    // production is not asked, and status says which variable to set.
    let (code, report, err) = outcome(&run_with(dir.path(), &["status", "--timeout", "2m"], &vars));
    assert_eq!(code, 2, "{report}{err}");
    assert!(report.contains("environment staging:"), "{report}");
    assert!(report.contains("not launched"), "{report}");
    assert!(
        !report.contains("95001"),
        "production's request is not asked of staging's Dagster: {report}"
    );
    assert!(
        err.contains("environment production: its Dagster was not asked, no URL was given for it"),
        "{err}"
    );
    assert!(err.contains("DAGSTER_URL_PRODUCTION"), "{err}");
    // Restricted to staging, everything asked is answered: pending (3).
    let (code, json, err) = outcome(&run_with(
        dir.path(),
        &[
            "status",
            "-e",
            "staging",
            "--format",
            "json",
            "--timeout",
            "2m",
        ],
        &vars,
    ));
    assert_eq!(code, 3, "{err}");
    let doc: Value = serde_json::from_str(&json).unwrap();
    let only = &doc["environments"][0];
    assert_eq!(only["name"], "staging");
    assert_eq!(only["asked"], true);
    // Every request in `requests`, as without environments (the kits read
    // `.requests[]`), each naming its environment.
    let requests = doc["requests"].as_array().expect("requests");
    assert_eq!(requests.len(), 1, "{doc:#}");
    assert_eq!(requests[0]["state"], "not_launched", "{doc:#}");
    assert_eq!(requests[0]["environment"], "staging", "{doc:#}");
    // Both given: production's at --dagster, the default environment's flag.
    let (code, report, err) = outcome(&run_with(
        dir.path(),
        &["status", "--dagster", &url, "--timeout", "2m"],
        &vars,
    ));
    assert_eq!(code, 3, "{report}{err}");
    assert!(
        report.contains("environment production:") && report.contains("95001"),
        "{report}"
    );
}

//! The CI kits in `ci/github/` and `ci/gitlab/`.
//!
//! The GitHub workflow must pass actionlint (with shellcheck on its `run:`
//! scripts) and the workflow JSON schema; the GitLab pipeline must pass
//! GitLab's CI JSON schema (the copy check-jsonschema ships). Both job graphs
//! are checked for the flow the issue asks for, and the scripts that do not
//! need GitHub or GitLab themselves run here for real: GitLab's check job on
//! good and bad specs, its plan job against a fake notes API on 127.0.0.1
//! (twice: one note, updated), and both render jobs up to their `git push`.
//!
//! Also run: both kits' checks on a bad retired spec (specs/done/) and a
//! stale committed schema; the optional manual trigger (GitHub's approval
//! environment, its guard against an environment without reviewers, against
//! a fake API; GitLab's manual render and a mistyped setting) and the line the
//! plan comment gains with it; and how each environment's DAGSTER_URL_<NAME>
//! and token reach `plan` (and whether it resolves), with a stand-in
//! `dagster-scripts` that logs what it was given.

use std::collections::BTreeMap;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpListener;
use std::path::Path;
use std::sync::{Arc, Mutex};
use std::thread;
use std::time::Duration;

use serde_json::{Value, json};

use super::{git, text};
use crate::support::{SEED, repo, tools};

pub(super) const WORKFLOW: &str = "ci/github/dagster-scripts.yml";
pub(super) const PIPELINE: &str = "ci/gitlab/dagster-scripts.gitlab-ci.yml";
const MARKER: &str = "<!-- dagster-scripts plan -->";

pub(super) fn load(path: &str) -> Value {
    let mut docs = tools::yaml_documents(&repo().join(path));
    assert_eq!(docs.len(), 1, "{path} holds one document");
    docs.remove(0)
}

fn strings(v: &Value) -> Vec<&str> {
    v.as_array()
        .unwrap_or_else(|| panic!("a list: {v}"))
        .iter()
        .map(|s| s.as_str().expect("text"))
        .collect()
}

// ---- GitHub Actions ----

#[test]
fn github_workflow_passes_actionlint_with_shellcheck_and_the_schema() {
    let out = tools::output(
        tools::command("actionlint")
            .args(["-verbose", "-no-color"])
            .arg(repo().join(WORKFLOW)),
        Duration::from_secs(120),
    );
    let all = text(&out);
    let findings: Vec<&str> = all.lines().filter(|l| !l.starts_with("verbose:")).collect();
    assert!(
        out.status.success() && findings.is_empty(),
        "actionlint:\n{all}"
    );
    assert!(all.contains("Found total 0 errors"), "{all}");
    // actionlint quietly skips shellcheck when it cannot find it; it must run.
    assert!(!all.contains("Rule \"shellcheck\" was disabled"), "{all}");

    let out = tools::output(
        tools::command("check-jsonschema")
            .args(["--builtin-schema", "vendor.github-workflows"])
            .arg(repo().join(WORKFLOW)),
        Duration::from_secs(120),
    );
    assert!(
        out.status.success(),
        "check-jsonschema (GitHub workflow schema):\n{}",
        text(&out)
    );
}

/// Every `run:` script of a job, joined.
fn runs(job: &Value) -> String {
    job["steps"]
        .as_array()
        .expect("steps")
        .iter()
        .filter_map(|s| s["run"].as_str())
        .collect::<Vec<_>>()
        .join("\n")
}

pub(super) fn step<'a>(job: &'a Value, name: &str) -> &'a Value {
    job["steps"]
        .as_array()
        .expect("steps")
        .iter()
        .find(|s| s["name"] == name)
        .unwrap_or_else(|| panic!("no step `{name}`"))
}

#[test]
fn github_workflow_checks_plans_and_renders_with_least_privilege() {
    let wf = load(WORKFLOW);
    // YAML 1.1 (which GitHub's loader follows for this key) reads `on` as true.
    let on = if wf["on"].is_null() {
        &wf["true"]
    } else {
        &wf["on"]
    };
    for event in ["pull_request", "push"] {
        let paths = strings(&on[event]["paths"]);
        // The workflow itself: a new DAGSTER_SCRIPTS_TAG is checked too.
        for path in [
            "specs/**",
            "schema/**",
            ".github/workflows/dagster-scripts.yml",
        ] {
            assert!(paths.contains(&path), "{event} must watch {path}");
        }
    }
    assert_eq!(strings(&on["push"]["branches"]), ["main"]);
    assert_eq!(
        wf["permissions"],
        json!({}),
        "no permissions unless a job asks"
    );

    let jobs = wf["jobs"].as_object().expect("jobs");
    assert_eq!(
        jobs.keys().collect::<Vec<_>>(),
        ["check", "plan", "render", "report", "retire"]
    );
    let (check, plan, render) = (&jobs["check"], &jobs["plan"], &jobs["render"]);
    assert_eq!(check["permissions"], json!({"contents": "read"}));
    assert_eq!(
        plan["permissions"],
        json!({"contents": "read", "pull-requests": "write"})
    );
    assert_eq!(
        render["permissions"],
        json!({"contents": "write", "actions": "read"}),
        "actions: read for the approval environment's protection rules"
    );
    for (name, job) in jobs {
        assert!(job["timeout-minutes"].is_u64(), "{name} has no timeout");
        let install = runs(job);
        assert!(
            install.contains("cargo install --locked"),
            "{name} must install with --locked"
        );
        for checkout in job["steps"]
            .as_array()
            .expect("steps")
            .iter()
            .filter(|s| uses(s).starts_with("actions/checkout@"))
        {
            let keeps_token = checkout["with"]["persist-credentials"] != false;
            assert_eq!(
                keeps_token,
                name == "render" || name == "retire",
                "{name}: only the jobs that push keep the token"
            );
        }
    }

    assert_eq!(check["if"], "github.event_name == 'pull_request'");
    let check_runs = runs(check);
    assert!(
        check_runs.contains("dagster-scripts check --format github"),
        "{check_runs}"
    );
    assert!(
        check_runs.contains("dagster-scripts render --check"),
        "{check_runs}"
    );
    for name in [
        "Check that out/ is rendered from them",
        "Check that the committed schema is this version's",
    ] {
        assert_eq!(
            step(check, name)["if"],
            "success() || failure()",
            "{name} reports even when an earlier check failed"
        );
    }

    assert_eq!(plan["if"], "github.event_name == 'pull_request'");
    assert_eq!(plan["needs"], "check");
    let base = step(plan, "Check out the base branch's out/");
    assert_eq!(
        base["with"]["ref"],
        "${{ github.event.pull_request.base.sha }}"
    );
    let planning = step(plan, "Plan against the base branch")["run"]
        .as_str()
        .expect("run");
    let base_out = format!("{}/out", base["with"]["path"].as_str().expect("a path"));
    assert!(
        planning.contains(&format!(
            "dagster-scripts plan \"${{resolve[@]}}\" --out {base_out}"
        )) && planning.contains("resolve=(--resolve)"),
        "{planning}"
    );
    assert!(planning.contains(MARKER), "{planning}");
    let post = step(plan, "Post or update the plan comment");
    let script = post["run"].as_str().expect("run");
    assert!(
        script.contains(MARKER)
            && script.contains("--method PATCH")
            && script.contains("--method POST"),
        "{script}"
    );
    assert_eq!(post["env"]["GH_TOKEN"], "${{ github.token }}");

    assert_eq!(render["if"], "github.event_name == 'push'");
    // Off by default: an unset variable is an empty name, no environment.
    assert_eq!(
        render["environment"],
        "${{ vars.DAGSTER_SCRIPTS_APPROVAL_ENVIRONMENT }}"
    );
    assert_eq!(
        render["steps"][0]["name"], "Check that the approval environment asks for a reviewer",
        "the guard runs first"
    );
    assert_eq!(render["concurrency"]["cancel-in-progress"], false);
    let render_runs = runs(render);
    for needed in [
        "dagster-scripts plan --format json",
        "dagster-scripts render",
        "commit -m",
        "git push",
    ] {
        assert!(
            render_runs.contains(needed),
            "render job lacks `{needed}`:\n{render_runs}"
        );
    }
}

fn uses(step: &Value) -> &str {
    step["uses"].as_str().unwrap_or("")
}

#[test]
fn github_actions_are_pinned_by_full_commit_hash() {
    let text = std::fs::read_to_string(repo().join(WORKFLOW)).expect("workflow");
    let mut pinned = 0;
    for line in text
        .lines()
        .filter(|l| l.trim_start().starts_with("- uses:") || l.trim_start().starts_with("uses:"))
    {
        let reference = line.split("uses:").nth(1).expect("a reference").trim();
        let (action, rest) = reference
            .split_once('@')
            .unwrap_or_else(|| panic!("unpinned: {line}"));
        let (sha, comment) = rest
            .split_once(" # ")
            .unwrap_or_else(|| panic!("no `# vX.Y.Z` comment: {line}"));
        assert!(
            sha.len() == 40 && sha.bytes().all(|b| b.is_ascii_hexdigit()),
            "{action} not pinned by a commit: {line}"
        );
        assert!(comment.starts_with('v'), "{line}");
        pinned += 1;
    }
    assert!(
        pinned >= 6,
        "expected the checkout and cache steps of three jobs, found {pinned}"
    );
}

// ---- GitLab CI ----

#[test]
fn gitlab_pipeline_passes_gitlab_ci_schema() {
    let out = tools::output(
        tools::command("check-jsonschema")
            .args(["--builtin-schema", "vendor.gitlab-ci"])
            .arg(repo().join(PIPELINE)),
        Duration::from_secs(120),
    );
    assert!(
        out.status.success(),
        "check-jsonschema (GitLab CI schema):\n{}",
        text(&out)
    );
}

/// What `extends` gives the job `name`: the hidden jobs' keys (each of them
/// extended first), the job's own on top.
fn extended(pipeline: &Value, name: &str) -> serde_json::Map<String, Value> {
    let job = pipeline[name]
        .as_object()
        .unwrap_or_else(|| panic!("no job or hidden job {name}"));
    let mut merged = match job.get("extends").and_then(Value::as_str) {
        Some(base) => extended(pipeline, base),
        None => serde_json::Map::new(),
    };
    merged.extend(job.clone());
    merged.remove("extends");
    merged
}

/// The pipeline's jobs (keys that are neither hidden nor global keywords).
fn gitlab_jobs(pipeline: &Value) -> BTreeMap<String, Value> {
    const GLOBAL: [&str; 7] = [
        "stages",
        "variables",
        "workflow",
        "include",
        "default",
        "image",
        "cache",
    ];
    let mut jobs = BTreeMap::new();
    for name in pipeline.as_object().expect("a mapping").keys() {
        if name.starts_with('.') || GLOBAL.contains(&name.as_str()) {
            continue;
        }
        jobs.insert(name.clone(), Value::Object(extended(pipeline, name)));
    }
    jobs
}

fn script(job: &Value, key: &str) -> String {
    strings(&job[key])
        .iter()
        .map(|line| line.trim_end())
        .collect::<Vec<_>>()
        .join("\n")
}

#[test]
fn gitlab_pipeline_checks_plans_and_renders_in_order() {
    let pipeline = load(PIPELINE);
    let stages = strings(&pipeline["stages"]);
    assert_eq!(stages, ["check", "plan", "render", "report", "retire"]);
    let jobs = gitlab_jobs(&pipeline);
    assert_eq!(
        jobs.keys().collect::<Vec<_>>(),
        [
            "dagster-scripts:check",
            "dagster-scripts:plan",
            "dagster-scripts:render",
            "dagster-scripts:report",
            "dagster-scripts:retire"
        ]
    );

    for (name, job) in &jobs {
        let stage = job["stage"].as_str().expect("a stage");
        let at = stages
            .iter()
            .position(|s| *s == stage)
            .unwrap_or_else(|| panic!("{name}: unknown stage {stage}"));
        if let Some(needs) = job["needs"].as_array() {
            for need in needs {
                let need = need.as_str().expect("a job name");
                let dep = jobs
                    .get(need)
                    .unwrap_or_else(|| panic!("{name} needs a missing job {need}"));
                let dep_at = stages
                    .iter()
                    .position(|s| *s == dep["stage"])
                    .expect("a stage");
                assert!(dep_at < at, "{name} needs {need} from a later stage");
            }
        }
        let install = script(job, "before_script");
        assert!(
            install.contains("cargo install --locked")
                && install.contains("--git \"$DAGSTER_SCRIPTS_GIT\""),
            "{install}"
        );
        let rules = job["rules"].as_array().expect("rules");
        let manual = usize::from(name == "dagster-scripts:render");
        assert_eq!(rules.len(), 1 + manual, "{name}");
        // The scheduled jobs (tests/gitops/report.rs) run whatever changed.
        for rule in rules {
            if rule["if"] != "$CI_PIPELINE_SOURCE == \"schedule\"" {
                let changes = strings(&rule["changes"]);
                for path in ["specs/**/*", "schema/**/*", "dagster-scripts.gitlab-ci.yml"] {
                    assert!(changes.contains(&path), "{name} must run on {path}");
                }
            }
        }
    }

    let check = &jobs["dagster-scripts:check"];
    assert_eq!(check["stage"], "check");
    assert_eq!(
        check["rules"][0]["if"],
        "$CI_PIPELINE_SOURCE == \"merge_request_event\""
    );
    let s = script(check, "script");
    assert!(
        s.contains("dagster-scripts check --format gitlab > gl-code-quality-report.json"),
        "{s}"
    );
    assert!(s.contains("dagster-scripts render --check"), "{s}");
    assert!(
        s.contains("dagster-scripts schema --check || status=$?"),
        "{s}"
    );
    assert_eq!(
        check["artifacts"]["reports"]["codequality"],
        "gl-code-quality-report.json"
    );
    assert_eq!(
        check["artifacts"]["when"], "always",
        "the report is wanted most when the check fails"
    );

    let plan = &jobs["dagster-scripts:plan"];
    assert_eq!(plan["needs"], json!(["dagster-scripts:check"]));
    assert_eq!(plan["rules"][0]["if"], check["rules"][0]["if"]);
    let s = script(plan, "script");
    assert!(
        s.contains("dagster-scripts plan \"${resolve[@]}\" --out")
            && s.contains("resolve=(--resolve)"),
        "{s}"
    );
    assert!(
        s.contains("merge_requests/$CI_MERGE_REQUEST_IID/notes"),
        "{s}"
    );

    let render = &jobs["dagster-scripts:render"];
    // Manual unless DAGSTER_SCRIPTS_APPLY is on-merge (the default): a value
    // mistyped keeps a person in the loop.
    assert_eq!(pipeline["variables"]["DAGSTER_SCRIPTS_APPLY"], "on-merge");
    let push = "$CI_PIPELINE_SOURCE == \"push\" && $CI_COMMIT_BRANCH == $CI_DEFAULT_BRANCH";
    assert_eq!(
        render["rules"],
        json!([
            {
                "if": format!("{push} && $DAGSTER_SCRIPTS_APPLY != \"on-merge\""),
                "changes": render["rules"][1]["changes"],
                "when": "manual",
            },
            {"if": push, "changes": render["rules"][1]["changes"]},
        ])
    );
    assert!(
        render["resource_group"].is_string(),
        "renders must not race"
    );
    let s = script(render, "script");
    for needed in [
        "dagster-scripts render",
        "git add -A out",
        "commit -m",
        "git push -o ci.skip",
    ] {
        assert!(s.contains(needed), "render job lacks `{needed}`:\n{s}");
    }
}

// ---- running the scripts ----

/// A user repository: the seed spec rendered into out/ and committed on main,
/// with the compiler where the CI files' install step leaves it.
pub(super) fn user_repo() -> tempfile::TempDir {
    let dir = tempfile::tempdir().expect("user repo");
    let d = dir.path();
    git(d, &["init", "-q"]);
    std::fs::create_dir_all(d.join("specs")).expect("specs");
    std::fs::write(d.join("specs/backfill-34543.yaml"), SEED).expect("spec");
    dagster_scripts(d, &["render"]);
    std::fs::write(d.join(".gitignore"), ".dagster-scripts/\n").expect("gitignore");
    git(d, &["add", "-A"]);
    git(d, &["commit", "-q", "-m", "a rendered request"]);
    let bin = d.join(".dagster-scripts/bin");
    std::fs::create_dir_all(&bin).expect("bin");
    std::os::unix::fs::symlink(
        env!("CARGO_BIN_EXE_dagster-scripts"),
        bin.join("dagster-scripts"),
    )
    .expect("link");
    dir
}

pub(super) fn dagster_scripts(dir: &Path, args: &[&str]) -> std::process::Output {
    let out = tools::output(
        std::process::Command::new(env!("CARGO_BIN_EXE_dagster-scripts"))
            .args(args)
            .current_dir(dir),
        Duration::from_secs(60),
    );
    assert!(
        out.status.success(),
        "dagster-scripts {args:?}:\n{}",
        text(&out)
    );
    out
}

/// Runs `lines` the way GitLab's runner and GitHub's `bash` shell do: one
/// bash with `-e -o pipefail`, in `dir`, with `env` and git's identity.
pub(super) fn bash(dir: &Path, lines: &str, env: &[(&str, String)]) -> std::process::Output {
    let mut cmd = tools::command("bash");
    cmd.args(["--noprofile", "--norc", "-e", "-o", "pipefail", "-c", lines])
        .current_dir(dir)
        .env("GIT_CONFIG_NOSYSTEM", "1")
        .env("GIT_CONFIG_GLOBAL", "/dev/null")
        .env("HOME", dir)
        .envs(env.iter().map(|(k, v)| (*k, v.as_str())));
    tools::output(&mut cmd, Duration::from_secs(120))
}

/// A GitLab job's `before_script` and `script`, without the lines that need
/// the CI image (apt-get) or the GitLab server (`git push`), after the
/// pipeline's `variables` (each one a default that a variable set in the
/// environment overrides, as a project's CI/CD variable does).
pub(super) fn gitlab_lines(job: &str) -> String {
    let pipeline = load(PIPELINE);
    let jobs = gitlab_jobs(&pipeline);
    let job = &jobs[job];
    let defaults = pipeline["variables"]
        .as_object()
        .expect("variables")
        .iter()
        .map(|(name, value)| {
            let value = value.as_str().expect("a text value");
            assert!(!value.contains('\''), "{name}: {value}");
            format!("if [ -z \"${{{name}+set}}\" ]; then export {name}='{value}'; fi")
        })
        .collect::<Vec<_>>()
        .join("\n");
    let lines = format!(
        "{defaults}\n{}\n{}",
        script(job, "before_script"),
        script(job, "script")
    );
    lines
        .lines()
        .filter(|l| !l.starts_with("apt-get ") && !l.starts_with("git push "))
        .collect::<Vec<_>>()
        .join("\n")
}

#[test]
fn gitlab_check_job_reports_code_quality_and_fails_on_a_bad_spec() {
    let user = user_repo();
    let u = user.path();
    let env = [("CI_PROJECT_DIR", u.display().to_string())];
    let lines = gitlab_lines("dagster-scripts:check");

    let out = bash(u, &lines, &env);
    assert!(
        out.status.success(),
        "check job on a valid, rendered spec:\n{}",
        text(&out)
    );
    let report: Value = serde_json::from_slice(
        &std::fs::read(u.join("gl-code-quality-report.json")).expect("report"),
    )
    .expect("JSON");
    assert_eq!(report, json!([]));

    std::fs::write(
        u.join("specs/backfill-34544.yaml"),
        "job_nme: ingestion_job\ntags:\n  name: '34544'\n",
    )
    .expect("bad spec");
    let out = bash(u, &lines, &env);
    assert_eq!(
        out.status.code(),
        Some(1),
        "check job on a bad spec:\n{}",
        text(&out)
    );
    let report: Value = serde_json::from_slice(
        &std::fs::read(u.join("gl-code-quality-report.json")).expect("report"),
    )
    .expect("JSON");
    let first = &report[0];
    assert_eq!(
        first["location"]["path"], "specs/backfill-34544.yaml",
        "{report:#}"
    );
    assert_eq!(
        first["location"]["positions"]["begin"]["line"], 1,
        "{report:#}"
    );
    assert!(
        first["description"]
            .as_str()
            .expect("text")
            .contains("job_nme"),
        "{report:#}"
    );
    // render --check ran too (the bad spec makes it fail as well).
    assert!(
        text(&out).contains("E011") || text(&out).contains("job_nme"),
        "{}",
        text(&out)
    );
}

/// A fake GitLab notes API for one merge request: GET lists, POST adds, PUT
/// edits; every call must carry the token.
#[derive(Default)]
struct Notes {
    notes: Vec<(u64, String)>,
    calls: Vec<String>,
}

fn serve_notes(token: &'static str) -> (String, Arc<Mutex<Notes>>) {
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind");
    let base = format!("http://{}/api/v4", listener.local_addr().expect("addr"));
    let state = Arc::new(Mutex::new(Notes::default()));
    let shared = state.clone();
    thread::spawn(move || {
        for stream in listener.incoming() {
            let Ok(mut stream) = stream else { continue };
            let _ = stream.set_read_timeout(Some(Duration::from_secs(10)));
            let mut reader = BufReader::new(stream.try_clone().expect("clone"));
            let mut request_line = String::new();
            if reader.read_line(&mut request_line).is_err() {
                continue;
            }
            let mut headers = BTreeMap::new();
            loop {
                let mut line = String::new();
                if reader.read_line(&mut line).unwrap_or(0) == 0 || line.trim().is_empty() {
                    break;
                }
                if let Some((k, v)) = line.split_once(':') {
                    headers.insert(k.trim().to_ascii_lowercase(), v.trim().to_owned());
                }
            }
            let length: usize = headers
                .get("content-length")
                .and_then(|l| l.parse().ok())
                .unwrap_or(0);
            let mut body = vec![0; length];
            let _ = reader.read_exact(&mut body);
            let mut parts = request_line.split_whitespace();
            let (method, target) = (parts.next().unwrap_or(""), parts.next().unwrap_or(""));
            let path = target.split('?').next().unwrap_or("");
            let mut s = shared.lock().expect("state");
            s.calls.push(format!("{method} {path}"));
            let notes_path = "/api/v4/projects/7/merge_requests/3/notes";
            let (status, reply) = if headers.get("private-token").map(String::as_str) != Some(token)
            {
                ("401 Unauthorized", json!({"message": "401 Unauthorized"}))
            } else if method == "GET" && path == notes_path {
                let list: Vec<Value> = s
                    .notes
                    .iter()
                    .map(|(id, b)| json!({"id": id, "body": b}))
                    .collect();
                ("200 OK", Value::Array(list))
            } else if method == "POST" && path == notes_path {
                let id = 100 + s.notes.len() as u64;
                s.notes.push((id, form_body(&body)));
                ("201 Created", json!({"id": id}))
            } else if let Some(id) = path
                .strip_prefix(&format!("{notes_path}/"))
                .and_then(|i| i.parse::<u64>().ok())
                && method == "PUT"
            {
                match s.notes.iter_mut().find(|(n, _)| *n == id) {
                    Some(note) => {
                        note.1 = form_body(&body);
                        ("200 OK", json!({"id": id}))
                    }
                    None => ("404 Not Found", json!({"message": "404 Not found"})),
                }
            } else {
                ("404 Not Found", json!({"message": "404 Not found"}))
            };
            drop(s);
            let reply = reply.to_string();
            let _ = write!(
                stream,
                "HTTP/1.1 {status}\r\ncontent-type: application/json\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{reply}",
                reply.len()
            );
        }
    });
    (base, state)
}

/// The `body` field of a form-encoded request body.
fn form_body(body: &[u8]) -> String {
    let text = String::from_utf8_lossy(body);
    let value = text
        .split('&')
        .find_map(|kv| kv.strip_prefix("body="))
        .unwrap_or("");
    let bytes = value.as_bytes();
    let mut out = Vec::new();
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'+' => out.push(b' '),
            b'%' if i + 2 < bytes.len() => {
                let hex = std::str::from_utf8(&bytes[i + 1..i + 3]).expect("hex");
                out.push(u8::from_str_radix(hex, 16).expect("percent-encoding"));
                i += 2;
            }
            b => out.push(b),
        }
        i += 1;
    }
    String::from_utf8(out).expect("UTF-8 note")
}

/// A merge request in a user repository: its branch (checked out) changes
/// the seed's request and renders it; the base is main before that, on a
/// bare origin. Returns the repository, the origin and the base's sha.
fn merge_request() -> (tempfile::TempDir, tempfile::TempDir, String) {
    let user = user_repo();
    let u = user.path();
    let base = String::from_utf8(git(u, &["rev-parse", "HEAD"]).stdout)
        .expect("sha")
        .trim()
        .to_owned();
    let origin = tempfile::tempdir().expect("origin");
    git(
        origin.path(),
        &[
            "clone",
            "-q",
            "--bare",
            &u.display().to_string(),
            "repo.git",
        ],
    );
    git(
        u,
        &[
            "remote",
            "add",
            "origin",
            &origin.path().join("repo.git").display().to_string(),
        ],
    );
    std::fs::write(
        u.join("specs/backfill-34543.yaml"),
        SEED.replace("2024-02-01", "2024-02-03"),
    )
    .expect("edit");
    dagster_scripts(u, &["render"]);
    git(u, &["commit", "-q", "-am", "change the request"]);
    (user, origin, base)
}

/// What GitLab gives the plan job of merge request 3 of project 7, whose
/// notes API is at `api`.
fn plan_job_env(u: &Path, base: &str, api: &str) -> Vec<(&'static str, String)> {
    vec![
        ("CI_PROJECT_DIR", u.display().to_string()),
        ("CI_MERGE_REQUEST_DIFF_BASE_SHA", base.to_owned()),
        ("CI_API_V4_URL", api.to_owned()),
        ("CI_PROJECT_ID", "7".to_owned()),
        ("CI_MERGE_REQUEST_IID", "3".to_owned()),
        ("DAGSTER_SCRIPTS_NOTE_TOKEN", "note-token".to_owned()),
    ]
}

#[test]
fn gitlab_plan_job_posts_one_note_and_updates_it() {
    let (user, _origin, base) = merge_request();
    let u = user.path();
    let (api, notes) = serve_notes("note-token");
    let env = plan_job_env(u, &base, &api);
    let lines = gitlab_lines("dagster-scripts:plan");
    for run in 1..=2 {
        let out = bash(u, &lines, &env);
        assert!(out.status.success(), "plan job, run {run}:\n{}", text(&out));
    }
    let notes = notes.lock().expect("state");
    let calls: Vec<&str> = notes.calls.iter().map(String::as_str).collect();
    let list = "GET /api/v4/projects/7/merge_requests/3/notes";
    let post = "POST /api/v4/projects/7/merge_requests/3/notes";
    assert_eq!(
        calls,
        [
            list,
            post,
            list,
            "PUT /api/v4/projects/7/merge_requests/3/notes/100"
        ]
    );
    assert_eq!(notes.notes.len(), 1, "one note, updated: {:?}", notes.notes);
    let body = &notes.notes[0].1;
    assert!(body.starts_with(MARKER), "{body}");
    // Planned against the base's out/, not the branch's (already rendered) one.
    assert!(
        body.contains("1 to change") && body.contains("backfill-34543"),
        "{body}"
    );
}

/// Runs a render job's lines (all but `git push`) in a repo whose spec
/// changed after out/ was rendered; checks the commit it makes, then that a
/// second run finds out/ current and commits nothing.
fn render_job_commits_out(lines: &str, setting: &[(&str, String)]) {
    let user = user_repo();
    let u = user.path();
    std::fs::write(
        u.join("specs/run-34560.yaml"),
        std::fs::read(repo().join("specs/run-34560.yaml")).expect("example"),
    )
    .expect("spec");
    git(u, &["add", "-A"]);
    git(
        u,
        &["commit", "-q", "-m", "a new request, merged without out/"],
    );
    let mut env = vec![
        ("CI_PROJECT_DIR", u.display().to_string()),
        ("CI_SERVER_HOST", "gitlab.example".to_owned()),
    ];
    env.extend(setting.iter().cloned());
    let out = bash(u, lines, &env);
    assert!(out.status.success(), "render job:\n{}", text(&out));
    let log = String::from_utf8(git(u, &["log", "-1", "--format=%s", "--name-only"]).stdout)
        .expect("log");
    assert!(
        log.starts_with("dagster-scripts: render out/ for issues 34560\n"),
        "{log}"
    );
    assert!(
        log.lines()
            .skip(1)
            .filter(|l| !l.is_empty())
            .all(|l| l.starts_with("out/")),
        "only out/ is committed: {log}"
    );
    dagster_scripts(u, &["render", "--check"]);
    let before = git(u, &["rev-parse", "HEAD"]).stdout;
    let out = bash(u, lines, &env);
    assert!(
        out.status.success() && text(&out).contains("out/ is current"),
        "{}",
        text(&out)
    );
    assert_eq!(
        git(u, &["rev-parse", "HEAD"]).stdout,
        before,
        "nothing to commit the second time"
    );
}

#[test]
fn gitlab_render_job_commits_out_naming_the_issues() {
    render_job_commits_out(&gitlab_lines("dagster-scripts:render"), &[]);
}

#[test]
fn github_render_job_commits_out_naming_the_issues() {
    let wf = load(WORKFLOW);
    let step = step(&wf["jobs"]["render"], "Render and commit out/");
    let script = step["run"].as_str().expect("run");
    let lines: Vec<&str> = script
        .lines()
        .filter(|l| !l.trim_start().starts_with("git push "))
        .collect();
    // What the install step's $GITHUB_PATH line does for the steps after it.
    let lines = format!(
        "export PATH=\"$CI_PROJECT_DIR/.dagster-scripts/bin:$PATH\"\n{}",
        lines.join("\n")
    );
    render_job_commits_out(&lines, &[]);
}

/// The manual render is the same job, run by a person: it renders and
/// commits; a setting that is neither on-merge nor manual (the rules make
/// that job manual too) renders nothing.
#[test]
fn gitlab_render_job_run_by_hand_renders_and_a_mistyped_setting_renders_nothing() {
    let lines = gitlab_lines("dagster-scripts:render");
    render_job_commits_out(&lines, &[("DAGSTER_SCRIPTS_APPLY", "manual".to_owned())]);

    let user = user_repo();
    let u = user.path();
    std::fs::write(u.join("specs/run-98002.yaml"), run_spec("98002")).expect("spec");
    git(u, &["add", "-A"]);
    git(u, &["commit", "-q", "-m", "a new request"]);
    let before = git(u, &["rev-parse", "HEAD"]).stdout;
    let env = [
        ("CI_PROJECT_DIR", u.display().to_string()),
        ("CI_SERVER_HOST", "gitlab.example".to_owned()),
        ("DAGSTER_SCRIPTS_APPLY", "Manual".to_owned()),
    ];
    let out = bash(u, &lines, &env);
    assert_eq!(out.status.code(), Some(1), "{}", text(&out));
    assert!(
        text(&out).contains("DAGSTER_SCRIPTS_APPLY is `Manual`: write on-merge or manual"),
        "{}",
        text(&out)
    );
    assert_eq!(git(u, &["rev-parse", "HEAD"]).stdout, before, "no commit");
    assert!(!u.join("out/run-98002.yaml").exists() && !text(&out).contains("wrote"));
}

/// The example run spec, for `issue`.
fn run_spec(issue: &str) -> String {
    std::fs::read_to_string(repo().join("specs/run-34560.yaml"))
        .expect("example")
        .replace("34560", issue)
}

/// A GitHub step's `run:` script, after what the install step's
/// `$GITHUB_PATH` line does for the steps after it.
fn github_lines(job: &str, name: &str) -> String {
    let wf = load(WORKFLOW);
    let script = step(&wf["jobs"][job], name)["run"]
        .as_str()
        .expect("run")
        .to_owned();
    format!("export PATH=\"$PWD/.dagster-scripts/bin:$PATH\"\n{script}")
}

const BAD_RETIRED: &str = "specs/done/backfill-98001.yaml";

/// The checks of both kits cover the retired specs in specs/done/ and the
/// committed schema: a bad retired spec fails them, located in its file; a
/// stale schema fails them with a diff; a repository that commits no schema
/// passes.
#[test]
fn kit_checks_cover_retired_specs_and_the_committed_schema() {
    let user = user_repo();
    let u = user.path();
    let env = [("CI_PROJECT_DIR", u.display().to_string())];
    let gitlab = gitlab_lines("dagster-scripts:check");
    let github = [
        "Check the specs",
        "Check that out/ is rendered from them",
        "Check that the committed schema is this version's",
    ]
    .map(|name| github_lines("check", name));
    let both = |what: &str, gitlab_code: i32, github_codes: [i32; 3]| -> Vec<String> {
        let out = bash(u, &gitlab, &env);
        assert_eq!(
            out.status.code(),
            Some(gitlab_code),
            "GitLab, {what}:\n{}",
            text(&out)
        );
        let mut texts = vec![text(&out)];
        for (script, code) in github.iter().zip(github_codes) {
            let out = bash(u, script, &env);
            assert_eq!(
                out.status.code(),
                Some(code),
                "GitHub, {what}:\n{script}\n{}",
                text(&out)
            );
            texts.push(text(&out));
        }
        texts
    };

    let no_schema = both("no schema committed", 0, [0, 0, 0]);
    assert!(
        no_schema[3].contains("no schema/spec.schema.json committed"),
        "{}",
        no_schema[3]
    );
    std::fs::create_dir_all(u.join("schema")).expect("schema/");
    let schema = u.join("schema/spec.schema.json");
    std::fs::write(&schema, dagster_scripts(u, &["schema"]).stdout).expect("schema");
    both("a current schema", 0, [0, 0, 0]);

    std::fs::create_dir_all(u.join("specs/done")).expect("done/");
    std::fs::write(
        u.join(BAD_RETIRED),
        "job_nme: ingestion_job\ntags:\n  name: '98001'\n",
    )
    .expect("bad spec");
    let bad = both("a bad retired spec", 1, [1, 0, 0]);
    let report: Value = serde_json::from_slice(
        &std::fs::read(u.join("gl-code-quality-report.json")).expect("report"),
    )
    .expect("JSON");
    assert!(
        report
            .as_array()
            .expect("a list")
            .iter()
            .any(|p| p["location"]["path"] == BAD_RETIRED),
        "{report:#}"
    );
    assert!(
        bad[1].contains(&format!("::error file={BAD_RETIRED},line=1")),
        "{}",
        bad[1]
    );
    std::fs::remove_file(u.join(BAD_RETIRED)).expect("remove");

    // What an upgrade leaves when the schema is not regenerated.
    let current = std::fs::read_to_string(&schema).expect("schema");
    std::fs::write(
        &schema,
        current.replacen("\"job_name\"", "\"job_name_old\"", 1),
    )
    .expect("stale schema");
    let stale = both("a stale schema", 1, [0, 0, 1]);
    for out in [&stale[0], &stale[3]] {
        assert!(
            out.contains("schema/spec.schema.json is stale")
                && out.contains("+")
                && out.contains("job_name_old"),
            "{out}"
        );
    }
}

/// With DAGSTER_SCRIPTS_APPROVAL_ENVIRONMENT, the render job's first step
/// reads the environment's protection rules: one with a required reviewer
/// passes (the job got here by an approval); one without (GitHub creates an
/// environment it does not know without any, and runs the job at once), or
/// one GitHub does not answer for, fails the job before anything renders.
/// Unset, it asks nothing.
#[test]
fn github_render_job_renders_only_after_an_approval() {
    let api = super::fake_api::serve(|r| {
        if r.headers.get("authorization").map(String::as_str) != Some("Bearer gh-token") {
            return (401, json!({"message": "Bad credentials"}));
        }
        let Some(name) = r.path.strip_prefix("/repos/acme/requests/environments/") else {
            return (404, json!({"message": "Not Found"}));
        };
        let reviewers = json!({"type": "required_reviewers", "prevent_self_review": true,
            "reviewers": [{"type": "Team", "reviewer": {"slug": "data-platform"}}]});
        match name {
            "production" | "prod eu" => (
                200,
                json!({"name": name, "protection_rules": [{"type": "wait_timer", "wait_timer": 0}, reviewers]}),
            ),
            "timer only" => (
                200,
                json!({"name": name, "protection_rules": [{"type": "wait_timer", "wait_timer": 5}]}),
            ),
            "created by the job" => (200, json!({"name": name})),
            _ => (404, json!({"message": "Not Found"})),
        }
    });
    let dir = tempfile::tempdir().expect("dir");
    let script = github_lines(
        "render",
        "Check that the approval environment asks for a reviewer",
    );
    let run = |environment: &str| {
        let env = [
            ("GH_TOKEN", "gh-token".to_owned()),
            ("GITHUB_API_URL", api.base.clone()),
            ("GITHUB_REPOSITORY", "acme/requests".to_owned()),
            ("APPROVAL_ENVIRONMENT", environment.to_owned()),
        ];
        bash(dir.path(), &script, &env)
    };

    let out = run("");
    assert!(
        out.status.success() && text(&out).contains("no approval environment"),
        "{}",
        text(&out)
    );
    assert!(api.calls().is_empty(), "{:?}", api.calls());
    for name in ["production", "prod eu"] {
        let out = run(name);
        assert!(out.status.success(), "{name}:\n{}", text(&out));
    }
    assert_eq!(
        api.calls(),
        [
            "GET /repos/acme/requests/environments/production",
            "GET /repos/acme/requests/environments/prod eu"
        ]
    );
    for name in ["timer only", "created by the job"] {
        let out = run(name);
        assert_eq!(out.status.code(), Some(1), "{name}:\n{}", text(&out));
        assert!(
            text(&out).contains(&format!("::error::the environment `{name}` (DAGSTER_SCRIPTS_APPROVAL_ENVIRONMENT) has no required reviewers")),
            "{}",
            text(&out)
        );
    }
    let out = run("nowhere");
    assert!(
        !out.status.success(),
        "a 404 fails the job:\n{}",
        text(&out)
    );
}

/// The Markdown parts of `md` that could act in a comment: links, images
/// and raw HTML other than the kit's marker.
fn active_parts(md: &str) -> Vec<String> {
    use pulldown_cmark::{Event, Options, Parser, Tag};
    Parser::new_ext(md, Options::ENABLE_TABLES)
        .filter_map(|event| match event {
            Event::Html(h) | Event::InlineHtml(h) if h.trim() != MARKER => Some(h.into_string()),
            Event::Start(Tag::Link { dest_url, .. } | Tag::Image { dest_url, .. }) => {
                Some(dest_url.into_string())
            }
            _ => None,
        })
        .collect()
}

const AFTER_MERGE: &str = "**After the merge, nothing reaches the cluster until someone";

/// GitHub's plan comment says, when the render waits for an approval, where
/// and by whom (the environment in a code span, nothing that acts in
/// Markdown); not otherwise; and a name it could not show safely fails the
/// step instead.
#[test]
fn github_plan_comment_says_the_render_waits_for_an_approval() {
    let (user, _origin, _base) = merge_request();
    let u = user.path();
    let temp = tempfile::tempdir().expect("runner temp");
    let script = github_lines("plan", "Plan against the base branch");
    let run = |environment: &str| {
        let env = [
            ("RUNNER_TEMP", temp.path().display().to_string()),
            (
                "GITHUB_STEP_SUMMARY",
                temp.path().join("summary.md").display().to_string(),
            ),
            ("APPROVAL_ENVIRONMENT", environment.to_owned()),
            ("VARS", "{}".to_owned()),
        ];
        let out = bash(u, &script, &env);
        let plan = std::fs::read_to_string(temp.path().join("plan.md")).unwrap_or_default();
        (out, plan)
    };

    let (out, plan) = run("");
    assert!(out.status.success(), "{}", text(&out));
    assert!(
        plan.starts_with(MARKER) && plan.contains("1 to add"),
        "{plan}"
    );
    assert!(!plan.contains("After the merge"), "{plan}");

    let (out, plan) = run("prod eu");
    assert!(out.status.success(), "{}", text(&out));
    let note = plan.trim_end().lines().last().expect("a line");
    assert!(
        note.starts_with(AFTER_MERGE)
            && note.contains("`render and commit out/`")
            && note.contains("required reviewer of the GitHub environment `prod eu`")
            && note.contains("Review deployments"),
        "{plan}"
    );
    assert_eq!(active_parts(&plan), Vec::<String>::new(), "{plan}");
    assert!(
        std::fs::read_to_string(temp.path().join("summary.md"))
            .expect("summary")
            .contains(note),
        "the job summary shows it too"
    );

    for hostile in ["x`y", "[a](http://evil.example)", "<b>", "a\nb"] {
        std::fs::remove_file(temp.path().join("plan.md")).ok();
        let (out, plan) = run(hostile);
        assert_eq!(out.status.code(), Some(1), "{hostile:?}:\n{}", text(&out));
        assert!(
            text(&out).contains("::error::DAGSTER_SCRIPTS_APPROVAL_ENVIRONMENT"),
            "{}",
            text(&out)
        );
        assert!(plan.is_empty(), "no comment: {plan}");
    }
}

/// GitLab's plan note says, with DAGSTER_SCRIPTS_APPLY=manual, that the
/// render waits for someone to run it; not with on-merge; and a value that is
/// neither fails the job before anything is posted.
#[test]
fn gitlab_plan_note_says_the_render_waits_for_someone_to_run_it() {
    let (user, _origin, base) = merge_request();
    let u = user.path();
    let lines = gitlab_lines("dagster-scripts:plan");
    for (setting, waits) in [("manual", true), ("on-merge", false)] {
        let (api, notes) = serve_notes("note-token");
        let mut env = plan_job_env(u, &base, &api);
        env.push(("DAGSTER_SCRIPTS_APPLY", setting.to_owned()));
        let out = bash(u, &lines, &env);
        assert!(out.status.success(), "{setting}:\n{}", text(&out));
        let notes = notes.lock().expect("state");
        let body = &notes.notes[0].1;
        assert!(body.contains("1 to change"), "{body}");
        assert_eq!(body.contains(AFTER_MERGE), waits, "{setting}: {body}");
        if waits {
            assert!(
                body.trim_end().ends_with(
                    "the job `dagster-scripts:render` of the default branch's pipeline is manual; someone allowed to merge into the default branch runs it (Build, Pipelines, that pipeline, Run)."
                ),
                "{body}"
            );
        }
        assert_eq!(active_parts(body), Vec::<String>::new(), "{body}");
    }
    let (api, notes) = serve_notes("note-token");
    let mut env = plan_job_env(u, &base, &api);
    env.push(("DAGSTER_SCRIPTS_APPLY", "yes".to_owned()));
    let out = bash(u, &lines, &env);
    assert_eq!(out.status.code(), Some(1), "{}", text(&out));
    assert!(
        text(&out).contains("DAGSTER_SCRIPTS_APPLY is `yes`: write on-merge or manual"),
        "{}",
        text(&out)
    );
    assert!(
        notes.lock().expect("state").calls.is_empty(),
        "nothing posted"
    );
}

/// Puts a stand-in `dagster-scripts` where the install step leaves the
/// compiler in `u`: it logs its arguments and the Dagster variables it was
/// given (and whether `VARS` reached it) to `u/calls.log`, and prints a plan.
fn stand_in(u: &Path) -> std::path::PathBuf {
    let bin = u.join(".dagster-scripts/bin/dagster-scripts");
    std::fs::remove_file(&bin).expect("unlink the compiler");
    std::fs::write(
        &bin,
        "#!/bin/sh\n\
         {\n\
           printf 'dagster-scripts'; printf ' %s' \"$@\"; printf '\\n'\n\
           env | grep -E '^(DAGSTER_URL|DAGSTER_API_TOKEN)' | sort\n\
           echo \"VARS=${VARS-unset}\"\n\
         } >> \"$PWD/calls.log\"\n\
         echo '### a plan'\n",
    )
    .expect("stand-in");
    let mut perms = std::fs::metadata(&bin).expect("stand-in").permissions();
    std::os::unix::fs::PermissionsExt::set_mode(&mut perms, 0o755);
    std::fs::set_permissions(&bin, perms).expect("chmod");
    u.join("calls.log")
}

/// Each environment's Dagster reaches `plan` in both kits: DAGSTER_URL (the
/// default environment's) and DAGSTER_URL_<NAME> (on GitHub taken from the
/// repository's variables, the other variables left out), each token
/// DAGSTER_API_TOKEN(_<NAME>) as given, one left empty unset; `--resolve`
/// when one URL is set, not otherwise.
#[test]
fn both_kits_hand_each_environments_dagster_to_plan() {
    let (user, _origin, base) = merge_request();
    let u = user.path();
    let log = stand_in(u);
    let temp = tempfile::tempdir().expect("runner temp");
    let github = github_lines("plan", "Plan against the base branch");
    let gitlab = gitlab_lines("dagster-scripts:plan");
    let (api, _notes) = serve_notes("note-token");

    let vars = json!({
        "DAGSTER_URL_STAGING": "https://staging.example/dagster",
        "DAGSTER_URL_PROD_EU": "https://eu.example",
        "DAGSTER_URL_EMPTY": "",
        "DAGSTER_SCRIPTS_RETIRE": "commit",
        "OTHER_URL": "https://other.example",
    })
    .to_string();
    let one = |name: &str, value: &str| (name.to_owned(), value.to_owned());
    // (what the platform gives the job, what `plan` gets)
    type Case = (Vec<(String, String)>, &'static str, Vec<(String, String)>);
    let github_cases: Vec<Case> = vec![
        (
            vec![
                one("DAGSTER_URL", ""),
                one("DAGSTER_API_TOKEN", ""),
                one("VARS", "{}"),
            ],
            "plan --out .dagster-scripts-base/out",
            vec![],
        ),
        (
            vec![
                one("DAGSTER_URL", "https://prod.example"),
                one("DAGSTER_API_TOKEN", "t0"),
                one("VARS", "{}"),
            ],
            "plan --resolve --out .dagster-scripts-base/out",
            vec![
                one("DAGSTER_API_TOKEN", "t0"),
                one("DAGSTER_URL", "https://prod.example"),
            ],
        ),
        (
            vec![
                one("DAGSTER_URL", ""),
                one("DAGSTER_API_TOKEN", ""),
                one("DAGSTER_API_TOKEN_STAGING", "t1"),
                one("DAGSTER_API_TOKEN_PROD_EU", ""),
                one("VARS", &vars),
            ],
            "plan --resolve --out .dagster-scripts-base/out",
            vec![
                one("DAGSTER_API_TOKEN_STAGING", "t1"),
                one("DAGSTER_URL_PROD_EU", "https://eu.example"),
                one("DAGSTER_URL_STAGING", "https://staging.example/dagster"),
            ],
        ),
    ];
    // GitLab exports every CI/CD variable to the job itself.
    let gitlab_cases: Vec<Case> = vec![
        (vec![], "plan --out .dagster-scripts-base/out", vec![]),
        (
            vec![
                one("DAGSTER_URL", ""),
                one("DAGSTER_API_TOKEN", ""),
                one("DAGSTER_URL_EMPTY", ""),
            ],
            "plan --out .dagster-scripts-base/out",
            vec![],
        ),
        (
            vec![
                one("DAGSTER_URL_STAGING", "https://staging.example/dagster"),
                one("DAGSTER_API_TOKEN_STAGING", "t1"),
                one("DAGSTER_URL_EMPTY", ""),
                one("DAGSTER_API_TOKEN", ""),
            ],
            "plan --resolve --out .dagster-scripts-base/out",
            vec![
                one("DAGSTER_API_TOKEN_STAGING", "t1"),
                one("DAGSTER_URL_STAGING", "https://staging.example/dagster"),
            ],
        ),
    ];
    for (kit, script, cases) in [
        ("GitHub", &github, github_cases),
        ("GitLab", &gitlab, gitlab_cases),
    ] {
        for (given, args, passed) in cases {
            let mut env = plan_job_env(u, &base, &api);
            env.push(("RUNNER_TEMP", temp.path().display().to_string()));
            env.push((
                "GITHUB_STEP_SUMMARY",
                temp.path().join("summary.md").display().to_string(),
            ));
            let given_env: Vec<(&str, String)> =
                given.iter().map(|(k, v)| (k.as_str(), v.clone())).collect();
            env.extend(given_env);
            std::fs::remove_file(&log).ok();
            let out = bash(u, script, &env);
            assert!(out.status.success(), "{kit} {given:?}:\n{}", text(&out));
            let calls = std::fs::read_to_string(&log).expect("the stand-in ran");
            let mut expected = format!("dagster-scripts {args}\n");
            for (name, value) in &passed {
                expected.push_str(&format!("{name}={value}\n"));
            }
            expected.push_str("VARS=unset\n");
            assert_eq!(calls, expected, "{kit} given {given:?}");
        }
    }
}

/// The steps of GitHub's scheduled jobs that ask Dagster get each
/// environment's Dagster the same way as the plan (GitLab's share one
/// `before_script`).
#[test]
fn github_steps_that_ask_dagster_read_each_environment_alike() {
    let wf = load(WORKFLOW);
    // The variables exported, then each empty one unset.
    let prelude = |script: &str| -> (String, String) {
        let export = script
            .find("while IFS= read -r name; do")
            .expect("the export");
        let unset = script[export..].find("unset VARS\n").expect("its end") + export;
        let empty = script
            .find("for name in $(compgen -v DAGSTER_); do")
            .expect("the unset");
        let done = script[empty..].find("\ndone\n").expect("its end") + empty;
        let unsetting = script[empty..done]
            .lines()
            .filter(|l| !l.contains("resolve") && !l.contains("elif"))
            .collect::<Vec<_>>()
            .join("\n");
        (script[export..unset].to_owned(), unsetting)
    };
    let steps = [
        ("plan", "Plan against the base branch"),
        (
            "report",
            "Post the status of each request on its pull request",
        ),
        ("retire", "Move finished specs to specs/done/"),
    ];
    let preludes: Vec<(String, String)> = steps
        .iter()
        .map(|(job, name)| {
            let s = step(&wf["jobs"][job], name);
            assert_eq!(s["env"]["VARS"], "${{ toJSON(vars) }}", "{job}");
            assert_eq!(s["env"]["DAGSTER_URL"], "${{ vars.DAGSTER_URL }}", "{job}");
            assert_eq!(
                s["env"]["DAGSTER_API_TOKEN"], "${{ secrets.DAGSTER_API_TOKEN }}",
                "{job}"
            );
            prelude(s["run"].as_str().expect("run"))
        })
        .collect();
    for (p, (job, _)) in preludes.iter().zip(steps).skip(1) {
        assert_eq!(p, &preludes[0], "{job}");
    }
    let gitlab = gitlab_jobs(&load(PIPELINE));
    let shared = script(&gitlab["dagster-scripts:plan"], "before_script");
    assert!(shared.contains("unset \"$name\""), "{shared}");
    for (name, job) in &gitlab {
        assert_eq!(script(job, "before_script"), shared, "{name}");
    }
}

//! The CI kits in `ci/github/` and `ci/gitlab/`.
//!
//! The GitHub workflow must pass actionlint (with shellcheck on its `run:`
//! scripts) and the workflow JSON schema; the GitLab pipeline must pass
//! GitLab's CI JSON schema (the copy check-jsonschema ships). Both job graphs
//! are checked for the flow the issue asks for, and the scripts that do not
//! need GitHub or GitLab themselves run here for real: GitLab's check job on
//! good and bad specs, its plan job against a fake notes API on 127.0.0.1
//! (twice: one note, updated), and both render jobs up to their `git push`.

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
        assert!(
            strings(&on[event]["paths"]).contains(&"specs/**"),
            "{event} must watch specs/"
        );
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
    assert_eq!(render["permissions"], json!({"contents": "write"}));
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
        assert_eq!(rules.len(), 1, "{name}");
        // The scheduled jobs (tests/gitops/report.rs) run whatever changed.
        if rules[0]["if"] != "$CI_PIPELINE_SOURCE == \"schedule\"" {
            assert!(
                strings(&rules[0]["changes"]).contains(&"specs/**/*"),
                "{name} must run on spec changes"
            );
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
    let rule = render["rules"][0]["if"].as_str().expect("if");
    assert!(
        rule.contains("$CI_COMMIT_BRANCH == $CI_DEFAULT_BRANCH") && rule.contains("\"push\""),
        "{rule}"
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
/// the CI image (apt-get) or the GitLab server (`git push`).
pub(super) fn gitlab_lines(job: &str) -> String {
    let jobs = gitlab_jobs(&load(PIPELINE));
    let job = &jobs[job];
    let lines = format!(
        "{}\n{}",
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

#[test]
fn gitlab_plan_job_posts_one_note_and_updates_it() {
    let user = user_repo();
    let u = user.path();
    let base = String::from_utf8(git(u, &["rev-parse", "HEAD"]).stdout)
        .expect("sha")
        .trim()
        .to_owned();
    // The merge request's origin, and a change on its branch.
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

    let (api, notes) = serve_notes("note-token");
    let env = [
        ("CI_PROJECT_DIR", u.display().to_string()),
        ("CI_MERGE_REQUEST_DIFF_BASE_SHA", base),
        ("CI_API_V4_URL", api),
        ("CI_PROJECT_ID", "7".to_owned()),
        ("CI_MERGE_REQUEST_IID", "3".to_owned()),
        ("DAGSTER_SCRIPTS_NOTE_TOKEN", "note-token".to_owned()),
    ];
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
fn render_job_commits_out(lines: &str) {
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
    let env = [
        ("CI_PROJECT_DIR", u.display().to_string()),
        ("CI_SERVER_HOST", "gitlab.example".to_owned()),
    ];
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
    render_job_commits_out(&gitlab_lines("dagster-scripts:render"));
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
    render_job_commits_out(&lines);
}

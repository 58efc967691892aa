//! The kits' scheduled jobs, run for real: the scripts of GitHub's `report`
//! and `retire` jobs and GitLab's `dagster-scripts:report` and
//! `dagster-scripts:retire`, taken from the YAML and run in bash against a
//! fake of GitHub's or GitLab's REST API on 127.0.0.1, with the real
//! `dagster-scripts status` asking the real Dagster test server.
//!
//! The user repository has two requests, each added by its own pull (merge)
//! request: `run-91301` launched by the real runner and succeeded, `run-91302`
//! never launched. Each job runs twice, as a schedule would: one comment
//! (note) per request, updated the second time; a commit status on the
//! commit that added each spec; one retire pull request whose branch holds the
//! moved spec and the re-rendered out/, not opened again; and with the
//! direct-commit setting, the move committed to main.

use std::fs;
use std::path::Path;
use std::sync::{Arc, Mutex};

use dagster_test_server::dagster;
use serde_json::{Value, json};

use super::ci::{PIPELINE, WORKFLOW, bash, dagster_scripts, gitlab_lines, load, step};
use super::fake_api::{Fake, Request, serve};
use super::{git, text};
use crate::support::{repo, tools};

const MARKER: &str = "<!-- dagster-scripts status -->";
const LAUNCHED: &str = "specs/run-91301.yaml";
const NEVER: &str = "specs/run-91302.yaml";

/// The user repository, its bare origin, and the commits that matter.
struct UserRepo {
    dir: tempfile::TempDir,
    origin: tempfile::TempDir,
    /// main after the two pull requests.
    main: String,
    /// The commits that added `LAUNCHED` and `NEVER`.
    added: [String; 2],
}

impl UserRepo {
    fn path(&self) -> &Path {
        self.dir.path()
    }

    fn origin(&self) -> std::path::PathBuf {
        self.origin.path().join("repo.git")
    }

    /// Back to main as the schedule checks it out, every file of a run gone.
    fn reset(&self) {
        git(self.path(), &["reset", "-q", "--hard", &self.main]);
        git(self.path(), &["clean", "-q", "-f", "-d"]);
    }

    /// The files on `reference` of the origin.
    fn files_on(&self, reference: &str) -> Vec<String> {
        let out = git(&self.origin(), &["ls-tree", "-r", "--name-only", reference]);
        String::from_utf8(out.stdout)
            .expect("names")
            .lines()
            .map(str::to_owned)
            .collect()
    }
}

fn head(dir: &Path, reference: &str) -> String {
    String::from_utf8(git(dir, &["rev-parse", reference]).stdout)
        .expect("sha")
        .trim()
        .to_owned()
}

/// The example run spec, for `issue`.
fn run_spec(issue: &str) -> String {
    fs::read_to_string(repo().join("specs/run-34560.yaml"))
        .expect("example")
        .replace("34560", issue)
}

/// Launches `LAUNCHED` with the real runner once per test binary (later
/// calls find the launch by its request hash and follow it to its end).
fn launch(dir: &Path, base_url: &str) {
    static ONE_AT_A_TIME: Mutex<()> = Mutex::new(());
    let _one = ONE_AT_A_TIME.lock().unwrap_or_else(|e| e.into_inner());
    let out = tools::output(
        std::process::Command::new(crate::e2e::runner())
            .args(["--url", base_url, "--poll-interval", "1s", LAUNCHED])
            .current_dir(dir),
        std::time::Duration::from_secs(300),
    );
    assert!(out.status.success(), "the runner:\n{}", text(&out));
}

fn user_repo() -> UserRepo {
    let server = dagster();
    let dir = crate::support::temp_dir();
    let d = dir.path();
    git(d, &["init", "-q"]);
    fs::create_dir_all(d.join("schema")).expect("schema dir");
    fs::copy(
        repo().join("schema/spec.schema.json"),
        d.join("schema/spec.schema.json"),
    )
    .expect("schema");
    fs::create_dir_all(d.join("specs")).expect("specs");
    fs::write(d.join(".gitignore"), ".dagster-scripts/\n").expect("gitignore");
    git(d, &["add", "-A"]);
    git(d, &["commit", "-q", "-m", "adopt dagster-scripts"]);
    let mut added = Vec::new();
    for (path, issue) in [(LAUNCHED, "91301"), (NEVER, "91302")] {
        fs::write(d.join(path), run_spec(issue)).expect("spec");
        dagster_scripts(d, &["render"]);
        git(d, &["add", "-A"]);
        git(
            d,
            &["commit", "-q", "-m", &format!("request for issue {issue}")],
        );
        added.push(head(d, "HEAD"));
    }
    let bin = d.join(".dagster-scripts/bin");
    fs::create_dir_all(&bin).expect("bin");
    std::os::unix::fs::symlink(
        env!("CARGO_BIN_EXE_dagster-scripts"),
        bin.join("dagster-scripts"),
    )
    .expect("link");
    let origin = tempfile::tempdir().expect("origin");
    git(
        origin.path(),
        &[
            "clone",
            "-q",
            "--bare",
            &d.display().to_string(),
            "repo.git",
        ],
    );
    // GitLab takes push options (`-o ci.skip`); a bare repository must be told to.
    git(
        &origin.path().join("repo.git"),
        &["config", "receive.advertisePushOptions", "true"],
    );
    git(
        d,
        &[
            "remote",
            "add",
            "origin",
            &origin.path().join("repo.git").display().to_string(),
        ],
    );
    launch(d, &server.base_url);
    let main = head(d, "HEAD");
    UserRepo {
        dir,
        origin,
        main,
        added: [added[0].clone(), added[1].clone()],
    }
}

/// Runs `script` in the user repository with `env`; it must succeed.
fn run_script(user: &UserRepo, script: &str, env: &[(&str, String)], what: &str) -> String {
    let out = bash(user.path(), script, env);
    let all = text(&out);
    assert!(out.status.success(), "{what}:\n{all}");
    all
}

// ---- GitHub ----

/// What the fake GitHub holds.
#[derive(Default)]
struct GitHub {
    /// (id, pull request, author, body)
    comments: Vec<(u64, u64, String, String)>,
    /// (sha, the status posted)
    statuses: Vec<(String, Value)>,
    /// Pull requests opened through the API: (number, head, base, title).
    pulls: Vec<(u64, String, String, String)>,
}

const GH_TOKEN: &str = "github-token";

fn fake_github(added: &[String; 2]) -> (Fake, Arc<Mutex<GitHub>>) {
    let state = Arc::new(Mutex::new(GitHub::default()));
    // A person quoting the marker: never edited by the job.
    state.lock().unwrap().comments.push((
        1,
        5,
        "jane".into(),
        format!("{MARKER}\nquoted by a person"),
    ));
    let shared = state.clone();
    let pull_of: Vec<(String, u64)> = vec![(added[0].clone(), 5), (added[1].clone(), 6)];
    let fake = serve(move |r: &Request| {
        if r.headers.get("authorization").map(String::as_str) != Some(&format!("Bearer {GH_TOKEN}"))
        {
            return (401, json!({"message": "Bad credentials"}));
        }
        let mut s = shared.lock().unwrap();
        let Some(path) = r.path.strip_prefix("/repos/acme/requests/") else {
            return (404, json!({"message": "Not Found"}));
        };
        let parts: Vec<&str> = path.split('/').collect();
        match (r.method.as_str(), parts.as_slice()) {
            ("GET", ["commits", sha, "pulls"]) => {
                let pulls: Vec<Value> = pull_of
                    .iter()
                    .filter(|(s, _)| s == sha)
                    .map(|(_, n)| json!({"number": n, "merged_at": "2026-11-01T10:00:00Z"}))
                    .collect();
                (200, Value::Array(pulls))
            }
            ("GET", ["issues", n, "comments"]) => {
                let list: Vec<Value> = r
                    .page(s.comments.iter().filter(|c| c.1.to_string() == *n))
                    .map(|c| json!({"id": c.0, "user": {"login": c.2}, "body": c.3}))
                    .collect();
                (200, Value::Array(list))
            }
            ("POST", ["issues", n, "comments"]) => {
                let id = 100 + s.comments.len() as u64;
                let body = r.json()["body"].as_str().unwrap_or("").to_owned();
                s.comments
                    .push((id, n.parse().unwrap(), "github-actions[bot]".into(), body));
                (201, json!({"id": id}))
            }
            ("PATCH", ["issues", "comments", id]) => {
                let body = r.json()["body"].as_str().unwrap_or("").to_owned();
                match s.comments.iter_mut().find(|c| c.0.to_string() == *id) {
                    Some(c) => {
                        c.3 = body;
                        (200, json!({"id": c.0}))
                    }
                    None => (404, json!({"message": "Not Found"})),
                }
            }
            ("POST", ["statuses", sha]) => {
                s.statuses.push(((*sha).to_owned(), r.json()));
                (201, json!({}))
            }
            ("GET", ["pulls"]) => {
                let list: Vec<Value> = s
                    .pulls
                    .iter()
                    .filter(|p| {
                        r.query.get("state").map(String::as_str) == Some("open")
                            && r.query.get("head") == Some(&format!("acme:{}", p.1))
                            && r.query.get("base") == Some(&p.2)
                    })
                    .map(|p| json!({"number": p.0}))
                    .collect();
                (200, Value::Array(list))
            }
            ("POST", ["pulls"]) => {
                let b = r.json();
                let number = 200 + s.pulls.len() as u64;
                s.pulls.push((
                    number,
                    b["head"].as_str().unwrap_or("").into(),
                    b["base"].as_str().unwrap_or("").into(),
                    b["title"].as_str().unwrap_or("").into(),
                ));
                (201, json!({"number": number}))
            }
            ("PATCH", ["pulls", n]) => {
                let b = r.json();
                match s.pulls.iter_mut().find(|p| p.0.to_string() == *n) {
                    Some(p) if b.get("head").is_none() => {
                        p.3 = b["title"].as_str().unwrap_or("").into();
                        (200, json!({"number": p.0}))
                    }
                    Some(_) => (422, json!({"message": "head cannot be changed"})),
                    None => (404, json!({"message": "Not Found"})),
                }
            }
            _ => (404, json!({"message": "Not Found"})),
        }
    });
    (fake, state)
}

/// A GitHub step's `run:` script, with the install step's `$GITHUB_PATH` line done.
fn github_script(job: &str, name: &str) -> String {
    let wf = load(WORKFLOW);
    let script = step(&wf["jobs"][job], name)["run"]
        .as_str()
        .expect("run")
        .to_owned();
    format!("export PATH=\"$PWD/.dagster-scripts/bin:$PATH\"\n{script}")
}

#[test]
fn github_schedule_reports_on_each_pull_request_and_retires_what_succeeded() {
    let user = user_repo();
    let (api, github) = fake_github(&user.added);
    let temp = tempfile::tempdir().expect("runner temp");
    let env = |retire: &str| {
        vec![
            ("GH_TOKEN", GH_TOKEN.to_owned()),
            ("GITHUB_API_URL", api.base.clone()),
            ("GITHUB_REPOSITORY", "acme/requests".to_owned()),
            ("GITHUB_REPOSITORY_OWNER", "acme".to_owned()),
            ("GITHUB_REF_NAME", "main".to_owned()),
            ("RUNNER_TEMP", temp.path().display().to_string()),
            ("DAGSTER_URL", dagster().base_url.clone()),
            ("DAGSTER_API_TOKEN", String::new()),
            ("RETIRE", retire.to_owned()),
        ]
    };

    // report, twice
    let report = github_script(
        "report",
        "Post the status of each request on its pull request",
    );
    let first = run_script(&user, &report, &env(""), "report, run 1");
    let second = run_script(&user, &report, &env(""), "report, run 2");
    {
        let gh = github.lock().unwrap();
        let bot: Vec<&(u64, u64, String, String)> = gh
            .comments
            .iter()
            .filter(|c| c.2 == "github-actions[bot]")
            .collect();
        assert_eq!(
            bot.iter()
                .map(|c| c.1)
                .collect::<std::collections::BTreeSet<_>>(),
            [5, 6].into(),
            "one comment on each pull request: {bot:?}\n{first}\n{second}"
        );
        assert_eq!(bot.len(), 2, "updated, not added again: {bot:?}");
        let on = |pr: u64| &bot.iter().find(|c| c.1 == pr).expect("a comment").3;
        assert!(on(5).starts_with(MARKER), "{}", on(5));
        assert!(
            on(5).contains("1 succeeded") && on(5).contains(LAUNCHED) && !on(5).contains(NEVER),
            "{}",
            on(5)
        );
        assert!(
            on(6).contains("1 not launched") && on(6).contains(NEVER),
            "{}",
            on(6)
        );
        assert_eq!(gh.comments[0].3, format!("{MARKER}\nquoted by a person"));
        let calls = api.calls();
        let count = |call: &str| calls.iter().filter(|c| c.starts_with(call)).count();
        assert_eq!(count("POST /repos/acme/requests/issues/"), 2, "{calls:#?}");
        assert_eq!(
            count("PATCH /repos/acme/requests/issues/comments/"),
            2,
            "{calls:#?}"
        );
        // A commit status on each commit that added a spec, each run.
        let states: Vec<(&str, &str)> = gh
            .statuses
            .iter()
            .map(|(sha, s)| (sha.as_str(), s["state"].as_str().unwrap_or("")))
            .collect();
        for (sha, state) in [(&user.added[0], "success"), (&user.added[1], "pending")] {
            assert_eq!(
                states
                    .iter()
                    .filter(|s| s == &&(sha.as_str(), state))
                    .count(),
                2,
                "{states:?}"
            );
        }
        let success = &gh.statuses.iter().find(|s| s.0 == user.added[0]).unwrap().1;
        assert_eq!(success["context"], "dagster-scripts/status");
        assert_eq!(success["description"], "1 succeeded");
        assert!(
            success["target_url"]
                .as_str()
                .is_some_and(|u| u.starts_with(&dagster().base_url) && u.contains("/runs/")),
            "{success}"
        );
    }

    // retire, twice: one pull request, its branch pushed once.
    let retire = github_script("retire", "Move finished specs to specs/done/");
    retires_twice_then_commits(
        &user,
        &retire,
        [&env(""), &env("commit")],
        ("pull request", "#200"),
        || github.lock().unwrap().pulls.clone(),
    );
}

/// Runs the retire job `script` twice asking for review (`envs[0]`), then
/// once committing directly (`envs[1]`): the first run opens a `request`
/// (`pull request`) numbered `number` (`#200`), the second finds its branch
/// holding the moves and updates it without pushing, and the direct commit
/// moves the spec on main, opening nothing. `opened` is what the fake holds:
/// (number, source branch, target branch, title) per request opened.
fn retires_twice_then_commits(
    user: &UserRepo,
    script: &str,
    envs: [&[(&str, String)]; 2],
    (request, number): (&str, &str),
    opened: impl Fn() -> Vec<(u64, String, String, String)>,
) {
    let first = run_script(user, script, envs[0], "retire, run 1");
    assert!(
        first.contains(&format!("{request} {number} opened")),
        "{first}"
    );
    let branch = "dagster-scripts/retire";
    let pushed = head(&user.origin(), branch);
    user.reset();
    let second = run_script(user, script, envs[0], "retire, run 2");
    assert!(
        second.contains("holds these moves already")
            && second.contains(&format!("{request} {number} updated")),
        "{second}"
    );
    assert_eq!(head(&user.origin(), branch), pushed, "not pushed again");
    let requests = opened();
    assert_eq!(requests.len(), 1, "{requests:?}");
    let (_, source, target, title) = &requests[0];
    assert_eq!((source.as_str(), target.as_str()), (branch, "main"));
    assert!(
        title.contains("91301") && !title.contains("91302"),
        "{title}"
    );
    retired_on(user, branch);
    assert_eq!(head(&user.origin(), "main"), user.main, "main is untouched");

    // The direct-commit setting.
    user.reset();
    let direct = run_script(user, script, envs[1], "retire, commit");
    assert!(!direct.contains(request), "{direct}");
    retired_on(user, "main");
    assert_eq!(opened().len(), 1);
}

/// `reference` of the origin holds `LAUNCHED` moved to done/ (its modeline
/// fixed), `NEVER` where it was, and out/ rendered from them.
fn retired_on(user: &UserRepo, reference: &str) {
    let files = user.files_on(reference);
    assert!(
        files.contains(&"specs/done/run-91301.yaml".to_owned())
            && !files.contains(&LAUNCHED.to_owned())
            && files.contains(&NEVER.to_owned()),
        "{files:?}"
    );
    assert!(
        files.iter().any(|f| f.starts_with("out/run-91302"))
            && !files.iter().any(|f| f.starts_with("out/run-91301")),
        "out/ is rendered without the retired request: {files:?}"
    );
    let moved = git(
        &user.origin(),
        &["show", &format!("{reference}:specs/done/run-91301.yaml")],
    )
    .stdout;
    assert_eq!(
        String::from_utf8(moved).expect("text"),
        run_spec("91301").replace("$schema=../schema/", "$schema=../../schema/")
    );
    // A checkout of it is valid and its out/ current.
    let checkout = tempfile::tempdir().expect("checkout");
    git(
        checkout.path(),
        &[
            "clone",
            "-q",
            "--branch",
            reference,
            &user.origin().display().to_string(),
            "c",
        ],
    );
    let c = checkout.path().join("c");
    dagster_scripts(&c, &["check"]);
    dagster_scripts(&c, &["render", "--check"]);
}

// ---- GitLab ----

/// What the fake GitLab holds.
#[derive(Default)]
struct GitLab {
    /// (id, merge request, body)
    notes: Vec<(u64, u64, String)>,
    /// (id, sha, state, description)
    statuses: Vec<(u64, String, String, String)>,
    /// Merge requests opened through the API: (iid, source, target, title).
    merge_requests: Vec<(u64, String, String, String)>,
}

const GL_TOKEN: &str = "report-token";

fn fake_gitlab(added: &[String; 2]) -> (Fake, Arc<Mutex<GitLab>>) {
    let state = Arc::new(Mutex::new(GitLab::default()));
    let shared = state.clone();
    let request_of: Vec<(String, u64)> = vec![(added[0].clone(), 5), (added[1].clone(), 6)];
    let fake = serve(move |r: &Request| {
        if r.headers.get("private-token").map(String::as_str) != Some(GL_TOKEN) {
            return (401, json!({"message": "401 Unauthorized"}));
        }
        let mut s = shared.lock().unwrap();
        let Some(path) = r.path.strip_prefix("/api/v4/projects/7/") else {
            return (404, json!({"message": "404 Not found"}));
        };
        let parts: Vec<&str> = path.split('/').collect();
        let form = r.form();
        let field = |k: &str| form.get(k).cloned().unwrap_or_default();
        match (r.method.as_str(), parts.as_slice()) {
            ("GET", ["repository", "commits", sha, "merge_requests"]) => {
                let list: Vec<Value> = request_of
                    .iter()
                    .filter(|(s, _)| s == sha)
                    .map(|(_, iid)| json!({"iid": iid, "state": "merged"}))
                    .collect();
                (200, Value::Array(list))
            }
            ("GET", ["merge_requests", iid, "notes"]) => {
                let list: Vec<Value> = r
                    .page(s.notes.iter().filter(|n| n.1.to_string() == *iid))
                    .map(|n| json!({"id": n.0, "body": n.2}))
                    .collect();
                (200, Value::Array(list))
            }
            ("POST", ["merge_requests", iid, "notes"]) => {
                let id = 100 + s.notes.len() as u64;
                s.notes.push((id, iid.parse().unwrap(), field("body")));
                (201, json!({"id": id}))
            }
            ("PUT", ["merge_requests", _, "notes", id]) => {
                match s.notes.iter_mut().find(|n| n.0.to_string() == *id) {
                    Some(n) => {
                        n.2 = field("body");
                        (200, json!({"id": n.0}))
                    }
                    None => (404, json!({"message": "404 Not found"})),
                }
            }
            ("GET", ["repository", "commits", sha, "statuses"]) => {
                let list: Vec<Value> = s
                    .statuses
                    .iter()
                    .filter(|st| st.1 == *sha)
                    .map(|st| json!({"id": st.0, "name": "dagster-scripts/status", "status": st.2}))
                    .collect();
                (200, Value::Array(list))
            }
            ("POST", ["statuses", sha]) => {
                let current = s
                    .statuses
                    .iter()
                    .rev()
                    .find(|st| st.1 == *sha)
                    .map(|st| st.2.clone());
                // As GitLab does: a status that changes nothing is refused.
                if current.as_deref() == Some(field("state").as_str()) {
                    return (
                        400,
                        json!({"message": "Cannot transition status via :run from :running"}),
                    );
                }
                let id = 1000 + s.statuses.len() as u64;
                s.statuses
                    .push((id, (*sha).to_owned(), field("state"), field("description")));
                (201, json!({"id": id}))
            }
            ("GET", ["merge_requests"]) => {
                let list: Vec<Value> = s
                    .merge_requests
                    .iter()
                    .filter(|m| {
                        r.query.get("state").map(String::as_str) == Some("opened")
                            && r.query.get("source_branch") == Some(&m.1)
                            && r.query.get("target_branch") == Some(&m.2)
                    })
                    .map(|m| json!({"iid": m.0}))
                    .collect();
                (200, Value::Array(list))
            }
            ("POST", ["merge_requests"]) => {
                let iid = 20 + s.merge_requests.len() as u64;
                s.merge_requests.push((
                    iid,
                    field("source_branch"),
                    field("target_branch"),
                    field("title"),
                ));
                (201, json!({"iid": iid}))
            }
            ("PUT", ["merge_requests", iid]) => {
                match s
                    .merge_requests
                    .iter_mut()
                    .find(|m| m.0.to_string() == *iid)
                {
                    Some(m) => {
                        m.3 = field("title");
                        (200, json!({"iid": m.0}))
                    }
                    None => (404, json!({"message": "404 Not found"})),
                }
            }
            _ => (404, json!({"message": "404 Not found"})),
        }
    });
    (fake, state)
}

#[test]
fn gitlab_schedule_reports_on_each_merge_request_and_retires_what_succeeded() {
    let user = user_repo();
    let (api, gitlab) = fake_gitlab(&user.added);
    // The job pushes to GitLab's URL with the push token; git is pointed at
    // the origin for exactly that URL (so a push without the token would fail).
    let remote = "http://dagster-scripts:push-token@gitlab.example:80/acme/requests.git";
    let env = |retire: &str| {
        vec![
            ("CI_PROJECT_DIR", user.path().display().to_string()),
            ("CI_API_V4_URL", format!("{}/api/v4", api.base)),
            ("CI_PROJECT_ID", "7".to_owned()),
            ("CI_PROJECT_PATH", "acme/requests".to_owned()),
            ("CI_DEFAULT_BRANCH", "main".to_owned()),
            ("CI_SERVER_PROTOCOL", "http".to_owned()),
            ("CI_SERVER_HOST", "gitlab.example".to_owned()),
            ("CI_SERVER_PORT", "80".to_owned()),
            ("DAGSTER_SCRIPTS_REPORT_TOKEN", GL_TOKEN.to_owned()),
            ("DAGSTER_SCRIPTS_PUSH_TOKEN", "push-token".to_owned()),
            ("DAGSTER_SCRIPTS_RETIRE", retire.to_owned()),
            ("DAGSTER_URL", dagster().base_url.clone()),
            ("GIT_CONFIG_COUNT", "1".to_owned()),
            (
                "GIT_CONFIG_KEY_0",
                format!("url.{}.insteadOf", user.origin().display()),
            ),
            ("GIT_CONFIG_VALUE_0", remote.to_owned()),
        ]
    };

    let report = gitlab_lines("dagster-scripts:report");
    let first = run_script(&user, &report, &env("merge-request"), "report, run 1");
    let second = run_script(&user, &report, &env("merge-request"), "report, run 2");
    {
        let gl = gitlab.lock().unwrap();
        assert_eq!(gl.notes.len(), 2, "{:?}\n{first}\n{second}", gl.notes);
        let on = |iid: u64| &gl.notes.iter().find(|n| n.1 == iid).expect("a note").2;
        assert!(
            on(5).starts_with(MARKER) && on(5).contains("1 succeeded"),
            "{}",
            on(5)
        );
        assert!(
            on(6).contains("1 not launched") && on(6).contains(NEVER),
            "{}",
            on(6)
        );
        let calls = api.calls();
        let count = |call: &str| calls.iter().filter(|c| c.starts_with(call)).count();
        assert_eq!(
            count("POST /api/v4/projects/7/merge_requests/"),
            2,
            "{calls:#?}"
        );
        assert_eq!(
            count("PUT /api/v4/projects/7/merge_requests/"),
            2,
            "{calls:#?}"
        );
        // One status per commit: the second run sees it unchanged and posts none.
        let states: Vec<(&str, &str)> = gl
            .statuses
            .iter()
            .map(|s| (s.1.as_str(), s.2.as_str()))
            .collect();
        let mut want = vec![
            (user.added[0].as_str(), "success"),
            (user.added[1].as_str(), "running"),
        ];
        want.sort_unstable();
        let mut states = states;
        states.sort_unstable();
        assert_eq!(states, want);
        assert!(second.contains("is success already"), "{second}");
    }

    let retire = gitlab_lines("dagster-scripts:retire");
    retires_twice_then_commits(
        &user,
        &retire,
        [&env("merge-request"), &env("commit")],
        ("merge request", "!20"),
        || gitlab.lock().unwrap().merge_requests.clone(),
    );
}

/// The scheduled jobs' shape: when they run, with what rights.
#[test]
fn scheduled_jobs_run_on_the_schedule_only_with_least_privilege() {
    let wf = load(WORKFLOW);
    let on = if wf["on"].is_null() {
        &wf["true"]
    } else {
        &wf["on"]
    };
    assert!(on["schedule"][0]["cron"].is_string(), "{on}");
    assert!(on.get("workflow_dispatch").is_some(), "{on}");
    let jobs = &wf["jobs"];
    let scheduled = "github.event_name == 'schedule' || github.event_name == 'workflow_dispatch'";
    assert_eq!(jobs["report"]["if"], scheduled);
    assert_eq!(jobs["retire"]["if"], scheduled);
    assert_eq!(
        jobs["report"]["permissions"],
        json!({"contents": "read", "pull-requests": "write", "statuses": "write"})
    );
    assert_eq!(
        jobs["retire"]["permissions"],
        json!({"contents": "write", "pull-requests": "write"})
    );
    assert_eq!(
        jobs["retire"]["concurrency"]["group"], jobs["render"]["concurrency"]["group"],
        "a retire does not race a render"
    );

    let pipeline = load(PIPELINE);
    for job in ["dagster-scripts:report", "dagster-scripts:retire"] {
        let rules = &pipeline[job]["rules"];
        let rules = if rules.is_null() {
            let base = pipeline[job]["extends"].as_str().expect("extends");
            &pipeline[base]["rules"]
        } else {
            rules
        };
        assert_eq!(
            rules,
            &json!([{"if": "$CI_PIPELINE_SOURCE == \"schedule\""}]),
            "{job}"
        );
    }
    assert_eq!(
        pipeline["dagster-scripts:retire"]["resource_group"],
        pipeline["dagster-scripts:render"]["resource_group"]
    );
}

/// GitLab's scripts are not linted by actionlint: shellcheck them here.
#[test]
fn gitlab_scripts_pass_shellcheck() {
    for job in [
        "dagster-scripts:check",
        "dagster-scripts:plan",
        "dagster-scripts:render",
        "dagster-scripts:report",
        "dagster-scripts:retire",
    ] {
        let dir = tempfile::tempdir().expect("temp");
        let file = dir.path().join("script.sh");
        fs::write(&file, format!("#!/bin/bash\n{}\n", gitlab_lines(job))).expect("script");
        let out = tools::output(
            tools::command("shellcheck")
                .args(["--shell=bash"])
                .arg(&file),
            std::time::Duration::from_secs(60),
        );
        assert!(out.status.success(), "shellcheck {job}:\n{}", text(&out));
    }
}

/// The plan step runs `plan --resolve` when `DAGSTER_URL` is set and plain
/// `plan` (without an empty `DAGSTER_URL` in its environment) when it is
/// not. A stand-in for `dagster-scripts` records how it was called, then
/// runs the real binary (with a short `--timeout`): with a Dagster that
/// cannot be reached, the comment is the plain plan with a note saying so.
/// What `--resolve` finds in a reachable Dagster is `plan_resolve`'s business.
#[test]
fn github_plan_step_resolves_only_with_a_dagster_url() {
    let user = super::ci::user_repo();
    let u = user.path();
    let shim = tempfile::tempdir().expect("shim");
    let log = shim.path().join("calls");
    let script = format!(
        "#!/bin/bash\nprintf '%s DAGSTER_URL=%s\\n' \"$*\" \"${{DAGSTER_URL-unset}}\" >> '{}'\n\
         args=(\"$@\")\nfor a in \"$@\"; do [ \"$a\" = --resolve ] && args+=(--timeout 3s); done\n\
         exec '{}' \"${{args[@]}}\"\n",
        log.display(),
        env!("CARGO_BIN_EXE_dagster-scripts")
    );
    let bin = shim.path().join("dagster-scripts");
    fs::write(&bin, script).expect("shim");
    fs::set_permissions(&bin, std::os::unix::fs::PermissionsExt::from_mode(0o755)).expect("chmod");
    let wf = load(WORKFLOW);
    let step = step(&wf["jobs"]["plan"], "Plan against the base branch");
    let lines = step["run"].as_str().expect("run");
    for url in ["http://127.0.0.1:9", ""] {
        let env = [
            ("PATH", format!("{}:/usr/bin:/bin", shim.path().display())),
            ("RUNNER_TEMP", shim.path().display().to_string()),
            (
                "GITHUB_STEP_SUMMARY",
                shim.path().join("summary").display().to_string(),
            ),
            ("DAGSTER_URL", url.to_owned()),
        ];
        let out = bash(u, lines, &env);
        assert!(out.status.success(), "plan step:\n{}", text(&out));
        let plan = fs::read_to_string(shim.path().join("plan.md")).expect("plan");
        assert_eq!(
            plan.contains("could not be asked"),
            !url.is_empty(),
            "DAGSTER_URL={url}:\n{plan}"
        );
    }
    let calls = fs::read_to_string(&log).expect("calls");
    assert_eq!(
        calls,
        "plan --resolve --out .dagster-scripts-base/out DAGSTER_URL=http://127.0.0.1:9\n\
         plan --out .dagster-scripts-base/out DAGSTER_URL=unset\n"
    );
    let plan = fs::read_to_string(shim.path().join("plan.md")).expect("plan");
    assert!(
        plan.starts_with("<!-- dagster-scripts plan -->\n"),
        "{plan}"
    );
}

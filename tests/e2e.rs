//! The whole flow on one machine, as a user and a cluster would play it:
//! `new` → edit → `check` → `render` → run the rendered Job's container
//! exactly as Kubernetes would (its command, args and environment, the
//! ConfigMap laid out as a mounted volume) against a real Dagster → the
//! backfill happened, once, even when the Job runs twice → `status` reports
//! it succeeded → `retire` moves the spec to `specs/done/` and its Job leaves
//! `out/`. Before the merge, `plan --resolve` says the merge launches it.

use std::fs;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

use dagster_test_server::dagster;
use serde_json::Value;

use crate::support::{outcome, run, temp_dir, tools};

/// The runner binary of this workspace (`$DAGSTER_SCRIPTS_RUNNER`, or built
/// beside this test's compiler binary: a test binary cannot depend on another
/// package's binary, and a stale one would test old code).
pub fn runner() -> PathBuf {
    if let Some(path) = std::env::var_os("DAGSTER_SCRIPTS_RUNNER") {
        return PathBuf::from(path);
    }
    let cargo = std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
    let manifest = crate::support::repo().join("Cargo.toml");
    let built = tools::output(
        Command::new(cargo)
            .args([
                "build",
                "--locked",
                "-p",
                "dagster-scripts-runner",
                "--manifest-path",
            ])
            .arg(manifest),
        Duration::from_secs(900),
    );
    assert!(
        built.status.success(),
        "building the runner failed: {}",
        String::from_utf8_lossy(&built.stderr)
    );
    let path =
        Path::new(env!("CARGO_BIN_EXE_dagster-scripts")).with_file_name("dagster-scripts-runner");
    assert!(path.exists(), "no runner at {}", path.display());
    path
}

/// Lays out a ConfigMap's data the way the kubelet mounts it: the files in a
/// timestamped folder, `..data` pointing at it, and each key a link through `..data`.
fn mount_config_map(config_map: &Value, dir: &Path) {
    let data = dir.join("..2026_11_23_00_00_00.000000001");
    fs::create_dir_all(&data).unwrap();
    for (key, value) in config_map["data"].as_object().expect("ConfigMap data") {
        fs::write(data.join(key), value.as_str().expect("text data")).unwrap();
        std::os::unix::fs::symlink(Path::new("..data").join(key), dir.join(key)).unwrap();
    }
    std::os::unix::fs::symlink(data.file_name().unwrap(), dir.join("..data")).unwrap();
}

/// Runs the Job's only container as Kubernetes would, with the ConfigMap mounted at `mount`.
fn run_job(job: &Value, mount_root: &Path) -> (i32, String) {
    let pod = &job["spec"]["template"]["spec"];
    let container = &pod["containers"][0];
    let volume = pod["volumes"][0]["name"].as_str().unwrap();
    let mount = container["volumeMounts"]
        .as_array()
        .unwrap()
        .iter()
        .find(|m| m["name"] == volume)
        .expect("the volume is mounted");
    let mount_path = mount["mountPath"].as_str().unwrap();
    // The one translation: the container's absolute mount path lives under a temp dir here.
    let host = |p: &str| {
        p.strip_prefix(mount_path).map_or_else(
            || p.to_owned(),
            |rest| format!("{}{rest}", mount_root.display()),
        )
    };
    let command: Vec<&str> = container["command"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_str().unwrap())
        .collect();
    let args: Vec<String> = container["args"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| host(v.as_str().unwrap()))
        .collect();
    assert_eq!(
        command,
        ["dagster-scripts-runner"],
        "the image's entrypoint name"
    );
    let runner = runner();
    // Found on PATH, as in the image.
    let mut cmd = Command::new(command[0]);
    cmd.env_clear()
        .env("PATH", runner.parent().unwrap())
        .args(&args);
    for var in container["env"].as_array().unwrap() {
        cmd.env(
            var["name"].as_str().unwrap(),
            var["value"].as_str().expect("plain env values"),
        );
    }
    let out = tools::output(&mut cmd, Duration::from_secs(600));
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

#[test]
fn from_a_new_spec_to_a_finished_backfill_launched_once() {
    let server = dagster();
    let repo = temp_dir();
    let d = repo.path();

    // new
    let (code, out, err) = outcome(&run(d, &["new", "91001"]));
    assert_eq!(code, 0, "{err}");
    let spec_path = d.join(out.trim());
    // edit: the job, its location and the partitions to backfill
    let text = fs::read_to_string(&spec_path).unwrap();
    let edited = text
        .replace("job_name: <job> ", "job_name: ingestion_job ")
        .replace(
            "# repository_name: my_location  ",
            "repository_name: luchtmeetnet_ingestion",
        )
        .replace("<why it is needed>", "Station NL01497 sent bad readings")
        .replace("<who asked>", "jane.doe@example.com")
        .replace("start_date: <YYYY-MM-DD>", "start_date: \"2024-01-31\"")
        .replace("end_date: <YYYY-MM-DD>", "end_date: \"2024-02-01\"")
        .replace("  # - name: stations ", "  - name: stations   ")
        .replace("  #   values: [NL01497, NL01912]", "    values: [NL01497]")
        .replace("  - name: <dimension>", "  - name: daily");
    assert_ne!(edited, text);
    fs::write(&spec_path, &edited).unwrap();
    // check
    let (code, _, err) = outcome(&run(d, &["check"]));
    assert_eq!(code, 0, "{err}\n{edited}");
    // render, pointing the Job at the real Dagster
    fs::write(
        d.join("dagster-scripts.toml"),
        format!(
            "namespace = \"dagster\"\n[dagster]\nurl = \"{}\"\n",
            server.base_url
        ),
    )
    .unwrap();
    // plan --resolve, as CI comments it on the pull request: resolved
    // against the real Dagster, nothing launched yet, so the merge launches.
    let (code, plan, err) = outcome(&run(d, &["plan", "--resolve", "--format", "json"]));
    assert_eq!(code, 0, "{err}");
    let plan: Value = serde_json::from_str(&plan).unwrap();
    assert_eq!(plan["dagster"]["asked"], true, "{plan}");
    let resolved = &plan["changes"][0]["resolved"];
    assert_eq!(resolved["effect"], "launches", "{plan}");
    assert_eq!(resolved["partitions"], 2, "{plan}");
    // status before the merge: never launched, which is "not yet" (exit 3).
    let (code, _, err) = outcome(&run(d, &["status"]));
    assert_eq!(code, 3, "{err}");
    let (code, _, err) = outcome(&run(d, &["render"]));
    assert_eq!(code, 0, "{err}");
    let manifest = d.join("out/backfill-91001.yaml");
    let text = fs::read_to_string(&manifest).unwrap();
    let docs = dagster_scripts::read::yaml::parse_documents(&text, &manifest).unwrap();
    let (job, config_map) = (&docs[0], &docs[1]);
    let request = job["metadata"]["annotations"]["dagster-scripts/request-hash"]
        .as_str()
        .unwrap()
        .to_owned();

    // Apply: the ConfigMap becomes a volume, the Job's container runs.
    let mount = temp_dir();
    mount_config_map(config_map, mount.path());
    let (code, log) = run_job(job, mount.path());
    assert_eq!(
        code, 0,
        "the first run launches and follows the backfill:\n{log}"
    );
    let backfills = server.backfills_tagged("dagster-scripts/request", &request);
    assert_eq!(backfills.len(), 1, "{backfills:?}\n{log}");
    let b = &backfills[0];
    assert_eq!(b["status"], "COMPLETED_SUCCESS", "{b}");
    assert_eq!(b["jobName"], "ingestion_job");
    let mut keys: Vec<&str> = b["partitionNames"]
        .as_array()
        .unwrap()
        .iter()
        .map(|k| k.as_str().unwrap())
        .collect();
    keys.sort_unstable();
    assert_eq!(keys, ["2024-01-31|NL01497", "2024-02-01|NL01497"]);
    assert!(
        b["tags"]
            .as_array()
            .unwrap()
            .iter()
            .any(|t| t["key"] == "dagster-scripts/issue" && t["value"] == "91001"),
        "{b}"
    );

    // Flux re-applies, or the TTL-less Job is re-created: the Job runs again.
    let (code, log) = run_job(job, mount.path());
    assert_eq!(
        code, 0,
        "the second run finds the finished backfill:\n{log}"
    );
    assert_eq!(
        server
            .backfills_tagged("dagster-scripts/request", &request)
            .len(),
        1,
        "still one backfill"
    );

    // The result goes back to git: status says it succeeded (exit 0), with
    // the backfill and a link into Dagster's UI, as the scheduled CI job
    // posts it on the pull request.
    let (code, comment, err) = outcome(&run(d, &["status", "--format", "markdown"]));
    assert_eq!(code, 0, "{err}");
    let id = b["id"].as_str().unwrap();
    assert!(comment.contains("succeeded"), "{comment}");
    assert!(
        comment.contains(&format!(
            "{}/runs/b/{id}",
            server.base_url.trim_end_matches('/')
        )),
        "{comment}"
    );
    // ... and the finished request retires: the spec moves to specs/done/
    // (its modeline fixed), and its Job leaves out/.
    let (code, _, err) = outcome(&run(d, &["retire", "specs/backfill-91001.yaml"]));
    assert_eq!(code, 0, "{err}");
    let retired = fs::read_to_string(d.join("specs/done/backfill-91001.yaml")).unwrap();
    assert_eq!(
        retired,
        edited.replacen("$schema=../schema/", "$schema=../../schema/", 1)
    );
    let (code, _, err) = outcome(&run(d, &["render"]));
    assert_eq!(code, 0, "{err}");
    assert!(!manifest.exists(), "the retired request's Job left out/");
    let (code, _, err) = outcome(&run(d, &["check"]));
    assert_eq!(code, 0, "{err}");
    let (code, _, err) = outcome(&run(d, &["status"]));
    assert_eq!(code, 0, "a retired request's status is still known: {err}");
}

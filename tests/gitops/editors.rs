//! The editor set-up in docs/editors.md, driven through the real
//! `yaml-language-server` (what VS Code's YAML extension and Neovim's yamlls
//! run): a spec whose modeline points at `schema/spec.schema.json` gets the
//! schema's keys as completions, at the top level and inside a partition
//! dimension, and a typo'd key gets a diagnostic; what `dagster-scripts new`
//! writes gets none; and a spec `retire` moved into specs/done/ keeps both.

use std::path::Path;
use std::time::{Duration, Instant};

use serde_json::{Value, json};

use super::lsp::{Client, WAIT};
use super::text;
use crate::support::{repo, tools};

/// The modeline README and `dagster-scripts new` put at the top of a spec.
const MODELINE: &str = "# yaml-language-server: $schema=../schema/spec.schema.json\n";

/// A repository layout in a temp dir: the committed schema and a specs/ folder.
fn workspace() -> tempfile::TempDir {
    let dir = tempfile::tempdir().expect("workspace");
    std::fs::create_dir_all(dir.path().join("schema")).expect("schema dir");
    std::fs::create_dir_all(dir.path().join("specs")).expect("specs dir");
    std::fs::copy(
        repo().join("schema/spec.schema.json"),
        dir.path().join("schema/spec.schema.json"),
    )
    .expect("schema");
    dir
}

/// Settings as VS Code and Neovim send them: validation and completion on,
/// no downloads (no schema store, no CRD store): the modeline names the schema.
fn settings() -> Value {
    json!({"yaml": {
        "validate": true,
        "completion": true,
        "hover": true,
        "schemaStore": {"enable": false},
        "kubernetesCRDStore": {"enable": false},
        "schemas": {},
    }})
}

fn server(root: &Path) -> Client {
    let mut cmd = tools::command("yaml-language-server");
    cmd.arg("--stdio");
    let mut client = Client::start(cmd, root, settings());
    // The server asks for its settings after `initialized`; completions
    // asked before it has them come back empty.
    let deadline = Instant::now() + WAIT;
    while client.configuration_requests == 0 && Instant::now() < deadline {
        client.pump_until(Duration::from_millis(50), |_| false);
    }
    client
}

fn assert_offers(labels: &[String], wanted: &[&str], at: &str) {
    for key in wanted {
        assert!(
            labels.iter().any(|l| l == key),
            "`{key}` not offered {at}; offered: {labels:?}"
        );
    }
}

#[test]
fn language_server_completes_spec_keys_from_the_modeline_schema() {
    let ws = workspace();
    let mut lsp = server(ws.path());

    // Top level, on the empty line after the modeline.
    let top = lsp.open(&ws.path().join("specs/top.yaml"), &format!("{MODELINE}\n"));
    let labels = lsp.completion_labels(&top, 1, 0);
    assert_offers(
        &labels,
        &["job_name", "repository_name", "tags", "kind", "run_config"],
        "at the top level",
    );
    assert!(
        !labels.iter().any(|l| l == "start_date"),
        "partition keys offered at the top level: {labels:?}"
    );

    // Inside a partition dimension that has only its name so far.
    let spec = format!(
        "{MODELINE}job_name: ingestion_job\ntags:\n  name: \"34543\"\n  partitions:\n  - name: daily\n    \n"
    );
    let inner = lsp.open(&ws.path().join("specs/partition.yaml"), &spec);
    let labels = lsp.completion_labels(&inner, 6, 4);
    assert_offers(
        &labels,
        &["start_date", "end_date", "values", "all"],
        "inside a partition",
    );
    assert!(
        !labels.iter().any(|l| l == "job_name"),
        "top-level keys offered inside a partition: {labels:?}"
    );

    // Inside tags.
    let spec = format!("{MODELINE}job_name: ingestion_job\ntags:\n  \n");
    let tags = lsp.open(&ws.path().join("specs/tags.yaml"), &spec);
    let labels = lsp.completion_labels(&tags, 3, 2);
    assert_offers(
        &labels,
        &["name", "partitions", "reason", "requester"],
        "inside tags",
    );
}

#[test]
fn language_server_flags_a_typo_and_each_placeholder_new_writes() {
    let ws = workspace();
    let mut lsp = server(ws.path());

    let spec = format!(
        "{MODELINE}job_nme: ingestion_job\ntags:\n  name: \"34543\"\n  partitions:\n  - name: daily\n    values: [a]\n"
    );
    let typo = lsp.open(&ws.path().join("specs/typo.yaml"), &spec);
    let found = lsp.diagnostics_for(&typo, |d| !d.is_empty());
    let on_typo: Vec<&Value> = found
        .iter()
        .filter(|d| d["range"]["start"]["line"] == 1)
        .collect();
    assert!(
        !on_typo.is_empty(),
        "no diagnostic on the `job_nme` line: {found:#?}"
    );
    let messages: Vec<&str> = found.iter().filter_map(|d| d["message"].as_str()).collect();
    assert!(
        messages
            .iter()
            .any(|m| m.contains("job_nme") || m.contains("not allowed")),
        "no message about the unknown key: {messages:?}"
    );
    assert!(
        messages.iter().any(|m| m.contains("job_name")),
        "no message about the missing job_name: {messages:?}"
    );

    // `dagster-scripts new` writes the modeline and <placeholders>: the editor
    // flags each one (as `check` does), and nothing once they are filled in.
    let out = tools::output(
        std::process::Command::new(env!("CARGO_BIN_EXE_dagster-scripts"))
            .args(["new", "91001"])
            .current_dir(ws.path()),
        Duration::from_secs(30),
    );
    assert!(out.status.success(), "dagster-scripts new:\n{}", text(&out));
    let path = ws.path().join("specs/backfill-91001.yaml");
    let scaffold = std::fs::read_to_string(&path).expect("the new spec");
    assert!(
        scaffold.starts_with(MODELINE),
        "`new` writes another modeline:\n{scaffold}"
    );
    let placeholder_lines: Vec<u64> = (0u64..)
        .zip(scaffold.lines())
        .filter(|(_, l)| !l.trim_start().starts_with('#') && l.contains('<'))
        .map(|(i, _)| i)
        .collect();
    let new = lsp.open(&path, &scaffold);
    let flagged = lsp.diagnostics_for(&new, |d| !d.is_empty());
    let mut lines: Vec<u64> = flagged
        .iter()
        .filter_map(|d| d["range"]["start"]["line"].as_u64())
        .collect();
    lines.sort_unstable();
    lines.dedup();
    assert_eq!(
        lines, placeholder_lines,
        "the editor flags each placeholder `new` wrote: {flagged:#?}"
    );
    let filled = scaffold
        .replace("<job>", "ingestion_job")
        .replace("<why it is needed>", "Station NL01497 sent bad readings")
        .replace("<who asked>", "jane.doe@example.com")
        .replace("<dimension>", "daily")
        .replace("<YYYY-MM-DD>", "2024-01-31");
    let done = lsp.open(&ws.path().join("specs/filled.yaml"), &filled);
    let clean = lsp.diagnostics_for(&done, |_| true);
    assert!(
        clean.is_empty(),
        "diagnostics on the filled-in scaffold: {clean:#?}"
    );
    assert!(
        lsp.configuration_requests > 0,
        "the server never asked for its settings"
    );
}

/// `dagster-scripts retire` moves specs one folder down, into specs/done/:
/// each relative modeline form users write (`../`, `./../`, `$schema:`, a
/// sub-folder two deep) still leads yaml-language-server to the schema from
/// there (completion and validation), and an absolute URL is left as it is.
#[test]
fn a_retired_spec_keeps_completion_and_validation_from_its_modeline() {
    let ws = workspace();
    let specs = [
        (
            "specs/backfill-98010.yaml",
            "# yaml-language-server: $schema=../schema/spec.schema.json\n",
        ),
        (
            "specs/team/backfill-98011.yaml",
            "# yaml-language-server: $schema=./../../schema/spec.schema.json\n",
        ),
        (
            "specs/team/daily/backfill-98012.yaml",
            "# $schema: ../../../schema/spec.schema.json\n",
        ),
    ];
    let url = "# yaml-language-server: $schema=https://schemas.example.invalid/spec.schema.json\n";
    let mut lsp = server(ws.path());
    let mut files = Vec::new();
    for (i, (path, modeline)) in specs.iter().enumerate() {
        let issue = format!("9801{i}");
        let text = format!(
            "{modeline}{}",
            crate::support::SEED
                .replace("34543", &issue)
                .replace("ingestion_job", &format!("ingestion_job_{issue}"))
        );
        let full = ws.path().join(path);
        std::fs::create_dir_all(full.parent().expect("a folder")).expect("spec folder");
        // The modeline works where the spec starts (so the test means something).
        offers_and_flags(&mut lsp, &full, modeline);
        std::fs::write(&full, &text).expect("spec");
        files.push((*path, text));
    }
    let kept = ws.path().join("specs/backfill-98013.yaml");
    let kept_text = format!(
        "{url}{}",
        crate::support::SEED
            .replace("34543", "98013")
            .replace("ingestion_job", "ingestion_job_98013")
    );
    std::fs::write(&kept, &kept_text).expect("spec");

    let out = tools::output(
        std::process::Command::new(env!("CARGO_BIN_EXE_dagster-scripts"))
            .arg("retire")
            .args(files.iter().map(|(p, _)| *p))
            .arg("specs/backfill-98013.yaml")
            .current_dir(ws.path()),
        Duration::from_secs(30),
    );
    assert!(
        out.status.success(),
        "dagster-scripts retire:\n{}",
        text(&out)
    );

    for (path, before) in &files {
        let done = ws.path().join(path.replacen("specs/", "specs/done/", 1));
        let retired = std::fs::read_to_string(&done).expect("the retired spec");
        let (modeline, body) = retired.split_once('\n').expect("a modeline line");
        assert_eq!(
            body,
            before.split_once('\n').expect("a modeline line").1,
            "only the modeline changes"
        );
        offers_and_flags(&mut lsp, &done, &format!("{modeline}\n"));
        // The retired file as it is: valid for the editor, as for `check`.
        let uri = lsp.open(&done, &retired);
        let clean = lsp.diagnostics_for(&uri, |_| true);
        assert!(clean.is_empty(), "{}: {clean:#?}", done.display());
    }
    assert_eq!(
        std::fs::read_to_string(ws.path().join("specs/done/backfill-98013.yaml"))
            .expect("the retired spec"),
        kept_text,
        "a URL is the same from any folder"
    );
}

/// In the folder of `path`, a document holding `modeline` gets the schema's
/// top-level keys as completions, and a typo'd key under it a diagnostic
/// (each in a document of its own, removed afterwards).
fn offers_and_flags(lsp: &mut Client, path: &Path, modeline: &str) {
    let at = |name: &str| path.with_file_name(name);
    let (completed, typo) = (at("probe-completion.yaml"), at("probe-typo.yaml"));
    let uri = lsp.open(&completed, &format!("{modeline}\n"));
    let labels = lsp.completion_labels(&uri, 1, 0);
    assert_offers(
        &labels,
        &["job_name", "tags", "kind"],
        &format!("in {}", path.display()),
    );
    let uri = lsp.open(&typo, &format!("{modeline}job_nme: ingestion_job\n"));
    let found = lsp.diagnostics_for(&uri, |d| d.iter().any(|d| d["range"]["start"]["line"] == 1));
    assert!(
        found
            .iter()
            .filter_map(|d| d["message"].as_str())
            .any(|m| m.contains("job_nme") || m.contains("not allowed")),
        "{}: no diagnostic on the typo: {found:#?}",
        path.display()
    );
    for probe in [completed, typo] {
        std::fs::remove_file(probe).expect("remove the probe");
    }
}

//! `out/_network-policy.yaml`: runner pods reach Dagster's webserver pods
//! (when the settings say where they run) on the port those pods listen on,
//! and DNS; checked through `kubectl kustomize out/`, kubernetes-validate
//! (strict) and checkov, as the cluster and its gatekeepers read it.

use std::fs;
use std::path::Path;

use serde_json::{Value, json};

use crate::support::{SEED, kube, outcome, repo_with, run, tools};

const DIGEST: &str = "image = \"ghcr.io/dagster-scripts/runner:0.1.0@sha256:8d3c1b5b0a4e5f6d7c8b9a0f1e2d3c4b5a69788776655443322110ffeeddccbb\"\n";

/// The official Helm chart's webserver, installed as release `dagster`,
/// behind a Service on port 80 whose pods listen on 3000.
const PINNED: &str = "[dagster]
url = \"http://dagster-dagster-webserver.dagster.svc.cluster.local:80\"
namespace = \"dagster\"
target_port = 3000
[dagster.pod_labels]
\"app.kubernetes.io/name\" = \"dagster\"
\"app.kubernetes.io/instance\" = \"dagster\"
component = \"dagster-webserver\"
";

/// A repository with the seed spec and `settings`, rendered.
fn rendered(settings: &str) -> tempfile::TempDir {
    let dir = repo_with(&[("backfill-34543.yaml", SEED.as_bytes())]);
    fs::write(dir.path().join("dagster-scripts.toml"), settings).unwrap();
    let (code, _, err) = outcome(&run(dir.path(), &["render"]));
    assert_eq!(code, 0, "{err}");
    dir
}

/// The NetworkPolicy in `kubectl kustomize out/`: what Flux and Argo CD apply.
fn applied_policy(dir: &Path) -> Value {
    let text = kube::kustomize_output(&dir.join("out"));
    let mut policies: Vec<Value> = tools::yaml_text_documents(&text)
        .into_iter()
        .filter(|d| d["kind"] == "NetworkPolicy")
        .collect();
    assert_eq!(policies.len(), 1, "{text}");
    policies.remove(0)
}

fn validate_strictly(file: &Path) {
    let text = kube::validate(&[file], "1.32");
    assert!(
        text.contains("passed for resource networkpolicy/"),
        "{text}"
    );
}

#[test]
fn runner_pods_reach_only_dagsters_webserver_pods_on_their_own_port() {
    let dir = rendered(&format!("{DIGEST}{PINNED}"));
    let policy = applied_policy(dir.path());
    assert_eq!(policy["metadata"]["namespace"], "dagster-scripts");
    assert_eq!(
        policy["spec"]["podSelector"]["matchLabels"],
        json!({"app.kubernetes.io/name": "dagster-scripts-runner"})
    );
    assert_eq!(policy["spec"]["ingress"], json!([]));
    let egress = policy["spec"]["egress"].as_array().unwrap();
    assert_eq!(egress.len(), 2, "Dagster and DNS: {egress:#?}");
    assert_eq!(
        egress[0],
        json!({
            "to": [{
                "namespaceSelector": {"matchLabels": {"kubernetes.io/metadata.name": "dagster"}},
                "podSelector": {"matchLabels": {
                    "app.kubernetes.io/name": "dagster",
                    "app.kubernetes.io/instance": "dagster",
                    "component": "dagster-webserver",
                }},
            }],
            // The pods' port (the Service's targetPort), not the URL's 80.
            "ports": [{"protocol": "TCP", "port": 3000}],
        })
    );
    assert_eq!(
        egress[1]["ports"],
        json!([{"protocol": "UDP", "port": 53}, {"protocol": "TCP", "port": 53}])
    );
    let file = dir.path().join("out/_network-policy.yaml");
    let text = fs::read_to_string(&file).unwrap();
    assert!(
        text.contains("the pods labelled app.kubernetes.io/instance=dagster,app.kubernetes.io/name=dagster,component=dagster-webserver in namespace dagster on port 3000"),
        "{text}"
    );
    validate_strictly(&file);

    // checkov on the whole of out/, the policy with the Job it guards.
    kube::checkov_passes(&dir.path().join("out"));

    // Only the namespace: every pod of it.
    let dir = rendered("[dagster]\nurl = \"https://dagster.internal\"\nnamespace = \"data\"\n");
    let policy = applied_policy(dir.path());
    assert_eq!(
        policy["spec"]["egress"][0],
        json!({
            "to": [{"namespaceSelector": {"matchLabels": {"kubernetes.io/metadata.name": "data"}}}],
            "ports": [{"protocol": "TCP", "port": 443}],
        })
    );
    validate_strictly(&dir.path().join("out/_network-policy.yaml"));
}

#[test]
fn without_dagsters_namespace_the_policy_allows_any_address_and_says_so() {
    let dir = rendered("[dagster]\nurl = \"http://dagster.example:8080/prefix\"\n");
    let policy = applied_policy(dir.path());
    assert_eq!(
        policy["spec"]["egress"][0],
        json!({"ports": [{"protocol": "TCP", "port": 8080}]}),
        "no `to`: any address, on the URL's port"
    );
    let text = fs::read_to_string(dir.path().join("out/_network-policy.yaml")).unwrap();
    assert!(
        text.contains("# Runner pods may reach ANY address on port 8080 (set `[dagster] namespace` and `pod_labels`"),
        "{text}"
    );
}

#[test]
fn dagsters_location_is_checked_where_the_settings_write_it() {
    for (settings, at, says) in [
        (
            "[dagster]\npod_labels = { component = \"dagster-webserver\" }\n",
            ":1:1",
            "`pod_labels` needs `namespace`",
        ),
        (
            "namespace = \"a\"\n[dagster.pod_labels]\ncomponent = \"x\"\n",
            ":2:2",
            "`pod_labels` needs `namespace`",
        ),
        (
            "[dagster]\nnamespace = \"dagster\"\npod_labels = { \"-bad\" = \"x\" }\n",
            ":3:16",
            "`-bad` is not a label key",
        ),
        (
            "[dagster]\nnamespace = \"dagster\"\npod_labels = { app = \"a b\" }\n",
            ":3:22",
            "`a b` is not a label value",
        ),
        (
            "[dagster]\nnamespace = \"Dagster\"\n",
            ":2:13",
            "`Dagster` is not a DNS label",
        ),
        (
            "[dagster]\ntarget_port = 0\n",
            ":2:15",
            "`0` is not a TCP port (1 to 65535)",
        ),
        (
            "[dagster]\ntarget_port = 70000\n",
            ":2:15",
            "`70000` is not a TCP port",
        ),
        (
            "[dagster]\ntarget_port = \"3000\"\n",
            ":2:15",
            "invalid type",
        ),
    ] {
        let dir = repo_with(&[("backfill-34543.yaml", SEED.as_bytes())]);
        fs::write(dir.path().join("dagster-scripts.toml"), settings).unwrap();
        let (code, _, err) = outcome(&run(dir.path(), &["render"]));
        assert_eq!(code, 2, "{settings}: {err}");
        assert!(
            err.contains(&format!("dagster-scripts.toml{at}")) && err.contains(says),
            "{settings}: {err}"
        );
        assert!(!dir.path().join("out").exists(), "nothing rendered");
    }
}

//! `[pod]` and `[dagster] ca_bundle`: a Job with every scheduling setting
//! and a private CA's bundle passes kubernetes-validate (strict), checkov
//! and `kubectl kustomize` (read back by a YAML 1.1 reader, as go-yaml
//! reads it: every string stays a string); every bad setting is refused at
//! its `file:line:col` with a hint; a repository without them renders what
//! it always did.

use std::fs;
use std::path::Path;

use serde_json::{Value, json};

use crate::support::{SEED, kube, outcome, repo, repo_with, run};

/// Every pod setting, with values YAML 1.1 would read as something else
/// (`yes`, `on`, `0755`, `false`), and a CA bundle in a ConfigMap.
const FULL: &str = r#"image = "ghcr.io/dagster-scripts/runner:0.1.0@sha256:8d3c1b5b0a4e5f6d7c8b9a0f1e2d3c4b5a69788776655443322110ffeeddccbb"
labels = { team = "data" }

[dagster]
url = "https://dagster.corp.example"
ca_bundle = { config_map = "corp-ca", key = "ca.crt" }

[pod]
image_pull_secrets = ["regcred", "mirror.cred"]
priority_class_name = "batch-low"
node_selector = { "cloud.google.com/gke-nodepool" = "batch", "example.com/yes" = "yes" }
labels = { "sidecar.istio.io/inject" = "false", "cost-center" = "0755" }
annotations = { "sidecar.istio.io/inject" = "false", "linkerd.io/inject" = "disabled", "example.com/note" = "on", "cluster-autoscaler.kubernetes.io/safe-to-evict" = "false" }

[[pod.tolerations]]
key = "dedicated"
operator = "Equal"
value = "on"
effect = "NoSchedule"

[[pod.tolerations]]
key = "node.kubernetes.io/unreachable"
operator = "Exists"
effect = "NoExecute"
toleration_seconds = 300

[pod.affinity.node_affinity.required_during_scheduling_ignored_during_execution]
node_selector_terms = [
  { match_expressions = [
      { key = "topology.kubernetes.io/zone", operator = "In", values = ["europe-west4-a", "no"] },
      { key = "example.com/cpu-generation", operator = "Gt", values = ["3"] },
  ] },
  { match_fields = [{ key = "metadata.name", operator = "NotIn", values = ["node-7"] }] },
]

[[pod.affinity.node_affinity.preferred_during_scheduling_ignored_during_execution]]
weight = 50
preference = { match_expressions = [{ key = "example.com/spot", operator = "DoesNotExist" }] }

[[pod.affinity.pod_affinity.required_during_scheduling_ignored_during_execution]]
topology_key = "topology.kubernetes.io/zone"
namespaces = ["dagster"]
label_selector = { match_expressions = [{ key = "component", operator = "In", values = ["dagster-webserver"] }] }

[[pod.affinity.pod_anti_affinity.preferred_during_scheduling_ignored_during_execution]]
weight = 100
pod_affinity_term = { topology_key = "kubernetes.io/hostname", label_selector = { match_labels = { "app.kubernetes.io/name" = "dagster-scripts-runner" } }, namespace_selector = {} }
"#;

/// The repository's specs rendered with `settings` into a temporary `out/`.
fn rendered(settings: &str) -> tempfile::TempDir {
    let dir = crate::support::temp_dir();
    fs::create_dir(dir.path().join("specs")).unwrap();
    for entry in fs::read_dir(repo().join("specs")).unwrap().flatten() {
        if entry.path().is_file() {
            fs::copy(
                entry.path(),
                dir.path().join("specs").join(entry.file_name()),
            )
            .unwrap();
        }
    }
    fs::write(dir.path().join("dagster-scripts.toml"), settings).unwrap();
    let (code, _, err) = outcome(&run(dir.path(), &["render"]));
    assert_eq!(code, 0, "{err}");
    dir
}

fn manifests(out: &Path) -> Vec<String> {
    let mut files: Vec<String> = fs::read_dir(out)
        .unwrap()
        .flatten()
        .map(|e| e.path().to_string_lossy().into_owned())
        .filter(|p| p.ends_with(".yaml") && !p.ends_with("kustomization.yaml"))
        .collect();
    files.sort();
    assert!(files.len() >= 5, "{files:?}");
    files
}

#[test]
fn every_pod_setting_and_a_ca_bundle_pass_kubernetes_validate_strictly() {
    let dir = rendered(FULL);
    let files = manifests(&dir.path().join("out"));
    for version in kube::VERSIONS {
        let text = kube::validate(&files, version);
        assert_eq!(
            text.matches(" passed for resource job/").count(),
            files.len() - 1,
            "{text}"
        );
    }
}

#[test]
fn every_pod_setting_and_a_ca_bundle_pass_every_checkov_check() {
    let dir = rendered(FULL);
    let summary = kube::checkov_passes(&dir.path().join("out"));
    assert!(
        summary["passed"].as_u64().unwrap_or(0) >= 80 * 4,
        "every check ran on every manifest: {summary}"
    );
}

#[test]
fn kustomize_reads_every_pod_setting_back_as_written() {
    let dir = rendered(FULL);
    let docs = kube::kustomize(&dir.path().join("out"));
    let jobs: Vec<&Value> = docs.iter().filter(|d| d["kind"] == "Job").collect();
    assert!(jobs.len() >= 5, "{}", jobs.len());
    for job in jobs {
        let meta = &job["spec"]["template"]["metadata"];
        let pod = &job["spec"]["template"]["spec"];
        let labels = &meta["labels"];
        assert_eq!(labels["sidecar.istio.io/inject"], "false");
        assert_eq!(labels["cost-center"], "0755");
        assert_eq!(labels["team"], "data");
        // The NetworkPolicy still selects the pod.
        assert_eq!(labels["app.kubernetes.io/name"], "dagster-scripts-runner");
        assert_eq!(
            meta["annotations"],
            json!({
                "sidecar.istio.io/inject": "false",
                "linkerd.io/inject": "disabled",
                "example.com/note": "on",
                "cluster-autoscaler.kubernetes.io/safe-to-evict": "false",
            })
        );
        // Pod annotations are the pod's only.
        assert!(
            job["metadata"]["annotations"]
                .get("linkerd.io/inject")
                .is_none()
        );
        assert_eq!(pod["priorityClassName"], "batch-low");
        assert_eq!(
            pod["imagePullSecrets"],
            json!([{ "name": "regcred" }, { "name": "mirror.cred" }])
        );
        assert_eq!(
            pod["nodeSelector"],
            json!({ "cloud.google.com/gke-nodepool": "batch", "example.com/yes": "yes" })
        );
        assert_eq!(
            pod["tolerations"],
            json!([
                { "key": "dedicated", "operator": "Equal", "value": "on", "effect": "NoSchedule" },
                { "key": "node.kubernetes.io/unreachable", "operator": "Exists", "effect": "NoExecute", "tolerationSeconds": 300 },
            ])
        );
        assert_eq!(
            pod["affinity"]["nodeAffinity"]["requiredDuringSchedulingIgnoredDuringExecution"],
            json!({ "nodeSelectorTerms": [
                { "matchExpressions": [
                    { "key": "topology.kubernetes.io/zone", "operator": "In", "values": ["europe-west4-a", "no"] },
                    { "key": "example.com/cpu-generation", "operator": "Gt", "values": ["3"] },
                ] },
                { "matchFields": [{ "key": "metadata.name", "operator": "NotIn", "values": ["node-7"] }] },
            ] })
        );
        assert_eq!(
            pod["affinity"]["podAntiAffinity"],
            json!({ "preferredDuringSchedulingIgnoredDuringExecution": [{ "weight": 100, "podAffinityTerm": {
                "topologyKey": "kubernetes.io/hostname",
                "labelSelector": { "matchLabels": { "app.kubernetes.io/name": "dagster-scripts-runner" } },
                "namespaceSelector": {},
            } }] })
        );
        assert_eq!(
            pod["affinity"]["podAffinity"]["requiredDuringSchedulingIgnoredDuringExecution"][0]["namespaces"],
            json!(["dagster"])
        );
        // The CA bundle: one key of the ConfigMap, read-only, beside the spec's mount.
        let runner = &pod["containers"][0];
        assert!(
            runner["env"]
                .as_array()
                .unwrap()
                .contains(&json!({ "name": "SSL_CERT_FILE", "value": "/etc/dagster-scripts-ca/ca-bundle.pem" })),
            "{}",
            runner["env"]
        );
        assert!(
            runner["volumeMounts"]
                .as_array()
                .unwrap()
                .contains(&json!({ "name": "ca-bundle", "mountPath": "/etc/dagster-scripts-ca", "readOnly": true }))
        );
        assert!(
            pod["volumes"]
                .as_array()
                .unwrap()
                .contains(&json!({ "name": "ca-bundle", "configMap": {
                "name": "corp-ca", "items": [{ "key": "ca.crt", "path": "ca-bundle.pem" }] } }))
        );
        // Nothing weakened the security context.
        assert_eq!(runner["securityContext"]["readOnlyRootFilesystem"], true);
        assert_eq!(runner["securityContext"]["allowPrivilegeEscalation"], false);
        assert_eq!(pod["securityContext"]["runAsNonRoot"], true);
    }
}

#[test]
fn a_ca_bundle_in_a_secret_is_mounted_from_the_secret() {
    let dir = repo_with(&[(
        "backfill-96001.yaml",
        SEED.replace("34543", "96001").as_bytes(),
    )]);
    fs::write(
        dir.path().join("dagster-scripts.toml"),
        "[dagster]\nurl = \"https://dagster.corp.example\"\nca_bundle = { secret = \"corp-ca\", key = \"bundle.pem\" }\n",
    )
    .unwrap();
    let (code, _, err) = outcome(&run(dir.path(), &["render"]));
    assert_eq!(code, 0, "{err}");
    let text = fs::read_to_string(dir.path().join("out/backfill-96001.yaml")).unwrap();
    assert!(
        text.contains("      - name: ca-bundle\n        secret:\n          secretName: corp-ca\n          items:\n          - key: bundle.pem\n            path: ca-bundle.pem\n      - name: spec\n"),
        "{text}"
    );
}

/// Each bad setting, where it is reported, and words of its message.
const BAD: &[(&str, &str, &str)] = &[
    (
        "[pod]\nannotations = { \"container.apparmor.security.beta.kubernetes.io/runner\" = \"unconfined\" }\n",
        "2:17",
        "changes what confines the pod",
    ),
    (
        "[pod.annotations]\n\"seccomp.security.alpha.kubernetes.io/pod\" = \"unconfined\"\n",
        "2:1",
        "changes what confines the pod",
    ),
    (
        "[pod.annotations]\n\"security.alpha.kubernetes.io/unsafe-sysctls\" = \"kernel.msgmax=1\"\n",
        "2:1",
        "sysctls",
    ),
    (
        "[pod.annotations]\n\"io.kubernetes.cri-o.Devices\" = \"/dev/fuse\"\n",
        "2:1",
        "container runtime",
    ),
    (
        "[pod.annotations]\n\"node.kubernetes.io/anything\" = \"x\"\n",
        "2:1",
        "reserved for Kubernetes",
    ),
    (
        "[pod]\nlabels = { \"app.kubernetes.io/name\" = \"mine\" }\n",
        "2:12",
        "NetworkPolicy selects",
    ),
    (
        "[pod]\nlabels = { \"dagster-scripts/request\" = \"x\" }\n",
        "2:12",
        "the tool's own",
    ),
    (
        "[pod]\nlabels = { \"batch.kubernetes.io/job-name\" = \"x\" }\n",
        "2:12",
        "Job controller",
    ),
    (
        "labels = { team = \"a\" }\n[pod]\nlabels = { team = \"b\" }\n",
        "3:12",
        "also in the top-level `labels`",
    ),
    (
        "[pod]\nlabels = { \"Bad Key\" = \"x\" }\n",
        "2:12",
        "is not a label key",
    ),
    (
        "[pod]\nnode_selector = { zone = \"-bad-\" }\n",
        "2:26",
        "is not a label value",
    ),
    (
        "[pod]\nimage_pull_secrets = [\"regcred\", \"Regcred\"]\n",
        "2:22",
        "DNS subdomain",
    ),
    (
        "[pod]\nimage_pull_secrets = [\"regcred\", \"regcred\"]\n",
        "2:34",
        "listed twice",
    ),
    (
        "[pod]\npriority_class_name = \"system-cluster-critical\"\n",
        "2:23",
        "cluster's own components",
    ),
    (
        "[[pod.tolerations]]\nkey = \"dedicated\"\noperator = \"Exists\"\nvalue = \"batch\"\n",
        "4:9",
        "takes no `value`",
    ),
    (
        "[[pod.tolerations]]\nkey = \"dedicated\"\neffect = \"NoSchedule\"\ntoleration_seconds = 60\n",
        "4:22",
        "needs `effect = \"NoExecute\"`",
    ),
    (
        "[[pod.tolerations]]\noperator = \"Equal\"\nvalue = \"x\"\n",
        "2:12",
        "without `key` must have `operator = \"Exists\"`",
    ),
    (
        "[[pod.tolerations]]\nkey = \"a\"\neffect = \"NoEvict\"\n",
        "3:10",
        "unknown variant `NoEvict`",
    ),
    (
        "[[pod.tolerations]]\nkey = \"a\"\ntolerationSeconds = 5\n",
        "3:1",
        "unknown field `tolerationSeconds`",
    ),
    (
        "[pod.affinity.node_affinity.required_during_scheduling_ignored_during_execution]\nnode_selector_terms = []\n",
        "2:23",
        "no node would ever match",
    ),
    (
        "[pod.affinity.node_affinity.required_during_scheduling_ignored_during_execution]\nnode_selector_terms = [{ match_expressions = [{ key = \"zone\", operator = \"In\" }] }]\n",
        "2:47",
        "`In` needs at least one value",
    ),
    (
        "[pod.affinity.node_affinity.required_during_scheduling_ignored_during_execution]\nnode_selector_terms = [{ match_expressions = [{ key = \"zone\", operator = \"Exists\", values = [\"a\"] }] }]\n",
        "2:93",
        "`Exists` takes no values",
    ),
    (
        "[pod.affinity.node_affinity.required_during_scheduling_ignored_during_execution]\nnode_selector_terms = [{ match_expressions = [{ key = \"gen\", operator = \"Lt\", values = [\"3\", \"4\"] }] }]\n",
        "2:88",
        "`Lt` takes exactly one value, an integer",
    ),
    (
        "[pod.affinity.node_affinity.required_during_scheduling_ignored_during_execution]\nnode_selector_terms = [{ match_expressions = [{ key = \"gen\", operator = \"Matches\", values = [\"3\"] }] }]\n",
        "2:73",
        "unknown variant `Matches`",
    ),
    (
        "[pod.affinity.node_affinity.required_during_scheduling_ignored_during_execution]\nnode_selector_terms = [{ match_fields = [{ key = \"metadata.labels\", operator = \"In\", values = [\"a\"] }] }]\n",
        "2:50",
        "not a node field",
    ),
    (
        "[pod.affinity.node_affinity.required_during_scheduling_ignored_during_execution]\nnode_selector_terms = [{}]\n",
        "2:24",
        "matches no node",
    ),
    (
        "[pod.affinity.pod_anti_affinity]\nrequired_during_scheduling_ignored_during_execution = [{ topology_key = \"kubernetes.io/hostname\", label_selector = { match_expressions = [{ key = \"app\", operator = \"Gt\", values = [\"1\"] }] } }]\n",
        "2:165",
        "unknown variant `Gt`",
    ),
    (
        "[pod.affinity.pod_affinity]\nrequired_during_scheduling_ignored_during_execution = [{ topology_key = \"zone\" }]\n",
        "2:56",
        "without `label_selector` matches no pod",
    ),
    (
        "[pod.affinity.pod_affinity]\nrequired_during_scheduling_ignored_during_execution = [{ label_selector = {} }]\n",
        "2:56",
        "missing field `topology_key`",
    ),
    (
        "[[pod.affinity.pod_affinity.preferred_during_scheduling_ignored_during_execution]]\nweight = 101\npod_affinity_term = { topology_key = \"zone\", label_selector = {} }\n",
        "2:10",
        "not a weight",
    ),
    (
        "[pod.affinity]\nnodeAffinity = {}\n",
        "2:1",
        "unknown field `nodeAffinity`",
    ),
    (
        "[pod]\nhost_network = true\n",
        "2:1",
        "unknown field `host_network`",
    ),
    (
        "[dagster]\nca_bundle = { config_map = \"corp-ca\", secret = \"corp-ca\", key = \"ca.crt\" }\n",
        "2:13",
        "not both",
    ),
    (
        "[dagster]\nca_bundle = { key = \"ca.crt\" }\n",
        "2:13",
        "needs `config_map` or `secret`",
    ),
    (
        "[dagster]\nca_bundle = { config_map = \"corp-ca\", key = \"../etc/passwd\" }\n",
        "2:45",
        "ConfigMap or Secret key",
    ),
];

#[test]
fn every_bad_pod_setting_is_refused_where_it_is_written_with_a_hint() {
    let mut wrong = Vec::new();
    for (settings, at, words) in BAD {
        let dir = repo_with(&[(
            "backfill-96002.yaml",
            SEED.replace("34543", "96002").as_bytes(),
        )]);
        fs::write(dir.path().join("dagster-scripts.toml"), settings).unwrap();
        let (code, _, err) = outcome(&run(dir.path(), &["render"]));
        let located = err.contains(&format!("--> dagster-scripts.toml:{at}\n"));
        if code != 2 || !located || !err.contains(words) || !err.contains("= hint: ") {
            wrong.push(format!(
                "{settings}expected exit 2 at {at} saying {words:?}, got {code}:\n{err}"
            ));
        }
        assert!(
            !dir.path().join("out").exists(),
            "nothing written: {settings}"
        );
    }
    assert!(wrong.is_empty(), "{}", wrong.join("\n"));
}

#[test]
fn a_camel_case_key_is_named_in_snake_case() {
    let dir = repo_with(&[(
        "backfill-96003.yaml",
        SEED.replace("34543", "96003").as_bytes(),
    )]);
    fs::write(
        dir.path().join("dagster-scripts.toml"),
        "[pod]\npriorityClassName = \"batch\"\n",
    )
    .unwrap();
    let (code, _, err) = outcome(&run(dir.path(), &["check"]));
    assert_eq!(code, 2, "{err}");
    assert!(
        err.contains(
            "write `priority_class_name`: the settings spell Kubernetes' fields in snake_case"
        ),
        "{err}"
    );
}

#[test]
fn a_toleration_of_every_taint_is_warned_about() {
    let dir = repo_with(&[(
        "backfill-96004.yaml",
        SEED.replace("34543", "96004").as_bytes(),
    )]);
    fs::write(
        dir.path().join("dagster-scripts.toml"),
        "[[pod.tolerations]]\noperator = \"Exists\"\n",
    )
    .unwrap();
    let (code, _, err) = outcome(&run(dir.path(), &["render"]));
    assert_eq!(code, 0, "{err}");
    assert!(err.contains("tolerates every taint"), "{err}");
}

/// A template copied before `[pod]` existed would drop the settings without
/// a word: the render refuses it instead.
#[test]
fn a_template_that_drops_the_pod_settings_is_refused() {
    let dir = repo_with(&[(
        "backfill-96005.yaml",
        SEED.replace("34543", "96005").as_bytes(),
    )]);
    let old = dagster_scripts::render::DEFAULT_TEMPLATE
        .replace("{%- for key, value in pod.labels %}\n        {{ key }}: {{ value }}\n{%- endfor %}\n", "")
        .replace("{%- if pod.tolerations %}\n      tolerations:{{ pod.tolerations | yaml(indent=6) | safe }}\n{%- endif %}\n", "");
    assert_ne!(old, dagster_scripts::render::DEFAULT_TEMPLATE);
    fs::create_dir(dir.path().join("templates")).unwrap();
    fs::write(dir.path().join("templates/job.yaml.tera"), old).unwrap();
    fs::write(
        dir.path().join("dagster-scripts.toml"),
        "[pod]\nlabels = { team = \"data\" }\n[[pod.tolerations]]\nkey = \"dedicated\"\noperator = \"Exists\"\n",
    )
    .unwrap();
    let (code, _, err) = outcome(&run(dir.path(), &["render"]));
    assert_ne!(code, 0, "{err}");
    assert!(
        err.contains("does not give the pod the settings' `tolerations`"),
        "{err}"
    );
    assert!(
        err.contains("does not give the pod the settings' label `team`"),
        "{err}"
    );
}

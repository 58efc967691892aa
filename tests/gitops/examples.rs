//! `ci/flux/` and `ci/argocd/`, built by real `kubectl kustomize` (offline)
//! and checked against what the renderer puts in `out/`: the path they apply,
//! pruning and self-heal, the runner's namespace and service account, and no
//! Kubernetes API permissions for the runner; and the examples per
//! environment against each folder of a rendered two-environment repository.

use serde_json::Value;

use crate::support::{kube, repo, tools};

/// The documents `kubectl kustomize <dir>` prints for `dir` (relative to the repo).
fn kustomize(dir: &str) -> Vec<Value> {
    kube::kustomize(&repo().join(dir))
}

/// The one document of `kind` in `docs`.
fn one<'a>(docs: &'a [Value], kind: &str) -> &'a Value {
    let found: Vec<&Value> = docs.iter().filter(|d| d["kind"] == kind).collect();
    assert_eq!(
        found.len(),
        1,
        "expected one {kind}, got {}: {docs:#?}",
        found.len()
    );
    found[0]
}

fn kinds(docs: &[Value]) -> Vec<&str> {
    let mut kinds: Vec<&str> = docs
        .iter()
        .map(|d| d["kind"].as_str().expect("a kind"))
        .collect();
    kinds.sort_unstable();
    kinds
}

/// The namespace every rendered manifest in `out/` names (one for all).
fn rendered_namespace() -> String {
    let docs = kustomize("out");
    let namespaces: std::collections::BTreeSet<&str> = docs
        .iter()
        .map(|d| d["metadata"]["namespace"].as_str().expect("namespaced"))
        .collect();
    assert_eq!(
        namespaces.len(),
        1,
        "out/ spans several namespaces: {namespaces:?}"
    );
    assert!(docs.iter().any(|d| d["kind"] == "Job"), "out/ holds no Job");
    namespaces.into_iter().next().expect("one").to_owned()
}

/// The namespace Dagster runs in by default: the one its default URL names
/// (`http://<service>.<namespace>.svc...`).
fn dagster_namespace() -> String {
    let url = dagster_scripts::settings::DEFAULT_DAGSTER_URL;
    let host = url
        .split("://")
        .nth(1)
        .expect("a scheme")
        .split([':', '/'])
        .next();
    let labels: Vec<&str> = host.expect("a host").split('.').collect();
    assert_eq!(
        labels.get(2),
        Some(&"svc"),
        "a Service across namespaces: {url}"
    );
    labels[1].to_owned()
}

#[test]
fn an_existing_namespace_is_used_without_the_namespace_object() {
    // What ci/README.md says to do: copy the kit, drop `- namespace.yaml`.
    let dir = tempfile::tempdir().expect("temp");
    for sub in ["namespace", "flux", "argocd"] {
        std::fs::create_dir(dir.path().join(sub)).expect("dir");
        for entry in std::fs::read_dir(repo().join("ci").join(sub))
            .expect("kit")
            .flatten()
        {
            std::fs::copy(entry.path(), dir.path().join(sub).join(entry.file_name()))
                .expect("copy");
        }
    }
    let kustomization = dir.path().join("namespace/kustomization.yaml");
    let listed = std::fs::read_to_string(&kustomization).expect("kustomization");
    assert!(listed.contains("\n- namespace.yaml\n"), "{listed}");
    std::fs::write(&kustomization, listed.replace("\n- namespace.yaml\n", "\n")).expect("edit");
    for kit in ["flux", "argocd"] {
        let docs = kube::kustomize(&dir.path().join(kit));
        assert!(docs.iter().all(|d| d["kind"] != "Namespace"), "{docs:#?}");
        assert_eq!(
            one(&docs, "ServiceAccount")["metadata"]["name"],
            "dagster-scripts"
        );
    }
}

/// The runner's namespace and service account, shared by both examples.
fn assert_runner_namespace(docs: &[Value]) {
    let namespace = rendered_namespace();
    let ns = one(docs, "Namespace");
    assert_eq!(
        ns["metadata"]["name"],
        namespace.as_str(),
        "not the namespace out/ renders into"
    );
    assert_eq!(
        ns["metadata"]["labels"]["pod-security.kubernetes.io/enforce"], "restricted",
        "the namespace should enforce the Pod Security Standard the Jobs meet"
    );
    // Not Dagster's: the kit owns the namespace it lists (deleting the kit
    // deletes it) and enforces a standard Dagster's own pods do not meet.
    let dagster = dagster_namespace();
    assert_ne!(namespace, dagster, "out/ renders into Dagster's namespace");
    assert_ne!(
        dagster_scripts::settings::DEFAULT_NAMESPACE,
        dagster,
        "the default namespace is Dagster's"
    );
    for doc in docs {
        assert!(
            !(doc["kind"] == "Namespace" && doc["metadata"]["name"] == dagster.as_str())
                && doc["metadata"]["namespace"] != dagster.as_str(),
            "the kit manages Dagster's namespace: {doc:#}"
        );
    }
    let sa = one(docs, "ServiceAccount");
    assert_eq!(sa["metadata"]["namespace"], namespace.as_str());
    assert_eq!(sa["automountServiceAccountToken"], false);
    for kind in ["Role", "RoleBinding", "ClusterRole", "ClusterRoleBinding"] {
        assert!(
            docs.iter().all(|d| d["kind"] != kind),
            "the runner needs no {kind}: {docs:#?}"
        );
    }
}

#[test]
fn flux_kustomization_prunes_out_with_an_unprivileged_runner_account() {
    let docs = kustomize("ci/flux");
    assert_eq!(
        kinds(&docs),
        [
            "GitRepository",
            "Kustomization",
            "Namespace",
            "ServiceAccount"
        ]
    );
    assert_runner_namespace(&docs);

    let ks = one(&docs, "Kustomization");
    assert_eq!(ks["apiVersion"], "kustomize.toolkit.fluxcd.io/v1");
    assert_eq!(ks["spec"]["path"], "./out");
    assert_eq!(ks["spec"]["prune"], true);
    assert_eq!(
        ks["spec"]["force"], false,
        "content-hashed names never need a forced replace"
    );
    assert_eq!(
        ks["spec"]["wait"], false,
        "a Kustomization must not wait for hour-long Jobs"
    );

    let source = one(&docs, "GitRepository");
    assert_eq!(source["apiVersion"], "source.toolkit.fluxcd.io/v1");
    assert_eq!(ks["spec"]["sourceRef"]["kind"], "GitRepository");
    assert_eq!(ks["spec"]["sourceRef"]["name"], source["metadata"]["name"]);
    assert_eq!(ks["metadata"]["namespace"], source["metadata"]["namespace"]);
    let ignore = source["spec"]["ignore"].as_str().expect("an ignore list");
    assert!(
        ignore.lines().any(|l| l == "!/out/"),
        "the source must keep out/: {ignore}"
    );

    // What the Kustomization applies is a folder kustomize can build.
    assert!(repo().join("out/kustomization.yaml").is_file());
}

#[test]
fn argocd_application_syncs_out_with_prune_and_self_heal() {
    let docs = kustomize("ci/argocd");
    assert_eq!(kinds(&docs), ["Application", "Namespace", "ServiceAccount"]);
    assert_runner_namespace(&docs);

    let app = one(&docs, "Application");
    assert_eq!(app["apiVersion"], "argoproj.io/v1alpha1");
    assert_eq!(app["spec"]["source"]["path"], "out");
    assert_eq!(
        app["spec"]["destination"]["namespace"],
        rendered_namespace().as_str()
    );
    let sync = &app["spec"]["syncPolicy"];
    assert_eq!(sync["automated"]["prune"], true);
    assert_eq!(sync["automated"]["selfHeal"], true);
    let options: Vec<&str> = sync["syncOptions"]
        .as_array()
        .expect("options")
        .iter()
        .filter_map(Value::as_str)
        .collect();
    assert!(options.contains(&"ApplyOutOfSyncOnly=true"), "{options:?}");
}

#[test]
fn the_flux_and_argocd_examples_apply_each_environments_folder() {
    let dir = crate::environments::two_environments();
    assert_eq!(
        crate::support::outcome(&crate::support::run(dir.path(), &["render"])).0,
        0
    );
    let flux = tools::yaml_documents(&repo().join("ci/flux/environments.yaml"));
    let argo = tools::yaml_documents(&repo().join("ci/argocd/environments.yaml"));
    assert_eq!(flux.len(), 2);
    assert_eq!(argo.len(), 2);
    for name in ["staging", "production"] {
        let folder = dir.path().join("out").join(name);
        let docs = kube::kustomize(&folder);
        let namespace = docs[0]["metadata"]["namespace"].as_str().unwrap();
        let ks = flux
            .iter()
            .find(|d| d["metadata"]["name"] == format!("dagster-scripts-{name}"))
            .unwrap_or_else(|| panic!("no Flux Kustomization for {name}"));
        assert_eq!(ks["kind"], "Kustomization");
        assert_eq!(ks["spec"]["path"], format!("./out/{name}"));
        assert_eq!(ks["spec"]["prune"], true);
        assert_eq!(ks["spec"]["sourceRef"]["name"], "dagster-scripts");
        let app = argo
            .iter()
            .find(|d| d["metadata"]["name"] == format!("dagster-scripts-{name}"))
            .unwrap_or_else(|| panic!("no Application for {name}"));
        assert_eq!(app["kind"], "Application");
        assert_eq!(app["spec"]["source"]["path"], format!("out/{name}"));
        assert_eq!(
            app["spec"]["destination"]["namespace"], namespace,
            "the namespace {name}'s folder renders into"
        );
        assert_eq!(app["spec"]["syncPolicy"]["automated"]["prune"], true);
    }
    // The one-environment examples still apply out/.
    let single = std::fs::read_to_string(repo().join("ci/flux/dagster-scripts.yaml")).unwrap();
    assert!(single.contains("path: ./out\n"), "{single}");
}

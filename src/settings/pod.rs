//! `[pod]`: what a platform team sets on every pod it runs (pull secrets for
//! a private registry, a node pool's selector and taints, affinity, a
//! priority class, a service mesh's labels and annotations), rendered into
//! the pod template of every Job and only when set.
//!
//! Keys are written in snake_case like the rest of `dagster-scripts.toml`
//! (`node_affinity`, `toleration_seconds`), values exactly as Kubernetes
//! spells them (`NoExecute`, `DoesNotExist`). Types are checked as the file
//! is read (serde, with the name types of `kube`); Kubernetes' rules across
//! values (an `Exists` toleration takes no value, `toleration_seconds` only
//! with `NoExecute`, `Gt` takes one integer) and the keys the tool reserves
//! are checked by [`Pod::problems`], each at its value.
//!
//! Nothing here reaches the pod's or the container's `securityContext`, and
//! annotations that change what confines the pod (AppArmor, seccomp,
//! sysctls, the container runtime's own) are refused, so the restricted Pod
//! Security Standard holds whatever the settings say; labels the tool
//! selects its pods by (the NetworkPolicy, the Job controller) are refused
//! too.

use std::collections::{BTreeMap, BTreeSet};

use serde::{Deserialize, Deserializer, Serialize};
use serde_json::{Map, Value, json};

use super::problem::{Problem, Seg};
use crate::kube::{DnsLabel, DnsSubdomain, LabelKey, LabelValue, is_dns_subdomain, is_label_value};

/// The most bytes (keys and values) a pod's annotations may hold, as Kubernetes counts them.
const MAX_ANNOTATIONS: usize = 256 * 1024;

/// `[pod]`: extra settings of the Jobs' pods, each rendered only when set.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Pod {
    /// Secrets (in the Jobs' namespace) holding credentials of a private registry.
    pub image_pull_secrets: Vec<DnsSubdomain>,
    /// Node labels a node must carry to run the pod.
    pub node_selector: BTreeMap<LabelKey, LabelValue>,
    /// Taints the pod tolerates.
    pub tolerations: Vec<Toleration>,
    /// Node affinity, pod affinity and anti-affinity.
    pub affinity: Option<Affinity>,
    /// The pod's PriorityClass.
    pub priority_class_name: Option<DnsSubdomain>,
    /// Labels on the pod only (the top-level `labels` go on the Job, the pod and the ConfigMap).
    pub labels: BTreeMap<LabelKey, LabelValue>,
    /// Annotations on the pod only (a service mesh's `sidecar.istio.io/inject`).
    pub annotations: BTreeMap<LabelKey, String>,
}

/// A toleration: Kubernetes' `Toleration`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Toleration {
    /// The taint's key; every key when left out (with `operator = "Exists"`).
    #[serde(default)]
    pub key: Option<LabelKey>,
    /// `Equal` (the default) or `Exists`.
    #[serde(default)]
    pub operator: Option<TolerationOperator>,
    /// The taint's value, for `Equal`.
    #[serde(default)]
    pub value: Option<LabelValue>,
    /// The taint's effect; every effect when left out.
    #[serde(default)]
    pub effect: Option<TaintEffect>,
    /// How long the pod stays on a node tainted `NoExecute` (only with that effect).
    #[serde(default)]
    pub toleration_seconds: Option<i64>,
}

/// How a toleration matches a taint's value.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum TolerationOperator {
    /// The values are equal.
    Equal,
    /// Any value.
    Exists,
}

/// What a taint does to pods that do not tolerate it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum TaintEffect {
    /// Not scheduled there.
    NoSchedule,
    /// Scheduled there only when nothing else fits.
    PreferNoSchedule,
    /// Evicted from there.
    NoExecute,
}

/// Kubernetes' `Affinity`.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Affinity {
    /// Which nodes the pod runs on.
    pub node_affinity: Option<NodeAffinity>,
    /// Which pods it runs near.
    pub pod_affinity: Option<PodAffinity>,
    /// Which pods it runs away from.
    pub pod_anti_affinity: Option<PodAffinity>,
}

/// Kubernetes' `NodeAffinity`.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct NodeAffinity {
    /// Nodes the pod must run on.
    pub required_during_scheduling_ignored_during_execution: Option<NodeSelector>,
    /// Nodes the pod prefers, by weight.
    pub preferred_during_scheduling_ignored_during_execution: Vec<PreferredSchedulingTerm>,
}

/// Kubernetes' `NodeSelector`: terms of which one must match.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NodeSelector {
    /// The terms, ORed.
    pub node_selector_terms: Vec<NodeSelectorTerm>,
}

/// Kubernetes' `NodeSelectorTerm`: requirements that must all hold.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct NodeSelectorTerm {
    /// Requirements on the node's labels.
    pub match_expressions: Vec<NodeSelectorRequirement>,
    /// Requirements on the node's fields (only `metadata.name`).
    pub match_fields: Vec<NodeSelectorRequirement>,
}

/// Kubernetes' `NodeSelectorRequirement`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NodeSelectorRequirement {
    /// The label key (or `metadata.name` in `match_fields`).
    pub key: String,
    /// How the values are compared.
    pub operator: NodeOperator,
    /// The values.
    #[serde(default)]
    pub values: Vec<String>,
}

/// The operators of a node selector requirement.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum NodeOperator {
    /// The label's value is one of the values.
    In,
    /// The label is missing or its value is none of the values.
    NotIn,
    /// The label is present.
    Exists,
    /// The label is missing.
    DoesNotExist,
    /// The label's value, an integer, is greater than the one value.
    Gt,
    /// The label's value, an integer, is less than the one value.
    Lt,
}

/// Kubernetes' `PreferredSchedulingTerm`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PreferredSchedulingTerm {
    /// 1 to 100.
    pub weight: Weight,
    /// The nodes preferred.
    pub preference: NodeSelectorTerm,
}

/// Kubernetes' `PodAffinity` and `PodAntiAffinity` (the same fields).
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct PodAffinity {
    /// Terms that must hold.
    pub required_during_scheduling_ignored_during_execution: Vec<PodAffinityTerm>,
    /// Terms preferred, by weight.
    pub preferred_during_scheduling_ignored_during_execution: Vec<WeightedPodAffinityTerm>,
}

/// Kubernetes' `WeightedPodAffinityTerm`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct WeightedPodAffinityTerm {
    /// 1 to 100.
    pub weight: Weight,
    /// The term.
    pub pod_affinity_term: PodAffinityTerm,
}

/// Kubernetes' `PodAffinityTerm` (without the beta `match_label_keys` and
/// `mismatch_label_keys`).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PodAffinityTerm {
    /// The pods this term is about.
    #[serde(default)]
    pub label_selector: Option<LabelSelector>,
    /// Their namespaces; the pod's own when empty and without `namespace_selector`.
    #[serde(default)]
    pub namespaces: Vec<DnsLabel>,
    /// The node label whose value makes "the same place" (`kubernetes.io/hostname`, a zone).
    pub topology_key: LabelKey,
    /// Their namespaces, by label.
    #[serde(default)]
    pub namespace_selector: Option<LabelSelector>,
}

/// Kubernetes' `LabelSelector`.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct LabelSelector {
    /// Labels that must be equal.
    pub match_labels: BTreeMap<LabelKey, LabelValue>,
    /// Requirements that must all hold.
    pub match_expressions: Vec<LabelSelectorRequirement>,
}

/// Kubernetes' `LabelSelectorRequirement`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LabelSelectorRequirement {
    /// The label key.
    pub key: LabelKey,
    /// How the values are compared.
    pub operator: LabelOperator,
    /// The values.
    #[serde(default)]
    pub values: Vec<LabelValue>,
}

/// The operators of a label selector requirement (no `Gt` or `Lt`: those are nodes' only).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum LabelOperator {
    /// The label's value is one of the values.
    In,
    /// The label is missing or its value is none of the values.
    NotIn,
    /// The label is present.
    Exists,
    /// The label is missing.
    DoesNotExist,
}

/// A scheduling weight, 1 to 100.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(transparent)]
pub struct Weight(u8);

impl<'de> Deserialize<'de> for Weight {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Weight, D::Error> {
        let n = i64::deserialize(d)?;
        u8::try_from(n)
            .ok()
            .filter(|w| (1..=100).contains(w))
            .map(Weight)
            .ok_or_else(|| {
                serde::de::Error::custom(format!(
                    "`{n}` is not a weight: Kubernetes takes 1 to 100"
                ))
            })
    }
}

/// A path from the `[pod]` table.
fn path(segs: &[&str]) -> Vec<Seg> {
    segs.iter().map(|s| Seg::Key((*s).to_owned())).collect()
}

/// `base` and then `more`.
fn then(base: &[Seg], more: impl IntoIterator<Item = Seg>) -> Vec<Seg> {
    let mut p = base.to_vec();
    p.extend(more);
    p
}

fn key(k: &str) -> Seg {
    Seg::Key(k.to_owned())
}

/// Why a pod label key is the tool's or Kubernetes' to set, if it is.
pub fn reserved_label(k: &str) -> Option<&'static str> {
    let (prefix, name) = k.rsplit_once('/').unwrap_or(("", k));
    if matches!(k, "app.kubernetes.io/name" | "app.kubernetes.io/managed-by") {
        return Some(
            "the tool sets it on every Job, pod and ConfigMap, and its NetworkPolicy selects the runner pods by `app.kubernetes.io/name`",
        );
    }
    if prefix == "dagster-scripts" {
        return Some(
            "the `dagster-scripts/` labels are the tool's own (kind, issue, request): `status` and `retire` find the Jobs by them",
        );
    }
    if prefix == "batch.kubernetes.io"
        || (prefix.is_empty() && matches!(name, "controller-uid" | "job-name"))
    {
        return Some("the Job controller sets it on the pods it creates and selects them by it");
    }
    if prefix != "app.kubernetes.io" && kubernetes_domain(prefix) {
        return Some(
            "the `kubernetes.io` and `k8s.io` prefixes are reserved for Kubernetes' own components",
        );
    }
    None
}

/// Why a pod annotation may not be set, if it may not.
pub fn reserved_annotation(k: &str) -> Option<&'static str> {
    let (prefix, name) = k.rsplit_once('/').unwrap_or(("", k));
    const RUNTIME: [&str; 6] = [
        "io.kubernetes.cri-o.",
        "io.kubernetes.cri.",
        "io.containerd.",
        "io.katacontainers.",
        "run.oci.",
        "dev.gvisor.",
    ];
    if prefix.ends_with("security.alpha.kubernetes.io")
        || prefix.ends_with("security.beta.kubernetes.io")
        || prefix == "pod-security.kubernetes.io"
        || k == "kubernetes.io/psp"
    {
        return Some(
            "it changes what confines the pod (AppArmor, seccomp, sysctls, pod security): the pod's securityContext (restricted Pod Security Standard) is the tool's to set",
        );
    }
    if RUNTIME
        .iter()
        .any(|r| k.starts_with(r) || name.starts_with(r) || format!("{prefix}.").starts_with(r))
    {
        return Some(
            "the container runtime reads it, and may lift the pod's confinement (devices, user namespaces, cgroups, hooks)",
        );
    }
    if prefix == "dagster-scripts" {
        return Some(
            "the `dagster-scripts/` annotations are the tool's own (source, issue, request hash)",
        );
    }
    const ALLOWED: [&str; 4] = [
        "cluster-autoscaler.kubernetes.io/safe-to-evict",
        "cluster-autoscaler.kubernetes.io/safe-to-evict-local-volumes",
        "kubectl.kubernetes.io/default-container",
        "kubectl.kubernetes.io/default-logs-container",
    ];
    if kubernetes_domain(prefix) && prefix != "app.kubernetes.io" && !ALLOWED.contains(&k) {
        return Some(
            "the `kubernetes.io` and `k8s.io` prefixes are reserved for Kubernetes' own components; only `cluster-autoscaler.kubernetes.io/safe-to-evict`, `cluster-autoscaler.kubernetes.io/safe-to-evict-local-volumes`, `kubectl.kubernetes.io/default-container` and `kubectl.kubernetes.io/default-logs-container` are taken",
        );
    }
    None
}

/// `kubernetes.io`, `k8s.io` or a subdomain of either.
fn kubernetes_domain(prefix: &str) -> bool {
    ["kubernetes.io", "k8s.io"]
        .iter()
        .any(|d| prefix == *d || prefix.ends_with(&format!(".{d}")))
}

impl Pod {
    /// Kubernetes' rules and the tool's reservations, each problem at its
    /// value (paths relative to `[pod]`).
    pub fn problems(&self) -> Vec<Problem> {
        let mut out = Vec::new();
        let mut seen = BTreeSet::new();
        for (i, secret) in self.image_pull_secrets.iter().enumerate() {
            if !seen.insert(secret) {
                out.push(Problem::new(
                    then(&path(&["image_pull_secrets"]), [Seg::Index(i)]),
                    format!("`{secret}` is listed twice"),
                    "name each Secret once",
                ));
            }
        }
        if let Some(name) = &self.priority_class_name
            && name.as_str().starts_with("system-")
        {
            out.push(Problem::new(
                path(&["priority_class_name"]),
                format!("`{name}` is a priority class of the cluster's own components"),
                "`system-cluster-critical` and `system-node-critical` may preempt what keeps the cluster running; create a PriorityClass for batch work and name it here",
            ));
        }
        for k in self.labels.keys() {
            if let Some(why) = reserved_label(k.as_str()) {
                out.push(Problem::new(
                    vec![key("labels"), Seg::KeyName(k.to_string())],
                    format!("the pod label `{k}` cannot be set here: {why}"),
                    "choose a key of your own (`team`, `example.com/cost-center`)",
                ));
            }
        }
        let mut size = 0;
        for (k, v) in &self.annotations {
            size += k.as_str().len() + v.len();
            if let Some(why) = reserved_annotation(k.as_str()) {
                out.push(Problem::new(
                    vec![key("annotations"), Seg::KeyName(k.to_string())],
                    format!("the pod annotation `{k}` cannot be set here: {why}"),
                    "remove it; a service mesh's injection switches (`sidecar.istio.io/inject`, `linkerd.io/inject`) and other annotations of your own are fine",
                ));
            }
        }
        if size > MAX_ANNOTATIONS {
            out.push(Problem::new(
                path(&["annotations"]),
                format!(
                    "the pod annotations hold {size} bytes, more than the 256 KiB Kubernetes allows"
                ),
                "shorten them",
            ));
        }
        for (i, t) in self.tolerations.iter().enumerate() {
            t.problems(&then(&path(&["tolerations"]), [Seg::Index(i)]), &mut out);
        }
        if let Some(a) = &self.affinity {
            a.problems(&path(&["affinity"]), &mut out);
        }
        out
    }

    /// The pod's labels that the top-level `labels` (which the pod carries
    /// too) also set, each a problem at the pod's label.
    pub fn label_clashes(&self, top_level: &BTreeMap<LabelKey, LabelValue>) -> Vec<Problem> {
        self.labels
            .keys()
            .filter(|k| top_level.contains_key(*k))
            .map(|k| {
                Problem::new(
                    vec![key("labels"), Seg::KeyName(k.to_string())],
                    format!("the label `{k}` is also in the top-level `labels`, which the pod carries too"),
                    "set it in one place: the top-level `labels` (Job, pod and ConfigMap) or `[pod] labels` (the pod only)",
                )
            })
            .collect()
    }

    /// What the template receives as `pod`: each setting in Kubernetes'
    /// spelling (camelCase), empty or null when unset.
    pub fn template_variables(&self) -> Value {
        let strings = |m: &BTreeMap<LabelKey, LabelValue>| -> Map<String, Value> {
            m.iter()
                .map(|(k, v)| (k.to_string(), v.to_string().into()))
                .collect()
        };
        let affinity = self
            .affinity
            .as_ref()
            .map(Affinity::manifest)
            .filter(|a| a.as_object().is_some_and(|o| !o.is_empty()));
        json!({
            "image_pull_secrets": self.image_pull_secrets.iter().map(DnsSubdomain::as_str).collect::<Vec<_>>(),
            "node_selector": strings(&self.node_selector),
            "tolerations": self.tolerations.iter().map(Toleration::manifest).collect::<Vec<_>>(),
            "affinity": affinity,
            "priority_class_name": self.priority_class_name.as_ref().map(DnsSubdomain::as_str),
            "labels": strings(&self.labels),
            "annotations": self.annotations.iter().map(|(k, v)| (k.to_string(), Value::from(v.as_str()))).collect::<Map<_, _>>(),
        })
    }

    /// The pod spec's fields these settings set, as Kubernetes reads them
    /// (what a rendered Job must carry).
    pub fn spec_fields(&self) -> Map<String, Value> {
        let v = self.template_variables();
        let mut out = Map::new();
        let mut set = |field: &str, value: &Value| {
            let empty = match value {
                Value::Null => true,
                Value::Array(a) => a.is_empty(),
                Value::Object(o) => o.is_empty(),
                _ => false,
            };
            if !empty {
                out.insert(field.to_owned(), value.clone());
            }
        };
        let secrets: Vec<Value> = self
            .image_pull_secrets
            .iter()
            .map(|s| json!({ "name": s.as_str() }))
            .collect();
        set("imagePullSecrets", &Value::Array(secrets));
        set("nodeSelector", &v["node_selector"]);
        set("tolerations", &v["tolerations"]);
        set("affinity", &v["affinity"]);
        set("priorityClassName", &v["priority_class_name"]);
        out
    }

    /// A toleration of every taint (no key, `Exists`, every effect), which
    /// lets the pod onto control-plane nodes too.
    pub fn tolerates_everything(&self) -> bool {
        self.tolerations.iter().any(|t| {
            t.key.is_none() && t.operator == Some(TolerationOperator::Exists) && t.effect.is_none()
        })
    }
}

impl Toleration {
    fn problems(&self, at: &[Seg], out: &mut Vec<Problem>) {
        let exists = self.operator == Some(TolerationOperator::Exists);
        if self.key.is_none() && !exists {
            out.push(Problem::new(
                then(at, [key("operator")]),
                "a toleration without `key` must have `operator = \"Exists\"`",
                "without a key it matches every taint, which only `Exists` can; name the taint's `key`, or set `operator = \"Exists\"` to tolerate every taint",
            ));
        }
        if exists && self.value.as_ref().is_some_and(|v| !v.as_str().is_empty()) {
            out.push(Problem::new(
                then(at, [key("value")]),
                "a toleration with `operator = \"Exists\"` takes no `value`",
                "remove `value` (Exists matches any value), or use `operator = \"Equal\"`",
            ));
        }
        if self.toleration_seconds.is_some() && self.effect != Some(TaintEffect::NoExecute) {
            out.push(Problem::new(
                then(at, [key("toleration_seconds")]),
                "`toleration_seconds` needs `effect = \"NoExecute\"`",
                "only a NoExecute taint evicts pods, after the toleration's seconds; set `effect = \"NoExecute\"` or remove `toleration_seconds`",
            ));
        }
    }

    fn manifest(&self) -> Value {
        let mut m = Map::new();
        if let Some(k) = &self.key {
            m.insert("key".into(), k.as_str().into());
        }
        if let Some(o) = self.operator {
            m.insert("operator".into(), format!("{o:?}").into());
        }
        if let Some(v) = &self.value {
            m.insert("value".into(), v.as_str().into());
        }
        if let Some(e) = self.effect {
            m.insert("effect".into(), format!("{e:?}").into());
        }
        if let Some(s) = self.toleration_seconds {
            m.insert("tolerationSeconds".into(), s.into());
        }
        Value::Object(m)
    }
}

const REQUIRED: &str = "required_during_scheduling_ignored_during_execution";
const PREFERRED: &str = "preferred_during_scheduling_ignored_during_execution";

impl Affinity {
    fn problems(&self, at: &[Seg], out: &mut Vec<Problem>) {
        if let Some(n) = &self.node_affinity {
            let at = then(at, [key("node_affinity")]);
            if let Some(required) = &n.required_during_scheduling_ignored_during_execution {
                let at = then(&at, [key(REQUIRED)]);
                if required.node_selector_terms.is_empty() {
                    out.push(Problem::new(
                        then(&at, [key("node_selector_terms")]),
                        "no node selector term: no node would ever match",
                        "give at least one term (`{ match_expressions = [...] }`), or remove the requirement",
                    ));
                }
                for (i, term) in required.node_selector_terms.iter().enumerate() {
                    term.problems(&then(&at, [key("node_selector_terms"), Seg::Index(i)]), out);
                }
            }
            for (i, p) in n
                .preferred_during_scheduling_ignored_during_execution
                .iter()
                .enumerate()
            {
                p.preference.problems(
                    &then(&at, [key(PREFERRED), Seg::Index(i), key("preference")]),
                    out,
                );
            }
        }
        for (field, p) in [
            ("pod_affinity", &self.pod_affinity),
            ("pod_anti_affinity", &self.pod_anti_affinity),
        ] {
            let Some(p) = p else { continue };
            let at = then(at, [key(field)]);
            for (i, term) in p
                .required_during_scheduling_ignored_during_execution
                .iter()
                .enumerate()
            {
                term.problems(&then(&at, [key(REQUIRED), Seg::Index(i)]), out);
            }
            for (i, w) in p
                .preferred_during_scheduling_ignored_during_execution
                .iter()
                .enumerate()
            {
                w.pod_affinity_term.problems(
                    &then(
                        &at,
                        [key(PREFERRED), Seg::Index(i), key("pod_affinity_term")],
                    ),
                    out,
                );
            }
        }
    }

    fn manifest(&self) -> Value {
        let mut m = Map::new();
        if let Some(n) = &self.node_affinity {
            let mut node = Map::new();
            if let Some(r) = &n.required_during_scheduling_ignored_during_execution {
                node.insert(
                    "requiredDuringSchedulingIgnoredDuringExecution".into(),
                    json!({ "nodeSelectorTerms": r.node_selector_terms.iter().map(NodeSelectorTerm::manifest).collect::<Vec<_>>() }),
                );
            }
            if !n
                .preferred_during_scheduling_ignored_during_execution
                .is_empty()
            {
                node.insert(
                    "preferredDuringSchedulingIgnoredDuringExecution".into(),
                    n.preferred_during_scheduling_ignored_during_execution
                        .iter()
                        .map(|p| json!({ "weight": p.weight.0, "preference": p.preference.manifest() }))
                        .collect(),
                );
            }
            if !node.is_empty() {
                m.insert("nodeAffinity".into(), node.into());
            }
        }
        for (field, p) in [
            ("podAffinity", &self.pod_affinity),
            ("podAntiAffinity", &self.pod_anti_affinity),
        ] {
            let Some(p) = p else { continue };
            let mut pod = Map::new();
            if !p
                .required_during_scheduling_ignored_during_execution
                .is_empty()
            {
                pod.insert(
                    "requiredDuringSchedulingIgnoredDuringExecution".into(),
                    p.required_during_scheduling_ignored_during_execution
                        .iter()
                        .map(PodAffinityTerm::manifest)
                        .collect(),
                );
            }
            if !p
                .preferred_during_scheduling_ignored_during_execution
                .is_empty()
            {
                pod.insert(
                    "preferredDuringSchedulingIgnoredDuringExecution".into(),
                    p.preferred_during_scheduling_ignored_during_execution
                        .iter()
                        .map(|w| json!({ "weight": w.weight.0, "podAffinityTerm": w.pod_affinity_term.manifest() }))
                        .collect(),
                );
            }
            if !pod.is_empty() {
                m.insert(field.into(), pod.into());
            }
        }
        Value::Object(m)
    }
}

impl NodeSelectorTerm {
    fn problems(&self, at: &[Seg], out: &mut Vec<Problem>) {
        if self.match_expressions.is_empty() && self.match_fields.is_empty() {
            out.push(Problem::new(
                at.to_vec(),
                "an empty node selector term matches no node",
                "give it `match_expressions` (node labels) or `match_fields` (`metadata.name`)",
            ));
        }
        for (i, r) in self.match_expressions.iter().enumerate() {
            r.label_problems(&then(at, [key("match_expressions"), Seg::Index(i)]), out);
        }
        for (i, r) in self.match_fields.iter().enumerate() {
            r.field_problems(&then(at, [key("match_fields"), Seg::Index(i)]), out);
        }
    }

    fn manifest(&self) -> Value {
        let requirement = |r: &NodeSelectorRequirement| {
            let mut e = json!({ "key": r.key, "operator": format!("{:?}", r.operator) });
            if !r.values.is_empty() {
                e["values"] = json!(r.values);
            }
            e
        };
        let mut m = Map::new();
        for (field, list) in [
            ("matchExpressions", &self.match_expressions),
            ("matchFields", &self.match_fields),
        ] {
            if !list.is_empty() {
                m.insert(field.into(), list.iter().map(requirement).collect());
            }
        }
        Value::Object(m)
    }
}

impl NodeSelectorRequirement {
    fn label_problems(&self, at: &[Seg], out: &mut Vec<Problem>) {
        if LabelKey::new(self.key.as_str()).is_err() {
            out.push(Problem::new(
                then(at, [key("key")]),
                format!("`{}` is not a node label key", self.key.escape_debug()),
                "a label key is `prefix/name` or `name`: the name at most 63 of letters, digits, `-_.`, the prefix a DNS subdomain",
            ));
        }
        let values = then(at, [key("values")]);
        match self.operator {
            NodeOperator::In | NodeOperator::NotIn => {
                if self.values.is_empty() {
                    out.push(values_needed(&values, self.operator));
                }
                for (i, v) in self.values.iter().enumerate() {
                    if !is_label_value(v) {
                        out.push(Problem::new(
                            then(&values, [Seg::Index(i)]),
                            format!("`{}` is not a label value, so no node label has it", v.escape_debug()),
                            "a label value is at most 63 of letters, digits, `-_.`, alphanumeric at both ends",
                        ));
                    }
                }
            }
            NodeOperator::Exists | NodeOperator::DoesNotExist => {
                if !self.values.is_empty() {
                    out.push(no_values(&values, &format!("{:?}", self.operator)));
                }
            }
            NodeOperator::Gt | NodeOperator::Lt => {
                if self.values.len() != 1
                    || self.values[0].trim() != self.values[0]
                    || self.values[0].parse::<i64>().is_err()
                {
                    out.push(Problem::new(
                        values,
                        format!("`{:?}` takes exactly one value, an integer", self.operator),
                        "write `values = [\"4\"]`: the node label's value is compared as an integer",
                    ));
                }
            }
        }
    }

    fn field_problems(&self, at: &[Seg], out: &mut Vec<Problem>) {
        if self.key != "metadata.name" {
            out.push(Problem::new(
                then(at, [key("key")]),
                format!("`{}` is not a node field Kubernetes selects by", self.key.escape_debug()),
                "`match_fields` takes only `key = \"metadata.name\"`; select node labels with `match_expressions`",
            ));
        }
        if !matches!(self.operator, NodeOperator::In | NodeOperator::NotIn) {
            out.push(Problem::new(
                then(at, [key("operator")]),
                format!("`{:?}` is not an operator for a node field", self.operator),
                "`match_fields` takes `In` or `NotIn` with one node name",
            ));
        } else if self.values.len() != 1 || !is_dns_subdomain(&self.values[0]) {
            out.push(Problem::new(
                then(at, [key("values")]),
                "a node field requirement takes exactly one value, a node name",
                "write `values = [\"node-name\"]`",
            ));
        }
    }
}

fn values_needed(at: &[Seg], op: impl std::fmt::Debug) -> Problem {
    Problem::new(
        at.to_vec(),
        format!("`{op:?}` needs at least one value"),
        "list the values (`values = [\"a\", \"b\"]`), or use `Exists` / `DoesNotExist` to ask only whether the label is there",
    )
}

fn no_values(at: &[Seg], op: &str) -> Problem {
    Problem::new(
        at.to_vec(),
        format!("`{op}` takes no values"),
        "remove `values`: it asks only whether the label is there",
    )
}

impl PodAffinityTerm {
    fn problems(&self, at: &[Seg], out: &mut Vec<Problem>) {
        match &self.label_selector {
            None => out.push(Problem::new(
                at.to_vec(),
                "a pod affinity term without `label_selector` matches no pod",
                "say which pods it is about: `label_selector = { match_labels = { app = \"...\" } }`",
            )),
            Some(s) => s.problems(&then(at, [key("label_selector")]), out),
        }
        if let Some(s) = &self.namespace_selector {
            s.problems(&then(at, [key("namespace_selector")]), out);
        }
    }

    fn manifest(&self) -> Value {
        let mut m = Map::new();
        if let Some(s) = &self.label_selector {
            m.insert("labelSelector".into(), s.manifest());
        }
        if !self.namespaces.is_empty() {
            m.insert(
                "namespaces".into(),
                self.namespaces
                    .iter()
                    .map(|n| Value::from(n.as_str()))
                    .collect(),
            );
        }
        m.insert("topologyKey".into(), self.topology_key.as_str().into());
        if let Some(s) = &self.namespace_selector {
            m.insert("namespaceSelector".into(), s.manifest());
        }
        Value::Object(m)
    }
}

impl LabelSelector {
    fn problems(&self, at: &[Seg], out: &mut Vec<Problem>) {
        for (i, r) in self.match_expressions.iter().enumerate() {
            let values = then(at, [key("match_expressions"), Seg::Index(i), key("values")]);
            match r.operator {
                LabelOperator::In | LabelOperator::NotIn if r.values.is_empty() => {
                    out.push(values_needed(&values, r.operator));
                }
                LabelOperator::Exists | LabelOperator::DoesNotExist if !r.values.is_empty() => {
                    out.push(no_values(&values, &format!("{:?}", r.operator)));
                }
                _ => {}
            }
        }
    }

    fn manifest(&self) -> Value {
        let mut m = Map::new();
        if !self.match_labels.is_empty() {
            m.insert(
                "matchLabels".into(),
                self.match_labels
                    .iter()
                    .map(|(k, v)| (k.to_string(), Value::from(v.as_str())))
                    .collect::<Map<_, _>>()
                    .into(),
            );
        }
        if !self.match_expressions.is_empty() {
            m.insert(
                "matchExpressions".into(),
                self.match_expressions
                    .iter()
                    .map(|r| {
                        let mut e = json!({ "key": r.key.as_str(), "operator": format!("{:?}", r.operator) });
                        if !r.values.is_empty() {
                            e["values"] = r.values.iter().map(|v| Value::from(v.as_str())).collect();
                        }
                        e
                    })
                    .collect(),
            );
        }
        Value::Object(m)
    }
}

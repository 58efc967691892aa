//! `dagster-scripts.toml`: how a repository's Jobs are rendered.
//!
//! Every setting has a default, so a repository with only `specs/` renders
//! (the seed's example needs no settings file). Settings are validated as
//! they are read (`file`), so a bad value is reported at its
//! `file:line:col`; the command line overrides the file, and a spec's
//! `overrides` win over both.

mod ca_bundle;
mod environments;
mod file;
mod http_url;
mod pod;
mod problem;

use std::collections::BTreeMap;
use std::num::NonZeroU16;
use std::path::PathBuf;

use serde::{Deserialize, Deserializer, Serialize};

pub use crate::kube::{DnsLabel, DnsSubdomain, ImageRef, LabelKey, LabelValue};
pub use ca_bundle::{CA_FILE, CA_MOUNT, CaBundle, CaSource};
pub use environments::{DEFAULT_ENVIRONMENT, ENVIRONMENTS, Environment, Environments};
pub use http_url::HttpUrl;
pub use pod::{
    Affinity, LabelOperator, LabelSelector, LabelSelectorRequirement, NodeAffinity, NodeOperator,
    NodeSelector, NodeSelectorRequirement, NodeSelectorTerm, Pod, PodAffinity, PodAffinityTerm,
    PreferredSchedulingTerm, TaintEffect, Toleration, TolerationOperator, Weight,
    WeightedPodAffinityTerm, reserved_annotation, reserved_label,
};
pub use problem::{Problem, Seg};

use crate::read::{DEFAULT_MAX_PARTITIONS, Limits};
use crate::spec::{Deadline, OnOverlap, Quantity};

/// The settings file's name, at the repository root.
pub const SETTINGS_FILE: &str = "dagster-scripts.toml";

/// The namespace the Jobs run in by default: the tool's own, not Dagster's.
pub const DEFAULT_NAMESPACE: &str = "dagster-scripts";

/// Where the Jobs reach Dagster by default: the webserver Service of the
/// official Helm chart installed as release `dagster` in namespace `dagster`,
/// across namespaces.
pub const DEFAULT_DAGSTER_URL: &str =
    "http://dagster-dagster-webserver.dagster.svc.cluster.local:80";

/// Everything that shapes a rendered Job besides the spec and the template.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Settings {
    /// Namespace of the Jobs and ConfigMaps: the tool's own, not Dagster's.
    pub namespace: DnsLabel,
    /// The runner image: `repository:tag`, `repository@sha256:…` or both.
    pub image: ImageRef,
    /// Service account of the Job's pod; the namespace's default when unset.
    pub service_account: Option<DnsSubdomain>,
    /// Mount the service account's API token into the pod (the runner does not need it).
    pub mount_service_account_token: bool,
    /// Render a NetworkPolicy that lets runner pods reach only Dagster's port and DNS.
    pub network_policy: bool,
    /// How Dagster is reached from the Job.
    pub dagster: Dagster,
    /// Requests and limits of the runner's container.
    pub resources: Resources,
    /// How long a Job may run (Kubernetes' `activeDeadlineSeconds`; the runner stops following 30 s earlier).
    pub deadline: Deadline,
    /// Most partitions one request may select.
    pub max_partitions: u64,
    /// Extra labels on the Job, its pod and the ConfigMap.
    pub labels: BTreeMap<LabelKey, LabelValue>,
    /// Extra annotations on the Job and the ConfigMap.
    pub annotations: BTreeMap<LabelKey, String>,
    /// Where specs, templates and manifests live, relative to the repository
    /// (the working directory), wherever the settings file is.
    pub paths: Paths,
    /// What the runner does where a spec does not say.
    pub runner: Runner,
    /// What a platform sets on every pod: pull secrets, node selector,
    /// tolerations, affinity, priority class, pod labels and annotations.
    pub pod: Pod,
}

/// `[runner]`: the runner's defaults for what a spec may leave out, passed
/// to it in the Job's environment (only when set, so a repository without
/// them renders the Jobs it always did).
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Runner {
    /// What to do when backfills in flight hold some of a request's
    /// partitions, for a spec without `on_overlap` (`DAGSTER_SCRIPTS_ON_OVERLAP`;
    /// the runner waits when unset).
    pub on_overlap: Option<OnOverlap>,
}

/// The Dagster endpoint the runner calls, and where it runs in the cluster.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(try_from = "DagsterFile")]
pub struct Dagster {
    /// Base URL of the Dagster webserver (path prefix allowed); the runner appends `/graphql`.
    pub url: HttpUrl,
    /// A Secret holding a Dagster+ API token, passed to the runner as `DAGSTER_API_TOKEN`.
    pub token_secret: Option<SecretKey>,
    /// The namespace the webserver's pods run in: the NetworkPolicy lets
    /// runner pods reach only it (any address when unset).
    pub namespace: Option<DnsLabel>,
    /// Labels of the webserver's pods in `namespace`: the NetworkPolicy lets
    /// runner pods reach only those pods (every pod of `namespace` when empty).
    pub pod_labels: BTreeMap<LabelKey, LabelValue>,
    /// The port the webserver's pods listen on (the Service's `targetPort`),
    /// which is what a NetworkPolicy sees; the URL's port when unset.
    pub target_port: Option<Port>,
    /// Base URL of Dagster's UI, for links in `status` and plans (Dagster+:
    /// `https://ORG.dagster.cloud/DEPLOYMENT`); `url` when unset.
    pub ui_url: Option<HttpUrl>,
    /// Let specs set `dagster-k8s/config` in `run_tags` (off by default: it
    /// changes the pods Dagster starts, so a pull request could change what
    /// runs in the cluster: images, volumes, service accounts).
    pub allow_k8s_config: bool,
    /// A PEM bundle of the CAs that signed Dagster's certificate (a private
    /// CA), mounted into the runner and trusted besides the web roots.
    pub ca_bundle: Option<CaBundle>,
}

/// `[dagster]` as written, checked as a whole into [`Dagster`].
#[derive(Deserialize)]
#[serde(deny_unknown_fields, default)]
struct DagsterFile {
    url: HttpUrl,
    token_secret: Option<SecretKey>,
    namespace: Option<DnsLabel>,
    pod_labels: BTreeMap<LabelKey, LabelValue>,
    target_port: Option<Port>,
    ui_url: Option<HttpUrl>,
    allow_k8s_config: bool,
    ca_bundle: Option<CaBundle>,
}

impl Default for DagsterFile {
    fn default() -> DagsterFile {
        let d = Dagster::default();
        DagsterFile {
            url: d.url,
            token_secret: d.token_secret,
            namespace: d.namespace,
            pod_labels: d.pod_labels,
            target_port: d.target_port,
            ui_url: d.ui_url,
            allow_k8s_config: d.allow_k8s_config,
            ca_bundle: d.ca_bundle,
        }
    }
}

impl TryFrom<DagsterFile> for Dagster {
    type Error = String;

    fn try_from(f: DagsterFile) -> Result<Dagster, String> {
        if f.namespace.is_none() && !f.pod_labels.is_empty() {
            return Err("`pod_labels` needs `namespace`: name the namespace Dagster's webserver pods run in (a NetworkPolicy selects pods by namespace and labels)".to_owned());
        }
        Ok(Dagster {
            url: f.url,
            token_secret: f.token_secret,
            namespace: f.namespace,
            pod_labels: f.pod_labels,
            target_port: f.target_port,
            ui_url: f.ui_url,
            allow_k8s_config: f.allow_k8s_config,
            ca_bundle: f.ca_bundle,
        })
    }
}

impl Dagster {
    /// Base URL of Dagster's UI, without a trailing `/`: `ui_url`, else `url`.
    pub fn ui_base(&self) -> &str {
        self.ui_url
            .as_ref()
            .unwrap_or(&self.url)
            .as_str()
            .trim_end_matches('/')
    }

    /// The port the NetworkPolicy lets runner pods reach: `target_port`, else the URL's.
    pub fn pod_port(&self) -> u16 {
        self.target_port
            .map_or_else(|| self.url.port(), |p| p.0.get())
    }
}

/// A TCP port, 1 to 65535.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(transparent)]
pub struct Port(NonZeroU16);

impl<'de> Deserialize<'de> for Port {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Port, D::Error> {
        let n = i64::deserialize(d)?;
        u16::try_from(n)
            .ok()
            .and_then(NonZeroU16::new)
            .map(Port)
            .ok_or_else(|| {
                serde::de::Error::custom(format!("`{n}` is not a TCP port (1 to 65535)"))
            })
    }
}

/// A key of a Kubernetes Secret.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SecretKey {
    /// The Secret's name.
    pub name: DnsSubdomain,
    /// The key within it.
    pub key: String,
}

/// Requests and limits, each defaulting separately.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Resources {
    /// What the scheduler reserves.
    pub requests: CpuMemory,
    /// The most the container may use.
    pub limits: CpuMemory,
}

/// A CPU and a memory quantity.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CpuMemory {
    /// CPU, e.g. `50m`.
    pub cpu: Quantity,
    /// Memory, e.g. `32Mi`.
    pub memory: Quantity,
}

/// The repository's folders.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Paths {
    /// Spec files (`done/` below it is checked but not rendered).
    pub specs: PathBuf,
    /// Template overrides (`job.yaml.tera`); the embedded default otherwise.
    pub templates: PathBuf,
    /// Rendered manifests.
    pub out: PathBuf,
}

impl Default for Settings {
    fn default() -> Settings {
        Settings {
            namespace: DnsLabel::new(DEFAULT_NAMESPACE).unwrap_or_else(|e| unreachable!("{e}")),
            image: ImageRef::new(format!(
                "ghcr.io/dagster-scripts/runner:{}",
                env!("CARGO_PKG_VERSION")
            ))
            .unwrap_or_else(|e| unreachable!("{e}")),
            service_account: None,
            mount_service_account_token: false,
            network_policy: true,
            dagster: Dagster::default(),
            resources: Resources::default(),
            deadline: Deadline::new("24h").unwrap_or_else(|e| unreachable!("{e}")),
            max_partitions: DEFAULT_MAX_PARTITIONS,
            labels: BTreeMap::new(),
            annotations: BTreeMap::new(),
            paths: Paths::default(),
            runner: Runner::default(),
            pod: Pod::default(),
        }
    }
}

impl Default for Dagster {
    fn default() -> Dagster {
        Dagster {
            url: HttpUrl::new(DEFAULT_DAGSTER_URL).unwrap_or_else(|e| unreachable!("{e}")),
            token_secret: None,
            namespace: None,
            pod_labels: BTreeMap::new(),
            target_port: None,
            ui_url: None,
            allow_k8s_config: false,
            ca_bundle: None,
        }
    }
}

impl Default for Resources {
    fn default() -> Resources {
        let q = |s: &str| Quantity::new(s).unwrap_or_else(|e| unreachable!("{e}"));
        Resources {
            requests: CpuMemory {
                cpu: q("10m"),
                memory: q("32Mi"),
            },
            limits: CpuMemory {
                cpu: q("250m"),
                memory: q("64Mi"),
            },
        }
    }
}

impl Default for Paths {
    fn default() -> Paths {
        Paths {
            specs: "specs".into(),
            templates: "templates".into(),
            out: "out".into(),
        }
    }
}

impl Settings {
    /// What is allowed but probably wrong in these settings, one sentence each.
    pub fn warnings(&self) -> Vec<String> {
        let mut warnings: Vec<String> = self
            .dagster
            .url
            .parsed()
            .token_warning(self.dagster.token_secret.is_some())
            .map(|w| format!("[dagster] url: {w} (the token_secret's token travels in clear text)"))
            .into_iter()
            .collect();
        if self.pod.tolerates_everything() {
            warnings.push("[pod] tolerations: a toleration without `key` and `effect` and with `operator = \"Exists\"` tolerates every taint, so runner pods may land on control-plane nodes too (name the taints your batch nodes carry instead)".to_owned());
        }
        if self.dagster.ca_bundle.is_some() && !self.dagster.url.parsed().is_https() {
            warnings.push(
                "[dagster] ca_bundle: the url is not https, so the mounted CA bundle is never used"
                    .to_owned(),
            );
        }
        warnings
    }

    /// Problems of values that parsed: Kubernetes' rules across values and
    /// the keys the tool reserves, each at its value (see [`Problem`]).
    pub fn problems(&self) -> Vec<Problem> {
        self.pod
            .problems()
            .into_iter()
            .chain(self.pod.label_clashes(&self.labels))
            .map(|p| p.within("pod"))
            .collect()
    }
}

impl Limits {
    /// What the settings say a spec must respect: the partition cap, a
    /// digest-pinned image, the default requests and limits, whether
    /// `dagster-k8s/config` is allowed. `check` and
    /// `render` both take their limits from here, so the two never disagree.
    pub fn from_settings(settings: &Settings) -> Limits {
        let list = |r: &CpuMemory| crate::spec::ResourceList {
            cpu: Some(r.cpu.clone()),
            memory: Some(r.memory.clone()),
        };
        Limits {
            max_partitions: settings.max_partitions,
            pinned_image: settings
                .image
                .has_digest()
                .then(|| settings.image.as_str().to_owned()),
            resources: Some(crate::spec::Resources {
                requests: Some(list(&settings.resources.requests)),
                limits: Some(list(&settings.resources.limits)),
            }),
            allow_k8s_config: settings.dagster.allow_k8s_config,
            environments: Some(BTreeMap::new()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_token_over_plain_http_outside_the_cluster_is_warned_about() {
        let with = |url: &str, token: bool| {
            let mut s = Settings::default();
            s.dagster.url = HttpUrl::new(url).unwrap();
            if token {
                s.dagster.token_secret = Some(SecretKey {
                    name: DnsSubdomain::new("dagster-plus").unwrap(),
                    key: "token".into(),
                });
            }
            s.warnings()
        };
        let w = with("http://dagster.example.com", true);
        assert_eq!(w.len(), 1, "{w:?}");
        assert!(
            w[0].contains("plain http") && w[0].contains("dagster.example.com"),
            "{w:?}"
        );
        assert!(with("http://dagster.example.com", false).is_empty());
        assert!(with("https://dagster.example.com", true).is_empty());
        assert!(with("http://dagster-webserver.dagster.svc.cluster.local", true).is_empty());
        assert!(with("http://10.0.0.7:3000", true).is_empty());
    }
}

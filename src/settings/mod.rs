//! `dagster-scripts.toml`: how a repository's Jobs are rendered.
//!
//! Every setting has a default, so a repository with only `specs/` renders
//! (the seed's example needs no settings file). Settings are validated as
//! they are read, so a bad value is reported at its `file:line:col`; the
//! command line overrides the file, and a spec's `overrides` win over both.

use std::collections::BTreeMap;
use std::fmt;
use std::num::NonZeroU16;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Deserializer, Serialize};

use crate::diagnostic::{Code, Diagnostic, Lines, Span};
use crate::load::DEFAULT_MAX_PARTITIONS;
use crate::spec::{Deadline, Quantity};
use crate::url::BaseUrl;

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
    /// Where specs, templates and manifests live, relative to the settings file.
    pub paths: Paths,
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
        })
    }
}

impl Dagster {
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
            namespace: DnsLabel(DEFAULT_NAMESPACE.into()),
            image: ImageRef(format!(
                "ghcr.io/dagster-scripts/runner:{}",
                env!("CARGO_PKG_VERSION")
            )),
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
    /// Reads `path` if it exists, else the defaults; paths become relative to its folder.
    pub fn load(path: &Path, required: bool) -> Result<Settings, Diagnostic> {
        // A FIFO or device would block (or never end) the read below.
        let kind = std::fs::metadata(path).map(|m| crate::load::not_regular(m.file_type()));
        if let Ok(Some(what)) = kind {
            let message = format!("cannot read the settings: it is {what}, not a regular file");
            return Err(Diagnostic::file(path, Code::Io, message));
        }
        let text = match std::fs::read_to_string(path) {
            Ok(t) => t,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound && !required => {
                return Ok(Settings::default());
            }
            Err(e) => {
                return Err(Diagnostic::file(
                    path,
                    Code::Io,
                    format!("cannot read the settings: {e}"),
                ));
            }
        };
        let mut settings: Settings = toml::from_str(&text).map_err(|e| {
            let lines = Lines::new(&text);
            let span = e.span().unwrap_or(0..0);
            let span = Span {
                start: lines.pos_of_byte(span.start),
                end: lines.pos_of_byte(span.end),
            };
            let message = e.message().trim().to_owned();
            let code = if message.starts_with("unknown field") {
                Code::UnknownKey
            } else {
                Code::InvalidValue
            };
            lines
                .diagnostic(path, span, code, format!("in the settings: {message}"))
                .with_hint("every setting is described in the README, section \"Settings\"")
        })?;
        check_resources(&settings.resources, &text, path)?;
        if let Some(base) = path.parent().filter(|b| !b.as_os_str().is_empty()) {
            for p in [
                &mut settings.paths.specs,
                &mut settings.paths.templates,
                &mut settings.paths.out,
            ] {
                *p = base.join(&*p);
            }
        }
        Ok(settings)
    }
}

macro_rules! checked_string {
    ($(#[$doc:meta])* $name:ident, $what:literal, $check:expr) => {
        $(#[$doc])*
        #[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize)]
        #[serde(transparent)]
        pub struct $name(String);

        impl $name {
            /// Wraps `s` if it is valid.
            pub fn new(s: impl Into<String>) -> Result<$name, String> {
                let s = s.into();
                let check: fn(&str) -> bool = $check;
                if check(&s) { Ok($name(s)) } else { Err(format!("`{}` is not {}", s.escape_debug(), $what)) }
            }

            /// The string.
            pub fn as_str(&self) -> &str {
                &self.0
            }
        }

        impl<'de> Deserialize<'de> for $name {
            fn deserialize<D: Deserializer<'de>>(d: D) -> Result<$name, D::Error> {
                $name::new(String::deserialize(d)?).map_err(serde::de::Error::custom)
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(&self.0)
            }
        }

        impl std::str::FromStr for $name {
            type Err = String;
            fn from_str(s: &str) -> Result<$name, String> {
                $name::new(s)
            }
        }
    };
}

/// An RFC 1123 label: lower-case letters, digits and `-`, at most 63, alphanumeric at both ends.
pub fn is_dns_label(s: &str) -> bool {
    (1..=63).contains(&s.len())
        && s.bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
        && !s.starts_with('-')
        && !s.ends_with('-')
}

/// A Kubernetes label value: at most 63 of `[A-Za-z0-9._-]`, alphanumeric at both ends (or empty).
pub fn is_label_value(s: &str) -> bool {
    let alnum = |c: Option<char>| c.is_some_and(|c| c.is_ascii_alphanumeric());
    s.is_empty()
        || (s.len() <= 63
            && s.chars()
                .all(|c| c.is_ascii_alphanumeric() || "-_.".contains(c))
            && alnum(s.chars().next())
            && alnum(s.chars().next_back()))
}

fn is_dns_subdomain(s: &str) -> bool {
    s.len() <= 253 && s.split('.').all(is_dns_label)
}

checked_string!(
    /// A namespace or other RFC 1123 label.
    DnsLabel,
    "a DNS label (lower-case letters, digits and `-`, at most 63)",
    is_dns_label
);
checked_string!(
    /// A name that may contain dots, such as a service account or Secret name.
    DnsSubdomain,
    "a DNS subdomain name (lower-case letters, digits, `-` and `.`)",
    is_dns_subdomain
);
checked_string!(
    /// A label value.
    LabelValue,
    "a label value (at most 63 of letters, digits, `-_.`, alphanumeric at both ends)",
    is_label_value
);
checked_string!(
    /// A label or annotation key: an optional DNS-subdomain prefix and `/`, then a name.
    LabelKey,
    "a label key (`prefix/name`, the name at most 63 of letters, digits, `-_.`)",
    |s| {
        let (prefix, name) = s.rsplit_once('/').map_or((None, s), |(p, n)| (Some(p), n));
        prefix.is_none_or(is_dns_subdomain) && !name.is_empty() && is_label_value(name)
    }
);
checked_string!(
    /// A container image reference with a tag, a digest or both.
    ImageRef,
    "an image reference (`repository:tag` or `repository@sha256:<64 hex digits>`)",
    is_image_ref
);

fn is_image_ref(s: &str) -> bool {
    let (name, digest) = match s.split_once('@') {
        Some((n, d)) => (n, Some(d)),
        None => (s, None),
    };
    let digest_ok = digest.is_none_or(|d| {
        d.strip_prefix("sha256:").is_some_and(|h| {
            h.len() == 64
                && h.bytes()
                    .all(|b| b.is_ascii_hexdigit() && !b.is_ascii_uppercase())
        })
    });
    let last = name.rsplit('/').next().unwrap_or(name);
    let (repo_part, tag) = match last.split_once(':') {
        Some((_, t)) => (&name[..name.len() - t.len() - 1], Some(t)),
        None => (name, None),
    };
    let tag_ok = tag.is_none_or(|t| crate::spec::ImageTag::new(t).is_ok());
    let repo_ok = !repo_part.is_empty()
        && repo_part
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "._-/:".contains(c))
        && !repo_part.starts_with('/');
    repo_ok && tag_ok && digest_ok && (tag.is_some() || digest.is_some())
}

/// The Dagster webserver's base URL, checked by the library's one URL
/// parser ([`crate::url`]), so the compiler refuses what the runner refuses.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(transparent)]
pub struct HttpUrl(String, #[serde(skip)] BaseUrl);

impl HttpUrl {
    /// Wraps `s` if it is a usable base URL; the error says why not.
    pub fn new(s: impl Into<String>) -> Result<HttpUrl, String> {
        let s = s.into();
        let url = BaseUrl::parse(&s)?;
        Ok(HttpUrl(s, url))
    }

    /// The URL as written.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The TCP port the URL points at (explicit, or 80/443 by scheme).
    pub fn port(&self) -> u16 {
        self.1.port()
    }

    /// The parsed URL.
    pub fn parsed(&self) -> &BaseUrl {
        &self.1
    }
}

impl<'de> Deserialize<'de> for HttpUrl {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<HttpUrl, D::Error> {
        HttpUrl::new(String::deserialize(d)?)
            .map_err(|e| serde::de::Error::custom(format!("{e}; {}", crate::url::HINT)))
    }
}

impl fmt::Display for HttpUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::str::FromStr for HttpUrl {
    type Err = String;
    fn from_str(s: &str) -> Result<HttpUrl, String> {
        HttpUrl::new(s)
    }
}

impl Settings {
    /// What is allowed but probably wrong in these settings, one sentence each.
    pub fn warnings(&self) -> Vec<String> {
        self.dagster
            .url
            .parsed()
            .token_warning(self.dagster.token_secret.is_some())
            .map(|w| format!("[dagster] url: {w} (the token_secret's token travels in clear text)"))
            .into_iter()
            .collect()
    }
}

impl ImageRef {
    /// Whether the image is pinned by digest (checkov requires it).
    pub fn has_digest(&self) -> bool {
        self.0.contains("@sha256:")
    }

    /// The same repository with another tag (a spec's `image_tag` override); a digest is dropped.
    pub fn with_tag(&self, tag: &str) -> ImageRef {
        let name = self.0.split('@').next().unwrap_or(&self.0);
        let last = name.rsplit('/').next().unwrap_or(name);
        let repo = match last.split_once(':') {
            Some((_, t)) => &name[..name.len() - t.len() - 1],
            None => name,
        };
        ImageRef(format!("{repo}:{tag}"))
    }
}

/// The settings' requests and limits by Kubernetes' rules (the ones a
/// spec's overrides follow, `spec::resources`), each problem at its key.
fn check_resources(resources: &Resources, text: &str, path: &Path) -> Result<(), Diagnostic> {
    use crate::spec::resources::{Resource, exceeds, quantity_problem};
    let at = |side: &str, r: Resource, message: String, hint: String| {
        let document = toml::de::DeTable::parse(text)
            .ok()
            .map(|t| toml::de::DeValue::Table(t.into_inner()));
        let span = document
            .as_ref()
            .and_then(|d| {
                d.get("resources")?
                    .get_ref()
                    .get(side)?
                    .get_ref()
                    .get(r.key())
            })
            .map_or(0..0, |v| v.span());
        let lines = Lines::new(text);
        let span = Span {
            start: lines.pos_of_byte(span.start),
            end: lines.pos_of_byte(span.end),
        };
        lines
            .diagnostic(
                path,
                span,
                Code::InvalidValue,
                format!("in the settings: {message}"),
            )
            .with_hint(hint)
    };
    for r in Resource::ALL {
        let pick = |list: &CpuMemory| match r {
            Resource::Cpu => list.cpu.clone(),
            Resource::Memory => list.memory.clone(),
        };
        let (request, limit) = (pick(&resources.requests), pick(&resources.limits));
        for (side, q) in [("requests", &request), ("limits", &limit)] {
            if let Some((message, hint)) = quantity_problem(r, q) {
                return Err(at(side, r, message, hint));
            }
        }
        if exceeds(&request, &limit) {
            let key = r.key();
            return Err(at(
                "requests",
                r,
                format!("the {key} request `{request}` is above its limit `{limit}`"),
                format!(
                    "Kubernetes refuses a request above its limit: raise `resources.limits.{key}` to at least {request}, or lower the request (the defaults are {} and {})",
                    pick(&Resources::default().requests),
                    pick(&Resources::default().limits)
                ),
            ));
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn image_references() {
        for ok in [
            "r:1",
            "ghcr.io/a/b:0.1.0",
            "localhost:5000/a:v1",
            "a/b@sha256:0000000000000000000000000000000000000000000000000000000000000000",
            "a:1@sha256:abababababababababababababababababababababababababababababababab",
        ] {
            assert!(ImageRef::new(ok).is_ok(), "{ok}");
        }
        for bad in [
            "",
            "a",
            "a:",
            "a:b c",
            "a@sha256:12",
            "/a:1",
            "localhost:5000/a",
        ] {
            assert!(ImageRef::new(bad).is_err(), "{bad}");
        }
        assert_eq!(
            ImageRef::new("localhost:5000/a:v1")
                .unwrap()
                .with_tag("v2")
                .as_str(),
            "localhost:5000/a:v2"
        );
        assert_eq!(
            ImageRef::new(
                "a/b:1@sha256:abababababababababababababababababababababababababababababababab"
            )
            .unwrap()
            .with_tag("2")
            .as_str(),
            "a/b:2"
        );
    }

    #[test]
    fn url_ports() {
        for (url, port) in [
            ("http://d", 80),
            ("https://d/x", 443),
            ("http://d:3000/p", 3000),
            ("https://d:8443", 8443),
            ("http://[::1]:3333", 3333),
            ("http://[::1]", 80),
        ] {
            assert_eq!(HttpUrl::new(url).unwrap().port(), port, "{url}");
        }
        // What the runner refuses, the settings refuse, with the reason.
        for (bad, why) in [
            ("https://u@d:8443", "user or password"),
            ("http://user:secret@d", "user or password"),
            ("http://d/x?y", "query"),
            ("http://d#x", "fragment"),
            ("http://d:", "port"),
            ("http://d:99999", "port"),
            ("http://d:https", "port"),
        ] {
            let e = HttpUrl::new(bad).unwrap_err();
            assert!(e.contains(why), "{bad}: {e}");
        }
    }

    #[test]
    fn credentials_in_the_settings_url_are_refused_at_their_line() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join(SETTINGS_FILE);
        std::fs::write(
            &path,
            "[dagster]\nurl = \"http://admin:hunter2@dagster:3000\"\n",
        )
        .unwrap();
        let e = Settings::load(&path, true).unwrap_err();
        assert_eq!(
            (e.code, e.span.unwrap().start.line),
            (Code::InvalidValue, 2),
            "{e}"
        );
        assert!(e.message.contains("user or password"), "{e}");
        assert!(e.message.contains("token_secret"), "{e}");
    }

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

    #[test]
    fn settings_errors_are_located() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join(SETTINGS_FILE);
        std::fs::write(&path, "namespace = \"dagster\"\nimage = \"nope\"\n").unwrap();
        let e = Settings::load(&path, true).unwrap_err();
        assert_eq!(e.span.unwrap().start.line, 2, "{e}");
        assert!(e.message.contains("image reference"), "{e}");
        std::fs::write(&path, "[dagster]\nurl = \"http://x\"\ntoken = \"abc\"\n").unwrap();
        let e = Settings::load(&path, true).unwrap_err();
        assert_eq!(
            (e.code, e.span.unwrap().start.line),
            (Code::UnknownKey, 3),
            "{e}"
        );
        std::fs::write(&path, "[paths]\nout = \"manifests\"\n").unwrap();
        let s = Settings::load(&path, true).unwrap();
        assert_eq!(s.paths.out, dir.path().join("manifests"));
        assert_eq!(
            s.namespace.as_str(),
            DEFAULT_NAMESPACE,
            "other settings keep their defaults"
        );
    }
}

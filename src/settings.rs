//! `dagster-scripts.toml`: how a repository's Jobs are rendered.
//!
//! Every setting has a default, so a repository with only `specs/` renders
//! (the seed's example needs no settings file). Settings are validated as
//! they are read, so a bad value is reported at its `file:line:col`; the
//! command line overrides the file, and a spec's `overrides` win over both.

use std::collections::BTreeMap;
use std::fmt;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Deserializer, Serialize};

use crate::diagnostic::{Code, Diagnostic, Lines, Span};
use crate::load::DEFAULT_MAX_PARTITIONS;
use crate::spec::{Deadline, Quantity};

/// The settings file's name, at the repository root.
pub const SETTINGS_FILE: &str = "dagster-scripts.toml";

/// Everything that shapes a rendered Job besides the spec and the template.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Settings {
    /// Namespace of the Jobs and ConfigMaps (where Dagster runs).
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
    /// How long a Job may run (Kubernetes' `activeDeadlineSeconds`; the runner stops following a minute earlier).
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

/// The Dagster endpoint the runner calls.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Dagster {
    /// Base URL of the Dagster webserver (path prefix allowed); the runner appends `/graphql`.
    pub url: HttpUrl,
    /// A Secret holding a Dagster+ API token, passed to the runner as `DAGSTER_API_TOKEN`.
    pub token_secret: Option<SecretKey>,
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
            namespace: DnsLabel("dagster".into()),
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
            url: HttpUrl("http://dagster-webserver:80".into()),
            token_secret: None,
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
    /// An `http://` or `https://` URL.
    HttpUrl,
    "an http:// or https:// URL",
    |s| {
        let rest = s.strip_prefix("http://").or_else(|| s.strip_prefix("https://"));
        rest.is_some_and(|r| !r.is_empty() && !r.starts_with('/') && !r.chars().any(|c| c.is_whitespace() || c.is_control()))
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

impl HttpUrl {
    /// The TCP port the URL points at (explicit, or 80/443 by scheme).
    pub fn port(&self) -> u16 {
        let (default, rest) = match self.0.strip_prefix("https://") {
            Some(rest) => (443, rest),
            None => (80, self.0.strip_prefix("http://").unwrap_or(&self.0)),
        };
        let authority = rest.split(['/', '?', '#']).next().unwrap_or("");
        let host_port = authority.rsplit('@').next().unwrap_or(authority);
        match host_port.rsplit_once(':') {
            Some((host, port)) if !host.ends_with(']') || host.starts_with('[') => {
                port.parse().unwrap_or(default)
            }
            _ => default,
        }
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
            ("https://u@d:8443", 8443),
            ("http://[::1]:3333", 3333),
            ("http://[::1]", 80),
        ] {
            assert_eq!(HttpUrl::new(url).unwrap().port(), port, "{url}");
        }
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
            "dagster",
            "other settings keep their defaults"
        );
    }
}

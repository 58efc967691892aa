//! `[dagster] ca_bundle`: the certificate authorities of a Dagster behind a
//! private CA, as a key of a ConfigMap or of a Secret holding a PEM bundle.
//!
//! The Job mounts that one key read-only at [`CA_MOUNT`] and points the
//! runner at it with `SSL_CERT_FILE`; the runner trusts those certificates
//! besides the web roots built into it.

use serde::{Deserialize, Serialize};

use crate::kube::{ConfigKey, DnsSubdomain};

/// Where the bundle's volume is mounted in the runner's container (beside,
/// not inside, the spec's mount).
pub const CA_MOUNT: &str = "/etc/dagster-scripts-ca";

/// The bundle's file name in [`CA_MOUNT`], whatever its key.
pub const CA_FILE: &str = "ca-bundle.pem";

/// A PEM bundle in a ConfigMap or a Secret of the Jobs' namespace.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(try_from = "CaBundleFile", into = "CaBundleFile")]
pub struct CaBundle {
    /// The object holding it.
    pub source: CaSource,
    /// Its key there.
    pub key: ConfigKey,
}

/// The kind and name of the object holding a CA bundle.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum CaSource {
    /// A ConfigMap (a CA certificate is public).
    ConfigMap(DnsSubdomain),
    /// A Secret.
    Secret(DnsSubdomain),
}

/// `ca_bundle` as written: `{ config_map = "corp-ca", key = "ca.crt" }` or
/// `{ secret = "corp-ca", key = "ca.crt" }`.
#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct CaBundleFile {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    config_map: Option<DnsSubdomain>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    secret: Option<DnsSubdomain>,
    key: ConfigKey,
}

impl TryFrom<CaBundleFile> for CaBundle {
    type Error = String;

    fn try_from(f: CaBundleFile) -> Result<CaBundle, String> {
        let source = match (f.config_map, f.secret) {
            (Some(c), None) => CaSource::ConfigMap(c),
            (None, Some(s)) => CaSource::Secret(s),
            (Some(_), Some(_)) => {
                return Err("`ca_bundle` takes `config_map` or `secret`, not both: name the one object that holds the bundle".to_owned());
            }
            (None, None) => {
                return Err("`ca_bundle` needs `config_map` or `secret`: the object holding the PEM bundle, e.g. `ca_bundle = { config_map = \"corp-ca\", key = \"ca.crt\" }`".to_owned());
            }
        };
        Ok(CaBundle { source, key: f.key })
    }
}

impl From<CaBundle> for CaBundleFile {
    fn from(b: CaBundle) -> CaBundleFile {
        let (config_map, secret) = match b.source {
            CaSource::ConfigMap(c) => (Some(c), None),
            CaSource::Secret(s) => (None, Some(s)),
        };
        CaBundleFile {
            config_map,
            secret,
            key: b.key,
        }
    }
}

impl CaBundle {
    /// The value of `SSL_CERT_FILE` in the runner's container.
    pub fn cert_file() -> String {
        format!("{CA_MOUNT}/{CA_FILE}")
    }

    /// What the template receives as `dagster.ca_bundle`.
    pub fn template_variables(&self) -> serde_json::Value {
        let (config_map, secret) = match &self.source {
            CaSource::ConfigMap(c) => (Some(c.as_str()), None),
            CaSource::Secret(s) => (None, Some(s.as_str())),
        };
        serde_json::json!({
            "config_map": config_map,
            "secret": secret,
            "key": self.key.as_str(),
            "mount_path": CA_MOUNT,
            "file": CA_FILE,
            "cert_file": CaBundle::cert_file(),
        })
    }
}

//! Kubernetes' rules for names: DNS labels and subdomains, label keys and
//! values, and container image references, each a string type that holds
//! only what the API server accepts. Used by the settings (checked as they
//! are read) and by `render` (every rendered manifest is checked against
//! them).

use std::fmt;

use serde::{Deserialize, Deserializer, Serialize};

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

/// An RFC 1123 subdomain: dot-separated DNS labels, at most 253 in all.
pub fn is_dns_subdomain(s: &str) -> bool {
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
    /// A key of a ConfigMap or a Secret, which becomes a file name when mounted.
    ConfigKey,
    "a ConfigMap or Secret key (at most 253 of letters, digits, `-_.`, not `.`, `..` or starting with `..`)",
    |s| {
        (1..=253).contains(&s.len())
            && s.chars().all(|c| c.is_ascii_alphanumeric() || "-_.".contains(c))
            && s != "."
            && !s.starts_with("..")
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
}

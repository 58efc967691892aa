//! Names and labels of rendered objects.
//!
//! A Job's pod template is immutable, so a changed request must become a new
//! Job: its name carries a short hash of the manifest. The rest of the name is
//! for people (`backfill-34543-…`), and is made a valid DNS label whatever the
//! issue reference looks like (`PROJ-12`, `#1`, a URL, unicode).

use crate::kube::is_label_value;
use crate::spec::Kind;

/// Hex digits of the manifest hash in a name: 40 bits, enough to tell a
/// request's versions apart.
pub const HASH_CHARS: usize = 10;

/// Longest Job name: label values (`batch.kubernetes.io/job-name`) are at most 63.
pub const MAX_NAME: usize = 63;

/// `kind-issue-hash`, lower case, at most 63 characters, a valid DNS label.
pub fn job_name(kind: Kind, issue: &str, hash: &str) -> String {
    let kind = kind.as_str().replace('_', "-");
    let hash = &hash[..HASH_CHARS.min(hash.len())];
    let room = MAX_NAME - kind.len() - hash.len() - 2;
    let mut slug = slug(issue, room);
    if slug.is_empty() {
        slug.push_str("request");
    }
    format!("{kind}-{slug}-{hash}")
}

/// Lower-case letters and digits of `text`, other runs as one `-`, at most `max` long.
fn slug(text: &str, max: usize) -> String {
    let mut out = String::new();
    for c in text.chars().flat_map(char::to_lowercase) {
        if c.is_ascii_lowercase() || c.is_ascii_digit() {
            out.push(c);
        } else if !out.is_empty() && !out.ends_with('-') {
            out.push('-');
        }
    }
    out.truncate(max);
    out.trim_end_matches('-').to_owned()
}

/// `text` made a valid label value: invalid characters become `-`, at most 63,
/// alphanumeric at both ends. The original goes in an annotation.
pub fn label_value(text: &str) -> String {
    let mapped: String = text
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || "-_.".contains(c) {
                c
            } else {
                '-'
            }
        })
        .collect();
    let trimmed = mapped.trim_matches(|c: char| !c.is_ascii_alphanumeric());
    let mut out: String = trimmed.chars().take(63).collect();
    while out.ends_with(|c: char| !c.is_ascii_alphanumeric()) {
        out.pop();
    }
    debug_assert!(is_label_value(&out));
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::kube::is_dns_label;

    #[test]
    fn names_are_dns_labels_whatever_the_issue() {
        let hash = "0123456789abcdef";
        assert_eq!(
            job_name(Kind::Backfill, "34543", hash),
            "backfill-34543-0123456789"
        );
        assert_eq!(
            job_name(Kind::AssetBackfill, "PROJ-12", hash),
            "asset-backfill-proj-12-0123456789"
        );
        for issue in [
            "#1",
            "https://github.com/org/repo/issues/34543",
            "Ünïcode 問題",
            "---",
            &"9".repeat(300),
            "a_b.c",
            "x-",
        ] {
            for kind in Kind::ALL {
                let name = job_name(kind, issue, hash);
                assert!(is_dns_label(&name), "{name:?} from {issue:?}");
                assert!(name.len() <= MAX_NAME);
            }
        }
    }

    #[test]
    fn label_values_are_valid() {
        for text in [
            "34543",
            "PROJ-12",
            "#1",
            "-a-",
            "é",
            &"x".repeat(100),
            "a b_c.d",
        ] {
            assert!(
                is_label_value(&label_value(text)),
                "{text:?} -> {:?}",
                label_value(text)
            );
        }
        assert_eq!(label_value("PROJ 12"), "PROJ-12");
    }
}

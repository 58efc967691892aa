//! `--check` modes: compare what would be generated with what is committed.
//!
//! A committed artefact (the schema, `out/`) is only trustworthy if CI can
//! tell when it is stale; these helpers produce the unified diff it prints.

use similar::TextDiff;

/// A unified diff from `committed` (absent = empty) to `generated`, or `None` if equal.
pub fn diff(label: &str, committed: Option<&str>, generated: &str) -> Option<String> {
    let old = committed.unwrap_or("");
    if committed == Some(generated) {
        return None;
    }
    let old_label = if committed.is_some() {
        format!("a/{label}")
    } else {
        "/dev/null".to_owned()
    };
    let text = TextDiff::from_lines(old, generated)
        .unified_diff()
        .context_radius(3)
        .header(&old_label, &format!("b/{label}"))
        .to_string();
    Some(text)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn equal_texts_have_no_diff() {
        assert_eq!(diff("x", Some("a\n"), "a\n"), None);
        let d = diff("x", Some("a\nb\n"), "a\nc\n").unwrap();
        assert!(
            d.contains("--- a/x") && d.contains("-b") && d.contains("+c"),
            "{d}"
        );
        assert!(diff("x", None, "a\n").unwrap().contains("--- /dev/null"));
    }
}

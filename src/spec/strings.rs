//! Validated strings: names, keys, quantities and free text.
//!
//! Each type holds a string that passed one rule, stated twice on purpose: as
//! the `pattern` the JSON Schema publishes (so editors and pre-commit catch it)
//! and as the Rust check the compiler and the runner apply. The agreement test
//! in `tests/` proves the two say the same thing on a large mutated corpus.

use std::borrow::Cow;
use std::fmt;

use schemars::{JsonSchema, Schema, SchemaGenerator, json_schema};
use serde::{Deserialize, Deserializer, Serialize, Serializer};

macro_rules! validated_string {
    (
        $(#[$doc:meta])*
        $name:ident {
            pattern: $pattern:literal,
            $(not_pattern: $not:expr,)?
            $(max_chars: $max:literal,)?
            title: $title:literal,
            description: $description:literal,
            example: $example:literal,
            check: $check:expr $(,)?
        }
    ) => {
        $(#[$doc])*
        #[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
        pub struct $name(String);

        impl $name {
            /// Wraps `s` if it follows the rule, or says what the rule is.
            pub fn new(s: impl Into<String>) -> Result<Self, String> {
                let s = s.into();
                let check: fn(&str) -> bool = $check;
                let short_enough = true $(&& s.chars().count() <= $max)?;
                if short_enough && check(&s) {
                    Ok($name(s))
                } else if let Some((message, hint)) = text_problem(&s) {
                    Err(format!("{message}: {hint}"))
                } else {
                    Err(format!("`{}` is not a valid {}: {}", s.escape_debug(), $title.to_lowercase(), $description))
                }
            }

            /// The string itself.
            pub fn as_str(&self) -> &str {
                &self.0
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(&self.0)
            }
        }

        impl std::ops::Deref for $name {
            type Target = str;
            fn deref(&self) -> &str {
                &self.0
            }
        }

        impl Serialize for $name {
            fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                s.serialize_str(&self.0)
            }
        }

        impl<'de> Deserialize<'de> for $name {
            fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
                $name::new(String::deserialize(d)?).map_err(serde::de::Error::custom)
            }
        }

        impl JsonSchema for $name {
            fn schema_name() -> Cow<'static, str> {
                stringify!($name).into()
            }

            fn json_schema(_: &mut SchemaGenerator) -> Schema {
                #[allow(unused_mut)]
                let mut schema = json_schema!({
                    "type": "string",
                    "minLength": 1,
                    "pattern": $pattern,
                    "title": $title,
                    "description": $description,
                    "examples": [$example],
                });
                $(schema.insert("maxLength".into(), $max.into());)?
                $(schema.insert("not".into(), serde_json::json!({ "type": "string", "pattern": $not }));)?
                schema
            }
        }
    };
}

fn is_name_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || c == '_'
}

/// Control characters other than tab and line feed.
fn is_forbidden_control(c: char) -> bool {
    matches!(c, '\0'..='\x08' | '\x0b'..='\x1f' | '\x7f')
}

/// Visible: not a control character and not an ASCII space.
fn is_visible(c: char) -> bool {
    !matches!(c, '\0'..=' ' | '\x7f')
}

/// The class of characters an identifier may not start or end with: white
/// space (Unicode's, and JSON Schema's `\s`) and quotation marks, typographic
/// or not. `“NL01497”` pasted from a chat names no partition Dagster has.
macro_rules! edge_class {
    () => {
        "[ \u{85}\u{a0}\u{1680}\u{2000}-\u{200a}\u{2028}\u{2029}\u{202f}\u{205f}\u{3000}\u{feff}\"'`“”„‟‘’‚‛«»‹›「」『』]"
    };
}

/// A whole value in angle brackets, on one line: a placeholder `new` wrote.
const PLACEHOLDER: &str = "^<[^\\n]*>$";

/// What identifiers refuse besides their own rule: a placeholder, or white
/// space or a quotation mark at either end.
const NOT_IDENTIFIER: &str = concat!("^<[^\\n]*>$|^", edge_class!(), "|", edge_class!(), "$");

fn is_edge_char(c: char) -> bool {
    ('\u{2000}'..='\u{200a}').contains(&c)
        || " \u{85}\u{a0}\u{1680}\u{2028}\u{2029}\u{202f}\u{205f}\u{3000}\u{feff}\"'`“”„‟‘’‚‛«»‹›「」『』"
            .contains(c)
}

/// Whether `s` is a placeholder `new` wrote: `<...>` on one line.
pub fn is_placeholder(s: &str) -> bool {
    s.len() >= 2 && s.starts_with('<') && s.ends_with('>') && !s.contains('\n')
}

/// Neither a placeholder nor white space or quotes at either end.
fn is_clean(s: &str) -> bool {
    !is_placeholder(s) && !s.starts_with(is_edge_char) && !s.ends_with(is_edge_char)
}

/// Why a text value names nothing Dagster has, when the reason is one a
/// person makes by hand: a placeholder left in, white space or quotation
/// marks around it. A message and a hint, for the model's and the schema's
/// errors alike.
pub fn text_problem(s: &str) -> Option<(String, String)> {
    let shown = s.escape_debug();
    if is_placeholder(s) {
        return Some((
            format!("`{shown}` is a placeholder to fill in"),
            "replace it with the real value (or remove the key if it is optional)".to_owned(),
        ));
    }
    let name = |c: char| match c {
        ' ' => "a space".to_owned(),
        '"' | '\'' | '`' => format!("the quotation mark `{c}`"),
        c if c.is_whitespace() || c == '\u{feff}' => {
            format!("the invisible space U+{:04X}", u32::from(c))
        }
        c => format!("the typographic quotation mark `{c}`"),
    };
    if !s.is_empty() && s.chars().all(|c| c.is_whitespace() || c == '\u{feff}') {
        return Some((
            format!("`{shown}` is only white space"),
            "write the value itself, or remove the key if it is optional".to_owned(),
        ));
    }
    let first = s.chars().next().filter(|&c| is_edge_char(c));
    let last = s.chars().next_back().filter(|&c| is_edge_char(c));
    let message = match (first, last) {
        (Some(f), Some(l)) if s.chars().count() > 1 && !f.is_whitespace() && !l.is_whitespace() => {
            format!("`{shown}` is wrapped in quotation marks `{f}…{l}`")
        }
        (Some(f), Some(l)) if s.chars().count() > 1 => {
            format!(
                "`{shown}` starts with {} and ends with {}",
                name(f),
                name(l)
            )
        }
        (Some(f), _) => format!("`{shown}` starts with {}", name(f)),
        (None, Some(l)) => format!("`{shown}` ends with {}", name(l)),
        (None, None) => return None,
    };
    let inner = s.trim_matches(is_edge_char);
    let hint = if inner.is_empty() {
        "write the value itself".to_owned()
    } else {
        format!(
            "Dagster has no name like that; write `{}` (to quote in YAML, use plain quotes around it: '{}')",
            inner.escape_debug(),
            inner.escape_debug()
        )
    };
    Some((message, hint))
}

fn is_key_char(c: char) -> bool {
    !matches!(c, '\0'..='\x1f' | '\x7f' | ',' | '[' | ']')
}

validated_string!(
    /// A Dagster job name: letters, digits and underscores.
    JobName {
        pattern: "^[A-Za-z0-9_]+$",
        title: "Job name",
        description: "letters, digits and underscores, as Dagster names jobs",
        example: "ingestion_job",
        check: |s| !s.is_empty() && s.chars().all(is_name_char),
    }
);

validated_string!(
    /// A partition dimension name: letters, digits and underscores.
    DimensionName {
        pattern: "^[A-Za-z0-9_]+$",
        title: "Dimension name",
        description: "letters, digits and underscores, as Dagster names partition dimensions",
        example: "daily",
        check: |s| !s.is_empty() && s.chars().all(is_name_char),
    }
);

validated_string!(
    /// A code location or repository name.
    LocationName {
        pattern: "^[A-Za-z0-9_.:/@-]+$",
        title: "Location name",
        description: "a code location or repository name: letters, digits and `_ . : / @ -`",
        example: "luchtmeetnet_ingestion",
        check: |s| !s.is_empty() && s.chars().all(|c| c.is_ascii_alphanumeric() || "_.:/@-".contains(c)),
    }
);

validated_string!(
    /// A key of a static partition dimension (one dimension's part of a key).
    Value {
        pattern: "^[^\\x00-\\x1f\\x7f,\\[\\]|]+$",
        not_pattern: NOT_IDENTIFIER,
        max_chars: 255,
        title: "Partition value",
        description: "a partition key of one dimension: at most 255 characters, without control characters or `, [ ] |`, and no space or quotation mark at either end",
        example: "NL01497",
        check: |s| !s.is_empty() && s.chars().all(|c| is_key_char(c) && c != '|') && is_clean(s),
    }
);

validated_string!(
    /// A full partition key, dimensions joined with `|` as Dagster shows it.
    FullKey {
        pattern: "^[^\\x00-\\x1f\\x7f,\\[\\]]+$",
        not_pattern: NOT_IDENTIFIER,
        max_chars: 1000,
        title: "Partition key",
        description: "a partition key as Dagster shows it, dimensions joined with `|`, without control characters or `, [ ]`, and no space or quotation mark at either end",
        example: "2024-01-31|NL01497",
        check: |s| !s.is_empty() && s.chars().all(is_key_char) && is_clean(s),
    }
);

validated_string!(
    /// Free text for the audit trail: reason, requester, tag values.
    Text {
        pattern: "^[^\\x00-\\x08\\x0b-\\x1f\\x7f]*[^\\x00-\\x20\\x7f][^\\x00-\\x08\\x0b-\\x1f\\x7f]*$",
        not_pattern: PLACEHOLDER,
        max_chars: 4000,
        title: "Text",
        description: "text with at least one visible character and no control characters other than tab and newline, at most 4000 characters, not a `<placeholder>`",
        example: "Station NL01912 sent bad readings",
        check: |s| s.chars().any(is_visible) && !s.chars().any(is_forbidden_control) && !is_placeholder(s),
    }
);

validated_string!(
    /// An asset key, its path parts joined with `/`.
    AssetKey {
        pattern: "^[A-Za-z0-9_.-]+(/[A-Za-z0-9_.-]+)*$",
        title: "Asset key",
        description: "an asset key, path parts of letters, digits and `_ . -` joined with `/`",
        example: "daily_summary",
        check: |s| s.split('/').all(|p| !p.is_empty() && p.chars().all(|c| c.is_ascii_alphanumeric() || "_.-".contains(c))),
    }
);

validated_string!(
    /// An asset group name: letters, digits and underscores.
    GroupName {
        pattern: "^[A-Za-z0-9_]+$",
        title: "Asset group",
        description: "an asset group name: letters, digits and underscores, as Dagster names groups",
        example: "reports",
        check: |s| !s.is_empty() && s.chars().all(is_name_char),
    }
);

validated_string!(
    /// The name of an environment of the settings (`[environments.<name>]`): a DNS label.
    EnvironmentName {
        pattern: "^[a-z0-9]([-a-z0-9]*[a-z0-9])?$",
        max_chars: 63,
        title: "Environment",
        description: "an environment name as dagster-scripts.toml defines it: lower-case letters, digits and `-`, at most 63, not starting or ending with `-`",
        example: "production",
        check: |s| {
            !s.is_empty()
                && s.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
                && !s.starts_with('-')
                && !s.ends_with('-')
        },
    }
);

validated_string!(
    /// The tag of the runner image.
    ImageTag {
        pattern: "^[A-Za-z0-9_][A-Za-z0-9_.-]*$",
        max_chars: 128,
        title: "Image tag",
        description: "an OCI image tag: letters, digits and `_ . -`, not starting with `.` or `-`, at most 128 characters",
        example: "0.2.0",
        check: |s| {
            s.chars().next().is_some_and(|c| c.is_ascii_alphanumeric() || c == '_')
                && s.chars().all(|c| c.is_ascii_alphanumeric() || "_.-".contains(c))
        },
    }
);

validated_string!(
    /// A Kubernetes resource quantity such as `100m`, `1.5` or `256Mi`.
    Quantity {
        pattern: "^[0-9]+(\\.[0-9]+)?(m|k|M|G|T|Ki|Mi|Gi|Ti)?$",
        title: "Quantity",
        description: "a Kubernetes quantity: a number with an optional suffix m, k, M, G, T, Ki, Mi, Gi or Ti",
        example: "256Mi",
        check: is_quantity,
    }
);

fn is_quantity(s: &str) -> bool {
    let number_end = s
        .find(|c: char| !(c.is_ascii_digit() || c == '.'))
        .unwrap_or(s.len());
    let (number, suffix) = s.split_at(number_end);
    let mut parts = number.split('.');
    let whole = parts.next().unwrap_or("");
    let fraction = parts.next();
    let digits = |p: &str| !p.is_empty() && p.bytes().all(|b| b.is_ascii_digit());
    digits(whole)
        && fraction.is_none_or(digits)
        && parts.next().is_none()
        && ["", "m", "k", "M", "G", "T", "Ki", "Mi", "Gi", "Ti"].contains(&suffix)
}

validated_string!(
    /// How long a Job may run: `90m`, `6h`, `2d`, `1h30m` ([`crate::duration`]'s grammar).
    Deadline {
        pattern: "^([0-9]{1,15}|([0-9]{1,9}d)?([0-9]{1,9}h)?([0-9]{1,9}m)?([0-9]{1,9}s)?([0-9]{1,9}ms)?)$",
        title: "Deadline",
        description: "a duration: a whole number of seconds (`90`, at most 15 digits) or numbers of at most 9 digits with the units d, h, m, s, ms, largest first, each at most once (`6h`, `1h30m`, `2d5s`)",
        example: "6h",
        check: |s| crate::duration::parse(s).is_some(),
    }
);

impl Deadline {
    /// The duration in whole seconds.
    pub fn seconds(&self) -> u64 {
        crate::duration::parse(&self.0).map_or(0, |d| d.as_secs())
    }
}

validated_string!(
    /// How long each run may take before Dagster's run monitoring stops it
    /// (`dagster/max_runtime`): [`crate::duration`]'s grammar, not zero (a
    /// zero would mean no limit to Dagster, the opposite of what was written).
    MaxRuntime {
        pattern: "^([0-9]{1,15}|([0-9]{1,9}d)?([0-9]{1,9}h)?([0-9]{1,9}m)?([0-9]{1,9}s)?([0-9]{1,9}ms)?)$",
        not_pattern: "^[0dhms]*$",
        title: "Maximum run time",
        description: "a duration greater than zero: a whole number of seconds (`90`, at most 15 digits) or numbers of at most 9 digits with the units d, h, m, s, ms, largest first, each at most once (`6h`, `1h30m`, `2d5s`)",
        example: "2h",
        check: |s| crate::duration::parse(s).is_some_and(|d| !d.is_zero()),
    }
);

impl MaxRuntime {
    /// The duration as Dagster's run monitoring reads it: seconds, as a
    /// number (`3600`, or `1.5` with milliseconds).
    pub fn dagster_seconds(&self) -> String {
        let d = crate::duration::parse(&self.0).unwrap_or_default();
        match d.subsec_millis() {
            0 => d.as_secs().to_string(),
            ms => format!("{}.{ms:03}", d.as_secs()),
        }
    }
}

/// A key of an extra run tag. Keys starting with `dagster` belong to Dagster
/// and to this tool, so a spec cannot forge them.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct TagKey(String);

impl TagKey {
    pub(super) const PATTERN: &str = "^([A-Za-z0-9.-]+/)?[A-Za-z0-9_.-]{1,63}$";

    /// Wraps `s` if it is a valid, unreserved tag key.
    pub fn new(s: impl Into<String>) -> Result<TagKey, String> {
        let s = s.into();
        let (prefix, name) = match s.rsplit_once('/') {
            Some((p, n)) => (Some(p), n),
            None => (None, s.as_str()),
        };
        let prefix_ok = prefix.is_none_or(|p| {
            !p.is_empty()
                && p.chars()
                    .all(|c| c.is_ascii_alphanumeric() || ".-".contains(c))
        });
        let name_ok = (1..=63).contains(&name.len())
            && name
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || "_.-".contains(c));
        if s.starts_with("dagster") {
            Err(reserved(&s))
        } else if !(prefix_ok && name_ok) {
            Err(format!(
                "`{}` is not a valid tag key: letters, digits and `_ . -`, at most 63, with an optional `prefix/`",
                s.escape_debug()
            ))
        } else {
            Ok(TagKey(s))
        }
    }

    /// The key itself.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl Serialize for TagKey {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&self.0)
    }
}

impl<'de> Deserialize<'de> for TagKey {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<TagKey, D::Error> {
        TagKey::new(String::deserialize(d)?).map_err(serde::de::Error::custom)
    }
}

impl JsonSchema for TagKey {
    fn schema_name() -> Cow<'static, str> {
        "TagKey".into()
    }

    fn json_schema(_: &mut SchemaGenerator) -> Schema {
        json_schema!({
            "type": "string",
            "pattern": TagKey::PATTERN,
            "not": { "pattern": "^dagster" },
            "title": "Tag key",
            "description": "letters, digits and `_ . -`, at most 63, with an optional `prefix/`; not starting with `dagster`",
            "examples": ["team"],
        })
    }
}

/// Why a `dagster`-prefixed tag key is refused, and which ones a spec may set.
pub fn reserved(key: &str) -> String {
    format!(
        "tag key `{key}` is reserved: keys starting with `dagster` belong to Dagster and dagster-scripts; of Dagster's own, `run_tags` may set only {}",
        crate::spec::DAGSTER_TAGS
            .iter()
            .map(|k| format!("`{k}`"))
            .collect::<Vec<_>>()
            .join(", ")
    )
}

/// The issue a request answers: `"34543"`, `34543`, `PROJ-12`, a URL.
///
/// An unquoted number is accepted, since that is how people write issue
/// numbers; it is kept as its decimal text.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct IssueRef(String);

impl IssueRef {
    /// Wraps `s` if it is a usable reference: visible text on one line.
    pub fn new(s: impl Into<String>) -> Result<IssueRef, String> {
        let s = s.into();
        let ok = s.chars().count() <= 200
            && s.chars().next().is_some_and(is_visible)
            && s.chars().next_back().is_some_and(is_visible)
            && !s.chars().any(|c| c.is_ascii_control());
        if ok && is_clean(&s) {
            Ok(IssueRef(s))
        } else if let Some((message, hint)) = text_problem(&s).filter(|_| ok) {
            Err(format!("{message}: {hint}"))
        } else {
            Err(format!(
                "`{}` is not a valid issue reference: one line of at most 200 characters, not starting or ending with a space",
                s.escape_debug()
            ))
        }
    }

    /// The reference as text.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl std::str::FromStr for IssueRef {
    type Err = String;
    fn from_str(s: &str) -> Result<IssueRef, String> {
        IssueRef::new(s)
    }
}

impl fmt::Display for IssueRef {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl Serialize for IssueRef {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&self.0)
    }
}

impl<'de> Deserialize<'de> for IssueRef {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<IssueRef, D::Error> {
        struct Visitor;
        impl serde::de::Visitor<'_> for Visitor {
            type Value = IssueRef;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("an issue reference (text or a whole number)")
            }
            fn visit_str<E: serde::de::Error>(self, v: &str) -> Result<IssueRef, E> {
                IssueRef::new(v).map_err(E::custom)
            }
            fn visit_u64<E: serde::de::Error>(self, v: u64) -> Result<IssueRef, E> {
                Ok(IssueRef(v.to_string()))
            }
            fn visit_f64<E: serde::de::Error>(self, v: f64) -> Result<IssueRef, E> {
                // `34543.0` or `1e5` is a whole number too, as JSON Schema's `integer` counts.
                if v.is_finite() && v >= 0.0 && v.fract() == 0.0 {
                    Ok(IssueRef(format!("{v:.0}")))
                } else {
                    Err(E::invalid_type(serde::de::Unexpected::Float(v), &self))
                }
            }
        }
        d.deserialize_any(Visitor)
    }
}

impl JsonSchema for IssueRef {
    fn schema_name() -> Cow<'static, str> {
        "IssueRef".into()
    }

    fn json_schema(_: &mut SchemaGenerator) -> Schema {
        json_schema!({
            "title": "Issue reference",
            "description": "the issue or ticket that asked for the request: text on one line (at most 200 characters, no space or quotation mark at either end) or a whole number",
            "anyOf": [
                {
                    "title": "Issue reference",
                    "description": "text on one line, at most 200 characters, not starting or ending with a space or quotation mark",
                    "examples": ["34543"],
                    "type": "string",
                    "minLength": 1,
                    "maxLength": 200,
                    "pattern": "^[^\\x00-\\x20\\x7f]([^\\x00-\\x1f\\x7f]*[^\\x00-\\x20\\x7f])?$",
                    "not": { "type": "string", "pattern": NOT_IDENTIFIER },
                },
                { "title": "Issue number", "description": "a whole number, 0 or more", "examples": [34543], "type": "integer", "minimum": 0 },
            ],
            "examples": ["34543"],
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn deadlines() {
        for (s, secs) in [
            ("90m", 5400),
            ("6h", 21_600),
            ("1h30m", 5400),
            ("2d", 172_800),
            ("0s", 0),
        ] {
            assert_eq!(Deadline::new(s).unwrap().seconds(), secs, "{s}");
        }
        for bad in ["", "h", "6x", "1h30", "1234567890s", "-1h", "1.5h", "30m1h"] {
            assert!(Deadline::new(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn quantities() {
        for ok in ["1", "100m", "0.5", "256Mi", "1Gi", "2k"] {
            assert!(Quantity::new(ok).is_ok(), "{ok}");
        }
        for bad in ["", "m", "1.", ".5", "1.2.3", "1mi", "1 Gi", "-1"] {
            assert!(Quantity::new(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn tag_keys_cannot_claim_reserved_prefixes() {
        assert!(TagKey::new("team").is_ok());
        assert!(TagKey::new("example.com/team").is_ok());
        assert!(
            TagKey::new("dagster/partition")
                .unwrap_err()
                .contains("reserved")
        );
        assert!(
            TagKey::new("dagster-scripts/spec-hash")
                .unwrap_err()
                .contains("reserved")
        );
        assert!(TagKey::new("a b").is_err());
        assert!(TagKey::new("/x").is_err());
    }

    #[test]
    fn issue_refs() {
        for ok in [
            "34543",
            "PROJ-12",
            "https://github.com/o/r/issues/1",
            "#1",
            "a b",
        ] {
            assert!(IssueRef::new(ok).is_ok(), "{ok}");
        }
        for bad in ["", " 1", "1 ", "a\nb", "\t1"] {
            assert!(IssueRef::new(bad).is_err(), "{bad:?}");
        }
    }
}

//! The Tera template that turns a request into manifests, and YAML quoting.
//!
//! Autoescaping is on for every template with a YAML escape function, so a
//! plain `{{ value }}` is always emitted as a YAML double-quoted scalar (JSON
//! string syntax, which YAML 1.2 reads the same way): quotes, newlines, `---`,
//! `#`, `{{` and `: ` in a spec stay inside their value. Templates have no
//! clock, no randomness and no environment: Tera's builtins are compiled out.

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use tera::Tera;

use crate::diagnostic::{Code, Diagnostic, Lines, Pos, Span};

/// The template's file name, in the embedded default and in `templates/`.
pub const TEMPLATE_NAME: &str = "job.yaml.tera";

/// The default template, compiled into the binary.
pub const DEFAULT_TEMPLATE: &str = include_str!("../../templates/job.yaml.tera");

/// A compiled template and where it came from.
pub struct Template {
    tera: Tera,
    /// The template's path, or a label for the embedded default.
    pub origin: PathBuf,
    /// The template's text (part of what the render key hashes).
    pub text: String,
}

impl Template {
    /// `templates/job.yaml.tera` if the repository has one, else the default.
    pub fn load(templates_dir: &Path) -> Result<Template, Diagnostic> {
        let path = templates_dir.join(TEMPLATE_NAME);
        match std::fs::read_to_string(&path) {
            Ok(text) => Template::compile(path, text),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Template::compile(
                PathBuf::from(format!("<embedded {TEMPLATE_NAME}>")),
                DEFAULT_TEMPLATE.to_owned(),
            ),
            Err(e) => Err(Diagnostic::file(
                &path,
                Code::Io,
                format!("cannot read the template: {e}"),
            )),
        }
    }

    /// Compiles `text`; `origin` names it in errors.
    pub fn compile(origin: PathBuf, text: String) -> Result<Template, Diagnostic> {
        let mut tera = Tera::default();
        tera.autoescape_on(vec![TEMPLATE_NAME]);
        tera.set_escape_fn(quote);
        tera.register_filter("yaml_text", yaml_text_filter);
        tera.register_filter("yaml", yaml_filter);
        if let Err(e) = tera.add_raw_template(TEMPLATE_NAME, &text) {
            return Err(template_error(&origin, &text, &e));
        }
        Ok(Template { tera, origin, text })
    }

    /// Renders with `context`.
    pub fn render(&self, context: &tera::Context) -> Result<String, Diagnostic> {
        self.tera
            .render(TEMPLATE_NAME, context)
            .map_err(|e| template_error(&self.origin, &self.text, &e))
    }
}

/// Whether `c`, written raw into YAML, could be read differently by some
/// reader: go-yaml (Kubernetes, kustomize, Flux, Argo CD) takes NEL (U+0085),
/// LINE SEPARATOR (U+2028) and PARAGRAPH SEPARATOR (U+2029) for line breaks,
/// where YAML 1.2 does not, and refuses the whole file for other control
/// characters, a byte order mark inside it, U+FFFE and U+FFFF; a carriage
/// return alone ends a line for both. Tab and line feed are safe.
pub fn is_unsafe(c: char) -> bool {
    matches!(c, '\0'..='\u{8}' | '\u{b}'..='\u{1f}' | '\u{7f}'..='\u{9f}')
        || matches!(
            c,
            '\u{2028}' | '\u{2029}' | '\u{feff}' | '\u{fffe}' | '\u{ffff}'
        )
}

/// `json` (JSON text, e.g. inside a YAML double-quoted scalar or a comment)
/// with each character [`is_unsafe`] left raw written as a `\uXXXX` escape.
/// serde_json escapes the C0 controls but not DEL, C1, U+2028 or U+2029.
pub fn escape_unsafe(json: &str) -> String {
    if !json.contains(is_unsafe) {
        return json.to_owned();
    }
    let mut out = String::with_capacity(json.len() + 12);
    for c in json.chars() {
        if is_unsafe(c) {
            out.push_str(&format!("\\u{:04x}", u32::from(c)));
        } else {
            out.push(c);
        }
    }
    out
}

/// A string as a YAML scalar that reads back as that same string in YAML 1.2
/// and 1.1 parsers and in go-yaml alike: plain when it is an unmistakable
/// word (`backfill-1`, `10m`, `ghcr.io/x/y`), otherwise double-quoted with
/// JSON's escapes, and every character [`is_unsafe`] escaped too.
pub fn quote(s: &str) -> String {
    const READ_AS_NOT_TEXT: [&str; 9] =
        ["y", "n", "yes", "no", "on", "off", "true", "false", "null"];
    let plain = s.starts_with(|c: char| c.is_ascii_alphabetic())
        && s.chars()
            .all(|c| c.is_ascii_alphanumeric() || "._/-".contains(c))
        && !READ_AS_NOT_TEXT.iter().any(|w| s.eq_ignore_ascii_case(w));
    if plain {
        s.to_owned()
    } else {
        // A JSON string is a YAML double-quoted scalar; serialising a `&str` cannot fail.
        escape_unsafe(&serde_json::to_string(s).unwrap_or_default())
    }
}

/// `{{ text | yaml_text(indent=4) | safe }}`: a multi-line string as a
/// literal block (readable in review) when that round-trips exactly in every
/// reader (no character [`is_unsafe`], no leading or trailing spaces that a
/// block would lose), else as a double-quoted scalar.
fn yaml_text_filter(
    value: &tera::Value,
    args: &HashMap<String, tera::Value>,
) -> tera::Result<tera::Value> {
    let text = value
        .as_str()
        .ok_or_else(|| tera::Error::msg("yaml_text takes a string"))?;
    let indent = args
        .get("indent")
        .and_then(tera::Value::as_u64)
        .unwrap_or(2);
    let indent = usize::try_from(indent).unwrap_or(2);
    Ok(tera::Value::String(yaml_text(text, indent)))
}

/// The `yaml_text` template filter as a function: see `yaml_text_filter`.
pub fn yaml_text(text: &str, indent: usize) -> String {
    let literal_safe = !text.is_empty()
        && !text.contains(is_unsafe)
        && !text.starts_with([' ', '\t', '\n'])
        && text
            .split('\n')
            .all(|line| line.is_empty() || !line.chars().all(|c| c == ' ' || c == '\t'))
        && !text.lines().any(|l| l.ends_with([' ', '\t']));
    if !literal_safe {
        return quote(text);
    }
    let body = text.trim_end_matches('\n');
    let trailing = text.len() - body.len();
    let chomp = match trailing {
        0 => "-",
        1 => "",
        _ => "+",
    };
    let pad = " ".repeat(indent);
    let mut out = format!("|{chomp}");
    for line in body
        .split('\n')
        .chain(std::iter::repeat_n("", trailing.saturating_sub(1)))
    {
        out.push('\n');
        if !line.is_empty() {
            out.push_str(&pad);
            out.push_str(line);
        }
    }
    out
}

/// `{{ value | yaml(indent=6) | safe }}` after `key:` written at column
/// `indent`: a map or a list the tool built (the settings' tolerations,
/// affinity) as a YAML block on the lines below, every string quoted by
/// [`quote`], lists at the key's own indentation as the template writes them.
fn yaml_filter(
    value: &tera::Value,
    args: &HashMap<String, tera::Value>,
) -> tera::Result<tera::Value> {
    let indent = args
        .get("indent")
        .and_then(tera::Value::as_u64)
        .and_then(|i| usize::try_from(i).ok())
        .ok_or_else(|| tera::Error::msg("yaml takes the key's indentation: yaml(indent=6)"))?;
    Ok(tera::Value::String(yaml_block(value, indent)))
}

/// The `yaml` template filter as a function: what follows `key:` written
/// at column `indent` (see `yaml_filter`).
pub fn yaml_block(value: &serde_json::Value, indent: usize) -> String {
    let mut out = String::new();
    after_key(&mut out, value, indent);
    out
}

/// `value` after a key's colon, the key at column `indent`.
fn after_key(out: &mut String, value: &serde_json::Value, indent: usize) {
    use serde_json::Value;
    match value {
        Value::Object(m) if !m.is_empty() => {
            for (k, v) in m {
                line(out, indent + 2);
                out.push_str(&quote(k));
                out.push(':');
                after_key(out, v, indent + 2);
            }
        }
        Value::Array(a) if !a.is_empty() => {
            for item in a {
                line(out, indent);
                out.push_str("- ");
                list_item(out, item, indent + 2);
            }
        }
        scalar => {
            out.push(' ');
            out.push_str(&yaml_scalar(scalar));
        }
    }
}

/// `value` after a list item's `- `, its content at column `indent`.
fn list_item(out: &mut String, value: &serde_json::Value, indent: usize) {
    match value {
        serde_json::Value::Object(m) if !m.is_empty() => {
            for (i, (k, v)) in m.iter().enumerate() {
                if i > 0 {
                    line(out, indent);
                }
                out.push_str(&quote(k));
                out.push(':');
                after_key(out, v, indent);
            }
        }
        other => out.push_str(&yaml_scalar(other)),
    }
}

/// A scalar, an empty collection or a nested list in flow style (JSON,
/// which YAML reads the same way, with the characters [`is_unsafe`] escaped).
fn yaml_scalar(value: &serde_json::Value) -> String {
    match value {
        serde_json::Value::String(s) => quote(s),
        other => escape_unsafe(&other.to_string()),
    }
}

fn line(out: &mut String, indent: usize) {
    out.push('\n');
    out.extend(std::iter::repeat_n(' ', indent));
}

/// A template problem, located at the template's line and column: an
/// unclosed tag where it opens, else where Tera says, else where the
/// undefined variable or filter is used.
fn template_error(origin: &Path, text: &str, error: &tera::Error) -> Diagnostic {
    let lines = Lines::new(text);
    let hint = "the variables a template receives are listed in the README, section \"Templates\"";
    if let Some((offset, message)) = unclosed(text) {
        let pos = lines.pos_of_byte(offset);
        return lines
            .diagnostic(
                origin,
                Span::at(pos),
                Code::Template,
                format!("template error: {message}"),
            )
            .with_hint(hint);
    }
    let mut chain = vec![error.to_string()];
    let mut source = std::error::Error::source(error);
    while let Some(s) = source {
        chain.push(s.to_string());
        source = s.source();
    }
    let detail = chain.last().cloned().unwrap_or_default();
    let pos = tera_pos(&detail).or_else(|| used_at(text, &detail));
    let last = detail
        .lines()
        .rfind(|l| !l.trim().is_empty())
        .unwrap_or(&detail);
    let last = last.trim().trim_start_matches("= ");
    let last = last
        .strip_suffix(&format!(" while rendering '{TEMPLATE_NAME}'"))
        .unwrap_or(last);
    let message = format!("template error: {last}");
    match pos {
        Some(pos) => lines.diagnostic(origin, Span::at(pos), Code::Template, message),
        None => Diagnostic::file(origin, Code::Template, message),
    }
    .with_hint(hint)
}

/// Tera's parse errors carry ` --> LINE:COL`.
fn tera_pos(detail: &str) -> Option<Pos> {
    let at = detail.find("--> ")?;
    let mut parts = detail[at + 4..].split(|c: char| c == ':' || c.is_whitespace());
    let line = parts.next()?.parse().ok()?;
    let col = parts.next().and_then(|c| c.parse().ok()).unwrap_or(1);
    Some(Pos { line, col })
}

/// Tera's render errors name the variable (`Variable `x.y` not found`) or
/// the filter (`Filter 'f' not found`) but not the place: the first tag
/// that uses it.
fn used_at(text: &str, detail: &str) -> Option<Pos> {
    let quoted = |q: char| {
        let start = detail.find(q)? + 1;
        Some(&detail[start..start + detail[start..].find(q)?])
    };
    let name = quoted('`')
        .or_else(|| quoted('\''))
        .filter(|n| !n.is_empty())?;
    text.lines().enumerate().find_map(|(i, l)| {
        if !(l.contains("{{") || l.contains("{%")) {
            return None;
        }
        let at = l.find(name)?;
        Some(Pos {
            line: i + 1,
            col: l[..at].chars().count() + 1,
        })
    })
}

/// The first tag of `text` that is never closed, as a byte offset and a
/// message: a `{{`, `{%` or `{#` without its `}}`, `%}` or `#}`, or a
/// block (`{% if %}`, `{% for %}`, ...) without its end tag.
fn unclosed(text: &str) -> Option<(usize, String)> {
    const BLOCKS: [&str; 6] = ["if", "for", "macro", "block", "filter", "raw"];
    let mut open: Vec<(usize, &str)> = Vec::new();
    let mut at = 0;
    while let Some(found) = text[at..].find('{') {
        let start = at + found;
        let close = match text[start + 1..].chars().next() {
            Some('{') => "}}",
            Some('%') => "%}",
            Some('#') => "#}",
            _ => {
                at = start + 1;
                continue;
            }
        };
        let Some(len) = text[start + 2..].find(close) else {
            let opener = &text[start..start + 2];
            return Some((
                start,
                format!("`{opener}` opened here is never closed with `{close}`"),
            ));
        };
        let inner = &text[start + 2..start + 2 + len];
        at = start + 2 + len + 2;
        if close != "%}" {
            continue;
        }
        let word = inner
            .trim_matches(|c: char| c == '-' || c.is_whitespace())
            .split_whitespace()
            .next()
            .unwrap_or("");
        if let Some(block) = BLOCKS.iter().find(|b| **b == word) {
            if *block == "raw" {
                // Nothing inside a raw block is a tag.
                match text[at..].find("endraw") {
                    Some(end) => at += end,
                    None => {
                        return Some((
                            start,
                            "`{% raw %}` opened here is never closed with `{% endraw %}`"
                                .to_owned(),
                        ));
                    }
                }
                continue;
            }
            open.push((start, block));
        } else if let Some(block) = word.strip_prefix("end") {
            match open.last() {
                Some((_, b)) if *b == block => {
                    open.pop();
                }
                _ => return None, // a stray end tag: Tera's own message says it best
            }
        }
    }
    let (start, block) = open.pop()?;
    Some((
        start,
        format!("`{{% {block} %}}` opened here is never closed with `{{% end{block} %}}`"),
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quoting_keeps_every_string_a_string() {
        assert_eq!(
            quote("backfill-34543-0123456789"),
            "backfill-34543-0123456789"
        );
        assert_eq!(quote("32Mi"), "\"32Mi\"", "starts with a digit");
        assert_eq!(quote("34543"), "\"34543\"");
        for s in [
            "No", "ON", "y", "true", "null", "a: b", "a #b", "---", "{{ x }}", "", "a\nb", "é",
            "x:y", ".inf",
        ] {
            assert!(quote(s).starts_with('"'), "{s:?}");
        }
    }

    #[test]
    fn literal_blocks_only_when_they_round_trip() {
        assert_eq!(yaml_text("a: 1\nb: 2\n", 4), "|\n    a: 1\n    b: 2");
        assert_eq!(yaml_text("a: 1", 4), "|-\n    a: 1");
        assert_eq!(yaml_text("a: 1\n\n\n", 2), "|+\n  a: 1\n\n");
        assert_eq!(yaml_text("a: 1\n\nb: 2\n", 2), "|\n  a: 1\n\n  b: 2");
        for quoted in [
            "a\r\nb\n",
            "  indented\n",
            "a \nb\n",
            "a\n  \nb\n",
            "\u{feff}a\n",
        ] {
            assert!(yaml_text(quoted, 2).starts_with('"'), "{quoted:?}");
        }
    }

    #[test]
    fn yaml_blocks_quote_every_string_and_indent_lists_as_the_template_does() {
        let v = serde_json::json!({
            "nodeAffinity": { "terms": [{ "key": "on", "values": ["yes", "0755", "a"], "n": 3 }, {}] },
            "empty": [],
        });
        assert_eq!(
            yaml_block(&v, 6),
            "\n        empty: []\n        nodeAffinity:\n          terms:\n          - key: \"on\"\n            \"n\": 3\n            values:\n            - \"yes\"\n            - \"0755\"\n            - a\n          - {}"
        );
    }

    #[test]
    fn errors_point_at_the_template_line() {
        let e = Template::compile("t.tera".into(), "a: 1\nb: {{ x | }}\nc: 3\n".into())
            .err()
            .unwrap();
        assert_eq!(
            (e.code, e.span.map(|s| s.start.line)),
            (Code::Template, Some(2)),
            "{e}"
        );
        let t = Template::compile("t.tera".into(), "a: 1\nb: {{ missing_var }}\n".into()).unwrap();
        let e = t.render(&tera::Context::new()).unwrap_err();
        assert_eq!(e.span.map(|s| s.start.line), Some(2), "{e}");
        assert!(e.message.contains("missing_var"), "{e}");
    }

    #[test]
    fn unclosed_tags_are_located_where_they_open() {
        for (text, line, col, what) in [
            (
                "a: 1\n{% if x %}\nb: 2\n",
                2,
                1,
                "`{% if %}` opened here is never closed with `{% endif %}`",
            ),
            (
                "a: 1\nb: {{ x\nc: 3\n",
                2,
                4,
                "`{{` opened here is never closed with `}}`",
            ),
            (
                "{% for a in b %}\n{%- if a %}x{% endif %}\n",
                1,
                1,
                "`{% for %}` opened here",
            ),
            ("a\n  {# note\n", 2, 3, "`{#` opened here"),
            ("{% raw %}{% if %}\n", 1, 1, "`{% raw %}` opened here"),
        ] {
            let e = Template::compile("t.tera".into(), text.into())
                .err()
                .unwrap();
            let at = e.span.map(|s| (s.start.line, s.start.col));
            assert_eq!(at, Some((line, col)), "{text:?}: {e}");
            assert!(e.message.contains(what), "{text:?}: {e}");
        }
    }
}

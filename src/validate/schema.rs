//! Validation against the published JSON Schema, with errors a person can act on.
//!
//! The schema is the contract editors and pre-commit see, so `check` runs it
//! too rather than trusting the typed model alone. The jsonschema crate speaks
//! in JSON pointers and keyword names; this module maps each error back to the
//! key or value in the file, gives it a stable code, and turns "not valid
//! under any of the schemas" into the one branch the author meant (the
//! `kind` of the spec, the form of a partition dimension).

use std::cell::RefCell;
use std::sync::OnceLock;

use jsonschema::ValidationError;
use jsonschema::error::{TypeKind, ValidationErrorKind};
use serde_json::Value;

use crate::diagnostic::{Code, Diagnostic};
use crate::pointer::push_pointer;
use crate::read::{Parsed, SchemaCheck};
use crate::spec::{Kind, is_placeholder, text_problem};

/// The committed schema, compiled into Rust when this crate is built.
///
/// Compiling a JSON Schema at run time (meta-schema validation, `$ref`s,
/// regular expressions) costs several times a whole `check` of one file, so
/// the validator is generated from `schema/spec.schema.json` at build time.
/// That file is the model's schema: `schema --check` fails CI when it is not.
#[jsonschema::validator(
    path = "schema/spec.schema.json",
    draft = Draft202012,
    validate_formats = true
)]
struct Compiled;

/// The committed schema's text, read when an error needs explaining.
const SCHEMA_TEXT: &str = include_str!("../../schema/spec.schema.json");

/// The spec schema, compiled; cheap to create.
#[derive(Default)]
pub struct SchemaValidator {
    schema: OnceLock<Value>,
}

impl SchemaValidator {
    /// The validator of `schema/spec.schema.json` (formats such as `date` are checked).
    pub fn new() -> SchemaValidator {
        SchemaValidator::default()
    }

    /// Whether `value` passes the schema (the verdict alone, for the agreement test).
    pub fn is_valid(&self, value: &Value) -> bool {
        Compiled::is_valid(value)
    }

    /// The schema document, to explain an error by its schema path.
    fn schema(&self) -> &Value {
        self.schema
            .get_or_init(|| serde_json::from_str(SCHEMA_TEXT).unwrap_or(Value::Null))
    }
}

impl SchemaCheck for SchemaValidator {
    fn check(&self, parsed: &Parsed<'_>) -> Vec<Diagnostic> {
        let mut out = Vec::new();
        let mut errors = Compiled::iter_errors(&parsed.document.value).peekable();
        if errors.peek().is_none() {
            return out;
        }
        let mapper = Mapper {
            schema: self.schema(),
            parsed,
            keys: RefCell::default(),
        };
        for error in errors {
            mapper.map(&error, &mut out);
        }
        // A misspelt required key is one mistake: the unknown key with its
        // suggestion says it all, so the missing key it explains goes.
        let keys = mapper.keys.into_inner();
        let explained = |i: usize| {
            keys.iter().any(|k| match k {
                KeyNote::Missing { at, mapping, key } => {
                    *at == i
                        && keys.iter().any(|s| {
                            matches!(s, KeyNote::Suggested { mapping: m, key: k } if m == mapping && k == key)
                        })
                }
                KeyNote::Suggested { .. } => false,
            })
        };
        let mut i = 0;
        out.retain(|_| {
            i += 1;
            !explained(i - 1)
        });
        // One value can break several keywords (an empty name fails both
        // `minLength` and `pattern`); report the most telling one.
        let rank = |c: Code| match c {
            Code::EmptyValue => 0,
            Code::InvalidDate => 1,
            Code::InvalidValue => 2,
            _ => 3,
        };
        out.sort_by_key(|d| (d.span, rank(d.code)));
        out.dedup_by(|later, first| {
            later.span == first.span && rank(later.code) < 3 && rank(first.code) < 3
        });
        out
    }
}

struct Mapper<'a> {
    schema: &'a Value,
    parsed: &'a Parsed<'a>,
    /// Unknown keys' suggestions and missing keys, by mapping, to tell one typo from two mistakes.
    keys: RefCell<Vec<KeyNote>>,
}

/// A key problem at one mapping (its JSON pointer).
enum KeyNote {
    /// An unknown key there looks like a misspelling of `key`.
    Suggested { mapping: String, key: String },
    /// Required `key` is missing there; diagnostic number `at` says so.
    Missing {
        at: usize,
        mapping: String,
        key: String,
    },
}

impl Mapper<'_> {
    fn map(&self, error: &ValidationError<'_>, out: &mut Vec<Diagnostic>) {
        let pointer = error.instance_path().as_str();
        let instance = self
            .parsed
            .document
            .value
            .pointer(pointer)
            .unwrap_or(&Value::Null);
        let node = self.schema_node(error.schema_path().as_str());
        let what = describe(node);
        let d = |code, message: String| self.parsed.at_value(pointer, code, message);
        // A placeholder left in, or spaces or quotes around a value, break
        // whatever rule the value has; say which of them it is.
        if let (Some(text), false) = (
            instance.as_str(),
            matches!(
                error.kind(),
                ValidationErrorKind::Type { .. } | ValidationErrorKind::Enum { .. }
            ),
        ) && let Some((message, hint)) = text_problem(text)
            // Free text may have spaces and quotes around it; a placeholder
            // or nothing but spaces is its only such problem.
            && (what != "text" || is_placeholder(text) || text.trim().is_empty())
        {
            let hint = if is_placeholder(text) {
                let rule = if node_is_date(node) {
                    "a day written YYYY-MM-DD, e.g. 2024-01-31".to_owned()
                } else {
                    rule_hint(node)
                };
                // Free text (reason, requester, run tag values) is never required.
                let or = if what == "text" {
                    ", or remove the key"
                } else {
                    ""
                };
                format!("fill it in ({rule}){or}")
            } else {
                hint
            };
            out.push(d(Code::InvalidValue, message).with_hint(hint));
            return;
        }
        match error.kind() {
            ValidationErrorKind::AdditionalProperties { unexpected } => {
                let allowed: Vec<&str> = node
                    .and_then(|n| n.get("properties"))
                    .and_then(Value::as_object)
                    .map(|p| p.keys().map(String::as_str).collect())
                    .unwrap_or_default();
                for key in unexpected {
                    let at = push_pointer(pointer, key);
                    let d =
                        self.parsed
                            .at_key(&at, Code::UnknownKey, format!("unknown key `{key}`"));
                    if let Some(meant) = closest_key(key, &allowed) {
                        self.keys.borrow_mut().push(KeyNote::Suggested {
                            mapping: pointer.to_owned(),
                            key: meant.to_owned(),
                        });
                    }
                    out.push(d.with_hint(unknown_key_hint(key, &allowed, pointer)));
                }
            }
            ValidationErrorKind::Required { property } => {
                let name = property.as_str().unwrap_or_default();
                let at = if pointer.is_empty() {
                    self.parsed.at_value("", Code::MissingKey, String::new())
                } else {
                    self.parsed.at_key(pointer, Code::MissingKey, String::new())
                };
                let place = if pointer.is_empty() {
                    String::new()
                } else {
                    format!(" {}", place(pointer))
                };
                let about = node
                    .and_then(|n| n.pointer(&push_pointer("/properties", name)))
                    .and_then(|p| {
                        p.get("description")
                            .or_else(|| self.resolve(p).get("description"))
                    })
                    .and_then(Value::as_str)
                    .map(|d| format!("`{name}`: {d}"));
                let mut diag = Diagnostic {
                    message: format!("missing required key `{name}`{place}"),
                    ..at
                };
                diag.hint = about;
                self.keys.borrow_mut().push(KeyNote::Missing {
                    at: out.len(),
                    mapping: pointer.to_owned(),
                    key: name.to_owned(),
                });
                out.push(diag);
            }
            ValidationErrorKind::Type { kind } => out.push(type_error(
                d(Code::WrongType, String::new()),
                &expected_types(kind),
                instance,
            )),
            ValidationErrorKind::MinLength { .. } => {
                let hint = format!("give the {what} a value, or remove the key if it is optional");
                out.push(
                    d(
                        Code::EmptyValue,
                        format!("`{}` is empty", last_token(pointer)),
                    )
                    .with_hint(hint),
                );
            }
            ValidationErrorKind::MinItems { .. } => {
                out.push(
                    d(
                        Code::EmptyValue,
                        format!("`{}` is an empty list", last_token(pointer)),
                    )
                    .with_hint("give at least one item, or remove the key if it is optional"),
                );
            }
            ValidationErrorKind::MinProperties { .. } => {
                out.push(
                    d(
                        Code::EmptyValue,
                        format!("`{}` is an empty mapping", last_token(pointer)),
                    )
                    .with_hint("give at least one entry"),
                );
            }
            ValidationErrorKind::Format { format } if format == "date" => {
                let text = instance.as_str().unwrap_or_default();
                let why = text
                    .parse::<crate::spec::Date>()
                    .err()
                    .map_or_else(|| "not a valid date".to_owned(), |e| e.to_string());
                out.push(
                    d(Code::InvalidDate, format!("`{text}` is not a date: {why}"))
                        .with_hint("write a real calendar day as YYYY-MM-DD, e.g. 2024-01-31"),
                );
            }
            ValidationErrorKind::Minimum { limit } | ValidationErrorKind::Maximum { limit }
                if instance.is_number() =>
            {
                let (bound, word) = match error.kind() {
                    ValidationErrorKind::Minimum { .. } => ("less", "least"),
                    _ => ("more", "most"),
                };
                out.push(
                    d(
                        Code::InvalidValue,
                        format!(
                            "{} is {bound} than {limit}, the {word} `{}` takes",
                            show(instance),
                            last_token(pointer)
                        ),
                    )
                    .with_hint(rule_hint(node)),
                );
            }
            ValidationErrorKind::Pattern { .. }
            | ValidationErrorKind::MaxLength { .. }
            | ValidationErrorKind::Format { .. }
            | ValidationErrorKind::Minimum { .. }
            | ValidationErrorKind::Maximum { .. } => {
                if node_is_date(node) {
                    let text = instance.as_str().unwrap_or_default();
                    out.push(
                        d(
                            Code::InvalidDate,
                            format!("`{text}` is not a date: it must be written YYYY-MM-DD"),
                        )
                        .with_hint("e.g. 2024-01-31 (four-digit year, two-digit month and day)"),
                    );
                } else {
                    out.push(
                        d(
                            Code::InvalidValue,
                            format!("{} is not a valid {what}", show(instance)),
                        )
                        .with_hint(rule_hint(node)),
                    );
                }
            }
            ValidationErrorKind::Enum { options }
            | ValidationErrorKind::Constant {
                expected_value: options,
            } => {
                let allowed = match options.as_ref() {
                    Value::Array(items) => items.iter().map(show).collect::<Vec<_>>().join(", "),
                    other => show(other),
                };
                out.push(
                    d(
                        Code::InvalidValue,
                        format!("{} is not allowed here", show(instance)),
                    )
                    .with_hint(format!("expected {allowed}")),
                );
            }
            ValidationErrorKind::UniqueItems => {
                let items = instance.as_array().map(Vec::as_slice).unwrap_or_default();
                for (i, item) in items.iter().enumerate() {
                    if items[..i].contains(item) {
                        let at = push_pointer(pointer, &i.to_string());
                        let first = items.iter().position(|x| x == item).unwrap_or(0);
                        let first_line = self
                            .parsed
                            .spans()
                            .value(&push_pointer(pointer, &first.to_string()))
                            .start
                            .line;
                        let diag = self.parsed.at_value(
                            &at,
                            Code::Duplicate,
                            format!("{} is listed twice", show(item)),
                        );
                        out.push(diag.with_hint(format!(
                            "it is already listed on line {first_line}; remove one"
                        )));
                    }
                }
            }
            // A value matched what its rule excludes (a zero duration).
            ValidationErrorKind::Not { .. } if !instance.is_object() => out.push(
                d(
                    Code::InvalidValue,
                    format!("{} is not a valid {what}", show(instance)),
                )
                .with_hint(rule_hint(node)),
            ),
            // A key broke `propertyNames`: the generated validator reports
            // the key itself, at the object's path.
            _ if instance.is_object() && error.instance().is_string() => {
                self.map_key(pointer, error, out);
            }
            ValidationErrorKind::OneOfNotValid { context }
            | ValidationErrorKind::AnyOf { context } => {
                self.map_union(error, pointer, instance, context, out);
            }
            _ => out.push(d(Code::InvalidValue, error.to_string())),
        }
    }

    /// A key of the object at `pointer` broke the schema's `propertyNames`.
    fn map_key(&self, pointer: &str, error: &ValidationError<'_>, out: &mut Vec<Diagnostic>) {
        let key = error.instance().as_str().unwrap_or_default();
        let at = push_pointer(pointer, key);
        let (message, hint) = match error.kind() {
            ValidationErrorKind::Not { .. } => (
                crate::spec::reserved(key),
                "use one of those, or a key of your own that does not start with `dagster` (e.g. `team`)".to_owned(),
            ),
            _ => (
                format!("`{key}` is not a valid tag key"),
                rule_hint(self.schema_node(error.schema_path().as_str())),
            ),
        };
        out.push(
            self.parsed
                .at_key(&at, Code::InvalidValue, message)
                .with_hint(hint),
        );
    }

    /// A value matched none of a union's branches: find the branch the author
    /// meant and report its errors, or say which forms exist.
    fn map_union(
        &self,
        error: &ValidationError<'_>,
        pointer: &str,
        instance: &Value,
        context: &[Vec<ValidationError<'static>>],
        out: &mut Vec<Diagnostic>,
    ) {
        // A rule "at least one of these keys" (an asset selection): every
        // branch only requires one key. Say so, not that the last is missing.
        let node = self.schema_node(error.schema_path().as_str());
        let alternatives: Option<Vec<&str>> = node
            .and_then(|n| n.get("anyOf"))
            .and_then(Value::as_array)
            .and_then(|branches| {
                branches
                    .iter()
                    .map(|b| match b.as_object() {
                        Some(m) if m.len() == 1 => {
                            match m.get("required")?.as_array()?.as_slice() {
                                [key] => key.as_str(),
                                _ => None,
                            }
                        }
                        _ => None,
                    })
                    .collect()
            });
        if let Some(keys) = alternatives.filter(|k| !k.is_empty()) {
            let names: Vec<String> = keys.iter().map(|k| format!("`{k}`")).collect();
            let message = format!("at least one of {} is required", names.join(", "));
            let d = if pointer.is_empty() {
                self.parsed.at_value("", Code::MissingKey, message)
            } else {
                self.parsed.at_key(pointer, Code::MissingKey, message)
            };
            out.push(
                d.with_hint("select the assets by key (`assets`), by group (`asset_groups`) or by key prefix (`asset_prefixes`), or several of them"),
            );
            return;
        }
        if pointer.is_empty() && instance.is_object() {
            // The spec itself: the branch is the `kind`, in `Kind::ALL` order.
            let kind = match instance.get("kind") {
                None => Some(Kind::Backfill),
                Some(k) => serde_json::from_value::<Kind>(k.clone()).ok(),
            };
            match kind
                .and_then(|k| Kind::ALL.iter().position(|&x| x == k))
                .and_then(|i| context.get(i))
            {
                Some(branch) => branch.iter().for_each(|e| self.map(e, out)),
                None => {
                    let kinds = Kind::ALL.map(Kind::as_str).join(", ");
                    let d = self.parsed.at_value(
                        "/kind",
                        Code::InvalidValue,
                        format!(
                            "unknown kind {}",
                            show(instance.get("kind").unwrap_or(&Value::Null))
                        ),
                    );
                    let written = instance.get("kind").and_then(Value::as_str);
                    let meant = written.and_then(|w| {
                        let w = w.trim().to_ascii_lowercase().replace(['-', ' '], "_");
                        Kind::ALL.into_iter().find(|k| k.as_str() == w)
                    });
                    out.push(d.with_hint(match meant {
                        Some(k) => format!("did you mean `{k}`? (`kind` is one of: {kinds})"),
                        None => format!("`kind` is one of: {kinds} (leave it out for a backfill)"),
                    }));
                }
            }
            return;
        }
        let at_here = |e: &ValidationError<'_>| e.instance_path().as_str() == pointer;
        let typed: Vec<&Vec<ValidationError<'static>>> = context
            .iter()
            .filter(|b| {
                !b.iter()
                    .any(|e| at_here(e) && matches!(e.kind(), ValidationErrorKind::Type { .. }))
            })
            .collect();
        if typed.is_empty() {
            let mut expected: Vec<String> = context
                .iter()
                .flat_map(|b| b.iter().filter(|e| at_here(e)))
                .filter_map(|e| match e.kind() {
                    ValidationErrorKind::Type { kind } => Some(expected_types(kind)),
                    _ => None,
                })
                .collect();
            expected.dedup();
            let d = self
                .parsed
                .at_value(pointer, Code::WrongType, String::new());
            out.push(type_error(d, &expected.join(" or "), instance));
            return;
        }
        if let [branch] = typed.as_slice() {
            branch.iter().for_each(|e| self.map(e, out));
            return;
        }
        // Several object forms (a partition dimension): the form is told by
        // the keys only it has. One form's keys: that form's errors. None or
        // several: say what the forms are.
        let node = self.schema_node(error.schema_path().as_str());
        let forms: Vec<Vec<&str>> = node
            .and_then(|n| n.get("oneOf").or_else(|| n.get("anyOf")))
            .and_then(Value::as_array)
            .map(|branches| {
                branches
                    .iter()
                    .map(|b| {
                        self.resolve(b)
                            .get("properties")
                            .and_then(Value::as_object)
                            .map(|p| p.keys().map(String::as_str).collect())
                            .unwrap_or_default()
                    })
                    .collect()
            })
            .unwrap_or_default();
        let keys: Vec<&str> = instance
            .as_object()
            .map(|m| m.keys().map(String::as_str).collect())
            .unwrap_or_default();
        let own = |form: &Vec<&str>| {
            keys.iter()
                .filter(|k| form.contains(k) && !forms.iter().all(|f| f.contains(k)))
                .count()
        };
        let matching: Vec<usize> = (0..forms.len()).filter(|&i| own(&forms[i]) > 0).collect();
        match matching.as_slice() {
            [i] if forms.len() == context.len() => {
                context[*i].iter().for_each(|e| self.map(e, out))
            }
            _ if is_dimension(pointer) => {
                let name = instance
                    .get("name")
                    .and_then(Value::as_str)
                    .map(|n| format!(" `{n}`"))
                    .unwrap_or_default();
                // Keys of several forms (`start` with `end_date`): say which.
                let mixed: Vec<String> = keys
                    .iter()
                    .filter(|k| {
                        forms.iter().any(|f| f.contains(k)) && !forms.iter().all(|f| f.contains(k))
                    })
                    .map(|k| format!("`{k}`"))
                    .collect();
                let mixes = if matching.len() > 1 {
                    format!(" mixes keys of different forms ({}): it", mixed.join(", "))
                } else {
                    String::new()
                };
                let d = self.parsed.at_value(pointer, Code::PartitionForm, format!("partition dimension{name}{mixes} must have exactly one of `start_date` and `end_date`, `start` and `end`, `values`, or `all`"));
                out.push(d.with_hint("a range of days: `start_date` + `end_date` (YYYY-MM-DD); a range of Dagster's keys (hourly, weekly, monthly, any key format): `start` + `end`; listed keys: `values: [...]`; every key: `all: true`"));
            }
            _ => {
                // A choice among words (`reprocess`): name them.
                let words: Option<Vec<&str>> = node
                    .and_then(|n| n.get("oneOf"))
                    .and_then(Value::as_array)
                    .and_then(|bs| bs.iter().map(|b| b.get("const")?.as_str()).collect());
                let d = match words {
                    Some(words) => {
                        let listed: Vec<String> = words.iter().map(|w| format!("`{w}`")).collect();
                        let meant = instance.as_str().and_then(|w| closest_key(w, &words));
                        let d = self.parsed.at_value(
                            pointer,
                            Code::InvalidValue,
                            format!("{} is not one of {}", show(instance), listed.join(", ")),
                        );
                        let each: Vec<String> = node
                            .and_then(|n| n.get("oneOf"))
                            .and_then(Value::as_array)
                            .into_iter()
                            .flatten()
                            .filter_map(|b| {
                                let word = b.get("const")?.as_str()?;
                                let what = b.get("description").and_then(Value::as_str)?;
                                Some(format!("`{word}`: {}", what.trim_end_matches('.')))
                            })
                            .collect();
                        match meant {
                            Some(m) => d.with_hint(format!("did you mean `{m}`?")),
                            None if !each.is_empty() => d.with_hint(each.join("; ")),
                            None => d,
                        }
                    }
                    None => self.parsed.at_value(
                        pointer,
                        Code::InvalidValue,
                        format!(
                            "{} matches none of the forms {} allows",
                            show(instance),
                            describe(node)
                        ),
                    ),
                };
                out.push(d);
            }
        }
    }

    /// The schema object a keyword error came from: its path without the keyword.
    fn schema_node(&self, schema_path: &str) -> Option<&Value> {
        let mut node = self.schema;
        let tokens: Vec<&str> = schema_path.split('/').skip(1).collect();
        let (_, parents) = tokens.split_last()?;
        for token in parents {
            node = self.resolve(node);
            let token = token.replace("~1", "/").replace("~0", "~");
            node = match node {
                Value::Object(m) => m.get(&token)?,
                Value::Array(a) => a.get(token.parse::<usize>().ok()?)?,
                _ => return None,
            };
        }
        Some(self.resolve(node))
    }

    /// Follows `$ref`s within the schema.
    fn resolve<'s>(&'s self, mut node: &'s Value) -> &'s Value {
        for _ in 0..16 {
            match node
                .get("$ref")
                .and_then(Value::as_str)
                .and_then(|r| r.strip_prefix('#'))
            {
                Some(target) => match self.schema.pointer(target) {
                    Some(t) => node = t,
                    None => break,
                },
                None => break,
            }
        }
        node
    }
}

fn is_dimension(pointer: &str) -> bool {
    pointer
        .strip_prefix("/tags/partitions/")
        .is_some_and(|rest| !rest.contains('/'))
}

fn node_is_date(node: Option<&Value>) -> bool {
    node.and_then(|n| n.get("format")).and_then(Value::as_str) == Some("date")
}

/// "job name", "dimension name", ...: the schema node's title, lower-cased.
fn describe(node: Option<&Value>) -> String {
    node.and_then(|n| n.get("title"))
        .and_then(Value::as_str)
        .map_or_else(|| "value".to_owned(), str::to_lowercase)
}

/// The rule a value broke, from the schema's description of it.
fn rule_hint(node: Option<&Value>) -> String {
    let rule = node
        .and_then(|n| n.get("description"))
        .and_then(Value::as_str)
        .map_or_else(
            || "what schema/spec.schema.json describes".to_owned(),
            |d| lower_first(d.trim_end_matches('.')),
        );
    match node.and_then(|n| n.get("examples")).and_then(|e| e.get(0)) {
        Some(example) => format!("expected {rule}, e.g. {}", show(example)),
        None => format!("expected {rule}"),
    }
}

/// A description that starts a sentence (`At most ...`), its first word in
/// lower case, to follow "expected"; a name (`Dagster's`, `URL`) is kept.
fn lower_first(description: &str) -> String {
    let mut chars = description.chars();
    match (chars.next(), chars.next()) {
        (Some(first), Some(second))
            if first.is_uppercase()
                && second.is_lowercase()
                && !description.starts_with("Dagster") =>
        {
            first
                .to_lowercase()
                .chain(description.chars().skip(1))
                .collect()
        }
        _ => description.to_owned(),
    }
}

/// The allowed key `key` is most likely a misspelling of, if any.
fn closest_key<'a>(key: &str, allowed: &[&'a str]) -> Option<&'a str> {
    let close = |a: &str| {
        edit_distance(key, a) <= 2.max(a.len() / 3) || (key.len() >= 3 && a.starts_with(key))
    };
    allowed
        .iter()
        .filter(|a| close(a))
        .map(|a| (edit_distance(key, a), *a))
        .min()
        .map(|(_, a)| a)
}

fn unknown_key_hint(key: &str, allowed: &[&str], pointer: &str) -> String {
    match closest_key(key, allowed) {
        Some(a) => format!("did you mean `{a}`?"),
        None if allowed.is_empty() => "remove it".to_owned(),
        None => {
            format!(
                "allowed {}: {}",
                place(pointer),
                allowed
                    .iter()
                    .map(|a| format!("`{a}`"))
                    .collect::<Vec<_>>()
                    .join(", ")
            )
        }
    }
}

fn edit_distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut row: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut prev = row[0];
        row[0] = i + 1;
        for (j, &cb) in b.iter().enumerate() {
            let cur = row[j + 1];
            row[j + 1] = (prev + usize::from(ca != cb)).min(row[j] + 1).min(cur + 1);
            prev = cur;
        }
    }
    row[b.len()]
}

/// Where a pointer is, for a message: "at the top level", "in `tags`", "in item 2 of `partitions`".
fn place(pointer: &str) -> String {
    let token = last_token(pointer);
    match token.parse::<usize>() {
        _ if pointer.is_empty() => "at the top level".to_owned(),
        Ok(i) => format!(
            "in item {} of `{}`",
            i + 1,
            last_token(pointer.rsplit_once('/').map_or("", |p| p.0))
        ),
        Err(_) => format!("in `{token}`"),
    }
}

fn last_token(pointer: &str) -> String {
    pointer
        .rsplit('/')
        .next()
        .unwrap_or_default()
        .replace("~1", "/")
        .replace("~0", "~")
}

fn expected_types(kind: &TypeKind) -> String {
    let name = |t: &jsonschema::JsonType| match t.to_string().as_str() {
        "object" => "a mapping".to_owned(),
        "array" => "a list".to_owned(),
        "string" => "text".to_owned(),
        "integer" => "a whole number".to_owned(),
        "number" => "a number".to_owned(),
        "boolean" => "true or false".to_owned(),
        "null" => "nothing".to_owned(),
        other => other.to_owned(),
    };
    match kind {
        TypeKind::Single(t) => name(t),
        TypeKind::Multiple(set) => set
            .iter()
            .map(|t| name(&t))
            .collect::<Vec<_>>()
            .join(" or "),
    }
}

fn found_type(v: &Value) -> &'static str {
    match v {
        Value::Null => "nothing",
        Value::Bool(_) => "true/false",
        Value::Number(n) if n.is_f64() => "a decimal number",
        Value::Number(_) => "a number",
        Value::String(_) => "text",
        Value::Array(_) => "a list",
        Value::Object(_) => "a mapping",
    }
}

fn type_error(base: Diagnostic, expected: &str, instance: &Value) -> Diagnostic {
    let message = format!("expected {expected}, found {}", found_type(instance));
    let hint = match instance {
        Value::Null => {
            Some("the value is empty: write one, or remove the key if it is optional".to_owned())
        }
        Value::Number(_) | Value::Bool(_) if expected.contains("text") => {
            let line = base.line_text.as_deref().unwrap_or_default();
            let col = base.span.map_or(0, |s| s.start.col.saturating_sub(1));
            let end = base
                .span
                .filter(|s| s.end.line == s.start.line)
                .map_or(line.chars().count(), |s| s.end.col.saturating_sub(1));
            let written: String = line
                .chars()
                .skip(col)
                .take(end.saturating_sub(col))
                .collect();
            let written = if written.is_empty() {
                instance.to_string()
            } else {
                written
            };
            Some(format!(
                "YAML reads `{written}` as {}; quote it to keep it as text: '{written}'",
                found_type(instance)
            ))
        }
        _ => None,
    };
    let d = Diagnostic { message, ..base };
    match hint {
        Some(h) => d.with_hint(h),
        None => d,
    }
}

/// A value as a reader would recognise it: strings in backticks, the rest as JSON.
fn show(v: &Value) -> String {
    match v {
        Value::String(s) if s.chars().count() > 60 => format!(
            "`{}…`",
            s.chars().take(60).collect::<String>().escape_debug()
        ),
        Value::String(s) => format!("`{}`", s.escape_debug()),
        Value::Array(_) => "a list".to_owned(),
        Value::Object(_) => "a mapping".to_owned(),
        other => format!("`{other}`"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn edit_distance_finds_typos() {
        assert_eq!(edit_distance("job_nme", "job_name"), 1);
        assert_eq!(edit_distance("partitons", "partitions"), 1);
        assert_eq!(edit_distance("", "abc"), 3);
        assert_eq!(
            unknown_key_hint("job_nme", &["job_name", "tags"], ""),
            "did you mean `job_name`?"
        );
        assert_eq!(
            unknown_key_hint("zzz", &["a", "b"], "/tags"),
            "allowed in `tags`: `a`, `b`"
        );
    }
}

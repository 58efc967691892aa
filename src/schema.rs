//! The published JSON Schema of a spec, generated from the model.
//!
//! `schema/spec.schema.json` is this function's output, committed so that
//! editors and other tools can use it without running anything. Doc comments
//! on the model become `title` (their first line) and `description` (the
//! rest), so every field shows a useful hover.

use schemars::generate::SchemaSettings;
use serde_json::Value;

use crate::spec::Spec;

/// Where the schema is committed, relative to the repository root.
pub const SCHEMA_PATH: &str = "schema/spec.schema.json";

/// The schema's `$id`: where editors and CI can refer to it.
pub const SCHEMA_ID: &str = "https://dagster-scripts.dev/schema/spec.schema.json";

/// The JSON Schema (2020-12) of a spec.
pub fn spec_schema() -> Value {
    let generator = SchemaSettings::draft2020_12().into_generator();
    let mut schema = generator.into_root_schema_for::<Spec>().to_value();
    split_titles(&mut schema);
    if let Some(root) = schema.as_object_mut() {
        root.insert("$id".into(), SCHEMA_ID.into());
    }
    schema
}

/// The schema as committed: pretty JSON with a final newline.
pub fn spec_schema_text() -> String {
    let mut text = serde_json::to_string_pretty(&spec_schema()).unwrap_or_default();
    text.push('\n');
    text
}

/// Turns `"description": "Title\n\nRest"` into a title and a description.
fn split_titles(value: &mut Value) {
    match value {
        Value::Object(map) => {
            let split = match map.get("description").and_then(Value::as_str) {
                Some(d) if !map.contains_key("title") => d
                    .split_once("\n\n")
                    .filter(|(t, _)| !t.contains('\n'))
                    .map(|(t, r)| (t.to_owned(), r.to_owned())),
                _ => None,
            };
            if let Some((title, rest)) = split {
                map.insert("title".into(), title.into());
                map.insert("description".into(), rest.into());
            }
            map.values_mut().for_each(split_titles);
        }
        Value::Array(items) => items.iter_mut().for_each(split_titles),
        _ => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every property of every object in the schema has a title, a
    /// description and an example, so editors always have something to show.
    #[test]
    fn every_field_is_documented() {
        fn walk(v: &Value, at: &str, missing: &mut Vec<String>) {
            let Some(map) = v.as_object() else { return };
            if let Some(props) = map.get("properties").and_then(Value::as_object) {
                for (name, prop) in props {
                    for key in ["title", "description", "examples"] {
                        if prop.get(key).is_none() {
                            missing.push(format!("{at}/properties/{name}: {key}"));
                        }
                    }
                }
            }
            for (k, child) in map {
                walk(child, &format!("{at}/{k}"), missing);
            }
        }
        let mut missing = Vec::new();
        walk(&spec_schema(), "", &mut missing);
        assert!(
            missing.is_empty(),
            "undocumented fields:\n{}",
            missing.join("\n")
        );
    }
}

//! A spec parsed into YAML, with what is needed to locate a problem in it:
//! what every check after parsing (the schema's, the rules') is given.

use std::path::Path;

use super::yaml::{Document, SpanIndex};
use crate::diagnostic::{Code, Diagnostic, Lines};

/// A parsed spec file, with what is needed to locate problems in it.
pub struct Parsed<'a> {
    /// The file's path as given.
    pub path: &'a Path,
    /// Its lines, for showing the offending one.
    pub lines: &'a Lines<'a>,
    /// The YAML document.
    pub document: &'a Document,
}

impl Parsed<'_> {
    /// A diagnostic at the value `pointer` names.
    pub fn at_value(&self, pointer: &str, code: Code, message: impl Into<String>) -> Diagnostic {
        self.lines
            .diagnostic(self.path, self.document.spans.value(pointer), code, message)
    }

    /// A diagnostic at the key that holds the value `pointer` names.
    pub fn at_key(&self, pointer: &str, code: Code, message: impl Into<String>) -> Diagnostic {
        self.lines
            .diagnostic(self.path, self.document.spans.key(pointer), code, message)
    }

    /// The span index of the document.
    pub fn spans(&self) -> &SpanIndex {
        &self.document.spans
    }
}

/// A validation the compiler adds between YAML and the typed model: the JSON Schema.
pub trait SchemaCheck {
    /// Every schema violation in the document.
    fn check(&self, parsed: &Parsed<'_>) -> Vec<Diagnostic>;
}

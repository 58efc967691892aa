//! A problem found in settings that parsed: the path of the value it is
//! about, what is wrong and what to do, and where that value is written in
//! the file (`file:line:col`). Rules that span several values (a
//! toleration's operator and its value) or that Kubernetes adds on top of a
//! value's type (reserved label keys) are checked this way, after serde has
//! checked the types.

use std::fmt::Write;
use std::ops::Range;

/// One step of a path into the settings.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Seg {
    /// A table's value at this key.
    Key(String),
    /// An array's item.
    Index(usize),
    /// The key itself (a bad label key), not its value; only last in a path.
    KeyName(String),
}

/// What is wrong at one place of the settings.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Problem {
    /// Where, from the file's root once [`Problem::within`] has prefixed it.
    pub path: Vec<Seg>,
    /// What is wrong.
    pub message: String,
    /// What to do about it.
    pub hint: String,
}

impl Problem {
    /// A problem at `path` (relative to the table that found it).
    pub fn new(path: Vec<Seg>, message: impl Into<String>, hint: impl Into<String>) -> Problem {
        Problem {
            path,
            message: message.into(),
            hint: hint.into(),
        }
    }

    /// The same problem, its path prefixed with the table `key`.
    pub fn within(mut self, key: &str) -> Problem {
        self.path.insert(0, Seg::Key(key.to_owned()));
        self
    }

    /// The path as a TOML reader writes it: `pod.tolerations[0].value`.
    pub fn dotted(&self) -> String {
        let mut out = String::new();
        for seg in &self.path {
            match seg {
                Seg::Key(k) | Seg::KeyName(k) => {
                    if !out.is_empty() {
                        out.push('.');
                    }
                    if k.chars()
                        .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-')
                    {
                        out.push_str(k);
                    } else {
                        let _ = write!(out, "{k:?}");
                    }
                }
                Seg::Index(i) => {
                    let _ = write!(out, "[{i}]");
                }
            }
        }
        out
    }
}

/// The bytes that `path` names in `root` (a table as read, with the file's
/// spans): the deepest part of it that is written in the file (a key left
/// out is reported at its table).
pub fn locate(root: &toml::de::DeValue<'_>, path: &[Seg]) -> Range<usize> {
    let mut span = 0..0;
    let mut current = root;
    for seg in path {
        let next = match seg {
            Seg::Key(k) => current.get(k.as_str()),
            Seg::Index(i) => current.get(*i),
            Seg::KeyName(k) => {
                if let Some((key, _)) = current
                    .as_table()
                    .and_then(|t| t.iter().find(|(key, _)| key.get_ref() == k))
                {
                    span = key.span();
                }
                break;
            }
        };
        match next {
            Some(v) => {
                span = v.span();
                current = v.get_ref();
            }
            None => break,
        }
    }
    span
}

//! The change set: each file `out/` should hold, how it compares with what
//! is there, and the changes from one to the other (what `render` writes,
//! `render --check` diffs and `plan` lists).

use std::collections::BTreeMap;

use super::existing::{Existing, State};
use crate::render::Meta;

/// The files `out/` should hold, by name.
pub type Desired = BTreeMap<String, File>;

/// One file `out/` should hold: how it compares with what is there, and its text.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct File {
    /// What `out/` holds under this name now, compared with the rendered bytes.
    pub state: State,
    /// The rendered bytes, where they are.
    pub content: Content,
}

/// Where a rendered file's bytes are.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Content {
    /// Nowhere: `out/` holds them already (or cannot take them).
    Kept,
    /// This text.
    Text(String),
    /// Written to the file's temporary file by [`Staging`](super::Staging).
    Staged,
}

impl Content {
    /// The text, when it is in memory.
    pub fn text(&self) -> Option<&str> {
        match self {
            Content::Text(text) => Some(text),
            Content::Kept | Content::Staged => None,
        }
    }
}

impl File {
    /// Whether `render` has to write it.
    pub fn is_write(&self) -> bool {
        matches!(self.state, State::Added | State::Changed(_))
    }
}

/// How one file changes.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Change {
    /// A new file.
    Added,
    /// A file whose bytes change (its old header's description).
    Changed(Option<Meta>),
    /// A file the tool wrote that is no longer rendered (its header's description).
    Removed(Option<Meta>),
}

/// Every change from what `out/` holds to `desired`, by file name.
pub fn changes(
    desired: &Desired,
    removed: &BTreeMap<String, Option<Meta>>,
) -> BTreeMap<String, Change> {
    let mut out = BTreeMap::new();
    for (name, file) in desired {
        match &file.state {
            State::Added => out.insert(name.clone(), Change::Added),
            State::Changed(meta) => out.insert(name.clone(), Change::Changed(meta.clone())),
            State::Same | State::Foreign => None,
        };
    }
    for (name, meta) in removed {
        out.insert(name.clone(), Change::Removed(meta.clone()));
    }
    out
}

/// A unified diff of every change, as `render --check` prints it (the old
/// texts are read from `existing` again).
pub fn diff(existing: &Existing, desired: &Desired, changes: &BTreeMap<String, Change>) -> String {
    let mut text = String::new();
    for (name, change) in changes {
        let label = existing.dir.join(name).to_string_lossy().into_owned();
        let new = desired
            .get(name)
            .and_then(|f| f.content.text())
            .unwrap_or_default();
        let d = match change {
            Change::Added => crate::drift::diff(&label, None, new),
            Change::Changed(_) => crate::drift::diff(&label, Some(&existing.text(name)), new),
            Change::Removed(_) => crate::drift::diff(&label, Some(&existing.text(name)), ""),
        };
        text.push_str(&d.unwrap_or_default());
    }
    text
}

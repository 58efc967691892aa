//! What `out/` holds now, read only as far as deciding needs.
//!
//! Nothing a file in `out/` says about itself is trusted: a file is current
//! only when its bytes are exactly the rendered ones, and only regular files
//! whose first line is the tool's marker are the tool's.

use std::collections::BTreeMap;
use std::fs;
use std::io;
use std::path::{Path, PathBuf};

use crate::parallel::parallel_map;
use crate::render::{MARKER, Meta, read_meta};

/// Suffix of the temporary files a write goes through: not part of what `out/` holds.
pub(super) const TEMP_SUFFIX: &str = ".dagster-scripts.tmp";

/// What `out/` holds under one name, compared byte for byte with what was rendered.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum State {
    /// Nothing.
    Added,
    /// Exactly the rendered bytes.
    Same,
    /// A file the tool wrote, with other bytes; its header's description
    /// (shown as "before" by `plan`, nothing else), if it reads.
    Changed(Option<Meta>),
    /// Something the tool did not write: another file, a directory, a symlink.
    Foreign,
}

/// What `out/` holds now: the names of its entries, and which are regular
/// files. Files are read when a render compares with them ([`Existing::compare`]),
/// on every core, and only what deciding needs stays in memory.
#[derive(Debug, Default)]
pub struct Existing {
    /// The folder that was read.
    pub(super) dir: PathBuf,
    /// Every entry but temporary files: whether it is a regular file (not a
    /// directory, a symlink, a FIFO, ...).
    entries: BTreeMap<String, bool>,
}

/// Lists the top level of `out/` (absent is empty).
pub fn read_existing(out: &Path) -> io::Result<Existing> {
    let mut existing = Existing {
        dir: out.to_owned(),
        ..Existing::default()
    };
    let entries = match fs::read_dir(out) {
        Ok(e) => e,
        Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(existing),
        Err(e) => return Err(e),
    };
    for entry in entries {
        let entry = entry?;
        let name = entry.file_name().to_string_lossy().into_owned();
        if !name.ends_with(TEMP_SUFFIX) {
            // The entry's own type: a symlink is not followed.
            existing.entries.insert(name, entry.file_type()?.is_file());
        }
    }
    Ok(existing)
}

impl Existing {
    /// How `out/`'s entry `name` compares with `text`, the bytes rendered for it.
    pub fn compare(&self, name: &str, text: &str) -> io::Result<State> {
        Ok(match self.entries.get(name) {
            None => State::Added,
            Some(false) => State::Foreign,
            Some(true) => match self.ours(name)? {
                None => State::Foreign,
                Some(old) if old == text => State::Same,
                Some(old) => State::Changed(read_meta(&old)),
            },
        })
    }

    /// The text of the regular file `name` if the tool wrote it (its first line is the marker).
    fn ours(&self, name: &str) -> io::Result<Option<String>> {
        let bytes = match fs::read(self.dir.join(name)) {
            Ok(b) => b,
            Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(None),
            Err(e) => return Err(e),
        };
        Ok(String::from_utf8(bytes)
            .ok()
            .filter(|t| t.split('\n').next() == Some(MARKER)))
    }

    /// The files the tool wrote that `desired` does not name, with their
    /// headers' descriptions: what a render removes.
    pub fn removals<F>(
        &self,
        desired: &BTreeMap<String, F>,
    ) -> io::Result<BTreeMap<String, Option<Meta>>> {
        let names: Vec<&String> = self
            .entries
            .iter()
            .filter(|(name, regular)| **regular && !desired.contains_key(*name))
            .map(|(name, _)| name)
            .collect();
        let read = parallel_map(&names, |name| self.ours(name));
        let mut out = BTreeMap::new();
        for (name, text) in names.into_iter().zip(read) {
            if let Some(text) = text? {
                out.insert(name.clone(), read_meta(&text));
            }
        }
        Ok(out)
    }

    /// The text of the file `name` the tool wrote, for a diff. A file
    /// removed or made unreadable since shows as empty: the change is still
    /// reported, only its diff shows less.
    pub(super) fn text(&self, name: &str) -> String {
        self.ours(name).ok().flatten().unwrap_or_default()
    }
}

//! `out/`: what is there, what should be, and getting from one to the other safely.
//!
//! Only files whose first line is the tool's marker are ever replaced or
//! removed; anything else in `out/` is left alone (and a clash with it is an
//! error). Unchanged files are not touched, so their mtime stays. Each write
//! goes to a temporary file in `out/` and is renamed over the old one, and the
//! order is chosen so that a render killed at any point leaves a folder that
//! still builds: manifests first, then `kustomization.yaml`, then removals.
//! An exclusive lock on the folder keeps two renders from interleaving.
//!
//! A render does not hold every new manifest in memory until the end: each
//! is written to its temporary file as soon as it has passed its checks
//! ([`Staging`]), and only renamed into place once every spec has passed.
//! If any spec fails, or a write does, the temporary files are removed and
//! `out/` is exactly as it was.

use std::collections::{BTreeMap, BTreeSet};
use std::fs;
use std::io::{self, Write};
use std::path::{Path, PathBuf};
use std::sync::Mutex;
use std::sync::atomic::{AtomicBool, Ordering};

use crate::render::{MARKER, Meta, body_hash, read_meta};

/// The kustomization that lists every manifest.
pub const KUSTOMIZATION: &str = "kustomization.yaml";

/// Suffix of the temporary files a write goes through.
const TEMP_SUFFIX: &str = ".dagster-scripts.tmp";

/// The files `out/` should hold, by name.
pub type Desired = BTreeMap<String, Content>;

/// What one file of `out/` should hold.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Content {
    /// Exactly what the file there holds now (known without its text).
    Kept,
    /// This text.
    Text(String),
    /// A text already written to the file's temporary file by [`Staging`].
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

/// `kustomization.yaml` listing `manifests`, sorted.
pub fn kustomization<'a>(manifests: impl IntoIterator<Item = &'a String>) -> String {
    let mut names: Vec<&String> = manifests
        .into_iter()
        .filter(|n| n.as_str() != KUSTOMIZATION)
        .collect();
    names.sort();
    let mut text = format!(
        "{MARKER}\n# Lists every manifest in this folder, for kubectl kustomize, Flux and Argo CD.\napiVersion: kustomize.config.k8s.io/v1beta1\nkind: Kustomization\n"
    );
    if names.is_empty() {
        text.push_str("resources: []\n");
    } else {
        text.push_str("resources:\n");
        for name in names {
            text.push_str(&format!("- {}\n", crate::render::quote(name)));
        }
    }
    text
}

/// What `out/` holds now.
///
/// Only what deciding needs stays in memory (a manifest's header, and whether
/// its body is still what the header records); the few texts a diff or a plan
/// shows are read again when asked for, so a large `out/` costs little memory.
#[derive(Debug, Default)]
pub struct Existing {
    /// The folder that was read.
    dir: PathBuf,
    /// Files the tool wrote.
    pub ours: BTreeMap<String, Written>,
    /// Other files, which the tool never touches.
    pub foreign: BTreeSet<String>,
}

/// A file the tool wrote, as read.
#[derive(Debug)]
pub enum Written {
    /// A manifest with a readable header.
    Manifest {
        /// The header's second line as written.
        line: String,
        /// What it says.
        meta: Meta,
        /// Whether the body below still hashes to what the header records
        /// (a hand edit makes it false).
        intact: bool,
    },
    /// Any other file the tool writes (the kustomization, the NetworkPolicy),
    /// or a manifest whose header does not read: the whole text.
    Text(String),
}

impl Written {
    fn read(text: String) -> Written {
        let mut parts = text.splitn(3, '\n');
        let (Some(MARKER), Some(line), Some(body)) = (parts.next(), parts.next(), parts.next())
        else {
            return Written::Text(text);
        };
        match read_meta(&text) {
            Some(meta) => Written::Manifest {
                intact: meta.output == body_hash(body),
                line: line.to_owned(),
                meta,
            },
            None => Written::Text(text),
        }
    }

    /// The description of a manifest whose body is what its header records.
    pub fn intact(&self) -> Option<&Meta> {
        match self {
            Written::Manifest {
                meta, intact: true, ..
            } => Some(meta),
            _ => None,
        }
    }

    /// Whether this file's bytes are `text` (a rendered file). For an intact
    /// manifest the headers decide: each records the hash of the body below it.
    fn is(&self, text: &str) -> bool {
        match self {
            Written::Manifest { line, intact, .. } => {
                let mut lines = text.split('\n');
                *intact && lines.next() == Some(MARKER) && lines.next() == Some(line.as_str())
            }
            Written::Text(old) => old == text,
        }
    }
}

/// Reads the top level of `out/` (absent is empty), on every core.
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
    let mut names = Vec::new();
    for entry in entries {
        let entry = entry?;
        let name = entry.file_name().to_string_lossy().into_owned();
        if !name.ends_with(TEMP_SUFFIX) && entry.file_type()?.is_file() {
            names.push(name);
        }
    }
    let read = crate::pipeline::parallel_map(&names, |name| -> io::Result<Option<Written>> {
        let bytes = fs::read(out.join(name))?;
        Ok(match String::from_utf8(bytes) {
            Ok(text) if text.starts_with(MARKER) => Some(Written::read(text)),
            _ => None,
        })
    });
    for (name, written) in names.into_iter().zip(read) {
        if let Some(w) = written? {
            existing.ours.insert(name, w);
        } else {
            existing.foreign.insert(name);
        }
    }
    Ok(existing)
}

impl Existing {
    /// Whether the file `name` holds exactly `text` (a rendered file).
    pub fn holds(&self, name: &str, text: &str) -> bool {
        self.ours.get(name).is_some_and(|old| old.is(text))
    }

    /// The text of the file `name` the tool wrote. A file removed or made
    /// unreadable since it was read shows as empty: the change is still
    /// reported, only its diff shows less.
    fn text(&self, name: &str) -> String {
        match self.ours.get(name) {
            Some(Written::Text(text)) => text.clone(),
            _ => fs::read_to_string(self.dir.join(name)).unwrap_or_default(),
        }
    }
}

/// How one file changes.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Change {
    /// A new file.
    Added,
    /// A file whose text changes (the old text).
    Changed(String),
    /// A file the tool wrote that is no longer rendered (the old text).
    Removed(String),
}

/// Every change from `existing` to `desired`, by file name.
pub fn changes(desired: &Desired, existing: &Existing) -> BTreeMap<String, Change> {
    let mut out = BTreeMap::new();
    for name in writes(desired, existing) {
        let change = if existing.ours.contains_key(name) {
            Change::Changed(existing.text(name))
        } else {
            Change::Added
        };
        out.insert(name.clone(), change);
    }
    for name in removals(desired, existing) {
        out.insert(name.clone(), Change::Removed(existing.text(name)));
    }
    out
}

/// The files of `desired` whose bytes are not already in `out/`, in name order.
fn writes<'a>(desired: &'a Desired, existing: &Existing) -> impl Iterator<Item = &'a String> {
    desired
        .iter()
        .filter(|(name, content)| match content {
            Content::Kept => false,
            Content::Staged => true,
            Content::Text(text) => !existing.holds(name, text),
        })
        .map(|(name, _)| name)
}

/// The files the tool wrote that `desired` no longer has, in name order.
fn removals<'a>(desired: &Desired, existing: &'a Existing) -> impl Iterator<Item = &'a String> {
    existing
        .ours
        .keys()
        .filter(|name| !desired.contains_key(*name))
}

/// Files the tool would have to overwrite although it did not write them.
pub fn clashes<'a>(desired: &'a Desired, existing: &Existing) -> Vec<&'a String> {
    desired
        .keys()
        .filter(|n| existing.foreign.contains(*n))
        .collect()
}

/// What [`apply`] did.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct Applied {
    /// Files written (new or changed).
    pub written: Vec<String>,
    /// Files removed.
    pub removed: Vec<String>,
    /// Files left as they were.
    pub unchanged: usize,
}

/// An exclusive lock on `out/`, held while a render reads and writes it
/// (released when dropped, with the file).
pub struct Lock {
    _dir: fs::File,
}

/// Creates `out/` if needed, waits for the lock, and removes the temporary
/// files a killed render may have left.
pub fn lock(out: &Path) -> io::Result<Lock> {
    fs::create_dir_all(out)?;
    let file = fs::File::open(out)?;
    file.lock()?;
    remove_stale_temporaries(out)?;
    Ok(Lock { _dir: file })
}

/// New manifests, written to their temporary files in a locked `out/` as
/// they are rendered. [`apply`] renames them into place; if it is not
/// reached or fails, dropping this removes them.
pub struct Staging<'a> {
    dir: &'a Path,
    _lock: &'a Lock,
    /// The first write that failed: later ones are not tried, and fail alike.
    failed: Mutex<Option<(io::ErrorKind, String)>>,
    /// Whether any file was staged.
    staged: AtomicBool,
    /// Whether `apply` moved everything into place.
    applied: AtomicBool,
}

impl<'a> Staging<'a> {
    /// Staging in `dir`, which `lock` holds.
    pub fn new(dir: &'a Path, lock: &'a Lock) -> Staging<'a> {
        Staging {
            dir,
            _lock: lock,
            failed: Mutex::new(None),
            staged: AtomicBool::new(false),
            applied: AtomicBool::new(false),
        }
    }

    /// Writes `text`, the new content of `name`, to its temporary file. After
    /// one failure every later call fails at once (a full disk stays full).
    pub fn stage(&self, name: &str, text: &str) -> io::Result<()> {
        let failed = |f: &(io::ErrorKind, String)| io::Error::new(f.0, f.1.clone());
        if let Some(first) = &*self.failed.lock().unwrap_or_else(|e| e.into_inner()) {
            return Err(failed(first));
        }
        self.staged.store(true, Ordering::Relaxed);
        fs::write(temp_path(&self.dir.join(name)), text).map_err(|e| {
            let mut first = self.failed.lock().unwrap_or_else(|e| e.into_inner());
            failed(first.get_or_insert((e.kind(), e.to_string())))
        })
    }
}

impl Drop for Staging<'_> {
    fn drop(&mut self) {
        if self.staged.load(Ordering::Relaxed) && !self.applied.load(Ordering::Relaxed) {
            // Best effort: the next render's lock removes whatever is left.
            let _ = remove_stale_temporaries(self.dir);
        }
    }
}

/// Makes the locked `out/` of `staging` (holding `existing`) hold `desired`:
/// see the module comment for the guarantees.
pub fn apply(staging: &Staging<'_>, desired: &Desired, existing: &Existing) -> io::Result<Applied> {
    let out = staging.dir;
    if let Some(name) = clashes(desired, existing).first() {
        return Err(io::Error::new(
            io::ErrorKind::AlreadyExists,
            format!(
                "{} exists and was not written by dagster-scripts",
                out.join(name).display()
            ),
        ));
    }
    let (kustomization, manifests): (Vec<&String>, Vec<&String>) =
        writes(desired, existing).partition(|n| n.as_str() == KUSTOMIZATION);
    let mut applied = Applied {
        unchanged: desired.len() - kustomization.len() - manifests.len(),
        ..Applied::default()
    };
    let write = |name: &&String| {
        let path = out.join(name);
        match &desired[*name] {
            Content::Staged => fs::rename(temp_path(&path), &path),
            Content::Text(text) => write_atomically(&path, text.as_bytes()),
            Content::Kept => Ok(()),
        }
    };
    // Manifests on every core: creating files is most of a fresh render's
    // system time. The kustomization only once they are all in place.
    for result in crate::pipeline::parallel_map(&manifests, write) {
        result?;
    }
    for name in &kustomization {
        write(name)?;
    }
    staging.applied.store(true, Ordering::Relaxed);
    applied.written = manifests
        .into_iter()
        .chain(kustomization)
        .cloned()
        .collect();
    for name in removals(desired, existing) {
        fs::remove_file(out.join(name))?;
        applied.removed.push(name.clone());
    }
    Ok(applied)
}

/// Writes `bytes` to a temporary file beside `path`, then renames it over `path`.
pub fn write_atomically(path: &Path, bytes: &[u8]) -> io::Result<()> {
    let temp = temp_path(path);
    let result = (|| {
        let mut file = fs::File::create(&temp)?;
        file.write_all(bytes)?;
        // No fsync: rename is atomic for every reader and for a killed process;
        // surviving power loss is git's job (out/ is committed).
        fs::rename(&temp, path)
    })();
    if result.is_err() {
        let _ = fs::remove_file(&temp);
    }
    result
}

fn temp_path(path: &Path) -> PathBuf {
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    path.with_file_name(format!(".{name}{TEMP_SUFFIX}"))
}

/// Temporary files a killed render left behind.
fn remove_stale_temporaries(out: &Path) -> io::Result<()> {
    for entry in fs::read_dir(out)? {
        let entry = entry?;
        if entry.file_name().to_string_lossy().ends_with(TEMP_SUFFIX) {
            fs::remove_file(entry.path())?;
        }
    }
    Ok(())
}

/// A unified diff of every change, as `render --check` prints it.
pub fn diff(out: &Path, desired: &Desired, changes: &BTreeMap<String, Change>) -> String {
    let mut text = String::new();
    for (name, change) in changes {
        let label = out.join(name).to_string_lossy().into_owned();
        let new = desired
            .get(name)
            .and_then(Content::text)
            .unwrap_or_default();
        let d = match change {
            Change::Added => crate::drift::diff(&label, None, new),
            Change::Changed(old) => crate::drift::diff(&label, Some(old), new),
            Change::Removed(old) => crate::drift::diff(&label, Some(old), ""),
        };
        text.push_str(&d.unwrap_or_default());
    }
    text
}

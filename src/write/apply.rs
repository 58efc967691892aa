//! `out/`: what is there, what should be, and getting from one to the other safely.
//!
//! Nothing a file in `out/` says about itself is trusted: every spec is
//! rendered, and a file is current only when its bytes are exactly the
//! rendered ones. Only regular files whose first line is the tool's marker
//! are ever replaced or removed; anything else under a name the tool would
//! write (another file, a directory, a symlink) is a conflict, and anything
//! else in `out/` is left alone. Unchanged files are not touched, so their
//! mtime stays. Each write goes to a temporary file in `out/` and is renamed
//! over the old one, and the order is chosen so that a render killed at any
//! point leaves a folder that still builds: manifests first, then
//! `kustomization.yaml`, then removals. An exclusive lock on the folder keeps
//! two renders from interleaving.
//!
//! A render does not hold every new manifest in memory until the end: each
//! is written to its temporary file as soon as it has passed its checks
//! ([`Staging`]), and only renamed into place once every spec has passed.
//! If any spec fails, or a write does, the temporary files are removed and
//! `out/` is exactly as it was.

use std::collections::BTreeMap;
use std::fs;
use std::io::{self, Write};
use std::path::{Component, Path, PathBuf};
use std::sync::Mutex;
use std::sync::atomic::{AtomicBool, Ordering};

use crate::render::{MARKER, Meta, read_meta};

/// The kustomization that lists every manifest.
pub const KUSTOMIZATION: &str = "kustomization.yaml";

/// Suffix of the temporary files a write goes through.
const TEMP_SUFFIX: &str = ".dagster-scripts.tmp";

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

/// Where a rendered file's bytes are.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Content {
    /// Nowhere: `out/` holds them already (or cannot take them).
    Kept,
    /// This text.
    Text(String),
    /// Written to the file's temporary file by [`Staging`].
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

/// `kustomization.yaml` listing `manifests`, sorted. Each entry starts with
/// `./`, so that kustomize never reads a file name as a URL (`https:x.yaml`,
/// `git@host:x.yaml`).
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
            text.push_str(&format!(
                "- {}\n",
                crate::render::quote(&format!("./{name}"))
            ));
        }
    }
    text
}

/// What `out/` holds now: the names of its entries, and which are regular
/// files. Files are read when a render compares with them ([`Existing::compare`]),
/// on every core, and only what deciding needs stays in memory.
#[derive(Debug, Default)]
pub struct Existing {
    /// The folder that was read.
    dir: PathBuf,
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
    pub fn removals(&self, desired: &Desired) -> io::Result<BTreeMap<String, Option<Meta>>> {
        let names: Vec<&String> = self
            .entries
            .iter()
            .filter(|(name, regular)| **regular && !desired.contains_key(*name))
            .map(|(name, _)| name)
            .collect();
        let read = crate::pipeline::parallel_map(&names, |name| self.ours(name));
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
    fn text(&self, name: &str) -> String {
        self.ours(name).ok().flatten().unwrap_or_default()
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

/// Whether `out` (as given) lies in the working directory but really leads
/// out of it, through a symlink of its own or of a parent inside it: the
/// lexical path and the real one disagree about being in the repository.
/// `None` when it does not; else the real place it leads to.
pub fn leads_out_of_repository(out: &Path) -> io::Result<Option<PathBuf>> {
    let cwd = std::env::current_dir()?;
    let lexical = normalize(&cwd.join(out));
    if !lexical.starts_with(&cwd) {
        return Ok(None);
    }
    let root = fs::canonicalize(&cwd)?;
    // The deepest part that exists, resolved; the rest is created by `render`.
    let mut existing = lexical.clone();
    let mut rest = Vec::new();
    while fs::symlink_metadata(&existing).is_err() {
        match (existing.file_name(), existing.parent()) {
            (Some(name), Some(parent)) => {
                rest.push(name.to_owned());
                existing = parent.to_owned();
            }
            _ => return Ok(None),
        }
    }
    let mut real = match fs::canonicalize(&existing) {
        Ok(real) => real,
        // A dangling symlink: where it points is not in the repository either way.
        Err(_) => return Ok(Some(existing)),
    };
    real.extend(rest.iter().rev());
    Ok((!real.starts_with(&root)).then_some(real))
}

/// `path` with `.` and repeated or trailing separators removed, and each
/// `..` taking away the component before it (lexically, links not followed).
pub fn normalize(path: &Path) -> PathBuf {
    let mut out = PathBuf::new();
    for c in path.components() {
        match c {
            Component::CurDir => {}
            Component::ParentDir => {
                if matches!(out.components().next_back(), Some(Component::Normal(_))) {
                    out.pop();
                } else {
                    out.push("..");
                }
            }
            other => out.push(other),
        }
    }
    if out.as_os_str().is_empty() {
        out.push(".");
    }
    out
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

/// Makes the locked `out/` of `staging` hold `desired`, and no longer hold
/// `removed`: see the module comment for the guarantees.
pub fn apply(
    staging: &Staging<'_>,
    desired: &Desired,
    removed: &BTreeMap<String, Option<Meta>>,
) -> io::Result<Applied> {
    let out = staging.dir;
    if let Some((name, _)) = desired.iter().find(|(_, f)| f.state == State::Foreign) {
        return Err(io::Error::new(
            io::ErrorKind::AlreadyExists,
            format!(
                "{} exists and was not written by dagster-scripts",
                out.join(name).display()
            ),
        ));
    }
    let (kustomization, manifests): (Vec<&String>, Vec<&String>) = desired
        .iter()
        .filter(|(_, f)| f.is_write())
        .map(|(name, _)| name)
        .partition(|n| n.as_str() == KUSTOMIZATION);
    let mut applied = Applied {
        unchanged: desired.len() - kustomization.len() - manifests.len(),
        ..Applied::default()
    };
    let write = |name: &&String| {
        let path = out.join(name);
        match &desired[*name].content {
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
    for name in removed.keys() {
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

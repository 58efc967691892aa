//! Getting `out/` to hold the rendered files safely: a lock, staged
//! temporary files, and renames in an order that always leaves a folder
//! that builds.
//!
//! Only regular files whose first line is the tool's marker are ever
//! replaced or removed; anything else under a name the tool would write
//! (another file, a directory, a symlink) is a conflict, and anything else
//! in `out/` is left alone. Unchanged files are not touched, so their mtime
//! stays. Each write goes to a temporary file in `out/` and is renamed over
//! the old one, and the order is chosen so that a render killed at any point
//! leaves a folder that still builds: manifests first, then
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
use std::path::{Path, PathBuf};
use std::sync::Mutex;
use std::sync::atomic::{AtomicBool, Ordering};

use super::changes::{Content, Desired};
use super::existing::{State, TEMP_SUFFIX};
use crate::parallel::parallel_map;
use crate::render::{KUSTOMIZATION, Meta};

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
    for result in parallel_map(&manifests, write) {
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

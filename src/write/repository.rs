//! Where `out/` really is: the repository's paths, lexically normalized,
//! and whether a symlink leads out of the repository.

use std::fs;
use std::io;
use std::path::{Component, Path, PathBuf};

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

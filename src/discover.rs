//! Stage "discover": which files under `specs/` are specs.
//!
//! Every `*.yaml`/`*.yml` under the specs directory, in sorted order, so
//! output is stable. The specs directory must lie in the repository (the
//! working directory), and symlinks are followed only to files inside it: a
//! spec is whatever is reviewed there, not whatever a link happens to point
//! at. Only regular files are read (a FIFO would block), and a name that
//! could not be shown on one line of a log is refused. Specs under
//! [`RETIRED`] (`specs/done/`) are finished requests: `check` still
//! validates them, `render` leaves them out, so their Jobs leave the cluster.

use std::fs;
use std::path::{Component, Path, PathBuf};

use crate::diagnostic::{Code, Diagnostic, is_unprintable};
use crate::read::not_regular;

/// Specs under this folder of `specs/` are finished requests: `check` still
/// validates them, `render` leaves them out, so their Jobs leave the cluster.
pub const RETIRED: &str = "done";

/// Whether `path` names a spec file by its extension.
pub fn is_spec_file(path: &Path) -> bool {
    matches!(
        path.extension().and_then(|e| e.to_str()),
        Some("yaml" | "yml")
    )
}

/// Every spec file under `dir`, sorted, or the problems that stopped the walk.
///
/// Problems with single entries (a symlink loop, a link out of `dir`, a FIFO,
/// a name with a line break, an unreadable folder) are returned beside the
/// files found, so one bad entry does not hide the others.
pub fn discover(dir: &Path) -> (Vec<PathBuf>, Vec<Diagnostic>) {
    let mut files = Vec::new();
    let mut problems = Vec::new();
    match fs::metadata(dir) {
        Ok(m) if m.is_dir() => {}
        Ok(_) => {
            let d = Diagnostic::file(
                dir,
                Code::Io,
                "the specs directory is a file, not a directory",
            );
            return (
                files,
                vec![d.with_hint("point `--specs` at the folder that holds the spec files")],
            );
        }
        Err(e) => {
            let d = Diagnostic::file(
                dir,
                Code::Io,
                format!("cannot read the specs directory: {e}"),
            );
            return (
                files,
                vec![d.with_hint("run from the repository root, or pass `--specs DIR`")],
            );
        }
    }
    if let Some(d) = outside_repository(dir) {
        return (files, vec![d]);
    }
    let root = fs::canonicalize(dir).unwrap_or_else(|_| dir.to_owned());
    for entry in walkdir::WalkDir::new(dir)
        .follow_links(false)
        .sort_by_file_name()
    {
        let entry = match entry {
            Ok(e) => e,
            Err(e) => {
                let path = e.path().unwrap_or(dir).to_owned();
                problems.push(Diagnostic::file(
                    &path,
                    Code::Io,
                    format!("cannot read: {e}"),
                ));
                continue;
            }
        };
        let path = entry.path();
        if !is_spec_file(path) || entry.file_type().is_dir() {
            // A folder named `x.yaml` is walked into like any other folder.
            continue;
        }
        if let Some(d) = bad_name(path, path.strip_prefix(dir).unwrap_or(path)) {
            problems.push(d);
            continue;
        }
        match classify(path, entry.path_is_symlink(), entry.file_type(), &root) {
            Entry::Spec => files.push(path.to_owned()),
            Entry::Skip => {}
            Entry::Refused(d) => problems.push(d),
        }
    }
    (files, problems)
}

/// What a directory entry is to discovery.
pub enum Entry {
    /// A spec file to read.
    Spec,
    /// A link to a folder inside the specs directory: not walked twice.
    Skip,
    /// Not read, and why.
    Refused(Diagnostic),
}

/// Whether the entry at `path` (of `file_type`, not following a link) is a
/// spec to read: a regular file, or a link to one inside `root`.
pub fn classify(path: &Path, symlink: bool, file_type: fs::FileType, root: &Path) -> Entry {
    let not_read = |what: &str| {
        Entry::Refused(
            Diagnostic::file(
                path,
                Code::Io,
                format!("cannot read the spec: it is {what}, not a regular file"),
            )
            .with_hint(
                "a spec is a regular file; remove this entry or replace it with the spec's file",
            ),
        )
    };
    if !symlink {
        return match not_regular(file_type) {
            None => Entry::Spec,
            Some(what) => not_read(what),
        };
    }
    match fs::canonicalize(path) {
        Ok(target) if !target.starts_with(root) => {
            let d = Diagnostic::file(
                path,
                Code::Io,
                format!(
                    "symlink to {} points outside the specs directory",
                    target.display()
                ),
            );
            Entry::Refused(
                d.with_hint("copy the spec into the specs directory instead of linking to it"),
            )
        }
        Ok(target) if target.is_dir() => Entry::Skip,
        Ok(target) => match fs::metadata(&target).map(|m| not_regular(m.file_type())) {
            Ok(None) => Entry::Spec,
            Ok(Some(what)) => not_read(&format!("a link to {what}")),
            Err(e) => Entry::Refused(Diagnostic::file(
                path,
                Code::Io,
                format!("cannot read the spec: {e}"),
            )),
        },
        Err(e) => {
            let what = if e.raw_os_error() == Some(40) {
                "a symlink loop".to_owned()
            } else {
                format!("a broken symlink ({e})")
            };
            Entry::Refused(Diagnostic::file(
                path,
                Code::Io,
                format!("cannot read the spec: {what}"),
            ))
        }
    }
}

/// A problem when `dir` leads out of the working directory (the repository),
/// through a symlink or a path: what is read there is not what was reviewed.
fn outside_repository(dir: &Path) -> Option<Diagnostic> {
    let cwd = std::env::current_dir().and_then(fs::canonicalize).ok()?;
    let target = fs::canonicalize(dir).ok()?;
    (!target.starts_with(&cwd)).then(|| {
        Diagnostic::file(
            dir,
            Code::Io,
            format!(
                "the specs directory leads out of the repository (the working directory), to {}",
                target.display()
            ),
        )
        .with_hint("keep the specs in the repository and run dagster-scripts from its root; a link out of it is not followed")
    })
}

/// A problem when a component of `relative` (the spec's path under the specs
/// directory) is not UTF-8 or holds a control or line-break character: such a
/// name cannot be shown on one line of a CI log or annotation.
pub fn bad_name(path: &Path, relative: &Path) -> Option<Diagnostic> {
    let problem = relative.components().find_map(|c| {
        let Component::Normal(name) = c else {
            return None;
        };
        match name.to_str() {
            None => Some("is not UTF-8".to_owned()),
            Some(text) => text.chars().find(|&c| is_unprintable(c)).map(|c| {
                let what = if matches!(c, '\n' | '\r' | '\u{85}' | '\u{2028}' | '\u{2029}') {
                    "a line break"
                } else {
                    "a control character"
                };
                format!("holds {what} (U+{:04X})", u32::from(c))
            }),
        }
    })?;
    let what = if relative.components().count() > 1 {
        "the spec's path"
    } else {
        "the spec's file name"
    };
    Some(
        Diagnostic::file(path, Code::FileName, format!("{what} {problem}"))
            .with_hint("rename it to one line of visible characters, e.g. `backfill-34543.yaml`"),
    )
}

/// Whether a spec at `relative` (to the specs folder) is retired (`done/`).
pub fn is_retired(relative: &Path) -> bool {
    relative
        .components()
        .next()
        .is_some_and(|c| c.as_os_str() == RETIRED)
}

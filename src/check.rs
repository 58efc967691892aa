//! `check`: find the spec files and validate each one, collecting every problem.
//!
//! With no paths, every `*.yaml`/`*.yml` under the specs directory is checked,
//! in sorted order, so output is stable. Symlinks are followed only to files
//! inside the specs directory: a spec is whatever is reviewed there, not
//! whatever a link happens to point at.

use std::fs;
use std::path::{Path, PathBuf};

use crate::diagnostic::{Code, Diagnostic};
use crate::load::{Limits, Loaded, load, read_capped};
use crate::report::Summary;
use crate::validate::SchemaValidator;

/// Whether `path` names a spec file by its extension.
pub fn is_spec_file(path: &Path) -> bool {
    matches!(
        path.extension().and_then(|e| e.to_str()),
        Some("yaml" | "yml")
    )
}

/// Every spec file under `dir`, sorted, or the problems that stopped the walk.
///
/// Problems with single entries (a symlink loop, a link out of `dir`, an
/// unreadable folder) are returned beside the files found, so one bad entry
/// does not hide the others.
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
        if !is_spec_file(path) {
            continue;
        }
        if entry.file_type().is_dir() {
            // A folder named `x.yaml` is walked into like any other folder.
            continue;
        }
        if entry.path_is_symlink() {
            match fs::canonicalize(path) {
                Ok(target) if !target.starts_with(&root) => {
                    let d = Diagnostic::file(
                        path,
                        Code::Io,
                        format!(
                            "symlink to {} points outside the specs directory",
                            target.display()
                        ),
                    );
                    problems.push(d.with_hint(
                        "copy the spec into the specs directory instead of linking to it",
                    ));
                    continue;
                }
                Ok(target) if target.is_dir() => continue,
                Ok(_) => {}
                Err(e) => {
                    let what = if e.raw_os_error() == Some(40) {
                        "a symlink loop".to_owned()
                    } else {
                        format!("a broken symlink ({e})")
                    };
                    problems.push(Diagnostic::file(
                        path,
                        Code::Io,
                        format!("cannot read the spec: {what}"),
                    ));
                    continue;
                }
            }
        }
        files.push(path.to_owned());
    }
    (files, problems)
}

/// Checks each file, in order; a file's problems are empty when it is valid.
pub fn check_files(
    paths: &[PathBuf],
    validator: &SchemaValidator,
    limits: &Limits,
) -> Vec<(PathBuf, Result<Loaded, Vec<Diagnostic>>)> {
    crate::pipeline::parallel_map(paths, |path| {
        let outcome = read_capped(path)
            .map_err(|d| vec![d])
            .and_then(|bytes| load(path, &bytes, limits, Some(validator)));
        (path.clone(), outcome)
    })
}

/// `check` as a whole: discover (unless paths are given), validate, summarise.
pub fn run(specs_dir: &Path, paths: &[PathBuf], limits: &Limits) -> Summary {
    let (paths, general) = if paths.is_empty() {
        discover(specs_dir)
    } else {
        (paths.to_vec(), Vec::new())
    };
    let validator = SchemaValidator::new();
    let files = check_files(&paths, &validator, limits)
        .into_iter()
        .map(|(p, r)| (p, r.err().unwrap_or_default()))
        .collect();
    Summary { files, general }
}

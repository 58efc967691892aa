//! `check`: discover (unless paths are given), read and validate each spec,
//! hold the specs against each other, and report every problem.

use std::collections::BTreeSet;
use std::fs;
use std::io::Write;
use std::path::{Path, PathBuf};

use super::{Outcome, write_report};
use crate::diagnostic::report::{Colour, Format, Summary};
use crate::diagnostic::{Diagnostic, Lines};
use crate::discover::{Entry, bad_name, classify, discover, is_retired};
use crate::parallel::parallel_map;
use crate::read::{Limits, Loaded, load, read_capped};
use crate::settings::Environments;
use crate::spec::Spec;
use crate::validate::SchemaValidator;
use crate::validate::conflicts::{Claim, refuse_duplicates, text_of};

/// `check` of the specs at `paths` (every spec under the settings' specs
/// folder when there are none), each against the settings of the
/// environment it runs in, reported in `format` (`human` in `colour`).
pub fn check(
    environments: &Environments,
    paths: &[PathBuf],
    format: Format,
    colour: Colour,
    out: &mut impl Write,
    err: &mut impl Write,
) -> Outcome {
    let summary = run(&environments.repository().paths.specs, paths, environments);
    if write_report(&summary, format, colour, out, err) {
        let _ = writeln!(err, "{}", summary.tally());
    }
    Outcome::of(&summary)
}

/// Checks each file, in order; a file's problems are empty when it is valid.
pub fn check_files(
    paths: &[PathBuf],
    validator: &SchemaValidator,
    limits: &Limits,
) -> Vec<(PathBuf, Result<Loaded, Vec<Diagnostic>>)> {
    parallel_map(paths, |path| {
        let outcome = read_capped(path)
            .map_err(|d| vec![d])
            .and_then(|bytes| load(path, &bytes, limits, Some(validator)));
        (path.clone(), outcome)
    })
}

/// `check` as a whole: discover (unless paths are given), validate, summarise.
///
/// Given paths are checked as given; those inside `specs_dir` are also held
/// against every other spec there for [`conflicts`](crate::validate::conflicts::conflicts), so that pre-commit
/// (which passes the staged files) catches a copied spec. With
/// `--environment`, the valid specs of the other environments are left out
/// of the report (they are still read: one request, one spec, across them all).
pub fn run(specs_dir: &Path, paths: &[PathBuf], environments: &Environments) -> Summary {
    let limits = &environments.limits();
    let given = !paths.is_empty();
    let (paths, mut general) = if given {
        (paths.to_vec(), Vec::new())
    } else {
        discover(specs_dir)
    };
    let root = fs::canonicalize(specs_dir).ok();
    // A given name or entry that is refused is not read; the rest are checked in order.
    let refused: Vec<Option<Diagnostic>> = paths
        .iter()
        .map(|path| {
            if !given {
                return None;
            }
            match root
                .as_deref()
                .and_then(|r| Some((relative_to(path, r)?, r)))
            {
                Some((relative, root)) => bad_name(path, &relative).or_else(|| {
                    let meta = fs::symlink_metadata(path).ok()?;
                    match classify(path, meta.is_symlink(), meta.file_type(), root) {
                        Entry::Refused(d) => Some(d),
                        Entry::Spec | Entry::Skip => None,
                    }
                }),
                None => path
                    .file_name()
                    .and_then(|name| bad_name(path, Path::new(name))),
            }
        })
        .collect();
    let readable: Vec<PathBuf> = paths
        .iter()
        .zip(&refused)
        .filter(|(_, r)| r.is_none())
        .map(|(p, _)| p.clone())
        .collect();
    let validator = SchemaValidator::new();
    let mut results = check_files(&readable, &validator, limits).into_iter();
    let checked: Vec<(PathBuf, Result<Loaded, Vec<Diagnostic>>)> = paths
        .into_iter()
        .zip(refused)
        .filter_map(|(path, r)| match r {
            Some(d) => Some((path, Err(vec![d]))),
            None => results.next(),
        })
        .collect();

    let under = |path: &Path| -> Option<PathBuf> {
        if given {
            relative_to(path, root.as_deref()?)
        } else {
            path.strip_prefix(specs_dir).ok().map(Path::to_owned)
        }
    };
    let mut claims: Vec<Claim> = checked
        .iter()
        .filter_map(|(path, r)| {
            let relative = under(path)?;
            let spec = &r.as_ref().ok()?.spec;
            let environment = environments.index_of(spec);
            Some(Claim::new(path, spec, is_retired(&relative), environment))
        })
        .collect();
    if given && !claims.is_empty() {
        // One file named twice (`specs/a.yaml ./specs/a.yaml`) is one spec.
        let mut seen = BTreeSet::new();
        claims.retain(|c| identity(&c.path).is_none_or(|id| seen.insert(id)));
        claims.extend(others_claiming(specs_dir, &claims, environments));
    }
    let elsewhere: BTreeSet<PathBuf> = checked
        .iter()
        .filter_map(|(path, r)| {
            let e = environments.index_of(&r.as_ref().ok()?.spec)?;
            (!environments.is_selected(e)).then(|| path.clone())
        })
        .collect();
    let mut files: Vec<(PathBuf, Vec<Diagnostic>)> = checked
        .into_iter()
        .map(|(p, r)| (p, r.err().unwrap_or_default()))
        .collect();
    // With given paths, problems of the other specs are not this run's.
    let stray = refuse_duplicates(&mut files, &claims);
    if !given {
        general.extend(stray);
    }
    files.retain(|(path, d)| !d.is_empty() || !elsewhere.contains(path));
    Summary { files, general }
}

/// Which directory entry `path` names, however it is spelt: its folder
/// resolved, the entry itself not followed.
fn identity(path: &Path) -> Option<PathBuf> {
    let parent = path.parent().filter(|p| !p.as_os_str().is_empty());
    let dir = fs::canonicalize(parent.unwrap_or(Path::new("."))).ok()?;
    Some(dir.join(path.file_name()?))
}

/// `path` relative to the canonical folder `root`, when it lies inside it
/// (its folder resolved, the entry itself not followed).
fn relative_to(path: &Path, root: &Path) -> Option<PathBuf> {
    identity(path)?.strip_prefix(root).ok().map(Path::to_owned)
}

/// The specs under `specs_dir`, other than those in `claims`, that may take
/// part in a conflict with them: those answering or re-executing one of their
/// issues, and those of one of their jobs or assets (which may overlap them).
/// A spec is parsed only if its text holds one of those issues, jobs or assets
/// (or an escape, which could spell one): `check FILE` stays fast in a
/// repository of thousands of specs.
fn others_claiming(specs_dir: &Path, claims: &[Claim], environments: &Environments) -> Vec<Claim> {
    let (found, _) = discover(specs_dir);
    let known: BTreeSet<PathBuf> = claims.iter().filter_map(|c| identity(&c.path)).collect();
    let issues: BTreeSet<&str> = claims
        .iter()
        .flat_map(|c| std::iter::once(c.issue.as_str()).chain(c.rerun_of.as_deref()))
        .collect();
    let targets: BTreeSet<&str> = claims
        .iter()
        .filter_map(|c| c.selection.as_ref())
        .flat_map(|s| s.words())
        .collect();
    let candidates: Vec<PathBuf> = found
        .into_iter()
        .filter(|p| identity(p).is_none_or(|id| !known.contains(&id)))
        .collect();
    parallel_map(&candidates, |path| {
        let bytes = read_capped(path).ok()?;
        let mentions = bytes.contains(&b'\\')
            || issues
                .iter()
                .chain(&targets)
                .any(|i| bytes.windows(i.len()).any(|w| w == i.as_bytes()));
        if !mentions {
            return None;
        }
        let text = text_of(&bytes)?;
        let document = crate::read::yaml::parse_unlocated(text, path, &Lines::new(text)).0?;
        let spec = Spec::from_json(&document.value).ok()?;
        let claim = Claim::new(
            path,
            &spec,
            is_retired(path.strip_prefix(specs_dir).ok()?),
            environments.index_of(&spec),
        );
        let related = issues.contains(claim.issue.as_str())
            || claim
                .rerun_of
                .as_deref()
                .is_some_and(|r| issues.contains(r))
            || claim
                .selection
                .as_ref()
                .is_some_and(|s| s.words().iter().any(|w| targets.contains(w)));
        related.then_some(claim)
    })
    .into_iter()
    .flatten()
    .collect()
}

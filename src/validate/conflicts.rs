//! `check`: find the spec files and validate each one, collecting every problem.
//!
//! With no paths, every `*.yaml`/`*.yml` under the specs directory is checked,
//! in sorted order, so output is stable. The specs directory must lie in the
//! repository (the working directory), and symlinks are followed only to
//! files inside it: a spec is whatever is reviewed there, not whatever a link
//! happens to point at. Only regular files are read (a FIFO would block), and
//! a name that could not be shown on one line of a log is refused.
//!
//! Across files, a request is made once: two active specs of the same
//! request (a copied file) are refused, since their two Jobs could both
//! launch it; and a `rerun_of` naming an issue that more than one spec
//! (`done/` included) answers is refused, since the runner could not tell
//! which of their launches to re-execute.

use std::collections::{BTreeMap, BTreeSet};
use std::fs;
use std::path::{Component, Path, PathBuf};

use crate::diagnostic::{Code, Diagnostic, Lines, Span, is_unprintable};
use crate::load::{Limits, Loaded, load, not_regular, read_capped};
use crate::report::Summary;
use crate::spec::Spec;
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
enum Entry {
    /// A spec file to read.
    Spec,
    /// A link to a folder inside the specs directory: not walked twice.
    Skip,
    /// Not read, and why.
    Refused(Diagnostic),
}

/// Whether the entry at `path` (of `file_type`, not following a link) is a
/// spec to read: a regular file, or a link to one inside `root`.
fn classify(path: &Path, symlink: bool, file_type: fs::FileType, root: &Path) -> Entry {
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
///
/// Given paths are checked as given; those inside `specs_dir` are also held
/// against every other spec there for [`conflicts`], so that pre-commit
/// (which passes the staged files) catches a copied spec.
pub fn run(specs_dir: &Path, paths: &[PathBuf], limits: &Limits) -> Summary {
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
            Some(Claim::new(path, spec, is_retired(&relative)))
        })
        .collect();
    if given && !claims.is_empty() {
        // One file named twice (`specs/a.yaml ./specs/a.yaml`) is one spec.
        let mut seen = BTreeSet::new();
        claims.retain(|c| identity(&c.path).is_none_or(|id| seen.insert(id)));
        claims.extend(others_claiming(specs_dir, &claims));
    }
    let mut files: Vec<(PathBuf, Vec<Diagnostic>)> = checked
        .into_iter()
        .map(|(p, r)| (p, r.err().unwrap_or_default()))
        .collect();
    // With given paths, problems of the other specs are not this run's.
    let stray = refuse_duplicates(&mut files, &claims);
    if !given {
        general.extend(stray);
    }
    Summary { files, general }
}

/// Whether a spec at `relative` (to the specs folder) is retired (`done/`).
pub fn is_retired(relative: &Path) -> bool {
    relative
        .components()
        .next()
        .is_some_and(|c| c.as_os_str() == crate::pipeline::RETIRED)
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
/// issues. A spec is parsed only if its text holds one of those issues (or an
/// escape, which could spell one): `check FILE` stays fast in a repository of
/// thousands of specs.
fn others_claiming(specs_dir: &Path, claims: &[Claim]) -> Vec<Claim> {
    let (found, _) = discover(specs_dir);
    let known: BTreeSet<PathBuf> = claims.iter().filter_map(|c| identity(&c.path)).collect();
    let issues: BTreeSet<&str> = claims
        .iter()
        .flat_map(|c| std::iter::once(c.issue.as_str()).chain(c.rerun_of.as_deref()))
        .collect();
    let candidates: Vec<PathBuf> = found
        .into_iter()
        .filter(|p| identity(p).is_none_or(|id| !known.contains(&id)))
        .collect();
    crate::pipeline::parallel_map(&candidates, |path| {
        let bytes = read_capped(path).ok()?;
        let mentions = bytes.contains(&b'\\')
            || issues
                .iter()
                .any(|i| bytes.windows(i.len()).any(|w| w == i.as_bytes()));
        if !mentions {
            return None;
        }
        let text = text_of(&bytes)?;
        let document = crate::yaml::parse_unlocated(text, path, &Lines::new(text)).0?;
        let spec = Spec::from_json(&document.value).ok()?;
        let claim = Claim::new(path, &spec, is_retired(path.strip_prefix(specs_dir).ok()?));
        let related = issues.contains(claim.issue.as_str())
            || claim
                .rerun_of
                .as_deref()
                .is_some_and(|r| issues.contains(r));
        related.then_some(claim)
    })
    .into_iter()
    .flatten()
    .collect()
}

/// A valid spec, as the rules across specs see it.
#[derive(Clone, Debug)]
pub struct Claim {
    /// The spec file.
    pub path: PathBuf,
    /// The issue it answers (`tags.name`), as the runner tags launches with it.
    pub issue: String,
    /// The issue it re-executes (`rerun_of`), for a re-execution.
    pub rerun_of: Option<String>,
    /// Whether it is under `done/` (checked, not rendered).
    pub retired: bool,
}

impl Claim {
    /// The claim of `spec`, read from `path`.
    pub fn new(path: &Path, spec: &Spec, retired: bool) -> Claim {
        Claim {
            path: path.to_owned(),
            issue: spec.issue().to_string(),
            rerun_of: match spec {
                Spec::Reexecute(x) => Some(x.rerun_of.to_string()),
                _ => None,
            },
            retired,
        }
    }
}

/// Every conflict between specs, as a diagnostic on each spec involved,
/// located at the line that makes it and naming the others at theirs:
///
/// - two active specs of one request (the same request hash, a copied file)
///   would render two Jobs that, started together, could both launch it;
/// - a `rerun_of` naming an issue that more than one spec answers is
///   ambiguous: the runner re-executes "the newest backfill or run tagged
///   `dagster-scripts/issue=...`", which cannot tell their launches apart.
///
/// The files are read again to locate them (only those in a conflict).
pub fn conflicts(claims: &[Claim]) -> Vec<(PathBuf, Diagnostic)> {
    let mut by_issue: BTreeMap<&str, Vec<&Claim>> = BTreeMap::new();
    for c in claims {
        by_issue.entry(&c.issue).or_default().push(c);
    }
    for group in by_issue.values_mut() {
        group.sort_by(|a, b| a.path.cmp(&b.path));
        group.dedup_by(|a, b| a.path == b.path);
    }
    let mut out = Vec::new();

    // One request, one active spec.
    for group in by_issue.values() {
        let active: Vec<Located> = group
            .iter()
            .filter(|c| !c.retired)
            .map(|c| locate(&c.path))
            .collect();
        if active.len() < 2 {
            continue;
        }
        for me in &active {
            let twins: Vec<&Located> = active
                .iter()
                .filter(|o| o.path != me.path && o.hash.is_some() && o.hash == me.hash)
                .collect();
            if twins.is_empty() {
                continue;
            }
            let message = format!(
                "this spec is the same request as {}: two Jobs would launch it",
                list(&twins, Located::name_at)
            );
            let hint = "one request, one active spec: if one of them has finished, move it to specs/done/; else delete the copy, or make them different requests";
            out.push(me.at_name(message, hint));
        }
    }

    // One `rerun_of`, one request to re-execute.
    for c in claims.iter().filter(|c| c.rerun_of.is_some()) {
        let issue = c.rerun_of.as_deref().unwrap_or_default();
        let answering: Vec<Located> = by_issue
            .get(issue)
            .into_iter()
            .flatten()
            .filter(|o| o.path != c.path)
            .map(|o| locate(&o.path))
            .collect();
        if answering.len() < 2 {
            continue;
        }
        let rerun = locate(&c.path);
        let refs: Vec<&Located> = answering.iter().collect();
        let message = format!(
            "`rerun_of: {issue}` is ambiguous: issue {issue} is answered by {}, and the runner re-executes only the newest launch tagged with it",
            list(&refs, Located::name_at)
        );
        let hint = "re-execute by issue only an issue one request answers: delete (or give another issue to) the spec that has not run, or re-execute the failed runs from Dagster's UI";
        out.push(rerun.at_rerun(message, hint));
        for me in &answering {
            let others: Vec<&Located> = answering.iter().filter(|o| o.path != me.path).collect();
            let message = format!(
                "issue {issue} is answered by {} too, and {} re-executes it by that issue, which cannot tell them apart",
                list(&others, Located::name_at),
                rerun.rerun_at()
            );
            let hint = "one issue, one request, when a `rerun_of` names it: give this request an issue of its own if it has not run yet";
            out.push(me.at_name(message, hint));
        }
    }
    out.sort_by(|a, b| (&a.0, a.1.span).cmp(&(&b.0, b.1.span)));
    out.dedup_by(|a, b| a.0 == b.0 && a.1 == b.1);
    out
}

/// Adds [`conflicts`]' diagnostics to the files they are about; returns
/// those about files not in `files`.
pub fn refuse_duplicates(
    files: &mut [(PathBuf, Vec<Diagnostic>)],
    claims: &[Claim],
) -> Vec<Diagnostic> {
    let mut stray = Vec::new();
    for (path, d) in conflicts(claims) {
        match files.iter_mut().find(|(p, _)| *p == path) {
            Some((_, ds)) => ds.push(d),
            None => stray.push(d),
        }
    }
    stray
}

fn list(located: &[&Located], at: fn(&Located) -> String) -> String {
    located
        .iter()
        .map(|l| at(l))
        .collect::<Vec<_>>()
        .join(" and ")
}

/// A spec read again to point at its lines: where its `tags.name` and
/// `rerun_of` are, and its request hash.
struct Located {
    path: PathBuf,
    name: Option<(Span, Option<String>)>,
    rerun: Option<(Span, Option<String>)>,
    hash: Option<String>,
}

impl Located {
    fn at(&self, place: Option<&(Span, Option<String>)>) -> String {
        let path = self.path.to_string_lossy();
        match place {
            Some((span, _)) => format!("{path}:{}:{}", span.start.line, span.start.col),
            None => path.into_owned(),
        }
    }

    /// `path:line:col` of its `tags.name`.
    fn name_at(&self) -> String {
        self.at(self.name.as_ref())
    }

    /// `path:line:col` of its `rerun_of`.
    fn rerun_at(&self) -> String {
        self.at(self.rerun.as_ref())
    }

    fn diagnostic(
        &self,
        place: Option<&(Span, Option<String>)>,
        message: String,
        hint: &str,
    ) -> (PathBuf, Diagnostic) {
        let mut d = Diagnostic::file(&self.path, Code::Conflict, message).with_hint(hint);
        if let Some((span, line)) = place {
            d.span = Some(*span);
            d.line_text.clone_from(line);
        }
        (self.path.clone(), d)
    }

    fn at_name(&self, message: String, hint: &str) -> (PathBuf, Diagnostic) {
        self.diagnostic(self.name.as_ref(), message, hint)
    }

    fn at_rerun(&self, message: String, hint: &str) -> (PathBuf, Diagnostic) {
        self.diagnostic(self.rerun.as_ref(), message, hint)
    }
}

fn locate(path: &Path) -> Located {
    let mut located = Located {
        path: path.to_owned(),
        name: None,
        rerun: None,
        hash: None,
    };
    let Ok(bytes) = read_capped(path) else {
        return located;
    };
    let Some(text) = text_of(&bytes) else {
        return located;
    };
    let lines = Lines::new(text);
    let (Some(document), _) = crate::yaml::parse(text, path, &lines) else {
        return located;
    };
    let place = |pointer: &str| {
        document.value.pointer(pointer).map(|_| {
            let span = document.spans.value(pointer);
            (span, lines.get(span.start.line).map(str::to_owned))
        })
    };
    located.name = place("/tags/name");
    located.rerun = place("/rerun_of");
    if let Ok(spec) = Spec::from_json(&document.value) {
        located.hash = Some(spec.request_hash());
    }
    located
}

/// A spec's bytes as text, a leading byte-order mark dropped (as `load` reads it).
fn text_of(bytes: &[u8]) -> Option<&str> {
    std::str::from_utf8(bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes)).ok()
}

//! `check`: find the spec files and validate each one, collecting every problem.
//!
//! With no paths, every `*.yaml`/`*.yml` under the specs directory is checked,
//! in sorted order, so output is stable. The specs directory must lie in the
//! repository (the working directory), and symlinks are followed only to
//! files inside it: a spec is whatever is reviewed there, not whatever a link
//! happens to point at. Only regular files are read (a FIFO would block), and
//! a name that could not be shown on one line of a log is refused.
//!
//! Across files, one issue is one request: two specs under the specs
//! directory (`done/` included) that name the same issue are refused, so that
//! neither two Jobs launch one request nor a `rerun_of` names two requests.

use std::collections::{BTreeMap, BTreeSet};
use std::fs;
use std::path::{Component, Path, PathBuf};

use crate::diagnostic::{Code, Diagnostic, Lines, Span, is_unprintable};
use crate::load::{Limits, Loaded, load, not_regular, read_capped};
use crate::report::Summary;
use crate::settings::Settings;
use crate::validate::SchemaValidator;

/// Whether `path` names a spec file by its extension.
pub fn is_spec_file(path: &Path) -> bool {
    matches!(
        path.extension().and_then(|e| e.to_str()),
        Some("yaml" | "yml")
    )
}

/// The limits a spec is checked against, from the settings: `check` and
/// `render` both take them from here, so the two never disagree.
pub fn limits(settings: &Settings) -> Limits {
    Limits {
        max_partitions: settings.max_partitions,
    }
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
/// against every other spec there for [`one_request_per_issue`], so that
/// pre-commit (which passes the staged files) catches a copied spec.
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

    let mut claims: Vec<Claim> = checked
        .iter()
        .filter(|(path, _)| !given || root.as_deref().and_then(|r| relative_to(path, r)).is_some())
        .filter_map(|(path, r)| {
            r.as_ref().ok().map(|l| Claim {
                path: path.clone(),
                issue: l.spec.issue().to_string(),
            })
        })
        .collect();
    if given && !claims.is_empty() {
        claims.extend(others_claiming(specs_dir, &claims));
    }
    let mut files: Vec<(PathBuf, Vec<Diagnostic>)> = checked
        .into_iter()
        .map(|(p, r)| (p, r.err().unwrap_or_default()))
        .collect();
    let stray = refuse_duplicates(&mut files, &claims);
    if !given {
        general.extend(stray);
    }
    Summary { files, general }
}

/// `path` relative to the canonical folder `root`, when it lies inside it
/// (its folder resolved, the entry itself not followed).
fn relative_to(path: &Path, root: &Path) -> Option<PathBuf> {
    let name = path.file_name()?;
    let parent = match path.parent() {
        Some(p) if !p.as_os_str().is_empty() => p,
        _ => Path::new("."),
    };
    let dir = fs::canonicalize(parent).ok()?;
    dir.join(name).strip_prefix(root).ok().map(Path::to_owned)
}

/// The specs under `specs_dir`, other than those in `claims`, that may claim
/// one of their issues. A spec is parsed only if its text holds one of the
/// issues (or an escape, which could spell one): `check FILE` stays fast in a
/// repository of thousands of specs.
fn others_claiming(specs_dir: &Path, claims: &[Claim]) -> Vec<Claim> {
    let (found, _) = discover(specs_dir);
    let identity = |p: &Path| -> Option<PathBuf> {
        let parent = p.parent().filter(|p| !p.as_os_str().is_empty());
        Some(
            fs::canonicalize(parent.unwrap_or(Path::new(".")))
                .ok()?
                .join(p.file_name()?),
        )
    };
    let known: BTreeSet<PathBuf> = claims.iter().filter_map(|c| identity(&c.path)).collect();
    let issues: BTreeSet<&str> = claims.iter().map(|c| c.issue.as_str()).collect();
    let candidates: Vec<PathBuf> = found
        .into_iter()
        .filter(|p| identity(p).is_none_or(|id| !known.contains(&id)))
        .collect();
    let limits = Limits {
        max_partitions: u64::MAX,
    };
    crate::pipeline::parallel_map(&candidates, |path| {
        let bytes = read_capped(path).ok()?;
        let mentions = bytes.contains(&b'\\')
            || issues
                .iter()
                .any(|i| bytes.windows(i.len()).any(|w| w == i.as_bytes()));
        if !mentions {
            return None;
        }
        let loaded = load(path, &bytes, &limits, None).ok()?;
        let issue = loaded.spec.issue().to_string();
        issues.contains(issue.as_str()).then(|| Claim {
            path: path.clone(),
            issue,
        })
    })
    .into_iter()
    .flatten()
    .collect()
}

/// A valid spec and the issue it answers (`tags.name`), for
/// [`one_request_per_issue`].
#[derive(Clone, Debug)]
pub struct Claim {
    /// The spec file.
    pub path: PathBuf,
    /// Its issue reference, as the runner tags launches with it.
    pub issue: String,
}

/// One issue is one request: every spec whose issue another spec names too
/// gets a diagnostic at its `tags.name` naming the others at theirs.
///
/// Two specs of one request (a copied file) would render two Jobs with one
/// request hash, which started together could both launch it; two different
/// requests of one issue make `rerun_of` (which finds the newest launch
/// tagged with the issue) and the `dagster-scripts/issue` label ambiguous.
pub fn one_request_per_issue(claims: &[Claim]) -> Vec<(PathBuf, Diagnostic)> {
    let mut by_issue: BTreeMap<&str, Vec<&Path>> = BTreeMap::new();
    for c in claims {
        by_issue.entry(&c.issue).or_default().push(&c.path);
    }
    let mut out = Vec::new();
    for (issue, mut paths) in by_issue {
        paths.sort();
        paths.dedup();
        if paths.len() < 2 {
            continue;
        }
        let located: Vec<Located> = paths.iter().map(|p| locate(p)).collect();
        for (i, me) in located.iter().enumerate() {
            let others: Vec<&Located> = located
                .iter()
                .enumerate()
                .filter(|&(j, _)| j != i)
                .map(|(_, o)| o)
                .collect();
            let (same, different): (Vec<&Located>, Vec<&Located>) = others
                .iter()
                .partition(|o| me.hash.is_some() && o.hash == me.hash);
            let list = |ls: &[&Located]| {
                ls.iter()
                    .map(|o| o.at.as_str())
                    .collect::<Vec<_>>()
                    .join(" and ")
            };
            let copy = format!(
                "this spec is the same request as {}: two Jobs would launch it",
                list(&same)
            );
            let ambiguous = format!(
                "one issue is one request, so `rerun_of: {issue}` could not tell them apart"
            );
            let message = match (same.is_empty(), different.is_empty()) {
                (false, true) => copy,
                (true, _) => format!(
                    "issue {issue} is requested by {} too: {ambiguous}",
                    list(&different)
                ),
                (false, false) => format!(
                    "{copy}, and issue {issue} is requested by {} too: {ambiguous}",
                    list(&different)
                ),
            };
            let hint = if same.is_empty() {
                "give this request an issue of its own in `tags.name` (each request answers one issue), or delete the spec that is not wanted"
            } else {
                "delete the copy: a request is written once (a finished one stays in specs/done/); to run its failed work again, write a `kind: reexecute` spec under a new issue"
            };
            let mut d = Diagnostic::file(paths[i], Code::Conflict, message).with_hint(hint);
            d.span = me.span;
            d.line_text.clone_from(&me.line_text);
            out.push((paths[i].to_owned(), d));
        }
    }
    out
}

/// Adds [`one_request_per_issue`]'s diagnostics to the files they are about;
/// returns those about files not in `files`.
pub fn refuse_duplicates(
    files: &mut [(PathBuf, Vec<Diagnostic>)],
    claims: &[Claim],
) -> Vec<Diagnostic> {
    let mut stray = Vec::new();
    for (path, d) in one_request_per_issue(claims) {
        match files.iter_mut().find(|(p, _)| *p == path) {
            Some((_, ds)) => ds.push(d),
            None => stray.push(d),
        }
    }
    stray
}

/// Where a spec's `tags.name` is, and its request hash.
struct Located {
    /// `path:line:col`.
    at: String,
    span: Option<Span>,
    line_text: Option<String>,
    hash: Option<String>,
}

fn locate(path: &Path) -> Located {
    let shown = path.to_string_lossy().into_owned();
    let mut located = Located {
        at: shown.clone(),
        span: None,
        line_text: None,
        hash: None,
    };
    let Ok(bytes) = read_capped(path) else {
        return located;
    };
    let bytes = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(&bytes);
    let Ok(text) = std::str::from_utf8(bytes) else {
        return located;
    };
    let lines = Lines::new(text);
    let (Some(document), _) = crate::yaml::parse(text, path, &lines) else {
        return located;
    };
    let span = document.spans.value("/tags/name");
    located.at = format!("{shown}:{}:{}", span.start.line, span.start.col);
    located.span = Some(span);
    located.line_text = lines.get(span.start.line).map(str::to_owned);
    located.hash = crate::spec::Spec::from_json(&document.value)
        .ok()
        .map(|s| s.request_hash());
    located
}

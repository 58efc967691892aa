//! Stage "validate", across files: a request is made once.
//!
//! Two active specs of the same request (a copied file) are refused, since
//! their two Jobs could both launch it; a `rerun_of` naming an issue
//! that more than one spec (`done/` included) answers is refused, since the
//! runner could not tell which of their launches to re-execute; and two
//! active specs selecting the same partitions of one job or asset are
//! refused ([`overlap`](super::overlap)), unless one says `on_overlap: allow`.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

use super::overlap::{Selection, Target, overlap};
use crate::diagnostic::{Code, Diagnostic, Lines, Span};
use crate::read::read_capped;
use crate::spec::Spec;

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
    /// What it selects, when that is known before launch.
    pub selection: Option<Selection>,
    /// The environment it runs in (its index in the settings' list): specs
    /// of different environments run in different Dagsters, so they never
    /// conflict.
    pub environment: Option<usize>,
}

impl Claim {
    /// The claim of `spec`, read from `path`, running in `environment`.
    pub fn new(path: &Path, spec: &Spec, retired: bool, environment: Option<usize>) -> Claim {
        Claim {
            path: path.to_owned(),
            issue: spec.issue().to_string(),
            rerun_of: match spec {
                Spec::Reexecute(x) => Some(x.rerun_of.to_string()),
                _ => None,
            },
            retired,
            selection: Selection::of(spec),
            environment,
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
    // An issue is one request per environment: each has its own Dagster.
    let mut by_issue: BTreeMap<(Option<usize>, &str), Vec<&Claim>> = BTreeMap::new();
    for c in claims {
        by_issue
            .entry((c.environment, &c.issue))
            .or_default()
            .push(c);
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
            .get(&(c.environment, issue))
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
    out.extend(overlaps(claims));
    out.sort_by(|a, b| (&a.0, a.1.span).cmp(&(&b.0, b.1.span)));
    out.dedup_by(|a, b| a.0 == b.0 && a.1 == b.1);
    out
}

/// Two active specs whose selections overlap ([`overlap`]), neither saying
/// `on_overlap: allow`: a diagnostic on each, at its partitions, naming the
/// other at its own and the partitions both select. Two specs of one
/// request are [`conflicts`]' first rule, not this one.
fn overlaps(claims: &[Claim]) -> Vec<(PathBuf, Diagnostic)> {
    // Only specs of one job or sharing an asset can overlap: pairs within those groups.
    let mut by_word: BTreeMap<&str, Vec<usize>> = BTreeMap::new();
    for (i, c) in claims.iter().enumerate() {
        let Some(s) = c.selection.as_ref().filter(|s| !c.retired && !s.allowed) else {
            continue;
        };
        for w in s.words() {
            by_word.entry(w).or_default().push(i);
        }
    }
    let mut pairs = BTreeSet::new();
    for group in by_word.values() {
        for (n, &i) in group.iter().enumerate() {
            for &j in &group[n + 1..] {
                if claims[i].path != claims[j].path
                    && claims[i].environment == claims[j].environment
                {
                    pairs.insert((i.min(j), i.max(j)));
                }
            }
        }
    }
    let mut out = Vec::new();
    // Each file read again once, however many specs it overlaps.
    let mut located: BTreeMap<usize, Located> = BTreeMap::new();
    for (i, j) in pairs {
        let (a, b) = (&claims[i], &claims[j]);
        let (Some(sa), Some(sb)) = (&a.selection, &b.selection) else {
            continue;
        };
        let Some(shared) = overlap(sa, sb) else {
            continue;
        };
        for k in [i, j] {
            located.entry(k).or_insert_with(|| locate(&claims[k].path));
        }
        let (Some(la), Some(lb)) = (located.get(&i), located.get(&j)) else {
            continue;
        };
        if la.hash.is_some() && la.hash == lb.hash {
            continue;
        }
        let hint = if sa.kind == "run" || sb.kind == "run" {
            "two launches over the same partitions waste compute and race each other's writes: make the selections disjoint, or move the finished spec to specs/done/; if both must run, write `on_overlap: allow` on the backfill (its runner then launches even while the other is in flight)"
        } else {
            "two launches over the same partitions waste compute and race each other's writes: make the selections disjoint, or move the finished spec to specs/done/; if both must run, write `on_overlap: allow` on either spec (its runner then launches even while the other is in flight)"
        };
        let on = match &sa.target {
            Target::Job { job, .. } => format!(" of job `{job}`"),
            Target::Assets(_) => String::new(),
        };
        let assets = match shared.assets.as_slice() {
            [] => String::new(),
            [one] => format!(" on asset `{one}`"),
            many => format!(
                " on assets {}",
                many.iter()
                    .map(|a| format!("`{a}`"))
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
        };
        let what = shared.describe();
        for (me, mine, other, theirs) in [(la, sa, lb, sb), (lb, sb, la, sa)] {
            let message = format!(
                "this {}{on} overlaps the {} at {}{assets}: {what}",
                mine.kind,
                theirs.kind,
                other.partitions_at()
            );
            out.push(me.at_partitions(message, hint));
        }
    }
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
    partitions: Option<(Span, Option<String>)>,
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

    /// `path:line:col` of its partitions (`tags.partitions`, a run's `tags.partition`).
    fn partitions_at(&self) -> String {
        self.at(self.partitions.as_ref().or(self.name.as_ref()))
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

    fn at_partitions(&self, message: String, hint: &str) -> (PathBuf, Diagnostic) {
        let (path, mut d) = self.diagnostic(
            self.partitions.as_ref().or(self.name.as_ref()),
            message,
            hint,
        );
        d.code = Code::Overlap;
        (path, d)
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
        partitions: None,
        hash: None,
    };
    let Ok(bytes) = read_capped(path) else {
        return located;
    };
    let Some(text) = text_of(&bytes) else {
        return located;
    };
    let lines = Lines::new(text);
    let (Some(document), _) = crate::read::yaml::parse(text, path, &lines) else {
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
    // The key (`partitions:`), whose line names what the span points at.
    located.partitions = ["/tags/partitions", "/tags/partition"]
        .into_iter()
        .find(|p| document.value.pointer(p).is_some())
        .map(|p| {
            let span = document.spans.key(p);
            (span, lines.get(span.start.line).map(str::to_owned))
        });
    if let Ok(spec) = Spec::from_json(&document.value) {
        located.hash = Some(spec.request_hash());
    }
    located
}

/// A spec's bytes as text, a leading byte-order mark dropped (as `load` reads it).
pub(crate) fn text_of(bytes: &[u8]) -> Option<&str> {
    std::str::from_utf8(bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes)).ok()
}

//! `plan --resolve`: each request the plan adds or changes, asked of Dagster
//! the way the runner would resolve it, and never launched.
//!
//! For each one: the shared resolution ([`crate::resolve`]: the job's code
//! location, every partition key, the run config), then what Dagster
//! already did to those partitions (how many succeeded; with `reprocess`,
//! how many of them it launches and why not the others), which backfills
//! not yet ended target them, and whether a launch already carries the
//! request's hash. That last answer is what the merge does: a request
//! Dagster has seen is only followed again (a change to `reason` launches
//! nothing); any other launches new work, re-running what already succeeded.
//!
//! Only queries are sent. A request Dagster refuses becomes a diagnostic at
//! the spec's value the refusal names (unless a launch already carries its
//! hash: the runner follows that before resolving anything, so the plan only
//! notes the refusal); a Dagster that cannot be asked at all
//! leaves the plan as it is without `--resolve`, with a note saying why.

use std::collections::{BTreeSet, HashSet};
use std::path::Path;

use super::Entry;
use crate::dagster::ops::{self, Active, Target};
use crate::dagster::{self, Client};
use crate::diagnostic::report::Summary;
use crate::diagnostic::{Code, Diagnostic, Lines, Span};
use crate::read::{Limits, Loaded, load, read_capped, yaml};
use crate::resolve::handle::Handle;
pub use crate::resolve::overlap::InFlight;
use crate::resolve::{self, Action, Kept, existing, overlap};
use crate::spec::{OnOverlap, Spec};

/// What asking Dagster found, for the comment.
#[derive(Clone, Debug, PartialEq)]
pub struct Resolution {
    /// The environment whose Dagster this is, when the settings name theirs.
    pub environment: Option<String>,
    /// The Dagster asked (its base URL, as given; empty when none was).
    pub dagster: String,
    /// Its answers, or why there are none.
    pub asked: Asked,
}

/// Whether Dagster answered.
#[derive(Clone, Debug, PartialEq)]
pub enum Asked {
    /// Every added or changed request resolved: one each, in plan order.
    Answered(Vec<Resolved>),
    /// Dagster could not be asked (unreachable, not GraphQL, the deadline): why.
    Unreachable(String),
    /// No URL was given for this environment's Dagster, so it was not
    /// asked: the variable that gives one.
    NoUrl(String),
}

/// One request, resolved.
#[derive(Clone, Debug, PartialEq)]
pub struct Resolved {
    /// Its file in `out/` (the plan entry's).
    pub file: String,
    /// Its request hash.
    pub request: String,
    /// The request kind.
    pub kind: &'static str,
    /// Where the job lives, for a request of a job.
    pub target: Option<Target>,
    /// How many partitions it selects.
    pub partitions: usize,
    /// What `reprocess` keeps of them, when it is `missing` or `failed`.
    pub reprocessed: Option<resolve::Reprocessed>,
    /// How many of them already succeeded, when Dagster could say.
    pub succeeded: Option<usize>,
    /// How many of those the merge runs again (a paced request never
    /// launches a partition that has a run of it).
    pub reruns: Option<usize>,
    /// What the merge does.
    pub effect: Effect,
    /// Backfills not yet ended that target some of the same partitions.
    pub in_flight: Vec<InFlight>,
    /// What the runner does about them (`on_overlap`, the spec's or the
    /// settings'), when it looks (not for a re-execution).
    pub on_overlap: Option<OnOverlap>,
    /// What else resolving had to say (several launches carry the hash, ...).
    pub notes: Vec<String>,
}

/// What merging a request does in Dagster.
#[derive(Clone, Debug, PartialEq)]
pub enum Effect {
    /// A launch already carries the request's hash: the Job follows it again.
    Follows {
        /// The backfill or run.
        launch: Handle,
        /// Its status now.
        status: String,
    },
    /// Nothing carries the hash: the Job launches this.
    Launches(&'static str),
    /// The Job cancels (or, when already cancelling, follows) these launches
    /// of an earlier request, as `backfill abc (REQUESTED), run d (STARTED)`.
    Cancels(String),
    /// The Job launches nothing (a re-execution with nothing left to do): why.
    Nothing(String),
}

/// Resolves every added or changed request of `entries` against the
/// Dagster at `dagster` (through `client`), each spec read again with
/// `limits` (its partitions capped at its environment's `max_partitions`), a spec
/// without `on_overlap` taking `on_overlap` (the settings'). The problems
/// Dagster finds, located in the specs, are the error.
pub fn resolve(
    client: &Client,
    dagster: &str,
    entries: &[Entry],
    limits: &Limits,
    on_overlap: Option<OnOverlap>,
) -> Result<Resolution, Summary> {
    let mut asker = Asker {
        client,
        active: None,
        on_overlap,
    };
    let mut answered = Vec::new();
    let mut problems = Summary::default();
    let unreachable = |why: String| Resolution {
        environment: None,
        dagster: dagster.to_owned(),
        asked: Asked::Unreachable(why),
    };
    for entry in entries.iter().filter(|e| e.action != "remove") {
        let Some(meta) = &entry.after else { continue };
        let path = Path::new(&meta.source);
        let loaded =
            match read_capped(path).and_then(|b| load(path, &b, limits, None).map_err(first)) {
                Ok(l) => l,
                Err(d) => {
                    problems.files.push((path.to_owned(), vec![d]));
                    continue;
                }
            };
        let cap = limits
            .of_environment(loaded.spec.environment().map(|e| e.as_str()))
            .map_or(limits.max_partitions, |l| l.max_partitions);
        match asker.one(&entry.file, &loaded.spec, cap) {
            Ok(r) => {
                answered.push(r);
                problems.files.push((path.to_owned(), Vec::new()));
            }
            Err(e) if e.is_unreachable() => return Ok(unreachable(e.message)),
            Err(e) => problems
                .files
                .push((path.to_owned(), vec![locate(path, &loaded, &e, dagster)])),
        }
    }
    if problems.diagnostics().next().is_some() {
        return Err(problems);
    }
    Ok(Resolution {
        environment: None,
        dagster: dagster.to_owned(),
        asked: Asked::Answered(answered),
    })
}

/// The first of a spec's problems (there is one at least; the build read it
/// without any, so this is a file changed since).
fn first(mut d: Vec<Diagnostic>) -> Diagnostic {
    d.truncate(1);
    d.pop().unwrap_or_else(|| {
        Diagnostic::file(
            Path::new(""),
            Code::Internal,
            "a spec failed to load without a problem",
        )
    })
}

/// The refusal `e` as a diagnostic at the spec's value it names.
fn locate(path: &Path, loaded: &Loaded, e: &resolve::Error, dagster: &str) -> Diagnostic {
    let lines = Lines::new(&loaded.text);
    let pointer = e.pointer.as_deref().unwrap_or("");
    // A scalar is shown itself; a mapping or list (`run_config`) by its key,
    // whose line names it.
    let span = yaml::parse(&loaded.text, path, &lines)
        .0
        .map(|doc| match doc.value.pointer(pointer) {
            Some(v) if v.is_object() || v.is_array() => doc.spans.key(pointer),
            _ => doc.spans.value(pointer),
        })
        .unwrap_or_else(|| Span::at(crate::diagnostic::Pos { line: 1, col: 1 }));
    let hint = e.hint.clone().unwrap_or_else(|| {
        format!(
            "the runner would refuse this too: Dagster at {dagster} was asked; fix the spec, or deploy the code it needs before merging"
        )
    });
    lines
        .diagnostic(path, span, Code::Dagster, e.message.clone())
        .with_hint(hint)
}

/// Asks Dagster about one request after another, reading the backfills in
/// progress once.
struct Asker<'a> {
    client: &'a Client,
    active: Option<Vec<Active>>,
    on_overlap: Option<OnOverlap>,
}

impl Asker<'_> {
    fn one(&mut self, file: &str, spec: &Spec, cap: u64) -> Result<Resolved, resolve::Error> {
        let hash = spec.request_hash();
        let mut notes: Vec<String> = Vec::new();
        // The runner looks for a launch carrying the hash first, and follows
        // it even when the spec no longer resolves (a job renamed since).
        let group = existing::of_request(self.client, &hash)?;
        let follows = existing::originals(&group)
            .first()
            .map(|first| Effect::Follows {
                launch: first.handle.clone(),
                status: first.found.status.clone(),
            });
        if group.len() > 1 {
            notes.push(format!(
                "{} launches carry this request's hash; the Job follows the earliest",
                group.len()
            ));
        }
        let kept = Kept::default();
        let (plan, follows) = match (resolve::plan(self.client, &kept, spec, &hash, cap), follows) {
            (Ok(plan), follows) => (plan, follows),
            (Err(e), Some(follows)) if !e.is_unreachable() => {
                notes.push(format!(
                    "the spec no longer resolves ({}); the Job follows the launch that carries its hash all the same",
                    e.message
                ));
                return Ok(Resolved {
                    file: file.to_owned(),
                    request: hash,
                    kind: spec.kind().as_str(),
                    target: None,
                    partitions: 0,
                    reprocessed: None,
                    succeeded: None,
                    reruns: None,
                    effect: follows,
                    in_flight: Vec::new(),
                    on_overlap: None,
                    notes,
                });
            }
            (Err(e), _) => return Err(e),
        };
        // A paced request's partitions that have a run of it already: the
        // runner follows those, and never launches them again.
        let mut own = BTreeSet::new();
        if let Action::Paced { runs, limit } = &plan.action {
            let note;
            (note, own) = paced_note(self.client, &hash, runs.len(), *limit)?;
            notes.push(note);
        }
        let effect = follows.unwrap_or_else(|| match &plan.action {
            Action::Backfill(_) => Effect::Launches("backfill"),
            Action::Run(_) => Effect::Launches("run"),
            Action::ReexecuteRun(_) => Effect::Launches("re-execution"),
            Action::Cancel(launches) => Effect::Cancels(resolve::cancel::list(launches)),
            Action::Paced { runs, .. } if runs.iter().all(|r| own.contains(&r.key)) => {
                Effect::Nothing(format!(
                    "each of the {} partitions has a run of this request already; the Job follows them to their end",
                    runs.len()
                ))
            }
            Action::Paced { .. } => Effect::Launches("paced set of runs"),
            Action::Nothing(why) => Effect::Nothing(why.clone()),
        });
        // `reprocess` read the statuses already.
        let succeeded = match plan.reprocessed.as_ref().map(|r| r.succeeded) {
            Some(n) => Ok(Some((n, n))),
            None => self.succeeded(spec, &plan, &own),
        };
        let (succeeded, reruns) = match succeeded {
            Ok(n) => (n.map(|(all, _)| all), n.map(|(_, reruns)| reruns)),
            Err(e) if e.kind() == dagster::Kind::Refused => {
                notes.push(format!(
                    "how many partitions already succeeded is not known: {e}"
                ));
                (None, None)
            }
            Err(e) => return Err(e.into()),
        };
        let in_flight = self.in_flight(spec, &plan, &hash)?;
        // The runner looks only before launching anew.
        let on_overlap = (matches!(effect, Effect::Launches(_)) && overlap::applies(spec, &plan))
            .then(|| overlap::choice(spec, self.on_overlap));
        notes.extend(kept.take().into_iter().map(|n| n.message));
        Ok(Resolved {
            file: file.to_owned(),
            request: hash,
            kind: plan.kind,
            target: plan.target.clone(),
            partitions: plan
                .reprocessed
                .as_ref()
                .map_or(plan.keys.len(), |r| r.selected),
            reprocessed: plan.reprocessed.clone(),
            succeeded,
            reruns,
            effect,
            in_flight,
            on_overlap,
            notes,
        })
    }

    /// How many of the plan's partitions already succeeded (a job's by its
    /// partition statuses, assets' by their materializations in every
    /// asset), and how many of those the Job launches again: all but those
    /// in `own` (a paced request's partitions that have a run of it).
    fn succeeded(
        &self,
        spec: &Spec,
        plan: &resolve::Plan,
        own: &BTreeSet<String>,
    ) -> Result<Option<(usize, usize)>, dagster::Error> {
        if plan.keys.is_empty() || matches!(spec, Spec::Reexecute(_)) {
            return Ok(None);
        }
        let done: Vec<bool> = if let Spec::AssetBackfill(_) = spec {
            let mut all = vec![true; plan.keys.len()];
            for asset in &plan.assets {
                let done = ops::asset_materialized(self.client, asset, &plan.keys)?;
                for (all, done) in all.iter_mut().zip(done) {
                    *all &= done;
                }
            }
            all
        } else {
            let Some(target) = &plan.target else {
                return Ok(None);
            };
            let statuses = ops::job_partition_statuses(self.client, target)?;
            succeeded_keys(&plan.keys, &statuses)
        };
        let count = |keep: &dyn Fn(&String) -> bool| {
            plan.keys
                .iter()
                .zip(&done)
                .filter(|(k, d)| **d && keep(k))
                .count()
        };
        Ok(Some((count(&|_| true), count(&|k| !own.contains(k)))))
    }

    /// The backfills not yet ended, other than this request's own, that
    /// target some of the plan's partitions of the same job or assets.
    fn in_flight(
        &mut self,
        spec: &Spec,
        plan: &resolve::Plan,
        hash: &str,
    ) -> Result<Vec<InFlight>, resolve::Error> {
        if plan.keys.is_empty() {
            return Ok(Vec::new());
        }
        let active = match &mut self.active {
            Some(a) => a,
            None => self.active.insert(overlap::active(self.client)?),
        };
        let scope = overlap::Scope::of(spec, plan);
        Ok(overlap::among(
            self.client,
            active,
            &scope,
            &plan.keys,
            hash,
        )?)
    }
}

/// Whether each of `keys` last ran successfully, by `statuses` (partition, status).
pub fn succeeded_keys(keys: &[String], statuses: &[(String, Option<String>)]) -> Vec<bool> {
    let done: HashSet<&str> = statuses
        .iter()
        .filter(|(_, s)| s.as_deref() == Some("SUCCESS"))
        .map(|(k, _)| k.as_str())
        .collect();
    keys.iter().map(|k| done.contains(k.as_str())).collect()
}

/// What the Job does with a paced request (`max_concurrent_runs`): `n` runs,
/// at most `limit` at once, resuming after the partitions that have a run;
/// and those partitions.
fn paced_note(
    client: &Client,
    hash: &str,
    n: usize,
    limit: u32,
) -> Result<(String, BTreeSet<String>), dagster::Error> {
    let runs = resolve::paced::runs(client, hash, n)?;
    let own: BTreeSet<String> = runs
        .iter()
        .filter(|r| ops::tag(&r.tags, resolve::tags::PACED).is_some())
        .filter_map(|r| ops::tag(&r.tags, resolve::tags::PARTITION))
        .map(str::to_owned)
        .collect();
    let started = own.len();
    let mut note = format!(
        "max_concurrent_runs: the runner launches {n} runs itself, one per partition, at most {limit} at once (no Dagster backfill)"
    );
    if started > 0 {
        note.push_str(&format!(
            "; {started} partitions already have a run and are not launched again"
        ));
    }
    Ok((note, own))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn keys(k: &[&str]) -> Vec<String> {
        k.iter().map(|k| (*k).to_owned()).collect()
    }

    #[test]
    fn only_the_selected_partitions_that_last_succeeded_count() {
        let statuses = vec![
            ("a".to_owned(), Some("SUCCESS".to_owned())),
            ("b".to_owned(), Some("FAILURE".to_owned())),
            ("c".to_owned(), None),
            ("z".to_owned(), Some("SUCCESS".to_owned())),
        ];
        assert_eq!(
            succeeded_keys(&keys(&["a", "b", "c", "d"]), &statuses),
            [true, false, false, false]
        );
        assert!(succeeded_keys(&[], &statuses).is_empty());
    }
}

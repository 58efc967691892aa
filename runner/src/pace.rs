//! The pace stage: a request with `max_concurrent_runs`, launched partition
//! by partition, at most that many runs queued or in progress at once.
//!
//! Dagster's backfill daemon has no per-backfill limit, so the runner
//! launches each partition's run itself ([`mod@paced`]) and reads back,
//! every `--poll-interval`, which partitions have a run and how those runs
//! stand, by the request hash they carry. What Dagster lists is the only
//! memory: a Job run again (a new pod, after SIGTERM or a deadline) resumes
//! with the partitions that have no run, and never launches one twice. Two
//! runners at once may both launch a partition; each poll cancels every run
//! of a partition but its earliest, the rule concurrent twins follow too.
//!
//! Before each launch, the first included (the overlap stage leaves a paced
//! request to this one), it looks for work in flight over the partitions it
//! is about to launch (a backfill, or another paced request, maybe started
//! since the request began) and does what `on_overlap` says: waits (launching
//! nothing until that work ends), refuses (exit 3, launching no more), or
//! warns and launches.
//!
//! The stage ends when every partition has a run and every run ended: exit 0
//! if all succeeded, 1 with the failed keys otherwise. A cancelled run
//! (`kind: cancel`, or someone in Dagster's UI) stops the launching at once:
//! exit 1. A launch Dagster refuses ends it with exit 3; what was launched
//! keeps running.

use std::time::{Duration, Instant};

use serde_json::Value;

use dagster_scripts::dagster::{Client, MutationError, ops};
use dagster_scripts::resolve::overlap::{self, Scope};
use dagster_scripts::resolve::paced::{self, PacedRun, Progress};
use dagster_scripts::spec::{OnOverlap, Spec};

use crate::exit::{Error, Status};
use crate::log::{Event, Level, Logger};

/// A progress line at least this often, changed or not.
const HEARTBEAT: Duration = Duration::from_secs(60);
/// Keys named in a log line (all go in the JSON field, up to `MAX_LISTED`).
const NAMED: usize = 20;
const MAX_LISTED: usize = 1000;

/// How a paced request is run.
pub struct Pacing<'a> {
    /// The request hash its runs carry.
    pub hash: &'a str,
    /// One run per partition, in order.
    pub runs: &'a [PacedRun],
    /// Most runs queued or in progress at once.
    pub limit: u32,
    /// Pause between polls.
    pub poll: Duration,
    /// How long polls may fail in a row.
    pub retry_for: Duration,
    /// Launch the first runs and return (`--no-wait`).
    pub no_wait: bool,
    /// What the request's runs hold partitions of, for overlaps.
    pub scope: Scope,
    /// What to do about work in flight over partitions about to be launched.
    pub on_overlap: OnOverlap,
    /// Where `on_overlap` comes from, for a refusal.
    pub on_overlap_source: &'static str,
}

/// Launches and follows the runs of `p` until every one ended.
pub fn pace(client: &Client, log: &Logger, p: &Pacing<'_>) -> Result<Status, Error> {
    let keys: Vec<String> = p.runs.iter().map(|r| r.key.clone()).collect();
    let mut failing_since: Option<Instant> = None;
    let mut last = Lines::default();
    loop {
        match round(client, log, p, &keys, &mut last) {
            Ok(Some(status)) => return Ok(status),
            Ok(None) => failing_since = None,
            Err(e) if e.status != Status::Unreachable => return Err(e),
            Err(e) => {
                let since = *failing_since.get_or_insert_with(Instant::now);
                if since.elapsed() >= p.retry_for {
                    return Err(e);
                }
                log.emit(Event::warn(
                    "poll_failed",
                    format!("pacing the request's runs: {}; polling again", e.message),
                ));
            }
        }
        client.stop().sleep(p.poll)?;
    }
}

/// The last progress and overlap lines logged, and when: a line is logged
/// again when it changes or every [`HEARTBEAT`].
#[derive(Default)]
struct Lines {
    progress: Option<(String, Instant)>,
    overlap: Option<(String, Instant)>,
}

/// Whether `line` is due, after `last`; notes it when it is.
fn due(last: &mut Option<(String, Instant)>, line: &str) -> bool {
    let due = match last {
        Some((previous, at)) => previous != line || at.elapsed() >= HEARTBEAT,
        None => true,
    };
    if due {
        *last = Some((line.to_owned(), Instant::now()));
    }
    due
}

/// One poll: read the runs, cancel twins, stop on a cancel, end when all
/// ended, else settle overlaps and launch up to the limit. `Some(status)`
/// when it is over.
fn round(
    client: &Client,
    log: &Logger,
    p: &Pacing<'_>,
    keys: &[String],
    last: &mut Lines,
) -> Result<Option<Status>, Error> {
    let found = paced::runs(client, p.hash, keys.len())?;
    let progress = Progress::of(keys, &found);
    cancel_twins(client, log, &progress);
    let line = progress.line(p.limit);
    if due(&mut last.progress, &line) {
        log.emit(
            Event::info("progress", line.clone())
                .with("succeeded", progress.succeeded.len())
                .with("failed", progress.failed.len())
                .with("in_flight", progress.in_flight)
                .with("not_launched", progress.not_launched.len())
                .with("total", progress.total),
        );
    }
    if !progress.canceled.is_empty() {
        let message = format!(
            "{}; runs were cancelled ({}): launching no more partitions{}",
            progress.line(p.limit),
            listed(&progress.canceled),
            if progress.not_launched.is_empty() {
                String::new()
            } else {
                format!(" ({} never launched)", progress.not_launched.len())
            }
        );
        log.emit(finished(Status::Failed, message, &progress));
        return Ok(Some(Status::Failed));
    }
    if progress.is_over() {
        let status = if progress.failed.is_empty() {
            Status::Succeeded
        } else {
            Status::Failed
        };
        let mut message = format!(
            "all {} runs ended: {} of {} partitions succeeded",
            progress.total,
            progress.succeeded.len(),
            progress.total
        );
        if !progress.failed.is_empty() {
            message.push_str(&format!(
                "; failed partitions ({}): {}",
                progress.failed.len(),
                listed(&progress.failed)
            ));
        }
        log.emit(finished(status, message, &progress));
        return Ok(Some(status));
    }
    let free = usize::try_from(p.limit)
        .unwrap_or(usize::MAX)
        .saturating_sub(progress.in_flight);
    let next: Vec<String> = progress.not_launched.iter().take(free).cloned().collect();
    if !next.is_empty() && !clear_to_launch(client, log, p, &next, &mut last.overlap)? {
        return Ok(None);
    }
    for key in &next {
        let Some(run) = p.runs.iter().find(|r| &r.key == key) else {
            continue;
        };
        match ops::launch_run(client, run.params.clone()) {
            Ok(id) => log.emit(
                Event::info("launched", format!("launched run {id} of partition {key}"))
                    .with("id", id)
                    .with("partition", key.as_str()),
            ),
            // Found by its tags at the next poll if it happened: never sent twice blind.
            Err(MutationError::Unknown(message)) => {
                log.emit(
                    Event::warn(
                        "launch_unknown",
                        format!("{message}; the next poll looks for it by tag"),
                    )
                    .with("partition", key.as_str()),
                );
                break;
            }
            Err(MutationError::Failed(e)) => {
                let e = Error::from(e);
                return Err(Error::new(
                    e.status,
                    format!(
                        "partition {key}: {}; the runs already launched keep running",
                        e.message
                    ),
                ));
            }
        }
    }
    if p.no_wait && progress.not_launched.len() > free {
        log.emit(Event::info(
            "no_wait",
            "--no-wait: not pacing the rest; running the Job again launches the next partitions",
        ));
        return Ok(Some(Status::Succeeded));
    }
    if p.no_wait {
        log.emit(Event::info("no_wait", "--no-wait: not following the runs"));
        return Ok(Some(Status::Succeeded));
    }
    Ok(None)
}

/// Whether `next` may be launched now, by `on_overlap`, given the work in
/// flight over those partitions: `false` to wait (and poll again), a
/// refusal to stop launching.
fn clear_to_launch(
    client: &Client,
    log: &Logger,
    p: &Pacing<'_>,
    next: &[String],
    last: &mut Option<(String, Instant)>,
) -> Result<bool, Error> {
    let found = overlap::among(
        client,
        &mut overlap::active(client)?,
        &p.scope,
        next,
        p.hash,
    )?;
    if found.is_empty() {
        if last.take().is_some() {
            log.emit(Event::info(
                "overlap_ended",
                "no overlapping work in flight any more",
            ));
        }
        return Ok(true);
    }
    let listed = overlap::describe(&found);
    let ids = || found.iter().map(|f| f.id.as_str()).collect::<Vec<_>>();
    match p.on_overlap {
        OnOverlap::Refuse => Err(Error::rejected(format!(
            "on_overlap is refuse ({}): {listed} in flight over partitions this request has not launched yet; launching no more (the runs launched keep running; run the Job again once that work ends)",
            p.on_overlap_source
        ))),
        OnOverlap::Allow => {
            if due(last, &listed) {
                log.emit(
                    Event::warn(
                        "overlap",
                        format!("{listed} in flight over the next partitions; launching all the same (on_overlap: allow)"),
                    )
                    .with("backfills", ids()),
                );
            }
            Ok(true)
        }
        OnOverlap::Wait => {
            if due(last, &listed) {
                log.emit(
                    Event::info(
                        "overlap_wait",
                        format!("waiting for {listed} to end before launching the next partitions (on_overlap: wait)"),
                    )
                    .with("backfills", ids()),
                );
            }
            Ok(false)
        }
    }
}

/// Cancels the runs of a partition besides its own (a concurrent runner's).
fn cancel_twins(client: &Client, log: &Logger, progress: &Progress) {
    for (id, key) in &progress.twins {
        let event = match ops::cancel(client, false, id) {
            Ok(()) => Event::warn(
                "twin_cancelled",
                format!(
                    "run {id} of partition {key} was launched concurrently with its own run; cancelled it"
                ),
            ),
            Err(e) => Event::warn(
                "twin_not_cancelled",
                format!(
                    "run {id} of partition {key} was launched concurrently with its own run; cancelling it failed: {}",
                    Error::from(e)
                ),
            ),
        };
        log.emit(
            event
                .with("id", id.as_str())
                .with("partition", key.as_str()),
        );
    }
}

fn listed(keys: &[String]) -> String {
    let named: Vec<&str> = keys.iter().take(NAMED).map(String::as_str).collect();
    let more = if keys.len() > NAMED {
        format!(" and {} more", keys.len() - NAMED)
    } else {
        String::new()
    };
    format!("{}{more}", named.join(", "))
}

fn finished(status: Status, message: String, progress: &Progress) -> Event {
    let level = if status == Status::Succeeded {
        Level::Info
    } else {
        Level::Error
    };
    let keys = |k: &[String]| Value::from(k.iter().take(MAX_LISTED).cloned().collect::<Vec<_>>());
    Event::new(level, "finished", message)
        .with("exit_code", status.code())
        .with("succeeded", progress.succeeded.len())
        .with("failed_partitions", keys(&progress.failed))
        .with("canceled_partitions", keys(&progress.canceled))
}

/// When `plan` is paced, paces it to its end: `Some(status)`. A job backfill
/// whose request was paced before (its runs carry the hash and the paced mark,
/// `max_concurrent_runs` since removed from the spec) is refused rather than
/// launched again as a backfill. `None`: launch the plan as usual.
pub fn paced(
    client: &Client,
    log: &Logger,
    settings: &crate::args::Settings,
    spec: &Spec,
    plan: &dagster_scripts::resolve::Plan,
    hash: &str,
) -> Result<Option<Status>, Error> {
    use dagster_scripts::resolve::Action;
    match &plan.action {
        Action::Paced { runs, limit } => {
            log.emit(
                Event::info(
                    "paced",
                    format!(
                        "max_concurrent_runs: launching {} runs, one per partition, at most {limit} at once",
                        runs.len()
                    ),
                )
                .with("runs", runs.len())
                .with("limit", *limit),
            );
            let pacing = Pacing {
                hash,
                runs,
                limit: *limit,
                poll: settings.poll_interval,
                retry_for: settings.retry_for,
                no_wait: settings.no_wait,
                scope: Scope::of(spec, plan),
                on_overlap: overlap::choice(spec, settings.on_overlap),
                on_overlap_source: overlap::source(spec),
            };
            pace(client, log, &pacing).map(Some)
        }
        Action::Backfill(_) => match paced::earlier_limit(client, hash)? {
            Some(limit) => Err(Error::rejected(format!(
                "this request was launched partition by partition (max_concurrent_runs: {limit}) and its runs exist; launching it again as one backfill would repeat them: put `max_concurrent_runs` back in the spec to resume"
            ))),
            None => Ok(None),
        },
        _ => Ok(None),
    }
}

//! The follow stage: a backfill or run to its end, with progress in the log.
//!
//! Polls every `--poll-interval` until the status is terminal, the deadline
//! passes (exit 5) or a signal arrives. A progress line is written when the
//! counts change and at least once a minute, so a quiet log still shows the
//! runner is alive. At the end the failed partitions are listed. A poll that
//! fails (Dagster briefly away, a `PythonError`) is retried for up to
//! `--retry-for` before the run ends with exit 4.

use std::time::{Duration, Instant};

use serde_json::Value;

use dagster_scripts::dagster::Client;
use dagster_scripts::dagster::ops::{self, Counts, Lookup, RunClass, TERMINAL_BACKFILL};

use crate::existing;
use crate::exit::{Error, Status};
use crate::handle::Handle;
use crate::log::{Event, Level, Logger};

/// A progress line at least this often, changed or not.
const HEARTBEAT: Duration = Duration::from_secs(60);
/// Failed partitions named in the log line (all of them go in the JSON field, up to `MAX_LISTED`).
const NAMED: usize = 20;
const MAX_LISTED: usize = 1000;

/// Follows `handle` until it ends; the status it ended with.
pub fn follow(
    client: &Client,
    log: &Logger,
    handle: &Handle,
    poll: Duration,
    retry_for: Duration,
) -> Result<Status, Error> {
    let mut failing_since: Option<Instant> = None;
    let mut last_line: Option<(String, Instant)> = None;
    loop {
        let polled = match handle {
            Handle::Backfill(id) => poll_backfill(client, log, id, &mut last_line),
            Handle::Run(id) => poll_run(client, log, id, &mut last_line),
        };
        match polled {
            Ok(Some(status)) => return Ok(status),
            Ok(None) => failing_since = None,
            Err(e) if matches!(e.status, Status::Interrupted(_) | Status::TimedOut) => {
                return Err(e);
            }
            Err(e) => {
                let since = *failing_since.get_or_insert_with(Instant::now);
                if since.elapsed() >= retry_for {
                    return Err(Error::unreachable(format!(
                        "following {handle}: {}",
                        e.message
                    )));
                }
                log.emit(Event::warn(
                    "poll_failed",
                    format!("following {handle}: {}; polling again", e.message),
                ));
            }
        }
        client.stop().sleep(poll)?;
    }
}

fn progress_line(log: &Logger, line: String, event: Event, last: &mut Option<(String, Instant)>) {
    let due = match last {
        Some((previous, at)) => *previous != line || at.elapsed() >= HEARTBEAT,
        None => true,
    };
    if due {
        log.emit(event);
        *last = Some((line, Instant::now()));
    }
}

fn poll_backfill(
    client: &Client,
    log: &Logger,
    id: &str,
    last: &mut Option<(String, Instant)>,
) -> Result<Option<Status>, Error> {
    let progress = match ops::backfill_progress(client, id)? {
        Lookup::Found(p) => p,
        Lookup::Missing(m) if m.starts_with("BackfillNotFoundError") => {
            return Err(Error::new(
                Status::Failed,
                format!("backfill {id} no longer exists in Dagster: {m}"),
            ));
        }
        Lookup::Missing(m) => {
            return Err(Error::unreachable(format!("reading backfill {id}: {m}")));
        }
    };
    let Counts {
        total,
        done,
        failed,
        in_progress,
    } = progress.counts;
    let line = format!(
        "backfill {id} {}: {done} done, {failed} failed, {in_progress} in progress of {total}",
        progress.status
    );
    let event = Event::info("progress", line.clone())
        .with("backfill_id", id)
        .with("status", progress.status.as_str())
        .with("done", done)
        .with("failed", failed)
        .with("in_progress", in_progress)
        .with("total", total);
    progress_line(log, line, event, last);
    if !TERMINAL_BACKFILL.contains(&progress.status.as_str()) {
        return Ok(None);
    }
    let succeeded =
        progress.status == "COMPLETED_SUCCESS" || (progress.status == "COMPLETED" && failed == 0);
    let failed_keys = if succeeded {
        Vec::new()
    } else {
        failed_partitions(client, id)?
    };
    let status = if succeeded {
        Status::Succeeded
    } else {
        Status::Failed
    };
    let mut message = format!(
        "backfill {id} ended {}: {done} of {total} partitions succeeded",
        progress.status
    );
    if !failed_keys.is_empty() {
        let named: Vec<&str> = failed_keys.iter().take(NAMED).map(String::as_str).collect();
        let more = if failed_keys.len() > NAMED {
            format!(" and {} more", failed_keys.len() - NAMED)
        } else {
            String::new()
        };
        message.push_str(&format!(
            "; failed partitions ({}): {}{more}",
            failed_keys.len(),
            named.join(", ")
        ));
    }
    if let Some(error) = &progress.error {
        message.push_str(&format!("; Dagster: {}", error.trim()));
    }
    let level = if succeeded { Level::Info } else { Level::Error };
    log.emit(
        Event::new(level, "finished", message)
            .with("backfill_id", id)
            .with("status", progress.status.as_str())
            .with("exit_code", status.code())
            .with(
                "failed_partitions",
                Value::from(
                    failed_keys
                        .iter()
                        .take(MAX_LISTED)
                        .cloned()
                        .collect::<Vec<_>>(),
                ),
            ),
    );
    Ok(Some(status))
}

/// The partitions of a finished backfill whose latest run did not succeed.
fn failed_partitions(client: &Client, id: &str) -> Result<Vec<String>, Error> {
    if let Lookup::Found(detail) = ops::backfill_detail(client, id)?
        && !detail.is_asset_backfill
    {
        return Ok(detail
            .partitions
            .into_iter()
            .filter(|(_, s)| s.as_deref().map(ops::classify_run) == Some(RunClass::Failed))
            .map(|(k, _)| k)
            .collect());
    }
    Ok(existing::failed_partitions(client, id)?)
}

fn poll_run(
    client: &Client,
    log: &Logger,
    id: &str,
    last: &mut Option<(String, Instant)>,
) -> Result<Option<Status>, Error> {
    let run = match ops::run_status(client, id)? {
        Lookup::Found(r) => r,
        Lookup::Missing(m) if m.starts_with("RunNotFoundError") => {
            return Err(Error::new(
                Status::Failed,
                format!("run {id} no longer exists in Dagster: {m}"),
            ));
        }
        Lookup::Missing(m) => return Err(Error::unreachable(format!("reading run {id}: {m}"))),
    };
    let line = format!("run {id} of {} {}", run.job, run.status);
    let event = Event::info("progress", line.clone())
        .with("run_id", id)
        .with("status", run.status.as_str());
    progress_line(log, line, event, last);
    let status = match ops::classify_run(&run.status) {
        RunClass::Succeeded => Status::Succeeded,
        RunClass::Failed => Status::Failed,
        RunClass::InProgress | RunClass::NotStarted => return Ok(None),
    };
    let mut message = format!("run {id} of {} ended {}", run.job, run.status);
    if let Some(reason) = ops::tag(&run.tags, "dagster/failure_reason") {
        message.push_str(&format!(" ({reason})"));
    }
    let level = if status == Status::Succeeded {
        Level::Info
    } else {
        Level::Error
    };
    log.emit(
        Event::new(level, "finished", message)
            .with("run_id", id)
            .with("status", run.status.as_str())
            .with("exit_code", status.code()),
    );
    Ok(Some(status))
}

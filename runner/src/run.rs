//! One run of the runner, start to end: spec, existing launch, plan, launch,
//! follow.
//!
//! The order is what makes a re-applied Job safe: the earlier launch is
//! looked up by the request's hash before anything else is asked of Dagster,
//! so a second pod follows the first launch even if the spec no longer
//! resolves (a renamed job, a partition that aged out).

use dagster_scripts::read::{Limits, read_spec};

use crate::exit::{Error, Status};
use crate::follow::follow;
use crate::graphql::Client;
use crate::http::Transport;
use crate::launch::{self, Handle};
use crate::log::{Event, Format, Level, Logger};
use crate::plan::{self, Action};
use crate::settings::Settings;
use crate::stop::Stop;

/// Runs the request in `settings`, logging to `log`; the exit status.
pub fn run(settings: &Settings, log: &Logger, stop: Stop) -> Status {
    match run_inner(settings, log, stop) {
        Ok(status) => status,
        Err(e) => {
            let level = if e.status == Status::Succeeded {
                Level::Info
            } else {
                Level::Error
            };
            log.emit(
                Event::new(level, "exit", e.message.clone())
                    .with("exit_code", e.status.code())
                    .with("outcome", e.status.name()),
            );
            e.status
        }
    }
}

fn run_inner(settings: &Settings, log: &Logger, stop: Stop) -> Result<Status, Error> {
    if let Some(warning) = &settings.url_warning {
        log.emit(Event::warn(
            "insecure_url",
            format!("DAGSTER_URL: {warning}"),
        ));
    }
    let limits = Limits {
        max_partitions: settings.max_partitions,
        ..Limits::default()
    };
    let spec = read_spec(&settings.spec, &limits).map_err(|diagnostics| {
        for d in &diagnostics {
            log.emit(Event::new(Level::Error, "spec_error", d.to_string()));
        }
        Error::invalid(format!(
            "{}: the spec is not valid ({} problem(s))",
            settings.spec.display(),
            diagnostics.len()
        ))
    })?;
    let hash = spec.request_hash();
    log.emit(
        Event::info(
            "request",
            format!(
                "{} request for issue {} (request {}) on {}",
                spec.kind(),
                spec.issue(),
                &hash[..hash.len().min(12)],
                settings.endpoint
            ),
        )
        .with("kind", spec.kind().as_str())
        .with("issue", spec.issue().as_str())
        .with("request", hash.as_str())
        .with("endpoint", settings.endpoint.as_str()),
    );
    let transport = Transport::new(&settings.endpoint, settings.token.clone());
    let client = Client::new(
        transport,
        log.clone(),
        stop,
        settings.retry_for,
        settings.request_timeout,
    );

    let existing = launch::find_existing(&client, log, &hash)?;
    if settings.dry_run {
        let plan = plan::build(&client, log, &spec, &hash, settings.max_partitions)?;
        match log.format() {
            Format::Human => log.output(&plan.to_text()),
            Format::Json => log.output(&format!("{}\n", plan.to_json())),
        }
        if let Some(handle) = &existing {
            log.emit(Event::info("dry_run", format!("dry run: {handle} already carries this request's hash; a real run would follow it")));
        } else {
            log.emit(Event::info("dry_run", "dry run: nothing launched"));
        }
        return Ok(Status::Succeeded);
    }

    let handle = match existing {
        Some(handle) => {
            log.emit(Event::info("found", format!("{handle} already carries this request's hash: following it instead of launching")).with("id", id(&handle)));
            handle
        }
        None => {
            let plan = plan::build(&client, log, &spec, &hash, settings.max_partitions)?;
            if let Action::Nothing(why) = &plan.action {
                log.emit(Event::info("finished", why.clone()).with("exit_code", 0));
                return Ok(Status::Succeeded);
            }
            let (handle, took) = launch::launch(&client, log, &plan, &hash)?;
            let count = if plan.keys.is_empty() {
                String::new()
            } else {
                format!(" ({} partitions)", plan.keys.len())
            };
            log.emit(
                Event::info("launched", format!("launched {handle}{count}"))
                    .with("id", id(&handle))
                    .with("partitions", plan.keys.len()),
            );
            // A concurrent twin may have launched too: the earliest launch wins.
            let handle = launch::settle(&client, log, &hash, &handle, took)?;
            warn_about_daemons(&client, log, &handle);
            handle
        }
    };
    if settings.no_wait {
        log.emit(Event::info(
            "no_wait",
            format!("--no-wait: not following {handle}"),
        ));
        return Ok(Status::Succeeded);
    }
    follow(
        &client,
        log,
        &handle,
        settings.poll_interval,
        settings.retry_for,
    )
}

/// A backfill without Dagster's BACKFILL daemon (or a queued run without the
/// run coordinator) never progresses: say so instead of waiting in silence.
fn warn_about_daemons(client: &Client, log: &Logger, handle: &Handle) {
    let wanted: &[&str] = match handle {
        Handle::Backfill(_) => &["BACKFILL", "QUEUED_RUN_COORDINATOR"],
        Handle::Run(_) => &["QUEUED_RUN_COORDINATOR"],
    };
    if let Some(unhealthy) = crate::api::unhealthy_daemons(client, wanted)
        && !unhealthy.is_empty()
    {
        log.emit(
            Event::warn(
                "daemons",
                format!(
                    "Dagster reports these daemons as not running: {}; {handle} will not progress until they do",
                    unhealthy.join(", ")
                ),
            )
            .with("daemons", unhealthy),
        );
    }
}

fn id(handle: &Handle) -> &str {
    match handle {
        Handle::Backfill(id) | Handle::Run(id) => id,
    }
}

//! One run of the runner, its stages in order: read the spec, find an
//! earlier launch ([`existing`]), [`resolve`], settle the [`overlap`]s,
//! [`launch`], [`follow`] (or, for a request with `max_concurrent_runs`,
//! [`pace`]).
//!
//! The order is what makes a re-applied Job safe: the earlier launch is
//! looked up by the request's hash before anything else is asked of Dagster,
//! so a second pod follows the first launch even if the spec no longer
//! resolves (a renamed job, a partition that aged out).

use dagster_scripts::read::{Limits, read_spec};

use dagster_scripts::dagster::Stop;
use dagster_scripts::spec::Spec;

use crate::args::Settings;
use crate::exit::{Error, Status};
use crate::follow::follow;
use crate::log::{Event, Format, Level, Logger};
use crate::resolve::{self, Action};
use crate::{cancel, client, existing, launch, overlap, pace};

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
    let spec = read(settings, log)?;
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
    let client = client::connect(settings, log, stop)?;
    if let Spec::Cancel(_) = spec {
        return cancel(settings, log, &client, &spec, &hash);
    }

    let existing = existing::find(&client, log, &hash)?;
    if settings.dry_run {
        let plan = resolve::plan(&client, log, &spec, &hash, settings.max_partitions)?;
        match log.format() {
            Format::Human => log.output(&plan.to_text()),
            Format::Json => log.output(&format!("{}\n", plan.to_json())),
        }
        if let Some(handle) = &existing {
            log.emit(Event::info("dry_run", format!("dry run: {handle} already carries this request's hash; a real run would follow it")));
        } else {
            let choice = resolve::overlap::choice(&spec, settings.on_overlap);
            overlap::dry_run(&client, log, &spec, &plan, &hash, choice)?;
            log.emit(Event::info("dry_run", "dry run: nothing launched"));
        }
        return Ok(Status::Succeeded);
    }

    let handle = match existing {
        Some(handle) => {
            log.emit(Event::info("found", format!("{handle} already carries this request's hash: following it instead of launching")).with("id", handle.id()));
            handle
        }
        None => {
            let plan = resolve::plan(&client, log, &spec, &hash, settings.max_partitions)?;
            if let Action::Nothing(why) = &plan.action {
                log.emit(Event::info("finished", why.clone()).with("exit_code", 0));
                return Ok(Status::Succeeded);
            }
            // A paced request settles overlaps itself, before each launch.
            if let Some(status) = pace::paced(&client, log, settings, &spec, &plan, &hash)? {
                return Ok(status);
            }
            let choice = resolve::overlap::choice(&spec, settings.on_overlap);
            let poll = settings.poll_interval;
            match overlap::settle(&client, log, &spec, &plan, &hash, choice, poll)? {
                Some(found) => {
                    log.emit(Event::info("found", format!("{found} carries this request's hash (launched while waiting): following it instead of launching")).with("id", found.id()));
                    found
                }
                None => launch::launch(&client, log, &plan, &hash)?,
            }
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

/// A cancellation: resolved like any request (what the earlier request
/// launched and has not ended), shown by a dry run, else cancelled and
/// followed ([`cancel::cancel`]). Nothing carries its hash: it launches nothing.
fn cancel(
    settings: &Settings,
    log: &Logger,
    client: &dagster_scripts::dagster::Client,
    spec: &Spec,
    hash: &str,
) -> Result<Status, Error> {
    let plan = resolve::plan(client, log, spec, hash, settings.max_partitions)?;
    if settings.dry_run {
        match log.format() {
            Format::Human => log.output(&plan.to_text()),
            Format::Json => log.output(&format!("{}\n", plan.to_json())),
        }
        log.emit(Event::info("dry_run", "dry run: nothing cancelled"));
        return Ok(Status::Succeeded);
    }
    match &plan.action {
        Action::Cancel(launches) => {
            let wait = (!settings.no_wait).then_some((settings.poll_interval, settings.retry_for));
            cancel::cancel(client, log, spec, launches, wait)
        }
        Action::Nothing(why) => {
            log.emit(Event::info("finished", why.clone()).with("exit_code", 0));
            Ok(Status::Succeeded)
        }
        _ => Err(Error::invalid(
            "internal error: a cancellation resolved to a launch; please report this bug",
        )),
    }
}

/// The read stage: the spec file, parsed and checked by the root library;
/// every problem logged with its place, then exit 2.
fn read(settings: &Settings, log: &Logger) -> Result<Spec, Error> {
    let limits = Limits {
        max_partitions: settings.max_partitions,
        // The settings' opt-in is enforced where specs are reviewed (`check`,
        // `render`): the runner launches what was rendered for it.
        allow_k8s_config: true,
        // And so is `environment`: the Job was rendered for the one it names.
        environments: None,
        ..Limits::default()
    };
    read_spec(&settings.spec, &limits).map_err(|diagnostics| {
        for d in &diagnostics {
            log.emit(Event::new(Level::Error, "spec_error", d.to_string()));
        }
        Error::invalid(format!(
            "{}: the spec is not valid ({} problem(s))",
            settings.spec.display(),
            diagnostics.len()
        ))
    })
}

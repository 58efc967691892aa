//! What the binary does with its parsed command line: print the help or the
//! version, or run the request; failures are logged as the last event. The
//! exit status comes back for `main` to turn into the process's exit code.

use crate::args::{Command, HELP};
use crate::exit::{Error, Status};
use crate::log::{Event, Format, Level, Logger};
use crate::run::run;
use crate::signals::stop_on_signals;

/// Carries out `command`; an error before the settings are known is logged
/// in `fallback` format.
pub fn execute(command: Result<Command, Error>, fallback: Format) -> Status {
    match command {
        Ok(Command::Help) => {
            Logger::stderr(fallback).output(HELP);
            Status::Succeeded
        }
        Ok(Command::Version) => {
            Logger::stderr(fallback).output(concat!(
                "dagster-scripts-runner ",
                env!("CARGO_PKG_VERSION"),
                "\n"
            ));
            Status::Succeeded
        }
        Ok(Command::Run(settings)) => {
            let log = Logger::stderr(settings.log_format);
            match stop_on_signals(settings.timeout) {
                Ok(stop) => run(&settings, &log, stop),
                Err(e) => fail(&log, e),
            }
        }
        Err(e) => fail(&Logger::stderr(fallback), e),
    }
}

fn fail(log: &Logger, e: Error) -> Status {
    log.emit(
        Event::new(Level::Error, "exit", e.message)
            .with("exit_code", e.status.code())
            .with("outcome", e.status.name()),
    );
    e.status
}

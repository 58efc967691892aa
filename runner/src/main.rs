//! The `dagster-scripts-runner` binary: parse settings, run, exit with the
//! documented code. Everything else lives in the library.

use std::process::ExitCode;

use dagster_scripts_runner::exit::Status;
use dagster_scripts_runner::log::{Event, Format, Level, Logger};
use dagster_scripts_runner::run::run;
use dagster_scripts_runner::settings::{self, Command, HELP};
use dagster_scripts_runner::stop::Stop;

fn main() -> ExitCode {
    let command = settings::parse(std::env::args_os().skip(1), |name| std::env::var(name).ok());
    let log_format = match std::env::var("DAGSTER_SCRIPTS_LOG_FORMAT").as_deref() {
        Ok("json") => Format::Json,
        _ => Format::Human,
    };
    let status = match command {
        Ok(Command::Help) => {
            Logger::stderr(log_format).output(HELP);
            Status::Succeeded
        }
        Ok(Command::Version) => {
            Logger::stderr(log_format).output(concat!(
                "dagster-scripts-runner ",
                env!("CARGO_PKG_VERSION"),
                "\n"
            ));
            Status::Succeeded
        }
        Ok(Command::Run(settings)) => {
            let log = Logger::stderr(settings.log_format);
            match Stop::with_signals(settings.timeout) {
                Ok(stop) => run(&settings, &log, stop),
                Err(e) => fail(&log, e),
            }
        }
        Err(e) => fail(&Logger::stderr(log_format), e),
    };
    ExitCode::from(u8::try_from(status.code()).unwrap_or(1))
}

fn fail(log: &Logger, e: dagster_scripts_runner::exit::Error) -> Status {
    log.emit(
        Event::new(Level::Error, "exit", e.message)
            .with("exit_code", e.status.code())
            .with("outcome", e.status.name()),
    );
    e.status
}

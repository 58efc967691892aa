//! The `dagster-scripts-runner` binary: parse the command line, carry it out
//! with the library, exit with the documented code.

use std::process::ExitCode;

use dagster_scripts_runner::args;
use dagster_scripts_runner::command::execute;

fn main() -> ExitCode {
    let env = |name: &str| std::env::var(name).ok();
    let command = args::parse(std::env::args_os().skip(1), env);
    let status = execute(command, args::fallback_log_format(env));
    ExitCode::from(u8::try_from(status.code()).unwrap_or(1))
}

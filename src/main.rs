//! The `dagster-scripts` command: parse arguments, call the library, map the
//! outcome to an exit code. Everything else lives in the library, which
//! never prints; this is the one place that writes to the terminal.
#![allow(clippy::print_stderr)]

use std::io::Write;
use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand};
use dagster_scripts::load::{DEFAULT_MAX_PARTITIONS, Limits};
use dagster_scripts::report::{self, Format};
use dagster_scripts::schema::{SCHEMA_PATH, spec_schema_text};
use dagster_scripts::{check, drift};

const EXIT_CODES: &str = "\
Exit codes:
  0  every spec is valid (or, with --check, nothing is stale)
  1  at least one spec is invalid (or, with --check, something is stale)
  2  usage error, or a file or directory could not be read";

#[derive(Parser)]
#[command(
    name = "dagster-scripts",
    version,
    about = "Compile reviewed YAML requests into Kubernetes Jobs that launch Dagster backfills and runs",
    long_about = "Compile reviewed YAML requests into Kubernetes Jobs that launch Dagster backfills and runs.\n\n\
One file under specs/ is one request (a backfill, a job run, an asset backfill, or a re-execution). \
`check` validates specs against the JSON Schema in schema/spec.schema.json and the rules it cannot express.",
    after_help = EXIT_CODES,
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Validate spec files and report every problem with its file:line:col.
    #[command(after_help = EXIT_CODES)]
    Check {
        /// Spec files to check (pre-commit passes the staged ones). Default: every *.yaml and *.yml under --specs.
        paths: Vec<PathBuf>,
        /// The folder that holds the specs.
        #[arg(long, value_name = "DIR", default_value = "specs")]
        specs: PathBuf,
        /// How to report problems: human (stderr), or json, github annotations, gitlab Code Quality (stdout).
        #[arg(long, value_enum, default_value_t = Format::Human)]
        format: Format,
        /// Most partitions one request may select.
        #[arg(long, value_name = "N", default_value_t = DEFAULT_MAX_PARTITIONS)]
        max_partitions: u64,
    },
    /// Print the JSON Schema of a spec, or check that the committed copy is current.
    #[command(
        after_help = "Exit codes:\n  0  printed, or the committed schema is current\n  1  --check: the committed schema is stale (a diff is printed)\n  2  usage error, or the file could not be read"
    )]
    Schema {
        /// Compare with the committed schema instead of printing; exit 1 with a diff if it is stale.
        #[arg(long)]
        check: bool,
        /// The committed schema, for --check.
        #[arg(long, value_name = "FILE", default_value = SCHEMA_PATH)]
        path: PathBuf,
    },
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let code = match cli.command {
        Command::Check {
            paths,
            specs,
            format,
            max_partitions,
        } => {
            let summary = check::run(&specs, &paths, &Limits { max_partitions });
            let text = report::render(&summary, format);
            if format == Format::Human {
                eprint!("{text}");
                eprintln!("{}", summary.tally());
            } else {
                print(&text);
            }
            summary.exit_code()
        }
        Command::Schema { check: false, .. } => {
            print(&spec_schema_text());
            0
        }
        Command::Schema { check: true, path } => schema_check(&path),
    };
    ExitCode::from(code)
}

fn schema_check(path: &std::path::Path) -> u8 {
    let committed = match std::fs::read_to_string(path) {
        Ok(text) => Some(text),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => None,
        Err(e) => {
            eprintln!("error: cannot read {}: {e}", path.display());
            return 2;
        }
    };
    match drift::diff(
        &path.to_string_lossy(),
        committed.as_deref(),
        &spec_schema_text(),
    ) {
        None => {
            eprintln!("{} is current", path.display());
            0
        }
        Some(diff) => {
            print(&diff);
            eprintln!(
                "{} is stale; run `dagster-scripts schema > {}` and commit it",
                path.display(),
                path.display()
            );
            1
        }
    }
}

/// Writes to stdout, ignoring a closed pipe (`dagster-scripts schema | head`).
fn print(text: &str) {
    let _ = std::io::stdout().lock().write_all(text.as_bytes());
}

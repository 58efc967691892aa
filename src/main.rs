//! The `dagster-scripts` command: parse arguments, call the library, map the
//! outcome to an exit code. Everything else lives in the library, which
//! never prints; this is the one place that writes to the terminal.
#![allow(clippy::print_stderr, clippy::print_stdout)]

use std::fmt::Write as _;
use std::io::Write;
use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Args, Parser, Subcommand, ValueEnum};
use dagster_scripts::diagnostic::escape_path;
use dagster_scripts::load::Limits;
use dagster_scripts::report::{self, Format, Summary};
use dagster_scripts::schema::{SCHEMA_PATH, spec_schema_text};
use dagster_scripts::settings::{DnsLabel, HttpUrl, ImageRef, SETTINGS_FILE, Settings};
use dagster_scripts::spec::{IssueRef, Kind};
use dagster_scripts::{check, drift, out, pipeline, plan, scaffold};

/// A render allocates and frees small strings and values on every core;
/// mimalloc does that for a fraction of glibc's cost.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

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
`new` starts one, `check` validates specs (pre-commit, CI), `render` writes the Kubernetes manifests \
into out/ (`render --check` in CI), `plan` shows what a change does, and `schema` prints the JSON Schema \
editors use.",
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
        /// Spec files to check (pre-commit passes the staged ones); those under the specs folder are also compared with the other specs there (one issue, one request). Default: every *.yaml and *.yml under the specs folder.
        paths: Vec<PathBuf>,
        #[command(flatten)]
        settings: SpecsArgs,
        /// How to report problems: human (stderr), or json, github annotations, gitlab Code Quality (stdout).
        #[arg(long, value_enum, default_value_t = Format::Human)]
        format: Format,
        /// Most partitions one request may select [settings: max_partitions; default: 100000].
        #[arg(long, value_name = "N")]
        max_partitions: Option<u64>,
    },
    /// Render every spec into a Job and its ConfigMap in out/, with out/kustomization.yaml.
    #[command(
        after_help = "Exit codes:\n  0  rendered (or, with --check, out/ is current)\n  1  a spec is invalid (out/ is left untouched), or with --check out/ is stale (a diff is printed)\n  2  usage error, a template error, or a file could not be read or written"
    )]
    Render {
        /// Render in memory and compare with out/ instead of writing; exit 1 with a diff if out/ is stale.
        #[arg(long)]
        check: bool,
        #[command(flatten)]
        settings: SettingsArgs,
        /// How to report invalid specs.
        #[arg(long, value_enum, default_value_t = Format::Human)]
        format: Format,
    },
    /// Show what `render` would change in out/, as Markdown for a pull-request comment.
    #[command(
        after_help = "Exit codes:\n  0  the plan was printed (with or without changes)\n  1  a spec is invalid\n  2  usage error, a template error, or a file could not be read"
    )]
    Plan {
        #[command(flatten)]
        settings: SettingsArgs,
        /// Markdown for people, JSON for tools.
        #[arg(long, value_enum, default_value_t = PlanFormat::Markdown)]
        format: PlanFormat,
    },
    /// Start a request: write specs/<kind>-<issue>.yaml with <placeholders> to fill in.
    #[command(
        after_help = "Exit codes:\n  0  the spec was written (its path is printed)\n  2  usage error, the file exists already, or it could not be written"
    )]
    New {
        /// The issue that asks for the request (e.g. 34543 or PROJ-12).
        issue: IssueRef,
        /// The kind of request.
        #[arg(long, value_enum, default_value_t = KindArg::Backfill)]
        kind: KindArg,
        #[command(flatten)]
        settings: SpecsArgs,
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

#[derive(Clone, Copy, PartialEq, Eq, ValueEnum)]
enum KindArg {
    /// A partition backfill of a job.
    Backfill,
    /// One run of a job.
    Run,
    /// A backfill of assets.
    #[value(name = "asset_backfill")]
    AssetBackfill,
    /// Re-execution of an earlier request's failed runs.
    Reexecute,
}

impl From<KindArg> for Kind {
    fn from(k: KindArg) -> Kind {
        match k {
            KindArg::Backfill => Kind::Backfill,
            KindArg::Run => Kind::Run,
            KindArg::AssetBackfill => Kind::AssetBackfill,
            KindArg::Reexecute => Kind::Reexecute,
        }
    }
}

#[derive(Clone, Copy, PartialEq, Eq, ValueEnum)]
enum PlanFormat {
    Markdown,
    Json,
}

/// Where the settings come from; each flag overrides the settings file.
#[derive(Args)]
struct SettingsArgs {
    /// The settings file (default: dagster-scripts.toml, if present).
    #[arg(long, value_name = "FILE")]
    settings: Option<PathBuf>,
    /// The folder that holds the specs [settings: paths.specs].
    #[arg(long, value_name = "DIR")]
    specs: Option<PathBuf>,
    /// The folder to render into [settings: paths.out].
    #[arg(long, value_name = "DIR")]
    out: Option<PathBuf>,
    /// The folder with a job.yaml.tera overriding the default template [settings: paths.templates].
    #[arg(long, value_name = "DIR")]
    templates: Option<PathBuf>,
    /// Namespace of the Jobs [settings: namespace].
    #[arg(long, value_name = "NAME")]
    namespace: Option<DnsLabel>,
    /// The runner image, repository:tag or repository@sha256:... [settings: image].
    #[arg(long, value_name = "IMAGE")]
    image: Option<ImageRef>,
    /// Base URL of the Dagster webserver, as the Job reaches it [settings: dagster.url].
    #[arg(long, value_name = "URL")]
    dagster_url: Option<HttpUrl>,
}

/// The settings `check` and `new` read: the same file as `render`, and where the specs are.
#[derive(Args)]
struct SpecsArgs {
    /// The settings file (default: dagster-scripts.toml, if present).
    #[arg(long, value_name = "FILE")]
    settings: Option<PathBuf>,
    /// The folder that holds the specs [settings: paths.specs].
    #[arg(long, value_name = "DIR")]
    specs: Option<PathBuf>,
}

impl SpecsArgs {
    /// The settings, with `--specs` applied; a bad settings file is exit 2, reported here.
    fn resolve(self) -> Result<Settings, u8> {
        let label = settings_label(self.settings.as_deref());
        let mut s = load_settings(self.settings)?;
        s.paths.specs = self.specs.unwrap_or(s.paths.specs);
        warn(&s, &label);
        Ok(s)
    }
}

/// The settings file every subcommand reads: `--settings FILE` (which must
/// exist), else `dagster-scripts.toml` if present, else the defaults. A bad
/// file is a usage error (exit 2), reported here at its `file:line:col`.
fn load_settings(file: Option<PathBuf>) -> Result<Settings, u8> {
    let (path, required) = match file {
        Some(p) => (p, true),
        None => (PathBuf::from(SETTINGS_FILE), false),
    };
    Settings::load(&path, required).map_err(|d| {
        eprint!("{}", report::human(&d));
        2
    })
}

/// The settings file's name, as warnings about its values show it.
fn settings_label(file: Option<&std::path::Path>) -> String {
    dagster_scripts::diagnostic::escape_path(file.unwrap_or(std::path::Path::new(SETTINGS_FILE)))
}

/// Warnings about settings that work but are risky (a token over plain http).
fn warn(s: &Settings, label: &str) {
    for w in s.warnings() {
        eprintln!("warning: {label}: {w}");
    }
}

impl SettingsArgs {
    /// The settings; a bad settings file is a usage error (exit 2), reported here.
    fn resolve(self) -> Result<Settings, u8> {
        let label = settings_label(self.settings.as_deref());
        let mut s = load_settings(self.settings)?;
        s.paths.specs = self.specs.unwrap_or(s.paths.specs);
        s.paths.out = self.out.unwrap_or(s.paths.out);
        s.paths.templates = self.templates.unwrap_or(s.paths.templates);
        s.namespace = self.namespace.unwrap_or(s.namespace);
        s.image = self.image.unwrap_or(s.image);
        s.dagster.url = self.dagster_url.unwrap_or(s.dagster.url);
        warn(&s, &label);
        Ok(s)
    }
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let code = match cli.command {
        Command::Check {
            paths,
            settings,
            format,
            max_partitions,
        } => match settings.resolve() {
            Err(code) => code,
            Ok(mut s) => {
                s.max_partitions = max_partitions.unwrap_or(s.max_partitions);
                let summary = check::run(&s.paths.specs, &paths, &Limits::from_settings(&s));
                let text = report::render(&summary, format);
                if format == Format::Human {
                    eprint!("{text}");
                    eprintln!("{}", summary.tally());
                } else {
                    print(&text);
                }
                summary.exit_code()
            }
        },
        Command::Render {
            check: true,
            settings,
            format,
        } => match settings.resolve() {
            Err(code) => code,
            Ok(s) => with_existing(&s.paths.out, |existing| {
                match pipeline::build(&s, existing, None) {
                    Err(summary) => report_problems(&summary, format),
                    Ok(build) => render_check(&s.paths.out, &build, existing),
                }
            }),
        },
        Command::Render {
            check: false,
            settings,
            format,
        } => match settings.resolve() {
            Err(code) => code,
            Ok(s) if !inside_repository(&s.paths.out) => 2,
            Ok(s) => match out::lock(&s.paths.out) {
                Err(e) => io_error("cannot lock", &s.paths.out, &e),
                // Read, render and write under the lock: a second render waits for this one.
                Ok(lock) => with_existing(&s.paths.out, |existing| {
                    let staging = out::Staging::new(&s.paths.out, &lock);
                    match pipeline::build(&s, existing, Some(&staging)) {
                        Err(summary) => report_problems(&summary, format),
                        Ok(build) => render(&s.paths.out, &staging, &build),
                    }
                }),
            },
        },
        Command::Plan { settings, format } => match settings.resolve() {
            Err(code) => code,
            Ok(s) => with_existing(&s.paths.out, |existing| {
                match pipeline::build(&s, existing, None) {
                    Err(summary) => report_problems(&summary, Format::Human),
                    Ok(build) => {
                        let entries = plan::plan(&build);
                        print(&match format {
                            PlanFormat::Markdown => plan::markdown(&entries),
                            PlanFormat::Json => plan::json(&entries),
                        });
                        0
                    }
                }
            }),
        },
        Command::New {
            issue,
            kind,
            settings,
        } => match settings.resolve() {
            Err(code) => code,
            Ok(s) => new(&issue, kind.into(), &s.paths.specs),
        },
        Command::Schema { check: false, .. } => {
            print(&spec_schema_text());
            0
        }
        Command::Schema { check: true, path } => schema_check(&path),
    };
    ExitCode::from(code)
}

fn report_problems(summary: &Summary, format: Format) -> u8 {
    let text = report::render(summary, format);
    if format == Format::Human {
        eprint!("{text}");
        if !summary.files.is_empty() {
            eprintln!("{}", summary.tally());
        }
        eprintln!("nothing was written");
    } else {
        print(&text);
    }
    summary.exit_code()
}

/// Whether `out` may be used: a path inside the repository (the working
/// directory) must not lead out of it through a symlink. Says why not.
fn inside_repository(out: &std::path::Path) -> bool {
    match out::leads_out_of_repository(out) {
        Ok(None) => true,
        Ok(Some(real)) => {
            eprintln!(
                "error: {} leads out of the repository, to {}, through a symbolic link; \
                 render writes and removes files there, so it refuses\n  \
                 hint: make {} a real directory inside the repository (or point --out at the place itself)",
                out.display(),
                real.display(),
                out.display()
            );
            false
        }
        Err(e) => {
            io_error("cannot resolve", out, &e);
            false
        }
    }
}

/// Reads what `out/` holds and hands it to `f`.
fn with_existing(dir: &std::path::Path, f: impl FnOnce(&out::Existing) -> u8) -> u8 {
    if !inside_repository(dir) {
        return 2;
    }
    match out::read_existing(dir) {
        Ok(existing) => f(&existing),
        Err(e) => io_error("cannot read", dir, &e),
    }
}

fn io_error(what: &str, path: &std::path::Path, e: &std::io::Error) -> u8 {
    eprintln!("error: {what} {}: {e}", escape_path(path));
    2
}

fn render(out_dir: &std::path::Path, staging: &out::Staging<'_>, build: &pipeline::Build) -> u8 {
    match out::apply(staging, &build.desired, &build.removed) {
        Ok(applied) => {
            // One write, not one per line: a first render lists every file.
            let mut lines = String::new();
            for name in &applied.written {
                let _ = writeln!(lines, "wrote   {}", escape_path(&out_dir.join(name)));
            }
            for name in &applied.removed {
                let _ = writeln!(lines, "removed {}", escape_path(&out_dir.join(name)));
            }
            let n = build.rendered.len();
            let _ = writeln!(
                lines,
                "rendered {n} spec{}: {} written, {} removed, {} unchanged",
                if n == 1 { "" } else { "s" },
                applied.written.len(),
                applied.removed.len(),
                applied.unchanged
            );
            eprint!("{lines}");
            0
        }
        Err(e) => io_error("cannot write", out_dir, &e),
    }
}

fn render_check(
    out_dir: &std::path::Path,
    build: &pipeline::Build,
    existing: &out::Existing,
) -> u8 {
    let changes = out::changes(&build.desired, &build.removed);
    if changes.is_empty() {
        eprintln!(
            "{} is current ({} files)",
            escape_path(out_dir),
            build.desired.len()
        );
        return 0;
    }
    print(&out::diff(existing, &build.desired, &changes));
    eprintln!(
        "{} is stale: {} file(s) differ; run `dagster-scripts render` and commit the result",
        escape_path(out_dir),
        changes.len()
    );
    1
}

fn new(issue: &IssueRef, kind: Kind, specs: &std::path::Path) -> u8 {
    let path = scaffold::path(specs, kind, issue);
    let text = scaffold::template(kind, issue, &scaffold::schema_reference(specs));
    let written = std::fs::create_dir_all(specs)
        .and_then(|()| {
            std::fs::OpenOptions::new()
                .write(true)
                .create_new(true)
                .open(&path)
        })
        .and_then(|mut f| f.write_all(text.as_bytes()));
    let shown = escape_path(&path);
    match written {
        Ok(()) => {
            println!("{shown}");
            eprintln!("wrote {shown}: edit it, then run `dagster-scripts check {shown}`");
            if !std::path::Path::new(SCHEMA_PATH).exists() {
                eprintln!(
                    "note: {SCHEMA_PATH} is missing; run `dagster-scripts schema > {SCHEMA_PATH}` so editors find the schema"
                );
            }
            0
        }
        Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {
            eprintln!("error: {shown} exists already; edit it, or pick another issue or kind");
            2
        }
        Err(e) => {
            eprintln!("error: cannot write {shown}: {e}");
            2
        }
    }
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

#[cfg(test)]
mod tests {
    use clap::CommandFactory;

    /// clap's checks of the whole command tree (clashing names or shorts,
    /// defaults a value parser refuses, ...), which a debug build otherwise
    /// runs only for the subcommand a user happens to call.
    #[test]
    fn command_line_definition_is_consistent() {
        super::Cli::command().debug_assert();
    }
}

//! The `dagster-scripts` command: parse arguments, call the library, map the
//! outcome to an exit code. Everything else lives in the library
//! (`dagster_scripts::cmd` holds each command's sequence), which never
//! prints: this is the one place that hands it the terminal's streams.

use std::io::{IsTerminal, Write};
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

use clap::{Args, Parser, Subcommand, ValueEnum};
use dagster_scripts::cmd::connect::Reaching;
use dagster_scripts::cmd::{self, Outcome, plan::PlanFormat, status::StatusFormat};
use dagster_scripts::diagnostic::report::{Colour, Format};
use dagster_scripts::schema::SCHEMA_PATH;
use dagster_scripts::settings::{DnsLabel, Environments, HttpUrl, ImageRef};
use dagster_scripts::spec::{IssueRef, Kind};

/// A render allocates and frees small strings and values on every core;
/// mimalloc does that for a fraction of glibc's cost.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

const EXIT_CODES: &str = "\
Exit codes:
  0  every spec is valid (or, with --check, nothing is stale)
  1  at least one spec is invalid (or, with --check, something is stale)
  2  usage error, or a file or directory could not be read";

const STATUS_EXIT_CODES: &str = "\
Exit codes:
  0  every request listed has succeeded
  1  a request failed or was canceled
  2  usage error, a bad settings file, an invalid spec, or Dagster could not be asked
  3  a request is still running or requested, or was never launched (and none failed)

Only queries are sent: status never launches, cancels or re-executes anything.";

#[derive(Parser)]
#[command(
    name = "dagster-scripts",
    version,
    about = "Compile reviewed YAML requests into Kubernetes Jobs that launch Dagster backfills and runs",
    long_about = "Compile reviewed YAML requests into Kubernetes Jobs that launch Dagster backfills and runs.\n\n\
One file under specs/ is one request (a backfill, a job run, an asset backfill, or a re-execution). \
`new` starts one, `check` validates specs (pre-commit, CI), `render` writes the Kubernetes manifests \
into out/ (`render --check` in CI), `plan` shows what a change does, `status` asks Dagster what each request became, `retire` moves finished ones to specs/done/, and `schema` prints \
the JSON Schema editors use.",
    after_help = "Exit codes (each command's --help says what they mean for it):\n  0  success\n  1  a spec is invalid, something is stale, or a request failed\n  2  usage error, a file could not be read, or Dagster could not be asked\n  3  status: a request is still running or was never launched"
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
        #[command(flatten)]
        environment: EnvironmentArg,
        /// How to report problems: human (stderr), or json, github annotations, gitlab Code Quality (stdout).
        #[arg(long, value_enum, default_value_t = FormatArg::Human)]
        format: FormatArg,
        /// Most partitions one request may select, in every environment [settings: max_partitions; default: 100000].
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
        #[command(flatten)]
        environment: EnvironmentArg,
        /// How to report invalid specs.
        #[arg(long, value_enum, default_value_t = FormatArg::Human)]
        format: FormatArg,
    },
    /// Show what `render` would change in out/, as Markdown for a pull-request comment.
    #[command(
        after_help = "Exit codes:\n  0  the plan was printed (with or without changes; with --resolve, also when Dagster could not be asked)\n  1  a spec is invalid, or with --resolve Dagster refuses a request (an unknown job, partition key or run config)\n  2  usage error, a template error, or a file could not be read"
    )]
    Plan {
        #[command(flatten)]
        settings: SettingsArgs,
        #[command(flatten)]
        environment: EnvironmentArg,
        /// Markdown for people, JSON for tools.
        #[arg(long, value_enum, default_value_t = PlanFormatArg::Markdown)]
        format: PlanFormatArg,
        /// Also ask Dagster (queries only, nothing is launched) what each added or changed request resolves to, as the runner would: its code location, partition keys and run config checked (a refusal is a problem at the spec's line, exit 1), how many of its partitions already succeeded, backfills in flight on the same partitions, and whether the merge launches new work or re-follows a launch. If Dagster cannot be asked, the plan is printed without this, with a note.
        #[arg(long)]
        resolve: bool,
        #[command(flatten)]
        dagster: DagsterArgs,
    },
    /// Ask Dagster what each request became: not launched, requested, running, succeeded, failed or canceled.
    #[command(after_help = STATUS_EXIT_CODES)]
    Status {
        /// Spec files or folders to report on. Default: every spec under the specs folder, done/ included.
        paths: Vec<PathBuf>,
        #[command(flatten)]
        settings: SpecsArgs,
        #[command(flatten)]
        environment: EnvironmentArg,
        #[command(flatten)]
        dagster: DagsterArgs,
        /// human: a table on stdout; json: one document for tools; markdown: a pull-request comment (with the partition grid of two-dimensional backfills). Links into Dagster's UI start with [settings: dagster.ui_url], else the Dagster asked.
        #[arg(long, value_enum, default_value_t = StatusFormatArg::Human)]
        format: StatusFormatArg,
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
    /// Move finished requests' specs into the specs folder's done/ (kept byte for byte, the schema modeline fixed); then run `render`.
    #[command(
        long_about = "Move finished requests' specs from the specs folder into its done/ folder, at the same sub-path: `render` then leaves their Jobs out of out/ (run it next), `check` still validates them. Each file is kept byte for byte except a relative schema path in its yaml-language-server modeline, rewritten to point at the same schema from done/. A spec outside the specs folder or already in done/, a symbolic link, a file that is not a valid spec, or one whose destination exists is refused and left where it is; the others still move.",
        after_help = "Exit codes:\n  0  every spec named was moved (each `FROM -> TO` is printed)\n  1  a file is not a valid spec (its problems are shown; it was not moved)\n  2  usage error, a path refused (outside the specs folder, retired already, a symlink, not a spec file, the destination exists), or a file could not be read or written"
    )]
    Retire {
        /// The spec files to retire, e.g. specs/backfill-34543.yaml.
        #[arg(required = true)]
        paths: Vec<PathBuf>,
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
    /// Cancellation of what an earlier request launched.
    Cancel,
    /// One run materialising unpartitioned assets.
    Materialize,
}

impl From<KindArg> for Kind {
    fn from(k: KindArg) -> Kind {
        match k {
            KindArg::Backfill => Kind::Backfill,
            KindArg::Run => Kind::Run,
            KindArg::AssetBackfill => Kind::AssetBackfill,
            KindArg::Reexecute => Kind::Reexecute,
            KindArg::Cancel => Kind::Cancel,
            KindArg::Materialize => Kind::Materialize,
        }
    }
}

/// `--format` of `check` and `render`: [`Format`], which the library keeps free of clap.
#[derive(Clone, Copy, PartialEq, Eq, ValueEnum)]
enum FormatArg {
    /// Source line, caret, code and hint, for a terminal.
    Human,
    /// One JSON document with every file and problem.
    Json,
    /// GitHub Actions workflow commands (`::error file=…,line=…,col=…::…`).
    Github,
    /// A GitLab Code Quality report (JSON).
    Gitlab,
}

impl From<FormatArg> for Format {
    fn from(f: FormatArg) -> Format {
        match f {
            FormatArg::Human => Format::Human,
            FormatArg::Json => Format::Json,
            FormatArg::Github => Format::Github,
            FormatArg::Gitlab => Format::Gitlab,
        }
    }
}

#[derive(Clone, Copy, PartialEq, Eq, ValueEnum)]
enum StatusFormatArg {
    /// An aligned table, for a terminal.
    Human,
    /// One JSON document, for tools.
    Json,
    /// A pull-request or issue comment.
    Markdown,
}

impl From<StatusFormatArg> for StatusFormat {
    fn from(f: StatusFormatArg) -> StatusFormat {
        match f {
            StatusFormatArg::Human => StatusFormat::Human,
            StatusFormatArg::Json => StatusFormat::Json,
            StatusFormatArg::Markdown => StatusFormat::Markdown,
        }
    }
}

#[derive(Clone, Copy, PartialEq, Eq, ValueEnum)]
enum PlanFormatArg {
    Markdown,
    Json,
}

impl From<PlanFormatArg> for PlanFormat {
    fn from(f: PlanFormatArg) -> PlanFormat {
        match f {
            PlanFormatArg::Markdown => PlanFormat::Markdown,
            PlanFormatArg::Json => PlanFormat::Json,
        }
    }
}

/// Where the settings come from; each flag overrides the settings file, in every environment.
#[derive(Args)]
struct SettingsArgs {
    /// The settings file (default: dagster-scripts.toml, if present). The paths in it are relative to the repository (the current directory), wherever the file is.
    #[arg(long, value_name = "FILE")]
    settings: Option<PathBuf>,
    /// The folder that holds the specs [settings: paths.specs].
    #[arg(long, value_name = "DIR")]
    specs: Option<PathBuf>,
    /// The folder to render into [settings: paths.out]; with environments, each renders into DIR/<name>.
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

/// `--environment`: the one environment a command works on.
#[derive(Args)]
struct EnvironmentArg {
    /// Work on this environment only (one of the settings' [environments.<name>]); default: every environment.
    #[arg(short = 'e', long, value_name = "NAME")]
    environment: Option<String>,
}

impl EnvironmentArg {
    /// The `loaded` settings restricted to the environment named, if one is;
    /// an unknown name is a usage error reported to `err`.
    fn apply(
        &self,
        loaded: Result<Environments, Outcome>,
        err: &mut impl Write,
    ) -> Result<Environments, Outcome> {
        let mut environments = loaded?;
        if let Some(name) = &self.environment {
            environments.restrict(name).map_err(|e| {
                let _ = writeln!(err, "error: {e}");
                Outcome::Error
            })?;
        }
        Ok(environments)
    }
}

/// How the commands that ask Dagster (`status`, `plan --resolve`) reach it.
#[derive(Args)]
struct DagsterArgs {
    /// Base URL of the Dagster webserver to ask, when this machine reaches it at another address than the Jobs do (a port-forward, an ingress) [default: settings dagster.url]. A Dagster+ token is read from DAGSTER_API_TOKEN. With environments, these are the default environment's; environment NAME's Dagster is DAGSTER_URL_<NAME> with DAGSTER_API_TOKEN_<NAME> (NAME upper-cased, `-` as `_`), and one without a URL is not asked.
    #[arg(long = "dagster", value_name = "URL", env = "DAGSTER_URL")]
    url: Option<HttpUrl>,
    /// Give up asking Dagster after this long, retries included (e.g. 30s, 2m).
    #[arg(long, value_name = "DURATION", default_value = "60s", value_parser = parse_duration)]
    timeout: Duration,
}

impl DagsterArgs {
    /// Where each environment's Dagster is, from these flags and the process's environment.
    fn reaching(&self) -> Reaching<'_> {
        Reaching {
            given: self.url.as_ref(),
            timeout: self.timeout,
            var: Reaching::process_var,
        }
    }
}

/// A duration as the settings write it (`90s`, `5m`, `1h30m`).
fn parse_duration(s: &str) -> Result<Duration, String> {
    dagster_scripts::duration::parse(s)
        .filter(|d| !d.is_zero())
        .ok_or_else(|| format!("`{s}` is not a duration: write e.g. 30s, 5m or 1h30m"))
}

/// The settings `check` and `new` read: the same file as `render`, and where the specs are.
#[derive(Args)]
struct SpecsArgs {
    /// The settings file (default: dagster-scripts.toml, if present). The paths in it are relative to the repository (the current directory), wherever the file is.
    #[arg(long, value_name = "FILE")]
    settings: Option<PathBuf>,
    /// The folder that holds the specs [settings: paths.specs].
    #[arg(long, value_name = "DIR")]
    specs: Option<PathBuf>,
}

impl SpecsArgs {
    /// The settings, with `--specs` applied; a bad settings file is reported to `err`.
    fn resolve(self, colour: Colour, err: &mut impl Write) -> Result<Environments, Outcome> {
        let mut e = cmd::load_settings(self.settings.as_deref(), colour, err)?;
        if let Some(specs) = &self.specs {
            e.for_each_settings(|s| s.paths.specs.clone_from(specs));
        }
        cmd::warn_settings(&e, self.settings.as_deref(), err);
        Ok(e)
    }
}

impl SettingsArgs {
    /// The settings, each flag applied (in every environment); a bad settings file is reported to `err`.
    fn resolve(self, colour: Colour, err: &mut impl Write) -> Result<Environments, Outcome> {
        let mut e = cmd::load_settings(self.settings.as_deref(), colour, err)?;
        e.for_each_settings(|s| {
            if let Some(specs) = &self.specs {
                s.paths.specs.clone_from(specs);
            }
            if let Some(templates) = &self.templates {
                s.paths.templates.clone_from(templates);
            }
            if let Some(namespace) = &self.namespace {
                s.namespace = namespace.clone();
            }
            if let Some(image) = &self.image {
                s.image = image.clone();
            }
            if let Some(url) = &self.dagster_url {
                s.dagster.url = url.clone();
            }
        });
        if let Some(out) = &self.out {
            e.set_out(out);
        }
        cmd::warn_settings(&e, self.settings.as_deref(), err);
        Ok(e)
    }
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let mut out = std::io::stdout();
    let mut err = std::io::stderr();
    let outcome = run(cli.command, colour(), &mut out, &mut err);
    let _ = out.flush();
    ExitCode::from(outcome.code())
}

/// Whether diagnostics in the `human` format (written to stderr) are
/// coloured: not when `NO_COLOR` is set (and not empty); else when
/// `CLICOLOR_FORCE` is set and not `0`; else not when `CLICOLOR` is `0` or
/// `TERM` is `dumb`; else when stderr is a terminal.
fn colour() -> Colour {
    let var = |name| std::env::var_os(name).filter(|v| !v.is_empty());
    let on = if var("NO_COLOR").is_some() {
        false
    } else if var("CLICOLOR_FORCE").is_some_and(|v| v != "0") {
        true
    } else if var("CLICOLOR").is_some_and(|v| v == "0") || var("TERM").is_some_and(|v| v == "dumb")
    {
        false
    } else {
        std::io::stderr().is_terminal()
    };
    if on { Colour::Ansi } else { Colour::Plain }
}

/// Runs `command`, its output to `out` and `err` (human diagnostics in `colour`).
fn run(command: Command, colour: Colour, out: &mut impl Write, err: &mut impl Write) -> Outcome {
    match command {
        Command::Check {
            paths,
            settings,
            environment,
            format,
            max_partitions,
        } => {
            let mut e = match environment.apply(settings.resolve(colour, err), err) {
                Ok(e) => e,
                Err(outcome) => return outcome,
            };
            if let Some(n) = max_partitions {
                e.for_each_settings(|s| s.max_partitions = n);
            }
            cmd::check::check(&e, &paths, format.into(), colour, out, err)
        }
        Command::Render {
            check,
            settings,
            environment,
            format,
        } => {
            let e = match environment.apply(settings.resolve(colour, err), err) {
                Ok(e) => e,
                Err(outcome) => return outcome,
            };
            if check {
                cmd::render::check(&e, format.into(), colour, out, err)
            } else {
                cmd::render::render(&e, format.into(), colour, out, err)
            }
        }
        Command::Plan {
            settings,
            environment,
            format,
            resolve,
            dagster,
        } => {
            let e = match environment.apply(settings.resolve(colour, err), err) {
                Ok(e) => e,
                Err(outcome) => return outcome,
            };
            let reaching = resolve.then(|| dagster.reaching());
            cmd::plan::plan(&e, format.into(), colour, reaching, out, err)
        }
        Command::Status {
            paths,
            settings,
            environment,
            dagster,
            format,
        } => {
            let e = match environment.apply(settings.resolve(colour, err), err) {
                Ok(e) => e,
                Err(outcome) => return outcome,
            };
            let reaching = dagster.reaching();
            cmd::status::status(&e, &paths, format.into(), reaching, colour, out, err)
        }
        Command::New {
            issue,
            kind,
            settings,
        } => match settings.resolve(colour, err) {
            Err(outcome) => outcome,
            Ok(e) => cmd::new::new(&issue, kind.into(), &e.repository().paths.specs, out, err),
        },
        Command::Retire { paths, settings } => match settings.resolve(colour, err) {
            Err(outcome) => outcome,
            Ok(s) => cmd::retire::retire(&s, &paths, colour, out, err),
        },
        Command::Schema { check: false, .. } => cmd::schema::print(out),
        Command::Schema { check: true, path } => cmd::schema::check(&path, out, err),
    }
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

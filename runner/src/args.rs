//! The runner's first stage: its settings, from command-line flags over
//! environment variables.
//!
//! The rendered Job passes the spec path as the only argument and everything
//! else through the environment, so that one image serves every request; the
//! flags exist for people running the binary by hand, and win over the
//! environment. Any bad value is exit 2 before Dagster is contacted.

use std::ffi::OsString;
use std::path::PathBuf;
use std::time::Duration;

use dagster_scripts::dagster::{CERT_DIR_VAR, CERT_FILE_VAR};
use dagster_scripts::read::DEFAULT_MAX_PARTITIONS;
use dagster_scripts::spec::OnOverlap;
use dagster_scripts::url::BaseUrl;

use crate::exit::Error;
use crate::log::Format;

/// The help text, which is also the reference for the environment variables.
pub const HELP: &str = "\
dagster-scripts-runner: launch one dagster-scripts request on Dagster and follow it

Usage: dagster-scripts-runner [OPTIONS] SPEC_FILE

Reads the request (the spec file the Job's ConfigMap mounts), resolves its job,
code location and partitions against Dagster's GraphQL API, launches it tagged
with the request's hash unless a launch with that hash already exists, follows
it to the end and exits with its outcome. Logs go to stderr, one event a line.

Options:
      --dry-run                 Resolve everything and print what would be launched; launch nothing
      --no-wait                 Launch (or find) the request and exit 0 without following it
      --url URL                 Dagster webserver base URL [env: DAGSTER_URL]
      --timeout DURATION        Total deadline, following included [env: DAGSTER_SCRIPTS_TIMEOUT] [default: 24h]
      --poll-interval DURATION  Time between status polls [env: DAGSTER_SCRIPTS_POLL_INTERVAL] [default: 10s]
      --retry-for DURATION      How long to retry an unreachable Dagster [env: DAGSTER_SCRIPTS_RETRY_FOR] [default: 5m]
      --request-timeout DURATION
                                Timeout of one HTTP request [env: DAGSTER_SCRIPTS_REQUEST_TIMEOUT] [default: 60s]
      --log-format FORMAT       human or json [env: DAGSTER_SCRIPTS_LOG_FORMAT] [default: human]
      --max-partitions N        Most partitions one request may select [env: DAGSTER_SCRIPTS_MAX_PARTITIONS] [default: 100000]
      --on-overlap MODE         wait, refuse or allow: what to do when backfills (or paced requests) in
                                flight hold some of the request's partitions, for a spec without `on_overlap`
                                [env: DAGSTER_SCRIPTS_ON_OVERLAP] [default: wait]
  -h, --help                    Print this help
  -V, --version                 Print the version

Environment:
  DAGSTER_URL          Base URL of the Dagster webserver, path prefix allowed
                       (http://dagster-webserver.dagster:80/dagster); /graphql is appended;
                       no user or password, query or fragment
  DAGSTER_API_TOKEN    Optional; sent as the Dagster-Cloud-Api-Token header (Dagster+)
  SSL_CERT_FILE        Optional; a PEM file of CA certificates trusted besides the built-in web
                       roots (a Dagster behind a private CA); a file that cannot be read or holds
                       no certificate is exit 2. SSL_CERT_DIR is not read

DURATION is a whole number of seconds (90) or numbers with the units d, h, m, s, ms,
largest first, each at most once (6h, 1h30m, 500ms): the grammar of the spec's deadline.

Exit codes:
  0  the request succeeded, or had already succeeded (with --no-wait: it was launched or found)
  1  it ran and failed or was cancelled
  2  the spec or the settings are wrong
  3  Dagster rejected the request before launching (unknown job, location, partition key, bad run config),
     or backfills (or paced requests) in flight hold some of its partitions and on_overlap is refuse
  4  Dagster unreachable after retries
  5  the deadline passed while following (or while waiting for overlapping backfills to end)
  130/143  stopped by SIGINT/SIGTERM; what was launched keeps running and the next run finds it
";

/// What the command line asks for.
#[derive(Clone, Debug, PartialEq)]
pub enum Command {
    /// Print the help text.
    Help,
    /// Print the version.
    Version,
    /// Run a request (boxed: the settings outweigh the other variants).
    Run(Box<Settings>),
}

/// Everything a run needs besides the spec itself.
#[derive(Clone, Debug, PartialEq)]
pub struct Settings {
    /// The spec file.
    pub spec: PathBuf,
    /// The GraphQL endpoint: the base URL with `/graphql` appended.
    pub endpoint: String,
    /// Dagster+ API token, if any.
    pub token: Option<String>,
    /// Total deadline of the run.
    pub timeout: Duration,
    /// Pause between two status polls.
    pub poll_interval: Duration,
    /// How long to keep retrying an unreachable Dagster before exit 4.
    pub retry_for: Duration,
    /// Timeout of one HTTP request.
    pub request_timeout: Duration,
    /// Log format.
    pub log_format: Format,
    /// Most partitions one request may select (the compiler's `max_partitions`).
    pub max_partitions: u64,
    /// What to do about backfills in flight over the request's partitions,
    /// for a spec without `on_overlap` (wait when unset).
    pub on_overlap: Option<OnOverlap>,
    /// Why the URL deserves a warning, if it does (a token over plain http).
    pub url_warning: Option<String>,
    /// A PEM file of CA certificates to trust besides the web roots (`SSL_CERT_FILE`).
    pub cert_file: Option<PathBuf>,
    /// `SSL_CERT_DIR`, which is not read (and so warned about) when set.
    pub cert_dir: Option<String>,
    /// Resolve and print, launch nothing.
    pub dry_run: bool,
    /// Launch or find, then exit without following.
    pub no_wait: bool,
}

/// Parses the arguments (without the program name) and the environment.
pub fn parse<I, E>(args: I, env: E) -> Result<Command, Error>
where
    I: IntoIterator<Item = OsString>,
    E: Fn(&str) -> Option<String>,
{
    let mut flags = Flags::default();
    let mut spec: Option<PathBuf> = None;
    let mut args = args.into_iter();
    let mut only_positional = false;
    while let Some(arg) = args.next() {
        let Some(text) = arg.to_str().map(str::to_owned) else {
            if spec.is_some() {
                return Err(Error::invalid("only one SPEC_FILE may be given"));
            }
            spec = Some(PathBuf::from(arg));
            continue;
        };
        if only_positional || !text.starts_with('-') || text == "-" {
            if spec.is_some() {
                return Err(Error::invalid(format!(
                    "unexpected argument `{text}`: only one SPEC_FILE may be given"
                )));
            }
            spec = Some(PathBuf::from(arg));
            continue;
        }
        let (name, inline) = match text.split_once('=') {
            Some((n, v)) if n.starts_with("--") => (n.to_owned(), Some(v.to_owned())),
            _ => (text.clone(), None),
        };
        let mut value = || -> Result<String, Error> {
            match inline.clone() {
                Some(v) => Ok(v),
                None => args
                    .next()
                    .and_then(|v| v.into_string().ok())
                    .ok_or_else(|| Error::invalid(format!("{name} needs a value"))),
            }
        };
        match name.as_str() {
            "--" => only_positional = true,
            "-h" | "--help" => return Ok(Command::Help),
            "-V" | "--version" => return Ok(Command::Version),
            "--dry-run" => flags.dry_run = true,
            "--no-wait" => flags.no_wait = true,
            "--url" => flags.url = Some(value()?),
            "--timeout" => flags.timeout = Some(value()?),
            "--poll-interval" => flags.poll_interval = Some(value()?),
            "--retry-for" => flags.retry_for = Some(value()?),
            "--request-timeout" => flags.request_timeout = Some(value()?),
            "--log-format" => flags.log_format = Some(value()?),
            "--max-partitions" => flags.max_partitions = Some(value()?),
            "--on-overlap" => flags.on_overlap = Some(value()?),
            _ => {
                return Err(Error::invalid(format!(
                    "unknown option `{text}` (see --help)"
                )));
            }
        }
    }
    let spec = spec.ok_or_else(|| Error::invalid("missing SPEC_FILE (see --help)"))?;
    let pick = |flag: Option<String>, var: &str| {
        flag.or_else(|| env(var).filter(|v| !v.trim().is_empty()))
    };

    let url = pick(flags.url, "DAGSTER_URL").ok_or_else(|| {
        Error::invalid("DAGSTER_URL is not set: the Dagster webserver's base URL is required")
    })?;
    let duration =
        |flag: Option<String>, var: &str, default: Duration| -> Result<Duration, Error> {
            match pick(flag, var) {
                None => Ok(default),
                Some(v) => dagster_scripts::duration::parse(v.trim()).ok_or_else(|| {
                    Error::invalid(format!(
                        "{var}: `{v}` is not a duration: {}",
                        dagster_scripts::duration::GRAMMAR
                    ))
                }),
            }
        };
    let timeout = duration(
        flags.timeout,
        "DAGSTER_SCRIPTS_TIMEOUT",
        Duration::from_secs(24 * 3600),
    )?;
    let poll_interval = duration(
        flags.poll_interval,
        "DAGSTER_SCRIPTS_POLL_INTERVAL",
        Duration::from_secs(10),
    )?;
    let retry_for = duration(
        flags.retry_for,
        "DAGSTER_SCRIPTS_RETRY_FOR",
        Duration::from_secs(300),
    )?;
    let request_timeout = duration(
        flags.request_timeout,
        "DAGSTER_SCRIPTS_REQUEST_TIMEOUT",
        Duration::from_secs(60),
    )?;
    if poll_interval.is_zero() || request_timeout.is_zero() || timeout.is_zero() {
        return Err(Error::invalid(
            "--timeout, --poll-interval and --request-timeout must be more than zero",
        ));
    }
    let log_format = match pick(flags.log_format, "DAGSTER_SCRIPTS_LOG_FORMAT").as_deref() {
        None | Some("human") => Format::Human,
        Some("json") => Format::Json,
        Some(other) => {
            return Err(Error::invalid(format!(
                "DAGSTER_SCRIPTS_LOG_FORMAT: `{other}` is not a log format (human or json)"
            )));
        }
    };
    let max_partitions = match pick(flags.max_partitions, "DAGSTER_SCRIPTS_MAX_PARTITIONS") {
        None => DEFAULT_MAX_PARTITIONS,
        Some(v) => v
            .trim()
            .parse::<u64>()
            .ok()
            .filter(|n| *n > 0)
            .ok_or_else(|| {
                Error::invalid(format!(
                    "DAGSTER_SCRIPTS_MAX_PARTITIONS: `{v}` is not a whole number above zero"
                ))
            })?,
    };
    let on_overlap = match pick(flags.on_overlap, "DAGSTER_SCRIPTS_ON_OVERLAP") {
        None => None,
        Some(v) => Some(match v.trim() {
            "wait" => OnOverlap::Wait,
            "refuse" => OnOverlap::Refuse,
            "allow" => OnOverlap::Allow,
            _ => {
                return Err(Error::invalid(format!(
                    "DAGSTER_SCRIPTS_ON_OVERLAP: `{v}` is not wait, refuse or allow"
                )));
            }
        }),
    };
    let token = env("DAGSTER_API_TOKEN")
        .filter(|t| !t.trim().is_empty())
        .map(|t| t.trim().to_owned());
    let base = base_url(&url)?;
    Ok(Command::Run(Box::new(Settings {
        spec,
        endpoint: base.endpoint(),
        url_warning: base.token_warning(token.is_some()),
        cert_file: env(CERT_FILE_VAR)
            .filter(|v| !v.is_empty())
            .map(PathBuf::from),
        cert_dir: env(CERT_DIR_VAR).filter(|v| !v.is_empty()),
        max_partitions,
        on_overlap,
        token,
        timeout,
        poll_interval,
        retry_for,
        request_timeout,
        log_format,
        dry_run: flags.dry_run,
        no_wait: flags.no_wait,
    })))
}

/// The log format for an error in the settings themselves: JSON only when
/// `DAGSTER_SCRIPTS_LOG_FORMAT` says exactly `json`.
pub fn fallback_log_format<E: Fn(&str) -> Option<String>>(env: E) -> Format {
    match env("DAGSTER_SCRIPTS_LOG_FORMAT").as_deref() {
        Some("json") => Format::Json,
        _ => Format::Human,
    }
}

#[derive(Default)]
struct Flags {
    url: Option<String>,
    timeout: Option<String>,
    poll_interval: Option<String>,
    retry_for: Option<String>,
    request_timeout: Option<String>,
    log_format: Option<String>,
    max_partitions: Option<String>,
    on_overlap: Option<String>,
    dry_run: bool,
    no_wait: bool,
}

/// `DAGSTER_URL` read by the library's URL parser, the one the compiler uses.
fn base_url(base: &str) -> Result<BaseUrl, Error> {
    BaseUrl::parse(base.trim())
        .map_err(|e| Error::invalid(format!("DAGSTER_URL: {e}; {}", dagster_scripts::url::HINT)))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn run(args: &[&str], env: &[(&str, &str)]) -> Result<Command, Error> {
        let env: Vec<(String, String)> = env
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        parse(args.iter().map(OsString::from), |k| {
            env.iter().find(|(n, _)| n == k).map(|(_, v)| v.clone())
        })
    }

    fn settings(args: &[&str], env: &[(&str, &str)]) -> Settings {
        match run(args, env) {
            Ok(Command::Run(s)) => *s,
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn durations() {
        // The library's grammar, spaces around the value ignored.
        let read = |s: &str| match run(
            &[&format!("--retry-for={s}"), "spec.yaml"],
            &[("DAGSTER_URL", "http://x")],
        ) {
            Ok(Command::Run(settings)) => Some(settings.retry_for),
            Ok(other) => panic!("{other:?}"),
            Err(e) => {
                assert_eq!(e.status, crate::exit::Status::Invalid, "{s}");
                None
            }
        };
        for (s, secs) in [
            ("90", 90),
            ("30s", 30),
            ("90m", 5400),
            ("6h", 21_600),
            ("1h30m", 5400),
            ("2d", 172_800),
            (" 6h ", 21_600),
        ] {
            assert_eq!(read(s), Some(Duration::from_secs(secs)), "{s}");
        }
        assert_eq!(read("500ms"), Some(Duration::from_millis(500)));
        for bad in ["", "h", "6x", "1.5h", "-1", "6 h", "10000000000s", "30m1h"] {
            assert_eq!(read(bad), None, "{bad}");
        }
        // The compiler's largest deadline, rendered, is read.
        assert_eq!(
            read("999999999999970"),
            Some(Duration::from_secs(999_999_999_999_970))
        );
    }

    #[test]
    fn flags_win_over_the_environment() {
        let env = [
            ("DAGSTER_URL", "http://dagster:3000/dagster/"),
            ("DAGSTER_SCRIPTS_TIMEOUT", "6h"),
            ("DAGSTER_SCRIPTS_POLL_INTERVAL", "30s"),
            ("DAGSTER_SCRIPTS_LOG_FORMAT", "json"),
            ("DAGSTER_API_TOKEN", "secret"),
        ];
        let s = settings(&["spec.yaml"], &env);
        assert_eq!(s.endpoint, "http://dagster:3000/dagster/graphql");
        assert_eq!(s.timeout, Duration::from_secs(21_600));
        assert_eq!(s.poll_interval, Duration::from_secs(30));
        assert_eq!(s.log_format, Format::Json);
        assert_eq!(s.token.as_deref(), Some("secret"));
        let s = settings(
            &[
                "--timeout",
                "90m",
                "--poll-interval=5s",
                "--log-format",
                "human",
                "--dry-run",
                "spec.yaml",
            ],
            &env,
        );
        assert_eq!(
            (s.timeout, s.poll_interval, s.log_format, s.dry_run),
            (
                Duration::from_secs(5400),
                Duration::from_secs(5),
                Format::Human,
                true
            )
        );
        let s = settings(
            &["spec.yaml"],
            &[("DAGSTER_URL", "https://org.dagster.cloud/prod")],
        );
        assert_eq!(s.endpoint, "https://org.dagster.cloud/prod/graphql");
        assert_eq!(
            (s.timeout, s.poll_interval, s.token),
            (Duration::from_secs(86_400), Duration::from_secs(10), None)
        );
    }

    #[test]
    fn bad_settings_are_exit_2() {
        let url = [("DAGSTER_URL", "http://x")];
        for (args, env) in [
            (vec!["spec.yaml"], vec![]),
            (vec![], url.to_vec()),
            (vec!["a.yaml", "b.yaml"], url.to_vec()),
            (vec!["--bogus", "spec.yaml"], url.to_vec()),
            (vec!["--timeout", "soon", "spec.yaml"], url.to_vec()),
            (vec!["--timeout"], url.to_vec()),
            (vec!["--log-format", "xml", "spec.yaml"], url.to_vec()),
            (vec!["spec.yaml"], vec![("DAGSTER_URL", "dagster:3000")]),
            (vec!["spec.yaml"], vec![("DAGSTER_URL", "http://")]),
            (
                vec!["spec.yaml"],
                vec![("DAGSTER_URL", "http://u:p@dagster:3000")],
            ),
            (
                vec!["spec.yaml"],
                vec![("DAGSTER_URL", "http://dagster:/x")],
            ),
            (
                vec!["spec.yaml"],
                vec![("DAGSTER_URL", "http://dagster/x?y")],
            ),
            (
                vec!["spec.yaml"],
                vec![
                    ("DAGSTER_URL", "http://x"),
                    ("DAGSTER_SCRIPTS_MAX_PARTITIONS", "lots"),
                ],
            ),
            (vec!["--max-partitions", "0", "spec.yaml"], url.to_vec()),
            (vec!["--on-overlap", "later", "spec.yaml"], url.to_vec()),
            (
                vec!["spec.yaml"],
                vec![
                    ("DAGSTER_URL", "http://x"),
                    ("DAGSTER_SCRIPTS_POLL_INTERVAL", "0"),
                ],
            ),
        ] {
            let err = run(&args, &env).unwrap_err();
            assert_eq!(err.status, crate::exit::Status::Invalid, "{args:?} {env:?}");
        }
        assert_eq!(run(&["--help"], &[]).unwrap(), Command::Help);
    }

    #[test]
    fn credentials_never_reach_the_error_text_unmasked_and_the_cap_is_read() {
        let err = run(
            &["spec.yaml"],
            &[("DAGSTER_URL", "http://u:hunter2@dagster")],
        )
        .unwrap_err();
        assert!(err.message.contains("user or password"), "{}", err.message);
        assert!(!err.message.contains("hunter2"), "{}", err.message);
        let s = settings(
            &["spec.yaml"],
            &[
                ("DAGSTER_URL", "http://x"),
                ("DAGSTER_SCRIPTS_MAX_PARTITIONS", "12"),
            ],
        );
        assert_eq!(s.max_partitions, 12);
        let s = settings(
            &["--max-partitions", "3", "spec.yaml"],
            &[("DAGSTER_URL", "http://x")],
        );
        assert_eq!(s.max_partitions, 3);
        let s = settings(
            &["--on-overlap", "refuse", "spec.yaml"],
            &[
                ("DAGSTER_URL", "http://x"),
                ("DAGSTER_SCRIPTS_ON_OVERLAP", "allow"),
            ],
        );
        assert_eq!(s.on_overlap, Some(OnOverlap::Refuse), "the flag wins");
        let s = settings(
            &["spec.yaml"],
            &[
                ("DAGSTER_URL", "http://x"),
                ("DAGSTER_SCRIPTS_ON_OVERLAP", "allow"),
            ],
        );
        assert_eq!(s.on_overlap, Some(OnOverlap::Allow));
        assert_eq!(
            settings(&["spec.yaml"], &[("DAGSTER_URL", "http://x")]).on_overlap,
            None
        );
        assert_eq!(
            settings(&["spec.yaml"], &[("DAGSTER_URL", "http://x")]).max_partitions,
            DEFAULT_MAX_PARTITIONS
        );
    }

    #[test]
    fn a_token_over_plain_http_to_a_remote_host_is_warned_about() {
        let warning = |url: &str, token: Option<&str>| {
            let mut env = vec![("DAGSTER_URL", url)];
            env.extend(token.map(|t| ("DAGSTER_API_TOKEN", t)));
            settings(&["spec.yaml"], &env).url_warning
        };
        assert!(warning("http://dagster.example.com", Some("t")).is_some());
        assert!(warning("http://dagster.example.com", None).is_none());
        assert!(warning("https://dagster.example.com", Some("t")).is_none());
        assert!(warning("http://dagster-webserver.dagster.svc", Some("t")).is_none());
    }
}

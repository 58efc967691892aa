//! The Dagster client as the compiler sets it up, for the commands that ask
//! Dagster what requests became or would become (`status`, `plan
//! --resolve`): the same client the runner uses, reads only, every wait
//! bounded by one deadline; and where each environment's Dagster is, as
//! seen from here (`DAGSTER_URL_<NAME>`, `DAGSTER_API_TOKEN_<NAME>`).

use std::io::Write;
use std::sync::Arc;
use std::sync::atomic::AtomicUsize;
use std::time::Duration;

use crate::dagster::{CERT_DIR_VAR, CERT_FILE_VAR, Client, Stop, Transport, Trust};
use crate::settings::{Environment, Environments, HttpUrl};

/// What the compiler calls itself in each request.
const USER_AGENT: &str = concat!("dagster-scripts/", env!("CARGO_PKG_VERSION"));

/// How long one request may take before it is retried.
const REQUEST_TIMEOUT: Duration = Duration::from_secs(30);

/// The environment variable holding a Dagster+ API token (read-only is enough).
pub const TOKEN_VAR: &str = "DAGSTER_API_TOKEN";

/// The environment variable naming the Dagster to ask (`--dagster`'s).
pub const URL_VAR: &str = "DAGSTER_URL";

/// How the commands reach Dagster from outside the cluster: `--dagster` (or
/// `DAGSTER_URL`), a deadline, and where environment variables are read.
#[derive(Clone, Copy)]
pub struct Reaching<'a> {
    /// `--dagster URL` or `DAGSTER_URL`, if given.
    pub given: Option<&'a HttpUrl>,
    /// Give up asking after this long, retries included.
    pub timeout: Duration,
    /// Reads an environment variable (`None` when unset or empty).
    pub var: fn(&str) -> Option<String>,
}

/// Where one environment's Dagster is, as seen from here.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Reach {
    /// At this base URL, with this token (if any).
    At {
        /// The webserver's base URL.
        url: HttpUrl,
        /// A Dagster+ API token.
        token: Option<String>,
    },
    /// No URL was given for it: what would give one.
    Unset {
        /// The variable to set (and for the default environment, the flag).
        variable: String,
    },
}

impl Reaching<'_> {
    /// Reads the process's environment variables, an empty one as unset.
    pub fn process_var(name: &str) -> Option<String> {
        std::env::var(name).ok().filter(|v| !v.is_empty())
    }

    /// Where `environment`'s Dagster is. Without named environments: the
    /// given URL, else the settings' `[dagster] url` (the in-cluster one),
    /// with `DAGSTER_API_TOKEN`. With them, environment NAME is at
    /// `DAGSTER_URL_<NAME>` with `DAGSTER_API_TOKEN_<NAME>`; the given URL
    /// and `DAGSTER_API_TOKEN` are the default environment's; and an
    /// environment with no URL is not asked (its in-cluster URL is not
    /// tried: from CI it would only time out). A URL that is not one is an error.
    pub fn reach(
        &self,
        environments: &Environments,
        environment: &Environment,
    ) -> Result<Reach, String> {
        let var = self.var;
        let Some(suffix) = environment.variable_suffix() else {
            let url = self
                .given
                .unwrap_or(&environment.settings.dagster.url)
                .clone();
            return Ok(Reach::At {
                url,
                token: var(TOKEN_VAR),
            });
        };
        let default = environments.is_default(environment);
        let url_var = format!("{URL_VAR}_{suffix}");
        let token_var = format!("{TOKEN_VAR}_{suffix}");
        let own = match var(&url_var) {
            Some(v) => Some(HttpUrl::new(v.trim()).map_err(|e| format!("{url_var}: {e}"))?),
            None => None,
        };
        let url = if default {
            self.given.cloned().or(own)
        } else {
            own
        };
        let Some(url) = url else {
            let variable = if default {
                format!("{url_var} (or --dagster, {URL_VAR})")
            } else {
                url_var
            };
            return Ok(Reach::Unset { variable });
        };
        let token = var(&token_var).or_else(|| if default { var(TOKEN_VAR) } else { None });
        Ok(Reach::At { url, token })
    }

    /// A client for the Dagster at `url` (its base URL; `/graphql` is
    /// appended) sending `token`, that gives up after the deadline in all. A
    /// token sent over plain http to a host outside the cluster is warned
    /// about on `err`. Over https it trusts the web roots and the CA bundle
    /// `SSL_CERT_FILE` names; an unusable bundle is the error.
    pub fn client(
        &self,
        url: &HttpUrl,
        token: Option<String>,
        err: &mut impl Write,
    ) -> Result<Client, String> {
        if let Some(w) = url.parsed().token_warning(token.is_some()) {
            let _ = writeln!(err, "warning: {w}");
        }
        if let Some(w) = Trust::cert_dir_warning(std::env::var_os(CERT_DIR_VAR)) {
            let _ = writeln!(err, "warning: {w}");
        }
        let trust = Trust::from_env(std::env::var_os(CERT_FILE_VAR))?;
        let transport = Transport::new(&url.parsed().endpoint(), token, USER_AGENT, trust);
        let stop = Stop::new(self.timeout, Arc::new(AtomicUsize::new(0)));
        Ok(Client::new(
            transport,
            stop,
            self.timeout,
            REQUEST_TIMEOUT.min(self.timeout),
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::settings::Settings;

    fn two() -> Environments {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("s.toml");
        std::fs::write(
            &path,
            "default_environment = \"production\"\n[environments.production]\n[environments.eu-staging]\n",
        )
        .unwrap();
        Environments::load(&path, true).unwrap()
    }

    fn vars(name: &str) -> Option<String> {
        match name {
            "DAGSTER_URL_EU_STAGING" => Some("http://staging.example:3000".into()),
            "DAGSTER_API_TOKEN_EU_STAGING" => Some("s".into()),
            "DAGSTER_API_TOKEN" => Some("p".into()),
            _ => None,
        }
    }

    #[test]
    fn each_environment_reads_its_own_variables_and_the_plain_ones_are_the_defaults() {
        let envs = two();
        let given = HttpUrl::new("http://127.0.0.1:3000").unwrap();
        let reaching = Reaching {
            given: None,
            timeout: Duration::from_secs(1),
            var: vars,
        };
        let [production, staging] = [&envs.all()[1], &envs.all()[0]];
        assert_eq!(production.label(), "production");
        assert_eq!(
            reaching.reach(&envs, staging).unwrap(),
            Reach::At {
                url: HttpUrl::new("http://staging.example:3000").unwrap(),
                token: Some("s".into())
            }
        );
        assert_eq!(
            reaching.reach(&envs, production).unwrap(),
            Reach::Unset {
                variable: "DAGSTER_URL_PRODUCTION (or --dagster, DAGSTER_URL)".into()
            },
            "no in-cluster URL is tried"
        );
        let with_flag = Reaching {
            given: Some(&given),
            ..reaching
        };
        assert_eq!(
            with_flag.reach(&envs, production).unwrap(),
            Reach::At {
                url: given.clone(),
                token: Some("p".into())
            }
        );
        let single = Environments::single(Settings::default());
        assert_eq!(
            reaching.reach(&single, &single.all()[0]).unwrap(),
            Reach::At {
                url: Settings::default().dagster.url,
                token: Some("p".into())
            },
            "without environments, as before"
        );
        let bad = Reaching {
            var: |n| (n == "DAGSTER_URL_EU_STAGING").then(|| "ftp://x".to_owned()),
            ..reaching
        };
        assert!(
            bad.reach(&envs, staging)
                .unwrap_err()
                .starts_with("DAGSTER_URL_EU_STAGING: ")
        );
    }
}

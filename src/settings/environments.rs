//! Named environments: several Dagster deployments (staging and production,
//! or Dagster+ deployments) served from one repository.
//!
//! `[environments.<name>]` tables in `dagster-scripts.toml` are overlays
//! over the top-level settings: an environment may set any top-level
//! setting except `paths` (the specs and the template are the repository's),
//! plus `out`, its own output folder (`<paths.out>/<name>` by default).
//! Tables merge key by key, any other value replaces the top-level one, and
//! the result is read exactly as the top-level settings are, so every
//! setting (also one added later) is overridable, and a bad value is
//! reported at its own `file:line:col`, inside the environment or at the
//! top level.
//!
//! A file without `[environments]` has one implicit, unnamed environment:
//! the top-level settings, rendered into `paths.out` as always.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use toml::Spanned;
use toml::de::{DeTable, DeValue};

use super::Settings;
use super::file::{Located, read_settings_file, settings_from};
use crate::diagnostic::{Code, Diagnostic};
use crate::kube::DnsLabel;
use crate::read::Limits;
use crate::spec::Spec;
use crate::write::normalize;

/// The key holding the named environments.
pub const ENVIRONMENTS: &str = "environments";

/// The key naming the default environment.
pub const DEFAULT_ENVIRONMENT: &str = "default_environment";

/// An environment's own output folder.
pub const OUT: &str = "out";

/// Top-level keys an environment may not set: the repository's folders,
/// and the environments themselves.
const NOT_PER_ENVIRONMENT: [&str; 3] = ["paths", ENVIRONMENTS, DEFAULT_ENVIRONMENT];

/// One environment: a name (none for the implicit one) and its settings.
#[derive(Clone, Debug, PartialEq)]
pub struct Environment {
    /// `[environments.<name>]`'s name; `None` when the settings define none.
    pub name: Option<DnsLabel>,
    /// The top-level settings with the environment's overlay; `paths.out` is
    /// the environment's output folder.
    pub settings: Settings,
}

impl Environment {
    /// The environment's name, or `default` for the implicit one (for messages).
    pub fn label(&self) -> &str {
        self.name.as_ref().map_or("default", DnsLabel::as_str)
    }

    /// The suffix of the environment variables that reach this
    /// environment's Dagster from outside the cluster: the name upper-cased,
    /// `-` written `_` (`DAGSTER_URL_EU_WEST` for `eu-west`).
    pub fn variable_suffix(&self) -> Option<String> {
        self.name
            .as_ref()
            .map(|n| n.as_str().to_ascii_uppercase().replace('-', "_"))
    }
}

/// Every environment of the repository, which one is the default, and
/// which ones a command works on (`--environment`).
#[derive(Clone, Debug, PartialEq)]
pub struct Environments {
    /// In name order; one unnamed environment when the settings define none.
    list: Vec<Environment>,
    /// Index of the default environment in `list`.
    default: usize,
    /// The one environment a command is restricted to, if it is.
    only: Option<usize>,
    /// The top-level `paths.out`: the output folder of the implicit
    /// environment, the parent of the named ones' by default.
    root_out: PathBuf,
}

impl Environments {
    /// One implicit environment with `settings`: a repository without `[environments]`.
    pub fn single(settings: Settings) -> Environments {
        Environments {
            root_out: settings.paths.out.clone(),
            list: vec![Environment {
                name: None,
                settings,
            }],
            default: 0,
            only: None,
        }
    }

    /// Reads `path` if it exists (else the defaults): the top-level settings
    /// and each environment's, every bad value a located error. Paths in the
    /// file are relative to the repository (the working directory), not to
    /// the file's folder.
    pub fn load(path: &Path, required: bool) -> Result<Environments, Diagnostic> {
        let Some(text) = read_settings_file(path, required)? else {
            return Ok(Environments::single(Settings::default()));
        };
        let at = Located::new(path, &text);
        let document = DeTable::parse(&text).map_err(|e| at.toml_error(&e, None))?;
        let document_span = document.span();
        let mut top = document.into_inner();
        let environments = top.remove(ENVIRONMENTS);
        let default_environment = top.remove(DEFAULT_ENVIRONMENT);
        let base = settings_from(&at, Spanned::new(document_span.clone(), top.clone()), None)?;
        let Some(environments) = environments else {
            if let Some(d) = default_environment {
                return Err(at
                    .error(d.span(), Code::InvalidValue, "`default_environment` is set, but the settings define no environments")
                    .with_hint("define them as `[environments.<name>]` tables, or remove `default_environment`"));
            }
            return Ok(Environments::single(base));
        };
        let span = environments.span();
        let DeValue::Table(tables) = environments.into_inner() else {
            return Err(at
                .error(span, Code::WrongType, "`environments` must hold one table per environment")
                .with_hint("write each environment as a table: `[environments.staging]`, then its settings"));
        };
        if tables.is_empty() {
            return Err(at
                .error(span, Code::EmptyValue, "`[environments]` defines no environment")
                .with_hint("add `[environments.<name>]` tables, or remove `[environments]` to render one environment into `out/`"));
        }
        let mut list = Vec::with_capacity(tables.len());
        let mut outs: Vec<(PathBuf, std::ops::Range<usize>, String)> = Vec::new();
        for (key, value) in tables {
            let name = DnsLabel::new(key.get_ref().as_ref()).map_err(|e| {
                at.error(key.span(), Code::InvalidValue, format!("the environment name {e}"))
                    .with_hint("name it as a Kubernetes namespace is named (`staging`, `prod-eu`): it becomes a folder name and part of environment variable names")
            })?;
            let value_span = value.span();
            let DeValue::Table(mut overlay) = value.into_inner() else {
                return Err(at
                    .error(
                        value_span,
                        Code::WrongType,
                        format!("environment `{name}` must be a table of settings"),
                    )
                    .with_hint(format!(
                        "write `[environments.{name}]`, then the settings it changes"
                    )));
            };
            for forbidden in NOT_PER_ENVIRONMENT {
                if let Some((k, _)) = overlay.get_key_value(forbidden) {
                    return Err(at
                        .error(k.span(), Code::UnknownKey, format!("`{forbidden}` cannot be set per environment (in environment `{name}`)"))
                        .with_hint(match forbidden {
                            "paths" => "the specs and templates folders are the repository's; an environment's output folder is its `out` key",
                            _ => "set it at the top level of dagster-scripts.toml",
                        }));
                }
            }
            let out = match overlay.remove(OUT) {
                None => (base.paths.out.join(name.as_str()), key.span()),
                Some(v) => match v.get_ref().as_str() {
                    Some(s) if !s.trim().is_empty() => (PathBuf::from(s), v.span()),
                    _ => {
                        return Err(at
                            .error(v.span(), Code::InvalidValue, format!("`out` of environment `{name}` must name a folder"))
                            .with_hint(format!("write e.g. `out = \"out/{name}\"` (relative to the repository), or leave it out for `<paths.out>/{name}`")));
                    }
                },
            };
            let mut merged = top.clone();
            merge(&mut merged, overlay);
            let mut settings =
                settings_from(&at, Spanned::new(value_span, merged), Some(name.as_str()))?;
            settings.paths.out = out.0.clone();
            let folder = normalize(&out.0);
            if let Some((_, _, other)) = outs
                .iter()
                .find(|(o, _, _)| o.starts_with(&folder) || folder.starts_with(o))
            {
                return Err(at
                    .error(out.1, Code::Conflict, format!("environment `{name}` would be rendered into {}, which is or holds or lies in environment `{other}`'s output folder", out.0.display()))
                    .with_hint("give each environment a folder of its own (`out = \"...\"`): render removes the files it wrote that an environment no longer renders"));
            }
            outs.push((folder, out.1, name.to_string()));
            list.push(Environment {
                name: Some(name),
                settings,
            });
        }
        let names = || {
            list.iter()
                .map(|e| format!("`{}`", e.label()))
                .collect::<Vec<_>>()
                .join(", ")
        };
        let default = match default_environment {
            None if list.len() == 1 => 0,
            None => {
                return Err(at
                    .error(span, Code::MissingKey, format!("with several environments ({}), `default_environment` must say which one a spec without `environment` runs in", names()))
                    .with_hint("add e.g. `default_environment = \"production\"` at the top of dagster-scripts.toml (above every table)"));
            }
            Some(d) => {
                let found = d
                    .get_ref()
                    .as_str()
                    .and_then(|s| list.iter().position(|e| e.label() == s));
                found.ok_or_else(|| {
                    at.error(d.span(), Code::InvalidValue, format!("`default_environment` names no environment of the settings (they are {})", names()))
                        .with_hint("name one of the `[environments.<name>]` tables")
                })?
            }
        };
        Ok(Environments {
            list,
            default,
            only: None,
            root_out: base.paths.out,
        })
    }

    /// The top-level `paths.out`.
    pub fn root_out(&self) -> &Path {
        &self.root_out
    }

    /// The folder a repository that named its environments since rendered
    /// into, when it is no environment's folder and holds none of them
    /// (with the default folders, `out/` above `out/<name>/`): `render`
    /// leaves only an empty `kustomization.yaml` there.
    pub fn former_out(&self) -> Option<&Path> {
        if !self.named() {
            return None;
        }
        let root = normalize(&self.root_out);
        let clash = self
            .list
            .iter()
            .any(|e| root.starts_with(normalize(&e.settings.paths.out)));
        (!clash).then_some(self.root_out.as_path())
    }

    /// Whether the settings name their environments (`[environments]`).
    pub fn named(&self) -> bool {
        self.list[0].name.is_some()
    }

    /// Every environment, in name order.
    pub fn all(&self) -> &[Environment] {
        &self.list
    }

    /// The environments a command works on: every one, or the one `--environment` names.
    pub fn selected(&self) -> impl Iterator<Item = (usize, &Environment)> {
        self.list
            .iter()
            .enumerate()
            .filter(|(i, _)| self.only.is_none_or(|o| o == *i))
    }

    /// Whether the environment at `index` is among the [`selected`](Self::selected) ones.
    pub fn is_selected(&self, index: usize) -> bool {
        self.only.is_none_or(|o| o == index)
    }

    /// The environment a spec without `environment` runs in.
    pub fn default_environment(&self) -> &Environment {
        &self.list[self.default]
    }

    /// Whether `environment` is the default one.
    pub fn is_default(&self, environment: &Environment) -> bool {
        std::ptr::eq(environment, self.default_environment())
    }

    /// The settings of the default environment: what the specs folder, the
    /// templates folder and the other repository-wide settings are read from.
    pub fn repository(&self) -> &Settings {
        &self.default_environment().settings
    }

    /// Index of the environment a spec runs in: the one it names, else the
    /// default. `None` for a name the settings do not define (which the
    /// read stage refuses).
    pub fn index_of(&self, spec: &Spec) -> Option<usize> {
        match spec.environment() {
            None => Some(self.default),
            Some(name) => self
                .list
                .iter()
                .position(|e| e.label() == name.as_str() && e.name.is_some()),
        }
    }

    /// The names, as a sentence's list (`` `staging`, `production` ``).
    pub fn names(&self) -> String {
        self.list
            .iter()
            .map(|e| format!("`{}`", e.label()))
            .collect::<Vec<_>>()
            .join(", ")
    }

    /// Restricts commands to the environment `name` (`--environment`), or
    /// says why it cannot.
    pub fn restrict(&mut self, name: &str) -> Result<(), String> {
        if !self.named() {
            return Err(format!(
                "--environment {name}: the settings define no environments (add `[environments.{name}]` to dagster-scripts.toml, or leave --environment out)"
            ));
        }
        match self.list.iter().position(|e| e.label() == name) {
            Some(i) => {
                self.only = Some(i);
                Ok(())
            }
            None => Err(format!(
                "--environment {name}: no such environment; the settings define {}",
                self.names()
            )),
        }
    }

    /// Applies `f` to every environment's settings (a command-line flag
    /// overrides the file in every environment).
    pub fn for_each_settings(&mut self, mut f: impl FnMut(&mut Settings)) {
        for e in &mut self.list {
            f(&mut e.settings);
        }
    }

    /// Renders into `out` (`--out`): the implicit environment there, each
    /// named one into `out/<name>`.
    pub fn set_out(&mut self, out: &Path) {
        self.root_out = out.to_owned();
        for e in &mut self.list {
            e.settings.paths.out = match &e.name {
                None => out.to_owned(),
                Some(name) => out.join(name.as_str()),
            };
        }
    }

    /// What every spec is held to: the default environment's limits at the
    /// top, each named environment's for a spec that names it.
    pub fn limits(&self) -> Limits {
        let mut limits = Limits::from_settings(self.repository());
        let by_name: BTreeMap<String, Limits> = self
            .list
            .iter()
            .filter_map(|e| {
                let name = e.name.as_ref()?;
                Some((name.to_string(), Limits::from_settings(&e.settings)))
            })
            .collect();
        limits.environments = Some(by_name);
        limits
    }

    /// Warnings about every environment's settings, each naming its environment when there are several.
    pub fn warnings(&self) -> Vec<String> {
        self.list
            .iter()
            .flat_map(|e| {
                e.settings
                    .warnings()
                    .into_iter()
                    .map(move |w| match &e.name {
                        None => w,
                        Some(name) => format!("environment `{name}`: {w}"),
                    })
            })
            .collect()
    }
}

/// Lays `overlay` over `base`: a table merges key by key, any other value
/// replaces. What the overlay writes keeps its place in the file (an error
/// in it points there); a merged table takes the overlay's place.
fn merge<'i>(base: &mut DeTable<'i>, overlay: DeTable<'i>) {
    for (key, value) in overlay {
        let span = value.span();
        let name = key.get_ref().to_string();
        let both_tables = matches!(value.get_ref(), DeValue::Table(_))
            && base
                .get(name.as_str())
                .is_some_and(|old| matches!(old.get_ref(), DeValue::Table(_)));
        match (value.into_inner(), base.get_mut(name.as_str())) {
            (DeValue::Table(inner), Some(old)) if both_tables => {
                if let DeValue::Table(old_table) = old.get_mut() {
                    merge(old_table, inner);
                }
                let merged = std::mem::replace(old.get_mut(), DeValue::Boolean(false));
                *old = Spanned::new(span, merged);
            }
            (value, _) => {
                // The key as the overlay wrote it, so an error points there.
                base.remove(name.as_str());
                base.insert(key, Spanned::new(span, value));
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::settings::{DEFAULT_NAMESPACE, SETTINGS_FILE};

    /// The environments of a settings file holding `text`, or the problem
    /// as (line, column, code, message).
    fn load(text: &str) -> Result<Environments, (usize, usize, Code, String)> {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join(SETTINGS_FILE);
        std::fs::write(&path, text).unwrap();
        Environments::load(&path, true).map_err(|d| {
            let at = d.span.expect("located").start;
            let hint = d.hint.clone().unwrap_or_default();
            assert!(!hint.is_empty(), "a hint: {d}");
            (at.line, at.col, d.code, d.message)
        })
    }

    const TWO: &str = r#"namespace = "jobs"
default_environment = "production"
labels = { team = "data" }

[dagster]
url = "http://dagster.dagster.svc:80"
token_secret = { name = "dagster-plus", key = "token" }

[environments.staging]
namespace = "jobs-staging"
labels = { stage = "yes" }
[environments.staging.dagster]
url = "https://staging.dagster.example"

[environments.production]
out = "deploy/prod"
max_partitions = 5
"#;

    #[test]
    fn each_environment_is_the_top_level_with_its_overlay() {
        let envs = load(TWO).unwrap();
        assert!(envs.named());
        let [production, staging] = [&envs.all()[0], &envs.all()[1]];
        assert_eq!(
            (production.label(), staging.label()),
            ("production", "staging")
        );
        assert_eq!(envs.default_environment().label(), "production");
        assert_eq!(staging.settings.namespace.as_str(), "jobs-staging");
        assert_eq!(production.settings.namespace.as_str(), "jobs");
        assert_eq!(
            staging.settings.dagster.url.as_str(),
            "https://staging.dagster.example"
        );
        assert!(
            staging.settings.dagster.token_secret.is_some(),
            "tables merge key by key"
        );
        assert_eq!(
            staging.settings.labels.len(),
            2,
            "{:?}",
            staging.settings.labels
        );
        assert_eq!(staging.settings.paths.out, PathBuf::from("out/staging"));
        assert_eq!(production.settings.paths.out, PathBuf::from("deploy/prod"));
        assert_eq!(production.settings.max_partitions, 5);
        let limits = envs.limits();
        assert_eq!(
            limits.max_partitions, 5,
            "the default environment's at the top"
        );
        assert_eq!(
            limits
                .of_environment(Some("staging"))
                .unwrap()
                .max_partitions,
            crate::read::DEFAULT_MAX_PARTITIONS
        );
        assert!(limits.of_environment(Some("qa")).is_none());
        assert_eq!(staging.variable_suffix().as_deref(), Some("STAGING"));
    }

    #[test]
    fn without_environments_nothing_changes() {
        let envs = load("namespace = \"jobs\"\n").unwrap();
        assert!(!envs.named());
        assert_eq!(envs.all().len(), 1);
        assert_eq!(envs.repository().paths.out, PathBuf::from("out"));
        assert_eq!(
            envs.limits()
                .of_environment(Some("x"))
                .map(|l| l.max_partitions),
            None
        );
        let defaults = load("").unwrap();
        assert_eq!(defaults.repository().namespace.as_str(), DEFAULT_NAMESPACE);
    }

    #[test]
    fn one_environment_is_the_default() {
        let envs = load("[environments.prod-eu]\nnamespace = \"p\"\n").unwrap();
        assert_eq!(envs.default_environment().label(), "prod-eu");
        assert_eq!(
            envs.default_environment().variable_suffix().as_deref(),
            Some("PROD_EU")
        );
    }

    #[test]
    fn every_bad_value_in_an_environment_is_located() {
        let bad = |text: &str| load(text).unwrap_err();
        let (line, col, code, message) = bad("[environments.staging]\nimage = \"nope\"\n");
        assert_eq!((line, col, code), (2, 9, Code::InvalidValue), "{message}");
        assert!(message.contains("environment `staging`"), "{message}");
        let (line, _, code, message) =
            bad("[environments.staging.dagster]\nurl = \"http://x\"\ntoken = \"t\"\n");
        assert_eq!((line, code), (3, Code::UnknownKey), "{message}");
        let (line, _, code, message) =
            bad("[environments.staging.resources.requests]\ncpu = \"2\"\nmemory = \"32Mi\"\n");
        assert_eq!((line, code), (2, Code::InvalidValue), "{message}");
        assert!(message.contains("above its limit"), "{message}");
        let (line, col, code, message) = bad("[environments.Staging]\n");
        assert_eq!((line, col, code), (1, 15, Code::InvalidValue), "{message}");
        let (line, _, code, message) = bad("[environments.staging.paths]\nspecs = \"x\"\n");
        assert_eq!((line, code), (1, Code::UnknownKey), "{message}");
        let (line, _, _, message) = bad("[environments.a]\n[environments.b]\n");
        assert_eq!(line, 1, "{message}");
        assert!(message.contains("default_environment"), "{message}");
        let (line, col, _, message) =
            bad("default_environment = \"qa\"\n[environments.a]\n[environments.b]\n");
        assert_eq!((line, col), (1, 23), "{message}");
        assert!(message.contains("`a`, `b`"), "{message}");
        let (line, _, _, message) = bad("default_environment = \"qa\"\n");
        assert_eq!(line, 1, "{message}");
        let (line, _, code, message) = bad(
            "default_environment = \"a\"\n[environments.a]\nout = \"o\"\n[environments.b]\nout = \"o/b\"\n",
        );
        assert_eq!((line, code), (5, Code::Conflict), "{message}");
        let (line, _, code, message) = bad("environments = 3\n");
        assert_eq!((line, code), (1, Code::WrongType), "{message}");
        let (line, _, code, message) = bad("[environments.a]\nout = 7\n");
        assert_eq!((line, code), (2, Code::InvalidValue), "{message}");
        let (line, _, code, message) =
            bad("[environments.a.dagster]\npod_labels = { app = \"x\" }\n");
        assert_eq!((line, code), (1, Code::InvalidValue), "{message}");
        assert!(message.contains("needs `namespace`"), "{message}");
    }

    #[test]
    fn restricting_to_an_unknown_environment_lists_the_known_ones() {
        let mut envs = load(TWO).unwrap();
        let e = envs.restrict("qa").unwrap_err();
        assert!(e.contains("`production`, `staging`"), "{e}");
        envs.restrict("staging").unwrap();
        let selected: Vec<&str> = envs.selected().map(|(_, e)| e.label()).collect();
        assert_eq!(selected, ["staging"]);
        let mut single = load("").unwrap();
        assert!(
            single
                .restrict("staging")
                .unwrap_err()
                .contains("define no environments")
        );
    }
}

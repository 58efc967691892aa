//! The stages chained: from `specs/` to what `out/` should hold (discover,
//! read, validate, render, and compare with `out/`); with environments,
//! what each environment's output folder should hold, every spec rendered
//! into the folder of the environment it runs in.
//!
//! Data flows one way: the files found, then each one read, validated and
//! rendered (on every core, the results kept in spec order), then the set of
//! files `out/` should hold. Every spec is rendered every time, and each
//! result is compared byte for byte with the file `out/` holds under its
//! name (read on the same core, right then): nothing `out/` says about
//! itself decides what a Job contains. `render` passes a [`Staging`], which
//! takes each new manifest as soon as it is rendered; otherwise nothing here
//! writes, and `render --check` and `plan` differ only in what they do with
//! the result.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

use crate::diagnostic::report::Summary;
use crate::diagnostic::{Code, Diagnostic};
use crate::discover::{discover, is_retired};
use crate::kube::DnsLabel;
use crate::parallel::parallel_map;
use crate::read::{load, read_capped};
use crate::render::{
    KUSTOMIZATION, Meta, NETWORK_POLICY, Rendered, Renderer, Template, kustomization,
    network_policy, out_file_name,
};
use crate::settings::Environments;
use crate::validate::SchemaValidator;
use crate::validate::conflicts::{Claim, refuse_duplicates};
use crate::write::{Content, Desired, Existing, File, Staging, State, normalize};

/// One output folder to build: an environment's, with what it holds now.
pub struct Target<'a> {
    /// The environment's index in [`Environments::all`]; `None` for
    /// `paths.out` of a repository that has named its environments since
    /// it rendered there: the folder keeps only an empty
    /// `kustomization.yaml` (so that what still applies it applies nothing),
    /// and its manifests are removed.
    pub environment: Option<usize>,
    /// What its output folder holds now.
    pub existing: &'a Existing,
    /// Where `render` stages its new manifests (none for `--check` and `plan`).
    pub staging: Option<&'a Staging<'a>>,
}

/// The rendered manifests of one environment and the files its output folder should hold.
pub struct Build {
    /// The environment's name (`None` for the implicit one).
    pub environment: Option<DnsLabel>,
    /// Its output folder.
    pub out: PathBuf,
    /// One per rendered spec, in spec order (their texts are in `desired`).
    pub rendered: Vec<Rendered>,
    /// Every file of the folder, `kustomization.yaml` included.
    pub desired: Desired,
    /// The files the tool wrote that are no longer rendered, with their headers' descriptions.
    pub removed: BTreeMap<String, Option<Meta>>,
}

/// Why one spec did not render.
enum Failed {
    /// Problems with the spec itself.
    Spec(Vec<Diagnostic>),
    /// A problem that stops the whole render (the template, the manifests
    /// it renders, reading or writing `out/`).
    Render(Vec<Diagnostic>),
}

impl From<Vec<Diagnostic>> for Failed {
    fn from(d: Vec<Diagnostic>) -> Failed {
        if d.iter()
            .any(|d| matches!(d.code, Code::Template | Code::Manifest))
        {
            Failed::Render(d)
        } else {
            Failed::Spec(d)
        }
    }
}

/// Renders every active spec, each into the folder of the environment it
/// runs in, against what the folders hold now, or returns every problem
/// (nothing is rendered unless every spec is valid, whatever its
/// environment). One build per target, in target order. With a target's
/// `staging`, each manifest that differs from its folder goes to its
/// temporary file at once instead of staying in memory.
pub fn build(environments: &Environments, targets: &[Target<'_>]) -> Result<Vec<Build>, Summary> {
    let settings = environments.repository();
    let specs_dir = &settings.paths.specs;
    let (files, general) = discover(specs_dir);
    let files: Vec<PathBuf> = files
        .into_iter()
        .filter(|f| !f.strip_prefix(specs_dir).is_ok_and(is_retired))
        .collect();
    let general_failure = |d: Diagnostic| Summary {
        general: vec![d],
        ..Summary::default()
    };
    let mut renderers = Vec::with_capacity(targets.len());
    let mut outs = Vec::with_capacity(targets.len());
    for target in targets {
        let Some(e) = target.environment else {
            renderers.push(None);
            outs.push(environments.root_out().to_owned());
            continue;
        };
        let template = Template::load(&settings.paths.templates).map_err(general_failure)?;
        let environment = &environments.all()[e];
        outs.push(environment.settings.paths.out.clone());
        renderers.push(Some(Renderer::new(environment.settings.clone(), template)));
    }
    let validator = SchemaValidator::new();
    let limits = environments.limits();

    // Output names first: two specs must not claim one file.
    let mut owners: BTreeMap<String, &Path> = BTreeMap::new();
    let mut conflicts: Vec<(PathBuf, Vec<Diagnostic>)> = Vec::new();
    let jobs: Vec<(&PathBuf, String)> = files
        .iter()
        .filter_map(|path| {
            let file = out_file_name(path.strip_prefix(specs_dir).unwrap_or(path));
            let clash = if file == KUSTOMIZATION || file == NETWORK_POLICY {
                Some(format!(
                    "would be rendered to out/{file}, which the tool writes itself"
                ))
            } else {
                owners.get(&file).map(|first| {
                    format!("would be rendered to out/{file}, as {} is", first.display())
                })
            };
            match clash {
                Some(what) => {
                    conflicts.push((path.clone(), vec![conflict(path, &what)]));
                    None
                }
                None => {
                    owners.insert(file.clone(), path);
                    Some((path, file))
                }
            }
        })
        .collect();

    let cwd = std::env::current_dir().ok().map(|c| normalize(&c));
    let out_of = |t: usize| &outs[t];
    let io_failure = |t: usize, file: &str, what: &str, e: std::io::Error| {
        let message = format!("cannot {what}: {e}");
        Failed::Render(vec![Diagnostic::file(
            &out_of(t).join(file),
            Code::Io,
            message,
        )])
    };
    // A valid spec rendered into the folder of target `usize`, or `None`
    // when it runs in an environment no target builds (`--environment`).
    type Placed = Option<(usize, Rendered, File)>;
    let one = |(path, file): &(&PathBuf, String)| -> Result<(Placed, Claim), Failed> {
        let bytes = read_capped(path).map_err(|d| Failed::Spec(vec![d]))?;
        let loaded = load(path, &bytes, &limits, Some(&validator))?;
        let claim = Claim::new(
            path,
            &loaded.spec,
            false,
            environments.index_of(&loaded.spec),
        );
        let Some(t) = environments
            .index_of(&loaded.spec)
            .and_then(|e| targets.iter().position(|t| t.environment == Some(e)))
        else {
            return Ok((None, claim));
        };
        let target = &targets[t];
        let Some(renderer) = &renderers[t] else {
            return Ok((None, claim));
        };
        let mut rendered = renderer.render(&source_path(cwd.as_deref(), path), file, &loaded)?;
        let text = rendered.text.take().unwrap_or_default();
        let state = target
            .existing
            .compare(file, &text)
            .map_err(|e| io_failure(t, file, "read the manifest", e))?;
        if state == State::Foreign {
            return Err(Failed::Spec(vec![foreign(path, out_of(t), file)]));
        }
        let content = match target.staging {
            _ if state == State::Same => Content::Kept,
            Some(staging) => {
                staging
                    .stage(file, &text)
                    .map_err(|e| io_failure(t, file, "write the manifest", e))?;
                Content::Staged
            }
            None => Content::Text(text),
        };
        Ok((Some((t, rendered, File { state, content })), claim))
    };
    let results = parallel_map(&jobs, one);

    let mut builds: Vec<Build> = targets
        .iter()
        .zip(&outs)
        .map(|(t, out)| Build {
            environment: t
                .environment
                .and_then(|e| environments.all()[e].name.clone()),
            out: out.clone(),
            rendered: Vec::new(),
            desired: Desired::new(),
            removed: BTreeMap::new(),
        })
        .collect();
    let mut problems = Summary {
        general,
        files: conflicts,
    };
    // A problem of the template, or of writing, is the same for every spec
    // it meets: reported once (the message names the first spec's file).
    let mut failed: Vec<Diagnostic> = Vec::new();
    let mut seen = BTreeSet::new();
    let mut claims = Vec::new();
    for ((path, file), result) in jobs.iter().zip(results) {
        match result {
            Ok((placed, claim)) => {
                claims.push(claim);
                if let Some((t, r, file)) = placed {
                    builds[t].desired.insert(r.file.clone(), file);
                    builds[t].rendered.push(r);
                }
                problems.files.push(((*path).clone(), Vec::new()));
            }
            Err(Failed::Render(d)) => {
                for d in d {
                    let key = (d.code, d.message.replace(file.as_str(), ""));
                    if seen.insert(key) {
                        failed.push(d);
                    }
                }
            }
            Err(Failed::Spec(d)) => problems.files.push(((*path).clone(), d)),
        }
    }
    if !failed.is_empty() {
        return Err(Summary {
            general: failed,
            ..Summary::default()
        });
    }
    // One request, one spec (`check` holds specs/done/ to the rules too).
    refuse_duplicates(&mut problems.files, &claims);
    let own = |existing: &Existing,
               out_dir: &Path,
               desired: &mut Desired,
               problems: &mut Summary,
               name: &str,
               text: String|
     -> Result<(), Summary> {
        let state = existing.compare(name, &text).map_err(|e| Summary {
            general: vec![Diagnostic::file(
                &out_dir.join(name),
                Code::Io,
                format!("cannot read it: {e}"),
            )],
            ..Summary::default()
        })?;
        if state == State::Foreign {
            problems.general.push(
                Diagnostic::file(
                    &out_dir.join(name),
                    Code::Conflict,
                    "the tool writes this file itself, but what is there was not written by dagster-scripts (or is not a regular file)",
                )
                .with_hint("move it away; render writes this file"),
            );
        }
        let content = if state == State::Same {
            Content::Kept
        } else {
            Content::Text(text)
        };
        desired.insert(name.to_owned(), File { state, content });
        Ok(())
    };
    for (i, (t, build)) in targets.iter().zip(&mut builds).enumerate() {
        let settings = renderers[i].as_ref().map(Renderer::settings);
        if let Some(settings) = settings.filter(|s| s.network_policy) {
            own(
                t.existing,
                &build.out,
                &mut build.desired,
                &mut problems,
                NETWORK_POLICY,
                network_policy(settings),
            )?;
        }
        let list = kustomization(build.desired.keys());
        own(
            t.existing,
            &build.out,
            &mut build.desired,
            &mut problems,
            KUSTOMIZATION,
            list,
        )?;
    }
    if problems.diagnostics().next().is_some() {
        problems.files.sort_by(|a, b| a.0.cmp(&b.0));
        return Err(problems);
    }
    for (t, build) in targets.iter().zip(&mut builds) {
        build.removed = t.existing.removals(&build.desired).map_err(|e| Summary {
            general: vec![Diagnostic::file(
                &build.out,
                Code::Io,
                format!("cannot read it: {e}"),
            )],
            ..Summary::default()
        })?;
    }
    Ok(builds)
}

/// A spec's path as the manifests record it: relative to the working
/// directory (the repository's root) where it lies inside it, without `./`,
/// doubled or trailing separators, always with `/`; so however `--specs` or
/// `--settings` spell it, the same spec renders the same bytes.
/// `cwd` is the working directory, normalized.
pub fn source_path(cwd: Option<&Path>, path: &Path) -> String {
    let relative = cwd.and_then(|cwd| {
        normalize(&cwd.join(path))
            .strip_prefix(cwd)
            .ok()
            .map(Path::to_path_buf)
    });
    let path = relative.unwrap_or_else(|| normalize(path));
    path.to_string_lossy().replace('\\', "/")
}

fn foreign(spec: &Path, out_dir: &Path, file: &str) -> Diagnostic {
    Diagnostic::file(
        spec,
        Code::Conflict,
        format!(
            "this spec would be rendered to {}, which holds something dagster-scripts did not write (another file, a directory or a symlink)",
            out_dir.join(file).display()
        ),
    )
    .with_hint("move that entry out of the way, or rename the spec file")
}

fn conflict(path: &Path, what: &str) -> Diagnostic {
    Diagnostic::file(path, Code::Conflict, format!("this spec {what}"))
        .with_hint("rename one of the two spec files")
}

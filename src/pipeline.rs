//! From `specs/` to what `out/` should hold: discover, validate, render.
//!
//! Data flows one way: the files found, then each one read, validated and
//! rendered (on every core, the results kept in spec order), then the set of
//! files `out/` should hold. A spec whose bytes, settings, template and tool
//! version all match what its existing output records, and whose output is
//! intact, is not parsed again: its file is kept as it is. `render` passes
//! a [`Staging`], which takes each new manifest as soon as it is rendered;
//! otherwise nothing here writes, and `render --check` and `plan` differ
//! only in what they do with the result.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use crate::check::discover;
use crate::diagnostic::{Code, Diagnostic};
use crate::load::{Limits, load, read_capped};
use crate::out::{Content, Desired, Existing, KUSTOMIZATION, Staging, Written, kustomization};
use crate::render::{NETWORK_POLICY, Rendered, Renderer, Template, network_policy, out_file_name};
use crate::report::Summary;
use crate::settings::Settings;
use crate::validate::SchemaValidator;

/// Specs under this folder of `specs/` are finished requests: `check` still
/// validates them, `render` leaves them out, so their Jobs leave the cluster.
pub const RETIRED: &str = "done";

/// The rendered manifests and the files `out/` should hold.
pub struct Build {
    /// One per rendered spec, in spec order (their texts are in `desired`).
    pub rendered: Vec<Rendered>,
    /// Every file of `out/`, `kustomization.yaml` included.
    pub desired: Desired,
}

/// Why one spec did not render.
enum Failed {
    /// Problems with the spec itself.
    Spec(Vec<Diagnostic>),
    /// A problem that stops the whole render (the template, writing `out/`).
    Render(Vec<Diagnostic>),
}

impl From<Vec<Diagnostic>> for Failed {
    fn from(d: Vec<Diagnostic>) -> Failed {
        if d.iter().any(|d| d.code == Code::Template) {
            Failed::Render(d)
        } else {
            Failed::Spec(d)
        }
    }
}

/// Renders every active spec against what `out/` holds now, or returns every
/// problem (nothing is rendered unless every spec is valid). With `staging`,
/// each manifest that differs from `out/` goes to its temporary file at once
/// instead of staying in memory.
pub fn build(
    settings: &Settings,
    existing: &Existing,
    staging: Option<&Staging<'_>>,
) -> Result<Build, Summary> {
    let specs_dir = &settings.paths.specs;
    let (files, general) = discover(specs_dir);
    let files: Vec<PathBuf> = files
        .into_iter()
        .filter(|f| !is_retired(specs_dir, f))
        .collect();
    let template = Template::load(&settings.paths.templates).map_err(|d| Summary {
        general: vec![d],
        ..Summary::default()
    })?;
    let renderer = Renderer::new(settings.clone(), template);
    let validator = SchemaValidator::new();
    let limits = Limits::from_settings(settings);

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

    let one = |(path, file): &(&PathBuf, String)| -> Result<(Rendered, Content), Failed> {
        let bytes = read_capped(path).map_err(|d| Failed::Spec(vec![d]))?;
        let input = renderer.input_hash(&bytes);
        let intact = existing.ours.get(file).and_then(Written::intact);
        if let Some(kept) = renderer.reuse(intact, path, file, &input) {
            return Ok((kept, Content::Kept));
        }
        let loaded = load(path, &bytes, &limits, Some(&validator))?;
        let mut rendered = renderer.render(path, file, &loaded, input)?;
        let text = rendered.text.take().unwrap_or_default();
        let content = match staging {
            Some(_) if existing.holds(file, &text) => Content::Kept,
            Some(staging) => {
                staging.stage(file, &text).map_err(|e| {
                    let out = settings.paths.out.join(file);
                    let message = format!("cannot write the manifest: {e}");
                    Failed::Render(vec![Diagnostic::file(&out, Code::Io, message)])
                })?;
                Content::Staged
            }
            None => Content::Text(text),
        };
        Ok((rendered, content))
    };
    let results = parallel_map(&jobs, one);

    let mut rendered = Vec::with_capacity(results.len());
    let mut desired = Desired::new();
    let mut problems = Summary {
        general,
        files: conflicts,
    };
    for ((path, _), result) in jobs.iter().zip(results) {
        match result {
            Ok((r, content)) => {
                desired.insert(r.file.clone(), content);
                rendered.push(r);
                problems.files.push(((*path).clone(), Vec::new()));
            }
            // The first such problem is the one to report: after a write
            // fails, the others only say so.
            Err(Failed::Render(d)) => {
                return Err(Summary {
                    general: d,
                    ..Summary::default()
                });
            }
            Err(Failed::Spec(d)) => problems.files.push(((*path).clone(), d)),
        }
    }
    if problems.diagnostics().next().is_some() {
        problems.files.sort_by(|a, b| a.0.cmp(&b.0));
        return Err(problems);
    }
    if settings.network_policy {
        desired.insert(
            NETWORK_POLICY.to_owned(),
            Content::Text(network_policy(settings)),
        );
    }
    desired.insert(
        KUSTOMIZATION.to_owned(),
        Content::Text(kustomization(desired.keys())),
    );
    Ok(Build { rendered, desired })
}

/// `f` over `items` on every core, results in the items' order.
pub fn parallel_map<T: Sync, R: Send>(items: &[T], f: impl Fn(&T) -> R + Sync) -> Vec<R> {
    let threads = std::thread::available_parallelism()
        .map_or(1, |n| n.get())
        .min(8);
    if threads == 1 || items.len() < 64 {
        return items.iter().map(f).collect();
    }
    let chunk = items.len().div_ceil(threads);
    std::thread::scope(|scope| {
        let handles: Vec<_> = items
            .chunks(chunk)
            .map(|part| scope.spawn(|| part.iter().map(&f).collect::<Vec<R>>()))
            .collect();
        handles
            .into_iter()
            .flat_map(|h| h.join().unwrap_or_else(|e| std::panic::resume_unwind(e)))
            .collect()
    })
}

fn is_retired(specs_dir: &Path, file: &Path) -> bool {
    file.strip_prefix(specs_dir)
        .ok()
        .and_then(|r| r.components().next())
        .is_some_and(|c| c.as_os_str() == RETIRED)
}

fn conflict(path: &Path, what: &str) -> Diagnostic {
    Diagnostic::file(path, Code::Conflict, format!("this spec {what}"))
        .with_hint("rename one of the two spec files")
}

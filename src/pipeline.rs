//! From `specs/` to what `out/` should hold: discover, validate, render.
//!
//! Data flows one way: the files found, then each one loaded and validated,
//! then (only if every spec is valid) each one rendered, then the set of files
//! `out/` should hold. Nothing here touches `out/`; `render`, `render --check`
//! and `plan` differ only in what they do with the result.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use crate::check::{check_files, discover};
use crate::diagnostic::{Code, Diagnostic};
use crate::load::Limits;
use crate::out::{Desired, KUSTOMIZATION, kustomization};
use crate::render::{NETWORK_POLICY, Rendered, Renderer, Template, network_policy, out_file_name};
use crate::report::Summary;
use crate::settings::Settings;
use crate::validate::SchemaValidator;

/// Specs under this folder of `specs/` are finished requests: `check` still
/// validates them, `render` leaves them out, so their Jobs leave the cluster.
pub const RETIRED: &str = "done";

/// The rendered manifests and the files `out/` should hold.
pub struct Build {
    /// One per rendered spec, in spec order.
    pub rendered: Vec<Rendered>,
    /// Every file of `out/`, `kustomization.yaml` included.
    pub desired: Desired,
}

/// Renders every active spec, or returns every problem (nothing is rendered
/// unless every spec is valid).
pub fn build(settings: &Settings) -> Result<Build, Summary> {
    let specs_dir = &settings.paths.specs;
    let (files, general) = discover(specs_dir);
    let files: Vec<PathBuf> = files
        .into_iter()
        .filter(|f| !is_retired(specs_dir, f))
        .collect();
    let validator = SchemaValidator::new();
    let limits = Limits {
        max_partitions: settings.max_partitions,
    };
    let checked = check_files(&files, &validator, &limits);
    let invalid = !general.is_empty() || checked.iter().any(|(_, r)| r.is_err());
    if invalid {
        let files = checked
            .into_iter()
            .map(|(p, r)| (p, r.err().unwrap_or_default()))
            .collect();
        return Err(Summary { files, general });
    }
    let template = Template::load(&settings.paths.templates).map_err(|d| Summary {
        general: vec![d],
        ..Summary::default()
    })?;
    let renderer = Renderer::new(settings.clone(), template);
    let mut rendered = Vec::new();
    let mut by_file: BTreeMap<String, PathBuf> = BTreeMap::new();
    let mut problems = Summary::default();
    for (path, loaded) in checked {
        let Ok(loaded) = loaded else { continue };
        let relative = path.strip_prefix(specs_dir).unwrap_or(&path);
        let file = out_file_name(relative);
        if file == KUSTOMIZATION || file == NETWORK_POLICY {
            problems.files.push((
                path.clone(),
                vec![conflict(
                    &path,
                    &format!("would be rendered to out/{file}, which the tool writes itself"),
                )],
            ));
            continue;
        }
        if let Some(first) = by_file.insert(file.clone(), path.clone()) {
            problems.files.push((
                path.clone(),
                vec![conflict(
                    &path,
                    &format!("would be rendered to out/{file}, as {} is", first.display()),
                )],
            ));
            continue;
        }
        match renderer.render(&path, &file, &loaded) {
            Ok(r) => rendered.push(r),
            Err(d) if d.iter().any(|d| d.code == Code::Template) => {
                return Err(Summary {
                    general: d,
                    ..Summary::default()
                });
            }
            Err(d) => problems.files.push((path, d)),
        }
    }
    if problems.diagnostics().next().is_some() {
        return Err(problems);
    }
    let mut desired: Desired = rendered
        .iter()
        .map(|r| (r.file.clone(), r.text.clone()))
        .collect();
    if settings.network_policy {
        desired.insert(NETWORK_POLICY.to_owned(), network_policy(settings));
    }
    desired.insert(KUSTOMIZATION.to_owned(), kustomization(desired.keys()));
    Ok(Build { rendered, desired })
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

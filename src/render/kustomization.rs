//! `out/kustomization.yaml`: the list of every manifest, for kubectl
//! kustomize, Flux and Argo CD.

use super::header::MARKER;
use super::template::quote;

/// The kustomization that lists every manifest.
pub const KUSTOMIZATION: &str = "kustomization.yaml";

/// `kustomization.yaml` listing `manifests`, sorted. Each entry starts with
/// `./`, so that kustomize never reads a file name as a URL (`https:x.yaml`,
/// `git@host:x.yaml`).
pub fn kustomization<'a>(manifests: impl IntoIterator<Item = &'a String>) -> String {
    let mut names: Vec<&String> = manifests
        .into_iter()
        .filter(|n| n.as_str() != KUSTOMIZATION)
        .collect();
    names.sort();
    let mut text = format!(
        "{MARKER}\n# Lists every manifest in this folder, for kubectl kustomize, Flux and Argo CD.\napiVersion: kustomize.config.k8s.io/v1beta1\nkind: Kustomization\n"
    );
    if names.is_empty() {
        text.push_str("resources: []\n");
    } else {
        text.push_str("resources:\n");
        for name in names {
            text.push_str(&format!("- {}\n", quote(&format!("./{name}"))));
        }
    }
    text
}

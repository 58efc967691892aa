//! What a spec is held to besides its own rules: the partition cap, a
//! digest-pinned image, the settings' requests and limits, the settings'
//! opt-in to `dagster-k8s/config`.

use std::collections::BTreeMap;

use crate::spec::Resources;

/// Default cap on how many partitions one request may select.
pub const DEFAULT_MAX_PARTITIONS: u64 = 100_000;

/// What a spec is checked against besides its own rules: limits that guard
/// against requests nobody meant to make, and the settings its `overrides`
/// are merged into. `check` and `render` fill it from the same settings
/// ([`Limits::from_settings`]); the runner, which has no settings, uses the
/// default, which checks an override only against itself.
#[derive(Clone, Debug)]
pub struct Limits {
    /// Most partitions a request may select (the product of its dimensions).
    pub max_partitions: u64,
    /// The runner image, when the settings pin it by digest: a spec's
    /// `image_tag` would replace the pin, so it is refused.
    pub pinned_image: Option<String>,
    /// The settings' requests and limits, which a spec's
    /// `overrides.resources` are merged into before Kubernetes' rules apply.
    pub resources: Option<Resources>,
    /// Whether `run_tags` may set `dagster-k8s/config` (the settings'
    /// `[dagster] allow_k8s_config`): it changes the pods Dagster starts.
    pub allow_k8s_config: bool,
    /// The environments a spec may name (`environment`), each with the
    /// limits of its own settings (these fields hold the default
    /// environment's): empty when the settings define none, so naming one
    /// is refused; `None` where the name is not checked (the runner, whose
    /// Job was rendered for its environment).
    pub environments: Option<BTreeMap<String, Limits>>,
}

impl Limits {
    /// The limits a spec naming `environment` (or none) is held to; `None`
    /// for a name the environments do not define.
    pub fn of_environment(&self, environment: Option<&str>) -> Option<&Limits> {
        match (environment, &self.environments) {
            (None, _) | (Some(_), None) => Some(self),
            (Some(name), Some(known)) => known.get(name),
        }
    }
}

impl Default for Limits {
    fn default() -> Limits {
        Limits {
            max_partitions: DEFAULT_MAX_PARTITIONS,
            pinned_image: None,
            resources: None,
            allow_k8s_config: false,
            environments: Some(BTreeMap::new()),
        }
    }
}

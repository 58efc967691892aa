//! `out/_network-policy.yaml`: the runner pods' NetworkPolicy.
//!
//! Runner pods talk to Dagster's webserver and to DNS, nothing else, and
//! nothing talks to them. When the settings say where Dagster runs
//! (`[dagster] namespace` and `pod_labels`), egress goes to those pods only;
//! without them, to any address on Dagster's port, and the file says so.
//! A NetworkPolicy sees the port the pod listens on (a Service's
//! `targetPort`), not the Service's port in the URL: `[dagster] target_port`
//! names it when the two differ.

use std::fmt::Write;

use super::header::MARKER;
use super::runner::RUNNER_COMMAND;
use super::template::quote;
use crate::settings::Settings;

/// The NetworkPolicy for all runner pods, when the settings ask for one.
pub const NETWORK_POLICY: &str = "_network-policy.yaml";

/// A NetworkPolicy that denies runner pods all ingress and all egress but
/// Dagster's webserver and DNS: the runner talks to Dagster and nothing else.
pub fn network_policy(settings: &Settings) -> String {
    let dagster = &settings.dagster;
    let port = dagster.pod_port();
    let mut text = String::new();
    let mut line = |s: &str| {
        text.push_str(s);
        text.push('\n');
    };
    line(MARKER);
    let to = match &dagster.namespace {
        Some(ns) if dagster.pod_labels.is_empty() => {
            format!("every pod in namespace {ns} on port {port}")
        }
        Some(ns) => {
            let labels: Vec<String> = dagster
                .pod_labels
                .iter()
                .map(|(k, v)| format!("{k}={v}"))
                .collect();
            format!(
                "the pods labelled {} in namespace {ns} on port {port}",
                labels.join(",")
            )
        }
        None => format!(
            "ANY address on port {port} (set `[dagster] namespace` and `pod_labels` in the settings to allow only Dagster's pods)"
        ),
    };
    line(&format!(
        "# Runner pods may reach {to}, and DNS; nothing else, and nothing may reach them."
    ));
    line(
        "# The port is the one Dagster's pods listen on (a NetworkPolicy sees the pod's port, a Service's",
    );
    line("# targetPort, not the Service's port in the URL); `[dagster] target_port` sets it.");
    let name = quote(RUNNER_COMMAND);
    let ns = quote(settings.namespace.as_str());
    let _ = write!(
        text,
        "apiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\nmetadata:\n  name: {name}\n  namespace: {ns}\n  labels:\n    app.kubernetes.io/managed-by: dagster-scripts\n\
         spec:\n  podSelector:\n    matchLabels:\n      app.kubernetes.io/name: {name}\n  policyTypes:\n  - Ingress\n  - Egress\n  ingress: []\n  egress:\n"
    );
    match &dagster.namespace {
        Some(dagster_ns) => {
            let _ = write!(
                text,
                "  - to:\n    - namespaceSelector:\n        matchLabels:\n          kubernetes.io/metadata.name: {}\n",
                quote(dagster_ns.as_str())
            );
            if !dagster.pod_labels.is_empty() {
                text.push_str("      podSelector:\n        matchLabels:\n");
                for (key, value) in &dagster.pod_labels {
                    let _ = writeln!(
                        text,
                        "          {}: {}",
                        quote(key.as_str()),
                        quote(value.as_str())
                    );
                }
            }
            text.push_str("    ports:\n");
        }
        None => text.push_str("  - ports:\n"),
    }
    let _ = write!(
        text,
        "    - protocol: TCP\n      port: {port}\n  - ports:\n    - protocol: UDP\n      port: 53\n    - protocol: TCP\n      port: 53\n"
    );
    text
}

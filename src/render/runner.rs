//! What every rendered Job runs: the runner's command, where the spec is
//! mounted for it, and the user it runs as.

/// The command the Job runs; the image puts it on `PATH`.
pub const RUNNER_COMMAND: &str = "dagster-scripts-runner";
/// Where the ConfigMap is mounted.
pub const SPEC_MOUNT: &str = "/etc/dagster-scripts";
/// The ConfigMap key, and so the file name under [`SPEC_MOUNT`].
pub const SPEC_KEY: &str = "spec.yaml";
/// The image's non-root user and group.
pub const USER_ID: u32 = 10001;

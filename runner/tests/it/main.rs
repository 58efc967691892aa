//! The runner's integration tests: one binary, four groups.
//!
//! * `cli`: settings and spec errors (exit 2), no server.
//! * `faults`: a tiny fake HTTP server on 127.0.0.1 for what a real Dagster
//!   will not do on demand (refused connections, resets, 503s, hangs,
//!   non-JSON bodies, lost launch answers).
//! * `dagster`: a real `dagster dev` (1.13.27, `tests/dagster/`), shared by
//!   all its tests.
//! * `selection`: the same Dagster, for what a request selects: key ranges
//!   of every granularity and `reprocess`.
//! * `kinds`: the same Dagster: cancellations, asset selection by group and
//!   prefix, materialisations.
//! * `overlap`: the same Dagster: `on_overlap`.
//! * `tls`: the fake over https with a certificate of a CA made in the test
//!   (`SSL_CERT_FILE`).
//!
//! The harness is libtest-mimic rather than libtest so that tests run many at
//! a time by default: most of them wait on Dagster's 30-second backfill
//! daemon, and one per core (libtest's default) would make the suite wait for
//! those ticks one after another. `--test-threads` still overrides it.

mod cli;
mod dagster;
mod fake;
mod faults;
mod kinds;
mod overlap;
mod selection;
mod support;
mod tls;

fn main() {
    let mut args = libtest_mimic::Arguments::from_args();
    if args.test_threads.is_none() {
        args.test_threads = Some(32);
    }
    let mut trials = Vec::new();
    trials.extend(cli::trials());
    trials.extend(faults::trials());
    trials.extend(dagster::trials());
    trials.extend(kinds::trials());
    trials.extend(selection::trials());
    trials.extend(overlap::trials());
    trials.extend(tls::trials());
    let conclusion = libtest_mimic::run(&args, trials);
    let _ = std::fs::remove_dir_all(support::spec_dir());
    conclusion.exit();
}

//! `new`: a commented spec to start a request from, to be filled in.
//!
//! The file opens with a `yaml-language-server` modeline pointing at the
//! committed schema, so editors complete and check it from the first
//! keystroke, and every field carries a comment saying what it is for.
//! Whatever only the author knows is a `<placeholder>` that fails `check`.

use std::path::{Component, Path, PathBuf};

use crate::render::quote;
use crate::schema::SCHEMA_PATH;
use crate::spec::{IssueRef, Kind};

/// The file name `new` gives a request: `<kind>-<issue>.yaml`, the issue made file-name safe.
pub fn file_name(kind: Kind, issue: &IssueRef) -> String {
    let mut slug = String::new();
    for c in issue.as_str().chars() {
        if c.is_ascii_alphanumeric() || c == '_' || c == '.' {
            slug.push(c);
        } else if !slug.ends_with('-') {
            slug.push('-');
        }
    }
    let slug = slug.trim_matches(['-', '.']);
    format!(
        "{}-{}.yaml",
        kind.as_str(),
        if slug.is_empty() { "request" } else { slug }
    )
}

/// The modeline's path to the schema, relative to the specs folder.
pub fn schema_reference(specs_dir: &Path) -> String {
    let depth = specs_dir
        .components()
        .filter(|c| matches!(c, Component::Normal(_)))
        .count()
        - specs_dir
            .components()
            .filter(|c| matches!(c, Component::ParentDir))
            .count()
            .min(1);
    format!("{}{SCHEMA_PATH}", "../".repeat(depth))
}

/// The text of a new spec of `kind` for `issue`.
///
/// What only the author can know is written as a `<placeholder>`, a value
/// the schema and the model both refuse, so the file fails `check`, with a
/// hint at each one, until it is filled in: a scaffold never launches by
/// accident with a made-up job or issue.
pub fn template(kind: Kind, issue: &IssueRef, schema: &str) -> String {
    let issue = quote_always(issue.as_str());
    let head = format!(
        "# yaml-language-server: $schema={schema}\n\
         # A dagster-scripts request ({kind}). Replace every <placeholder>: until then\n\
         # `dagster-scripts check` fails, pointing at each one. Every field is\n\
         # described in {SCHEMA_PATH}.\n"
    );
    let audit = format!(
        "tags:\n  \
         name: {issue}                    # the issue that asked for this request\n  \
         reason: <why it is needed>       # for the audit trail and the Dagster UI\n  \
         requester: <who asked>           # a person, a team or an e-mail address\n"
    );
    let partitions = "  partitions:                  # one entry per partition dimension; several select their product\n  \
         - name: <dimension>          # a time dimension: every day from start_date to end_date, both included\n    \
           start_date: <YYYY-MM-DD>\n    \
           end_date: <YYYY-MM-DD>\n  \
         # - name: hourly             # or any time dimension (hourly, weekly, monthly, any key format): every key\n  \
         #   start: '2024-01-31-00:00'  # from start to end in Dagster's order, both included, written as Dagster\n  \
         #   end: '2024-01-31-23:00'    # writes them (2024-01 for a monthly %Y-%m, '20240131' for %Y%m%d)\n  \
         # - name: stations           # a static dimension: the listed keys (quote keys like '06310')\n  \
         #   values: [NL01497, NL01912]\n  \
         # - name: region             # or every key the dimension has\n  \
         #   all: true\n\
         # reprocess: missing             # all (the default) | missing: only partitions never run or whose latest run\n\
         #                                # failed | failed: only those whose latest run failed\n\
         # max_concurrent_runs: 4         # at most 4 runs at once: the runner launches one run per partition itself\n\
         # on_overlap: wait               # wait | refuse | allow: what the runner does about work in flight\n\
         #                                # over these partitions (default: the settings', else wait)\n";
    let location = "# repository_name: my_location     # its code location; needed when the job name is not unique\n";
    let overrides = "# overrides:                       # for this request's Kubernetes Job only\n\
         #   image_tag: \"0.2.0\"\n\
         #   deadline: 6h\n";
    let body = match kind {
        Kind::Backfill => format!(
            "kind: backfill                     # a partition backfill of a job (the default kind)\n\
             job_name: <job>                    # the Dagster job to backfill\n\
             {location}{audit}{partitions}\
             # run_config: {{}}                    # run config for every run of the backfill\n"
        ),
        Kind::Run => format!(
            "kind: run                          # one run of a job\n\
             job_name: <job>                    # the Dagster job to run\n\
             {location}{audit}  \
             # partition: \"2024-01-01\"          # the one partition to run, if the job is partitioned\n\
             run_config: {{}}                     # the run's config, as Dagster's launchpad takes it\n"
        ),
        Kind::AssetBackfill => format!(
            "kind: asset_backfill               # materialise assets over partitions\n\
             assets:                            # asset keys, path parts joined with /\n\
             - <asset key>\n\
             # asset_groups: [reports]          # and/or every asset of these groups\n\
             # asset_prefixes: [warehouse]      # and/or every asset under these key prefixes\n\
             {audit}{partitions}"
        ),
        Kind::Reexecute => format!(
            "kind: reexecute                    # re-execute, from failure, what an earlier request launched\n\
             rerun_of: <earlier issue>          # the earlier request's issue (its tags.name)\n\
             {audit}"
        ),
        Kind::Cancel => format!(
            "kind: cancel                       # cancel what an earlier request launched and has not ended\n\
             cancel_of: <earlier issue>         # the earlier request's issue (its tags.name)\n\
             {audit}"
        ),
        Kind::Materialize => format!(
            "kind: materialize                  # one run materialising unpartitioned assets (the UI's Materialize)\n\
             assets:                            # asset keys, path parts joined with /\n\
             - <asset key>\n\
             # asset_groups: [reports]          # and/or every asset of these groups\n\
             # asset_prefixes: [warehouse]      # and/or every asset under these key prefixes\n\
             {audit}\
             run_config: {{}}                     # an asset's config: ops.warehouse__station_catalog.config for warehouse/station_catalog\n"
        ),
    };
    format!("{head}{body}{overrides}")
}

fn quote_always(s: &str) -> String {
    let q = quote(s);
    if q.starts_with('"') {
        q
    } else {
        format!("\"{s}\"")
    }
}

/// Where `new` writes: `specs_dir/<file_name>`.
pub fn path(specs_dir: &Path, kind: Kind, issue: &IssueRef) -> PathBuf {
    specs_dir.join(file_name(kind, issue))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn file_names_and_schema_paths() {
        let issue = |s: &str| IssueRef::new(s).unwrap();
        assert_eq!(
            file_name(Kind::Backfill, &issue("34543")),
            "backfill-34543.yaml"
        );
        assert_eq!(
            file_name(Kind::AssetBackfill, &issue("PROJ 12/x")),
            "asset_backfill-PROJ-12-x.yaml"
        );
        assert_eq!(file_name(Kind::Run, &issue("../..")), "run-request.yaml");
        assert_eq!(
            schema_reference(Path::new("specs")),
            "../schema/spec.schema.json"
        );
        assert_eq!(
            schema_reference(Path::new("requests/dagster")),
            "../../schema/spec.schema.json"
        );
    }
}

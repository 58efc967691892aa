//! Template and manifest errors, as users see them: one exit code (2, a
//! template problem, as README and `--help` say) for `render`, `render
//! --check` and `plan`; one diagnostic per problem however many specs meet
//! it; no Rust debug text; unclosed tags located where they open.

use std::fs;

use crate::support::{SEED, another, outcome, repo_with, run};

/// `render`'s stderr for `template` over three specs, after checking that
/// `render --check` and `plan` exit 2 with the same diagnostics.
fn errors(template: &str) -> String {
    let dir = repo_with(&[
        ("a.yaml", SEED.as_bytes()),
        ("b.yaml", another("2").as_bytes()),
        ("c.yaml", another("3").as_bytes()),
    ]);
    fs::create_dir(dir.path().join("templates")).unwrap();
    fs::write(dir.path().join("templates/job.yaml.tera"), template).unwrap();
    let (code, _, err) = outcome(&run(dir.path(), &["render"]));
    assert_eq!(code, 2, "{err}");
    for args in [&["render", "--check"][..], &["plan"]] {
        let (c, _, e) = outcome(&run(dir.path(), args));
        assert_eq!(c, 2, "{args:?}: {e}");
        assert_eq!(
            e.lines()
                .filter(|l| l.starts_with("error"))
                .collect::<Vec<_>>(),
            err.lines()
                .filter(|l| l.starts_with("error"))
                .collect::<Vec<_>>(),
            "{args:?}"
        );
    }
    let written = fs::read_dir(dir.path().join("out")).map_or(0, |d| d.count());
    assert_eq!(written, 0, "nothing written");
    assert_eq!(err.matches("error[").count(), 1, "one diagnostic:\n{err}");
    for debug in ["Error {", "kind: Msg", "Msg(", "Some(", "[(\""] {
        assert!(!err.contains(debug), "Rust debug text {debug:?} in:\n{err}");
    }
    err
}

#[test]
fn an_unclosed_block_is_reported_once_where_it_opens() {
    insta::assert_snapshot!(errors(
        "apiVersion: batch/v1\nkind: Job\n{%- if name %}\nmetadata:\n  name: {{ name }}\n{% for k, v in labels %}\n{% endfor %}\n"
    ));
}

#[test]
fn an_unclosed_variable_is_reported_once_where_it_opens() {
    insta::assert_snapshot!(errors("apiVersion: v1\nkind: {{ name\ndata: {}\n"));
}

#[test]
fn an_undefined_variable_is_reported_once_where_it_is_used() {
    insta::assert_snapshot!(errors(
        "apiVersion: batch/v1\nkind: Job\nmetadata:\n  name: {{ name }}\n  namespace: {{ namespcae }}\n"
    ));
}

#[test]
fn an_unknown_filter_is_reported_once_where_it_is_used() {
    insta::assert_snapshot!(errors(
        "apiVersion: batch/v1\nkind: Job\nmetadata:\n  name: {{ name }}\n  image: {{ image | nosuch }}\n"
    ));
}

#[test]
fn a_manifest_problem_every_spec_meets_is_reported_once() {
    insta::assert_snapshot!(errors(
        "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: {{ name }}\n"
    ));
}

#[test]
fn a_raw_line_separator_from_a_template_is_refused() {
    insta::assert_snapshot!(errors(
        "apiVersion: batch/v1\nkind: Job\n# note\u{2028}suspend: true\nmetadata:\n  name: {{ name }}\n"
    ));
}

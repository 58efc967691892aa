//! The plan comment (posted to pull requests by the CI kits) is read by a
//! real CommonMark + GFM parser: whatever Markdown or HTML specs hold in
//! their issue references and file names, the comment holds no link, no
//! image and no HTML, every table row keeps its cells, and each value
//! appears only inside a code span.

use std::fs;

use pulldown_cmark::{Event, Options, Parser, Tag};

use crate::support::{SEED, another, apart, outcome, repo_with, run};

/// Issue references that would act in a comment if written as they are
/// (and that `check` accepts: no placeholder `<...>`, no quotation mark or
/// backtick at either end; the file names below have those).
const HOSTILE: &[&str] = &[
    "![x](http://evil.example/x.png)",
    "[click](http://evil.example/)",
    "x<img src=x onerror=alert(1)>",
    "<details><summary>hidden</summary>x",
    "@org/team please approve",
    "#123",
    "a `code` and ``double`` b",
    "x```y",
    "a | b | c",
    "a<!-- comment -->",
    "http://autolink.example/",
    "see <http://angle.example/>",
    "**bold** _it_ ~~strike~~",
    "\\| escaped pipe \\",
    "x\u{2028}y\u{2029}z",
    "x ``` lead",
];

/// File names (without `.yaml`; no `/`, which would make folders) that
/// would act if written as they are.
const HOSTILE_FILES: &[&str] = &[
    "[f](http:evil.example)",
    "![i](data:x)",
    "<b>bold<-b>",
    "@org-team #12",
    "pipe|name",
    "tick`name",
    "`lead",
    "trail`",
];

#[test]
fn the_plan_comment_holds_no_link_image_or_html_whatever_specs_say() {
    let specs: Vec<(String, String)> = HOSTILE
        .iter()
        .enumerate()
        .map(|(i, issue)| {
            let q = serde_json::to_string(issue).unwrap();
            (
                format!("h{i:02}.yaml"),
                apart(SEED.replace("\"34543\"", &q), i),
            )
        })
        .chain(
            HOSTILE_FILES
                .iter()
                .enumerate()
                .map(|(i, name)| (format!("{name}.yaml"), another(&format!("9{i}")))),
        )
        .collect();
    let files: Vec<(&str, &[u8])> = specs
        .iter()
        .map(|(n, t)| (n.as_str(), t.as_bytes()))
        .collect();
    let dir = repo_with(&files);
    // Every action: render, then change one half, remove some, add others.
    let (code, _, err) = outcome(&run(dir.path(), &["render"]));
    assert_eq!(code, 0, "{err}");
    for (i, (name, text)) in specs.iter().enumerate() {
        let path = dir.path().join("specs").join(name);
        match i % 3 {
            0 => fs::write(&path, text.replace("2024-02-01", "2024-02-02")).unwrap(),
            1 => fs::remove_file(&path).unwrap(),
            _ => {}
        }
    }
    let (code, _, err) = outcome(&run(dir.path(), &["render"]));
    assert_eq!(code, 0, "{err}");
    for (i, (name, text)) in specs.iter().enumerate() {
        let path = dir.path().join("specs").join(name);
        match i % 3 {
            0 => fs::write(&path, text).unwrap(),
            1 => fs::write(&path, text).unwrap(),
            _ => fs::remove_file(&path).unwrap(),
        }
    }
    let (code, md, err) = outcome(&run(dir.path(), &["plan"]));
    assert_eq!(code, 0, "{err}");
    for action in ["| add |", "| change |", "| remove |"] {
        assert!(md.contains(action), "{action} missing:\n{md}");
    }

    let mut code_spans = Vec::new();
    let mut texts = Vec::new();
    let mut cells = 0;
    let mut rows = Vec::new();
    for event in Parser::new_ext(&md, Options::ENABLE_TABLES | Options::ENABLE_STRIKETHROUGH) {
        match event {
            Event::Html(h) | Event::InlineHtml(h) => panic!("raw HTML {h:?} in:\n{md}"),
            Event::Start(Tag::Link { dest_url, .. }) => panic!("a link to {dest_url} in:\n{md}"),
            Event::Start(Tag::Image { dest_url, .. }) => panic!("an image {dest_url} in:\n{md}"),
            Event::Start(Tag::TableRow | Tag::TableHead) => cells = 0,
            Event::Start(Tag::TableCell) => cells += 1,
            Event::End(pulldown_cmark::TagEnd::TableRow | pulldown_cmark::TagEnd::TableHead) => {
                rows.push(cells);
            }
            Event::Code(c) => code_spans.push(c.into_string()),
            Event::Text(t) => texts.push(t.into_string()),
            _ => {}
        }
    }
    assert!(rows.len() > specs.len() / 2, "{rows:?}\n{md}");
    assert!(
        rows.iter().all(|&n| n == 7),
        "a row lost or gained cells: {rows:?}\n{md}"
    );
    let shown = |v: &str| -> String {
        v.chars()
            .flat_map(|c| {
                if c.is_control() || matches!(c, '\u{2028}' | '\u{2029}') {
                    c.escape_default().collect::<Vec<_>>()
                } else {
                    vec![c]
                }
            })
            .collect()
    };
    let values: Vec<String> = HOSTILE
        .iter()
        .map(|v| shown(v))
        .chain(HOSTILE_FILES.iter().map(|f| format!("{f}.yaml")))
        .collect();
    for value in &values {
        assert!(
            code_spans.iter().any(|c| c == value),
            "{value:?} is not a code span of its own: {code_spans:?}\n{md}"
        );
        // Outside code spans, not even a telling piece of it.
        let piece: String = value.trim().chars().take(6).collect();
        for t in &texts {
            assert!(!t.contains(&piece), "{value:?} shows as text {t:?}:\n{md}");
        }
    }
    // No raw line break or control character inside a table row.
    for line in md.lines().filter(|l| l.starts_with('|')) {
        assert!(
            !line.contains(|c: char| c.is_control() || matches!(c, '\u{2028}' | '\u{2029}')),
            "{line:?}"
        );
    }
}

/// What Dagster says (`plan --resolve`) is written as inertly as what specs
/// say: hostile backfill titles, ids, statuses, notes and reasons, and the
/// URL and error of an unreachable Dagster, each only inside a code span.
#[test]
fn what_dagster_says_in_the_plan_comment_holds_no_link_image_or_html() {
    use dagster_scripts::dagster::ops::Target;
    use dagster_scripts::plan::markdown_resolved;
    use dagster_scripts::plan::resolved::{Asked, Effect, InFlight, Resolution, Resolved};
    use dagster_scripts::resolve::handle::Handle;

    let hostile = |i: usize| HOSTILE[i % HOSTILE.len()].to_owned();
    let row = |i: usize, effect: Effect| Resolved {
        file: format!("f{i}.yaml"),
        request: "0".repeat(64),
        kind: "backfill",
        target: Some(Target {
            location: hostile(i + 1),
            repository: hostile(i + 2),
            job: hostile(i + 3),
        }),
        partitions: 4,
        reprocessed: None,
        succeeded: Some(2),
        reruns: Some(2),
        effect,
        in_flight: vec![InFlight {
            id: hostile(i + 4),
            title: Some(hostile(i + 5)),
            status: hostile(i + 6),
            shared: 3,
        }],
        on_overlap: Some(dagster_scripts::spec::OnOverlap::Wait),
        notes: vec![hostile(i + 7)],
    };
    let answered = Resolution {
        environment: Some(hostile(2)),
        dagster: hostile(8),
        asked: Asked::Answered(
            (0..HOSTILE.len())
                .map(|i| {
                    let effect = match i % 3 {
                        0 => Effect::Follows {
                            launch: Handle::Backfill(hostile(i)),
                            status: hostile(i + 9),
                        },
                        1 => Effect::Nothing(hostile(i)),
                        _ => Effect::Launches("backfill"),
                    };
                    row(i, effect)
                })
                .collect(),
        ),
    };
    let unreachable = Resolution {
        environment: None,
        dagster: hostile(3),
        asked: Asked::Unreachable(hostile(4)),
    };
    let not_asked = Resolution {
        environment: Some(hostile(5)),
        dagster: String::new(),
        asked: Asked::NoUrl(hostile(6)),
    };
    for (resolution, rows_wanted) in [
        (answered, HOSTILE.len() + 1),
        (unreachable, 0),
        (not_asked, 0),
    ] {
        let md = markdown_resolved(&resolution);
        let mut code_spans = Vec::new();
        let mut texts = Vec::new();
        let mut rows = Vec::new();
        let mut cells = 0;
        for event in Parser::new_ext(&md, Options::ENABLE_TABLES | Options::ENABLE_STRIKETHROUGH) {
            match event {
                Event::Html(h) | Event::InlineHtml(h) => panic!("raw HTML {h:?} in:\n{md}"),
                Event::Start(Tag::Link { dest_url, .. }) => panic!("a link to {dest_url}:\n{md}"),
                Event::Start(Tag::Image { dest_url, .. }) => panic!("an image {dest_url}:\n{md}"),
                Event::Start(Tag::TableRow | Tag::TableHead) => cells = 0,
                Event::Start(Tag::TableCell) => cells += 1,
                Event::End(
                    pulldown_cmark::TagEnd::TableRow | pulldown_cmark::TagEnd::TableHead,
                ) => rows.push(cells),
                Event::Code(c) => code_spans.push(c.into_string()),
                Event::Text(t) => texts.push(t.into_string()),
                _ => {}
            }
        }
        assert_eq!(rows.len(), rows_wanted, "{rows:?}\n{md}");
        assert!(
            rows.iter().all(|&n| n == 6),
            "a row lost or gained cells: {rows:?}\n{md}"
        );
        for value in HOSTILE {
            let shown: String = value
                .chars()
                .flat_map(|c| {
                    if c.is_control() || matches!(c, '\u{2028}' | '\u{2029}') {
                        c.escape_default().collect::<Vec<_>>()
                    } else {
                        vec![c]
                    }
                })
                .collect();
            if rows_wanted > 0 {
                assert!(
                    code_spans.contains(&shown),
                    "{value:?} is not a code span of its own: {code_spans:?}\n{md}"
                );
            }
            let piece: String = shown.trim().chars().take(6).collect();
            for t in &texts {
                assert!(!t.contains(&piece), "{value:?} shows as text {t:?}:\n{md}");
            }
        }
    }
}

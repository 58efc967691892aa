//! `status` for people: one aligned line per request, the failed keys of a
//! backfill under its line, and a tally.
//!
//! Every value from a spec or from Dagster goes through
//! [`escape`]: no control character reaches the terminal raw (no ANSI
//! sequence, no carriage return), and every line starts with a word of
//! ours, so no answer can start a line a CI log reads as a command (`::`).

use super::{Report, Request, progress, utc};
use crate::diagnostic::escape;

/// Failed keys listed per backfill; the rest are counted.
pub const MAX_KEYS: usize = 20;

/// The report as a table, with a final newline.
pub fn render(report: &Report) -> String {
    let header = [
        "STATE",
        "SPEC",
        "ISSUE",
        "KIND",
        "PARTITIONS",
        "REQUESTER",
        "STARTED",
        "ENDED",
        "LAUNCH",
    ];
    let rows: Vec<[String; 9]> = report.requests.iter().map(row).collect();
    let mut widths = header.map(|h| h.chars().count());
    for r in &rows {
        for (w, cell) in widths.iter_mut().zip(r) {
            *w = (*w).max(cell.chars().count());
        }
    }
    let mut text = String::new();
    let line = |cells: &[String], text: &mut String| {
        let mut l = String::new();
        for (i, (cell, w)) in cells.iter().zip(widths).enumerate() {
            if i + 1 == cells.len() {
                l.push_str(cell);
            } else {
                l.push_str(cell);
                l.push_str(&" ".repeat(w - cell.chars().count() + 2));
            }
        }
        text.push_str(l.trim_end());
        text.push('\n');
    };
    if !rows.is_empty() {
        line(&header.map(str::to_owned), &mut text);
    }
    for (r, cells) in report.requests.iter().zip(&rows) {
        line(cells, &mut text);
        if !r.failed_partitions.is_empty() {
            let keys: Vec<String> = r
                .failed_partitions
                .iter()
                .take(MAX_KEYS)
                .map(|k| escape(k).into_owned())
                .collect();
            text.push_str(&format!("  failed partitions: {}", keys.join(", ")));
            if r.failed_partitions.len() > MAX_KEYS {
                text.push_str(&format!(
                    " and {} more",
                    r.failed_partitions.len() - MAX_KEYS
                ));
            }
            text.push('\n');
        }
    }
    let tally: Vec<String> = report
        .counts()
        .into_iter()
        .filter(|(_, n)| *n > 0)
        .map(|(s, n)| format!("{n} {}", s.as_str().replace('_', " ")))
        .collect();
    let n = report.requests.len();
    text.push_str(&format!(
        "{n} request{}{}{} (Dagster at {})\n",
        if n == 1 { "" } else { "s" },
        if tally.is_empty() { "" } else { ": " },
        tally.join(", "),
        escape(&report.dagster)
    ));
    text
}

fn row(r: &Request) -> [String; 9] {
    let e = |s: &str| escape(s).into_owned();
    let (requester, started, ended, launch) = match &r.launch {
        None => Default::default(),
        Some(l) => (
            l.requester.as_deref().map(e).unwrap_or_default(),
            l.started.map(utc).unwrap_or_default(),
            l.ended.map(utc).unwrap_or_default(),
            format!("{} {}", e(&l.status), e(&l.url)),
        ),
    };
    [
        r.state.as_str().to_owned(),
        format!("{}{}", e(&r.path), if r.retired { " (done)" } else { "" }),
        e(&r.issue),
        r.kind.as_str().to_owned(),
        progress(r),
        requester,
        started,
        ended,
        launch,
    ]
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::dagster::ops::LaunchType;
    use crate::spec::Kind;
    use crate::status::{Launched, State};

    #[test]
    fn no_terminal_escape_or_workflow_command_from_an_answer_reaches_a_line() {
        let hostile = "\u{1b}[31mred\r\n::error::owned\u{2028}::set-output";
        let report = Report {
            dagster: "http://127.0.0.1:3000".into(),
            requests: vec![Request {
                path: "specs/a.yaml".into(),
                issue: hostile.into(),
                kind: Kind::Backfill,
                hash: "0".repeat(64),
                retired: false,
                dimensions: Vec::new(),
                state: State::Failed,
                launch: Some(Launched {
                    kind: LaunchType::Backfill,
                    id: "x".into(),
                    url: "http://127.0.0.1:3000/runs/b/x".into(),
                    status: hostile.into(),
                    requester: Some(hostile.into()),
                    created: 0,
                    started: None,
                    ended: None,
                }),
                partitions: None,
                failed_partitions: vec![hostile.into()],
                partition_statuses: None,
                twins: 0,
                more_launches: false,
            }],
        };
        let text = render(&report);
        assert!(!text.contains('\u{1b}') && !text.contains('\r'), "{text:?}");
        assert!(!text.contains('\u{2028}'), "{text:?}");
        assert!(text.lines().all(|l| !l.starts_with("::")), "{text}");
        assert!(
            text.contains("\\u{1b}[31mred\\r\\n::error::owned"),
            "{text}"
        );
    }
}

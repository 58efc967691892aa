//! `status --format markdown`: a comment body for a pull request or an
//! issue (the CI kits add their own marker line above it).
//!
//! A table with one row per request, then for each backfill with failed
//! partitions their keys (at most [`MAX_KEYS`], the rest counted), and for
//! each backfill over two dimensions its partition [`grid`](super::grid),
//! summarised when large (what is left out is said). The comment is
//! rendered by GitHub or GitLab, and its values come from specs and from
//! Dagster: every one is written as an inert code span ([`code`], the plan
//! comment's escaping), and links are built only from the UI base of the
//! settings and percent-encoded ids.

use std::fmt::Write as _;

use super::grid::{Cell, Grid, summarise};
use super::{Report, Request, State, progress, utc};
use crate::dagster::ops::LaunchType;
use crate::plan::code;

/// Failed keys listed per backfill; the rest are counted.
pub const MAX_KEYS: usize = 50;
/// Grid rows shown per backfill.
pub const MAX_ROWS: usize = 40;
/// Grid columns shown per backfill; a wider grid shows counts per row.
pub const MAX_COLUMNS: usize = 14;

/// `value` as an inert code span outside a table: [`code`] without the
/// table's `\|` (which a paragraph would show as it is).
fn inline(value: &str) -> String {
    code(value).replace("\\|", "|")
}

fn icon(state: State) -> &'static str {
    match state {
        State::Succeeded => "✅",
        State::Failed => "❌",
        State::Canceled => "⛔",
        State::Running => "🔄",
        State::Requested => "⏳",
        State::NotLaunched => "⚪",
    }
}

fn symbol(cell: Cell) -> &'static str {
    match cell {
        Cell::Succeeded => "✅",
        Cell::Failed => "❌",
        Cell::InProgress => "🔄",
        Cell::NotRun => "⬜",
    }
}

const LEGEND: &str = "✅ succeeded · ❌ failed or canceled · 🔄 queued or running · ⬜ not run yet · blank: not in the backfill";

/// The report as a Markdown comment body.
pub fn render(report: &Report) -> String {
    let mut text = String::from("### dagster-scripts status: ");
    let tally: Vec<String> = report
        .counts()
        .into_iter()
        .filter(|(_, n)| *n > 0)
        .map(|(s, n)| format!("{n} {}", s.as_str().replace('_', " ")))
        .collect();
    if tally.is_empty() {
        text.push_str("no requests\n\nNo spec was found.\n");
        return text;
    }
    let _ = writeln!(text, "{}\n", tally.join(", "));
    text.push_str(
        "| | spec | issue | kind | state | partitions | launch | requester | started | ended |\n\
         | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |\n",
    );
    for r in &report.requests {
        row(&mut text, r);
    }
    for r in &report.requests {
        if r.twins > 0 {
            let _ = writeln!(
                text,
                "\n{}: {} other launches carry this request's hash (concurrent twins); the earliest is reported.",
                inline(&r.path),
                r.twins
            );
        }
        if r.more_launches {
            let _ = writeln!(
                text,
                "\n{}: Dagster lists more than {} launches with this request's hash; only the newest were read.",
                inline(&r.path),
                crate::dagster::ops::LIMIT
            );
        }
    }
    for r in &report.requests {
        details(&mut text, r);
    }
    text
}

fn row(text: &mut String, r: &Request) {
    let retired = if r.retired { " (done)" } else { "" };
    let (launch, requester, started, ended) = match &r.launch {
        None => Default::default(),
        Some(l) => {
            let kind = match l.kind {
                LaunchType::Backfill => "backfill",
                LaunchType::Run => "run",
            };
            (
                format!("[{kind} {}]({}) {}", code(&l.id), l.url, code(&l.status)),
                l.requester.as_deref().map(code).unwrap_or_default(),
                l.started.map(utc).unwrap_or_default(),
                l.ended.map(utc).unwrap_or_default(),
            )
        }
    };
    let _ = writeln!(
        text,
        "| {} | {}{retired} | {} | {} | {} | {} | {launch} | {requester} | {started} | {ended} |",
        icon(r.state),
        code(&r.path),
        code(&r.issue),
        r.kind.as_str(),
        r.state.as_str().replace('_', " "),
        progress(r),
    );
}

/// The failed keys and the grid of one request, if it has them.
fn details(text: &mut String, r: &Request) {
    let grid = r
        .partition_statuses
        .as_ref()
        .and_then(|s| Grid::new(&r.dimensions, s));
    if r.failed_partitions.is_empty() && grid.is_none() {
        return;
    }
    let _ = writeln!(
        text,
        "\n#### {} (issue {})\n",
        inline(&r.path),
        inline(&r.issue)
    );
    if !r.failed_partitions.is_empty() {
        let n = r.failed_partitions.len();
        let keys: Vec<String> = r
            .failed_partitions
            .iter()
            .take(MAX_KEYS)
            .map(|k| inline(k))
            .collect();
        let _ = write!(text, "Failed partitions ({n}): {}", keys.join(", "));
        if n > MAX_KEYS {
            let _ = write!(text, ", and {} more (see Dagster)", n - MAX_KEYS);
        }
        text.push_str("\n\n");
    }
    if let Some(g) = grid {
        grid_table(text, &g);
    }
}

fn grid_table(text: &mut String, g: &Grid) {
    let shown = summarise(g, MAX_ROWS, MAX_COLUMNS);
    let corner = format!(
        "{} ↓ {} →",
        code(&g.row_dimension),
        code(&g.column_dimension)
    );
    if shown.counts_only {
        let _ = writeln!(
            text,
            "{} has {} keys, too many for a column each: partitions per {} and state.\n",
            code(&g.column_dimension),
            g.columns.len(),
            code(&g.row_dimension)
        );
        let _ = writeln!(
            text,
            "| {} | ✅ | ❌ | 🔄 | ⬜ |\n| --- | ---: | ---: | ---: | ---: |",
            code(&g.row_dimension)
        );
        for &r in &shown.rows {
            let [a, b, c, d] = g.row_counts(r);
            let _ = writeln!(text, "| {} | {a} | {b} | {c} | {d} |", code(&g.rows[r]));
        }
    } else {
        let _ = write!(text, "| {corner} |");
        for c in &g.columns {
            let _ = write!(text, " {} |", code(c));
        }
        text.push_str("\n| --- |");
        text.push_str(&" :-: |".repeat(g.columns.len()));
        text.push('\n');
        for &r in &shown.rows {
            let _ = write!(text, "| {} |", code(&g.rows[r]));
            for cell in &g.cells[r] {
                let _ = write!(text, " {} |", cell.map(symbol).unwrap_or(""));
            }
            text.push('\n');
        }
    }
    let _ = writeln!(text, "\n{LEGEND}");
    if shown.hidden_succeeded > 0 {
        let _ = writeln!(
            text,
            "\n{} of {} rows, where every partition succeeded, are not shown.",
            shown.hidden_succeeded,
            g.rows.len()
        );
    }
    if shown.hidden_other > 0 {
        let _ = writeln!(
            text,
            "\n{} more rows with failed or unfinished partitions are not shown (the first {MAX_ROWS} are).",
            shown.hidden_other
        );
    }
}

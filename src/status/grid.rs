//! The partition grid of a backfill over two dimensions: the time dimension
//! down, the other across, one [`Cell`] per partition; and how a grid too
//! large for a comment is summarised ([`summarise`]) without leaving
//! anything out silently.
//!
//! A multi-partition key is its dimensions' keys ordered by dimension name
//! and joined with `|` (Dagster 1.13, seen in the lab), so the key's parts
//! are matched to the spec's dimension names sorted.

use std::collections::{BTreeMap, BTreeSet};

use crate::dagster::ops::{PartitionStatuses, RunClass, classify_run};

/// Where one partition is.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Cell {
    /// Its latest run succeeded.
    Succeeded,
    /// Its latest run failed or was cancelled.
    Failed,
    /// A run is queued or running.
    InProgress,
    /// It has not run yet.
    NotRun,
}

impl Cell {
    /// Every cell state, in the order legends list them.
    pub const ALL: [Cell; 4] = [
        Cell::Succeeded,
        Cell::Failed,
        Cell::InProgress,
        Cell::NotRun,
    ];

    fn of(status: Option<&str>) -> Cell {
        match status.map(classify_run) {
            Some(RunClass::Succeeded) => Cell::Succeeded,
            Some(RunClass::Failed) => Cell::Failed,
            Some(RunClass::InProgress) => Cell::InProgress,
            Some(RunClass::NotStarted) | None => Cell::NotRun,
        }
    }
}

/// A backfill's partitions laid out over its two dimensions.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Grid {
    /// The dimension down the side (the time dimension, when there is one).
    pub row_dimension: String,
    /// The dimension across.
    pub column_dimension: String,
    /// Its keys, sorted.
    pub rows: Vec<String>,
    /// Its keys, sorted.
    pub columns: Vec<String>,
    /// `cells[row][column]`; `None` where the backfill has no such partition.
    pub cells: Vec<Vec<Option<Cell>>>,
}

impl Grid {
    /// The grid of `statuses` over the two `dimensions` (names as the spec
    /// lists them), or `None` when there are not two, or a key does not
    /// have two parts.
    pub fn new(dimensions: &[String], statuses: &PartitionStatuses) -> Option<Grid> {
        let [a, b] = dimensions else {
            return None;
        };
        let (first, second) = if a <= b { (a, b) } else { (b, a) };
        let mut parts: Vec<(&str, &str, Cell)> = Vec::with_capacity(statuses.len());
        for (key, status) in statuses {
            let (x, y) = key.split_once('|')?;
            if y.contains('|') {
                return None;
            }
            parts.push((x, y, Cell::of(status.as_deref())));
        }
        // The time dimension goes down: the one whose keys are all dates.
        let firsts: BTreeSet<&str> = parts.iter().map(|p| p.0).collect();
        let seconds: BTreeSet<&str> = parts.iter().map(|p| p.1).collect();
        let second_down = seconds.iter().all(|k| is_date(k)) && !firsts.iter().all(|k| is_date(k));
        let (row_dimension, column_dimension, rows, columns) = if second_down {
            (second, first, seconds, firsts)
        } else {
            (first, second, firsts, seconds)
        };
        let row_index: BTreeMap<&str, usize> =
            rows.iter().enumerate().map(|(i, k)| (*k, i)).collect();
        let column_index: BTreeMap<&str, usize> =
            columns.iter().enumerate().map(|(i, k)| (*k, i)).collect();
        let mut cells = vec![vec![None; columns.len()]; rows.len()];
        for (x, y, cell) in parts {
            let (r, c) = if second_down { (y, x) } else { (x, y) };
            cells[row_index[r]][column_index[c]] = Some(cell);
        }
        Some(Grid {
            row_dimension: row_dimension.clone(),
            column_dimension: column_dimension.clone(),
            rows: rows.into_iter().map(str::to_owned).collect(),
            columns: columns.into_iter().map(str::to_owned).collect(),
            cells,
        })
    }

    /// How many partitions of row `r` are in each state, in [`Cell::ALL`]'s order.
    pub fn row_counts(&self, r: usize) -> [usize; 4] {
        let mut n = [0; 4];
        for cell in self.cells[r].iter().flatten() {
            n[Cell::ALL.iter().position(|c| c == cell).unwrap_or(3)] += 1;
        }
        n
    }

    fn row_all_succeeded(&self, r: usize) -> bool {
        self.cells[r]
            .iter()
            .flatten()
            .all(|c| *c == Cell::Succeeded)
    }
}

/// `YYYY-MM-DD`, optionally followed by a time (`-HH:MM` of hourly partitions).
fn is_date(key: &str) -> bool {
    let b = key.as_bytes();
    b.len() >= 10
        && b[..4].iter().all(u8::is_ascii_digit)
        && b[4] == b'-'
        && b[5..7].iter().all(u8::is_ascii_digit)
        && b[7] == b'-'
        && b[8..10].iter().all(u8::is_ascii_digit)
}

/// What of a grid a comment shows.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Shown {
    /// The rows shown, in order.
    pub rows: Vec<usize>,
    /// Whether each row is shown as counts per state rather than one cell
    /// per column (too many columns).
    pub counts_only: bool,
    /// Rows left out because every partition in them succeeded.
    pub hidden_succeeded: usize,
    /// Rows with something other than success left out, over the row cap.
    pub hidden_other: usize,
}

/// What of `grid` to show in at most `max_rows` rows of at most
/// `max_columns` columns. A grid that fits is shown whole. Otherwise the
/// rows where every partition succeeded go first (counted), then the
/// others beyond `max_rows` (counted); with more columns than
/// `max_columns`, each row is shown as counts per state.
pub fn summarise(grid: &Grid, max_rows: usize, max_columns: usize) -> Shown {
    let counts_only = grid.columns.len() > max_columns;
    if grid.rows.len() <= max_rows {
        return Shown {
            rows: (0..grid.rows.len()).collect(),
            counts_only,
            hidden_succeeded: 0,
            hidden_other: 0,
        };
    }
    let (succeeded, other): (Vec<usize>, Vec<usize>) =
        (0..grid.rows.len()).partition(|&r| grid.row_all_succeeded(r));
    let hidden_other = other.len().saturating_sub(max_rows);
    Shown {
        rows: other.into_iter().take(max_rows).collect(),
        counts_only,
        hidden_succeeded: succeeded.len(),
        hidden_other,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn statuses(keys: &[(&str, Option<&str>)]) -> PartitionStatuses {
        keys.iter()
            .map(|(k, s)| ((*k).to_owned(), s.map(str::to_owned)))
            .collect()
    }

    fn dims() -> Vec<String> {
        vec!["stations".into(), "daily".into()]
    }

    #[test]
    fn dates_go_down_and_the_other_dimension_across() {
        let s = statuses(&[
            ("2024-02-01|NL01912", Some("FAILURE")),
            ("2024-01-31|NL01497", Some("SUCCESS")),
            ("2024-02-01|NL01497", Some("STARTED")),
            ("2024-01-31|NL01912", None),
        ]);
        let g = Grid::new(&dims(), &s).unwrap();
        assert_eq!(
            (g.row_dimension.as_str(), g.column_dimension.as_str()),
            ("daily", "stations")
        );
        assert_eq!(g.rows, ["2024-01-31", "2024-02-01"]);
        assert_eq!(g.columns, ["NL01497", "NL01912"]);
        assert_eq!(
            g.cells,
            [
                [Some(Cell::Succeeded), Some(Cell::NotRun)],
                [Some(Cell::InProgress), Some(Cell::Failed)]
            ]
        );
        // The dates second in the key (a dimension named after `daily`).
        let g = Grid::new(
            &["a_station".into(), "x_time".into()],
            &statuses(&[("NL01497|2024-01-01", Some("SUCCESS"))]),
        )
        .unwrap();
        assert_eq!(
            (g.row_dimension.as_str(), g.rows[0].as_str()),
            ("x_time", "2024-01-01")
        );
        assert_eq!(g.columns, ["NL01497"]);
    }

    #[test]
    fn not_two_dimensions_is_no_grid() {
        let s = statuses(&[("2024-01-31", Some("SUCCESS"))]);
        assert_eq!(Grid::new(&["daily".into()], &s), None);
        assert_eq!(Grid::new(&dims(), &s), None);
        let s = statuses(&[("a|b|c", Some("SUCCESS"))]);
        assert_eq!(Grid::new(&dims(), &s), None);
    }

    fn big(rows: usize, columns: usize, failing_rows: &[usize]) -> Grid {
        let mut s = Vec::new();
        for r in 0..rows {
            for c in 0..columns {
                let status = if failing_rows.contains(&r) && c == 0 {
                    "FAILURE"
                } else {
                    "SUCCESS"
                };
                s.push((
                    format!("2024-{:02}-{:02}|S{c:03}", 1 + r / 28, 1 + r % 28),
                    Some(status.to_owned()),
                ));
            }
        }
        Grid::new(&dims(), &s).unwrap()
    }

    #[test]
    fn a_grid_that_fits_is_shown_whole() {
        let g = big(5, 3, &[2]);
        assert_eq!(
            summarise(&g, 10, 10),
            Shown {
                rows: vec![0, 1, 2, 3, 4],
                counts_only: false,
                hidden_succeeded: 0,
                hidden_other: 0
            }
        );
    }

    #[test]
    fn a_long_grid_leaves_out_succeeded_rows_then_counts_the_rest() {
        let g = big(100, 3, &[3, 50, 60, 70]);
        let shown = summarise(&g, 10, 10);
        assert_eq!(shown.rows, [3, 50, 60, 70]);
        assert_eq!((shown.hidden_succeeded, shown.hidden_other), (96, 0));
        let shown = summarise(&g, 2, 10);
        assert_eq!(shown.rows, [3, 50]);
        assert_eq!((shown.hidden_succeeded, shown.hidden_other), (96, 2));
        // Every row is accounted for.
        assert_eq!(
            shown.rows.len() + shown.hidden_succeeded + shown.hidden_other,
            100
        );
    }

    #[test]
    fn a_wide_grid_is_shown_as_counts_per_row() {
        let g = big(3, 40, &[1]);
        let shown = summarise(&g, 10, 12);
        assert!(shown.counts_only);
        assert_eq!(g.row_counts(1), [39, 1, 0, 0]);
    }
}

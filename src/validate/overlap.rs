//! Stage "validate", across files: no two active requests select the same
//! partitions of the same job or assets.
//!
//! Two backfills over the same partitions waste compute and race each
//! other's writes, so `check` refuses a pair of active specs whose
//! selections overlap, where the selection is known before launch: the
//! dimensions' date ranges and listed values (`all: true` overlaps every
//! selection of its dimension). What only Dagster knows (an asset group or
//! prefix, a range of keys of another granularity) is left to the runner's
//! `on_overlap` at launch. An explicit `on_overlap: allow` on either spec
//! lets the pair through.
//!
//! The shared keys are the product of the per-dimension intersections,
//! joined like Dagster's keys (dimension-name order, `|`); they are counted
//! without being made, and only the first few are named.

use std::collections::{BTreeMap, BTreeSet, HashSet};

use crate::spec::{Date, Dimension, OnOverlap, PartitionKey, Spec};

/// Shared keys named in a message; the rest are counted.
const NAMED: usize = 3;

/// What a spec selects, as far as it is known before launch.
#[derive(Clone, Debug, PartialEq)]
pub struct Selection {
    /// The kind of request, as a message names it (`backfill`, `run`, `asset backfill`).
    pub kind: &'static str,
    /// What it launches.
    pub target: Target,
    /// The partitions it selects.
    pub dims: Dims,
    /// Whether the spec says `on_overlap: allow`.
    pub allowed: bool,
}

/// The job or assets a request launches.
#[derive(Clone, Debug, PartialEq)]
pub enum Target {
    /// A job, with its `repository_name` if the spec gives one.
    Job {
        /// `job_name`.
        job: String,
        /// `repository_name`.
        repository: Option<String>,
    },
    /// Listed asset keys (`/`-joined).
    Assets(Vec<String>),
}

/// The partitions a request selects.
#[derive(Clone, Debug, PartialEq)]
pub enum Dims {
    /// Keys by dimension name, in name order (Dagster's order for multi-partition keys).
    Named(Vec<(String, Keys)>),
    /// A run's partition given as one key: its parts, `|`-split, in
    /// dimension-name order (named by the other request's dimensions).
    Key(Vec<String>),
}

/// The keys a request selects in one dimension.
#[derive(Clone, Debug, PartialEq)]
pub enum Keys {
    /// Every day from the first to the last, both included (`YYYY-MM-DD` keys).
    Days(Date, Date),
    /// The listed keys.
    Values(Vec<String>),
    /// Every key of the dimension (`all: true`).
    All,
}

impl Selection {
    /// What `spec` selects, if it selects partitions known before launch:
    /// `None` for a re-execution, an unpartitioned run, and a selection with
    /// a dimension only Dagster can resolve.
    pub fn of(spec: &Spec) -> Option<Selection> {
        let allowed = spec.on_overlap() == Some(OnOverlap::Allow);
        match spec {
            Spec::Backfill(b) => Some(Selection {
                kind: "backfill",
                target: Target::Job {
                    job: b.job_name.to_string(),
                    repository: b.repository_name.as_ref().map(ToString::to_string),
                },
                dims: named(spec.partitions())?,
                allowed,
            }),
            // Only the listed keys: groups and prefixes are known only to Dagster.
            Spec::AssetBackfill(a) => Some(Selection {
                kind: "asset backfill",
                target: Target::Assets(
                    a.assets
                        .as_deref()?
                        .iter()
                        .map(ToString::to_string)
                        .collect(),
                ),
                dims: named(spec.partitions())?,
                allowed,
            }),
            Spec::Run(r) => Some(Selection {
                kind: "run",
                target: Target::Job {
                    job: r.job_name.to_string(),
                    repository: r.repository_name.as_ref().map(ToString::to_string),
                },
                dims: match r.tags.partition.as_ref()? {
                    PartitionKey::Key(k) => Dims::Key(k.split('|').map(str::to_owned).collect()),
                    PartitionKey::PerDimension(m) => Dims::Named(
                        m.iter()
                            .map(|(d, v)| (d.to_string(), Keys::Values(vec![v.to_string()])))
                            .collect(),
                    ),
                },
                allowed,
            }),
            Spec::Reexecute(_) | Spec::Cancel(_) | Spec::Materialize(_) => None,
        }
    }

    /// The job or assets this request launches, for finding the specs it
    /// may overlap: the words one of them must contain.
    pub fn words(&self) -> Vec<&str> {
        match &self.target {
            Target::Job { job, .. } => vec![job.as_str()],
            Target::Assets(assets) => assets.iter().map(String::as_str).collect(),
        }
    }
}

/// The dimensions of a partitioned request, by name; `None` when one of
/// them is known only to Dagster.
fn named(dims: &[Dimension]) -> Option<Dims> {
    let mut by_name = BTreeMap::new();
    for d in dims {
        let keys = match d {
            Dimension::Dates(r) => Keys::Days(r.start_date, r.end_date),
            Dimension::Values(v) => {
                Keys::Values(v.values.iter().map(ToString::to_string).collect())
            }
            Dimension::All(_) => Keys::All,
            Dimension::Range(_) => return None,
        };
        by_name.insert(d.name().to_string(), keys);
    }
    Some(Dims::Named(by_name.into_iter().collect()))
}

/// What two requests have in common.
#[derive(Clone, Debug, PartialEq)]
pub struct Shared {
    /// The assets both launch (empty for requests of a job).
    pub assets: Vec<String>,
    /// Per dimension, in name order, the keys both select.
    pub dims: Vec<(String, Common)>,
}

/// The keys two requests both select in one dimension.
#[derive(Clone, Debug, PartialEq)]
pub enum Common {
    /// Every day from the first to the last.
    Days(Date, Date),
    /// These keys.
    Values(Vec<String>),
    /// Every key of the dimension (both say `all: true`): how many only Dagster knows.
    All,
}

impl Common {
    fn len(&self) -> Option<u128> {
        match self {
            Common::Days(a, b) => u128::try_from(b.ordinal() - a.ordinal() + 1).ok(),
            Common::Values(v) => Some(v.len() as u128),
            Common::All => None,
        }
    }

    /// The `i`-th key, for `i` below [`Common::len`].
    fn key(&self, i: u128) -> String {
        match self {
            Common::Days(start, _) => std::iter::successors(Some(*start), |d| Some(d.succ()))
                .nth(usize::try_from(i).unwrap_or(usize::MAX))
                .map(|d| d.to_string())
                .unwrap_or_default(),
            Common::Values(v) => usize::try_from(i)
                .ok()
                .and_then(|i| v.get(i))
                .cloned()
                .unwrap_or_default(),
            Common::All => String::new(),
        }
    }

    fn describe(&self, name: &str) -> String {
        match self {
            Common::Days(a, b) if a == b => format!("`{name}` {a}"),
            Common::Days(a, b) => format!("`{name}` {a} to {b}"),
            Common::Values(v) => format!(
                "`{name}` {}",
                v.iter()
                    .map(|v| format!("`{v}`"))
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
            Common::All => format!("every key of `{name}`"),
        }
    }
}

impl Shared {
    /// How many partitions both select, when the specs say (not when both
    /// select every key of a dimension).
    pub fn count(&self) -> Option<u128> {
        self.dims
            .iter()
            .try_fold(1u128, |n, (_, c)| Some(n.saturating_mul(c.len()?)))
    }

    /// The first `n` shared keys as Dagster writes them (dimension-name
    /// order, `|`), in the order of the product (the last dimension fastest).
    pub fn first_keys(&self, n: usize) -> Vec<String> {
        let Some(total) = self.count() else {
            return Vec::new();
        };
        let lens: Vec<u128> = self.dims.iter().filter_map(|(_, c)| c.len()).collect();
        (0..total.min(n as u128))
            .map(|mut i| {
                let mut parts = vec![String::new(); lens.len()];
                for (slot, ((_, common), len)) in
                    parts.iter_mut().zip(self.dims.iter().zip(&lens)).rev()
                {
                    *slot = common.key(i % len);
                    i /= len;
                }
                parts.join("|")
            })
            .collect()
    }

    /// The shared partitions in words: the count and the first keys, or
    /// per dimension when their number is not known offline.
    pub fn describe(&self) -> String {
        match self.count() {
            Some(total) => {
                let keys = self.first_keys(NAMED);
                let listed = keys
                    .iter()
                    .map(|k| format!("`{k}`"))
                    .collect::<Vec<_>>()
                    .join(", ");
                let more = total.saturating_sub(keys.len() as u128);
                let rest = if more > 0 {
                    format!(" and {more} more")
                } else {
                    String::new()
                };
                let s = if total == 1 { "" } else { "s" };
                format!("{total} partition{s} in both: {listed}{rest}")
            }
            None => format!(
                "partitions in both: {}",
                self.dims
                    .iter()
                    .map(|(name, c)| c.describe(name))
                    .collect::<Vec<_>>()
                    .join(" × ")
            ),
        }
    }
}

/// What selections `a` and `b` have in common, if they overlap: the same job
/// (a `repository_name` on one only is taken as the same) or some of the same
/// assets, the same dimensions, and keys in common in each. Two runs are not
/// compared (running one partition again, say with other config, is
/// deliberate), nor a job with assets (which assets a job materializes only
/// Dagster knows).
pub fn overlap(a: &Selection, b: &Selection) -> Option<Shared> {
    if a.kind == "run" && b.kind == "run" {
        return None;
    }
    let assets = match (&a.target, &b.target) {
        (
            Target::Job {
                job: ja,
                repository: ra,
            },
            Target::Job {
                job: jb,
                repository: rb,
            },
        ) => {
            let same_place = match (ra, rb) {
                (Some(ra), Some(rb)) => ra == rb,
                _ => true,
            };
            if ja != jb || !same_place {
                return None;
            }
            Vec::new()
        }
        (Target::Assets(xa), Target::Assets(xb)) => {
            let theirs: HashSet<&String> = xb.iter().collect();
            let shared: Vec<String> = xa.iter().filter(|x| theirs.contains(x)).cloned().collect();
            if shared.is_empty() {
                return None;
            }
            shared
        }
        _ => return None,
    };
    let dims = match (&a.dims, &b.dims) {
        (Dims::Named(x), Dims::Named(y)) => common_dims(x, y)?,
        (Dims::Named(x), Dims::Key(parts)) | (Dims::Key(parts), Dims::Named(x)) => {
            if x.len() != parts.len() {
                return None;
            }
            let y: Vec<(String, Keys)> = x
                .iter()
                .zip(parts)
                .map(|((name, _), part)| (name.clone(), Keys::Values(vec![part.clone()])))
                .collect();
            common_dims(x, &y)?
        }
        (Dims::Key(_), Dims::Key(_)) => return None,
    };
    Some(Shared { assets, dims })
}

fn common_dims(x: &[(String, Keys)], y: &[(String, Keys)]) -> Option<Vec<(String, Common)>> {
    let names = |d: &[(String, Keys)]| d.iter().map(|(n, _)| n.clone()).collect::<BTreeSet<_>>();
    if x.len() != y.len() || names(x) != names(y) {
        return None;
    }
    x.iter()
        .map(|(name, kx)| {
            let (_, ky) = y.iter().find(|(n, _)| n == name)?;
            Some((name.clone(), common(kx, ky)?))
        })
        .collect()
}

/// The keys both `x` and `y` select in one dimension, if any.
fn common(x: &Keys, y: &Keys) -> Option<Common> {
    let found = match (x, y) {
        (Keys::All, Keys::All) => Common::All,
        (Keys::All, k) | (k, Keys::All) => match k {
            Keys::Days(a, b) => Common::Days(*a, *b),
            Keys::Values(v) => Common::Values(v.clone()),
            Keys::All => Common::All,
        },
        (Keys::Days(a1, b1), Keys::Days(a2, b2)) => {
            let (a, b) = ((*a1).max(*a2), (*b1).min(*b2));
            if a > b {
                return None;
            }
            Common::Days(a, b)
        }
        (Keys::Days(a, b), Keys::Values(v)) | (Keys::Values(v), Keys::Days(a, b)) => {
            Common::Values(
                v.iter()
                    .filter(|k| k.parse::<Date>().is_ok_and(|d| *a <= d && d <= *b))
                    .cloned()
                    .collect(),
            )
        }
        (Keys::Values(v), Keys::Values(w)) => {
            let theirs: HashSet<&String> = w.iter().collect();
            Common::Values(v.iter().filter(|k| theirs.contains(k)).cloned().collect())
        }
    };
    (found.len() != Some(0)).then_some(found)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn day(s: &str) -> Date {
        s.parse().unwrap()
    }

    fn job(name: &str, dims: Vec<(&str, Keys)>) -> Selection {
        Selection {
            kind: "backfill",
            target: Target::Job {
                job: name.into(),
                repository: None,
            },
            dims: Dims::Named(dims.into_iter().map(|(n, k)| (n.into(), k)).collect()),
            allowed: false,
        }
    }

    fn values(v: &[&str]) -> Keys {
        Keys::Values(v.iter().map(|s| (*s).to_owned()).collect())
    }

    #[test]
    fn days_and_values_intersect_per_dimension_and_multiply() {
        let a = job(
            "j",
            vec![
                ("daily", Keys::Days(day("2024-01-01"), day("2024-01-10"))),
                ("stations", values(&["A", "B", "C"])),
            ],
        );
        let b = job(
            "j",
            vec![
                ("daily", Keys::Days(day("2024-01-09"), day("2024-02-01"))),
                ("stations", values(&["C", "B", "Z"])),
            ],
        );
        let shared = overlap(&a, &b).unwrap();
        assert_eq!(shared.count(), Some(4));
        assert_eq!(
            shared.first_keys(10),
            [
                "2024-01-09|B",
                "2024-01-09|C",
                "2024-01-10|B",
                "2024-01-10|C"
            ]
        );
        assert_eq!(
            shared.describe(),
            "4 partitions in both: `2024-01-09|B`, `2024-01-09|C`, `2024-01-10|B` and 1 more"
        );
        // Disjoint days, another job, other dimensions: no overlap.
        let later = job(
            "j",
            vec![
                ("daily", Keys::Days(day("2024-01-11"), day("2024-02-01"))),
                ("stations", Keys::All),
            ],
        );
        assert_eq!(overlap(&a, &later), None);
        assert_eq!(
            overlap(
                &a,
                &job("k", vec![("daily", Keys::All), ("stations", Keys::All)])
            ),
            None
        );
        assert_eq!(overlap(&a, &job("j", vec![("daily", Keys::All)])), None);
    }

    #[test]
    fn all_overlaps_everything_and_huge_products_are_counted_not_made() {
        let wide =
            |n: usize| -> Keys { Keys::Values((0..n).map(|i| format!("S{i:05}")).collect()) };
        let a = job(
            "j",
            vec![
                ("daily", Keys::Days(day("2000-01-01"), day("2099-12-31"))),
                ("sensors", wide(50_000)),
            ],
        );
        let b = job("j", vec![("daily", Keys::All), ("sensors", Keys::All)]);
        let shared = overlap(&a, &b).unwrap();
        assert_eq!(shared.count(), Some(36_525 * 50_000));
        assert_eq!(
            shared.first_keys(2),
            ["2000-01-01|S00000", "2000-01-01|S00001"]
        );
        let both_all = overlap(&b, &b).unwrap();
        assert_eq!(both_all.count(), None);
        assert_eq!(
            both_all.describe(),
            "partitions in both: every key of `daily` × every key of `sensors`"
        );
    }

    #[test]
    fn a_run_key_is_matched_by_dimension_order_and_two_runs_are_not_compared() {
        let backfill = job(
            "j",
            vec![
                ("daily", Keys::Days(day("2024-01-01"), day("2024-01-10"))),
                ("stations", values(&["A"])),
            ],
        );
        let run = |key: &str| Selection {
            kind: "run",
            target: Target::Job {
                job: "j".into(),
                repository: Some("loc".into()),
            },
            dims: Dims::Key(key.split('|').map(str::to_owned).collect()),
            allowed: false,
        };
        let shared = overlap(&run("2024-01-05|A"), &backfill).unwrap();
        assert_eq!(shared.first_keys(5), ["2024-01-05|A"]);
        assert_eq!(overlap(&backfill, &run("2024-01-11|A")), None);
        assert_eq!(overlap(&backfill, &run("2024-01-05")), None);
        assert_eq!(overlap(&run("2024-01-05|A"), &run("2024-01-05|A")), None);
        // Another repository named on both sides: another job.
        let mut elsewhere = backfill.clone();
        elsewhere.target = Target::Job {
            job: "j".into(),
            repository: Some("other".into()),
        };
        assert_eq!(overlap(&run("2024-01-05|A"), &elsewhere), None);
    }

    #[test]
    fn asset_backfills_overlap_on_shared_assets() {
        let assets = |keys: &[&str], from: &str| Selection {
            kind: "asset backfill",
            target: Target::Assets(keys.iter().map(|k| (*k).to_owned()).collect()),
            dims: Dims::Named(vec![(
                "weekly".into(),
                Keys::Days(day(from), day("2024-03-31")),
            )]),
            allowed: false,
        };
        let shared = overlap(
            &assets(&["w/report", "w/totals"], "2024-01-01"),
            &assets(&["w/totals"], "2024-03-31"),
        )
        .unwrap();
        assert_eq!(shared.assets, ["w/totals"]);
        assert_eq!(shared.describe(), "1 partition in both: `2024-03-31`");
        assert_eq!(
            overlap(
                &assets(&["w/report"], "2024-01-01"),
                &assets(&["w/totals"], "2024-01-01")
            ),
            None
        );
    }
}

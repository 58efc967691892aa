//! From the spec's partition dimensions to Dagster's partition keys.
//!
//! A multi-partition key is the dimensions' keys ordered by dimension NAME and
//! joined with `|` (seen in the lab: `x_time, a_station` gives
//! `NL01497|2024-01-01`). The selection is the cartesian product of what each
//! dimension names; every selected key must exist in Dagster, and the runner
//! refuses before launching when one does not, listing the missing keys,
//! and pointing at the first value of the spec that Dagster does not have.
//!
//! A key range (`start`/`end`) is a slice of one dimension's keys in the
//! order Dagster lists them, so it works for any granularity and key format
//! without this crate knowing either; a bound that is not a key is refused
//! with the format Dagster writes keys in (when it says: an asset's time
//! partitions) and its first and last key. A range of days
//! (`start_date`/`end_date`) over a dimension whose keys are not days gets a
//! hint to write a key range instead.

use std::collections::{BTreeMap, HashSet};

use super::Error;
use crate::dagster::ops::Partitions;
use crate::pointer::push_pointer;
use crate::spec::{Date, Dimension, KeyRange, PartitionKey};

/// Where a backfill's dimensions are in a spec.
const DIMENSIONS: &str = "/tags/partitions";

/// How many missing keys a message lists before it only counts.
const SHOWN: usize = 20;

/// The keys `dims` select among `available`, in product order; more than
/// `cap` (the compiler's `max_partitions`, passed in the Job) is refused,
/// `all: true` dimensions counted as Dagster resolves them now.
pub fn select(
    dims: &[Dimension],
    available: &Partitions,
    what: &str,
    cap: u64,
) -> Result<Vec<String>, Error> {
    if available.keys.is_empty() {
        return Err(Error::rejected(format!(
            "{what} has no partitions in Dagster; a backfill needs partitioned targets"
        )));
    }
    // Each dimension with its place in the spec, by name.
    let mut by_name: BTreeMap<&str, (usize, &Dimension)> = BTreeMap::new();
    for (i, d) in dims.iter().enumerate() {
        if by_name.insert(d.name().as_str(), (i, d)).is_some() {
            return Err(
                Error::spec(format!("dimension {} is named twice", d.name()))
                    .at(format!("{DIMENSIONS}/{i}/name")),
            );
        }
    }
    let names: Vec<&str> = by_name.keys().copied().collect();
    if available.dimensions.is_empty() {
        if dims.len() != 1 {
            return Err(Error::rejected(format!(
                "{what} has one partition dimension, the spec names {}: {}",
                dims.len(),
                names.join(", ")
            ))
            .at(DIMENSIONS));
        }
    } else if names
        != available
            .dimensions
            .iter()
            .map(String::as_str)
            .collect::<Vec<_>>()
    {
        return Err(Error::rejected(format!(
            "{what} is partitioned by {}; the spec names {} (name every dimension; `all: true` selects all of one)",
            available.dimensions.join(", "),
            names.join(", ")
        ))
        .at(DIMENSIONS));
    }

    let mut per_dimension: Vec<Vec<String>> = Vec::with_capacity(by_name.len());
    for (index, &(i, dim)) in by_name.values().enumerate() {
        let values = match dim {
            Dimension::Dates(range) => range.days().map(|d| d.to_string()).collect(),
            Dimension::Values(list) => list.values.iter().map(|v| v.as_str().to_owned()).collect(),
            Dimension::All(_) => all_of(available, index, by_name.len()),
            Dimension::Range(range) => {
                let keys = all_of(available, index, by_name.len());
                let whose = if by_name.len() == 1 {
                    what.to_owned()
                } else {
                    format!("dimension {} of {what}", range.name)
                };
                let fmt = if by_name.len() == 1 {
                    available.fmt.as_deref()
                } else {
                    None
                };
                key_range(range, &keys, &whose, fmt, &format!("{DIMENSIONS}/{i}"))?
            }
        };
        per_dimension.push(values);
    }
    let total = per_dimension
        .iter()
        .try_fold(1usize, |n, v| n.checked_mul(v.len()))
        .unwrap_or(usize::MAX);
    if u64::try_from(total).unwrap_or(u64::MAX) > cap {
        return Err(Error::spec(format!(
            "the spec selects {total} partitions; at most {cap} per request (max_partitions, DAGSTER_SCRIPTS_MAX_PARTITIONS)"
        ))
        .at(DIMENSIONS));
    }
    let mut keys = vec![String::new()];
    for values in &per_dimension {
        keys = keys
            .iter()
            .flat_map(|prefix| {
                values.iter().map(move |v| {
                    if prefix.is_empty() {
                        v.clone()
                    } else {
                        format!("{prefix}|{v}")
                    }
                })
            })
            .collect();
    }
    let known: HashSet<&str> = available.keys.iter().map(String::as_str).collect();
    let missing: Vec<&String> = keys
        .iter()
        .filter(|k| !known.contains(k.as_str()))
        .collect();
    if !missing.is_empty() {
        let places: Vec<(usize, &Dimension)> = by_name.values().copied().collect();
        let e = missing_keys(what, &missing).at(first_unknown(&places, available));
        return Err(match days_of_no_daily_dimension(&places, available) {
            Some(hint) => e.with_hint(hint),
            None => e,
        });
    }
    Ok(keys)
}

/// The keys of `range` among `keys` (one dimension's, in Dagster's order):
/// from `start` to `end`, both included. A bound that is not a key is
/// refused at it (`at` is the dimension's pointer), saying how Dagster
/// writes the keys of `whose`: its format `fmt` when Dagster tells it, and
/// its first and last keys.
fn key_range(
    range: &KeyRange,
    keys: &[String],
    whose: &str,
    fmt: Option<&str>,
    at: &str,
) -> Result<Vec<String>, Error> {
    let position = |bound: &str, field: &str| {
        keys.iter().position(|k| k == bound).ok_or_else(|| {
            Error::rejected(format!(
                "`{bound}` is not a partition key of {whose}; {}; nothing was launched",
                written(keys, fmt)
            ))
            .at(format!("{at}/{field}"))
        })
    };
    let first = position(range.start.as_str(), "start")?;
    let last = position(range.end.as_str(), "end")?;
    if last < first {
        return Err(Error::rejected(format!(
            "the range of {whose} ends (`{}`) before it starts (`{}`) in Dagster's order; nothing was launched",
            range.end, range.start
        ))
        .at(format!("{at}/end"))
        .with_hint("swap `start` and `end`; both keys are included"));
    }
    Ok(keys[first..=last].to_vec())
}

/// How Dagster writes a dimension's `keys`, for a message: its format when
/// known, and the first and last key.
fn written(keys: &[String], fmt: Option<&str>) -> String {
    let span = match (keys.first(), keys.last()) {
        (Some(first), Some(last)) => {
            format!("{} keys, from `{first}` to `{last}`", keys.len())
        }
        _ => "no keys".to_owned(),
    };
    match fmt {
        Some(fmt) => format!("Dagster writes its keys in the format `{fmt}` ({span})"),
        None => format!("write `start` and `end` exactly as Dagster writes its keys ({span})"),
    }
}

/// When a `start_date`/`end_date` dimension (of `dims`, with their places,
/// in key order) selects days that dimension does not have because its keys
/// are not one per day (hours, weeks, months, another format): a hint to
/// use `start` and `end` instead, with Dagster's first and last keys.
fn days_of_no_daily_dimension(
    dims: &[(usize, &Dimension)],
    available: &Partitions,
) -> Option<String> {
    dims.iter().enumerate().find_map(|(position, (_, dim))| {
        let Dimension::Dates(range) = dim else {
            return None;
        };
        let keys = all_of(available, position, dims.len());
        let known: HashSet<&str> = keys.iter().map(String::as_str).collect();
        let lacking = range.days().any(|d| !known.contains(d.to_string().as_str()));
        if !lacking || one_per_day(&keys) {
            return None;
        }
        let (first, last) = (keys.first()?, keys.last()?);
        // The keys the days begin with (`2024-01` for `2024-01-01`), if any.
        let begun = |day: Date| {
            let day = day.to_string();
            keys.iter().find(|k| day.starts_with(k.as_str()))
        };
        let (start, end) = match (begun(range.start_date), begun(range.end_date)) {
            (Some(start), Some(end)) => (start, end),
            _ => (first, last),
        };
        Some(format!(
            "the keys of dimension `{}` are not one per day (Dagster's run from `{first}` to `{last}`): select them with `start` and `end` written as Dagster's keys, e.g. `start: '{start}'` and `end: '{end}'`",
            range.name
        ))
    })
}

/// Whether `keys` are consecutive days written YYYY-MM-DD.
fn one_per_day(keys: &[String]) -> bool {
    let days: Option<Vec<Date>> = keys.iter().map(|k| k.parse::<Date>().ok()).collect();
    days.is_some_and(|days| days.windows(2).all(|w| w[0].succ() == w[1]))
}

/// The pointer to the first value of `dims` (with their places in the spec,
/// in key order) that no key of `available` has in that dimension; the
/// dimensions as a whole when each value exists but not their combination.
fn first_unknown(dims: &[(usize, &Dimension)], available: &Partitions) -> String {
    for (position, (i, dim)) in dims.iter().enumerate() {
        let known: HashSet<&str> = available
            .keys
            .iter()
            .filter_map(|k| {
                if dims.len() == 1 {
                    Some(k.as_str())
                } else {
                    k.split('|').nth(position)
                }
            })
            .collect();
        let at = format!("{DIMENSIONS}/{i}");
        match dim {
            Dimension::Values(list) => {
                if let Some(j) = list.values.iter().position(|v| !known.contains(v.as_str())) {
                    return format!("{at}/values/{j}");
                }
            }
            Dimension::Dates(range) => {
                if let Some(day) = range
                    .days()
                    .find(|d| !known.contains(d.to_string().as_str()))
                {
                    let field = if day == range.start_date {
                        "start_date"
                    } else {
                        "end_date"
                    };
                    return format!("{at}/{field}");
                }
            }
            // Every key they select is one of the dimension's.
            Dimension::All(_) | Dimension::Range(_) => {}
        }
    }
    DIMENSIONS.to_owned()
}

/// Where a run's partition is in a spec.
const PARTITION: &str = "/tags/partition";

/// The full key of one partition, checked against `available`.
pub fn one_key(key: &PartitionKey, available: &Partitions, what: &str) -> Result<String, Error> {
    if available.keys.is_empty() {
        return Err(
            Error::rejected(format!("{what} is not partitioned; leave `partition` out"))
                .at(PARTITION),
        );
    }
    let full = match key {
        PartitionKey::Key(k) => k.as_str().to_owned(),
        PartitionKey::PerDimension(map) => {
            let names: Vec<&str> = map.keys().map(|n| n.as_str()).collect();
            if !available.dimensions.is_empty()
                && names
                    != available
                        .dimensions
                        .iter()
                        .map(String::as_str)
                        .collect::<Vec<_>>()
            {
                return Err(Error::rejected(format!(
                    "{what} is partitioned by {}; the spec names {}",
                    available.dimensions.join(", "),
                    names.join(", ")
                ))
                .at(PARTITION));
            }
            map.values()
                .map(|v| v.as_str())
                .collect::<Vec<_>>()
                .join("|")
        }
    };
    if !available.keys.contains(&full) {
        let at = match key {
            PartitionKey::Key(_) => PARTITION.to_owned(),
            PartitionKey::PerDimension(map) => map
                .iter()
                .enumerate()
                .find(|(position, (_, v))| {
                    !available
                        .keys
                        .iter()
                        .any(|k| k.split('|').nth(*position) == Some(v.as_str()))
                })
                .map_or_else(
                    || PARTITION.to_owned(),
                    |(_, (name, _))| push_pointer(PARTITION, name.as_str()),
                ),
        };
        return Err(missing_keys(what, &[&full]).at(at));
    }
    Ok(full)
}

fn missing_keys(what: &str, missing: &[&String]) -> Error {
    let shown: Vec<&str> = missing.iter().take(SHOWN).map(|k| k.as_str()).collect();
    let more = if missing.len() > SHOWN {
        format!(" and {} more", missing.len() - SHOWN)
    } else {
        String::new()
    };
    Error::rejected(format!(
        "{} partition key(s) do not exist in {what}: {}{more}; nothing was launched",
        missing.len(),
        shown.join(", ")
    ))
}

/// The distinct keys of dimension `index` (of `count`), in Dagster's order.
fn all_of(available: &Partitions, index: usize, count: usize) -> Vec<String> {
    let mut seen = HashSet::new();
    let mut out = Vec::new();
    for key in &available.keys {
        let part = if count == 1 {
            Some(key.as_str())
        } else {
            key.split('|').nth(index)
        };
        if let Some(part) = part
            && seen.insert(part)
        {
            out.push(part.to_owned());
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn dims(yaml_json: serde_json::Value) -> Vec<Dimension> {
        serde_json::from_value(yaml_json).unwrap()
    }

    fn lab() -> Partitions {
        let mut keys = Vec::new();
        for day in ["2024-01-30", "2024-01-31", "2024-02-01"] {
            for station in ["NL01497", "NL01912", "NL01913"] {
                keys.push(format!("{day}|{station}"));
            }
        }
        Partitions {
            keys,
            dimensions: vec!["daily".into(), "stations".into()],
            fmt: None,
        }
    }

    /// One dimension with these keys, in this order.
    fn single(keys: &[&str], fmt: Option<&str>) -> Partitions {
        Partitions {
            keys: keys.iter().map(|k| (*k).to_owned()).collect(),
            dimensions: Vec::new(),
            fmt: fmt.map(str::to_owned),
        }
    }

    fn months() -> Partitions {
        let keys: Vec<String> = (2023..=2024)
            .flat_map(|y| (1..=12).map(move |m| format!("{y}-{m:02}")))
            .collect();
        Partitions {
            keys,
            ..Partitions::default()
        }
    }

    #[test]
    fn a_key_range_is_a_slice_of_dagsters_keys_in_its_order() {
        let d =
            dims(serde_json::json!([{ "name": "month", "start": "2023-11", "end": "2024-02" }]));
        assert_eq!(
            select(&d, &months(), "job monthly_job", 100).unwrap(),
            ["2023-11", "2023-12", "2024-01", "2024-02"]
        );
        // Dagster's order, not the keys' text: a format whose text does not sort.
        let odd = single(
            &["31-12-2023", "01-01-2024", "02-01-2024"],
            Some("%d-%m-%Y"),
        );
        let d = dims(
            serde_json::json!([{ "name": "day", "start": "31-12-2023", "end": "01-01-2024" }]),
        );
        assert_eq!(
            select(&d, &odd, "asset x", 100).unwrap(),
            ["31-12-2023", "01-01-2024"]
        );
        // One key: start and end the same.
        let d =
            dims(serde_json::json!([{ "name": "month", "start": "2024-12", "end": "2024-12" }]));
        assert_eq!(select(&d, &months(), "job m", 100).unwrap(), ["2024-12"]);
    }

    #[test]
    fn a_key_range_is_one_dimension_of_a_product() {
        let d = dims(serde_json::json!([
            { "name": "stations", "values": ["NL01913"] },
            { "name": "daily", "start": "2024-01-31", "end": "2024-02-01" },
        ]));
        assert_eq!(
            select(&d, &lab(), "job x", 100).unwrap(),
            ["2024-01-31|NL01913", "2024-02-01|NL01913"]
        );
        let d = dims(serde_json::json!([
            { "name": "stations", "start": "NL01912", "end": "NL01913" },
            { "name": "daily", "start": "2024-02-01", "end": "2024-02-01" },
        ]));
        assert_eq!(
            select(&d, &lab(), "job x", 100).unwrap(),
            ["2024-02-01|NL01912", "2024-02-01|NL01913"]
        );
        // Counted against the cap once resolved.
        let d = dims(serde_json::json!([
            { "name": "daily", "start": "2024-01-30", "end": "2024-02-01" },
            { "name": "stations", "all": true },
        ]));
        let e = select(&d, &lab(), "job x", 8).unwrap_err();
        assert!(e.message.contains("selects 9 partitions"), "{e}");
    }

    #[test]
    fn a_bound_that_is_not_a_key_is_refused_with_how_dagster_writes_keys() {
        let d =
            dims(serde_json::json!([{ "name": "month", "start": "2024-01-01", "end": "2024-03" }]));
        let e = select(&d, &months(), "job monthly_job", 100).unwrap_err();
        assert_eq!(e.cause, crate::resolve::Cause::Rejected);
        assert_eq!(e.pointer.as_deref(), Some("/tags/partitions/0/start"));
        assert_eq!(
            e.message,
            "`2024-01-01` is not a partition key of job monthly_job; write `start` and `end` exactly as Dagster writes its keys (24 keys, from `2023-01` to `2024-12`); nothing was launched"
        );
        let weeks = single(
            &["2024-01-07", "2024-01-14", "2024-01-21"],
            Some("%Y-%m-%d"),
        );
        let d = dims(
            serde_json::json!([{ "name": "week", "start": "2024-01-07", "end": "2024-01-08" }]),
        );
        let e = select(&d, &weeks, "asset warehouse/weekly_report", 100).unwrap_err();
        assert_eq!(e.pointer.as_deref(), Some("/tags/partitions/0/end"));
        assert!(
            e.message.contains(
                "Dagster writes its keys in the format `%Y-%m-%d` (3 keys, from `2024-01-07` to `2024-01-21`)"
            ),
            "{e}"
        );
        // In a product: the dimension is named, at its place in the spec.
        let d = dims(serde_json::json!([
            { "name": "stations", "all": true },
            { "name": "daily", "start": "2024-01-30", "end": "2024-02-30" },
        ]));
        let e = select(&d, &lab(), "job x", 100).unwrap_err();
        assert_eq!(e.pointer.as_deref(), Some("/tags/partitions/1/end"));
        assert!(
            e.message
                .contains("is not a partition key of dimension daily of job x"),
            "{e}"
        );
    }

    #[test]
    fn a_range_that_ends_before_it_starts_is_refused() {
        let d =
            dims(serde_json::json!([{ "name": "month", "start": "2024-02", "end": "2024-01" }]));
        let e = select(&d, &months(), "job m", 100).unwrap_err();
        assert_eq!(e.pointer.as_deref(), Some("/tags/partitions/0/end"));
        assert!(
            e.message
                .contains("ends (`2024-01`) before it starts (`2024-02`)"),
            "{e}"
        );
        assert!(e.hint.is_some());
    }

    #[test]
    fn days_over_keys_that_are_not_days_hint_at_a_key_range() {
        let d = dims(
            serde_json::json!([{ "name": "month", "start_date": "2024-01-01", "end_date": "2024-01-31" }]),
        );
        let e = select(&d, &months(), "job monthly_job", 100).unwrap_err();
        assert!(
            e.message.starts_with("31 partition key(s) do not exist"),
            "{e}"
        );
        assert_eq!(e.pointer.as_deref(), Some("/tags/partitions/0/start_date"));
        assert_eq!(
            e.hint.as_deref(),
            Some(
                "the keys of dimension `month` are not one per day (Dagster's run from `2023-01` to `2024-12`): select them with `start` and `end` written as Dagster's keys, e.g. `start: '2024-01'` and `end: '2024-01'`"
            )
        );
        // Weekly keys are dates, but not every day: the same hint.
        let weeks = single(&["2024-01-07", "2024-01-14"], None);
        let d = dims(
            serde_json::json!([{ "name": "week", "start_date": "2024-01-07", "end_date": "2024-01-14" }]),
        );
        assert!(
            select(&d, &weeks, "asset w", 100)
                .unwrap_err()
                .hint
                .is_some()
        );
        // Days of a daily dimension that Dagster does not have: no such hint.
        let d = dims(serde_json::json!([
            { "name": "daily", "start_date": "2024-02-01", "end_date": "2024-02-02" },
            { "name": "stations", "all": true },
        ]));
        assert_eq!(select(&d, &lab(), "job x", 100).unwrap_err().hint, None);
    }

    #[test]
    fn the_seed_example_selects_four_keys_in_dimension_name_order() {
        let d = dims(serde_json::json!([
            { "name": "stations", "values": ["NL01497", "NL01912"] },
            { "name": "daily", "start_date": "2024-01-31", "end_date": "2024-02-01" },
        ]));
        assert_eq!(
            select(&d, &lab(), "job x", 100_000).unwrap(),
            [
                "2024-01-31|NL01497",
                "2024-01-31|NL01912",
                "2024-02-01|NL01497",
                "2024-02-01|NL01912"
            ]
        );
    }

    #[test]
    fn all_takes_every_key_of_a_dimension() {
        let d = dims(serde_json::json!([
            { "name": "daily", "start_date": "2024-02-01", "end_date": "2024-02-01" },
            { "name": "stations", "all": true },
        ]));
        assert_eq!(
            select(&d, &lab(), "job x", 100_000).unwrap(),
            [
                "2024-02-01|NL01497",
                "2024-02-01|NL01912",
                "2024-02-01|NL01913"
            ]
        );
    }

    #[test]
    fn unknown_keys_and_dimensions_are_refused() {
        let d = dims(serde_json::json!([
            { "name": "daily", "start_date": "2024-02-01", "end_date": "2024-02-02" },
            { "name": "stations", "values": ["NL01497", "NL99999"] },
        ]));
        let e = select(&d, &lab(), "job x", 100_000).unwrap_err();
        assert_eq!(e.cause, crate::resolve::Cause::Rejected);
        // The first value Dagster does not have, in key order: the last day.
        assert_eq!(e.pointer.as_deref(), Some("/tags/partitions/0/end_date"));
        assert!(e.message.starts_with("3 partition key(s)"), "{e}");
        assert!(
            e.message
                .contains("2024-02-01|NL99999, 2024-02-02|NL01497, 2024-02-02|NL99999"),
            "{e}"
        );
        let d = dims(
            serde_json::json!([{ "name": "daily", "start_date": "2024-02-01", "end_date": "2024-02-01" }]),
        );
        assert!(
            select(&d, &lab(), "job x", 100_000)
                .unwrap_err()
                .message
                .contains("partitioned by daily, stations")
        );
        assert!(
            select(&d, &Partitions::default(), "job x", 100_000)
                .unwrap_err()
                .message
                .contains("no partitions")
        );
    }

    #[test]
    fn a_refusal_points_at_the_first_value_dagster_lacks() {
        let pointer = |d: serde_json::Value| {
            select(&dims(d), &lab(), "job x", 100_000)
                .unwrap_err()
                .pointer
        };
        assert_eq!(
            pointer(serde_json::json!([
                { "name": "stations", "values": ["NL01497", "NL99999"] },
                { "name": "daily", "start_date": "2024-01-31", "end_date": "2024-02-01" },
            ]))
            .as_deref(),
            Some("/tags/partitions/0/values/1")
        );
        assert_eq!(
            pointer(serde_json::json!([
                { "name": "daily", "start_date": "2023-12-31", "end_date": "2024-01-31" },
                { "name": "stations", "all": true },
            ]))
            .as_deref(),
            Some("/tags/partitions/0/start_date")
        );
        assert_eq!(
            pointer(serde_json::json!([
                { "name": "daily", "start_date": "2024-01-31", "end_date": "2024-01-31" },
                { "name": "daily", "values": ["x"] },
            ]))
            .as_deref(),
            Some("/tags/partitions/1/name")
        );
        assert_eq!(
            pointer(serde_json::json!([
                { "name": "daily", "start_date": "2024-01-31", "end_date": "2024-01-31" },
            ]))
            .as_deref(),
            Some("/tags/partitions")
        );
        let key: PartitionKey = serde_json::from_value(
            serde_json::json!({ "stations": "NL99999", "daily": "2024-01-31" }),
        )
        .unwrap();
        assert_eq!(
            one_key(&key, &lab(), "job x")
                .unwrap_err()
                .pointer
                .as_deref(),
            Some("/tags/partition/stations")
        );
    }

    #[test]
    fn one_key_joins_dimensions_by_name() {
        let key: PartitionKey = serde_json::from_value(
            serde_json::json!({ "stations": "NL01912", "daily": "2024-01-31" }),
        )
        .unwrap();
        assert_eq!(
            one_key(&key, &lab(), "job x").unwrap(),
            "2024-01-31|NL01912"
        );
        let key: PartitionKey =
            serde_json::from_value(serde_json::json!("2024-01-31|NL99999")).unwrap();
        assert!(one_key(&key, &lab(), "job x").is_err());
    }
}

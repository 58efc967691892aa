//! Partitions: the dimensions a request selects keys in (a date range, a
//! range of Dagster's keys, listed values, or every key), and the one
//! partition of a job run.

use std::collections::BTreeMap;

use schemars::JsonSchema;
use serde::{Deserialize, Deserializer, Serialize};

use super::date::Date;
use super::examples;
use super::fields::{non_empty_map, non_empty_unique};
use super::strict::Strict;
use super::strings::{DimensionName, FullKey, Value};

/// One partition dimension and the keys selected in it.
///
/// Written as a mapping with `name` and exactly one of: `start_date` and
/// `end_date`, `start` and `end`, `values`, or `all: true`.
#[derive(Clone, Debug, PartialEq, Serialize, JsonSchema)]
#[serde(untagged)]
#[schemars(title = "Partition dimension", example = examples::dates())]
pub enum Dimension {
    /// Every day from `start_date` to `end_date`, both included.
    Dates(DateRange),
    /// Every key of the dimension from `start` to `end` in Dagster's order, both included.
    Range(KeyRange),
    /// The listed keys of a static dimension.
    Values(ValueList),
    /// Every key the dimension has in Dagster.
    All(AllKeys),
}

impl Dimension {
    /// The dimension's name.
    pub fn name(&self) -> &DimensionName {
        match self {
            Dimension::Dates(d) => &d.name,
            Dimension::Range(r) => &r.name,
            Dimension::Values(v) => &v.name,
            Dimension::All(a) => &a.name,
        }
    }
}

/// A date range: every day from `start_date` to `end_date`, both included.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
#[schemars(title = "Date range", example = examples::dates())]
pub struct DateRange {
    /// Dimension
    ///
    /// The partition dimension's name in Dagster (a time dimension here).
    #[schemars(example = &"daily")]
    pub name: DimensionName,
    /// First day
    ///
    /// The first day to include, YYYY-MM-DD.
    #[schemars(example = &"2024-01-31")]
    pub start_date: Date,
    /// Last day
    ///
    /// The last day to include, YYYY-MM-DD; not before `start_date`.
    #[schemars(example = &"2024-02-01")]
    pub end_date: Date,
}

impl DateRange {
    /// Number of days in the range (0 when it is reversed).
    pub fn len(&self) -> u64 {
        u64::try_from(self.end_date.ordinal() - self.start_date.ordinal() + 1).unwrap_or(0)
    }

    /// Whether the range selects no day (only when reversed, which `check` rejects).
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Every day of the range, in order.
    pub fn days(&self) -> impl Iterator<Item = Date> + '_ {
        std::iter::successors(Some(self.start_date), |d| Some(d.succ()))
            .take(usize::try_from(self.len()).unwrap_or(usize::MAX))
    }
}

/// A range of a dimension's keys as Dagster writes them: every key from
/// `start` to `end`, in Dagster's order, both included. For time dimensions
/// of any granularity (hourly, weekly, monthly) or key format (`20240131`),
/// which a range of days cannot name; the runner resolves it against the
/// keys Dagster has.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
#[schemars(title = "Key range", example = examples::key_range())]
pub struct KeyRange {
    /// Dimension
    ///
    /// The partition dimension's name in Dagster (a time dimension of any granularity).
    #[schemars(example = &"hourly")]
    pub name: DimensionName,
    /// First key
    ///
    /// The first key to include, written exactly as Dagster writes this dimension's keys: `2024-01-31-00:00` (hourly), `2024-01` (monthly with format `%Y-%m`), `20240131` (daily with format `%Y%m%d`). Quote keys YAML would read as numbers (`'20240131'`).
    #[schemars(example = &"2024-01-31-00:00")]
    pub start: Value,
    /// Last key
    ///
    /// The last key to include, written as Dagster writes it; not before `start` in Dagster's order.
    #[schemars(example = &"2024-01-31-23:00")]
    pub end: Value,
}

/// Listed keys of a static dimension.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
#[schemars(title = "Listed values", example = examples::values())]
pub struct ValueList {
    /// Dimension
    ///
    /// The partition dimension's name in Dagster (a static dimension here).
    #[schemars(example = &"stations")]
    pub name: DimensionName,
    /// Values
    ///
    /// The partition keys to include; each once. Quote keys YAML would read as numbers (`'06310'`).
    #[schemars(length(min = 1), extend("uniqueItems" = true), example = examples::station_values())]
    #[serde(deserialize_with = "non_empty_unique")]
    pub values: Vec<Value>,
}

/// Every key of a dimension, as Dagster knows them when the runner starts.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
#[schemars(title = "All keys", example = examples::all())]
pub struct AllKeys {
    /// Dimension
    ///
    /// The partition dimension's name in Dagster.
    #[schemars(example = &"stations")]
    pub name: DimensionName,
    /// All keys
    ///
    /// `true`: select every key the dimension has.
    #[schemars(example = &true)]
    pub all: True,
}

/// The literal `true`: `all: false` would mean nothing, so it is an error.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct True;

impl Serialize for True {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_bool(true)
    }
}

impl<'de> Deserialize<'de> for True {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<True, D::Error> {
        if bool::deserialize(d)? {
            Ok(True)
        } else {
            Err(serde::de::Error::custom(
                "`all` can only be `true`; list `values` instead",
            ))
        }
    }
}

impl JsonSchema for True {
    fn schema_name() -> std::borrow::Cow<'static, str> {
        "True".into()
    }

    fn json_schema(_: &mut schemars::SchemaGenerator) -> schemars::Schema {
        schemars::json_schema!({ "const": true })
    }
}

/// The one partition of a job run: a key, or a key per dimension.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(untagged)]
pub enum PartitionKey {
    /// The partition key as Dagster shows it (`2024-01-31`, or `2024-01-31|NL01497` for several dimensions).
    Key(FullKey),
    /// A key per dimension; the runner joins them in dimension-name order with `|`.
    #[schemars(extend("minProperties" = 1))]
    PerDimension(#[serde(deserialize_with = "non_empty_map")] BTreeMap<DimensionName, Value>),
}

impl<'de> Deserialize<'de> for Dimension {
    /// Picks the form by its keys, for the same reason as [`Spec`](super::Spec)'s dispatch.
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Dimension, D::Error> {
        use serde::de::Error;
        let value = serde_json::Value::deserialize(d)?;
        let has = |k: &str| value.get(k).is_some();
        let dim = if has("values") {
            ValueList::deserialize(Strict(&value)).map(Dimension::Values)
        } else if has("all") {
            AllKeys::deserialize(Strict(&value)).map(Dimension::All)
        } else if has("start") || has("end") {
            KeyRange::deserialize(Strict(&value)).map(Dimension::Range)
        } else {
            DateRange::deserialize(Strict(&value)).map(Dimension::Dates)
        };
        dim.map_err(D::Error::custom)
    }
}

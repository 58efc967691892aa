//! How the model reads its fields: an optional field is absent or holds a
//! value (never null), and a list or mapping is never empty.

use std::collections::BTreeMap;

use serde::{Deserialize, Deserializer};

/// Reads an optional field that, when present, must hold a value (not null).
pub(super) fn present<'de, D: Deserializer<'de>, T: Deserialize<'de>>(
    d: D,
) -> Result<Option<T>, D::Error> {
    T::deserialize(d).map(Some)
}

/// Reads a list that must have at least one item.
pub(super) fn non_empty<'de, D: Deserializer<'de>, T: Deserialize<'de>>(
    d: D,
) -> Result<Vec<T>, D::Error> {
    let items = Vec::<T>::deserialize(d)?;
    if items.is_empty() {
        return Err(serde::de::Error::invalid_length(0, &"at least one item"));
    }
    Ok(items)
}

/// Reads a list that must have at least one item and no item twice.
pub(super) fn non_empty_unique<'de, D, T>(d: D) -> Result<Vec<T>, D::Error>
where
    D: Deserializer<'de>,
    T: Deserialize<'de> + PartialEq + std::fmt::Display,
{
    let items = non_empty::<D, T>(d)?;
    if let Some((i, item)) = items
        .iter()
        .enumerate()
        .find(|(i, item)| items[..*i].contains(item))
    {
        return Err(serde::de::Error::custom(format!(
            "`{item}` is listed twice (item {})",
            i + 1
        )));
    }
    Ok(items)
}

/// Reads an optional list that, when present, has at least one item and no item twice.
pub(super) fn present_unique<'de, D, T>(d: D) -> Result<Option<Vec<T>>, D::Error>
where
    D: Deserializer<'de>,
    T: Deserialize<'de> + PartialEq + std::fmt::Display,
{
    non_empty_unique(d).map(Some)
}

/// Reads a mapping that must have at least one entry.
pub(super) fn non_empty_map<'de, D, K, V>(d: D) -> Result<BTreeMap<K, V>, D::Error>
where
    D: Deserializer<'de>,
    K: Deserialize<'de> + Ord,
    V: Deserialize<'de>,
{
    let map = BTreeMap::<K, V>::deserialize(d)?;
    if map.is_empty() {
        return Err(serde::de::Error::invalid_length(
            0,
            &"at least one dimension",
        ));
    }
    Ok(map)
}

//! Serde helpers that reproduce the JSON conventions of the reference (Go's `encoding/json`).
//!
//! - Go's `omitempty` leaves out zero values; [`is_default`] is the matching `skip_serializing_if`.
//! - Go writes a nil slice or map that has no `omitempty` as `null`, and reads `null` into any slice, map or
//!   pointer as "empty"; [`nullable`] accepts `null` wherever a collection is expected.

use serde::{Deserialize, Deserializer};

/// `skip_serializing_if` predicate: true for the type's zero value (`0`, `false`, `""`).
pub(crate) fn is_default<T: Default + PartialEq>(value: &T) -> bool {
    *value == T::default()
}

/// `deserialize_with` helper: reads `null` as the type's default (an empty list or map).
pub(crate) fn nullable<'de, D, T>(deserializer: D) -> Result<T, D::Error>
where
    D: Deserializer<'de>,
    T: Deserialize<'de> + Default,
{
    Ok(Option::<T>::deserialize(deserializer)?.unwrap_or_default())
}

//! `git2::Oid` as its hex string in serde formats (`#[serde(with = "oid_serde")]`), for data
//! about revisions that outlives the process (the caches' saved indexes).

use git2::Oid;
use serde::{Deserialize, Deserializer, Serializer, de};

/// Writes `oid` as 40 hex digits.
pub(crate) fn serialize<S: Serializer>(oid: &Oid, serializer: S) -> Result<S::Ok, S::Error> {
    serializer.collect_str(oid)
}

/// Reads an oid from its hex digits.
pub(crate) fn deserialize<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Oid, D::Error> {
    let text = std::borrow::Cow::<str>::deserialize(deserializer)?;
    Oid::from_str(&text).map_err(de::Error::custom)
}

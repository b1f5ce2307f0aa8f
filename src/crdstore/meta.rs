//! Helpers over an object's JSON `metadata`, timestamps and generated names.

use std::time::{SystemTime, UNIX_EPOCH};

use serde_json::{Map, Value};

/// `obj.metadata` as a map, if present.
pub(crate) fn meta(obj: &Value) -> Option<&Map<String, Value>> {
    obj.get("metadata").and_then(Value::as_object)
}

/// `obj.metadata`, created (replacing a non-object) when missing. `obj` must be an object.
pub(crate) fn meta_mut(obj: &mut Value) -> &mut Map<String, Value> {
    let map = obj.as_object_mut().expect("objects are JSON objects");
    let m = map.entry("metadata").or_insert_with(|| Value::Object(Map::new()));
    if !m.is_object() {
        *m = Value::Object(Map::new());
    }
    m.as_object_mut().expect("just made an object")
}

/// A string field of `metadata` (`None` when absent, empty or not a string).
pub(crate) fn meta_str<'a>(obj: &'a Value, field: &str) -> Option<&'a str> {
    meta(obj).and_then(|m| m.get(field)).and_then(Value::as_str).filter(|s| !s.is_empty())
}

/// `metadata.name`, or `""`.
pub(crate) fn name(obj: &Value) -> &str {
    meta_str(obj, "name").unwrap_or("")
}

/// `metadata.namespace`, or `""`.
pub(crate) fn namespace(obj: &Value) -> &str {
    meta_str(obj, "namespace").unwrap_or("")
}

/// Sets `metadata.resourceVersion`.
pub(crate) fn set_resource_version(obj: &mut Value, rv: u64) {
    meta_mut(obj).insert("resourceVersion".into(), Value::String(rv.to_string()));
}

/// Whether `metadata.finalizers` is a non-empty list.
pub(crate) fn has_finalizers(obj: &Value) -> bool {
    meta(obj).and_then(|m| m.get("finalizers")).and_then(Value::as_array).is_some_and(|f| !f.is_empty())
}

/// Whether `metadata.deletionTimestamp` is set (the object is terminating).
pub(crate) fn is_terminating(obj: &Value) -> bool {
    meta_str(obj, "deletionTimestamp").is_some()
}

/// `obj` without `metadata` and `status`: what a change to bumps `metadata.generation`.
pub(crate) fn spec_part(obj: &Value) -> Map<String, Value> {
    let mut m = obj.as_object().cloned().unwrap_or_default();
    m.remove("metadata");
    m.remove("status");
    m.remove("apiVersion");
    m.remove("kind");
    m
}

/// The current time as RFC 3339 with second precision, e.g. `2026-11-25T10:00:00Z`.
pub(crate) fn now_rfc3339() -> String {
    let secs = SystemTime::now().duration_since(UNIX_EPOCH).map(|d| d.as_secs()).unwrap_or(0);
    rfc3339(secs)
}

/// Formats seconds since the epoch (UTC) as RFC 3339 (civil-from-days, H. Hinnant).
fn rfc3339(secs: u64) -> String {
    let days = (secs / 86_400) as i64;
    let rem = secs % 86_400;
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1_460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    format!("{year:04}-{month:02}-{day:02}T{:02}:{:02}:{:02}Z", rem / 3_600, (rem % 3_600) / 60, rem % 60)
}

/// Five random characters from kube-apiserver's `generateName` alphabet.
pub(crate) fn random_suffix() -> String {
    const ALPHABET: &[u8] = b"bcdfghjklmnpqrstvwxz2456789";
    let bytes = uuid::Uuid::new_v4().into_bytes();
    bytes[..5].iter().map(|b| ALPHABET[usize::from(*b) % ALPHABET.len()] as char).collect()
}

/// A fresh `metadata.uid`.
pub(crate) fn new_uid() -> String {
    uuid::Uuid::new_v4().to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn timestamps_are_rfc3339_seconds() {
        assert_eq!(rfc3339(0), "1970-01-01T00:00:00Z");
        assert_eq!(rfc3339(1_795_600_800), "2026-11-25T10:00:00Z");
        assert_eq!(rfc3339(951_782_400), "2000-02-29T00:00:00Z");
        assert_eq!(now_rfc3339().len(), 20);
    }

    #[test]
    fn suffixes_use_the_generate_name_alphabet() {
        let s = random_suffix();
        assert_eq!(s.len(), 5);
        assert!(s.chars().all(|c| "bcdfghjklmnpqrstvwxz2456789".contains(c)));
    }

    #[test]
    fn metadata_accessors() {
        let mut o =
            serde_json::json!({"metadata": {"name": "a", "finalizers": ["x"]}, "spec": {}, "status": 1});
        assert_eq!(name(&o), "a");
        assert_eq!(namespace(&o), "");
        assert!(has_finalizers(&o));
        assert!(!is_terminating(&o));
        set_resource_version(&mut o, 7);
        assert_eq!(meta_str(&o, "resourceVersion"), Some("7"));
        assert_eq!(spec_part(&o).keys().collect::<Vec<_>>(), ["spec"]);
    }
}

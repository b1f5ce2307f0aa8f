//! Validation ratcheting (kube-apiserver's `CRDValidationRatcheting`, on by default since 1.30):
//! an update is not refused for a field that was already invalid and that the update leaves
//! unchanged. Without it, an object stored before a rule existed (or before the server checked
//! types at all) could never be updated — not even its status, nor its finalizers removed — until
//! someone fixed it by hand.
//!
//! A cause of the new object is dropped when the old object fails with the same cause and the
//! value at the cause's field is the same in both. A cause whose field cannot be found in the
//! objects (a path with no field, `<nil>`) is dropped only when the old object fails with it too
//! and the two objects are equal there at the root, i.e. never for a real change.

use serde_json::Value;

use crate::status::FieldCause;

/// The causes of `new` that `old` does not already have at the same, unchanged value.
///
/// **Mutates:** nothing.
pub fn ratchet(
    new_causes: Vec<FieldCause>,
    old_causes: &[FieldCause],
    new: &Value,
    old: &Value,
) -> Vec<FieldCause> {
    new_causes
        .into_iter()
        .filter(|cause| {
            if !old_causes.contains(cause) {
                return true;
            }
            let unchanged = match (value_at_field(new, &cause.field), value_at_field(old, &cause.field)) {
                (Some(a), Some(b)) => a == b,
                (None, None) => field_is_absent(new, &cause.field) && field_is_absent(old, &cause.field),
                _ => false,
            };
            !unchanged
        })
        .collect()
}

/// Whether `field` can be followed up to its last segment in `value` (so its value is just
/// absent there, as for a `Required value`), rather than being a path that names nothing.
fn field_is_absent(value: &Value, field: &str) -> bool {
    let segments = segments(field);
    let Some((_, parents)) = segments.split_last() else { return value == &Value::Null };
    walk(value, parents).is_some()
}

/// The value at a field path as causes name it: `spec.git.repo`, `metadata.ownerReferences[0].uid`,
/// `data[tls.crt]` (map keys in brackets may hold dots). `None` when the path leads nowhere.
pub(super) fn value_at_field<'a>(value: &'a Value, field: &str) -> Option<&'a Value> {
    if field.is_empty() || field == "<nil>" {
        return None;
    }
    walk(value, &segments(field))
}

fn walk<'a>(mut value: &'a Value, segments: &[Segment<'_>]) -> Option<&'a Value> {
    for segment in segments {
        value = match (segment, value) {
            (Segment::Key(k), Value::Object(map)) => map.get(*k)?,
            (Segment::Index(k), Value::Array(items)) => items.get(k.parse::<usize>().ok()?)?,
            (Segment::Index(k), Value::Object(map)) => map.get(*k)?,
            _ => return None,
        };
    }
    Some(value)
}

/// One step of a field path: a `.name` or a `[index or key]`.
#[derive(Debug, PartialEq)]
enum Segment<'a> {
    Key(&'a str),
    Index(&'a str),
}

fn segments(field: &str) -> Vec<Segment<'_>> {
    let mut out = Vec::new();
    let mut rest = field;
    while !rest.is_empty() {
        if let Some(inner) = rest.strip_prefix('[') {
            let Some(end) = inner.find(']') else {
                out.push(Segment::Key(rest));
                break;
            };
            out.push(Segment::Index(&inner[..end]));
            rest = &inner[end + 1..];
        } else {
            let rest_trimmed = rest.strip_prefix('.').unwrap_or(rest);
            let end = rest_trimmed.find(['.', '[']).unwrap_or(rest_trimmed.len());
            out.push(Segment::Key(&rest_trimmed[..end]));
            rest = &rest_trimmed[end..];
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;
    use crate::status::CauseReason;

    #[test]
    fn field_paths_are_followed_through_keys_indexes_and_bracketed_keys() {
        let obj = json!({"spec": {"git": {"repo": "u"}}, "metadata": {"ownerReferences": [{"uid": "x"}]},
                         "data": {"tls.crt": "c"}});
        assert_eq!(value_at_field(&obj, "spec.git.repo"), Some(&json!("u")));
        assert_eq!(value_at_field(&obj, "metadata.ownerReferences[0].uid"), Some(&json!("x")));
        assert_eq!(value_at_field(&obj, "data[tls.crt]"), Some(&json!("c")));
        assert_eq!(value_at_field(&obj, "metadata.ownerReferences[1].uid"), None);
        assert_eq!(value_at_field(&obj, "<nil>"), None);
    }

    fn bad(field: &str) -> FieldCause {
        FieldCause::new(field, CauseReason::FieldValueInvalid, "must be of type boolean")
    }

    #[test]
    fn an_unchanged_invalid_field_is_let_through_a_changed_or_new_one_is_not() {
        let old = json!({"spec": {"deployment": "yes", "description": 5}});
        let old_causes = [bad("spec.deployment"), bad("spec.description")];
        let unchanged = json!({"spec": {"deployment": "yes", "description": 5}, "status": {"x": 1}});
        assert!(ratchet(old_causes.to_vec(), &old_causes, &unchanged, &old).is_empty());
        let changed = json!({"spec": {"deployment": "no", "description": 5}});
        assert_eq!(ratchet(old_causes.to_vec(), &old_causes, &changed, &old), [bad("spec.deployment")]);
        let new_cause = [bad("spec.git.branch")];
        assert_eq!(ratchet(new_cause.to_vec(), &old_causes, &unchanged, &old), new_cause);
    }

    #[test]
    fn a_missing_required_field_ratchets_only_while_it_stays_missing_at_the_same_place() {
        let required = FieldCause::required("spec.git.repo", "");
        let old = json!({"spec": {"git": {}}});
        assert!(
            ratchet(vec![required.clone()], std::slice::from_ref(&required), &old.clone(), &old).is_empty()
        );
        let moved = json!({"spec": {}});
        assert_eq!(
            ratchet(vec![required.clone()], std::slice::from_ref(&required), &moved, &old),
            [required]
        );
    }
}

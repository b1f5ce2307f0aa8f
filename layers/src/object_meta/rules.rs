//! The ObjectMeta rules themselves, over a read-only view of `metadata`.

use serde_json::{Map, Value};

use super::TOTAL_ANNOTATION_SIZE_LIMIT;
use super::names::{self, NameRule};
use crate::status::{CauseReason, FieldCause};

/// Finalizers that cannot be set together.
const ORPHAN: &str = "orphan";
const FOREGROUND: &str = "foregroundDeletion";

/// A read-only view of an object's `metadata`; ill-typed fields read as absent.
pub(super) struct Meta<'a> {
    map: Option<&'a Map<String, Value>>,
}

impl<'a> Meta<'a> {
    pub(super) fn of(obj: &'a Value) -> Self {
        Self { map: obj.get("metadata").and_then(Value::as_object) }
    }

    fn get(&self, key: &str) -> Option<&'a Value> {
        self.map.and_then(|m| m.get(key))
    }

    fn str(&self, key: &str) -> &'a str {
        self.get(key).and_then(Value::as_str).unwrap_or("")
    }

    /// The string entries of a map field (labels, annotations), in document order.
    fn strings(&self, key: &str) -> Vec<(&'a str, &'a str)> {
        let Some(Value::Object(m)) = self.get(key) else { return Vec::new() };
        m.iter().filter_map(|(k, v)| v.as_str().map(|v| (k.as_str(), v))).collect()
    }

    fn list(&self, key: &str) -> &'a [Value] {
        self.get(key).and_then(Value::as_array).map_or(&[], Vec::as_slice)
    }

    fn finalizers(&self) -> Vec<&'a str> {
        self.list("finalizers").iter().filter_map(Value::as_str).collect()
    }
}

/// `ValidateObjectMetaAccessor`.
pub(super) fn create(meta: &Meta<'_>, namespaced: bool, name_rule: NameRule) -> Vec<FieldCause> {
    let mut causes = Vec::new();
    let generate_name = meta.str("generateName");
    if !generate_name.is_empty() {
        for msg in name_rule(generate_name, true) {
            causes.push(FieldCause::invalid_value("metadata.generateName", generate_name, &msg));
        }
    }
    let name = meta.str("name");
    if name.is_empty() {
        causes.push(FieldCause::required("metadata.name", "name or generateName is required"));
    } else {
        for msg in name_rule(name, false) {
            causes.push(FieldCause::invalid_value("metadata.name", name, &msg));
        }
    }
    let namespace = meta.str("namespace");
    if namespaced {
        if namespace.is_empty() {
            causes.push(FieldCause::required("metadata.namespace", ""));
        } else {
            for msg in names::dns1123_label(namespace) {
                causes.push(FieldCause::invalid_value("metadata.namespace", namespace, &msg));
            }
        }
    } else if !namespace.is_empty() {
        causes.push(FieldCause::forbidden("metadata.namespace", "not allowed on this type"));
    }
    if let Some(generation) = meta.get("generation").filter(|g| g.as_f64().is_some_and(|g| g < 0.0)) {
        causes.push(FieldCause::with_value(
            "metadata.generation",
            CauseReason::FieldValueInvalid,
            generation,
            "must be greater than or equal to 0",
        ));
    }
    causes.extend(labels(meta));
    causes.extend(annotations(meta));
    causes.extend(owner_references(meta));
    causes.extend(finalizers(meta));
    causes.extend(managed_fields(meta));
    causes
}

/// `ValidateObjectMetaAccessorUpdate`, less what storage owns (resourceVersion, generation and
/// the immutable system fields are taken from the stored object).
pub(super) fn update(new: &Meta<'_>, old: &Meta<'_>) -> Vec<FieldCause> {
    let mut causes = Vec::new();
    if !old.str("deletionTimestamp").is_empty() {
        let before = old.finalizers();
        let mut added: Vec<&str> = new.finalizers().into_iter().filter(|f| !before.contains(f)).collect();
        added.sort_unstable();
        added.dedup();
        if !added.is_empty() {
            let list: Vec<String> = added.iter().map(|f| format!("{f:?}")).collect();
            causes.push(FieldCause::forbidden(
                "metadata.finalizers",
                format!(
                    "no new finalizers can be added if the object is being deleted, found new finalizers []string{{{}}}",
                    list.join(", ")
                ),
            ));
        }
    }
    causes.extend(labels(new));
    causes.extend(annotations(new));
    causes.extend(owner_references(new));
    causes.extend(managed_fields(new));
    causes
}

/// Keys are qualified names, values label values (`ValidateLabels`).
fn labels(meta: &Meta<'_>) -> Vec<FieldCause> {
    let mut causes = Vec::new();
    for (key, value) in meta.strings("labels") {
        for msg in names::qualified_name(key) {
            causes.push(FieldCause::invalid_value("metadata.labels", key, &msg));
        }
        for msg in names::label_value(value) {
            causes.push(FieldCause::invalid_value("metadata.labels", value, &msg));
        }
    }
    causes
}

/// Keys are qualified names (case aside); keys and values total at most 256 KiB
/// (`ValidateAnnotations`).
fn annotations(meta: &Meta<'_>) -> Vec<FieldCause> {
    let mut causes = Vec::new();
    let entries = meta.strings("annotations");
    for (key, _) in &entries {
        for msg in names::qualified_name(&key.to_lowercase()) {
            causes.push(FieldCause::invalid_value("metadata.annotations", key, &msg));
        }
    }
    let total: usize = entries.iter().map(|(k, v)| k.len() + v.len()).sum();
    if total > TOTAL_ANNOTATION_SIZE_LIMIT {
        causes.push(FieldCause::new(
            "metadata.annotations",
            CauseReason::FieldValueTooLong,
            format!("must have at most {TOTAL_ANNOTATION_SIZE_LIMIT} bytes"),
        ));
    }
    causes
}

/// The version part of an `apiVersion` (`schema.ParseGroupVersion`; more than one `/` is an
/// error and leaves no version).
fn version_of(api_version: &str) -> (&str, &str) {
    match api_version.split('/').collect::<Vec<_>>().as_slice() {
        [version] => ("", version),
        [group, version] => (group, version),
        _ => ("", ""),
    }
}

/// `ValidateOwnerReferences`: apiVersion (with a version), kind, name and uid are required;
/// Events cannot own; at most one controller.
fn owner_references(meta: &Meta<'_>) -> Vec<FieldCause> {
    let mut causes = Vec::new();
    let refs = meta.list("ownerReferences");
    let mut controller: Option<String> = None;
    for owner in refs {
        let text = |key: &str| owner.get(key).and_then(Value::as_str).unwrap_or("");
        let (api_version, kind) = (text("apiVersion"), text("kind"));
        let (group, version) = version_of(api_version);
        if version.is_empty() {
            causes.push(FieldCause::invalid_value(
                "metadata.ownerReferences.apiVersion",
                api_version,
                "version must not be empty",
            ));
        }
        for field in ["kind", "name", "uid"] {
            if text(field).is_empty() {
                causes.push(FieldCause::invalid_value(
                    format!("metadata.ownerReferences.{field}"),
                    "",
                    "must not be empty",
                ));
            }
        }
        if group.is_empty() && version == "v1" && kind == "Event" {
            causes.push(FieldCause::with_value(
                "metadata.ownerReferences",
                CauseReason::FieldValueInvalid,
                owner,
                "/v1, Kind=Event is disallowed from being an owner",
            ));
        }
        if owner.get("controller") == Some(&Value::Bool(true)) {
            let this = format!("{kind}/{}", text("name"));
            match &controller {
                Some(first) => causes.push(FieldCause::with_value(
                    "metadata.ownerReferences",
                    CauseReason::FieldValueInvalid,
                    &Value::from(refs.to_vec()),
                    &format!(
                        "Only one reference can have Controller set to true. Found \"true\" in references for {first} and {this}"
                    ),
                )),
                None => controller = Some(this),
            }
        }
    }
    causes
}

/// Finalizers are qualified names; `orphan` and `foregroundDeletion` exclude each other
/// (`ValidateFinalizers`).
fn finalizers(meta: &Meta<'_>) -> Vec<FieldCause> {
    let mut causes = Vec::new();
    let list = meta.finalizers();
    for finalizer in &list {
        for msg in names::qualified_name(finalizer) {
            causes.push(FieldCause::invalid_value("metadata.finalizers", finalizer, &msg));
        }
    }
    if list.contains(&ORPHAN) && list.contains(&FOREGROUND) {
        causes.push(FieldCause::with_value(
            "metadata.finalizers",
            CauseReason::FieldValueInvalid,
            &Value::from(list.clone()),
            &format!("finalizer {ORPHAN} and {FOREGROUND} cannot be both set"),
        ));
    }
    causes
}

/// Each entry's operation is `Apply` or `Update`, its fieldsType `FieldsV1` when set
/// (`ValidateManagedFields`).
fn managed_fields(meta: &Meta<'_>) -> Vec<FieldCause> {
    let mut causes = Vec::new();
    for (i, entry) in meta.list("managedFields").iter().enumerate() {
        let text = |key: &str| entry.get(key).and_then(Value::as_str).unwrap_or("");
        let operation = text("operation");
        if !matches!(operation, "Apply" | "Update") {
            causes.push(FieldCause::invalid_value(
                format!("metadata.managedFields[{i}].operation"),
                operation,
                "must be `Apply` or `Update`",
            ));
        }
        let fields_type = text("fieldsType");
        if !fields_type.is_empty() && fields_type != "FieldsV1" {
            causes.push(FieldCause::invalid_value(
                format!("metadata.managedFields[{i}].fieldsType"),
                fields_type,
                "must be `FieldsV1`",
            ));
        }
    }
    causes
}

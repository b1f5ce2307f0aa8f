//! Per-kind strategies — one [`porch_layers::Strategy`] per kind, the trait every served
//! resource implements (apiserver `rest.RESTCreateStrategy` / `RESTUpdateStrategy` /
//! `TableConvertor`) — the kinds' structural schemas ([`schema`]) and the order the store checks
//! objects in.
//!
//! The strategies answer [`applied_by_storage`](porch_layers::Strategy::applied_by_storage):
//! the store applies them itself, under its writer lock, so that an update is admitted and
//! validated against the exact object it replaces; the request stack's write layers leave them
//! alone, and use them only for Table conversion. For every write the store runs, in
//! apiserver's order:
//!
//! 1. [`decode`] on the incoming object: the `null`s the kind's schema does not allow are
//!    dropped, and what decoding the request checks is checked — the whole object for the
//!    built-in kinds, `metadata` (against ObjectMeta) for custom resources — before system fields
//!    are set or copied and before `prepare_*` normalizes, so that e.g. a numeric
//!    `metadata.resourceVersion` or Secret `type` is refused rather than overwritten;
//! 2. `prepare_for_create` (or `prepare_for_update`), which may mutate (defaults, normal forms);
//! 3. [`validate_create`] / [`validate_update`] / [`validate_status_update`]: the whole object
//!    against the kind's schema — `spec.deployment: Invalid value: "string": spec.deployment in
//!    body must be of type boolean: "string"` — then the kind's own `validate` (which never
//!    mutates); for the built-in kinds a schema failure stops there (decoding a built-in type
//!    fails as a whole), for custom resources the kind's causes are added (kube-apiserver reports
//!    schema and CEL failures together). Last, the common ObjectMeta rules of
//!    [`porch_layers::object_meta`]: on create only if everything else passed (apiserver's
//!    `BeforeCreate`, "so that specific error messages are shown"), on update together with the
//!    kind's `validate_update` (`BeforeUpdate`).
//!
//! Generic concerns (system metadata, status isolation, generation) are the store's, not the strategies'.

mod functionconfig;
mod namespace;
mod packagerev;
mod repository;
mod schema;
mod secret;

use porch_layers::object_meta;
use porch_layers::{FieldCause, RequestContext, Strategy, Verb};
use serde_json::Value;
use std::sync::Arc;

use super::StoredKind;

/// The identity of a stored kind's strategy: group, kind and resource from [`StoredKind`],
/// scope, the name rule kube-apiserver has for the kind, and [`Strategy::applied_by_storage`] (the store applies it).
macro_rules! stored_kind_identity {
    ($kind:expr, $name_rule:expr) => {
        fn group(&self) -> &str {
            $kind.group()
        }

        fn kind(&self) -> &str {
            $kind.kind()
        }

        fn resource(&self) -> &str {
            $kind.plural()
        }

        fn namespace_scoped(&self) -> bool {
            $kind.namespaced()
        }

        fn name_rule(&self) -> porch_layers::object_meta::NameRule {
            $name_rule
        }

        /// The store applies this strategy in its write transaction.
        fn applied_by_storage(&self) -> bool {
            true
        }
    };
}
use stored_kind_identity;

/// The strategy of `kind`.
pub(crate) fn for_kind(kind: StoredKind) -> &'static dyn Strategy {
    match kind {
        StoredKind::Repository => &repository::RepositoryStrategy,
        StoredKind::PackageRev => &packagerev::PackageRevStrategy,
        StoredKind::FunctionConfig => &functionconfig::FunctionConfigStrategy,
        StoredKind::Secret => &secret::SecretStrategy,
        StoredKind::Namespace => &namespace::NamespaceStrategy,
    }
}

impl StoredKind {
    /// The kind's strategy, shared, for the request stack (Table conversion; the store applies
    /// the rest itself).
    pub(crate) fn strategy(self) -> Arc<dyn Strategy> {
        match self {
            StoredKind::Repository => Arc::new(repository::RepositoryStrategy),
            StoredKind::PackageRev => Arc::new(packagerev::PackageRevStrategy),
            StoredKind::FunctionConfig => Arc::new(functionconfig::FunctionConfigStrategy),
            StoredKind::Secret => Arc::new(secret::SecretStrategy),
            StoredKind::Namespace => Arc::new(namespace::NamespaceStrategy),
        }
    }
}

/// The context the store calls its strategies with: the verb of the write. (The stored kinds'
/// rules depend on nothing else of the request.)
pub(crate) fn context(verb: Verb) -> RequestContext {
    RequestContext::new(verb)
}

/// `Invalid value: "<value>": <detail>` for a string value, as apimachinery words it.
pub(crate) fn invalid_value(field: &str, value: &str, detail: &str) -> FieldCause {
    FieldCause::invalid_value(field, value, detail)
}

/// Step 1: drops the `null`s `kind`'s schema does not allow, then returns the type errors
/// decoding finds: of the whole object for a built-in kind (Go decodes it into its type), of
/// `metadata` for a custom resource (its schema is checked after `prepare_for_*`, which drops
/// `status` on create, as kube-apiserver does).
///
/// **Mutates:** `obj` (nulls only).
pub(crate) fn decode(kind: StoredKind, obj: &mut Value) -> Vec<FieldCause> {
    let schema = schema::of(kind);
    schema.drop_nulls(obj);
    if is_custom(kind) { object_meta::check_types(obj) } else { schema.validate(obj) }
}

/// Step 1 of an update of `old`: as [`decode`], except for what `old` already failed with at a
/// field the update leaves unchanged (validation ratcheting, see
/// [`porch_layers::schema::ratchet`]), so that an object stored before the server checked types
/// can still get its status written and its finalizers removed.
///
/// **Mutates:** `new` (nulls only).
pub(crate) fn decode_update(kind: StoredKind, new: &mut Value, old: &Value) -> Vec<FieldCause> {
    let causes = decode(kind, new);
    if causes.is_empty() {
        return causes;
    }
    let old_causes = decode(kind, &mut old.clone());
    porch_layers::schema::ratchet(causes, &old_causes, new, old)
}

/// Whether `kind` is a custom resource (served from a CRD) rather than a built-in type.
fn is_custom(kind: StoredKind) -> bool {
    !kind.group().is_empty()
}

/// The kind's schema causes, then its own (a built-in kind's own only when the schema passed;
/// a custom resource's own when not already reported by the schema).
fn with_schema(
    kind: StoredKind,
    obj: &Value,
    old: Option<&Value>,
    own: impl FnOnce() -> Vec<FieldCause>,
) -> Vec<FieldCause> {
    let schema = schema::of(kind);
    let mut causes = match old {
        Some(old) => schema.validate_update(obj, old),
        None => schema.validate(obj),
    };
    if causes.is_empty() {
        return own();
    }
    if is_custom(kind) {
        for cause in own() {
            if !causes.contains(&cause) {
                causes.push(cause);
            }
        }
    }
    causes
}

/// Step 3 of a create: schema, the kind's `validate`, and only then the ObjectMeta rules.
pub(crate) fn validate_create(kind: StoredKind, obj: &Value) -> Vec<FieldCause> {
    let causes = with_schema(kind, obj, None, || for_kind(kind).validate(&context(Verb::Create), obj));
    if !causes.is_empty() {
        return causes;
    }
    let strategy = for_kind(kind);
    object_meta::validate_create(obj, strategy.namespace_scoped(), strategy.name_rule())
}

/// Step 3 of an update of `old`: schema (ratcheted: what `old` already failed with at an
/// unchanged field is let through), then the ObjectMeta update rules with the kind's
/// `validate_update`.
pub(crate) fn validate_update(kind: StoredKind, new: &Value, old: &Value) -> Vec<FieldCause> {
    with_schema(kind, new, Some(old), || {
        let mut causes = object_meta::validate_update(new, old);
        causes.extend(for_kind(kind).validate_update(&context(Verb::Update), new, old));
        causes
    })
}

/// Step 3 of a status update of `old`: the whole object against the schema (only `status`
/// changed), ratcheted as updates are.
pub(crate) fn validate_status_update(kind: StoredKind, new: &Value, old: &Value) -> Vec<FieldCause> {
    schema::of(kind).validate_update(new, old)
}

/// The string at a `.`-separated path (`None` when absent or not a string).
pub(crate) fn str_at<'a>(obj: &'a Value, path: &str) -> Option<&'a str> {
    value_at(obj, path).and_then(Value::as_str)
}

/// The value at a `.`-separated path.
pub(crate) fn value_at<'a>(obj: &'a Value, path: &str) -> Option<&'a Value> {
    path.split('.').try_fold(obj, |v, seg| v.get(seg))
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn texts(causes: Vec<FieldCause>) -> Vec<String> {
        causes.iter().map(ToString::to_string).collect()
    }

    #[test]
    fn decode_drops_disallowed_nulls_and_type_checks_what_decoding_would() {
        let mut obj = json!({"metadata": {"name": "s", "labels": null, "resourceVersion": 5}, "type": null,
                             "immutable": "yes"});
        let causes = decode(StoredKind::Secret, &mut obj);
        assert_eq!(obj, json!({"metadata": {"name": "s", "resourceVersion": 5}, "immutable": "yes"}));
        assert_eq!(
            texts(causes),
            [
                "metadata.resourceVersion: Invalid value: \"integer\": metadata.resourceVersion in body must be of type string: \"integer\"",
                "immutable: Invalid value: \"string\": immutable in body must be of type boolean: \"string\"",
            ]
        );
        let mut repo =
            json!({"metadata": {"ownerReferences": "x"}, "spec": {"deployment": "yes"}, "status": 1});
        let causes = decode(StoredKind::Repository, &mut repo);
        assert_eq!(causes.len(), 1, "only metadata: the rest is checked after prepare_for_*");
        assert_eq!(causes[0].field, "metadata.ownerReferences");
    }

    #[test]
    fn metadata_rules_run_after_the_kind_and_name_by_scope() {
        let ok = json!({"metadata": {"name": "a.b", "namespace": "ns", "labels": {"x": "y"}}});
        assert!(validate_create(StoredKind::Secret, &ok).is_empty());
        let bad = json!({"metadata": {"name": "A", "namespace": "n.s", "labels": {"x y": "z"}, "finalizers": ["f g"]}});
        let fields: Vec<_> = validate_create(StoredKind::Secret, &bad).into_iter().map(|c| c.field).collect();
        assert_eq!(fields, ["metadata.name", "metadata.namespace", "metadata.labels", "metadata.finalizers"]);
        let ns = json!({"metadata": {"name": "a.b"}});
        assert_eq!(
            texts(validate_create(StoredKind::Namespace, &ns)),
            ["metadata.name: Invalid value: \"a.b\": must not contain dots"]
        );
        let c = &validate_create(StoredKind::Namespace, &json!({"metadata": {}}))[0];
        assert_eq!(c.to_string(), "metadata.name: Required value: name or generateName is required");
    }

    #[test]
    fn a_custom_resource_reports_schema_and_its_own_causes_together_without_duplicates() {
        let repo = json!({"metadata": {"name": "r", "namespace": "ns"},
                          "spec": {"type": "svn", "deployment": "yes", "content": "Nope"}});
        assert_eq!(
            texts(validate_create(StoredKind::Repository, &repo)),
            [
                "spec.type: Unsupported value: \"svn\": supported values: \"git\", \"oci\"",
                "spec.deployment: Invalid value: \"string\": spec.deployment in body must be of type boolean: \"string\"",
                "spec.content: Invalid value: \"Nope\": The 'content' field is deprecated, its only valid value is 'Package'",
            ]
        );
    }

    #[test]
    fn a_built_in_kind_stops_at_the_schema() {
        let secret =
            json!({"metadata": {"name": "s", "namespace": "ns"}, "immutable": "yes", "data": {"k": 1}});
        assert_eq!(
            texts(validate_create(StoredKind::Secret, &secret)),
            [
                "immutable: Invalid value: \"string\": immutable in body must be of type boolean: \"string\"",
                "data.k: Invalid value: \"int64\": data.k in body must be of type byte: \"int64\"",
            ]
        );
    }

    #[test]
    fn status_updates_check_the_status_against_the_schema() {
        let old = json!({"metadata": {"name": "r", "namespace": "ns"}, "spec": {"type": "git"}});
        let repo = json!({"metadata": {"name": "r", "namespace": "ns"}, "spec": {"type": "git"},
                          "status": {"conditions": "x"}});
        assert_eq!(
            texts(validate_status_update(StoredKind::Repository, &repo, &old)),
            [
                "status.conditions: Invalid value: \"string\": status.conditions in body must be of type array: \"string\""
            ]
        );
    }

    #[test]
    fn an_object_stored_ill_typed_can_still_get_its_status_and_finalizers_changed() {
        let old = json!({"apiVersion": "config.porch.kpt.dev/v1alpha1", "kind": "Repository",
                         "metadata": {"name": "r", "namespace": "ns", "finalizers": ["f"], "ownerReferences": "x"},
                         "spec": {"type": "git", "deployment": "yes", "git": {"repo": "u", "branch": "main"}}});
        let mut status = old.clone();
        status["status"] = json!({"conditions": []});
        assert!(validate_status_update(StoredKind::Repository, &status, &old).is_empty());
        let mut released = old.clone();
        released["metadata"]["finalizers"] = json!([]);
        assert!(decode_update(StoredKind::Repository, &mut released.clone(), &old).is_empty());
        assert!(validate_update(StoredKind::Repository, &released, &old).is_empty());
        let mut changed = released.clone();
        changed["spec"]["deployment"] = json!("no");
        assert_eq!(validate_update(StoredKind::Repository, &changed, &old)[0].field, "spec.deployment");
        assert_eq!(decode(StoredKind::Repository, &mut old.clone())[0].field, "metadata.ownerReferences");
    }
}

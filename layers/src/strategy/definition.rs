//! The [`Strategy`] trait.

use super::table::{Column, TableList, TableOptions};
use crate::object_meta::{NameRule, names};
use crate::patch::strategic::StrategicSchema;
use crate::request::RequestContext;
use crate::selector::{FieldOperator, FieldSelector};
use crate::status::{ApiError, FieldCause};
use serde_json::Value;
use std::sync::Arc;

/// The columns of a resource with none of its own: `Name` (always first) and `Age`, as for CRDs.
const DEFAULT_COLUMNS: &[Column] = &[Column::AGE];

/// How one resource is created, updated, validated, normalized and printed: k8s.io/apiserver's
/// `RESTCreateStrategy`, `RESTUpdateStrategy` and `TableConvertor` over JSON objects.
///
/// The layers call it in apiserver's order — `prepare_for_*` ([`Admission`](crate::Admission)),
/// then `validate*` and `warnings_on_*` ([`Validation`](crate::Validation)), then
/// [`canonicalize`](Strategy::canonicalize) ([`Canonicalize`](crate::Canonicalize)), then
/// storage persists — and `convert_to_table` on the way back
/// ([`TableConversion`](crate::TableConversion)). REST storage calls
/// [`matches_fields`](Strategy::matches_fields) to filter lists and watches.
///
/// Only the identity (`group`, `kind`, `resource`) is required; every other method has the
/// default of a custom resource with a `status` subresource and no print columns. System
/// metadata (uid, creationTimestamp, resourceVersion, generation) is storage's business, not the
/// strategy's.
///
/// ```
/// use porch_layers::{FieldCause, RequestContext, Strategy};
/// use serde_json::Value;
///
/// #[derive(Debug)]
/// struct Widgets;
///
/// impl Strategy for Widgets {
///     fn group(&self) -> &str { "example.dev" }
///     fn kind(&self) -> &str { "Widget" }
///     fn resource(&self) -> &str { "widgets" }
///     fn validate(&self, _ctx: &RequestContext, obj: &Value) -> Vec<FieldCause> {
///         match obj.pointer("/spec/size") {
///             Some(Value::Number(_)) => vec![],
///             _ => vec![FieldCause::required("spec.size", "")],
///         }
///     }
/// }
/// ```
pub trait Strategy: Send + Sync + 'static {
    /// The API group, e.g. `porch.kpt.dev` (empty for the core group). Used in error messages.
    fn group(&self) -> &str;

    /// The kind, e.g. `PackageRevision`. Used in `Invalid` messages.
    fn kind(&self) -> &str;

    /// The plural resource name, e.g. `packagerevisions`. Used in `NotFound`-style messages.
    fn resource(&self) -> &str;

    /// Whether objects live in a namespace (`NamespaceScoped`): the common metadata validation
    /// then requires `metadata.namespace`, else forbids it.
    ///
    /// Default: `true`.
    fn namespace_scoped(&self) -> bool {
        true
    }

    /// The rule `metadata.name` (and a `generateName` prefix) must follow, checked by the common
    /// metadata validation (apiserver's `ValidateNameFunc` of the resource): e.g.
    /// [`names::dns1123_subdomain_name`] for custom resources and most built-in kinds,
    /// [`names::dns1123_label_name`] for Namespaces.
    ///
    /// Default: [`names::path_segment_name`], what the generic apiserver requires of every
    /// resource (aggregated resources with rules of their own check them in `validate`).
    fn name_rule(&self) -> NameRule {
        names::path_segment_name
    }

    /// The merge lists of the kind when it accepts strategic merge patches (a Go type that
    /// kube-apiserver or an aggregated apiserver built on k8s.io/apiserver serves:
    /// its `patchStrategy`/`patchMergeKey` tags); `None` answers them with 415, as
    /// kube-apiserver does for custom resources.
    ///
    /// Default: `None`.
    fn strategic_merge(&self) -> Option<&'static StrategicSchema> {
        None
    }

    /// Whether REST storage applies this strategy itself, inside its write transaction, so that
    /// an update is admitted and validated against the exact object it replaces (a store with
    /// its own writer, e.g. the embedded CR store).
    ///
    /// When `true`, [`Admission`](crate::Admission), [`Validation`](crate::Validation) and
    /// [`Canonicalize`](crate::Canonicalize) pass writes through untouched: running the rules
    /// there as well would run them twice, the second time against a current object read
    /// earlier, which another writer may have changed since. Storage then owns the whole write
    /// order (`prepare_for_*`, `validate*`, `canonicalize`, the common metadata rules).
    /// [`TableConversion`](crate::TableConversion) and field selectors use the strategy as
    /// always.
    ///
    /// Default: `false` (the layers apply the strategy).
    fn applied_by_storage(&self) -> bool {
        false
    }

    /// Normalizes a new object before validation (`PrepareForCreate`).
    ///
    /// **When:** on `create`, and on an update or apply of an object that does not exist yet,
    /// before [`validate`](Strategy::validate). **Mutates:** yes — defaults, generated values,
    /// clearing what users may not set. It must not remove fields whose absence would pass
    /// validation where their presence would fail it.
    ///
    /// Default: drops `status` (it is written through the `status` subresource only).
    fn prepare_for_create(&self, ctx: &RequestContext, obj: &mut Value) {
        let _ = ctx;
        if let Some(map) = obj.as_object_mut() {
            map.remove("status");
        }
    }

    /// Normalizes an updated object before validation (`PrepareForUpdate`).
    ///
    /// **When:** on `update`/`patch` of the main resource or of a subresource other than `status`
    /// (see `ctx.subresource`), with the current object `old`, before
    /// [`validate_update`](Strategy::validate_update). **Mutates:** `new` only.
    ///
    /// Default: keeps `old`'s `status` (a spec update cannot change status).
    fn prepare_for_update(&self, ctx: &RequestContext, new: &mut Value, old: &Value) {
        let _ = ctx;
        copy_field(new, old, "status");
    }

    /// Normalizes an object written through the `status` subresource before validation.
    ///
    /// **When:** on `update`/`patch` of `status`, before
    /// [`validate_status_update`](Strategy::validate_status_update). **Mutates:** `new` only.
    ///
    /// Default (apiserver's custom-resource status strategy): `new` becomes `old` with `new`'s
    /// `status` and `metadata.managedFields`.
    fn prepare_for_status_update(&self, ctx: &RequestContext, new: &mut Value, old: &Value) {
        let _ = ctx;
        let status = new.get("status").cloned();
        let managed = new.pointer("/metadata/managedFields").cloned();
        *new = old.clone();
        if let Some(map) = new.as_object_mut() {
            match status {
                Some(s) => map.insert("status".to_string(), s),
                None => map.remove("status"),
            };
        }
        if let (Some(m), Some(meta)) = (managed, new.get_mut("metadata").and_then(Value::as_object_mut)) {
            meta.insert("managedFields".to_string(), m);
        }
    }

    /// Checks a new object (`Validate`). **When:** after
    /// [`prepare_for_create`](Strategy::prepare_for_create). **Mutates:** never. Every problem is
    /// one [`FieldCause`]; any cause rejects the request with 422 `Invalid`.
    ///
    /// Default: no causes.
    fn validate(&self, ctx: &RequestContext, obj: &Value) -> Vec<FieldCause> {
        let _ = (ctx, obj);
        Vec::new()
    }

    /// Checks an update of the main resource against the current object (`ValidateUpdate`).
    /// **When:** after [`prepare_for_update`](Strategy::prepare_for_update). **Mutates:** never.
    ///
    /// Default: no causes.
    fn validate_update(&self, ctx: &RequestContext, new: &Value, old: &Value) -> Vec<FieldCause> {
        let _ = (ctx, new, old);
        Vec::new()
    }

    /// Checks an update of the `status` subresource. **When:** after
    /// [`prepare_for_status_update`](Strategy::prepare_for_status_update). **Mutates:** never.
    ///
    /// Default: no causes.
    fn validate_status_update(&self, ctx: &RequestContext, new: &Value, old: &Value) -> Vec<FieldCause> {
        let _ = (ctx, new, old);
        Vec::new()
    }

    /// Warnings for an accepted create (`WarningsOnCreate`), sent as `Warning` headers.
    /// **When:** after validation passed. **Mutates:** never. Default: none.
    fn warnings_on_create(&self, ctx: &RequestContext, obj: &Value) -> Vec<String> {
        let _ = (ctx, obj);
        Vec::new()
    }

    /// Warnings for an accepted update (`WarningsOnUpdate`), main resource or `status`.
    /// **When:** after validation passed. **Mutates:** never. Default: none.
    fn warnings_on_update(&self, ctx: &RequestContext, new: &Value, old: &Value) -> Vec<String> {
        let _ = (ctx, new, old);
        Vec::new()
    }

    /// Brings a valid object into normal form (`Canonicalize`).
    ///
    /// **When:** after validation passed, on every write, just before storage persists.
    /// **Mutates:** yes, without changing meaning (sorted lists, defaulted enums, trimmed paths).
    ///
    /// Default: nothing.
    fn canonicalize(&self, obj: &mut Value) {
        let _ = obj;
    }

    /// The print columns after `Name`, used by the default
    /// [`convert_to_table`](Strategy::convert_to_table). Default: `Age`.
    fn columns(&self) -> &[Column] {
        DEFAULT_COLUMNS
    }

    /// A `meta.k8s.io/v1 Table` of `objects` (`ConvertToTable`), whose rows share the objects:
    /// `columnDefinitions` (none with `no_headers`) and one row of `cells` per object, with
    /// `object` as `options.include_object` says. The `metadata` is left empty for the caller.
    ///
    /// **When:** on the way back, for Table requests (one object, a list page or each watch
    /// event). **Mutates:** never.
    ///
    /// Default: `Name` followed by [`columns`](Strategy::columns).
    fn convert_to_table(&self, objects: &[Arc<Value>], options: TableOptions) -> TableList {
        TableList::build(self.columns(), objects, options)
    }

    /// Whether the Table row of an unchanged object stays the same, so that rows may be built
    /// once ([`TableList::encode_rows`] over [`columns`](Strategy::columns)) and kept with the
    /// objects' encodings ([`EncodedChunk::rows`](crate::EncodedChunk::rows)) for later lists.
    /// A strategy that overrides [`convert_to_table`](Strategy::convert_to_table) must answer
    /// false unless its rows are those.
    ///
    /// **When:** converting a list whose storage keeps its items encoded. **Mutates:** never.
    ///
    /// Default: no column changes with time (`Age` does).
    fn stable_table_rows(&self) -> bool {
        self.columns().iter().all(|c| !c.changes_with_time)
    }

    /// The value of a field-selector field on `obj` (`GetAttrs`); `Ok(None)` when the field is
    /// supported but absent (it then matches as the empty string).
    ///
    /// **When:** by storage, for each object a list or watch considers. **Mutates:** never.
    ///
    /// Default: `metadata.name` and `metadata.namespace`.
    ///
    /// # Errors
    /// 400 `BadRequest` `unknown fieldSelector field "X"` for a field the resource does not
    /// support, whatever the object.
    fn field_value(&self, obj: &Value, field: &str) -> Result<Option<String>, ApiError> {
        match field {
            "metadata.name" => Ok(string_at(obj, "/metadata/name")),
            "metadata.namespace" => Ok(string_at(obj, "/metadata/namespace")),
            _ => Err(unknown_field(field)),
        }
    }

    /// Checks that every field of `selector` is supported, before any object is read, so that an
    /// empty collection still rejects a bad selector. **Mutates:** never.
    ///
    /// # Errors
    /// The first error of [`field_value`](Strategy::field_value) on an empty object.
    fn check_field_selector(&self, selector: &FieldSelector) -> Result<(), ApiError> {
        let empty = Value::Object(serde_json::Map::new());
        selector.requirements().iter().try_for_each(|r| self.field_value(&empty, &r.field).map(drop))
    }

    /// Whether `obj` matches `selector`, looking values up through
    /// [`field_value`](Strategy::field_value). **Mutates:** never.
    ///
    /// # Errors
    /// The first error of [`field_value`](Strategy::field_value).
    fn matches_fields(&self, obj: &Value, selector: &FieldSelector) -> Result<bool, ApiError> {
        for r in selector.requirements() {
            let actual = self.field_value(obj, &r.field)?.unwrap_or_default();
            if (actual == r.value) != (r.operator == FieldOperator::Equals) {
                return Ok(false);
            }
        }
        Ok(true)
    }
}

/// 400 `unknown fieldSelector field "X"`.
pub fn unknown_field(field: &str) -> ApiError {
    ApiError::bad_request(format!("unknown fieldSelector field {field:?}"))
}

fn string_at(obj: &Value, pointer: &str) -> Option<String> {
    obj.pointer(pointer).and_then(Value::as_str).map(str::to_string)
}

/// Sets `new[key]` to `old[key]`, or removes it when `old` has none.
fn copy_field(new: &mut Value, old: &Value, key: &str) {
    if let Some(map) = new.as_object_mut() {
        match old.get(key) {
            Some(v) => map.insert(key.to_string(), v.clone()),
            None => map.remove(key),
        };
    }
}

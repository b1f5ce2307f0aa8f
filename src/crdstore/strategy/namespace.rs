//! Namespace (core `v1`): `status.phase: Active` on create, status kept on updates. The name is a DNS-1123
//! label (checked by the common metadata validation for cluster-scoped kinds).

use porch_layers::json_pointer;
use porch_layers::object_meta::names;
use porch_layers::patch::strategic::{ListField, ListMerge, StrategicSchema};
use porch_layers::{Column, RequestContext, Strategy};
use serde_json::{Value, json};

use super::stored_kind_identity;
use crate::crdstore::StoredKind;

/// Namespace: `NAME STATUS AGE`.
const COLUMNS: &[Column] = &[
    Column {
        description: "The status of the namespace",
        ..Column::new("Status", "string", |o| {
            json_pointer::at(o, "/status/phase").cloned().unwrap_or(Value::Null)
        })
    },
    Column::AGE,
];

/// Namespace's merge lists besides `ObjectMeta`'s (k8s.io/api `core/v1`): `status.conditions`
/// (`patchStrategy:"merge" patchMergeKey:"type"`); `spec.finalizers` has no strategy (it is
/// `+listType=atomic`) and is replaced.
static STRATEGIC: StrategicSchema =
    StrategicSchema::new(&[ListField { path: "status.conditions", merge: ListMerge::ByKey("type") }]);

/// The Namespace strategy.
#[derive(Debug)]
pub(crate) struct NamespaceStrategy;

impl Strategy for NamespaceStrategy {
    stored_kind_identity!(StoredKind::Namespace, names::dns1123_label_name);

    fn prepare_for_create(&self, _ctx: &RequestContext, obj: &mut Value) {
        if let Some(m) = obj.as_object_mut() {
            m.insert("status".into(), json!({"phase": "Active"}));
        }
    }

    fn prepare_for_update(&self, _ctx: &RequestContext, new: &mut Value, old: &Value) {
        if let Some(m) = new.as_object_mut() {
            match old.get("status") {
                Some(s) => m.insert("status".into(), s.clone()),
                None => m.remove("status"),
            };
        }
    }

    fn columns(&self) -> &[Column] {
        COLUMNS
    }

    /// kube-apiserver applies strategic merge patches to Namespaces.
    fn strategic_merge(&self) -> Option<&'static StrategicSchema> {
        Some(&STRATEGIC)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use porch_layers::Verb;

    #[test]
    fn phase_is_set_on_create_and_kept_on_update() {
        let mut ns = json!({"metadata": {"name": "a"}, "status": {"phase": "Terminating"}});
        NamespaceStrategy.prepare_for_create(&RequestContext::new(Verb::Create), &mut ns);
        assert_eq!(ns["status"]["phase"], "Active");
        let mut new = json!({"metadata": {"name": "a"}, "status": {"phase": "Gone"}});
        NamespaceStrategy.prepare_for_update(&RequestContext::new(Verb::Update), &mut new, &ns);
        assert_eq!(new["status"]["phase"], "Active");
    }
}

//! Namespace (core `v1`): `status.phase: Active` on create, status kept on updates. The name is a DNS-1123
//! label (checked by the common metadata validation for cluster-scoped kinds).

use porch_layers::FieldCause;
use serde_json::{Value, json};

use super::Strategy;

/// The Namespace strategy.
pub(crate) struct NamespaceStrategy;

impl Strategy for NamespaceStrategy {
    fn prepare_for_create(&self, obj: &mut Value) {
        if let Some(m) = obj.as_object_mut() {
            m.insert("status".into(), json!({"phase": "Active"}));
        }
    }

    fn prepare_for_update(&self, new: &mut Value, old: &Value) {
        if let Some(m) = new.as_object_mut() {
            match old.get("status") {
                Some(s) => m.insert("status".into(), s.clone()),
                None => m.remove("status"),
            };
        }
    }

    fn validate(&self, _obj: &Value) -> Vec<FieldCause> {
        Vec::new()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn phase_is_set_on_create_and_kept_on_update() {
        let mut ns = json!({"metadata": {"name": "a"}, "status": {"phase": "Terminating"}});
        NamespaceStrategy.prepare_for_create(&mut ns);
        assert_eq!(ns["status"]["phase"], "Active");
        let mut new = json!({"metadata": {"name": "a"}, "status": {"phase": "Gone"}});
        NamespaceStrategy.prepare_for_update(&mut new, &ns);
        assert_eq!(new["status"]["phase"], "Active");
    }
}

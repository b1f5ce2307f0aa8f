//! `Accept: application/json;as=PartialObjectMetadata[List];g=meta.k8s.io;v=v1` (or `v1beta1`):
//! objects reduced to their `metadata`, as kube-apiserver serves them to client-go's metadata
//! client — the informers of kube-controller-manager's garbage collector and namespace
//! controller among them, which cannot decode a watch event of any other kind.

use porch_layers::ObjectList;
use porch_layers::request::{WatchEvent, WatchEventType};
use serde_json::{Value, json};
use std::sync::Arc;

/// The Content-Type of one object reduced to its metadata, in `version` of meta.k8s.io.
pub(crate) fn content_type(version: &str) -> String {
    format!("application/json;as=PartialObjectMetadata;g=meta.k8s.io;v={version}")
}

/// The Content-Type of a list reduced to metadata.
pub(crate) fn list_content_type(version: &str) -> String {
    format!("application/json;as=PartialObjectMetadataList;g=meta.k8s.io;v={version}")
}

/// `object` as a `PartialObjectMetadata`.
pub(crate) fn object(object: &Value, version: &str) -> Value {
    json!({
        "kind": "PartialObjectMetadata",
        "apiVersion": format!("meta.k8s.io/{version}"),
        "metadata": object.get("metadata").cloned().unwrap_or_else(|| json!({})),
    })
}

/// `list` as a `PartialObjectMetadataList` (its ListMeta kept).
pub(crate) fn list(list: &ObjectList, version: &str) -> Value {
    json!({
        "kind": "PartialObjectMetadataList",
        "apiVersion": format!("meta.k8s.io/{version}"),
        "metadata": list.metadata,
        "items": list.items().iter().map(|item| object(item, version)).collect::<Vec<_>>(),
    })
}

/// A watch event with its object reduced (an `ERROR` event's `Status` stays as it is).
pub(crate) fn event(event: WatchEvent, version: &str) -> WatchEvent {
    if event.event_type == WatchEventType::Error {
        return event;
    }
    WatchEvent::new(event.event_type, Arc::new(object(&event.object, version)))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn revision() -> Value {
        json!({"apiVersion": "porch.kpt.dev/v1alpha1", "kind": "PackageRevision",
               "metadata": {"name": "r.p.w", "namespace": "ns", "resourceVersion": "7", "uid": "u",
                            "ownerReferences": [{"apiVersion": "v1", "kind": "ConfigMap", "name": "o", "uid": "x"}]},
               "spec": {"lifecycle": "Draft"}, "status": {}})
    }

    #[test]
    fn objects_lists_and_events_keep_only_metadata() {
        let reduced = object(&revision(), "v1");
        assert_eq!(reduced["kind"], "PartialObjectMetadata");
        assert_eq!(reduced["apiVersion"], "meta.k8s.io/v1");
        assert_eq!(reduced["metadata"], revision()["metadata"]);
        assert!(reduced.get("spec").is_none() && reduced.get("status").is_none());

        let page = ObjectList::new(
            "porch.kpt.dev/v1alpha1",
            "PackageRevisionList",
            json!({"resourceVersion": "9", "continue": "c"}),
            vec![Arc::new(revision())],
        );
        let reduced = list(&page, "v1beta1");
        assert_eq!(
            (reduced["kind"].as_str(), reduced["apiVersion"].as_str()),
            (Some("PartialObjectMetadataList"), Some("meta.k8s.io/v1beta1"))
        );
        assert_eq!(reduced["metadata"], json!({"resourceVersion": "9", "continue": "c"}));
        assert_eq!(reduced["items"][0]["kind"], "PartialObjectMetadata");

        let modified = event(WatchEvent::new(WatchEventType::Modified, revision()), "v1");
        assert_eq!(modified.object["kind"], "PartialObjectMetadata");
        assert!(modified.encoded.is_none(), "encoded again, reduced");
        let status = json!({"kind": "Status", "code": 410});
        assert_eq!(*event(WatchEvent::new(WatchEventType::Error, status.clone()), "v1").object, status);
    }
}

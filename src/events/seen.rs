//! What the event pump keeps of each PackageRev: only what the revision's PackageRevision shows
//! of it ([`UserMeta`]: the labels, annotations, finalizers and owner references users set; its
//! creation and deletion times; its resourceVersion). The pump holds one per revision, so most —
//! those that carry nothing users set — are kept as a resourceVersion and a time, not as a
//! PackageRev (~450 bytes, and the server's label map ~550 more).

use std::borrow::Cow;
use std::sync::Arc;

use k8s_openapi::apimachinery::pkg::apis::meta::v1::{ObjectMeta, Time};
use porch_api::PackageRev;
use porch_api::config::{PackageRevSpec, user_finalizers, user_labels};
use porch_controllers::Stored;

use crate::metadata::{UserMeta, meta_rv, non_empty};

/// What the pump keeps of one PackageRev.
#[derive(Debug, Clone, PartialEq)]
pub(super) enum Seen {
    /// Nothing users set, not being deleted.
    Plain {
        /// Its resourceVersion.
        rv: u64,
        /// Its creation time.
        created: Option<Time>,
    },
    /// The PackageRev with only what a PackageRevision shows of it.
    Set(Arc<PackageRev>),
}

impl Seen {
    /// What is kept of `stored`, if it decodes.
    pub(super) fn of(stored: Stored<PackageRev>) -> Option<Self> {
        Some(Self::of_meta(stored.into_object().ok()?.metadata))
    }

    /// What is kept of a PackageRev with metadata `meta`.
    pub(super) fn of_meta(meta: ObjectMeta) -> Self {
        let (labels, finalizers) = (non_empty(user_labels(&meta)), non_empty(user_finalizers(&meta)));
        let rev = PackageRev {
            metadata: ObjectMeta {
                name: meta.name,
                namespace: meta.namespace,
                resource_version: meta.resource_version,
                creation_timestamp: meta.creation_timestamp,
                deletion_timestamp: meta.deletion_timestamp,
                labels,
                annotations: meta.annotations.and_then(non_empty),
                finalizers,
                owner_references: meta.owner_references.and_then(non_empty),
                ..ObjectMeta::default()
            },
            spec: PackageRevSpec::default(),
            status: None,
        };
        let m = &rev.metadata;
        let plain = m.labels.is_none()
            && m.annotations.is_none()
            && m.finalizers.is_none()
            && m.owner_references.is_none()
            && m.deletion_timestamp.is_none();
        match meta_rv(&rev) {
            Some(rv) if plain => Self::Plain { rv, created: rev.metadata.creation_timestamp },
            _ => Self::Set(Arc::new(rev)),
        }
    }

    /// Its resourceVersion (0 if it is not a number).
    pub(super) fn rv(&self) -> u64 {
        match self {
            Self::Plain { rv, .. } => *rv,
            Self::Set(rev) => meta_rv(rev).unwrap_or(0),
        }
    }

    /// What users see of it, and its deletion time.
    pub(super) fn visible(&self) -> (UserMeta, Option<Time>) {
        match self {
            Self::Plain { .. } => Default::default(),
            Self::Set(rev) => (UserMeta::of(rev), rev.metadata.deletion_timestamp.clone()),
        }
    }

    /// The PackageRev `namespace/name` it was kept of, with what a PackageRevision shows of it.
    pub(super) fn package_rev(&self, namespace: &str, name: &str) -> Cow<'_, PackageRev> {
        match self {
            Self::Plain { rv, created } => Cow::Owned(PackageRev {
                metadata: ObjectMeta {
                    name: Some(name.to_string()),
                    namespace: Some(namespace.to_string()),
                    resource_version: Some(rv.to_string()),
                    creation_timestamp: created.clone(),
                    ..ObjectMeta::default()
                },
                spec: PackageRevSpec::default(),
                status: None,
            }),
            Self::Set(rev) => Cow::Borrowed(rev),
        }
    }
}

#[cfg(test)]
mod tests {
    use porch_api::labels::{INTERNAL_REPOSITORY_LABEL, PACKAGE_REVISION_FINALIZER};
    use serde_json::{Value, json};

    use super::*;
    use crate::cache::CachedRevision;
    use crate::engine::objects::{RepoFacts, package_revision};

    /// A stored PackageRev `ns/repo.pkg.v1` with the server's label and finalizer, a uid,
    /// managedFields and a state, plus `more` metadata.
    fn stored(more: Value) -> Stored<PackageRev> {
        let mut metadata = json!({
            "name": "repo.pkg.v1", "namespace": "ns", "resourceVersion": "9", "uid": "u",
            "creationTimestamp": "2023-01-01T00:00:00Z",
            "labels": {INTERNAL_REPOSITORY_LABEL: "repo"}, "finalizers": [PACKAGE_REVISION_FINALIZER],
            "managedFields": [{"manager": "m", "operation": "Update", "fieldsType": "FieldsV1", "fieldsV1": {}}],
        });
        for (key, value) in more.as_object().unwrap() {
            match (metadata.get_mut(key), value) {
                (Some(Value::Object(old)), Value::Object(new)) => old.extend(new.clone()),
                (Some(Value::Array(old)), Value::Array(new)) => old.extend(new.clone()),
                _ => metadata[key] = value.clone(),
            }
        }
        serde_json::from_value(json!({
            "metadata": metadata,
            "spec": {"state": {"ref": "refs/tags/pkg/v1", "commit": "c", "lifecycle": "Published", "revision": 1}},
        }))
        .unwrap()
    }

    /// The PackageRevision of a sample revision with the PackageRev `meta`, as JSON.
    fn shown(meta: &PackageRev) -> Value {
        let facts = RepoFacts { url: "file:///r".into(), deployment: false };
        serde_json::to_value(package_revision(&CachedRevision::sample(), Some(meta), &facts)).unwrap()
    }

    #[test]
    fn a_package_rev_users_set_nothing_on_is_kept_as_its_resource_version_and_time() {
        let full = stored(json!({}));
        let whole = full.object().unwrap().clone();
        let seen = Seen::of(full).unwrap();
        assert!(matches!(seen, Seen::Plain { rv: 9, .. }), "{seen:?}");
        assert_eq!(seen.visible(), Default::default());
        assert_eq!(
            shown(&seen.package_rev("ns", "repo.pkg.v1")),
            shown(&whole),
            "the PackageRevision is the same"
        );
    }

    #[test]
    fn what_users_set_is_kept_without_the_servers_parts() {
        let full = stored(json!({
            "labels": {"a": "b"}, "annotations": {"n": "v"}, "finalizers": ["f"],
            "ownerReferences": [{"apiVersion": "v1", "kind": "ConfigMap", "name": "o", "uid": "1"}],
            "deletionTimestamp": "2024-01-01T00:00:00Z",
        }));
        let whole = full.object().unwrap().clone();
        let seen = Seen::of(full).unwrap();
        let Seen::Set(kept) = &seen else { panic!("{seen:?}") };
        let m = &kept.metadata;
        assert_eq!((m.managed_fields.as_ref(), m.uid.as_ref()), (None, None));
        assert_eq!(kept.spec, PackageRevSpec::default());
        assert_eq!(
            m.labels,
            Some([("a".to_string(), "b".to_string())].into()),
            "the server's label is dropped"
        );
        assert_eq!(m.finalizers, Some(vec!["f".to_string()]), "the server's finalizer is dropped");
        assert_eq!(seen.visible(), (UserMeta::of(&whole), whole.metadata.deletion_timestamp.clone()));
        assert_eq!(
            shown(&seen.package_rev("ns", "repo.pkg.v1")),
            shown(&whole),
            "the PackageRevision is the same"
        );
        assert_eq!(seen.rv(), 9);
    }
}

//! The shape of a PackageRev: the metadata a user gives its PackageRevision ([`UserMeta`]) plus
//! what the server adds — the label naming the Repository and the server's finalizer. Built in
//! one place,
//! [`set_shadow_meta`], for the server's metadata store and the PackageRev GC alike.
//!
//! The PackageRevision's own owner references are kept in the annotation
//! [`OWNER_REFERENCES_ANNOTATION`], not in the PackageRev's `ownerReferences` (where Porch keeps
//! them): there kube-controller-manager's garbage collector would collect the PackageRev on its
//! own when an owner goes, the revision would show the PackageRev's deletion and look
//! terminating, and the collector, which leaves terminating objects alone, would never delete
//! the revision itself. PackageRevs written with them in `ownerReferences` are still read.
//!
//! Nor does a PackageRev name its PackageRevision as owner (Porch's do, porch-api.md §2.6): the
//! garbage collector checks such an owner through the aggregated API as soon as the PackageRev
//! appears, and a revision being created is not there yet; it then deleted the PackageRev, and
//! the new revision looked terminating. The server and its PackageRev GC delete PackageRevs.

use std::collections::BTreeMap;

use k8s_openapi::apimachinery::pkg::apis::meta::v1::{ObjectMeta, OwnerReference};

use super::{PackageRev, PackageRevSpec, PackageRevStatus};
use crate::gvk::PACKAGE_REVISION;
use crate::labels::{INTERNAL_REPOSITORY_LABEL, PACKAGE_REVISION_FINALIZER};

/// The annotation of a PackageRev holding its PackageRevision's owner references (JSON).
pub const OWNER_REFERENCES_ANNOTATION: &str = "internal.porch.kpt.dev/owner-references";

/// The user-visible metadata of a PackageRevision, as kept in its PackageRev (without the
/// server's own label, finalizer and owner reference).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct UserMeta {
    /// Labels.
    pub labels: BTreeMap<String, String>,
    /// Annotations.
    pub annotations: BTreeMap<String, String>,
    /// Finalizers.
    pub finalizers: Vec<String>,
    /// Owner references.
    pub owner_references: Vec<OwnerReference>,
}

impl UserMeta {
    /// The user metadata of a request object.
    #[must_use]
    pub fn from_object(meta: &ObjectMeta) -> Self {
        Self {
            labels: meta.labels.clone().unwrap_or_default(),
            annotations: meta.annotations.clone().unwrap_or_default(),
            finalizers: meta.finalizers.clone().unwrap_or_default(),
            owner_references: meta.owner_references.clone().unwrap_or_default(),
        }
    }

    /// The user metadata kept in a PackageRev: its own minus what the server adds.
    #[must_use]
    pub fn of(rev: &PackageRev) -> Self {
        let meta = &rev.metadata;
        let labels = user_labels(meta);
        let mut annotations = meta.annotations.clone().unwrap_or_default();
        let kept = annotations.remove(OWNER_REFERENCES_ANNOTATION);
        // Written by this server: the annotation; by an older one: `ownerReferences` besides the
        // server's own.
        let owner_references = match kept.and_then(|json| serde_json::from_str(&json).ok()) {
            Some(owners) => owners,
            None => meta
                .owner_references
                .iter()
                .flatten()
                .filter(|o| !(o.kind == PACKAGE_REVISION.kind && Some(&o.name) == meta.name.as_ref()))
                .cloned()
                .collect(),
        };
        Self { labels, annotations, finalizers: user_finalizers(meta), owner_references }
    }
}

/// The labels of `meta` other than the server's.
#[must_use]
pub fn user_labels(meta: &ObjectMeta) -> BTreeMap<String, String> {
    let mut labels = meta.labels.clone().unwrap_or_default();
    labels.remove(INTERNAL_REPOSITORY_LABEL);
    labels
}

/// The finalizers of `meta` other than the server's.
#[must_use]
pub fn user_finalizers(meta: &ObjectMeta) -> Vec<String> {
    meta.finalizers.iter().flatten().filter(|f| *f != PACKAGE_REVISION_FINALIZER).cloned().collect()
}

/// Writes `user` into `meta`, the metadata of the PackageRev of PackageRevision `meta.name`,
/// with the server's label (naming `repository`) and finalizer (first); its owner references go
/// into [`OWNER_REFERENCES_ANNOTATION`] and `ownerReferences` is cleared. What `user` holds of
/// the server's parts is not doubled. Every other field of `meta` (resourceVersion, uid,
/// timestamps) is left as it is.
pub fn set_shadow_meta(meta: &mut ObjectMeta, repository: &str, user: &UserMeta) {
    let name = meta.name.clone().unwrap_or_default();
    let mut labels = user.labels.clone();
    labels.insert(INTERNAL_REPOSITORY_LABEL.into(), repository.into());
    let mut finalizers = vec![PACKAGE_REVISION_FINALIZER.to_string()];
    finalizers.extend(user.finalizers.iter().filter(|f| *f != PACKAGE_REVISION_FINALIZER).cloned());
    let user_owners: Vec<&OwnerReference> =
        user.owner_references.iter().filter(|o| o.name != name || o.kind != PACKAGE_REVISION.kind).collect();
    let mut annotations = user.annotations.clone();
    annotations.remove(OWNER_REFERENCES_ANNOTATION);
    if !user_owners.is_empty() {
        // A list of owner references always serializes.
        let json = serde_json::to_string(&user_owners).unwrap_or_default();
        annotations.insert(OWNER_REFERENCES_ANNOTATION.into(), json);
    }
    meta.labels = Some(labels);
    meta.annotations = (!annotations.is_empty()).then_some(annotations);
    meta.finalizers = Some(finalizers);
    meta.owner_references = None;
}

impl PackageRev {
    /// A new PackageRev for PackageRevision `namespace/name` (in `repository`) carrying `user`
    /// (see [`set_shadow_meta`]).
    #[must_use]
    pub fn shadow(namespace: &str, name: &str, repository: &str, user: &UserMeta) -> Self {
        let mut metadata = ObjectMeta {
            name: Some(name.into()),
            namespace: Some(namespace.into()),
            ..ObjectMeta::default()
        };
        set_shadow_meta(&mut metadata, repository, user);
        Self { metadata, spec: PackageRevSpec::default(), status: Some(PackageRevStatus {}) }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_server_parts_are_added_on_write_and_hidden_on_read() {
        let user = UserMeta {
            labels: BTreeMap::from([("team".into(), "a".into())]),
            finalizers: vec!["example.com/keep".into()],
            ..UserMeta::default()
        };
        let r = PackageRev::shadow("ns", "repo.pkg.ws", "repo", &user);
        let labels = r.metadata.labels.as_ref().unwrap();
        assert_eq!(labels[INTERNAL_REPOSITORY_LABEL], "repo");
        assert_eq!(
            r.metadata.finalizers.as_deref().unwrap(),
            [PACKAGE_REVISION_FINALIZER.to_string(), "example.com/keep".to_string()]
        );
        assert_eq!(r.metadata.owner_references, None, "nothing for kube's garbage collector to act on");
        assert_eq!(r.metadata.annotations, None);
        assert_eq!(UserMeta::of(&r), user);
    }

    #[test]
    fn user_owner_references_are_kept_out_of_the_packagerevs_own() {
        let cm = OwnerReference {
            api_version: "v1".into(),
            kind: "ConfigMap".into(),
            name: "owner".into(),
            uid: "uid-cm".into(),
            ..OwnerReference::default()
        };
        let user = UserMeta { owner_references: vec![cm.clone()], ..UserMeta::default() };
        let r = PackageRev::shadow("ns", "repo.pkg.ws", "repo", &user);
        assert_eq!(r.metadata.owner_references, None);
        assert!(r.metadata.annotations.as_ref().unwrap()[OWNER_REFERENCES_ANNOTATION].contains("uid-cm"));
        assert_eq!(UserMeta::of(&r), user, "read back as the revision's own");

        // A PackageRev an older server wrote (itself and user owners in ownerReferences) reads
        // the same.
        let mut old = PackageRev::shadow("ns", "repo.pkg.ws", "repo", &UserMeta::default());
        let itself = OwnerReference {
            api_version: PACKAGE_REVISION.api_version.into(),
            kind: PACKAGE_REVISION.kind.into(),
            name: "repo.pkg.ws".into(),
            uid: "uid-1".into(),
            ..OwnerReference::default()
        };
        old.metadata.owner_references = Some(vec![itself, cm]);
        assert_eq!(UserMeta::of(&old), user);
    }

    #[test]
    fn the_server_parts_given_by_a_user_are_not_doubled() {
        let server = PackageRev::shadow("ns", "r.p.w", "repo", &UserMeta::default());
        let again = PackageRev::shadow("ns", "r.p.w", "repo", &UserMeta::from_object(&server.metadata));
        assert_eq!(again, server);
        assert_eq!(UserMeta::of(&server), UserMeta::default());
    }

    #[test]
    fn rewriting_keeps_the_other_fields() {
        let mut meta = ObjectMeta {
            name: Some("r.p.w".into()),
            resource_version: Some("7".into()),
            labels: Some(BTreeMap::from([("old".into(), "x".into())])),
            ..ObjectMeta::default()
        };
        set_shadow_meta(&mut meta, "repo", &UserMeta::default());
        assert_eq!(meta.resource_version.as_deref(), Some("7"));
        assert_eq!(meta.labels.unwrap().keys().collect::<Vec<_>>(), [INTERNAL_REPOSITORY_LABEL]);
    }
}

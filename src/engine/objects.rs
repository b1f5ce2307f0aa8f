//! The API objects of the cache's revisions: a [`CachedRevision`] with its PackageRev metadata
//! and its Repository becomes a PackageRevision (porch-api.md §2.1), a PackageRevisionResources
//! (§2.3) or, per package, a PorchPackage (§2.4). Pure and deterministic.

use std::collections::BTreeMap;
use std::sync::Arc;

use k8s_openapi::apimachinery::pkg::apis::meta::v1::{ObjectMeta, Time};
use k8s_openapi::jiff::Timestamp;
use porch_api::config::user_labels;
use porch_api::labels::{LATEST_REVISION_LABEL, LATEST_REVISION_VALUE};
use porch_api::porch::{
    GitLock, Locator, PackageMetadata, PackageRevisionSpec, PackageRevisionStatus, PorchPackageSpec,
    PorchPackageStatus, RepositoryType,
};
use porch_api::{
    PackageRev, PackageRevision, PackageRevisionResources, PorchPackage, Repository, package_revision_uid,
};
use porch_layers::EncodedObject;

use super::metadata::{UserMeta, meta_rv, non_empty};
use crate::cache::{CachedPackage, CachedRevision};

/// What the objects of one repository need from its Repository object.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct RepoFacts {
    /// `spec.git.repo`.
    pub(crate) url: String,
    /// `spec.deployment`.
    pub(crate) deployment: bool,
}

impl RepoFacts {
    /// The facts of a Repository.
    pub(crate) fn of(repo: &Repository) -> Self {
        Self {
            url: repo.spec.git.as_ref().map(|g| g.repo.clone()).unwrap_or_default(),
            deployment: repo.spec.deployment,
        }
    }
}

fn time(seconds: i64) -> Option<Time> {
    Timestamp::from_second(seconds).ok().map(Time)
}

/// The resourceVersion of a revision's objects: the later of its last change in git and its
/// last metadata change (both come from the one server-wide counter).
pub(crate) fn resource_version(rev: &CachedRevision, meta: Option<&PackageRev>) -> u64 {
    rev.resource_version.max(meta.and_then(meta_rv).unwrap_or(0))
}

/// The labels of a revision's objects (what label selectors match): the user labels of its
/// PackageRev plus the computed latest-revision label.
pub(crate) fn labels(rev: &CachedRevision, meta: Option<&PackageRev>) -> BTreeMap<String, String> {
    let mut labels = meta.map(|m| user_labels(&m.metadata)).unwrap_or_default();
    if rev.latest {
        labels.insert(LATEST_REVISION_LABEL.into(), LATEST_REVISION_VALUE.into());
    }
    labels
}

/// `metadata` of a revision's objects: identity, resourceVersion, timestamps, and the user
/// metadata of its PackageRev with its [`labels`].
fn object_meta(rev: &CachedRevision, meta: Option<&PackageRev>) -> ObjectMeta {
    let user = meta.map(UserMeta::of).unwrap_or_default();
    let created = meta
        .and_then(|m| m.metadata.creation_timestamp.clone())
        .or_else(|| rev.revision.published.as_ref().and_then(|p| time(p.at)));
    ObjectMeta {
        name: Some(rev.name.clone()),
        namespace: Some(rev.namespace.clone()),
        uid: Some(package_revision_uid(&rev.namespace, &rev.name).to_string()),
        resource_version: Some(resource_version(rev, meta).to_string()),
        creation_timestamp: created,
        deletion_timestamp: meta.and_then(|m| m.metadata.deletion_timestamp.clone()),
        labels: non_empty(labels(rev, meta)),
        annotations: non_empty(user.annotations),
        finalizers: non_empty(user.finalizers),
        owner_references: non_empty(user.owner_references),
        ..ObjectMeta::default()
    }
}

/// The PackageRevision of `rev`.
pub(crate) fn package_revision(
    rev: &CachedRevision,
    meta: Option<&PackageRev>,
    repo: &RepoFacts,
) -> PackageRevision {
    let d = &rev.revision;
    let k = &d.kptfile;
    let package_metadata = (!k.labels.is_empty() || !k.annotations.is_empty())
        .then(|| PackageMetadata { labels: k.labels.clone(), annotations: k.annotations.clone() });
    let published = d.lifecycle.is_published().then_some(d.published.as_ref()).flatten();
    PackageRevision {
        metadata: object_meta(rev, meta),
        spec: PackageRevisionSpec {
            package_name: d.package.clone(),
            repository_name: rev.repository.clone(),
            workspace_name: d.workspace.clone(),
            revision: d.revision,
            parent: None,
            lifecycle: Some(d.lifecycle.clone()),
            tasks: d.tasks.clone(),
            readiness_gates: k.readiness_gates.clone(),
            package_metadata,
        },
        status: PackageRevisionStatus {
            upstream_lock: k.status_upstream_lock().cloned(),
            self_lock: Some(Locator {
                type_: Some(RepositoryType::Git),
                git: Some(GitLock {
                    repo: repo.url.clone(),
                    directory: d.package.clone(),
                    ref_: d.short_ref().to_string(),
                    commit: d.commit.to_string(),
                }),
            }),
            published_by: published.map(|p| p.by.clone()).unwrap_or_default(),
            published_at: published.and_then(|p| time(p.at)),
            deployment: repo.deployment,
            conditions: k.conditions.clone(),
        },
    }
}

/// The memo key of a revision's object: its metadata version and Repository facts.
/// The lowest bit is `spec.deployment`; the others hash the metadata version and the
/// repository URL (the event pump may build an object before it knows the URL).
fn object_key(meta: Option<&PackageRev>, repo: &RepoFacts) -> u64 {
    use std::hash::{Hash, Hasher};
    let mut hasher = std::hash::DefaultHasher::new();
    (meta.and_then(meta_rv).unwrap_or(0), repo.url.as_str()).hash(&mut hasher);
    (hasher.finish() << 1) | u64::from(repo.deployment)
}

/// The encoding of the PackageRevision of `rev` (kept as bytes only), with its metadata as the store holds
/// it at `generation` ([`Metadata::generation`](crate::metadata::Metadata::generation)), built
/// once per metadata version (and Repository facts) and shared by every list after that. An
/// object built or confirmed at the same generation is taken without looking the metadata up,
/// which keeps a list of many revisions from a hash lookup per revision while no PackageRev
/// changes.
pub(crate) fn package_revision_json(
    rev: &CachedRevision,
    generation: u64,
    lookup: impl FnOnce() -> Option<Arc<PackageRev>>,
    repo: &RepoFacts,
) -> EncodedObject {
    let deployment = u64::from(repo.deployment);
    if let Some(object) = rev.object.confirmed(generation, |key| key & 1 == deployment) {
        return object;
    }
    let meta = lookup();
    encoded(rev, meta.as_deref(), repo, generation)
}

/// A stamp no metadata generation reaches: an object kept under it is never taken without its
/// key being checked.
const UNCONFIRMED: u64 = u64::MAX;

/// The encoding of the PackageRevision of `rev` with exactly the metadata `meta` (the event
/// pump's view, which may be ahead of or behind the store's): the kept one when it was built
/// for the same metadata version and facts, else built now and kept — so a watch event and
/// the lists after it share one encoding.
pub(crate) fn package_revision_json_with(
    rev: &CachedRevision,
    meta: Option<&PackageRev>,
    repo: &RepoFacts,
) -> EncodedObject {
    encoded(rev, meta, repo, UNCONFIRMED)
}

/// The kept encoding of `rev` for `meta` and `repo`, built when it is not, stamped `generation`.
fn encoded(
    rev: &CachedRevision,
    meta: Option<&PackageRev>,
    repo: &RepoFacts,
    generation: u64,
) -> EncodedObject {
    rev.object.get_or(object_key(meta, repo), generation, || {
        // A PackageRevision always serializes; the fallback only keeps this infallible.
        EncodedObject::of(&package_revision(rev, meta, repo)).unwrap_or_else(|_| EncodedObject {
            json: bytes::Bytes::from_static(b"null"),
            row: Arc::default(),
        })
    })
}

/// The PackageRevisionResources of `rev` with its files.
pub(crate) fn package_revision_resources(
    rev: &CachedRevision,
    meta: Option<&PackageRev>,
    resources: BTreeMap<String, String>,
) -> PackageRevisionResources {
    let d = &rev.revision;
    let mut object_meta = object_meta(rev, meta);
    object_meta.finalizers = None;
    PackageRevisionResources {
        metadata: object_meta,
        spec: porch_api::porch::PackageRevisionResourcesSpec {
            package_name: d.package.clone(),
            workspace_name: d.workspace.clone(),
            revision: d.revision,
            repository_name: rev.repository.clone(),
            resources,
        },
        status: Default::default(),
    }
}

/// The PorchPackage of a package; its resourceVersion is the latest of its revisions'.
pub(crate) fn porch_package(package: &CachedPackage, resource_version: u64) -> PorchPackage {
    PorchPackage {
        metadata: ObjectMeta {
            name: Some(package.name.clone()),
            namespace: Some(package.namespace.clone()),
            resource_version: Some(resource_version.to_string()),
            ..ObjectMeta::default()
        },
        spec: PorchPackageSpec {
            package_name: package.package.clone(),
            repository_name: package.repository.clone(),
        },
        status: PorchPackageStatus { latest_revision: package.latest_revision },
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    /// A PackageRevision using every part of its type.
    fn full() -> PackageRevision {
        serde_json::from_value(json!({
            "apiVersion": "porch.kpt.dev/v1alpha1",
            "kind": "PackageRevision",
            "metadata": {
                "name": "repo.pkg.ws", "namespace": "ns", "uid": "u-1", "resourceVersion": "42",
                "creationTimestamp": "2024-05-06T07:08:09Z", "deletionTimestamp": "2024-05-07T07:08:09Z",
                "labels": {"b": "2", "a": "1", "kpt.dev/latest-revision": "true"},
                "annotations": {"note": "\"quoted\" \u{e9} \n"},
                "finalizers": ["x/y"],
                "ownerReferences": [{"apiVersion": "v1", "kind": "ConfigMap", "name": "o", "uid": "ou",
                                     "controller": true}],
            },
            "spec": {
                "packageName": "a/pkg", "repository": "repo", "workspaceName": "ws", "revision": 3,
                "lifecycle": "Published",
                "tasks": [
                    {"type": "clone", "clone": {"upstreamRef": {"type": "git", "git": {
                        "repo": "https://example.com/r.git", "ref": "main", "directory": "/x"}}}},
                    {"type": "edit", "edit": {"sourceRef": {"name": "repo.pkg.v1"}}},
                    {"type": "init", "init": {"description": "d", "keywords": ["k1", "k2"], "site": "s"}},
                ],
                "readinessGates": [{"conditionType": "Ready"}],
                "packageMetadata": {"labels": {"l": "v"}, "annotations": {"an": "av"}},
            },
            "status": {
                "upstreamLock": {"type": "git", "git": {"repo": "https://example.com/r.git",
                                 "directory": "x", "ref": "main", "commit": "abc"}},
                "selfLock": {"type": "git", "git": {"repo": "file:///r", "directory": "a/pkg",
                             "ref": "a/pkg/v3", "commit": "def"}},
                "publishedBy": "me@example.com", "publishedAt": "2024-05-06T07:08:10Z",
                "deployment": true,
                "conditions": [{"type": "Ready", "status": "True", "reason": "r", "message": "m"}],
            },
        }))
        .unwrap()
    }

    #[test]
    fn a_revision_is_encoded_as_its_json_object_was() {
        for object in [full(), PackageRevision::default()] {
            let encoded = EncodedObject::of(&object).unwrap();
            let value = serde_json::to_value(&object).unwrap();
            assert_eq!(encoded.json, serde_json::to_vec(&value).unwrap());
            assert_eq!(encoded.object().unwrap(), value);
        }
    }

    #[test]
    fn a_revision_object_built_without_the_repository_url_is_not_kept_for_one_with_it() {
        let rev = CachedRevision::sample();
        let url = |e: &EncodedObject| e.object().unwrap()["status"]["selfLock"]["git"]["repo"].clone();
        // The event pump, before it knew the repository's URL…
        let unknown = RepoFacts { url: String::new(), deployment: false };
        assert_ne!(url(&package_revision_json_with(&rev, None, &unknown)), json!("file:///r.git"));
        // …does not leave its object to the lists, at any generation.
        let known = RepoFacts { url: "file:///r.git".into(), deployment: false };
        assert_eq!(url(&package_revision_json(&rev, 1, || None, &known)), json!("file:///r.git"));
        assert_eq!(url(&package_revision_json(&rev, 1, || None, &known)), json!("file:///r.git"));
        assert_eq!(url(&package_revision_json_with(&rev, None, &known)), json!("file:///r.git"));
    }
}

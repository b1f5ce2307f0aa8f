//! The PackageRev GC: every revision a repository holds has its PackageRev shadow object
//! (porch-api.md §2.6, §8.2), and no PackageRev outlives its revision. Runs after every sync
//! and when a Repository goes away. PackageRevs and Repositories are read as [`Stored`] ones:
//! one that does not decode still counts as present (nothing is created over it, its
//! Repository is not taken for gone) but is never written; the PackageRev metadata store and the
//! Repository controller report it.

use std::collections::BTreeSet;

use futures::{StreamExt, TryStreamExt};
use k8s_openapi::apimachinery::pkg::apis::meta::v1::{ObjectMeta, OwnerReference};
use kube::Resource;
use kube::api::{Api, DeleteParams, ListParams, Patch, PatchParams, PostParams};
use porch_api::PackageRev;
use porch_api::gvk::PACKAGE_REVISION;
use porch_api::labels::{INTERNAL_REPOSITORY_LABEL, PACKAGE_REVISION_FINALIZER};
use serde_json::json;

use crate::backend::RevisionRef;
use crate::stored::Stored;

/// How many PackageRev writes run at once.
const CONCURRENCY: usize = 16;

/// What one GC pass changed.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct GcSummary {
    /// PackageRevs created for revisions that had none.
    pub created: usize,
    /// PackageRevs deleted because their revision is gone.
    pub deleted: usize,
}

fn shadow(namespace: &str, repository: &str, revision: &RevisionRef) -> PackageRev {
    PackageRev {
        metadata: ObjectMeta {
            name: Some(revision.name.clone()),
            namespace: Some(namespace.into()),
            labels: Some([(INTERNAL_REPOSITORY_LABEL.to_string(), repository.to_string())].into()),
            finalizers: Some(vec![PACKAGE_REVISION_FINALIZER.into()]),
            owner_references: Some(vec![OwnerReference {
                api_version: PACKAGE_REVISION.api_version.into(),
                kind: PACKAGE_REVISION.kind.into(),
                name: revision.name.clone(),
                uid: revision.uid.clone(),
                ..OwnerReference::default()
            }]),
            ..ObjectMeta::default()
        },
        spec: Default::default(),
        status: Some(Default::default()),
    }
}

/// The PackageRevs of `repository` in `namespace`.
async fn shadows(
    api: &Api<Stored<PackageRev>>,
    repository: &str,
) -> Result<Vec<Stored<PackageRev>>, kube::Error> {
    let params = ListParams::default().labels(&format!("{INTERNAL_REPOSITORY_LABEL}={repository}"));
    Ok(api.list(&params).await?.items)
}

/// The decoded ones of `revs`.
fn decoded(revs: Vec<Stored<PackageRev>>) -> impl Iterator<Item = PackageRev> {
    revs.into_iter().filter_map(|r| r.into_object().ok())
}

/// Deletes a PackageRev and releases the server's finalizer (user finalizers keep it until they
/// are removed).
async fn release(api: &Api<Stored<PackageRev>>, rev: &PackageRev) -> Result<(), kube::Error> {
    let name = rev.metadata.name.clone().unwrap_or_default();
    let ignore_missing = |r: Result<(), kube::Error>| match r {
        Err(kube::Error::Api(status)) if status.code == 404 => Ok(()),
        other => other,
    };
    ignore_missing(api.delete(&name, &DeleteParams::default()).await.map(drop))?;
    let left: Vec<&String> =
        rev.metadata.finalizers.iter().flatten().filter(|f| *f != PACKAGE_REVISION_FINALIZER).collect();
    let patch = Patch::Merge(json!({"metadata": {"finalizers": left}}));
    ignore_missing(api.patch(&name, &PatchParams::default(), &patch).await.map(drop))
}

/// Whether `rev` still needs [`release`]: it is not deleted yet, or it is but still carries the
/// server's finalizer (an earlier release whose finalizer patch failed).
fn unreleased(rev: &PackageRev) -> bool {
    rev.metadata.deletion_timestamp.is_none()
        || rev.metadata.finalizers.iter().flatten().any(|f| f == PACKAGE_REVISION_FINALIZER)
}

/// Releases every PackageRev of `revs` (each in its own namespace), [`CONCURRENCY`] at a time;
/// returns how many.
async fn release_all(client: &kube::Client, revs: Vec<PackageRev>) -> Result<usize, kube::Error> {
    let n = revs.len();
    futures::stream::iter(revs)
        .map(|rev| {
            let api: Api<Stored<PackageRev>> =
                Api::namespaced(client.clone(), rev.metadata.namespace.as_deref().unwrap_or_default());
            async move { release(&api, &rev).await }
        })
        .buffer_unordered(CONCURRENCY)
        .try_collect::<Vec<()>>()
        .await?;
    Ok(n)
}

/// Makes the PackageRevs of `repository` match `revisions`: creates the missing ones, deletes
/// those whose revision is gone.
///
/// # Errors
/// The first failed API call.
pub async fn sync_package_revs(
    client: &kube::Client,
    namespace: &str,
    repository: &str,
    revisions: &[RevisionRef],
) -> Result<GcSummary, kube::Error> {
    let api: Api<Stored<PackageRev>> = Api::namespaced(client.clone(), namespace);
    let listed = shadows(&api, repository).await?;
    let have: BTreeSet<String> = listed.iter().filter_map(|r| r.meta().name.clone()).collect();
    let existing: Vec<PackageRev> = decoded(listed).collect();
    let want: BTreeSet<&str> = revisions.iter().map(|r| r.name.as_str()).collect();
    // Owned values all the way: the futures run on the controller's tasks.
    let missing: Vec<PackageRev> = revisions
        .iter()
        .filter(|r| !have.contains(&r.name))
        .map(|r| shadow(namespace, repository, r))
        .collect();
    let gone: Vec<PackageRev> = existing
        .iter()
        .filter(|r| unreleased(r) && r.metadata.name.as_deref().is_some_and(|n| !want.contains(n)))
        .cloned()
        .collect();
    let created = futures::stream::iter(missing)
        .map(|rev| {
            let api = api.clone();
            async move {
                match api.create(&PostParams::default(), &Stored::new(rev)).await {
                    Ok(_) => Ok(1),
                    Err(kube::Error::Api(status)) if status.code == 409 => Ok(0),
                    Err(e) => Err(e),
                }
            }
        })
        .buffer_unordered(CONCURRENCY)
        .try_fold(0, |n, one| async move { Ok(n + one) })
        .await?;
    let deleted = release_all(client, gone).await?;
    Ok(GcSummary { created, deleted })
}

/// Deletes every PackageRev of `repository` (it is being deleted).
///
/// # Errors
/// The first failed API call.
pub async fn delete_package_revs(
    client: &kube::Client,
    namespace: &str,
    repository: &str,
) -> Result<usize, kube::Error> {
    sync_package_revs(client, namespace, repository, &[]).await.map(|s| s.deleted)
}

/// What a sweep removed.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct SweepSummary {
    /// Repositories closed because their Repository object is gone.
    pub closed: usize,
    /// PackageRevs deleted because their Repository object is gone.
    pub deleted: usize,
}

/// Removes what outlived its Repository without the controller's cleanup (a Repository whose
/// finalizer was removed by hand, or deleted while the server was down without one): open
/// repositories and PackageRevs whose Repository object no longer exists.
///
/// # Errors
/// The first failed API call.
pub async fn sweep_orphans(
    client: &kube::Client,
    backend: &dyn crate::RepositoryBackend,
) -> Result<SweepSummary, kube::Error> {
    let repos: Api<Stored<porch_api::Repository>> = Api::all(client.clone());
    let present: BTreeSet<(String, String)> = repos
        .list(&ListParams::default())
        .await?
        .items
        .iter()
        .map(|r| (r.meta().namespace.clone().unwrap_or_default(), r.meta().name.clone().unwrap_or_default()))
        .collect();
    let mut summary = SweepSummary::default();
    for (ns, name) in backend.open_repositories() {
        if !present.contains(&(ns.clone(), name.clone())) {
            tracing::info!(repository = %format!("{ns}/{name}"), "closing a repository whose Repository is gone");
            backend.close(&ns, &name).await;
            summary.closed += 1;
        }
    }
    let revs: Api<Stored<PackageRev>> = Api::all(client.clone());
    let listed = revs.list(&ListParams::default().labels(INTERNAL_REPOSITORY_LABEL)).await?.items;
    let orphans: Vec<PackageRev> = decoded(listed)
        .filter(unreleased)
        .filter(|r| {
            let ns = r.metadata.namespace.clone().unwrap_or_default();
            let repo = r
                .metadata
                .labels
                .as_ref()
                .and_then(|l| l.get(INTERNAL_REPOSITORY_LABEL))
                .cloned()
                .unwrap_or_default();
            !present.contains(&(ns, repo))
        })
        .collect();
    summary.deleted = release_all(client, orphans).await?;
    Ok(summary)
}

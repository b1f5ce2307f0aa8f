//! The PackageRev GC: every revision a repository holds has its PackageRev shadow object
//! (porch-api.md §2.6, §8.2), and no PackageRev outlives its revision. Runs after every sync
//! and when a Repository goes away. PackageRevs and Repositories are read as [`Stored`] ones:
//! one that does not decode still counts as present (nothing is created over it, its
//! Repository is not taken for gone) but is never written; the PackageRev metadata store and the
//! Repository controller report it.
//!
//! What to do is decided by pure functions (`plan`, `orphans`) over what was listed; the
//! shadow objects are built by [`PackageRev::shadow`], as the server's metadata store builds
//! them.

use std::collections::{BTreeSet, HashSet};

use futures::{StreamExt, TryStreamExt};
use kube::api::{Api, DeleteParams, ListParams, Patch, PatchParams, PostParams};
use kube::runtime::reflector::ObjectRef;
use kube::{Resource, ResourceExt};
use porch_api::PackageRev;
use porch_api::config::{UserMeta, user_finalizers};
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

/// The PackageRevs of `repository` in `namespace`.
async fn shadows(
    api: &Api<Stored<PackageRev>>,
    repository: &str,
) -> Result<Vec<Stored<PackageRev>>, kube::Error> {
    let params = ListParams::default().labels(&format!("{INTERNAL_REPOSITORY_LABEL}={repository}"));
    Ok(api.list(&params).await?.items)
}

/// Whether `e` is the API's 404.
fn is_not_found(e: &kube::Error) -> bool {
    matches!(e, kube::Error::Api(status) if status.is_not_found())
}

/// Deletes a PackageRev and releases the server's finalizer (user finalizers keep it until they
/// are removed).
async fn release(api: &Api<Stored<PackageRev>>, rev: &PackageRev) -> Result<(), kube::Error> {
    let name = rev.name_any();
    let ignore_missing = |r: Result<(), kube::Error>| match r {
        Err(e) if is_not_found(&e) => Ok(()),
        other => other,
    };
    ignore_missing(api.delete(&name, &DeleteParams::default()).await.map(drop))?;
    let patch = Patch::Merge(json!({"metadata": {"finalizers": user_finalizers(&rev.metadata)}}));
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

/// What a GC pass of one repository does.
#[derive(Debug, Default, PartialEq)]
struct Plan {
    /// The PackageRevs to create: of revisions that have none (not even an undecodable one).
    create: Vec<PackageRev>,
    /// The PackageRevs to release: decoded ones, not released yet, whose revision is gone.
    release: Vec<PackageRev>,
}

/// What makes the PackageRevs `listed` of `repository` in `namespace` match `revisions`.
fn plan(
    namespace: &str,
    repository: &str,
    listed: Vec<Stored<PackageRev>>,
    revisions: &[RevisionRef],
) -> Plan {
    let have: BTreeSet<&str> = listed.iter().filter_map(|r| r.meta().name.as_deref()).collect();
    let want: BTreeSet<&str> = revisions.iter().map(|r| r.name.as_str()).collect();
    let create = revisions
        .iter()
        .filter(|r| !have.contains(r.name.as_str()))
        .map(|r| PackageRev::shadow(namespace, &r.name, repository, &UserMeta::default()))
        .collect();
    let release = listed
        .into_iter()
        .filter_map(|r| r.into_object().ok())
        .filter(|r| unreleased(r) && r.metadata.name.as_deref().is_some_and(|n| !want.contains(n)))
        .collect();
    Plan { create, release }
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
    let Plan { create, release } = plan(namespace, repository, shadows(&api, repository).await?, revisions);
    // Owned values all the way: the futures run on the controller's tasks.
    let created = futures::stream::iter(create)
        .map(|rev| {
            let api = api.clone();
            async move {
                match api.create(&PostParams::default(), &Stored::new(rev)).await {
                    Ok(_) => Ok(1),
                    Err(kube::Error::Api(status)) if status.is_already_exists() => Ok(0),
                    Err(e) => Err(e),
                }
            }
        })
        .buffer_unordered(CONCURRENCY)
        .try_fold(0, |n, one| async move { Ok(n + one) })
        .await?;
    let deleted = release_all(client, release).await?;
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

/// The Repositories that exist, by reference.
type Present = HashSet<ObjectRef<Stored<porch_api::Repository>>>;

/// The reference of Repository `namespace/name`.
fn repository_ref(namespace: &str, name: &str) -> ObjectRef<Stored<porch_api::Repository>> {
    ObjectRef::new(name).within(namespace)
}

/// The decoded PackageRevs of `listed`, not released yet, whose Repository is not `present`.
fn orphans(listed: Vec<Stored<PackageRev>>, present: &Present) -> Vec<PackageRev> {
    listed
        .into_iter()
        .filter_map(|r| r.into_object().ok())
        .filter(unreleased)
        .filter(|r| {
            let repository = r.labels().get(INTERNAL_REPOSITORY_LABEL).map_or("", String::as_str);
            !present.contains(&repository_ref(r.namespace().as_deref().unwrap_or_default(), repository))
        })
        .collect()
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
    // Not `ObjectRef::from_obj`: an undecodable Repository may have lost its name.
    let present: Present = repos
        .list(&ListParams::default())
        .await?
        .items
        .iter()
        .map(|r| {
            let meta = r.meta();
            repository_ref(
                meta.namespace.as_deref().unwrap_or_default(),
                meta.name.as_deref().unwrap_or_default(),
            )
        })
        .collect();
    let mut summary = SweepSummary::default();
    for (ns, name) in backend.open_repositories() {
        if !present.contains(&repository_ref(&ns, &name)) {
            tracing::info!(repository = %format!("{ns}/{name}"), "closing a repository whose Repository is gone");
            backend.close(&ns, &name).await;
            summary.closed += 1;
        }
    }
    let revs: Api<Stored<PackageRev>> = Api::all(client.clone());
    let listed = revs.list(&ListParams::default().labels(INTERNAL_REPOSITORY_LABEL)).await?.items;
    summary.deleted = release_all(client, orphans(listed, &present)).await?;
    Ok(summary)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::Value;

    fn revision(name: &str) -> RevisionRef {
        RevisionRef { name: name.into(), uid: format!("uid-{name}") }
    }

    fn stored(value: Value) -> Stored<PackageRev> {
        serde_json::from_value(value).expect("any JSON object decodes as Stored")
    }

    /// A PackageRev of `repository` as the GC makes it, with `edit` applied to its JSON.
    fn listed(name: &str, repository: &str, edit: impl FnOnce(&mut Value)) -> Stored<PackageRev> {
        let shadow = PackageRev::shadow("ns", name, repository, &UserMeta::default());
        let mut value = serde_json::to_value(shadow).unwrap();
        edit(&mut value);
        stored(value)
    }

    fn unchanged(_: &mut Value) {}

    fn names(revs: &[PackageRev]) -> Vec<String> {
        revs.iter().map(ResourceExt::name_any).collect()
    }

    #[test]
    fn missing_shadows_are_created_in_the_one_shape() {
        let p = plan(
            "ns",
            "repo",
            vec![listed("repo.a.v1", "repo", unchanged)],
            &[revision("repo.a.v1"), revision("repo.b.v1")],
        );
        assert_eq!(p.create, [PackageRev::shadow("ns", "repo.b.v1", "repo", &UserMeta::default())]);
        assert!(p.release.is_empty());
    }

    #[test]
    fn shadows_of_gone_revisions_are_released_once() {
        let gone = listed("repo.gone.v1", "repo", unchanged);
        let released = listed("repo.done.v1", "repo", |v| {
            v["metadata"]["deletionTimestamp"] = json!("2026-01-01T00:00:00Z");
            v["metadata"]["finalizers"] = json!(["example.com/hold"]);
        });
        let half_released = listed("repo.half.v1", "repo", |v| {
            v["metadata"]["deletionTimestamp"] = json!("2026-01-01T00:00:00Z");
        });
        let p = plan("ns", "repo", vec![gone, released, half_released], &[]);
        assert!(p.create.is_empty());
        assert_eq!(names(&p.release), ["repo.gone.v1", "repo.half.v1"]);
    }

    #[test]
    fn an_undecodable_shadow_is_neither_replaced_nor_released() {
        let bad = || listed("repo.bad.v1", "repo", |v| v["metadata"]["ownerReferences"] = json!("x"));
        assert_eq!(plan("ns", "repo", vec![bad()], &[revision("repo.bad.v1")]), Plan::default());
        assert_eq!(plan("ns", "repo", vec![bad()], &[]), Plan::default());
    }

    #[test]
    fn orphans_are_the_shadows_of_repositories_that_are_gone() {
        let present: Present = [repository_ref("ns", "kept")].into();
        let listed = vec![
            listed("kept.a.v1", "kept", unchanged),
            listed("gone.a.v1", "gone", unchanged),
            listed("gone.bad.v1", "gone", |v| v["metadata"]["ownerReferences"] = json!("x")),
            listed("other.a.v1", "kept", |v| v["metadata"]["namespace"] = json!("other")),
        ];
        assert_eq!(names(&orphans(listed, &present)), ["gone.a.v1", "other.a.v1"]);
    }

    #[test]
    fn release_keeps_only_the_user_finalizers() {
        let rev = PackageRev::shadow(
            "ns",
            "r.p.w",
            "r",
            &UserMeta { finalizers: vec!["example.com/hold".into()], ..UserMeta::default() },
        );
        assert_eq!(user_finalizers(&rev.metadata), ["example.com/hold"]);
        assert!(unreleased(&rev));
    }
}

//! Get, and what lists are made of (porch-api.md §4.6): the Repositories a list visits (only the
//! one a `spec.repository` selector names), the revisions and packages of one Repository's cache
//! that match a field selector, and Porch's list order — namespace, repository, package path,
//! revision (-1, 0, 1, …), lifecycle, name. Visiting the Repositories concurrently under the
//! per-repository timeout, label selectors and paging are REST semantics, in `rest/list.rs`.

use std::sync::Arc;
use std::time::Duration;

use kube::Resource;
use porch_api::gvk::{PACKAGE_REVISION_RESOURCES, PORCH_PACKAGE};
use porch_api::{PackageRev, PackageRevision, PackageRevisionResources, PorchPackage, Repository};
use porch_controllers::Stored;
use porch_layers::EncodedChunk;
use porch_layers::object_meta::names::dns1123_label;
use porch_layers::request::ReadAt;
use serde::{Deserialize, Serialize};

use super::error::{Result, ServiceError};
use super::{Engine, files_of, not_found};
use crate::cache::{CachedPackage, CachedRevision, RepositoryCache};
use crate::engine::filter::RevisionFilter;
use crate::engine::objects::{self, RepoFacts};
use crate::engine::resources::from_files;
use crate::engine::segments::{Segment, SegmentKey};

/// Position of an item in Porch's list order; also the content of a continue token.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
pub(crate) struct SortKey(String, String, String, i32, u8, String);

impl SortKey {
    /// The position of a revision.
    pub(crate) fn of(rev: &CachedRevision) -> Self {
        let d = &rev.revision;
        let rank = crate::cache::lifecycle_rank(&d.lifecycle);
        Self(
            rev.namespace.clone(),
            rev.repository.clone(),
            d.package.clone(),
            d.revision,
            rank,
            rev.name.clone(),
        )
    }

    /// The position of a package.
    pub(crate) fn of_package(p: &CachedPackage) -> Self {
        Self(p.namespace.clone(), p.repository.clone(), p.package.clone(), 0, 0, String::new())
    }
}

/// A Repository a list leaves out because its stored object does not decode.
#[derive(Debug, Clone)]
pub(crate) struct Undecodable {
    /// `namespace/name`.
    pub(crate) repository: String,
    /// Why it does not decode.
    pub(crate) error: String,
}

/// A revision a list found, with what its objects are built from.
pub(crate) type ListedRevision = (Arc<CachedRevision>, Arc<RepoFacts>, RepositoryCache);

/// What a segment of index version `index` built with metadata generation `metadata` for a
/// Repository with `facts` is current for.
fn segment_key(index: u64, metadata: u64, facts: &RepoFacts) -> SegmentKey {
    SegmentKey { index, metadata, facts: (facts.url.clone(), facts.deployment) }
}

/// The repository a segment of `cache` is kept under.
fn segment_repository(cache: &RepositoryCache) -> (String, String) {
    (cache.namespace().to_string(), cache.name().to_string())
}

impl Engine {
    /// The resourceVersion a get or list at `read_at` is served at: the current one (see
    /// [`Engine::resource_version`]), once it has reached what the read asks for, waiting a few
    /// seconds at most.
    ///
    /// # Errors
    /// [`ServiceError::ResourceVersion`]: a version still not reached ("Too large resource
    /// version"), or an exact read of an older state.
    pub(crate) async fn read_version(&self, read_at: ReadAt) -> Result<u64> {
        Ok(crate::freshness::settle(read_at, || self.resource_version()).await?)
    }

    /// The resourceVersion a list at `read_at` reports: as [`Engine::read_version`], once the
    /// watches have also published every PackageRev write this server has been answered, so that
    /// a list made after a write is at least as new as every item it shows (the caches index a
    /// write before the event pump publishes it).
    ///
    /// # Errors
    /// As [`Engine::read_version`].
    pub(crate) async fn list_version(&self, read_at: ReadAt) -> Result<u64> {
        self.watches.revisions.reached(self.metadata.last_written()).await;
        self.read_version(read_at).await
    }

    /// `--max-concurrent-lists`: how many Repositories a list visits at once.
    pub(crate) fn max_concurrent_lists(&self) -> usize {
        self.max_concurrent_lists
    }

    /// `--list-timeout-per-repository`.
    pub(crate) fn list_timeout(&self) -> Duration {
        self.list_timeout
    }

    /// Waits until the PackageRev metadata has been read once (revisions are listed with it).
    pub(crate) async fn metadata_ready(&self) -> Result<()> {
        Ok(self.metadata.ready().await?)
    }

    /// The Repositories a list in `namespace` (`None`: all) with field selector `filter` visits,
    /// sorted by namespace and name, and those left out because their stored object does not
    /// decode (the controller reports them).
    pub(crate) async fn list_repositories(
        &self,
        namespace: Option<&str>,
        filter: &RevisionFilter,
    ) -> Result<(Vec<Repository>, Vec<Undecodable>)> {
        let namespace = filter.namespace().or(namespace);
        // A selector may name anything (`spec.repository=a b`); what no stored Repository can be
        // called matches nothing, and never reaches the client as a request it cannot build.
        let nameable = |s: Option<&str>| s.is_none_or(|s| dns1123_label(s).is_empty());
        if !nameable(filter.repository()) || !nameable(namespace) {
            return Ok((Vec::new(), Vec::new()));
        }
        let stored: Vec<Stored<Repository>> = match (filter.repository(), namespace) {
            (Some(name), Some(ns)) => self.cluster.repository(ns, name).await?.into_iter().collect(),
            (only, ns) => self
                .cluster
                .repositories(ns)
                .await?
                .into_iter()
                .filter(|r| only.is_none_or(|n| r.meta().name.as_deref() == Some(n)))
                .collect(),
        };
        let mut repos = Vec::with_capacity(stored.len());
        let mut skipped = Vec::new();
        for r in stored {
            let (ns, name) = (r.meta().namespace.clone().unwrap_or_default(), r.meta().name.clone());
            match r.into_object() {
                Ok(repo) => repos.push(repo),
                Err(e) => skipped.push(Undecodable {
                    repository: format!("{ns}/{}", name.unwrap_or_default()),
                    error: e.to_string(),
                }),
            }
        }
        repos.sort_by(|a, b| {
            (a.metadata.namespace.as_deref(), a.metadata.name.as_deref())
                .cmp(&(b.metadata.namespace.as_deref(), b.metadata.name.as_deref()))
        });
        Ok((repos, skipped))
    }

    /// The revisions of `repo`'s cache that match the field selector, with the Repository's facts.
    pub(crate) fn revisions_in(
        &self,
        repo: &Repository,
        cache: &RepositoryCache,
        filter: &RevisionFilter,
    ) -> Vec<ListedRevision> {
        let facts = Arc::new(RepoFacts::of(repo));
        let revisions = match filter.name() {
            Some(name) => cache.get(name).into_iter().collect(),
            None => cache.list(),
        };
        revisions
            .into_iter()
            .filter(|r| filter.matches(r))
            .map(|r| (r, facts.clone(), cache.clone()))
            .collect()
    }

    /// The segment of `cache` if it is current: built from the index, the metadata and the
    /// Repository's facts as they are now.
    pub(crate) fn current_segment(&self, repo: &Repository, cache: &RepositoryCache) -> Option<Arc<Segment>> {
        let key = segment_key(cache.version(), self.metadata.generation(), &RepoFacts::of(repo));
        self.segments.current(&segment_repository(cache), &key)
    }

    /// Every revision of `cache` as one encoded segment, built now (call it when
    /// [`current_segment`](Self::current_segment) has none) and kept for the lists after.
    pub(crate) fn build_segment(&self, repo: &Repository, cache: &RepositoryCache) -> Arc<Segment> {
        let facts = RepoFacts::of(repo);
        let metadata = self.metadata.generation();
        let (index, revisions) = cache.list_versioned();
        let encoded: Vec<_> = revisions.iter().map(|rev| self.revision_json(rev, &facts)).collect();
        let segment = Arc::new(Segment { chunk: EncodedChunk::join(&encoded) });
        self.segments.keep(
            segment_repository(cache),
            segment_key(index, metadata, &facts),
            Arc::clone(&segment),
        );
        segment
    }

    /// Forgets the segments of the repositories `keep` says no to.
    pub(crate) fn retain_segments(&self, keep: impl Fn(&(String, String)) -> bool) {
        self.segments.retain(keep);
    }

    /// The labels of the PackageRevision of `rev` (what label selectors match), with its metadata
    /// as this server sees it now.
    pub(crate) fn revision_labels(&self, rev: &CachedRevision) -> std::collections::BTreeMap<String, String> {
        objects::labels(rev, self.revision_meta(rev).as_deref())
    }

    /// The PackageRev metadata of a revision, if it has any.
    pub(crate) fn revision_meta(&self, rev: &CachedRevision) -> Option<Arc<PackageRev>> {
        self.metadata.get(&rev.namespace, &rev.name)
    }

    /// The encoding of the PackageRevision of `rev`, with its metadata as this server sees it now.
    pub(crate) fn revision_json(
        &self,
        rev: &CachedRevision,
        repo: &RepoFacts,
    ) -> porch_layers::EncodedObject {
        objects::package_revision_json(rev, self.metadata.generation(), || self.revision_meta(rev), repo)
    }

    /// GET of a PackageRevision.
    pub(crate) async fn get_revision(&self, namespace: &str, name: &str) -> Result<PackageRevision> {
        Ok(self.find(&porch_api::gvk::PACKAGE_REVISION, namespace, name).await?.object())
    }

    /// The PackageRevisionResources of a revision: its files from the mirror.
    pub(crate) async fn resources_of(
        &self,
        cache: &RepositoryCache,
        rev: &CachedRevision,
        meta: Option<&PackageRev>,
    ) -> Result<PackageRevisionResources> {
        let name = rev.name.as_str();
        let files = files_of(cache, rev).await?;
        let resources =
            from_files(&files).map_err(ServiceError::on_engine("read", &PACKAGE_REVISION_RESOURCES, name))?;
        Ok(objects::package_revision_resources(rev, meta, resources))
    }

    /// GET of a PackageRevisionResources.
    pub(crate) async fn get_resources(
        &self,
        namespace: &str,
        name: &str,
    ) -> Result<PackageRevisionResources> {
        let found = self.find(&PACKAGE_REVISION_RESOURCES, namespace, name).await?;
        self.resources_of(&found.cache, &found.rev, found.meta.as_deref()).await
    }

    /// GET of a PorchPackage.
    pub(crate) async fn get_package(&self, namespace: &str, name: &str) -> Result<PorchPackage> {
        let key = porch_api::names::parse_package_name(name).map_err(|_| not_found(&PORCH_PACKAGE, name))?;
        let repo = self.repository(namespace, &key.repository).await?;
        let cache = self.cache(&repo).await?;
        let package = cache
            .packages()
            .into_iter()
            .find(|p| p.name == name)
            .ok_or_else(|| not_found(&PORCH_PACKAGE, name))?;
        Ok(objects::porch_package(&package, package_resource_version(&cache, &package.package)))
    }

    /// The packages of `cache` that match the field selector, with their PorchPackages.
    pub(crate) fn packages_in(
        &self,
        cache: &RepositoryCache,
        filter: &RevisionFilter,
    ) -> Vec<(CachedPackage, PorchPackage)> {
        cache
            .packages()
            .into_iter()
            .filter(|p| filter.matches_package(p))
            .map(|p| {
                let object = objects::porch_package(&p, package_resource_version(cache, &p.package));
                (p, object)
            })
            .collect()
    }
}

/// A package's resourceVersion: the latest of its revisions'.
fn package_resource_version(cache: &RepositoryCache, package: &str) -> u64 {
    cache.list_package(package).iter().map(|r| r.resource_version).max().unwrap_or(0)
}

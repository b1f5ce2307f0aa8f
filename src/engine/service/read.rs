//! Get and list (porch-api.md §4.6): lists visit the Repositories in the namespace (only the one a
//! `spec.repository` selector names), at most `--max-concurrent-lists` at once, each bounded by
//! `--list-timeout-per-repository`; a slow or broken repository is skipped with a warning and never
//! delays the others. Items come in a deterministic order — namespace, repository, package
//! path, revision (-1, 0, 1, …), lifecycle, name — which also keys `limit`/`continue` paging.

use std::future::Future;
use std::sync::Arc;

use futures::StreamExt;
use kube::Api;
use kube::Resource;
use kube::api::ListParams;
use porch_api::gvk::{PACKAGE_REVISION_RESOURCES, PORCH_PACKAGE};
use porch_api::{PackageRev, PackageRevision, PackageRevisionResources, PorchPackage, Repository};
use porch_controllers::Stored;
use porch_layers::object_meta::names::dns1123_label;
use porch_layers::paging::{self, Page};
use porch_layers::request::ReadAt;
use porch_layers::{ApiError, LabelSelector};
use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::{Engine, files_of, not_found, translate};
use crate::cache::{CachedPackage, CachedRevision, RepositoryCache};
use crate::engine::filter::RevisionFilter;
use crate::engine::objects::{self, RepoFacts};
use crate::engine::registry::repository_key;
use crate::engine::resources::from_files;

/// What a list asks for.
#[derive(Debug, Clone, Copy)]
pub(crate) struct ListOptions<'a> {
    /// The request namespace (`None`: all namespaces).
    pub(crate) namespace: Option<&'a str>,
    /// The checked field selector.
    pub(crate) filter: &'a RevisionFilter,
    /// The label selector (matches the computed latest-revision label too).
    pub(crate) labels: Option<&'a LabelSelector>,
    /// `limit`.
    pub(crate) limit: Option<usize>,
    /// `continue`.
    pub(crate) continue_token: Option<&'a str>,
}

/// One page of a list.
#[derive(Debug, Clone)]
pub(crate) struct Listed<T> {
    /// The objects of the page.
    pub(crate) items: Vec<T>,
    /// The token of the next page, if there are more items.
    pub(crate) continue_token: Option<String>,
    /// How many items follow the page.
    pub(crate) remaining: Option<u64>,
    /// Repositories that were skipped, as `Warning` texts.
    pub(crate) warnings: Vec<String>,
}

/// Position of an item in list order; also the content of a continue token.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
struct SortKey(String, String, String, i32, u8, String);

impl SortKey {
    fn of(rev: &CachedRevision) -> Self {
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
}

/// Cuts the page the options ask for out of `items`, which are in list order (`key` gives an
/// item's position; it is computed only where the page starts and ends). A bad `continue` token
/// is a 400 that quotes it.
fn page<I, T>(
    items: Vec<I>,
    key: impl Fn(&I) -> SortKey,
    into: impl FnMut(I) -> T,
    options: &ListOptions<'_>,
    warnings: Vec<String>,
) -> Result<Listed<T>, ApiError> {
    let Page { items, continue_token, remaining } =
        paging::page(items, key, options.limit, options.continue_token)
            .map_err(|e| ApiError::bad_request(e.naming_token()))?;
    Ok(Listed { items: items.into_iter().map(into).collect(), continue_token, remaining, warnings })
}

/// Whether an object's labels (JSON, absent = none) match the selector, if any.
pub(crate) fn labels_match(selector: Option<&LabelSelector>, object: &Value) -> bool {
    selector.is_none_or(|s| s.matches_json(object.pointer("/metadata/labels").unwrap_or(&Value::Null)))
}

impl Engine {
    /// The resourceVersion a get or list at `read_at` is served at: the current one (see
    /// [`Engine::resource_version`]), once it has reached what the read asks for, waiting a few
    /// seconds at most.
    ///
    /// # Errors
    /// 504 "Too large resource version" for a version still not reached, 410 for an exact read of
    /// an older state.
    pub(crate) async fn read_version(&self, read_at: ReadAt) -> Result<u64, ApiError> {
        Ok(crate::freshness::settle(read_at, || self.resource_version()).await?)
    }

    /// The Repositories a list visits, sorted by namespace and name, and a warning for each one
    /// skipped because its stored object does not decode (the controller reports it).
    async fn list_repositories(
        &self,
        options: &ListOptions<'_>,
    ) -> Result<(Vec<Repository>, Vec<String>), ApiError> {
        let namespace = options.filter.namespace().or(options.namespace);
        // A selector may name anything (`spec.repository=a b`); what no stored Repository can be
        // called matches nothing, and never reaches the client as a request it cannot build.
        let nameable = |s: Option<&str>| s.is_none_or(|s| dns1123_label(s).is_empty());
        if !nameable(options.filter.repository()) || !nameable(namespace) {
            return Ok((Vec::new(), Vec::new()));
        }
        let stored: Vec<Stored<Repository>> = match (options.filter.repository(), namespace) {
            (Some(name), Some(ns)) => {
                let api: Api<Stored<Repository>> = Api::namespaced(self.client.clone(), ns);
                api.get_opt(name).await.map_err(|e| translate::kube_error(&e))?.into_iter().collect()
            }
            (only, ns) => {
                let api: Api<Stored<Repository>> = match ns {
                    Some(ns) => Api::namespaced(self.client.clone(), ns),
                    None => Api::all(self.client.clone()),
                };
                let list = api.list(&ListParams::default()).await.map_err(|e| translate::kube_error(&e))?;
                list.items
                    .into_iter()
                    .filter(|r| only.is_none_or(|n| r.meta().name.as_deref() == Some(n)))
                    .collect()
            }
        };
        let mut repos = Vec::with_capacity(stored.len());
        let mut skipped = Vec::new();
        for r in stored {
            let (ns, name) = (r.meta().namespace.clone().unwrap_or_default(), r.meta().name.clone());
            match r.into_object() {
                Ok(repo) => repos.push(repo),
                Err(e) => skipped.push(format!(
                    "repository {ns}/{} was skipped: the stored object does not decode: {e}",
                    name.unwrap_or_default()
                )),
            }
        }
        repos.sort_by(|a, b| {
            (a.metadata.namespace.as_deref(), a.metadata.name.as_deref())
                .cmp(&(b.metadata.namespace.as_deref(), b.metadata.name.as_deref()))
        });
        Ok((repos, skipped))
    }

    /// Runs `each` on the cache of every visited Repository, concurrently and under the
    /// per-repository timeout; results come back in Repository order, skipped ones as warnings.
    async fn per_repository<T, F, Fut>(
        &self,
        options: &ListOptions<'_>,
        each: F,
    ) -> Result<(Vec<T>, Vec<String>), ApiError>
    where
        F: Fn(Repository, RepositoryCache) -> Fut,
        Fut: Future<Output = Result<Vec<T>, ApiError>>,
    {
        let (repos, skipped) = self.list_repositories(options).await?;
        let timeout = self.list_timeout;
        let each = &each;
        let results: Vec<(String, Result<Vec<T>, String>)> = futures::stream::iter(repos)
            .map(|repo| async move {
                let (ns, name) = repository_key(&repo);
                let who = format!("{ns}/{name}");
                let work = async {
                    let cache = self.cache(&repo).await?;
                    each(repo, cache).await
                };
                let result = match tokio::time::timeout(timeout, work).await {
                    Ok(Ok(items)) => Ok(items),
                    Ok(Err(e)) => Err(e.message().to_string()),
                    Err(_) => Err(format!("no answer within {}s", timeout.as_secs_f64())),
                };
                (who, result)
            })
            .buffered(self.max_concurrent_lists)
            .collect()
            .await;
        let mut items = Vec::new();
        let mut warnings = skipped;
        for (who, result) in results {
            match result {
                Ok(mut found) => items.append(&mut found),
                Err(why) => {
                    // The client gets the Warning; the controller logs the failure once (WARN on
                    // every list would repeat it for as long as the repository is broken).
                    tracing::debug!(repository = %who, reason = %why, "repository skipped in a list");
                    warnings.push(format!("repository {who} was skipped: {why}"));
                }
            }
        }
        Ok((items, warnings))
    }

    /// The revisions of every visited repository that match the field selector, with their
    /// Repository facts.
    pub(super) async fn matching_revisions(
        &self,
        options: &ListOptions<'_>,
    ) -> Result<(Vec<(Arc<CachedRevision>, Arc<RepoFacts>, RepositoryCache)>, Vec<String>), ApiError> {
        self.metadata.ready().await.map_err(|e| translate::metadata_error(&e))?;
        let filter = options.filter;
        self.per_repository(options, |repo, cache| async move {
            let facts = Arc::new(RepoFacts::of(&repo));
            let revisions = match filter.name() {
                Some(name) => cache.get(name).into_iter().collect(),
                None => cache.list(),
            };
            Ok(revisions
                .into_iter()
                .filter(|r| filter.matches(r))
                .map(|r| (r, facts.clone(), cache.clone()))
                .collect())
        })
        .await
    }

    /// GET of a PackageRevision.
    pub(crate) async fn get_revision(
        &self,
        namespace: &str,
        name: &str,
    ) -> Result<PackageRevision, ApiError> {
        Ok(self.find(&porch_api::gvk::PACKAGE_REVISION, namespace, name).await?.object())
    }

    /// LIST of PackageRevisions, as their shared JSON objects.
    pub(crate) async fn list_revisions(
        &self,
        options: &ListOptions<'_>,
    ) -> Result<Listed<Arc<Value>>, ApiError> {
        let (revisions, warnings) = self.matching_revisions(options).await?;
        let mut items = Vec::with_capacity(revisions.len());
        for (rev, facts, _) in revisions {
            let meta = self.metadata.get(&rev.namespace, &rev.name);
            let object = objects::package_revision_json(&rev, meta.as_deref(), &facts);
            if labels_match(options.labels, &object) {
                items.push((rev, object));
            }
        }
        page(items, |(rev, _)| SortKey::of(rev), |(_, object)| object, options, warnings)
    }

    /// The PackageRevisionResources of a revision: its files from the mirror.
    pub(crate) async fn resources_of(
        &self,
        cache: &RepositoryCache,
        rev: &CachedRevision,
        meta: Option<&PackageRev>,
    ) -> Result<PackageRevisionResources, ApiError> {
        let name = rev.name.as_str();
        let files = files_of(cache, rev).await?;
        let resources =
            from_files(&files).map_err(translate::on_engine(&PACKAGE_REVISION_RESOURCES, name))?;
        Ok(objects::package_revision_resources(rev, meta, resources))
    }

    /// GET of a PackageRevisionResources.
    pub(crate) async fn get_resources(
        &self,
        namespace: &str,
        name: &str,
    ) -> Result<PackageRevisionResources, ApiError> {
        let found = self.find(&PACKAGE_REVISION_RESOURCES, namespace, name).await?;
        self.resources_of(&found.cache, &found.rev, found.meta.as_deref()).await
    }

    /// LIST of PackageRevisionResources (every file of every revision of the page).
    pub(crate) async fn list_resources(
        &self,
        options: &ListOptions<'_>,
    ) -> Result<Listed<PackageRevisionResources>, ApiError> {
        let (revisions, warnings) = self.matching_revisions(options).await?;
        let mut matching = Vec::with_capacity(revisions.len());
        for (rev, facts, cache) in revisions {
            let meta = self.metadata.get(&rev.namespace, &rev.name);
            if labels_match(options.labels, &objects::package_revision_json(&rev, meta.as_deref(), &facts)) {
                matching.push((rev, cache, meta));
            }
        }
        // The files are read only for the revisions of the page.
        let Listed { items, continue_token, remaining, warnings } =
            page(matching, |(rev, _, _)| SortKey::of(rev), |item| item, options, warnings)?;
        let mut resources = Vec::with_capacity(items.len());
        for (rev, cache, meta) in items {
            resources.push(self.resources_of(&cache, &rev, meta.as_deref()).await?);
        }
        Ok(Listed { items: resources, continue_token, remaining, warnings })
    }

    /// GET of a PorchPackage.
    pub(crate) async fn get_package(&self, namespace: &str, name: &str) -> Result<PorchPackage, ApiError> {
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

    /// LIST of PorchPackages.
    pub(crate) async fn list_packages(
        &self,
        options: &ListOptions<'_>,
    ) -> Result<Listed<PorchPackage>, ApiError> {
        let filter = options.filter;
        let (items, warnings) = self
            .per_repository(options, |_, cache| async move {
                Ok(cache
                    .packages()
                    .into_iter()
                    .filter(|p| filter.matches_package(p))
                    .map(|p| {
                        let object = objects::porch_package(&p, package_resource_version(&cache, &p.package));
                        (p, object)
                    })
                    .collect())
            })
            .await?;
        let key = |(p, _): &(CachedPackage, PorchPackage)| {
            SortKey(p.namespace.clone(), p.repository.clone(), p.package.clone(), 0, 0, String::new())
        };
        let items = items
            .into_iter()
            .filter(|(_, p)| labels_match_typed(options.labels, p.metadata.labels.as_ref()))
            .collect();
        page(items, key, |(_, object)| object, options, warnings)
    }
}

/// [`labels_match`] for typed labels.
fn labels_match_typed(
    selector: Option<&LabelSelector>,
    labels: Option<&std::collections::BTreeMap<String, String>>,
) -> bool {
    selector.is_none_or(|s| s.matches(labels.unwrap_or(&Default::default())))
}

/// A package's resourceVersion: the latest of its revisions'.
fn package_resource_version(cache: &RepositoryCache, package: &str) -> u64 {
    cache.list_package(package).iter().map(|r| r.resource_version).max().unwrap_or(0)
}

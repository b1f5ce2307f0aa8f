//! Lists of the porch.kpt.dev resources (porch-api.md §4.6): the engine names the Repositories a
//! list visits; here they are visited at most `--max-concurrent-lists` at once, each bounded by
//! `--list-timeout-per-repository`. A slow or broken repository is skipped with a `Warning` and
//! never delays the others. Label selectors apply to the built objects, and `limit`/`continue`
//! page the result in the engine's list order ([`SortKey`]).

use std::future::Future;
use std::sync::Arc;

use futures::StreamExt;
use futures::future::Either;
use porch_api::{PackageRevisionResources, PorchPackage, Repository};
use porch_layers::paging::{self, Page};
use porch_layers::{ApiError, EncodedChunk, LabelSelector};
use serde_json::Value;

use crate::cache::registry::repository_key;
use crate::cache::{CachedPackage, CachedRevision, RepositoryCache};
use crate::engine::filter::RevisionFilter;
use crate::engine::segments::Segment;
use crate::engine::service::{Engine, ListedRevision, SortKey};

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

/// [`labels_match`] for typed labels.
fn labels_match_typed(
    selector: Option<&LabelSelector>,
    labels: Option<&std::collections::BTreeMap<String, String>>,
) -> bool {
    selector.is_none_or(|s| s.matches(labels.unwrap_or(&Default::default())))
}

/// The `Warning` of a Repository left out of a list.
fn skipped(repository: &str, why: &str) -> String {
    format!("repository {repository} was skipped: {why}")
}

/// Runs `each` on the cache of every Repository the list visits, concurrently and under the
/// per-repository timeout; results come back in Repository order, skipped ones as warnings.
async fn per_repository<T, F, Fut>(
    engine: &Engine,
    options: &ListOptions<'_>,
    each: F,
) -> Result<(Vec<T>, Vec<String>), ApiError>
where
    F: Fn(Repository, RepositoryCache) -> Fut,
    Fut: Future<Output = Result<Vec<T>, ApiError>>,
{
    let (repos, undecodable) = engine.list_repositories(options.namespace, options.filter).await?;
    let timeout = engine.list_timeout();
    let each = &each;
    let results: Vec<(String, Result<Vec<T>, String>)> = futures::stream::iter(repos)
        .map(|repo| async move {
            let (ns, name) = repository_key(&repo);
            let who = format!("{ns}/{name}");
            let work = async {
                let cache = engine.cache(&repo).await?;
                each(repo, cache).await
            };
            let result = match tokio::time::timeout(timeout, work).await {
                Ok(Ok(items)) => Ok(items),
                Ok(Err(e)) => Err(e.message().to_string()),
                Err(_) => Err(format!("no answer within {}s", timeout.as_secs_f64())),
            };
            (who, result)
        })
        .buffered(engine.max_concurrent_lists())
        .collect()
        .await;
    let mut items = Vec::new();
    let mut warnings: Vec<String> = undecodable
        .iter()
        .map(|u| skipped(&u.repository, &format!("the stored object does not decode: {}", u.error)))
        .collect();
    for (who, result) in results {
        match result {
            Ok(mut found) => items.append(&mut found),
            Err(why) => {
                // The client gets the Warning; the controller logs the failure once (WARN on
                // every list would repeat it for as long as the repository is broken).
                tracing::debug!(repository = %who, reason = %why, "repository skipped in a list");
                warnings.push(skipped(&who, &why));
            }
        }
    }
    Ok((items, warnings))
}

/// The revisions of every visited repository that match the field selector, with their
/// Repository facts.
async fn matching_revisions(
    engine: &Engine,
    options: &ListOptions<'_>,
) -> Result<(Vec<ListedRevision>, Vec<String>), ApiError> {
    let filter = options.filter;
    // The caches open while the metadata loads (after a restart, both take a while).
    let (ready, matching) = futures::join!(
        engine.metadata_ready(),
        per_repository(engine, options, |repo, cache| async move {
            Ok(engine.revisions_in(&repo, &cache, filter))
        },)
    );
    ready?;
    matching
}

/// Every revision of `namespace` a list sees (skipped repositories left out): what a delete
/// checks for revisions that use the deleted one as their upstream.
pub(crate) async fn namespace_revisions(
    engine: &Engine,
    namespace: &str,
) -> Result<Vec<Arc<CachedRevision>>, ApiError> {
    let filter = RevisionFilter::default();
    let options = ListOptions {
        namespace: Some(namespace),
        filter: &filter,
        labels: None,
        limit: None,
        continue_token: None,
    };
    let (revisions, _) = matching_revisions(engine, &options).await?;
    Ok(revisions.into_iter().map(|(rev, _, _)| rev).collect())
}

/// A page of objects kept encoded, in order.
#[derive(Debug, Default)]
pub(crate) struct EncodedPage {
    /// The encodings of the objects.
    pub(crate) chunks: Vec<EncodedChunk>,
    /// The token of the next page, if there are more items.
    pub(crate) continue_token: Option<String>,
    /// How many items follow the page.
    pub(crate) remaining: Option<u64>,
    /// Repositories that were skipped, as `Warning` texts.
    pub(crate) warnings: Vec<String>,
}

/// LIST of PackageRevisions, as their encodings. A list of whole repositories (no label
/// selector, no paging, no field selector but the repository and namespace) is written from each
/// repository's encoded segment; any other from each matching revision's own kept encoding.
pub(crate) async fn revisions(engine: &Engine, options: &ListOptions<'_>) -> Result<EncodedPage, ApiError> {
    let whole = options.labels.is_none()
        && options.limit.is_none()
        && options.continue_token.is_none()
        && options.filter.selects_whole_repositories();
    if whole {
        return whole_repositories(engine, options).await;
    }
    let (revisions, warnings) = matching_revisions(engine, options).await?;
    let matching = revisions
        .into_iter()
        .filter(|(rev, _, _)| labels_match_typed(options.labels, Some(&engine.revision_labels(rev))))
        .collect();
    let Listed { items, continue_token, remaining, warnings } = page(
        matching,
        |(rev, _, _)| SortKey::of(rev),
        |(rev, facts, _)| engine.revision_json(&rev, &facts).chunk(),
        options,
        warnings,
    )?;
    Ok(EncodedPage { chunks: items, continue_token, remaining, warnings })
}

/// The revisions of every visited repository, from their segments; segments of repositories of
/// the listed scope that were not visited (deleted ones) are forgotten.
async fn whole_repositories(engine: &Engine, options: &ListOptions<'_>) -> Result<EncodedPage, ApiError> {
    // The caches open while the metadata loads (after a restart, both take a while).
    let (ready, opened) = futures::join!(
        engine.metadata_ready(),
        per_repository(engine, options, |repo, cache| async move { Ok(vec![(repo, cache)]) })
    );
    ready?;
    let (opened, warnings) = opened?;
    if options.filter.repository().is_none() {
        let visited: std::collections::HashSet<_> =
            opened.iter().map(|(repo, _)| repository_key(repo)).collect();
        let scope = options.filter.namespace().or(options.namespace);
        engine.retain_segments(|key| scope.is_some_and(|ns| ns != key.0) || visited.contains(key));
    }
    let segments = segments(engine, opened).await?;
    let chunks = segments.iter().filter_map(|segment| segment.chunk.clone()).collect();
    Ok(EncodedPage { chunks, warnings, ..EncodedPage::default() })
}

/// The segments of the `opened` repositories, in order: the current ones as they are, each other
/// built on a task of its own (the first list after a restart builds every one: spread over the
/// cores rather than built one after another by this request's task).
async fn segments(
    engine: &Engine,
    opened: Vec<(Repository, RepositoryCache)>,
) -> Result<Vec<Arc<Segment>>, ApiError> {
    let segments = opened.into_iter().map(|(repo, cache)| match engine.current_segment(&repo, &cache) {
        Some(segment) => Either::Left(std::future::ready(Ok(segment))),
        None => {
            let engine = engine.clone();
            Either::Right(tokio::spawn(async move { engine.build_segment(&repo, &cache) }))
        }
    });
    futures::future::try_join_all(segments).await.map_err(ApiError::internal)
}

/// LIST of PackageRevisionResources (every file of every revision of the page).
pub(crate) async fn resources(
    engine: &Engine,
    options: &ListOptions<'_>,
) -> Result<Listed<PackageRevisionResources>, ApiError> {
    let (revisions, warnings) = matching_revisions(engine, options).await?;
    let mut matching: Vec<(Arc<CachedRevision>, RepositoryCache)> = Vec::with_capacity(revisions.len());
    for (rev, _, cache) in revisions {
        if options.labels.is_none() || labels_match_typed(options.labels, Some(&engine.revision_labels(&rev)))
        {
            matching.push((rev, cache));
        }
    }
    // The files (and metadata) are read only for the revisions of the page.
    let Listed { items, continue_token, remaining, warnings } =
        page(matching, |(rev, _)| SortKey::of(rev), |item| item, options, warnings)?;
    let mut resources = Vec::with_capacity(items.len());
    for (rev, cache) in items {
        let meta = engine.revision_meta(&rev);
        resources.push(engine.resources_of(&cache, &rev, meta.as_deref()).await?);
    }
    Ok(Listed { items: resources, continue_token, remaining, warnings })
}

/// LIST of PorchPackages.
pub(crate) async fn packages(
    engine: &Engine,
    options: &ListOptions<'_>,
) -> Result<Listed<PorchPackage>, ApiError> {
    let filter = options.filter;
    let (items, warnings) =
        per_repository(engine, options, |_, cache| async move { Ok(engine.packages_in(&cache, filter)) })
            .await?;
    let items = items
        .into_iter()
        .filter(|(_, p): &(CachedPackage, PorchPackage)| {
            labels_match_typed(options.labels, p.metadata.labels.as_ref())
        })
        .collect();
    page(items, |(p, _)| SortKey::of_package(p), |(_, object)| object, options, warnings)
}

#[cfg(test)]
mod tests {
    use porch_layers::paging::token;

    use super::*;

    fn options(continue_token: Option<&str>) -> ListOptions<'_> {
        static FILTER: std::sync::LazyLock<RevisionFilter> =
            std::sync::LazyLock::new(RevisionFilter::default);
        ListOptions { namespace: None, filter: &FILTER, labels: None, limit: Some(1), continue_token }
    }

    fn key(i: i32) -> SortKey {
        serde_json::from_value(serde_json::json!(["ns", "repo", "pkg", i, 0, ""])).unwrap()
    }

    #[test]
    fn a_bad_continue_token_is_a_400_that_quotes_it() {
        let e = page(vec![1], |i| key(*i), |i| i, &options(Some("no\"pe")), Vec::new()).unwrap_err();
        assert_eq!(e.code(), 400);
        assert_eq!(e.message(), r#"continue key is not valid: "no\"pe""#);
        let other_shape = token::encode(&["ns", "name"]);
        let e = page(vec![1], |i| key(*i), |i| i, &options(Some(&other_shape)), Vec::new()).unwrap_err();
        assert_eq!(e.message(), format!("continue key is not valid: {other_shape:?}"));
    }

    #[test]
    fn pages_continue_after_the_last_key_and_keep_the_warnings() {
        let first = page(vec![1, 2, 3], |i| key(*i), |i| i, &options(None), vec!["w".into()]).unwrap();
        assert_eq!((first.items, first.remaining, first.warnings), (vec![1], Some(2), vec!["w".to_string()]));
        let token = first.continue_token.unwrap();
        let second = page(vec![1, 2, 3], |i| key(*i), |i| i, &options(Some(&token)), Vec::new()).unwrap();
        assert_eq!(second.items, [2]);
    }
}

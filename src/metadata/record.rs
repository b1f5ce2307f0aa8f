//! The caches' change log ([`ChangeLog`]): every change of a revision is a write of its
//! PackageRev, and the revision's resourceVersion is the one the PackageRev has afterwards.
//!
//! - A revision that appears or changes gets its [`RevisionState`] into `spec.state` (its
//!   PackageRev created when missing). A PackageRev that holds that state already is not
//!   written: it keeps its resourceVersion, so a restart that finds every revision as it was
//!   writes nothing and every resourceVersion stays.
//! - A revision that is gone gets its state cleared and the server's finalizer dropped in one
//!   write (whose resourceVersion is the revision's DELETED); then the PackageRev is deleted
//!   (user finalizers keep it, terminating, as they keep any object).
//!
//! Every answer goes into the read-your-writes overlay; a lost race is retried from a fresh read.

use futures::future::BoxFuture;
use futures::{StreamExt, TryStreamExt};
use kube::Resource;
use kube::api::{DeleteParams, PostParams};
use porch_api::PackageRev;
use porch_api::config::{RevisionState, user_finalizers};
use porch_api::labels::PACKAGE_REVISION_FINALIZER;
use porch_controllers::Stored;

use super::retry::{is_not_found, retry_on_conflict};
use super::write::stored_rv;
use super::{Metadata, MetadataError, UserMeta, decoded_or_fresh, meta_rv, non_empty};
use crate::cache::{CacheError, ChangeLog, RevisionChange};

/// How many PackageRev writes of one batch run at once. A request's few changes (an approval
/// moves the revision and the package's main placeholder, and maybe the previous latest) go
/// out together, so the store commits them as one; their resourceVersions, and so the order
/// watchers see them in, are the order they are committed in.
const CONCURRENCY: usize = 16;

impl ChangeLog for Metadata {
    fn record(&self, changes: Vec<RevisionChange>) -> BoxFuture<'static, crate::cache::Result<Vec<u64>>> {
        let this = self.clone();
        Box::pin(async move {
            let repository =
                changes.first().map(|c| format!("{}/{}", c.namespace, c.repository)).unwrap_or_default();
            let fail =
                |e: MetadataError| CacheError::Record { repository: repository.clone(), source: Box::new(e) };
            this.ready().await.map_err(fail)?;
            futures::stream::iter(changes)
                .map(|change| {
                    let this = this.clone();
                    async move {
                        match &change.state {
                            Some(state) => this.record_state(&change, state).await,
                            None => this.record_gone(&change).await,
                        }
                    }
                })
                .buffered(CONCURRENCY)
                .try_collect()
                .await
                .map_err(fail)
        })
    }
}

impl Metadata {
    /// Writes `state` into the PackageRev of `change` (creating it) unless it holds it.
    async fn record_state(
        &self,
        change: &RevisionChange,
        state: &RevisionState,
    ) -> Result<u64, MetadataError> {
        let (ns, name) = (change.namespace.as_str(), change.name.as_str());
        let fresh = || {
            let mut rev = PackageRev::shadow(ns, name, &change.repository, &UserMeta::default());
            rev.spec.state = Some(state.clone());
            rev
        };
        let written = self
            .upsert(ns, name, &change.repository, fresh, |rev| {
                let changed = rev.spec.state.as_ref() != Some(state);
                rev.spec.state = Some(state.clone());
                changed
            })
            .await?;
        Ok(meta_rv(&written).unwrap_or(0))
    }

    /// Records that the revision of `change` is gone: clears its state and the server's
    /// finalizer (one write, whose resourceVersion is returned), then deletes the PackageRev.
    async fn record_gone(&self, change: &RevisionChange) -> Result<u64, MetadataError> {
        let (ns, name) = (change.namespace.as_str(), change.name.as_str());
        let api = &self.api(ns);
        let err = |action| move |e| MetadataError::api(action, ns, name, e);
        let rv = retry_on_conflict(MetadataError::is_conflict, |_| async move {
            let rev = match api.get_opt(name).await.map_err(err("read"))? {
                Some(rev) => decoded_or_fresh(rev),
                None => {
                    // None to clear: make one, so the change still gets a resourceVersion.
                    let rev = PackageRev::shadow(ns, name, &change.repository, &UserMeta::default());
                    decoded_or_fresh(
                        api.create(&PostParams::default(), &Stored::new(rev)).await.map_err(err("create"))?,
                    )
                }
            };
            let server_finalizer =
                rev.metadata.finalizers.iter().flatten().any(|f| f == PACKAGE_REVISION_FINALIZER);
            if rev.spec.state.is_none() && !server_finalizer {
                return Ok(meta_rv(&rev).unwrap_or(0));
            }
            let mut rev = rev;
            rev.spec.state = None;
            rev.metadata.finalizers = non_empty(user_finalizers(&rev.metadata));
            match api.replace(name, &PostParams::default(), &Stored::new(rev)).await {
                Ok(written) => {
                    let rv = stored_rv(&written).unwrap_or(0);
                    self.remember(decoded_or_fresh(written));
                    Ok(rv)
                }
                // Deleted in between by someone else (nothing of ours does while the revision is
                // indexed): no resourceVersion of ours to give the change.
                Err(e) if is_not_found(&e) => Ok(0),
                Err(e) => Err(err("update")(e)),
            }
        })
        .await?;
        match self.api(ns).delete(name, &DeleteParams::default()).await {
            // User finalizers keep it, terminating.
            Ok(either::Either::Left(rev))
                if rev.meta().finalizers.as_ref().is_some_and(|f| !f.is_empty()) =>
            {
                self.remember(decoded_or_fresh(rev));
            }
            Ok(either::Either::Left(rev)) => self.forget(ns, name, stored_rv(&rev)),
            Ok(either::Either::Right(_)) => self.forget(ns, name, Some(rv)),
            Err(e) if is_not_found(&e) => self.forget(ns, name, Some(rv)),
            Err(e) => return Err(MetadataError::api("delete", ns, name, e)),
        }
        Ok(rv)
    }
}

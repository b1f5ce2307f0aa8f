//! Writes of PackageRevs: put (create or update so that it carries exactly the user's
//! metadata), delete, release of the server's finalizer, and purge. Each write's answer goes
//! into the overlay at once; a write that loses a race is retried by [`retry_on_conflict`].

use std::sync::Arc;

use kube::Resource;
use kube::api::{DeleteParams, PostParams};
use porch_api::PackageRev;
use porch_api::config::{UserMeta, set_shadow_meta, user_finalizers};
use porch_api::labels::INTERNAL_REPOSITORY_LABEL;
use porch_controllers::Stored;

use super::retry::{is_conflict, is_not_found, retry_on_conflict};
use super::{Metadata, MetadataError, decoded_or_fresh, non_empty};

impl MetadataError {
    /// The failed API call `action` on PackageRev `namespace/name`.
    pub(super) fn api(action: &'static str, namespace: &str, name: &str, source: kube::Error) -> Self {
        Self::Api { action, name: format!("{namespace}/{name}"), source }
    }

    /// Whether this is a lost race, worth retrying from a fresh read.
    pub(super) fn is_conflict(&self) -> bool {
        matches!(self, Self::Api { source, .. } if is_conflict(source))
    }
}

/// The numeric resourceVersion of a stored object.
pub(super) fn stored_rv(stored: &Stored<PackageRev>) -> Option<u64> {
    stored.meta().resource_version.as_deref().and_then(|v| v.parse().ok())
}

impl Metadata {
    /// Creates or updates the PackageRev of PackageRevision `namespace/name` (in `repository`)
    /// so that it carries exactly `user`.
    pub(crate) async fn put(
        &self,
        namespace: &str,
        name: &str,
        repository: &str,
        user: &UserMeta,
    ) -> Result<Arc<PackageRev>, MetadataError> {
        self.upsert(
            namespace,
            name,
            repository,
            || PackageRev::shadow(namespace, name, repository, user),
            |rev| {
                set_shadow_meta(&mut rev.metadata, repository, user);
                true
            },
        )
        .await
    }

    /// Updates the PackageRev `namespace/name` of a revision of `repository` with `edit` (which
    /// answers whether it changed anything; nothing is written when not), with the server's
    /// label naming `repository` (the store keeps it without), or creates `fresh()` when there
    /// is none. The first attempt starts from memory (nothing there: a create, without a read
    /// first); a retry after a lost race (a conflict, or one created in between) reads afresh.
    /// Returns what is seen of it afterwards.
    pub(super) async fn upsert(
        &self,
        namespace: &str,
        name: &str,
        repository: &str,
        fresh: impl Fn() -> PackageRev,
        edit: impl Fn(&mut PackageRev) -> bool,
    ) -> Result<Arc<PackageRev>, MetadataError> {
        let api = &self.api(namespace);
        let err = |action| move |e| MetadataError::api(action, namespace, name, e);
        let (fresh, edit) = (&fresh, &edit);
        retry_on_conflict(MetadataError::is_conflict, |attempt| async move {
            let current = if attempt == 1 {
                self.get(namespace, name)
            } else {
                api.get_opt(name).await.map_err(err("read"))?.map(|r| Arc::new(decoded_or_fresh(r)))
            };
            let written = match current {
                Some(current) => {
                    let mut rev = (*current).clone();
                    if !edit(&mut rev) {
                        return Ok(current);
                    }
                    let labels = rev.metadata.labels.get_or_insert_default();
                    labels.insert(INTERNAL_REPOSITORY_LABEL.into(), repository.into());
                    api.replace(name, &PostParams::default(), &Stored::new(rev))
                        .await
                        .map_err(err("update"))?
                }
                None => {
                    api.create(&PostParams::default(), &Stored::new(fresh())).await.map_err(err("create"))?
                }
            };
            Ok(self.remember(decoded_or_fresh(written)))
        })
        .await
    }

    /// Deletes the PackageRev of `namespace/name`. With user finalizers left it stays, marked
    /// terminating, and is returned; otherwise the server's finalizer is released and `None`
    /// comes back once it is gone (also when there was none).
    pub(crate) async fn delete(
        &self,
        namespace: &str,
        name: &str,
    ) -> Result<Option<Arc<PackageRev>>, MetadataError> {
        let deleted = match self.api(namespace).delete(name, &DeleteParams::default()).await {
            Ok(either::Either::Left(rev)) => rev,
            Ok(either::Either::Right(_)) => {
                self.forget(namespace, name, None);
                return Ok(None);
            }
            Err(e) if is_not_found(&e) => {
                self.forget(namespace, name, None);
                return Ok(None);
            }
            Err(e) => return Err(MetadataError::api("delete", namespace, name, e)),
        };
        let rev = self.remember(decoded_or_fresh(deleted));
        if !user_finalizers(&rev.metadata).is_empty() {
            return Ok(Some(rev));
        }
        self.release(namespace, name).await?;
        Ok(None)
    }

    /// Removes the PackageRev of `namespace/name` whatever finalizers it has (the rollback of a
    /// create that failed).
    pub(crate) async fn purge(
        &self,
        namespace: &str,
        name: &str,
        repository: &str,
    ) -> Result<(), MetadataError> {
        self.put(namespace, name, repository, &UserMeta::default()).await?;
        self.delete(namespace, name).await.map(drop)
    }

    /// Drops the server's finalizer of a terminating PackageRev so that it goes away.
    pub(crate) async fn release(&self, namespace: &str, name: &str) -> Result<(), MetadataError> {
        let api = &self.api(namespace);
        let err = |action| move |e| MetadataError::api(action, namespace, name, e);
        retry_on_conflict(MetadataError::is_conflict, |_| async move {
            let Some(rev) = api.get_opt(name).await.map_err(err("read"))? else {
                self.forget(namespace, name, None);
                return Ok(());
            };
            let last = stored_rv(&rev);
            let mut rev = decoded_or_fresh(rev);
            let finalizers = user_finalizers(&rev.metadata);
            let kept = !finalizers.is_empty();
            rev.metadata.finalizers = non_empty(finalizers);
            match api.replace(name, &PostParams::default(), &Stored::new(rev)).await {
                Ok(rev) if rev.meta().deletion_timestamp.is_none() || kept => {
                    self.remember(decoded_or_fresh(rev));
                    Ok(())
                }
                Ok(rev) => {
                    self.forget(namespace, name, stored_rv(&rev));
                    Ok(())
                }
                Err(e) if is_not_found(&e) => {
                    self.forget(namespace, name, last);
                    Ok(())
                }
                Err(e) => Err(err("release")(e)),
            }
        })
        .await
    }
}

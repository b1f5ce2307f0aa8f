//! Clones from git repositories that are not registered (porch-api.md §7.5): one read-only
//! mirror per remote (and credentials Secret) under `<data-dir>/git/_upstreams/`, fetched before
//! each clone; the ref resolved as Porch does (`<dir>/<ref>`, `<ref>`, or a commit id), and the
//! package directory's files read from that commit.

use std::path::Path;

use git2::{ObjectType, Oid};
use porch_api::gvk::PACKAGE_REVISION;
use porch_api::porch::GitPackage;
use porch_layers::FieldCause;

use super::Engine;
use super::error::{Result, ServiceError};
use crate::cache::credentials;
use crate::engine::EngineError;
use crate::engine::Files;
use crate::engine::tasks::clone::git_ref_candidates;
use crate::error_chain::with_causes;
use crate::git::{GitRepository, RepoConfig};

const FIELD: &str = "spec.tasks[0].clone.upstreamRef.git";

/// The clone task's `field` is wrong (the object has no name yet).
fn invalid(field: &str, message: String) -> ServiceError {
    ServiceError::on_engine("clone", &PACKAGE_REVISION, "")(EngineError::invalid(FieldCause::invalid(
        field, message,
    )))
}

impl Engine {
    /// The mirror of `url` read with the Secret `secret` (empty: none), opened once and shared.
    async fn upstream_mirror(&self, namespace: &str, url: &str, secret: &str) -> Result<GitRepository> {
        let key = format!("{url}\n{namespace}/{secret}");
        if let Some(found) = self.upstreams.lock().unwrap_or_else(|e| e.into_inner()).get(&key) {
            return Ok(found.clone());
        }
        let creds = match secret {
            "" => None,
            name => Some(
                credentials::read(&self.client, namespace, name)
                    .await
                    .map_err(|e| invalid(&format!("{FIELD}.secretRef.name"), with_causes(&e)))?,
            ),
        };
        let dir_name = Oid::hash_object(ObjectType::Blob, key.as_bytes())
            .map_err(|e| {
                ServiceError::on_engine("clone", &PACKAGE_REVISION, "")(EngineError::internal(e.to_string()))
            })?
            .to_string();
        let dir = self.data_dir.join("git").join("_upstreams").join(dir_name);
        let repo = GitRepository::open(Path::new(&dir), RepoConfig::new(url), creds)
            .await
            .map_err(|source| ServiceError::Git { step: "open the upstream mirror".to_string(), source })?;
        let mut upstreams = self.upstreams.lock().unwrap_or_else(|e| e.into_inner());
        Ok(upstreams.entry(key).or_insert(repo).clone())
    }

    /// Fetches `package.repo` and returns the commit `package.ref` resolves to and the files of
    /// `package.directory` in it; an invalid field naming it when the remote, ref or directory is wrong.
    pub(super) async fn git_upstream(
        &self,
        namespace: &str,
        package: &GitPackage,
    ) -> Result<(String, Files)> {
        if package.repo.is_empty() {
            return Err(invalid(&format!("{FIELD}.repo"), "the upstream repository is required".into()));
        }
        let mirror = self.upstream_mirror(namespace, &package.repo, &package.secret_ref.name).await?;
        let refs = mirror.fetch_refs().await.map_err(|e| {
            invalid(&format!("{FIELD}.repo"), format!("failed to fetch the upstream: {}", with_causes(&e)))
        })?;
        let by_name =
            git_ref_candidates(&package.directory, &package.ref_).into_iter().find_map(|c| refs.resolve(&c));
        let commit = by_name
            .or_else(|| Oid::from_str(&package.ref_).ok().filter(|_| package.ref_.len() == 40))
            .ok_or_else(|| {
                invalid(
                    &format!("{FIELD}.ref"),
                    format!("cannot find ref {:?} in {}", package.ref_, package.repo),
                )
            })?;
        let directory = package.directory.trim_matches('/').to_string();
        let files = mirror.read_package(commit, directory.clone()).await.map_err(|e| {
            invalid(
                &format!("{FIELD}.directory"),
                format!("cannot read {directory:?} at {:?}: {}", package.ref_, with_causes(&e)),
            )
        })?;
        Ok((commit.to_string(), files))
    }
}

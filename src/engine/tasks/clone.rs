//! The `clone` task: an upstream package's files made into a new package (porch-api.md §7.5).

use porch_api::porch::{GitLock, GitPackage, MergeStrategy};
use porch_layers::FieldCause;

use super::context::{PACKAGE_CONTEXT_FILE, package_context};
use super::package_base_name;
use crate::engine::Result;
use crate::engine::kptfile;
use crate::engine::{EngineError, Files};

/// Where a clone goes.
#[derive(Debug, Clone, Copy)]
pub(crate) struct CloneTarget<'a> {
    /// Package path of the new package in its repository (may contain `/`).
    pub package_path: &'a str,
    /// Whether the target repository is a deployment repository (`spec.deployment`).
    pub deployment: bool,
    /// The Kptfile `upstream.updateStrategy`.
    pub strategy: &'a MergeStrategy,
}

/// The new package's files: the upstream files with the root Kptfile's `metadata.name` set to
/// the new package's name (last path segment), `upstream` {git repo/directory/ref,
/// updateStrategy} and `upstreamLock` {git repo/directory/ref/commit} from `lock`; for
/// deployment repositories `package-context.yaml` is (re)generated with the package's name and,
/// for nested paths, `package-path`. Fails (422) when the upstream has no readable root
/// Kptfile. Does not mutate its inputs.
pub(crate) fn clone_package(upstream: &Files, lock: &GitLock, target: CloneTarget<'_>) -> Result<Files> {
    let Some(mut kptfile) = kptfile::read_root(upstream)? else {
        return Err(EngineError::invalid(FieldCause::invalid(
            "spec.tasks[0].clone.upstreamRef",
            format!("upstream package {:?} is missing Kptfile", lock.directory),
        )));
    };
    let name = package_base_name(target.package_path);
    kptfile.set_name(name);
    kptfile.set_upstream(lock, Some(target.strategy.as_str()));
    kptfile.set_upstream_lock(lock);
    let mut files = upstream.clone();
    kptfile::write_root(&mut files, &kptfile);
    if target.deployment {
        let path = target.package_path.trim_matches('/');
        let nested = path.contains('/').then_some(path);
        files.insert(PACKAGE_CONTEXT_FILE.to_string(), package_context(name, nested).into_bytes());
    }
    Ok(files)
}

/// The lock of a clone from an unregistered git repository: the given repo and ref, the
/// directory without leading/trailing `/`, and the commit the ref resolved to.
pub(crate) fn raw_git_lock(package: &GitPackage, commit: &str) -> GitLock {
    GitLock {
        repo: package.repo.clone(),
        directory: package.directory.trim_matches('/').to_string(),
        ref_: package.ref_.clone(),
        commit: commit.to_string(),
    }
}

/// The refs to try, in order, when resolving `ref_` of a raw git clone (§7.5):
/// `<dir>/<ref>`, `refs/remotes/origin/<dir>/<ref>`, `<ref>`, `refs/remotes/origin/<ref>`, with
/// the directory trimmed of `/` (the directory-qualified ones are skipped for the root).
pub(crate) fn git_ref_candidates(directory: &str, ref_: &str) -> Vec<String> {
    let dir = directory.trim_matches('/');
    let mut refs = Vec::with_capacity(4);
    if !dir.is_empty() {
        refs.push(format!("{dir}/{ref_}"));
        refs.push(format!("refs/remotes/origin/{dir}/{ref_}"));
    }
    refs.push(ref_.to_string());
    refs.push(format!("refs/remotes/origin/{ref_}"));
    refs
}

#[cfg(test)]
#[path = "clone_tests.rs"]
mod tests;

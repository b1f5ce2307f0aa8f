//! The `upgrade` task (render-upgrade.md §4.1): a downstream package's local revision merged
//! onto a new upstream revision, with the old upstream as the common ancestor, by one of kpt's
//! update strategies ([`porch_krm::update`]); then the root Kptfile points at the new upstream.

use porch_api::porch::{GitLock, PackageRevisionLifecycle, PackageUpgradeTaskSpec};
use porch_krm::update::{Strategy, ensure_merge_keys, update};
use porch_layers::FieldCause;

use crate::engine::{EngineError, Files, Result, kptfile};

/// The field of each reference of an upgrade task.
pub(crate) const OLD_UPSTREAM_FIELD: &str = "spec.tasks[0].upgrade.oldUpstreamRef.name";
/// See [`OLD_UPSTREAM_FIELD`].
pub(crate) const NEW_UPSTREAM_FIELD: &str = "spec.tasks[0].upgrade.newUpstreamRef.name";
/// See [`OLD_UPSTREAM_FIELD`].
pub(crate) const LOCAL_FIELD: &str = "spec.tasks[0].upgrade.localPackageRevisionRef.name";

fn invalid(field: &str, message: impl Into<String>) -> EngineError {
    EngineError::invalid(FieldCause::invalid(field, message))
}

/// The three references of `spec`, each with its field; an empty name is a required field
/// ("newUpstreamRef.name is required").
pub(crate) fn upgrade_refs(spec: &PackageUpgradeTaskSpec) -> Result<[(&'static str, &str); 3]> {
    let refs = [
        (OLD_UPSTREAM_FIELD, spec.old_upstream.name.as_str()),
        (NEW_UPSTREAM_FIELD, spec.new_upstream.name.as_str()),
        (LOCAL_FIELD, spec.local_package_revision_ref.name.as_str()),
    ];
    for (field, name) in refs {
        if name.is_empty() {
            let short = field.trim_start_matches("spec.tasks[0].upgrade.");
            return Err(EngineError::invalid(FieldCause::required(field, format!("{short} is required"))));
        }
    }
    Ok(refs)
}

/// What the checks need to know of one revision an upgrade names.
#[derive(Debug, Clone, Copy)]
pub(crate) struct SourceFacts<'a> {
    /// The reference's field ([`OLD_UPSTREAM_FIELD`], ...).
    pub field: &'static str,
    /// Object name of the revision.
    pub name: &'a str,
    /// Its repository.
    pub repository: &'a str,
    /// Whether it is its repository's placeholder revision.
    pub placeholder: bool,
    /// Its lifecycle.
    pub lifecycle: &'a PackageRevisionLifecycle,
}

/// Porch's checks of the revisions an upgrade names, in `[old, new, local]` order: the new
/// upstream and the local revision may not be placeholders ("target upstream revision may not
/// be the placeholder package revision <repo>/<name>", "source revision may not be …"), and
/// all three must be published ("all source PackageRevisions of upgrade task must be
/// published, "<name>" is not"). Porch's v1alpha1 server checks publication only for the
/// revisions of the package being created; every source is checked here, as its v1alpha2
/// controller does, since merging from a draft would record an upstream lock on a commit that
/// may never be published.
pub(crate) fn check_upgrade_sources(sources: [SourceFacts<'_>; 3]) -> Result<()> {
    let [_, new, local] = sources;
    for (source, what) in [(new, "target upstream revision"), (local, "source revision")] {
        if source.placeholder {
            return Err(invalid(
                source.field,
                format!(
                    "{what} may not be the placeholder package revision {}/{}",
                    source.repository, source.name
                ),
            ));
        }
    }
    for source in sources {
        if !source.lifecycle.is_published() {
            return Err(invalid(
                source.field,
                format!(
                    "all source PackageRevisions of upgrade task must be published, {:?} is not",
                    source.name
                ),
            ));
        }
    }
    Ok(())
}

/// The inputs of [`upgrade_package`]: the three file sets.
#[derive(Debug, Clone, Copy)]
pub(crate) struct UpgradeFiles<'a> {
    /// The old upstream revision (the common ancestor).
    pub original: &'a Files,
    /// The new upstream revision.
    pub updated: &'a Files,
    /// The local revision being upgraded.
    pub local: &'a Files,
}

/// An upstream revision's files as a clone into the local package makes them: the root Kptfile
/// named as the local package is, and the merge keys added (render-upgrade.md §4.4). Both
/// upstream sides of the merge are seen this way, so that what the clone itself wrote is not
/// taken for a local change: Porch merges the upstream files as they are, so its fast-forward
/// finds every cloned package modified and its resource-merge keeps a resource deleted upstream
/// that was never touched locally (its clone added the upstream-identifier annotation).
fn as_cloned(upstream: &Files, name: &str) -> Result<Files> {
    let mut files = upstream.clone();
    if let Some(mut root) = kptfile::read_root(&files)? {
        root.set_name(name);
        kptfile::write_root(&mut files, &root);
    }
    for (path, problem) in ensure_merge_keys(&mut files) {
        tracing::debug!(file = %path, %problem, "an upstream file takes no merge keys");
    }
    Ok(files)
}

/// The upgraded package: `files` merged by `strategy` (Porch's strategy string; unknown or
/// empty means `resource-merge`), the upstream sides seen [`as_cloned`], then the root Kptfile's `upstream` set to
/// `{type: git, git: {repo, directory, ref}}` and `upstreamLock` to the same plus the commit, of
/// `lock` — without `updateStrategy`, as Porch's `UpdateKptfileUpstream` writes it. A merge
/// failure is invalid on the task's strategy field, worded as Porch words it ("error updating
/// the package "<package>" to revision "<new upstream>": …"). Does not mutate its inputs.
pub(crate) fn upgrade_package(
    files: UpgradeFiles<'_>,
    strategy: &str,
    lock: &GitLock,
    package: &str,
    new_upstream: &str,
) -> Result<Files> {
    let Some(local_root) = kptfile::read_root(files.local)? else {
        return Err(invalid(LOCAL_FIELD, "the local package revision has no Kptfile at its root"));
    };
    let original = as_cloned(files.original, local_root.name())?;
    let updated = as_cloned(files.updated, local_root.name())?;
    let merged = update(Strategy::from_name(strategy), &original, &updated, files.local).map_err(|e| {
        invalid(
            "spec.tasks[0].upgrade.strategy",
            format!("error updating the package {package:?} to revision {new_upstream:?}: {e}"),
        )
    })?;
    let mut merged: Files = merged.into_iter().collect();
    let Some(mut root) = kptfile::read_root(&merged)? else {
        return Err(invalid(LOCAL_FIELD, "the upgraded package has no Kptfile at its root"));
    };
    root.set_upstream(lock, None);
    root.set_upstream_lock(lock);
    kptfile::write_root(&mut merged, &root);
    Ok(merged)
}

#[cfg(test)]
#[path = "upgrade_tests.rs"]
mod tests;

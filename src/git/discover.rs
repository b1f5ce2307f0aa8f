//! Discovery (§7.2): the package revisions a mirror's refs hold, as plain data.
//!
//! Everything here reads the object database only. A caller that diffs ref sets re-discovers
//! just the changed refs with [`Discoverer::revisions_of`]; the branch yields every placeholder.

use std::collections::{BTreeMap, BTreeSet};

use git2::{Commit, Oid, Repository};
use porch_api::porch::{PackageRevisionLifecycle, Task};

use super::config::RepoConfig;
use super::error::{GitError, Scrubber};
use super::history::{self, Authored};
use super::kptfile::{KPTFILE, KptfileInfo};
use super::refs::{HEADS, PorchRef, RefSet, TAGS, parse_revision};
use super::tree;
use crate::git::Result;

/// A package revision found in git. Serializable, for the indexes a cache saves at shutdown.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct DiscoveredRevision {
    /// Package path relative to the Repository directory (`spec.packageName`).
    pub package: String,
    /// Package path from the repository root (directory included).
    pub full_path: String,
    /// Workspace name.
    pub workspace: String,
    /// -1 for the placeholder and non-numeric tags, 0 for drafts/proposed, N for tag `v<N>`.
    pub revision: i32,
    /// Lifecycle from the ref kind and the `deletionProposed/…` branches.
    pub lifecycle: PackageRevisionLifecycle,
    /// The remote ref holding the revision (`refs/heads/main`, `refs/tags/pkg/v1`,
    /// `refs/heads/drafts/pkg/ws`).
    pub ref_name: String,
    /// Commit the ref points to.
    #[serde(with = "super::oid_serde")]
    pub commit: Oid,
    /// Tree of the package directory in that commit (changes only when the package does).
    #[serde(with = "super::oid_serde")]
    pub tree: Oid,
    /// The creation task from the `kpt:` annotations (empty for revisions made outside Porch and
    /// for placeholders).
    pub tasks: Vec<Task>,
    /// Author email and time of the ref's tip commit (tags, drafts) or of the newest commit
    /// annotated for the package (placeholders). The API shows them only once published.
    pub published: Option<Authored>,
    /// Fields mirrored from the root Kptfile.
    pub kptfile: KptfileInfo,
}

impl DiscoveredRevision {
    /// The short ref name used in `selfLock.git.ref`: `main`, `pkg/v1`, `drafts/pkg/ws`.
    pub fn short_ref(&self) -> &str {
        self.ref_name
            .strip_prefix(HEADS)
            .or_else(|| self.ref_name.strip_prefix(TAGS))
            .unwrap_or(&self.ref_name)
    }
}

/// Discovers revisions in one mirror, for one ref set.
pub(crate) struct Discoverer<'a> {
    repo: &'a Repository,
    config: &'a RepoConfig,
    refs: &'a RefSet,
    scrub: Scrubber,
}

impl<'a> Discoverer<'a> {
    pub(crate) fn new(repo: &'a Repository, config: &'a RepoConfig, refs: &'a RefSet) -> Self {
        Self { repo, config, refs, scrub: Scrubber::default() }
    }

    /// Every revision of every ref. Refs that cannot be read are skipped with a warning — unless
    /// an object is missing or unreadable ([`GitError::is_suspicious`]): a damaged mirror fails
    /// the discovery instead of silently hiding revisions.
    pub(crate) fn all(&self) -> Result<Vec<DiscoveredRevision>> {
        let mut out = Vec::new();
        for (name, _) in self.refs.iter() {
            out.extend(self.revisions_or_warn(name)?);
        }
        Ok(out)
    }

    /// The revisions held by one remote ref: none, one, or (for the branch) every placeholder.
    pub(crate) fn revisions_of(&self, remote_ref: &str) -> Result<Vec<DiscoveredRevision>> {
        let Some(oid) = self.refs.get(remote_ref) else { return Ok(Vec::new()) };
        let read = |e| GitError::local(format!("read {remote_ref}"), e, &self.scrub);
        let found = match PorchRef::parse(remote_ref, &self.config.branch) {
            PorchRef::Branch => return self.branch_packages(None),
            PorchRef::Tag { full_path, version } => {
                self.tag(remote_ref, oid, full_path, version).map_err(read)?
            }
            PorchRef::Draft { full_path, workspace } => self
                .draft(remote_ref, oid, full_path, workspace, PackageRevisionLifecycle::Draft)
                .map_err(read)?,
            PorchRef::Proposed { full_path, workspace } => self
                .draft(remote_ref, oid, full_path, workspace, PackageRevisionLifecycle::Proposed)
                .map_err(read)?,
            PorchRef::DeletionProposed { .. } | PorchRef::Other => None,
        };
        Ok(found.into_iter().collect())
    }

    fn revisions_or_warn(&self, remote_ref: &str) -> Result<Vec<DiscoveredRevision>> {
        match self.revisions_of(remote_ref) {
            Err(e) if e.is_suspicious() => Err(e),
            Err(e) => {
                tracing::warn!(git.ref = remote_ref, error = %e, "skipping unreadable ref");
                Ok(Vec::new())
            }
            ok => ok,
        }
    }

    /// Placeholders on the branch: all packages, or only `package` (path relative to the
    /// directory).
    pub(crate) fn branch_packages(&self, package: Option<&str>) -> Result<Vec<DiscoveredRevision>> {
        let branch = &self.config.branch;
        let Some(oid) = self.refs.branch(branch) else { return Ok(Vec::new()) };
        let read = |e| GitError::local(format!("read branch {branch}"), e, &self.scrub);
        let commit = self.peel(oid).map_err(read)?;
        let root = commit.tree().map_err(read)?;
        let mut packages: Vec<(String, Oid)> = Vec::new();
        match package {
            Some(package) => {
                let full_path = self.config.full_path(package);
                if let Some(t) = tree::subtree(self.repo, &root, &full_path).map_err(read)?
                    && tree::has_kptfile(&t)
                {
                    packages.push((full_path, t.id()));
                }
            }
            None => {
                let dir = self.config.directory();
                if let Some(dir_tree) = tree::subtree(self.repo, &root, dir).map_err(read)? {
                    for (path, tree_id) in tree::find_packages(self.repo, &dir_tree).map_err(read)? {
                        if path.is_empty() {
                            continue; // a Kptfile at the directory itself names no package
                        }
                        let full_path = if dir.is_empty() { path } else { format!("{dir}/{path}") };
                        packages.push((full_path, tree_id));
                    }
                }
            }
        }
        let paths: BTreeSet<String> = packages.iter().map(|(p, _)| p.clone()).collect();
        let mut latest = history::latest_annotated(self.repo, commit.id(), &paths).map_err(read)?;
        let ref_name = format!("{HEADS}{branch}");
        let mut out = Vec::with_capacity(packages.len());
        for (full_path, tree_id) in packages {
            let Some(package) = self.config.package_of(&full_path) else { continue };
            let lifecycle = if self.refs.is_deletion_proposed(&full_path, branch) {
                PackageRevisionLifecycle::DeletionProposed
            } else {
                PackageRevisionLifecycle::Published
            };
            out.push(DiscoveredRevision {
                package: package.to_string(),
                workspace: branch.clone(),
                revision: -1,
                lifecycle,
                ref_name: ref_name.clone(),
                commit: commit.id(),
                tree: tree_id,
                tasks: Vec::new(),
                published: latest.remove(&full_path),
                kptfile: self.kptfile(tree_id, &full_path).map_err(read)?,
                full_path,
            });
        }
        Ok(out)
    }

    fn tag(
        &self,
        name: &str,
        oid: Oid,
        full_path: &str,
        version: &str,
    ) -> Result<Option<DiscoveredRevision>, git2::Error> {
        let Some(package) = self.config.package_of(full_path) else { return Ok(None) };
        let commit = self.peel(oid)?;
        let Some(tree_id) = self.package_tree(&commit, full_path)? else {
            tracing::debug!(git.ref = name, "tag without a Kptfile at its package path; ignored");
            return Ok(None);
        };
        let revision = parse_revision(version);
        let (workspace, suffix) = if revision == -1 {
            (version.to_string(), version.to_string())
        } else {
            let workspace =
                history::workspace_in(&commit, full_path).unwrap_or_else(|| format!("v{revision}"));
            (workspace, format!("v{revision}"))
        };
        let lifecycle = if self.refs.is_deletion_proposed(full_path, &suffix) {
            PackageRevisionLifecycle::DeletionProposed
        } else {
            PackageRevisionLifecycle::Published
        };
        let tasks = history::load_tasks(self.repo, commit.id(), full_path, &workspace)?;
        self.revision(name, &commit, package, full_path, workspace, revision, lifecycle, tree_id, tasks)
            .map(Some)
    }

    fn draft(
        &self,
        name: &str,
        oid: Oid,
        full_path: &str,
        workspace: &str,
        lifecycle: PackageRevisionLifecycle,
    ) -> Result<Option<DiscoveredRevision>, git2::Error> {
        let Some(package) = self.config.package_of(full_path) else { return Ok(None) };
        let commit = self.peel(oid)?;
        let Some(tree_id) = self.package_tree(&commit, full_path)? else {
            tracing::warn!(git.ref = name, "draft branch without a Kptfile at its package path; ignored");
            return Ok(None);
        };
        let tasks = history::load_tasks(self.repo, commit.id(), full_path, workspace)?;
        let workspace = workspace.to_string();
        self.revision(name, &commit, package, full_path, workspace, 0, lifecycle, tree_id, tasks).map(Some)
    }

    #[allow(clippy::too_many_arguments)]
    fn revision(
        &self,
        name: &str,
        commit: &Commit<'_>,
        package: &str,
        full_path: &str,
        workspace: String,
        revision: i32,
        lifecycle: PackageRevisionLifecycle,
        tree: Oid,
        tasks: Vec<Task>,
    ) -> Result<DiscoveredRevision, git2::Error> {
        Ok(DiscoveredRevision {
            package: package.to_string(),
            full_path: full_path.to_string(),
            workspace,
            revision,
            lifecycle,
            ref_name: name.to_string(),
            commit: commit.id(),
            tree,
            tasks,
            published: Some(Authored::of(commit)),
            kptfile: self.kptfile(tree, full_path)?,
        })
    }

    fn peel(&self, oid: Oid) -> Result<Commit<'a>, git2::Error> {
        self.repo.find_object(oid, None)?.peel_to_commit()
    }

    /// The package tree at `full_path` in `commit`, if it holds a Kptfile.
    fn package_tree(&self, commit: &Commit<'_>, full_path: &str) -> Result<Option<Oid>, git2::Error> {
        let root = commit.tree()?;
        Ok(tree::subtree(self.repo, &root, full_path)?.filter(tree::has_kptfile).map(|t| t.id()))
    }

    /// The fields of the package's Kptfile; defaults when it does not parse (a warning), an
    /// error when its tree or blob cannot be read from the mirror.
    fn kptfile(&self, tree_id: Oid, full_path: &str) -> Result<KptfileInfo, git2::Error> {
        let tree = self.repo.find_tree(tree_id)?;
        let Some(id) = tree.get_name(KPTFILE).map(|e| e.id()) else { return Ok(KptfileInfo::default()) };
        let blob = self.repo.find_blob(id)?;
        Ok(KptfileInfo::parse(blob.content()).unwrap_or_else(|error| {
            tracing::warn!(package = full_path, %error, "unreadable Kptfile");
            KptfileInfo::default()
        }))
    }
}

/// The files of the package at `full_path` in commit `commit` (path relative to the package).
pub(crate) fn read_package(
    repo: &Repository,
    commit: Oid,
    full_path: &str,
) -> Result<BTreeMap<String, Vec<u8>>> {
    let scrub = Scrubber::default();
    let read = |e| GitError::local(format!("read package {full_path} at {commit}"), e, &scrub);
    let commit = repo.find_object(commit, None).and_then(|o| o.peel_to_commit()).map_err(read)?;
    let root = commit.tree().map_err(read)?;
    match tree::subtree(repo, &root, full_path).map_err(read)? {
        Some(t) => tree::read_files(repo, &t).map_err(read),
        None => Err(GitError::NotFound { what: format!("package {full_path} in commit {}", commit.id()) }),
    }
}

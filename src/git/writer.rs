//! The single writer of a mirror: fetch, branch creation, and the helpers every write shares.
//! The write operations themselves live in `drafts.rs` and `publish.rs`.

use std::cell::RefCell;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use git2::{Commit, Oid, Repository};
use porch_api::porch::Task;

use super::commit::{self, CREATE_BRANCH_MESSAGE, CREATE_BRANCH_README, PORCH_EMAIL, PORCH_NAME};
use super::config::RepoConfig;
use super::credentials::Auth;
use super::discover::{DiscoveredRevision, Discoverer};
use super::error::{GitError, Scrubber};
use super::kptfile::KPTFILE;
use super::metrics::Transfer;
use super::mirror;
use super::refs::{HEADS, RefSet};
use super::transport::{self, Expect, RefUpdate, journal};
use super::tree;
use crate::git::Result;

/// Result of a fetch: the remote's refs as now mirrored, and the branch head.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FetchOutcome {
    /// Every branch and tag of the remote.
    pub refs: RefSet,
    /// Commit at the tip of the Repository branch (`status.gitCommitHash`).
    pub branch_head: Option<Oid>,
}

/// Result of a write, once the remote accepted it.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct WriteOutcome {
    /// Remote refs the write set (`Some`) or deleted (`None`); apply them to a cached
    /// [`RefSet`] with [`RefSet::apply`].
    pub updated: Vec<(String, Option<Oid>)>,
    /// Revisions created or changed by the write, re-read from the mirror (for an approval: the
    /// new tagged revision and the package's placeholder).
    pub revisions: Vec<DiscoveredRevision>,
}

/// The content of a draft commit.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct DraftContent {
    /// Every file of the package (path relative to the package → bytes); replaces the package
    /// directory wholesale. Must contain a `Kptfile`.
    pub files: BTreeMap<String, Vec<u8>>,
    /// The task recorded in the `kpt:` trailer (creation task, or `render`), if any.
    pub task: Option<Task>,
    /// The requesting user (commit author unless the Repository sets author/email).
    pub user: Option<String>,
}

/// Owns the read-write handle of one mirror. Only one exists per repository, behind the
/// repository's write lock.
pub(crate) struct Writer {
    pub(crate) repo: Repository,
    pub(crate) config: RepoConfig,
    path: PathBuf,
    /// The mirror's refs as this writer last left them. The writer is the only one that changes
    /// them, so it keeps them in memory instead of listing thousands of refs on every write;
    /// `None` until first read and after a failure that may have left the mirror otherwise.
    known: RefCell<Option<RefSet>>,
    /// Updates pushed since `known` was last brought up to date (applied by the next
    /// [`Writer::refs`]; a caller's copy still alive then costs a copy of the changed chunks
    /// only, see [`RefSet`]).
    pushed: RefCell<Vec<(String, Option<Oid>)>>,
}

impl std::fmt::Debug for Writer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Writer").field("path", &self.path).finish_non_exhaustive()
    }
}

impl Writer {
    /// Opens (creating if needed) the mirror, first finishing a local push a crash cut off.
    pub(crate) fn open(path: &Path, config: RepoConfig) -> Result<Self> {
        let repo = mirror::open(path, &config.url)?;
        journal::recover(&repo);
        Ok(Self {
            repo,
            config,
            path: path.to_path_buf(),
            known: RefCell::new(None),
            pushed: RefCell::new(Vec::new()),
        })
    }

    /// Replaces the mirror with an empty one (its directory removed and created again), to be
    /// filled by the next fetch: what a damaged mirror gets.
    pub(crate) fn reset(&mut self) -> Result<()> {
        match std::fs::remove_dir_all(&self.path) {
            Ok(()) => {}
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
            Err(source) => return Err(GitError::RemoveMirror { path: self.path.clone(), source }),
        }
        self.repo = mirror::open(&self.path, &self.config.url)?;
        self.forget();
        Ok(())
    }

    /// Fetches, then makes sure the branch exists (creating it when `create_branch` is set).
    pub(crate) fn fetch(&mut self, auth: &Auth) -> Result<FetchOutcome> {
        let mut refs = self.fetch_refs(auth)?;
        if refs.branch(&self.config.branch).is_none() {
            if !self.config.create_branch {
                return Err(GitError::BranchMissing { branch: self.config.branch.clone() });
            }
            let oid = self.create_branch(auth)?;
            refs.apply(&self.branch_ref(), Some(oid));
        }
        let branch_head = refs.branch(&self.config.branch);
        Ok(FetchOutcome { refs, branch_head })
    }

    fn create_branch(&self, auth: &Auth) -> Result<Oid> {
        let scrub = auth.scrubber();
        let local = |e| GitError::local(format!("create branch {}", self.config.branch), e, scrub);
        let files = BTreeMap::from([("README.md".to_string(), CREATE_BRANCH_README.as_bytes().to_vec())]);
        let tree = tree::write_files(&self.repo, &files).map_err(local)?;
        let oid =
            commit::write_commit(&self.repo, &[], tree, (PORCH_NAME, PORCH_EMAIL), CREATE_BRANCH_MESSAGE)
                .map_err(local)?;
        tracing::info!(branch = %self.config.branch, "creating the repository branch");
        self.push(auth, &[RefUpdate::set(self.branch_ref(), oid, Expect::Absent)])?;
        Ok(oid)
    }

    /// Fetches and records the fetched ref set as the known one.
    pub(crate) fn fetch_refs(&self, auth: &Auth) -> Result<RefSet> {
        self.forget();
        let transfer = Transfer::fetch(&self.config.repository);
        let refs = transfer.done(transport::fetch(&self.repo, &self.config.url, auth))?;
        *self.known.borrow_mut() = Some(refs.clone());
        Ok(refs)
    }

    /// Drops the known ref set: the next [`Writer::refs`] lists the mirror.
    fn forget(&self) {
        *self.known.borrow_mut() = None;
        self.pushed.borrow_mut().clear();
    }

    /// The mirror's current ref set.
    pub(crate) fn refs(&self) -> Result<RefSet> {
        let mut known = self.known.borrow_mut();
        let set = match known.as_mut() {
            Some(set) => set,
            None => {
                self.pushed.borrow_mut().clear();
                known.insert(mirror::read_refs(&self.repo)?)
            }
        };
        for (name, value) in self.pushed.borrow_mut().drain(..) {
            set.apply(&name, value);
        }
        Ok(set.clone())
    }

    /// `refs/heads/<branch>`.
    pub(crate) fn branch_ref(&self) -> String {
        format!("{HEADS}{}", self.config.branch)
    }

    /// One push of `updates`; on a failure other than a conflict, a best-effort fetch brings the
    /// mirror back in line with whatever the remote did apply.
    pub(crate) fn push(&self, auth: &Auth, updates: &[RefUpdate]) -> Result<()> {
        if updates.is_empty() {
            return Ok(());
        }
        let transfer = Transfer::push(&self.config.repository);
        let result =
            transfer.done(transport::push(&self.repo, &self.config.url, auth, updates).map(|n| ((), n)));
        match &result {
            Ok(()) => self.pushed.borrow_mut().extend(updates.iter().map(|u| (u.remote_ref.clone(), u.new))),
            Err(error) => {
                tracing::warn!(%error, "push failed");
                self.forget();
                if !error.is_conflict()
                    && let Err(fetch_error) = self.fetch_refs(auth)
                {
                    tracing::debug!(error = %fetch_error, "re-sync after a failed push failed too");
                }
            }
        }
        result
    }

    /// Fetch before retrying a conflicting write.
    pub(crate) fn refetch(&self, auth: &Auth) -> Result<()> {
        self.fetch_refs(auth).map(drop)
    }

    /// The commit a ref (by remote name) points to in the mirror.
    pub(crate) fn commit_of(&self, refs: &RefSet, remote_ref: &str) -> Result<Option<Commit<'_>>> {
        let Some(oid) = refs.get(remote_ref) else { return Ok(None) };
        let scrub = Scrubber::default();
        let commit = self
            .repo
            .find_object(oid, None)
            .and_then(|o| o.peel_to_commit())
            .map_err(|e| GitError::local(format!("read {remote_ref}"), e, &scrub))?;
        Ok(Some(commit))
    }

    /// Checks a package path and a workspace name.
    pub(crate) fn check_names(&self, package: &str, workspace: &str) -> Result<()> {
        tree::validate_path(package).map_err(|r| GitError::invalid("accept the package path", r))?;
        if workspace.is_empty() || workspace.contains('/') || tree::validate_path(workspace).is_err() {
            return Err(GitError::invalid(
                "accept the workspace name",
                format!("{workspace:?} is not a valid name"),
            ));
        }
        Ok(())
    }

    /// Writes the files of a draft as a package tree.
    pub(crate) fn package_tree(&self, content: &DraftContent) -> Result<Oid> {
        for path in content.files.keys() {
            tree::validate_path(path).map_err(|r| GitError::invalid("accept the package files", r))?;
        }
        if !content.files.contains_key(KPTFILE) {
            return Err(GitError::invalid(
                "accept the package files",
                "the package must contain a Kptfile at its root",
            ));
        }
        tree::write_files(&self.repo, &content.files)
            .map_err(|e| GitError::local("write the package files", e, &Scrubber::default()))
    }

    /// `base`'s tree with the directory `full_path` replaced by `package` (`None` removes it).
    pub(crate) fn splice(
        &self,
        base: Option<&Commit<'_>>,
        full_path: &str,
        package: Option<Oid>,
    ) -> Result<Oid> {
        let local = |e| GitError::local(format!("build the tree for {full_path}"), e, &Scrubber::default());
        let root = base.map(|c| c.tree()).transpose().map_err(local)?;
        tree::replace_path(&self.repo, root.as_ref(), full_path, package).map_err(local)
    }

    /// Writes a commit object.
    pub(crate) fn commit(
        &self,
        parents: &[&Commit<'_>],
        tree: Oid,
        user: Option<&str>,
        message: &str,
    ) -> Result<Oid> {
        let (name, email) = commit::author(&self.config, user);
        commit::write_commit(&self.repo, parents, tree, (&name, &email), message)
            .map_err(|e| GitError::local("write the commit", e, &Scrubber::default()))
    }

    /// The outcome of a finished write: the updates and the revisions of `rediscover` refs
    /// (and, with `placeholder`, that package's placeholder).
    pub(crate) fn outcome(
        &self,
        updates: &[RefUpdate],
        rediscover: &[&str],
        placeholder: Option<&str>,
    ) -> Result<WriteOutcome> {
        let refs = self.refs()?;
        let discoverer = Discoverer::new(&self.repo, &self.config, &refs);
        let mut revisions = Vec::new();
        for name in rediscover {
            revisions.extend(discoverer.revisions_of(name)?);
        }
        if let Some(package) = placeholder {
            revisions.extend(discoverer.branch_packages(Some(package))?);
        }
        let updated = updates.iter().map(|u| (u.remote_ref.clone(), u.new)).collect();
        Ok(WriteOutcome { updated, revisions })
    }
}

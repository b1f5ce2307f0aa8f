//! The async face of one repository's mirror.
//!
//! All libgit2 work runs on tokio's blocking pool. Writes (fetch, push, every commit) hold the
//! repository's write lock for their whole duration, so there is one writer per repository at
//! a time; the lock guard moves into the blocking task, so a cancelled caller cannot let a second
//! writer in while the first is still running. Reads (ref set, discovery, package files) use
//! their own `git2::Repository` handles from a small pool and never wait for the writer, a fetch
//! included.
//!
//! A damaged mirror heals by being cloned again ([`GitRepository::repair`]): a mirror that cannot
//! even be opened is replaced at [`GitRepository::open`]; otherwise the caller asks for a check
//! (`integrity.rs`) before each sync. A read or write that fails in the object database marks the
//! mirror suspect, which makes the next check a deep one.

use std::collections::BTreeMap;
use std::error::Error as _;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, RwLock};

use git2::{Oid, Repository};

use super::config::RepoConfig;
use super::credentials::{Auth, Credentials};
use super::discover::{self, DiscoveredRevision, Discoverer};
use super::drafts::{Published, Stage};
use super::error::{GitError, Scrubber, redact_userinfo};
use super::integrity;
use super::mirror;
use super::refs::RefSet;
use super::tls::CaBundle;
use super::tree;
use super::writer::{DraftContent, FetchOutcome, WriteOutcome, Writer};
use crate::git::Result;

/// Idle read handles kept per repository.
const MAX_IDLE_READERS: usize = 4;

/// One Repository's git backend: a bare mirror under a caller-chosen directory plus the remote.
/// Cheap to clone; clones share the mirror, the write lock and the credentials.
#[derive(Clone)]
pub struct GitRepository {
    inner: Arc<Inner>,
}

struct Inner {
    path: PathBuf,
    config: RepoConfig,
    /// `config.ca_bundle`, parsed.
    ca_bundle: CaBundle,
    writer: Arc<tokio::sync::Mutex<Writer>>,
    readers: Mutex<Vec<Repository>>,
    credentials: RwLock<Option<Credentials>>,
    /// Bumped when the mirror is replaced: read handles of an older one are not pooled again.
    generation: AtomicU64,
    /// A read or write failed in the object database since the last check.
    suspect: AtomicBool,
    /// Why the mirror was last replaced, until [`GitRepository::take_repair`] reports it.
    repaired: Mutex<Option<String>>,
}

impl std::fmt::Debug for GitRepository {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("GitRepository")
            .field("path", &self.inner.path)
            .field("url", &redact_userinfo(&self.inner.config.url))
            .field("branch", &self.inner.config.branch)
            .field("directory", &self.inner.config.directory)
            .finish_non_exhaustive()
    }
}

/// A [`GitRepository`] that does not keep the mirror open: what long-lived holders that only
/// may need it (watch events) keep.
#[derive(Clone)]
pub struct WeakGitRepository {
    inner: std::sync::Weak<Inner>,
}

impl std::fmt::Debug for WeakGitRepository {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("WeakGitRepository").finish_non_exhaustive()
    }
}

impl WeakGitRepository {
    /// The repository, if anything else still holds it.
    pub fn upgrade(&self) -> Option<GitRepository> {
        self.inner.upgrade().map(|inner| GitRepository { inner })
    }
}

impl GitRepository {
    /// A handle that does not keep this repository alive.
    pub fn downgrade(&self) -> WeakGitRepository {
        WeakGitRepository { inner: Arc::downgrade(&self.inner) }
    }

    /// Opens (creating if needed) the mirror at `path` (e.g. `<data-dir>/git/<ns>/<name>`) for
    /// the remote in `config`. Does not touch the network: call [`GitRepository::fetch`] next.
    /// The first call in a process applies the default [`init_libgit2`](super::init_libgit2)
    /// settings unless they were applied already.
    pub async fn open(
        path: impl Into<PathBuf>,
        config: RepoConfig,
        credentials: Option<Credentials>,
    ) -> Result<Self> {
        super::libgit2::init_libgit2(super::libgit2::Libgit2Options::default());
        let path = path.into();
        let (writer, config, repaired) = {
            let path = path.clone();
            tokio::task::spawn_blocking(move || open_or_replace(&path, &config).map(|(w, r)| (w, config, r)))
                .await
                .map_err(GitError::Worker)??
        };
        let inner = Inner {
            path,
            ca_bundle: CaBundle::parse(config.ca_bundle.as_deref()),
            config,
            writer: Arc::new(tokio::sync::Mutex::new(writer)),
            readers: Mutex::new(Vec::new()),
            credentials: RwLock::new(credentials),
            generation: AtomicU64::new(0),
            suspect: AtomicBool::new(false),
            repaired: Mutex::new(repaired),
        };
        Ok(Self { inner: Arc::new(inner) })
    }

    /// Checks the mirror (deeply when a read or write failed in the object database since the
    /// last check, see `integrity.rs`) and, when it is damaged, replaces it with an empty one for
    /// the next fetch to fill: a full clone. Returns what was wrong; the text is also kept for
    /// [`GitRepository::take_repair`]. Runs as the writer. A check that cannot read the mirror
    /// fails and changes nothing.
    pub async fn repair(&self) -> Result<Option<String>> {
        let inner = self.inner.clone();
        let guard = self.inner.writer.clone().lock_owned().await;
        tokio::task::spawn_blocking(move || {
            let mut writer = guard;
            let deep = inner.suspect.load(Ordering::SeqCst);
            let damage = integrity::check(&writer.repo, deep)?;
            inner.suspect.store(false, Ordering::SeqCst);
            let Some(damage) = damage else { return Ok(None) };
            tracing::warn!(
                mirror = %inner.path.display(), %damage, deep,
                "the local git mirror is damaged; cloning the repository again"
            );
            inner.generation.fetch_add(1, Ordering::SeqCst);
            inner.readers.lock().unwrap_or_else(|e| e.into_inner()).clear();
            writer.reset()?;
            let notice = format!("the local mirror was damaged ({damage}) and was cloned again");
            *inner.repaired.lock().unwrap_or_else(|e| e.into_inner()) = Some(notice);
            Ok(Some(damage))
        })
        .await
        .map_err(GitError::Worker)?
    }

    /// Whether a read or write failed in the object database since the last
    /// [`repair`](Self::repair) check.
    pub fn is_suspect(&self) -> bool {
        self.inner.suspect.load(Ordering::SeqCst)
    }

    /// Why the mirror was replaced since the last call, if it was: "the local mirror was damaged
    /// (…) and was cloned again".
    pub fn take_repair(&self) -> Option<String> {
        self.inner.repaired.lock().unwrap_or_else(|e| e.into_inner()).take()
    }

    /// Marks the mirror suspect if `result` failed in the object database.
    fn note<T>(inner: &Inner, result: Result<T>) -> Result<T> {
        if let Err(error) = &result
            && error.is_suspicious()
        {
            inner.suspect.store(true, Ordering::SeqCst);
        }
        result
    }

    /// The repository settings.
    pub fn config(&self) -> &RepoConfig {
        &self.inner.config
    }

    /// Directory of the bare mirror.
    pub fn path(&self) -> &Path {
        &self.inner.path
    }

    /// Replaces the credentials used by later remote operations (e.g. a rotated Secret).
    pub fn set_credentials(&self, credentials: Option<Credentials>) {
        *self.inner.credentials.write().unwrap_or_else(|e| e.into_inner()) = credentials;
    }

    fn auth(&self) -> Auth {
        let credentials = self.inner.credentials.read().unwrap_or_else(|e| e.into_inner()).clone();
        Auth::new(credentials, &self.inner.config.url).with_ca_bundle(&self.inner.ca_bundle)
    }

    /// Runs `work` as the repository's single writer, on the blocking pool.
    async fn write<T, F>(&self, work: F) -> Result<T>
    where
        T: Send + 'static,
        F: FnOnce(&mut Writer, &Auth) -> Result<T> + Send + 'static,
    {
        let guard = self.inner.writer.clone().lock_owned().await;
        let auth = self.auth();
        let inner = self.inner.clone();
        // The caller's span (a request's, a sync's) is the parent of the git spans.
        let span = tracing::Span::current();
        tokio::task::spawn_blocking(move || {
            let _entered = span.enter();
            let mut writer = guard;
            Self::note(&inner, work(&mut writer, &auth))
        })
        .await
        .map_err(GitError::Worker)?
    }

    /// Runs `work` on a read handle, on the blocking pool, without waiting for the writer.
    async fn read<T, F>(&self, work: F) -> Result<T>
    where
        T: Send + 'static,
        F: FnOnce(&Repository, &RepoConfig) -> Result<T> + Send + 'static,
    {
        self.read_with(true, work).await
    }

    /// [`read`](Self::read), returning the handle to the idle pool only when `keep` is set. A
    /// handle that read a whole repository holds much of it in libgit2's object cache, which
    /// lives as long as the handle; dropping it frees that memory (idle Repositories would
    /// otherwise each keep megabytes of parsed objects).
    async fn read_with<T, F>(&self, keep: bool, work: F) -> Result<T>
    where
        T: Send + 'static,
        F: FnOnce(&Repository, &RepoConfig) -> Result<T> + Send + 'static,
    {
        let inner = self.inner.clone();
        tokio::task::spawn_blocking(move || {
            let generation = inner.generation.load(Ordering::SeqCst);
            let pooled = inner.readers.lock().unwrap_or_else(|e| e.into_inner()).pop();
            let repo = match pooled {
                Some(repo) => repo,
                None => Repository::open_bare(&inner.path).map_err(|e| GitError::Mirror {
                    path: inner.path.clone(),
                    source: Scrubber::default().error(&e),
                })?,
            };
            let result = Self::note(&inner, work(&repo, &inner.config));
            let mut idle = inner.readers.lock().unwrap_or_else(|e| e.into_inner());
            if keep && idle.len() < MAX_IDLE_READERS && inner.generation.load(Ordering::SeqCst) == generation
            {
                idle.push(repo);
            }
            result
        })
        .await
        .map_err(GitError::Worker)?
    }

    /// Fetches all branches and tags (pruning deleted ones), creates the branch when it is
    /// missing and `create_branch` is set (else fails with `branch "<b>" doesn't exist`), and
    /// returns the ref set and the branch head.
    pub async fn fetch(&self) -> Result<FetchOutcome> {
        self.write(|writer, auth| writer.fetch(auth)).await
    }

    /// Fetches all branches and tags without looking for (or creating) the configured branch:
    /// for a repository that is only read, such as the upstream of a clone.
    pub async fn fetch_refs(&self) -> Result<RefSet> {
        self.write(|writer, auth| writer.fetch_refs(auth)).await
    }

    /// The ref set as last fetched or written (no network).
    pub async fn refs(&self) -> Result<RefSet> {
        self.read(|repo, _| mirror::read_refs(repo)).await
    }

    /// Every revision held by `refs` (normally the mirror's current [`GitRepository::refs`]).
    pub async fn discover_all(&self, refs: RefSet) -> Result<Vec<DiscoveredRevision>> {
        self.read_with(false, move |repo, config| Discoverer::new(repo, config, &refs).all()).await
    }

    /// The revisions held by the given remote refs of `refs` (e.g. the added and changed refs of
    /// a [`RefSet::diff`]). The branch yields every placeholder; a ref absent from `refs` or not
    /// in Porch's layout yields nothing.
    pub async fn discover_refs(&self, refs: RefSet, names: Vec<String>) -> Result<Vec<DiscoveredRevision>> {
        self.read(move |repo, config| {
            let discoverer = Discoverer::new(repo, config, &refs);
            let mut out = Vec::new();
            for name in &names {
                out.extend(discoverer.revisions_of(name)?);
            }
            Ok(out)
        })
        .await
    }

    /// The placeholder of one package on the branch of `refs`, if the package is there.
    pub async fn discover_placeholder(
        &self,
        refs: RefSet,
        package: String,
    ) -> Result<Option<DiscoveredRevision>> {
        self.read(move |repo, config| {
            Ok(Discoverer::new(repo, config, &refs).branch_packages(Some(&package))?.into_iter().next())
        })
        .await
    }

    /// The files of `package` (path relative to the directory) in `commit`, read from the
    /// object database; paths are relative to the package.
    pub async fn read_package(&self, commit: Oid, package: String) -> Result<BTreeMap<String, Vec<u8>>> {
        self.read(move |repo, config| discover::read_package(repo, commit, &config.full_path(&package))).await
    }

    /// The files of a package tree (a [`DiscoveredRevision::tree`]).
    pub async fn read_tree(&self, tree_id: Oid) -> Result<BTreeMap<String, Vec<u8>>> {
        self.read(move |repo, _| {
            let scrub = Scrubber::default();
            let err = |e| GitError::local(format!("read tree {tree_id}"), e, &scrub);
            let t = repo.find_tree(tree_id).map_err(err)?;
            tree::read_files(repo, &t).map_err(err)
        })
        .await
    }

    /// Creates a draft `drafts/<fullpath>/<workspace>` from the branch head.
    pub async fn create_draft(
        &self,
        package: String,
        workspace: String,
        content: DraftContent,
    ) -> Result<WriteOutcome> {
        self.write(move |w, auth| w.create_draft(auth, &package, &workspace, &content)).await
    }

    /// Commits new content onto a draft (or proposed) branch, e.g. after a render.
    pub async fn update_draft(
        &self,
        package: String,
        workspace: String,
        stage: Stage,
        content: DraftContent,
    ) -> Result<WriteOutcome> {
        self.write(move |w, auth| w.update_draft(auth, &package, &workspace, stage, &content)).await
    }

    /// Moves a revision to `stage`: `Proposed` proposes a draft, `Draft` takes a proposal back.
    pub async fn move_stage(&self, package: String, workspace: String, stage: Stage) -> Result<WriteOutcome> {
        self.write(move |w, auth| w.move_stage(auth, &package, &workspace, stage)).await
    }

    /// Approves a proposed (or draft) revision as revision `revision` (merge, tag, cleanup in
    /// one push; retried on conflicting branch moves).
    pub async fn approve(
        &self,
        package: String,
        workspace: String,
        revision: i32,
        user: Option<String>,
    ) -> Result<WriteOutcome> {
        self.write(move |w, auth| w.approve(auth, &package, &workspace, revision, user.as_deref())).await
    }

    /// Adds (`true`) or removes the `deletionProposed/…` marker of a published revision.
    pub async fn set_deletion_proposed(&self, target: Published, proposed: bool) -> Result<WriteOutcome> {
        self.write(move |w, auth| w.set_deletion_proposed(auth, &target, proposed)).await
    }

    /// Deletes a draft or proposed branch.
    pub async fn delete_draft(
        &self,
        package: String,
        workspace: String,
        stage: Stage,
    ) -> Result<WriteOutcome> {
        self.write(move |w, auth| w.delete_draft(auth, &package, &workspace, stage)).await
    }

    /// Deletes tag `<fullpath>/v<N>` and its `deletionProposed/…` branch.
    pub async fn delete_tag(&self, package: String, revision: i32) -> Result<WriteOutcome> {
        self.write(move |w, auth| w.delete_tag(auth, &package, revision)).await
    }

    /// Deletes a placeholder: commit `Delete <fullpath>` on the branch, and its marker branch.
    pub async fn delete_placeholder(&self, package: String, user: Option<String>) -> Result<WriteOutcome> {
        self.write(move |w, auth| w.delete_placeholder(auth, &package, user.as_deref())).await
    }
}

/// Opens the writer of the mirror at `path`; a mirror that exists but cannot be opened as a
/// repository (its config or layout damaged) is replaced by an empty one, and the reason
/// returned. Errors of the file system itself (permissions, too many open files) are not
/// damage: they are returned.
fn open_or_replace(path: &Path, config: &RepoConfig) -> Result<(Writer, Option<String>)> {
    let error = match Writer::open(path, config.clone()) {
        Ok(writer) => return Ok((writer, None)),
        Err(error) => error,
    };
    let damaged = matches!(
        &error,
        GitError::Mirror { source, .. } if !matches!(source.class, git2::ErrorClass::Os)
    ) && path.exists();
    if !damaged {
        return Err(error);
    }
    tracing::warn!(mirror = %path.display(), %error, "the local git mirror cannot be opened; cloning the repository again");
    let cause = error.source().map(ToString::to_string).unwrap_or_default();
    std::fs::remove_dir_all(path)
        .map_err(|source| GitError::RemoveMirror { path: path.to_path_buf(), source })?;
    let writer = Writer::open(path, config.clone())?;
    Ok((writer, Some(format!("the local mirror could not be opened ({cause}) and was cloned again"))))
}

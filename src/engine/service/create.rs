//! Create (porch-api.md §4.1): the per-key try-lock, the creation task (init, clone, edit,
//! upgrade), the Kptfile edits from the spec, the merge keys a clone or upgrade adds
//! (render-upgrade.md §4.4), render, the checks of the resulting files, one draft commit,
//! and the PackageRev. Nothing is left behind when any step fails: the draft is deleted again
//! if the PackageRev cannot be written. A dry run runs every check the real create runs.
//!
//! A new package (init, clone) is checked twice: once early, so a doomed request fails before
//! any remote is read, and again under the repository's new-package lock for its path
//! ([`RepositoryCache::lock_new_package`]), held until the draft is in the index — so
//! concurrent creations of one new package (or of nesting ones) behave as sequential ones.

use porch_api::PackageRevision;
use porch_api::gvk::PACKAGE_REVISION;
use porch_api::names::package_revision_name;
use porch_api::porch::{GitLock, PackageRevisionLifecycle};
use porch_krm::update::ensure_merge_keys;
use porch_layers::FieldCause;

use super::error::{Result, ServiceError};
use super::{Caller, Engine, Found, files_of};
use crate::cache::RepositoryCache;
use crate::engine::metadata::UserMeta;
use crate::engine::objects::RepoFacts;
use crate::engine::render::RenderRequest;
use crate::engine::resources::validate_file_set;
use crate::engine::tasks::clone::{CloneTarget, clone_package, raw_git_lock};
use crate::engine::tasks::init::init_package;
use crate::engine::tasks::select::{check_clone_upstream, check_edit_source, check_edit_source_package};
use crate::engine::tasks::upgrade::{
    SourceFacts, UpgradeFiles, check_upgrade_sources, upgrade_package, upgrade_refs,
};
use crate::engine::tasks::{CloneSource, TaskKind, select_task};
use crate::engine::{EngineError, Files, kptfile, validate};
use crate::git::DraftContent;

fn invalid(field: &str, message: impl Into<String>) -> EngineError {
    EngineError::invalid(FieldCause::invalid(field, message))
}

/// The lock key of a creation and its conflict text (Porch's, word for word).
fn creation_lock(ns: &str, repo: &str, package: &str, workspace: &str) -> (String, String) {
    (
        format!("{ns}-{repo}-{package}-{workspace}"),
        format!(
            "another request is already in progress to create package revision with details namespace={ns:?}, \
             repository={repo:?}, package={package:?},workspace={workspace:?}"
        ),
    )
}

/// Whether `kind` makes a new package (`Some`), and whether by clone (`Some(true)`, for the
/// message of [`check_new_package`]).
fn new_package(kind: &TaskKind) -> Option<bool> {
    match kind {
        TaskKind::Init(_) => Some(false),
        TaskKind::Clone { .. } => Some(true),
        TaskKind::Edit { .. } | TaskKind::Upgrade(_) => None,
    }
}

/// The files a create would write pass the checks of a PackageRevisionResources update's keys
/// (a clone brings whatever names its upstream has, and adds its own files next to them): invalid
/// on `spec.tasks[0]` quoting each cause.
fn check_package_files(files: &Files) -> Result<(), EngineError> {
    let causes = validate_file_set(files.keys().map(String::as_str));
    if causes.is_empty() {
        return Ok(());
    }
    let causes = causes
        .iter()
        .map(|c| FieldCause::invalid("spec.tasks[0]", format!("the package would hold an invalid file: {c}")))
        .collect();
    Err(EngineError::Invalid { causes })
}

/// §4.1: init and clone make a new package, which must not exist yet nor nest with another.
fn check_new_package(
    cache: &RepositoryCache,
    package: &str,
    repo: &str,
    clone: bool,
) -> Result<(), EngineError> {
    let field = "spec.packageName";
    if !cache.list_package(package).is_empty() {
        return Err(if clone {
            invalid(
                field,
                format!(
                    "`clone` cannot create a new revision for package {package:?} that already exists in repo \
                     {repo:?}; make subsequent revisions using `copy`"
                ),
            )
        } else {
            invalid(field, format!("package {package:?} already exists in repository {repo:?}"))
        });
    }
    if let Some(other) = cache.nesting(package) {
        return Err(invalid(
            field,
            format!(
                "package path {package:?} conflicts with existing package {other:?}: packages cannot be nested"
            ),
        ));
    }
    Ok(())
}

/// The lock of a registered revision as a clone or upgrade records it: its Repository's URL,
/// its package path, its short ref (`basens/v1`) and its commit (§7.5).
fn lock_of(found: &Found) -> GitLock {
    let d = &found.rev.revision;
    GitLock {
        repo: found.facts().url,
        directory: d.full_path.clone(),
        ref_: d.short_ref().to_string(),
        commit: d.commit.to_string(),
    }
}

impl Engine {
    /// The revision a clone, edit or upgrade task names, or an invalid task field when it is not found.
    async fn task_source(&self, namespace: &str, name: &str, field: &str) -> Result<Found> {
        match self.find(&PACKAGE_REVISION, namespace, name).await {
            Ok(found) => Ok(found),
            Err(e) if e.is_not_found() => Err(ServiceError::on_engine("create", &PACKAGE_REVISION, "")(
                invalid(field, format!("cannot find package revision {name:?}")),
            )),
            Err(e) => Err(e),
        }
    }

    /// The files the creation task produces (before the spec's Kptfile edits and render).
    async fn task_files(
        &self,
        caller: &Caller,
        kind: &TaskKind,
        cache: &RepositoryCache,
        facts: &RepoFacts,
        pr: &PackageRevision,
        name: &str,
    ) -> Result<Files> {
        let spec = &pr.spec;
        let (package, repo) = (spec.package_name.as_str(), spec.repository_name.as_str());
        let on_engine = ServiceError::on_engine("create", &PACKAGE_REVISION, name);
        match kind {
            TaskKind::Init(init) => {
                check_new_package(cache, package, repo, false).map_err(&on_engine)?;
                Ok(init_package(package, init))
            }
            TaskKind::Clone { source: CloneSource::Registered { name: upstream }, strategy } => {
                let field = "spec.tasks[0].clone.upstreamRef.upstreamRef.name";
                let found = self.task_source(&caller.namespace, upstream, field).await?;
                check_clone_upstream(found.rev.is_placeholder(), &found.rev.repository, upstream)
                    .map_err(&on_engine)?;
                check_new_package(cache, package, repo, true).map_err(&on_engine)?;
                let lock = lock_of(&found);
                let upstream_files = files_of(&found.cache, &found.rev).await?;
                let target = CloneTarget { package_path: package, deployment: facts.deployment, strategy };
                clone_package(&upstream_files, &lock, target).map_err(&on_engine)
            }
            TaskKind::Clone { source: CloneSource::Git(git), strategy } => {
                check_new_package(cache, package, repo, true).map_err(&on_engine)?;
                let (commit, upstream_files) = self.git_upstream(&caller.namespace, git).await?;
                let target = CloneTarget { package_path: package, deployment: facts.deployment, strategy };
                clone_package(&upstream_files, &raw_git_lock(git, &commit), target).map_err(&on_engine)
            }
            TaskKind::Edit { source } => {
                let field = "spec.tasks[0].edit.sourceRef.name";
                let found = self.task_source(&caller.namespace, source, field).await?;
                check_edit_source(found.rev.is_placeholder(), &found.rev.repository, source)
                    .map_err(&on_engine)?;
                check_edit_source_package(
                    (repo, package),
                    (&found.rev.repository, &found.rev.revision.package),
                    &found.rev.revision.lifecycle,
                )
                .map_err(&on_engine)?;
                files_of(&found.cache, &found.rev).await
            }
            TaskKind::Upgrade(upgrade) => {
                let refs = upgrade_refs(upgrade).map_err(&on_engine)?;
                let mut found = Vec::with_capacity(3);
                for (field, source) in refs {
                    found.push(self.task_source(&caller.namespace, source, field).await?);
                }
                let facts = |i: usize| SourceFacts {
                    field: refs[i].0,
                    name: refs[i].1,
                    repository: &found[i].rev.repository,
                    placeholder: found[i].rev.is_placeholder(),
                    lifecycle: &found[i].rev.revision.lifecycle,
                };
                check_upgrade_sources([facts(0), facts(1), facts(2)]).map_err(&on_engine)?;
                let [original, updated, local] = [&found[0], &found[1], &found[2]];
                let (original, updated, local) = tokio::try_join!(
                    files_of(&original.cache, &original.rev),
                    files_of(&updated.cache, &updated.rev),
                    files_of(&local.cache, &local.rev),
                )?;
                let files = UpgradeFiles { original: &original, updated: &updated, local: &local };
                let strategy = upgrade.strategy.as_ref().map_or("", |s| s.as_str());
                upgrade_package(files, strategy, &lock_of(&found[1]), package, refs[1].1).map_err(&on_engine)
            }
        }
    }

    /// POST of a PackageRevision (already admitted and validated by the layers).
    pub(crate) async fn create_revision(
        &self,
        caller: &Caller,
        mut pr: PackageRevision,
    ) -> Result<PackageRevision> {
        validate::require_repository(&pr.spec).map_err(ServiceError::on_engine(
            "create",
            &PACKAGE_REVISION,
            "",
        ))?;
        let ns = caller.namespace.as_str();
        self.admit_namespace(ns).await?;
        let spec = pr.spec.clone();
        let (repo_name, package, workspace) =
            (&spec.repository_name, &spec.package_name, &spec.workspace_name);
        let repo = self.repository(ns, repo_name).await?;
        let cache = self.cache(&repo).await?;
        let name = package_revision_name(repo_name, package, workspace);
        let (key, busy) = creation_lock(ns, repo_name, package, workspace);
        let _lock = self.lock(key, &PACKAGE_REVISION, "(new creation)", &busy)?;
        let on_engine = ServiceError::on_engine("create", &PACKAGE_REVISION, &name);

        let task = select_task(&spec).map_err(&on_engine)?;
        if cache.find(package, workspace).is_some() {
            return Err(ServiceError::conflict(
                &PACKAGE_REVISION,
                &name,
                format!(
                    "package revision workspaceNames must be unique; package revision with name {package} in repo \
                     {repo_name} with workspaceName {workspace} already exists"
                ),
            ));
        }
        let facts = RepoFacts::of(&repo);
        let new = new_package(&task.kind);
        let mut files = self.task_files(caller, &task.kind, &cache, &facts, &pr, &name).await?;
        let mut root = kptfile::read_root(&files)
            .map_err(EngineError::from)
            .map_err(&on_engine)?
            .ok_or_else(|| on_engine(invalid("spec.tasks[0]", "the package has no Kptfile at its root")))?;
        if let Some(metadata) = &spec.package_metadata {
            root.merge_package_metadata(metadata);
        }
        root.set_readiness_gates(&spec.readiness_gates);
        kptfile::write_root(&mut files, &root);
        if matches!(task.kind, TaskKind::Clone { .. } | TaskKind::Upgrade(_)) {
            // Porch's ensureMergeKey: its problems are logged, never fatal.
            for (path, problem) in ensure_merge_keys(&mut files) {
                tracing::warn!(revision = %name, file = %path, %problem, "adding merge keys failed");
            }
        }
        let rendered = self.render(files, RenderRequest::Resources).await.map_err(&on_engine)?;
        check_package_files(&rendered.files).map_err(&on_engine)?;

        if caller.dry_run {
            pr.metadata.name = Some(name.clone());
            pr.spec.lifecycle = Some(PackageRevisionLifecycle::Draft);
            pr.spec.tasks = vec![task.task];
            return Ok(pr);
        }
        // Held until the draft is in the index (dropped on return), so the next creation of
        // this path, or of one nesting with it, sees it.
        let _new_package = match new {
            Some(clone) => {
                let guard = cache.lock_new_package(package).await;
                check_new_package(&cache, package, repo_name, clone).map_err(&on_engine)?;
                Some(guard)
            }
            None => None,
        };
        let content =
            DraftContent { files: rendered.files, task: Some(task.task), user: caller.user.clone() };
        // The PackageRev first: the revision then appears (one ADDED event) with its metadata.
        // With no metadata to give and no PackageRev of that name, the draft's recorded state
        // creates it: one durable write per create instead of two.
        let user = UserMeta::from_object(&pr.metadata);
        if user != UserMeta::default() || self.metadata.get(ns, &name).is_some() {
            self.put_meta(ns, &name, repo_name, &user).await?;
        }
        let created = match cache.create_draft(package, workspace, content).await {
            Ok(created) => created,
            Err(e) => {
                if let Err(rollback) = self.metadata.purge(ns, &name, repo_name).await {
                    tracing::error!(
                        revision = %name, error = %crate::error_chain::with_causes(&rollback),
                        "removing the PackageRev of a failed create failed"
                    );
                }
                return Err(ServiceError::on_cache("create the draft", &PACKAGE_REVISION, &name)(e));
            }
        };
        let found = Found { repo, cache, rev: created, meta: None };
        Ok(self.refound(&found, &name)?.object())
    }
}

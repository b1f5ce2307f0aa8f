//! Which creation task a create request runs, and the checks on its sources (porch-api.md
//! §3.4, §4.1). Pure: the facts about other revisions (is it a placeholder, its lifecycle, its
//! package) are passed in by the caller, which looked them up in the cache.

use porch_api::porch::{
    GitPackage, InitTaskSpec, MergeStrategy, PackageRevisionLifecycle, PackageRevisionSpec,
    PackageUpgradeTaskSpec, Task, TaskType,
};
use porch_layers::{CauseReason, FieldCause};

use crate::engine::EngineError;
use crate::engine::Result;

const TASK_FIELD: &str = "spec.tasks[0]";

/// The chosen creation task: the task to record in `spec.tasks` and what it asks for.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct CreationTask {
    /// The task as recorded on the revision (and in the commit annotation).
    pub task: Task,
    /// The task's parameters, checked.
    pub kind: TaskKind,
}

/// The parameters of a creation task.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum TaskKind {
    /// Initialise a new package.
    Init(InitTaskSpec),
    /// Clone an upstream package.
    Clone {
        /// Where the upstream is.
        source: CloneSource,
        /// The Kptfile `upstream.updateStrategy` (default `resource-merge`).
        strategy: MergeStrategy,
    },
    /// Copy a published revision of the same package.
    Edit {
        /// Name of the source PackageRevision.
        source: String,
    },
    /// Merge a local revision onto a new upstream ([`super::upgrade`]).
    Upgrade(PackageUpgradeTaskSpec),
}

/// The upstream of a clone task.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum CloneSource {
    /// A PackageRevision of a registered repository, by object name.
    Registered {
        /// Name of the upstream PackageRevision.
        name: String,
    },
    /// A package in a git repository that is not registered.
    Git(GitPackage),
}

/// The init task Porch runs when a create request has no task: description
/// `"<packageName> description"`.
pub(crate) fn default_init_task(package_name: &str) -> Task {
    Task {
        type_: TaskType::Init,
        init: Some(InitTaskSpec { description: format!("{package_name} description"), ..Default::default() }),
        ..Default::default()
    }
}

fn invalid(field: &str, message: impl Into<String>) -> EngineError {
    EngineError::invalid(FieldCause::invalid(field, message))
}

/// Chooses the creation task of a create request (§4.1 step 4): more than one task → 422 "task
/// list must not contain more than one task"; none → [`default_init_task`]; an unknown type →
/// "task of type "X" not supported"; a missing sub-struct → "init not set for task of type
/// "init"" (etc.); clone sources per [`clone_source`]. Does not mutate.
pub(crate) fn select_task(spec: &PackageRevisionSpec) -> Result<CreationTask> {
    let task = match spec.tasks.as_slice() {
        [] => default_init_task(&spec.package_name),
        [one] => one.clone(),
        _ => return Err(invalid("spec.tasks", "task list must not contain more than one task")),
    };
    let missing = |what: &str| {
        invalid(TASK_FIELD, format!("{what} not set for task of type {:?}", task.type_.as_str()))
    };
    let kind = match task.type_ {
        TaskType::Init => TaskKind::Init(task.init.clone().ok_or_else(|| missing("init"))?),
        TaskType::Clone => {
            let clone = task.clone.as_ref().ok_or_else(|| missing("clone"))?;
            TaskKind::Clone {
                source: clone_source(&clone.upstream)?,
                strategy: clone.strategy.clone().unwrap_or(MergeStrategy::ResourceMerge),
            }
        }
        TaskType::Edit => {
            let edit = task.edit.as_ref().ok_or_else(|| missing("edit"))?;
            match edit.source.as_ref().filter(|s| !s.name.is_empty()) {
                Some(source) => TaskKind::Edit { source: source.name.clone() },
                None => {
                    return Err(EngineError::invalid(FieldCause::required(
                        "spec.tasks[0].edit.sourceRef.name",
                        "sourceRef.name is required",
                    )));
                }
            }
        }
        TaskType::Upgrade => TaskKind::Upgrade(task.upgrade.clone().ok_or_else(|| missing("upgrade field"))?),
        _ => {
            return Err(invalid(
                "spec.tasks[0].type",
                format!("task of type {:?} not supported", task.type_.as_str()),
            ));
        }
    };
    Ok(CreationTask { task, kind })
}

/// The source of a clone task, in Porch's order: `upstreamRef` (its name is required), then
/// `git`, then `oci` (not implemented); none → "invalid clone source (neither of git, oci, nor
/// upstream were specified)".
pub(crate) fn clone_source(upstream: &porch_api::porch::UpstreamPackage) -> Result<CloneSource> {
    const FIELD: &str = "spec.tasks[0].clone.upstreamRef";
    if let Some(reference) = &upstream.upstream_ref {
        if reference.name.is_empty() {
            return Err(EngineError::invalid(FieldCause::required(
                format!("{FIELD}.upstreamRef.name"),
                "upstreamRef.name is required",
            )));
        }
        return Ok(CloneSource::Registered { name: reference.name.clone() });
    }
    if let Some(git) = &upstream.git {
        return Ok(CloneSource::Git(git.clone()));
    }
    if upstream.oci.is_some() {
        return Err(EngineError::invalid(FieldCause::new(
            format!("{FIELD}.oci"),
            CauseReason::FieldValueNotSupported,
            "clone from OCI is not implemented",
        )));
    }
    Err(invalid(FIELD, "invalid clone source (neither of git, oci, nor upstream were specified)"))
}

fn placeholder_rule(field: &str, what: &str, is_placeholder: bool, repo: &str, name: &str) -> Result<()> {
    if is_placeholder {
        return Err(invalid(
            field,
            format!("{what} may not be the placeholder package revision {repo}/{name}"),
        ));
    }
    Ok(())
}

/// §3.4: a clone's upstream may not be a placeholder revision ("upstream revision may not be
/// the placeholder package revision <repo>/<name>").
pub(crate) fn check_clone_upstream(is_placeholder: bool, repository: &str, name: &str) -> Result<()> {
    let field = "spec.tasks[0].clone.upstreamRef.upstreamRef.name";
    placeholder_rule(field, "upstream revision", is_placeholder, repository, name)
}

/// §3.4: an edit's source may not be a placeholder revision.
pub(crate) fn check_edit_source(is_placeholder: bool, repository: &str, name: &str) -> Result<()> {
    placeholder_rule("spec.tasks[0].edit.sourceRef.name", "source revision", is_placeholder, repository, name)
}

/// §4.1 edit rules: the source must be a revision of the same package (repository and path)
/// and be published (`Published` or `DeletionProposed`). `target` and `source` are
/// `(repository, package path)`.
pub(crate) fn check_edit_source_package(
    target: (&str, &str),
    source: (&str, &str),
    source_lifecycle: &PackageRevisionLifecycle,
) -> Result<()> {
    let field = "spec.tasks[0].edit.sourceRef.name";
    if target != source {
        return Err(invalid(
            field,
            format!(
                "source revision must be from same package {}/{} (got: {}/{})",
                target.0, target.1, source.0, source.1
            ),
        ));
    }
    if !source_lifecycle.is_published() {
        return Err(invalid(field, "source revision must be published"));
    }
    Ok(())
}

#[cfg(test)]
#[path = "select_tests.rs"]
mod tests;

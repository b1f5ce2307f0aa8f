//! Lifecycle transition rules (porch-api.md §4.1–§4.4), with Porch's messages.
//!
//! Each check returns either the [`Transition`] the wiring must carry out or the field causes
//! (422) / [`EngineError`] (403) to reject the request with. Nothing here mutates its inputs.

use porch_api::porch::{PackageRevisionLifecycle as Lifecycle, PackageRevisionSpec, Task, TaskType};
use porch_layers::FieldCause;

use super::EngineError;
use super::error::invalid_value;
use crate::engine::Result;

const LIFECYCLE_FIELD: &str = "spec.lifecycle";

/// What an accepted update or approval does to the revision's lifecycle. The wiring matches on
/// it exhaustively to pick the git operation.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub(crate) enum Transition {
    /// Lifecycle unchanged on a Draft or Proposed revision (a Draft's content is still
    /// recomputed from the spec and re-rendered, §4.2).
    None,
    /// Draft → Proposed (main resource): move `drafts/…` to `proposed/…`.
    Propose,
    /// Proposed → Draft (main resource or approval): move `proposed/…` back to `drafts/…`.
    Reject,
    /// Proposed → Published (approval only): assign the revision number, merge, tag.
    Approve,
    /// Published → DeletionProposed: push the `deletionProposed/…` branch.
    ProposeDeletion,
    /// DeletionProposed → Published: delete the `deletionProposed/…` branch.
    CancelDeletion,
    /// Published or DeletionProposed unchanged: only object metadata is stored.
    MetadataOnly,
}

/// The wire value of an optional lifecycle (`""` when unset).
fn wire(lifecycle: Option<&Lifecycle>) -> &str {
    lifecycle.map_or("", Lifecycle::as_str)
}

/// Draft when unset, as stored revisions and requests read it.
fn or_draft(lifecycle: Option<&Lifecycle>) -> Lifecycle {
    lifecycle.cloned().unwrap_or(Lifecycle::Draft)
}

/// Create-time rule (§4.1 step 2): `spec.lifecycle` must be unset or `Draft`, else
/// `Invalid value: "<value>": value can be only created as Draft`. Used by create validation.
pub(crate) fn validate_create_lifecycle(lifecycle: Option<&Lifecycle>) -> Result<(), FieldCause> {
    match lifecycle {
        None | Some(Lifecycle::Draft) => Ok(()),
        Some(other) => {
            Err(invalid_value(LIFECYCLE_FIELD, other.as_str(), "value can be only created as Draft"))
        }
    }
}

/// Main-resource update rules (§4.2, Porch's `ValidateUpdate` without the label check): the
/// new lifecycle must be known; Draft/Proposed revisions move only between Draft and Proposed;
/// Published/DeletionProposed revisions only flip between those two with every other spec
/// field semantically equal. Call after `prepare_for_update`; does not mutate.
pub(crate) fn update_transition(
    old: &PackageRevisionSpec,
    new: &PackageRevisionSpec,
) -> Result<Transition, Vec<FieldCause>> {
    let mut causes = Vec::new();
    let new_lc = new.lifecycle.as_ref();
    if new_lc.is_some_and(|l| !l.is_known()) {
        causes.push(invalid_value(
            LIFECYCLE_FIELD,
            wire(new_lc),
            "value can be only updated to Draft,Proposed,Published,DeletionProposed",
        ));
    }
    let new_or_draft = or_draft(new_lc);
    let transition = match or_draft(old.lifecycle.as_ref()) {
        old_lc @ (Lifecycle::Draft | Lifecycle::Proposed) => match (&old_lc, &new_or_draft) {
            (Lifecycle::Draft, Lifecycle::Draft) | (Lifecycle::Proposed, Lifecycle::Proposed) => {
                Some(Transition::None)
            }
            (Lifecycle::Draft, Lifecycle::Proposed) => Some(Transition::Propose),
            (Lifecycle::Proposed, Lifecycle::Draft) => Some(Transition::Reject),
            _ => {
                // Porch reports the old value here.
                causes.push(invalid_value(
                    LIFECYCLE_FIELD,
                    wire(old.lifecycle.as_ref()),
                    "value can be only updated to Draft,Proposed",
                ));
                None
            }
        },
        old_lc @ (Lifecycle::Published | Lifecycle::DeletionProposed) => {
            let mut compared = new.clone();
            if new_or_draft.is_published() {
                compared.lifecycle = old.lifecycle.clone();
            }
            if !specs_semantically_equal(old, &compared) {
                causes.push(FieldCause::invalid(
                    "spec",
                    "spec can only update package with lifecycle value one of Draft,Proposed",
                ));
                None
            } else if old_lc == new_or_draft {
                Some(Transition::MetadataOnly)
            } else if new_or_draft == Lifecycle::DeletionProposed {
                Some(Transition::ProposeDeletion)
            } else {
                Some(Transition::CancelDeletion)
            }
        }
        Lifecycle::Other(value) => {
            causes.push(invalid_value(
                LIFECYCLE_FIELD,
                &value,
                "can only update package with lifecycle value one of \
                 Draft,Proposed,Published,DeletionProposed",
            ));
            None
        }
    };
    match transition {
        Some(t) if causes.is_empty() => Ok(t),
        _ => Err(causes),
    }
}

/// Go's `equality.Semantic.DeepEqual` on two specs: an absent `packageMetadata` equals an
/// empty one (empty and nil collections compare equal).
fn specs_semantically_equal(a: &PackageRevisionSpec, b: &PackageRevisionSpec) -> bool {
    let norm = |s: &PackageRevisionSpec| {
        let mut s = s.clone();
        if s.package_metadata.as_ref().is_some_and(|m| m.labels.is_empty() && m.annotations.is_empty()) {
            s.package_metadata = None;
        }
        s
    };
    norm(a) == norm(b)
}

/// Approval-subresource rules (§4.3, Porch's approval `ValidateUpdate`): Proposed → Draft or
/// Published, Published → DeletionProposed, DeletionProposed → Published; everything else is
/// refused with Porch's messages (which quote the *old* value for the first check).
pub(crate) fn approval_transition(
    old: Option<&Lifecycle>,
    new: Option<&Lifecycle>,
) -> Result<Transition, Vec<FieldCause>> {
    let mut causes = Vec::new();
    let old_lc = or_draft(old);
    let old_wire = wire(Some(&old_lc)).to_string();
    match &old_lc {
        Lifecycle::Published if new != Some(&Lifecycle::DeletionProposed) => causes.push(invalid_value(
            LIFECYCLE_FIELD,
            &old_wire,
            "package with Published lifecycle value can only be updated to 'ProposeDeletion'",
        )),
        Lifecycle::DeletionProposed if new != Some(&Lifecycle::Published) => causes.push(invalid_value(
            LIFECYCLE_FIELD,
            &old_wire,
            "package with DeletionProposed lifecycle value can only be updated to 'Published'",
        )),
        Lifecycle::Published | Lifecycle::DeletionProposed | Lifecycle::Proposed => {}
        _ => causes.push(invalid_value(
            LIFECYCLE_FIELD,
            &old_wire,
            &format!(
                "cannot approve package with {old_wire} lifecycle value; only Proposed packages can be \
                 approved"
            ),
        )),
    }
    match new {
        Some(Lifecycle::Draft | Lifecycle::Published) => {}
        Some(Lifecycle::DeletionProposed) if old_lc == Lifecycle::Published => {}
        Some(Lifecycle::DeletionProposed) => causes.push(invalid_value(
            LIFECYCLE_FIELD,
            "DeletionProposed",
            "cannot update lifecycle DeletionProposed; only Published packages require approval for deletion",
        )),
        other => causes.push(invalid_value(
            LIFECYCLE_FIELD,
            wire(other),
            "value for approval can be only one of Draft,Published",
        )),
    }
    if !causes.is_empty() {
        return Err(causes);
    }
    Ok(match (old_lc, new) {
        (Lifecycle::Proposed, Some(Lifecycle::Draft)) => Transition::Reject,
        (Lifecycle::Proposed, _) => Transition::Approve,
        (Lifecycle::Published, _) => Transition::ProposeDeletion,
        _ => Transition::CancelDeletion,
    })
}

/// The delete rule (§4.4): a `Published` revision must first be proposed for deletion.
/// Returns 403 with Porch's text; Draft, Proposed and DeletionProposed may be deleted.
pub(crate) fn check_delete(lifecycle: Option<&Lifecycle>) -> Result<()> {
    if lifecycle == Some(&Lifecycle::Published) {
        return Err(EngineError::forbidden(
            "published PackageRevisions must be proposed for deletion by setting spec.lifecycle to \
             'DeletionProposed' prior to deletion",
        ));
    }
    Ok(())
}

/// Whether `tasks` use the revision `name` as upstream: a clone task's
/// `upstreamRef.upstreamRef.name` or an upgrade task's `newUpstreamRef.name`.
pub(crate) fn references_upstream(tasks: &[Task], name: &str) -> bool {
    tasks.iter().any(|t| match t.type_ {
        TaskType::Clone => {
            t.clone.as_ref().and_then(|c| c.upstream.upstream_ref.as_ref()).is_some_and(|r| r.name == name)
        }
        TaskType::Upgrade => t.upgrade.as_ref().is_some_and(|u| u.new_upstream.name == name),
        _ => false,
    })
}

/// The second delete rule (§4.4): refuse (403) when a revision of the namespace (the caller
/// passes `(name, tasks)` of every non-placeholder revision) uses `name` as its upstream.
pub(crate) fn check_not_referenced<'a>(
    name: &str,
    revisions: impl IntoIterator<Item = (&'a str, &'a [Task])>,
) -> Result<()> {
    match revisions.into_iter().find(|(_, tasks)| references_upstream(tasks, name)) {
        Some((downstream, _)) => Err(EngineError::forbidden(format!(
            "cannot delete package revision, it is referenced as upstream by: {downstream}"
        ))),
        None => Ok(()),
    }
}

#[cfg(test)]
#[path = "lifecycle_tests.rs"]
mod tests;

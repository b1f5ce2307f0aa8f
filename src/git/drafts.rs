//! Writes on unpublished revisions (draft and proposed branches) and on the markers of
//! published ones (deletionProposed branches, tags).

use super::annotation::{Annotation, annotate};
use super::commit::task_message;
use super::credentials::Auth;
use super::error::GitError;
use super::refs::{HEADS, TAGS, deletion_proposed_branch, draft_branch, proposed_branch, version_tag};
use super::transport::{Expect, RefUpdate};
use super::writer::{DraftContent, WriteOutcome, Writer};
use crate::git::Result;

/// The branch family of an unpublished revision.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Stage {
    /// `drafts/<fullpath>/<workspace>`.
    Draft,
    /// `proposed/<fullpath>/<workspace>`.
    Proposed,
}

impl Stage {
    /// The remote ref of this stage's branch for a revision.
    pub fn remote_ref(self, full_path: &str, workspace: &str) -> String {
        let branch = match self {
            Self::Draft => draft_branch(full_path, workspace),
            Self::Proposed => proposed_branch(full_path, workspace),
        };
        format!("{HEADS}{branch}")
    }

    fn other(self) -> Self {
        match self {
            Self::Draft => Self::Proposed,
            Self::Proposed => Self::Draft,
        }
    }
}

/// A published revision: a tag `<fullpath>/v<N>` or the placeholder on the branch.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Published {
    /// Revision N of a package (tag `<fullpath>/v<N>`).
    Tag {
        /// Package path relative to the directory.
        package: String,
        /// Revision number N ≥ 1.
        revision: i32,
    },
    /// The placeholder of a package (its directory on the branch).
    Placeholder {
        /// Package path relative to the directory.
        package: String,
    },
}

impl Writer {
    /// New draft: a commit on the branch head (none on an empty branch) with the package
    /// directory replaced by `content`, pushed as `drafts/<fullpath>/<workspace>`.
    pub(crate) fn create_draft(
        &self,
        auth: &Auth,
        package: &str,
        workspace: &str,
        content: &DraftContent,
    ) -> Result<WriteOutcome> {
        self.check_names(package, workspace)?;
        let full_path = self.config.full_path(package);
        let refs = self.refs()?;
        for stage in [Stage::Draft, Stage::Proposed] {
            let name = stage.remote_ref(&full_path, workspace);
            if let Some(found) = refs.get(&name) {
                return Err(GitError::Conflict {
                    refname: name,
                    expected: "absent".into(),
                    found: found.to_string(),
                });
            }
        }
        let package_tree = self.package_tree(content)?;
        let base = self.commit_of(&refs, &self.branch_ref())?;
        let tree = self.splice(base.as_ref(), &full_path, Some(package_tree))?;
        let annotation = Annotation {
            package: full_path.clone(),
            workspace_name: workspace.to_string(),
            revision: "0".into(),
            task: content.task.clone(),
        };
        let message = annotate(&task_message(content.task.as_ref()), &annotation);
        let parents: Vec<_> = base.iter().collect();
        let commit = self.commit(&parents, tree, content.user.as_deref(), &message)?;
        let name = Stage::Draft.remote_ref(&full_path, workspace);
        let updates = [RefUpdate::set(&name, commit, Expect::Absent)];
        self.push(auth, &updates)?;
        self.outcome(&updates, &[&name], None)
    }

    /// A new commit on a draft (or proposed) branch replacing the package directory.
    pub(crate) fn update_draft(
        &self,
        auth: &Auth,
        package: &str,
        workspace: &str,
        stage: Stage,
        content: &DraftContent,
    ) -> Result<WriteOutcome> {
        self.check_names(package, workspace)?;
        let full_path = self.config.full_path(package);
        let name = stage.remote_ref(&full_path, workspace);
        let refs = self.refs()?;
        let tip = self.commit_of(&refs, &name)?.ok_or_else(|| GitError::missing_ref(&name))?;
        let package_tree = self.package_tree(content)?;
        let tree = self.splice(Some(&tip), &full_path, Some(package_tree))?;
        let annotation = Annotation {
            package: full_path.clone(),
            workspace_name: workspace.to_string(),
            revision: "0".into(),
            task: content.task.clone(),
        };
        let message = annotate(&task_message(content.task.as_ref()), &annotation);
        let commit = self.commit(&[&tip], tree, content.user.as_deref(), &message)?;
        let updates = [RefUpdate::set(&name, commit, Expect::Is(tip.id()))];
        self.push(auth, &updates)?;
        self.outcome(&updates, &[&name], None)
    }

    /// Moves a revision between `drafts/…` and `proposed/…` (propose, or back to draft) in one
    /// push: the new branch is created at the same commit and the old one deleted.
    pub(crate) fn move_stage(
        &self,
        auth: &Auth,
        package: &str,
        workspace: &str,
        to: Stage,
    ) -> Result<WriteOutcome> {
        self.check_names(package, workspace)?;
        let full_path = self.config.full_path(package);
        let from = to.other().remote_ref(&full_path, workspace);
        let dest = to.remote_ref(&full_path, workspace);
        let refs = self.refs()?;
        let tip = refs.get(&from).ok_or_else(|| GitError::missing_ref(&from))?;
        let updates = [RefUpdate::set(&dest, tip, Expect::Absent), RefUpdate::delete(&from, Expect::Is(tip))];
        self.push(auth, &updates)?;
        self.outcome(&updates, &[&dest], None)
    }

    /// Deletes a draft or proposed branch.
    pub(crate) fn delete_draft(
        &self,
        auth: &Auth,
        package: &str,
        workspace: &str,
        stage: Stage,
    ) -> Result<WriteOutcome> {
        self.check_names(package, workspace)?;
        let name = stage.remote_ref(&self.config.full_path(package), workspace);
        let tip = self.refs()?.get(&name).ok_or_else(|| GitError::missing_ref(&name))?;
        let updates = [RefUpdate::delete(&name, Expect::Is(tip))];
        self.push(auth, &updates)?;
        self.outcome(&updates, &[], None)
    }

    /// Adds (`proposed`) or removes the `deletionProposed/…` branch of a published revision.
    /// Idempotent: nothing is pushed when the branch already is as requested.
    pub(crate) fn set_deletion_proposed(
        &self,
        auth: &Auth,
        target: &Published,
        proposed: bool,
    ) -> Result<WriteOutcome> {
        let refs = self.refs()?;
        let (full_path, suffix, source) = match target {
            Published::Tag { package, revision } => {
                let full_path = self.config.full_path(package);
                let tag = format!("{TAGS}{}", version_tag(&full_path, *revision));
                (full_path, format!("v{revision}"), tag)
            }
            Published::Placeholder { package } => {
                (self.config.full_path(package), self.config.branch.clone(), self.branch_ref())
            }
        };
        let marker = format!("{HEADS}{}", deletion_proposed_branch(&full_path, &suffix));
        let current = refs.get(&marker);
        let updates = match (proposed, current) {
            (true, Some(_)) | (false, None) => Vec::new(),
            (true, None) => {
                let commit = self.commit_of(&refs, &source)?.ok_or_else(|| GitError::missing_ref(&source))?;
                vec![RefUpdate::set(&marker, commit.id(), Expect::Absent)]
            }
            (false, Some(oid)) => vec![RefUpdate::delete(&marker, Expect::Is(oid))],
        };
        self.push(auth, &updates)?;
        self.outcome(&updates, &[], None)
    }

    /// Deletes tag `<fullpath>/v<N>` and its `deletionProposed/…` branch.
    pub(crate) fn delete_tag(&self, auth: &Auth, package: &str, revision: i32) -> Result<WriteOutcome> {
        let full_path = self.config.full_path(package);
        let tag = format!("{TAGS}{}", version_tag(&full_path, revision));
        let refs = self.refs()?;
        let oid = refs.get(&tag).ok_or_else(|| GitError::missing_ref(&tag))?;
        let mut updates = vec![RefUpdate::delete(&tag, Expect::Is(oid))];
        let marker = format!("{HEADS}{}", deletion_proposed_branch(&full_path, &format!("v{revision}")));
        if let Some(marker_oid) = refs.get(&marker) {
            updates.push(RefUpdate::delete(&marker, Expect::Is(marker_oid)));
        }
        self.push(auth, &updates)?;
        self.outcome(&updates, &[], None)
    }
}

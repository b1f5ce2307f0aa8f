//! Writes that move the repository branch: approval (merge + tag + branch cleanup in one push)
//! and deletion of a placeholder. Both are rebuilt on the new branch tip and retried when the
//! branch moved underneath them.

use std::time::Duration;

use git2::Oid;

use super::annotation::{Annotation, annotate};
use super::credentials::Auth;
use super::drafts::Stage;
use super::error::{GitError, Scrubber};
use super::refs::{HEADS, TAGS, deletion_proposed_branch, version_tag};
use super::transport::{Expect, RefUpdate};
use super::tree;
use super::writer::{WriteOutcome, Writer};
use crate::git::Result;

impl Writer {
    /// Retries `attempt` (given the attempt number) while it fails with a conflict, fetching
    /// before each retry; `retry_attempts` retries at most.
    fn with_retries<T>(&self, auth: &Auth, mut attempt: impl FnMut(u32) -> Result<T>) -> Result<T> {
        let attempts = self.config.retry_attempts + 1;
        for n in 1..=attempts {
            match attempt(n) {
                Err(error) if error.is_conflict() && n < attempts => {
                    tracing::info!(%error, attempt = n, "write conflicted with a remote change; retrying");
                    std::thread::sleep(Duration::from_millis(20 * u64::from(n)));
                    self.refetch(auth)?;
                }
                Err(error) if error.is_conflict() && attempts > 1 => {
                    return Err(GitError::RetriesExhausted { attempts, source: Box::new(error) });
                }
                other => return other,
            }
        }
        unreachable!("the last attempt always returns")
    }

    /// Approves revision (`package`, `workspace`) as revision `revision`: a merge commit on the
    /// branch with parents [branch tip, proposed (or draft) commit] whose tree is the branch tree
    /// with the package directory replaced; tag `<fullpath>/v<N>`; the proposed/draft branch
    /// deleted. All in one push, rebuilt and retried when the branch moved.
    pub(crate) fn approve(
        &self,
        auth: &Auth,
        package: &str,
        workspace: &str,
        revision: i32,
        user: Option<&str>,
    ) -> Result<WriteOutcome> {
        self.check_names(package, workspace)?;
        if revision < 1 {
            return Err(GitError::invalid(
                "approve",
                format!("revision {revision} is not a published revision number"),
            ));
        }
        let full_path = self.config.full_path(package);
        let tag = format!("{TAGS}{}", version_tag(&full_path, revision));
        let branch = self.branch_ref();
        let mut source: Option<(String, Oid)> = None;
        let mut ours: Vec<Oid> = Vec::new();
        let updates = self.with_retries(auth, |_| {
            let refs = self.refs()?;
            let (source_ref, source_oid, delete_source) = match &source {
                None => {
                    let found = [Stage::Proposed, Stage::Draft]
                        .into_iter()
                        .map(|s| s.remote_ref(&full_path, workspace))
                        .find_map(|name| refs.get(&name).map(|oid| (name, oid)));
                    let (name, oid) = found.ok_or_else(|| GitError::NotFound {
                        what: format!("a proposed or draft branch for {full_path} workspace {workspace}"),
                    })?;
                    source = Some((name.clone(), oid));
                    (name, oid, true)
                }
                Some((name, oid)) => match refs.get(name) {
                    Some(current) if current == *oid => (name.clone(), *oid, true),
                    None => (name.clone(), *oid, false), // deleted by an earlier, partly applied attempt
                    Some(current) => {
                        return Err(conflict_err(name, Some(*oid), Some(current)));
                    }
                },
            };
            let tag_expect = match refs.get(&tag) {
                None => Expect::Absent,
                Some(current) if ours.contains(&current) => Expect::Is(current),
                Some(current) => return Err(conflict_err(&tag, None, Some(current))),
            };
            let scrub = Scrubber::default();
            let local = |e| GitError::local(format!("read {source_ref}"), e, &scrub);
            let source_commit = self.repo.find_commit(source_oid).map_err(local)?;
            let source_tree = source_commit.tree().map_err(local)?;
            let package_tree = tree::subtree(&self.repo, &source_tree, &full_path)
                .map_err(local)?
                .filter(tree::has_kptfile)
                .ok_or_else(|| {
                    GitError::invalid("approve", format!("{source_ref} has no Kptfile at {full_path}"))
                })?;
            let tip = self.commit_of(&refs, &branch)?;
            let tree = self.splice(tip.as_ref(), &full_path, Some(package_tree.id()))?;
            let annotation = Annotation {
                package: full_path.clone(),
                workspace_name: workspace.to_string(),
                revision: revision.to_string(),
                task: None,
            };
            let message =
                annotate(&format!("Approving package revision {full_path}/{revision}"), &annotation);
            let parents: Vec<_> = tip.iter().chain(std::iter::once(&source_commit)).collect();
            let merge = self.commit(&parents, tree, user, &message)?;
            ours.push(merge);
            let mut updates = vec![
                RefUpdate::set(&branch, merge, Expect::value(tip.as_ref().map(|c| c.id()))),
                RefUpdate::set(&tag, merge, tag_expect),
            ];
            if delete_source {
                updates.push(RefUpdate::delete(&source_ref, Expect::Is(source_oid)));
            }
            self.push(auth, &updates)?;
            Ok(updates)
        })?;
        self.outcome(&updates, &[&tag], Some(package))
    }

    /// Deletes a placeholder: a commit `Delete <fullpath>` on the branch removing the package
    /// directory, and the placeholder's `deletionProposed/…` branch; retried when the branch moved.
    pub(crate) fn delete_placeholder(
        &self,
        auth: &Auth,
        package: &str,
        user: Option<&str>,
    ) -> Result<WriteOutcome> {
        tree::validate_path(package).map_err(|r| GitError::invalid("accept the package path", r))?;
        let full_path = self.config.full_path(package);
        let branch = self.branch_ref();
        let marker = format!("{HEADS}{}", deletion_proposed_branch(&full_path, &self.config.branch));
        let updates = self.with_retries(auth, |_| {
            let refs = self.refs()?;
            let mut updates = Vec::new();
            if let Some(tip) = self.commit_of(&refs, &branch)? {
                let scrub = Scrubber::default();
                let root = tip.tree().map_err(|e| GitError::local(format!("read {branch}"), e, &scrub))?;
                let present = tree::subtree(&self.repo, &root, &full_path)
                    .map_err(|e| GitError::local(format!("read {branch}"), e, &scrub))?
                    .is_some();
                if present {
                    let tree = self.splice(Some(&tip), &full_path, None)?;
                    let commit = self.commit(&[&tip], tree, user, &format!("Delete {full_path}"))?;
                    updates.push(RefUpdate::set(&branch, commit, Expect::Is(tip.id())));
                }
            }
            if let Some(oid) = refs.get(&marker) {
                updates.push(RefUpdate::delete(&marker, Expect::Is(oid)));
            }
            self.push(auth, &updates)?;
            Ok(updates)
        })?;
        self.outcome(&updates, &[], None)
    }
}

fn conflict_err(refname: &str, expected: Option<Oid>, found: Option<Oid>) -> GitError {
    let show = |o: Option<Oid>| o.map_or_else(|| "absent".to_string(), |o| o.to_string());
    GitError::Conflict { refname: refname.to_string(), expected: show(expected), found: show(found) }
}

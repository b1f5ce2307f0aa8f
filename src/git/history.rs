//! History walks over `kpt:` annotations: the creation task of a revision and the newest commit
//! annotated for each package on a branch.

use std::collections::{BTreeMap, BTreeSet};

use git2::{Commit, Oid, Repository, Sort};
use porch_api::porch::Task;

use super::annotation::Annotation;

/// Who made a commit and when (author email, author time in Unix seconds).
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Authored {
    /// Author email.
    pub by: String,
    /// Author time, seconds since the Unix epoch.
    pub at: i64,
}

impl Authored {
    /// Author of `commit`.
    pub(crate) fn of(commit: &Commit<'_>) -> Self {
        let author = commit.author();
        Self { by: String::from_utf8_lossy(author.email_bytes()).into_owned(), at: author.when().seconds() }
    }
}

/// A walk of the history from `start`, newest committer time first — Porch's order (go-git
/// `LogOrderCommitterTime`). libgit2's *unsorted* walk already yields commits in that order
/// (it inserts each commit's parents into its queue by date) and does so lazily, so a walk that
/// stops at the first match reads only the commits it needs. Any explicit sorting (`TIME`,
/// `TOPOLOGICAL`) makes libgit2 read the whole history before yielding the first commit.
fn walk_from(repo: &Repository, start: Oid) -> Result<git2::Revwalk<'_>, git2::Error> {
    let mut walk = repo.revwalk()?;
    walk.set_sorting(Sort::NONE)?;
    walk.push(start)?;
    Ok(walk)
}

fn message(commit: &Commit<'_>) -> String {
    String::from_utf8_lossy(commit.message_bytes()).into_owned()
}

/// The creation task of revision (`full_path`, `workspace`): walking history from `start`
/// newest first, the task of the newest annotation of that revision whose task is a creation
/// task (init, clone, edit, upgrade). Empty when there is none (revisions made outside Porch).
pub(crate) fn load_tasks(
    repo: &Repository,
    start: Oid,
    full_path: &str,
    workspace: &str,
) -> Result<Vec<Task>, git2::Error> {
    for oid in walk_from(repo, start)? {
        let commit = repo.find_commit(oid?)?;
        let message = message(&commit);
        if !message.contains("kpt:") {
            continue;
        }
        for annotation in Annotation::parse_all(&message) {
            if !annotation.matches(full_path, workspace) {
                continue;
            }
            if let Some(task) = annotation.task.filter(|t| t.type_.is_creation()) {
                return Ok(vec![task]);
            }
        }
    }
    Ok(Vec::new())
}

/// For each of `full_paths`, the author of the newest commit reachable from `start` whose
/// message carries a `kpt:` annotation for that package. One walk serves all packages; it stops
/// as soon as every package is found.
pub(crate) fn latest_annotated(
    repo: &Repository,
    start: Oid,
    full_paths: &BTreeSet<String>,
) -> Result<BTreeMap<String, Authored>, git2::Error> {
    let mut found = BTreeMap::new();
    if full_paths.is_empty() {
        return Ok(found);
    }
    for oid in walk_from(repo, start)? {
        let commit = repo.find_commit(oid?)?;
        let message = message(&commit);
        if !message.contains("kpt:") {
            continue;
        }
        for annotation in Annotation::parse_all(&message) {
            if full_paths.contains(&annotation.package) && !found.contains_key(&annotation.package) {
                found.insert(annotation.package, Authored::of(&commit));
            }
        }
        if found.len() == full_paths.len() {
            break;
        }
    }
    Ok(found)
}

/// The workspace recorded for `full_path` in the annotations of one commit (a tag's tip).
pub(crate) fn workspace_in(commit: &Commit<'_>, full_path: &str) -> Option<String> {
    Annotation::parse_all(&message(commit))
        .into_iter()
        .find(|a| a.package == full_path && !a.workspace_name.is_empty())
        .map(|a| a.workspace_name)
}

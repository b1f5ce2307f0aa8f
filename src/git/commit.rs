//! Commit authorship and messages as Porch writes them (§7.3).

use git2::{Commit, Oid, Repository, Signature};
use porch_api::porch::{Task, TaskType};

use super::config::RepoConfig;

/// Committer name of every Porch commit (and the default author).
pub const PORCH_NAME: &str = "Package Orchestration Service";
/// Committer email of every Porch commit (and the default author).
pub const PORCH_EMAIL: &str = "porch@kpt.dev";
/// Content of the README.md committed when creating the branch.
pub const CREATE_BRANCH_README: &str = "Created by porch";
/// Message of the commit creating the branch.
pub const CREATE_BRANCH_MESSAGE: &str = "Initial commit: Creating main branch";

/// The author of a write: the Repository's `author`/`email` when either is set (a missing one
/// falls back to the other; Porch leaves a missing email empty, which libgit2 cannot write), else
/// the requesting user as both name and email, else Porch.
pub(crate) fn author(config: &RepoConfig, user: Option<&str>) -> (String, String) {
    if !config.author.is_empty() || !config.email.is_empty() {
        let name = if config.author.is_empty() { &config.email } else { &config.author };
        let email = if config.email.is_empty() { &config.author } else { &config.email };
        return (name.clone(), email.clone());
    }
    match user.filter(|u| !u.is_empty()) {
        Some(user) => (user.to_string(), user.to_string()),
        None => (PORCH_NAME.to_string(), PORCH_EMAIL.to_string()),
    }
}

/// The first line of a draft commit made for `task`.
pub(crate) fn task_message(task: Option<&Task>) -> String {
    let Some(task) = task else { return "Intermediate commit".into() };
    match &task.type_ {
        TaskType::Init => "Creating new empty revision".into(),
        TaskType::Clone => "Creating new revision by cloning".into(),
        TaskType::Edit => "Creating new revision by copying previous revision".into(),
        TaskType::Upgrade => "Upgrading revision".into(),
        TaskType::Render => "Rendering package".into(),
        TaskType::Unspecified => "Intermediate commit".into(),
        other => format!("Intermediate commit: {}", other.as_str()),
    }
}

/// Writes a commit object (no ref is moved) with the given author and Porch as committer.
pub(crate) fn write_commit(
    repo: &Repository,
    parents: &[&Commit<'_>],
    tree: Oid,
    (name, email): (&str, &str),
    message: &str,
) -> Result<Oid, git2::Error> {
    let now = git2::Time::new(now_seconds(), 0);
    let author = Signature::new(name, email, &now)?;
    let committer = Signature::new(PORCH_NAME, PORCH_EMAIL, &now)?;
    let tree = repo.find_tree(tree)?;
    repo.commit(None, &author, &committer, message, &tree, parents)
}

fn now_seconds() -> i64 {
    std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map_or(0, |d| d.as_secs() as i64)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn author_rules() {
        let mut c = RepoConfig::new("file:///r");
        assert_eq!(author(&c, None), (PORCH_NAME.into(), PORCH_EMAIL.into()));
        assert_eq!(author(&c, Some("")), (PORCH_NAME.into(), PORCH_EMAIL.into()));
        assert_eq!(author(&c, Some("alice")), ("alice".into(), "alice".into()));
        c.email = "ops@example.com".into();
        assert_eq!(author(&c, Some("alice")), ("ops@example.com".into(), "ops@example.com".into()));
        c.author = "Ops".into();
        assert_eq!(author(&c, Some("alice")), ("Ops".into(), "ops@example.com".into()));
        c.email.clear();
        assert_eq!(author(&c, None), ("Ops".into(), "Ops".into()));
    }

    #[test]
    fn messages_per_task() {
        let t = |type_| Task { type_, ..Default::default() };
        assert_eq!(task_message(Some(&t(TaskType::Init))), "Creating new empty revision");
        assert_eq!(task_message(Some(&t(TaskType::Clone))), "Creating new revision by cloning");
        assert_eq!(
            task_message(Some(&t(TaskType::Edit))),
            "Creating new revision by copying previous revision"
        );
        assert_eq!(task_message(Some(&t(TaskType::Upgrade))), "Upgrading revision");
        assert_eq!(task_message(Some(&t(TaskType::Render))), "Rendering package");
        assert_eq!(task_message(None), "Intermediate commit");
        assert_eq!(task_message(Some(&t(TaskType::Push))), "Intermediate commit: push");
    }
}

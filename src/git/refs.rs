//! Ref names of Porch's git layout (§7.1) and the ref set of a mirror.
//!
//! Refs are named as the remote names them (`refs/heads/…`, `refs/tags/…`); the mirror keeps
//! branches under `refs/remotes/origin/…` and tags under `refs/tags/…`.

use std::collections::BTreeMap;
use std::sync::Arc;

use git2::Oid;

/// Prefix of branches on the remote.
pub const HEADS: &str = "refs/heads/";
/// Prefix of tags (same on the remote and in the mirror).
pub const TAGS: &str = "refs/tags/";
/// Prefix of the remote-tracking branches in the mirror.
pub(crate) const TRACKING: &str = "refs/remotes/origin/";
/// Branch prefix of drafts.
pub const DRAFTS: &str = "drafts/";
/// Branch prefix of proposed revisions.
pub const PROPOSED: &str = "proposed/";
/// Branch prefix of revisions proposed for deletion.
pub const DELETION_PROPOSED: &str = "deletionProposed/";

/// `drafts/<fullpath>/<workspace>`.
pub fn draft_branch(full_path: &str, workspace: &str) -> String {
    format!("{DRAFTS}{full_path}/{workspace}")
}

/// `proposed/<fullpath>/<workspace>`.
pub fn proposed_branch(full_path: &str, workspace: &str) -> String {
    format!("{PROPOSED}{full_path}/{workspace}")
}

/// `deletionProposed/<fullpath>/<suffix>` (`suffix` = `v<N>` or the branch for a placeholder).
pub fn deletion_proposed_branch(full_path: &str, suffix: &str) -> String {
    format!("{DELETION_PROPOSED}{full_path}/{suffix}")
}

/// `<fullpath>/v<N>`.
pub fn version_tag(full_path: &str, revision: i32) -> String {
    format!("{full_path}/v{revision}")
}

/// Revision number of a tag suffix as Porch reads it: an optional `v` and decimal digits
/// (`v3`, `3`); anything else is -1.
pub fn parse_revision(version: &str) -> i32 {
    let digits = version.strip_prefix('v').unwrap_or(version);
    if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return -1;
    }
    digits.parse().unwrap_or(-1)
}

/// What a remote ref means in Porch's layout.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PorchRef<'a> {
    /// The repository branch (placeholders).
    Branch,
    /// `drafts/<fullpath>/<workspace>`.
    Draft {
        /// Path of the package from the repository root.
        full_path: &'a str,
        /// Workspace name.
        workspace: &'a str,
    },
    /// `proposed/<fullpath>/<workspace>`.
    Proposed {
        /// Path of the package from the repository root.
        full_path: &'a str,
        /// Workspace name.
        workspace: &'a str,
    },
    /// `deletionProposed/<fullpath>/<suffix>`: marks a published revision.
    DeletionProposed {
        /// Path of the package from the repository root.
        full_path: &'a str,
        /// `v<N>`, or the branch name for a placeholder.
        suffix: &'a str,
    },
    /// Tag `<fullpath>/<version>`.
    Tag {
        /// Path of the package from the repository root.
        full_path: &'a str,
        /// The part after the last `/` (`v3`, `release`).
        version: &'a str,
    },
    /// Anything else (other branches, tags without `/`).
    Other,
}

impl<'a> PorchRef<'a> {
    /// Classifies a remote ref name (`refs/heads/…` / `refs/tags/…`) for repository branch `branch`.
    pub fn parse(remote_ref: &'a str, branch: &str) -> Self {
        if let Some(name) = remote_ref.strip_prefix(TAGS) {
            return match split_last(name) {
                Some((full_path, version)) => Self::Tag { full_path, version },
                None => Self::Other,
            };
        }
        let Some(name) = remote_ref.strip_prefix(HEADS) else { return Self::Other };
        if name == branch {
            return Self::Branch;
        }
        let with = |prefix: &str| name.strip_prefix(prefix).and_then(split_last);
        if let Some((full_path, workspace)) = with(DRAFTS) {
            Self::Draft { full_path, workspace }
        } else if let Some((full_path, workspace)) = with(PROPOSED) {
            Self::Proposed { full_path, workspace }
        } else if let Some((full_path, suffix)) = with(DELETION_PROPOSED) {
            Self::DeletionProposed { full_path, suffix }
        } else {
            Self::Other
        }
    }
}

/// `(before, after)` the last `/`, both non-empty.
fn split_last(name: &str) -> Option<(&str, &str)> {
    let (head, tail) = name.rsplit_once('/')?;
    (!head.is_empty() && !tail.is_empty()).then_some((head, tail))
}

/// The mirror ref holding a remote ref: `refs/heads/x` → `refs/remotes/origin/x`, tags unchanged.
pub(crate) fn local_name(remote_ref: &str) -> Option<String> {
    if let Some(branch) = remote_ref.strip_prefix(HEADS) {
        Some(format!("{TRACKING}{branch}"))
    } else if remote_ref.starts_with(TAGS) {
        Some(remote_ref.to_string())
    } else {
        None
    }
}

/// The remote ref a mirror ref stands for (inverse of [`local_name`]).
pub(crate) fn remote_name(local_ref: &str) -> Option<String> {
    if let Some(branch) = local_ref.strip_prefix(TRACKING) {
        (branch != "HEAD").then(|| format!("{HEADS}{branch}"))
    } else if local_ref.starts_with(TAGS) {
        Some(local_ref.to_string())
    } else {
        None
    }
}

/// Every ref of the remote as last seen by the mirror: remote ref name → object id (for
/// annotated tags, the tag object). Compare two sets with [`RefSet::diff`] to find what to
/// re-discover. Cloning is cheap (the map is shared until one of the clones changes).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RefSet {
    refs: Arc<BTreeMap<String, Oid>>,
}

impl RefSet {
    /// A set from `(remote ref, oid)` pairs.
    pub fn from_refs<I: IntoIterator<Item = (String, Oid)>>(refs: I) -> Self {
        Self { refs: Arc::new(refs.into_iter().collect()) }
    }

    /// The object a remote ref points to.
    pub fn get(&self, remote_ref: &str) -> Option<Oid> {
        self.refs.get(remote_ref).copied()
    }

    /// The commit-ish a branch points to (`name` without `refs/heads/`).
    pub fn branch(&self, name: &str) -> Option<Oid> {
        self.get(&format!("{HEADS}{name}"))
    }

    /// What a user-given ref name points to, as git resolves a short name: the exact remote ref
    /// (`refs/…`), a tag `<name>`, a branch `<name>`; `refs/remotes/origin/<name>` is the branch
    /// `<name>` (how a clone names it).
    pub fn resolve(&self, name: &str) -> Option<Oid> {
        if let Some(branch) = name.strip_prefix("refs/remotes/origin/") {
            return self.branch(branch);
        }
        self.get(name).or_else(|| self.get(&format!("{TAGS}{name}"))).or_else(|| self.branch(name))
    }

    /// Whether `deletionProposed/<fullpath>/<suffix>` exists.
    pub fn is_deletion_proposed(&self, full_path: &str, suffix: &str) -> bool {
        self.branch(&deletion_proposed_branch(full_path, suffix)).is_some()
    }

    /// All refs in name order.
    pub fn iter(&self) -> impl Iterator<Item = (&str, Oid)> {
        self.refs.iter().map(|(name, oid)| (name.as_str(), *oid))
    }

    /// Number of refs.
    pub fn len(&self) -> usize {
        self.refs.len()
    }

    /// Whether there are no refs (an empty remote).
    pub fn is_empty(&self) -> bool {
        self.refs.is_empty()
    }

    /// Sets (`Some`) or removes (`None`) a ref, as a write reports it.
    pub fn apply(&mut self, remote_ref: &str, value: Option<Oid>) {
        let refs = Arc::make_mut(&mut self.refs);
        match value {
            Some(oid) => refs.insert(remote_ref.to_string(), oid),
            None => refs.remove(remote_ref),
        };
    }

    /// What changed from `old` to `self`.
    pub fn diff(&self, old: &RefSet) -> RefDiff {
        let mut diff = RefDiff::default();
        for (name, oid) in self.refs.iter() {
            match old.refs.get(name) {
                None => diff.added.push(name.clone()),
                Some(previous) if previous != oid => diff.changed.push(name.clone()),
                Some(_) => {}
            }
        }
        diff.removed = old.refs.keys().filter(|name| !self.refs.contains_key(*name)).cloned().collect();
        diff
    }
}

/// Refs that differ between two [`RefSet`]s (names as on the remote).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RefDiff {
    /// Refs only in the new set.
    pub added: Vec<String>,
    /// Refs in both sets with different values.
    pub changed: Vec<String>,
    /// Refs only in the old set.
    pub removed: Vec<String>,
}

impl RefDiff {
    /// Whether nothing changed.
    pub fn is_empty(&self) -> bool {
        self.added.is_empty() && self.changed.is_empty() && self.removed.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn refs_are_classified() {
        let p = |r| PorchRef::parse(r, "main");
        assert_eq!(p("refs/heads/main"), PorchRef::Branch);
        assert_eq!(p("refs/heads/drafts/a/b/ws"), PorchRef::Draft { full_path: "a/b", workspace: "ws" });
        assert_eq!(p("refs/heads/proposed/pkg/ws"), PorchRef::Proposed { full_path: "pkg", workspace: "ws" });
        assert_eq!(
            p("refs/heads/deletionProposed/pkg/v2"),
            PorchRef::DeletionProposed { full_path: "pkg", suffix: "v2" }
        );
        assert_eq!(p("refs/tags/a/pkg/v3"), PorchRef::Tag { full_path: "a/pkg", version: "v3" });
        assert_eq!(p("refs/tags/v1.0"), PorchRef::Other);
        assert_eq!(p("refs/heads/drafts/ws"), PorchRef::Other);
        assert_eq!(p("refs/heads/feature"), PorchRef::Other);
    }

    #[test]
    fn revisions_parse_like_porch() {
        assert_eq!(parse_revision("v3"), 3);
        assert_eq!(parse_revision("12"), 12);
        assert_eq!(parse_revision("release"), -1);
        assert_eq!(parse_revision("v1.2"), -1);
        assert_eq!(parse_revision("v"), -1);
    }

    #[test]
    fn local_and_remote_names_round_trip() {
        assert_eq!(local_name("refs/heads/main").as_deref(), Some("refs/remotes/origin/main"));
        assert_eq!(local_name("refs/tags/p/v1").as_deref(), Some("refs/tags/p/v1"));
        assert_eq!(remote_name("refs/remotes/origin/drafts/p/w").as_deref(), Some("refs/heads/drafts/p/w"));
        assert_eq!(remote_name("refs/remotes/origin/HEAD"), None);
        assert_eq!(remote_name("refs/heads/x"), None);
    }

    #[test]
    fn short_names_resolve_like_git() {
        let a = Oid::from_str("1111111111111111111111111111111111111111").unwrap();
        let b = Oid::from_str("2222222222222222222222222222222222222222").unwrap();
        let refs = RefSet::from_refs([("refs/heads/main".into(), a), ("refs/tags/pkg/v1".into(), b)]);
        assert_eq!(refs.resolve("main"), Some(a));
        assert_eq!(refs.resolve("refs/remotes/origin/main"), Some(a));
        assert_eq!(refs.resolve("pkg/v1"), Some(b));
        assert_eq!(refs.resolve("refs/tags/pkg/v1"), Some(b));
        assert_eq!(refs.resolve("v1"), None);
    }

    #[test]
    fn diff_reports_changes() {
        let a = Oid::from_str("1111111111111111111111111111111111111111").unwrap();
        let b = Oid::from_str("2222222222222222222222222222222222222222").unwrap();
        let old = RefSet::from_refs([("refs/heads/main".into(), a), ("refs/tags/p/v1".into(), a)]);
        let mut new = old.clone();
        new.apply("refs/heads/main", Some(b));
        new.apply("refs/tags/p/v1", None);
        new.apply("refs/tags/p/v2", Some(b));
        let diff = new.diff(&old);
        assert_eq!(diff.added, vec!["refs/tags/p/v2"]);
        assert_eq!(diff.changed, vec!["refs/heads/main"]);
        assert_eq!(diff.removed, vec!["refs/tags/p/v1"]);
        assert!(new.diff(&new).is_empty());
        assert!(!new.is_deletion_proposed("p", "v1"));
    }
}

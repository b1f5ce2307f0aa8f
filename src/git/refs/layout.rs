//! Porch's ref layout (§7.1): how its branches and tags are named, what a remote ref means, and
//! how the mirror names a remote's refs (branches under `refs/remotes/origin/…`, tags under
//! `refs/tags/…`). Pure naming: no git access.

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
}

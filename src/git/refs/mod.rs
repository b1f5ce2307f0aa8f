//! Refs as Porch names them: the layout of its branches and tags (`layout.rs`), and the ref set
//! of a mirror (`set.rs`).
//!
//! Refs are named as the remote names them (`refs/heads/…`, `refs/tags/…`); the mirror keeps
//! branches under `refs/remotes/origin/…` and tags under `refs/tags/…`.

mod layout;
mod set;

pub use layout::{
    DELETION_PROPOSED, DRAFTS, HEADS, PROPOSED, PorchRef, TAGS, deletion_proposed_branch, draft_branch,
    parse_revision, proposed_branch, version_tag,
};
pub(crate) use layout::{TRACKING, local_name, remote_name};
pub use set::{RefDiff, RefSet};

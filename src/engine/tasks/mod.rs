//! Creation tasks (porch-api.md §4.1 step 4, §7.5): choosing the task of a create request and
//! the file set each task produces, as pure functions over [`Files`](super::Files).
//!
//! - [`select`]: the task list rules, the default init task, per-type checks and the
//!   placeholder/edit-source rules;
//! - [`init`]: `kpt pkg init` output;
//! - [`clone`]: an upstream's files with `upstream`/`upstreamLock` and package context;
//! - [`upgrade`]: a local revision merged onto a new upstream, and the checks of its sources.
//!
//! An `edit` produces the source revision's files unchanged (the engine's create reads them).

pub(crate) mod clone;
pub(crate) mod context;
pub(crate) mod init;
pub(crate) mod select;
pub(crate) mod upgrade;

pub(crate) use select::{CloneSource, TaskKind, select_task};

/// The last segment of a package path: the package's own name (`a/b/pkg` → `pkg`).
pub(crate) fn package_base_name(package_path: &str) -> &str {
    let trimmed = package_path.trim_matches('/');
    trimmed.rsplit('/').next().unwrap_or(trimmed)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_base_name_is_the_last_path_segment() {
        assert_eq!(package_base_name("a/b/pkg"), "pkg");
        assert_eq!(package_base_name("pkg"), "pkg");
        assert_eq!(package_base_name("/a/pkg/"), "pkg");
    }
}

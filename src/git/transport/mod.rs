//! Moving objects and refs between a mirror and its remote: [`fetch`] and [`push`], each
//! dispatched to the local transport (`local.rs`, for `file://` URLs and absolute paths: objects
//! copied between the two object databases, `odb.rs`) or to libgit2's network transports
//! (`network.rs`: `git://`, `http://`, `https://`).
//!
//! - A push is a list of [`RefUpdate`]s, each with the value the ref must still have on the
//!   remote ([`Expect`]); one that moved meanwhile fails the push with a conflict. Once the
//!   remote took them, the updates are recorded in the mirror's remote-tracking refs, so that
//!   discovery sees them without a fetch.
//! - A fetch brings the mirror's branches and tags in line with the remote's (pruning what the
//!   remote no longer has) and stores the refs the way `git clone --mirror` leaves them
//!   ([`replace_fetched`]).
//! - A local push moves the remote's refs one by one; `journal.rs` lets one cut off by a crash
//!   be finished when the mirror is opened again.
//! - Pushes in progress are counted (`in_flight.rs`), so that shutdown can let them finish.

mod in_flight;
pub(super) mod journal;
mod local;
mod network;
mod odb;
mod update;

use std::path::PathBuf;

use git2::Repository;

pub use in_flight::wait_for_pushes;
pub(crate) use update::{Expect, RefUpdate};

use super::credentials::Auth;
use super::error::{GitError, Scrubber};
use super::refdb::{Refs, replace_fetched};
use super::refs::{RefSet, local_name};
use crate::git::Result;

/// The directory of a local remote: `file:///abs/path` (without percent-escapes) or `/abs/path`.
pub(crate) fn remote_path(url: &str) -> Option<PathBuf> {
    let path = url.strip_prefix("file://").unwrap_or(url);
    (path.starts_with('/') && !path.contains('%')).then(|| PathBuf::from(path))
}

/// Fetches every branch and tag of the remote at `url` into the mirror `repo`, pruning refs the
/// remote no longer has, and returns the remote's refs as now mirrored and the bytes received
/// (0 from a local remote, whose objects are linked or copied, not transferred).
///
/// The refs are stored from the remote's advertisement by [`replace_fetched`] (the tags in one
/// `packed-refs` write, the few branches as loose files) instead of libgit2's update of one loose
/// file per ref, which costs a file creation per ref on a cold fetch and a file read per ref on
/// every later listing.
pub(crate) fn fetch(repo: &Repository, url: &str, auth: &Auth) -> Result<(RefSet, u64)> {
    let local_scrub = Scrubber::default();
    let ((advertised, received), scrub) = match remote_path(url) {
        Some(path) => ((local::fetch(repo, url, &path)?, 0), &local_scrub),
        None => (network::fetch(repo, url, auth)?, auth.scrubber()),
    };
    let refs = RefSet::from_refs(advertised);
    let local = refs.iter().filter_map(|(name, oid)| Some((local_name(name)?, oid))).collect();
    replace_fetched(repo, &local).map_err(|e| GitError::local("store the fetched refs", e, scrub))?;
    Ok((refs, received))
}

/// Pushes `updates` to the remote at `url` in one push; on success mirrors them into the local
/// remote-tracking refs so discovery sees them without a fetch. Returns the bytes sent (0 to a
/// local remote, and for no updates).
pub(crate) fn push(repo: &Repository, url: &str, auth: &Auth, updates: &[RefUpdate]) -> Result<u64> {
    if updates.is_empty() {
        return Ok(0);
    }
    let _in_flight = in_flight::Push::begin();
    let sent = match remote_path(url) {
        Some(path) => {
            local::push(repo, url, &path, updates)?;
            0
        }
        None => network::push(repo, url, auth, updates)?,
    };
    record(repo, updates, auth.scrubber())?;
    Ok(sent)
}

/// Applies pushed updates to the mirror's refs: as loose files written directly when the
/// mirror logs no ref updates (see [`Refs`]; libgit2 would load and scan every packed ref for
/// each one), else through libgit2.
fn record(repo: &Repository, updates: &[RefUpdate], scrub: &Scrubber) -> Result<()> {
    let refs = Refs::of(repo).map_err(|e| GitError::local("open the mirror's refs", e, scrub))?;
    for update in updates {
        let Some(local) = local_name(&update.remote_ref) else { continue };
        let result = match update.new {
            Some(oid) => refs.set(&local, oid, None),
            None => refs.delete(&local, None),
        };
        result.map_err(|e| GitError::local(format!("record the pushed ref {local}"), e, scrub))?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn local_urls() {
        assert_eq!(remote_path("file:///srv/r.git"), Some(PathBuf::from("/srv/r.git")));
        assert_eq!(remote_path("/srv/r.git"), Some(PathBuf::from("/srv/r.git")));
        assert_eq!(remote_path("file:///srv/a%20b"), None);
        assert_eq!(remote_path("git://host/r"), None);
        assert_eq!(remote_path("http://host/r"), None);
        assert_eq!(remote_path("relative/r"), None);
    }
}

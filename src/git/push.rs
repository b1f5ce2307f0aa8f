//! One push of several refs with expected-old-value checks.
//!
//! libgit2 cannot send `--force-with-lease`, so the checks happen in its `push_negotiation`
//! callback: it sees each ref's current value on the remote (from the same connection's
//! advertisement) before any object is sent, and the push is abandoned when one differs from what
//! the write was based on. The remote then applies each command only if the ref still has the
//! advertised value (receive-pack's own old-value check), so a racing writer is caught either
//! way. Every rejected ref reported through `push_update_reference` fails the push.

use std::cell::RefCell;

use git2::{Oid, PushOptions, Repository};

use super::credentials::Auth;
use super::error::{GitError, Scrubber, redact_userinfo};
use super::local_push;
use super::mirror::ORIGIN;
use super::refs::local_name;
use super::refstore::Refs;

/// What a ref must look like on the remote for an update to go ahead.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Expect {
    /// The ref must not exist.
    Absent,
    /// The ref must point at this object.
    Is(Oid),
}

impl Expect {
    /// `Is(oid)` or `Absent`.
    pub(crate) fn value(oid: Option<Oid>) -> Self {
        oid.map_or(Self::Absent, Self::Is)
    }

    /// The object the ref must point at (`None`: it must be absent).
    pub(crate) fn target(self) -> Option<Oid> {
        match self {
            Self::Absent => None,
            Self::Is(oid) => Some(oid),
        }
    }

    /// Whether a ref currently at `found` meets the expectation.
    pub(crate) fn allows(self, found: Option<Oid>) -> bool {
        found == self.target()
    }
}

/// One ref to set or delete on the remote.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct RefUpdate {
    /// Remote ref name (`refs/heads/…`, `refs/tags/…`).
    pub(crate) remote_ref: String,
    /// New value; `None` deletes the ref.
    pub(crate) new: Option<Oid>,
    /// Required current value.
    pub(crate) expect: Expect,
}

impl RefUpdate {
    /// Set `remote_ref` to `new` if it currently is `expect`.
    pub(crate) fn set(remote_ref: impl Into<String>, new: Oid, expect: Expect) -> Self {
        Self { remote_ref: remote_ref.into(), new: Some(new), expect }
    }

    /// Delete `remote_ref` if it currently is `expect`.
    pub(crate) fn delete(remote_ref: impl Into<String>, expect: Expect) -> Self {
        Self { remote_ref: remote_ref.into(), new: None, expect }
    }

    /// The [`GitError::Conflict`] of this update finding the remote ref at `found`.
    pub(crate) fn conflict(&self, found: Option<Oid>) -> GitError {
        let show = |oid: Option<Oid>| oid.map_or_else(|| "absent".to_string(), |o| o.to_string());
        GitError::Conflict {
            refname: self.remote_ref.clone(),
            expected: show(self.expect.target()),
            found: show(found),
        }
    }
}

/// Pushes `updates` to `origin` in one push (directly for a remote on the local file system, see
/// `local_push`); on success mirrors them into the local
/// remote-tracking refs so discovery sees them without a fetch.
pub(crate) fn push(repo: &Repository, url: &str, auth: &Auth, updates: &[RefUpdate]) -> Result<(), GitError> {
    if updates.is_empty() {
        return Ok(());
    }
    let _in_flight = super::in_flight::Push::begin();
    let scrub = auth.scrubber();
    if let Some(path) = local_push::remote_path(url) {
        local_push::push(repo, url, &path, updates)?;
        return record(repo, updates, scrub);
    }
    let push_err =
        |source: git2::Error| GitError::Push { url: redact_userinfo(url), source: auth.error(&source) };
    let refspecs: Vec<String> = updates
        .iter()
        .map(|u| match u.new {
            Some(oid) => format!("+{oid}:{}", u.remote_ref),
            None => format!(":{}", u.remote_ref),
        })
        .collect();

    let conflict: RefCell<Option<GitError>> = RefCell::new(None);
    let rejected: RefCell<Option<GitError>> = RefCell::new(None);
    let result = {
        let mut callbacks = auth.callbacks();
        callbacks.push_negotiation(|remote_updates| {
            for update in remote_updates {
                let Ok(dst) = update.dst_refname() else { continue };
                let Some(wanted) = updates.iter().find(|u| u.remote_ref == dst) else { continue };
                let found = Some(update.src()).filter(|o| !o.is_zero());
                if !wanted.expect.allows(found) {
                    conflict.replace(Some(wanted.conflict(found)));
                    return Err(git2::Error::from_str("a ref changed on the remote"));
                }
            }
            Ok(())
        });
        callbacks.push_update_reference(|refname, status| {
            if let Some(reason) = status {
                let mut slot = rejected.borrow_mut();
                if slot.is_none() {
                    *slot =
                        Some(GitError::Rejected { refname: refname.to_string(), reason: scrub.text(reason) });
                }
            }
            Ok(())
        });
        let headers = auth.headers();
        let headers: Vec<&str> = headers.iter().map(String::as_str).collect();
        let mut options = PushOptions::new();
        options.remote_callbacks(callbacks).follow_redirects(auth.redirects()).custom_headers(&headers);
        let mut remote = repo.find_remote(ORIGIN).map_err(push_err)?;
        remote.push(&refspecs, Some(&mut options))
    };
    if let Some(conflict) = conflict.into_inner() {
        return Err(conflict);
    }
    if let Some(rejected) = rejected.into_inner() {
        return Err(rejected);
    }
    result.map_err(push_err)?;
    record(repo, updates, scrub)
}

/// Applies pushed updates to the mirror's refs: as loose files written directly when the
/// mirror logs no ref updates (see [`Refs`]; libgit2 would load and scan every packed ref for
/// each one), else through libgit2.
fn record(repo: &Repository, updates: &[RefUpdate], scrub: &Scrubber) -> Result<(), GitError> {
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
    fn expectations() {
        let a = Oid::from_str("1111111111111111111111111111111111111111").unwrap();
        let b = Oid::from_str("2222222222222222222222222222222222222222").unwrap();
        assert!(Expect::Absent.allows(None) && !Expect::Absent.allows(Some(a)));
        assert!(
            Expect::Is(a).allows(Some(a)) && !Expect::Is(a).allows(Some(b)) && !Expect::Is(a).allows(None)
        );
        assert_eq!(Expect::value(None), Expect::Absent);
    }
}

//! Fetch and push through libgit2's transports (`git://`, `http://`, `https://`).
//!
//! A fetch downloads one pack (negotiated against the mirror's refs) and returns the remote's
//! advertisement; the caller stores the refs (`transport/mod.rs`).
//!
//! libgit2 cannot send `--force-with-lease`, so a push checks the expected old values in its
//! `push_negotiation` callback: it sees each ref's current value on the remote (from the same
//! connection's advertisement) before any object is sent, and the push is abandoned when one
//! differs from what the write was based on. The remote then applies each command only if the
//! ref still has the advertised value (receive-pack's own old-value check), so a racing writer is
//! caught either way. Every rejected ref reported through `push_update_reference` fails the push.

use std::cell::RefCell;

use git2::{AutotagOption, FetchOptions, Oid, PushOptions, Repository};

use super::update::RefUpdate;
use crate::git::Result;
use crate::git::credentials::Auth;
use crate::git::error::{GitError, redact_userinfo};
use crate::git::mirror::ORIGIN;
use crate::git::refs::{local_name, remote_name};

/// Downloads from `origin` whatever the mirror lacks of the remote's branches and tags and
/// returns the refs the remote advertised (the ones the mirror keeps, named as on the remote) and
/// the bytes received.
pub(super) fn fetch(repo: &Repository, url: &str, auth: &Auth) -> Result<(Vec<(String, Oid)>, u64)> {
    let fetch_err =
        |source: git2::Error| GitError::Fetch { url: redact_userinfo(url), source: auth.error(&source) };
    let mut remote = repo.find_remote(ORIGIN).map_err(fetch_err)?;
    let headers = auth.headers();
    let headers: Vec<&str> = headers.iter().map(String::as_str).collect();
    // libgit2 counts the bytes it receives only for a progress callback.
    let received = std::cell::Cell::new(0usize);
    let mut callbacks = auth.callbacks();
    callbacks.transfer_progress(|progress| {
        received.set(progress.received_bytes());
        true
    });
    let mut options = FetchOptions::new();
    options
        .remote_callbacks(callbacks)
        .download_tags(AutotagOption::None)
        .update_fetchhead(false)
        .follow_redirects(auth.redirects())
        .custom_headers(&headers);
    remote.download(&[] as &[&str], Some(&mut options)).map_err(fetch_err)?;
    let received = received.get() as u64;
    let advertised: Vec<(String, Oid)> = remote
        .list()
        .map_err(fetch_err)?
        .iter()
        .filter_map(|head| {
            let name = head.name();
            // Mirrored as named; `^{}` peel lines and other namespaces are not refs we keep.
            let local = local_name(name)?;
            (remote_name(&local).as_deref() == Some(name)).then(|| (name.to_string(), head.oid()))
        })
        .collect();
    remote.disconnect().map_err(fetch_err)?;
    Ok((advertised, received))
}

/// Pushes `updates` to `origin` in one push, checking each expected old value (module docs);
/// returns the bytes of pack data sent.
pub(super) fn push(repo: &Repository, url: &str, auth: &Auth, updates: &[RefUpdate]) -> Result<u64> {
    let scrub = auth.scrubber();
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
    let sent = std::cell::Cell::new(0usize);
    let result = {
        let mut callbacks = auth.callbacks();
        callbacks.push_transfer_progress(|_objects, _total, bytes| sent.set(bytes));
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
    Ok(sent.get() as u64)
}

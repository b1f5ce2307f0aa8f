//! The local bare mirror of a remote: creation, the remote's configuration, and the ref set.
//! Fetches and pushes go through `transport/`.

use std::path::Path;

use git2::Repository;

use super::credentials::Auth;
use super::error::{GitError, Scrubber};
use super::refs::{RefSet, remote_name};
use crate::git::Result;

/// Name of the remote in the mirror.
pub(crate) const ORIGIN: &str = "origin";
/// Fetch refspecs of the mirror, as Porch configures them.
pub(crate) const FETCH_REFSPECS: [&str; 2] =
    ["+refs/heads/*:refs/remotes/origin/*", "+refs/tags/*:refs/tags/*"];

/// Opens the bare mirror at `path`, creating it (and its parent directories) if needed, and makes
/// sure remote `origin` points at `url` with Porch's fetch refspecs.
pub(crate) fn open(path: &Path, url: &str) -> Result<Repository> {
    let scrub = Auth::new(None, url).scrubber().clone();
    let mirror_err =
        |source: git2::Error| GitError::Mirror { path: path.to_path_buf(), source: scrub.error(&source) };
    let repo = if path.join("HEAD").exists() {
        Repository::open_bare(path).map_err(mirror_err)?
    } else {
        std::fs::create_dir_all(path)
            .map_err(|source| GitError::CreateDir { path: path.to_path_buf(), source })?;
        Repository::init_bare(path).map_err(mirror_err)?
    };
    configure_origin(&repo, url).map_err(mirror_err)?;
    Ok(repo)
}

fn configure_origin(repo: &Repository, url: &str) -> Result<(), git2::Error> {
    let remote = match repo.find_remote(ORIGIN) {
        Ok(remote) => remote,
        Err(e) if e.code() == git2::ErrorCode::NotFound => {
            repo.remote_with_fetch(ORIGIN, url, FETCH_REFSPECS[0])?;
            repo.remote_add_fetch(ORIGIN, FETCH_REFSPECS[1])?;
            return Ok(());
        }
        Err(e) => return Err(e),
    };
    if remote.url_bytes() != url.as_bytes() {
        repo.remote_set_url(ORIGIN, url)?;
    }
    let specs: Vec<String> =
        remote.fetch_refspecs()?.iter().flatten().flatten().map(str::to_string).collect();
    if specs != FETCH_REFSPECS {
        let mut config = repo.config()?;
        match config.remove_multivar("remote.origin.fetch", ".*") {
            Ok(()) => {}
            Err(e) if e.code() == git2::ErrorCode::NotFound => {}
            Err(e) => return Err(e),
        }
        for spec in FETCH_REFSPECS {
            repo.remote_add_fetch(ORIGIN, spec)?;
        }
    }
    Ok(())
}

/// The ref set of the mirror: remote-tracking branches and tags, named as on the remote.
pub(crate) fn read_refs(repo: &Repository) -> Result<RefSet> {
    let scrub = Scrubber::default();
    let err = |e| GitError::local("list the mirror's refs", e, &scrub);
    let mut refs = Vec::new();
    for reference in repo.references().map_err(err)? {
        let reference = reference.map_err(err)?;
        let (Ok(name), Some(target)) = (reference.name(), reference.target()) else { continue };
        if let Some(remote) = remote_name(name) {
            refs.push((remote, target));
        }
    }
    Ok(RefSet::from_refs(refs))
}

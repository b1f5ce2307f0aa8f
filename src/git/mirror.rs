//! The local bare mirror of a remote: creation, remote configuration, fetch and the ref set.

use std::path::Path;

use git2::{AutotagOption, FetchOptions, Oid, Repository};

use super::credentials::Auth;
use super::error::{GitError, Scrubber, redact_userinfo};
use super::packed;
use super::refs::{RefSet, local_name, remote_name};
use super::{local_fetch, local_push};

/// Name of the remote in the mirror.
pub(crate) const ORIGIN: &str = "origin";
/// Fetch refspecs of the mirror, as Porch configures them.
pub(crate) const FETCH_REFSPECS: [&str; 2] =
    ["+refs/heads/*:refs/remotes/origin/*", "+refs/tags/*:refs/tags/*"];

/// Opens the bare mirror at `path`, creating it (and its parent directories) if needed, and makes
/// sure remote `origin` points at `url` with Porch's fetch refspecs.
pub(crate) fn open(path: &Path, url: &str) -> Result<Repository, GitError> {
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

/// Fetches every branch and tag from `origin`, pruning refs the remote no longer has, and
/// returns the remote's refs as now mirrored.
///
/// The objects come through libgit2 (`download`: negotiation against the mirror's refs, one
/// pack); the refs are then stored from the remote's advertisement by
/// [`packed::replace_fetched`] (the tags in one `packed-refs` write, the few branches as loose
/// files) instead of libgit2's update of one loose file per ref, which costs a file creation per
/// ref on a cold fetch and a file read per ref on every later listing.
///
/// A remote on the local file system is fetched by copying its objects directly
/// ([`local_fetch::fetch`]).
pub(crate) fn fetch(repo: &Repository, url: &str, auth: &Auth) -> Result<RefSet, GitError> {
    if let Some(path) = local_push::remote_path(url) {
        return local_fetch::fetch(repo, url, &path);
    }
    let fetch_err =
        |source: git2::Error| GitError::Fetch { url: redact_userinfo(url), source: auth.error(&source) };
    let mut remote = repo.find_remote(ORIGIN).map_err(fetch_err)?;
    let headers = auth.headers();
    let headers: Vec<&str> = headers.iter().map(String::as_str).collect();
    let mut options = FetchOptions::new();
    options
        .remote_callbacks(auth.callbacks())
        .download_tags(AutotagOption::None)
        .update_fetchhead(false)
        .follow_redirects(auth.redirects())
        .custom_headers(&headers);
    remote.download(&[] as &[&str], Some(&mut options)).map_err(fetch_err)?;
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
    drop(options);
    let refs = RefSet::from_refs(advertised);
    let local = refs.iter().filter_map(|(name, oid)| Some((local_name(name)?, oid))).collect();
    packed::replace_fetched(repo, &local)
        .map_err(|e| GitError::local("store the fetched refs", e, auth.scrubber()))?;
    Ok(refs)
}

/// The ref set of the mirror: remote-tracking branches and tags, named as on the remote.
pub(crate) fn read_refs(repo: &Repository) -> Result<RefSet, GitError> {
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

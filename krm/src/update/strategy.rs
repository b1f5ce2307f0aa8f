//! The four update strategies (kpt's `internal/util/update` updaters, run as Porch runs them:
//! on the root package, `IsRoot: true`).

use super::files::{
    copy_package, dir_exists, join, kptfiles_equal, package_diff, remove_dir, remove_package_content,
    replace_non_krm, subpackages,
};
use super::kptfile::{self, clear_render_status};
use super::resources::{self, parse};
use super::{Files, UpdateError};

/// How an update treats local changes (Porch's `upgrade.strategy`, kpt's `--strategy`).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub enum Strategy {
    /// `resource-merge`: a three-way merge of each resource, local changes kept where
    /// upstream did not change the same field.
    #[default]
    ResourceMerge,
    /// `fast-forward`: fails when the local package differs from the original; else as
    /// force-delete-replace, with the root Kptfile's render status cleared.
    FastForward,
    /// `force-delete-replace`: the Kptfile merged, every other file replaced by updated's.
    ForceDeleteReplace,
    /// `copy-merge`: the Kptfile merged, updated's files copied over local's, files that
    /// upstream deleted removed; files only local has stay.
    CopyMerge,
}

impl Strategy {
    /// Porch's strategy strings; unknown or empty → [`Strategy::ResourceMerge`], as Porch does.
    pub fn from_name(s: &str) -> Strategy {
        match s {
            "fast-forward" => Strategy::FastForward,
            "force-delete-replace" => Strategy::ForceDeleteReplace,
            "copy-merge" => Strategy::CopyMerge,
            _ => Strategy::ResourceMerge,
        }
    }

    /// The strategy string: `resource-merge`, `fast-forward`, `force-delete-replace` or
    /// `copy-merge`.
    pub fn as_str(&self) -> &'static str {
        match self {
            Strategy::ResourceMerge => "resource-merge",
            Strategy::FastForward => "fast-forward",
            Strategy::ForceDeleteReplace => "force-delete-replace",
            Strategy::CopyMerge => "copy-merge",
        }
    }
}

pub(super) fn run(
    strategy: Strategy,
    original: &Files,
    updated: &Files,
    local: &Files,
) -> Result<Files, UpdateError> {
    match strategy {
        Strategy::ResourceMerge => resource_merge(original, updated, local),
        Strategy::FastForward => fast_forward(original, updated, local),
        Strategy::ForceDeleteReplace => force_delete_replace(original, updated, local),
        Strategy::CopyMerge => copy_merge(original, updated, local),
    }
}

/// Local subpackages of any of `sets`, parents before children.
fn local_subpackages(sets: &[&Files]) -> Vec<String> {
    let mut all: Vec<String> = sets.iter().flat_map(|f| subpackages(f, "", true)).collect();
    all.sort();
    all.dedup();
    all
}

/// The Kptfile of package `pkg` merged into `out`.
fn merge_kptfile(
    original: &Files,
    updated: &Files,
    out: &mut Files,
    pkg: &str,
    root: bool,
) -> Result<(), UpdateError> {
    let path = join(pkg, "Kptfile");
    let merged = kptfile::merge(&path, original.get(&path), updated.get(&path), out.get(&path), !root)?;
    if let Some(bytes) = merged {
        out.insert(path, bytes);
    }
    Ok(())
}

/// resource-merge: the root, then each local subpackage (see [`Strategy::ResourceMerge`]).
///
/// Per package: added in both updated and local (not in original) is an error; added upstream
/// is copied; added or deleted locally is left alone; deleted upstream is removed when local
/// equals original (else kept); in all three, its Kptfile, resources and other files are
/// merged.
fn resource_merge(original: &Files, updated: &Files, local: &Files) -> Result<Files, UpdateError> {
    let mut out = local.clone();
    merge_package(original, updated, local, &mut out, "", true)?;
    for pkg in local_subpackages(&[local, updated, original]) {
        let (o, u, l) = (dir_exists(original, &pkg), dir_exists(updated, &pkg), dir_exists(&out, &pkg));
        match (o, u, l) {
            (false, true, true) => return Err(UpdateError::SubpackageAddedBoth(pkg)),
            (false, true, false) => copy_package(updated, &mut out, &pkg, true, false),
            (true, false, true) if package_diff(original, &out, &pkg).is_empty() => {
                remove_dir(&mut out, &pkg)
            }
            (true, true, true) => {
                let current = out.clone();
                merge_package(original, updated, &current, &mut out, &pkg, false)?;
            }
            _ => {}
        }
    }
    Ok(out)
}

/// One package in all three versions: Kptfile, resources, other files.
fn merge_package(
    original: &Files,
    updated: &Files,
    local: &Files,
    out: &mut Files,
    pkg: &str,
    root: bool,
) -> Result<(), UpdateError> {
    merge_kptfile(original, updated, out, pkg, root)?;
    resources::merge_package(original, updated, local, pkg, out)?;
    replace_non_krm(updated, original, out, pkg);
    Ok(())
}

/// force-delete-replace: the root Kptfile merged; every local subpackage and the root package
/// itself emptied (the root Kptfile kept) and refilled from updated; subpackages updated lacks
/// are removed.
fn force_delete_replace(original: &Files, updated: &Files, local: &Files) -> Result<Files, UpdateError> {
    let mut out = local.clone();
    merge_kptfile(original, updated, &mut out, "", true)?;
    let mut packages = vec![String::new()];
    packages.extend(local_subpackages(&[local, updated]));
    for pkg in packages {
        let root = pkg.is_empty();
        remove_package_content(&mut out, &pkg, root);
        if dir_exists(updated, &pkg) {
            copy_package(updated, &mut out, &pkg, !root, false);
        } else {
            remove_dir(&mut out, &pkg);
        }
    }
    Ok(out)
}

/// copy-merge: the root Kptfile merged; every file of updated (subpackages included) copied
/// over local's; files that original has and updated lacks deleted. Differs from kpt: a
/// directory upstream deleted that still holds local-only files is not an error (kpt fails
/// removing the non-empty directory).
fn copy_merge(original: &Files, updated: &Files, local: &Files) -> Result<Files, UpdateError> {
    let mut out = local.clone();
    merge_kptfile(original, updated, &mut out, "", true)?;
    copy_package(updated, &mut out, "", true, true);
    out.retain(|path, _| path == "Kptfile" || updated.contains_key(path) || !original.contains_key(path));
    Ok(out)
}

/// fast-forward: fails with the local changes, if any (the root Kptfile compared without
/// `upstream`, `upstreamLock` and its render status); else force-delete-replace, and the root
/// Kptfile's render status cleared.
///
/// Differs from kpt: changed files are listed by their path from the package root (kpt lists
/// a subpackage's files by their path inside it), and a subpackage on one side only as
/// `<path> (Package)` (kpt's message shows a stray `%s (Package)` there).
fn fast_forward(original: &Files, updated: &Files, local: &Files) -> Result<Files, UpdateError> {
    let mut changes = std::collections::BTreeSet::new();
    let mut packages = vec![String::new()];
    packages.extend(local_subpackages(&[local, original]));
    for pkg in &packages {
        if !dir_exists(local, pkg) || !dir_exists(original, pkg) {
            changes.insert(format!("{pkg} (Package)"));
            continue;
        }
        let mut diff = package_diff(local, original, pkg);
        if pkg.is_empty() && diff.contains("Kptfile") && !root_kptfile_changed(original, local)? {
            diff.remove("Kptfile");
        }
        changes.extend(diff.into_iter().map(|rel| join(pkg, &rel)));
    }
    if !changes.is_empty() {
        return Err(UpdateError::LocalChanges(changes.into_iter().collect()));
    }
    let mut out = force_delete_replace(original, updated, local)?;
    if let Some(bytes) = out.get("Kptfile") {
        let stream = parse("local", "Kptfile", bytes)?;
        if let Some(mut root) = stream.documents.iter().find_map(|d| d.root.clone()) {
            clear_render_status(&mut root);
            let new = kptfile::write(stream, bytes.clone(), root);
            out.insert("Kptfile".to_string(), new);
        }
    }
    Ok(out)
}

/// kpt's `hasKfDiff`: the root Kptfiles without upstream, upstreamLock and render status, the
/// original's name taken as local's. Without an original Kptfile, a local one with nothing but
/// its apiVersion, kind and name is no change.
fn root_kptfile_changed(original: &Files, local: &Files) -> Result<bool, UpdateError> {
    let Some(local_kf) = local.get("Kptfile") else { return Ok(false) };
    let local_stream = parse("local", "Kptfile", local_kf)?;
    let local_root = local_stream.documents.iter().find_map(|d| d.root.as_ref());
    let name = local_root.map(|r| resources::text(r, &["metadata", "name"]).to_string()).unwrap_or_default();
    let minimal = format!("apiVersion: kpt.dev/v1\nkind: Kptfile\nmetadata:\n  name: {name:?}\n");
    let original_kf = original.get("Kptfile").cloned().unwrap_or_else(|| minimal.into_bytes());
    let mut adjust = |kf: &mut crate::Node| {
        clear_render_status(kf);
        if let Ok(m) = kf.mapping_entry("metadata") {
            let _ = m.set_string("name", &name);
        }
    };
    Ok(!kptfiles_equal(local_kf, &original_kf, &mut adjust))
}

//! Packages inside a file set, and the file-level steps of kpt's updaters.
//!
//! A package is the root (`""`) or a directory holding a `Kptfile`; a file belongs to the
//! deepest package directory above it (kpt's `WalkPackage` skips the directories of nested
//! packages). A subpackage is local when its Kptfile has no `upstream` (kpt's `pkg.Local`).
//! Directories exist when a file is under them (a file set has no empty directories).

use std::collections::{BTreeMap, BTreeSet};

use super::Files;
use crate::{Document, Node, Stream};

/// Whether kpt's updater counts `path` as KRM: the Kptfile, `*.yaml`, `*.yml`.
pub(super) fn is_krm(path: &str) -> bool {
    base(path) == "Kptfile" || is_yaml(path)
}

/// Whether the resource merge reads `path` (`*.yaml`, `*.yml`: kyaml's `DefaultMatch`).
pub(super) fn is_yaml(path: &str) -> bool {
    let name = base(path);
    name.ends_with(".yaml") || name.ends_with(".yml")
}

fn base(path: &str) -> &str {
    path.rsplit('/').next().unwrap_or(path)
}

/// `pkg/rel` (`rel` when `pkg` is the root).
pub(super) fn join(pkg: &str, rel: &str) -> String {
    if pkg.is_empty() { rel.to_string() } else { format!("{pkg}/{rel}") }
}

/// The path of `path` inside directory `dir`, if it is inside.
fn inside<'p>(path: &'p str, dir: &str) -> Option<&'p str> {
    if dir.is_empty() { Some(path) } else { path.strip_prefix(dir)?.strip_prefix('/') }
}

/// The package directories below the root: every directory holding a `Kptfile`.
fn package_dirs(files: &Files) -> BTreeSet<&str> {
    files.keys().filter(|p| base(p) == "Kptfile").filter_map(|p| p.rsplit_once('/').map(|(d, _)| d)).collect()
}

/// Whether `path` lies in a `.git` directory (kpt skips those).
fn in_dot_git(path: &str) -> bool {
    path.split('/').any(|s| s == ".git")
}

/// The files of package `pkg` itself (not of packages nested in it), by path relative to
/// `pkg`.
pub(super) fn own_files<'f>(files: &'f Files, pkg: &str) -> BTreeMap<&'f str, &'f Vec<u8>> {
    let nested: Vec<&str> = package_dirs(files).into_iter().filter(|d| *d != pkg).collect();
    files
        .iter()
        .filter_map(|(path, bytes)| Some((path.as_str(), inside(path, pkg)?, bytes)))
        .filter(|(path, _, _)| !in_dot_git(path))
        .filter(|(path, _, _)| !nested.iter().any(|d| inside(path, d).is_some() && inside(d, pkg).is_some()))
        .map(|(_, rel, bytes)| (rel, bytes))
        .collect()
}

/// Whether directory `dir` exists (the root always does).
pub(super) fn dir_exists(files: &Files, dir: &str) -> bool {
    dir.is_empty() || files.keys().any(|p| inside(p, dir).is_some())
}

/// Whether `Kptfile` text names an upstream (a remote package in kpt's terms).
pub(super) fn has_upstream(kptfile: &[u8]) -> bool {
    let Ok(text) = std::str::from_utf8(kptfile) else { return false };
    let Ok(stream) = Stream::parse(text) else { return false };
    stream
        .documents
        .iter()
        .filter_map(|d| d.root.as_ref())
        .any(|r| r.get("upstream").is_some_and(|u| !u.is_null()))
}

/// The subpackages below `pkg` at any depth, relative to `pkg`; only local ones when
/// `local_only`.
pub(super) fn subpackages(files: &Files, pkg: &str, local_only: bool) -> Vec<String> {
    package_dirs(files)
        .into_iter()
        .filter(|d| *d != pkg)
        .filter_map(|d| Some((d, inside(d, pkg)?)))
        .filter(|(d, _)| !local_only || !files.get(&join(d, "Kptfile")).is_some_and(|k| has_upstream(k)))
        .map(|(_, rel)| rel.to_string())
        .collect()
}

/// Removes directory `dir` with everything in it.
pub(super) fn remove_dir(files: &mut Files, dir: &str) {
    files.retain(|p, _| inside(p, dir).is_none());
}

/// kpt's `RemovePackageContent`: removes the files of package `pkg` itself (nested packages
/// stay), its Kptfile too unless `keep_kptfile`.
pub(super) fn remove_package_content(files: &mut Files, pkg: &str, keep_kptfile: bool) {
    let own: Vec<String> = own_files(files, pkg)
        .into_keys()
        .filter(|rel| !(keep_kptfile && *rel == "Kptfile"))
        .map(|rel| join(pkg, rel))
        .collect();
    for path in own {
        files.remove(&path);
    }
}

/// kpt's `CopyPackage` from `from` to `to` for package `pkg`: its own files, or with
/// `with_subpackages` everything under it; its Kptfile only when `copy_kptfile` and `to` has
/// none there.
pub(super) fn copy_package(
    from: &Files,
    to: &mut Files,
    pkg: &str,
    copy_kptfile: bool,
    with_subpackages: bool,
) {
    let paths: Vec<(String, &Vec<u8>)> = if with_subpackages {
        from.iter()
            .filter(|(p, _)| inside(p, pkg).is_some() && !in_dot_git(p))
            .map(|(p, b)| (p.clone(), b))
            .collect()
    } else {
        own_files(from, pkg).into_iter().map(|(rel, b)| (join(pkg, rel), b)).collect()
    };
    let kptfile = join(pkg, "Kptfile");
    let skip_kptfile = !copy_kptfile || to.contains_key(&kptfile);
    for (path, bytes) in paths {
        if path == kptfile && skip_kptfile {
            continue;
        }
        to.insert(path, bytes.clone());
    }
}

/// kpt's `ReplaceNonKRMFiles` for package `pkg`: local files that are new or differ from
/// `original` are kept; the others are deleted when `updated` lacks them; every other file of
/// `updated` is copied (including ones deleted locally). Paths containing `.git` are left
/// alone, as kpt does.
pub(super) fn replace_non_krm(updated: &Files, original: &Files, local: &mut Files, pkg: &str) {
    let non_krm = |files: &Files| -> BTreeMap<String, Vec<u8>> {
        own_files(files, pkg)
            .into_iter()
            .filter(|(rel, _)| !is_krm(rel) && !rel.contains(".git"))
            .map(|(rel, b)| (rel.to_string(), b.clone()))
            .collect()
    };
    let (u, o, l) = (non_krm(updated), non_krm(original), non_krm(local));
    let mut modified = BTreeSet::new();
    for (rel, bytes) in &l {
        match o.get(rel) {
            Some(orig) if orig == bytes => {
                if !u.contains_key(rel) {
                    local.remove(&join(pkg, rel));
                }
            }
            _ => {
                modified.insert(rel);
            }
        }
    }
    for (rel, bytes) in &u {
        if !modified.contains(rel) {
            local.insert(join(pkg, rel), bytes.clone());
        }
    }
}

/// kpt's `PkgDiff`: the paths (files and the directories above them, relative to `pkg`) that
/// are in one package and not the other, or whose contents differ. Kptfiles are compared
/// without `upstream` and `upstreamLock` ([`kptfiles_equal`]); other files by bytes, or as
/// YAML when both parse (so formatting alone is no difference) with kpt's
/// `cnrm.cloud.google.com/blueprint` annotation ignored.
pub(super) fn package_diff(a: &Files, b: &Files, pkg: &str) -> BTreeSet<String> {
    let (fa, fb) = (own_files(a, pkg), own_files(b, pkg));
    let (da, db) = (own_dirs(a, pkg), own_dirs(b, pkg));
    let mut diff: BTreeSet<String> = da.symmetric_difference(&db).cloned().collect();
    for (rel, x) in &fa {
        match fb.get(rel) {
            None => {
                diff.insert(rel.to_string());
            }
            Some(y) => {
                let equal = if base(rel) == "Kptfile" {
                    kptfiles_equal(x, y, &mut |_| {})
                } else {
                    contents_equal(x, y)
                };
                if !equal {
                    diff.insert(rel.to_string());
                }
            }
        }
    }
    diff.extend(fb.keys().filter(|rel| !fa.contains_key(*rel)).map(|rel| rel.to_string()));
    diff
}

/// The directories of package `pkg` itself, relative to it.
fn own_dirs(files: &Files, pkg: &str) -> BTreeSet<String> {
    let packages = package_dirs(files);
    let mut dirs = BTreeSet::new();
    for path in files.keys().filter(|p| !in_dot_git(p)) {
        let Some(rel) = inside(path, pkg) else { continue };
        let parts: Vec<&str> = rel.split('/').collect();
        for n in 1..parts.len() {
            let dir = parts[..n].join("/");
            if packages.contains(join(pkg, &dir).as_str()) {
                break;
            }
            dirs.insert(dir);
        }
    }
    dirs
}

/// Whether two files hold the same content (see [`package_diff`]).
fn contents_equal(a: &[u8], b: &[u8]) -> bool {
    if a == b {
        return true;
    }
    let docs = |bytes: &[u8]| -> Option<Vec<Document>> {
        let stream = Stream::parse(std::str::from_utf8(bytes).ok()?).ok()?;
        Some(
            stream
                .documents
                .into_iter()
                .filter(|d| d.root.is_some())
                .map(|mut d| {
                    crate::annotations::remove(&mut d, &[BLUEPRINT]);
                    d
                })
                .collect(),
        )
    };
    matches!((docs(a), docs(b)), (Some(x), Some(y)) if x == y)
}

/// The annotation kpt ignores when it compares resources (`attribution.CNRMMetricsAnnotation`).
pub(super) const BLUEPRINT: &str = "cnrm.cloud.google.com/blueprint";

/// Whether two Kptfiles say the same (as kpt compares the structs it decodes them into):
/// comments and formatting aside, without `upstream` and `upstreamLock`, empty values as
/// missing, after `adjust` ran on both. Unparsable ones are equal only byte for byte.
pub(super) fn kptfiles_equal(a: &[u8], b: &[u8], adjust: &mut dyn FnMut(&mut Node)) -> bool {
    let mut json = |bytes: &[u8]| -> Option<serde_json::Value> {
        let stream = Stream::parse(std::str::from_utf8(bytes).ok()?).ok()?;
        let mut root = stream.documents.into_iter().find_map(|d| d.root)?;
        root.remove("upstream");
        root.remove("upstreamLock");
        adjust(&mut root);
        let mut value = root.to_json().ok()?;
        prune(&mut value);
        Some(value)
    };
    match (json(a), json(b)) {
        (Some(x), Some(y)) => x == y,
        _ => a == b,
    }
}

/// Drops nulls, empty strings, empty maps and empty lists, as Go's `omitempty` leaves them out.
fn prune(value: &mut serde_json::Value) -> bool {
    use serde_json::Value;
    match value {
        Value::Object(map) => {
            map.retain(|_, v| !prune(v));
            map.is_empty()
        }
        Value::Array(items) => {
            items.iter_mut().for_each(|i| {
                prune(i);
            });
            items.is_empty()
        }
        Value::Null => true,
        Value::String(s) => s.is_empty(),
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn files(entries: &[(&str, &str)]) -> Files {
        entries.iter().map(|(p, t)| (p.to_string(), t.as_bytes().to_vec())).collect()
    }

    #[test]
    fn packages_own_their_files_but_not_their_subpackages() {
        let f = files(&[
            ("Kptfile", "kind: Kptfile\n"),
            ("a.yaml", ""),
            ("dir/b.txt", ""),
            ("dir/sub/Kptfile", "kind: Kptfile\n"),
            ("dir/sub/c.yaml", ""),
            ("dir/sub/deep/Kptfile", "kind: Kptfile\nupstream:\n  type: git\n"),
            ("remote/Kptfile", "kind: Kptfile\nupstream: {type: git}\n"),
            (".git/config", ""),
        ]);
        assert_eq!(own_files(&f, "").into_keys().collect::<Vec<_>>(), ["Kptfile", "a.yaml", "dir/b.txt"]);
        assert_eq!(own_files(&f, "dir/sub").into_keys().collect::<Vec<_>>(), ["Kptfile", "c.yaml"]);
        assert_eq!(subpackages(&f, "", false), ["dir/sub", "dir/sub/deep", "remote"]);
        assert_eq!(subpackages(&f, "", true), ["dir/sub"]);
        assert_eq!(subpackages(&f, "dir/sub", false), ["deep"]);
        assert!(dir_exists(&f, "dir/sub") && !dir_exists(&f, "di") && dir_exists(&f, ""));
        assert_eq!(own_dirs(&f, ""), BTreeSet::from(["dir".to_string()]));
    }

    #[test]
    fn non_krm_files_follow_upstream_unless_changed_locally() {
        let original =
            files(&[("same.txt", "o"), ("edited.txt", "o"), ("gone.txt", "o"), ("dropped.txt", "o")]);
        let updated =
            files(&[("same.txt", "u"), ("edited.txt", "u"), ("new.txt", "u"), ("dropped.txt", "u")]);
        let mut local =
            files(&[("same.txt", "o"), ("edited.txt", "l"), ("gone.txt", "o"), ("mine.txt", "l")]);
        replace_non_krm(&updated, &original, &mut local, "");
        assert_eq!(
            local,
            files(&[
                ("dropped.txt", "u"),
                ("edited.txt", "l"),
                ("mine.txt", "l"),
                ("new.txt", "u"),
                ("same.txt", "u")
            ])
        );
    }

    #[test]
    fn a_diff_ignores_formatting_and_kptfile_upstreams() {
        let a = files(&[
            ("Kptfile", "apiVersion: kpt.dev/v1\nkind: Kptfile\nmetadata:\n  name: x\n"),
            ("cm.yaml", "a: 'b'\n"),
            ("x/n.txt", "1"),
        ]);
        let b = files(&[
            (
                "Kptfile",
                "apiVersion: kpt.dev/v1\nkind: Kptfile\nmetadata: {name: x}\nupstream:\n  type: git\n",
            ),
            ("cm.yaml", "a:   'b'\n"),
            ("y.txt", "1"),
        ]);
        let diff: Vec<String> = package_diff(&a, &b, "").into_iter().collect();
        assert_eq!(diff, ["x", "x/n.txt", "y.txt"]);
        let c = files(&[("cm.yaml", "a: \"b\"\n")]);
        assert_eq!(
            package_diff(&a, &c, "").into_iter().filter(|p| p == "cm.yaml").count(),
            1,
            "quoting counts"
        );
    }
}

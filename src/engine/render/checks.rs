//! kpt's checks of the resources around a function: an empty pipeline accepts only KRM
//! resources (`apiVersion`, `kind`, `metadata.name`; kustomizations exempt), and a function's
//! output keeps every resource inside its package and at a distinct path and index.

use std::collections::BTreeSet;

use porch_functions::object;
use porch_krm::{Document, annotations};

/// File names kustomize reads as a kustomization.
const KUSTOMIZATION_FILES: [&str; 3] = ["kustomization.yaml", "kustomization.yml", "Kustomization"];

/// kpt's `AreKRM`: `Err` names the first resource that is not KRM.
pub(crate) fn are_krm(items: &[Document]) -> Result<(), String> {
    for item in items {
        let Some(resource) = item.root.as_ref() else { continue };
        let path = annotations::path_of(resource).unwrap_or_default();
        let file = path.rsplit('/').next().unwrap_or_default();
        let (api_version, kind) = (object::api_version(resource), object::kind(resource));
        let kustomization = KUSTOMIZATION_FILES.contains(&file)
            || api_version.starts_with("kustomize.config.k8s.io")
            || (api_version.is_empty() && kind == "Kustomization");
        if kustomization {
            continue;
        }
        let missing = if resource.as_mapping().is_none() {
            Some("resource must have `apiVersion`, `kind`, and `name`")
        } else if api_version.is_empty() {
            Some("resource must have `apiVersion`")
        } else if kind.is_empty() {
            Some("resource must have `kind`")
        } else if object::name(resource).is_empty() {
            Some("resource must have `metadata.name`")
        } else {
            None
        };
        if let Some(missing) = missing {
            return Err(format!("input resource list must contain only KRM resources: {path}: {missing}"));
        }
    }
    Ok(())
}

/// `path` cleaned as Go's `path.Clean` cleans a relative path.
fn clean(path: &str) -> String {
    let mut parts: Vec<&str> = Vec::new();
    for part in path.split('/') {
        match part {
            "" | "." => {}
            ".." if parts.last().is_some_and(|p| *p != "..") => {
                parts.pop();
            }
            other => parts.push(other),
        }
    }
    if parts.is_empty() { ".".to_string() } else { parts.join("/") }
}

/// kpt's path invariants of a function's output.
pub(crate) fn paths(items: &[Document]) -> Result<(), String> {
    let mut seen = BTreeSet::new();
    for item in items {
        let Some(resource) = item.root.as_ref() else { continue };
        let path = annotations::path_of(resource).unwrap_or_default();
        let index = annotations::index_of(resource).unwrap_or_default();
        let package = annotations::of(resource, annotations::PACKAGE_PATH).unwrap_or_default();
        let cleaned = clean(path);
        if cleaned.starts_with("../") || cleaned == ".." || path.starts_with('/') {
            return Err(format!(
                "function must not modify resources outside of package: resource has path {path}"
            ));
        }
        if !path.is_empty() && !seen.insert((package.to_string(), cleaned.clone(), index.to_string())) {
            return Err(format!("resource at path {cleaned:?} and index {index:?} already exists"));
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn items(text: &str) -> Vec<Document> {
        porch_krm::parse(text).unwrap().documents
    }

    #[test]
    fn krm_resources_need_api_version_kind_and_name() {
        assert!(are_krm(&items("apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: a\n")).is_ok());
        let e = are_krm(&items(
            "kind: ConfigMap\nmetadata:\n  name: a\n  annotations:\n    internal.config.kubernetes.io/path: cm.yaml\n",
        ))
        .unwrap_err();
        assert_eq!(
            e,
            "input resource list must contain only KRM resources: cm.yaml: resource must have `apiVersion`"
        );
        assert!(
            are_krm(&items("apiVersion: v1\nkind: ConfigMap\n")).unwrap_err().ends_with("`metadata.name`")
        );
        assert!(are_krm(&items("resources:\n- a.yaml\nmetadata:\n  annotations:\n    internal.config.kubernetes.io/path: kustomization.yaml\n")).is_ok());
    }

    #[test]
    fn output_stays_inside_the_package_at_distinct_places() {
        let at = |path: &str, index: &str| {
            format!(
                "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: a\n  annotations:\n    \
                 internal.config.kubernetes.io/path: '{path}'\n    internal.config.kubernetes.io/index: '{index}'\n"
            )
        };
        assert!(paths(&items(&format!("{}---\n{}", at("a.yaml", "0"), at("a.yaml", "1")))).is_ok());
        assert_eq!(
            paths(&items(&format!("{}---\n{}", at("a.yaml", "0"), at("./a.yaml", "0")))).unwrap_err(),
            "resource at path \"a.yaml\" and index \"0\" already exists"
        );
        assert_eq!(
            paths(&items(&at("a/b/../../../x.yaml", "0"))).unwrap_err(),
            "function must not modify resources outside of package: resource has path a/b/../../../x.yaml"
        );
    }
}

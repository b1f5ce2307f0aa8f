//! The resources this server serves: names, kinds, verbs and where their storage lives.
//!
//! Discovery, OpenAPI and routing all read this one table, so a resource is described exactly
//! once; its print columns are its strategy's.

use crate::crdstore::StoredKind;

/// Who stores a resource.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Backend {
    /// The embedded CR store (standalone mode): Repository, PackageRev, Secret, Namespace.
    Store(StoredKind),
    /// The package engine over git (porch.kpt.dev).
    Engine,
}

/// A subresource, e.g. `status` or `approval`.
#[derive(Debug)]
pub(crate) struct Subresource {
    pub(crate) name: &'static str,
    pub(crate) kind: &'static str,
    pub(crate) verbs: &'static [&'static str],
}

/// Everything the server knows about one resource.
#[derive(Debug)]
pub(crate) struct ResourceDef {
    pub(crate) group: &'static str,
    pub(crate) version: &'static str,
    /// Plural name, as in URLs.
    pub(crate) resource: &'static str,
    pub(crate) singular: &'static str,
    pub(crate) kind: &'static str,
    pub(crate) list_kind: &'static str,
    pub(crate) namespaced: bool,
    pub(crate) verbs: &'static [&'static str],
    pub(crate) short_names: &'static [&'static str],
    pub(crate) categories: &'static [&'static str],
    pub(crate) subresources: &'static [Subresource],
    pub(crate) backend: Backend,
}

impl ResourceDef {
    /// `group/version`, or `version` for the core group.
    pub(crate) fn api_version(&self) -> String {
        if self.group.is_empty() {
            self.version.to_string()
        } else {
            format!("{}/{}", self.group, self.version)
        }
    }

    /// Whether writes record `metadata.managedFields` (the embedded store's kinds, as
    /// kube-apiserver's; the engine does not keep them).
    pub(crate) fn tracks_managed_fields(&self) -> bool {
        matches!(self.backend, Backend::Store(_))
    }

    /// The subresource named `name`, if served.
    pub(crate) fn subresource(&self, name: &str) -> Option<&'static Subresource> {
        self.subresources.iter().find(|s| s.name == name)
    }
}

const CRUD: &[&str] = &["create", "delete", "deletecollection", "get", "list", "patch", "update", "watch"];
const STATUS_VERBS: &[&str] = &["get", "patch", "update"];

use porch_api::gvk::{CONFIG_GROUP, PORCH_GROUP};

/// Every resource served in standalone mode, grouped by API group and version.
pub(crate) static RESOURCES: &[ResourceDef] = &[
    ResourceDef {
        group: PORCH_GROUP,
        version: "v1alpha1",
        resource: "packagerevisions",
        singular: "packagerevision",
        kind: "PackageRevision",
        list_kind: "PackageRevisionList",
        namespaced: true,
        verbs: &["create", "delete", "get", "list", "patch", "update", "watch"],
        short_names: &[],
        categories: &[],
        subresources: &[Subresource { name: "approval", kind: "PackageRevision", verbs: STATUS_VERBS }],
        backend: Backend::Engine,
    },
    ResourceDef {
        group: PORCH_GROUP,
        version: "v1alpha1",
        resource: "packagerevisionresources",
        singular: "packagerevisionresources",
        kind: "PackageRevisionResources",
        list_kind: "PackageRevisionResourcesList",
        namespaced: true,
        verbs: &["get", "list", "patch", "update", "watch"],
        short_names: &[],
        categories: &[],
        subresources: &[],
        backend: Backend::Engine,
    },
    ResourceDef {
        group: PORCH_GROUP,
        version: "v1alpha1",
        resource: "packages",
        singular: "package",
        kind: "PorchPackage",
        list_kind: "PorchPackageList",
        namespaced: true,
        verbs: &["create", "delete", "get", "list", "patch", "update", "watch"],
        short_names: &[],
        categories: &[],
        subresources: &[],
        backend: Backend::Engine,
    },
    ResourceDef {
        group: CONFIG_GROUP,
        version: "v1alpha1",
        resource: "repositories",
        singular: "repository",
        kind: "Repository",
        list_kind: "RepositoryList",
        namespaced: true,
        verbs: CRUD,
        short_names: &["repo"],
        categories: &[],
        subresources: &[Subresource { name: "status", kind: "Repository", verbs: STATUS_VERBS }],
        backend: Backend::Store(StoredKind::Repository),
    },
    ResourceDef {
        group: CONFIG_GROUP,
        version: "v1alpha1",
        resource: "packagerevs",
        singular: "packagerev",
        kind: "PackageRev",
        list_kind: "PackageRevList",
        namespaced: true,
        verbs: CRUD,
        short_names: &[],
        categories: &[],
        subresources: &[Subresource { name: "status", kind: "PackageRev", verbs: STATUS_VERBS }],
        backend: Backend::Store(StoredKind::PackageRev),
    },
    ResourceDef {
        group: CONFIG_GROUP,
        version: "v1alpha1",
        resource: "functionconfigs",
        singular: "functionconfig",
        kind: "FunctionConfig",
        list_kind: "FunctionConfigList",
        namespaced: true,
        verbs: CRUD,
        short_names: &[],
        categories: &[],
        subresources: &[Subresource { name: "status", kind: "FunctionConfig", verbs: STATUS_VERBS }],
        backend: Backend::Store(StoredKind::FunctionConfig),
    },
    ResourceDef {
        group: "",
        version: "v1",
        resource: "namespaces",
        singular: "namespace",
        kind: "Namespace",
        list_kind: "NamespaceList",
        namespaced: false,
        verbs: &["create", "delete", "get", "list", "patch", "update", "watch"],
        short_names: &["ns"],
        categories: &[],
        subresources: &[Subresource { name: "status", kind: "Namespace", verbs: STATUS_VERBS }],
        backend: Backend::Store(StoredKind::Namespace),
    },
    ResourceDef {
        group: "",
        version: "v1",
        resource: "secrets",
        singular: "secret",
        kind: "Secret",
        list_kind: "SecretList",
        namespaced: true,
        verbs: CRUD,
        short_names: &[],
        categories: &[],
        subresources: &[],
        backend: Backend::Store(StoredKind::Secret),
    },
];

/// The resource `resource` of `group/version`, if served.
pub(crate) fn find(group: &str, version: &str, resource: &str) -> Option<&'static ResourceDef> {
    RESOURCES.iter().find(|r| r.group == group && r.version == version && r.resource == resource)
}

/// The resource definition for a stored kind.
#[cfg(test)]
fn for_stored(kind: StoredKind) -> &'static ResourceDef {
    RESOURCES
        .iter()
        .find(|r| r.backend == Backend::Store(kind))
        .expect("every stored kind is a served resource")
}

/// The served groups in discovery order: `(group, version)`, core excluded.
pub(crate) fn group_versions() -> Vec<(&'static str, &'static str)> {
    let mut out: Vec<(&str, &str)> = Vec::new();
    for r in RESOURCES.iter().filter(|r| !r.group.is_empty()) {
        if !out.contains(&(r.group, r.version)) {
            out.push((r.group, r.version));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_stored_kind_has_a_definition_matching_its_names() {
        for kind in StoredKind::ALL {
            let def = for_stored(kind);
            assert_eq!(def.kind, kind.kind());
            assert_eq!(def.resource, kind.plural());
            assert_eq!(def.group, kind.group());
            assert_eq!(def.namespaced, kind.namespaced());
        }
    }

    #[test]
    fn groups_are_listed_once() {
        assert_eq!(group_versions(), vec![(PORCH_GROUP, "v1alpha1"), (CONFIG_GROUP, "v1alpha1")]);
    }
}

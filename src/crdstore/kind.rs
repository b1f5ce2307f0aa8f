//! The kinds the embedded store serves.

/// A kind served by the embedded CR store.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum StoredKind {
    /// `config.porch.kpt.dev/v1alpha1` Repository (namespaced, status subresource).
    Repository,
    /// `config.porch.kpt.dev/v1alpha1` PackageRev (namespaced, status subresource).
    PackageRev,
    /// `config.porch.kpt.dev/v1alpha1` FunctionConfig (namespaced, status subresource).
    FunctionConfig,
    /// Core `v1` Secret (namespaced).
    Secret,
    /// Core `v1` Namespace (cluster-scoped).
    Namespace,
}

/// The Porch config API group.
const CONFIG_GROUP: &str = "config.porch.kpt.dev";

impl StoredKind {
    /// Every kind, in a fixed order.
    pub const ALL: [StoredKind; 5] = [
        StoredKind::Repository,
        StoredKind::PackageRev,
        StoredKind::FunctionConfig,
        StoredKind::Secret,
        StoredKind::Namespace,
    ];

    /// The API group: `config.porch.kpt.dev`, or `""` for the core group.
    pub fn group(self) -> &'static str {
        match self {
            StoredKind::Repository | StoredKind::PackageRev | StoredKind::FunctionConfig => CONFIG_GROUP,
            StoredKind::Secret | StoredKind::Namespace => "",
        }
    }

    /// The API version: `v1alpha1` or `v1`.
    pub fn version(self) -> &'static str {
        match self {
            StoredKind::Repository | StoredKind::PackageRev | StoredKind::FunctionConfig => "v1alpha1",
            StoredKind::Secret | StoredKind::Namespace => "v1",
        }
    }

    /// The `apiVersion` field value: `config.porch.kpt.dev/v1alpha1` or `v1`.
    pub fn api_version(self) -> &'static str {
        match self {
            StoredKind::Repository | StoredKind::PackageRev | StoredKind::FunctionConfig => {
                "config.porch.kpt.dev/v1alpha1"
            }
            StoredKind::Secret | StoredKind::Namespace => "v1",
        }
    }

    /// The `kind` field value.
    pub fn kind(self) -> &'static str {
        match self {
            StoredKind::Repository => "Repository",
            StoredKind::PackageRev => "PackageRev",
            StoredKind::FunctionConfig => "FunctionConfig",
            StoredKind::Secret => "Secret",
            StoredKind::Namespace => "Namespace",
        }
    }

    /// The resource (plural) name used in URLs.
    pub fn plural(self) -> &'static str {
        match self {
            StoredKind::Repository => "repositories",
            StoredKind::PackageRev => "packagerevs",
            StoredKind::FunctionConfig => "functionconfigs",
            StoredKind::Secret => "secrets",
            StoredKind::Namespace => "namespaces",
        }
    }

    /// Whether objects of this kind live in a namespace.
    pub fn namespaced(self) -> bool {
        self != StoredKind::Namespace
    }

    /// Whether the kind has a `/status` subresource (status ignored on create and on main-resource updates).
    pub fn has_status_subresource(self) -> bool {
        matches!(self, StoredKind::Repository | StoredKind::PackageRev | StoredKind::FunctionConfig)
    }

    /// Whether objects of this kind carry `metadata.generation` (the custom resources do, core ones don't).
    pub(crate) fn has_generation(self) -> bool {
        self.has_status_subresource()
    }

    /// The kind served at `group` + `plural`, if any.
    pub fn from_group_plural(group: &str, plural: &str) -> Option<StoredKind> {
        StoredKind::ALL.into_iter().find(|k| k.group() == group && k.plural() == plural)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kinds_resolve_from_group_and_plural() {
        for k in StoredKind::ALL {
            assert_eq!(StoredKind::from_group_plural(k.group(), k.plural()), Some(k));
        }
        assert_eq!(StoredKind::from_group_plural("", "repositories"), None);
        assert_eq!(StoredKind::Secret.api_version(), "v1");
        assert_eq!(StoredKind::PackageRev.api_version(), "config.porch.kpt.dev/v1alpha1");
        assert!(!StoredKind::Namespace.namespaced());
    }
}

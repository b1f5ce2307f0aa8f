//! Deterministic UIDs of PackageRevisions and PackageRevisionResources (spec §2.1).

use uuid::Uuid;

/// The UUIDv5 namespace Porch derives PackageRevision UIDs from.
pub const PACKAGE_REVISION_UID_NAMESPACE: Uuid = Uuid::from_u128(0xaac71d91_5c67_456f_8fd2_902ef6da820e);

/// Prefix of the hashed text for PackageRevision UIDs.
pub const PACKAGE_REVISION_UID_PREFIX: &str = "packagerevision:";

/// The UID of the PackageRevision `namespace/name`: UUIDv5 over
/// `"packagerevision:porch.kpt.dev/v1alpha1/" + lower(namespace) + "/" + lower(name)`.
/// The PackageRevisionResources of the same name shares it.
///
/// ```
/// let uid = porch_api::uid::package_revision_uid("rpkg-init", "git.init-package.init-1");
/// assert_eq!(uid.to_string(), "45ee0692-730a-51b2-9a1d-ad4f4ad55dc8");
/// ```
pub fn package_revision_uid(namespace: &str, name: &str) -> Uuid {
    let text = format!(
        "{PACKAGE_REVISION_UID_PREFIX}{}/{}/{}",
        crate::gvk::PORCH_API_VERSION.to_lowercase(),
        namespace.to_lowercase(),
        name.to_lowercase()
    );
    Uuid::new_v5(&PACKAGE_REVISION_UID_NAMESPACE, text.as_bytes())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_uid_matches_porch_golden_data() {
        assert_eq!(
            package_revision_uid("rpkg-init", "git.init-package.init-1").to_string(),
            "45ee0692-730a-51b2-9a1d-ad4f4ad55dc8"
        );
    }

    #[test]
    fn the_uid_ignores_case() {
        assert_eq!(package_revision_uid("NS", "Repo.Pkg.WS"), package_revision_uid("ns", "repo.pkg.ws"));
    }

    #[test]
    fn different_names_get_different_uids() {
        assert_ne!(package_revision_uid("ns", "a.b.c"), package_revision_uid("ns", "a.b.d"));
        assert_ne!(package_revision_uid("ns1", "a.b.c"), package_revision_uid("ns2", "a.b.c"));
    }
}

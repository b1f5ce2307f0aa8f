//! Well-known label, annotation and finalizer keys.

/// Label set (value [`LATEST_REVISION_VALUE`]) on the latest published revision of a package.
/// Computed by the server; users may not set, change or remove it.
pub const LATEST_REVISION_LABEL: &str = "kpt.dev/latest-revision";

/// Value of [`LATEST_REVISION_LABEL`] on the latest revision.
pub const LATEST_REVISION_VALUE: &str = "true";

/// PackageRevision annotation: when `"true"`, a PackageRevisionResources update whose render
/// fails is still committed (and the request still fails).
pub const PUSH_ON_RENDER_FAILURE_ANNOTATION: &str = "porch.kpt.dev/push-on-render-failure";

/// Kptfile annotation: when `"true"`, kpt keeps the partially rendered resources on failure.
pub const SAVE_ON_RENDER_FAILURE_ANNOTATION: &str = "kpt.dev/save-on-render-failure";

/// Label of the internal PackageRev CR naming its Repository.
pub const INTERNAL_REPOSITORY_LABEL: &str = "internal.porch.kpt.dev/repository";

/// Finalizer the server keeps on every PackageRev CR.
pub const PACKAGE_REVISION_FINALIZER: &str = "internal.porch.kpt.dev/packagerevision";

/// Finalizer the repository controller adds to Repository objects.
pub const REPOSITORY_FINALIZER: &str = "config.porch.kpt.dev/repository";

/// Repository annotation: `"true"` hands the repository to the v1alpha2 API.
pub const V1ALPHA2_MIGRATION_ANNOTATION: &str = "porch.kpt.dev/v1alpha2-migration";

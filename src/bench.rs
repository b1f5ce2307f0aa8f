//! Entry points for `benches/` into code the server's API does not expose. Not part of the
//! server's API.

use std::collections::BTreeMap;

use crate::engine::render::{Functions, RenderRequest, render as render_files};

/// Renders a package (path → bytes) with the builtin functions, as a PackageRevisionResources
/// update does; the rendered files, or the render error's message.
pub fn render(
    files: &BTreeMap<String, Vec<u8>>,
    default_image_prefix: &str,
) -> Result<BTreeMap<String, Vec<u8>>, String> {
    let functions = Functions::builtins(default_image_prefix);
    render_files(files, &functions, RenderRequest::Resources).map(|r| r.files).map_err(|e| e.to_string())
}

/// The file work of an upgrade task (render-upgrade.md §4): `local` merged onto `updated` with
/// `original` as the common ancestor by `strategy` (Porch's name; empty = resource-merge), and
/// the root Kptfile pointed at a new upstream; the files, or the error's message.
pub fn upgrade(
    original: &BTreeMap<String, Vec<u8>>,
    updated: &BTreeMap<String, Vec<u8>>,
    local: &BTreeMap<String, Vec<u8>>,
    strategy: &str,
) -> Result<BTreeMap<String, Vec<u8>>, String> {
    use crate::engine::tasks::upgrade::{UpgradeFiles, upgrade_package};
    let lock = porch_api::porch::GitLock {
        repo: "https://example.com/blueprints.git".into(),
        directory: "shop".into(),
        ref_: "shop/v2".into(),
        commit: "0123456789abcdef0123456789abcdef01234567".into(),
    };
    let files = UpgradeFiles { original, updated, local };
    upgrade_package(files, strategy, &lock, "shop", "blueprints.shop.v2").map_err(|e| e.to_string())
}

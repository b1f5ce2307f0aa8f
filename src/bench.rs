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

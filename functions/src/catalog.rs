//! Which image a builtin answers: Porch's builtin keys (`<id>:<tag>`,
//! `ghcr.io/kptdev/krm-functions-catalog/<id>:<tag>`, `<default-image-prefix>/<id>:<tag>`), plus
//! the older catalog registry `gcr.io/kpt-fn/<id>:<tag>` that published packages name.
//!
//! An image is first completed as kpt completes it: without a `/` the default prefix is put in
//! front, without a tag or digest `:latest` is put behind. A builtin answers the tags of the
//! catalog versions it implements, their `vX.Y` short forms, and — only when no function runner
//! is configured to run the real image — `latest` and `unstable`. Anything else (another tag, a
//! digest, another registry) is not found here and falls through to the next runtime.

use crate::Function;
use crate::set_namespace::SetNamespace;

/// The registry the catalog publishes to today.
pub const CATALOG_PREFIX: &str = "ghcr.io/kptdev/krm-functions-catalog/";
/// The registry older packages name.
pub const LEGACY_PREFIX: &str = "gcr.io/kpt-fn/";

/// One builtin: its catalog id, the tags it answers and the function for each.
struct Builtin {
    id: &'static str,
    versions: fn(&str) -> Option<Box<dyn Function>>,
}

/// The builtins.
const BUILTINS: &[Builtin] = &[
    Builtin { id: "set-namespace", versions: set_namespace },
    Builtin { id: "apply-setters", versions: apply_setters },
    Builtin { id: "create-setters", versions: create_setters },
    Builtin { id: "remove-local-config-resources", versions: remove_local_config_resources },
    Builtin { id: "upsert-resource", versions: upsert_resource },
    Builtin { id: "set-labels", versions: set_labels },
    Builtin { id: "set-annotations", versions: set_annotations },
    Builtin { id: "apply-replacements", versions: apply_replacements },
    Builtin { id: "starlark", versions: starlark },
    Builtin { id: "search-replace", versions: search_replace },
    Builtin { id: "set-image", versions: set_image },
    Builtin { id: "ensure-name-substring", versions: ensure_name_substring },
];

fn set_namespace(tag: &str) -> Option<Box<dyn Function>> {
    let fails_on_bad_config = match tag {
        "v0.4.1" => true,
        "v0.4" | "v0.4.2" | "v0.4.3" | "v0.4.4" | "v0.4.5" | "latest" | "unstable" => false,
        _ => return None,
    };
    Some(Box::new(SetNamespace { fails_on_bad_config }))
}

fn apply_setters(tag: &str) -> Option<Box<dyn Function>> {
    let strict = match tag {
        "v0.1" | "v0.1.1" => true,
        "v0.2" | "v0.2.0" | "v0.2.1" | "latest" | "unstable" => false,
        _ => return None,
    };
    Some(Box::new(crate::apply_setters::ApplySetters { strict }))
}

fn create_setters(tag: &str) -> Option<Box<dyn Function>> {
    let main = match tag {
        "v0.1" | "v0.1.0" | "latest" => false,
        "unstable" => true,
        _ => return None,
    };
    Some(Box::new(crate::create_setters::CreateSetters { main }))
}

fn remove_local_config_resources(tag: &str) -> Option<Box<dyn Function>> {
    matches!(tag, "v0.1" | "v0.1.0" | "latest" | "unstable").then(|| {
        Box::new(crate::remove_local_config_resources::RemoveLocalConfigResources) as Box<dyn Function>
    })
}

fn upsert_resource(tag: &str) -> Option<Box<dyn Function>> {
    let v0_1 = match tag {
        "v0.1" | "v0.1.0" => true,
        "v0.2" | "v0.2.0" | "latest" | "unstable" => false,
        _ => return None,
    };
    Some(Box::new(crate::upsert_resource::UpsertResource { v0_1 }))
}

fn apply_replacements(tag: &str) -> Option<Box<dyn Function>> {
    use crate::apply_replacements::{Api, ApplyReplacements};
    let api = match tag {
        "v0.1.1" => Api::V0_10,
        "v0.1.2" => Api::V0_19,
        "v0.1" | "v0.1.3" | "v0.1.4" | "v0.1.5" | "latest" | "unstable" => Api::V0_20,
        _ => return None,
    };
    Some(Box::new(ApplyReplacements { api }))
}

fn set_labels(tag: &str) -> Option<Box<dyn Function>> {
    use crate::set_labels::SetLabels;
    let version = match tag {
        "v0.1" | "v0.1.5" => SetLabels::V0_1,
        "v0.2" | "v0.2.0" | "v0.2.1" | "latest" | "unstable" => SetLabels::V0_2,
        _ => return None,
    };
    Some(Box::new(version))
}

fn search_replace(tag: &str) -> Option<Box<dyn Function>> {
    use crate::search_replace::{SearchReplace, Version};
    let version = match tag {
        "v0.1.0" => Version::V0_1_0,
        "v0.1" | "v0.1.1" => Version::V0_1_1,
        "v0.2" | "v0.2.0" | "latest" | "unstable" => Version::V0_2,
        _ => return None,
    };
    Some(Box::new(SearchReplace { version }))
}

/// v0.5.2 to v0.5.5 (tags Porch names; the catalog's source of v0.5.1 on is that of its main
/// branch) are answered as v0.5.1.
fn starlark(tag: &str) -> Option<Box<dyn Function>> {
    use crate::starlark::{Starlark, Version};
    let version = match tag {
        "v0.4" | "v0.4.3" | "v0.5.0" => Version::V0_4,
        "v0.5" | "v0.5.1" | "v0.5.2" | "v0.5.3" | "v0.5.4" | "v0.5.5" | "latest" | "unstable" => {
            Version::V0_5_1
        }
        _ => return None,
    };
    Some(Box::new(Starlark::new(version)))
}

fn set_image(tag: &str) -> Option<Box<dyn Function>> {
    use crate::set_image::{SetImage, Version};
    let version = match tag {
        "v0.1.0" => Version::V0_1_0,
        "v0.1" | "v0.1.1" | "latest" => Version::V0_1_1,
        _ => return None,
    };
    Some(Box::new(SetImage { version }))
}

fn ensure_name_substring(tag: &str) -> Option<Box<dyn Function>> {
    use crate::ensure_name_substring::{EnsureNameSubstring, Version};
    let version = match tag {
        "v0.1" | "v0.1.1" => Version::V0_1_1,
        "v0.2" | "v0.2.0" | "latest" | "unstable" => Version::V0_2,
        _ => return None,
    };
    Some(Box::new(EnsureNameSubstring { version }))
}

fn set_annotations(tag: &str) -> Option<Box<dyn Function>> {
    matches!(tag, "v0.1" | "v0.1.4" | "latest" | "unstable")
        .then(|| Box::new(crate::set_annotations::SetAnnotations) as Box<dyn Function>)
}

/// The builtins as a runtime sees them.
#[derive(Debug, Clone)]
pub struct Catalog {
    default_prefix: String,
    floating_tags: bool,
}

impl Catalog {
    /// Builtins under `default_prefix` (`--default-image-prefix`); `floating_tags`: answer
    /// `latest` and `unstable` too (no function runner is configured).
    pub fn new(default_prefix: &str, floating_tags: bool) -> Self {
        let mut default_prefix = default_prefix.to_string();
        if !default_prefix.is_empty() && !default_prefix.ends_with('/') {
            default_prefix.push('/');
        }
        Self { default_prefix, floating_tags }
    }

    /// `image` as kpt completes it before looking it up.
    pub fn complete(&self, image: &str) -> String {
        let mut image =
            if image.contains('/') { image.to_string() } else { format!("{}{image}", self.default_prefix) };
        let last = image.rsplit('/').next().unwrap_or_default();
        if !last.contains(':') && !image.contains('@') {
            image.push_str(":latest");
        }
        image
    }

    /// The builtin that runs `image`, if one does.
    pub fn find(&self, image: &str) -> Option<Box<dyn Function>> {
        let image = self.complete(image);
        let name = [CATALOG_PREFIX, LEGACY_PREFIX, self.default_prefix.as_str()]
            .into_iter()
            .filter(|p| !p.is_empty())
            .find_map(|prefix| image.strip_prefix(prefix))?;
        let (id, tag) = name.split_once(':')?;
        if matches!(tag, "latest" | "unstable") && !self.floating_tags {
            return None;
        }
        BUILTINS.iter().find(|b| b.id == id).and_then(|b| (b.versions)(tag))
    }
}

//! Which binary a FunctionConfig names for an image, as Porch's function runner finds it
//! (`FunctionConfigStore.GetBinaryFromCache`, `controllers/functionconfigs/reconciler`):
//!
//! - the image is split at its last `:` after the last `/` into name and tag;
//! - the last path segment of the name (without any `@digest`) must equal `spec.image`;
//! - the repository (the name before its last `/`) must start with one of `spec.prefixes`,
//!   where `""` stands for the default image prefix (Porch's regex `^(?:p1|p2)` is anchored at
//!   the start only, so a prefix matches any repository that begins with it; no prefixes at all
//!   match every repository);
//! - the tag must be one of `spec.binaryExecutor.tags`.
//!
//! A relative `binaryExecutor.path` is taken below the functions directory.

use std::path::{Path, PathBuf};

use porch_api::config::FunctionConfigSpec;

/// An image as Porch's runner splits it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct ImageParts<'a> {
    /// The last path segment, without tag or digest (`set-namespace`).
    pub name: &'a str,
    /// Everything before the last `/` of the name (`ghcr.io/kptdev/krm-functions-catalog`).
    pub repository: &'a str,
    /// After the last `:` that follows the last `/` (`v0.4`); empty when there is none.
    pub tag: &'a str,
}

impl<'a> ImageParts<'a> {
    /// `image` split as Porch's `splitImage`, `GetImageName` and `GetImageRepository` split it.
    pub(crate) fn of(image: &'a str) -> Self {
        let last_slash = image.rfind('/');
        let (name, tag) = match image.rfind(':') {
            Some(colon) if last_slash.is_none_or(|slash| colon > slash) => {
                (&image[..colon], &image[colon + 1..])
            }
            _ => (image, ""),
        };
        let repository = name.rfind('/').map_or("", |slash| &name[..slash]);
        // GetImageName: drop a digest, then a tag, then everything up to the last `/`.
        let mut short = name.split('@').next().unwrap_or(name);
        if let Some(colon) = short.rfind(':')
            && !short[colon + 1..].contains('/')
        {
            short = &short[..colon];
        }
        let short = short.rsplit('/').next().unwrap_or(short);
        Self { name: short, repository, tag }
    }
}

/// Whether `spec` (with a `binaryExecutor`) is the configuration of `image`, with
/// `default_prefix` standing for `""` among its prefixes.
pub(crate) fn matches(spec: &FunctionConfigSpec, image: &ImageParts<'_>, default_prefix: &str) -> bool {
    let Some(binary) = &spec.binary_executor else { return false };
    if spec.image != image.name || !binary.tags.iter().any(|t| t == image.tag) {
        return false;
    }
    let default_prefix = default_prefix.trim_end_matches('/');
    spec.prefixes.is_empty()
        || spec.prefixes.iter().any(|p| {
            let prefix = if p.is_empty() { default_prefix } else { p.as_str() };
            image.repository.starts_with(prefix)
        })
}

/// The binary `path` names: itself when absolute, else below `functions_dir`.
pub(crate) fn binary_path(path: &str, functions_dir: &Path) -> PathBuf {
    let path = Path::new(path);
    if path.is_absolute() { path.to_path_buf() } else { functions_dir.join(path) }
}

#[cfg(test)]
mod tests {
    use porch_api::config::{BinaryExecutorConfig, GoExecutorConfig};

    use super::*;

    const DEFAULT: &str = "ghcr.io/kptdev/krm-functions-catalog/";

    fn spec(image: &str, prefixes: &[&str], tags: &[&str]) -> FunctionConfigSpec {
        FunctionConfigSpec {
            image: image.into(),
            prefixes: prefixes.iter().map(|p| p.to_string()).collect(),
            binary_executor: Some(BinaryExecutorConfig {
                tags: tags.iter().map(|t| t.to_string()).collect(),
                path: "f".into(),
            }),
            ..Default::default()
        }
    }

    fn hit(spec: &FunctionConfigSpec, image: &str) -> bool {
        matches(spec, &ImageParts::of(image), DEFAULT)
    }

    #[test]
    fn images_split_as_porch_splits_them() {
        let p = ImageParts::of("ghcr.io/kptdev/krm-functions-catalog/set-labels:v0.2.2");
        assert_eq!(
            (p.name, p.repository, p.tag),
            ("set-labels", "ghcr.io/kptdev/krm-functions-catalog", "v0.2.2")
        );
        let p = ImageParts::of("localhost:5000/fn");
        assert_eq!((p.name, p.repository, p.tag), ("fn", "localhost:5000", ""));
        let p = ImageParts::of("fn:v1");
        assert_eq!((p.name, p.repository, p.tag), ("fn", "", "v1"));
        let p = ImageParts::of("r.io/x/fn@sha256:abc");
        assert_eq!((p.name, p.repository, p.tag), ("fn", "r.io/x", "abc"));
    }

    #[test]
    fn the_name_and_the_tag_must_match() {
        let s = spec("set-labels", &[""], &["v0.2.2"]);
        assert!(hit(&s, "ghcr.io/kptdev/krm-functions-catalog/set-labels:v0.2.2"));
        assert!(!hit(&s, "ghcr.io/kptdev/krm-functions-catalog/set-labels:v0.2.1"));
        assert!(!hit(&s, "ghcr.io/kptdev/krm-functions-catalog/set-labels:latest"));
        assert!(!hit(&s, "ghcr.io/kptdev/krm-functions-catalog/set-annotations:v0.2.2"));
    }

    #[test]
    fn prefixes_match_the_start_of_the_repository_and_empty_means_the_default() {
        let s = spec("f", &[""], &["v1"]);
        assert!(hit(&s, "ghcr.io/kptdev/krm-functions-catalog/f:v1"));
        assert!(!hit(&s, "example.com/fns/f:v1"));
        let s = spec("f", &["example.com/fns"], &["v1"]);
        assert!(hit(&s, "example.com/fns/f:v1"));
        // Anchored at the start only, as Porch's regex.
        assert!(hit(&s, "example.com/fns/more/f:v1"));
        assert!(!hit(&s, "other.example.com/fns/f:v1"));
        assert!(!hit(&s, "ghcr.io/kptdev/krm-functions-catalog/f:v1"));
        // No prefixes: any repository.
        let s = spec("f", &[], &["v1"]);
        assert!(hit(&s, "anywhere.io/f:v1"));
    }

    #[test]
    fn only_binary_executors_name_binaries() {
        let mut s = spec("f", &[""], &["v1"]);
        s.binary_executor = None;
        s.go_executor = Some(GoExecutorConfig { tags: vec!["v1".into()], id: None });
        assert!(!hit(&s, "ghcr.io/kptdev/krm-functions-catalog/f:v1"));
    }

    #[test]
    fn relative_paths_are_below_the_functions_directory() {
        assert_eq!(binary_path("/usr/bin/f", Path::new("/fns")), PathBuf::from("/usr/bin/f"));
        assert_eq!(binary_path("f", Path::new("/fns")), PathBuf::from("/fns/f"));
    }
}

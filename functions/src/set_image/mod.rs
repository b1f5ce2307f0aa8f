//! `set-image` (catalog v0.1.0 and v0.1.1: kustomize api v0.11.0's image transformer run by the
//! catalog's function SDKs): changes the name, tag or digest of an image wherever kustomize's
//! image fields (and the configuration's own) hold it.
//!
//! Configuration ([`config`]): a `v1` `ConfigMap` with `data.name`, `data.newName`,
//! `data.newTag`, `data.digest`, or `fn.kpt.dev/v1alpha1 SetImage` with `image: {name, newName,
//! newTag, digest}` and `additionalImageFields` (kustomize field specs). `name` is required, and
//! one of `newName`, `newTag`, `digest`, not both of the last two.
//!
//! Each item (local-config ones too; CRDs are left alone) is walked along the configuration's
//! field specs and then `spec/containers[]/image`, `spec/initContainers[]/image`,
//! `spec/template/spec/containers[]/image` and `spec/template/spec/initContainers[]/image` (any
//! kind) (`crate::kustomize::field_spec`). An image matches when it is the name, optionally followed by
//! `@sha256` and a `:tag` (the name is read as a Go regular expression, as kustomize reads it);
//! its name is replaced by `newName`, its tag by `:newTag` or `@digest`. A null `containers` or
//! `initContainers` becomes `[]`. Every item also goes through JSON and back ([`normalize`]),
//! which rewrites some values (quoting, numbers as Go floats, `null`, block style); comments and
//! field order are as kpt restores them. Items are returned sorted by apiVersion, kind,
//! namespace and name, as the SDKs write them.
//!
//! Results (info): `set image from <old> to <new>` for every image set (also when unchanged),
//! with the resource, `field` (path of field names, current and proposed value) and file (path
//! and index, internal annotations first, then legacy ones), sorted by file, then by resource,
//! field and message as the SDK sorts them; `no images changed` when none was set.
//!
//! Errors (exit 1, one error result): `` `functionConfig` must be a `ConfigMap` or `SetImage` ``
//! (also when there is none: the catalog function crashes), `missing image name`, `missing image
//! newName, newTag, or digest`, `image newTag and digest both set`; a configuration of the wrong
//! type: v0.1.0 `unable to convert functionConfig to …` with the decoder's reason (go-yaml's line
//! number left out), v0.1.1 the SDK's `… has unmatched field type: …`; kustomize's walk errors
//! (`considering field '<path>' of object <id>: …`); the JSON errors above. An image name that
//! is not a regular expression crashes the catalog function; here it fails the run.

mod config;
mod normalize;

use porch_krm::{Document, Node, NodeKind, ResourceList, annotations};
use regex::Regex;

use self::config::{Config, Image};
use crate::kustomize::{
    self,
    field_spec::{FieldSpec, Wording},
};
use crate::result::{FieldRef, FileRef, FnResult, ResourceRef, Severity};
use crate::{Function, Outcome, object};

/// kustomize's built-in image field specs (`builtinpluginconsts/images.go`).
const IMAGE_FIELDS: [&str; 4] = [
    "spec/containers[]/image",
    "spec/initContainers[]/image",
    "spec/template/spec/containers[]/image",
    "spec/template/spec/initContainers[]/image",
];

/// The catalog version run.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Version {
    /// v0.1.0 (the catalog's first SDK).
    V0_1_0,
    /// v0.1.1 (kpt-functions-sdk).
    V0_1_1,
}

/// The function.
#[derive(Debug, Clone, Copy)]
pub struct SetImage {
    /// The catalog version run.
    pub version: Version,
}

impl Function for SetImage {
    fn run(&self, list: &mut ResourceList) -> Outcome {
        let fail = |message: String| Outcome {
            results: vec![FnResult::general(message, Severity::Error)],
            exit_code: 1,
        };
        let config = match config::read(list.function_config.as_ref(), self.version) {
            Ok(config) => config,
            Err(message) => return fail(message),
        };
        let pattern = match Regex::new(&format!("^{}(@sha256)?(:[a-zA-Z0-9_.{{}}-]*)?$", config.image.name)) {
            Ok(pattern) => pattern,
            Err(_) => return fail("runtime error: invalid memory address or nil pointer dereference".into()),
        };
        let mut sets = Vec::new();
        let mut items = Vec::with_capacity(list.items.len());
        for item in &list.items {
            match transform(item, &config, &pattern, &mut sets) {
                Ok(item) => items.push(item),
                Err(message) => return fail(message),
            }
        }
        items.sort_by_cached_key(|d| d.root.as_ref().map(sort_key).unwrap_or_default());
        list.items = items;
        Outcome { results: results(sets), exit_code: 0 }
    }
}

/// An image set: the item's identity and file, the field, the values.
#[derive(Debug)]
struct Set {
    resource: ResourceRef,
    file: FileRef,
    field: String,
    current: String,
    proposed: String,
}

/// One item after the function: through JSON, then its image fields set.
fn transform(
    item: &Document,
    config: &Config,
    pattern: &Regex,
    sets: &mut Vec<Set>,
) -> Result<Document, String> {
    let Some(root) = item.root.as_ref().filter(|r| r.kind() == NodeKind::Mapping) else {
        return Ok(item.clone());
    };
    let mut out = item.clone();
    let mut normalized = normalize::normalize(root)?;
    if object::kind(root) != "CustomResourceDefinition" {
        let resource = ResourceRef::of(root);
        let file = FileRef {
            path: annotations::path_of(root).unwrap_or_default().to_string(),
            index: annotations::index_of(root).and_then(|i| i.parse().ok()).unwrap_or(0),
        };
        let defaults = IMAGE_FIELDS.iter().map(|path| FieldSpec {
            path: (*path).into(),
            create: true,
            ..FieldSpec::default()
        });
        for spec in config.additional.iter().cloned().chain(defaults) {
            let mut set = |node: &mut Node, fields: &[String]| {
                set_image(node, fields, &config.image, pattern).map(|changed| {
                    if let Some((current, proposed)) = changed {
                        sets.push(Set {
                            resource: resource.clone(),
                            file: file.clone(),
                            field: fields.join("."),
                            current,
                            proposed,
                        });
                    }
                })
            };
            spec.apply(&mut normalized, None, Wording::ResId, &mut set)?;
        }
    }
    out.root = Some(normalized);
    Ok(out)
}

/// kustomize's `imageTagUpdater`: the new value of a matching image field, set; the old and new
/// values when set.
fn set_image(
    node: &mut Node,
    fields: &[String],
    image: &Image,
    pattern: &Regex,
) -> Result<Option<(String, String)>, String> {
    if node.kind() != NodeKind::Scalar && !node.is_null() {
        let mut flow = node.clone();
        flow.style = porch_krm::Style::Flow;
        flow.forget_source();
        return Err(kustomize::wrong_kind_text(
            fields,
            NodeKind::Scalar,
            node.kind(),
            &Document::new(flow).to_text(),
        ));
    }
    let value = node.as_str().unwrap_or_default().to_string();
    if !pattern.is_match(&value) {
        return Ok(None);
    }
    let (mut name, mut tag) = split(&value);
    if !image.new_name.is_empty() {
        name = image.new_name.clone();
    }
    if !image.new_tag.is_empty() {
        tag = format!(":{}", image.new_tag);
    }
    if !image.digest.is_empty() {
        tag = format!("@{}", image.digest);
    }
    let proposed = format!("{name}{tag}");
    let mut new = Node::string(proposed.as_str());
    new.comments = std::mem::take(&mut node.comments);
    *node = new;
    Ok(Some((value, proposed)))
}

/// kustomize's `image.Split`: the name and the `:tag` or `@digest` (the `:` looked for after the
/// first `/`).
fn split(image: &str) -> (String, String) {
    let colon = match image.find('/') {
        None => image.rfind(':'),
        Some(slash) => image[slash..].rfind(':').filter(|&i| i > 0).map(|i| slash + i),
    };
    let at = image.rfind('@');
    let cut = match (colon, at) {
        (_, Some(at)) if at > 0 => Some(at),
        (Some(colon), _) => Some(colon),
        _ => None,
    };
    match cut {
        None => (image.to_string(), String::new()),
        Some(i) => (image[..i].to_string(), image[i..].to_string()),
    }
}

/// The SDK's item order: `<apiVersion> <kind> <namespace> <name>`.
fn sort_key(root: &Node) -> String {
    format!(
        "{} {} {} {}",
        object::api_version(root),
        object::kind(root),
        object::namespace(root).unwrap_or_default(),
        object::name(root)
    )
}

/// The results, sorted as the SDK sorts them: file path, file index, then their text.
fn results(sets: Vec<Set>) -> Vec<FnResult> {
    if sets.is_empty() {
        return vec![FnResult::general("no images changed", Severity::Info)];
    }
    let mut results: Vec<(String, FnResult)> = sets
        .into_iter()
        .map(|s| {
            let message = format!("set image from {} to {}", s.current, s.proposed);
            let r = &s.resource;
            let text = format!(
                "resource-ref:&{{{{{} {}}} {{{} {}}}}},field:&{{{} {} {}}},message:{message}",
                r.api_version, r.kind, r.name, r.namespace, s.field, s.current, s.proposed
            );
            let result = FnResult {
                message,
                severity: Severity::Info,
                resource_ref: Some(s.resource),
                field: Some(FieldRef {
                    path: s.field,
                    current_value: Some(s.current),
                    proposed_value: Some(s.proposed),
                }),
                file: Some(s.file),
            };
            (text, result)
        })
        .collect();
    results.sort_by(|(a_text, a), (b_text, b)| {
        let (a_file, b_file) = (a.file.clone().unwrap_or_default(), b.file.clone().unwrap_or_default());
        (a_file.path, a_file.index, a_text).cmp(&(b_file.path, b_file.index, b_text))
    });
    results.into_iter().map(|(_, r)| r).collect()
}

#[cfg(test)]
mod tests {
    use super::split;

    #[test]
    fn images_split_as_kustomize_splits_them() {
        let s = |i: &str| {
            let (n, t) = split(i);
            format!("{n}|{t}")
        };
        assert_eq!(s("nginx"), "nginx|");
        assert_eq!(s("nginx:1.2"), "nginx|:1.2");
        assert_eq!(s("reg:5000/nginx"), "reg:5000/nginx|");
        assert_eq!(s("reg:5000/nginx:1.2"), "reg:5000/nginx|:1.2");
        assert_eq!(s("nginx@sha256:abc"), "nginx|@sha256:abc");
        assert_eq!(s("nginx:1.2@sha256:abc"), "nginx:1.2|@sha256:abc");
    }
}

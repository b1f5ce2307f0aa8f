//! `ensure-name-substring` (catalog v0.1.1 and v0.2.0, on kustomize api v0.8.11): makes every
//! resource's name contain a substring, prepending or appending it where missing, and fixes the
//! references to renamed resources.
//!
//! Configuration ([`config`]): a `v1` `ConfigMap` with exactly one `data` entry, `prepend` or
//! `append`, whose value is the substring; or `fn.kpt.dev/v1alpha1 EnsureNameSubstring` with
//! `substring`, `editMode` (`prepend`, the default, or `append`; another value changes nothing)
//! and `additionalNameFields` (kustomize field specs; `fieldSpecs` is the deprecated name).
//!
//! What changes ([`ensure`], [`name_reference`]), every resource included (local-config ones
//! too), in input order, for each field spec (`metadata/name`, then the configuration's):
//! - resources of the kinds CustomResourceDefinition, APIService (`apiregistration.k8s.io`),
//!   Namespace and, from v0.2.0, Kptfile (`kpt.dev`) are left alone;
//! - a field that already contains the substring is left alone (for other paths than
//!   `metadata/name`, what kyaml's `Lookup` finds at the path is checked: a `[]` path finds
//!   nothing, so such fields get the substring on every run);
//! - the field gets the substring (its style kept, any tag dropped); a `create: true` spec makes
//!   a missing field;
//! - from v0.2.0, each time, a `config.kubernetes.io/depends-on` annotation of the resource
//!   (`<group>/namespaces/<ns>/<kind>/<name>` or `<group>/<kind>/<name>`) naming a resource of
//!   the input gets the substring on that name (renamed or not);
//! - then the fields of kustomize's name reference table that named a renamed resource get its
//!   new name ([`name_references`]).
//!
//! kustomize rewrites the annotations of every resource that has some (and of every renamed
//! one): values are written as new strings (so `'x'` becomes `x` and `'1'` becomes `"1"`), and a
//! renamed resource left without annotations loses its `annotations` field (and gets an empty
//! `metadata` when it had none). The catalog also sorts them and drops their comments; kpt
//! restores order and comments after the function, and so does this implementation. Empty
//! items (null, `{}`, `[]`) are dropped, as kustomize's resource map drops them.
//!
//! Nothing is reported on success. Errors (exit 1, one error result): `failed to load the
//! `functionConfig`: …` (`substring must not be empty`, `only 1 entry is allowed in the
//! ConfigMap, but got: N`, `unknown editMode: X, only prepend and append are allowed`, ``
//! `fieldSpecs` has been deprecated, please rename it to `additionalNameFields` ``, `function
//! config must be either /v1, Kind=ConfigMap or fn.kpt.dev/v1alpha1, Kind=EnsureNameSubstring,
//! but we got: …`, kyaml's metadata checks, JSON type errors), `failed to convert items to
//! resource map: may not add resource with an already registered id: …`, `failed to transform
//! name substring: …`, `failed to fix name back reference: …`. Where kustomize shows an object
//! in a message, its kustomize build annotations are not shown here.
//!
//! Not built in: v0.1.0 (kustomize api v0.8.4, which drops local-config resources, writes
//! items back through Go maps and reads the legacy `fieldSpecs` only).

mod config;
mod ensure;
mod name_reference;
mod name_references;
mod resource;

use porch_krm::{Node, NodeKind, ResourceList};

use self::resource::{Resource, Resources};
use crate::result::{FnResult, Severity};
use crate::{Function, Outcome};

/// The catalog version run.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Version {
    /// v0.1.1.
    V0_1_1,
    /// v0.2.0: `depends-on` annotations follow renames; Kptfiles are not renamed.
    V0_2,
}

/// The function.
#[derive(Debug, Clone, Copy)]
pub struct EnsureNameSubstring {
    /// The catalog version run.
    pub version: Version,
}

impl Function for EnsureNameSubstring {
    fn run(&self, list: &mut ResourceList) -> Outcome {
        match self.apply(list) {
            Ok(items) => {
                list.items = items;
                Outcome { results: Vec::new(), exit_code: 0 }
            }
            Err(message) => {
                Outcome { results: vec![FnResult::general(message, Severity::Error)], exit_code: 1 }
            }
        }
    }
}

impl EnsureNameSubstring {
    fn apply(&self, list: &ResourceList) -> Result<Vec<porch_krm::Document>, String> {
        let config = config::read(list.function_config.as_ref())
            .map_err(|e| format!("failed to load the `functionConfig`: {e}"))?;
        let mut resources = Resources::from_items(&list.items)
            .map_err(|e| format!("failed to convert items to resource map: {e}"))?;
        ensure::ensure(&mut resources, &config, self.version)
            .map_err(|e| format!("failed to transform name substring: {e}"))?;
        name_reference::fix(&mut resources).map_err(|e| format!("failed to fix name back reference: {e}"))?;
        Ok(resources.list.into_iter().map(|r| rewrite_annotations(r).into_document()).collect())
    }
}

/// kustomize's `RemoveBuildAnnotations` as kpt hands the result back: the annotations of a
/// resource that has some are rewritten as new strings (comments and order kept); a renamed one
/// without any loses its `annotations` field.
fn rewrite_annotations(mut resource: Resource) -> Resource {
    let renamed = resource.renamed();
    let root = &mut resource.root;
    let has_annotations = root
        .get_path(&["metadata", "annotations"])
        .and_then(Node::as_mapping)
        .is_some_and(|pairs| !pairs.is_empty());
    if has_annotations {
        let Some(pairs) = root.get_path_mut(&["metadata", "annotations"]).and_then(Node::as_mapping_mut)
        else {
            return resource;
        };
        let text =
            |n: &Node| if n.is_null() { String::new() } else { n.as_str().unwrap_or_default().to_string() };
        let mut kept: Vec<porch_krm::Pair> = Vec::new();
        for pair in pairs.drain(..) {
            let key = text(&pair.key);
            let mut value = Node::string(text(&pair.value));
            value.comments = pair.value.comments;
            match kept.iter_mut().find(|p| p.key.as_str() == Some(key.as_str())) {
                Some(existing) => existing.value = value,
                None => {
                    let mut new_key = Node::string(key);
                    new_key.comments = pair.key.comments;
                    kept.push(porch_krm::Pair::new(new_key, value));
                }
            }
        }
        *pairs = kept;
    } else if renamed && root.kind() == NodeKind::Mapping {
        match root.get_mut("metadata") {
            None => {
                // A mapping takes any key.
                let _ = root.set("metadata", Node::mapping());
            }
            Some(metadata) if metadata.kind() == NodeKind::Mapping => {
                metadata.remove("annotations");
            }
            Some(_) => {}
        }
    }
    resource
}

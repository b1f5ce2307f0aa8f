//! Structural OpenAPI v3 schemas: type-checking objects the way kube-apiserver does, dropping
//! the `null`s a schema does not allow, and pruning the fields it does not declare.
//!
//! kube-apiserver checks every custom resource against its CRD's structural schema with
//! kube-openapi's validator and turns each failure into a field error
//! (apiextensions-apiserver `kubeOpenAPIResultToFieldErrors`), e.g.
//! `spec.deployment: Invalid value: "string": spec.deployment in body must be of type boolean:
//! "string"`. No Rust crate gives those words — the JSON Schema crates implement the JSON Schema
//! drafts with their own messages, not OpenAPI 3.0's `nullable` or the Kubernetes extensions —
//! so [`Schema::validate`] is a small walker of our own over the keywords structural schemas
//! use. What it reports, field first (kube-openapi's `errors/schema.go` wording):
//!
//! | keyword | cause |
//! |---|---|
//! | `type` (`nullable`, `x-kubernetes-int-or-string`) | `p: Invalid value: "string": p in body must be of type boolean: "string"` |
//! | `format` (`date-time`, `date`, `byte`, `uuid*`, `ipv4`, `ipv6`, `cidr`) | `p: Invalid value: "x": p in body must be of type date-time: "x"` |
//! | `required` | `p.f: Required value` |
//! | `enum` | `p: Unsupported value: "svn": supported values: "git", "oci"` |
//! | `maxLength` / `minLength` | `p: Too long: must have at most 5 bytes` / `p: Invalid value: "": p in body should be at least 1 chars long` |
//! | `maximum` / `minimum` (`exclusive*`), `multipleOf` | `p: Invalid value: 7: p in body should be less than or equal to 5` |
//! | `maxItems` / `minItems`, `uniqueItems` | `p: Too many: 3: must have at most 2 items` |
//! | `maxProperties` / `minProperties` | as for items, with "properties" |
//! | `additionalProperties: false` | `p: Invalid value: "k": p.k in body is a forbidden property` |
//! | `allOf` / `anyOf` / `oneOf` / `not` | `<nil>: Invalid value: "": "p" must validate all the schemas (allOf)` |
//! | integer `format` ranges | `<nil>: Invalid value: "": Checked value must be of type integer with format int32 in p` |
//!
//! `properties`, `additionalProperties: <schema>`, `items` and `$ref` (into the definitions
//! given to [`Schema::new`]) are followed; `x-kubernetes-preserve-unknown-fields` and undeclared
//! fields are not checked (pruning is [`prune_unknown`]'s job). One deliberate difference: kube-openapi
//! lets an array through where a string with a `format` is expected; here it is a type error,
//! because a value that typed clients cannot decode must never be stored.
//!
//! `null`: a field set to `null` that the schema does not allow is removed before validation
//! by [`Schema::drop_nulls`] (apiextensions' `PruneNonNullableNullsWithoutDefaults`; Go's JSON
//! decoding of built-in types does the same), so only `null`s in lists and in nullable or
//! undeclared places reach [`Schema::validate`].
//!
//! Keywords the walker does not implement (`pattern`, `patternProperties`, `dependencies`,
//! `additionalItems`, tuple `items`, `const`, `if`) make [`Schema::new`] fail, so that a schema
//! using them is noticed instead of half-checked. CEL rules (`x-kubernetes-validations`) are
//! the resource strategies' job.
//!
//! ```
//! use porch_layers::schema::Schema;
//! use serde_json::{json, Map};
//!
//! let schema = Schema::new(
//!     json!({"type": "object", "properties": {"spec": {"type": "object", "properties": {
//!         "deployment": {"type": "boolean"},
//!         "type": {"type": "string", "enum": ["git", "oci"]},
//!     }}}}),
//!     Map::new(),
//! )
//! .unwrap();
//! let causes = schema.validate(&json!({"spec": {"deployment": "yes", "type": "svn"}}));
//! let text: Vec<String> = causes.iter().map(ToString::to_string).collect();
//! assert_eq!(text, [
//!     "spec.deployment: Invalid value: \"string\": spec.deployment in body must be of type boolean: \"string\"",
//!     "spec.type: Unsupported value: \"svn\": supported values: \"git\", \"oci\"",
//! ]);
//! ```

mod builtin;
mod check;
mod format;
mod keywords;
mod nulls;
mod prune;
mod ratchet;
mod view;

#[cfg(test)]
mod tests;

use serde_json::{Map, Value};

use crate::status::FieldCause;

pub use prune::prune_unknown;
pub use ratchet::ratchet;

/// Where `$ref`s may point: OpenAPI 3 components, Swagger 2 definitions, JSON Schema `$defs`.
const REF_PREFIXES: [&str; 3] = ["#/components/schemas/", "#/definitions/", "#/$defs/"];

/// The definition name a `$ref` points to, e.g. `io.k8s.api.core.v1.Secret`.
pub(crate) fn ref_target(reference: &str) -> Option<&str> {
    REF_PREFIXES.iter().find_map(|p| reference.strip_prefix(p))
}

/// Why a schema cannot be used.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
#[non_exhaustive]
pub enum SchemaError {
    /// The schema uses a keyword the walker does not implement.
    #[error("failed to load the schema: keyword {keyword:?} at {at} is not supported")]
    UnsupportedKeyword {
        /// The keyword.
        keyword: String,
        /// Where, as a JSON pointer into the schema (`#/…`) or a definition (`Name#/…`).
        at: String,
    },
    /// A `$ref` names no definition.
    #[error("failed to load the schema: {reference:?} at {at} names no definition")]
    UnresolvedRef {
        /// The `$ref`.
        reference: String,
        /// Where it sits.
        at: String,
    },
    /// Definitions refer to each other in a loop without any value in between.
    #[error("failed to load the schema: definition {name:?} refers to itself")]
    RefCycle {
        /// A definition on the loop.
        name: String,
    },
}

/// A structural schema and the definitions its `$ref`s point into. Built once (it is checked
/// for unsupported keywords and dangling refs), then used for any number of objects.
#[derive(Debug, Clone)]
pub struct Schema {
    root: Value,
    definitions: Map<String, Value>,
}

impl Schema {
    /// A schema rooted at `root`, resolving `$ref`s (`#/components/schemas/<name>`,
    /// `#/definitions/<name>`, `#/$defs/<name>`) in `definitions`.
    ///
    /// # Errors
    /// [`SchemaError`] when a keyword is not supported, a `$ref` dangles, or definitions refer
    /// to each other in a loop.
    pub fn new(root: Value, definitions: Map<String, Value>) -> Result<Self, SchemaError> {
        keywords::check(&root, &definitions)?;
        Ok(Self { root, definitions })
    }

    /// The schema Go's JSON decoding enforces for the built-in Kubernetes type `T` (generated
    /// from k8s-openapi's `schemars` implementation): types and formats, never `required`,
    /// because decoding a built-in type does not require any field.
    ///
    /// # Errors
    /// As [`Schema::new`].
    pub fn builtin<T: schemars::JsonSchema>() -> Result<Self, SchemaError> {
        let (root, definitions) = builtin::generate::<T>();
        Self::new(root, definitions)
    }

    /// The root schema.
    pub fn root(&self) -> &Value {
        &self.root
    }

    /// The definitions `$ref`s resolve in.
    pub fn definitions(&self) -> &Map<String, Value> {
        &self.definitions
    }

    /// The causes `value` fails the schema with, in kube-apiserver's words; empty when valid.
    /// Paths start at the root (`spec.git.repo`).
    ///
    /// **Mutates:** nothing.
    pub fn validate(&self, value: &Value) -> Vec<FieldCause> {
        self.validate_at(value, "")
    }

    /// The causes an update from `old` to `new` fails the schema with: those of `new`, except
    /// the ones `old` already had at a field the update leaves unchanged (kube-apiserver's
    /// validation ratcheting), so that an object stored before a rule applied can still be
    /// updated elsewhere — its status written, its finalizers removed.
    ///
    /// **Mutates:** nothing.
    pub fn validate_update(&self, new: &Value, old: &Value) -> Vec<FieldCause> {
        let causes = self.validate(new);
        if causes.is_empty() {
            return causes;
        }
        ratchet::ratchet(causes, &self.validate(old), new, old)
    }

    /// As [`Schema::validate`], for a value that sits at `path` of a larger object (e.g.
    /// `metadata`), so that causes name the whole path.
    pub fn validate_at(&self, value: &Value, path: &str) -> Vec<FieldCause> {
        check::Check::new(&self.definitions).run(&self.root, value, path)
    }

    /// Removes every field whose value is `null` where the schema does not allow `null`
    /// (`nullable` unset, no `null` type); `null`s in lists and in undeclared fields stay.
    ///
    /// **Mutates:** `value`, before validation.
    pub fn drop_nulls(&self, value: &mut Value) {
        nulls::drop_nulls(&self.definitions, &[&self.root], value);
    }

    /// Removes the fields the schema does not declare; returns their paths (`.spec.foo`).
    /// See [`prune_unknown`].
    pub fn prune(&self, value: &mut Value) -> Vec<String> {
        prune_unknown(&self.definitions, &self.root, value)
    }
}

//! `apply-replacements` (catalog v0.1.1 to v0.1.5): kustomize's replacements as a KRM function.
//!
//! Configuration: only `fn.kpt.dev/v1alpha1 ApplyReplacements` with `replacements`, kustomize's
//! list of `{source, sourceValue, targets}` (`config.rs` reads it as the catalog's Go does).
//! Anything else fails: no configuration ("FunctionConfig is missing. Expect
//! `ApplyReplacements`"), another kind ("received functionConfig of kind %s and apiVersion %s,
//! only functionConfig of kind ApplyReplacements and apiVersion fn.kpt.dev/v1alpha1 is
//! supported"), a field of the wrong type (Go's `json: cannot unmarshal …`).
//!
//! Each replacement in turn reads one value and writes it into target fields of every item
//! (local-config ones included):
//! - the source must select exactly one resource (`select.rs`: group, version, kind, name and
//!   namespace compared exactly); `fieldPath` defaults to `metadata.name`, must hold something
//!   (not null, `{}` or `[]`), and may be cut with `options.delimiter` / `options.index`;
//!   `sourceValue` gives a string instead (not with `source`; kustomize api 0.20, catalog
//!   v0.1.3 on);
//! - each target's `select` (ids, `labelSelector`, `annotationSelector`), minus its `reject`s,
//!   chooses resources; each of its `fieldPaths` (default `metadata.name`; kyaml syntax:
//!   `a.[name=x].b`, `[=v]`, `0`, `*`, `[a.b/c]`) is written as `write.rs` describes, made
//!   when missing with `options.create`.
//!
//! On any error the function fails (exit 1) with one error result carrying the message, and the
//! items are left as they were. It reports nothing when it succeeds.
//!
//! Versions ([`Api`]): v0.1.1 is built on kustomize api 0.10, v0.1.2 on api 0.19, v0.1.5 (what
//! Porch compiles in) on api 0.20.1; v0.1.3 and v0.1.4 (released after api 0.20.0) are answered
//! as v0.1.5. None of them edits structured data inside strings (kustomize's later
//! `setValueInStructuredData`).

mod apply;
mod config;
mod labels;
mod legacy;
mod select;
mod write;

use porch_krm::{Node, ResourceList};

use crate::result::{FnResult, Severity};
use crate::{Function, Outcome};

/// The kustomize api a catalog version is built with: what it reads and how it writes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Api {
    /// api v0.10.1 with kyaml v0.13.6 (catalog v0.1.1): targets are walked one field each;
    /// missing targets are skipped; a field takes the source node whole; a reject applies to
    /// the selected id only.
    V0_10,
    /// api v0.19.0 (catalog v0.1.2): `*`, index creation, errors for missing targets, target
    /// scalars keep their type; no `sourceValue`.
    V0_19,
    /// api v0.20 (catalog v0.1.5, and v0.1.3 / v0.1.4): as v0.19, with `sourceValue`.
    V0_20,
}

/// The function.
#[derive(Debug, Clone, Copy)]
pub struct ApplyReplacements {
    /// The kustomize api of the catalog version run.
    pub api: Api,
}

impl Function for ApplyReplacements {
    fn run(&self, list: &mut ResourceList) -> Outcome {
        let fail = |message: String| Outcome {
            results: vec![FnResult::general(message, Severity::Error)],
            exit_code: 1,
        };
        let config = match config::read(list.function_config.as_ref(), self.api) {
            Ok(config) => config,
            Err(message) => return fail(message),
        };
        let mut items = list.items.clone();
        let mut objects: Vec<&mut Node> = items.iter_mut().filter_map(|d| d.root.as_mut()).collect();
        match apply::apply(&config.replacements, &mut objects, self.api) {
            Ok(()) => {
                list.items = items;
                Outcome { results: Vec::new(), exit_code: 0 }
            }
            Err(message) => fail(message),
        }
    }
}

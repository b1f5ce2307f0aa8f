//! `starlark` (catalog v0.4.3, v0.5.0 to v0.5.5): runs a Starlark script over the package's
//! resources, as the catalog runs it on go-starlark (kustomize's starlark runtime, forked
//! into the catalog).
//!
//! Configuration: `fn.kpt.dev/v1alpha1 StarlarkRun` with `source` (the script) and `params`
//! (anything; the script reads them from `ctx.resource_list["functionConfig"]["params"]`), or a
//! `ConfigMap` whose `data.source` is the script (its other keys are the params, read from
//! `ctx.resource_list["functionConfig"]["data"]`). The config's `metadata.name` names the
//! script in syntax error messages (default `starlark-function-run`, `stalark-function-run`
//! before v0.5.1). Errors: `FunctionConfig is missing. Expect `ConfigMap` or `StarlarkRun``,
//! `` `functionConfig` must be either /v1, Kind=ConfigMap or fn.kpt.dev/v1alpha1,
//! Kind=StarlarkRun, but we got: … ``, `` `source` must not be empty ``, and the type errors of
//! Go's `encoding/json`.
//!
//! The script sees `ctx`, a struct: `ctx.resource_list` is a mutable dict
//! (`apiVersion`, `kind`, `items`, `functionConfig`), `ctx.environment` a dict (empty here: a
//! builtin does not show the server's environment to scripts), `ctx.open_api` a dict (empty
//! here: kyaml's embedded Kubernetes OpenAPI document is not carried). Scripts change the items
//! in place, or put another list under `items`; what `functionConfig` becomes is ignored. After
//! the script, an input item it kept (the same dict; else a dict with the same kpt id, or file
//! and index, annotations — as kpt matches a function's output to its input) is written back
//! changing only what differs: comments, quoting and key order of the rest stay byte-identical,
//! keys the script added go last in go-yaml's key order. Other items are new, all their keys
//! in that order: where kpt puts them after the catalog function re-marshals its output.
//! Items are not re-sorted. The catalog re-marshals every item, so it also drops quoting that
//! go-yaml would not choose; here untouched text stays as it was.
//!
//! Dialect: go-starlark with the options the catalog turns on (`set`, reassigning globals,
//! `for`/`if` at top level, recursion). `while` loops are read too: see [`while_loop`].
//! `load()` offers the catalog's modules that scripts use: `krmfn.star`, `encoding/json.star`,
//! `encoding/yaml.star`, `encoding/base64.star`, `re.star`, `math.star` (see [`load`]).
//!
//! Results: each `print()` is an info result (the catalog prints to stderr, which a builtin
//! does not have), kept when the run fails. A failing script — an error, `fail("…")` (`fail:
//! …`), a syntax or name error (`<name>:<line>:<column>: …`), a value the catalog cannot write
//! back (a set: `sets aren't yet supported`, with `unmarshaling starlark value: ` per dict
//! around it) — adds one error result, exits 1 and leaves the items as they were. The
//! interpreter is starlark-rust, so the text of runtime, syntax and name errors is its own.
//!
//! Versions: v0.4.3 and v0.5.0 (the 2022 function SDK) read only `v1` ConfigMaps and
//! `fn.kpt.dev/v1alpha1` StarlarkRuns, and `krmfn.match_gvk(r, apiVersion, kind)` compares
//! `apiVersion` and `kind` as written (an empty one of the two matches anything). v0.5.1 on (the
//! 2025 SDK) take any version of the core group's ConfigMap and of `fn.kpt.dev`'s StarlarkRun,
//! and `match_gvk` compares the resource's group, version and kind with group `""`, version
//! `apiVersion`: only a core-group resource (`apiVersion: v1`) can match, as in the catalog.
//!
//! Limits ([`Limits`]), so that a script can neither hang nor crash the server: it runs on a
//! thread of its own with a large stack, with at most 50 million function calls and loop
//! iterations, 512 MiB allocated, 1000 nested calls, 30 s, 256 KiB of source and 1000 levels of
//! nested syntax; the garbage collector is off (it recurses over deep values); values deeper
//! than 200 are not written back. Not stopped: one operation that allocates a huge value at
//! once (`"x" * 2000000000`) — the heap limit is checked between operations.

mod config;
mod context;
mod convert;
mod eval;
mod krmfn;
mod library;
pub mod load;
mod nesting;
mod order;
mod re;
pub mod while_loop;

pub use eval::Limits;

use std::collections::BTreeMap;

use porch_krm::ResourceList;

use crate::result::{FnResult, Severity};
use crate::{Function, Outcome};

/// Which catalog versions' behaviour to follow.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Version {
    /// v0.4.3 and v0.5.0: the 2022 SDK (exact config `apiVersion`s, `match_gvk` by
    /// `apiVersion` text, default name `stalark-function-run`).
    V0_4,
    /// v0.5.1 and on: the 2025 SDK (config group and kind, `match_gvk` by parsed group,
    /// version and kind, default name `starlark-function-run`).
    V0_5_1,
}

/// The function.
#[derive(Debug, Clone)]
pub struct Starlark {
    /// The behaviour followed.
    pub version: Version,
    /// What scripts see as `ctx.environment`.
    pub environment: BTreeMap<String, String>,
    /// How far a script may go.
    pub limits: Limits,
}

impl Starlark {
    /// The function as `version` behaves, with an empty environment and the default limits.
    pub fn new(version: Version) -> Self {
        Self { version, environment: BTreeMap::new(), limits: Limits::default() }
    }
}

impl Function for Starlark {
    fn run(&self, list: &mut ResourceList) -> Outcome {
        let config = match config::Config::read(list.function_config.as_ref(), self.version) {
            Ok(config) => config,
            Err(message) => return failed(Vec::new(), message),
        };
        let input = match convert::input(list, &self.environment) {
            Ok(input) => input,
            Err(message) => return failed(Vec::new(), message),
        };
        let program = eval::Program {
            name: &config.name,
            source: &config.source,
            version: self.version,
            limits: self.limits,
        };
        let run = eval::run(&program, &input);
        let printed = run.printed.into_iter().map(|line| FnResult::general(line, Severity::Info)).collect();
        match run.items {
            Ok(items) => {
                list.items = convert::write_back(&list.items, items);
                Outcome { results: printed, exit_code: 0 }
            }
            Err(message) => failed(printed, message),
        }
    }
}

/// A failed run: what was printed, then the error.
fn failed(mut results: Vec<FnResult>, message: String) -> Outcome {
    results.push(FnResult::general(message, Severity::Error));
    Outcome { results, exit_code: 1 }
}

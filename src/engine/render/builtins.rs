//! The builtin runtime: a function that `porch-functions` implements runs in-process, as Porch
//! runs its builtins. Its results go into the ResourceList's `results`; a function that exits
//! non-zero fails with the SDK's `error: function failure`, one that panics with Porch's
//! `KRM function panicked with: …` (the resources are then as the function left them; render
//! keeps a copy of a step's input where it needs one). Images it does not serve (other tags, other registries,
//! `exec`) are not found here, so the next runtime is asked.

use std::panic::{AssertUnwindSafe, catch_unwind};

use porch_functions::ResourceList;
use porch_functions::catalog::Catalog;
use porch_functions::result::record;

use super::pipeline::PipelineFunction;
use super::runtime::{Exit, RunError, Runtime};

/// The functions built into the server.
#[derive(Debug, Clone)]
pub(crate) struct Builtins {
    catalog: Catalog,
}

impl Builtins {
    /// Builtins under `default_prefix`; `floating_tags`: also answer `latest` and `unstable`.
    pub(crate) fn new(default_prefix: &str, floating_tags: bool) -> Self {
        Self { catalog: Catalog::new(default_prefix, floating_tags) }
    }
}

impl Runtime for Builtins {
    fn run(&self, function: &PipelineFunction, list: &mut ResourceList) -> Result<Exit, RunError> {
        if function.image.is_empty() {
            return Err(RunError::NotFound);
        }
        let builtin = self.catalog.find(&function.image).ok_or(RunError::NotFound)?;
        let outcome = catch_unwind(AssertUnwindSafe(|| builtin.run(list))).map_err(|panic| {
            let why = panic
                .downcast_ref::<&str>()
                .map(|s| (*s).to_string())
                .or_else(|| panic.downcast_ref::<String>().cloned())
                .unwrap_or_default();
            RunError::Failed(format!("KRM function panicked with: {why}"))
        })?;
        record(list, &outcome.results);
        let error =
            if outcome.exit_code == 0 { String::new() } else { "error: function failure".to_string() };
        Ok(Exit { code: outcome.exit_code, stderr: String::new(), error })
    }

    fn keeps_comments(&self) -> bool {
        true
    }

    fn name(&self) -> &'static str {
        "builtin"
    }
}

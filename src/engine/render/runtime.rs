//! Function runtimes and the order they are tried in (kpt's `MultiRuntime`): the first runtime
//! that knows a function runs it; one that does not answers [`RunError::NotFound`] and the next
//! is asked. A function no runtime knows fails with kpt's `function "<image>" not found`.

use std::time::Instant;

use porch_functions::ResourceList;

use super::pipeline::PipelineFunction;
use super::{metrics, restore};

/// How a function run ended, when it ran.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct Exit {
    /// 0 on success.
    pub code: i32,
    /// What the function wrote to stderr.
    pub stderr: String,
    /// Why a run that exited non-zero failed, as kpt reports it (after `func eval "<image>"
    /// failed: `); empty on success.
    pub error: String,
}

/// Why a function did not run.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum RunError {
    /// This runtime does not serve the function; the next one may.
    NotFound,
    /// The runtime serves it but could not run it (the message says why).
    Failed(String),
}

/// Something that runs KRM functions.
pub(crate) trait Runtime: Send + Sync + std::fmt::Debug {
    /// Runs `function` over `list` (its items and `functionConfig`), replacing the items with
    /// the function's output and appending its results to `list.results`. The items are only
    /// used when the exit code is 0.
    fn run(&self, function: &PipelineFunction, list: &mut ResourceList) -> Result<Exit, RunError>;

    /// Whether the runtime edits resources in place, keeping their comments and key order
    /// (else kpt's restoration by id runs around it, see `restore`).
    fn keeps_comments(&self) -> bool {
        false
    }

    /// The runtime's name in metrics (`builtin`, `grpc`, `exec`).
    fn name(&self) -> &'static str {
        "other"
    }
}

/// Runtimes tried in order.
#[derive(Debug, Default)]
pub(crate) struct Runtimes {
    runtimes: Vec<Box<dyn Runtime>>,
}

impl Runtimes {
    /// The chain of `runtimes`, tried first to last.
    pub(crate) fn new(runtimes: Vec<Box<dyn Runtime>>) -> Self {
        Self { runtimes }
    }
}

impl Runtime for Runtimes {
    fn run(&self, function: &PipelineFunction, list: &mut ResourceList) -> Result<Exit, RunError> {
        for runtime in &self.runtimes {
            let started = Instant::now();
            match restore::run(runtime.as_ref(), function, list) {
                Err(RunError::NotFound) => continue,
                other => {
                    metrics::function(&function.image, runtime.name(), started.elapsed());
                    return other;
                }
            }
        }
        Err(RunError::NotFound)
    }
}

//! The render step's frame (porch-api.md §9): run the Kptfile pipelines of a package through a
//! [`FunctionRegistry`], write kpt's `Rendered` condition into the root Kptfile and report a
//! [`RenderStatus`]. The server runs functions through [`super::builtins::Builtins`].

use porch_api::porch::{FunctionResult, FunctionResultList, RenderStatus};

use super::kptfile::{self, KPTFILE, Kptfile};
use super::pipeline::PipelineFunction;
use super::{EngineError, Files};
use crate::engine::Result;

/// Porch's render failure text (PackageRevisionResources update), before the details.
pub(crate) const RENDER_FAILED_PREFIX: &str = "error rendering package in kpt function pipeline. Package NOT pushed \
                                        to remote. Fix locally (until 'kpt fn render' succeeds) and retry. \
                                        Details: ";

/// Which request renders: Porch capitalises the message on PackageRevision updates (§4.2).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum RenderRequest {
    /// Create or PackageRevisionResources update: "error rendering package …".
    Resources,
    /// Draft PackageRevision update: "Error rendering package …".
    DraftUpdate,
}

/// What one function produced.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct FunctionOutput {
    /// The package files after the function (ignored for validators).
    pub files: Files,
    /// The function's result entry for the render status.
    pub result: FunctionResult,
}

/// A function that failed: why, and its result entry when it ran.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct FunctionFailure {
    /// What went wrong (goes after Porch's render failure text).
    pub message: String,
    /// The function's result entry, when it ran and failed.
    pub result: Option<Box<FunctionResult>>,
}

impl FunctionFailure {
    /// A function that did not run.
    pub(crate) fn not_run(message: String) -> Self {
        Self { message, result: None }
    }
}

/// Runs pipeline functions.
pub(crate) trait FunctionRegistry: Send + Sync + std::fmt::Debug {
    /// Runs `function` from the Kptfile of package directory `package_dir` (`""` for the root)
    /// over `files` (the whole package), or says why it cannot.
    fn run(
        &self,
        package_dir: &str,
        function: &PipelineFunction,
        files: &Files,
    ) -> Result<FunctionOutput, FunctionFailure>;
}

/// A successful render: the new files (root Kptfile with `Rendered` True) and the status.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Rendered {
    /// The rendered files.
    pub files: Files,
    /// `status.renderStatus` for the response.
    pub status: RenderStatus,
}

/// The Kptfile pipelines of `files`, nested packages first (kpt's depth-first order), as
/// `(package directory, function, is_mutator)`.
fn pipeline_steps(files: &Files) -> Result<Vec<(String, PipelineFunction, bool)>> {
    let mut dirs: Vec<&str> = files
        .keys()
        .filter_map(|p| if p == KPTFILE { Some("") } else { p.strip_suffix("/Kptfile") })
        .collect();
    // Deeper directories first; the root (depth 0) last.
    dirs.sort_by_key(|d| std::cmp::Reverse(if d.is_empty() { 0 } else { d.matches('/').count() + 1 }));
    let mut steps = Vec::new();
    for dir in dirs {
        let path = if dir.is_empty() { KPTFILE.to_string() } else { format!("{dir}/{KPTFILE}") };
        let pipeline = Kptfile::parse(&path, &files[&path])?.pipeline();
        steps.extend(pipeline.mutators.into_iter().map(|f| (dir.to_string(), f, true)));
        steps.extend(pipeline.validators.into_iter().map(|f| (dir.to_string(), f, false)));
    }
    Ok(steps)
}

/// Renders `files`: runs every pipeline function through `registry`; on success writes
/// `Rendered` True into the root Kptfile and returns the files with the function results. On
/// failure returns [`EngineError::RenderFailed`] with Porch's message and changes nothing. A
/// file set without a root Kptfile is returned as is. Does not mutate `files`.
pub(crate) fn render(
    files: &Files,
    registry: &dyn FunctionRegistry,
    request: RenderRequest,
) -> Result<Rendered> {
    let mut result = FunctionResultList::new();
    let Some(mut root) = kptfile::read_root(files)? else {
        return Ok(Rendered { files: files.clone(), status: RenderStatus { result, error: String::new() } });
    };
    let mut current = files.clone();
    for (dir, function, is_mutator) in pipeline_steps(files)? {
        match registry.run(&dir, &function, &current) {
            Ok(output) => {
                result.items.push(output.result);
                if is_mutator {
                    current = output.files;
                }
            }
            Err(failure) => {
                result.items.extend(failure.result.map(|r| *r));
                let mut message = format!("{RENDER_FAILED_PREFIX}{}", failure.message);
                if request == RenderRequest::DraftUpdate {
                    message.replace_range(..1, "E");
                }
                result.exit_code = 1;
                let status = RenderStatus { result, error: message.clone() };
                return Err(EngineError::RenderFailed { message, status: Box::new(status) });
            }
        }
    }
    if let Some(rendered_root) = kptfile::read_root(&current)? {
        root = rendered_root;
    }
    root.set_rendered(None);
    kptfile::write_root(&mut current, &root);
    Ok(Rendered { files: current, status: RenderStatus { result, error: String::new() } })
}

#[cfg(test)]
#[path = "render_tests.rs"]
mod tests;

//! kpt's render as Porch runs it (porch-api.md §9, render-upgrade.md §1): the Kptfile pipelines
//! of a package and its subpackages run through the function runtimes, and the outcome is
//! recorded in the root Kptfile (`Rendered` condition, `status.renderStatus`) and reported as
//! the PackageRevisionResources `status.renderStatus`.
//!
//! - [`hydrate`]: the walk over the packages (depth-first post-order) and each pipeline;
//! - [`pipeline`]: a Kptfile's pipeline and kpt's checks of it; [`config`]: a step's
//!   `functionConfig`; [`select`]: `selectors` / `exclude`; [`checks`]: KRM-ness and the path
//!   invariants of a function's output; [`krmignore`]: files kpt does not read;
//! - [`runtime`]: function runtimes tried in order; [`builtins`]: the functions built in;
//!   [`restore`]: comments and key order restored after a runtime that rewrites resources;
//!   [`exec`]: binaries named by FunctionConfigs (`--allow-exec`); [`grpc`]: Porch's function
//!   runner (`--function-runner`);
//! - [`status`]: what a render reports; [`metrics`]: render and function durations. Each render
//!   runs in a span, `render`, the child of the engine operation that renders.
//!
//! On failure nothing is returned for storing unless the caller asks for the failed files
//! ([`Failed::files`]: the unrendered input, or the partial output when the root Kptfile says
//! `kpt.dev/save-on-render-failure: "true"`, each with `Rendered` False), which is what Porch
//! commits under `porch.kpt.dev/push-on-render-failure`.

pub(crate) mod builtins;
mod checks;
mod config;
pub(crate) mod exec;
pub(crate) mod grpc;
mod hydrate;
mod krmignore;
mod metrics;
pub(crate) mod pipeline;
mod restore;
pub(crate) mod runtime;
mod select;
mod status;

use porch_api::porch::RenderStatus;
use porch_functions::catalog::Catalog;

use self::builtins::Builtins;
use self::exec::ExecRunner;
use self::grpc::GrpcRunner;
use self::hydrate::Hydration;
use self::runtime::{Runtime, Runtimes};
use super::kptfile::{self, Kptfile};
use super::{EngineError, Files};
use crate::engine::Result;

/// Porch's render failure text (PackageRevisionResources update), before the details.
pub(crate) const RENDER_FAILED_PREFIX: &str = "error rendering package in kpt function pipeline. Package NOT pushed \
                                        to remote. Fix locally (until 'kpt fn render' succeeds) and retry. \
                                        Details: ";

/// The root Kptfile annotation that keeps a failed render's partial output.
const SAVE_ON_RENDER_FAILURE: &str = "kpt.dev/save-on-render-failure";

/// Which request renders: Porch capitalises the message on PackageRevision updates (§4.2).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum RenderRequest {
    /// Create or PackageRevisionResources update: "error rendering package …".
    Resources,
    /// Draft PackageRevision update: "Error rendering package …".
    DraftUpdate,
}

/// The runtimes a render uses, and how images are completed (`--default-image-prefix`).
#[derive(Debug)]
pub(crate) struct Functions {
    runtimes: Runtimes,
    images: Catalog,
}

impl Functions {
    /// `runtimes`, tried in order, for images completed with `default_prefix`.
    pub(crate) fn new(default_prefix: &str, runtimes: Vec<Box<dyn Runtime>>) -> Self {
        Self { runtimes: Runtimes::new(runtimes), images: Catalog::new(default_prefix, false) }
    }

    /// The builtins alone (no function runner: they also answer `latest` and `unstable`).
    pub(crate) fn builtins(default_prefix: &str) -> Self {
        Self::new(default_prefix, vec![Box::new(Builtins::new(default_prefix, true))])
    }

    /// The builtins, then the binaries of FunctionConfigs (`exec`, when allowed), then the
    /// function runner (when there is one). Without a runner the builtins also answer `latest`
    /// and `unstable`.
    pub(crate) fn chain(default_prefix: &str, exec: Option<ExecRunner>, runner: Option<GrpcRunner>) -> Self {
        let mut runtimes: Vec<Box<dyn Runtime>> =
            vec![Box::new(Builtins::new(default_prefix, runner.is_none()))];
        if let Some(exec) = exec {
            runtimes.push(Box::new(exec));
        }
        if let Some(runner) = runner {
            runtimes.push(Box::new(runner));
        }
        Self::new(default_prefix, runtimes)
    }

    /// `image` as kpt completes it (default prefix, `:latest`).
    fn complete(&self, image: &str) -> String {
        self.images.complete(image)
    }
}

/// A successful render: the new files (root Kptfile with `Rendered` True) and the status.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Rendered {
    /// The rendered files.
    pub files: Files,
    /// `status.renderStatus` for the response.
    pub status: RenderStatus,
}

/// A failed render.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Failed {
    /// The files to store if the caller stores a failed render.
    pub files: Files,
}

/// Renders `files` (a package and its subpackages). On success the files with the functions'
/// output and the status; on failure [`EngineError::RenderFailed`] with Porch's message, the
/// status and the [`Failed`] files. A file set without a root Kptfile is returned as is. Does
/// not mutate `files`.
pub(crate) fn render(files: &Files, functions: &Functions, request: RenderRequest) -> Result<Rendered> {
    let _span = tracing::info_span!("render").entered();
    let started = std::time::Instant::now();
    let rendered = render_files(files, functions, request);
    metrics::render(started.elapsed(), rendered.is_ok());
    rendered
}

fn render_files(files: &Files, functions: &Functions, request: RenderRequest) -> Result<Rendered> {
    let Some(root) = kptfile::read_root(files)? else {
        let status = RenderStatus { result: status::Report::new().functions, error: String::new() };
        return Ok(Rendered { files: files.clone(), status });
    };
    let invalid = |e: String| EngineError::invalid(porch_layers::FieldCause::invalid("spec.resources", e));
    let save_on_failure = root.annotation_is_true(SAVE_ON_RENDER_FAILURE);
    let mut hydration = Hydration::new(files, functions, save_on_failure).map_err(invalid)?;
    match hydration.hydrate("") {
        Ok(items) => {
            let written = hydration.write(items, true).map_err(invalid)?;
            let mut out = with_texts(files, hydration.texts(), written);
            let mut kptfile = kptfile::read_root(&out)?.unwrap_or(root);
            hydration.report.write_into(&mut kptfile, None);
            kptfile::write_root(&mut out, &kptfile);
            let status = RenderStatus { result: hydration.report.functions, error: String::new() };
            Ok(Rendered { files: out, status })
        }
        Err(failure) => {
            let kpt_error = format!("fn.render: pkg .:\n\t{}", failure.message);
            let mut failed = if save_on_failure {
                match hydration.write(failure.partial, false) {
                    Ok(written) => with_texts(files, &Default::default(), written),
                    Err(_) => files.clone(),
                }
            } else {
                files.clone()
            };
            let mut kptfile: Kptfile = kptfile::read_root(&failed)?.unwrap_or(root);
            hydration.report.write_into(&mut kptfile, Some(&kpt_error));
            kptfile::write_root(&mut failed, &kptfile);
            let mut message = format!("{RENDER_FAILED_PREFIX}{kpt_error}");
            if request == RenderRequest::DraftUpdate {
                message.replace_range(..1, "E");
            }
            let mut result = hydration.report.functions;
            result.exit_code = 1;
            let status = RenderStatus { result, error: message.clone() };
            Err(EngineError::RenderFailed {
                message,
                status: Box::new(status),
                failed: Box::new(Failed { files: failed }),
            })
        }
    }
}

/// `files` with the resource files kpt read (`read`) replaced by `written`.
fn with_texts(
    files: &Files,
    read: &std::collections::BTreeMap<String, String>,
    written: std::collections::BTreeMap<String, String>,
) -> Files {
    let mut out: Files =
        files.iter().filter(|(p, _)| !read.contains_key(*p)).map(|(p, b)| (p.clone(), b.clone())).collect();
    out.extend(written.into_iter().map(|(p, t)| (p, t.into_bytes())));
    out
}

#[cfg(test)]
mod tests;

#[cfg(test)]
mod builtins_tests;

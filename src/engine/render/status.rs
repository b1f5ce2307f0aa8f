//! What a render reports: the PackageRevisionResources `status.renderStatus` (one kpt
//! `FunctionResult` per function run) and, in the root Kptfile, kpt's `Rendered` condition and
//! `status.renderStatus` (`mutationSteps`, `validationSteps`, `errorSummary`).

use porch_api::porch::{FunctionResult, FunctionResultList, ResultItem};
use serde::Serialize;
use serde_json::Value;

use super::pipeline::PipelineFunction;
use crate::engine::kptfile::Kptfile;

/// One step as the Kptfile's `status.renderStatus` records it (kpt's `PipelineStepResult`).
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct StepResult {
    #[serde(skip_serializing_if = "String::is_empty")]
    name: String,
    #[serde(skip_serializing_if = "String::is_empty")]
    image: String,
    #[serde(rename = "exec", skip_serializing_if = "String::is_empty")]
    exec_path: String,
    #[serde(skip_serializing_if = "String::is_empty")]
    execution_error: String,
    #[serde(skip_serializing_if = "String::is_empty")]
    stderr: String,
    exit_code: i32,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    results: Vec<ResultItem>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    error_results: Vec<ResultItem>,
}

impl StepResult {
    /// A step that ran: its results, and the error ones again under `errorResults`.
    pub(crate) fn ran(function: &PipelineFunction, run: &FunctionResult) -> Self {
        let error_results = run.results.iter().filter(|r| r.severity == "error").cloned().collect();
        Self {
            stderr: run.stderr.clone(),
            exit_code: run.exit_code,
            results: run.results.clone(),
            error_results,
            ..Self::named(function, &run.image)
        }
    }

    /// A step that could not start (exit code 1, `executionError` says why).
    pub(crate) fn not_started(function: &PipelineFunction, image: &str, error: &str) -> Self {
        Self { exit_code: 1, execution_error: error.to_string(), ..Self::named(function, image) }
    }

    fn named(function: &PipelineFunction, image: &str) -> Self {
        Self {
            name: function.name.clone(),
            image: image.to_string(),
            exec_path: function.exec.clone(),
            ..Self::default()
        }
    }

    /// How `errorSummary` names the step: name, else image, else exec.
    fn display_name(&self) -> &str {
        [&self.name, &self.image, &self.exec_path].into_iter().find(|s| !s.is_empty()).map_or("", |s| s)
    }
}

/// Everything one render reports.
#[derive(Debug, Clone, Default, PartialEq)]
pub(crate) struct Report {
    /// One entry per function that ran, for the PackageRevisionResources status.
    pub functions: FunctionResultList,
    /// The mutators' steps, in the order they ran.
    pub mutation_steps: Vec<StepResult>,
    /// The validators' steps, in the order they ran.
    pub validation_steps: Vec<StepResult>,
}

impl Report {
    /// An empty report.
    pub(crate) fn new() -> Self {
        Self { functions: FunctionResultList::new(), ..Self::default() }
    }

    /// The Kptfile's `status.renderStatus`: none when no step ran; `errorSummary` (one line per
    /// failed step) when the render failed.
    fn kptfile_render_status(&self, failed: bool) -> Option<Value> {
        if self.mutation_steps.is_empty() && self.validation_steps.is_empty() {
            return None;
        }
        let mut status = serde_json::Map::new();
        for (key, steps) in
            [("mutationSteps", &self.mutation_steps), ("validationSteps", &self.validation_steps)]
        {
            if !steps.is_empty() {
                status.insert(key.into(), serde_json::to_value(steps).unwrap_or_default());
            }
        }
        if failed {
            let lines: Vec<String> = self
                .mutation_steps
                .iter()
                .chain(&self.validation_steps)
                .filter_map(|s| match (s.execution_error.as_str(), s.exit_code) {
                    ("", 0) => None,
                    ("", code) => Some(format!("{}: exit code {code}", s.display_name())),
                    (error, _) => Some(format!("{}: {error}", s.display_name())),
                })
                .collect();
            if !lines.is_empty() {
                status.insert("errorSummary".into(), Value::String(lines.join("\n")));
            }
        }
        Some(Value::Object(status))
    }

    /// Writes the outcome into the root Kptfile: the `Rendered` condition (`failure`: the
    /// render error) and `status.renderStatus`.
    pub(crate) fn write_into(&self, kptfile: &mut Kptfile, failure: Option<&str>) {
        kptfile.set_rendered(failure);
        kptfile.set_render_status(self.kptfile_render_status(failure.is_some()));
    }
}

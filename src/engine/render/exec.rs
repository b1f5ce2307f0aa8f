//! The exec runtime (`--allow-exec`): an image that a FunctionConfig's `binaryExecutor` names is
//! run as that binary on the server, as the executable evaluator of Porch's function runner runs
//! it (`func/internal/executableevaluator.go`): the binary started directly (no shell, no
//! arguments), the ResourceList as YAML on its stdin, its stdout read back as the output
//! ResourceList. Which binary serves which image is [`matching`]'s; how it is run (timeout,
//! output limit, process group) is [`process`]'s.
//!
//! Kptfile `exec:` steps are not served: Porch renders with kpt's `AllowExec` off, so such a step
//! fails with kpt's "must run with `--allow-exec` option …" whatever this runtime allows. (A path
//! written in a package would let anyone who can push a package run any program on the server;
//! FunctionConfigs are cluster objects that RBAC guards.)
//!
//! An image no FunctionConfig names is not found here, so the next runtime (the function runner)
//! is asked. A binary that exits non-zero, is killed at the timeout or writes more than the
//! output limit is a step that ran and failed, with Porch's `Failed to execute function
//! "<image>": <Go's error> (<stderr>)`; its stderr (up to [`MAX_STDERR`] bytes) is the step's
//! stderr. Its output loses comments and key order, which kpt's restoration by id brings back
//! (`keeps_comments` is false).

pub(crate) mod matching;
pub(crate) mod process;

#[cfg(test)]
mod tests;

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use porch_api::FunctionConfig;
use porch_functions::ResourceList;
use porch_functions::catalog::Catalog;

use self::matching::ImageParts;
use self::process::{Ending, Limits};
use super::pipeline::PipelineFunction;
use super::runtime::{Exit, RunError, Runtime};

/// How long one run may take (as a call to the function runner, see `grpc::DEFAULT_TIMEOUT`).
pub(crate) const DEFAULT_TIMEOUT: Duration = super::grpc::DEFAULT_TIMEOUT;

/// The most stderr kept of one run.
pub(crate) const MAX_STDERR: usize = 64 << 10;

/// Where the runtime reads FunctionConfigs from (the engine's kube client in the server).
pub(crate) trait FunctionConfigs: Send + Sync + std::fmt::Debug {
    /// Every FunctionConfig, of every namespace, or why they cannot be read. Blocks (the
    /// runtime runs on a blocking thread).
    fn function_configs(&self) -> Result<Vec<FunctionConfig>, String>;
}

/// How binaries are found and bounded.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct ExecSettings {
    /// The directory relative `binaryExecutor.path`s are below (`--functions-dir`).
    pub functions_dir: PathBuf,
    /// How long one run may take ([`DEFAULT_TIMEOUT`]).
    pub timeout: Duration,
    /// The most stdout one run may write (`--max-request-body-size`, the function runner's
    /// message limit).
    pub max_output: usize,
}

impl ExecSettings {
    /// Binaries below `functions_dir`, writing up to `max_output` bytes, with the default timeout.
    pub(crate) fn new(functions_dir: &Path, max_output: usize) -> Self {
        Self { functions_dir: functions_dir.to_path_buf(), timeout: DEFAULT_TIMEOUT, max_output }
    }
}

/// The exec runtime.
#[derive(Debug)]
pub(crate) struct ExecRunner {
    configs: Arc<dyn FunctionConfigs>,
    images: Catalog,
    default_prefix: String,
    settings: ExecSettings,
}

impl ExecRunner {
    /// Binaries named by `configs`, for images completed with `default_prefix`.
    pub(crate) fn new(
        configs: Arc<dyn FunctionConfigs>,
        default_prefix: &str,
        settings: ExecSettings,
    ) -> Self {
        Self {
            configs,
            images: Catalog::new(default_prefix, false),
            default_prefix: default_prefix.to_string(),
            settings,
        }
    }

    /// The binary the FunctionConfigs name for `image`, if any: of the matching ones, the first
    /// by namespace and name (Porch keeps one configuration per `spec.image`).
    fn binary_for(&self, image: &str) -> Option<PathBuf> {
        let mut configs = match self.configs.function_configs() {
            Ok(configs) => configs,
            Err(error) => {
                tracing::warn!(%image, %error, "FunctionConfigs cannot be read; the image is not run as a binary");
                return None;
            }
        };
        configs.sort_by(|a, b| {
            (&a.metadata.namespace, &a.metadata.name).cmp(&(&b.metadata.namespace, &b.metadata.name))
        });
        let parts = ImageParts::of(image);
        let config = configs.iter().find(|c| matching::matches(&c.spec, &parts, &self.default_prefix))?;
        let path = config.spec.binary_executor.as_ref()?.path.as_str();
        Some(matching::binary_path(path, &self.settings.functions_dir))
    }
}

impl Runtime for ExecRunner {
    fn run(&self, function: &PipelineFunction, list: &mut ResourceList) -> Result<Exit, RunError> {
        if function.image.is_empty() {
            return Err(RunError::NotFound);
        }
        let image = self.images.complete(&function.image);
        let binary = self.binary_for(&image).ok_or(RunError::NotFound)?;
        let limits = Limits {
            timeout: self.settings.timeout,
            max_output: self.settings.max_output,
            max_stderr: MAX_STDERR,
        };
        let failed = |why: &str, stderr: String| Exit {
            code: 1,
            error: format!("Failed to execute function {image:?}: {why} ({stderr})"),
            stderr,
        };
        let run = match process::run(&binary, list.to_text().into_bytes(), limits) {
            Ok(run) => run,
            Err(e) => return Ok(failed(&start_error(&binary, &e), String::new())),
        };
        match run.ending {
            Ending::Exited(status) if status.success() => {}
            Ending::Exited(status) => {
                let mut exit = failed(&go_exit_error(status), run.stderr);
                exit.code = status.code().filter(|c| *c != 0).unwrap_or(1);
                return Ok(exit);
            }
            Ending::TimedOut => {
                tracing::warn!(%image, binary = %binary.display(), timeout = ?limits.timeout, "function binary killed at its timeout");
                // What Go's exec reports for a process its context killed.
                return Ok(failed("signal: killed", run.stderr));
            }
            Ending::OutputTooLarge => {
                let why = format!("its output is larger than the limit of {} bytes", limits.max_output);
                return Ok(failed(&why, run.stderr));
            }
        }
        let output = std::str::from_utf8(&run.stdout)
            .map_err(|e| e.to_string())
            .and_then(|text| ResourceList::parse(text).map_err(|e| e.to_string()));
        match output {
            Ok(output) => {
                *list = output;
                Ok(Exit { code: 0, stderr: run.stderr, error: String::new() })
            }
            Err(e) => Ok(failed(&format!("its output is not a ResourceList: {e}"), run.stderr)),
        }
    }

    fn name(&self) -> &'static str {
        "exec"
    }
}

/// Why `binary` did not start, as Go's `exec` says it (`fork/exec /f: no such file or directory`).
fn start_error(binary: &Path, error: &std::io::Error) -> String {
    let text = error.to_string();
    let text = text.split(" (os error").next().unwrap_or(&text);
    let mut chars = text.chars();
    let text: String = chars.next().map(|c| c.to_lowercase().chain(chars).collect()).unwrap_or_default();
    format!("fork/exec {}: {text}", binary.display())
}

/// A non-zero exit as Go's `ExitError` says it: `exit status 2`, `signal: killed`.
fn go_exit_error(status: std::process::ExitStatus) -> String {
    use std::os::unix::process::ExitStatusExt;
    if let Some(code) = status.code() {
        return format!("exit status {code}");
    }
    let Some(signal) = status.signal() else { return status.to_string() };
    let name = match signal {
        1 => "hangup",
        2 => "interrupt",
        3 => "quit",
        4 => "illegal instruction",
        6 => "aborted",
        7 => "bus error",
        8 => "floating point exception",
        9 => "killed",
        11 => "segmentation fault",
        13 => "broken pipe",
        14 => "alarm clock",
        15 => "terminated",
        other => return format!("signal: signal {other}"),
    };
    format!("signal: {name}")
}

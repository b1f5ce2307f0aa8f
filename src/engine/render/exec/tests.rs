//! The exec runtime with real processes: shell scripts written here as the function binaries
//! (the runtime itself starts them directly), named by FunctionConfigs of a fixed list.

use std::path::Path;
use std::sync::Arc;
use std::time::{Duration, Instant};

use porch_api::FunctionConfig;
use porch_api::config::{BinaryExecutorConfig, FunctionConfigSpec};

use super::{ExecRunner, ExecSettings, FunctionConfigs};
use crate::engine::render::{Functions, RenderRequest, Rendered, render};
use crate::engine::{EngineError, Files};

const PREFIX: &str = "ghcr.io/kptdev/krm-functions-catalog/";

const DEPLOYMENT: &str = "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: web # the web tier\nspec:\n  \
                          replicas: 2\n";

#[derive(Debug)]
struct Fixed(Vec<FunctionConfig>);

impl FunctionConfigs for Fixed {
    fn function_configs(&self) -> Result<Vec<FunctionConfig>, String> {
        Ok(self.0.clone())
    }
}

/// A FunctionConfig for `image` (tags `v1`) under `prefixes`, running `path`.
fn config(name: &str, image: &str, prefixes: &[&str], path: &Path) -> FunctionConfig {
    let mut config = FunctionConfig::new(
        name,
        FunctionConfigSpec {
            image: image.into(),
            prefixes: prefixes.iter().map(|p| p.to_string()).collect(),
            binary_executor: Some(BinaryExecutorConfig {
                tags: vec!["v1".into()],
                path: path.display().to_string(),
            }),
            ..Default::default()
        },
    );
    config.metadata.namespace = Some("porch-fn-system".into());
    config
}

/// An executable shell script `name` in `dir` with `body`.
fn script(dir: &Path, name: &str, body: &str) -> std::path::PathBuf {
    use std::os::unix::fs::PermissionsExt;
    let path = dir.join(name);
    std::fs::write(&path, format!("#!/bin/sh\n{body}\n")).unwrap();
    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o755)).unwrap();
    path
}

fn functions(configs: Vec<FunctionConfig>, timeout: Duration, max_output: usize) -> Functions {
    let settings = ExecSettings { functions_dir: "/nonexistent".into(), timeout, max_output };
    let exec = ExecRunner::new(Arc::new(Fixed(configs)), PREFIX, settings);
    Functions::chain(PREFIX, Some(exec), None)
}

/// A package whose Kptfile runs `step` (a YAML mapping's lines after `- `) over one Deployment.
fn package(step: &str) -> Files {
    let kptfile = format!(
        "apiVersion: kpt.dev/v1\nkind: Kptfile\nmetadata:\n  name: app\n  annotations:\n    \
         config.kubernetes.io/local-config: \"true\"\npipeline:\n  mutators:\n  - {step}\n"
    );
    [("Kptfile", kptfile.as_str()), ("deployment.yaml", DEPLOYMENT)]
        .into_iter()
        .map(|(p, t)| (p.to_string(), t.as_bytes().to_vec()))
        .collect()
}

fn failure(result: Result<Rendered, EngineError>) -> (String, porch_api::porch::RenderStatus) {
    match result {
        Err(EngineError::RenderFailed { message, status, .. }) => (message, *status),
        other => panic!("expected RenderFailed, got {other:?}"),
    }
}

#[test]
fn a_named_binary_gets_the_resource_list_and_its_output_is_the_result() {
    let dir = tempfile::tempdir().unwrap();
    let bin = script(dir.path(), "scale", "echo scaling >&2\nsed 's/replicas: 2/replicas: 3/'");
    let functions = functions(vec![config("scale", "scale", &[""], &bin)], Duration::from_secs(20), 1 << 20);
    let rendered = render(&package("image: scale:v1"), &functions, RenderRequest::Resources).unwrap();
    let out = String::from_utf8(rendered.files["deployment.yaml"].clone()).unwrap();
    // The comment comes back through kpt's restoration.
    assert_eq!(out, DEPLOYMENT.replace("replicas: 2", "replicas: 3"));
    let step = &rendered.status.result.items[0];
    assert_eq!(step.image, format!("{PREFIX}scale:v1"));
    assert_eq!((step.exit_code, step.stderr.as_str()), (0, "scaling\n"));
}

#[test]
fn a_failing_binary_fails_the_step_with_porchs_message_and_its_stderr() {
    let dir = tempfile::tempdir().unwrap();
    let bin = script(dir.path(), "broken", "cat >/dev/null\necho 'no good' >&2\nexit 3");
    let functions =
        functions(vec![config("broken", "broken", &[""], &bin)], Duration::from_secs(20), 1 << 20);
    let (message, status) =
        failure(render(&package("image: broken:v1"), &functions, RenderRequest::Resources));
    let image = format!("{PREFIX}broken:v1");
    assert!(
        message.ends_with(&format!(
            "func eval {image:?} failed: Failed to execute function {image:?}: exit status 3 (no good\n)"
        )),
        "{message}"
    );
    let step = &status.result.items[0];
    assert_eq!((step.exit_code, step.stderr.as_str()), (3, "no good\n"));
}

#[test]
fn a_binary_that_hangs_is_killed_at_the_timeout_children_included() {
    let dir = tempfile::tempdir().unwrap();
    // The child `sleep` holds stdout open: only killing the group ends the run.
    let bin = script(dir.path(), "hang", "echo waiting >&2\nsleep 30\necho done");
    let functions = functions(vec![config("hang", "hang", &[""], &bin)], Duration::from_millis(500), 1 << 20);
    let started = Instant::now();
    let (message, status) = failure(render(&package("image: hang:v1"), &functions, RenderRequest::Resources));
    assert!(started.elapsed() < Duration::from_secs(10), "{:?}", started.elapsed());
    assert!(message.contains(": signal: killed (waiting\n)"), "{message}");
    assert_eq!(status.result.items[0].exit_code, 1);
}

#[test]
fn output_over_the_limit_ends_the_run() {
    let dir = tempfile::tempdir().unwrap();
    let bin = script(dir.path(), "loud", "cat >/dev/null\nyes 'x: y'");
    let functions = functions(vec![config("loud", "loud", &[""], &bin)], Duration::from_secs(20), 4096);
    let (message, _) = failure(render(&package("image: loud:v1"), &functions, RenderRequest::Resources));
    assert!(message.contains("its output is larger than the limit of 4096 bytes ()"), "{message}");
}

#[test]
fn images_no_function_config_names_are_not_found_and_exec_steps_stay_refused() {
    let dir = tempfile::tempdir().unwrap();
    let bin = script(dir.path(), "scale", "cat");
    let configs = vec![config("scale", "scale", &["example.com/fns"], &bin)];
    let functions = functions(configs, Duration::from_secs(20), 1 << 20);
    // Wrong repository (the default prefix is not among the prefixes), wrong tag.
    for image in ["scale:v1", "example.com/fns/scale:v2"] {
        let (message, _) =
            failure(render(&package(&format!("image: {image}")), &functions, RenderRequest::Resources));
        assert!(message.contains("not found"), "{image}: {message}");
    }
    render(&package("image: example.com/fns/scale:v1"), &functions, RenderRequest::Resources).unwrap();
    let step = format!("exec: {}", bin.display());
    let (message, _) = failure(render(&package(&step), &functions, RenderRequest::Resources));
    assert!(
        message.contains("must run with `--allow-exec` option to allow running function binaries"),
        "{message}"
    );
}

#[test]
fn a_missing_binary_is_a_failed_step_as_go_words_it() {
    let functions = functions(
        vec![config("gone", "gone", &[""], Path::new("/nonexistent/gone"))],
        Duration::from_secs(20),
        1 << 20,
    );
    let (message, _) = failure(render(&package("image: gone:v1"), &functions, RenderRequest::Resources));
    assert!(message.contains(": fork/exec /nonexistent/gone: no such file or directory ()"), "{message}");
}

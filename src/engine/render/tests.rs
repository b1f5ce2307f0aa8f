//! The render contract with scripted runtimes: kpt's order, selection, validators on copies,
//! function configuration, checks, statuses and the failure contract.

use std::sync::Mutex;

use porch_api::porch::ConditionStatus;
use porch_functions::ResourceList;
use porch_krm::annotations;

use super::pipeline::PipelineFunction;
use super::runtime::{Exit, RunError, Runtime};
use super::*;

/// A runtime that runs `f` for every image and logs what each step saw.
struct Script {
    f: fn(&PipelineFunction, &mut ResourceList) -> Result<Exit, RunError>,
    log: Mutex<Vec<String>>,
}

impl std::fmt::Debug for Script {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Script")
    }
}

impl Runtime for Script {
    fn run(&self, function: &PipelineFunction, list: &mut ResourceList) -> Result<Exit, RunError> {
        let seen: Vec<String> = list
            .items
            .iter()
            .filter_map(|d| d.root.as_ref())
            .map(|r| {
                format!(
                    "{}{}",
                    annotations::of(r, annotations::PACKAGE_PATH).unwrap_or("?"),
                    annotations::path_of(r).map(|p| format!(":{p}")).unwrap_or_default()
                )
            })
            .collect();
        self.log.lock().unwrap().push(format!("{} <- {}", function.image, seen.join(" ")));
        (self.f)(function, list)
    }
}

fn functions(
    f: fn(&PipelineFunction, &mut ResourceList) -> Result<Exit, RunError>,
) -> (Functions, &'static Script) {
    let script: &'static Script = Box::leak(Box::new(Script { f, log: Mutex::new(Vec::new()) }));
    let functions =
        Functions::new("ghcr.io/kptdev/krm-functions-catalog/", vec![Box::new(ScriptRef(script))]);
    (functions, script)
}

/// A shared [`Script`] as a runtime.
#[derive(Debug)]
struct ScriptRef(&'static Script);

impl Runtime for ScriptRef {
    fn run(&self, function: &PipelineFunction, list: &mut ResourceList) -> Result<Exit, RunError> {
        self.0.run(function, list)
    }
}

fn ok(_: &PipelineFunction, _: &mut ResourceList) -> Result<Exit, RunError> {
    Ok(Exit::default())
}

/// Sets `data.touched` on every ConfigMap it sees to the step's image.
fn touch(function: &PipelineFunction, list: &mut ResourceList) -> Result<Exit, RunError> {
    for item in list.items.iter_mut().filter_map(|d| d.root.as_mut()) {
        if item.get("kind").and_then(|k| k.as_str()) == Some("ConfigMap") {
            item.mapping_entry("data").unwrap().set_string("touched", &function.image).unwrap();
        }
    }
    Ok(Exit::default())
}

fn kptfile(name: &str, mutators: &[&str]) -> String {
    let mut text = format!("apiVersion: kpt.dev/v1\nkind: Kptfile\nmetadata:\n  name: {name}\n");
    if !mutators.is_empty() {
        text.push_str("pipeline:\n  mutators:\n");
        for m in mutators {
            text.push_str(&format!("  - image: {m}\n"));
        }
    }
    text
}

fn cm(name: &str) -> String {
    format!("apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: {name}\n")
}

fn files(entries: &[(&str, &str)]) -> Files {
    entries.iter().map(|(p, t)| (p.to_string(), t.as_bytes().to_vec())).collect()
}

fn text(files: &Files, path: &str) -> String {
    String::from_utf8(files[path].clone()).unwrap()
}

fn failure(e: EngineError) -> (String, RenderStatus, Files) {
    match e {
        EngineError::RenderFailed { message, status, failed } => (message, *status, failed.files),
        other => panic!("expected RenderFailed, got {other:?}"),
    }
}

const DETAILS: &str = "error rendering package in kpt function pipeline. Package NOT pushed to remote. Fix \
                       locally (until 'kpt fn render' succeeds) and retry. Details: ";

#[test]
fn an_empty_pipeline_checks_krm_and_records_success_in_the_kptfile() {
    let (functions, _) = functions(ok);
    let input = files(&[("Kptfile", &kptfile("pkg", &[])), ("cm.yaml", &cm("a"))]);
    let out = render(&input, &functions, RenderRequest::Resources).unwrap();
    assert_eq!(
        text(&out.files, "Kptfile"),
        "apiVersion: kpt.dev/v1\nkind: Kptfile\nmetadata:\n  name: pkg\nstatus:\n  conditions:\n  \
         - type: Rendered\n    status: \"True\"\n    reason: RenderSuccess\n"
    );
    assert_eq!(out.files["cm.yaml"], input["cm.yaml"]);
    assert!(out.status.result.items.is_empty());

    let input =
        files(&[("Kptfile", &kptfile("pkg", &[])), ("cm.yaml", "kind: ConfigMap\nmetadata:\n  name: a\n")]);
    let (message, _, failed) = failure(render(&input, &functions, RenderRequest::Resources).unwrap_err());
    assert_eq!(
        message,
        format!(
            "{DETAILS}fn.render: pkg .:\n\tpkg.render:\n\tpipeline.run: input resource list must contain only KRM \
             resources: cm.yaml: resource must have `apiVersion`"
        )
    );
    assert_eq!(failed["cm.yaml"], input["cm.yaml"]);
    assert!(text(&failed, "Kptfile").contains("reason: RenderFailed"), "{}", text(&failed, "Kptfile"));
}

#[test]
fn a_previous_failed_rendered_condition_is_replaced() {
    let (functions, _) = functions(ok);
    let mut k = Kptfile::parse("Kptfile", kptfile("pkg", &[]).as_bytes()).unwrap();
    k.set_rendered(Some("old failure"));
    let out = render(&files(&[("Kptfile", &k.to_yaml())]), &functions, RenderRequest::Resources).unwrap();
    let conditions = kptfile::read_root(&out.files).unwrap().unwrap().conditions();
    assert_eq!(conditions.len(), 1);
    assert_eq!((conditions[0].status.clone(), conditions[0].message.as_str()), (ConditionStatus::True, ""));
}

#[test]
fn packages_render_depth_first_post_order_own_resources_first() {
    let (functions, script) = functions(touch);
    let input = files(&[
        ("Kptfile", &kptfile("root", &["root-fn:v1"])),
        ("cm.yaml", &cm("root")),
        ("b/Kptfile", &kptfile("b", &["b-fn:v1"])),
        ("b/cm.yaml", &cm("b")),
        ("b/c/Kptfile", &kptfile("c", &["c-fn:v1"])),
        ("b/c/cm.yaml", &cm("c")),
        ("a/Kptfile", &kptfile("a", &["a-fn:v1"])),
        ("a/deep/cm.yaml", &cm("a")),
    ]);
    let out = render(&input, &functions, RenderRequest::Resources).unwrap();
    let log = script.log.lock().unwrap().clone();
    assert_eq!(
        log,
        [
            "a-fn:v1 <- /a:Kptfile /a:deep/cm.yaml",
            "c-fn:v1 <- /b/c:Kptfile /b/c:cm.yaml",
            "b-fn:v1 <- /b:Kptfile /b:cm.yaml /b/c:Kptfile /b/c:cm.yaml",
            "root-fn:v1 <- /:Kptfile /:cm.yaml /a:Kptfile /a:deep/cm.yaml /b:Kptfile /b:cm.yaml /b/c:Kptfile \
             /b/c:cm.yaml",
        ]
    );
    // The root's function ran last over everything, and wrote into the subpackages' files.
    assert!(text(&out.files, "b/c/cm.yaml").ends_with("data:\n  touched: root-fn:v1\n"));
    assert!(text(&out.files, "a/deep/cm.yaml").contains("touched: root-fn:v1"));
    let images: Vec<_> =
        out.status.result.items.iter().map(|r| r.image.rsplit('/').next().unwrap()).collect();
    assert_eq!(images, ["a-fn:v1", "c-fn:v1", "b-fn:v1", "root-fn:v1"]);
    let root = text(&out.files, "Kptfile");
    assert!(root.contains("renderStatus:\n    mutationSteps:\n    - image: ghcr.io/kptdev/krm-functions-catalog/a-fn:v1\n      exitCode: 0\n"), "{root}");
}

#[test]
fn selectors_and_exclusions_choose_what_a_step_sees() {
    let (functions, script) = functions(touch);
    let k = "apiVersion: kpt.dev/v1\nkind: Kptfile\nmetadata:\n  name: p\npipeline:\n  mutators:\n  \
             - image: pick:v1\n    selectors:\n    - kind: ConfigMap\n    exclude:\n    - name: b\n";
    let input = files(&[("Kptfile", k), ("a.yaml", &cm("a")), ("b.yaml", &cm("b"))]);
    let out = render(&input, &functions, RenderRequest::Resources).unwrap();
    assert_eq!(script.log.lock().unwrap().clone(), ["pick:v1 <- /:a.yaml"]);
    assert!(text(&out.files, "a.yaml").contains("touched"));
    assert_eq!(text(&out.files, "b.yaml"), cm("b"));
    assert!(!text(&out.files, "a.yaml").contains("kpt-resource-id"));
}

#[test]
fn validators_run_on_copies_after_the_mutators() {
    let (functions, _) = functions(touch);
    let k = "apiVersion: kpt.dev/v1\nkind: Kptfile\nmetadata:\n  name: p\npipeline:\n  validators:\n  - image: check:v1\n";
    let input = files(&[("Kptfile", k), ("a.yaml", &cm("a"))]);
    let out = render(&input, &functions, RenderRequest::Resources).unwrap();
    assert_eq!(text(&out.files, "a.yaml"), cm("a"), "a validator's changes are dropped");
    assert!(text(&out.files, "Kptfile").contains("validationSteps:"));
}

#[test]
fn config_path_is_read_from_the_resources_as_earlier_steps_left_them() {
    fn config_echo(function: &PipelineFunction, list: &mut ResourceList) -> Result<Exit, RunError> {
        // The first step changes the config; the second records what it was given.
        let config =
            list.function_config.as_ref().and_then(|c| c.get_path(&["data", "v"])).and_then(|v| v.as_str());
        let seen = config.unwrap_or("none").to_string();
        for item in list.items.iter_mut().filter_map(|d| d.root.as_mut()) {
            if item.get_path(&["metadata", "name"]).and_then(|n| n.as_str()) == Some("cfg") {
                if function.image.starts_with("first") {
                    item.get_path_mut(&["data"]).unwrap().set_string("v", "changed").unwrap();
                } else {
                    item.get_path_mut(&["data"]).unwrap().set_string("seen", &seen).unwrap();
                }
            }
        }
        Ok(Exit::default())
    }
    let (functions, _) = functions(config_echo);
    let k = "apiVersion: kpt.dev/v1\nkind: Kptfile\nmetadata:\n  name: p\npipeline:\n  mutators:\n  \
             - image: first:v1\n    configPath: cfg.yaml\n  - image: second:v1\n    configPath: ./cfg.yaml\n";
    let cfg = "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: cfg\ndata:\n  v: original\n";
    let out =
        render(&files(&[("Kptfile", k), ("cfg.yaml", cfg)]), &functions, RenderRequest::Resources).unwrap();
    assert!(
        text(&out.files, "cfg.yaml").ends_with("  v: changed\n  seen: changed\n"),
        "{}",
        text(&out.files, "cfg.yaml")
    );

    let missing = k.replace("./cfg.yaml", "nowhere.yaml");
    let (message, _, _) = failure(
        render(&files(&[("Kptfile", &missing), ("cfg.yaml", cfg)]), &functions, RenderRequest::Resources)
            .unwrap_err(),
    );
    assert!(message.ends_with("pipeline.run: missing function config \"nowhere.yaml\""), "{message}");
}

#[test]
fn output_outside_the_package_or_at_a_taken_place_fails() {
    fn escape(_: &PipelineFunction, list: &mut ResourceList) -> Result<Exit, RunError> {
        annotations::set(&mut list.items[0], annotations::PATH, "../x.yaml").unwrap();
        Ok(Exit::default())
    }
    let (functions, _) = functions(escape);
    let input = files(&[("Kptfile", &kptfile("p", &["esc:v1"])), ("a.yaml", &cm("a"))]);
    let (message, _, _) = failure(render(&input, &functions, RenderRequest::Resources).unwrap_err());
    assert!(
        message
            .ends_with("function must not modify resources outside of package: resource has path ../x.yaml"),
        "{message}"
    );
}

#[test]
fn krmignored_files_are_not_resources_and_pass_through() {
    let (functions, script) = functions(touch);
    let input = files(&[
        ("Kptfile", &kptfile("p", &["t:v1"])),
        (".krmignore", "templates/\n"),
        ("templates/cm.yaml", "not: [valid"),
        ("a.yaml", &cm("a")),
    ]);
    let out = render(&input, &functions, RenderRequest::Resources).unwrap();
    assert_eq!(script.log.lock().unwrap().clone(), ["t:v1 <- /:Kptfile /:a.yaml"]);
    assert_eq!(text(&out.files, "templates/cm.yaml"), "not: [valid");
}

#[test]
fn unknown_functions_and_exec_fail_before_running_with_kpts_words() {
    let (functions, _) = functions(|_, _| Err(RunError::NotFound));
    let input = files(&[("Kptfile", &kptfile("p", &["gcr.io/kpt-fn/no-such-fn:v1"])), ("a.yaml", &cm("a"))]);
    let (message, status, failed) =
        failure(render(&input, &functions, RenderRequest::Resources).unwrap_err());
    assert_eq!(
        message,
        format!(
            "{DETAILS}fn.render: pkg .:\n\tpkg.render:\n\tpipeline.run: function \"gcr.io/kpt-fn/no-such-fn:v1\" not found"
        )
    );
    assert_eq!(status.result.exit_code, 1);
    assert_eq!(failed["a.yaml"], input["a.yaml"]);
    let k = text(&failed, "Kptfile");
    assert!(k.contains("executionError: function \"gcr.io/kpt-fn/no-such-fn:v1\" not found"), "{k}");
    assert!(
        k.contains(r#"errorSummary: "gcr.io/kpt-fn/no-such-fn:v1: function \"gcr.io/kpt-fn/no-such-fn:v1\" not found""#),
        "{k}"
    );

    let exec = "apiVersion: kpt.dev/v1\nkind: Kptfile\nmetadata:\n  name: p\npipeline:\n  mutators:\n  - exec: ./fn\n";
    let (message, _, _) =
        failure(render(&files(&[("Kptfile", exec)]), &functions, RenderRequest::DraftUpdate).unwrap_err());
    assert!(message.starts_with("Error rendering package"), "{message}");
    assert!(
        message.ends_with("must run with `--allow-exec` option to allow running function binaries"),
        "{message}"
    );

    let bad = kptfile("p", &["Not/An/Image"]);
    let (message, _, _) =
        failure(render(&files(&[("Kptfile", &bad)]), &functions, RenderRequest::Resources).unwrap_err());
    assert!(message.contains("invalid pipeline: function \"Not/An/Image\": Kptfile is invalid:\nField: `pipeline.mutators[0].image`"), "{message}");
}

#[test]
fn a_failed_subpackage_names_itself_and_save_on_render_failure_keeps_partial_output() {
    fn fail_second(function: &PipelineFunction, list: &mut ResourceList) -> Result<Exit, RunError> {
        if function.image.starts_with("bad") {
            return Ok(Exit { code: 1, stderr: "boom\n".into(), error: "error: function failure".into() });
        }
        touch(function, list)
    }
    let (functions, _) = functions(fail_second);
    let root = "apiVersion: kpt.dev/v1\nkind: Kptfile\nmetadata:\n  name: root\n  annotations:\n    \
                kpt.dev/save-on-render-failure: \"true\"\n";
    let input = files(&[
        ("Kptfile", root),
        ("cm.yaml", &cm("root")),
        ("sub/Kptfile", &kptfile("sub", &["good:v1", "bad:v1"])),
        ("sub/cm.yaml", &cm("sub")),
        ("zzz/Kptfile", &kptfile("zzz", &["good:v1"])),
        ("zzz/cm.yaml", &cm("zzz")),
    ]);
    let (message, status, failed) =
        failure(render(&input, &functions, RenderRequest::Resources).unwrap_err());
    assert!(
        message.ends_with(
            "fn.render: pkg .:\n\tpkg.render:\n\tpkg ./sub:\n\tpkg.render:\n\tpipeline.run: func eval \
             \"ghcr.io/kptdev/krm-functions-catalog/bad:v1\" failed: error: function failure"
        ),
        "{message}"
    );
    assert_eq!(status.result.items.len(), 2);
    assert_eq!(status.result.items[1].stderr, "boom\n");
    // The first step's output is kept; the package after the failure was not reached.
    assert!(text(&failed, "sub/cm.yaml").contains("touched: good:v1"));
    assert_eq!(text(&failed, "zzz/cm.yaml"), cm("zzz"));
    let k = text(&failed, "Kptfile");
    assert!(k.contains("reason: RenderFailed"), "{k}");
    assert!(k.contains(r#"errorSummary: "ghcr.io/kptdev/krm-functions-catalog/bad:v1: exit code 1""#), "{k}");

    // Without the annotation, the failed files are the input with the failed status.
    let plain = files(&[
        ("Kptfile", &kptfile("root", &[])),
        ("sub/Kptfile", &kptfile("sub", &["good:v1", "bad:v1"])),
        ("sub/cm.yaml", &cm("sub")),
    ]);
    let (_, _, failed) = failure(render(&plain, &functions, RenderRequest::Resources).unwrap_err());
    assert_eq!(text(&failed, "sub/cm.yaml"), cm("sub"));
}

#[test]
fn files_without_a_root_kptfile_are_returned_unchanged() {
    let (functions, _) = functions(ok);
    let input = files(&[("sub/Kptfile", &kptfile("sub", &["x:v1"]))]);
    let out = render(&input, &functions, RenderRequest::Resources).unwrap();
    assert_eq!(out.files, input);
}

#[test]
fn a_failing_validator_fails_the_render_after_the_mutators_ran() {
    fn reject(function: &PipelineFunction, list: &mut ResourceList) -> Result<Exit, RunError> {
        if function.image.starts_with("check") {
            list.results = Some(porch_krm::Node::sequence());
            let item = porch_krm::parse("message: replicas must be set\nseverity: error\n")
                .unwrap()
                .documents
                .remove(0)
                .root
                .unwrap();
            list.results.as_mut().unwrap().push(item).unwrap();
            return Ok(Exit { code: 1, stderr: String::new(), error: "error: function failure".into() });
        }
        touch(function, list)
    }
    let (functions, _) = functions(reject);
    let k = "apiVersion: kpt.dev/v1\nkind: Kptfile\nmetadata:\n  name: p\npipeline:\n  mutators:\n  - image: fix:v1\n  \
             validators:\n  - image: check:v1\n";
    let input = files(&[("Kptfile", k), ("a.yaml", &cm("a"))]);
    let (message, status, failed) =
        failure(render(&input, &functions, RenderRequest::Resources).unwrap_err());
    assert!(
        message.ends_with(
            "func eval \"ghcr.io/kptdev/krm-functions-catalog/check:v1\" failed: error: function failure"
        ),
        "{message}"
    );
    assert_eq!(status.result.items.len(), 2);
    assert_eq!(status.result.items[1].results[0].message, "replicas must be set");
    let k = text(&failed, "Kptfile");
    assert!(k.contains("validationSteps:\n    - image: ghcr.io/kptdev/krm-functions-catalog/check:v1\n      exitCode: 1\n      results:\n      - message: replicas must be set\n        severity: error\n      errorResults:\n"), "{k}");
}

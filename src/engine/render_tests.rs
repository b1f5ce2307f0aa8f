use porch_api::porch::ConditionStatus;

use super::*;

/// The registry with no functions: every function fails to run.
#[derive(Debug, Clone, Copy, Default)]
pub(crate) struct NoFunctions;

impl FunctionRegistry for NoFunctions {
    fn run(
        &self,
        _dir: &str,
        function: &PipelineFunction,
        _files: &Files,
    ) -> Result<FunctionOutput, FunctionFailure> {
        Err(FunctionFailure::not_run(format!(
            "function {:?} cannot run: no function runtime is available",
            display_name(function)
        )))
    }
}

/// The image, or the exec path when there is no image.
fn display_name(function: &PipelineFunction) -> &str {
    if function.image.is_empty() { &function.exec } else { &function.image }
}

const PLAIN: &str = "apiVersion: kpt.dev/v1\nkind: Kptfile\nmetadata:\n  name: pkg\n";
const WITH_PIPELINE: &str = "apiVersion: kpt.dev/v1\nkind: Kptfile\nmetadata:\n  name: pkg\npipeline:\n  \
                             mutators:\n  - image: ghcr.io/kptdev/krm-functions-catalog/set-namespace:v0.4\n";

fn files(kptfile: &str) -> Files {
    Files::from([
        ("Kptfile".to_string(), kptfile.as_bytes().to_vec()),
        ("cm.yaml".to_string(), b"kind: ConfigMap\n".to_vec()),
    ])
}

/// A registry whose every function succeeds and adds a file, to exercise the frame.
#[derive(Debug)]
struct Touch;

impl FunctionRegistry for Touch {
    fn run(&self, dir: &str, f: &PipelineFunction, files: &Files) -> Result<FunctionOutput, FunctionFailure> {
        let mut files = files.clone();
        files.insert(format!("{dir}touched-by-{}", display_name(f)), Vec::new());
        Ok(FunctionOutput { files, result: FunctionResult { image: f.image.clone(), ..Default::default() } })
    }
}

#[test]
fn an_empty_pipeline_renders_and_records_success_in_the_kptfile() {
    let out = render(&files(PLAIN), &NoFunctions, RenderRequest::Resources).unwrap();
    assert_eq!(
        String::from_utf8(out.files["Kptfile"].clone()).unwrap(),
        "apiVersion: kpt.dev/v1\nkind: Kptfile\nmetadata:\n  name: pkg\nstatus:\n  conditions:\n  \
         - type: Rendered\n    status: \"True\"\n    reason: RenderSuccess\n"
    );
    assert_eq!(out.files["cm.yaml"], files(PLAIN)["cm.yaml"]);
    assert_eq!(out.status, RenderStatus { result: FunctionResultList::new(), error: String::new() });
}

#[test]
fn a_previous_failed_rendered_condition_is_replaced() {
    let mut kptfile = Kptfile::parse("Kptfile", PLAIN.as_bytes()).unwrap();
    kptfile.set_rendered(Some("old failure"));
    let out = render(&files(&kptfile.to_yaml()), &NoFunctions, RenderRequest::Resources).unwrap();
    let conditions = kptfile::read_root(&out.files).unwrap().unwrap().conditions();
    assert_eq!(conditions.len(), 1);
    assert_eq!((conditions[0].status.clone(), conditions[0].message.as_str()), (ConditionStatus::True, ""));
}

#[test]
fn a_pipeline_naming_a_function_fails_with_porchs_message_and_changes_nothing() {
    let input = files(WITH_PIPELINE);
    let e = render(&input, &NoFunctions, RenderRequest::Resources).unwrap_err();
    assert_eq!(
        e.to_string(),
        "error rendering package in kpt function pipeline. Package NOT pushed to remote. Fix locally (until \
         'kpt fn render' succeeds) and retry. Details: function \
         \"ghcr.io/kptdev/krm-functions-catalog/set-namespace:v0.4\" cannot run: no function runtime is \
         available"
    );
    let EngineError::RenderFailed { status, .. } = e else { panic!("expected RenderFailed") };
    assert_eq!(status.error, status.error.trim());
    assert_eq!(status.result.exit_code, 1);
    assert_eq!(input, files(WITH_PIPELINE));
}

#[test]
fn a_draft_update_render_failure_is_capitalised_as_in_porch() {
    let e = render(&files(WITH_PIPELINE), &NoFunctions, RenderRequest::DraftUpdate).unwrap_err();
    assert!(
        e.to_string().starts_with("Error rendering package in kpt function pipeline. Package NOT pushed")
    );
}

#[test]
fn a_function_in_a_subpackage_also_fails_the_render() {
    let mut input = files(PLAIN);
    input.insert("sub/Kptfile".into(), WITH_PIPELINE.as_bytes().to_vec());
    let e = render(&input, &NoFunctions, RenderRequest::Resources).unwrap_err();
    assert!(matches!(e, crate::engine::EngineError::RenderFailed { .. }), "{e:?}");
}

#[test]
fn functions_run_subpackages_first_and_mutators_change_the_files() {
    let mut input = files(WITH_PIPELINE);
    input.insert("sub/Kptfile".into(), WITH_PIPELINE.replace("set-namespace:v0.4", "sub-fn").into_bytes());
    let out = render(&input, &Touch, RenderRequest::Resources).unwrap();
    let images: Vec<_> =
        out.status.result.items.iter().map(|r| r.image.rsplit('/').next().unwrap()).collect();
    assert_eq!(images, ["sub-fn", "set-namespace:v0.4"]);
    assert!(out.files.keys().any(|k| k.starts_with("subtouched-by-") || k.starts_with("sub/")));
    assert_eq!(out.status.result.exit_code, 0);
}

#[test]
fn files_without_a_root_kptfile_are_returned_unchanged() {
    let input = Files::from([("sub/Kptfile".to_string(), PLAIN.as_bytes().to_vec())]);
    let out = render(&input, &NoFunctions, RenderRequest::Resources).unwrap();
    assert_eq!(out.files, input);
}

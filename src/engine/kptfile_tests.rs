use porch_layers::CauseReason;

use super::*;

fn lock() -> GitLock {
    GitLock {
        repo: "https://example.com/blueprints.git".into(),
        directory: "basens".into(),
        ref_: "basens/v1".into(),
        commit: "0123456789abcdef0123456789abcdef01234567".into(),
    }
}

fn condition(type_: &str, status: ConditionStatus) -> Condition {
    Condition { type_: type_.into(), status, reason: "Because".into(), message: String::new() }
}

const UNORDERED: &str = "status:\n  conditions:\n  - type: Ready\n    status: \"True\"\nx-extra: kept\n\
                         info:\n  description: d\nkind: Kptfile\nmetadata:\n  annotations:\n    a: b\n  \
                         name: pkg\napiVersion: kpt.dev/v1\n";

#[test]
fn a_new_kptfile_with_info_is_written_like_kpt_pkg_init() {
    let mut k = Kptfile::new("testpkg");
    k.set_annotation(LOCAL_CONFIG_ANNOTATION, "true");
    k.set_info("http://kpt.dev/testpkg", "test package", &["test".into(), "kpt".into()]);
    assert_eq!(
        k.to_yaml(),
        "apiVersion: kpt.dev/v1\nkind: Kptfile\nmetadata:\n  name: testpkg\n  annotations:\n    \
         config.kubernetes.io/local-config: \"true\"\ninfo:\n  site: http://kpt.dev/testpkg\n  \
         description: test package\n  keywords:\n  - test\n  - kpt\n"
    );
}

#[test]
fn writing_puts_known_keys_in_kpts_order_and_keeps_unknown_ones() {
    let k = Kptfile::parse(KPTFILE, UNORDERED.as_bytes()).unwrap();
    assert_eq!(
        k.to_yaml(),
        "apiVersion: kpt.dev/v1\nkind: Kptfile\nmetadata:\n  name: pkg\n  annotations:\n    a: b\n\
         info:\n  description: d\nstatus:\n  conditions:\n  - type: Ready\n    status: \"True\"\n\
         x-extra: kept\n"
    );
    let again = Kptfile::parse(KPTFILE, k.to_yaml().as_bytes()).unwrap();
    assert_eq!(again.to_yaml(), k.to_yaml());
}

#[test]
fn package_metadata_is_merged_on_create_and_replaced_on_update() {
    let mut k = Kptfile::parse(KPTFILE, UNORDERED.as_bytes()).unwrap();
    let given = PackageMetadata {
        labels: BTreeMap::from([("team".into(), "blue".into())]),
        annotations: BTreeMap::from([("c".into(), "d".into())]),
    };
    k.merge_package_metadata(&given);
    let merged = k.package_metadata();
    assert_eq!(merged.labels, given.labels);
    assert_eq!(merged.annotations.keys().collect::<Vec<_>>(), ["a", "c"]);
    k.replace_package_metadata(&given);
    assert_eq!(k.package_metadata(), given);
    k.replace_package_metadata(&PackageMetadata::default());
    assert!(!k.to_yaml().contains("labels") && !k.to_yaml().contains("annotations"));
}

#[test]
fn readiness_gates_sync_into_info_and_read_back() {
    let mut k = Kptfile::new("pkg");
    k.set_readiness_gates(&[]);
    assert!(!k.to_yaml().contains("info"));
    let gates = vec![ReadinessGate { condition_type: "Ready".into() }];
    k.set_readiness_gates(&gates);
    assert_eq!(k.readiness_gates(), gates);
    assert!(k.to_yaml().ends_with("info:\n  readinessGates:\n  - conditionType: Ready\n"));
}

#[test]
fn a_non_empty_condition_list_replaces_the_whole_status_conditions() {
    let mut k = Kptfile::parse(KPTFILE, UNORDERED.as_bytes()).unwrap();
    k.replace_conditions(&[]);
    assert_eq!(k.conditions().len(), 1);
    let new = vec![condition("Other", ConditionStatus::False)];
    k.replace_conditions(&new);
    assert_eq!(k.conditions(), new);
}

#[test]
fn the_rendered_condition_replaces_the_previous_one_in_place() {
    let mut k = Kptfile::new("pkg");
    k.set_condition(condition("Ready", ConditionStatus::True));
    k.set_rendered(Some("failed: x"));
    k.set_condition(condition("Later", ConditionStatus::True));
    k.set_rendered(None);
    let types: Vec<_> = k.conditions().into_iter().map(|c| (c.type_, c.status)).collect();
    assert_eq!(
        types,
        [
            ("Ready".to_string(), ConditionStatus::True),
            ("Rendered".to_string(), ConditionStatus::True),
            ("Later".to_string(), ConditionStatus::True)
        ]
    );
    assert!(k.to_yaml().contains("  - type: Rendered\n    status: \"True\"\n    reason: RenderSuccess\n"));
}

#[test]
fn a_failed_render_condition_carries_the_message() {
    let mut k = Kptfile::new("pkg");
    k.set_rendered(Some("pipeline failed"));
    assert_eq!(
        k.to_yaml(),
        "apiVersion: kpt.dev/v1\nkind: Kptfile\nmetadata:\n  name: pkg\nstatus:\n  conditions:\n  \
         - type: Rendered\n    status: \"False\"\n    reason: RenderFailed\n    message: pipeline failed\n"
    );
}

#[test]
fn upstream_and_lock_are_written_before_info_in_kpts_shape() {
    let mut k = Kptfile::new("pkg");
    k.set_info("", "d", &[]);
    k.set_upstream_lock(&lock());
    k.set_upstream(&lock(), Some("resource-merge"));
    assert_eq!(
        k.to_yaml(),
        "apiVersion: kpt.dev/v1\nkind: Kptfile\nmetadata:\n  name: pkg\nupstream:\n  type: git\n  git:\n    \
         repo: https://example.com/blueprints.git\n    directory: basens\n    ref: basens/v1\n  \
         updateStrategy: resource-merge\nupstreamLock:\n  type: git\n  git:\n    \
         repo: https://example.com/blueprints.git\n    directory: basens\n    ref: basens/v1\n    \
         commit: 0123456789abcdef0123456789abcdef01234567\ninfo:\n  description: d\n"
    );
    assert_eq!(k.upstream_lock().and_then(|l| l.git), Some(lock()));
}

#[test]
fn a_kptfile_that_is_not_a_mapping_is_a_422_on_its_path() {
    let e = Kptfile::parse("sub/Kptfile", b"- a\n- b\n").unwrap_err();
    let EngineError::Invalid { causes } = EngineError::from(e) else { panic!("expected Invalid") };
    assert_eq!(causes[0].field, "spec.resources[sub/Kptfile]");
    assert_eq!(causes[0].reason, CauseReason::FieldValueInvalid);
    assert!(Kptfile::parse(KPTFILE, b"a: [unclosed\n").is_err());
}

#[test]
fn the_pipeline_lists_mutators_and_validators_counting_odd_entries() {
    let text = "apiVersion: kpt.dev/v1\nkind: Kptfile\nmetadata:\n  name: p\npipeline:\n  mutators:\n  \
                - image: set-namespace:v0.4\n    configMap:\n      namespace: x\n  - exec: ./fn\n  \
                validators:\n  - image: [odd]\n";
    let pipeline = Kptfile::parse(KPTFILE, text.as_bytes()).unwrap().pipeline();
    assert_eq!(pipeline.mutators.len(), 2);
    assert_eq!(pipeline.mutators[0].image, "set-namespace:v0.4");
    assert_eq!(pipeline.mutators[0].config_map, [("namespace".to_string(), "x".to_string())].into());
    assert_eq!(pipeline.mutators[1].exec, "./fn");
    assert_eq!(pipeline.validators, [PipelineFunction::default()]);
    assert_eq!(Kptfile::new("p").pipeline(), Pipeline::default());
}

#[test]
fn the_root_kptfile_is_read_from_and_written_to_a_file_set() {
    let mut files = Files::from([("sub/Kptfile".to_string(), b"kind: Kptfile\n".to_vec())]);
    assert_eq!(read_root(&files), Ok(None));
    write_root(&mut files, &Kptfile::new("pkg"));
    assert_eq!(read_root(&files).unwrap().unwrap().name(), "pkg");
}

#[test]
fn only_a_kpt_dev_v1_kptfile_passes_the_check() {
    assert_eq!(
        check_kptfile(KPTFILE, b"apiVersion: kpt.dev/v1\nkind: Kptfile\nmetadata:\n  name: p\n"),
        Ok(())
    );
    let problem = |text: &str| check_kptfile(KPTFILE, text.as_bytes()).unwrap_err().to_string();
    assert_eq!(problem(""), "invalid Kptfile Kptfile: the Kptfile is empty");
    assert_eq!(problem("# only a comment\n"), "invalid Kptfile Kptfile: the Kptfile is empty");
    assert_eq!(problem("{}"), "invalid Kptfile Kptfile: the Kptfile is empty");
    assert_eq!(
        problem("apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: c\n"),
        "invalid Kptfile Kptfile: unknown resource type \"/v1, Kind=ConfigMap\" found in Kptfile"
    );
    assert_eq!(
        problem("apiVersion: apps/v1\nkind: Kptfile\n"),
        "invalid Kptfile Kptfile: unknown resource type \"apps/v1, Kind=Kptfile\" found in Kptfile"
    );
    assert_eq!(
        problem("metadata:\n  name: p\n"),
        "invalid Kptfile Kptfile: unknown resource type \"/, Kind=\" found in Kptfile"
    );
    assert_eq!(
        problem("apiVersion: kpt.dev/v1alpha2\nkind: Kptfile\n"),
        "invalid Kptfile Kptfile: old resource version \"v1alpha2\" found in Kptfile"
    );
    assert_eq!(
        problem("apiVersion: a/b/c\nkind: Kptfile\n"),
        "invalid Kptfile Kptfile: unexpected GroupVersion string: a/b/c"
    );
    assert_eq!(problem("- a list\n"), "invalid Kptfile Kptfile: the document is not a mapping");
}

#[test]
fn numbers_are_written_as_numbers() {
    let mut k =
        Kptfile::parse("Kptfile", b"apiVersion: kpt.dev/v1\nkind: Kptfile\nmetadata:\n  name: p\n").unwrap();
    k.set_render_status(Some(serde_json::json!({"mutationSteps": [{"image": "x", "exitCode": 0}]})));
    assert!(
        k.to_yaml().contains("  renderStatus:\n    mutationSteps:\n    - image: x\n      exitCode: 0\n"),
        "{}",
        k.to_yaml()
    );
}

use porch_api::porch::PackageRevisionLifecycle;
use porch_layers::CauseReason;
use porch_layers::object_meta::names::DNS1123_LABEL_ERROR_MSG;

use super::*;

fn revision(package: &str, workspace: &str) -> PackageRevision {
    let mut pr = PackageRevision::default();
    pr.spec.package_name = package.into();
    pr.spec.workspace_name = workspace.into();
    pr.spec.repository_name = "repo".into();
    pr
}

fn with_latest(mut pr: PackageRevision, value: &str) -> PackageRevision {
    pr.metadata.labels = Some(BTreeMap::from([(LATEST_REVISION_LABEL.to_string(), value.to_string())]));
    pr
}

#[test]
fn a_valid_create_request_has_no_causes() {
    assert!(validate_create(&revision("a/b/pkg", "ws-1")).is_empty());
}

#[test]
fn setting_the_latest_label_on_create_is_forbidden() {
    let causes = validate_create(&with_latest(revision("pkg", "ws"), "false"));
    assert_eq!(causes.len(), 1);
    assert_eq!(causes[0].reason, CauseReason::FieldValueForbidden);
    assert_eq!(
        causes[0].to_string(),
        "metadata.labels[kpt.dev/latest-revision]: Forbidden: label is managed by porch and cannot be set \
         by users"
    );
}

#[test]
fn create_reports_every_bad_field_in_porchs_order() {
    let mut pr = with_latest(revision("a//Pkg", "Bad_WS"), "true");
    pr.spec.lifecycle = Some(PackageRevisionLifecycle::Proposed);
    let fields: Vec<_> = validate_create(&pr).into_iter().map(|c| c.field).collect();
    assert_eq!(
        fields,
        [LATEST_LABEL_FIELD, "spec.packageName", "spec.workspaceName", "spec.lifecycle"].map(String::from)
    );
}

#[test]
fn a_package_name_must_be_a_directory_name() {
    let cause = check_package_name("a//b").unwrap();
    assert_eq!(
        cause.to_string(),
        "spec.packageName: Invalid value: \"a//b\": consecutive '/' characters are not allowed"
    );
    assert!(check_package_name("").is_some());
    assert!(check_package_name("nested/path/pkg").is_none());
    for (name, want) in [
        ("/abs", "spec.packageName: Invalid value: \"/abs\": must not start or end with '/'"),
        ("abs/", "spec.packageName: Invalid value: \"abs/\": must not start or end with '/'"),
        (
            "/a//b",
            "spec.packageName: Invalid value: \"/a//b\": consecutive '/' characters are not allowed,must not \
             start or end with '/'",
        ),
    ] {
        assert_eq!(check_package_name(name).map(|c| c.to_string()).as_deref(), Some(want), "{name}");
    }
}

#[test]
fn a_workspace_name_must_be_a_dns_label() {
    let cause = check_workspace_name("My_WS").unwrap();
    assert_eq!(
        cause.to_string(),
        format!("spec.workspaceName: Invalid value: \"My_WS\": {DNS1123_LABEL_ERROR_MSG}")
    );
    assert_eq!(check_workspace_name("v1.2").unwrap().message, "\"v1.2\": must not contain dots");
    assert!(check_workspace_name("v1").is_none());
}

#[test]
fn adding_changing_or_removing_the_latest_label_on_update_is_forbidden() {
    let plain = revision("pkg", "ws");
    let latest = with_latest(revision("pkg", "ws"), "true");
    let other = with_latest(revision("pkg", "ws"), "false");
    for (old, new) in [(&plain, &latest), (&latest, &plain), (&latest, &other)] {
        let causes = validate_update(old, new);
        assert_eq!(
            causes.iter().map(ToString::to_string).collect::<Vec<_>>(),
            ["metadata.labels[kpt.dev/latest-revision]: Forbidden: label is managed by porch and cannot be \
              modified by users"]
        );
    }
    assert!(validate_update(&latest, &latest).is_empty());
}

#[test]
fn update_validation_includes_the_lifecycle_rules() {
    let old = revision("pkg", "ws");
    let mut new = old.clone();
    new.spec.lifecycle = Some(PackageRevisionLifecycle::Published);
    assert_eq!(validate_update(&old, &new)[0].field, "spec.lifecycle");
}

#[test]
fn a_missing_repository_is_a_bad_request_with_porchs_text() {
    let mut pr = revision("pkg", "ws");
    assert_eq!(require_repository(&pr.spec), Ok(()));
    pr.spec.repository_name.clear();
    let e = require_repository(&pr.spec).unwrap_err();
    assert!(matches!(e, EngineError::BadRequest { .. }), "{e:?}");
    assert_eq!(e.to_string(), "spec.repositoryName is required");
}

#[test]
fn an_update_without_resource_version_names_the_field() {
    let mut meta = ObjectMeta::default();
    let EngineError::Invalid { causes } = require_resource_version(&meta).unwrap_err() else {
        panic!("expected Invalid");
    };
    assert_eq!(
        causes[0].to_string(),
        "metadata.resourceVersion: Required value: resourceVersion must be specified for an update"
    );
    meta.resource_version = Some("42".into());
    assert_eq!(require_resource_version(&meta), Ok(()));
}

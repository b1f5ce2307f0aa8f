//! JSON -> type -> JSON must give back the same document for realistic objects of every kind.

use std::path::PathBuf;

use porch_api::config::{PackageRev, Repository};
use porch_api::porch::{
    FunctionResultList, PackageRevision, PackageRevisionLifecycle, PackageRevisionList,
    PackageRevisionResources, PorchPackage, TaskType,
};
use serde::Serialize;
use serde::de::DeserializeOwned;
use serde_json::{Value, json};

fn sample(file: &str) -> Value {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/samples").join(file);
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// Parses the sample into `T`, serialises it back and compares the JSON values.
fn round_trip<T: Serialize + DeserializeOwned>(file: &str) -> T {
    let original = sample(file);
    let typed: T = serde_json::from_value(original.clone()).unwrap_or_else(|e| panic!("{file}: {e}"));
    let back = serde_json::to_value(&typed).unwrap();
    assert_eq!(
        back,
        original,
        "{file} changed in a round trip:\n{}",
        serde_json::to_string_pretty(&back).unwrap()
    );
    typed
}

#[test]
fn a_published_package_revision_with_a_clone_task_round_trips() {
    let pr: PackageRevision = round_trip("package_revision_published.json");
    assert_eq!(pr.spec.lifecycle, Some(PackageRevisionLifecycle::Published));
    assert_eq!(pr.spec.tasks[0].type_, TaskType::Clone);
    assert!(pr.status.published_at.is_some());
    assert!(pr.is_published());
}

#[test]
fn a_draft_with_an_init_task_round_trips_without_a_revision() {
    let pr: PackageRevision = round_trip("package_revision_draft.json");
    assert_eq!(pr.spec.revision, 0);
    assert_eq!(pr.status.published_at, None);
}

#[test]
fn a_placeholder_revision_round_trips_with_revision_minus_one() {
    let pr: PackageRevision = round_trip("package_revision_placeholder.json");
    assert_eq!(pr.spec.revision, -1);
    assert_eq!(pr.spec.workspace_name, "main");
}

#[test]
fn a_list_with_edit_upgrade_and_registered_clone_tasks_round_trips() {
    let list: PackageRevisionList = round_trip("package_revision_list.json");
    assert_eq!(list.items.len(), 3);
    let upstream = &list.items[2].spec.tasks[0].clone.as_ref().unwrap().upstream;
    assert_eq!(upstream.upstream_ref.as_ref().unwrap().name, "catalog.edge.v2");
}

#[test]
fn package_revision_resources_with_render_results_round_trip() {
    let prr: PackageRevisionResources = round_trip("package_revision_resources.json");
    assert_eq!(prr.spec.resources.len(), 3);
    assert_eq!(prr.status.render_status.result.items[0].results[0].file.as_ref().unwrap().index, 1);
}

#[test]
fn a_porch_package_round_trips() {
    let pkg: PorchPackage = round_trip("porch_package.json");
    assert_eq!(pkg.status.latest_revision, 4);
}

#[test]
fn a_git_repository_with_full_status_round_trips() {
    let repo: Repository = round_trip("repository.json");
    assert_eq!(repo.spec.branch(), "main");
    assert_eq!(repo.status.unwrap().package_count, 12);
}

#[test]
fn an_oci_repository_round_trips() {
    let repo: Repository = round_trip("repository_oci.json");
    assert_eq!(repo.spec.oci.unwrap().registry, "us-docker.pkg.dev/project/packages");
}

#[test]
fn a_package_rev_with_owner_references_and_finalizers_round_trips() {
    let rev: PackageRev = round_trip("package_rev.json");
    assert_eq!(rev.metadata.finalizers.unwrap().len(), 2);
}

#[test]
fn an_empty_package_revision_serialises_spec_status_and_a_null_publish_timestamp() {
    let value = serde_json::to_value(PackageRevision::default()).unwrap();
    assert_eq!(
        value,
        json!({
            "apiVersion": "porch.kpt.dev/v1alpha1",
            "kind": "PackageRevision",
            "metadata": {},
            "spec": {},
            "status": {"publishTimestamp": null},
        })
    );
    let keys: Vec<&String> = value.as_object().unwrap().keys().collect();
    assert_eq!(keys, ["apiVersion", "kind", "metadata", "spec", "status"]);
}

#[test]
fn empty_package_revision_resources_always_carry_the_render_error_field() {
    let value = serde_json::to_value(PackageRevisionResources::default()).unwrap();
    assert_eq!(
        value["status"],
        json!({"renderStatus": {"result": {"metadata": {}, "exitCode": 0}, "error": ""}})
    );
}

#[test]
fn a_new_function_result_list_names_its_kind() {
    let value = serde_json::to_value(FunctionResultList::new()).unwrap();
    assert_eq!(
        value,
        json!({"apiVersion": "kpt.dev/v1", "kind": "FunctionResultList", "metadata": {}, "exitCode": 0})
    );
}

#[test]
fn api_version_and_kind_are_written_even_when_the_input_lacks_them() {
    let pr: PackageRevision = serde_json::from_value(json!({"metadata": {"name": "r.p.w"}})).unwrap();
    let value = serde_json::to_value(&pr).unwrap();
    assert_eq!(value["apiVersion"], "porch.kpt.dev/v1alpha1");
    assert_eq!(value["kind"], "PackageRevision");
    let list = serde_json::to_value(porch_api::PorchPackageList::default()).unwrap();
    assert_eq!(
        list,
        json!({"apiVersion": "porch.kpt.dev/v1alpha1", "kind": "PorchPackageList", "metadata": {}, "items": []})
    );
}

#[test]
fn an_empty_lifecycle_reads_as_unset_and_unknown_values_are_kept() {
    let pr: PackageRevision = serde_json::from_value(json!({"spec": {"lifecycle": ""}})).unwrap();
    assert_eq!(pr.spec.lifecycle, None);
    assert_eq!(pr.lifecycle(), PackageRevisionLifecycle::Draft);
    let pr: PackageRevision = serde_json::from_value(json!({"spec": {"lifecycle": "Final"}})).unwrap();
    assert_eq!(pr.spec.lifecycle, Some(PackageRevisionLifecycle::Other("Final".into())));
    assert_eq!(serde_json::to_value(&pr).unwrap()["spec"]["lifecycle"], "Final");
}

#[test]
fn task_types_keep_the_empty_and_unknown_values() {
    let pr: PackageRevision =
        serde_json::from_value(json!({"spec": {"tasks": [{"type": ""}, {"type": "patch"}]}})).unwrap();
    assert_eq!(pr.spec.tasks[0].type_, TaskType::Unspecified);
    assert_eq!(pr.spec.tasks[1].type_, TaskType::Other("patch".into()));
    assert_eq!(serde_json::to_value(&pr).unwrap()["spec"]["tasks"], json!([{"type": ""}, {"type": "patch"}]));
}

#[test]
fn a_repository_without_branch_or_content_gets_the_defaults() {
    let repo: Repository = serde_json::from_value(json!({
        "metadata": {"name": "r"},
        "spec": {"type": "git", "git": {"repo": "https://example.com/r.git"}},
    }))
    .unwrap();
    assert_eq!(repo.spec.git.as_ref().unwrap().branch, "main");
    assert_eq!(repo.spec.content.as_deref(), Some("Package"));
    let value = serde_json::to_value(&repo).unwrap();
    assert_eq!(value["apiVersion"], "config.porch.kpt.dev/v1alpha1");
    assert_eq!(value["kind"], "Repository");
}

#[test]
fn the_aggregated_types_are_kube_resources() {
    use kube::Resource;
    assert_eq!(PackageRevision::plural(&()), "packagerevisions");
    assert_eq!(PackageRevisionResources::plural(&()), "packagerevisionresources");
    assert_eq!(PorchPackage::plural(&()), "packages");
    assert_eq!(PorchPackage::kind(&()), "PorchPackage");
    assert_eq!(Repository::plural(&()), "repositories");
    assert_eq!(PackageRev::plural(&()), "packagerevs");
    assert_eq!(PackageRev::api_version(&()), "config.porch.kpt.dev/v1alpha1");
}

#[test]
fn the_object_schemas_list_api_version_and_kind_first() {
    let schema = schemars::schema_for!(PackageRevision);
    let props: Vec<&String> = schema.get("properties").unwrap().as_object().unwrap().keys().collect();
    assert_eq!(props, ["apiVersion", "kind", "metadata", "spec", "status"]);
    let value = serde_json::to_value(&schema).unwrap();
    let text = value.to_string();
    assert!(text.contains("Revision number: 0 for drafts"), "doc comments become descriptions");
}

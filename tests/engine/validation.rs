//! PackageRevisions' metadata is validated as kube-apiserver's ValidateObjectMeta does, through
//! the layers' Validation step (reliability probe D10: a PATCH with an owner reference lacking
//! apiVersion, name and uid used to be stored with empty strings).

use kube::api::{Patch, PatchParams};
use serde_json::json;

use super::common::{Env, api_error};
use super::support::{blueprints, file_url};

fn causes(status: &kube::core::Status) -> Vec<String> {
    let details = status.details.as_ref().expect("an Invalid status has details");
    details.causes.iter().map(|c| format!("{}: {}", c.field, c.message)).collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ill_formed_package_revision_metadata_is_refused_and_nothing_changes() {
    let env = Env::start();
    let remote = blueprints(env.scratch.path());
    env.register("blueprints", &file_url(&remote)).await;
    let pr = env.init("blueprints", "meta", "w").await;
    let name = pr.metadata.name.clone().unwrap();
    let patch = |metadata: serde_json::Value| {
        let prs = env.prs();
        let name = name.clone();
        async move {
            prs.patch(&name, &PatchParams::default(), &Patch::Merge(json!({"metadata": metadata}))).await
        }
    };

    let status = api_error(patch(json!({"ownerReferences": [{"kind": "X"}]})).await);
    assert_eq!((status.code, status.reason.as_str()), (422, "Invalid"));
    assert_eq!(
        causes(&status),
        [
            "metadata.ownerReferences.apiVersion: Invalid value: \"\": version must not be empty",
            "metadata.ownerReferences.name: Invalid value: \"\": must not be empty",
            "metadata.ownerReferences.uid: Invalid value: \"\": must not be empty",
        ]
    );
    let status = api_error(patch(json!({"ownerReferences": "x"})).await);
    assert_eq!(
        status.message,
        format!(
            "PackageRevision.porch.kpt.dev \"{name}\" is invalid: metadata.ownerReferences: Invalid value: \
             \"string\": metadata.ownerReferences in body must be of type array: \"string\""
        )
    );
    let status = api_error(patch(json!({"labels": {"bad key!": "v"}})).await);
    assert!(
        causes(&status)[0]
            .starts_with("metadata.labels: Invalid value: \"bad key!\": name part must consist")
    );
    let status = api_error(patch(json!({"annotations": {"k": "x".repeat(300 * 1024)}})).await);
    assert_eq!(causes(&status), ["metadata.annotations: Too long: must have at most 262144 bytes"]);

    let now = env.prs().get(&name).await.unwrap();
    assert_eq!(now.metadata.owner_references, pr.metadata.owner_references);
    assert_eq!(now.metadata.labels, pr.metadata.labels);
    assert_eq!(now.metadata.resource_version, pr.metadata.resource_version);

    // A well-formed owner reference is accepted.
    let owner = json!([{"apiVersion": "v1", "kind": "ConfigMap", "name": "c", "uid": "u-1"}]);
    let patched = patch(json!({"ownerReferences": owner})).await.unwrap();
    assert_eq!(patched.metadata.owner_references.unwrap()[0].name, "c");
}

use serde_json::json;

use super::*;

async fn invalid(store: &Store, kind: StoredKind, obj: serde_json::Value) -> Vec<String> {
    match store.create(kind, obj, &w()).await {
        Err(StoreError::Invalid { causes, .. }) => causes.iter().map(ToString::to_string).collect(),
        other => panic!("expected Invalid, got {other:?}"),
    }
}

#[tokio::test]
async fn repository_messages_match_porch() {
    let (store, _dir) = fresh();
    let e = invalid(&store, StoredKind::Repository, repo("default", "Bad_Name")).await;
    assert_eq!(
        e,
        [
            "metadata.name: Invalid value: \"Bad_Name\": metadata.name must conform to the RFC1123 DNS label standard"
        ]
    );
    let long = "a".repeat(64);
    let e = invalid(&store, StoredKind::Repository, repo("default", &long)).await;
    assert!(e[0].ends_with("metadata.name must be no more than 63 characters"));
    let mut r = repo("default", "r");
    r["spec"] = json!({"type": "svn"});
    assert_eq!(
        invalid(&store, StoredKind::Repository, r).await,
        ["spec.type: Unsupported value: \"svn\": supported values: \"git\", \"oci\""]
    );
    let mut r = repo("default", "r");
    r["spec"] =
        json!({"type": "git", "git": {"branch": "x"}, "content": "Nope", "sync": {"schedule": "every day"}});
    let e = invalid(&store, StoredKind::Repository, r).await;
    assert_eq!(e.len(), 3, "{e:?}");
    assert!(e[0].contains("The 'content' field is deprecated, its only valid value is 'Package'"));
    assert_eq!(e[1], "spec.git.repo: Required value");
    assert!(e[2].starts_with("spec.sync.schedule"));
    let mut r = repo("default", "r");
    r["spec"] = json!({"type": "oci", "oci": {}});
    assert_eq!(invalid(&store, StoredKind::Repository, r).await, ["spec.oci.registry: Required value"]);
    let err = store.create(StoredKind::Repository, repo("default", "Bad"), &w()).await.unwrap_err();
    assert!(err.to_string().starts_with("Repository.config.porch.kpt.dev \"Bad\" is invalid: metadata.name"));
}

#[tokio::test]
async fn names_and_secrets_are_validated() {
    let (store, _dir) = fresh();
    let e = invalid(&store, StoredKind::Secret, secret("default", "UPPER")).await;
    assert!(e[0].starts_with("metadata.name: Invalid value: \"UPPER\": a lowercase RFC 1123 subdomain"));
    let e = invalid(&store, StoredKind::Namespace, json!({"metadata": {"name": "a.b"}})).await;
    assert!(e[0].contains("a lowercase RFC 1123 label"));
    let s = json!({"metadata": {"name": "s", "namespace": "default"}, "data": {"k": "not base64!"}});
    let e = invalid(&store, StoredKind::Secret, s).await;
    assert!(e[0].starts_with("data[k]: Invalid value"), "{e:?}");
    let s = json!({"metadata": {"name": "s", "namespace": "default"}, "type": "kubernetes.io/basic-auth"});
    assert_eq!(
        invalid(&store, StoredKind::Secret, s).await,
        ["data[username]: Required value", "data[password]: Required value"]
    );
    let s = json!({"metadata": {"name": "s", "namespace": "default"}, "type": "kubernetes.io/basic-auth", "stringData": {"username": "u"}});
    store.create(StoredKind::Secret, s, &w()).await.unwrap();
}

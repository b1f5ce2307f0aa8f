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
    assert_eq!(e[0], "spec.git.repo: Required value", "the schema's causes come first");
    assert!(e[1].contains("The 'content' field is deprecated, its only valid value is 'Package'"));
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
    assert_eq!(e, ["metadata.name: Invalid value: \"a.b\": must not contain dots"]);
    let e = invalid(&store, StoredKind::Namespace, json!({"metadata": {"name": "-a"}})).await;
    assert!(e[0].contains("a lowercase RFC 1123 label"));
    let s = json!({"metadata": {"name": "s", "namespace": "default"}, "data": {"k": "not base64!"}});
    let e = invalid(&store, StoredKind::Secret, s).await;
    assert_eq!(
        e,
        ["data.k: Invalid value: \"not base64!\": data.k in body must be of type byte: \"not base64!\""]
    );
    let s = json!({"metadata": {"name": "s", "namespace": "default"}, "data": {"k": "eA==", "a b": "eA=="}});
    let e = invalid(&store, StoredKind::Secret, s).await;
    assert!(e[0].starts_with("data[a b]: Invalid value: \"a b\": a valid config key"), "{e:?}");
    let s = json!({"metadata": {"name": "s", "namespace": "default"}, "type": "kubernetes.io/basic-auth"});
    assert_eq!(
        invalid(&store, StoredKind::Secret, s).await,
        ["data[username]: Required value", "data[password]: Required value"]
    );
    let s = json!({"metadata": {"name": "s", "namespace": "default"}, "type": "kubernetes.io/basic-auth", "stringData": {"username": "u"}});
    store.create(StoredKind::Secret, s, &w()).await.unwrap();
}

/// The ill-typed Repository fields of the reliability probe's D1 (each was accepted with 201 and
/// made every package request fail after a restart).
#[tokio::test]
async fn every_ill_typed_repository_field_of_d1_is_refused_with_kube_apiservers_words() {
    let (store, _dir) = fresh();
    let type_error = |field: &str, want: &str, got: &str| {
        format!("{field}: Invalid value: \"{got}\": {field} in body must be of type {want}: \"{got}\"")
    };
    let probes = [
        ("/spec/deployment", json!("yes"), type_error("spec.deployment", "boolean", "string")),
        ("/spec/description", json!(5), type_error("spec.description", "string", "integer")),
        ("/spec/git/createBranch", json!("yes"), type_error("spec.git.createBranch", "boolean", "string")),
        ("/spec/git/directory", json!(7), type_error("spec.git.directory", "string", "integer")),
        ("/spec/git/branch", json!(5), type_error("spec.git.branch", "string", "integer")),
        ("/spec/git/secretRef", json!("s"), type_error("spec.git.secretRef", "object", "string")),
        ("/spec/git/author", json!([]), type_error("spec.git.author", "string", "array")),
        ("/spec/sync", json!("x"), type_error("spec.sync", "object", "string")),
        (
            "/spec/sync",
            json!({"runOnceAt": "tomorrow"}),
            "spec.sync.runOnceAt: Invalid value: \"tomorrow\": spec.sync.runOnceAt in body must be of type \
             date-time: \"tomorrow\""
                .to_string(),
        ),
        ("/metadata/ownerReferences", json!("x"), type_error("metadata.ownerReferences", "array", "string")),
    ];
    for (pointer, value, want) in probes {
        let mut r = repo("default", "r");
        let (parent, key) = pointer.rsplit_once('/').unwrap();
        r.pointer_mut(parent).unwrap()[key] = value;
        let dry = store.create(StoredKind::Repository, r.clone(), &dry()).await;
        assert!(matches!(dry, Err(StoreError::Invalid { .. })), "{pointer} (dry run): {dry:?}");
        assert_eq!(invalid(&store, StoredKind::Repository, r).await, [want], "{pointer}");
    }
    assert!(
        store.list(StoredKind::Repository, None, &ListOptions::default()).await.unwrap().items.is_empty()
    );
}

/// Updates (what every PATCH and server-side apply becomes) and status updates are checked too.
#[tokio::test]
async fn updates_and_status_updates_are_type_checked() {
    let (store, _dir) = fresh();
    let created = store.create(StoredKind::Repository, repo("default", "r"), &w()).await.unwrap();
    let mut bad = created.clone();
    bad["spec"]["deployment"] = json!("yes");
    let Err(StoreError::Invalid { causes, .. }) = store.update(StoredKind::Repository, bad, &w()).await
    else {
        panic!("an ill-typed update was accepted");
    };
    assert_eq!(causes[0].field, "spec.deployment");
    let mut bad = created.clone();
    bad["status"] = json!({"conditions": [{"type": "Ready", "status": true}]});
    let Err(StoreError::Invalid { causes, .. }) =
        store.update_status(StoredKind::Repository, bad, &w()).await
    else {
        panic!("an ill-typed status was accepted");
    };
    assert_eq!(
        causes.iter().map(ToString::to_string).collect::<Vec<_>>(),
        [
            "status.conditions[0].status: Invalid value: \"boolean\": status.conditions[0].status in body must \
             be of type string: \"boolean\"",
            "status.conditions[0].lastTransitionTime: Required value",
            "status.conditions[0].message: Required value",
            "status.conditions[0].reason: Required value",
        ]
    );
    let mut rv_number = created.clone();
    rv_number["metadata"]["resourceVersion"] = json!(5);
    let e = store.update(StoredKind::Repository, rv_number, &w()).await.unwrap_err();
    assert!(e.to_string().contains("metadata.resourceVersion in body must be of type string"), "{e}");
    let stored = store.get(StoredKind::Repository, Some("default"), "r").await.unwrap();
    assert_eq!(stored, created, "nothing was written");
}

/// D2: a PackageRev with `metadata.ownerReferences: "x"` was accepted and made every
/// PackageRevision request 503 after a restart.
#[tokio::test]
async fn an_ill_typed_package_rev_of_d2_is_refused() {
    let (store, _dir) = fresh();
    let pr = json!({"apiVersion": "config.porch.kpt.dev/v1alpha1", "kind": "PackageRev",
                    "metadata": {"name": "zz-bad", "namespace": "default", "ownerReferences": "x"}, "spec": {}});
    assert_eq!(
        invalid(&store, StoredKind::PackageRev, pr).await,
        [
            "metadata.ownerReferences: Invalid value: \"string\": metadata.ownerReferences in body must be of type \
          array: \"string\""
        ]
    );
    let pr = json!({"metadata": {"name": "p", "namespace": "default"}, "spec": []});
    assert_eq!(
        invalid(&store, StoredKind::PackageRev, pr).await,
        ["spec: Invalid value: \"array\": spec in body must be of type object: \"array\""]
    );
    let pr = json!({"metadata": {"name": "p", "namespace": "default"}});
    assert_eq!(invalid(&store, StoredKind::PackageRev, pr).await, ["spec: Required value"]);
}

/// D3: Secrets with an ill-typed field were accepted, and the controller's failed decode logged
/// them, password included.
#[tokio::test]
async fn ill_typed_secrets_of_d3_are_refused() {
    let (store, _dir) = fresh();
    let mut s = secret("default", "bad-immutable");
    s["immutable"] = json!("yes");
    assert_eq!(
        invalid(&store, StoredKind::Secret, s).await,
        ["immutable: Invalid value: \"string\": immutable in body must be of type boolean: \"string\""]
    );
    let mut s = secret("default", "bad-owner");
    s["metadata"]["ownerReferences"] = json!("x");
    assert!(
        invalid(&store, StoredKind::Secret, s).await[0]
            .starts_with("metadata.ownerReferences: Invalid value")
    );
    let mut s = secret("default", "bad-type");
    s["type"] = json!(5);
    assert_eq!(
        invalid(&store, StoredKind::Secret, s).await,
        ["type: Invalid value: \"integer\": type in body must be of type string: \"integer\""]
    );
    let ns = json!({"metadata": {"name": "n"}, "spec": {"finalizers": "kubernetes"}});
    assert_eq!(
        invalid(&store, StoredKind::Namespace, ns).await,
        [
            "spec.finalizers: Invalid value: \"string\": spec.finalizers in body must be of type array: \"string\""
        ]
    );
}

/// D10: metadata is validated as kube-apiserver's ValidateObjectMeta does.
#[tokio::test]
async fn metadata_of_d10_is_validated_like_kube_apiserver() {
    let (store, _dir) = fresh();
    let with_meta = |key: &str, value: serde_json::Value| {
        let mut r = repo("default", "r");
        r["metadata"][key] = value;
        r
    };
    let e = invalid(&store, StoredKind::Repository, with_meta("labels", json!({"bad key!": "v"}))).await;
    assert!(
        e[0].starts_with("metadata.labels: Invalid value: \"bad key!\": name part must consist of"),
        "{e:?}"
    );
    let long_key = "k".repeat(64);
    let e =
        invalid(&store, StoredKind::Repository, with_meta("labels", json!({long_key.clone(): "v"}))).await;
    assert_eq!(
        e,
        [format!(
            "metadata.labels: Invalid value: \"{long_key}\": name part must be no more than 63 characters"
        )]
    );
    let mib = "x".repeat(1 << 20);
    let e = invalid(&store, StoredKind::Repository, with_meta("labels", json!({"k": mib.clone()}))).await;
    assert!(e[0].ends_with(": must be no more than 63 characters"), "{}", &e[0][..80]);
    let e = invalid(&store, StoredKind::Repository, with_meta("annotations", json!({"k": mib}))).await;
    assert_eq!(e, ["metadata.annotations: Too long: must have at most 262144 bytes"]);
    let e =
        invalid(&store, StoredKind::Repository, with_meta("ownerReferences", json!([{"kind": "X"}]))).await;
    assert_eq!(
        e,
        [
            "metadata.ownerReferences.apiVersion: Invalid value: \"\": version must not be empty",
            "metadata.ownerReferences.name: Invalid value: \"\": must not be empty",
            "metadata.ownerReferences.uid: Invalid value: \"\": must not be empty",
        ]
    );
    let e = invalid(&store, StoredKind::Secret, {
        let mut s = secret("default", "s");
        s["metadata"]["resourceVersion"] = json!(5);
        s
    })
    .await;
    assert_eq!(
        e,
        [
            "metadata.resourceVersion: Invalid value: \"integer\": metadata.resourceVersion in body must be of type \
          string: \"integer\""
        ]
    );
    let e = invalid(&store, StoredKind::Secret, {
        let mut s = secret("default", "s");
        s["metadata"]["finalizers"] = json!(["not a name"]);
        s
    })
    .await;
    assert!(e[0].starts_with("metadata.finalizers: Invalid value: \"not a name\""));
    let created = store.create(StoredKind::Repository, repo("default", "r"), &w()).await.unwrap();
    let mut labelled = created.clone();
    labelled["metadata"]["labels"] = json!({"ok": "a b"});
    let e = store.update(StoredKind::Repository, labelled, &w()).await.unwrap_err();
    assert!(e.to_string().contains("metadata.labels: Invalid value: \"a b\": a valid label must be"), "{e}");
}

/// `null`s the schema does not allow are dropped, as kube-apiserver does before validating.
#[tokio::test]
async fn disallowed_nulls_are_dropped_and_allowed_ones_kept() {
    let (store, _dir) = fresh();
    let mut r = repo("default", "r");
    r["metadata"]["creationTimestamp"] = json!(null);
    r["metadata"]["labels"] = json!(null);
    r["spec"]["description"] = json!(null);
    r["spec"]["sync"] = json!(null);
    let created = store.create(StoredKind::Repository, r, &w()).await.unwrap();
    assert!(created["spec"].get("description").is_none());
    assert_eq!(created["spec"]["sync"], json!(null), "spec.sync is nullable");
    assert!(created["metadata"].get("labels").is_none());
    assert!(created["metadata"]["creationTimestamp"].is_string());
}

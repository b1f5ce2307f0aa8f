//! Gets and lists read as kube-apiserver serves them (issue 10, D9 and D10), over a real socket:
//! the `resourceVersion` rules, percent-encoded path segments, and content negotiation that
//! answers 406 when nothing the client accepts can be produced.

use crate::http::{REPOS, Served, TABLE_ACCEPT, repository};
use serde_json::Value;

/// An engine-backed collection (the porch.kpt.dev resources answer through the engine).
const REVISIONS: &str = "/apis/porch.kpt.dev/v1alpha1/namespaces/default/packagerevisions";

/// The `metadata.resourceVersion` of the list at `path`.
async fn list_rv(s: &Served, path: &str) -> u64 {
    let list = s.get(path, "application/json").await;
    assert_eq!(list.status, 200, "{path}: {}", String::from_utf8_lossy(&list.body));
    let rv = list.json()["metadata"]["resourceVersion"].as_str().map(str::to_string);
    rv.and_then(|rv| rv.parse().ok())
        .unwrap_or_else(|| panic!("{path}: a list with a numeric resourceVersion"))
}

/// The checks every collection passes; `current` is its list resourceVersion, which stays put
/// (nothing is written meanwhile).
async fn resource_version_rules(s: &Served, path: &str, current: u64) {
    let get = |query: String| async move { s.get(&format!("{path}?{query}"), "application/json").await };

    let st = get("resourceVersion=abc".into()).await.status_body(400);
    assert_eq!(
        st["message"],
        "invalid resource version: resourceVersion: Invalid value: \"abc\": strconv.ParseUint: parsing \"abc\": \
         invalid syntax",
        "{path}"
    );
    get("resourceVersion=-1".into()).await.status_body(400);

    let st = get("resourceVersion=5&resourceVersionMatch=Bogus".into()).await.status_body(422);
    assert_eq!(st["reason"], "Invalid", "{st}");
    assert_eq!(st["details"]["kind"], "ListOptions", "{st}");
    assert_eq!(st["details"]["causes"][0]["field"], "resourceVersionMatch", "{st}");
    assert_eq!(st["details"]["causes"][0]["reason"], "FieldValueNotSupported", "{st}");
    let st = get("resourceVersionMatch=Exact".into()).await.status_body(422);
    assert!(
        st["message"]
            .as_str()
            .unwrap()
            .ends_with("resourceVersionMatch is forbidden unless resourceVersion is provided"),
        "{st}"
    );
    get("resourceVersion=0&resourceVersionMatch=Exact".into()).await.status_body(422);
    get("resourceVersion=5&resourceVersionMatch=NotOlderThan&continue=x".into()).await.status_body(422);

    // An exact read is served at the current version only: an older one is gone.
    let st =
        get(format!("resourceVersion={}&resourceVersionMatch=Exact", current - 1)).await.status_body(410);
    assert_eq!(st["reason"], "Expired", "{st}");
    assert_eq!(st["message"], "The resourceVersion for the provided list is too old.", "{st}");
    let exact = get(format!("resourceVersion={current}&resourceVersionMatch=Exact")).await;
    assert_eq!(exact.status, 200, "{path}: {}", String::from_utf8_lossy(&exact.body));
    assert_eq!(exact.json()["metadata"]["resourceVersion"], current.to_string());

    // Not older than a version already reached: served at once, at the current version.
    for query in [
        format!("resourceVersion={}", current - 1),
        format!("resourceVersion={current}&resourceVersionMatch=NotOlderThan"),
    ] {
        let r = get(query.clone()).await;
        assert_eq!(r.status, 200, "{path}?{query}: {}", String::from_utf8_lossy(&r.body));
    }
}

/// A version the server has not reached: kube-apiserver waits a few seconds, then 504.
fn assert_too_large(r: &crate::http::Response, what: &str) {
    let st = r.status_body(504);
    assert_eq!(st["reason"], "Timeout", "{what}: {st}");
    assert!(
        st["message"]
            .as_str()
            .unwrap()
            .starts_with("Timeout: Too large resource version: 99999999999, current: "),
        "{what}: {st}"
    );
    assert_eq!(st["details"]["causes"][0]["reason"], "ResourceVersionTooLarge", "{what}: {st}");
    assert_eq!(st["details"]["retryAfterSeconds"], 1, "{what}: {st}");
    assert_eq!(r.header("retry-after"), Some("1"), "{what}");
}

#[tokio::test]
async fn gets_and_lists_follow_kube_apiserver_resource_version_rules() {
    let s = Served::start().await;
    for name in ["r1", "r2"] {
        assert_eq!(s.post_json(REPOS, &repository(name)).await.status, 201);
    }
    let repos_rv = list_rv(&s, REPOS).await;
    assert!(repos_rv >= 2, "{repos_rv}");
    resource_version_rules(&s, REPOS, repos_rv).await;
    // One counter serves every resource: the engine's view is waited for until it has reached
    // the version the store's list reported.
    let revisions_rv = list_rv(&s, &format!("{REVISIONS}?resourceVersion={repos_rv}")).await;
    assert_eq!(revisions_rv, repos_rv);
    resource_version_rules(&s, REVISIONS, revisions_rv).await;

    // Gets: a version that is not a number is a 400; one not reached yet is waited for.
    s.get(&format!("{REPOS}/r1?resourceVersion=abc"), "application/json").await.status_body(400);
    let got = s.get(&format!("{REPOS}/r1?resourceVersion={repos_rv}"), "application/json").await;
    assert_eq!(got.status, 200, "{}", String::from_utf8_lossy(&got.body));

    // The future versions, at once: each waits its few seconds.
    let future = [
        format!("{REPOS}?resourceVersion=99999999999"),
        format!("{REPOS}?resourceVersion=99999999999&resourceVersionMatch=Exact"),
        format!("{REPOS}/r1?resourceVersion=99999999999"),
        format!("{REVISIONS}?resourceVersion=99999999999&resourceVersionMatch=NotOlderThan"),
        format!("{REVISIONS}/r1.none.ws?resourceVersion=99999999999"),
    ];
    let answers = futures::future::join_all(future.iter().map(|path| s.get(path, "application/json"))).await;
    for (path, r) in future.iter().zip(&answers) {
        assert_too_large(r, path);
    }
    s.shutdown().await;
}

#[tokio::test]
async fn percent_encoded_path_segments_are_decoded() {
    let s = Served::start().await;
    assert_eq!(s.post_json(REPOS, &repository("r1")).await.status, 201);
    let base = "/apis/config.porch.kpt.dev/v1alpha1/namespaces";
    for path in [format!("{base}/default/repositories/r%31"), format!("{base}/d%65fault/repositories/%72%31")]
    {
        let r = s.get(&path, "application/json").await;
        assert_eq!(r.status, 200, "{path}: {}", String::from_utf8_lossy(&r.body));
        assert_eq!(r.json()["metadata"]["name"], "r1", "{path}");
    }
    let list = s.get(&format!("{base}/d%65fault/repositories"), "application/json").await.json();
    assert_eq!(list["items"].as_array().map(Vec::len), Some(1), "{list}");
    // A segment that decodes to a `/` names nothing.
    for path in [format!("{base}/default/repositories/r%2F1"), format!("{base}/..%2F..%2F/repositories")] {
        let st = s.get(&path, "application/json").await.status_body(404);
        assert_eq!(st["message"], "the server could not find the requested resource", "{path}: {st}");
    }
    s.shutdown().await;
}

#[tokio::test]
async fn accept_headers_nothing_can_satisfy_are_406() {
    let s = Served::start().await;
    assert_eq!(s.post_json(REPOS, &repository("r1")).await.status, 201);
    for path in [REPOS.to_string(), format!("{REPOS}/r1"), REVISIONS.to_string()] {
        for accept in [
            "application/zzz",
            "text/html;q=abc, application/zzz",
            "application/json;as=Table;v=v9",
            "application/json;as=Widget;g=meta.k8s.io;v=v1",
        ] {
            let st = s.get(&path, accept).await.status_body(406);
            assert_eq!(st["reason"], "NotAcceptable", "{path} {accept}: {st}");
            assert_eq!(
                st["message"], "only the following media types are accepted: application/json",
                "{st}"
            );
        }
        // What real clients send keeps working.
        for accept in ["*/*", "application/*", "application/json, */*", "application/json", TABLE_ACCEPT] {
            let r = s.get(&path, accept).await;
            assert_eq!(r.status, 200, "{path} {accept}: {}", String::from_utf8_lossy(&r.body));
        }
        let r = s.request("GET", &path, &[], b"").await;
        assert_eq!(r.status, 200, "{path} with no Accept");
        assert_eq!(r.json()["kind"].as_str().map(|k| k.ends_with("List") || k == "Repository"), Some(true));
    }
    let table: Value = s.get(REPOS, TABLE_ACCEPT).await.json();
    assert_eq!(table["kind"], "Table");
    s.shutdown().await;
}

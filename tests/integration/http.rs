//! HTTP-level behaviour over a real loopback socket: content negotiation, Status errors, body
//! limits, dry runs, paging and Table output. Requests are raw HTTP/1.1, as a client sends them.

use crate::common::{data_dir, open};
use porch_server::{App, Config};
use serde_json::{Value, json};
use std::collections::BTreeSet;

/// kubectl's discovery Accept header (rust-stack.md §3.1).
const DISCOVERY_ACCEPT: &str = "application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList,\
                                application/json;g=apidiscovery.k8s.io;v=v2beta1;as=APIGroupDiscoveryList,\
                                application/json";
/// kubectl get's Accept header (rust-stack.md §3.3).
pub(crate) const TABLE_ACCEPT: &str = "application/json;as=Table;v=v1;g=meta.k8s.io,\
                            application/json;as=Table;v=v1beta1;g=meta.k8s.io,application/json";
pub(crate) const REPOS: &str = "/apis/config.porch.kpt.dev/v1alpha1/namespaces/default/repositories";

pub(crate) use crate::served::{Response, Served, parse, raw_request};

impl Served {
    pub(crate) async fn start() -> Self {
        let dir = data_dir();
        Self::start_app(open(&dir, None), dir).await
    }

    /// A server with `config` (its data directory is replaced by a fresh one).
    pub(crate) async fn start_with(mut config: Config) -> Self {
        let dir = data_dir();
        config.data_dir = dir.path().to_path_buf();
        config.repository_controller = false;
        Self::start_app(App::open(&config, None).expect("opening the App"), dir).await
    }
}

/// The media-type parameters of a Content-Type, as a set of `k=v` (order does not matter).
fn media_params(ct: &str) -> BTreeSet<String> {
    ct.split(';').map(|p| p.trim().replace(' ', "")).collect()
}

pub(crate) fn repository(name: &str) -> Value {
    json!({
        "apiVersion": "config.porch.kpt.dev/v1alpha1",
        "kind": "Repository",
        "metadata": {"name": name},
        "spec": {"type": "git", "git": {"repo": format!("https://example.com/{name}.git")}},
    })
}

#[tokio::test]
async fn discovery_answers_kubectl_with_aggregated_v2() {
    let s = Served::start().await;
    let want = media_params("application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList");
    for path in ["/api", "/apis"] {
        let r = s.get(path, DISCOVERY_ACCEPT).await;
        assert_eq!(r.status, 200, "{path}");
        let ct = r.header("content-type").unwrap_or_default();
        assert_eq!(media_params(ct), want, "{path}: Content-Type {ct:?}");
        let body = r.json();
        assert_eq!(body["kind"], "APIGroupDiscoveryList", "{path}");
        assert_eq!(body["apiVersion"], "apidiscovery.k8s.io/v2", "{path}");
    }
    let apis = s.get("/apis", DISCOVERY_ACCEPT).await.json();
    let groups: BTreeSet<&str> =
        apis["items"].as_array().unwrap().iter().filter_map(|g| g["metadata"]["name"].as_str()).collect();
    assert!(groups.contains("config.porch.kpt.dev") && groups.contains("porch.kpt.dev"), "{groups:?}");
    let core = s.get("/api", DISCOVERY_ACCEPT).await.json();
    let resources: Vec<&str> = core["items"][0]["versions"][0]["resources"]
        .as_array()
        .map(|rs| rs.iter().filter_map(|r| r["resource"].as_str()).collect())
        .unwrap_or_default();
    assert!(resources.contains(&"namespaces") && resources.contains(&"secrets"), "{core}");

    // A client that does not ask for aggregated discovery gets the legacy documents.
    let legacy = s.get("/apis", "application/json").await;
    assert_eq!(legacy.status, 200);
    assert_eq!(legacy.json()["kind"], "APIGroupList");
    s.shutdown().await;
}

#[tokio::test]
async fn errors_are_status_objects() {
    let s = Served::start().await;
    let st = s.get("/no/such/path", "application/json").await.status_body(404);
    assert_eq!(st["reason"], "NotFound", "{st}");
    let st = s.get(&format!("{REPOS}/missing"), "application/json").await.status_body(404);
    assert_eq!(st["message"], "repositories.config.porch.kpt.dev \"missing\" not found", "{st}");
    assert_eq!(st["details"]["name"], "missing", "{st}");

    // A body over the limit (6 MiB by default) is refused before it is read.
    let big = {
        let mut v = repository("big");
        v["spec"]["description"] = Value::String("x".repeat(7 * 1024 * 1024));
        serde_json::to_vec(&v).unwrap()
    };
    let r = s.request("POST", REPOS, &[("Content-Type", "application/json")], &big).await;
    let st = r.status_body(413);
    assert_eq!(st["reason"], "RequestEntityTooLarge", "{st}");

    // Strategic merge patch is not supported for custom resources (as CRDs): 415.
    assert_eq!(s.post_json(REPOS, &repository("patched")).await.status, 201);
    let r = s
        .request(
            "PATCH",
            &format!("{REPOS}/patched"),
            &[("Content-Type", "application/strategic-merge-patch+json")],
            br#"{"spec":{"description":"x"}}"#,
        )
        .await;
    let st = r.status_body(415);
    assert_eq!(st["reason"], "UnsupportedMediaType", "{st}");

    // Validation errors are 422 Invalid with causes.
    let st = s.post_json(REPOS, &repository("Upper")).await.status_body(422);
    assert_eq!(st["reason"], "Invalid", "{st}");
    assert_eq!(st["details"]["causes"][0]["field"], "metadata.name", "{st}");

    // An existing name: 409 AlreadyExists.
    let st = s.post_json(REPOS, &repository("patched")).await.status_body(409);
    assert_eq!(st["reason"], "AlreadyExists", "{st}");
    s.shutdown().await;
}

#[tokio::test]
async fn a_dry_run_create_is_answered_but_not_stored() {
    let s = Served::start().await;
    let r = s.post_json(&format!("{REPOS}?dryRun=All"), &repository("dry")).await;
    assert_eq!(r.status, 201, "{}", String::from_utf8_lossy(&r.body));
    let obj = r.json();
    assert_eq!(obj["metadata"]["name"], "dry");
    assert_eq!(obj["spec"]["git"]["branch"], "main", "defaults are applied in a dry run too");
    s.get(&format!("{REPOS}/dry"), "application/json").await.status_body(404);
    let list = s.get(REPOS, "application/json").await.json();
    assert_eq!(list["items"], json!([]), "{list}");
    // The same name can then really be created.
    assert_eq!(s.post_json(REPOS, &repository("dry")).await.status, 201);
    s.shutdown().await;
}

#[tokio::test]
async fn lists_page_with_limit_and_continue() {
    let s = Served::start().await;
    let names = ["a1", "a2", "a3", "a4", "a5"];
    for n in names {
        assert_eq!(s.post_json(REPOS, &repository(n)).await.status, 201);
    }
    let mut seen = Vec::new();
    let mut pages = 0;
    let mut query = format!("{REPOS}?&limit=2");
    let mut list_rv = None;
    loop {
        let page = s.get(&query, "application/json").await;
        assert_eq!(page.status, 200, "{}", String::from_utf8_lossy(&page.body));
        let page = page.json();
        assert_eq!(page["kind"], "RepositoryList");
        let items = page["items"].as_array().unwrap();
        assert!(items.len() <= 2, "{page}");
        seen.extend(items.iter().map(|i| i["metadata"]["name"].as_str().unwrap().to_string()));
        let rv = page["metadata"]["resourceVersion"].as_str().expect("a list resourceVersion").to_string();
        assert_eq!(list_rv.get_or_insert(rv.clone()), &rv, "pages of one list share its resourceVersion");
        pages += 1;
        assert!(pages <= names.len(), "paging does not end");
        match page["metadata"]["continue"].as_str().filter(|c| !c.is_empty()) {
            Some(token) => {
                let token: String = form_urlencoded::byte_serialize(token.as_bytes()).collect();
                query = format!("{REPOS}?&limit=2&continue={token}");
            }
            None => break,
        }
    }
    assert_eq!(seen, names, "every item once, in name order");
    assert_eq!(pages, 3);
    let st = s.get(&format!("{REPOS}?limit=2&continue=garbage"), "application/json").await.status_body(400);
    assert_eq!(st["reason"], "BadRequest", "{st}");
    s.shutdown().await;
}

#[tokio::test]
async fn table_output_for_lists_and_single_objects() {
    let s = Served::start().await;
    assert_eq!(s.post_json(REPOS, &repository("tabled")).await.status, 201);
    let columns =
        ["Name", "Type", "Content", "Sync schedule", "Deployment", "Ready", "Address", "Branch", "Age"];

    for path in [REPOS.to_string(), format!("{REPOS}/tabled")] {
        let r = s.get(&path, TABLE_ACCEPT).await;
        assert_eq!(r.status, 200, "{path}");
        let ct = r.header("content-type").unwrap_or_default();
        assert_eq!(media_params(ct), media_params("application/json;as=Table;v=v1;g=meta.k8s.io"), "{path}");
        let t = r.json();
        assert_eq!((t["kind"].as_str(), t["apiVersion"].as_str()), (Some("Table"), Some("meta.k8s.io/v1")));
        let names: Vec<&str> =
            t["columnDefinitions"].as_array().unwrap().iter().map(|c| c["name"].as_str().unwrap()).collect();
        assert_eq!(names, columns, "{path}");
        let rows = t["rows"].as_array().unwrap();
        assert_eq!(rows.len(), 1, "{path}: {t}");
        let cells = rows[0]["cells"].as_array().unwrap();
        assert_eq!(cells.len(), columns.len());
        assert_eq!(cells[0], "tabled");
        assert_eq!(cells[1], "git");
        assert_eq!(cells[6], "https://example.com/tabled.git");
        assert_eq!(cells[7], "main");
        assert_eq!(rows[0]["object"]["kind"], "PartialObjectMetadata", "{path}");
        assert_eq!(rows[0]["object"]["metadata"]["name"], "tabled", "{path}");
        assert!(t["metadata"]["resourceVersion"].as_str().is_some(), "{path}");
    }
    s.shutdown().await;
}

/// client-go's metadata client (kube-controller-manager's garbage collector and namespace
/// controller) asks for `PartialObjectMetadata[List]`: gets, lists and watch events carry only
/// the metadata, as kube-apiserver serves them (a full object in a watch event breaks its decoder).
#[tokio::test]
async fn metadata_only_gets_lists_and_watches() {
    let s = Served::start().await;
    assert_eq!(s.post_json(REPOS, &repository("slim")).await.status, 201);
    let partial = |kind: &str| format!("application/json;as={kind};g=meta.k8s.io;v=v1");

    let one = s.get(&format!("{REPOS}/slim"), &partial("PartialObjectMetadata")).await;
    assert_eq!(one.status, 200);
    let o = one.json();
    assert_eq!(
        (o["kind"].as_str(), o["apiVersion"].as_str()),
        (Some("PartialObjectMetadata"), Some("meta.k8s.io/v1"))
    );
    assert_eq!(o["metadata"]["name"], "slim");
    assert!(o.get("spec").is_none(), "{o}");

    let list = s.get(REPOS, &partial("PartialObjectMetadataList")).await.json();
    assert_eq!(list["kind"], "PartialObjectMetadataList");
    assert!(list["metadata"]["resourceVersion"].as_str().is_some(), "{list}");
    assert_eq!(list["items"][0]["kind"], "PartialObjectMetadata");
    assert!(list["items"][0].get("spec").is_none(), "{list}");

    let watch = format!("{REPOS}?watch=true&resourceVersion=0");
    let streamed =
        s.stream_until(&watch, &partial("PartialObjectMetadata"), |body| body.ends_with(b"\n")).await;
    let event: Value = serde_json::from_slice(streamed.body.split(|b| *b == b'\n').next().unwrap()).unwrap();
    assert_eq!(event["type"], "ADDED");
    assert_eq!(event["object"]["kind"], "PartialObjectMetadata", "{event}");
    assert_eq!(event["object"]["metadata"]["name"], "slim");
    assert!(event["object"].get("spec").is_none(), "{event}");
    s.shutdown().await;
}

/// Reliability probe D1/D3/D10: ill-typed objects are refused with kube-apiserver's 422 on every
/// write path (POST, merge and JSON PATCH, server-side apply, the status subresource), custom
/// resources must name their kind, and nothing is stored.
#[tokio::test]
async fn ill_typed_objects_are_refused_on_every_write_path() {
    let s = Served::start().await;
    let mut bad = repository("typed");
    bad["spec"]["deployment"] = json!("yes");
    let st = s.post_json(REPOS, &bad).await.status_body(422);
    assert_eq!(st["reason"], "Invalid", "{st}");
    assert_eq!(
        st["message"],
        "Repository.config.porch.kpt.dev \"typed\" is invalid: spec.deployment: Invalid value: \"string\": \
         spec.deployment in body must be of type boolean: \"string\"",
        "{st}"
    );
    let cause = &st["details"]["causes"][0];
    assert_eq!(cause["field"], "spec.deployment", "{st}");
    assert_eq!(cause["reason"], "FieldValueTypeInvalid", "{st}");
    assert_eq!(
        cause["message"],
        "Invalid value: \"string\": spec.deployment in body must be of type boolean: \"string\"",
        "{st}"
    );

    let mut kindless = repository("typed");
    kindless.as_object_mut().unwrap().remove("kind");
    let st = s.post_json(REPOS, &kindless).await.status_body(400);
    assert_eq!(st["message"], "Object 'Kind' is missing in 'object has no kind field '", "{st}");

    assert_eq!(s.post_json(REPOS, &repository("typed")).await.status, 201);
    let item = format!("{REPOS}/typed");
    let patch = |content_type: &'static str, body: &'static str, path: String| {
        let s = &s;
        async move { s.request("PATCH", &path, &[("Content-Type", content_type)], body.as_bytes()).await }
    };
    let st =
        patch("application/merge-patch+json", r#"{"spec":{"sync":{"runOnceAt":"tomorrow"}}}"#, item.clone())
            .await
            .status_body(422);
    assert_eq!(
        st["details"]["causes"][0]["message"],
        "Invalid value: \"tomorrow\": spec.sync.runOnceAt in body must be of type date-time: \"tomorrow\"",
        "{st}"
    );
    let st = patch(
        "application/json-patch+json",
        r#"[{"op":"add","path":"/metadata/ownerReferences","value":"x"}]"#,
        item.clone(),
    )
    .await
    .status_body(422);
    assert_eq!(st["details"]["causes"][0]["field"], "metadata.ownerReferences", "{st}");
    let st = patch(
        "application/apply-patch+yaml",
        "apiVersion: config.porch.kpt.dev/v1alpha1\nkind: Repository\nmetadata: {name: typed}\n\
         spec: {type: git, git: {repo: 'https://example.com/typed.git', createBranch: 'yes'}}\n",
        format!("{item}?fieldManager=probe"),
    )
    .await
    .status_body(422);
    assert_eq!(st["details"]["causes"][0]["field"], "spec.git.createBranch", "{st}");
    let st =
        patch("application/merge-patch+json", r#"{"status":{"conditions":"x"}}"#, format!("{item}/status"))
            .await
            .status_body(422);
    assert_eq!(st["details"]["causes"][0]["field"], "status.conditions", "{st}");
    let st =
        patch("application/merge-patch+json", r#"{"metadata":{"labels":{"bad key!":"v"}}}"#, item.clone())
            .await
            .status_body(422);
    assert_eq!(st["details"]["causes"][0]["field"], "metadata.labels", "{st}");

    let stored = s.get(&item, "application/json").await.json();
    assert!(stored["spec"].get("sync").is_none(), "{stored}");
    assert!(stored["metadata"].get("ownerReferences").is_none(), "{stored}");
    assert!(stored["metadata"].get("labels").is_none(), "{stored}");

    let secret = json!({"apiVersion": "v1", "kind": "Secret", "metadata": {"name": "bad-immutable"},
                        "immutable": "yes", "stringData": {"password": "LeakCheckPW"}});
    let st = s.post_json("/api/v1/namespaces/default/secrets", &secret).await.status_body(422);
    assert_eq!(
        st["message"],
        "Secret \"bad-immutable\" is invalid: immutable: Invalid value: \"string\": immutable in body must be of \
         type boolean: \"string\"",
        "{st}"
    );
    s.get("/api/v1/namespaces/default/secrets/bad-immutable", "application/json").await.status_body(404);
    s.shutdown().await;
}

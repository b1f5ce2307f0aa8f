//! The REST operations of the served resources, independent of the OpenAPI version that
//! renders them: one [`PathItem`] per URL, each operation with its Kubernetes action, kind,
//! query parameters, request body and responses.

use super::schemas::{DELETE_OPTIONS, GvSchemas, PATCH, STATUS};
use crate::server::resources::ResourceDef;

/// A parameter of an operation.
#[derive(Debug)]
pub(super) struct Param {
    pub(super) name: &'static str,
    /// `query` or `path`.
    pub(super) location: &'static str,
    /// JSON type: `string`, `integer` or `boolean`.
    pub(super) ty: &'static str,
    pub(super) description: &'static str,
}

const fn query(name: &'static str, ty: &'static str, description: &'static str) -> Param {
    Param { name, location: "query", ty, description }
}

static NAME: Param =
    Param { name: "name", location: "path", ty: "string", description: "name of the object" };
static NAMESPACE: Param = Param {
    name: "namespace",
    location: "path",
    ty: "string",
    description: "object name and auth scope, such as for teams and projects",
};
static PRETTY: Param = query("pretty", "string", "If 'true', then the output is pretty printed.");

static ALLOW_WATCH_BOOKMARKS: Param = query(
    "allowWatchBookmarks",
    "boolean",
    "allowWatchBookmarks requests watch events with type \"BOOKMARK\". Servers that do not implement bookmarks \
     may ignore this flag.",
);
static CONTINUE: Param = query(
    "continue",
    "string",
    "The continue option should be set when retrieving more results from the server: the value returned in \
     the previous list's metadata.continue.",
);
static FIELD_SELECTOR: Param = query(
    "fieldSelector",
    "string",
    "A selector to restrict the list of returned objects by their fields. Defaults to everything.",
);
static LABEL_SELECTOR: Param = query(
    "labelSelector",
    "string",
    "A selector to restrict the list of returned objects by their labels. Defaults to everything.",
);
static LIMIT: Param = query(
    "limit",
    "integer",
    "limit is a maximum number of responses to return for a list call. If more items exist, the server sets \
     the `continue` field on the list metadata.",
);
static RESOURCE_VERSION: Param = query(
    "resourceVersion",
    "string",
    "resourceVersion sets a constraint on what resource versions a request may be served from.",
);
static RESOURCE_VERSION_MATCH: Param = query(
    "resourceVersionMatch",
    "string",
    "resourceVersionMatch determines how resourceVersion is applied to list calls.",
);
static SEND_INITIAL_EVENTS: Param = query(
    "sendInitialEvents",
    "boolean",
    "`sendInitialEvents=true` may be set together with `watch=true`: the stream begins with synthetic events \
     for the current state of all objects, then a bookmark annotated \"k8s.io/initial-events-end\".",
);
static TIMEOUT_SECONDS: Param = query(
    "timeoutSeconds",
    "integer",
    "Timeout for the list/watch call. This limits the duration of the call, regardless of any activity or \
     inactivity.",
);
static WATCH: Param = query(
    "watch",
    "boolean",
    "Watch for changes to the described resources and return them as a stream of add, update, and remove \
     notifications. Specify resourceVersion.",
);
static DRY_RUN: Param = query(
    "dryRun",
    "string",
    "When present, indicates that modifications should not be persisted. Valid values are: All (all dry run \
     stages will be processed).",
);
static FIELD_MANAGER: Param = query(
    "fieldManager",
    "string",
    "fieldManager is a name associated with the actor or entity that is making these changes.",
);
static FIELD_VALIDATION: Param = query(
    "fieldValidation",
    "string",
    "fieldValidation instructs the server on how to handle objects in the request containing unknown fields: \
     Ignore drops them silently, Warn drops them and returns a warning for each, Strict fails the request \
     with a BadRequest error naming them.",
);
static FORCE: Param = query(
    "force",
    "boolean",
    "Force is going to \"force\" Apply requests: the request re-acquires conflicting fields owned by other \
     people. Must be unset for non-apply patch requests.",
);
static GRACE_PERIOD_SECONDS: Param =
    query("gracePeriodSeconds", "integer", "The duration in seconds before the object should be deleted.");
static ORPHAN_DEPENDENTS: Param = query(
    "orphanDependents",
    "boolean",
    "Deprecated: please use the PropagationPolicy, this field will be deprecated in 1.7.",
);
static PROPAGATION_POLICY: Param = query(
    "propagationPolicy",
    "string",
    "Whether and how garbage collection will be performed: 'Orphan', 'Background' or 'Foreground'.",
);

static LIST_PARAMS: &[&Param] = &[
    &ALLOW_WATCH_BOOKMARKS,
    &CONTINUE,
    &FIELD_SELECTOR,
    &LABEL_SELECTOR,
    &LIMIT,
    &RESOURCE_VERSION,
    &RESOURCE_VERSION_MATCH,
    &SEND_INITIAL_EVENTS,
    &TIMEOUT_SECONDS,
    &WATCH,
];
static WRITE_PARAMS: &[&Param] = &[&DRY_RUN, &FIELD_MANAGER, &FIELD_VALIDATION];
static PATCH_PARAMS: &[&Param] = &[&DRY_RUN, &FIELD_MANAGER, &FIELD_VALIDATION, &FORCE];
static DELETE_PARAMS: &[&Param] = &[&DRY_RUN, &GRACE_PERIOD_SECONDS, &ORPHAN_DEPENDENTS, &PROPAGATION_POLICY];
static DELETE_COLLECTION_PARAMS: &[&Param] = &[
    &CONTINUE,
    &DRY_RUN,
    &FIELD_SELECTOR,
    &GRACE_PERIOD_SECONDS,
    &LABEL_SELECTOR,
    &LIMIT,
    &ORPHAN_DEPENDENTS,
    &PROPAGATION_POLICY,
    &RESOURCE_VERSION,
    &RESOURCE_VERSION_MATCH,
    &SEND_INITIAL_EVENTS,
    &TIMEOUT_SECONDS,
];

/// The PATCH content types advertised. Strategic merge patch is deliberately absent, though
/// Secrets, Namespaces and the porch.kpt.dev resources accept it: kubectl then computes JSON
/// merge patches for the kinds it does not know, as it does for CRDs (for the built-in kinds it
/// sends strategic merge patches whatever the document says).
pub(super) const PATCH_CONTENT_TYPES: &[&str] =
    &["application/json-patch+json", "application/merge-patch+json", "application/apply-patch+yaml"];
const OBJECT_CONTENT_TYPES: &[&str] = &["*/*"];
const JSON: &[&str] = &["application/json"];
const JSON_AND_WATCH: &[&str] = &["application/json", "application/json;stream=watch"];

/// A request body, by the component schema it follows.
#[derive(Debug)]
pub(super) struct Body {
    pub(super) schema: String,
    pub(super) content_types: &'static [&'static str],
    pub(super) required: bool,
}

/// One operation on a path.
#[derive(Debug)]
pub(super) struct Operation {
    /// HTTP method, lower case.
    pub(super) method: &'static str,
    /// `x-kubernetes-action`.
    pub(super) action: &'static str,
    pub(super) operation_id: String,
    pub(super) description: String,
    /// `x-kubernetes-group-version-kind`: `(group, version, kind)`.
    pub(super) gvk: (&'static str, &'static str, &'static str),
    pub(super) params: &'static [&'static Param],
    pub(super) body: Option<Body>,
    /// Status code -> component schema of the response.
    pub(super) responses: Vec<(&'static str, String)>,
    pub(super) produces: &'static [&'static str],
}

/// A URL with its path-level parameters and operations.
#[derive(Debug)]
pub(super) struct PathItem {
    pub(super) path: String,
    pub(super) params: Vec<&'static Param>,
    pub(super) operations: Vec<Operation>,
}

/// The tag grouping a group-version's operations, e.g. `configPorchKptDev_v1alpha1`.
pub(super) fn tag(group: &str, version: &str) -> String {
    let camel = group_camel(group);
    let mut chars = camel.chars();
    let lower: String = chars.next().map(|c| c.to_ascii_lowercase()).into_iter().chain(chars).collect();
    format!("{lower}_{version}")
}

fn capitalize(s: &str) -> String {
    let mut chars = s.chars();
    chars.next().map(|c| c.to_ascii_uppercase()).into_iter().chain(chars).collect()
}

fn group_camel(group: &str) -> String {
    if group.is_empty() { "Core".into() } else { group.split('.').map(capitalize).collect() }
}

/// Every path of the resources `defs` (all of one group-version).
pub(super) fn build(defs: &[&ResourceDef], schemas: &GvSchemas) -> Vec<PathItem> {
    let mut out = Vec::new();
    for def in defs {
        let (Some(kind_schema), Some(list_schema)) =
            (schemas.name_of(def.kind), schemas.name_of(def.list_kind))
        else {
            continue;
        };
        resource_paths(def, kind_schema, list_schema, &mut out);
    }
    out
}

fn resource_paths(def: &ResourceDef, kind_schema: &str, list_schema: &str, out: &mut Vec<PathItem>) {
    let prefix = if def.group.is_empty() {
        format!("/api/{}", def.version)
    } else {
        format!("/apis/{}/{}", def.group, def.version)
    };
    let (collection, scope, mut params) = if def.namespaced {
        (format!("{prefix}/namespaces/{{namespace}}/{}", def.resource), "Namespaced", vec![&NAMESPACE])
    } else {
        (format!("{prefix}/{}", def.resource), "", Vec::new())
    };
    params.push(&PRETTY);
    let gv = format!("{}{}", group_camel(def.group), capitalize(def.version));
    // An operation on `kind` with no parameters, body or responses yet.
    let op =
        |method: &'static str, action: &'static str, operation_id: String, description: String| Operation {
            method,
            action,
            operation_id,
            description,
            gvk: (def.group, def.version, def.kind),
            params: &[],
            body: None,
            responses: Vec::new(),
            produces: JSON,
        };
    let object_body = || {
        Some(Body { schema: kind_schema.to_string(), content_types: OBJECT_CONTENT_TYPES, required: true })
    };
    let patch_body =
        || Some(Body { schema: PATCH.to_string(), content_types: PATCH_CONTENT_TYPES, required: true });
    let delete_body = || {
        Some(Body {
            schema: DELETE_OPTIONS.to_string(),
            content_types: OBJECT_CONTENT_TYPES,
            required: false,
        })
    };
    let codes =
        |codes: &[&'static str], schema: &str| codes.iter().map(|c| (*c, schema.to_string())).collect();
    let kind = def.kind;

    let mut ops = Vec::new();
    if allows(def, "list") {
        ops.push(Operation {
            params: LIST_PARAMS,
            responses: codes(&["200"], list_schema),
            produces: JSON_AND_WATCH,
            ..op(
                "get",
                "list",
                format!("list{gv}{scope}{kind}"),
                format!("list or watch objects of kind {kind}"),
            )
        });
    }
    if allows(def, "create") {
        ops.push(Operation {
            params: WRITE_PARAMS,
            body: object_body(),
            responses: codes(&["200", "201", "202"], kind_schema),
            ..op("post", "post", format!("create{gv}{scope}{kind}"), format!("create a {kind}"))
        });
    }
    if allows(def, "deletecollection") {
        ops.push(Operation {
            params: DELETE_COLLECTION_PARAMS,
            body: delete_body(),
            responses: codes(&["200"], STATUS),
            ..op(
                "delete",
                "deletecollection",
                format!("deleteCollection{gv}{scope}{kind}"),
                format!("delete collection of {kind}"),
            )
        });
    }
    out.push(PathItem { path: collection.clone(), params: params.clone(), operations: ops });

    let mut item_params = params;
    item_params.insert(0, &NAME);
    let mut ops = Vec::new();
    if allows(def, "get") {
        ops.push(Operation {
            responses: codes(&["200"], kind_schema),
            ..op("get", "get", format!("read{gv}{scope}{kind}"), format!("read the specified {kind}"))
        });
    }
    if allows(def, "update") {
        ops.push(Operation {
            params: WRITE_PARAMS,
            body: object_body(),
            responses: codes(&["200", "201"], kind_schema),
            ..op("put", "put", format!("replace{gv}{scope}{kind}"), format!("replace the specified {kind}"))
        });
    }
    if allows(def, "patch") {
        ops.push(Operation {
            params: PATCH_PARAMS,
            body: patch_body(),
            responses: codes(&["200", "201"], kind_schema),
            ..op(
                "patch",
                "patch",
                format!("patch{gv}{scope}{kind}"),
                format!("partially update the specified {kind}"),
            )
        });
    }
    if allows(def, "delete") {
        ops.push(Operation {
            params: DELETE_PARAMS,
            body: delete_body(),
            responses: codes(&["200", "202"], STATUS),
            ..op("delete", "delete", format!("delete{gv}{scope}{kind}"), format!("delete a {kind}"))
        });
    }
    let item = format!("{collection}/{{name}}");
    out.push(PathItem { path: item.clone(), params: item_params.clone(), operations: ops });

    for sub in def.subresources {
        let name = sub.name;
        let id_suffix = format!("{gv}{scope}{kind}{}", capitalize(name));
        let mut ops = Vec::new();
        for verb in sub.verbs {
            let base = match *verb {
                "get" => Operation {
                    responses: codes(&["200"], kind_schema),
                    ..op(
                        "get",
                        "get",
                        format!("read{id_suffix}"),
                        format!("read {name} of the specified {kind}"),
                    )
                },
                "update" => Operation {
                    params: WRITE_PARAMS,
                    body: object_body(),
                    responses: codes(&["200", "201"], kind_schema),
                    ..op(
                        "put",
                        "put",
                        format!("replace{id_suffix}"),
                        format!("replace {name} of the specified {kind}"),
                    )
                },
                "patch" => Operation {
                    params: PATCH_PARAMS,
                    body: patch_body(),
                    responses: codes(&["200", "201"], kind_schema),
                    ..op(
                        "patch",
                        "patch",
                        format!("patch{id_suffix}"),
                        format!("partially update {name} of the specified {kind}"),
                    )
                },
                _ => continue,
            };
            ops.push(Operation { gvk: (def.group, def.version, sub.kind), ..base });
        }
        out.push(PathItem { path: format!("{item}/{name}"), params: item_params.clone(), operations: ops });
    }

    if def.namespaced && allows(def, "list") {
        out.push(PathItem {
            path: format!("{prefix}/{}", def.resource),
            params: vec![&PRETTY],
            operations: vec![Operation {
                params: LIST_PARAMS,
                responses: codes(&["200"], list_schema),
                produces: JSON_AND_WATCH,
                ..op(
                    "get",
                    "list",
                    format!("list{gv}{kind}ForAllNamespaces"),
                    format!("list or watch objects of kind {kind}"),
                )
            }],
        });
    }
}

fn allows(def: &ResourceDef, verb: &str) -> bool {
    def.verbs.contains(&verb)
}

//! The deployment manifests (`manifests/`) and the local control plane they are checked against.
//!
//! `kubectl kustomize` runs offline. The tests that need a kube-apiserver use
//! [`ControlPlane::shared`] (this test binary's own) and are skipped, with a `SKIPPED:` line, where
//! `../shared/tools/k8s` is absent. The APIService is never created for real there: no porch-server
//! runs behind it, and an unavailable APIService would disturb discovery for the other tests.

use anyhow::{Context, Result, bail};
use porch_e2e::{ControlPlane, Kubectl, manifests_dir};
use serde_json::{Value, json};
use std::collections::BTreeSet;
use std::path::Path;
use std::sync::OnceLock;
use std::time::Duration;

/// The ServiceAccount porch-server runs as.
const SERVER_USER: &str = "system:serviceaccount:porch-system:porch-server";

/// `kubectl kustomize manifests/` (offline: it reads no kubeconfig).
fn build() -> Result<String> {
    let dir = manifests_dir();
    Kubectl::new(Path::new("/dev/null"), None).run(&["kustomize", &dir.display().to_string()]).success()
}

/// One object of the kustomize output: its text and identity.
#[derive(Debug)]
struct Doc {
    text: String,
    kind: String,
    name: String,
    namespace: Option<String>,
}

/// Splits kustomize's output (canonical YAML: top-level keys at column 0, `metadata` keys indented
/// by two spaces) into its objects.
fn documents(yaml: &str) -> Result<Vec<Doc>> {
    let mut docs = Vec::new();
    for text in yaml.split("\n---\n").map(str::trim).filter(|t| !t.is_empty()) {
        let top =
            |key: &str| text.lines().find_map(|l| l.strip_prefix(&format!("{key}: "))).map(str::to_string);
        let metadata: Vec<&str> = text
            .lines()
            .skip_while(|l| *l != "metadata:")
            .skip(1)
            .take_while(|l| l.starts_with(' '))
            .collect();
        let meta = |key: &str| {
            metadata
                .iter()
                .find_map(|l| l.strip_prefix(&format!("  {key}: ")))
                .map(|v| v.trim_matches('"').to_string())
        };
        let (Some(kind), Some(name)) = (top("kind"), meta("name")) else {
            bail!("an object without kind or metadata.name:\n{text}");
        };
        docs.push(Doc { text: text.to_string(), kind, name, namespace: meta("namespace") });
    }
    Ok(docs)
}

/// `KIND [NAMESPACE/]NAME`.
fn identity(kind: &str, namespace: Option<&str>, name: &str) -> String {
    match namespace {
        Some(ns) => format!("{kind} {ns}/{name}"),
        None => format!("{kind} {name}"),
    }
}

/// Every object `manifests/` deploys.
const EXPECTED: &[&str] = &[
    "APIService v1alpha1.porch.kpt.dev",
    "ClusterRole porch-edit",
    "ClusterRole porch-server",
    "ClusterRole porch-view",
    "ClusterRoleBinding porch-server",
    "ClusterRoleBinding porch-server:system:auth-delegator",
    "CustomResourceDefinition functionconfigs.config.porch.kpt.dev",
    "CustomResourceDefinition packagerevs.config.porch.kpt.dev",
    "CustomResourceDefinition repositories.config.porch.kpt.dev",
    "Deployment porch-system/porch-server",
    "Namespace porch-system",
    "RoleBinding kube-system/porch-server:extension-apiserver-authentication-reader",
    "Service porch-system/api",
    "ServiceAccount porch-system/porch-server",
];

#[test]
fn the_kustomization_builds_every_object_and_lists_every_file() -> Result<()> {
    let docs = documents(&build()?)?;
    let got: BTreeSet<String> =
        docs.iter().map(|d| identity(&d.kind, d.namespace.as_deref(), &d.name)).collect();
    let want: BTreeSet<String> = EXPECTED.iter().map(|s| s.to_string()).collect();
    assert_eq!(got, want, "kubectl kustomize manifests/ built another set of objects");
    assert_eq!(docs.len(), EXPECTED.len(), "an object is built twice");

    // No manifest is left out of the kustomization.
    let dir = manifests_dir();
    let kustomization = std::fs::read_to_string(dir.join("kustomization.yaml"))?;
    for sub in ["", "crds"] {
        for entry in std::fs::read_dir(dir.join(sub))? {
            let file = entry?.file_name().to_string_lossy().into_owned();
            if !file.ends_with(".yaml") || file == "kustomization.yaml" {
                continue;
            }
            let path = if sub.is_empty() { file } else { format!("{sub}/{file}") };
            assert!(
                kustomization.lines().any(|l| l.trim() == format!("- {path}")),
                "manifests/{path} is not a resource of manifests/kustomization.yaml"
            );
        }
    }
    Ok(())
}

/// The shared control plane with Namespace porch-system and the CRDs created for real (once per
/// test process), or `None` when the tools are absent.
fn cluster() -> Result<Option<&'static ControlPlane>> {
    let Some(plane) = ControlPlane::shared()? else {
        return Ok(None);
    };
    static READY: OnceLock<Result<(), String>> = OnceLock::new();
    let ready = READY.get_or_init(|| {
        let k = plane.kubectl(None);
        let dir = manifests_dir();
        let apply =
            |file: &str| k.run(&["apply", "-f", &dir.join(file).display().to_string()]).success().map(|_| ());
        apply("namespace.yaml")
            .and_then(|()| apply("crds"))
            .and_then(|()| {
                k.run(&[
                    "wait",
                    "--for=condition=Established",
                    "crd/repositories.config.porch.kpt.dev",
                    "crd/packagerevs.config.porch.kpt.dev",
                    "crd/functionconfigs.config.porch.kpt.dev",
                    "--timeout=60s",
                ])
                .success()
                .map(|_| ())
            })
            .map_err(|e| format!("{e:#}"))
    });
    match ready {
        Ok(()) => Ok(Some(plane)),
        Err(e) => bail!("creating Namespace porch-system and the CRDs: {e}"),
    }
}

/// Warning lines of kubectl's stderr other than the client/server version skew (kubectl v1.32
/// against kube-apiserver v1.36).
fn warnings(stderr: &str) -> Vec<&str> {
    stderr
        .lines()
        .filter(|l| l.to_ascii_lowercase().starts_with("warning"))
        .filter(|l| !l.contains("version difference"))
        .collect()
}

/// The item of `list` of `kind`.
fn item<'a>(list: &'a [Value], kind: &str) -> Result<&'a Value> {
    list.iter().find(|o| o["kind"] == kind).with_context(|| format!("no {kind} in the dry run's output"))
}

#[test]
fn every_object_passes_a_server_side_dry_run_and_they_fit_together() -> Result<()> {
    let Some(plane) = cluster()? else {
        return Ok(());
    };
    let yaml = build()?;
    let out = plane
        .kubectl(None)
        .run_with_stdin(&["apply", "--dry-run=server", "--validate=strict", "-o", "json", "-f", "-"], &yaml);
    // Strict field validation, admission (Pod Security "restricted" on porch-system warns about the
    // Deployment's pod template) and deprecations all report through warnings.
    assert!(warnings(&out.stderr).is_empty(), "kube-apiserver warned:\n{}", out.stderr);
    let json: Value = serde_json::from_str(&out.clone().success()?).context("the dry run's JSON")?;
    let items = json["items"].as_array().context("a List")?.clone();
    let got: BTreeSet<String> = items
        .iter()
        .map(|o| {
            let (meta, kind) = (&o["metadata"], o["kind"].as_str().unwrap_or("?"));
            identity(kind, meta["namespace"].as_str(), meta["name"].as_str().unwrap_or("?"))
        })
        .collect();
    assert_eq!(got, EXPECTED.iter().map(|s| s.to_string()).collect::<BTreeSet<_>>());

    let deployment = item(&items, "Deployment")?;
    let service = item(&items, "Service")?;
    let apiservice = item(&items, "APIService")?;
    let account = item(&items, "ServiceAccount")?;
    let pod = &deployment["spec"]["template"];
    let containers = pod["spec"]["containers"].as_array().context("containers")?;
    assert_eq!(containers.len(), 1);
    let container = &containers[0];
    let args: Vec<&str> =
        container["args"].as_array().context("args")?.iter().filter_map(Value::as_str).collect();
    let arg = |flag: &str| args.iter().find_map(|a| a.strip_prefix(&format!("--{flag}=")));

    // Aggregated mode, on the port the container declares, probed over HTTPS.
    assert_eq!(arg("mode"), Some("aggregated"), "{args:?}");
    let port: u16 = arg("secure-port").context("--secure-port")?.parse()?;
    let ports = container["ports"].as_array().context("ports")?;
    let https = ports.iter().find(|p| p["name"] == "https").context("a port named https")?;
    assert_eq!(https["containerPort"], port);
    for (probe, path) in
        [("startupProbe", "/livez"), ("livenessProbe", "/livez"), ("readinessProbe", "/readyz")]
    {
        let get = &container[probe]["httpGet"];
        assert_eq!((get["path"].as_str(), get["scheme"].as_str()), (Some(path), Some("HTTPS")), "{probe}");
        assert!(get["port"] == "https" || get["port"] == port, "{probe} port {}", get["port"]);
    }
    assert_eq!(container["imagePullPolicy"], "IfNotPresent");
    assert_eq!(pod["spec"]["serviceAccountName"], account["metadata"]["name"]);
    assert_eq!(deployment["metadata"]["namespace"], account["metadata"]["namespace"]);

    // A read-only root: the directories it writes are volumes.
    let security = &container["securityContext"];
    assert_eq!(security["readOnlyRootFilesystem"], true);
    assert_eq!(security["allowPrivilegeEscalation"], false);
    assert_eq!(security["capabilities"]["drop"], json!(["ALL"]));
    let mounts: Vec<&str> = container["volumeMounts"]
        .as_array()
        .context("volumeMounts")?
        .iter()
        .filter_map(|m| m["mountPath"].as_str())
        .collect();
    for flag in ["cert-dir", "data-dir"] {
        let dir = arg(flag).with_context(|| format!("--{flag}"))?;
        assert!(
            mounts.iter().any(|m| dir == *m || dir.starts_with(&format!("{m}/"))),
            "--{flag}={dir} is on no volume: {mounts:?}"
        );
    }
    for limit in ["requests", "limits"] {
        for resource in ["cpu", "memory"] {
            assert!(container["resources"][limit][resource].is_string(), "no {limit}.{resource}");
        }
    }

    // Service `api` selects the pods and reaches their https port.
    let labels = &pod["metadata"]["labels"];
    let selector = service["spec"]["selector"].as_object().context("a Service selector")?;
    assert!(
        !selector.is_empty() && selector.iter().all(|(k, v)| &labels[k] == v),
        "{selector:?} vs {labels}"
    );
    let service_port =
        service["spec"]["ports"].as_array().and_then(|p| p.first()).context("a Service port")?;
    assert!(service_port["targetPort"] == "https" || service_port["targetPort"] == port);

    // The APIService names that Service and its port.
    let target = &apiservice["spec"]["service"];
    assert_eq!(target["name"], service["metadata"]["name"]);
    assert_eq!(target["namespace"], service["metadata"]["namespace"]);
    assert_eq!(target["port"], service_port["port"]);
    assert_eq!(
        (apiservice["spec"]["group"].as_str(), apiservice["spec"]["version"].as_str()),
        (Some("porch.kpt.dev"), Some("v1alpha1"))
    );
    Ok(())
}

/// A SubjectAccessReview: may `user` (in `groups`) do `verb` on `resource` (`resource/sub` for a
/// subresource) of `group`, in `namespace`, named `name`?
struct Check<'a> {
    user: &'a str,
    verb: &'a str,
    group: &'a str,
    resource: &'a str,
    namespace: &'a str,
    name: &'a str,
    allowed: bool,
}

const fn check<'a>(
    user: &'a str,
    verb: &'a str,
    group: &'a str,
    resource: &'a str,
    namespace: &'a str,
    allowed: bool,
) -> Check<'a> {
    Check { user, verb, group, resource, namespace, name: "", allowed }
}

/// Asks kube-apiserver every check in one `kubectl create` of SubjectAccessReviews; returns the
/// ones whose answer differs.
fn mismatches(k: &Kubectl, checks: &[Check<'_>]) -> Result<Vec<String>> {
    let reviews: Vec<Value> = checks
        .iter()
        .map(|c| {
            let (resource, subresource) = c.resource.split_once('/').unwrap_or((c.resource, ""));
            let groups = if c.user.starts_with("system:serviceaccount:") {
                json!([
                    "system:serviceaccounts",
                    "system:serviceaccounts:porch-system",
                    "system:authenticated"
                ])
            } else {
                json!(["system:authenticated"])
            };
            json!({
                "apiVersion": "authorization.k8s.io/v1",
                "kind": "SubjectAccessReview",
                "spec": {
                    "user": c.user,
                    "groups": groups,
                    "resourceAttributes": {
                        "verb": c.verb, "group": c.group, "resource": resource, "subresource": subresource,
                        "namespace": c.namespace, "name": c.name,
                    },
                },
            })
        })
        .collect();
    let list = json!({"apiVersion": "v1", "kind": "List", "items": reviews}).to_string();
    let out = k.run_with_stdin(&["create", "-o", "json", "-f", "-"], &list).success()?;
    // kubectl prints the created objects one after another (not as a List).
    let answers: Vec<Value> =
        serde_json::Deserializer::from_str(&out).into_iter::<Value>().collect::<Result<_, _>>()?;
    if answers.len() != checks.len() {
        bail!("{} answers to {} reviews:\n{out}", answers.len(), checks.len());
    }
    Ok(checks
        .iter()
        .zip(&answers)
        .filter(|(c, a)| a["status"]["allowed"].as_bool().unwrap_or(false) != c.allowed)
        .map(|(c, a)| {
            format!(
                "{} {} {}.{} in {:?} {:?}: want allowed={}, got {}",
                c.user, c.verb, c.resource, c.group, c.namespace, c.name, c.allowed, a["status"]
            )
        })
        .collect())
}

#[test]
fn the_rbac_grants_the_server_and_users_what_they_need_and_no_more() -> Result<()> {
    let Some(plane) = cluster()? else {
        return Ok(());
    };
    let k = plane.kubectl(None);
    // Everything but the APIService (and the Deployment, which would never run) for real.
    let docs = documents(&build()?)?;
    let rbac: Vec<&str> = docs
        .iter()
        .filter(|d| {
            matches!(d.kind.as_str(), "ServiceAccount" | "ClusterRole" | "ClusterRoleBinding" | "RoleBinding")
        })
        .map(|d| d.text.as_str())
        .collect();
    assert_eq!(rbac.len(), 7);
    k.run_with_stdin(&["apply", "-f", "-"], &rbac.join("\n---\n")).success()?;

    // A namespace where three users hold the built-in roles.
    let ns = porch_e2e::unique_name("rbac");
    k.run(&["create", "namespace", &ns]).success()?;
    for (role, user) in [("view", "viewer"), ("edit", "editor"), ("admin", "administrator")] {
        k.run(&[
            "create",
            "rolebinding",
            user,
            &format!("--clusterrole={role}"),
            &format!("--user={user}"),
            "-n",
            &ns,
        ])
        .success()?;
    }

    let s = SERVER_USER;
    let (cfg, porch) = ("config.porch.kpt.dev", "porch.kpt.dev");
    let mut checks = vec![
        // porch-server: its CRDs in any namespace, credentials, namespaces, leases, events.
        check(s, "watch", cfg, "repositories", "", true),
        check(s, "update", cfg, "repositories/status", "team-a", true),
        check(s, "create", cfg, "packagerevs", "team-a", true),
        check(s, "delete", cfg, "packagerevs", "team-a", true),
        check(s, "patch", cfg, "packagerevs", "team-a", true),
        check(s, "get", "", "secrets", "team-a", true),
        check(s, "watch", "", "secrets", "", true),
        check(s, "create", "", "secrets", "team-a", false),
        check(s, "delete", "", "secrets", "team-a", false),
        check(s, "watch", "", "namespaces", "", true),
        check(s, "delete", "", "namespaces", "", false),
        check(s, "update", "coordination.k8s.io", "leases", "porch-system", true),
        check(s, "create", "", "events", "team-a", true),
        check(s, "create", "", "pods", "porch-system", false),
        // Delegated authentication and authorization (system:auth-delegator).
        check(s, "create", "authentication.k8s.io", "tokenreviews", "", true),
        check(s, "create", "authorization.k8s.io", "subjectaccessreviews", "", true),
        // Only the one ConfigMap, only in kube-system.
        Check {
            name: "extension-apiserver-authentication",
            ..check(s, "watch", "", "configmaps", "kube-system", true)
        },
        Check {
            name: "extension-apiserver-authentication",
            ..check(s, "list", "", "configmaps", "kube-system", true)
        },
        Check { name: "kube-root-ca.crt", ..check(s, "get", "", "configmaps", "kube-system", false) },
        check(s, "get", "", "configmaps", "default", false),
    ];
    // Users, through the aggregated view/edit/admin roles: viewers read, editors author and approve.
    for (user, writes) in [("viewer", false), ("editor", true), ("administrator", true)] {
        let n = ns.as_str();
        checks.extend([
            check(user, "list", porch, "packagerevisions", n, true),
            check(user, "watch", porch, "packagerevisions", n, true),
            check(user, "get", porch, "packagerevisionresources", n, true),
            check(user, "list", porch, "packages", n, true),
            check(user, "get", cfg, "repositories", n, true),
            check(user, "create", porch, "packagerevisions", n, writes),
            check(user, "delete", porch, "packagerevisions", n, writes),
            check(user, "update", porch, "packagerevisionresources", n, writes),
            check(user, "update", porch, "packagerevisions/approval", n, writes),
            check(user, "create", porch, "packages", n, writes),
            check(user, "create", cfg, "repositories", n, writes),
            // Not in another namespace.
            check(user, "list", porch, "packagerevisions", "default", false),
        ]);
    }
    // kube-controller-manager folds porch-view and porch-edit into view, edit and admin shortly
    // after they are created.
    let mut last = Vec::new();
    let settled = porch_e2e::wait_until(Duration::from_secs(60), || match mismatches(&k, &checks) {
        Ok(m) if m.is_empty() => Some(()),
        Ok(m) => {
            last = m;
            std::thread::sleep(Duration::from_millis(400));
            None
        }
        Err(e) => {
            last = vec![format!("{e:#}")];
            None
        }
    });
    let _ = k.run(&["delete", "namespace", &ns, "--wait=false"]);
    assert!(settled.is_some(), "RBAC answers differ from the expected ones:\n  {}", last.join("\n  "));
    Ok(())
}

/// A control plane of its own starts, serves kubectl, and leaves nothing behind when dropped.
#[test]
fn a_control_plane_starts_serves_kubectl_and_is_gone_after_drop() -> Result<()> {
    let Some(plane) = ControlPlane::start(false)? else {
        return Ok(());
    };
    assert!(plane.url().starts_with("https://127.0.0.1:"), "{}", plane.url());
    assert!(plane.ca_cert().is_file() && plane.kubeconfig().is_file());

    let namespaces = plane.kubectl(None).run(&["get", "namespaces", "-o", "name"]).success()?;
    for ns in ["namespace/default", "namespace/kube-system"] {
        assert!(namespaces.lines().any(|l| l == ns), "no {ns} in:\n{namespaces}");
    }

    let (cert, key) = plane.issue_serving_cert("porch-server", "DNS:api.porch-system.svc,IP:127.0.0.1")?;
    assert!(cert.is_file() && key.is_file() && cert.starts_with(plane.pki_dir()));

    let pid = plane.env("K8S_APISERVER_PID").context("K8S_APISERVER_PID")?.to_string();
    let workdir = plane.workdir().to_path_buf();
    drop(plane);
    assert!(!workdir.exists(), "{} still exists", workdir.display());
    let gone = porch_e2e::wait_until(Duration::from_secs(20), || {
        let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).unwrap_or_default();
        // Gone, or a zombie that PID 1 has not reaped yet (it holds no port and no memory).
        let state = stat.rsplit_once(") ").map(|(_, rest)| rest.chars().next());
        matches!(state, None | Some(Some('Z' | 'X'))).then_some(())
    });
    assert!(gone.is_some(), "kube-apiserver (pid {pid}) still runs after the drop");
    Ok(())
}

/// The shared control plane runs kube-controller-manager and is the same for every caller.
#[test]
fn the_shared_control_plane_runs_the_controller_manager() -> Result<()> {
    let Some(plane) = ControlPlane::shared()? else {
        return Ok(());
    };
    assert!(plane.env("K8S_CONTROLLER_MANAGER_PID").is_some());
    let again = ControlPlane::shared()?.context("the same control plane")?;
    assert!(std::ptr::eq(plane, again));
    // The controller manager's serviceaccount controller made default/default.
    plane.kubectl(Some("default")).run(&["get", "serviceaccount", "default"]).success()?;
    Ok(())
}

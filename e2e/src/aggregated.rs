//! Aggregated mode under test: a real kube-apiserver ([`ControlPlane`]) holding the CRDs of
//! `manifests/crds`, and a local `porch-server --mode aggregated` registered with it as the
//! APIService `v1alpha1.porch.kpt.dev` (a Service of type ExternalName pointing at 127.0.0.1, as
//! `../shared/tools/k8s/README.md` shows), serving HTTPS with a certificate of the cluster CA.
//!
//! One such setup serves a whole test process ([`Aggregated::shared`]); with `PORCH_E2E_MODE=aggregated`
//! every [`Endpoint`](crate::Endpoint) is a namespace of its own in it, so the whole suite runs
//! through kube-apiserver.

use crate::cluster::ControlPlane;
use crate::kubectl::Kubectl;
use crate::server::{LocalServer, spawn_server};
use crate::{manifests_dir, wait_until};
use anyhow::{Context, Result, anyhow, bail};
use base64::Engine;
use std::sync::{Arc, Mutex, OnceLock};
use std::time::{Duration, Instant};
use tempfile::TempDir;

/// Environment variable choosing what [`Endpoint::start`](crate::Endpoint::start) starts:
/// `aggregated` for porch-server behind a local kube-apiserver; anything else (or unset) for the
/// standalone server.
pub const MODE_ENV: &str = "PORCH_E2E_MODE";

/// The APIService porch-server is registered as.
pub const API_SERVICE: &str = "v1alpha1.porch.kpt.dev";

/// How long the APIService may take to become Available (discovery through the aggregator).
const AVAILABLE_TIMEOUT: Duration = Duration::from_secs(90);

/// Whether `PORCH_E2E_MODE=aggregated`.
pub fn aggregated_requested() -> bool {
    std::env::var(MODE_ENV).is_ok_and(|m| m.eq_ignore_ascii_case("aggregated"))
}

/// A local aggregated porch-server behind a control plane.
#[derive(Debug)]
pub struct Aggregated {
    plane: &'static ControlPlane,
    port: u16,
    /// The server's flags (for a restart on the same port and data directory).
    args: Vec<String>,
    server: Mutex<LocalServer>,
    logs: Arc<Mutex<String>>,
    /// Its data directory (git caches), kept across restarts.
    _data: TempDir,
}

impl Aggregated {
    /// The setup of this test process, made on first use. `Ok(None)` when the control-plane tools
    /// are absent (a `SKIPPED:` line says so).
    ///
    /// # Errors
    /// The control plane, the CRDs, the server or the APIService did not come up; every caller
    /// gets the first error.
    pub fn shared() -> Result<Option<&'static Aggregated>> {
        static SHARED: OnceLock<Result<Option<Aggregated>, String>> = OnceLock::new();
        let made = SHARED.get_or_init(|| {
            let made = match ControlPlane::shared() {
                Ok(Some(plane)) => Self::start(plane).map(Some),
                Ok(None) => Ok(None),
                Err(e) => Err(e),
            };
            made.map_err(|e| format!("{e:#}"))
        });
        match made {
            Ok(setup) => Ok(setup.as_ref()),
            Err(e) => Err(anyhow!("the aggregated setup did not start: {e}")),
        }
    }

    fn start(plane: &'static ControlPlane) -> Result<Self> {
        let admin = plane.kubectl(None);
        let crds = manifests_dir().join("crds");
        admin.run(&["apply", "--server-side", "-f", &crds.display().to_string()]).success()?;
        admin.run(&["wait", "--for=condition=Established", "--timeout=60s", "crd", "--all"]).success()?;
        // porch-server runs as the ServiceAccount of manifests/, with that RBAC only, so the
        // suite proves the deployment's permissions suffice.
        for file in ["namespace.yaml", "service-account.yaml", "rbac-server.yaml"] {
            let path = manifests_dir().join(file);
            admin.run(&["apply", "-f", &path.display().to_string()]).success()?;
        }
        let token = admin
            .run(&["-n", "porch-system", "create", "token", "porch-server", "--duration=24h"])
            .success()?;
        let data = tempfile::Builder::new().prefix("porch-e2e-aggregated-").tempdir()?;
        let kubeconfig = data.path().join("porch-server.kubeconfig");
        std::fs::write(&kubeconfig, token_kubeconfig(plane, token.trim()))?;
        let (cert, key) = plane
            .issue_serving_cert("porch-server", "DNS:api.porch-system.svc,DNS:localhost,IP:127.0.0.1")?;
        let mut args: Vec<String> = [
            "--mode",
            "aggregated",
            "--bind-address",
            "127.0.0.1",
            "--kubeconfig",
            &kubeconfig.display().to_string(),
            "--tls-cert-file",
            &cert.display().to_string(),
            "--tls-private-key-file",
            &key.display().to_string(),
            "--data-dir",
            &data.path().display().to_string(),
        ]
        .iter()
        .map(|s| s.to_string())
        .collect();
        let logs = Arc::new(Mutex::new(String::new()));
        let (server, addr) =
            spawn_server(&[args.clone(), vec!["--secure-port".into(), "0".into()]].concat(), &logs, "https")?;
        let port: u16 = addr
            .rsplit(':')
            .next()
            .and_then(|p| p.parse().ok())
            .with_context(|| format!("no port in the logged address {addr}"))?;
        args.extend(["--secure-port".to_string(), port.to_string()]);
        let this = Self { plane, port, args, server: Mutex::new(server), logs, _data: data };
        this.register()?;
        this.wait_available()?;
        Ok(this)
    }

    /// Points the APIService at the server: a Service of type ExternalName for 127.0.0.1 and
    /// the APIService with the cluster CA as its caBundle.
    fn register(&self) -> Result<()> {
        let ca = std::fs::read(self.plane.ca_cert())?;
        let manifest = format!(
            "apiVersion: v1\nkind: Service\nmetadata: {{name: api, namespace: porch-system}}\n\
             spec:\n  type: ExternalName\n  externalName: 127.0.0.1\n  ports: [{{port: {port}, name: https}}]\n\
             ---\n\
             apiVersion: apiregistration.k8s.io/v1\nkind: APIService\nmetadata: {{name: {API_SERVICE}}}\n\
             spec:\n  group: porch.kpt.dev\n  version: v1alpha1\n  groupPriorityMinimum: 1000\n  versionPriority: 15\n  \
             service: {{namespace: porch-system, name: api, port: {port}}}\n  caBundle: {ca}\n",
            port = self.port,
            ca = base64::engine::general_purpose::STANDARD.encode(ca),
        );
        self.plane.kubectl(None).with_manifest(&["apply", "-f", "-"], &manifest).success()?;
        Ok(())
    }

    /// Waits until the aggregator reaches the server: the APIService is Available and the group's
    /// discovery answers through kube-apiserver.
    fn wait_available(&self) -> Result<()> {
        let admin = self.plane.kubectl(None);
        let timeout = format!("--timeout={}s", AVAILABLE_TIMEOUT.as_secs());
        admin
            .run(&["wait", "--for=condition=Available", &timeout, &format!("apiservice/{API_SERVICE}")])
            .success()
            .map_err(|e| e.context(format!("porch-server log:\n{}", self.server_logs())))?;
        let through = wait_until(AVAILABLE_TIMEOUT, || {
            admin.run(&["get", "--raw", "/apis/porch.kpt.dev/v1alpha1"]).ok().then_some(())
        });
        if through.is_none() {
            bail!(
                "/apis/porch.kpt.dev/v1alpha1 is not served through kube-apiserver; porch-server log:\n{}",
                self.server_logs()
            );
        }
        // kube-apiserver fetched the OpenAPI documents when the APIService appeared, before it
        // was Available, and retries only a minute later; a change of the APIService makes it
        // fetch again at once (kubectl explain needs them).
        let mut attempt = 0;
        let merged = wait_until(AVAILABLE_TIMEOUT, || {
            let index = admin.run(&["get", "--raw", "/openapi/v3"]).stdout;
            if index.contains("apis/porch.kpt.dev/v1alpha1") {
                return Some(());
            }
            attempt += 1;
            if attempt % 20 == 1 {
                let mark = format!("porch.kpt.dev/e2e-openapi-resync={attempt}");
                let _ = admin.run(&["annotate", "--overwrite", &format!("apiservice/{API_SERVICE}"), &mark]);
            }
            None
        });
        if merged.is_none() {
            bail!("kube-apiserver never merged the OpenAPI v3 document of porch.kpt.dev");
        }
        Ok(())
    }

    /// The control plane.
    pub fn plane(&self) -> &'static ControlPlane {
        self.plane
    }

    /// The port porch-server serves HTTPS on (127.0.0.1).
    pub fn port(&self) -> u16 {
        self.port
    }

    /// An admin kubectl against kube-apiserver, in `namespace` if given.
    pub fn kubectl(&self, namespace: Option<&str>) -> Kubectl {
        self.plane.kubectl(namespace)
    }

    /// What porch-server has logged so far (across restarts).
    pub fn server_logs(&self) -> String {
        self.logs.lock().unwrap_or_else(|e| e.into_inner()).clone()
    }

    /// Stops porch-server with SIGTERM, starts it again on the same port, certificate and data
    /// directory, and waits until kube-apiserver reaches it again.
    ///
    /// # Errors
    /// It did not stop or did not come back.
    pub fn restart(&self) -> Result<Restart> {
        let mut server = self.server.lock().unwrap_or_else(|e| e.into_inner());
        let status = server.terminate()?;
        self.logs.lock().unwrap_or_else(|e| e.into_inner()).push_str("---- restart ----\n");
        let started = Instant::now();
        let (new, _) = spawn_server(&self.args, &self.logs, "https")?;
        let listening = started.elapsed();
        *server = new;
        drop(server);
        self.wait_available()?;
        Ok(Restart { status, listening, reachable: started.elapsed() })
    }

    /// A kubeconfig that reaches porch-server directly (not through kube-apiserver), as the
    /// cluster admin: a client certificate of the cluster CA in `system:masters`.
    ///
    /// # Errors
    /// The admin kubeconfig could not be read.
    pub fn direct_kubeconfig(&self) -> Result<String> {
        let admin = std::fs::read_to_string(self.plane.kubeconfig())?;
        let direct = format!("https://127.0.0.1:{}", self.port);
        Ok(admin.replace(self.plane.url(), &direct))
    }
}

/// How a [`Aggregated::restart`] went.
#[derive(Debug)]
pub struct Restart {
    /// How the old server exited on SIGTERM.
    pub status: std::process::ExitStatus,
    /// From starting the new process to its `listening on https://` line.
    pub listening: Duration,
    /// From starting the new process to kube-apiserver serving porch.kpt.dev from it again.
    pub reachable: Duration,
}

/// A kubeconfig for kube-apiserver of `plane` that authenticates with `token` only.
pub fn token_kubeconfig(plane: &ControlPlane, token: &str) -> String {
    format!(
        "apiVersion: v1\nkind: Config\nclusters:\n- name: c\n  cluster:\n    server: {}\n    \
         certificate-authority: {}\ncontexts:\n- name: c\n  context: {{cluster: c, user: u}}\n\
         current-context: c\nusers:\n- name: u\n  user:\n    token: {token}\n",
        plane.url(),
        plane.ca_cert().display()
    )
}

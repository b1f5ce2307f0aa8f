//! Command-line configuration (`porch-server --help`), parsed by clap.

use crate::server::auth::AlwaysAllowPaths;
use clap::{Parser, ValueEnum};
use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;

/// Log line format.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, ValueEnum)]
pub enum LogFormat {
    /// Human-readable lines.
    #[default]
    Text,
    /// One JSON object per line.
    Json,
}

/// How the server runs.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, ValueEnum)]
pub enum Mode {
    /// Plain HTTP on loopback with the embedded object store: Repository, PackageRev, Secret and
    /// Namespace are served here too. No authentication.
    #[default]
    Standalone,
    /// The aggregated API server of `porch.kpt.dev` behind a kube-apiserver: HTTPS, requests
    /// authenticated and authorized by the cluster, every other object in the cluster.
    Aggregated,
}

/// The server's configuration. Every flag can also be set through the environment variable named
/// in `--help`.
#[derive(Clone, Debug, Parser)]
#[command(name = "porch-server", version, about = "The Porch API server, in Rust")]
pub struct Config {
    /// `standalone`: one process with its own object store; `aggregated`: behind a kube-apiserver.
    #[arg(long, env = "PORCH_MODE", value_enum, default_value_t = Mode::Standalone)]
    pub mode: Mode,

    /// Address to serve plain HTTP on (standalone mode).
    #[arg(long, env = "PORCH_LISTEN", default_value = "127.0.0.1:7007")]
    pub listen: SocketAddr,

    /// Directory of the embedded object store and the generated kubeconfig.
    #[arg(long, env = "PORCH_DATA_DIR", default_value = "./porch-data")]
    pub data_dir: PathBuf,

    /// Allow a non-loopback `--listen` address. Standalone mode has no authentication: anyone who
    /// can reach the port can read and change everything.
    #[arg(long, env = "PORCH_ALLOW_REMOTE")]
    pub allow_remote: bool,

    /// The kubeconfig of the cluster (aggregated mode); without it, `KUBECONFIG`,
    /// `~/.kube/config` or the in-cluster service account, in that order.
    #[arg(long, env = "PORCH_KUBECONFIG")]
    pub kubeconfig: Option<PathBuf>,

    /// Address to serve HTTPS on (aggregated mode), with `--secure-port`.
    #[arg(long, env = "PORCH_BIND_ADDRESS", default_value = "0.0.0.0")]
    pub bind_address: std::net::IpAddr,

    /// Port to serve HTTPS on (aggregated mode); 0 picks a free one.
    #[arg(long, env = "PORCH_SECURE_PORT", default_value_t = 8443)]
    pub secure_port: u16,

    /// The serving certificate (PEM, with its chain), re-read when the file changes (aggregated
    /// mode). Without it, a self-signed pair is made in `--cert-dir`.
    #[arg(long, env = "PORCH_TLS_CERT_FILE", requires = "tls_private_key_file")]
    pub tls_cert_file: Option<PathBuf>,

    /// The serving certificate's private key (PEM), re-read with it.
    #[arg(long, env = "PORCH_TLS_PRIVATE_KEY_FILE", requires = "tls_cert_file")]
    pub tls_private_key_file: Option<PathBuf>,

    /// Where the self-signed serving pair is kept when no certificate files are given
    /// (`apiserver.crt`, `apiserver.key`; reused when present). Default: `<data-dir>/certificates`.
    #[arg(long, env = "PORCH_CERT_DIR")]
    pub cert_dir: Option<PathBuf>,

    /// Paths served without asking the cluster who may (aggregated mode): exact paths, or
    /// prefixes ending in `*`.
    #[arg(
        long,
        env = "PORCH_AUTHORIZATION_ALWAYS_ALLOW_PATHS",
        value_delimiter = ',',
        default_value = "/healthz,/readyz,/livez"
    )]
    pub authorization_always_allow_paths: Vec<String>,

    /// Log format.
    #[arg(long, env = "PORCH_LOG_FORMAT", value_enum, default_value_t = LogFormat::Text)]
    pub log_format: LogFormat,

    /// Largest accepted request body, in bytes; larger bodies get a 413 Status.
    #[arg(long, env = "PORCH_MAX_REQUEST_BODY_SIZE", default_value_t = 6 * 1024 * 1024)]
    pub max_request_body_size: usize,

    /// How long a client may take to send a request's headers, counted from when its connection
    /// opens or its previous response ends; a slower connection is closed. Idle HTTP/1.1
    /// keep-alive connections are closed after the same time.
    #[arg(long, env = "PORCH_HEADER_READ_TIMEOUT", default_value = "30s", value_parser = parse_timeout)]
    pub header_read_timeout: Duration,

    /// How long a request body may take to arrive in full; a slower one gets a 408 and its
    /// connection is closed.
    #[arg(long, env = "PORCH_BODY_READ_TIMEOUT", default_value = "60s", value_parser = parse_timeout)]
    pub body_read_timeout: Duration,

    /// How long an HTTP/2 connection with no request in progress stays open. A watch is a request
    /// in progress: it is never cut by this.
    #[arg(long, env = "PORCH_IDLE_CONNECTION_TIMEOUT", default_value = "90s", value_parser = parse_timeout)]
    pub idle_connection_timeout: Duration,

    /// The most connections served at once (lowered at start to what the open-file limit leaves
    /// room for); a connection over it is answered 503 and closed.
    #[arg(long, env = "PORCH_MAX_CONNECTIONS", default_value_t = 4096, value_parser = clap::value_parser!(u32).range(1..))]
    pub max_connections: u32,

    /// How many recent change events are kept for watches resuming from a resourceVersion.
    #[arg(long, env = "PORCH_WATCH_EVENT_WINDOW", default_value_t = 10_000)]
    pub watch_event_window: usize,

    /// How many bytes of memory the kept change events may hold, all resources together (their
    /// objects and encodings); the oldest go first when it is spent, like the count limit.
    #[arg(long, env = "PORCH_WATCH_EVENT_WINDOW_BYTES", default_value_t = crate::rv_window::DEFAULT_EVENT_WINDOW_BYTES)]
    pub watch_event_window_bytes: usize,

    /// Seconds between BOOKMARK events on watches that allow them.
    #[arg(long, env = "PORCH_BOOKMARK_INTERVAL_SECONDS", default_value_t = 60)]
    pub bookmark_interval_seconds: u64,

    /// How long a watch lasts when the client gives no `timeoutSeconds`.
    #[arg(long, env = "PORCH_DEFAULT_WATCH_TIMEOUT_SECONDS", default_value_t = 1800)]
    pub default_watch_timeout_seconds: u64,

    /// How many times a git write is retried after a conflicting change on the remote.
    #[arg(long, env = "PORCH_REPO_OPERATION_RETRY_ATTEMPTS", default_value_t = 3)]
    pub repo_operation_retry_attempts: u32,

    /// The registry an image without one is taken from (`set-namespace:v0.4` →
    /// `<prefix>/set-namespace:v0.4`); the built-in functions also answer images under it.
    #[arg(long, env = "PORCH_DEFAULT_IMAGE_PREFIX", default_value = "ghcr.io/kptdev/krm-functions-catalog/")]
    pub default_image_prefix: String,

    /// How many repositories a package revision list reads at once.
    #[arg(long, env = "PORCH_MAX_CONCURRENT_LISTS", default_value_t = 10, value_parser = clap::value_parser!(u32).range(1..))]
    pub max_concurrent_lists: u32,

    /// How long a list waits for one repository before skipping it with a warning (`20s`,
    /// `500ms`, `1m`; a bare number is seconds).
    #[arg(long, env = "PORCH_LIST_TIMEOUT_PER_REPOSITORY", default_value = "20s", value_parser = parse_duration)]
    pub list_timeout_per_repository: Duration,

    /// `host:port` of Porch's function runner (gRPC, plaintext): functions the builtins do not
    /// serve run there, `latest` and `unstable` tags included. Empty: none, and the builtins
    /// alone run functions. Messages are limited to `--max-request-body-size`, as in Porch.
    #[arg(long, env = "PORCH_FUNCTION_RUNNER", default_value = "", value_parser = parse_function_runner)]
    pub function_runner: String,

    /// Run KRM function images as binaries on the server when a FunctionConfig
    /// (`config.porch.kpt.dev/v1alpha1`) names one for them (`spec.binaryExecutor`), as Porch's
    /// function runner does; images no FunctionConfig names go on to the function runner. Off:
    /// no binary is ever run. Kptfile `exec:` steps stay refused either way, as in Porch.
    #[arg(long, env = "PORCH_ALLOW_EXEC")]
    pub allow_exec: bool,

    /// The directory a relative `binaryExecutor.path` of a FunctionConfig is below (with
    /// `--allow-exec`), as the function runner's `--functions`.
    #[arg(long, env = "PORCH_FUNCTIONS_DIR", default_value = "./functions")]
    pub functions_dir: PathBuf,

    /// How many repository fetches (opens and syncs) run at once.
    #[arg(long, env = "PORCH_MAX_CONCURRENT_SYNCS", default_value_t = 50, value_parser = clap::value_parser!(u32).range(1..))]
    pub max_concurrent_syncs: u32,

    /// Whether the Repository controller runs (opening, syncing and reporting the status of
    /// every Repository). Always on for the server; the library lets tools and tests that only
    /// exercise the object store turn it off, so that nothing else writes their objects.
    #[arg(skip = true)]
    pub repository_controller: bool,

    /// How often the Repository controller looks for caches and PackageRevs whose Repository is
    /// gone without its cleanup (e.g. its finalizer removed by hand). Not a flag.
    #[arg(skip = Duration::from_secs(60))]
    pub orphan_sweep_interval: Duration,

    /// How often every repository is fetched again to pick up changes made outside the server.
    #[arg(long, env = "PORCH_REPO_SYNC_FREQUENCY", default_value = "10m", value_parser = parse_duration)]
    pub repo_sync_frequency: Duration,
}

/// Parses a duration as Go prints them: `500ms`, `20s`, `10m`, `1h`, or a bare number of seconds.
pub(crate) fn parse_duration(text: &str) -> Result<Duration, String> {
    let text = text.trim();
    let split = text.find(|c: char| !c.is_ascii_digit() && c != '.').unwrap_or(text.len());
    let (number, unit) = text.split_at(split);
    let value: f64 = number.parse().map_err(|_| format!("invalid duration {text:?}"))?;
    let seconds = match unit {
        "" | "s" => value,
        "ms" => value / 1000.0,
        "m" => value * 60.0,
        "h" => value * 3600.0,
        _ => return Err(format!("invalid duration {text:?}: use ms, s, m or h")),
    };
    Duration::try_from_secs_f64(seconds).map_err(|e| format!("invalid duration {text:?}: {e}"))
}

/// A timeout: a [duration](parse_duration) greater than zero.
fn parse_timeout(text: &str) -> Result<Duration, String> {
    let d = parse_duration(text)?;
    if d.is_zero() {
        return Err(format!("invalid timeout {text:?}: must be greater than zero"));
    }
    Ok(d)
}

/// A function runner address: empty, or `host:port` (a DNS name, an IPv4 address or a
/// bracketed IPv6 address, and a port).
fn parse_function_runner(text: &str) -> Result<String, String> {
    let text = text.trim();
    if text.is_empty() {
        return Ok(String::new());
    }
    let invalid = |why: &str| format!("invalid function runner address {text:?}: {why}");
    let authority: http::uri::Authority = text.parse().map_err(|_| invalid("expected host:port"))?;
    if authority.as_str().contains('@') {
        return Err(invalid("expected host:port"));
    }
    match authority.port_u16() {
        Some(port) if port != 0 && !authority.host().is_empty() => Ok(text.to_string()),
        _ => Err(invalid("expected host:port")),
    }
}

impl Config {
    /// `--function-runner`, when one is set.
    pub(crate) fn function_runner(&self) -> Option<&str> {
        Some(self.function_runner.as_str()).filter(|a| !a.is_empty())
    }

    /// The configuration with every default and the given data directory (for tests and tools).
    pub fn with_data_dir(data_dir: impl Into<PathBuf>) -> Self {
        let mut config = Self::parse_from(["porch-server"]);
        config.data_dir = data_dir.into();
        config
    }

    /// `--authorization-always-allow-paths`, parsed.
    pub(crate) fn always_allow_paths(&self) -> Result<AlwaysAllowPaths, String> {
        AlwaysAllowPaths::parse(&self.authorization_always_allow_paths)
            .map_err(|e| format!("--authorization-always-allow-paths: {e}"))
    }

    /// Refuses a non-loopback listen address unless `--allow-remote` is given (standalone mode),
    /// and an always-allow path with a `*` anywhere but at its end (as kube-apiserver does).
    pub fn check(&self) -> Result<(), String> {
        self.always_allow_paths()?;
        if self.mode == Mode::Standalone && !self.listen.ip().is_loopback() && !self.allow_remote {
            return Err(format!(
                "refusing to listen on {}: standalone mode has no authentication; pass --allow-remote to serve \
                 other hosts",
                self.listen
            ));
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_are_the_standalone_defaults() {
        let c = Config::parse_from(["porch-server"]);
        assert_eq!(c.listen.to_string(), "127.0.0.1:7007");
        assert_eq!(c.data_dir, PathBuf::from("./porch-data"));
        assert_eq!(c.max_request_body_size, 6_291_456);
        assert_eq!((c.watch_event_window, c.watch_event_window_bytes), (10_000, 256 << 20));
        assert!(c.check().is_ok());
    }

    #[test]
    fn durations_read_like_go_flags() {
        assert_eq!(parse_duration("20s").unwrap(), Duration::from_secs(20));
        assert_eq!(parse_duration("500ms").unwrap(), Duration::from_millis(500));
        assert_eq!(parse_duration("10m").unwrap(), Duration::from_secs(600));
        assert_eq!(parse_duration("7").unwrap(), Duration::from_secs(7));
        assert!(parse_duration("5d").is_err());
        let c = Config::parse_from(["porch-server"]);
        assert_eq!(c.list_timeout_per_repository, Duration::from_secs(20));
        assert_eq!((c.max_concurrent_lists, c.repo_operation_retry_attempts), (10, 3));
    }

    #[test]
    fn connection_bounds_have_defaults_and_refuse_zero() {
        let c = Config::parse_from(["porch-server"]);
        assert_eq!(c.header_read_timeout, Duration::from_secs(30));
        assert_eq!(c.body_read_timeout, Duration::from_secs(60));
        assert_eq!(c.idle_connection_timeout, Duration::from_secs(90));
        assert_eq!(c.max_connections, 4096);
        let c =
            Config::parse_from(["porch-server", "--header-read-timeout", "500ms", "--max-connections", "10"]);
        assert_eq!((c.header_read_timeout, c.max_connections), (Duration::from_millis(500), 10));
        assert!(Config::try_parse_from(["porch-server", "--body-read-timeout", "0"]).is_err());
        assert!(Config::try_parse_from(["porch-server", "--max-connections", "0"]).is_err());
    }

    #[test]
    fn exec_is_off_by_default_and_binaries_are_below_the_functions_dir() {
        let c = Config::parse_from(["porch-server"]);
        assert!(!c.allow_exec);
        assert_eq!(c.functions_dir, PathBuf::from("./functions"));
        let c = Config::parse_from(["porch-server", "--allow-exec", "--functions-dir", "/opt/fns"]);
        assert!(c.allow_exec);
        assert_eq!(c.functions_dir, PathBuf::from("/opt/fns"));
    }

    #[test]
    fn the_function_runner_is_off_by_default_and_takes_host_port() {
        let c = Config::parse_from(["porch-server"]);
        assert_eq!(c.function_runner(), None);
        let c =
            Config::parse_from(["porch-server", "--function-runner", "function-runner.porch-system:9445"]);
        assert_eq!(c.function_runner(), Some("function-runner.porch-system:9445"));
        let c = Config::parse_from(["porch-server", "--function-runner", "[::1]:9445"]);
        assert_eq!(c.function_runner(), Some("[::1]:9445"));
        assert_eq!(Config::parse_from(["porch-server", "--function-runner", ""]).function_runner(), None);
        for bad in ["function-runner", "http://function-runner:9445", "runner:0", "user@runner:9445", ":9445"]
        {
            assert!(Config::try_parse_from(["porch-server", "--function-runner", bad]).is_err(), "{bad}");
        }
    }

    #[test]
    fn remote_listening_needs_allow_remote() {
        let c = Config::parse_from(["porch-server", "--listen", "0.0.0.0:7007"]);
        assert!(c.check().unwrap_err().contains("--allow-remote"));
        let c = Config::parse_from(["porch-server", "--listen", "0.0.0.0:7007", "--allow-remote"]);
        assert!(c.check().is_ok());
    }

    #[test]
    fn aggregated_mode_serves_https_on_8443_and_needs_both_certificate_files() {
        let c = Config::parse_from(["porch-server", "--mode", "aggregated", "--listen", "0.0.0.0:7007"]);
        assert_eq!((c.mode, c.secure_port), (Mode::Aggregated, 8443));
        assert_eq!(c.authorization_always_allow_paths, ["/healthz", "/readyz", "/livez"]);
        assert!(c.check().is_ok(), "--listen is not used in aggregated mode");
        assert!(Config::try_parse_from(["porch-server", "--tls-cert-file", "a.crt"]).is_err());
        let c =
            Config::parse_from(["porch-server", "--authorization-always-allow-paths", "/healthz,/metrics"]);
        assert_eq!(c.authorization_always_allow_paths, ["/healthz", "/metrics"]);
        let c = Config::parse_from(["porch-server", "--authorization-always-allow-paths", "/a*b"]);
        assert!(c.check().unwrap_err().contains("--authorization-always-allow-paths"));
    }
}

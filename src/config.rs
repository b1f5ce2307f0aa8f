//! Command-line configuration (`porch-server --help`), parsed by clap.

use clap::{Parser, ValueEnum};
use std::net::SocketAddr;
use std::path::PathBuf;

/// Log line format.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, ValueEnum)]
pub enum LogFormat {
    /// Human-readable lines.
    #[default]
    Text,
    /// One JSON object per line.
    Json,
}

/// The server's configuration. Every flag can also be set through the environment variable named
/// in `--help`.
#[derive(Clone, Debug, Parser)]
#[command(name = "porch-server", version, about = "The Porch API server, in Rust")]
pub struct Config {
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

    /// Log format.
    #[arg(long, env = "PORCH_LOG_FORMAT", value_enum, default_value_t = LogFormat::Text)]
    pub log_format: LogFormat,

    /// Largest accepted request body, in bytes; larger bodies get a 413 Status.
    #[arg(long, env = "PORCH_MAX_REQUEST_BODY_SIZE", default_value_t = 6 * 1024 * 1024)]
    pub max_request_body_size: usize,

    /// How many recent change events are kept for watches resuming from a resourceVersion.
    #[arg(long, env = "PORCH_WATCH_EVENT_WINDOW", default_value_t = 10_000)]
    pub watch_event_window: usize,

    /// Seconds between BOOKMARK events on watches that allow them.
    #[arg(long, env = "PORCH_BOOKMARK_INTERVAL_SECONDS", default_value_t = 60)]
    pub bookmark_interval_seconds: u64,

    /// How long a watch lasts when the client gives no `timeoutSeconds`.
    #[arg(long, env = "PORCH_DEFAULT_WATCH_TIMEOUT_SECONDS", default_value_t = 1800)]
    pub default_watch_timeout_seconds: u64,
}

impl Config {
    /// The configuration with every default and the given data directory (for tests and tools).
    pub fn with_data_dir(data_dir: impl Into<PathBuf>) -> Self {
        let mut config = Self::parse_from(["porch-server"]);
        config.data_dir = data_dir.into();
        config
    }

    /// Refuses a non-loopback listen address unless `--allow-remote` is given.
    pub fn check(&self) -> Result<(), String> {
        if !self.listen.ip().is_loopback() && !self.allow_remote {
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
        assert!(c.check().is_ok());
    }

    #[test]
    fn remote_listening_needs_allow_remote() {
        let c = Config::parse_from(["porch-server", "--listen", "0.0.0.0:7007"]);
        assert!(c.check().unwrap_err().contains("--allow-remote"));
        let c = Config::parse_from(["porch-server", "--listen", "0.0.0.0:7007", "--allow-remote"]);
        assert!(c.check().is_ok());
    }
}

//! Standalone mode: the kubeconfig that points kubectl at this server.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};

/// The kubeconfig for a server listening on `addr` (an unspecified address becomes loopback).
pub(crate) fn kubeconfig(addr: SocketAddr) -> String {
    let host =
        if addr.ip().is_unspecified() { SocketAddr::from(([127, 0, 0, 1], addr.port())) } else { addr };
    format!(
        "apiVersion: v1\nkind: Config\nclusters:\n- name: porch-standalone\n  cluster:\n    server: http://{host}\n\
         contexts:\n- name: porch-standalone\n  context:\n    cluster: porch-standalone\n    user: standalone\n    \
         namespace: default\ncurrent-context: porch-standalone\nusers:\n- name: standalone\n  user: {{}}\n"
    )
}

/// Writes `<data_dir>/kubeconfig` and returns its path.
pub(crate) fn write_kubeconfig(data_dir: &Path, addr: SocketAddr) -> std::io::Result<PathBuf> {
    let path = data_dir.join("kubeconfig");
    let tmp = data_dir.join("kubeconfig.tmp");
    std::fs::write(&tmp, kubeconfig(addr))?;
    std::fs::rename(&tmp, &path)?;
    Ok(path)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kubeconfig_points_at_loopback() {
        let k = kubeconfig("0.0.0.0:7007".parse().unwrap());
        assert!(k.contains("server: http://127.0.0.1:7007"));
        assert!(k.contains("current-context: porch-standalone"));
    }
}

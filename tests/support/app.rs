//! The server under test in-process, for the engine and integration test binaries: steps under a
//! timeout, and reopening a data directory after a restart.

use std::future::Future;
use std::time::Duration;

use porch_server::{App, Config};

/// Runs `fut` under `limit`, panicking with `what` if it takes longer.
pub(crate) async fn within<T>(limit: Duration, what: &str, fut: impl Future<Output = T>) -> T {
    match tokio::time::timeout(limit, fut).await {
        Ok(v) => v,
        Err(_) => panic!("timed out after {limit:?}: {what}"),
    }
}

/// Opens an App on `config` as soon as the previous one on the same data directory lets go of it.
///
/// kube::Client sends through a `tower::buffer::Buffer` whose worker task owns the service (and
/// so the store) until the runtime next polls it, so the database is released shortly after the
/// App is dropped rather than at once.
pub(crate) async fn reopen(config: &Config) -> App {
    loop {
        match App::open(config, None) {
            Ok(app) => return app,
            Err(e) if format!("{e:?}").contains("AlreadyOpen") => {
                tokio::time::sleep(Duration::from_millis(20)).await;
            }
            Err(e) => panic!("reopening: {e:?}"),
        }
    }
}

//! `porch-server`: parse flags, set up logging and metrics, open the data directory, serve until
//! SIGINT or SIGTERM.

use anyhow::Context;
use clap::Parser;
use porch_server::{App, Config, Mode, logging};
use std::net::SocketAddr;
use std::process::ExitCode;

/// jemalloc instead of glibc's malloc: the server allocates small objects from many threads at
/// once (indexing, JSON of every revision, watch fan-out), where glibc's arenas contend on their
/// locks and keep freed memory (measured in `cargo bench --bench engine`: restart, cold start, RSS).
/// Its options are built in (`JEMALLOC_SYS_WITH_MALLOC_CONF` in `.cargo/config.toml`).
#[global_allocator]
static ALLOCATOR: tikv_jemallocator::Jemalloc = tikv_jemallocator::Jemalloc;

/// Raises the soft open-file limit to the hard one: connections, watches and git repositories
/// all hold descriptors, and the usual soft default (1024) is easily reached. The connection cap is
/// computed from the limit in force when serving starts.
fn raise_open_file_limit() {
    let before = rlimit::Resource::NOFILE.get_soft().unwrap_or(0);
    match rlimit::increase_nofile_limit(u64::MAX) {
        Ok(after) if after > before => tracing::info!("raised the open-file limit from {before} to {after}"),
        Ok(_) => {}
        Err(e) => tracing::warn!(error = %e, "could not raise the open-file limit"),
    }
}

/// How long a git push still running at shutdown may take to finish.
const PUSH_GRACE: std::time::Duration = std::time::Duration::from_secs(10);

/// Resolves on SIGINT or SIGTERM.
async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! {
        () = ctrl_c => {}
        () = term => {}
    }
    tracing::info!("shutting down");
}

fn main() -> ExitCode {
    let config = Config::parse();
    logging::init(config.log_format);
    // Process-wide libgit2 settings (see `git/libgit2.rs`), on a thread of their own: libgit2's
    // initialisation (OpenSSL's) takes ~30 ms of CPU, which the store's open on this thread does
    // not need to wait for. Every libgit2 user waits for it (`init_libgit2` runs once).
    let libgit2 = std::thread::Builder::new()
        .name("libgit2-init".into())
        .spawn(|| porch_server::git::init_libgit2(porch_server::git::Libgit2Options::default()));
    if let Err(e) = libgit2 {
        eprintln!("porch-server: failed to start a thread: {e}");
        return ExitCode::FAILURE;
    }
    let runtime = match tokio::runtime::Builder::new_multi_thread().enable_all().build() {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("porch-server: failed to start the async runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    let served = runtime.block_on(run(config));
    // Requests have drained and background tasks have stopped; what may still run on the blocking
    // pool is git work: a push is let finish, a fetch (libgit2 waits up to a minute on a silent
    // remote) is left behind instead of holding the exit.
    let pushing = porch_server::git::wait_for_pushes(PUSH_GRACE);
    if pushing > 0 {
        tracing::warn!("{pushing} git push(es) still running after {PUSH_GRACE:?}; exiting anyway");
    }
    runtime.shutdown_background();
    match served {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            // One line with the whole cause chain, no backtrace: these are user-facing errors.
            eprintln!("porch-server: {e:#}");
            ExitCode::FAILURE
        }
    }
}

async fn run(config: Config) -> anyhow::Result<()> {
    raise_open_file_limit();
    let metrics = porch_server::metrics::prometheus()
        .context("configuring metric buckets")?
        .install_recorder()
        .context("installing the metrics recorder")?;
    match config.mode {
        Mode::Standalone => {
            let app = App::open(&config, Some(metrics))?;
            let (listener, kubeconfig) = app.bind(config.listen).await?;
            let addr = listener.local_addr()?;
            tracing::info!(
                "porch-server listening on http://{addr} (standalone; data in {}; kubectl: KUBECONFIG={})",
                config.data_dir.display(),
                kubeconfig.display()
            );
            app.serve(listener, shutdown_signal()).await;
        }
        Mode::Aggregated => {
            let app = App::open_aggregated(&config, Some(metrics)).await?;
            let listener = App::listen(SocketAddr::new(config.bind_address, config.secure_port)).await?;
            let addr = listener.local_addr()?;
            tracing::info!(
                "porch-server listening on https://{addr} (aggregated API server of porch.kpt.dev; git caches in {})",
                config.data_dir.display()
            );
            app.serve(listener, shutdown_signal()).await;
        }
    }
    Ok(())
}

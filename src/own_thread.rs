//! A task that runs on a thread of its own: for the one loop whose delay every watcher sees
//! (the event pump), so that it never queues behind the tasks of a thousand watch connections
//! on a shared runtime's two workers.

use std::future::Future;

use tokio::sync::oneshot;
use tokio::task::JoinHandle;

/// Runs `future` on a new thread named `name`, on a current-thread runtime of its own (timers
/// and I/O enabled). The returned handle is a task on `runtime` that stands for it: aborting
/// that task (or dropping the runtime) drops `future` on its thread, which then ends.
pub(crate) fn spawn<F>(
    runtime: &tokio::runtime::Handle,
    name: &str,
    future: F,
) -> std::io::Result<JoinHandle<()>>
where
    F: Future<Output = ()> + Send + 'static,
{
    let own = tokio::runtime::Builder::new_current_thread().enable_all().build()?;
    let (keep, gone) = oneshot::channel::<()>();
    std::thread::Builder::new().name(name.to_string()).spawn(move || {
        own.block_on(async move {
            tokio::select! {
                () = future => {}
                _ = gone => {}
            }
        });
    })?;
    Ok(runtime.spawn(async move {
        let _keep = keep;
        std::future::pending::<()>().await;
    }))
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;

    /// Sets its flag when dropped.
    struct Dropped(std::sync::mpsc::Sender<std::thread::ThreadId>);

    impl Drop for Dropped {
        fn drop(&mut self) {
            let _ = self.0.send(std::thread::current().id());
        }
    }

    #[tokio::test]
    async fn runs_on_its_own_thread_and_is_dropped_there_when_aborted() {
        let (tx, rx) = std::sync::mpsc::channel();
        let (ran_tx, ran_rx) = oneshot::channel();
        let handle = spawn(&tokio::runtime::Handle::current(), "test-own-thread", async move {
            let guard = Dropped(tx);
            let _ = ran_tx.send(std::thread::current().name().map(str::to_string));
            tokio::time::sleep(Duration::from_secs(3600)).await;
            drop(guard);
        })
        .unwrap();
        assert_eq!(ran_rx.await.unwrap().as_deref(), Some("test-own-thread"));
        handle.abort();
        let _ = handle.await;
        let dropped_on = tokio::task::spawn_blocking(move || rx.recv_timeout(Duration::from_secs(5)))
            .await
            .unwrap()
            .expect("the future is dropped once its handle is aborted");
        assert_ne!(dropped_on, std::thread::current().id());
    }
}

//! [`WhenWoken`]: a future polled only once something woke it — for the side branches of a task
//! that wakes for other reasons all the time.
//!
//! A connection's task is woken for every event of its watch, and polls everything it selects
//! over each time: its idle timer and the server's shutdown signal, a watch body's deadline. A
//! `Notified` of tokio's `watch` channel takes its waiter list's lock on every poll, and the
//! shutdown channel's list is shared by every connection. Wrapped in [`WhenWoken`], such a future
//! is polled the first time and then only after its own waker fired: a spurious poll costs one
//! flag.

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::task::{Context, Poll, Wake, Waker};

use futures::task::AtomicWaker;

/// `inner`, polled only when its own waker has fired since its last poll (and the first time).
pub(crate) struct WhenWoken<F> {
    inner: Pin<Box<F>>,
    flag: Arc<Flag>,
    /// The waker `inner` is polled with (wakes `flag`).
    waker: Waker,
}

/// Whether the inner future was woken, and the task to wake then.
struct Flag {
    woken: AtomicBool,
    task: AtomicWaker,
}

impl Wake for Flag {
    fn wake(self: Arc<Self>) {
        self.wake_by_ref();
    }

    fn wake_by_ref(self: &Arc<Self>) {
        self.woken.store(true, Ordering::Release);
        self.task.wake();
    }
}

impl<F: Future> WhenWoken<F> {
    /// Wraps `inner`.
    pub(crate) fn new(inner: F) -> Self {
        let flag = Arc::new(Flag { woken: AtomicBool::new(true), task: AtomicWaker::new() });
        Self { inner: Box::pin(inner), waker: Waker::from(flag.clone()), flag }
    }
}

impl<F: Future> Future for WhenWoken<F> {
    type Output = F::Output;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<F::Output> {
        // Register first: a wake between the check and the registration is not lost.
        self.flag.task.register(cx.waker());
        if !self.flag.woken.swap(false, Ordering::AcqRel) {
            return Poll::Pending;
        }
        let this = &mut *self;
        this.inner.as_mut().poll(&mut Context::from_waker(&this.waker))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::AtomicUsize;
    use std::time::Duration;

    /// A future counting its polls, pending until `ready` is set (and woken through its waker).
    struct Counted {
        polls: Arc<AtomicUsize>,
        ready: Arc<AtomicBool>,
        waker: Arc<std::sync::Mutex<Option<Waker>>>,
    }

    impl Future for Counted {
        type Output = ();
        fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
            self.polls.fetch_add(1, Ordering::SeqCst);
            if self.ready.load(Ordering::SeqCst) {
                return Poll::Ready(());
            }
            *self.waker.lock().unwrap() = Some(cx.waker().clone());
            Poll::Pending
        }
    }

    #[test]
    fn polls_the_inner_future_only_after_its_own_waker_fired() {
        let polls = Arc::new(AtomicUsize::new(0));
        let ready = Arc::new(AtomicBool::new(false));
        let inner_waker = Arc::new(std::sync::Mutex::new(None));
        let mut fut = WhenWoken::new(Counted {
            polls: polls.clone(),
            ready: ready.clone(),
            waker: inner_waker.clone(),
        });
        let mut fut = Pin::new(&mut fut);
        let mut cx = Context::from_waker(Waker::noop());
        assert!(fut.as_mut().poll(&mut cx).is_pending());
        assert_eq!(polls.load(Ordering::SeqCst), 1, "the first poll reaches the inner future");
        for _ in 0..5 {
            assert!(fut.as_mut().poll(&mut cx).is_pending());
        }
        assert_eq!(polls.load(Ordering::SeqCst), 1, "polls for other reasons do not");
        ready.store(true, Ordering::SeqCst);
        inner_waker.lock().unwrap().take().expect("the inner future registered a waker").wake();
        assert!(fut.as_mut().poll(&mut cx).is_ready(), "after its wake it is polled, and ready");
        assert_eq!(polls.load(Ordering::SeqCst), 2);
    }

    #[tokio::test(start_paused = true)]
    async fn an_inner_wake_wakes_the_task_that_polls_it() {
        let sleep = WhenWoken::new(tokio::time::sleep(Duration::from_secs(5)));
        let started = tokio::time::Instant::now();
        tokio::select! {
            () = sleep => {}
            () = std::future::pending::<()>() => {}
        }
        assert_eq!(started.elapsed(), Duration::from_secs(5), "the timer's wake reached the select");
    }
}

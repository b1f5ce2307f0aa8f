//! [`WhenWoken`]: a future polled only once something woke it — for the side branches of a task
//! that wakes for other reasons all the time.
//!
//! A connection's task is woken for every event of its watch, and polls everything it selects
//! over each time: its idle timer and the server's shutdown signal, a watch body's deadline. A
//! `Notified` of tokio's `watch` channel takes its waiter list's lock on every poll, and the
//! shutdown channel's list is shared by every connection. Wrapped in [`WhenWoken`], such a future
//! is polled the first time and then only after its own waker fired: a spurious poll reads one
//! flag (and hands the flag the task's waker only when that changed).

use std::future::Future;
use std::pin::Pin;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll, Wake, Waker};

/// `inner`, polled only when its own waker has fired since its last poll (and the first time).
pub(crate) struct WhenWoken<F> {
    inner: Pin<Box<F>>,
    flag: Arc<Flag>,
    /// The waker `inner` is polled with (wakes `flag`).
    waker: Waker,
    /// The task's waker the flag holds (compared locally, so the flag's lock is taken only
    /// when the polling task changes).
    task: Option<Waker>,
}

/// Whether the inner future was woken, and the task to wake then.
struct Flag {
    woken: AtomicBool,
    task: Mutex<Option<Waker>>,
}

impl Wake for Flag {
    fn wake(self: Arc<Self>) {
        self.wake_by_ref();
    }

    fn wake_by_ref(self: &Arc<Self>) {
        self.woken.store(true, Ordering::Release);
        if let Some(task) = self.task.lock().unwrap_or_else(|e| e.into_inner()).as_ref() {
            task.wake_by_ref();
        }
    }
}

impl<F: Future> WhenWoken<F> {
    /// Wraps `inner`.
    pub(crate) fn new(inner: F) -> Self {
        let flag = Arc::new(Flag { woken: AtomicBool::new(true), task: Mutex::new(None) });
        Self { inner: Box::pin(inner), waker: Waker::from(flag.clone()), flag, task: None }
    }
}

impl<F: Future> Future for WhenWoken<F> {
    type Output = F::Output;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<F::Output> {
        let this = &mut *self;
        // The task first: a wake between the check below and this would be lost.
        if !this.task.as_ref().is_some_and(|task| task.will_wake(cx.waker())) {
            let task = cx.waker().clone();
            *this.flag.task.lock().unwrap_or_else(|e| e.into_inner()) = Some(task.clone());
            this.task = Some(task);
        }
        if !this.flag.woken.load(Ordering::Acquire) || !this.flag.woken.swap(false, Ordering::AcqRel) {
            return Poll::Pending;
        }
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

    /// A waker counting its wakes.
    struct Task(AtomicUsize);

    impl Wake for Task {
        fn wake(self: Arc<Self>) {
            self.0.fetch_add(1, Ordering::SeqCst);
        }
    }

    #[test]
    fn an_inner_wake_reaches_the_task_that_polled_last() {
        let ready = Arc::new(AtomicBool::new(false));
        let inner_waker = Arc::new(std::sync::Mutex::new(None));
        let mut fut = WhenWoken::new(Counted {
            polls: Arc::default(),
            ready: ready.clone(),
            waker: inner_waker.clone(),
        });
        let mut fut = Pin::new(&mut fut);
        let (first, second) = (Arc::new(Task(AtomicUsize::new(0))), Arc::new(Task(AtomicUsize::new(0))));
        assert!(fut.as_mut().poll(&mut Context::from_waker(&Waker::from(first.clone()))).is_pending());
        assert!(fut.as_mut().poll(&mut Context::from_waker(&Waker::from(second.clone()))).is_pending());
        inner_waker.lock().unwrap().take().expect("registered").wake();
        assert_eq!((first.0.load(Ordering::SeqCst), second.0.load(Ordering::SeqCst)), (0, 1));
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

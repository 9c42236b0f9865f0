//! The core's own tokio runtime and the way a call reaches it: async methods run on it and
//! hand back a future any executor can poll (the JoinHandle), so Kotlin's and Swift's
//! executors, or a Rust test's, drive them without a reactor of their own.

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};

use tokio::runtime::Handle;
use tokio::sync::Notify;
use tokio::task::{JoinError, JoinHandle};

use crate::error::{Error, Result};
use crate::services::{Erased, join_error, unerase};

/// The runtime, and the signal that ends every network call in flight.
pub(crate) struct Tasks {
    handle: Handle,
    /// Ends the thread that drives the runtime.
    stop: Option<tokio::sync::oneshot::Sender<()>>,
    cancel: Arc<Notify>,
}

impl Tasks {
    /// Starts the runtime: one thread drives the core's tasks (its work is waiting on the
    /// network and the database, which runs on up to four blocking threads), as a phone
    /// app has its own threads to run; tokio's multi-thread scheduler is not linked.
    pub(crate) fn start() -> Result<Tasks> {
        let failed = |e: std::io::Error| Error::Internal {
            reason: format!("cannot start the runtime: {e}"),
        };
        let runtime = tokio::runtime::Builder::new_current_thread()
            .max_blocking_threads(4)
            .thread_name("waybill-blocking")
            .enable_all()
            .build()
            .map_err(failed)?;
        let handle = runtime.handle().clone();
        let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
        std::thread::Builder::new()
            .name("waybill-rt".into())
            .spawn(move || {
                runtime.block_on(async {
                    let _ = stopped.await;
                });
                runtime.shutdown_background();
            })
            .map_err(failed)?;
        Ok(Tasks {
            handle,
            stop: Some(stop),
            cancel: Arc::new(Notify::new()),
        })
    }

    /// Runs `work` on the runtime and waits for it from any executor. It ends with
    /// `Cancelled` when [`Tasks::cancel_running`] is called while it runs, and is aborted
    /// when the caller drops the returned future (a cancelled Kotlin coroutine).
    pub(crate) async fn run<T, Fut>(&self, work: Fut) -> Result<T>
    where
        Fut: Future<Output = Result<T>> + Send + 'static,
        T: Send + 'static,
    {
        let erased: ErasedWork = Box::pin(async move { Box::new(work.await) as Erased });
        unerase::<Result<T>>(self.run_erased(erased).await?)?
    }

    /// [`Tasks::run`] without its type: tokio's task machinery is instantiated once for
    /// every call of the core instead of once per call site (tens of KB of the mobile
    /// library; docs/library-size.md).
    async fn run_erased(&self, work: ErasedWork) -> Result<Erased> {
        let cancel = Arc::clone(&self.cancel);
        let task = self.handle.spawn(async move {
            // Created before the work starts: a `notify_waiters` from now on reaches it.
            let mut cancelled = std::pin::pin!(cancel.notified());
            let mut work = work;
            std::future::poll_fn(|cx| {
                if cancelled.as_mut().poll(cx).is_ready() {
                    return Poll::Ready(None);
                }
                work.as_mut().poll(cx).map(Some)
            })
            .await
        });
        AbortOnDrop(task)
            .await
            .map_err(join_error)?
            .ok_or(Error::Cancelled)
    }

    /// Ends every call in flight with `Cancelled`; calls started afterwards go on.
    pub(crate) fn cancel_running(&self) {
        self.cancel.notify_waiters();
    }
}

impl Drop for Tasks {
    /// Does not block: running tasks are dropped at their next await point. Each task
    /// writes its state before it awaits the network, so nothing acknowledged is lost.
    fn drop(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
    }
}

/// Cancels one call and no other: the shell makes one per call it may cancel (a Swift
/// task's cancellation handler calls [`CallToken::cancel`]), and
/// [`CallToken::guard`] ends that call with `Cancelled`, dropping its work, which aborts
/// the task on the runtime (as a cancelled Kotlin coroutine does by dropping the future).
#[derive(Debug, Default)]
pub struct CallToken {
    cancelled: std::sync::atomic::AtomicBool,
    notify: Notify,
}

impl CallToken {
    /// A token not cancelled yet.
    pub fn new() -> CallToken {
        CallToken::default()
    }

    /// Ends the call this token guards (now, or as soon as it starts).
    pub fn cancel(&self) {
        self.cancelled
            .store(true, std::sync::atomic::Ordering::SeqCst);
        self.notify.notify_waiters();
    }

    /// Whether [`CallToken::cancel`] was called.
    pub fn is_cancelled(&self) -> bool {
        self.cancelled.load(std::sync::atomic::Ordering::SeqCst)
    }

    /// Runs `call`, or ends it with `Cancelled` when `token` is cancelled (before it
    /// starts or while it runs). Without a token the call runs as it is.
    pub async fn guard<T>(
        token: Option<&CallToken>,
        call: impl Future<Output = Result<T>>,
    ) -> Result<T> {
        // One place polls the call, with or without a token, so its state machine is
        // inlined once (boxing it to race in one non-generic function measured larger).
        // The `Notified` is created before the flag is read: a `cancel` in between still
        // wakes it.
        let mut cancelled = std::pin::pin!(token.map(|t| t.notify.notified()));
        let mut call = std::pin::pin!(call);
        std::future::poll_fn(|cx| {
            if let (Some(token), Some(notified)) = (token, cancelled.as_mut().as_pin_mut())
                && (token.is_cancelled() || notified.poll(cx).is_ready())
            {
                return Poll::Ready(Err(Error::Cancelled));
            }
            call.as_mut().poll(cx)
        })
        .await
    }
}

/// A task's work with its type erased.
type ErasedWork = Pin<Box<dyn Future<Output = Erased> + Send>>;

/// A spawned task that is aborted when the future awaiting it is dropped.
struct AbortOnDrop<T>(JoinHandle<T>);

impl<T> Future for AbortOnDrop<T> {
    type Output = std::result::Result<T, JoinError>;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        Pin::new(&mut self.0).poll(cx)
    }
}

impl<T> Drop for AbortOnDrop<T> {
    fn drop(&mut self) {
        // A no-op once the task has finished.
        self.0.abort();
    }
}

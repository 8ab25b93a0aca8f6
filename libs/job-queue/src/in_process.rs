//! The embedded transport: chunks travel over a channel inside the process.
//!
//! Nothing survives a restart, which is fine: the owner re-plans unfinished jobs from
//! its database at start-up. Failed chunks are re-sent after `retry_delay` with the same
//! delivery counting and dead-lettering as the Redis transport.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use tokio::sync::{Mutex, mpsc};
use tokio::task::JoinSet;
use tokio_util::sync::CancellationToken;

use crate::dispatch::{Verdict, dispatch};
use crate::stats::Counters;
use crate::{ChunkHandler, ChunkMessage, QueueConfig};

/// A chunk on its way to a worker, with the delivery number it will be handed out as.
struct Envelope {
    message: ChunkMessage,
    delivery: u32,
}

/// Shared between clones and worker tasks.
struct Inner {
    sender: mpsc::UnboundedSender<Envelope>,
    /// Workers take turns at the single receiver; the lock is held only while waiting
    /// for the next chunk, never while handling one.
    receiver: Mutex<mpsc::UnboundedReceiver<Envelope>>,
    /// Delivered and not yet acknowledged or dead-lettered (including those waiting for
    /// a retry), matching what `XPENDING` counts on Redis.
    pending: AtomicU64,
    dead_letters: AtomicU64,
    config: QueueConfig,
    counters: Counters,
}

/// The in-process queue; cheap to clone.
#[derive(Clone)]
pub(crate) struct InProcessQueue {
    inner: Arc<Inner>,
}

impl InProcessQueue {
    pub(crate) fn new(config: QueueConfig) -> Self {
        let (sender, receiver) = mpsc::unbounded_channel();
        Self {
            inner: Arc::new(Inner {
                sender,
                receiver: Mutex::new(receiver),
                pending: AtomicU64::new(0),
                dead_letters: AtomicU64::new(0),
                config,
                counters: Counters::default(),
            }),
        }
    }

    pub(crate) fn enqueue(&self, messages: Vec<ChunkMessage>) {
        for message in messages {
            // The receiver lives as long as `inner`, which we hold: sending cannot fail.
            let _ = self.inner.sender.send(Envelope {
                message,
                delivery: 1,
            });
        }
    }

    pub(crate) fn spawn_workers(
        &self,
        workers: &mut JoinSet<()>,
        handler: &Arc<dyn ChunkHandler>,
        concurrency: usize,
        shutdown: &CancellationToken,
    ) {
        for _ in 0..concurrency {
            workers.spawn(worker(
                Arc::clone(&self.inner),
                Arc::clone(handler),
                shutdown.clone(),
            ));
        }
    }

    pub(crate) fn pending_count(&self) -> u64 {
        self.inner.pending.load(Ordering::Relaxed)
    }

    pub(crate) fn dead_letter_count(&self) -> u64 {
        self.inner.dead_letters.load(Ordering::Relaxed)
    }

    pub(crate) fn counters(&self) -> &Counters {
        &self.inner.counters
    }
}

/// One worker: take a chunk, handle it, settle it; stop taking chunks on shutdown.
///
/// A chunk to retry waits out `retry_delay` in a timer task the worker owns, so the
/// worker is free meanwhile; the timers end with the worker. Dropping a waiting retry
/// then loses nothing that matters: the process is stopping, and the owner re-plans
/// unfinished jobs at start-up.
async fn worker(inner: Arc<Inner>, handler: Arc<dyn ChunkHandler>, shutdown: CancellationToken) {
    let mut retries = JoinSet::new();
    loop {
        let next = tokio::select! {
            () = shutdown.cancelled() => return,
            // Reaps finished timers, so the set holds only the waiting ones.
            Some(_) = retries.join_next() => continue,
            next = async { inner.receiver.lock().await.recv().await } => next,
        };
        let Some(Envelope { message, delivery }) = next else {
            return;
        };
        if delivery == 1 {
            inner.pending.fetch_add(1, Ordering::Relaxed);
        }
        let max = inner.config.max_deliveries;
        match dispatch(handler.as_ref(), &message, delivery, max).await {
            Verdict::Ack => {
                inner.pending.fetch_sub(1, Ordering::Relaxed);
                inner.counters.acked();
            }
            Verdict::DeadLetter(reason) => {
                inner.pending.fetch_sub(1, Ordering::Relaxed);
                inner.dead_letters.fetch_add(1, Ordering::Relaxed);
                inner.counters.dead_lettered();
                handler.dead_lettered(&message, &reason).await;
            }
            Verdict::Retry(_) => {
                let inner = Arc::clone(&inner);
                retries.spawn(async move {
                    tokio::time::sleep(inner.config.retry_delay).await;
                    let _ = inner.sender.send(Envelope {
                        message,
                        delivery: delivery + 1,
                    });
                });
            }
        }
    }
}

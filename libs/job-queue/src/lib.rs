//! Delivers job chunks to workers, at least once, across processes.
//!
//! A job's record and its chunks live in the owner's database; this crate only carries
//! "apply chunk N of job J" to some worker and makes sure it is eventually handled,
//! dead-lettered, or reported lost (a [`ChunkHandler::queue_reset`]). Two transports sit
//! behind one API: Redis Streams with a consumer group for the distributed deployment,
//! and an in-process channel for the embedded default. See `README.md` for the
//! semantics and the reasons behind them.

mod backoff;
mod config;
mod dispatch;
mod error;
mod handler;
mod in_process;
mod message;
mod redis_transport;
mod stats;

#[cfg(test)]
mod tests;

use std::sync::Arc;

use tokio::task::{JoinHandle, JoinSet};
use tokio_util::sync::CancellationToken;

pub use config::{QueueConfig, RedisQueueOptions, unique_consumer_name};
pub use error::QueueError;
pub use handler::{ChunkHandler, HandlerError};
pub use message::{ChunkMessage, MalformedEntry};
pub use stats::QueueStats;

use in_process::InProcessQueue;
use redis_transport::RedisQueue;

/// A handle to one queue; cheap to clone, so the producer side (gRPC handlers) and the
/// worker side can share it.
#[derive(Clone)]
pub struct JobQueue {
    transport: Transport,
}

#[derive(Clone)]
enum Transport {
    InProcess(InProcessQueue),
    Redis(RedisQueue),
}

impl JobQueue {
    /// A queue inside this process, for the embedded default without Redis. Chunks do
    /// not survive a restart; the owner re-plans unfinished jobs at start-up anyway.
    pub fn in_process(config: QueueConfig) -> Result<Self, QueueError> {
        validate(&config)?;
        Ok(Self {
            transport: Transport::InProcess(InProcessQueue::new(config)),
        })
    }

    /// A queue on a Redis stream shared by every process using the same prefix and
    /// queue name. Connects lazily, so start-up does not depend on Redis being up;
    /// fails only on an invalid URL or configuration.
    pub fn redis(options: RedisQueueOptions, config: QueueConfig) -> Result<Self, QueueError> {
        validate(&config)?;
        Ok(Self {
            transport: Transport::Redis(RedisQueue::new(options, config)?),
        })
    }

    /// Queues chunks for delivery (one pipelined `XADD` round trip on Redis). An error
    /// means some may not have been queued; the owner's job record still lists them,
    /// so re-planning recovers them. Works after a Redis reset without further steps.
    pub async fn enqueue(&self, messages: Vec<ChunkMessage>) -> Result<(), QueueError> {
        match &self.transport {
            Transport::InProcess(queue) => {
                queue.enqueue(messages);
                Ok(())
            }
            Transport::Redis(queue) => queue.enqueue(&messages).await,
        }
    }

    /// The worker pool: `concurrency` workers (at least one) feeding `handler`, until
    /// `shutdown` is cancelled. On shutdown each worker stops taking chunks, finishes and
    /// settles the one in hand, and leaves anything unsettled pending for others to
    /// reclaim.
    ///
    /// Nothing runs until the caller spawns the returned future, on whatever it owns its
    /// background tasks with (a `TaskTracker`, a `JoinSet`): the pool is then waited for
    /// with everything else the caller started. The future owns its workers, so it ends
    /// when every worker has, and dropping or aborting it aborts them, which is what a
    /// crash looks like to the rest of the group.
    // Owned arguments: callers build the handler and token for the pool and hand them
    // over (an `Arc<Concrete>` coerces to the trait object only by value).
    #[allow(clippy::needless_pass_by_value)]
    pub fn workers(
        &self,
        handler: Arc<dyn ChunkHandler>,
        concurrency: usize,
        shutdown: CancellationToken,
    ) -> impl Future<Output = ()> + Send + 'static {
        let mut workers = JoinSet::new();
        let concurrency = concurrency.max(1);
        match &self.transport {
            Transport::InProcess(queue) => {
                queue.spawn_workers(&mut workers, &handler, concurrency, &shutdown);
            }
            Transport::Redis(queue) => {
                queue.spawn_workers(&mut workers, &handler, concurrency, &shutdown);
            }
        }
        async move {
            while let Some(result) = workers.join_next().await {
                if let Err(error) = result
                    && error.is_panic()
                {
                    tracing::error!(%error, "job queue worker panicked");
                }
            }
        }
    }

    /// [`JobQueue::workers`], spawned at once; the caller owns the returned handle.
    /// Prefer `workers` on the caller's task tracker, so shutdown waits for the pool.
    pub fn run_workers(
        &self,
        handler: Arc<dyn ChunkHandler>,
        concurrency: usize,
        shutdown: CancellationToken,
    ) -> JoinHandle<()> {
        tokio::spawn(self.workers(handler, concurrency, shutdown))
    }

    /// Chunks delivered to a worker and not yet acknowledged or dead-lettered (on
    /// Redis, the consumer group's `XPENDING` count; chunks not yet delivered are not
    /// included). For metrics.
    pub async fn pending_count(&self) -> Result<u64, QueueError> {
        match &self.transport {
            Transport::InProcess(queue) => Ok(queue.pending_count()),
            Transport::Redis(queue) => queue.pending_count().await,
        }
    }

    /// Chunks in the dead letters (on Redis, the length of `<stream>:dead`, which is
    /// shared by all processes and trimmed to about `dead_letter_max_len`). For metrics.
    pub async fn dead_letter_count(&self) -> Result<u64, QueueError> {
        match &self.transport {
            Transport::InProcess(queue) => Ok(queue.dead_letter_count()),
            Transport::Redis(queue) => queue.dead_letter_count().await,
        }
    }

    /// What this process's workers did so far, for metrics.
    pub fn stats(&self) -> QueueStats {
        match &self.transport {
            Transport::InProcess(queue) => queue.counters().snapshot(),
            Transport::Redis(queue) => queue.counters().snapshot(),
        }
    }

    /// The Redis keys this queue uses (`None` in process): the stream and its
    /// dead-letter stream, for operators' tooling and tests that must clean up.
    pub fn redis_keys(&self) -> Option<(&str, &str)> {
        match &self.transport {
            Transport::InProcess(_) => None,
            Transport::Redis(queue) => {
                let keys = queue.keys();
                Some((keys.stream.as_str(), keys.dead.as_str()))
            }
        }
    }
}

/// Rejects settings under which no chunk could ever be handled.
fn validate(config: &QueueConfig) -> Result<(), QueueError> {
    if config.max_deliveries == 0 {
        return Err(QueueError::Config("max_deliveries must be at least 1"));
    }
    if config.claim_idle <= config.block {
        return Err(QueueError::Config(
            "claim_idle must exceed block, or workers would reclaim each other's reads",
        ));
    }
    Ok(())
}

//! How evacuations are tuned.

use std::time::Duration;

use job_queue::QueueConfig;

/// Tuning; the defaults suit production, tests shorten the timings.
#[derive(Debug, Clone)]
pub struct Settings {
    /// Entries per chunk (one transaction each). 500 measured fastest on PostgreSQL:
    /// fewer per-chunk round trips and commits than 250, while one chunk's transaction
    /// (~50 ms) still holds the stream lock only briefly for other writers.
    pub chunk_size: usize,
    /// Worker loops per process. Chunk transactions serialize on the stream lock, so
    /// more than a couple buys little.
    pub workers: usize,
    /// Queue timings (delivery attempts, reclaim idle time, …).
    pub queue: QueueConfig,
    /// A chunk still pending this long after it was last queued is queued again.
    pub stale_after: Duration,
    /// How often the sweeper looks for stale chunks and refreshes the job gauges.
    pub sweep_every: Duration,
    /// How often a waiting caller re-reads the job, in case a bus message is lost.
    pub poll_every: Duration,
    /// How long a chunk handler keeps retrying while the database is unreachable before
    /// it gives the delivery up (must stay well under `queue.claim_idle`).
    pub unavailable_patience: Duration,
    /// Rows one purge step deletes (one transaction, one table): large enough that a
    /// 100,000-event room takes a few dozen steps, small enough that a step holds the
    /// write lock about as long as a leave chunk (`super::deletion`).
    pub purge_batch: i64,
    /// How long one delivery of a purge chunk keeps taking steps before it queues its
    /// continuation and returns; well under `queue.claim_idle`, so a live worker's
    /// delivery is never reclaimed as a dead one's.
    pub purge_slice: Duration,
}

impl Default for Settings {
    fn default() -> Self {
        Self {
            chunk_size: 500,
            workers: 2,
            queue: QueueConfig::default(),
            stale_after: Duration::from_secs(60),
            sweep_every: Duration::from_secs(10),
            poll_every: Duration::from_secs(1),
            unavailable_patience: Duration::from_secs(2),
            purge_batch: 5_000,
            purge_slice: Duration::from_secs(1),
        }
    }
}

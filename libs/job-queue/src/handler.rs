//! The contract between the queue and the code that applies chunks.

use async_trait::async_trait;

use crate::ChunkMessage;

/// What a handler reports when a chunk could not be applied this time. Any error type
/// will do: the queue only logs it and, on the last attempt, records it as the
/// dead-letter reason.
pub type HandlerError = Box<dyn std::error::Error + Send + Sync>;

/// Applies chunks and learns about the queue's decisions that affect job progress.
///
/// All three methods are required on purpose: an owner that ignored dead letters would
/// wait forever for a job to finish, and one that ignored resets would lose chunks.
#[async_trait]
pub trait ChunkHandler: Send + Sync {
    /// Applies one chunk. Delivery is at-least-once, so this must be idempotent.
    /// `delivery` starts at 1 and grows each time the chunk is handed out again (after a
    /// failure or after a worker died holding it).
    ///
    /// `Ok` acknowledges the chunk; `Err` leaves it to be retried, until it has been
    /// delivered `max_deliveries` times, when it is dead-lettered instead.
    async fn handle(&self, message: &ChunkMessage, delivery: u32) -> Result<(), HandlerError>;

    /// The chunk will not be delivered again; the owner should count it as failed.
    /// Called once per dead-lettered chunk, by the worker that moved it.
    async fn dead_lettered(&self, message: &ChunkMessage, reason: &str);

    /// The Redis state was lost (for example Redis restarted without persistence) and
    /// the consumer group had to be recreated: every chunk that was queued or pending is
    /// gone. The owner must re-enqueue the unfinished chunks from its database.
    /// Called by the one process whose worker recreated the group.
    async fn queue_reset(&self);
}

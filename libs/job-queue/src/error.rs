//! Errors returned to the queue's owner.

/// Why a queue operation failed. Workers never return errors (they retry); only
/// construction, `enqueue` and the introspection calls do.
#[derive(Debug, thiserror::Error)]
pub enum QueueError {
    /// Redis refused or could not be reached.
    #[error("redis: {0}")]
    Redis(#[from] redis::RedisError),
    /// The configuration cannot work (e.g. `max_deliveries` of 0).
    #[error("invalid queue configuration: {0}")]
    Config(&'static str),
}

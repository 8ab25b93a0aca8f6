//! Counters of what this process's queue did, for metrics and tests.

use std::sync::atomic::{AtomicU64, Ordering};

/// A snapshot of [`crate::JobQueue::stats`]: counts since this `JobQueue` was built, in
/// this process only.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct QueueStats {
    /// Chunks this process acknowledged (on Redis: `XACK` removed them from the pending
    /// list, so across all processes each chunk is counted once).
    pub acked: u64,
    /// Chunks this process moved to the dead-letter stream.
    pub dead_lettered: u64,
    /// Times this process recreated a lost consumer group and reported a reset.
    pub resets: u64,
}

/// The live counters behind [`QueueStats`].
#[derive(Debug, Default)]
pub(crate) struct Counters {
    acked: AtomicU64,
    dead_lettered: AtomicU64,
    resets: AtomicU64,
}

impl Counters {
    pub(crate) fn acked(&self) {
        self.acked.fetch_add(1, Ordering::Relaxed);
    }

    pub(crate) fn dead_lettered(&self) {
        self.dead_lettered.fetch_add(1, Ordering::Relaxed);
    }

    pub(crate) fn reset(&self) {
        self.resets.fetch_add(1, Ordering::Relaxed);
    }

    pub(crate) fn snapshot(&self) -> QueueStats {
        QueueStats {
            acked: self.acked.load(Ordering::Relaxed),
            dead_lettered: self.dead_lettered.load(Ordering::Relaxed),
            resets: self.resets.load(Ordering::Relaxed),
        }
    }
}

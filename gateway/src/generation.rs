//! Keeping a cache filled from a remote answer coherent with invalidations that arrive
//! while the answer is in flight: read [`Generation::current`] before asking, bump it on
//! every invalidation, and insert only through [`Generation::insert_if_current`], so an
//! answer fetched before an invalidation is never cached after it. The token cache and
//! the whois cache both rely on it.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

/// A counter of invalidations; cheap to clone (clones share it).
#[derive(Clone, Default)]
pub struct Generation(Arc<AtomicU64>);

impl Generation {
    /// Read before fetching the answer to cache.
    pub fn current(&self) -> u64 {
        self.0.load(Ordering::SeqCst)
    }

    /// Call on every invalidation, before dropping entries.
    pub fn bump(&self) {
        self.0.fetch_add(1, Ordering::SeqCst);
    }

    /// Runs `insert` unless an invalidation happened since `seen`; runs `undo` when one
    /// raced with the insert (it may have missed the new entry).
    pub fn insert_if_current(&self, seen: u64, insert: impl FnOnce(), undo: impl FnOnce()) {
        if self.current() != seen {
            return;
        }
        insert();
        if self.current() != seen {
            undo();
        }
    }
}

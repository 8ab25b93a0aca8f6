//! Where "now" comes from, so time-dependent rules (nonce expiry) can be tested by moving
//! a clock instead of sleeping.

use std::sync::Arc;
#[cfg(test)]
use std::sync::atomic::{AtomicI64, Ordering};

/// A source of milliseconds since the Unix epoch.
#[derive(Clone)]
pub(crate) struct Clock(Arc<dyn Fn() -> i64 + Send + Sync>);

impl Clock {
    /// Wall-clock time, as stored everywhere else.
    pub(crate) fn system() -> Self {
        Self(Arc::new(bailiff_domain::now_ms))
    }

    /// A clock that only moves when the test moves it.
    #[cfg(test)]
    pub(crate) fn manual(start_ms: i64) -> (Self, Arc<AtomicI64>) {
        let now = Arc::new(AtomicI64::new(start_ms));
        let read = Arc::clone(&now);
        (Self(Arc::new(move || read.load(Ordering::SeqCst))), now)
    }

    pub(crate) fn now_ms(&self) -> i64 {
        (self.0)()
    }
}

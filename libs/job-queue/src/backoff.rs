//! Capped exponential backoff for retrying Redis, interruptible by shutdown.

use std::time::Duration;

use tokio_util::sync::CancellationToken;

/// Waits longer after each consecutive failure, up to a cap, so an outage neither
/// busy-loops nor leaves a worker asleep long after Redis is back.
pub(crate) struct Backoff {
    min: Duration,
    max: Duration,
    next: Duration,
}

impl Backoff {
    /// Starts at `min`, doubling up to `max`.
    pub(crate) fn new(min: Duration, max: Duration) -> Self {
        let min = min.max(Duration::from_millis(1));
        let max = max.max(min);
        Self {
            min,
            max,
            next: min,
        }
    }

    /// The delay to use now; the following one is doubled.
    pub(crate) fn next_delay(&mut self) -> Duration {
        let delay = self.next;
        self.next = (self.next * 2).min(self.max);
        delay
    }

    /// Forgets past failures after a success.
    pub(crate) fn reset(&mut self) {
        self.next = self.min;
    }

    /// Sleeps for the next delay; returns `false` if shutdown came first.
    pub(crate) async fn wait(&mut self, shutdown: &CancellationToken) -> bool {
        let delay = self.next_delay();
        tokio::select! {
            () = shutdown.cancelled() => false,
            () = tokio::time::sleep(delay) => true,
        }
    }
}

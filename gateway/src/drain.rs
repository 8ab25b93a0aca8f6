//! When the gateway stops accepting connections during a shutdown.
//!
//! Closing the listener the moment SIGTERM arrives resets every connection that the
//! kernel had already completed but the server had not accepted yet: the client sent
//! its request and gets a connection reset, not an answer and not a refusal. Load
//! balancers keep sending for a while after readiness turns false (Kubernetes removes
//! the endpoint asynchronously), so the gateway keeps accepting and serving until no
//! new connection has arrived for [`QUIET`], at most [`MAX_WAIT`], and only then closes
//! the listener and lets in-flight requests finish.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use tokio::time::Instant;

use tokio_util::sync::CancellationToken;

/// Connections must have stopped arriving for this long.
pub const QUIET: Duration = Duration::from_millis(250);

/// Upper bound on the wait, so a steady stream of clients cannot hold shutdown open.
pub const MAX_WAIT: Duration = Duration::from_secs(5);

/// Records when the last connection was accepted; cheap to clone.
#[derive(Clone, Debug)]
pub struct AcceptClock {
    start: Instant,
    last_accept_ms: Arc<AtomicU64>,
}

impl Default for AcceptClock {
    fn default() -> Self {
        Self {
            start: Instant::now(),
            last_accept_ms: Arc::new(AtomicU64::new(0)),
        }
    }
}

impl AcceptClock {
    /// Call on every accepted connection.
    pub fn accepted(&self) {
        self.last_accept_ms
            .store(self.elapsed_ms(), Ordering::Relaxed);
    }

    fn elapsed_ms(&self) -> u64 {
        u64::try_from(self.start.elapsed().as_millis()).unwrap_or(u64::MAX)
    }

    fn since_last_accept(&self) -> Duration {
        let last = self.last_accept_ms.load(Ordering::Relaxed);
        Duration::from_millis(self.elapsed_ms().saturating_sub(last))
    }

    /// Completes once `shutdown` is cancelled and connections have stopped arriving
    /// (see the module docs): the signal to stop accepting.
    pub async fn quiet_after(self, shutdown: CancellationToken) {
        shutdown.cancelled().await;
        let deadline = tokio::time::Instant::now() + MAX_WAIT;
        loop {
            let since = self.since_last_accept();
            if since >= QUIET || tokio::time::Instant::now() >= deadline {
                return;
            }
            tokio::time::sleep(QUIET.saturating_sub(since)).await;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A clock and the shutdown signal waiting on it, with shutdown already requested.
    fn shutting_down() -> (AcceptClock, tokio::task::JoinHandle<()>) {
        let clock = AcceptClock::default();
        let shutdown = CancellationToken::new();
        let signal = tokio::spawn(clock.clone().quiet_after(shutdown.clone()));
        shutdown.cancel();
        (clock, signal)
    }

    async fn settle() {
        for _ in 0..10 {
            tokio::task::yield_now().await;
        }
    }

    #[tokio::test(start_paused = true)]
    async fn stops_accepting_once_connections_stop_arriving() {
        let (clock, signal) = shutting_down();
        for _ in 0..10 {
            clock.accepted();
            tokio::time::sleep(Duration::from_millis(100)).await;
            settle().await;
            assert!(
                !signal.is_finished(),
                "stopped while connections still arrived"
            );
        }
        tokio::time::sleep(QUIET + Duration::from_millis(10)).await;
        settle().await;
        assert!(signal.is_finished());
    }

    #[tokio::test(start_paused = true)]
    async fn a_steady_stream_cannot_hold_shutdown_open() {
        let (clock, signal) = shutting_down();
        let started = Instant::now();
        while !signal.is_finished() {
            clock.accepted();
            tokio::time::sleep(Duration::from_millis(50)).await;
            settle().await;
        }
        assert!(started.elapsed() >= MAX_WAIT);
        assert!(started.elapsed() < MAX_WAIT + QUIET);
    }
}

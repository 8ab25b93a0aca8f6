//! Background upkeep: removes expired registration nonces so the table stays tiny.
//!
//! Expired nonces are already unusable (consumption checks the age), so pruning is only
//! about space; running it every minute on every replica is harmless and needs no
//! coordination.

use std::time::Duration;

use tokio_util::sync::CancellationToken;

use crate::api::NONCE_TTL_MS;
use crate::clock::Clock;
use crate::store::Store;

const PRUNE_EVERY: Duration = Duration::from_secs(60);

/// The pruning loop, for the caller to spawn on its task tracker; it ends when
/// `shutdown` is cancelled.
pub(crate) async fn prune_nonces(store: Store, clock: Clock, shutdown: CancellationToken) {
    let mut ticks = tokio::time::interval(PRUNE_EVERY);
    ticks.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        tokio::select! {
            () = shutdown.cancelled() => break,
            _ = ticks.tick() => {}
        }
        let cutoff = clock.now_ms() - NONCE_TTL_MS;
        match store.prune_nonces(cutoff).await {
            Ok(0) => {}
            Ok(pruned) => tracing::debug!(pruned, "pruned expired registration nonces"),
            Err(error) => tracing::warn!(%error, "cannot prune registration nonces"),
        }
    }
}

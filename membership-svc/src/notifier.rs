//! `/sync` wake-ups across replicas.
//!
//! Contract: after a transaction that appended events or account data commits, the
//! writer publishes on the replica bus topic [`SYNC_TOPIC`] with the highest stream
//! position it wrote as payload (decimal). Every replica's [`SyncNotifier`] listens and
//! bumps a local generation counter; waiting `Sync` calls re-read the database when it
//! changes. A bus gap (lost Redis subscription) or a lagging receiver also bumps it, so
//! a lost message costs at most one extra re-check, never a missed event.

use std::sync::Arc;

use replica_bus::ReplicaBus;
use tokio::sync::{broadcast, watch};
use tokio_util::sync::CancellationToken;
use tokio_util::task::TaskTracker;

/// Replica-bus topic for "new events committed"; payload = stream position.
pub const SYNC_TOPIC: &str = "sync";

/// Publishes a sync wake-up for a committed write (see the module docs). Failures are
/// logged: waiting syncs still wake on their periodic re-check.
pub async fn publish(bus: &ReplicaBus, stream_pos: i64) {
    if let Err(error) = bus.publish(SYNC_TOPIC, &stream_pos.to_string()).await {
        tracing::warn!(%error, "cannot publish a sync wake-up");
    }
}

/// Local fan-out of sync wake-ups; cheap to clone.
#[derive(Clone)]
pub struct SyncNotifier {
    bus: ReplicaBus,
    generation: Arc<watch::Sender<u64>>,
}

impl SyncNotifier {
    /// Subscribes to [`SYNC_TOPIC`] now (so nothing published from here on is missed)
    /// and relays it until `shutdown`, in a task on `tasks`.
    pub fn spawn(tasks: &TaskTracker, bus: ReplicaBus, shutdown: CancellationToken) -> Self {
        let (generation, _) = watch::channel(0u64);
        let generation = Arc::new(generation);
        let mut messages = bus.subscribe(SYNC_TOPIC);
        let relay = Arc::clone(&generation);
        tasks.spawn(async move {
            loop {
                let received = tokio::select! {
                    () = shutdown.cancelled() => break,
                    received = messages.recv() => received,
                };
                match received {
                    Ok(_) | Err(broadcast::error::RecvError::Lagged(_)) => {
                        relay.send_modify(|g| *g = g.wrapping_add(1));
                    }
                    Err(broadcast::error::RecvError::Closed) => break,
                }
            }
        });
        Self { bus, generation }
    }

    /// [`SyncNotifier::spawn`] on a tracker nobody waits for, for unit tests whose
    /// runtime ends with them.
    #[cfg(test)]
    pub(crate) fn start(bus: ReplicaBus, shutdown: CancellationToken) -> Self {
        Self::spawn(&TaskTracker::new(), bus, shutdown)
    }

    /// A receiver whose `changed()` fires on every wake-up after this call.
    pub fn subscribe(&self) -> watch::Receiver<u64> {
        self.generation.subscribe()
    }

    /// Announces a committed write to this replica's waiters and to every other replica.
    pub async fn committed(&self, stream_pos: i64) {
        self.generation.send_modify(|g| *g = g.wrapping_add(1));
        publish(&self.bus, stream_pos).await;
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;

    #[tokio::test]
    async fn a_commit_on_one_replica_wakes_waiters_on_another() {
        let bus = ReplicaBus::in_process();
        let shutdown = CancellationToken::new();
        let tasks = TaskTracker::new();
        let writer = SyncNotifier::spawn(&tasks, bus.clone(), shutdown.clone());
        let reader = SyncNotifier::spawn(&tasks, bus, shutdown.clone());
        let mut waiter = reader.subscribe();
        writer.committed(7).await;
        tokio::time::timeout(Duration::from_secs(10), waiter.changed())
            .await
            .expect("woken through the bus")
            .expect("notifier alive");
        shutdown.cancel();
        tasks.close();
        tokio::time::timeout(Duration::from_secs(10), tasks.wait())
            .await
            .expect("the relays end on shutdown");
    }
}

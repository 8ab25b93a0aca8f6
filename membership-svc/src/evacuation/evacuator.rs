//! The evacuator: what planning, applying, waiting and sweeping share.

use std::sync::Arc;
use std::time::Duration;

use job_queue::{ChunkHandler, JobQueue};
use replica_bus::ReplicaBus;
use tokio_util::sync::CancellationToken;
use tokio_util::task::TaskTracker;

use super::Settings;
use crate::notifier::SyncNotifier;
use crate::store::Store;

/// Plans, applies and waits for evacuation jobs; cheap to clone. Its operations live in
/// the sibling modules, one job each (`planner`, `applier`, `waiter`, `sweeper`,
/// `gauges`, `handler`).
#[derive(Clone)]
pub struct Evacuator {
    pub(super) inner: Arc<Inner>,
}

pub(super) struct Inner {
    pub(super) store: Store,
    pub(super) queue: JobQueue,
    pub(super) bus: ReplicaBus,
    pub(super) notifier: SyncNotifier,
    pub(super) server_name: String,
    pub(super) settings: Settings,
    pub(super) shutdown: CancellationToken,
    /// Held while this process applies a chunk (see `Evacuator::apply_patiently`).
    pub(super) apply_turn: tokio::sync::Mutex<()>,
}

impl Evacuator {
    /// An evacuator over the store, queueing chunks on `queue` and announcing finished
    /// jobs on `bus`. Nothing runs until [`Evacuator::spawn_background`].
    pub fn new(
        store: Store,
        queue: JobQueue,
        bus: ReplicaBus,
        notifier: SyncNotifier,
        server_name: String,
        settings: Settings,
        shutdown: CancellationToken,
    ) -> Self {
        Self {
            inner: Arc::new(Inner {
                store,
                queue,
                bus,
                notifier,
                server_name,
                settings,
                shutdown,
                apply_turn: tokio::sync::Mutex::new(()),
            }),
        }
    }

    /// Starts the workers, re-plans unfinished jobs and runs the sweeper, until shutdown,
    /// on `tasks`, so the process's shutdown waits for them.
    pub fn spawn_background(&self, tasks: &TaskTracker) {
        let inner = &self.inner;
        let handler: Arc<dyn ChunkHandler> = Arc::new(self.clone());
        tasks.spawn(
            inner
                .queue
                .workers(handler, inner.settings.workers, inner.shutdown.clone()),
        );
        let this = self.clone();
        tasks.spawn(async move {
            // Re-plan what a previous run left unfinished (retrying while the database
            // is unreachable), then sweep periodically.
            loop {
                match this.replan().await {
                    Ok(_) => break,
                    Err(error) => tracing::warn!(%error, "re-planning unfinished jobs failed"),
                }
                tokio::select! {
                    () = this.inner.shutdown.cancelled() => return,
                    () = tokio::time::sleep(Duration::from_secs(1)) => {}
                }
            }
            this.sweep_forever().await;
        });
    }
}

//! Evacuation jobs (`membership-svc/README.md`, "Evacuation jobs").
//!
//! 1. [`Evacuator::plan`] records a job and its affected set, computed once and split in
//!    chunks of [`Settings::chunk_size`] stored beside it (the database is the source of
//!    truth), then queues one [`job_queue::ChunkMessage`] per chunk carrying the planning
//!    request's trace context. A queued or running job for the same target is returned
//!    instead.
//! 2. Workers ([`job_queue::JobQueue::workers`], Redis Streams or in process, the
//!    same code) hand each chunk to [`Evacuator::apply_chunk`], which in ONE transaction
//!    flips the chunk `pending` → `done`, appends a self-leave for every entry still
//!    joined/invited, and advances the job's `done` counter. Only the transaction whose
//!    flip commits counts the chunk, so progress is exact under redelivery.
//! 3. A dead-lettered chunk flips `pending` → `failed` and adds its size to `failed`, and
//!    so does a chunk of a job whose row does not decode (an unknown kind). A job whose
//!    chunks are all settled is `complete`, or `failed` when any chunk failed.
//!    Completion is published on the replica bus ([`JOBS_TOPIC`]) so a caller waiting
//!    on any replica wakes; waiters also re-read the job every [`Settings::poll_every`].
//! 4. Unfinished jobs are re-queued at start-up, after a queue reset (Redis came back
//!    empty), and chunk by chunk by a sweeper when pending longer than
//!    [`Settings::stale_after`].
//!
//! One module per job: [`settings`](Settings), `queue` (which queue), `planner` (1),
//! `applier` and `leaves` (2, 3), `waiter`, `sweeper` (4), `gauges`, `handler` (the
//! queue's callbacks), `api` (the gRPC service), [`jobs`] (the SQL).

use bailiff_config::Config;
use replica_bus::ReplicaBus;
use tokio_util::sync::CancellationToken;
use tokio_util::task::TaskTracker;

use crate::notifier::SyncNotifier;
use crate::store::Store;

mod api;
mod applier;
mod deletion;
mod evacuator;
mod gauges;
mod handler;
mod job;
pub mod jobs;
mod leaves;
mod planner;
mod queue;
pub(crate) mod schema;
mod settings;
mod sweeper;
mod waiter;

#[cfg(test)]
mod fixtures;
#[cfg(test)]
mod tests;

pub use api::EvacuationsService;
pub use deletion::{DeleteOptions, Deletion};
pub use evacuator::Evacuator;
pub use job::{Applied, Job, Planned, Target};
pub use jobs::JobRow;
pub use queue::queue_for;
pub use settings::Settings;

/// Replica-bus topic announcing a finished job; payload = job ID.
pub const JOBS_TOPIC: &str = "jobs";

/// Name of the queue (Redis stream `<prefix>:jobs:evacuation`).
pub const QUEUE_NAME: &str = "evacuation";

/// Why evacuations could not start.
#[derive(Debug, thiserror::Error)]
pub enum StartError {
    /// The configured queue could not be reached.
    #[error("job queue: {0}")]
    Queue(#[from] job_queue::QueueError),
}

/// Starts evacuations: the queue, its workers, start-up re-planning, the sweeper and the
/// metrics refresher. Returns the gRPC service.
pub fn start(
    store: Store,
    notifier: SyncNotifier,
    bus: ReplicaBus,
    config: &Config,
    tasks: &TaskTracker,
    shutdown: CancellationToken,
) -> Result<EvacuationsService, StartError> {
    let settings = Settings::default();
    let queue = queue_for(config, &settings)?;
    let evacuator = Evacuator::new(
        store,
        queue,
        bus,
        notifier,
        config.server_name.clone(),
        settings,
        shutdown,
    );
    evacuator.spawn_background(tasks);
    Ok(EvacuationsService::new(evacuator))
}

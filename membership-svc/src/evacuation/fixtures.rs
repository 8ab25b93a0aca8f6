//! Test fixtures shared by the evacuation and room deletion tests: an evacuator on an
//! in-process queue and bus, beside the store's own fixtures (`crate::store::fixtures`).

use job_queue::JobQueue;
use replica_bus::ReplicaBus;
use tokio_util::sync::CancellationToken;

use super::{Evacuator, Settings};
use crate::notifier::SyncNotifier;
use crate::store::Store;
pub use crate::store::fixtures::{room_opening, store};

/// The server name of every fixture.
pub const HS: &str = "hs";

/// An evacuator over `store` with its own in-process queue, bus and sync notifier.
pub fn evacuator(store: &Store, settings: Settings) -> Evacuator {
    let bus = ReplicaBus::in_process();
    let shutdown = CancellationToken::new();
    let notifier = SyncNotifier::start(bus.clone(), shutdown.clone());
    let queue = JobQueue::in_process(settings.queue.clone()).expect("queue");
    Evacuator::new(
        store.clone(),
        queue,
        bus,
        notifier,
        HS.into(),
        settings,
        shutdown,
    )
}

//! membership-svc: rooms, events, memberships, room account data, sync and evacuation
//! jobs.
//!
//! Layout: [`store`] owns the SQL (and the batch primitives evacuation jobs build on),
//! [`notifier`] carries `/sync` wake-ups across replicas, [`power`] reads power levels,
//! [`ids`] mints event/room IDs and stream tokens, and `api` turns all of it into the
//! generated `Rooms` gRPC service. See `README.md` for the schema and the stream
//! ordering rule.

use std::sync::Arc;

use bailiff_config::Config;
use bailiff_database::{Database, Migration};
use bailiff_proto::membership::evacuations_server::EvacuationsServer;
use bailiff_proto::membership::rooms_server::RoomsServer;
use replica_bus::ReplicaBus;
use tokio_util::sync::CancellationToken;
use tokio_util::task::TaskTracker;

mod api;
mod content;
pub mod error;
pub mod evacuation;
pub mod ids;
pub mod notifier;
pub mod power;
mod schema;
pub mod store;

pub use api::RoomsService;
pub use error::Error;
pub use notifier::{SYNC_TOPIC, SyncNotifier};
pub use store::Store;

/// What the service needs from the process that hosts it.
pub struct Deps {
    /// Server name, evacuation settings and the Redis queue, if any.
    pub config: Arc<Config>,
    /// Where rooms, events, memberships and jobs live.
    pub db: Database,
    /// Carries `/sync` wake-ups and job completions to every replica.
    pub bus: ReplicaBus,
    /// Owns the background work, so the process waits for it on shutdown.
    pub tasks: TaskTracker,
    /// Stops the background work when the process shuts down.
    pub shutdown: CancellationToken,
}

/// Why the service could not start.
#[derive(Debug, thiserror::Error)]
pub enum StartError {
    #[error("migrations failed: {0}")]
    Migrate(#[from] sqlx::Error),
    #[error("evacuations: {0}")]
    Evacuations(#[from] evacuation::StartError),
}

/// This service's schema steps, applied in order and recorded under `membership`.
pub const MIGRATIONS: &[Migration] = schema::MIGRATIONS;

/// Applies this service's migrations, then gives rooms that predate the room
/// statistics table their row (`store::room_stats::backfill`).
pub async fn migrate(db: &Database) -> Result<(), sqlx::Error> {
    bailiff_database::migrate(db, "membership", MIGRATIONS).await?;
    let mut tx = Store::new(db.clone()).begin_write().await?;
    let built = store::room_stats::backfill(&mut tx).await?;
    tx.commit().await?;
    if built > 0 {
        tracing::info!(rooms = built, "room statistics backfilled");
    }
    Ok(())
}

/// Migrates, starts background work, and returns the gRPC routes to serve.
pub async fn start(deps: Deps) -> Result<tonic::service::Routes, StartError> {
    migrate(&deps.db).await?;
    let notifier = SyncNotifier::spawn(&deps.tasks, deps.bus.clone(), deps.shutdown.clone());
    let store = Store::new(deps.db);
    let evacuations = evacuation::start(
        store.clone(),
        notifier.clone(),
        deps.bus.clone(),
        &deps.config,
        &deps.tasks,
        deps.shutdown.clone(),
    )?;
    let rooms = RoomsService::new(store, notifier, deps.config.server_name.clone());
    Ok(tonic::service::Routes::new(RoomsServer::new(rooms))
        .add_service(EvacuationsServer::new(evacuations)))
}

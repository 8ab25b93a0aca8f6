//! notices-svc: server notices, one notice room per user, idempotent sends.
//!
//! Layout: [`store`] owns the SQL (the user → room mapping and PUT transactions, each
//! guarded by a claim row), [`service`] is the generated `Notices` gRPC service, which
//! does every room operation through membership-svc, and `error` is the one error model,
//! mapped to Matrix errors in one place. See `README.md` for the tables and
//! the race-safety design.

use std::sync::Arc;
use std::time::Duration;

use bailiff_config::Config;
use bailiff_database::{Database, Migration};
use bailiff_domain::now_ms;
use bailiff_proto::channel::GrpcChannel;
use bailiff_proto::notices::notices_server::NoticesServer;
use tokio_util::sync::CancellationToken;
use tokio_util::task::TaskTracker;

mod batch;
mod error;
mod schema;
pub mod service;
pub mod store;

#[cfg(test)]
mod tests;

pub use service::NoticesService;
pub use store::NoticeStore;

/// What the service needs from the process that hosts it.
pub struct Deps {
    /// Server name and the server-notices settings.
    pub config: Arc<Config>,
    /// Where the user → room mapping and PUT transactions live.
    pub db: Database,
    /// membership-svc, which owns every room operation.
    pub membership: GrpcChannel,
    /// Owns the pruning and batching tasks, so the process waits for them on shutdown.
    pub tasks: TaskTracker,
    /// Stops the pruning when the process shuts down.
    pub shutdown: CancellationToken,
}

/// Why the service could not start.
#[derive(Debug, thiserror::Error)]
pub enum StartError {
    #[error("migrations failed: {0}")]
    Migrate(#[from] sqlx::Error),
}

/// This service's schema steps.
pub const MIGRATIONS: &[Migration] = schema::MIGRATIONS;

/// PUT transactions are kept at least this long, then pruned.
pub const TXN_RETENTION: Duration = Duration::from_secs(24 * 3600);

/// How often old transactions are pruned.
const PRUNE_EVERY: Duration = Duration::from_secs(3600);

/// Applies this service's migrations.
pub async fn migrate(db: &Database) -> Result<(), sqlx::Error> {
    bailiff_database::migrate(db, "notices", MIGRATIONS).await
}

/// Migrates, starts the pruning of old transactions, and returns the gRPC routes.
pub async fn start(deps: Deps) -> Result<tonic::service::Routes, StartError> {
    migrate(&deps.db).await?;
    let store = NoticeStore::new(deps.db);
    deps.tasks
        .spawn(prune_transactions(store.clone(), deps.shutdown.clone()));
    let service = NoticesService::new(deps.config, store, deps.membership, &deps.tasks);
    Ok(tonic::service::Routes::new(NoticesServer::new(service)))
}

/// Deletes transactions older than [`TXN_RETENTION`] now and every [`PRUNE_EVERY`].
async fn prune_transactions(store: NoticeStore, shutdown: CancellationToken) {
    loop {
        let before = now_ms() - i64::try_from(TXN_RETENTION.as_millis()).unwrap_or(i64::MAX);
        match store.prune_txns(before).await {
            Ok(0) => {}
            Ok(pruned) => tracing::info!(pruned, "pruned old notice transactions"),
            Err(error) => tracing::warn!(%error, "could not prune notice transactions"),
        }
        tokio::select! {
            () = shutdown.cancelled() => return,
            () = tokio::time::sleep(PRUNE_EVERY) => {}
        }
    }
}

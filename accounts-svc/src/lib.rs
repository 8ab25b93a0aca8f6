//! accounts-svc: users, devices, access tokens, registration nonces, client connections
//! for whois, and password login.
//!
//! The crate is a library so the `bailiff` binary can host it in any role layout and tests
//! can start it in-process. Layout: [`store`] owns the SQL, [`password`] and [`tokens`]
//! own the secrets, [`invalidation`] tells gateways what to forget, and `api` turns
//! all of it into the generated `Accounts` gRPC service.

#![warn(missing_docs)]

use std::sync::Arc;

use bailiff_config::Config;
use bailiff_database::{Database, Migration};
use replica_bus::ReplicaBus;
use tokio_util::sync::CancellationToken;
use tokio_util::task::TaskTracker;

mod api;
mod clock;
mod error;
pub mod invalidation;
mod maintenance;
pub mod password;
mod schema;
pub mod store;
pub mod tokens;

pub use invalidation::AUTH_TOPIC;

/// What the service needs from the process that hosts it.
pub struct Deps {
    /// Server name (user IDs) and the reserved notices localpart.
    pub config: Arc<Config>,
    /// Where users, devices, tokens, connections and nonces live.
    pub db: Database,
    /// Carries token revocations and admin changes to every gateway replica.
    pub bus: ReplicaBus,
    /// Owns the background maintenance, so the process waits for it on shutdown.
    pub tasks: TaskTracker,
    /// Stops background maintenance when the process shuts down.
    pub shutdown: CancellationToken,
}

/// Why the service could not start.
#[derive(Debug, thiserror::Error)]
pub enum StartError {
    /// The schema could not be brought up to date, or the token key could not be read
    /// or created; serving would fail on every call.
    #[error("database: {0}")]
    Database(#[from] sqlx::Error),
}

/// This service's schema steps, applied in order and recorded under `accounts`.
pub const MIGRATIONS: &[Migration] = schema::MIGRATIONS;

/// Applies this service's migrations.
pub async fn migrate(db: &Database) -> Result<(), sqlx::Error> {
    bailiff_database::migrate(db, "accounts", MIGRATIONS).await
}

/// Migrates, starts background work, and returns the gRPC routes to serve.
pub async fn start(deps: Deps) -> Result<tonic::service::Routes, StartError> {
    migrate(&deps.db).await?;
    let token_key = store::Store::new(deps.db.clone()).token_key().await?;
    let service = api::AccountsService::new(api::Settings::production(&deps, token_key));
    deps.tasks.spawn(maintenance::prune_nonces(
        service.store().clone(),
        service.clock().clone(),
        deps.shutdown.clone(),
    ));
    Ok(tonic::service::Routes::default().add_service(service.into_server()))
}

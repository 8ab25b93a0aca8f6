//! notices-svc: server notices, one notice room per user, idempotent sends.

use std::sync::Arc;

use bailiff_config::Config;
use bailiff_database::{Database, Migration};
use bailiff_proto::channel::GrpcChannel;
use bailiff_proto::notices::notices_server::{Notices, NoticesServer};
use bailiff_proto::notices::{PingRequest, PingResponse};
use tokio_util::sync::CancellationToken;
use tonic::{Request, Response, Status};

/// What the service needs from the process that hosts it.
pub struct Deps {
    pub config: Arc<Config>,
    pub db: Database,
    /// membership-svc, which owns every room operation.
    pub membership: GrpcChannel,
    pub shutdown: CancellationToken,
}

/// Why the service could not start.
#[derive(Debug, thiserror::Error)]
pub enum StartError {
    #[error("migrations failed: {0}")]
    Migrate(#[from] sqlx::Error),
}

/// This service's schema steps.
pub const MIGRATIONS: &[Migration] = &[];

/// Applies this service's migrations.
pub async fn migrate(db: &Database) -> Result<(), sqlx::Error> {
    bailiff_database::migrate(db, "notices", MIGRATIONS).await
}

/// Migrates and returns the gRPC routes to serve.
pub async fn start(deps: Deps) -> Result<tonic::service::Routes, StartError> {
    migrate(&deps.db).await?;
    Ok(tonic::service::Routes::new(NoticesServer::new(NoticesApi)))
}

#[derive(Clone)]
struct NoticesApi;

#[tonic::async_trait]
impl Notices for NoticesApi {
    async fn ping(&self, _: Request<PingRequest>) -> Result<Response<PingResponse>, Status> {
        Ok(Response::new(PingResponse {}))
    }
}

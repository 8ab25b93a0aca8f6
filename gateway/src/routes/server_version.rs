//! `GET /_synapse/admin/v1/server_version` (admin).

use axum::Json;
use serde::Serialize;

use crate::auth::AdminUser;

/// `bailiff/<version>`.
pub const SERVER_VERSION: &str = concat!("bailiff/", env!("CARGO_PKG_VERSION"));

/// The answer.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct ServerVersion {
    /// `bailiff/<version>`.
    #[schema(value_type = String)]
    pub server_version: &'static str,
}

/// The version, for admins.
pub async fn get(_admin: AdminUser) -> Json<ServerVersion> {
    Json(ServerVersion {
        server_version: SERVER_VERSION,
    })
}

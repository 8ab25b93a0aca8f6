//! `GET /_synapse/admin/v1/server_version`, without a token: both admin web UIs call it
//! before login and without a token after it, as Synapse and tuwunel allow
//! (`shared/SYNAPSE-ADMIN.md` §5.13; docs/http-api.md §4). A token, if sent, is ignored.

use axum::Json;
use serde::Serialize;

/// `bailiff/<version>`.
pub const SERVER_VERSION: &str = concat!("bailiff/", env!("CARGO_PKG_VERSION"));

/// The answer.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct ServerVersion {
    /// `bailiff/<version>`.
    #[schema(value_type = String)]
    pub server_version: &'static str,
}

/// The version, for anyone.
pub async fn get() -> Json<ServerVersion> {
    Json(ServerVersion {
        server_version: SERVER_VERSION,
    })
}

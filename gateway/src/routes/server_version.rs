//! `GET /_synapse/admin/v1/server_version` (admin).

use axum::Json;
use serde_json::{Value, json};

use crate::auth::AdminUser;

/// `bailiff/<version>`.
pub const SERVER_VERSION: &str = concat!("bailiff/", env!("CARGO_PKG_VERSION"));

pub async fn get(_admin: AdminUser) -> Json<Value> {
    Json(json!({ "server_version": SERVER_VERSION }))
}

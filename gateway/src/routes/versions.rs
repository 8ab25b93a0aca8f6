//! `GET /_matrix/client/versions`.

use axum::Json;
use serde_json::{Value, json};

/// Spec versions this server speaks.
pub const VERSIONS: &[&str] = &[
    "r0.5.0", "r0.6.0", "r0.6.1", "v1.1", "v1.2", "v1.3", "v1.4", "v1.5", "v1.6", "v1.7", "v1.8",
    "v1.9", "v1.10", "v1.11",
];

pub async fn get() -> Json<Value> {
    Json(json!({ "versions": VERSIONS, "unstable_features": {} }))
}

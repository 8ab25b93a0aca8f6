//! `GET /_matrix/client/{r0,v3}/account/whoami`.

use axum::Json;
use serde_json::{Value, json};

use crate::auth::AuthedUser;

pub async fn get(user: AuthedUser) -> Json<Value> {
    Json(json!({ "user_id": user.user_id, "device_id": user.device_id }))
}

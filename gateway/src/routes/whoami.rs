//! `GET /_matrix/client/{r0,v3}/account/whoami`.

use axum::Json;
use serde::Serialize;

use crate::auth::AuthedUser;

/// The answer. Fields are in key order, as the untyped answer was rendered.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct WhoAmI {
    pub device_id: String,
    #[schema(value_type = String)]
    pub user_id: ruma_common::OwnedUserId,
}

/// The caller.
pub async fn get(user: AuthedUser) -> Json<WhoAmI> {
    Json(WhoAmI {
        device_id: user.device_id,
        user_id: user.user_id,
    })
}

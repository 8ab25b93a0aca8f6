//! `GET /_synapse/admin/v1/users/{userId}/accountdata`: `{"account_data": {"global",
//! "rooms"}}`. Room account data (tags and the like) is what membership-svc stores;
//! bailiff keeps no global account data, so `global` is `{}`. Synapse's checks: a
//! remote user is `400`, an unknown local user `404 "User not found"`.

use std::collections::BTreeMap;

use axum::Json;
use axum::extract::State;
use bailiff_proto::accounts::GetUserRequest;
use bailiff_proto::membership::GetUserRoomAccountDataRequest;
use matrix_status::MatrixError;
use serde::Serialize;
use serde_json::{Map, Value};

use crate::auth::AdminUser;
use crate::error::ApiResult;
use crate::extract::{PathParams, ids};
use crate::routes::rooms::rooms;
use crate::state::AppState;

/// The answer.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct UserAccountData {
    pub account_data: AccountDataByScope,
}

/// Global and per-room account data, by type.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct AccountDataByScope {
    #[schema(value_type = Object)]
    pub global: Map<String, Value>,
    /// Room ID → type → content.
    #[schema(value_type = Object)]
    pub rooms: BTreeMap<String, Map<String, Value>>,
}

/// The user's account data.
pub async fn get(
    State(state): State<AppState>,
    _admin: AdminUser,
    params: PathParams,
) -> ApiResult<Json<UserAccountData>> {
    let user_id = params.user_id("userId")?;
    if !ids::is_local(&user_id, state.server_name()) {
        return Err(MatrixError::invalid_param("Can only look up local users").into());
    }
    // Unknown users are 404 here, as Synapse (accounts-svc answers M_NOT_FOUND).
    state
        .accounts()
        .get_user(GetUserRequest {
            user_id: user_id.to_string(),
        })
        .await?;
    let entries = rooms(&state)
        .get_user_room_account_data(GetUserRoomAccountDataRequest {
            user_id: user_id.to_string(),
        })
        .await?
        .into_inner()
        .entries;
    let mut by_room: BTreeMap<String, Map<String, Value>> = BTreeMap::new();
    for entry in entries {
        let content = serde_json::from_str(&entry.content).unwrap_or(Value::Object(Map::new()));
        by_room
            .entry(entry.room_id)
            .or_default()
            .insert(entry.r#type, content);
    }
    Ok(Json(UserAccountData {
        account_data: AccountDataByScope {
            global: Map::new(),
            rooms: by_room,
        },
    }))
}

//! `GET /_matrix/client/{r0,v3}/user/{userId}/rooms/{roomId}/tags`: the caller's own
//! tags only.

use axum::Json;
use axum::extract::State;
use bailiff_proto::membership::GetRoomTagsRequest;
use matrix_status::MatrixError;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use super::rooms;
use crate::auth::AuthedUser;
use crate::error::ApiResult;
use crate::extract::PathParams;
use crate::state::AppState;

/// The `m.tag` content: tag name → `{order?}`.
#[derive(Debug, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Tags {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schema(value_type = Object)]
    pub tags: Option<Map<String, Value>>,
    /// Anything else the stored content holds, kept as is.
    #[serde(flatten)]
    #[schema(value_type = Object)]
    pub other: Map<String, Value>,
}

/// The caller's tags on the room.
pub async fn get(
    State(state): State<AppState>,
    user: AuthedUser,
    params: PathParams,
) -> ApiResult<Json<Tags>> {
    let target = params.user_id("userId")?;
    if target != user.user_id {
        return Err(MatrixError::forbidden("Cannot get tags for other users.").into());
    }
    let room_id = params.room_id("roomId")?;
    let tags = rooms(&state)
        .get_room_tags(GetRoomTagsRequest {
            user_id: user.user_id.to_string(),
            room_id: room_id.to_string(),
        })
        .await?
        .into_inner();
    // Stored content that is not an object reads as no tags.
    let tags = serde_json::from_str(&tags.content).unwrap_or_else(|_| Tags {
        tags: Some(Map::new()),
        other: Map::new(),
    });
    Ok(Json(tags))
}

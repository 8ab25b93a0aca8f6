//! `GET /_matrix/client/{r0,v3}/user/{userId}/rooms/{roomId}/tags`: the caller's own
//! tags only.

use axum::Json;
use axum::extract::State;
use bailiff_proto::membership::GetRoomTagsRequest;
use matrix_status::MatrixError;
use serde_json::Value;

use super::{room_id_param, rooms};
use crate::auth::AuthedUser;
use crate::error::ApiResult;
use crate::extract::{PathParams, ids};
use crate::state::AppState;

pub async fn get(
    State(state): State<AppState>,
    user: AuthedUser,
    params: PathParams,
) -> ApiResult<Json<Value>> {
    let target = ids::parse_user_id(&params.get("userId")?)?;
    if target.as_str() != user.user_id {
        return Err(MatrixError::forbidden("Cannot get tags for other users.").into());
    }
    let room_id = room_id_param(&params, "roomId")?;
    let tags = rooms(&state)
        .get_room_tags(GetRoomTagsRequest {
            user_id: user.user_id.clone(),
            room_id,
        })
        .await?
        .into_inner();
    let content: Value =
        serde_json::from_str(&tags.content).unwrap_or_else(|_| serde_json::json!({ "tags": {} }));
    Ok(Json(content))
}

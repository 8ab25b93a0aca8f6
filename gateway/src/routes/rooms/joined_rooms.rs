//! `GET /_matrix/client/{r0,v3}/joined_rooms`.

use axum::Json;
use axum::extract::State;
use bailiff_proto::membership::GetJoinedRoomsRequest;
use serde::Serialize;

use super::rooms;
use crate::auth::AuthedUser;
use crate::error::ApiResult;
use crate::state::AppState;

/// The answer.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct JoinedRooms {
    pub joined_rooms: Vec<String>,
}

/// The joined rooms.
pub async fn get(State(state): State<AppState>, user: AuthedUser) -> ApiResult<Json<JoinedRooms>> {
    let joined = rooms(&state)
        .get_joined_rooms(GetJoinedRoomsRequest {
            user_id: user.user_id.to_string(),
        })
        .await?
        .into_inner();
    Ok(Json(JoinedRooms {
        joined_rooms: joined.room_ids,
    }))
}

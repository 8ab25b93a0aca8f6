//! `GET /_synapse/admin/v1/users/{userId}/joined_rooms`: as Synapse, no locality or
//! existence check; an unknown user has no rooms (`SYNAPSE-ADMIN.md` §5.7).

use axum::Json;
use axum::extract::State;
use bailiff_proto::membership::GetJoinedRoomsRequest;
use serde::Serialize;

use crate::auth::AdminUser;
use crate::error::ApiResult;
use crate::extract::PathParams;
use crate::routes::rooms::rooms;
use crate::state::AppState;

/// The answer.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct UserJoinedRooms {
    /// Room IDs, in join order.
    pub joined_rooms: Vec<String>,
    pub total: usize,
}

/// The user's joined rooms.
pub async fn get(
    State(state): State<AppState>,
    _admin: AdminUser,
    params: PathParams,
) -> ApiResult<Json<UserJoinedRooms>> {
    let user_id = params.user_id("userId")?;
    let joined_rooms = rooms(&state)
        .get_joined_rooms(GetJoinedRoomsRequest {
            user_id: user_id.to_string(),
        })
        .await?
        .into_inner()
        .room_ids;
    Ok(Json(UserJoinedRooms {
        total: joined_rooms.len(),
        joined_rooms,
    }))
}

//! `GET /_synapse/admin/v1/rooms/{roomId}/members`: the joined users, local and remote
//! (`SYNAPSE-ADMIN.md` §5.11). List parameters the UIs append are ignored.

use axum::Json;
use axum::extract::State;
use bailiff_proto::membership::GetRoomJoinedUsersRequest;
use serde::Serialize;

use crate::auth::AdminUser;
use crate::error::ApiResult;
use crate::extract::PathParams;
use crate::routes::rooms::rooms;
use crate::state::AppState;

/// The answer.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct RoomMembers {
    /// User IDs, in join order.
    pub members: Vec<String>,
    pub total: usize,
}

/// The members, or `404 M_NOT_FOUND "Room not found"`.
pub async fn get(
    State(state): State<AppState>,
    _admin: AdminUser,
    params: PathParams,
) -> ApiResult<Json<RoomMembers>> {
    let room_id = params.room_id("roomId")?;
    let members = rooms(&state)
        .get_room_joined_users(GetRoomJoinedUsersRequest {
            room_id: room_id.to_string(),
        })
        .await?
        .into_inner()
        .user_ids;
    Ok(Json(RoomMembers {
        total: members.len(),
        members,
    }))
}

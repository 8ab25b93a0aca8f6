//! `GET /_synapse/admin/v1/rooms/{roomId}`: the list's fields plus topic, avatar, the
//! devices of the joined local users, and tombstone (`SYNAPSE-ADMIN.md` §5.10).

use axum::Json;
use axum::extract::State;
use bailiff_proto::accounts::CountDevicesRequest;
use bailiff_proto::membership::{GetRoomJoinedUsersRequest, GetRoomStatsRequest};
use ruma_common::UserId;
use serde::Serialize;

use super::RoomRecord;
use crate::auth::AdminUser;
use crate::error::ApiResult;
use crate::extract::{PathParams, ids};
use crate::routes::rooms::rooms;
use crate::state::AppState;

/// The answer.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct RoomDetails {
    #[serde(flatten)]
    pub room: RoomRecord,
    pub topic: Option<String>,
    /// `mxc://` URL of the room avatar.
    pub avatar: Option<String>,
    /// Devices of the joined local users.
    pub joined_local_devices: i64,
    /// Whether every local user forgot the room: always false, as bailiff has no
    /// forget (`POST /rooms/{roomId}/forget` is not served).
    pub forgotten: bool,
    pub tombstoned: bool,
    /// The room a tombstone points to.
    pub replacement_room: Option<String>,
}

/// The room, or `404 M_NOT_FOUND "Room not found"`.
pub async fn get(
    State(state): State<AppState>,
    _admin: AdminUser,
    params: PathParams,
) -> ApiResult<Json<RoomDetails>> {
    let room_id = params.room_id("roomId")?;
    let room = rooms(&state)
        .get_room_stats(GetRoomStatsRequest {
            room_id: room_id.to_string(),
        })
        .await?
        .into_inner();
    let joined = rooms(&state)
        .get_room_joined_users(GetRoomJoinedUsersRequest {
            room_id: room_id.to_string(),
        })
        .await?
        .into_inner()
        .user_ids;
    let local: Vec<String> = joined
        .into_iter()
        .filter(|user| {
            UserId::parse(user.as_str()).is_ok_and(|user| ids::is_local(&user, state.server_name()))
        })
        .collect();
    let joined_local_devices = if local.is_empty() {
        0
    } else {
        state
            .accounts()
            .count_devices(CountDevicesRequest { user_ids: local })
            .await?
            .into_inner()
            .count
    };
    Ok(Json(RoomDetails {
        room: RoomRecord::from(&room),
        topic: room.topic,
        avatar: room.avatar,
        joined_local_devices,
        forgotten: false,
        tombstoned: room.replacement_room.is_some(),
        replacement_room: room.replacement_room,
    }))
}

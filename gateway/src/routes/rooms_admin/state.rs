//! `GET /_synapse/admin/v1/rooms/{roomId}/state[?type=]`: the current state events in
//! the client format (`SYNAPSE-ADMIN.md` §5.11).

use axum::Json;
use axum::extract::{RawQuery, State};
use bailiff_proto::membership::GetRoomCurrentStateRequest;
use serde::{Deserialize, Serialize};

use crate::auth::AdminUser;
use crate::error::ApiResult;
use crate::extract::{PathParams, typed};
use crate::routes::rooms::{ClientEvent, client_events, rooms};
use crate::state::AppState;

/// The query; unknown parameters are ignored.
#[derive(Debug, Default, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct RoomStateQuery {
    /// Only events of this type.
    #[serde(rename = "type")]
    pub kind: Option<String>,
}

/// The answer.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct RoomState {
    pub state: Vec<ClientEvent>,
}

/// The state, or `404 M_NOT_FOUND "Room not found"`.
pub async fn get(
    State(state): State<AppState>,
    _admin: AdminUser,
    params: PathParams,
    RawQuery(raw): RawQuery,
) -> ApiResult<Json<RoomState>> {
    let room_id = params.room_id("roomId")?;
    let query: RoomStateQuery = typed::query(raw.as_deref())?;
    let events = rooms(&state)
        .get_room_current_state(GetRoomCurrentStateRequest {
            room_id: room_id.to_string(),
            r#type: query.kind,
        })
        .await?
        .into_inner()
        .events;
    Ok(Json(RoomState {
        state: client_events(events),
    }))
}

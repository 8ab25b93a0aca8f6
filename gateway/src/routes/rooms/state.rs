//! `GET /_matrix/client/{r0,v3}/rooms/{roomId}/state`: the current state events (as of
//! their leave, for a user who left).

use axum::Json;
use axum::extract::State;
use bailiff_proto::membership::GetStateRequest;

use super::{ClientEvent, client_events, rooms};
use crate::auth::AuthedUser;
use crate::error::ApiResult;
use crate::extract::PathParams;
use crate::state::AppState;

/// The state events.
pub async fn get(
    State(state): State<AppState>,
    user: AuthedUser,
    params: PathParams,
) -> ApiResult<Json<Vec<ClientEvent>>> {
    let room_id = params.room_id("roomId")?;
    let events = rooms(&state)
        .get_state(GetStateRequest {
            room_id: room_id.to_string(),
            requester: user.user_id.to_string(),
        })
        .await?
        .into_inner()
        .events;
    Ok(Json(client_events(events)))
}

//! `GET /_matrix/client/{r0,v3}/rooms/{roomId}/state`: the current state events (as of
//! their leave, for a user who left).

use axum::Json;
use axum::extract::State;
use bailiff_proto::membership::GetStateRequest;
use serde_json::Value;

use super::{client_events, room_id_param, rooms};
use crate::auth::AuthedUser;
use crate::error::ApiResult;
use crate::extract::PathParams;
use crate::state::AppState;

pub async fn get(
    State(state): State<AppState>,
    user: AuthedUser,
    params: PathParams,
) -> ApiResult<Json<Value>> {
    let room_id = room_id_param(&params, "roomId")?;
    let events = rooms(&state)
        .get_state(GetStateRequest {
            room_id,
            requester: user.user_id.clone(),
        })
        .await?
        .into_inner()
        .events;
    Ok(Json(Value::Array(client_events(events))))
}

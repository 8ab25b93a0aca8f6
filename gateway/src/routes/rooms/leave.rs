//! `POST /_matrix/client/{r0,v3}/rooms/{roomId}/leave`: leave, or reject an invite.

use axum::Json;
use axum::extract::State;
use bailiff_proto::membership::LeaveRoomRequest;
use serde_json::{Value, json};

use super::{room_id_param, rooms};
use crate::auth::AuthedUser;
use crate::error::ApiResult;
use crate::extract::{JsonBody, PathParams};
use crate::state::AppState;

pub async fn post(
    State(state): State<AppState>,
    user: AuthedUser,
    params: PathParams,
    body: JsonBody,
) -> ApiResult<Json<Value>> {
    let room_id = room_id_param(&params, "roomId")?;
    let body = body.object()?;
    let reason = body.optional_str("reason")?.map(str::to_owned);
    rooms(&state)
        .leave_room(LeaveRoomRequest {
            room_id,
            user_id: user.user_id.clone(),
            reason,
        })
        .await?;
    Ok(Json(json!({})))
}

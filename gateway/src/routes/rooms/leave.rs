//! `POST /_matrix/client/{r0,v3}/rooms/{roomId}/leave`: leave, or reject an invite.

use axum::Json;
use axum::extract::State;
use bailiff_proto::membership::LeaveRoomRequest;

use super::{ReasonBody, rooms};
use crate::auth::AuthedUser;
use crate::error::ApiResult;
use crate::extract::{JsonBody, PathParams};
use crate::routes::Empty;
use crate::state::AppState;

/// Leaves the room.
pub async fn post(
    State(state): State<AppState>,
    user: AuthedUser,
    params: PathParams,
    body: JsonBody,
) -> ApiResult<Json<Empty>> {
    let room_id = params.room_id("roomId")?;
    let body: ReasonBody = body.parse()?;
    rooms(&state)
        .leave_room(LeaveRoomRequest {
            room_id: room_id.to_string(),
            user_id: user.user_id.to_string(),
            reason: body.reason,
        })
        .await?;
    Ok(Json(Empty {}))
}
